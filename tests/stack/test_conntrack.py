"""pagent.stack.conntrack: a redirected connection's original tuple, over ctnetlink."""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from pagent.stack import conntrack, netns
from pagent.stack.conntrack import Tuple


def _orig_reply(orig: Tuple) -> bytes:
    """A ctnetlink answer carrying ``orig`` as its original tuple, as the kernel sends it."""
    family = socket.AF_INET6 if ":" in orig.src else socket.AF_INET
    v6 = family == socket.AF_INET6
    body = struct.pack("=BBH", family, 0, 0) + conntrack._nested(
        conntrack.CTA_TUPLE_ORIG,
        conntrack._nested(
            conntrack.CTA_TUPLE_IP,
            conntrack._attr(3 if v6 else 1, socket.inet_pton(family, orig.src)),
            conntrack._attr(4 if v6 else 2, socket.inet_pton(family, orig.dst)),
        ),
        conntrack._nested(
            conntrack.CTA_TUPLE_PROTO,
            conntrack._attr(conntrack.CTA_PROTO_NUM, b"\x06"),
            conntrack._attr(conntrack.CTA_PROTO_SRC_PORT, struct.pack("!H", orig.sport)),
            conntrack._attr(conntrack.CTA_PROTO_DST_PORT, struct.pack("!H", orig.dport)),
        ),
    )
    return struct.pack("=IHHII", 16 + len(body), 0x100, 0, 1, 0) + body


@pytest.mark.parametrize(
    "orig",
    [Tuple("127.0.0.1", 20001, "127.0.0.1", 9443), Tuple("::1", 20001, "::1", 9443)],
)
def test_parse_gives_the_original_tuple(orig: Tuple) -> None:
    assert conntrack.parse(_orig_reply(orig)) == orig


def test_parse_of_an_error_raises_with_its_errno() -> None:
    error = struct.pack("=IHHII", 36, conntrack.NLMSG_ERROR, 0, 1, 0) + struct.pack(
        "=i", -errno.ENOENT
    )
    with pytest.raises(conntrack.ConntrackError) as caught:
        conntrack.parse(error + b"\0" * 16)
    assert caught.value.errno == errno.ENOENT


def test_the_request_is_keyed_by_the_reply_tuple() -> None:
    reply = Tuple("127.0.0.1", 15001, "127.0.0.1", 29568)
    raw = conntrack.request(7, reply)
    length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", raw)
    assert (length, kind, seq) == (len(raw), 0x101, 7)
    assert struct.pack("!H", 29568) in raw
    assert socket.inet_aton("127.0.0.1") in raw


def test_a_rewritten_source_port_is_undone_in_a_real_namespace(tmp_path) -> None:
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    image = netns.ImageNamespace(netns.namespace_name("CT", tmp_path))
    image.create()
    try:
        listener = image.listener(socket.AF_INET)
        listener.setblocking(True)
        image.redirect_to(listener.getsockname()[1])
        ct = image.call(conntrack.Conntrack.make)
        assert conntrack.probe(ct) is None

        def client(port: int) -> socket.socket:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 20001))
            sock.connect(("127.0.0.1", port))
            return sock

        first = image.call(lambda: client(7000))
        accepted, _ = listener.accept()
        accepted.close()
        first.close()
        second = image.call(lambda: client(9443))
        accepted, peer = listener.accept()
        assert peer[1] != 20001  # conntrack rewrote it: the clash of issue 11
        here = accepted.getsockname()
        orig = ct.original(Tuple(here[0], here[1], peer[0], peer[1]))
        assert orig == Tuple("127.0.0.1", 20001, "127.0.0.1", 9443)
        for sock in (accepted, second, listener):
            sock.close()
        ct.close()
    finally:
        image.delete()


def test_the_original_tuple_of_an_ipv6_connection(tmp_path) -> None:
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    image = netns.ImageNamespace(netns.namespace_name("CT6", tmp_path))
    image.create()
    try:
        v4 = image.listener(socket.AF_INET)
        try:
            listener = image.listener(socket.AF_INET6, v4.getsockname()[1])
        except OSError:
            pytest.skip("no IPv6 in this kernel")
        listener.setblocking(True)
        image.redirect_to(v4.getsockname()[1])
        ct = image.call(conntrack.Conntrack.make)
        client = image.call(lambda: socket.create_connection(("::1", 9443), 5))
        accepted, peer = listener.accept()
        here = accepted.getsockname()
        orig = ct.original(Tuple(here[0], here[1], peer[0], peer[1]))
        assert orig == Tuple("::1", client.getsockname()[1], "::1", 9443)
        for sock in (accepted, client, listener, v4):
            sock.close()
        ct.close()
    finally:
        image.delete()
