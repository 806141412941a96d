"""The chain watcher: in-place writes and save-by-rename both give one refresh request."""

from __future__ import annotations

import asyncio
import os

from pagent.service.watch import ChainWatcher


async def _requests_after(tmp_path, change) -> int:
    calls: list[int] = []
    loop = asyncio.get_running_loop()
    target = tmp_path / "TTLS.policy"
    target.write_text("a\n")
    watcher = ChainWatcher(loop, lambda: calls.append(1), debounce=0.1)
    watcher.watch([target])
    try:
        await asyncio.sleep(0.2)
        change(target)
        for _ in range(40):
            await asyncio.sleep(0.05)
            if calls:
                break
        await asyncio.sleep(0.3)
    finally:
        watcher.stop()
    return len(calls)


def test_in_place_write_requests_one_refresh(tmp_path):
    """Several writes in a burst give exactly one request."""

    def change(p):
        for i in range(5):
            p.write_text(f"b{i}\n")

    assert asyncio.run(_requests_after(tmp_path, change)) == 1


def test_save_to_temporary_and_rename_is_seen(tmp_path):
    """An editor writing a temporary file and renaming it over the target is seen."""

    def change(p):
        tmp = p.with_name(".TTLS.policy.swp")
        tmp.write_text("c\n")
        os.replace(tmp, p)

    assert asyncio.run(_requests_after(tmp_path, change)) == 1


def test_other_files_in_the_directory_are_ignored(tmp_path):
    """A change to a file that is not watched requests nothing."""

    def change(p):
        (p.parent / "unrelated.txt").write_text("x\n")

    assert asyncio.run(_requests_after(tmp_path, change)) == 0


def test_reading_the_file_requests_nothing(tmp_path):
    """Opening and reading a watched file (as PAGENT does on a refresh) is no change."""

    def change(p):
        for _ in range(3):
            p.read_text()

    assert asyncio.run(_requests_after(tmp_path, change)) == 0


def test_a_symlink_loop_is_watched_and_its_fix_requests_a_refresh(tmp_path):
    """A symlink loop at a watched name raises nothing; replacing it is seen (issue 13 §4)."""

    async def run() -> int:
        calls: list[int] = []
        target = tmp_path / "TTLS.policy"
        other = tmp_path / "other"
        target.symlink_to(other)
        other.symlink_to(target)
        watcher = ChainWatcher(asyncio.get_running_loop(), lambda: calls.append(1), debounce=0.1)
        watcher.watch([target, tmp_path / "bad\0name"])
        try:
            await asyncio.sleep(0.2)
            fixed = tmp_path / "fixed"
            fixed.write_text("a\n")
            os.replace(fixed, target)
            for _ in range(40):
                await asyncio.sleep(0.05)
                if calls:
                    break
        finally:
            watcher.stop()
        return len(calls)

    assert asyncio.run(run()) == 1
