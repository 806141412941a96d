"""The stack as PAGENT's worker sees it (pagent/service/worker.py, issue 13 §1)."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
import weakref
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from benchmarks.gen_policy import policy_text
from pagent.policy.incremental import PolicyCache
from pagent.policy.matching import Connection, Matcher
from pagent.policy.policy import Policy
from pagent.policy.source import decode
from pagent.service.worker import LoopStack, in_thread
from pagent.stack import Stack

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture(name="stack")
def fixture_stack(tmp_path: Path) -> Stack:
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return Stack(
        "TCPIP1",
        root=tmp_path,
        profile="SYS1.TCPPARMS(PROFILE)",
        clock=lambda: NOW,
        emit=lambda _lines: None,
    )


def _src(text: str):
    return decode(text.encode(), "TTLS.policy")


def _install_on_worker(stack: Stack, policies: list[Policy]) -> list[Matcher]:
    """Install each policy from a worker thread, as the service's PAGENT task does; the
    matchers installed, in turn."""

    async def main() -> list[Matcher]:
        loop = asyncio.get_running_loop()
        front = LoopStack(stack, lambda: loop)
        installed: list[Matcher] = []
        for policy in policies:
            await in_thread(partial(front.install_policy, policy))
            assert stack.matcher is not None
            installed.append(stack.matcher)
        return installed

    return asyncio.run(main())


def test_a_refresh_builds_the_matcher_from_the_installed_one(stack):
    """A one-rule edit installed through the worker compiles one rule, not all of them, and
    the stack matches as with a fresh matcher."""
    text = policy_text(200)
    cache = PolicyCache()
    first = cache.load([_src(text)])
    edited = cache.load(
        [_src(text.replace("LocalPortRange                  10011", "LocalPortRange 20011", 1))]
    )
    before, after = _install_on_worker(stack, [first, edited])
    assert after.policy is edited
    assert stack.policy is edited
    assert after.incremental
    assert sum(c not in set(map(id, before.compiled)) for c in map(id, after.compiled)) == 1
    conn = Connection("inbound", "10.1.1.1", 20011, "10.0.11.9", 5000, "JOB011X")
    assert stack.matcher is not None
    assert stack.matcher.match(conn) is Matcher(edited).match(conn)
    found = stack.matcher.match(conn)
    assert found is not None
    assert found.name == "Rule00011"


def test_the_replaced_policy_is_freed_by_the_releasing_thread_not_on_the_loop(stack):
    """Dropping a policy of 50,000 rules frees hundreds of thousands of objects: that must
    not happen on the event loop, which answers D TCPIP meanwhile."""
    text = policy_text(20)
    first = PolicyCache().load([_src(text)])
    second = PolicyCache().load([_src(text.replace("Rule00003", "Rule0000X"))])
    freed_on: list[str] = []
    weakref.finalize(first, lambda: freed_on.append(threading.current_thread().name))
    policies = [first, second]
    del first
    loop_thread = threading.current_thread().name

    async def main() -> None:
        loop = asyncio.get_running_loop()
        front = LoopStack(stack, lambda: loop)
        await in_thread(lambda: front.install_policy(policies.pop(0)))
        await in_thread(lambda: front.install_policy(policies.pop(0)))

    asyncio.run(main())
    deadline = time.monotonic() + 10
    while not freed_on and time.monotonic() < deadline:  # the releasing thread frees it
        time.sleep(0.01)
    assert freed_on
    assert freed_on != [loop_thread]
    assert freed_on == ["pagent-release"]
