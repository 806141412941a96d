"""Generate docs/diagnostics.md from the code table (:data:`pagent.policy.codes.CODES`).

Run ``python -m tools.gen_docs`` after changing a code, its meaning or a message that the
examples show; ``python -m tools.gen_docs --check`` exits 1 while docs/diagnostics.md is out
of date, and tests/tools/test_gen_docs.py runs that check.

The examples of the text and JSON forms are not typed in: the generator runs ``pagent
check`` on a small policy and pastes what it prints, so the document cannot drift from
the command.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from pagent.commands.check import run_check
from pagent.policy.codes import CODES, Code, Effect

TARGET = Path(__file__).resolve().parents[1] / "docs" / "diagnostics.md"


@dataclass(frozen=True, slots=True)
class Family:
    """One section of the document: the codes whose id starts with ``prefix``."""

    prefix: str
    heading: str
    intro: str


FAMILIES: tuple[Family, ...] = (
    Family(
        "E1",
        "E1xx: syntax and values (policy rejected)",
        "A line that does not have the form of the language, or a value that is not one of "
        "the parameter's documented values. For AT-TLS, any such error means that PAGENT "
        "installs **no new AT-TLS policy at all**: the stack keeps the policy it had "
        "(ttls-language.md §1.1). IBM documents which problems are such errors only in part: "
        "the evidence column says, code by code, where it does and where the rejection is "
        "pagent's estimate.",
    ),
    Family(
        "E2",
        "E2xx: references (statement discarded)",
        "A rule whose references do not resolve, or that breaks a cross-statement rule. "
        "PAGENT discards the rule and installs the rest; whether it instead refuses the "
        "whole AT-TLS policy is not documented ([fidelity F-039](fidelity.md#F-039)). "
        "`pagent check` exits 1 either way, since the rule cannot work.",
    ),
    Family(
        "W3",
        "W3xx: PAGENT ignores or overrides",
        "PAGENT accepts the file and installs the policy, but silently ignores or overrides "
        "something, or the construct is one whose handling by PAGENT is unconfirmed. These "
        "are the mistakes that only show up later, in `pasearch` or in a failed handshake.",
    ),
    Family(
        "L4",
        "L4xx: lint",
        "PAGENT is content; pagent thinks a person would want to know. These need the "
        "policy as a whole (rule order, references) and are found after it is built.",
    ),
    Family(
        "C5",
        "C5xx: configuration chain",
        "Problems in the main configuration file (`pagent.conf`) and the image files it "
        "names: which AT-TLS policy files each TCP/IP image gets (pagent-ops.md §1). A "
        "file that is missing (C501) or an operand that cannot be used (C506) is an error. "
        "In an image's own files (its image file, or naming its policy files) it means the "
        "image installs no new policy, and its verdict says so; in the main file it fails "
        "the check (exit 1) ([fidelity F-076](fidelity.md#F-076)).",
    ),
)

EFFECT_TEXT: dict[Effect, str] = {
    Effect.REJECT: "rejects: no new AT-TLS policy installed",
    Effect.DISCARD: "discards the statement (the rule), installs the rest",
    Effect.IGNORE: "installs; ignores or overrides this",
    Effect.LINT: "installs (lint only)",
}

# The policy the examples are made from: a dangling reference that differs from a real
# name only in case (E201), a misspelt parameter (W301), and the action it leaves unused
# (L402).
EXAMPLE_NAME = "policy.conf"
EXAMPLE_POLICY = """\
TTLSRule                  SrvRule
{
  LocalPortRange          8443
  Direction               Inbound
  TTLSGroupActionRef      gAct
  TTLSEnvironmentActionRef Env
}
TTLSGroupAction           GAct
{
  TTLSEnabled             On
}
TTLSEnvironmentAction     Env
{
  HandshakeRole           Server
  TTLSKeyringParms
  {
    Keyring               SRVUSER/SRVRING
  }
  TTLSEnvironmentAdvancedParms
  {
    TLSv1.2               On
    HandshakeTimout       30
  }
}
"""


def families_of(codes: Sequence[Code]) -> Iterator[tuple[Family, list[Code]]]:
    """Each family with its codes, in id order. Every code must belong to one family."""
    for code in codes:
        if not any(code.id.startswith(f.prefix) for f in FAMILIES):
            raise ValueError(f"code {code.id} belongs to no family of tools/gen_docs.py")
    for family in FAMILIES:
        yield family, sorted((c for c in codes if c.id.startswith(family.prefix)), key=_id)


def _id(code: Code) -> str:
    return code.id


def _cell(text: str) -> str:
    """Table cell text: one line, with the characters Markdown would act on escaped.

    ``*Ref`` must not start emphasis and ``<name>`` must not vanish as an HTML tag.
    """
    for raw, escaped in (("|", "\\|"), ("*", "\\*"), ("<", "&lt;"), (">", "&gt;")):
        text = text.replace(raw, escaped)
    return " ".join(text.split())


def _evidence(c: Code) -> str:
    """The evidence cell: the grade, what it rests on, and the citation or fidelity entry."""
    grade = c.grade
    if grade is None:
        return "—"
    source = grade.source
    for fid in sorted(set(re.findall(r"F-\d{3}", source)), reverse=True):
        source = source.replace(fid, f"[{fid}](fidelity.md#{fid})")
    return f"**{grade.evidence.value}**: {_cell(grade.basis)} ({source.replace('|', '/')})"


def code_table(codes: Sequence[Code]) -> list[str]:
    """The Markdown table of one family."""
    lines = [
        "| code | severity | what PAGENT does | evidence | title | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines.extend(
        f'| <a id="{c.id}"></a>`{c.id}` | {c.severity.value} | {_effect(c)} '
        f"| {_evidence(c)} | {_cell(c.title)} | {_cell(c.meaning)} |"
        for c in codes
    )
    return lines


def _effect(c: Code) -> str:
    """What PAGENT does; a chain error rejects only the image whose files hold it."""
    if c.id.startswith("C5") and c.effect is Effect.REJECT:
        return (
            "rejects the image's new AT-TLS policy when in the image's own files; fails the "
            "check (exit 1) anywhere"
        )
    return EFFECT_TEXT[c.effect]


@dataclass(frozen=True, slots=True)
class Example:
    """What ``pagent check`` printed for the example policy, in both forms."""

    text: str
    text_exit: int
    json: str
    json_exit: int


def run_example() -> Example:
    """Run ``pagent check`` (text, then ``--json``) on the example policy in a scratch dir."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        Path(EXAMPLE_NAME).write_text(EXAMPLE_POLICY, "utf-8")
        outputs: list[tuple[str, int]] = []
        for as_json in (False, True):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                code = run_check([Path(EXAMPLE_NAME)], None, as_json=as_json, strict=False)
            outputs.append((buf.getvalue(), code))
    (text, text_exit), (json_text, json_exit) = outputs
    return Example(text, text_exit, json_text, json_exit)


def _fenced(body: str, lang: str = "") -> list[str]:
    return [f"```{lang}", *body.rstrip("\n").split("\n"), "```"]


def intro(example: Example) -> list[str]:
    """Everything before the code tables: the output forms and the exit codes."""
    return [
        "# pagent diagnostics",
        "",
        "<!-- GENERATED by tools/gen_docs.py from pagent/policy/codes.py; do not edit. "
        "Run `python -m tools.gen_docs` to update. -->",
        "",
        "`pagent check` reads AT-TLS policy files, or a `pagent.conf` and its whole chain, "
        "and says what the z/OS Policy Agent (PAGENT) would do with them. Every finding has "
        "a code; this page lists them all. A code's **severity** follows from **what PAGENT "
        "does**: the codes where PAGENT rejects the policy or discards a statement are "
        "errors, the others warnings.",
        "",
        "| what PAGENT does | severity | meaning |",
        "| --- | --- | --- |",
        f"| {EFFECT_TEXT[Effect.REJECT]} | error | PAGENT logs an error and installs no new "
        "AT-TLS policy; the stack keeps the policy it had (JSON `effect`: `reject`). |",
        f"| {EFFECT_TEXT[Effect.DISCARD]} | error | PAGENT drops the statement, typically a "
        "rule whose references dangle (JSON `effect`: `discard`). |",
        f"| {EFFECT_TEXT[Effect.IGNORE]} | warning | PAGENT accepts the file but silently "
        "ignores or overrides something (JSON `effect`: `ignore`). |",
        f"| {EFFECT_TEXT[Effect.LINT]} | warning | PAGENT is content; pagent thinks a person "
        "would want to know (JSON `effect`: `lint`). |",
        "",
        "Each code also says how sure pagent is of **what PAGENT does** (its **evidence**, "
        "JSON `evidence`): **documented** (IBM documents the reaction; the citation says "
        "where), **observed** (real z/OS output shows it: the `pasearch -t` report of a z/OS "
        "3.1 system) or **estimate** (IBM documents the rule at most, not the reaction; the "
        "linked fidelity entry says why pagent chose it). Lint codes have none (JSON `null`). "
        "The verdict line says which kind decides it: `PAGENT would reject this policy "
        "(documented: E107 at ...)`, but `PAGENT would probably reject this policy (estimate: "
        "E108 at ..., IBM documents the range but not the reaction)`. The exit code does not "
        "depend on the evidence.",
        "",
        "How pagent reads a policy is in [policy-language.md](policy-language.md); every "
        "behaviour chosen where IBM's is not documented is in [fidelity.md](fidelity.md).",
        "",
        "## Text form",
        "",
        "One diagnostic per finding, in file order:",
        "",
        "```",
        "path:line:col: error|warning CODE: text",
        "  LINE | the source line",
        "       |      ^ (a caret under the column)",
        "  note: path:line:col: related place",
        "```",
        "",
        "`path` is the file as named on the command line (or, for the files of a "
        "configuration chain, relative to the current directory when inside it); `line` and "
        "`col` are 1-based, columns counting characters (a tab counts as one, and is shown "
        "as a blank). Some diagnostics add `note:` lines pointing at a related place, such "
        "as the earlier definition that a duplicate replaces. After the diagnostics, one "
        "verdict line per policy says what PAGENT would do with it: install all rules, "
        "install some and discard others, or reject it.",
        "",
        f"For example, `pagent check {EXAMPLE_NAME}` on this policy:",
        "",
        *_fenced(EXAMPLE_POLICY),
        "",
        f"prints (exit code {example.text_exit}):",
        "",
        *_fenced(example.text),
        "",
        "## JSON form",
        "",
        "`pagent check --json` prints one JSON document instead:",
        "",
        "| key | value |",
        "| --- | --- |",
        "| `exit` | the exit code the command returns |",
        "| `policies` | one object per policy PAGENT would build: for each image of a "
        "configuration chain, or for a policy file on its own |",
        "| `policies[].label` | the image name, or the file's path |",
        "| `policies[].files` | the files of the policy, in the order PAGENT reads them "
        "(CommonTTLSConfig file first) |",
        "| `policies[].installed` | `false` when PAGENT would reject the policy (an error "
        "whose effect is `reject`, in the policy or in the image's own configuration files) |",
        "| `policies[].verdict` | the verdict: `outcome` (`install`, `discard` or `reject`), "
        "`evidence` (`documented`, `observed` or `estimate` of the diagnostics that decide it; "
        "`null` for `install`), `codes` (their codes) and `text` (the verdict line) |",
        "| `policies[].rules` | the names of the rules PAGENT would install, in match order "
        "(Priority descending, then name) |",
        "| `policies[].discarded` | the names of the rules PAGENT would discard |",
        "| `configuration` | only when a rejecting error of the configuration chain is in "
        "no image's own files (a bad operand of pagent.conf): its `outcome` "
        "(`configuration`), `evidence`, `codes` and `text`; the check fails on it |",
        "| `expectations` | only with `--expect`: one object per expectation and policy, "
        "with `name`, `line`, `policy`, `passed`, `rule`, `actions`, `why` and `connection` |",
        "| `diagnostics` | every finding once, in file order |",
        "| `diagnostics[].path`, `.line`, `.col` | where, as in the text form |",
        "| `diagnostics[].severity` | `error` or `warning` |",
        "| `diagnostics[].code` | the code, for example `E201` |",
        "| `diagnostics[].effect` | `reject`, `discard`, `ignore` or `lint` |",
        "| `diagnostics[].evidence` | `documented`, `observed` or `estimate`: how sure "
        "pagent is of the effect; `null` for lint |",
        "| `diagnostics[].message` | the text |",
        "| `diagnostics[].related` | related places: objects with `path`, `line`, `col`, "
        "`message` (often empty) |",
        "",
        "These keys are stable. For the example above:",
        "",
        *_fenced(example.json, "json"),
        "",
        "## Exit codes",
        "",
        "| exit | when |",
        "| --- | --- |",
        "| 0 | PAGENT would install everything (warnings allowed) |",
        "| 1 | PAGENT would reject a policy or discard any statement (an error of effect "
        "`reject` or `discard`), or, with `--expect FILE`, an expectation fails |",
        "| 2 | usage error, or a file named on the command line cannot be read, or the "
        "`--expect` file is malformed (the message names its file, line and key) |",
        "",
        "With `--strict`, warnings fail the check too: exit 1 when there is any diagnostic "
        "at all. A file that a configuration chain names but that does not exist is not an "
        "exit-2 case: it is reported as `C501`.",
        "",
    ]


def render() -> str:
    """The whole document."""
    lines = intro(run_example())
    lines.append("## Codes")
    lines.append("")
    lines.append("Every code, by family. The anchor of a code is its id (`diagnostics.md#W301`).")
    lines.append("")
    for family, codes in families_of(list(CODES.values())):
        lines.append(f"### {family.heading}")
        lines.append("")
        lines.append(family.intro)
        lines.append("")
        lines.extend(code_table(codes))
        lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/diagnostics.md, or with --check exit 1 when it is out of date."""
    args = sys.argv[1:] if argv is None else list(argv)
    text = render()
    if "--check" in args:
        current = TARGET.read_text("utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET} is out of date: run python -m tools.gen_docs", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_text(text, "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
