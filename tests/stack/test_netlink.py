"""pagent.stack.netlink: one request and its answer, read at once, a poll only as fallback."""

from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from pagent.stack import netlink


def _answer(seq: int, body: bytes = b"") -> bytes:
    return struct.pack("=IHHII", 16 + len(body), 0, 0, seq, 0) + body


def _pair() -> tuple[socket.socket, socket.socket]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ours.setblocking(False)
    return ours, theirs


def test_the_answer_with_the_sequence_number_is_returned_others_skipped() -> None:
    ours, theirs = _pair()
    with ours, theirs:
        theirs.send(_answer(6, b"old"))  # left over from an earlier request
        theirs.send(_answer(7, b"this"))
        assert netlink.exchange(ours, b"request", 7) == _answer(7, b"this")
        assert theirs.recv(64) == b"request"


def test_an_answer_that_comes_late_is_waited_for() -> None:
    ours, theirs = _pair()
    with ours, theirs:
        timer = threading.Timer(0.1, lambda: theirs.send(_answer(3)))
        timer.start()
        try:
            assert netlink.exchange(ours, b"request", 3) == _answer(3)
        finally:
            timer.join()


def test_no_answer_is_a_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netlink, "TIMEOUT", 0.2)
    ours, theirs = _pair()
    with ours, theirs:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            netlink.exchange(ours, b"request", 1)
        assert 0.15 < time.monotonic() - started < 2


def test_the_sockets_are_non_blocking() -> None:
    with netlink.make(4) as sock:  # NETLINK_SOCK_DIAG
        assert sock.gettimeout() == 0.0
