"""One request and its answer over a netlink socket, without waiting in the common case.

The kernel handles a sock_diag or ctnetlink request within the ``send`` that carries it,
so its answer is queued by the time ``send`` returns. The sockets are non-blocking and the
answer is read at once; only when it is not there does a poll wait for it, at most
TIMEOUT seconds. A socket with a timeout instead makes Python poll before every ``send``
and every ``recv``: two more system calls per lookup, three lookups per connection
(issue 11 item 6: handshakes per second).
"""

from __future__ import annotations

import select
import socket
import struct
import time

TIMEOUT = 2.0  # seconds an answer may take, at most
_SEQ = struct.Struct("=I")  # nlmsghdr's sequence number, at offset 8
_SEQ_AT = 8


def make(protocol: int, kind: int = socket.SOCK_DGRAM) -> socket.socket:
    """A non-blocking netlink socket of ``protocol`` in the caller's network namespace."""
    sock = socket.socket(socket.AF_NETLINK, kind, protocol)
    sock.setblocking(False)
    return sock


def exchange(sock: socket.socket, message: bytes, seq: int) -> bytes:
    """Send ``message``; the answer whose sequence number is ``seq`` (others are skipped).

    Raises OSError, TimeoutError when no answer came within TIMEOUT seconds.
    """
    sock.send(message)
    deadline = 0.0
    while True:
        try:
            reply = sock.recv(8192)
        except BlockingIOError:
            now = time.monotonic()
            if not deadline:
                deadline = now + TIMEOUT
            if now >= deadline or not select.select([sock], [], [], deadline - now)[0]:
                raise TimeoutError("no netlink answer") from None
            continue
        if len(reply) >= _SEQ_AT + _SEQ.size and _SEQ.unpack_from(reply, _SEQ_AT)[0] == seq:
            return reply
