"""The control socket: an asyncio Unix-socket server speaking the JSON-lines protocol.

It knows nothing of stacks or PAGENT: it hands requests to a :class:`Handler` and
broadcasts unsolicited messages to subscribed clients. A bad request gets an error reply
(or, past the size limit, a closed connection) and never reaches the handler; a client that
stops reading is dropped when its backlog passes the limit (docs/protocol.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import socket
import struct
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from pagent.service import protocol
from pagent.service.protocol import ProtocolError, Request

REPLY_BATCH = 500  # reply lines encoded and written at once (pasearch of 50,000 rules: 2M)


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A command's solicited response and how it ended (ok, failed, rejected)."""

    lines: list[str]
    status: str


class Handler(Protocol):
    """What the control server asks of the system it fronts."""

    async def command(self, text: str) -> CommandResult:
        """Run an operator command."""

    def status(self) -> dict[str, Any]:
        """The system's status for the ``status`` reply."""

    async def pasearch(self, image: str | None, rule: str | None) -> CommandResult:
        """The installed policy in pasearch -t layout."""


CLOSE_GRACE = 0.5  # seconds a closing server gives its clients to take their last replies


@dataclass(eq=False)
class _Client:
    writer: asyncio.StreamWriter
    subscribed: bool = False
    closed: bool = field(default=False)

    def send(self, obj: dict[str, Any]) -> bool:
        """Queue one reply; False (and drop the client) when it has stopped reading."""
        if self.closed:
            return False
        transport = self.writer.transport
        if transport.get_write_buffer_size() > protocol.MAX_BACKLOG:
            self.close()
            return False
        self.writer.write(protocol.encode(obj))
        return True

    async def reply(self, obj: dict[str, Any]) -> bool:
        """Send one object of a reply (see :meth:`reply_data`)."""
        return await self.reply_data(protocol.encode(obj))

    async def reply_data(self, data: bytes) -> bool:
        """Send one object of a reply, paced to the client's reading (issue 13 §2).

        A reply may be far larger than the backlog limit (``pasearch`` of 50,000 rules): it
        is written as fast as the client reads, so a client that reads gets all of it. A
        client that takes nothing for :data:`protocol.REPLY_STALL` seconds is dropped.
        """
        if self.closed:
            return False
        transport = self.writer.transport
        self.writer.write(data)
        left = transport.get_write_buffer_size()
        stalled_since = time.monotonic()
        while left > protocol.REPLY_PACE and not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.writer.drain(), 0.25)
            now_left = transport.get_write_buffer_size()
            if now_left < left:
                stalled_since = time.monotonic()
            elif time.monotonic() - stalled_since > protocol.REPLY_STALL:
                self.close()
            left = now_left
        return not self.closed

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()

    def abort(self) -> None:
        """Close at once, dropping what the client has not read."""
        self.closed = True
        self.writer.transport.abort()


def peer_uid(writer: asyncio.StreamWriter) -> int | None:
    """The uid of the process at the other end of a Unix socket (SO_PEERCRED), if known."""
    sock = writer.get_extra_info("socket")
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", raw)
    return int(uid)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def allowed_uids(conf: Path) -> set[int]:
    """The service's own uid, plus those ``ROOT/etc/service.conf`` grants (allow-user)."""
    uids = {os.getuid()}
    try:
        lines = conf.read_text("utf-8").splitlines()
    except OSError:
        return uids
    for line in lines:
        words = line.split("#", 1)[0].split()
        if len(words) == 2 and words[0].lower() == "allow-user":
            who = words[1]
            if who.isdigit():
                uids.add(int(who))
            else:
                with contextlib.suppress(KeyError):
                    uids.add(pwd.getpwnam(who).pw_uid)
    return uids


class ControlServer:
    """Serves the protocol on a Unix socket."""

    def __init__(
        self,
        path: Path,
        handler: Handler,
        *,
        clock: Callable[[], datetime],
        allowed: Callable[[], Iterable[int]],
    ) -> None:
        self.path = path
        self.handler = handler
        self.clock = clock
        self.allowed = allowed
        self.clients: set[_Client] = set()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Create the socket, owner-only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o177)  # the socket is born 0600: no window where others can connect
        try:
            self._server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=protocol.MAX_REQUEST + 1
            )
        finally:
            os.umask(old)
        # Owner-only, unless etc/service.conf grants other users: then they must be able to
        # connect at all, and SO_PEERCRED decides who is served.
        os.chmod(self.path, 0o666 if set(self.allowed()) - {os.getuid()} else 0o600)

    async def close(self) -> None:
        """Stop listening, drop every client, and let their handlers finish.

        The clients are closed before waiting for the server: from Python 3.12 on,
        ``wait_closed`` waits for open connections, so waiting first would never end.
        """
        if self._server is not None:
            self._server.close()
        for c in list(self.clients):
            c.close()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=CLOSE_GRACE)
        # A client that reads has had what was sent to it (PAGENT's purge messages); one
        # that never reads keeps its handler waiting for buffer space for ever: SIGTERM
        # took 5.1 s and ended in a CancelledError traceback (issue 13 §7).
        for c in list(self.clients):
            c.abort()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=CLOSE_GRACE)
        if self._server is not None:
            await self._server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def broadcast(self, text: str) -> None:
        """Send an unsolicited message to every subscribed client."""
        obj = protocol.message(text, self.clock())
        for c in list(self.clients):
            if c.subscribed and not c.send(obj):
                self.clients.discard(c)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        client = _Client(writer)
        uid = peer_uid(writer)
        if uid is not None and uid not in set(self.allowed()):
            structlog.get_logger("pagent.control").warning("control_client_refused", uid=uid)
            who = _user_name(uid)
            reason = (
                f"user {who} (uid {uid}) is not allowed to use this service; grant it with "
                f"'allow-user {who}' in the root's etc/service.conf"
            )
            client.send(protocol.error_reply(None, reason, code=protocol.REFUSED))
            client.close()
            return
        self.clients.add(client)
        try:
            while not client.closed:
                try:
                    raw = await reader.readuntil(b"\n")
                except asyncio.LimitOverrunError:
                    client.send(protocol.error_reply(None, "request longer than 64 KiB"))
                    break
                except asyncio.IncompleteReadError:
                    break
                if len(raw) > protocol.MAX_REQUEST:
                    client.send(protocol.error_reply(None, "request longer than 64 KiB"))
                    break
                if not raw.strip():
                    continue
                try:
                    req = protocol.decode_request(raw)
                except ProtocolError as exc:
                    client.send(protocol.error_reply(None, str(exc)))
                    continue
                try:
                    await self._dispatch(client, req)
                except ConnectionError:
                    raise  # the client went away: nobody to answer
                except Exception as exc:  # noqa: BLE001 - every request is answered (issue 13 §6)
                    structlog.get_logger("pagent.control").error(
                        "control_request_failed", op=req.op, error=repr(exc)[:200]
                    )
                    reason = f"the service failed on this request: {type(exc).__name__}"
                    client.send(protocol.error_reply(req.id, reason))
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.clients.discard(client)
            client.close()

    async def _dispatch(self, client: _Client, req: Request) -> None:
        if req.op == "ping":
            client.send(protocol.end_reply(req.id, "ok", 0))
        elif req.op == "subscribe":
            client.subscribed = True
            client.send(protocol.end_reply(req.id, "ok", 0))
        elif req.op == "unsubscribe":
            client.subscribed = False
            client.send(protocol.end_reply(req.id, "ok", 0))
        elif req.op == "status":
            client.send({"id": req.id, "type": "status", **self.handler.status()})
        else:
            if req.op == "command":
                result = await self.handler.command(str(req.fields["text"]))
            else:
                image, rule = req.fields.get("image"), req.fields.get("rule")
                result = await self.handler.pasearch(
                    image if isinstance(image, str) else None,
                    rule if isinstance(rule, str) else None,
                )
            now = self.clock()
            lines = result.lines
            for start in range(0, len(lines), REPLY_BATCH):  # one write per batch of lines
                data = b"".join(
                    protocol.encode(protocol.line_reply(req.id, line, now))
                    for line in lines[start : start + REPLY_BATCH]
                )
                if not await client.reply_data(data):
                    return
            await client.reply(protocol.end_reply(req.id, result.status, len(lines)))
