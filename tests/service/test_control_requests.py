"""The control server answers every request it reads (issue 13 §6).

Whatever JSON a client sends, it gets a reply (or, for a valid request, the reply its op
gives), every reply is standard JSON, and the connection stays open for the next request.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.service.control import CommandResult
from pagent.service.protocol import OPS
from tests.service.test_control import (  # noqa: F401 - fixtures used by name
    EchoHandler,
    Running,
    fixture_server,
    fixture_sock_dir,
    raw_connect,
)


def strict(line: bytes) -> dict[str, Any]:
    """One reply line read as RFC 8259 JSON (NaN and Infinity refused)."""

    def refuse(name: str) -> object:
        raise AssertionError(f"non-standard JSON constant {name} in {line[:200]!r}")

    obj = json.loads(line, parse_constant=refuse)
    assert isinstance(obj, dict), line[:200]
    return obj


class Conversation:
    """One raw connection: send a request line, then collect what came back for it.

    After each request a ping with a fresh id follows; everything read before that ping's
    reply belongs to the request (unsolicited messages aside).
    """

    def __init__(self, path: Path) -> None:
        self.sock = raw_connect(path)
        self.buf = b""
        self.n = 0

    def line(self) -> bytes:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "the service closed the connection"
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def ask(self, raw: bytes) -> list[dict[str, Any]]:
        self.n += 1
        sync = f"sync-{self.n}"
        self.sock.sendall(raw + b"\n" + json.dumps({"id": sync, "op": "ping"}).encode() + b"\n")
        replies: list[dict[str, Any]] = []
        while True:
            obj = strict(self.line())
            if obj.get("id") == sync:
                assert obj == {"id": sync, "type": "end", "status": "ok", "lines": 0}
                return replies
            if obj.get("type") != "message":
                replies.append(obj)

    def close(self) -> None:
        self.sock.close()


class FailingHandler(EchoHandler):
    """Fails the way a bug would: 'BOOM' raises, 'NAN' ends with a status JSON cannot carry."""

    async def command(self, text: str) -> CommandResult:
        if text == "BOOM":
            raise KeyError("boom")
        if text == "NAN":
            return CommandResult([], float("nan"))  # type: ignore[arg-type]
        return await super().command(text)


@pytest.fixture(name="conversation")
def fixture_conversation(server: Running) -> Iterator[Conversation]:
    """A raw connection to the echo server."""
    talk = Conversation(server.path)
    yield talk
    talk.close()


def kinds(replies: list[dict[str, Any]]) -> list[str]:
    return [str(r.get("type")) for r in replies]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id":1,"op":["ping"]}',
        b'{"id":1,"op":{"a":1}}',
        b'{"id":' + b"1" * 5000 + b',"op":"ping"}',
        b'{"id":' + b"[" * 980 + b"]" * 980 + b',"op":"ping"}',
        b'{"id":NaN,"op":"ping"}',
        b'{"id":Infinity,"op":"ping"}',
        b'{"id":1e999,"op":"ping"}',
        b'{"id":1,"op":"command","text":"RACDCERT ID(USER1) GENCERT WITHLABEL(\'\\ud800\')"}',
    ],
    ids=[
        "op-list",
        "op-unhashable",
        "id-5000-digits",
        "id-nested-980",
        "id-nan",
        "id-infinity",
        "id-1e999",
        "text-lone-surrogate",
    ],
)
def test_issue_13_requests_get_an_error_reply_and_the_connection_stays(conversation, raw):
    """The reproductions of issue 13 §6: one error reply each, then the next request works."""
    replies = conversation.ask(raw)
    assert kinds(replies) == ["error"], replies
    assert replies[0]["id"] is None


def test_a_handler_that_fails_gets_an_error_reply(sock_dir):
    """A request the system fails on (a bug) is answered with an error carrying its id."""
    running = Running(sock_dir / "pagent.sock")
    running.server.handler = FailingHandler()
    talk = Conversation(running.path)
    try:
        replies = talk.ask(b'{"id":7,"op":"command","text":"BOOM"}')
        assert replies == [
            {"id": 7, "type": "error", "error": "the service failed on this request: KeyError"}
        ]
        replies = talk.ask(b'{"id":8,"op":"command","text":"NAN"}')
        assert kinds(replies) == ["error"]
        assert replies[0]["id"] == 8
    finally:
        talk.close()
        running.stop()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
REQUESTS = JSON | st.fixed_dictionaries(
    {"id": JSON, "op": st.sampled_from(sorted(OPS)) | JSON},
    optional={"text": JSON | st.text(), "image": JSON, "rule": JSON},
)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(request=REQUESTS)
def test_every_json_value_sent_as_a_request_is_answered(conversation, request):
    """Any JSON value (NaN and Infinity included, as Python writes them) gets at least one
    reply, every reply is standard JSON, and the connection stays open (the sync ping)."""
    raw = json.dumps(request).encode()
    replies = conversation.ask(raw)
    assert replies, raw[:200]
    assert set(kinds(replies)) <= {"error", "end", "line", "status"}, replies
    last = replies[-1]
    if last["type"] != "error":
        assert last["id"] == request["id"]  # a valid request: its own id, echoed


def test_refused_peer_gets_a_reply_it_can_read(sock_dir):
    """The refusal of a user that is not allowed is itself standard JSON."""
    running = Running(sock_dir / "pagent.sock", allowed=set())
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(running.path))
            sock.settimeout(5)
            line = sock.recv(65536).split(b"\n")[0]
        assert strict(line)["type"] == "error"
    finally:
        running.stop()
