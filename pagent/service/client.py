"""A blocking client of the control protocol, for the CLI, scripts and tests.

Replies to this client's requests and unsolicited messages arrive on one connection; the
client files messages in a queue while it waits for a reply, so neither is lost.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pagent.service.protocol import REFUSED


class ServiceError(RuntimeError):
    """No service could be reached, or it broke the protocol."""


class NoServiceError(ServiceError):
    """Nothing listens at the socket: no service runs there (the connection was never made).

    A connection that was made and then lost is a plain :class:`ServiceError`: the service
    was there, and saying "no service" would send the user looking in the wrong place.
    """


class AccessDeniedError(ServiceError):
    """A service's socket is there, but this user may not use it: the socket's mode keeps
    the user out, or the service refused the user (docs/protocol.md). Never a reason to
    start another service (issue 13 §8); the message names the remedy."""


def user_name(uid: int | None = None) -> str:
    """The login name of ``uid`` (this process's by default), or the number."""
    uid = os.getuid() if uid is None else uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def grant_remedy(path: Path, user: str, *, restart: bool) -> str:
    """How the service's owner lets ``user`` in: the allow-user line of etc/service.conf."""
    root = path.parents[2] if path.parent.name == "run" and len(path.parents) > 2 else None
    conf = f"{root / 'etc' / 'service.conf'}" if root else "the root's etc/service.conf"
    then = " and restart the service" if restart else ""
    return f"the service's owner can grant access with the line 'allow-user {user}' in {conf}{then}"


def _denied_at_connect(path: Path) -> AccessDeniedError:
    """EACCES on connect: the socket (mode 0600 without grants) or a directory above it."""
    user = user_name()
    closed = next((d for d in reversed(path.parents) if not os.access(d, os.X_OK)), None)
    also = f"; {closed} must also let {user} through (o+x)" if closed is not None else ""
    return AccessDeniedError(
        f"permission denied: user {user} may not use the pagent service at {path}; "
        f"{grant_remedy(path, user, restart=True)}{also}"
    )


def _refused(path: Path) -> AccessDeniedError:
    """The service accepted the connection, then refused this user (SO_PEERCRED)."""
    user = user_name()
    return AccessDeniedError(
        f"the pagent service at {path} does not serve user {user} (not allowed); "
        f"{grant_remedy(path, user, restart=False)}"
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """The reply to one request: its lines (dicts as sent) and end status."""

    lines: list[dict[str, Any]]
    status: str

    @property
    def texts(self) -> list[str]:
        """The line texts."""
        return [str(line["text"]) for line in self.lines]


def socket_path(root: Path) -> Path:
    """Where the service of a system root listens."""
    return root / "var" / "run" / "pagent.sock"


class ControlClient:
    """One connection to a running service."""

    def __init__(self, path: Path, *, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(str(path))
        except PermissionError:  # a socket is there, closed to this user (issue 13 §8)
            self._sock.close()
            raise _denied_at_connect(path) from None
        except OSError as exc:
            self._sock.close()
            raise NoServiceError(f"no pagent service at {path}: {exc.strerror or exc}") from None
        self._buf = b""
        self._lines: deque[bytes] = deque()
        self._next_id = 0
        self.last_status = ""  # the end status of the last pasearch_lines
        self.messages: deque[dict[str, Any]] = deque()

    def close(self) -> None:
        """Disconnect."""
        self._sock.close()

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, op: str, **fields: object) -> int:
        self._next_id += 1
        obj = {"id": self._next_id, "op": op, **fields}
        try:
            self._sock.sendall((json.dumps(obj) + "\n").encode("utf-8"))
        except OSError as exc:  # BrokenPipeError, ConnectionResetError: the service is gone
            if self._refusal_pending():  # ... because it refused this user before we spoke
                raise _refused(self.path) from None
            raise ServiceError(f"lost the pagent service: {exc.strerror or exc}") from None
        return self._next_id

    def _refusal_pending(self) -> bool:
        """Whether what the service sent before it closed the connection refuses us."""
        data = self._buf
        self._sock.settimeout(0.5)
        try:
            while chunk := self._sock.recv(65536):
                data += chunk
        except OSError:
            pass
        for line in [*self._lines, *data.split(b"\n")]:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("type") == "error" and obj.get("code") == REFUSED:
                return True
        return False

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while not self._lines:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(1 << 20)
            except TimeoutError:
                return None
            except OSError as exc:
                if self._refusal_pending():
                    raise _refused(self.path) from None
                raise ServiceError(f"lost the pagent service: {exc.strerror or exc}") from None
            if not chunk:
                raise ServiceError("the service closed the connection")
            # Split once per chunk: a reply of a million lines must not copy the buffer per line.
            *complete, self._buf = (self._buf + chunk).split(b"\n")
            self._lines.extend(complete)
        try:
            obj: dict[str, Any] = json.loads(self._lines.popleft())
        except ValueError:
            raise ServiceError("the service sent a line that is not JSON") from None
        if not isinstance(obj, dict):
            raise ServiceError("the service sent a line that is not a JSON object")
        if obj.get("type") == "error" and obj.get("code") == REFUSED:
            raise _refused(self.path)
        return obj

    def _stream(self, req_id: int) -> Iterator[dict[str, Any]]:
        """The reply objects of request ``req_id`` as they arrive, up to its last one.

        Unsolicited messages on the way are kept in :attr:`messages`; the deadline starts
        again with every line, since a long reply that moves is alive.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            obj = self._read(deadline)
            if obj is None:
                raise ServiceError(f"no reply within {self.timeout:g} s")
            kind = obj.get("type")
            if kind == "message":
                self.messages.append(obj)
            elif kind == "error":
                raise ServiceError(str(obj.get("error")))
            elif obj.get("id") == req_id:
                yield obj
                if kind != "line":
                    return
                deadline = time.monotonic() + self.timeout

    def _reply(self, req_id: int) -> dict[str, Any] | Reply:
        lines: list[dict[str, Any]] = []
        for obj in self._stream(req_id):
            kind = obj.get("type")
            if kind == "line":
                lines.append(obj)
            elif kind == "end":
                return Reply(lines, str(obj.get("status")))
            else:
                return obj
        raise ServiceError("the reply ended before its last line")  # _stream ends on it

    def command(self, text: str) -> Reply:
        """Run an operator command; its lines and status."""
        reply = self._reply(self._send("command", text=text))
        assert isinstance(reply, Reply)
        return reply

    def pasearch_lines(self, image: str | None = None, rule: str | None = None) -> Iterator[str]:
        """The installed policy, pasearch -t layout, line by line as it arrives.

        A report of 50,000 rules has millions of lines: kept as reply objects they would
        take gigabytes (issue 13 §2). The end status is :attr:`last_status` afterwards.
        """
        fields = {k: v for k, v in (("image", image), ("rule", rule)) if v is not None}
        req_id = self._send("pasearch", **fields)
        self.last_status = ""
        for obj in self._stream(req_id):
            if obj.get("type") == "line":
                yield str(obj.get("text"))
            elif obj.get("type") == "end":
                self.last_status = str(obj.get("status"))

    def pasearch(self, image: str | None = None, rule: str | None = None) -> Reply:
        """The installed policy, pasearch -t layout."""
        fields = {k: v for k, v in (("image", image), ("rule", rule)) if v is not None}
        reply = self._reply(self._send("pasearch", **fields))
        assert isinstance(reply, Reply)
        return reply

    def status(self) -> dict[str, Any]:
        """The service's status reply."""
        reply = self._reply(self._send("status"))
        assert isinstance(reply, dict)
        return reply

    def ping(self) -> str:
        """Round trip; the end status."""
        reply = self._reply(self._send("ping"))
        assert isinstance(reply, Reply)
        return reply.status

    def subscribe(self) -> None:
        """Receive unsolicited messages from now on."""
        self._reply(self._send("subscribe"))

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next unsolicited message (queued first), or None after ``timeout`` seconds."""
        if self.messages:
            return self.messages.popleft()
        deadline = time.monotonic() + timeout
        while True:
            obj = self._read(deadline)
            if obj is None:
                return None
            if obj.get("type") == "message":
                return obj

    def wait_message(self, msgid: str, timeout: float) -> dict[str, Any] | None:
        """The first queued or arriving message with this ID, or None after ``timeout``.

        Messages with other IDs stay queued, in order, for the caller to show.
        """
        for i, msg in enumerate(self.messages):
            if msg.get("msgid") == msgid:
                del self.messages[i]
                return msg
        deadline = time.monotonic() + timeout
        while True:
            obj = self._read(deadline)
            if obj is None:
                return None
            if obj.get("type") != "message":
                continue
            if obj.get("msgid") == msgid:
                return obj
            self.messages.append(obj)
