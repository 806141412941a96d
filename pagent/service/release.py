"""Letting go of a large object graph without holding the GIL for long (issue 13 §1).

The last reference to a 50,000-rule policy, its matcher or PAGENT's cache of its files is
dropped in one C call that frees a million objects: 40 to 300 ms during which no other
thread runs, and the service's event loop, which answers ``D TCPIP``, waits (``P PAGENT``
held it for 205 ms). :func:`release` takes the graph apart instead: every large container
it owns alone is emptied a slice of :data:`PIECE` items at a time, so that each C call
frees a few thousand objects and the loop gets the GIL in between.

It never changes an object: it copies references into lists of its own and drops them.
An object that something else still holds (a policy that open connections keep for their
stale actions) is only let go, never taken apart; its last holder frees it.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading

PIECE = 256  # items freed per C call
DEPTH = 8  # levels of small objects looked into for large containers below them
_CONTAINERS = (list, tuple, dict, set, frozenset)


def _large(obj: object) -> bool:
    return isinstance(obj, _CONTAINERS) and len(obj) > PIECE


def release(objects: list[object]) -> None:
    """Free what ``objects`` alone holds, a slice at a time; empties the list.

    The caller hands its references over: it keeps none to the objects in the list.
    """
    work: list[tuple[object, int]] = [(obj, 0) for obj in objects]
    objects.clear()
    while work:
        obj, level = work.pop()
        # Two references: ``obj`` and getrefcount's argument. More: held elsewhere too
        # (including by objects still in ``work``, which reach it again when they go).
        if sys.getrefcount(obj) > 2:
            continue
        large = _large(obj)
        if not large and level >= DEPTH:
            continue  # small and deep: freed with its holder, in that holder's slice
        children = gc.get_referents(obj)
        del obj  # frees the object itself; its children are held by ``children``
        for child in children:
            # Inside a large container only large ones are looked into: its 50,000
            # statements are each small, and freed by the slice.
            if _large(child) or (not large and level + 1 < DEPTH):
                work.append((child, level + 1))
        # The loop variable holds the last child: it would keep it alive, counted as held
        # elsewhere, and free it whole when reassigned (seen: 100 ms).
        child = None
        while children:
            del children[-PIECE:]


_queue: queue.SimpleQueue[list[object]] = queue.SimpleQueue()
_releaser: threading.Thread | None = None
_start = threading.Lock()


def _release_forever() -> None:
    while True:
        release(_queue.get())


def release_in_thread(objects: list[object]) -> None:
    """:func:`release` on the service's one releasing thread: the caller (the event loop)
    goes on at once.

    One thread, taking what it is given in order: two threads releasing graphs that share
    objects (the stack's policy and PAGENT's state that also holds it) could each let go of
    a shared object while the other still held it, and the last one to let go would free
    all of it in one call (seen: 100 ms).
    """
    global _releaser  # noqa: PLW0603 - one thread for the process, started when first needed
    mine = list(objects)
    objects.clear()
    _queue.put(mine)
    with _start:
        if _releaser is None:
            _releaser = threading.Thread(
                target=_release_forever, name="pagent-release", daemon=True
            )
            _releaser.start()
