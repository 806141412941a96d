"""Running PAGENT's heavy work off the service's event loop (issue 13 §1).

A refresh of a large policy (read, parse, validate, diff, and half a million log lines at
LogLevel 511) takes seconds; on the event loop it would leave every client unanswered.
:func:`in_thread` runs it on a thread of its own and awaits it. The thread is a daemon:
SIGTERM ends the service at once even while a parse of minutes runs, and the abandoned
work changes nothing that outlives the process. :class:`LoopStack` is the stack as the
worker sees it: the policy's matcher is built on the worker, from the installed one so that
its cost follows the change, and the swap itself (policy and matcher together, two
assignments) runs on the loop, where the data path reads them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from pagent.policy.matching import Matcher
from pagent.policy.policy import Policy
from pagent.service.release import release_in_thread
from pagent.stack import Stack

T = TypeVar("T")

_local = threading.local()  # .worker is True on a thread that in_thread started


def in_worker() -> bool:
    """Whether this thread is a worker of :func:`in_thread` (not the event loop's)."""
    return bool(getattr(_local, "worker", False))


class ServiceClosingError(RuntimeError):
    """The service is stopping: the work of a worker is abandoned."""


async def in_thread(fn: Callable[[], T], *, name: str = "pagent-worker") -> T:
    """Run ``fn`` on a new daemon thread; its result or exception, awaited on the loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def deliver(set_outcome: Callable[[], None]) -> None:
        if not done.done():
            set_outcome()

    def work() -> None:
        _local.worker = True
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task, whole
            outcome = exc

            def fail() -> None:
                done.set_exception(outcome)

            with contextlib.suppress(RuntimeError):  # the loop closed: nobody awaits it
                loop.call_soon_threadsafe(deliver, fail)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(deliver, lambda: done.set_result(result))

    threading.Thread(target=work, name=name, daemon=True).start()
    return await done


def on_loop(loop: asyncio.AbstractEventLoop, fn: Callable[[], T], *, timeout: float = 60) -> T:
    """From a worker thread: run ``fn`` on the loop and wait for its result."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except Exception as exc:  # noqa: BLE001 - re-raised on the worker, whole
            future.set_exception(exc)

    try:
        loop.call_soon_threadsafe(run)
    except RuntimeError:
        raise ServiceClosingError("the service stopped") from None
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        raise ServiceClosingError("the service's event loop did not answer") from None


class LoopStack:
    """A stack as PAGENT's worker sees it: installs are prepared here, swapped on the loop."""

    def __init__(self, stack: Stack, loop: Callable[[], asyncio.AbstractEventLoop | None]) -> None:
        self._stack = stack
        self._loop = loop
        self.name = stack.name

    @property
    def ttls(self) -> bool:
        """Whether the stack has AT-TLS on (TCPCONFIG TTLS)."""
        return self._stack.ttls

    def install_policy(self, policy: Policy) -> None:
        """On a worker: build the matcher here, then swap policy and matcher in on the loop."""
        loop = self._loop()
        if loop is None or not in_worker():
            self._stack.install_policy(policy)
            return
        # From the installed matcher: a one-rule edit of 50,000 rules compiles one rule, not
        # all of them (issue 13 §1). Reading it here is safe: a matcher is never changed.
        matcher = Matcher(policy, self._stack.matcher)
        stack = self._stack

        def swap() -> tuple[object, object]:
            replaced = (stack.policy, stack.matcher)
            stack.install_policy(policy, matcher)
            return replaced

        # The replaced policy and matcher are handed back and freed a slice at a time, by
        # the one releasing thread: after a full rebuild theirs may be the last references
        # to hundreds of thousands of objects, and freeing them at once would hold the GIL,
        # and stall the loop, for a tenth of a second or more (issue 13 §1).
        release_in_thread([on_loop(loop, swap)])

    def remove_policy(self) -> None:
        """Remove the policy (on the loop); the policy and matcher are freed a slice at a
        time by the one releasing thread."""
        stack = self._stack

        def remove() -> tuple[object, object]:
            replaced = (stack.policy, stack.matcher)
            stack.remove_policy()
            return replaced

        loop = self._loop()
        if loop is None or not in_worker():
            release_in_thread([remove()])
            return
        release_in_thread([on_loop(loop, remove)])
