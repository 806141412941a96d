"""Colouring of console text: the command line's tokens, and message lines by severity.

Issue 4 §1 asks for a coloured command line. :func:`tokens` cuts a line as the parser reads
it (pagent.mvs: the verb up to the first blank; operands separated by commas outside quotes
and parentheses; a blank outside quotes ends the operands and the rest is a comment) into
``(token, text)`` pairs: ``verb`` (a known verb or abbreviation), ``verb.invalid`` (any other,
shown in red), ``verb.local`` (the console's own commands), ``target`` (PAGENT, TCPIP),
``keyword`` (NETSTAT, TTLS, OBEY, ``DSN=`` …), ``operand`` (names, numbers), ``string`` (a
part in single quotes), ``comma``, ``comment`` and ``blank``. :class:`MvsLexer` turns them
into prompt-toolkit style classes ``class:mvs.<token>``; :data:`STYLE` holds their colours,
kept as data as pgcli's ``pgstyle.py`` keeps them (style-anchors A2 §1).

:func:`message_style` picks the style of a response or message line from the severity letter
that ends its message ID (IEE305I: I, information; E: eventual action or error; A and D:
immediate action or decision; W: warning; S: severe): the operator's eye goes to E, A, D
and S first, as a real console highlights them (issue 4 §1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer

from console.completer import LOCAL_COMMANDS, LOG_OPERANDS
from pagent.mvs import CONN_ID, DATASET, KEYWORDS_AFTER, RACF_COMMANDS, STACK, TARGETS, VERBS

__all__ = ["STYLE", "MvsLexer", "line_msgid", "message_style", "severity", "tokens"]

_BLANKS: Final = " \t"
_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")

_TARGET_WORDS: Final = frozenset(word for words in TARGETS.values() for word in words)
_KEYWORDS: Final = frozenset(
    {
        word
        for prefix, words in KEYWORDS_AFTER.items()
        if prefix and prefix[0] != "HELP"
        for word in words
        if word not in (STACK, DATASET, CONN_ID) and word not in _TARGET_WORDS
    }
    | {"CMD=", "OBEYFILE"}
)

STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "mvs.verb": "bold ansicyan",
        "mvs.verb.local": "bold ansimagenta",
        "mvs.verb.invalid": "bold ansired",
        "mvs.target": "ansibrightgreen",
        "mvs.keyword": "ansiyellow",
        "mvs.operand": "",
        "mvs.string": "ansibrightmagenta",
        "mvs.comma": "ansigray",
        "mvs.comment": "italic ansigray",
        "msg.info": "",
        "msg.warning": "ansiyellow",
        "msg.error": "bold ansired",
        "msg.action": "bold reverse ansired",
        "msg.unsolicited": "ansibrightcyan",
    }
)
"""Style class → prompt-toolkit style string, for the command line and message lines."""


def _upper(text: str) -> str:
    return text.translate(_UPPER)


def tokens(line: str) -> list[tuple[str, str]]:
    """``line`` cut into ``(token, text)`` pairs whose texts put together give ``line``."""
    out: list[tuple[str, str]] = []
    rest = line
    lead = len(rest) - len(rest.lstrip(_BLANKS))
    if lead:
        out.append(("blank", rest[:lead]))
        rest = rest[lead:]
    end = next((i for i, char in enumerate(rest) if char in _BLANKS), len(rest))
    verb, rest = rest[:end], rest[end:]
    if not verb:
        return out
    word = _upper(verb)
    if word in LOCAL_COMMANDS:
        kind, words = "verb.local", (LOG_OPERANDS if word == "LOG" else {})
    elif word in VERBS or word in RACF_COMMANDS:
        kind, words = "verb", None
    else:
        kind, words = "verb.invalid", None
    out.append((kind, verb))
    gap = len(rest) - len(rest.lstrip(_BLANKS))
    if gap:
        out.append(("blank", rest[:gap]))
        rest = rest[gap:]
    out.extend(_operands(rest, words, help_topic=VERBS.get(word) == "HELP"))
    return out


def _operands(
    text: str, local_words: Mapping[str, str] | None, *, help_topic: bool
) -> list[tuple[str, str]]:
    """The operand part: operands and commas, then a comment from the first blank."""
    out: list[tuple[str, str]] = []
    start = 0
    in_quote = False
    depth = 0
    for index, char in enumerate(text):
        if in_quote:
            in_quote = char != "'"  # '' inside quotes closes and reopens: the same string
            continue
        if char == "'":
            in_quote = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "," and depth == 0:
            out.extend(_operand(text[start:index], local_words, help_topic=help_topic))
            out.append(("comma", ","))
            start = index + 1
        elif char in _BLANKS:
            out.extend(_operand(text[start:index], local_words, help_topic=help_topic))
            out.append(("comment", text[index:]))
            return out
    out.extend(_operand(text[start:], local_words, help_topic=help_topic))
    return out


def _operand(
    text: str, local_words: Mapping[str, str] | None, *, help_topic: bool
) -> list[tuple[str, str]]:
    """One operand: a word, ``KEY=value``, or parts in quotes."""
    if not text:
        return []
    if "'" in text:
        return _quoted(text)
    word = _upper(text)
    if local_words is not None:
        return [("keyword" if word in local_words else "operand", text)]
    if help_topic and word in VERBS:
        return [("verb", text)]
    if word in _TARGET_WORDS:
        return [("target", text)]
    if word in _KEYWORDS:
        return [("keyword", text)]
    key, equals, value = text.partition("=")
    if equals and _upper(key) + "=" in _KEYWORDS:
        return [("keyword", key + equals), *_operand(value, None, help_topic=False)]
    return [("operand", text)]


def _quoted(text: str) -> list[tuple[str, str]]:
    """An operand with quotes: the quoted parts (with their quotes) are strings."""
    out: list[tuple[str, str]] = []
    for index, part in enumerate(re.split(r"('(?:[^']|'')*'?)", text)):
        if not part:
            continue
        if index % 2:
            out.append(("string", part))
        else:
            out.extend(_operand(part, None, help_topic=False))
    return out


class MvsLexer(Lexer):
    """The command line in colour: each token as ``class:mvs.<token>`` (see :data:`STYLE`)."""

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        """The style and text of each line of the buffer."""
        lines = document.lines

        def get_line(number: int) -> StyleAndTextTuples:
            if number >= len(lines):
                return []
            return [(f"class:mvs.{token}", text) for token, text in tokens(lines[number])]

        return get_line


# --- message lines -------------------------------------------------------------------------------

# A message ID: a prefix of letters ($HASP, IEE, EZZ, FSUM) then digits, optionally one
# severity letter (pagent-ops §0: EZD1586I, $HASP373, FSUM1252).
_MSGID: Final = re.compile(r"[A-Z$#@]{2,5}[0-9]{3,5}([A-Z]?)")
_SEVERITY_STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {"W": "msg.warning", "E": "msg.error", "S": "msg.error", "A": "msg.action", "D": "msg.action"}
)


def severity(msgid: str | None) -> str:
    """The severity letter of a message ID (``I`` when it has none or is no ID)."""
    match = _MSGID.fullmatch(msgid or "")
    return (match.group(1) or "I") if match else "I"


def message_style(msgid: str | None) -> str:
    """The style class (``msg.info``, ``msg.warning``, ``msg.error``, ``msg.action``)."""
    return _SEVERITY_STYLE.get(severity(msgid), "msg.info")


# A log line's first word that looks like a message ID ("... PAGENT[4753]: EZD1586I ...").
_MSGID_IN_LINE: Final = re.compile(
    r"(?<![A-Za-z0-9$#@])([A-Z$#@]{2,5}[0-9]{3,5}[A-Z]?)(?![A-Za-z0-9])"
)


def line_msgid(line: str) -> str | None:
    """The message ID a log or console line carries, if any (the first one in it)."""
    match = _MSGID_IN_LINE.search(line)
    return match.group(1) if match else None
