"""TSO command text: continuation lines, comments and RACF's ``KEYWORD(value)`` operands.

RACF commands are TSO commands (RACF Command Language Reference, "Entering RACF
commands"): blank- or comma-separated operands, a keyword optionally followed by a
parenthesised value that may itself hold operands (``SIGNWITH(CERTAUTH LABEL('x'))``),
quoted strings with ``''`` for a quote. In a batch job (IKJEFT01 SYSTSIN) a line ending in
``+`` or ``-`` continues on the next line and ``/* ... */`` is a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_WORD_STOP = frozenset("(),'")


class CommandSyntaxError(ValueError):
    """Text that cannot be split into operands (unbalanced parentheses or quotes)."""


@dataclass(frozen=True, slots=True)
class Operand:
    """One operand: ``keyword`` upper-cased, ``word`` as written, ``value`` inside the parens."""

    keyword: str
    word: str
    value: str | None = None


def join_continuations(text: str) -> list[str]:
    """The commands of a member or script: comments removed, continued lines joined.

    A line ending in ``+`` or ``-`` continues on the next one: the sign is dropped and the
    next line's leading blanks shrink to one (TSO drops them for ``+`` and keeps them for
    ``-``; one blank is what matters to the operands). Blank lines are skipped.
    """
    # Keep the line count of multi-line comments so that continuation stays line-based.
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    commands: list[str] = []
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        if pending is not None:
            stripped = line.lstrip()
            line = pending + (" " if stripped != line else "") + stripped
            pending = None
        if line.endswith(("+", "-")):
            pending = line[:-1]
            continue
        if line.strip():
            commands.append(line.strip())
    if pending is not None and pending.strip():
        commands.append(pending.strip())
    return commands


def _quote_end(text: str, start: int) -> int:
    """The index after the quoted string starting at ``start`` (``''`` is a quote)."""
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if i + 1 < len(text) and text[i + 1] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    raise CommandSyntaxError(f"unmatched quote in {text[start:]!r}")


def _paren_end(text: str, start: int) -> int:
    """The index of the ``)`` that closes the ``(`` at ``start``, skipping quoted strings."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char == "'":
            i = _quote_end(text, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise CommandSyntaxError(f"unmatched '(' in {text[start:]!r}")


def operands(text: str) -> list[Operand]:
    """Split command text (or a parenthesised value) into operands."""
    result: list[Operand] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace() or char == ",":
            i += 1
            continue
        if char == ")":
            raise CommandSyntaxError(f"unmatched ')' in {text!r}")
        if char == "'":
            end = _quote_end(text, i)
        elif char == "(":
            raise CommandSyntaxError(f"a value without a keyword in {text[i:]!r}")
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in _WORD_STOP:
                end += 1
        word, i = text[i:end], end
        value = None
        if i < n and text[i] == "(":
            close = _paren_end(text, i)
            value, i = text[i + 1 : close], close + 1
        result.append(Operand(word.upper(), word, value))
    return result


def unquote(value: str) -> str:
    """A value as RACF takes it: the text of a quoted string, or the word without blanks."""
    text = value.strip()
    if text.startswith("'"):
        end = _quote_end(text, 0)
        if end != len(text):
            raise CommandSyntaxError(f"text after a quoted string in {text!r}")
        return text[1:-1].replace("''", "'")
    return text


def words(value: str) -> list[str]:
    """The blank- or comma-separated words of a list value, each unquoted."""
    return [unquote(op.word) for op in operands(value) if op.value is None]
