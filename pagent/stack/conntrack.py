"""A redirected connection's original 4-tuple, asked of conntrack over netlink.

The image's nftables rule redirects every new TCP connection to the stack's one
interception port (:mod:`pagent.stack.netns`). All those connections share the reply
side's address and port, so when a new connection's reply tuple would clash with an
older entry (the same source port used again within conntrack's timeouts), conntrack
rewrites the *source* port as well (issue 11: ``conntrack -L`` shows ``dport=29568``).
``accept()`` then returns the rewritten port, not the one the program holds, and an owner
looked up by it is nobody's, or someone else's.

The conntrack entry itself knows both sides: its *reply* tuple is exactly what the
accepted socket sees (stack's address and port -> peer address and port as rewritten),
and its *original* tuple is what the program sent (its own address and port -> where it
meant to go). One ``IPCTNL_MSG_CT_GET`` keyed by the reply tuple returns the entry
(linux/netfilter/nfnetlink_conntrack.h; ``conntrack -G --reply-src ...`` does the same).
The reply tuple is unique in the table by construction (that is why conntrack rewrote the
port), so the answer is the program's own tuple and nobody else's.

A netlink socket answers for the network namespace it was made in, so the data path makes
this one inside the image, as it does the sock_diag one.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import threading
from dataclasses import dataclass

from pagent.stack import netlink

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW = 0
IPCTNL_MSG_CT_GET = 1
NLM_F_REQUEST = 0x1
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF

CTA_TUPLE_ORIG = 1
CTA_TUPLE_REPLY = 2
CTA_TUPLE_IP = 1
CTA_TUPLE_PROTO = 2
CTA_IP_V4_SRC, CTA_IP_V4_DST, CTA_IP_V6_SRC, CTA_IP_V6_DST = 1, 2, 3, 4
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3

_HEADER = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_NFGEN = struct.Struct("=BBH")  # nfgenmsg: family, version, res_id (network order, 0)
_ATTR = struct.Struct("=HH")  # nlattr: len, type
_ERRNO = struct.Struct("=i")


class ConntrackError(OSError):
    """conntrack could not be asked, or has no entry for the connection."""


@dataclass(frozen=True, slots=True)
class Tuple:
    """One direction of a conntrack entry: source and destination address and port."""

    src: str
    sport: int
    dst: str
    dport: int


def _attr(kind: int, payload: bytes) -> bytes:
    size = _ATTR.size + len(payload)
    return _ATTR.pack(size, kind) + payload + b"\0" * (-size % 4)


def _nested(kind: int, *attrs: bytes) -> bytes:
    return _attr(kind | NLA_F_NESTED, b"".join(attrs))


def _family(address: str) -> int:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def request(seq: int, reply: Tuple) -> bytes:
    """The netlink request for the TCP entry whose reply direction is ``reply``."""
    family = _family(reply.src)
    src_kind, dst_kind = (
        (CTA_IP_V6_SRC, CTA_IP_V6_DST)
        if family == socket.AF_INET6
        else (CTA_IP_V4_SRC, CTA_IP_V4_DST)
    )
    tuple_attr = _nested(
        CTA_TUPLE_REPLY,
        _nested(
            CTA_TUPLE_IP,
            _attr(src_kind, socket.inet_pton(family, reply.src)),
            _attr(dst_kind, socket.inet_pton(family, reply.dst)),
        ),
        _nested(
            CTA_TUPLE_PROTO,
            _attr(CTA_PROTO_NUM, bytes([socket.IPPROTO_TCP])),
            _attr(CTA_PROTO_SRC_PORT, struct.pack("!H", reply.sport)),
            _attr(CTA_PROTO_DST_PORT, struct.pack("!H", reply.dport)),
        ),
    )
    body = _NFGEN.pack(family, 0, 0) + tuple_attr
    kind = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET
    return _HEADER.pack(_HEADER.size + len(body), kind, NLM_F_REQUEST, seq, 0) + body


def _attrs(data: bytes, start: int, end: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    offset = start
    while offset + _ATTR.size <= end:
        size, kind = _ATTR.unpack_from(data, offset)
        if size < _ATTR.size:
            break
        out[kind & NLA_TYPE_MASK] = data[offset + _ATTR.size : offset + size]
        offset += size + (-size % 4)
    return out


def _tuple(raw: bytes) -> Tuple:
    parts = _attrs(raw, 0, len(raw))
    ip = _attrs(parts[CTA_TUPLE_IP], 0, len(parts[CTA_TUPLE_IP]))
    proto = _attrs(parts[CTA_TUPLE_PROTO], 0, len(parts[CTA_TUPLE_PROTO]))
    if CTA_IP_V6_SRC in ip:
        src = socket.inet_ntop(socket.AF_INET6, ip[CTA_IP_V6_SRC])
        dst = socket.inet_ntop(socket.AF_INET6, ip[CTA_IP_V6_DST])
    else:
        src = socket.inet_ntop(socket.AF_INET, ip[CTA_IP_V4_SRC])
        dst = socket.inet_ntop(socket.AF_INET, ip[CTA_IP_V4_DST])
    (sport,) = struct.unpack("!H", proto[CTA_PROTO_SRC_PORT])
    (dport,) = struct.unpack("!H", proto[CTA_PROTO_DST_PORT])
    return Tuple(src, sport, dst, dport)


def parse(reply: bytes) -> Tuple:
    """The original tuple in a reply; ConntrackError for an error or a malformed answer."""
    if len(reply) < _HEADER.size:
        raise ConntrackError(errno.EPROTO, "short netlink reply")
    length, kind, _flags, _seq, _pid = _HEADER.unpack_from(reply)
    if kind == NLMSG_ERROR:
        (code,) = _ERRNO.unpack_from(reply, _HEADER.size)
        raise ConntrackError(-code, os.strerror(-code) if code else "no entry")
    start = _HEADER.size + _NFGEN.size
    found = _attrs(reply, start, min(length, len(reply)))
    try:
        return _tuple(found[CTA_TUPLE_ORIG])
    except (KeyError, struct.error, ValueError) as exc:
        raise ConntrackError(errno.EPROTO, f"malformed conntrack reply: {exc}") from exc


class Conntrack:
    """A ctnetlink socket of one network namespace and the lookups made through it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()
        self._seq = 0

    @classmethod
    def make(cls) -> Conntrack:
        """A lookup socket for the caller's network namespace (needs CAP_NET_ADMIN there)."""
        return cls(netlink.make(NETLINK_NETFILTER, socket.SOCK_RAW))

    def close(self) -> None:
        """Close the netlink socket."""
        self._sock.close()

    def original(self, reply: Tuple) -> Tuple:
        """The original tuple of the entry whose reply direction is ``reply``.

        Raises ConntrackError when there is no such entry or conntrack cannot be asked.
        """
        with self._lock:
            self._seq += 1
            seq = self._seq
            try:
                return parse(netlink.exchange(self._sock, request(seq, reply), seq))
            except ConntrackError:
                raise
            except OSError as exc:
                raise ConntrackError(exc.errno or errno.EIO, str(exc)) from exc


def probe(ct: Conntrack) -> str | None:
    """None when conntrack answers lookups in this namespace, else why not.

    A lookup of a tuple no connection has must fail with ENOENT; any other answer means
    that the kernel has no ctnetlink, or this process may not use it.
    """
    try:
        ct.original(Tuple("127.0.0.1", 0, "127.0.0.1", 0))
    except ConntrackError as exc:
        return None if exc.errno == errno.ENOENT else (exc.strerror or str(exc))
    return None
