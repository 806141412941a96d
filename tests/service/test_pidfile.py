"""One service per root: the lock, the pid file and stale files."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pagent.service.pidfile import AlreadyRunningError, RunFileError, acquire, read_pid


def _holder(run_dir) -> subprocess.Popen[str]:
    """A process that takes the root, says 'held', and keeps it for 30 s."""
    code = (
        "import sys, time; from pathlib import Path; from pagent.service.pidfile import acquire;"
        " acquire(Path(sys.argv[1])); print('held', flush=True); time.sleep(30)"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, str(run_dir)], stdout=subprocess.PIPE, text=True
    )


def test_acquire_writes_the_pid_file(tmp_path):
    """The pid file holds this process's pid while the lock is held."""
    lock = acquire(tmp_path / "run")
    assert read_pid(lock.pid_path) == os.getpid()
    lock.release()
    assert not lock.pid_path.exists()


def test_second_service_on_the_same_root_is_refused(tmp_path):
    """A second process cannot take a root another process holds; it says which."""
    child = _holder(tmp_path / "run")
    with child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "held"
            with pytest.raises(AlreadyRunningError, match=f"process {child.pid}"):
                acquire(tmp_path / "run")
        finally:
            child.kill()


def test_files_of_a_killed_service_are_stale_and_replaced(tmp_path):
    """After kill -9 the lock is free; the old pid is reported and the socket removed."""
    child = _holder(tmp_path / "run")
    with child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        (tmp_path / "run" / "pagent.sock").write_text("")
        child.kill()
    lock = acquire(tmp_path / "run")
    assert lock.stale_pid == child.pid
    assert not (tmp_path / "run" / "pagent.sock").exists()
    lock.release()


@pytest.mark.parametrize("name", ["pagent.lock", "pagent.pid", "pagent.sock"])
def test_a_directory_in_place_of_a_run_file_is_refused_by_name(tmp_path, name):
    """Issue 13 §7: a directory where a run file should be is a RunFileError naming it
    (no IsADirectoryError), the directory is left alone, and the lock is not kept."""
    run = tmp_path / "run"
    (run / name).mkdir(parents=True)
    with pytest.raises(RunFileError, match=f"{run / name} is a directory"):
        acquire(run)
    assert (run / name).is_dir()
    if name != "pagent.lock":  # the lock was dropped: the next try, once fixed, takes it
        (run / name).rmdir()
        acquire(run).release()
