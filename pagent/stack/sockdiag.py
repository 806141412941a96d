"""One TCP socket's inode and uid by its address, through netlink ``sock_diag``.

``/proc/net/tcp`` answers the same question (pagent.stack.owners), but reading it walks the
kernel's whole socket hash table, about 4.5 ms a read on this machine, whatever the
namespace holds (benchmarks/bench_datapath.py). ``sock_diag`` with an exact socket id is a
hash lookup: the kernel finds the connected socket with these four values, or failing that
the socket listening on the local port, which is what the stack asks for both ends of a
connection (linux/inet_diag.h; ``ss`` uses the same interface).

A netlink socket answers for the network namespace it was made in, so the data path makes
this one inside the image (pagent.stack.netns).
"""

from __future__ import annotations

import socket
import struct
import threading
from dataclasses import dataclass

from pagent.stack import netlink

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLMSG_ERROR = 2
NO_COOKIE = 0xFFFFFFFF
ALL_STATES = 0xFFFFFFFF

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_REQUEST = struct.Struct("=BBBBI")  # inet_diag_req_v2: family, protocol, ext, pad, states
_SOCKID = struct.Struct("!HH16s16s")  # sport, dport, src, dst (network order)
_SOCKID_TAIL = struct.Struct("=III")  # if, cookie[2]
_MESSAGE = struct.Struct("=BBBB")  # inet_diag_msg: family, state, timer, retrans
_MESSAGE_TAIL = struct.Struct("=IIIII")  # expires, rqueue, wqueue, uid, inode
_SOCKID_SIZE = _SOCKID.size + _SOCKID_TAIL.size


@dataclass(frozen=True, slots=True)
class Found:
    """The socket the kernel found: its inode, its owner's uid, and whether it listens."""

    inode: int
    uid: int
    listening: bool


def _packed(address: str, family: int) -> bytes:
    raw = socket.inet_pton(family, address)
    return raw.ljust(16, b"\0")


def request(seq: int, local: tuple[str, int], remote: tuple[str, int]) -> bytes:
    """The netlink request for the TCP socket local->remote (or listening on local)."""
    family = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
    body = (
        _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, ALL_STATES)
        + _SOCKID.pack(local[1], remote[1], _packed(local[0], family), _packed(remote[0], family))
        + _SOCKID_TAIL.pack(0, NO_COOKIE, NO_COOKIE)
    )
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, seq, 0) + body


def parse(reply: bytes) -> Found | None:
    """The socket in a reply, or None when the kernel found none (an error message)."""
    if len(reply) < _HEADER.size:
        return None
    _length, kind, _flags, _seq, _pid = _HEADER.unpack_from(reply)
    if kind != SOCK_DIAG_BY_FAMILY:
        return None  # NLMSG_ERROR: ENOENT, no such socket
    offset = _HEADER.size
    _family, state, _timer, _retrans = _MESSAGE.unpack_from(reply, offset)
    offset += _MESSAGE.size + _SOCKID_SIZE
    _expires, _rq, _wq, uid, inode = _MESSAGE_TAIL.unpack_from(reply, offset)
    return Found(inode, uid, state == 10)  # TCP_LISTEN


class SockDiag:
    """A netlink sock_diag socket and the lookups made through it (thread-safe)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._seq = 0

    @classmethod
    def make(cls) -> SockDiag:
        """A lookup socket for the caller's network namespace."""
        return cls(netlink.make(NETLINK_SOCK_DIAG))

    def close(self) -> None:
        """Close the netlink socket."""
        self._sock.close()

    def find(self, local: tuple[str, int], remote: tuple[str, int]) -> Found | None:
        """The socket local->remote, else the one listening on ``local``, else None."""
        with self._lock:
            self._seq += 1
            seq = self._seq
            try:
                return parse(netlink.exchange(self._sock, request(seq, local, remote), seq))
            except OSError:
                return None
