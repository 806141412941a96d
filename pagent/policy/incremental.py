"""Re-checking a policy after an edit, reusing what did not change (issue 2 §9, issue 13 §1).

A service refreshes and an editor re-checks the same files again and again, usually after
a small edit. :class:`PolicyCache` keeps, per file, the text it last read, the statements
built from each top-level block and where each block ends in the text. On the next read it
finds the characters that changed (the longest common prefix and suffix of the two texts,
compared a chunk at a time in C), re-scans and re-builds only the blocks that touch them,
and hands the rest over as the very same objects, with the file's statement list spliced.
Nothing proportional to the file is redone for a one-rule edit: the file is never split
into lines, and block ends after the edit are kept as distances from the end of the text
(:class:`_Offsets`). The merge then patches the previous policy
(:func:`pagent.policy.policy.patch`), reusing the resolver's verdicts for every object whose
references still find the same objects (:class:`pagent.policy.policy.Verdict`).

It never changes a result, only the time: whenever the shortcut could differ from a full
build it takes the full build. That is the case when the previous read had a brace error
or a stray word (nesting of the whole file may differ), when the re-scanned region does not
come back balanced, and — to keep locations exact without rewriting every later object —
for the blocks after the edit when the edit changed the number of lines.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from pagent.policy.blocks import RawFile, parse_blocks
from pagent.policy.build import BlockPart, BuiltFile, build_blocks, build_file
from pagent.policy.diagnostics import Diagnostic
from pagent.policy.policy import (
    Dependents,
    Policy,
    dependents_of,
    latin1_diagnostics,
    merge,
    no_gc,
    patch,
    referenced_kinds,
)
from pagent.policy.source import SourceText
from pagent.policy.statements import Statement


class _Block(NamedTuple):
    """One top-level block of a file: its lines and what was built from it (a named tuple:
    a refresh that rebuilds 50,000 blocks makes one per block)."""

    first: int  # 1-based, inclusive
    last: int
    built: BlockPart


class _Offsets:
    """A non-decreasing list of offsets (into a file's text, or its statement list) that an
    edit moves as a whole after the edited place.

    Entries before ``split`` are kept as offsets from the start, the others as distances
    from the end (``total`` minus the offset): the distance from the end of every entry
    after an edit does not change, and neither does the offset of every entry before it.
    So an edit converts only the entries between the previous edit's place and its own;
    repeated edits of one rule in 50,000 convert none, where shifting every later entry
    would cost a Python loop over 300,000 blocks (issue 13 §1).
    """

    __slots__ = ("split", "total", "values")

    def __init__(self, values: list[int], split: int, total: int) -> None:
        self.values = values
        self.split = split
        self.total = total

    def at(self, i: int) -> int:
        """The offset of entry ``i``."""
        v = self.values[i]
        return v if i < self.split else self.total - v

    def first_at_least(self, x: int) -> int:
        """The index of the first entry that is at least ``x`` (the length when none is)."""
        values, split = self.values, self.split
        if split and values[split - 1] >= x:
            return bisect.bisect_left(values, x, 0, split)
        # From ``split`` on the stored distances fall as the offsets rise.
        return bisect.bisect_left(values, x - self.total, split, len(values), key=operator.neg)

    def splice(self, h: int, k: int, middle: list[int], total: int) -> _Offsets:
        """Entries ``h..k-1`` replaced by ``middle`` (offsets in the new text, whose end is
        at ``total``); the entries from ``k`` on keep their distance from the end."""
        values, split, old_total = self.values, self.split, self.total
        if h <= split:
            head = values[:h]
        else:
            head = values[:split] + [old_total - v for v in values[split:h]]
        if k >= split:
            tail = values[k:]
        else:
            tail = [old_total - v for v in values[k:split]] + values[split:]
        return _Offsets(head + middle + tail, h + len(middle), total)


@dataclass(frozen=True, slots=True)
class _FileState:
    """What the cache remembers of one file: its text, its blocks, and their sum.

    ``ends`` holds where each block's last line ends in ``text``; ``statement_ends`` the end
    of each block's share of ``statements`` (the file's statements in order); ``special`` the
    indexes of the blocks with diagnostics or inline names, which most blocks have not.
    """

    text: _Text
    blocks: tuple[_Block, ...]
    ends: _Offsets
    statements: list[Statement]
    statement_ends: _Offsets
    special: list[int]
    reusable: bool  # False when the file's nesting had diagnostics or strays


_CHUNK = 1 << 16  # characters compared per C call: short GIL holds, no page faults


class _Text:
    """A file's text as the pieces it was decoded in (:class:`SourceText`), with the
    slicing, counting and comparing that a re-check needs, none of which joins the pieces:
    making one 60 MB string holds the GIL for tens of milliseconds (issue 13 §1)."""

    __slots__ = ("length", "pieces", "starts")

    def __init__(self, pieces: Sequence[str]) -> None:
        self.pieces = tuple(pieces) or ("",)
        self.starts = [0, *itertools.accumulate(map(len, self.pieces[:-1]))]
        self.length = self.starts[-1] + len(self.pieces[-1])

    def __len__(self) -> int:
        return self.length

    def same(self, other: _Text) -> bool:
        """Whether both hold the same text in the same pieces (a piece compared per call)."""
        if self.length != other.length or len(self.pieces) != len(other.pieces):
            return False
        return all(a == b for a, b in zip(self.pieces, other.pieces, strict=True))

    def _spans(self, i: int, j: int) -> Iterator[tuple[str, int, int]]:
        """The pieces that characters ``i..j-1`` (``i < j``) fall in, each with the
        bounds of its share of them."""
        starts, pieces = self.starts, self.pieces
        k = bisect.bisect_right(starts, i) - 1
        while k < len(pieces) and starts[k] < j:
            piece, at = pieces[k], starts[k]
            yield piece, max(i - at, 0), min(j - at, len(piece))
            k += 1

    def part(self, i: int, j: int) -> list[str]:
        """Characters ``i..j-1`` as pieces: each but the last ends where a piece ends, with
        a line end, as :func:`parse_blocks` takes them."""
        if i >= j:
            return [""]
        return [
            piece if lo == 0 and hi == len(piece) else piece[lo:hi]
            for piece, lo, hi in self._spans(i, j)
        ]

    def window(self, i: int, j: int) -> str:
        """Characters ``i..j-1`` as one string (for short spans)."""
        parts = self.part(i, j)
        return parts[0] if len(parts) == 1 else "".join(parts)

    def count(self, sub: str, i: int, j: int) -> int:
        """How often ``sub`` (which no piece boundary splits) occurs in ``i..j-1``."""
        if i >= j:
            return 0
        return sum(piece.count(sub, lo, hi) for piece, lo, hi in self._spans(i, j))


def _first_difference(a: str, b: str) -> int:
    """Length of the common prefix of two strings of the same length that differ."""
    lo, hi = 0, len(a) - 1  # the answer is in [lo, hi]
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a.startswith(b[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_prefix(a: _Text, b: _Text) -> int:
    """Length of the common prefix of two texts.

    Whole pieces first, as long as they line up (pieces are cut by position from the
    start, so before an edit they do), then windows of :data:`_CHUNK` characters: 60 MB
    of unchanged text take about 10 ms, and no single call holds the GIL for long.
    """
    n = min(len(a), len(b))
    i = k = 0
    while k < min(len(a.pieces), len(b.pieces)) - 1 and a.pieces[k] == b.pieces[k]:
        i += len(a.pieces[k])
        k += 1
    while i < n:
        j = min(i + _CHUNK, n)
        wa, wb = a.window(i, j), b.window(i, j)
        if wa != wb:
            return i + _first_difference(wa, wb)
        i = j
    return n


def _common_suffix(a: _Text, b: _Text, limit: int) -> int:
    """Length of the common suffix of two texts, at most ``limit`` characters."""
    la, lb = len(a), len(b)
    i = 0
    while i < limit:
        j = min(i + _CHUNK, limit)
        wa, wb = a.window(la - j, la - i), b.window(lb - j, lb - i)
        if wa != wb:
            return i + _first_difference(wa[::-1], wb[::-1])
        i = j
    return limit


def _special(parts: Sequence[BlockPart], first: int) -> list[int]:
    """The indexes (from ``first``) of the parts with diagnostics or inline names."""
    return [first + i for i, part in enumerate(parts) if part.diagnostics or part.inline_names]


class _Built(NamedTuple):
    """The blocks built from a scanned text, ready to be spliced into a file's state."""

    blocks: list[_Block]
    ends: list[int]  # offsets in the file's text
    statements: list[Statement]
    statement_ends: list[int]  # from the first of ``statements``
    special: list[int]  # from the first of ``blocks``


def _build_raw(raw: RawFile, offset: int) -> _Built:
    """Build the blocks of a scanned text that starts at ``offset`` in its file."""
    parts = build_blocks(raw.path, raw.blocks)
    return _Built(
        [_Block(b.first_line, b.last_line, p) for b, p in zip(raw.blocks, parts, strict=True)],
        [offset + b.end_pos for b in raw.blocks],
        [s for p in parts for s in p.statements],
        list(itertools.accumulate(len(p.statements) for p in parts)),
        _special(parts, 0),
    )


def _release(raw: RawFile) -> None:
    """Drop a scanned file's blocks a slice at a time: dropping 300,000 blocks and their two
    million parameters at once is one C call that holds the GIL for 0.1-0.2 s, and the
    service's event loop waits for it (issue 13 §1)."""
    blocks = raw.blocks
    while blocks:
        del blocks[-512:]
    raw.strays.clear()


def _join(state: _FileState, path: str, extra: list[Diagnostic]) -> BuiltFile:
    """The file as a full build gives it (its statements list is the state's: not to be
    changed)."""
    out = BuiltFile(path=path, statements=state.statements, diagnostics=list(extra))
    names, diags = out.inline_names, out.diagnostics
    for i in state.special:
        part = state.blocks[i].built
        names.update(part.inline_names)
        diags.extend(part.diagnostics)
    return out


class PolicyCache:
    """Builds policies from files, reusing unchanged blocks and verdicts between calls."""

    def __init__(self) -> None:
        self._files: dict[str, _FileState] = {}
        self._last: Policy | None = None
        self._dependents: Dependents | None = None
        # What the current load replaced; None once any file had to be built whole.
        self._removed: list[Statement] | None = []
        self._added: list[Statement] = []
        self.reused_blocks = 0  # figures for the benchmark and the tests
        self.built_blocks = 0
        self.patched = False  # whether the last load patched the previous policy

    def load(self, sources: Iterable[SourceText]) -> Policy:
        """Build the policy of these files (the common file first)."""
        self._removed, self._added = [], []
        try:
            with no_gc():
                built = [self._build(s) for s in sources]
                policy = self._merge(built)
        except BaseException:
            # A patch updates the last policy's verdicts in place: after a failure half-way
            # nothing of them is trusted, and the next load builds everything.
            self._files.clear()
            self._last = None
            self._dependents = None
            raise
        self._last = policy
        return policy

    def _merge(self, built: list[BuiltFile]) -> Policy:
        last = self._last
        self.patched = False
        if (
            last is not None
            and self._removed is not None
            and last.files == tuple(f.path for f in built)
        ):
            kinds = referenced_kinds()
            if self._dependents is None and any(
                s.KEYWORD in kinds for s in (*self._removed, *self._added)
            ):
                self._dependents = dependents_of(last)  # kept up to date by each patch
            patched = patch(
                last, self._removed, self._added, built, self._dependents, take_over=True
            )
            if patched is not None:
                self.patched = True
                return patched
        self._dependents = None
        return merge(built, last.verdicts if last is not None else None)

    def _build(self, src: SourceText) -> BuiltFile:
        text = _Text(src.pieces)
        extra = latin1_diagnostics(src)
        old = self._files.get(src.path)
        state = self._reuse(src.path, old, text) if old is not None and old.reusable else None
        if state is None:
            self._removed = None  # a whole file is rebuilt: patching needs a full merge
            raw = parse_blocks(src.path, text.pieces)
            if raw.diagnostics or raw.strays:
                # Keep the file-level diagnostics: build the whole file, reuse nothing next time.
                self._files[src.path] = _FileState(
                    text, (), _Offsets([], 0, 0), [], _Offsets([], 0, 0), [], reusable=False
                )
                self.built_blocks += len(raw.blocks)
                built = build_file(raw)
                built.diagnostics.extend(extra)
                _release(raw)
                return built
            new = _build_raw(raw, 0)
            _release(raw)
            self.built_blocks += len(new.blocks)
            state = _FileState(
                text,
                tuple(new.blocks),
                _Offsets(new.ends, len(new.ends), len(text)),
                new.statements,
                _Offsets(new.statement_ends, len(new.statement_ends), len(new.statements)),
                new.special,
                reusable=True,
            )
        self._files[src.path] = state
        return _join(state, src.path, extra)

    def _reuse(self, path: str, old: _FileState, text: _Text) -> _FileState | None:
        """The state of the new text, reusing old blocks; None to fall back to a full build.

        Works on character offsets, never on the list of lines: splitting 60 MB into lines
        alone cost more than the budget of a one-rule edit (issue 13 §1).
        """
        before = old.text
        if before.same(text):
            self.reused_blocks += len(old.blocks)
            return old
        prefix = _common_prefix(before, text)
        suffix = _common_suffix(before, text, min(len(before), len(text)) - prefix)
        delta = len(text) - len(before)
        n = len(old.blocks)
        h = old.ends.first_at_least(prefix)  # blocks [0, h) end, line end included, in it
        k = n
        end = len(text)
        lines_old = before.count("\n", prefix, len(before) - suffix)
        if text.count("\n", prefix, len(text) - suffix) == lines_old:
            # Same line count: the blocks after the one whose line end is the first in the
            # common suffix keep their lines, and so their locations.
            j = old.ends.first_at_least(len(before) - suffix)
            if j < n - 1:
                k = j + 1
                end = old.ends.at(j) + delta
        start = old.ends.at(h - 1) + 1 if h else 0
        first_line = old.blocks[h - 1].last + 1 if h else 1
        raw = parse_blocks(path, text.part(start, end), first_line=first_line)
        if raw.diagnostics or raw.strays:
            return None
        middle = _build_raw(raw, start)
        _release(raw)
        self.reused_blocks += n - (k - h)
        self.built_blocks += len(middle.blocks)
        s_h = old.statement_ends.at(h - 1) if h else 0
        s_k = old.statement_ends.at(k - 1) if k else 0
        if self._removed is not None:
            self._removed.extend(old.statements[s_h:s_k])
            self._added.extend(middle.statements)
        statements = old.statements[:s_h] + middle.statements + old.statements[s_k:]
        shift = len(middle.blocks) - (k - h)
        return _FileState(
            text,
            old.blocks[:h] + tuple(middle.blocks) + old.blocks[k:],
            old.ends.splice(h, k, middle.ends, len(text)),
            statements,
            old.statement_ends.splice(
                h, k, [s_h + e for e in middle.statement_ends], len(statements)
            ),
            [
                *(i for i in old.special if i < h),
                *(h + i for i in middle.special),
                *(i + shift for i in old.special if i >= k),
            ],
            reusable=True,
        )
