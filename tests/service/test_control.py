"""The control socket: the protocol, its limits, subscriptions and many clients at once."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import stat
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pagent.service.client import ControlClient, NoServiceError, ServiceError
from pagent.service.control import CommandResult, ControlServer, allowed_uids


class EchoHandler:
    """Answers a command with its own text, split at commas; 'FAIL' fails."""

    async def command(self, text: str) -> CommandResult:
        await asyncio.sleep(0)
        if text == "FAIL":
            return CommandResult(["EZZ0050I COMMAND FAIL FAILED"], "failed")
        return CommandResult([f"ECHO {part}" for part in text.split(",")], "ok")

    def status(self) -> dict[str, Any]:
        return {"image": "WG31", "pagent": False, "stacks": [{"name": "TCPIP1", "ttls": False}]}

    async def pasearch(self, image: str | None, rule: str | None) -> CommandResult:
        return CommandResult(["No policies retrieved"], "ok")


class Running:
    """A control server running on its own event loop in a thread."""

    def __init__(self, path: Path, allowed: set[int] | None = None) -> None:
        self.path = path
        self.loop = asyncio.new_event_loop()
        self.server = ControlServer(
            path,
            EchoHandler(),
            clock=lambda: datetime(2026, 11, 24, tzinfo=UTC),
            allowed=lambda: allowed if allowed is not None else allowed_uids(Path("/nonexistent")),
        )
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)

    def broadcast(self, text: str) -> None:
        self.loop.call_soon_threadsafe(self.server.broadcast, text)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


@pytest.fixture(name="sock_dir")
def fixture_sock_dir() -> Iterator[Path]:
    """A short directory: Unix socket paths are limited to about 100 bytes."""
    d = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(name="server")
def fixture_server(sock_dir: Path) -> Iterator[Running]:
    """A running server with the echo handler."""
    running = Running(sock_dir / "run" / "pagent.sock")
    yield running
    running.stop()


def raw_connect(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(str(path))
    s.settimeout(5)
    return s


def read_obj(s: socket.socket) -> dict[str, Any]:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    obj: dict[str, Any] = json.loads(buf.split(b"\n")[0])
    return obj


def test_command_replies_with_lines_and_an_end_marker(server):
    """A command's lines come back in order, then 'end' with the status and count."""
    with ControlClient(server.path) as c:
        reply = c.command("D TCPIP,,N,CONFIG")
    assert reply.texts == ["ECHO D TCPIP", "ECHO ", "ECHO N", "ECHO CONFIG"]
    assert reply.status == "ok"


def test_failed_command_reports_failed(server):
    """A command that fails ends with status 'failed'."""
    with ControlClient(server.path) as c:
        assert c.command("FAIL").status == "failed"


def test_line_replies_carry_the_message_id(server):
    """Each line says which message ID it starts with."""
    with ControlClient(server.path) as c:
        reply = c.command("FAIL")
    assert reply.lines[0]["msgid"] == "EZZ0050I"


def test_socket_is_owner_only(server):
    """The socket is created with mode 0600."""
    assert stat.S_IMODE(server.path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "raw",
    [
        b"not json\n",
        b"[1, 2]\n",
        b'{"op": "nope"}\n',
        b"\xff\xfe\x00binary\n",
        b'{"op": "command"}\n',
    ],
    ids=["not-json", "not-object", "unknown-op", "binary", "no-text"],
)
def test_bad_request_gets_an_error_and_the_connection_stays_open(server, raw):
    """A malformed request is answered with an error; a ping on the same connection works."""
    s = raw_connect(server.path)
    s.sendall(raw)
    assert read_obj(s)["type"] == "error"
    s.sendall(b'{"id": 9, "op": "ping"}\n')
    assert read_obj(s) == {"id": 9, "type": "end", "status": "ok", "lines": 0}
    s.close()


def test_oversized_request_gets_an_error_and_a_closed_connection(server):
    """A request over 64 KiB: error reply, then the service closes the connection."""
    s = raw_connect(server.path)
    s.sendall(b'{"op": "command", "text": "' + b"x" * 70000 + b'"}\n')
    assert read_obj(s)["type"] == "error"
    assert s.recv(10) == b""
    s.close()
    with ControlClient(server.path) as c:  # and the service still serves
        assert c.ping() == "ok"


def test_subscribers_receive_unsolicited_messages(server):
    """A subscribed client gets broadcasts; another one does not."""
    with ControlClient(server.path) as sub, ControlClient(server.path) as other:
        sub.subscribe()
        server.broadcast("EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1")
        msg = sub.wait_message("EZD1586I", timeout=5)
        assert msg is not None
        assert msg["text"].startswith("EZD1586I")
        assert other.wait_message("EZD1586I", timeout=0.2) is None


def test_status_reply(server):
    """status returns the handler's status."""
    with ControlClient(server.path) as c:
        assert c.status()["image"] == "WG31"


def test_twenty_clients_at_once_get_their_own_replies(server):
    """20 clients issuing 50 commands each: every reply is complete and their own."""

    def session(n: int) -> bool:
        with ControlClient(server.path) as c:
            for i in range(50):
                reply = c.command(f"C{n},{i}")
                if reply.texts != [f"ECHO C{n}", f"ECHO {i}"]:
                    return False
        return True

    with ThreadPoolExecutor(20) as pool:
        assert all(pool.map(session, range(20)))


def test_other_users_are_refused(sock_dir):
    """A peer whose uid is not allowed gets an error and is disconnected."""
    running = Running(sock_dir / "pagent.sock", allowed=set())
    try:
        with pytest.raises(ServiceError, match="not allowed"), ControlClient(running.path) as c:
            c.ping()
    finally:
        running.stop()


def test_service_conf_grants_users(tmp_path):
    """allow-user lines add uids by number or name."""
    conf = tmp_path / "service.conf"
    conf.write_text("# who may connect\nallow-user 4242\nallow-user root\n")
    assert {4242, 0} <= allowed_uids(conf)


def test_no_service_is_a_service_error(sock_dir):
    """Connecting where no service listens raises ServiceError naming the path."""
    with pytest.raises(ServiceError, match="no pagent service"):
        ControlClient(sock_dir / "none.sock")


def test_waiting_for_one_message_keeps_the_others_queued(server):
    """wait_message leaves other messages in the queue, in order."""
    with ControlClient(server.path) as c:
        c.subscribe()
        for text in ("EZZ8431I PAGENT STARTING", "EZZ8432I X", "EZD1586I Y"):
            server.broadcast(text)
        assert c.wait_message("EZD1586I", timeout=5) is not None
        assert [m["msgid"] for m in c.messages] == ["EZZ8431I", "EZZ8432I"]


def test_msgid_of_reads_five_letter_prefixes():
    """EZAOP50I (five letters, two digits) is a message ID too."""
    from pagent.service.protocol import msgid_of

    assert msgid_of("EZAOP50I TCPIP STATUS REPORT 001") == "EZAOP50I"
    assert msgid_of(" COUNT  TCPIP NAME") is None


def test_a_reply_larger_than_the_backlog_limit_reaches_a_reading_client(server):
    """A reply of many MiB is paced to the client's reading, not cut off (issue 13 §2)."""
    parts = 15_000  # about 1.3 MiB of line objects: more than the backlog limit
    with ControlClient(server.path, timeout=30) as c:
        reply = c.command("," * (parts - 2) + "last")
    assert reply.status == "ok"
    assert len(reply.texts) == parts - 1
    assert reply.texts[-1] == "ECHO last"


def test_a_client_that_reads_late_still_gets_the_whole_reply(server):
    """A client that sends, pauses, then reads gets every line of a large reply."""
    parts = 15_000
    s = raw_connect(server.path)
    s.settimeout(30)
    text = "," * (parts - 1)
    s.sendall((json.dumps({"id": 1, "op": "command", "text": text}) + "\n").encode())
    threading.Event().wait(1.0)  # the service fills the socket buffer meanwhile
    buf = b""
    while not (buf.endswith(b"\n") and b'"type":"end"' in buf[-100:]):
        chunk = s.recv(1 << 20)
        assert chunk, "the service closed the connection of a client that reads"
        buf += chunk
    s.close()
    objs = [json.loads(line) for line in buf.splitlines()]
    assert len(objs) == parts + 1
    assert objs[-1]["type"] == "end"
    assert objs[-1]["lines"] == parts


def test_a_lost_connection_is_not_reported_as_no_service(sock_dir):
    """A service that drops the connection mid-reply is 'lost', never 'no service'."""
    path = sock_dir / "drop.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def drop() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b'{"id": 1, "type": "line", "text": "x", "msgid": null, "time": ""}\n')
        conn.close()

    thread = threading.Thread(target=drop)
    thread.start()
    with ControlClient(path) as c, pytest.raises(ServiceError) as caught:
        c.pasearch()
    thread.join(5)
    listener.close()
    assert not isinstance(caught.value, NoServiceError)
    assert "no pagent service" not in str(caught.value)
