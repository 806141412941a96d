"""Checking files: a policy file, or a pagent.conf and its whole chain, into one report.

This is what ``pagent check`` runs, and what the agent will run before a refresh. A
policy file is checked on its own; a main configuration file is followed to every image
and each image's policy (CommonTTLSConfig file first, then its TTLSConfig file) is checked
as PAGENT would build it, once per image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pagent.policy.chain import Chain, PolicyFile, load_chain, looks_like_main_config
from pagent.policy.codes import Effect, Evidence, Severity
from pagent.policy.diagnostics import Diagnostic, sort_key
from pagent.policy.lint import lint
from pagent.policy.policy import Policy, load_policy, no_gc
from pagent.policy.source import SourceError, SourceLoc, SourceText, read_source


@dataclass(slots=True)
class CheckedPolicy:
    """One policy PAGENT would build: for an image, or for a policy file on its own."""

    label: str  # image name, or the file path
    policy: Policy
    lint: list[Diagnostic] = field(default_factory=list)
    # Rejecting errors of the configuration chain in this image's own files (its image file
    # and policy files, C501/C506): the image installs no new policy, as the agent decides.
    chain_errors: list[Diagnostic] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        """True when PAGENT would install no new AT-TLS policy for this image or file."""
        return bool(self.chain_errors) or self.policy.rejected


@dataclass(frozen=True, slots=True)
class Verdict:
    """What PAGENT would do with one policy, and the evidence that decides it."""

    outcome: str  # "install", "discard" or "reject"
    evidence: Evidence | None  # of the deciding diagnostics; None when nothing decides
    deciding: tuple[Diagnostic, ...]
    text: str

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        return {
            "outcome": self.outcome,
            "evidence": self.evidence.value if self.evidence is not None else None,
            "codes": list(dict.fromkeys(d.code.id for d in self.deciding)),
            "text": self.text,
        }


def _grade_of(diags: Sequence[Diagnostic]) -> tuple[Evidence, tuple[Diagnostic, ...]]:
    """The strongest evidence among ``diags``, and the diagnostics that carry it."""
    for evidence in (Evidence.DOCUMENTED, Evidence.OBSERVED, Evidence.ESTIMATE):
        carrying = tuple(d for d in diags if d.grade and d.grade.evidence is evidence)
        if carrying:
            return evidence, carrying
    return Evidence.ESTIMATE, tuple(diags)


def _because(evidence: Evidence, deciding: Sequence[Diagnostic]) -> str:
    """``documented: E107 at f:3:5, E114 at f:1:1, <basis>`` for the verdict line."""
    if not deciding:
        return evidence.value
    shown = [f"{d.code.id} at {d.loc}" for d in deciding[:3]]
    if len(deciding) > 3:
        shown.append(f"and {len(deciding) - 3} more")
    grade = deciding[0].grade
    basis = f", {grade.basis}" if grade is not None else ""
    return f"{evidence.value}: {', '.join(shown)}{basis}"


def chain_verdict(report: CheckReport) -> Verdict | None:
    """The verdict on rejecting chain errors outside every image's own files, or None.

    A bad operand of pagent.conf (C506) or a missing image file (C501) decides no image's
    policy, yet fails the check (exit 1); this says so (issue 10 §3).
    """
    assigned = {id(d) for p in report.policies for d in p.chain_errors}
    loose = [
        d for d in report.chain_diagnostics if d.effect is Effect.REJECT and id(d) not in assigned
    ]
    if not loose:
        return None
    evidence, deciding = _grade_of(loose)
    probably = "" if evidence.certain else "probably "
    return Verdict(
        "configuration",
        evidence,
        deciding,
        f"PAGENT would {probably}ignore what is in error ({_because(evidence, deciding)}); "
        "the check fails on it",
    )


def verdict_of(checked: CheckedPolicy) -> Verdict:
    """The verdict on one policy: install, discard some rules, or reject; and how sure."""
    pol = checked.policy
    rejecting = [
        *checked.chain_errors,
        *(d for d in pol.diagnostics if d.effect is Effect.REJECT),
    ]
    if rejecting:
        evidence, deciding = _grade_of(rejecting)
        probably = "" if evidence.certain else "probably "
        return Verdict(
            "reject",
            evidence,
            deciding,
            f"PAGENT would {probably}reject this policy ({_because(evidence, deciding)}): "
            "no new AT-TLS policy installed",
        )
    if pol.discarded:
        discarding = [d for d in pol.diagnostics if d.effect is Effect.DISCARD]
        evidence, deciding = _grade_of(discarding)
        probably = "" if evidence.certain else "probably "
        return Verdict(
            "discard",
            evidence,
            deciding,
            f"PAGENT would install {len(pol.rules)} rule(s) and {probably}discard "
            f"{len(pol.discarded)}: {', '.join(pol.discarded)} ({_because(evidence, deciding)})",
        )
    return Verdict("install", None, (), f"PAGENT would install all {len(pol.rules)} rule(s)")


@dataclass(slots=True)
class CheckReport:
    """Everything ``pagent check`` found."""

    policies: list[CheckedPolicy] = field(default_factory=list)
    chain_diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, list[str]] = field(default_factory=dict)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Every diagnostic once, in file order (a common file checked per image counts once)."""
        seen: set[tuple[str, int, int, str, str]] = set()
        out: list[Diagnostic] = []
        found = [
            *self.chain_diagnostics,
            *(x for p in self.policies for x in p.policy.diagnostics),
            *(x for p in self.policies for x in p.lint),
        ]
        for d in found:
            key = (d.loc.path, d.loc.line, d.loc.col, d.code.id, d.message)
            if key not in seen:
                seen.add(key)
                out.append(d)
        out.sort(key=sort_key)
        return out

    def exit_code(self, *, strict: bool = False) -> int:
        """0 when PAGENT would install everything, 1 when it would reject or discard."""
        diags = self.diagnostics
        if any(d.effect in (Effect.REJECT, Effect.DISCARD) for d in diags):
            return 1
        if any(not p.policy.complete or p.rejected for p in self.policies):
            return 1
        if strict and any(d.severity is Severity.WARNING for d in diags):
            return 1
        return 0


def _policy_for(
    sources: Sequence[SourceText],
    label: str,
    report: CheckReport,
    chain_errors: Sequence[Diagnostic] = (),
) -> None:
    for s in sources:
        report.sources.setdefault(s.path, s.lines)
    # The collector is paused for lint too: walking a just-built 10,000-rule policy with it
    # on costs 0.69 s instead of 0.08 s (generation-2 passes over objects that are not
    # garbage).
    with no_gc():
        policy = load_policy(sources)
        report.policies.append(
            CheckedPolicy(
                label=label, policy=policy, lint=lint(policy), chain_errors=list(chain_errors)
            )
        )


def shown(path: Path) -> str:
    """A path as a person wants it in a diagnostic: relative to the cwd when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (OSError, ValueError, RuntimeError):  # outside the cwd; a NUL byte; a loop
        return str(path)


def check_chain(chain: Chain, report: CheckReport) -> None:
    """Check every image's policy of a loaded configuration chain."""
    report.chain_diagnostics.extend(chain.diagnostics)
    if chain.main is None:
        return
    reported = {d.loc for d in chain.diagnostics if d.code.id == "C501"}
    read: dict[Path, SourceText | None] = {}
    done: dict[tuple[Path, ...], CheckedPolicy] = {}
    for image in chain.main.images:
        # The same errors that make the agent keep the image's old policy (EZZ8438I, issue
        # 10 §3): those in the image file and the image's policy files, and a policy file
        # that cannot be read (the chain has reported it as C501 where it is named).
        own = {str(pf.path) for pf in image.policy_files} | {str(image.image_path)}
        errors = [d for d in chain.diagnostics if d.effect is Effect.REJECT and d.loc.path in own]
        sources = []
        for pf in image.policy_files:
            if pf.path not in read:
                read[pf.path] = _read_named(pf, report, reported)
            src = read[pf.path]
            if src is not None:
                sources.append(src)
                continue
            # Unreadable: the C501 at the operand that names it rejects this image too,
            # wherever that operand is (issue 10 §3).
            have = {id(d) for d in errors}
            errors.extend(
                d for d in report.chain_diagnostics if d.loc == pf.named_at and id(d) not in have
            )
        if image.ttls is None:
            continue
        key = tuple(pf.path for pf in image.policy_files)
        if key in done:  # images that share their files share one policy: checked once
            report.policies.append(
                replace(done[key], label=image.image.name, chain_errors=list(errors))
            )
            continue
        _policy_for(sources, image.image.name, report, errors)
        done[key] = report.policies[-1]


def _reason(exc: Exception) -> str:
    """The end of a sentence that starts with a file's name."""
    if isinstance(exc, SourceError) and exc.strerror:
        return exc.strerror
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"cannot be read: {' '.join(why.split()) or type(exc).__name__}"


def _read_named(pf: PolicyFile, report: CheckReport, reported: set[SourceLoc]) -> SourceText | None:
    """A policy file the chain names, or None; C501 at the naming operand when the chain
    has not reported it already (it became unreadable, or it is not a text file)."""
    try:
        return read_source(shown(pf.path))
    except OSError as exc:
        if pf.named_at not in reported:
            report.chain_diagnostics.append(unreadable(pf, exc))
            reported.add(pf.named_at)
        return None


def unreadable(pf: PolicyFile, exc: Exception) -> Diagnostic:
    """The C501 for a policy file that could not be read, at the operand that names it.

    The same words as the chain's own C501s ("is a FIFO, not a regular file"): for every
    reader of the chain's files, the checker and the agent (PAGENT's log) alike.
    """
    what = "CommonTTLSConfig file" if pf.common else "TTLSConfig file"
    return Diagnostic.make(
        "C501", pf.named_at, f"{what} {pf.zos_path} {_reason(exc)} (looked for {pf.path})"
    )


def check_paths(paths: Sequence[Path], root: Path | None) -> CheckReport:
    """Check policy files and main configuration files. Raises OSError on unreadable input."""
    report = CheckReport()
    for path in paths:
        src = read_source(path)
        if looks_like_main_config(src.text):
            report.sources[src.path] = src.lines
            check_chain(load_chain(path, root or path.resolve().parent), report)
        else:
            _policy_for([src], str(path), report)
    return report
