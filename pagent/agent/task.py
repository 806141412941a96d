"""The PAGENT started task: read the configuration chain and install policies into stacks.

What it does follows pagent-ops.md §1-§3 and the workshop's capture (§0.1, §8):

* ``start``: EZZ8431I, the ``main:`` environment lines, then for each image the
  ``_profile:`` lines and one ``Processing: 'STATEMENT name'`` line per statement, the
  ``Processing TTLS ... action`` lines, then EZD1579I while the stack is NOTTLS,
  EZZ8771I for QOS and TTLS, and EZD1586I, in the workshop's order;
* a policy with errors gives EZZ8438I with the diagnostics in the log, and the installed
  policy stays in force, unchanged (parse, validate, diff, swap: a failed refresh changes
  nothing);
* FLUSH replaces the stack's policy at start and REFRESH; NOFLUSH keeps statements that
  left the file (§1.4); an update installs only when the effective policy changed, and says
  so when it did not (issue 3);
* ``stop``: PURGE removes the policy from the stack (EZZ8773I), NOPURGE leaves it
  (EZZ8774I), for TTLS and for QOS (reported even without QoS policy, §2.3).

It owns no threads, sockets or clocks: the service calls it, and every line it writes goes
to the ``out`` callable as an :class:`Output`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pagent.agent import loglevel
from pagent.agent.loglevel import LINE_CATEGORY, LogLevel
from pagent.agent.reuse import FileOrder, LineTexts, Members, differences, left
from pagent.messages import format_message, formatter
from pagent.policy.build import BuiltFile
from pagent.policy.chain import Chain, ImageConfig, MainConfig, load_chain, resolve_zos_path
from pagent.policy.check import unreadable
from pagent.policy.codes import Effect, Severity
from pagent.policy.diagnostics import Diagnostic, render_text
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy, merge
from pagent.policy.source import SourceText, read_source

CONFIG_FILE = "/etc/pagent.conf"  # PAGENT_CONFIG_FILE's default (pagent-ops §1.1)
COMPILED = ("Sep 26 2016", "18:37:59")  # the workshop's build stamp (§0.1)
_T = TypeVar("_T")


class StackPort(Protocol):
    """What PAGENT needs of a TCP/IP stack."""

    name: str

    @property
    def ttls(self) -> bool:
        """Whether the stack has AT-TLS on (TCPCONFIG TTLS)."""

    def install_policy(self, policy: Policy) -> None:
        """Install an AT-TLS policy (replacing the one installed)."""

    def remove_policy(self) -> None:
        """Remove the installed AT-TLS policy (purge)."""


@dataclass(frozen=True, slots=True)
class Output:
    """One line PAGENT writes: to the console and the log, or to the log only."""

    text: str
    console: bool
    category: LogLevel
    shown_in_log: bool  # whether the LogLevel in force lets it into the log


@dataclass(slots=True)
class _Image:
    """What PAGENT keeps per image."""

    cache: PolicyCache = field(default_factory=PolicyCache)
    installed: Members | None = None
    order: FileOrder = field(default_factory=FileOrder)  # of the last policy read


@dataclass(frozen=True, slots=True)
class InstallResult:
    """What one image's install did."""

    image: str
    ok: bool
    changed: bool


def _keep_removed(installed: Members, new: Members) -> Members:
    """NOFLUSH: the new policy plus the installed statements that left the files (§1.4)."""
    kept = left(installed, new)
    if not kept:
        return new
    statements = [*kept, *new.statements]
    return Members(merge([BuiltFile(path="(installed)", statements=statements)]))


class PolicyAgent:
    """The PAGENT task of one system image."""

    def __init__(
        self,
        *,
        root: Path,
        stacks: Mapping[str, StackPort],
        out: Callable[[Output], None],
        clock: Callable[[], datetime],
        config_file: str = CONFIG_FILE,
        environment: Mapping[str, str] | None = None,
        out_block: Callable[[list[str], LogLevel, bool], None] | None = None,
        files_read: Callable[[], None] = lambda: None,
        discard: Callable[[list[object]], None] = lambda objects: None,
    ) -> None:
        self.root = root
        # What P PAGENT lets go of (a large policy's cache and installed state) is handed
        # here: the service frees it a slice at a time, off its event loop (issue 13 §1).
        self._discard = discard
        self.stacks = stacks
        self._out = out
        self.clock = clock
        self.config_file = config_file
        self.environment = dict(
            environment
            or {
                "_CEE_ENVFILE_S": "DD:STDENV",
                "LIBPATH": "/usr/lib:.",
                "PAGENT_CONFIG_FILE": config_file,
                "PAGENT_LOG_FILE": "SYSLOGD",
                "TZ": "EST5EDT",
                "GSK_TRACE": "0xFFFF",
            }  # the workshop's STDENV, as its start log lists it (pagent-ops §0.1, issue 13)
        )
        self.active = False
        self.log_level = loglevel.DEFAULT
        self.debug_level = 0
        self.trace_level = 0
        self.main: MainConfig | None = None
        self.files: tuple[Path, ...] = ()
        self._images: dict[str, _Image] = {}
        # Many log-only lines of one category at once, and whether all are printable.
        self._out_block = out_block
        # Called once the chain is read, before the refresh's last console message: a
        # client that sees EZD1586I (or EZZ8438I) knows the service watches the new files.
        self._files_read = files_read
        self._texts: dict[str, LineTexts[Any]] = {}  # _log_each's lines, by message

    # --- output ---------------------------------------------------------------------------
    def _emit(self, text: str, kind: str, *, console: bool = False) -> None:
        category = LINE_CATEGORY[kind]
        mask = loglevel.effective(self.log_level, self.debug_level)
        self._out(Output(text, console, category, bool(mask & category)))

    def _console(self, msg_id: str, *, log_prefix: str = "", **fields: object) -> None:
        self._emit(f"{log_prefix}{format_message(msg_id, **fields)}", "console", console=True)

    def _log(self, msg_id: str, kind: str, **fields: object) -> None:
        self._emit(format_message(msg_id, **fields), kind)

    def _log_each(
        self,
        msg_id: str,
        kind: str,
        items: Sequence[_T],
        fields: Callable[[_T], dict[str, object]],
    ) -> None:
        """One log line per item, for the lines written per statement: at LogLevel 511 a
        policy of 50,000 rules makes half a million of them (issue 13 §1).

        Nothing is made of lines the LogLevel in force keeps out of the log. A statement
        that a refresh reuses (the incremental build keeps unchanged ones) keeps the line
        made for it last time (:class:`pagent.agent.reuse.LineTexts`). With ``out_block``
        the lines go out as one block.
        """
        category = LINE_CATEGORY[kind]
        if not loglevel.effective(self.log_level, self.debug_level) & category:
            return
        lines = self._texts.get(msg_id)
        if lines is None:
            fmt = formatter(msg_id)
            lines = self._texts[msg_id] = LineTexts(lambda item: fmt(**fields(item)))
        texts = lines.texts(items)
        if self._out_block is not None:
            self._out_block(texts, category, lines.printable)
        else:
            for text in texts:
                self._out(Output(text, False, category, True))

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> bool:
        """S PAGENT. False when PAGENT could not start (EZZ8434I was issued)."""
        self._console("EZZ8431I", log_prefix="main: ")
        chain = self._read_chain()
        if chain is None:
            self._console("EZZ8434I", log_prefix="main: ")
            return False
        self.active = True
        main = chain.main
        self.log_level = main.log_level if main is not None else loglevel.DEFAULT
        self._log("PAGENT.LOG.MAIN.COMPILED", "environment", date=COMPILED[0], time=COMPILED[1])
        self._log(
            "PAGENT.LOG.MAIN.USE_ENVIRONMENT",
            "environment",
            variable="PAGENT_CONFIG_FILE",
            value=self.config_file,
        )
        self._log("PAGENT.LOG.MAIN.LIST_ENVIRONMENT", "environment")
        for name, value in self.environment.items():
            self._log("PAGENT.LOG.MAIN.EXPORT", "environment", variable=name, value=value)
        codepage = main.codepage if main is not None else "IBM-1047"
        self._log("PAGENT.LOG.MAIN.CODE_PAGE", "environment", codepage=codepage)
        self._log("PAGENT.LOG.MAIN.LOG_LEVEL", "environment", level=self.log_level)
        self._console("EZZ8432I", log_prefix="main: ")
        self._apply(chain, phase="start")
        return True

    def stop(self, *, cancel: bool = False) -> None:
        """P PAGENT (purge processing per image), or C PAGENT (none, pagent-ops §2.3)."""
        if not cancel and self.main is not None:
            for image in self.main.images:
                stack = self.stacks.get(image.image.name)
                purge = image.ttls.purge if image.ttls is not None else image.image.purge
                for policy_type, do_purge in (("QOS", image.image.purge), ("TTLS", purge)):
                    if do_purge:
                        if policy_type == "TTLS" and stack is not None:
                            stack.remove_policy()
                        self._console("EZZ8773I", image=image.image.name, type=policy_type)
                    else:
                        self._console("EZZ8774I", image=image.image.name, type=policy_type)
            self._console("EZZ8433I")
        self.active = False
        dropped: list[object] = list(self._images.values())
        self._images.clear()
        self._discard(dropped)

    # --- MODIFY ---------------------------------------------------------------------------
    def modify(self, action: str, level: int | None = None) -> list[str]:
        """F PAGENT,action[,LEVEL=n]: the solicited response lines."""
        act = action.upper()
        if act in ("REFRESH", "UPDATE"):
            lines = [format_message("EZZ8443I")]
            self.refresh(update=act == "UPDATE")
            return lines
        if act in ("LOGLEVEL", "DEBUG", "TRACE"):
            if level is not None:  # a missing LEVEL= leaves the value as it is (§2.4)
                setattr(self, {"LOGLEVEL": "log_level", "DEBUG": "debug_level",
                               "TRACE": "trace_level"}[act], level)  # fmt: skip
            return [format_message("EZZ8443I")]
        if act == "QUERY":
            return [
                format_message(
                    "EZZ8445I",
                    loglevel=self.log_level,
                    debug=self.debug_level,
                    trace=self.trace_level,
                )
            ]
        return [format_message("EZZ8444I")]

    def refresh(self, *, update: bool) -> None:
        """Re-read everything: REFRESH (FLUSH as at start) or UPDATE (install what changed)."""
        chain = self._read_chain()
        if chain is None:  # said why; every image keeps its policy, as with policy errors
            self._files_read()
            self._keep_all(self.main.images if self.main is not None else ())
            return
        self._apply(chain, phase="update" if update else "refresh")

    def _read_chain(self) -> Chain | None:
        """The configuration chain, or None (logged) when the main file cannot be read."""
        try:
            return load_chain(resolve_zos_path(self.config_file, self.root), self.root)
        except (OSError, ValueError, RuntimeError) as exc:  # what the file system raises
            self._emit(f"main: cannot read {self.config_file}: {_reason(exc)}", "error")
            return None

    def _zos(self, d: Diagnostic, images: Iterable[ImageConfig]) -> str:
        """The z/OS name of the file a diagnostic is in (an image file, or pagent.conf)."""
        for image in images:
            if image.image_path is not None and str(image.image_path) == d.loc.path:
                return image.image.image_file or d.loc.path
        return self.config_file

    def _keep_all(self, images: Iterable[ImageConfig]) -> None:
        """A refresh that cannot use the configuration: EZZ8438I, and every image keeps
        its installed policy (no EZD1586I), as a refresh with policy errors does."""
        for image in images:
            name = image.image.name
            self._console("EZZ8438I", image=name, type="TTLS")
            self._log("PAGENT.LOG.POLICY.KEPT", "error", image=name)

    @property
    def refresh_interval(self) -> int:
        """Seconds between PAGENT's own re-checks (the smallest TcpImage interval, §1.3)."""
        return self.main.refresh_interval if self.main is not None else 1800

    # --- install --------------------------------------------------------------------------
    def _apply(self, chain: Chain, *, phase: str) -> None:
        self.files = chain.files  # watched even when refused: a later fix is seen
        previous = self.main
        if chain.main is None:
            return
        # Issue 13 §5: the chain's diagnostics are logged at every reading, not only at the
        # first start. Errors in an image's own files are logged with its EZZ8438I instead.
        images = chain.main.images
        for d in chain.diagnostics:
            if d.code.id == "C504":  # PAGENT's own WARNING:005 line (pagent-ops §1.2)
                self._log("PAGENT.LOG.PROFILE.NO_STATEMENTS", "warning", path=self._zos(d, images))
            elif not (_is_error(d) and any(_belongs(d, image) for image in images)):
                self._emit(d.headline(), "error" if _is_error(d) else "warning")
        if phase != "start" and _main_file_broken(chain.main, chain.diagnostics):
            self._files_read()
            self._keep_all(previous.images if previous is not None else chain.main.images)
            return
        self.main = chain.main
        self.log_level = chain.main.log_level
        results = [
            self._install_image(image, chain.diagnostics, phase) for image in chain.main.images
        ]
        self._files_read()
        for result in results:
            # An update that installed nothing announces nothing (issue 13 §11).
            if result.ok and (result.changed or phase != "update"):
                self._console("EZD1586I", image=result.image)
        self._log("PAGENT.LOG.MAIN_CONFIG_UPDATED", "profile")

    def _install_image(
        self, image: ImageConfig, chain_diags: Iterable[Diagnostic], phase: str
    ) -> InstallResult:
        name = image.image.name
        state = self._images.setdefault(name, _Image())
        stack = self.stacks.get(name)
        if image.ttls is None:
            self._console("EZZ8771I", image=name, type="QOS")
            return InstallResult(name, ok=True, changed=False)
        sources: list[SourceText] = []
        errors: list[Diagnostic] = []
        errors.extend(d for d in chain_diags if _is_error(d) and _belongs(d, image))
        reported = {d.loc for d in errors if d.code.id == "C501"}
        for pf in image.policy_files:
            self._log("PAGENT.LOG.PROFILE.TTLS_BEGIN", "profile", path=pf.zos_path)
            if pf.named_at in reported:
                continue  # the chain said it is missing or no file: once is enough, and a
                # FIFO or a directory there is never opened
            try:
                sources.append(read_source(pf.path))
            except (OSError, ValueError, RuntimeError) as exc:  # what the file system raises
                errors.append(unreadable(pf, exc))  # pagent check's words (issue 13)
        try:
            policy = state.cache.load(sources)
        except (OSError, ValueError, RuntimeError) as exc:
            at = image.policy_files[0].named_at if image.policy_files else image.image.loc
            errors.append(Diagnostic.make("C501", at, f"cannot use the policy: {_reason(exc)}"))
            policy = state.cache.load([])
        members = Members(policy)
        self._log_each(
            "PAGENT.LOG.POLICY.STATEMENT",
            "profile",
            state.order.of(members),
            lambda s: {"statement": s.KEYWORD, "name": s.name},
        )
        self._log("PAGENT.LOG.PROFILE.TTLS_END", "profile")
        problems = [*errors, *(d for d in policy.diagnostics if d.effect is not Effect.LINT)]
        if errors or policy.rejected:
            self._console("EZZ8438I", image=name, type="TTLS")
            lines = {s.path: s.lines for s in sources}
            for text in render_text(problems, lines).splitlines():
                self._log("PAGENT.LOG.POLICY.ERROR", "error", text=text)
            self._log("PAGENT.LOG.POLICY.KEPT", "error", image=name)
            return InstallResult(name, ok=False, changed=False)
        for d in problems:
            self._log("PAGENT.LOG.POLICY.ERROR", "warning", text=d.headline())
        for kind, msg_id in (
            ("TTLSGroupAction", "PAGENT.LOG.TTLS.GROUP_ACTION"),
            ("TTLSConnectionAction", "PAGENT.LOG.TTLS.CONNECTION_ACTION"),
            ("TTLSEnvironmentAction", "PAGENT.LOG.TTLS.ENVIRONMENT_ACTION"),
        ):
            actions = list(policy.by_type.get(kind, {}).values())
            self._log_each(msg_id, "action", actions, lambda a: {"name": a.name})
        self._log_each("PAGENT.LOG.TTLS.RULE", "action", policy.rules, lambda r: {"name": r.name})
        flush = image.ttls.flush
        installed = state.installed
        new = members if flush or installed is None else _keep_removed(installed, members)
        if installed is not None and installed.policy.rules and not new.policy.rules:
            # Issue 13 §10: a file truncated by a failed copy leaves no AT-TLS protection.
            files = ", ".join(pf.zos_path for pf in image.policy_files)
            self._log("PAGENT.LOG.TTLS.NO_RULES", "warning", image=name, files=files)
        changed = self._swap(name, state, stack, new, phase)
        if stack is not None and not stack.ttls:
            self._console("EZD1579I", image=name, type="TTLS")
        self._console("EZZ8771I", image=name, type="QOS")
        self._console("EZZ8771I", image=name, type="TTLS")
        return InstallResult(name, ok=True, changed=changed)

    def _swap(
        self, name: str, state: _Image, stack: StackPort | None, new: Members, phase: str
    ) -> bool:
        """Diff against the installed policy, then swap it in; False when nothing changed."""
        old = state.installed
        if old is not None:
            added, changed, removed = differences(old, new)
            if phase == "update" and not (added or changed or removed):
                self._log("PAGENT.LOG.TTLS.UNCHANGED", "change", image=name)
                return False
            self._log(
                "PAGENT.LOG.TTLS.CHANGES",
                "change",
                image=name,
                added=added,
                changed=changed,
                removed=removed,
            )
        state.installed = new
        if stack is not None:
            stack.install_policy(new.policy)
        return True

    def installed(self, image: str) -> Policy | None:
        """The AT-TLS policy PAGENT installed for an image (for pasearch)."""
        state = self._images.get(image)
        return state.installed.policy if state is not None and state.installed else None


def _belongs(d: Diagnostic, image: ImageConfig) -> bool:
    """Whether a chain diagnostic is the image's own: in its image file or policy files,
    or at the operand that names one of its policy files (a C501 for a missing file)."""
    paths = {str(pf.path) for pf in image.policy_files}
    if image.image_path is not None:
        paths.add(str(image.image_path))
    return d.loc.path in paths or any(d.loc == pf.named_at for pf in image.policy_files)


def _main_file_broken(main: MainConfig, diagnostics: Iterable[Diagnostic]) -> bool:
    """Whether the main file has errors of its own, or holds no recognizable statement
    (binary, or a policy file): then a refresh keeps every installed policy (issue 13 §5)."""
    for d in diagnostics:
        if any(_belongs(d, image) for image in main.images):
            continue
        if _is_error(d) or (d.code.id == "C504" and d.loc.path == str(main.path)):
            return True
    return False


def _reason(exc: BaseException) -> str:
    """An exception of the file system as one line: its strerror, or its text."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__


def _is_error(d: Diagnostic) -> bool:
    return d.severity is Severity.ERROR
