"""Letting go of a large object graph a slice at a time (issue 13 §1, ``P PAGENT``)."""

from __future__ import annotations

import sys
import weakref
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, ClassVar

from pagent.service import release as release_module
from pagent.service.release import PIECE, release


class Leaf:
    """An object whose freeing is recorded, with the tick of the release loop it fell in."""

    freed: ClassVar[list[int]] = []
    tick = 0

    def __del__(self) -> None:
        Leaf.freed.append(Leaf.tick)


@dataclass(frozen=True)
class Holder:
    """A frozen dataclass holding a large tuple, as a policy does."""

    items: tuple[Any, ...]
    table: dict[int, Any] = field(default_factory=dict)


def _ticking(frame: FrameType, event: str, _arg: object) -> Any:
    """Trace release's own frame: every line it runs is a tick."""
    if frame.f_code is release_module.release.__code__:
        if event == "line":
            Leaf.tick += 1
        return _ticking
    return None


def _largest_free(objects: list[object]) -> int:
    """The most Leaf objects freed within one line of release (one C call at most)."""
    Leaf.freed.clear()
    sys.settrace(_ticking)
    try:
        release(objects)
    finally:
        sys.settrace(None)
    counts: dict[int, int] = {}
    for tick in Leaf.freed:
        counts[tick] = counts.get(tick, 0) + 1
    return max(counts.values(), default=0)


def test_a_large_graph_is_freed_a_slice_at_a_time() -> None:
    """20,000 leaves in a tuple and a dict under a frozen dataclass: each line of release
    frees at most one slice of them, never the whole graph at once."""
    table = {i: Leaf() for i in range(10_000)}
    objects: list[object] = [Holder(tuple(Leaf() for _ in range(10_000)), table)]
    del table  # release holds the only references
    largest = _largest_free(objects)
    assert len(Leaf.freed) == 20_000  # all of it, within release
    assert largest <= PIECE


def test_without_release_the_graph_goes_in_one_call() -> None:
    """The measure itself: dropped at once, every leaf falls in the same tick."""
    holder = Holder(tuple(Leaf() for _ in range(5_000)))
    Leaf.freed.clear()
    Leaf.tick = 12345
    del holder
    assert Leaf.freed.count(12345) == 5_000


def test_everything_it_alone_held_is_freed() -> None:
    """Weak references to the root and to objects deep inside are dead afterwards."""

    class Node:
        def __init__(self, below: object) -> None:
            self.below = below

    inner = Node([Node(None) for _ in range(1_000)])
    root = Node(Node(Node({"k": inner})))
    refs = [weakref.ref(root), weakref.ref(inner)]
    objects: list[object] = [root]
    del root, inner
    release(objects)
    assert objects == []
    assert [r() for r in refs] == [None, None]


def test_what_something_else_still_holds_is_left_whole() -> None:
    """A tuple kept elsewhere (open connections keep a replaced policy) keeps every item."""
    kept = tuple(Leaf() for _ in range(2_000))
    Leaf.freed.clear()
    release([Holder(kept)])
    assert Leaf.freed == []
    assert len(kept) == 2_000
    assert all(isinstance(leaf, Leaf) for leaf in kept)


def test_every_release_in_a_thread_runs_on_one_thread_in_order() -> None:
    """Graphs handed over one after the other are freed by one thread, in order: two
    threads could each let go of an object they share while the other still holds it,
    and the last would free all of it in one call."""
    import threading

    from pagent.service.release import release_in_thread

    freed: list[tuple[str, int]] = []
    done = threading.Event()

    class Marked:
        def __init__(self, tag: str, last: bool = False) -> None:
            self.tag, self.last = tag, last

        def __del__(self) -> None:
            freed.append((self.tag, threading.get_ident()))
            if self.last:
                done.set()

    release_in_thread([Marked("first")])
    release_in_thread([Marked("second", last=True)])
    assert done.wait(10)
    assert [tag for tag, _ in freed] == ["first", "second"]
    assert len({ident for _, ident in freed}) == 1
    assert freed[0][1] != threading.get_ident()


def test_what_comes_last_is_freed_a_slice_at_a_time_too() -> None:
    """The last child looked at is no exception: nothing of release's own keeps it (its
    loop variable did), so it is not taken for one that something else holds, skipped,
    and freed whole when release returns (P PAGENT: 100 ms)."""
    objects: list[object] = [[object(), [Holder(tuple(Leaf() for _ in range(10_000)))]]]
    largest = _largest_free(objects)
    assert len(Leaf.freed) == 10_000
    assert largest <= PIECE
