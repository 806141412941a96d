"""Re-checking a policy after an edit, reusing what did not change (issue 2 §9).

A service refreshes and an editor re-checks the same files again and again, usually after
a small edit. :class:`PolicyCache` keeps, per file, the lines it last read and the
statements built from each top-level block. On the next read it finds the lines that
changed (the longest common prefix and suffix of the two line lists, compared in C by
slices), re-scans and re-builds only the blocks that touch them, and hands the rest over
as the very same objects. The merge then reuses the resolver's verdicts for every object
whose references still find the same objects (:class:`pagent.policy.policy.Verdict`).

It never changes a result, only the time: whenever the shortcut could differ from a full
build it takes the full build. That is the case when the previous read had a brace error
or a stray word (nesting of the whole file may differ), when the re-scanned region does not
come back balanced, and — to keep locations exact without rewriting every later object —
for the blocks after the edit when the edit changed the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterable
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


@dataclass(frozen=True, slots=True)
class _FileState:
    """What the cache remembers of one file."""

    lines: list[str]
    blocks: tuple[_Block, ...]
    reusable: bool  # False when the file's nesting had diagnostics or strays


def _common_prefix(a: list[str], b: list[str]) -> int:
    """Length of the common prefix of two line lists (binary search over C slice compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: list[str], b: list[str], limit: int) -> int:
    """Length of the common suffix, at most ``limit`` lines."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _split(raw: RawFile) -> tuple[_Block, ...]:
    parts = build_blocks(raw.path, raw.blocks)
    return tuple(
        _Block(b.first_line, b.last_line, part) for b, part in zip(raw.blocks, parts, strict=True)
    )


def _join(path: str, blocks: Iterable[_Block], extra: list[Diagnostic]) -> BuiltFile:
    out = BuiltFile(path=path, diagnostics=list(extra))
    statements, names, diags = out.statements, out.inline_names, out.diagnostics
    for b in blocks:
        part = b.built
        statements.extend(part.statements)
        if part.inline_names:  # most blocks have neither: skip the calls
            names.update(part.inline_names)
        if part.diagnostics:
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
        with no_gc():
            built = [self._build(s) for s in sources]
            policy = self._merge(built)
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
            patched = patch(last, self._removed, self._added, built, self._dependents)
            if patched is not None:
                self.patched = True
                return patched
        self._dependents = None
        return merge(built, last.verdicts if last is not None else None)

    def _build(self, src: SourceText) -> BuiltFile:
        lines = src.lines
        extra = latin1_diagnostics(src)
        old = self._files.get(src.path)
        blocks = self._reuse(src.path, old, lines) if old is not None and old.reusable else None
        if blocks is None:
            self._removed = None  # a whole file is rebuilt: patching needs a full merge
            raw = parse_blocks(src.path, src.text)
            if raw.diagnostics or raw.strays:
                # Keep the file-level diagnostics: build the whole file, reuse nothing next time.
                self._files[src.path] = _FileState(lines, (), reusable=False)
                self.built_blocks += len(raw.blocks)
                built = build_file(raw)
                built.diagnostics.extend(extra)
                return built
            blocks = _split(raw)
            self.built_blocks += len(blocks)
        self._files[src.path] = _FileState(lines, blocks, reusable=True)
        return _join(src.path, blocks, extra)

    def _reuse(self, path: str, old: _FileState, lines: list[str]) -> tuple[_Block, ...] | None:
        """The blocks of the new text, reusing old ones; None to fall back to a full build."""
        before = old.lines
        prefix = _common_prefix(before, lines)
        if prefix == len(before) == len(lines):
            self.reused_blocks += len(old.blocks)
            return old.blocks
        suffix = _common_suffix(before, lines, min(len(before), len(lines)) - prefix)
        delta = len(lines) - len(before)
        changed_last_old = len(before) - suffix  # last old line that differs (1-based)
        keep_head = [b for b in old.blocks if b.last <= prefix]
        keep_tail = [b for b in old.blocks if b.first > changed_last_old] if delta == 0 else []
        start = keep_head[-1].last + 1 if keep_head else 1
        end = keep_tail[0].first - 1 if keep_tail else len(lines)
        region = "\n".join(lines[start - 1 : end])
        raw = parse_blocks(path, region, first_line=start)
        if raw.diagnostics or raw.strays:
            return None
        middle = _split(raw)
        self.reused_blocks += len(keep_head) + len(keep_tail)
        self.built_blocks += len(middle)
        if self._removed is not None:
            kept = {id(b) for b in (*keep_head, *keep_tail)}
            for b in old.blocks:
                if id(b) not in kept:
                    self._removed.extend(b.built.statements)
            for b in middle:
                self._added.extend(b.built.statements)
        return (*keep_head, *middle, *keep_tail)
