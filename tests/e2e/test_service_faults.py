"""A real ``pagent serve`` under the bad requests, signals and stale state of issue 13.

§6: every request on the control socket gets a reply, and the connection stays open.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.saf.store import SafStore
from tests.e2e.conftest import Service
from tests.e2e.test_service import exchange

pytestmark = pytest.mark.e2e


def strict(line: bytes) -> dict[str, Any]:
    """One reply line as RFC 8259 JSON: NaN and Infinity are refused."""

    def refuse(name: str) -> object:
        raise AssertionError(f"non-standard JSON constant {name} in {line[:200]!r}")

    obj = json.loads(line, parse_constant=refuse)
    assert isinstance(obj, dict)
    return obj


ISSUE_13_REQUESTS = [  # issue 13 §6, as reported
    ("op a list", b'{"id":1,"op":["ping"]}\n'),
    ("op unhashable", b'{"id":1,"op":{"a":1}}\n'),
    ("id of 5,000 digits", b'{"id":' + b"7" * 5000 + b',"op":"ping"}\n'),
    ("id nested 980 deep", b'{"id":' + b"[" * 980 + b"]" * 980 + b',"op":"ping"}\n'),
    ("id NaN", b'{"id":NaN,"op":"ping"}\n'),
    ("id Infinity", b'{"id":Infinity,"op":"ping"}\n'),
    (
        "RACDCERT with a lone surrogate",
        b'{"id":1,"op":"command","text":"RACDCERT ID(USER1) GENCERT '
        b"SUBJECTSDN(CN('x')) WITHLABEL('\\ud800')\"}\n",
    ),
]


@pytest.mark.parametrize(
    "data", [d for _, d in ISSUE_13_REQUESTS], ids=[w for w, _ in ISSUE_13_REQUESTS]
)
def test_issue_13_request_gets_an_error_reply_and_the_connection_stays(
    service: Service, data: bytes
) -> None:
    """Each reproduction: one standard-JSON error reply, the same connection answers a
    ping afterwards, and nothing is written to standard error."""
    lines, closed, usable = exchange(service.socket, data)
    assert lines, "no reply at all"
    reply = strict(lines[0])
    assert reply["type"] == "error", reply
    assert usable
    assert not closed
    stderr = service.stderr_text()
    assert "Unhandled exception" not in stderr
    assert "Traceback" not in stderr


def test_racdcert_with_a_lone_surrogate_creates_nothing(service: Service) -> None:
    """The refused GENCERT leaves no certificate behind, and the console still works."""
    exchange(service.socket, ISSUE_13_REQUESTS[-1][1])
    assert SafStore(service.root).certificates() == ()
    assert service.client().command("D TCPIP").status == "ok"


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)
OPS = st.sampled_from(["ping", "status", "pasearch", "command", "subscribe", "unsubscribe"])
REQUESTS = JSON | st.fixed_dictionaries(
    {"id": JSON, "op": OPS | JSON},
    optional={"text": JSON | st.text(max_size=30), "image": JSON, "rule": JSON},
)


def test_every_json_value_sent_as_a_request_is_answered(service: Service) -> None:
    """Arbitrary JSON values (NaN and Infinity as Python writes them included), one per line
    on one connection: each gets a reply before the ping that follows it, every reply is
    standard JSON, and the service writes no traceback."""
    sock = exchange_socket(service)
    buf = [b""]

    def line() -> bytes:
        while b"\n" not in buf[0]:
            chunk = sock.recv(65536)
            assert chunk, "the service closed the connection"
            buf[0] += chunk
        first, _, buf[0] = buf[0].partition(b"\n")
        return first

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(request=REQUESTS)
    def answered(request: object) -> None:
        sock.sendall(json.dumps(request).encode() + b'\n{"id":"sync","op":"ping"}\n')
        replies: list[dict[str, Any]] = []
        while True:
            obj = strict(line())
            if obj.get("id") == "sync" and obj.get("type") == "end":
                break
            if obj.get("type") != "message":
                replies.append(obj)
        assert replies, request

    try:
        answered()
    finally:
        sock.close()
    assert "Traceback" not in service.stderr_text()
    assert service.answers()


def exchange_socket(service: Service) -> socket.socket:
    """A raw connection to the service, 10 s timeout."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(service.socket))
    sock.settimeout(10)
    return sock
