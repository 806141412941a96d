"""Fixtures for the console tests: fresh system roots and a real ``pagent serve`` on one.

Roots live in short /tmp directories (a Unix socket path is limited to 108 bytes, which
pytest's tmp_path can pass). Every process a test starts is stopped with SIGTERM, found by
its pid file when the console started it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pagent.service.client import ControlClient, ServiceError, socket_path
from pagent.service.pidfile import read_pid
from tests.processes import make_root, wait_until

CONSOLE = [sys.executable, "-m", "pagent", "console"]


def answers(root: Path) -> bool:
    """Whether a service answers a ping on ``root``."""
    try:
        with ControlClient(socket_path(root), timeout=2) as client:
            return client.ping() == "ok"
    except ServiceError:
        return False


def stop_by_pid_file(root: Path) -> None:
    """SIGTERM the service whose pid the root's pid file holds; wait until it cleaned up."""
    pid_file = root / "var" / "run" / "pagent.pid"
    pid = read_pid(pid_file)
    if pid is None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(ChildProcessError):  # our child when started in this process
        os.waitpid(pid, 0)
    assert wait_until(lambda: not pid_file.exists()), f"service {pid} did not stop"


@dataclass
class Service:
    """A ``pagent serve`` this test started."""

    root: Path
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        """SIGTERM, then wait for the orderly end."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(name="root")
def fixture_root() -> Iterator[Path]:
    """A fresh root with no service; any service started on it is stopped afterwards."""
    root = make_root("pc")
    yield root
    stop_by_pid_file(root)
    shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture(name="service")
def fixture_service(root: Path) -> Iterator[Service]:
    """A real ``python -m pagent serve --root ROOT`` on a fresh root, answering pings."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pagent", "serve", "--root", str(root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    service = Service(root, process)
    try:
        if not wait_until(lambda: answers(root) or process.poll() is not None):
            pytest.fail("pagent serve did not answer within 10 s")
        if process.poll() is not None:
            pytest.fail(f"pagent serve ended at once with {process.returncode}")
        yield service
    finally:
        service.stop()


def console(
    root: Path, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m pagent console --root ROOT ARGS...``, its output captured."""
    return subprocess.run(
        [*CONSOLE, "--root", str(root), *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
