"""The MVS operator command parser: one console line in, one typed command (or its rejection) out.

:func:`parse` reads a command line as the z/OS console does and returns a frozen command object
(:data:`Command`) or a :class:`CommandError` holding the console's response lines. It knows the
commands pagent emulates (reference ``shared/reference/pagent-ops.md`` §2, §4):

* ``S|START PAGENT[,key=value]...``, ``P|STOP PAGENT``, ``C|CANCEL PAGENT``;
* ``F|MODIFY PAGENT,REFRESH|UPDATE|QUERY|LOGLEVEL[,LEVEL=n]|DEBUG[,LEVEL=n]|TRACE[,LEVEL=n]``
  (and ``F jobname,parameters`` for other tasks, whose parameters that task judges);
* ``D|DISPLAY TCPIP`` and ``D TCPIP,[name],NETSTAT|N,CONFIG|TTLS[,GROUP|,CONN,id[,DETAIL]]``;
* ``V|VARY TCPIP,[name],OBEY|OBEYFILE|O|CMD=OBEYFILE,dsn|'dsn'|DSN=dsn``;
* ``HELP|H [verb]``, the console's own help (not an IBM command).

It also exports the vocabulary a completer needs (:data:`VERBS`, :data:`KEYWORDS_AFTER`,
:func:`completion_key`). The parser does no I/O and knows no state: whether a task is active,
which stacks exist and whether a data set exists are the service's business.

Syntax (pagent-ops §2.1, ecosystem-anchors §2.4 and §2.6): the verb, in any case, is
separated from the operands by one or more blanks; operands are separated by commas; a part
in single quotes keeps its case, commas and blanks (``''`` inside quotes is one quote);
everything outside quotes is folded to upper case; a blank outside quotes ends the operands
and the rest of the line is a comment, which is dropped.

The choices made where the reference is silent are listed in the comment block below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pagent.messages import format_message

__all__ = [
    "ABBREVIATIONS",
    "CONN_ID",
    "DATASET",
    "KEYWORDS_AFTER",
    "MODIFY_ACTIONS",
    "PAGENT",
    "RACF_COMMANDS",
    "STACK",
    "TARGETS",
    "VERBS",
    "CancelCommand",
    "Command",
    "CommandError",
    "DisplayTcpip",
    "Help",
    "ModifyCommand",
    "StartCommand",
    "StopCommand",
    "VaryObey",
    "completion_key",
    "parse",
]

# --- vocabulary ---------------------------------------------------------------------------

# pagent-ops §2.1 [DOC]: the verbs and their one-letter short forms. HELP/H is the console's.
ABBREVIATIONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "START": "S",
        "STOP": "P",
        "MODIFY": "F",
        "DISPLAY": "D",
        "VARY": "V",
        "CANCEL": "C",
        "HELP": "H",
    }
)
"""Each verb's full name → its short form."""

RACF_COMMANDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "RACDCERT": "certificates and key rings (GENCERT, ADDRING, CONNECT, LISTRING ...)",
        "PERMIT": "access to a FACILITY profile (IRR.DIGTCERT.LISTRING ...)",
        "SETROPTS": "RACF options: RACLIST(...) REFRESH",
        "SETR": "SETROPTS",
        "CONNECT": "connect a user to a group",
    }
)
"""RACF commands the console takes besides the MVS verbs; the SAF store answers them
(issue 5 §1). :func:`parse` does not parse them: the system hands them to RACF."""

VERBS: Final[Mapping[str, str]] = MappingProxyType(
    {spelling: verb for verb, short in ABBREVIATIONS.items() for spelling in (verb, short)}
)
"""Every accepted spelling of a verb (upper case) → the verb's full name."""

PAGENT: Final = "PAGENT"
"""The Policy Agent's started-task name; MODIFY parameters are checked for this task only."""

TCPIP: Final = "TCPIP"

TARGETS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "START": (PAGENT,),
        "STOP": (PAGENT,),
        "CANCEL": (PAGENT,),
        "MODIFY": (PAGENT,),
        "DISPLAY": (TCPIP,),
        "VARY": (TCPIP,),
    }
)
"""The first operand each verb is used with here (pagent-ops §2.1 table)."""

# pagent-ops §2.4 [DOC]. MEMTRC, SRVLSTN and MON are documented but not emulated: PAGENT
# here rejects them like any unknown keyword.
MODIFY_ACTIONS: Final[tuple[str, ...]] = (
    "REFRESH",
    "UPDATE",
    "QUERY",
    "LOGLEVEL",
    "DEBUG",
    "TRACE",
)
_LEVEL_ACTIONS: Final = frozenset({"LOGLEVEL", "DEBUG", "TRACE"})
_MAX_LEVEL: Final = 2**31 - 1

# Placeholders in KEYWORDS_AFTER for words the completer fills in from the live system.
STACK: Final = "<stack>"
"""A TCP/IP stack name, or nothing (``D TCPIP,,N,TTLS``)."""
DATASET: Final = "<dataset>"
"""An OBEY data set name such as ``SYS1.TCPPARMS(TTLS)``."""
CONN_ID: Final = "<connid>"
"""A connection ID in hex, as NETSTAT shows it."""

_FULL_VERBS: Final = ("START", "STOP", "MODIFY", "DISPLAY", "VARY", "CANCEL", "HELP")

KEYWORDS_AFTER: Final[Mapping[tuple[str, ...], tuple[str, ...]]] = MappingProxyType(
    {
        (): tuple(s for verb in _FULL_VERBS for s in (verb, ABBREVIATIONS[verb])),
        ("START",): (PAGENT,),
        ("STOP",): (PAGENT,),
        ("CANCEL",): (PAGENT,),
        ("MODIFY",): (PAGENT,),
        ("MODIFY", PAGENT): MODIFY_ACTIONS,
        ("MODIFY", PAGENT, "LOGLEVEL"): ("LEVEL=",),
        ("MODIFY", PAGENT, "DEBUG"): ("LEVEL=",),
        ("MODIFY", PAGENT, "TRACE"): ("LEVEL=",),
        ("DISPLAY",): (TCPIP,),
        ("DISPLAY", TCPIP): (STACK,),
        ("DISPLAY", TCPIP, STACK): ("NETSTAT", "N"),
        ("DISPLAY", TCPIP, STACK, "NETSTAT"): ("CONFIG", "TTLS"),
        ("DISPLAY", TCPIP, STACK, "NETSTAT", "TTLS"): ("CONN", "GROUP"),
        ("DISPLAY", TCPIP, STACK, "NETSTAT", "TTLS", "CONN"): (CONN_ID,),
        ("DISPLAY", TCPIP, STACK, "NETSTAT", "TTLS", "CONN", CONN_ID): ("DETAIL",),
        ("VARY",): (TCPIP,),
        ("VARY", TCPIP): (STACK,),
        ("VARY", TCPIP, STACK): ("OBEY", "OBEYFILE", "O"),
        ("VARY", TCPIP, STACK, "OBEY"): (DATASET, "DSN="),
        ("HELP",): _FULL_VERBS[:-1],
    }
)
"""Canonical prefix → the words that may follow it.

A prefix is the full verb followed by the operands typed so far, each in its canonical
spelling (``N`` → ``NETSTAT``, ``O``/``OBEYFILE`` → ``OBEY``) or as a placeholder
(:data:`STACK`, :data:`DATASET`, :data:`CONN_ID`). The empty prefix lists the verbs; the
words after a verb are its operands, joined by commas. Use :func:`completion_key` to turn
a typed line into a prefix.
"""

_CANONICAL_WORD: Final[Mapping[str, str]] = MappingProxyType(
    {"N": "NETSTAT", "O": "OBEY", "OBEYFILE": "OBEY", **VERBS}
)
_PLACEHOLDERS: Final = (STACK, DATASET, CONN_ID)


# Choices where the reference is silent (one line each; candidates for docs/fidelity.md)
# ======================================================================================
# * Comment: a blank outside quotes ends the operands; the rest of the line is dropped (MVS
#   command syntax; the workshop's "V TCPIP,, OBEY, SYS1. TCPPARMS(TTLS)" is PDF spacing).
# * Folding: only a-z are upper-cased (the console folds EBCDIC letters, not Unicode ones).
# * Tabs count as blanks; any other control character makes the line invalid (IEE305I).
# * Commas inside parentheses do not split operands; an open quote or parenthesis is IEE305I.
# * A blank line is no command: a CommandError with no response lines (nothing is shown).
# * The verb ends at a blank only: "S,PAGENT" is the unknown verb "S,PAGENT" (IEE305I).
# * IEE305I shows the verb as typed, upper-cased (like "$D" in §2.1); IEE535I shows the
#   verb's full name (like "DISPLAY" in §2.1).
# * A missing required operand is IEE305I; an operand present but not understood (unknown
#   target, keyword or value, one operand too many) is IEE535I.
# * Task names: 1-8 of A-Z 0-9 @ # $, not starting with a digit; not quoted; no
#   "proc.identifier" form.
# * START keeps key=value operands in order, the value unquoted and its case kept inside
#   quotes; a positional operand or a repeated key is IEE535I. JOBNAME= is only kept.
# * STOP and CANCEL take the task name only (no A=asid, no DUMP): more is IEE535I.
# * MODIFY parameters are checked for PAGENT only; another task gets them unchecked (the
#   stack answers EZZ3250I, syslogd its FSUM125x: the service's business).
# * An unknown or malformed PAGENT MODIFY is EZZ8444I, PAGENT's own answer (rejected_by), so
#   a PAGENT that is not active gets IEE341I instead.
# * LEVEL= is optional for LOGLEVEL/DEBUG/TRACE, and "LEVEL=" without a value means the same
#   (§2.4: a missing value leaves the level unchanged); a value is 1-10 decimal digits, at
#   most 2147483647.
# * MEMTRC, SRVLSTN and MON (§2.4) are not emulated: EZZ8444I.
# * D TCPIP with any operand after TCPIP needs NETSTAT|N and CONFIG|TTLS ("D TCPIP,TCPIP1"
#   alone is IEE305I). TTLS,GROUP is the default report spelled out (§4.2); DETAIL is taken
#   only after CONN,id; CONN before DETAIL although §4.2 marks the order [UNV].
# * A connection ID is 1-8 hex digits, as NETSTAT and EZD1281I show it (00001E0C).
# * VARY takes OBEY, OBEYFILE, O and CMD=OBEYFILE (§4.5); SYNTAXCHECK is not emulated
#   (IEE535I). keyword_used is that keyword as typed, dsn_keyword says whether DSN= was used.
# * The OBEY data set is an MVS name (quoted or not, or after DSN=), upper-cased and checked
#   (qualifiers of 1-8, at most 44 characters, optional member): a quoted name is the same
#   name, as the console adds no prefix.
# * HELP and H, with an optional verb, are the console's help (not taken from IBM).
# * echo() is the verb's full name, a blank and the operands as typed, folded outside quotes,
#   without the comment: EZZ0060I's "VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)" for the typed
#   "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)" (seed workshop step 8); the operands are not
#   expanded (§4.5 shows "VARY TCPIP,TCPIP1,O,...").

# --- result types -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _Command:
    text: str
    """The command as typed, without surrounding blanks."""

    def echo(self) -> str:
        """The command as the system echoes it: full verb, operands folded, no comment.

        EZZ0060I shows ``VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)`` for the typed
        ``V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)`` (seed workshop step 8; pagent-ops §0.1, §4.5).
        """
        return _canonical(self.text)


@dataclass(frozen=True, slots=True, kw_only=True)
class StartCommand(_Command):
    """``S task[,key=value]...``: start a started task."""

    task: str
    keywords: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class StopCommand(_Command):
    """``P task``: stop a task normally (PAGENT purges per PURGE/NOPURGE, pagent-ops §2.3)."""

    task: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelCommand(_Command):
    """``C task``: end a task at once, without purge processing (pagent-ops §2.3)."""

    task: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ModifyCommand(_Command):
    """``F task,action[,...]``.

    For PAGENT, ``action`` is one of :data:`MODIFY_ACTIONS` and ``level`` the ``LEVEL=`` value
    of LOGLEVEL, DEBUG or TRACE (None: not given, the level stays); ``parameters`` is empty.
    For another task, ``action`` is its first parameter and ``parameters`` the rest, unchecked.
    """

    task: str
    action: str
    level: int | None = None
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DisplayTcpip(_Command):
    """``D TCPIP`` (``report`` None: EZAOP50I) or ``D TCPIP,[stack],NETSTAT,report...``.

    ``stack`` is None when the name is left out; ``report`` is ``CONFIG`` or ``TTLS``;
    ``conn_id`` is the connection of ``TTLS,CONN,id`` and ``detail`` its ``DETAIL``;
    ``group`` is ``TTLS,GROUP`` (the group summary; plain ``TTLS`` lists the connections).
    """

    stack: str | None = None
    report: str | None = None
    conn_id: int | None = None
    detail: bool = False
    group: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class VaryObey(_Command):
    """``V TCPIP,[stack],OBEY,dsn``: process an OBEY data set (pagent-ops §4.5).

    ``dataset`` is the bare upper-case name (``SYS1.TCPPARMS(TTLS)``, no quotes);
    ``keyword_used`` the OBEY keyword as typed (``OBEY``, ``OBEYFILE``, ``O`` or
    ``CMD=OBEYFILE``); ``dsn_keyword`` whether the data set was given as ``DSN=``.
    """

    stack: str | None
    dataset: str
    keyword_used: str
    dsn_keyword: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Help(_Command):
    """``HELP [verb]``: the console's list of commands, or one verb's (full name in ``topic``)."""

    topic: str | None = None


Command = (
    StartCommand | StopCommand | CancelCommand | ModifyCommand | DisplayTcpip | VaryObey | Help
)
"""A command :func:`parse` understood."""


@dataclass(frozen=True, slots=True)
class CommandError:
    """A rejected command line and the console's response to it.

    ``lines`` are the response lines (none for a blank line). ``rejected_by`` names the task
    whose own answer the lines are (``PAGENT`` for EZZ8444I): MVS delivers the command only
    if that task is active, so when it is not, the answer is ``IEE341I task NOT ACTIVE``
    instead. None means MVS itself answers.
    """

    text: str
    lines: tuple[str, ...]
    rejected_by: str | None = None

    def echo(self) -> str:
        """The line as the console echoes it: the verb's full name if known, text folded."""
        return _canonical(self.text)


# --- the scanner --------------------------------------------------------------------------

_BLANKS: Final = " \t"
_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _upper(text: str) -> str:
    """``text`` with a-z upper-cased and nothing else changed (the console's folding)."""
    return text.translate(_UPPER)


_NAME: Final = re.compile(r"[A-Z@#$][A-Z0-9@#$]{0,7}")
_QUALIFIER: Final = r"[A-Z@#$][A-Z0-9@#$-]{0,7}"
_DSNAME: Final = re.compile(
    rf"(?P<name>{_QUALIFIER}(?:\.{_QUALIFIER})*)(?:\((?P<member>[A-Z@#$][A-Z0-9@#$]{{0,7}})\))?"
)
_MAX_DSNAME: Final = 44
_LEVEL: Final = re.compile(r"[0-9]{1,10}")
_HEX_ID: Final = re.compile(r"[0-9A-F]{1,8}")


@dataclass(frozen=True, slots=True)
class _Operand:
    raw: str  # as typed
    value: str  # quotes removed, upper-cased outside quotes
    quoted: bool  # whether any part was in quotes


class _MalformedError(Exception):
    """The operands cannot be scanned (open quote or parenthesis)."""


def _scan(text: str, *, partial: bool = False) -> tuple[list[_Operand], bool]:
    """The comma-separated operands at the start of ``text``, and whether a blank ended them.

    With ``partial`` an open quote or parenthesis at the end is accepted (a line being typed).
    """
    operands: list[_Operand] = []
    raw: list[str] = []
    value: list[str] = []
    quoted = in_quote = False
    depth = 0
    ended = False
    i = 0
    while i < len(text):
        char = text[i]
        if in_quote:
            if char == "'" and text[i + 1 : i + 2] == "'":  # '' inside quotes: one quote
                raw.append("''")
                value.append("'")
                i += 2
                continue
            raw.append(char)
            if char == "'":
                in_quote = False
            else:
                value.append(char)
        elif char in _BLANKS:
            ended = True  # the rest is a comment
            break
        elif char == "'":
            raw.append(char)
            in_quote = quoted = True
        elif char == "," and depth == 0:
            operands.append(_Operand("".join(raw), "".join(value), quoted))
            raw, value, quoted = [], [], False
        else:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth < 0 and not partial:
                    raise _MalformedError
            raw.append(char)
            value.append(_upper(char))
        i += 1
    if (in_quote or depth != 0) and not partial:
        raise _MalformedError
    operands.append(_Operand("".join(raw), "".join(value), quoted))
    return operands, ended


def _fold(text: str) -> str:
    """``text`` upper-cased outside single quotes."""
    parts = text.split("'")
    return "'".join(part if index % 2 else _upper(part) for index, part in enumerate(parts))


def _split_verb(text: str) -> tuple[str, str]:
    """The verb word and the text after the blanks that follow it."""
    for index, char in enumerate(text):
        if char in _BLANKS:
            return text[:index], text[index:].lstrip(_BLANKS)
    return text, ""


def _canonical(text: str) -> str:
    """The echo form of a line: full verb, then the operands folded, the comment dropped."""
    word, rest = _split_verb(text.strip(_BLANKS))
    verb = VERBS.get(_upper(word), _fold(word))
    try:
        operands, _ended = _scan(rest)
    except _MalformedError:
        return f"{verb} {_fold(rest)}".rstrip()
    folded = ",".join(_fold(operand.raw) for operand in operands)
    return f"{verb} {folded}".rstrip()


# --- the parser ---------------------------------------------------------------------------


class _RejectError(Exception):
    """Raised inside the parser; becomes a CommandError."""

    def __init__(self, *lines: str, rejected_by: str | None = None) -> None:
        super().__init__(*lines)
        self.lines = lines
        self.rejected_by = rejected_by


def _printable(text: str) -> str:
    """``text`` with control characters shown as '?', fit for a message field."""
    return "".join(char if char.isprintable() else "?" for char in text)


def _invalid(verb_as_typed: str) -> _RejectError:
    # pagent-ops §2.1 [OBS]: "IEE305I verb COMMAND INVALID", verb padded to 8.
    return _RejectError(format_message("IEE305I", verb=_printable(_upper(verb_as_typed))))


def _bad_parameter(verb: str) -> _RejectError:
    # pagent-ops §2.1 [OBS]: "IEE535I DISPLAY INVALID PARAMETER".
    return _RejectError(format_message("IEE535I", verb=verb))


def _pagent_rejects() -> _RejectError:
    # pagent-ops §2.4: an unknown MODIFY keyword gets "some command not valid message" (ID
    # NOT FOUND); the catalogue's invented EZZ8444I is PAGENT's answer.
    return _RejectError(format_message("EZZ8444I"), rejected_by=PAGENT)


def parse(line: str) -> Command | CommandError:
    """The command on one console line, or its rejection with the response lines.

    Never raises for any ``str``: every problem becomes a :class:`CommandError`.
    """
    text = line.strip(_BLANKS + "\r\n")
    if not text:
        return CommandError(text, ())
    word, rest = _split_verb(text)
    try:
        verb = VERBS.get(_upper(word))
        if verb is None or not all(char.isprintable() or char in _BLANKS for char in text):
            raise _invalid(word)
        try:
            operands, _ended = _scan(rest) if rest else ([], False)
        except _MalformedError:
            raise _invalid(word) from None
        return _PARSERS[verb](text, word, operands)
    except _RejectError as reject:
        return CommandError(text, reject.lines, reject.rejected_by)


def _task(operand: _Operand, word: str, verb: str) -> str:
    """A task name operand, upper-cased and checked."""
    if not operand.raw:
        raise _invalid(word)
    if operand.quoted or not _NAME.fullmatch(operand.value):
        raise _bad_parameter(verb)
    return operand.value


def _parse_start(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands:
        raise _invalid(word)
    task = _task(operands[0], word, "START")
    keywords: list[tuple[str, str]] = []
    for operand in operands[1:]:
        key, equals, value = operand.value.partition("=")
        key_raw = operand.raw.partition("=")[0]
        if not equals or "'" in key_raw or not _NAME.fullmatch(key):
            raise _bad_parameter("START")
        if any(key == seen for seen, _value in keywords):
            raise _bad_parameter("START")
        keywords.append((key, value))
    return StartCommand(text=text, task=task, keywords=tuple(keywords))


def _parse_stop(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands:
        raise _invalid(word)
    task = _task(operands[0], word, "STOP")
    if len(operands) > 1:
        raise _bad_parameter("STOP")
    return StopCommand(text=text, task=task)


def _parse_cancel(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands:
        raise _invalid(word)
    task = _task(operands[0], word, "CANCEL")
    if len(operands) > 1:
        raise _bad_parameter("CANCEL")
    return CancelCommand(text=text, task=task)


def _parse_modify(text: str, word: str, operands: list[_Operand]) -> Command:
    # MODIFY jobname,parameters: MVS needs both (a missing one is IEE305I); the task judges
    # the parameters (pagent-ops §2.4 for PAGENT).
    if len(operands) < 2 or not operands[1].raw:
        raise _invalid(word)
    task = _task(operands[0], word, "MODIFY")
    parameters = [operand.value for operand in operands[1:]]
    if task != PAGENT:
        return ModifyCommand(
            text=text, task=task, action=parameters[0], parameters=tuple(parameters[1:])
        )
    action, rest = _keyword(operands[1]), parameters[1:]
    if action not in MODIFY_ACTIONS:
        raise _pagent_rejects()
    level: int | None = None
    if action in _LEVEL_ACTIONS and len(rest) == 1:
        key, equals, value = rest[0].partition("=")
        if key != "LEVEL" or not equals or (value and not _LEVEL.fullmatch(value)):
            raise _pagent_rejects()
        if value:
            level = int(value)
            if level > _MAX_LEVEL:
                raise _pagent_rejects()
    elif rest:
        raise _pagent_rejects()
    return ModifyCommand(text=text, task=task, action=action, level=level)


def _stack(operand: _Operand, verb: str) -> str | None:
    """The optional stack name operand (empty: None)."""
    if not operand.raw:
        return None
    if operand.quoted or not _NAME.fullmatch(operand.value):
        raise _bad_parameter(verb)
    return operand.value


def _keyword(operand: _Operand) -> str:
    """The operand as a keyword: its folded value; a quoted operand keeps its quotes and so
    matches no keyword."""
    return operand.raw if operand.quoted else operand.value


def _parse_display(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands or not operands[0].raw:
        raise _invalid(word)
    if _keyword(operands[0]) != TCPIP:
        raise _bad_parameter("DISPLAY")
    if len(operands) == 1:
        return DisplayTcpip(text=text)
    # D TCPIP,[name],NETSTAT|N,CONFIG|TTLS[,GROUP|,CONN,id[,DETAIL]] (pagent-ops §4.2, §4.3)
    if len(operands) < 4 or not operands[2].raw or not operands[3].raw:
        raise _invalid(word)
    values = [_keyword(operand) for operand in operands]
    stack = _stack(operands[1], "DISPLAY")
    if values[2] not in {"NETSTAT", "N"} or values[3] not in {"CONFIG", "TTLS"}:
        raise _bad_parameter("DISPLAY")
    report, modifiers = values[3], values[4:]
    conn_id: int | None = None
    detail = False
    if report == "CONFIG" and modifiers:
        raise _bad_parameter("DISPLAY")
    group = modifiers == ["GROUP"]
    if group:
        modifiers = []
    if modifiers:
        if modifiers[0] != "CONN":
            raise _bad_parameter("DISPLAY")
        if len(modifiers) == 1 or not modifiers[1]:
            raise _invalid(word)
        if not _HEX_ID.fullmatch(modifiers[1]):
            raise _bad_parameter("DISPLAY")
        conn_id = int(modifiers[1], 16)
        if modifiers[2:] == ["DETAIL"]:
            detail = True
        elif modifiers[2:]:
            raise _bad_parameter("DISPLAY")
    return DisplayTcpip(
        text=text, stack=stack, report=report, conn_id=conn_id, detail=detail, group=group
    )


def _dataset(operand: _Operand) -> tuple[str, bool]:
    """The OBEY data set name (bare, upper case) and whether DSN= gave it."""
    value = operand.value
    dsn_keyword = False
    if not operand.raw.startswith("'") and value.startswith("DSN="):
        dsn_keyword = True
        value = value[len("DSN=") :]
    # A quoted name is fully qualified; the console adds no prefix, so quoted or not is the
    # same name. Data set names are upper case.
    value = _upper(value)
    match = _DSNAME.fullmatch(value)
    if match is None or len(match["name"]) > _MAX_DSNAME:
        raise _bad_parameter("VARY")
    return value, dsn_keyword


def _parse_vary(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands or not operands[0].raw:
        raise _invalid(word)
    if _keyword(operands[0]) != TCPIP:
        raise _bad_parameter("VARY")
    # V TCPIP,[name],{OBEYFILE|CMD=OBEYFILE},{dsn|DSN=dsn}; O and OBEY too (pagent-ops §4.5)
    if len(operands) < 4 or not operands[2].raw or not operands[3].raw:
        raise _invalid(word)
    stack = _stack(operands[1], "VARY")
    keyword = _keyword(operands[2])
    if keyword not in {"OBEY", "OBEYFILE", "O", "CMD=OBEYFILE"}:
        raise _bad_parameter("VARY")
    if len(operands) > 4:
        raise _bad_parameter("VARY")
    dataset, dsn_keyword = _dataset(operands[3])
    return VaryObey(
        text=text, stack=stack, dataset=dataset, keyword_used=keyword, dsn_keyword=dsn_keyword
    )


def _parse_help(text: str, word: str, operands: list[_Operand]) -> Command:
    if not operands:
        return Help(text=text)
    topic = VERBS.get(_keyword(operands[0]))
    if len(operands) > 1 or topic is None:
        raise _bad_parameter("HELP")
    return Help(text=text, topic=topic)


_PARSERS: Final = MappingProxyType(
    {
        "START": _parse_start,
        "STOP": _parse_stop,
        "CANCEL": _parse_cancel,
        "MODIFY": _parse_modify,
        "DISPLAY": _parse_display,
        "VARY": _parse_vary,
        "HELP": _parse_help,
    }
)


# --- completion ---------------------------------------------------------------------------


def completion_key(before_cursor: str) -> tuple[str, ...] | None:
    """The :data:`KEYWORDS_AFTER` prefix for the word being typed at the end of a line.

    ``()`` while the verb is typed; ``("DISPLAY", "TCPIP", STACK)`` for ``d tcpip,,n``'s
    last word. None when nothing can follow (unknown verb or word, or inside the comment).
    """
    text = before_cursor.lstrip(_BLANKS)
    word, rest = _split_verb(text)
    if len(word) == len(text):
        return ()
    verb = VERBS.get(_upper(word))
    if verb is None:
        return None
    operands, ended = _scan(rest, partial=True)
    if ended:
        return None
    key: tuple[str, ...] = (verb,)
    for operand in operands[:-1]:  # the last one is the word being typed
        words = KEYWORDS_AFTER.get(key, ())
        spelled = operand.value
        if spelled in words and spelled not in _PLACEHOLDERS and not operand.quoted:
            key = (*key, _CANONICAL_WORD.get(spelled, spelled))
        elif placeholder := next((w for w in words if w in _PLACEHOLDERS), None):
            key = (*key, placeholder)
        else:
            return None
    return key if key in KEYWORDS_AFTER else None
