"""Nesting: scanned lines -> a tree of raw blocks and parameters, with brace diagnostics.

A keyword line opens a block when the next significant line is ``{`` (IBM puts the brace
on its own line, ttls-language.md §1.2) or when the line itself ends with ``{`` (W309).
Whether a keyword *may* open a block is decided later, by the model builder; here only
the shape of the text is checked: a ``}`` that closes nothing (E101), a file that ends
inside a block (E102), a ``{`` with no keyword before it (E103), lines that fit no form
(E100), and words at top level that open no block (W314, as the stray ``h`` after the
BOM at the end of corpus file PAGENTTN-v2).

The tree keeps each top-level block's line span so that a re-check can reuse blocks
whose text did not change (:mod:`pagent.policy.cache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pagent.policy.diagnostics import Diagnostic
from pagent.policy.grammar import Line, LineKind, scan_line
from pagent.policy.source import BOM, SourceLoc


@dataclass(slots=True)
class RawParam:
    """A ``keyword value...`` line inside a block (or stray at top level)."""

    keyword: str
    value: str
    loc: SourceLoc  # of the keyword
    value_loc: SourceLoc  # of the value (the keyword's place when there is none)


@dataclass(slots=True)
class RawBlock:
    """A ``keyword [name]`` line followed by a braced body."""

    keyword: str
    name: str  # raw value text of the opening line ('' when unnamed)
    loc: SourceLoc
    name_loc: SourceLoc
    items: list[RawParam | RawBlock] = field(default_factory=list)
    first_line: int = 0  # 1-based line of the keyword
    last_line: int = 0  # 1-based line of the closing brace (or last line at EOF)
    closed: bool = False


@dataclass(slots=True)
class RawFile:
    """The top level of one file: its blocks, stray words, and the diagnostics so far."""

    path: str
    blocks: list[RawBlock]
    strays: list[RawParam]
    diagnostics: list[Diagnostic]


def parse_blocks(path: str, lines: Sequence[str]) -> RawFile:
    """Nest the lines of one file into blocks."""
    diags: list[Diagnostic] = []
    top: list[RawBlock] = []
    strays: list[RawParam] = []
    stack: list[RawBlock] = []
    pending: tuple[Line, int] | None = None  # an item line that may open a block

    def loc(lineno: int, col: int) -> SourceLoc:
        return SourceLoc(path, lineno, max(col, 1))

    def flush_pending() -> None:
        nonlocal pending
        if pending is None:
            return
        item, lineno = pending
        pending = None
        param = RawParam(
            item.keyword,
            item.value,
            loc(lineno, item.kw_col),
            loc(lineno, item.value_col or item.kw_col),
        )
        if stack:
            stack[-1].items.append(param)
        else:
            strays.append(param)

    def open_block(item: Line, lineno: int) -> None:
        block = RawBlock(
            keyword=item.keyword,
            name=item.value,
            loc=loc(lineno, item.kw_col),
            name_loc=loc(lineno, item.value_col or item.kw_col),
            first_line=lineno,
        )
        if stack:
            stack[-1].items.append(block)
        else:
            top.append(block)
        stack.append(block)

    for lineno, raw in enumerate(lines, start=1):
        text = raw.replace(BOM, "") if BOM in raw else raw
        line = scan_line(text)
        kind = line.kind
        if kind is LineKind.EMPTY:
            continue
        if kind is LineKind.OPEN:
            if pending is not None:
                item, plineno = pending
                pending = None
                open_block(item, plineno)
            else:
                diags.append(
                    Diagnostic.make(
                        "E103", loc(lineno, line.kw_col), "'{' follows no statement keyword"
                    )
                )
                # Keep nesting balanced so the rest of the file is still checked.
                open_block(Line(LineKind.ITEM, keyword="{", kw_col=line.kw_col), lineno)
            continue
        flush_pending()
        if kind is LineKind.ITEM:
            if line.opens:
                diags.append(
                    Diagnostic.make(
                        "W309",
                        loc(lineno, line.kw_col),
                        f"'{{' on the same line as {line.keyword}",
                    )
                )
                open_block(line, lineno)
            else:
                pending = (line, lineno)
        elif kind is LineKind.CLOSE:
            if stack:
                block = stack.pop()
                block.last_line = lineno
                block.closed = True
            else:
                diags.append(
                    Diagnostic.make("E101", loc(lineno, line.kw_col), "'}' closes no block")
                )
        else:  # BAD
            diags.append(
                Diagnostic.make("E100", loc(lineno, line.error_col), f"syntax error: {line.error}")
            )
    flush_pending()
    last = len(lines)
    while stack:
        block = stack.pop()
        block.last_line = last
        diags.append(
            Diagnostic.make(
                "E102",
                block.loc,
                f"{block.keyword} {block.name} opened here is never closed: '}}' missing"
                if block.name
                else f"{block.keyword} block opened here is never closed: '}}' missing",
            )
        )
    return RawFile(path=path, blocks=top, strays=strays, diagnostics=diags)
