"""Nesting: the lines of a file -> a tree of raw blocks and parameters, with brace diagnostics.

A keyword line opens a block when the next significant line is ``{`` (IBM puts the brace
on its own line, ttls-language.md §1.2) or when the line itself ends with ``{`` (W309).
Whether a keyword *may* open a block is decided later, by the model builder; here only
the shape of the text is checked: a ``}`` that closes nothing (E101), a file that ends
inside a block (E102), a ``{`` with no keyword before it (E103), lines that fit no form
(E100). Words at top level that open no block are kept as strays for the builder (W314,
as the stray ``h`` after the BOM at the end of corpus file PAGENTTN-v2).

Each top-level block keeps its line span and where its text ends, so a re-check can reuse
the blocks whose text did not change (:mod:`pagent.policy.incremental`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pagent.policy.diagnostics import Diagnostic
from pagent.policy.grammar import TEXT_PATTERN, explain
from pagent.policy.source import SourceLoc


class RawParam(NamedTuple):
    """A ``keyword value...`` line inside a block (or stray at top level).

    A named tuple with locations made on demand: there is one per line of a policy, and
    400,000 of them must be cheap to make (issue 2 §9).
    """

    path: str
    line: int
    kw_col: int
    keyword: str
    value: str  # trimmed raw value text, '' when none
    value_col: int  # 0 when there is no value

    @property
    def loc(self) -> SourceLoc:
        """Where the keyword is."""
        return tuple.__new__(SourceLoc, (self.path, self.line, self.kw_col))

    @property
    def value_loc(self) -> SourceLoc:
        """Where the value is (the keyword's place when there is none)."""
        return SourceLoc(self.path, self.line, self.value_col or self.kw_col)


@dataclass(slots=True)
class RawBlock:
    """A ``keyword [name]`` line followed by a braced body."""

    keyword: str
    name: str  # raw value text of the opening line ('' when unnamed)
    loc: SourceLoc
    name_loc: SourceLoc
    items: list[RawParam | RawBlock] = field(default_factory=list)
    first_line: int = 0  # 1-based line of the keyword
    last_line: int = 0  # 1-based line of the closing brace (or the last line at EOF)
    # For a top-level block: the offset in the scanned text of the end of its closing
    # brace's line (where its line end is, or the end of the text), so that a re-check can
    # tell by character offsets which blocks an edit left alone.
    end_pos: int = 0


@dataclass(slots=True)
class RawFile:
    """The top level of one file: its blocks, stray words, and the diagnostics so far."""

    path: str
    blocks: list[RawBlock]
    strays: list[RawParam]
    diagnostics: list[Diagnostic]
    line_count: int = 0


_new = tuple.__new__  # builds a named tuple in C, skipping its Python-level __new__


def _item(path: str, lineno: int, kw_col: int, kw: str, vals: str, vals_start: int) -> RawParam:
    value = vals.strip()
    if not value:
        return _new(RawParam, (path, lineno, kw_col, kw, "", 0))
    col = vals_start + len(vals) - len(vals.lstrip()) + 1
    return _new(RawParam, (path, lineno, kw_col, kw, value, col))


def _spans(pieces: Sequence[str]) -> Iterator[tuple[str, int]]:
    """Each piece with the end of its scan: a piece's closing line end is left out, as the
    line end of a line in one string is, so that it does not scan as an empty line."""
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        yield piece, (len(piece) if i == last else len(piece) - 1)


def parse_blocks(path: str, text: str | Sequence[str], first_line: int = 1) -> RawFile:
    """Nest the lines of ``text`` (a whole file, or a slice starting at ``first_line``).

    The text may come in pieces (:class:`pagent.policy.source.SourceText`), each but the
    last ending with a line end; offsets (``end_pos``) are in the text they make together.
    """
    pieces = (text,) if isinstance(text, str) else (text or ("",))
    diags: list[Diagnostic] = []
    top: list[RawBlock] = []
    strays: list[RawParam] = []
    stack: list[RawBlock] = []
    pending: RawParam | None = None  # an item line that may open a block
    lineno = first_line - 1
    base = 0  # where the piece scanned starts in the text
    for piece, endpos in _spans(pieces):
        for m in TEXT_PATTERN.finditer(piece, 0, endpos):
            lineno += 1
            indent, brace, kw, vals, opens, _comment, bad = m.groups()
            if kw is not None:
                if pending is not None:
                    (stack[-1].items if stack else strays).append(pending)
                ind = len(indent)
                pending = _item(path, lineno, ind + 1, kw, vals, ind + len(kw))
                if opens is not None:
                    diags.append(
                        Diagnostic.make("W309", pending.loc, f"'{{' on the same line as {kw}")
                    )
                    block = RawBlock(
                        kw, pending.value, pending.loc, pending.value_loc, first_line=lineno
                    )
                    (stack[-1].items if stack else top).append(block)
                    stack.append(block)
                    pending = None
                continue
            if brace is not None:
                col = len(indent) + 1
                if brace == "{":
                    if pending is None:
                        loc = SourceLoc(path, lineno, col)
                        diags.append(
                            Diagnostic.make("E103", loc, "'{' follows no statement keyword")
                        )
                        # Keep nesting balanced so that the rest of the file is still checked.
                        block = RawBlock("{", "", loc, loc, first_line=lineno)
                    else:
                        block = RawBlock(
                            pending.keyword,
                            pending.value,
                            pending.loc,
                            pending.value_loc,
                            first_line=pending.loc.line,
                        )
                        pending = None
                    (stack[-1].items if stack else top).append(block)
                    stack.append(block)
                    continue
                if pending is not None:
                    (stack[-1].items if stack else strays).append(pending)
                    pending = None
                if stack:
                    closed = stack.pop()
                    closed.last_line = lineno
                    if not stack:
                        closed.end_pos = base + m.end()
                else:
                    loc = SourceLoc(path, lineno, col)
                    diags.append(Diagnostic.make("E101", loc, "'}' closes no block"))
                continue
            if bad is not None and bad.strip():
                if pending is not None:
                    (stack[-1].items if stack else strays).append(pending)
                    pending = None
                line = explain(bad)
                loc = SourceLoc(path, lineno, line.error_col)
                diags.append(Diagnostic.make("E100", loc, f"syntax error: {line.error}"))
        base += len(piece)
    if pending is not None:
        (stack[-1].items if stack else strays).append(pending)
    while stack:
        block = stack.pop()
        block.last_line = lineno
        block.end_pos = base
        what = f"{block.keyword} {block.name}" if block.name else f"{block.keyword} block"
        diags.append(
            Diagnostic.make("E102", block.loc, f"{what} opened here is never closed: '}}' missing")
        )
    return RawFile(path=path, blocks=top, strays=strays, diagnostics=diags, line_count=lineno)
