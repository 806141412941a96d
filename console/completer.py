"""Completion of the console's command line: what may be typed next, and which names fit.

Issue 4 §1: verbs and their abbreviations, targets and keywords come from the parser's
vocabulary (:data:`pagent.mvs.KEYWORDS_AFTER`, :func:`pagent.mvs.completion_key`); the
placeholders in it are filled from the live system: :data:`~pagent.mvs.STACK` with the stack
names of the service's status, :data:`~pagent.mvs.DATASET` with the data sets that exist
under ``ROOT/etc/datasets`` (:func:`dataset_names`). The console's own commands
(:data:`LOCAL_COMMANDS`) complete beside the MVS verbs.

As in pgcli (style-anchors A2 §2), deciding what may come next is a pure function,
:func:`candidates`, kept apart from the prompt-toolkit :class:`MvsCompleter` that yields
them. Choices:

* Words match without regard to case. A word typed in lower case completes in lower case
  (the console folds it anyway, pagent-ops §2.1), so that Tab can insert the common part of
  what was typed (prompt-toolkit inserts it only when the text typed is kept as it is);
  otherwise completions are upper case (pgcli's ``keyword_casing = auto``).
* A data set completes bare (``SYS1.TCPPARMS(TTLS)``), after ``DSN=``, or in quotes when the
  word starts with one (``'SYS1.TCPPARMS(TTLS)'``).
* Connection IDs (:data:`~pagent.mvs.CONN_ID`) are not offered: the console does not know
  them without running a NETSTAT report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from pagent.mvs import (
    ABBREVIATIONS,
    CONN_ID,
    DATASET,
    KEYWORDS_AFTER,
    RACF_COMMANDS,
    STACK,
    VERBS,
    VaryObey,
    completion_key,
    parse,
)

__all__ = [
    "LOCAL_COMMANDS",
    "LOG_OPERANDS",
    "Candidate",
    "MvsCompleter",
    "candidates",
    "dataset_names",
]

LOCAL_COMMANDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "LOG": "page through syslogall.log (LOG F: follow it)",
        "NCA": "the Network Configuration Assistant, full screen (NCA store; q returns)",
        "EXIT": "leave the console",
        "QUIT": "leave the console",
    }
)
"""The console's own commands (not sent to the service) → what they do (issue 4 §1)."""

LOG_OPERANDS: Final[Mapping[str, str]] = MappingProxyType(
    {"F": "follow new lines until Ctrl-C", "FOLLOW": "follow new lines until Ctrl-C"}
)
"""The operands ``LOG`` takes."""

_BLANKS: Final = " \t"
_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_META: Final[Mapping[str, str]] = MappingProxyType(
    {
        "PAGENT": "the Policy Agent",
        "TCPIP": "the TCP/IP stacks",
        "NETSTAT": "report (N)",
        "N": "NETSTAT",
        "CONFIG": "stack configuration",
        "TTLS": "AT-TLS connections",
        "GROUP": "by group action",
        "CONN": "one connection",
        "DETAIL": "with details",
        "OBEY": "process a data set",
        "OBEYFILE": "OBEY",
        "O": "OBEY",
        "DSN=": "data set name",
        "LEVEL=": "level, a number",
        "REFRESH": "re-read everything",
        "UPDATE": "install what changed",
        "QUERY": "show the levels",
        "LOGLEVEL": "set the LogLevel",
        "DEBUG": "set the debug level",
        "TRACE": "set the trace level",
    }
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A word that may replace the one being typed, and a note shown beside it."""

    text: str
    meta: str = ""


def _upper(text: str) -> str:
    return text.translate(_UPPER)


def candidates(
    before_cursor: str,
    *,
    stacks: Callable[[], Iterable[str]] = tuple,
    datasets: Callable[[], Iterable[str]] = tuple,
) -> tuple[str, list[Candidate]]:
    """The word being typed at the end of ``before_cursor`` and the words that fit there.

    ``stacks`` and ``datasets`` are called only when such a name may come next.
    """
    text = before_cursor.lstrip(_BLANKS)
    verb, blank, rest = _split(text)
    if not blank:  # still typing the verb
        return text, _matching(text, _verbs())
    local = _upper(verb)
    if local in LOCAL_COMMANDS:
        if local != "LOG" or any(char in _BLANKS for char in rest):
            return rest, []
        return rest, _matching(rest, [Candidate(w, m) for w, m in LOG_OPERANDS.items()])
    key = completion_key(before_cursor)
    if key is None:
        return rest.rpartition(",")[2], []
    word = rest.rpartition(",")[2]
    found: list[Candidate] = []
    for next_word in KEYWORDS_AFTER[key]:
        found.extend(_expand(next_word, word, stacks, datasets))
    return word, found


def _split(text: str) -> tuple[str, bool, str]:
    """``text`` as verb, whether a blank follows it, and the operands after the blanks."""
    for index, char in enumerate(text):
        if char in _BLANKS:
            return text[:index], True, text[index:].lstrip(_BLANKS)
    return text, False, ""


def _verbs() -> list[Candidate]:
    found = []
    for spelling in KEYWORDS_AFTER[()]:
        full = VERBS[spelling]
        meta = ABBREVIATIONS[full] if spelling == full else full
        found.append(Candidate(spelling, meta))
    found.extend(Candidate(word, meta) for word, meta in RACF_COMMANDS.items())
    found.extend(Candidate(word, meta) for word, meta in LOCAL_COMMANDS.items())
    return found


def _expand(
    next_word: str,
    word: str,
    stacks: Callable[[], Iterable[str]],
    datasets: Callable[[], Iterable[str]],
) -> list[Candidate]:
    """The candidates for one entry of KEYWORDS_AFTER that fit the typed ``word``."""
    if next_word == STACK:
        return _matching(word, [Candidate(name, "stack") for name in stacks()])
    if next_word == CONN_ID:
        return []
    if next_word == DATASET:
        if word.startswith("'"):
            names = [Candidate(f"'{name}'", "data set") for name in datasets()]
            return [c for c in names if _upper(c.text).startswith(_upper(word))]
        return _matching(word, [Candidate(name, "data set") for name in datasets()])
    if next_word == "DSN=" and _upper(word).startswith("DSN="):
        names = [Candidate(f"DSN={name}", "data set") for name in datasets()]
        return _matching(word, names)
    return _matching(word, [Candidate(next_word, _META.get(next_word, ""))])


def _matching(word: str, found: Iterable[Candidate]) -> list[Candidate]:
    """The candidates that start with ``word`` (any case), in the case ``word`` was typed in."""
    folded = _upper(word)
    lower = word != folded and word.lower() == word  # all letters typed in lower case
    return [
        Candidate(c.text.lower() if lower else c.text, c.meta)
        for c in found
        if _upper(c.text).startswith(folded)
    ]


# --- data sets ------------------------------------------------------------------------------

_NAME_CHARS: Final = re.compile(r"[A-Z0-9@#$.-]+")


def dataset_names(root: Path) -> list[str]:
    """The data sets under ``ROOT/etc/datasets``, as an OBEY operand names them.

    A directory is a partitioned data set whose files are its members
    (``SYS1.TCPPARMS/TTLS`` → ``SYS1.TCPPARMS(TTLS)``); a file is a sequential data set
    (pagent.policy.chain.dataset_path). Names the parser would not take (``TTLS~``, dot
    files) are left out.
    """
    base = root / "etc" / "datasets"
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    names: list[str] = []
    for entry in entries:
        if not _NAME_CHARS.fullmatch(entry.name):
            continue
        if entry.is_dir():
            try:
                members = sorted(m.name for m in entry.iterdir() if m.is_file())
            except OSError:
                continue
            names.extend(f"{entry.name}({m})" for m in members if _NAME_CHARS.fullmatch(m))
        elif entry.is_file():
            names.append(entry.name)
    # The parser is the judge of a name (qualifiers, lengths, member): pagent-ops §4.5.
    return [n for n in names if isinstance(parse(f"V TCPIP,,OBEY,{n}"), VaryObey)]


# --- the prompt-toolkit side -------------------------------------------------------------------


class MvsCompleter(Completer):
    """Completes MVS commands and the console's own; stack and data set names from callables.

    ``stacks`` gives the stack names of the service's last status (the app refreshes it after
    each command and unsolicited message), ``datasets`` the data sets that exist now.
    """

    def __init__(
        self,
        *,
        stacks: Callable[[], Sequence[str]] = tuple,
        datasets: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self.stacks = stacks
        self.datasets = datasets

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        """The completions of the word before the cursor."""
        word, found = candidates(
            document.text_before_cursor, stacks=self.stacks, datasets=self.datasets
        )
        for candidate in found:
            yield Completion(candidate.text, start_position=-len(word), display_meta=candidate.meta)
