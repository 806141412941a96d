"""Fixtures for the end-to-end tests: a real ``pagent serve`` process on a fresh root.

Each root is laid out by ``python -m pagent init`` in a short directory under /tmp (a Unix
socket path is limited to about 100 bytes, which pytest's own tmp_path can pass). The
service runs as ``python -m pagent serve --root ROOT`` with its stdout and stderr in files
beside the root. It must come up (answer a ping) within 10 s, and at teardown it must end
with exit code 0 within 10 s of SIGTERM; otherwise it is killed and the test fails with its
standard error.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pagent.service.client import ControlClient, ServiceError, socket_path
from tests.processes import make_root, wait_until

PAGENT = [sys.executable, "-m", "pagent"]
UP_TIMEOUT = 10.0  # seconds for a service to answer its first ping
STOP_TIMEOUT = 10.0  # seconds for a service to exit after SIGTERM
POLICY = Path("etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy")  # relative to the root
SYSLOG = Path("var/syslogd/syslogall.log")


def pagent(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """``python -m pagent ARGS``, its output captured (the real CLI, as a user runs it)."""
    return subprocess.run(
        [*PAGENT, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def collect_until(client: ControlClient, msgid: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Unsolicited messages, queued or arriving, up to and including the first ``msgid``.

    Fails the test when ``msgid`` does not come within ``timeout`` seconds.
    """
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = client.receive(max(deadline - time.monotonic(), 0.0))
        if msg is None:
            texts = [m.get("text") for m in seen]
            pytest.fail(f"no {msgid} within {timeout:g} s; messages seen: {texts}")
        seen.append(msg)
        if msg.get("msgid") == msgid:
            return seen


@dataclass
class Service:
    """A ``pagent serve`` process this test started on ``root``."""

    root: Path
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    killed: bool = False  # the test ended it on purpose (kill9 or terminate)
    clients: list[ControlClient] = field(default_factory=list)

    @property
    def pid(self) -> int:
        """The service's process id."""
        return self.process.pid

    @property
    def socket(self) -> Path:
        """Its control socket."""
        return socket_path(self.root)

    @property
    def policy(self) -> Path:
        """The workshop policy file of TCPIP1 in this root."""
        return self.root / POLICY

    @property
    def syslog(self) -> Path:
        """syslogd's file of everything (etc/syslog.conf's ``*.*`` rule)."""
        return self.root / SYSLOG

    def stderr_text(self) -> str:
        """What the service wrote to its standard error so far."""
        return self.stderr.read_text("utf-8", "replace")

    def log_text(self) -> str:
        """syslogall.log as it is now (empty when it does not exist)."""
        try:
            return self.syslog.read_text("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, needle: str, timeout: float = 5.0) -> bool:
        """Wait until syslogall.log holds ``needle``."""
        return wait_until(lambda: needle in self.log_text(), timeout)

    def wait_log_count(self, needle: str, count: int, timeout: float = 5.0) -> bool:
        """Wait until syslogall.log holds ``needle`` exactly ``count`` times.

        A console message is broadcast before it is logged, so a client may see it a moment
        before the log has it.
        """
        return wait_until(lambda: self.log_text().count(needle) == count, timeout)

    def client(self, *, timeout: float = 10.0) -> ControlClient:
        """A new connection, closed at teardown."""
        client = ControlClient(self.socket, timeout=timeout)
        self.clients.append(client)
        return client

    def answers(self) -> bool:
        """Whether the service answers a ping on a new connection."""
        try:
            with ControlClient(self.socket, timeout=2) as client:
                return client.ping() == "ok"
        except ServiceError:
            return False

    def start_pagent(self, client: ControlClient) -> list[dict[str, Any]]:
        """``S PAGENT`` on a subscribed client; the messages up to its EZD1586I.

        A ping afterwards makes sure the service has finished PAGENT's start (the file
        watcher is aimed right after EZD1586I is broadcast).
        """
        reply = client.command("S PAGENT")
        assert reply.status == "ok", reply.texts
        messages = collect_until(client, "EZD1586I")
        assert client.ping() == "ok"
        return messages

    def kill9(self) -> None:
        """End the service with SIGKILL (no clean-up), as a crash would."""
        self.killed = True
        self.process.kill()
        self.process.wait(STOP_TIMEOUT)

    def terminate(self) -> int:
        """SIGTERM now (clients left connected); the exit code. Fails after 10 s."""
        self.killed = True
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
            pytest.fail(
                f"pagent serve (pid {self.pid}) did not exit within {STOP_TIMEOUT:g} s of "
                f"SIGTERM and was killed; stderr:\n{self.stderr_text()}"
            )

    def stop(self) -> str | None:
        """SIGTERM and wait; None when it exited 0 in time, else what went wrong."""
        for client in self.clients:
            client.close()
        if self.killed:
            return None
        if self.process.poll() is not None:
            return (
                f"pagent serve (pid {self.pid}) ended on its own with {self.process.returncode}"
                f"; stderr:\n{self.stderr_text()}"
            )
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
            return (
                f"pagent serve (pid {self.pid}) did not exit within {STOP_TIMEOUT:g} s of "
                f"SIGTERM and was killed; stderr:\n{self.stderr_text()}"
            )
        if code != 0:
            return (
                f"pagent serve (pid {self.pid}) exited with {code} after SIGTERM; "
                f"stderr:\n{self.stderr_text()}"
            )
        return None


@pytest.fixture(name="root")
def fixture_root() -> Iterator[Path]:
    """A fresh system root (etc/ and var/ as ``pagent init`` lays them out)."""
    root = make_root("pe")
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


Launch = Callable[[], Service]


@pytest.fixture(name="launch")
def fixture_launch(root: Path) -> Iterator[Launch]:
    """Start ``pagent serve --root ROOT`` (as often as a test needs); stop all at the end.

    Every service must exit 0 within 10 s of SIGTERM at teardown, unless the test killed
    it on purpose (:meth:`Service.kill9`).
    """
    started: list[Service] = []

    def launch() -> Service:
        n = len(started) + 1
        out, err = root.parent / f"serve{n}.out", root.parent / f"serve{n}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [*PAGENT, "serve", "--root", str(root)],
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        service = Service(root, process, out, err)
        started.append(service)
        if not wait_until(lambda: service.answers() or process.poll() is not None, UP_TIMEOUT):
            pytest.fail(
                f"pagent serve did not answer within {UP_TIMEOUT:g} s; "
                f"stderr:\n{service.stderr_text()}"
            )
        if process.poll() is not None:
            pytest.fail(
                f"pagent serve ended at once with {process.returncode}; "
                f"stderr:\n{service.stderr_text()}"
            )
        return service

    yield launch
    problems = [p for service in started if (p := service.stop())]
    if problems:
        pytest.fail("\n".join(problems))


@pytest.fixture(name="service")
def fixture_service(launch: Launch) -> Service:
    """A running service on a fresh default root (WG31, TCPIP1 in NOTTLS, PAGENT stopped)."""
    return launch()
