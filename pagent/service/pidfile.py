"""One service per system root: a lock file, a pid file, and stale-file recovery.

The lock is an ``flock`` on ``ROOT/var/run/pagent.lock``, held for the life of the
service: the kernel releases it when the process dies, even by ``kill -9``, so a second
service is refused exactly while the first one runs, and a pid file or socket left by a
killed service is recognised as stale (nobody holds the lock) and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from dataclasses import dataclass
from pathlib import Path


class AlreadyRunningError(RuntimeError):
    """Another service holds the root; the message says which process."""


@dataclass
class InstanceLock:
    """The held lock, the pid file and what was found stale on the way in."""

    run_dir: Path
    fd: int
    stale_pid: int | None  # the pid of a dead service whose files were replaced

    @property
    def pid_path(self) -> Path:
        """``var/run/pagent.pid``."""
        return self.run_dir / "pagent.pid"

    def release(self) -> None:
        """Remove the pid file and drop the lock."""
        with contextlib.suppress(FileNotFoundError):
            self.pid_path.unlink()
        os.close(self.fd)


class RunFileError(RuntimeError):
    """Something that is no file stands where a run file should be; the message names it."""


_RUN_FILES = {"pagent.lock": "lock file", "pagent.pid": "pid file", "pagent.sock": "socket"}


def _check_run_files(run_dir: Path) -> None:
    """RunFileError for a directory where a run file should be (issue 13 §7: it crashed
    ``pagent serve`` with IsADirectoryError). It is not removed: it may hold something."""
    for name, what in _RUN_FILES.items():
        path = run_dir / name
        if path.is_dir():
            raise RunFileError(f"{path} is a directory, not the service's {what}; remove it")


def acquire(run_dir: Path) -> InstanceLock:
    """Take the root for this process; AlreadyRunningError when another service has it,
    RunFileError (or OSError) when the run directory cannot hold the service's files."""
    run_dir.mkdir(parents=True, exist_ok=True)
    _check_run_files(run_dir)
    fd = os.open(run_dir / "pagent.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        pid = read_pid(run_dir / "pagent.pid")
        who = f"process {pid}" if pid is not None else "another process"
        raise AlreadyRunningError(
            f"a pagent service ({who}) already runs on {run_dir.parent.parent}"
        ) from None
    try:
        _check_run_files(run_dir)  # again, now that no other service can change them
        # A pid file here means a service died without cleaning up (we hold the lock, so it
        # is not running, whatever process may have that pid now).
        stale = read_pid(run_dir / "pagent.pid")
        with contextlib.suppress(FileNotFoundError):
            (run_dir / "pagent.sock").unlink()  # a socket left by a killed service
        tmp = run_dir / "pagent.pid.tmp"
        tmp.write_text(f"{os.getpid()}\n", "ascii")
        tmp.replace(run_dir / "pagent.pid")
    except BaseException:
        os.close(fd)
        raise
    return InstanceLock(run_dir, fd, stale)


def read_pid(path: Path) -> int | None:
    """The pid in a pid file, or None."""
    try:
        text = path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
