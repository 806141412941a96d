"""Reaching the service of a system root: connect to it, or start one and say so.

Issue 4 §1: "If no service runs on the root, the console starts one in the background and
says so; ``--no-start`` refuses instead." :func:`connect` returns a :class:`ConsoleClient`
(a :class:`~pagent.service.client.ControlClient` that can also collect unsolicited messages
without waiting for a reply) and whether it started the service.

A started service is a detached ``python -m pagent serve --root ROOT`` in its own session
(the console's Ctrl-C does not reach it, and it outlives the console), with standard input
from /dev/null and standard output and error appended to ``ROOT/var/run/pagent.out``. It is
given :data:`START_TIMEOUT` seconds to answer a ping; one that does not is stopped again.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from pagent.service.client import AccessDeniedError, ControlClient, ServiceError, socket_path
from pagent.service.pidfile import read_pid

START_TIMEOUT = 10.0
"""Seconds a started service has to answer a ping (the brief's bound)."""

PING_TIMEOUT = 5.0
"""Seconds a connected service has to answer the first ping."""

REPLY_TIMEOUT = 30.0
"""Seconds a command's reply may take before the service counts as lost (ControlClient's
default; z/OSMF's detect-time default, ecosystem-anchors §2.1)."""

_POLL = 0.02  # seconds between connection attempts while a started service comes up


class NoServiceError(RuntimeError):
    """No service could be reached (exit code 3 of a scripted session, issue 4 §3)."""


class ServiceAccessError(NoServiceError):
    """A service runs, but not for this user: the reason and remedy, and never a reason to
    start another one (issue 13 §8: it tried, and failed with "Permission denied")."""


class ConsoleClient(ControlClient):
    """A control connection that also hands over unsolicited messages as they arrive.

    :class:`ControlClient` files messages in ``messages`` while it waits for a reply, and
    :meth:`ControlClient.wait_message` drops the ones it passes over. The console prints
    every message (issue 4 §1, §3), so it reads them itself: :meth:`drain` takes what has
    already arrived, :meth:`receive` waits for more. Both return the messages in arrival
    order, with those queued by earlier replies first, and leave ``messages`` empty.

    Every fault of the connection is a :class:`ServiceError` (a broken socket too), so
    that a session tells a lost service from a closed standard output.
    """

    def _send(self, op: str, **fields: object) -> int:
        try:
            return super()._send(op, **fields)
        except OSError as exc:  # the socket broke: the service went away
            raise ServiceError(f"the connection to the service broke: {exc}") from None

    def _read(self, deadline: float) -> dict[str, Any] | None:
        try:
            return super()._read(deadline)
        except OSError as exc:
            raise ServiceError(f"the connection to the service broke: {exc}") from None
        except ValueError:  # json.JSONDecodeError, UnicodeDecodeError
            raise ServiceError("the service sent a line that is not JSON") from None

    def fileno(self) -> int:
        """The socket's descriptor, for ``select`` (readable: something arrived)."""
        return self._sock.fileno()

    def drain(self) -> list[dict[str, Any]]:
        """The messages that have arrived, without waiting."""
        while True:
            if not self._lines:  # complete lines already read come first, then the socket
                readable, _, _ = select.select([self._sock], [], [], 0)
                if not readable:
                    break
            if not self._take(time.monotonic() + PING_TIMEOUT):
                break
        return self._queued()

    def receive_all(self, timeout: float) -> list[dict[str, Any]]:
        """At least one message, or none after ``timeout`` seconds; then what else arrived."""
        if not self.messages:
            self._take(time.monotonic() + max(timeout, 0.0))
        return self.drain()

    def _take(self, deadline: float) -> bool:
        """Read one object; file a message. False when nothing came before ``deadline``."""
        obj = self._read(deadline)
        if obj is None:
            return False
        if obj.get("type") == "message":
            self.messages.append(obj)
        elif obj.get("type") == "error":
            raise ServiceError(str(obj.get("error")))
        # Anything else is a reply to no request outstanding: ignored.
        return True

    def _queued(self) -> list[dict[str, Any]]:
        queued = list(self.messages)
        self.messages.clear()
        return queued


def connect(
    root: Path,
    *,
    no_start: bool = False,
    err: TextIO | None = None,
    start_timeout: float = START_TIMEOUT,
) -> tuple[ConsoleClient, bool]:
    """A connection to the service of ``root`` and whether this call started that service.

    Raises :class:`NoServiceError` when none runs and ``no_start`` is set, when ``root`` is
    no system root, when the service does not answer, or when a started one does not come
    up within ``start_timeout`` seconds. The line saying a service was started goes to
    ``err`` (standard error by default).
    """
    path = socket_path(root)
    client = _try_connect(path)
    if client is not None:
        return client, False
    if no_start:
        raise NoServiceError(f"no pagent service runs for {root} (--no-start: not starting one)")
    if not (root / "etc" / "pagent.conf").is_file():
        raise NoServiceError(f"no pagent service runs for {root}, and it is no system root")
    pid = start_service(root)
    client, ours = _await_service(root, pid, start_timeout)
    if ours:
        print(
            f"pagent console: started a pagent service for {root} (pid {pid})",
            file=err if err is not None else sys.stderr,
        )
    return client, ours


def _try_connect(path: Path) -> ConsoleClient | None:
    """A connection that answered a ping; None when nothing listens on ``path``.

    A service that accepts the connection but then refuses it (another user, see
    docs/protocol.md) or does not answer is an error, not a reason to start another.
    """
    try:
        client = ConsoleClient(path, timeout=PING_TIMEOUT)
    except AccessDeniedError as exc:
        raise ServiceAccessError(str(exc)) from None
    except ServiceError:
        return None
    try:
        status = client.ping()
    except AccessDeniedError as exc:
        client.close()
        raise ServiceAccessError(str(exc)) from None
    except ServiceError as exc:
        client.close()
        raise NoServiceError(f"the pagent service at {path} does not answer: {exc}") from None
    if status != "ok":
        client.close()
        raise NoServiceError(f"the pagent service at {path} answered a ping with {status!r}")
    client.timeout = REPLY_TIMEOUT
    return client


def start_service(root: Path) -> int:
    """Start ``pagent serve`` for ``root``, detached; its pid."""
    run = root / "var" / "run"
    try:
        run.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        # The same pagent as this console, whether installed or run from a checkout.
        here = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        append = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "pagent", "serve", "--root", str(root)],
            env,
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, str(run / "pagent.out"), append, 0o600),
                (os.POSIX_SPAWN_DUP2, 1, 2),
            ],
            setsid=True,  # its own session: the console's signals do not reach it
        )
    except OSError as exc:
        raise NoServiceError(f"cannot start a pagent service for {root}: {exc}") from None


def _await_service(root: Path, pid: int, timeout: float) -> tuple[ConsoleClient, bool]:
    """Connect to the service ``pid`` is starting; whether it is that one that answered.

    Another console may have started one at the same moment: serve refuses a second
    service per root, and whichever answers will do. The pid file names the one serving.
    """
    path = socket_path(root)
    pid_file = root / "var" / "run" / "pagent.pid"
    deadline = time.monotonic() + timeout
    while True:
        client = _try_connect(path)
        if client is not None:
            return client, read_pid(pid_file) == pid
        if not _running(pid):
            # Ended. If it lost the race, the winner holds the root and answers once it is
            # up: wait for it as long as it runs (it may still be importing).
            while True:
                time.sleep(_POLL)
                client = _try_connect(path)
                if client is not None:
                    return client, False
                winner = read_pid(pid_file)
                if winner in (None, pid) or not _alive(winner):
                    break
                if time.monotonic() >= deadline:
                    break
            raise NoServiceError(
                f"the pagent service started for {root} ended at once: {_last_words(root)}"
            )
        if time.monotonic() >= deadline:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
            raise NoServiceError(
                f"the pagent service started for {root} (pid {pid}) did not answer within "
                f"{timeout:g} s; stopped it (see {root / 'var' / 'run' / 'pagent.out'})"
            )
        time.sleep(_POLL)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (any process, not only our child)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running(pid: int) -> bool:
    """Whether our child ``pid`` still runs (reaps it if it has ended)."""
    try:
        done, _status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def _last_words(root: Path) -> str:
    """The last line the service wrote to pagent.out, for the error message."""
    try:
        lines = (root / "var" / "run" / "pagent.out").read_text("utf-8", "replace").splitlines()
    except OSError:
        return "no output"
    return lines[-1].strip() if lines else "no output"
