"""syslog.conf: read the rules of a z/OS syslogd configuration file (pagent-ops.md §7.2).

One rule per line::

    condition[;condition...]  destination  [-F mode] [-D mode] [-N qualifier] [-X]

A condition is ``facility.priority`` or, for local messages, ``userid.jobname.facility.priority``
(option 1), or, for remote messages, ``(hostspec).facility.priority`` (option 2). The facility
is a name, ``*``, or several names joined by commas; the priority is a name (that priority
and every more severe one), ``*`` (all) or ``none`` (excludes the facility). The destination
is a z/OS file path, ``/dev/console`` or ``@host``. ``#`` starts a comment.

z/OS paths are mapped under a system root given by the caller: ``/var/x`` is ``ROOT/var/x``.
Every line that cannot be read gives a :class:`ConfError` naming the file and line, and is
left out; the other rules stand. This module reads files and does no other I/O.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pagent.syslogd.record import Facility, Priority

# Fidelity notes
# ==============
# §7.2 gives the rule syntax [DOC]; where it is silent:
# * A condition has 2 parts (facility.priority), 4 parts (userid.jobname.facility.priority) or
#   a parenthesised host spec and 2 parts; any other number of parts is an error.
# * ``*`` inside a user ID or job name (``TCPIP*``) is accepted as a wildcard for any
#   characters ([UNV] in §7.2, used by the reference's own example). Otherwise a user ID or
#   job name has 1 to 8 of the MVS name characters A-Z 0-9 @ # $ and is compared without
#   regard to case (MVS names are upper case).
# * Several facilities joined by commas (``mail,news.err``), the priority ``none``, and the
#   aliases of record.py are BSD syntax, not named by the reference. Linux's ``=prio`` and
#   ``!prio`` are refused.
# * ``#`` starts a comment at the start of a line or after a blank; syslogd's EBCDIC code
#   page (SYSLOGD_CODEPAGE) is not emulated: the file is read as UTF-8.
# * A destination must be an absolute path, ``/dev/console`` or ``@host``; MVS data set names
#   (``//'HLQ.X'``) are refused. ``..`` cannot climb above the root.
# * ``-F`` and ``-D`` take an octal mode of 3 or 4 digits and apply to file destinations only;
#   ``-N`` takes one word; ``-X`` stands alone. Each may appear once.
# * ``BeginArchiveParms`` blocks (§7.1) are not read: such a line is reported as an error.

CONSOLE: Final = "/dev/console"
"""The destination that is the MVS console (a file under the root unless the daemon is given
a console)."""

_NAME: Final = re.compile(r"[A-Z0-9@#$*]{1,8}", re.IGNORECASE)
_MODE: Final = re.compile(r"[0-7]{3,4}")
_HOSTSPEC: Final = re.compile(r"\((?P<host>[^()\s]+)\)\.(?P<rest>.+)")
_COMMENT: Final = re.compile(r"(?:^|(?<=\s))#")


@dataclass(frozen=True, slots=True)
class ConfError:
    """A line of syslog.conf that cannot be read; ``line`` 0 is the whole file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Selector:
    """One condition of a rule.

    ``facilities`` None is ``*`` (every facility). ``priority`` is the least severe priority
    that matches, None for ``none`` (the condition then excludes). ``userid`` and ``jobname``
    are patterns (``*`` matches anything); ``hostspec`` is set for a remote condition.
    """

    facilities: frozenset[Facility] | None
    priority: Priority | None
    userid: str = "*"
    jobname: str = "*"
    hostspec: str | None = None

    @property
    def excludes(self) -> bool:
        """True for a ``none`` condition."""
        return self.priority is None


@dataclass(frozen=True, slots=True)
class FileDest:
    """A file destination: the z/OS path as written and the file under the root."""

    zos: str
    path: Path

    @property
    def is_console(self) -> bool:
        """True for ``/dev/console``."""
        return self.zos == CONSOLE


@dataclass(frozen=True, slots=True)
class ForwardDest:
    """``@host``: forward to another syslogd."""

    host: str


Destination = FileDest | ForwardDest


@dataclass(frozen=True, slots=True)
class Rule:
    """One line of syslog.conf: its conditions, destination and options."""

    selectors: tuple[Selector, ...]
    destination: Destination
    line: int = field(compare=False)
    file_mode: int | None = None  # -F
    dir_mode: int | None = None  # -D
    archive: str | None = None  # -N qualifier
    empty_on_archive: bool = False  # -X


@dataclass(frozen=True, slots=True)
class SyslogConf:
    """A read configuration file: the rules that could be read and the errors of the others."""

    path: str
    rules: tuple[Rule, ...]
    errors: tuple[ConfError, ...]

    @property
    def ok(self) -> bool:
        """True when every line could be read."""
        return not self.errors


class _LineError(Exception):
    """A reason a line cannot be read; becomes a ConfError with the file and line."""


def zos_path(zos: str, root: Path) -> Path:
    """The file under ``root`` for an absolute z/OS path: ``/var/x`` -> ``ROOT/var/x``."""
    rel = posixpath.normpath("/" + zos).lstrip("/")
    return root / rel if rel else root


def load_conf(path: Path, root: Path) -> SyslogConf:
    """Read syslog.conf at ``path`` (a file of this machine); destinations map under ``root``.

    A file that cannot be read or is not UTF-8 gives one error and no rules.
    """
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return SyslogConf(name, (), (ConfError(name, 0, f"cannot read the file: {reason}"),))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return SyslogConf(name, (), (ConfError(name, line, "not UTF-8 text"),))
    return parse_conf(text, path=name, root=root)


def parse_conf(text: str, *, path: str, root: Path) -> SyslogConf:
    """Read the text of a syslog.conf; ``path`` names it in errors."""
    rules: list[Rule] = []
    errors: list[ConfError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            rule = parse_rule(line, number, root)
        except _LineError as exc:
            errors.append(ConfError(path, number, str(exc)))
            continue
        if rule is not None:
            rules.append(rule)
    return SyslogConf(path, tuple(rules), tuple(errors))


def parse_rule(line: str, number: int, root: Path) -> Rule | None:
    """One line as a rule; None for a blank or comment line. Raises _LineError."""
    m = _COMMENT.search(line)
    words = (line[: m.start()] if m else line).split()
    if not words:
        return None
    if words[0].lower() in {"beginarchiveparms", "endarchiveparms"}:
        raise _LineError(f"'{words[0]}' statements are not supported")
    if len(words) < 2:
        raise _LineError(f"rule '{words[0]}' has no destination")
    selectors = tuple(_selector(c, words[0]) for c in words[0].split(";"))
    destination = _destination(words[1], root)
    file_mode, dir_mode, archive, empty = _options(words[2:], destination)
    return Rule(selectors, destination, number, file_mode, dir_mode, archive, empty)


def _selector(cond: str, conds: str) -> Selector:
    if not cond:
        raise _LineError(f"empty condition in '{conds}'")
    hostspec = None
    m = _HOSTSPEC.fullmatch(cond)
    if m:
        hostspec, parts = m["host"], m["rest"].split(".")
        if len(parts) != 2:
            raise _LineError(f"condition '{cond}': expected (hostspec).facility.priority")
    else:
        parts = cond.split(".")
    if len(parts) == 2:
        userid = jobname = "*"
        fac, prio = parts
    elif len(parts) == 4:
        userid, jobname, fac, prio = parts
        _check_name(cond, "user ID", userid)
        _check_name(cond, "job name", jobname)
    else:
        raise _LineError(
            f"condition '{cond}' has {len(parts)} parts: expected facility.priority "
            "or userid.jobname.facility.priority"
        )
    return Selector(_facilities(cond, fac), _priority(cond, prio), userid, jobname, hostspec)


def _check_name(cond: str, what: str, name: str) -> None:
    if not _NAME.fullmatch(name):
        raise _LineError(
            f"condition '{cond}': '{name}' is not a {what} (1 to 8 of A-Z 0-9 @ # $, or *)"
        )


def _facilities(cond: str, text: str) -> frozenset[Facility] | None:
    names = text.split(",")
    if names == ["*"]:
        return None
    if "*" in names:
        raise _LineError(f"condition '{cond}': '*' cannot be listed with other facilities")
    try:
        return frozenset(Facility.parse(n) for n in names)
    except ValueError as exc:
        raise _LineError(f"condition '{cond}': {exc}") from None


def _priority(cond: str, text: str) -> Priority | None:
    key = text.lower()
    if key == "*":
        return Priority.DEBUG
    if key == "none":
        return None
    if key[:1] in {"=", "!"}:
        raise _LineError(f"condition '{cond}': '{text[0]}' before a priority is not supported")
    try:
        return Priority.parse(key)
    except ValueError as exc:
        raise _LineError(f"condition '{cond}': {exc}") from None


def _destination(word: str, root: Path) -> Destination:
    if word.startswith("@"):
        if len(word) == 1:
            raise _LineError("destination '@' names no host")
        return ForwardDest(word[1:])
    if word.startswith("//"):
        raise _LineError(f"destination '{word}': MVS data sets are not supported, give a file")
    if not word.startswith("/"):
        raise _LineError(f"destination '{word}' is not an absolute path, {CONSOLE} or @host")
    path = zos_path(word, root)
    if path == root:
        raise _LineError(f"destination '{word}' is a directory")
    return FileDest(word, path)


def _options(
    words: list[str], destination: Destination
) -> tuple[int | None, int | None, str | None, bool]:
    """The options after the destination: (-F mode, -D mode, -N qualifier, -X)."""
    modes: dict[str, int] = {}
    archive: str | None = None
    empty = False
    seen: set[str] = set()
    i = 0
    while i < len(words):
        opt = words[i]
        if opt not in {"-F", "-D", "-N", "-X"}:
            raise _LineError(f"unknown option '{opt}' (expected -F, -D, -N or -X)")
        if opt in seen:
            raise _LineError(f"option {opt} given twice")
        seen.add(opt)
        if opt in {"-F", "-D"} and not isinstance(destination, FileDest):
            raise _LineError(f"option {opt} applies to file destinations only")
        if opt == "-X":
            empty = True
            i += 1
            continue
        value = words[i + 1] if i + 1 < len(words) else ""
        if not value or value.startswith("-"):
            raise _LineError(f"option {opt} needs a value")
        if opt == "-N":
            archive = value
        elif _MODE.fullmatch(value):
            modes[opt] = int(value, 8)
        else:
            raise _LineError(f"option {opt} needs an octal mode such as 640, not '{value}'")
        i += 2
    return modes.get("-F"), modes.get("-D"), archive, empty
