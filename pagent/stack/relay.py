"""The data pump of one relayed connection: bytes between two sockets, TLS where asked.

:func:`relay` moves the bytes between two connected non-blocking sockets (two
:class:`Leg` s) until both directions end. A leg with a :class:`~pagent.stack.tlsconfig.TlsSpec`
is one where the stack does TLS toward that socket's peer, as AT-TLS does on z/OS: its
handshake runs first (both legs at once when both have one), bounded by HandshakeTimeout,
then application data flows in clear on one side and encrypted on the other.

TCP semantics carry across: an EOF (FIN, or a TLS close_notify) from one peer becomes a
half-close toward the other (close_notify then FIN), and the other direction keeps flowing;
a reset from one peer becomes a reset toward the other. Nothing is buffered beyond one read
per direction (backpressure), and no socket is closed with unread data in its receive
buffer after a clean end, which would make the kernel send RST and lose data in flight
(ecosystem-anchors.md §1.5, "TLS 1.3 close gotcha").

TLS is an :class:`ssl.SSLObject` over two :class:`ssl.MemoryBIO` s (the design asyncio's
own sslproto uses, §1.5, minus its transport layers). The hot path reads without awaiting
when the socket has data (one ``recv_into`` takes all that is waiting, up to a CHUNK), feeds
the incoming BIO cut at TLS record ends and decrypts each record as soon as it is whole, so
that the BIO never holds more than one record (a memory BIO keeps the largest size it ever
held: this bounds what an active connection keeps), and sends with ``send``/``sendmsg``
first, awaiting only what the kernel did not take (issue 11 item 6). The outcome goes to a
:class:`RelayEvents`; no exception escapes :func:`relay` except cancellation. The hot path
does no logging.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import socket
import ssl
import struct
import termios
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from pagent.policy import ciphers
from pagent.stack.tlsconfig import TlsSpec
from pagent.stack.tlsrc import RC_INTERNAL, rc_of, rc_text

__all__ = [
    "CHUNK",
    "HandshakeRejectedError",
    "Leg",
    "NoEvents",
    "Onward",
    "OnwardError",
    "Outcome",
    "RelayEvents",
    "RelayResult",
    "relay",
    "release_buffers",
]

CHUNK = 256 * 1024
"""Bytes read from a socket at a time, at most (§1.6: 16-256 KiB made no consistent
difference; one read takes whatever is waiting up to this, so fewer system calls per byte)."""

# Room beyond CHUNK in the plaintext buffer: more than one TLS record (16 KiB + 2 KiB
# expansion + header). A read takes at most len(buffer) - _SLACK bytes from the socket, so
# the plaintext of what it took plus a partial record left from before always fits, and
# every complete record is decrypted before the pump waits. That matters: SSLObject.unwrap()
# (sending our close_notify) reads the incoming BIO, and OpenSSL fails on, and drops,
# application data it finds there after close_notify.
_SLACK = 32 * 1024
_RECORD = 16 * 1024 + 2048 + 5  # the largest TLS record on the wire (RFC 8446 §5.2)
_HEADER = 5  # a TLS record's header: type, version (2), length (2) (RFC 8446 §5.1)
_DRAIN_READS = 64  # at most this many reads of leftovers before a clean close
_POOL_MAX = 32  # idle buffers kept for reuse; an idle connection holds none
_BATCH = 64 * 1024  # ciphertext sent with one sendmsg, at most (see _TlsEnd.write)


class _Pool:
    """Buffers lent to a pump only while it moves data.

    A pump first waits for its socket to be readable and only then takes a buffer, so an
    idle connection costs no buffer at all: this keeps the memory per open connection
    near the kernel's and OpenSSL's own (benchmarks/bench_datapath.py measured 853 KiB
    per connection with a buffer per direction held all the time).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._free: list[memoryview] = []

    def take(self) -> memoryview:
        return self._free.pop() if self._free else memoryview(bytearray(self.size))

    def give(self, buffer: memoryview) -> None:
        if len(self._free) < _POOL_MAX:
            self._free.append(buffer)

    def clear(self) -> None:
        self._free.clear()


SMALL = 16 * 1024
"""Bytes read at a time when the socket holds little (an EOF, an alert, a short request)."""

TINY = 1024
"""At most this much waiting (an EOF, an alert, a keystroke): the small buffers do. More
takes the big ones, so that a bulk transfer is never read a small buffer at a time."""

PLAIN_IO = 16 * 1024
"""Plaintext encrypted at a time: one TLS record's worth (RFC 8446 §5.1), so that the
outgoing memory BIO, which keeps the largest size it ever held for the life of the
connection, never holds more than one record (issue 11: 130 KiB per active connection with
CHUNK-sized BIO traffic, against stunnel's 32 KiB)."""

_PLAIN = _Pool(CHUNK + _SLACK)  # plaintext between the two ends
_SMALL_PLAIN = _Pool(SMALL + _SLACK)  # the same, when little is waiting: a burst of closes
# costs small buffers, not CHUNK-sized ones (issue 11 item 6)


class _Scratch(threading.local):
    """The buffer TLS bytes are read into from a socket: one per thread. A read never
    awaits while it holds it (the records are fed to the BIO and decrypted before anything
    else runs), so one serves every connection of an event loop; per thread, because
    ``recv_into`` lets go of the GIL while it fills it."""

    def __init__(self) -> None:
        self._buffer: memoryview | None = None

    def get(self) -> memoryview:
        if self._buffer is None:
            self._buffer = memoryview(bytearray(CHUNK))
        return self._buffer

    def clear(self) -> None:
        self._buffer = None


_RAW = _Scratch()


def _waiting(sock: socket.socket) -> int:
    """Bytes waiting in a socket's receive queue (FIONREAD); CHUNK when it cannot say."""
    try:
        raw = fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0\0\0\0")
    except OSError:
        return CHUNK
    return int(struct.unpack("i", raw)[0])


def release_buffers() -> None:
    """Drop the idle buffers of the pools (the data path calls this once it is idle, so
    that the memory of a burst goes back to the system: issue 11 item 6)."""
    for pool in (_PLAIN, _SMALL_PLAIN):
        pool.clear()
    _RAW.clear()


async def _send(loop: asyncio.AbstractEventLoop, sock: socket.socket, data: memoryview) -> None:
    """All of ``data`` to ``sock``: a plain ``send`` first, awaiting only what the kernel
    did not take at once (loop.sock_sendall's future and callbacks cost more than the
    send itself on the bulk path). Raises OSError."""
    try:
        sent = sock.send(data)
    except BlockingIOError:
        sent = 0
    if sent < len(data):
        await loop.sock_sendall(sock, data[sent:])


async def _send_parts(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, parts: list[bytes]
) -> None:
    """All of ``parts`` to ``sock`` in order, with one ``sendmsg`` when the kernel takes
    them at once. Raises OSError."""
    try:
        sent = sock.sendmsg(parts)
    except BlockingIOError:
        sent = 0
    for part in parts:
        if sent >= len(part):
            sent -= len(part)
            continue
        await loop.sock_sendall(sock, memoryview(part)[sent:])
        sent = 0


async def _readable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Wait until ``sock`` has data, EOF or an error to read, holding nothing meanwhile."""
    waiter = loop.create_future()
    fd = sock.fileno()

    def ready() -> None:
        if not waiter.done():
            waiter.set_result(None)

    loop.add_reader(fd, ready)
    try:
        await waiter
    finally:
        loop.remove_reader(fd)


Outcome = Literal["closed", "reset", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of a relayed connection: a connected socket, TLS toward its peer or not."""

    sock: socket.socket
    tls: TlsSpec | None
    name: str  # for events and logs: e.g. 'in', 'out', 'app'


@dataclass(slots=True)
class RelayResult:
    """What a relay did.

    ``left_to_right``/``right_to_left`` count application bytes delivered (plaintext);
    the ``*_wire_*`` counters the bytes received from and sent to each socket (TLS records
    included). ``outcome`` is 'closed' (both directions ended cleanly), 'reset' (a peer
    reset; ``failed_leg`` names it), 'failed' (TLS failed; ``failed_leg`` and ``rc``) or
    'cancelled'.
    """

    left: str
    right: str
    left_to_right: int = 0
    right_to_left: int = 0
    left_wire_in: int = 0
    left_wire_out: int = 0
    right_wire_in: int = 0
    right_wire_out: int = 0
    outcome: Outcome = "closed"
    failed_leg: str | None = None
    rc: int = 0


class HandshakeRejectedError(Exception):
    """Raised by :meth:`RelayEvents.handshake` to fail a handshake TLS itself accepted.

    AT-TLS checks of its own after System SSL's, such as ClientAuthType SAFCheck's mapping
    of the client certificate to a user id (RC 5002, pagent-ops §5.4).
    """

    def __init__(self, rc: int, text: str) -> None:
        super().__init__(text)
        self.rc = rc
        self.text = text


class OnwardError(Exception):
    """The connection onward (the relay's right socket) could not be made: the relay ends
    with resets toward both peers, outcome 'reset', and no AT-TLS return code."""


class Onward(Protocol):
    """A connection onward that the relay makes itself, once the left leg's first
    handshake flight is on its way: the peer then spends a while on it (verifying the
    certificate, its key exchange), and the connect costs the flight nothing (issue 11
    item 6: handshakes per second). stunnel, too, connects onward after the handshake."""

    def start(self) -> None:
        """Begin connecting, without waiting; OnwardError when refused at once."""

    async def finish(self) -> None:
        """Wait until connected; OnwardError when it cannot be."""


class RelayEvents(Protocol):
    """What the relay reports: a handshake done, a failure (AT-TLS RC), the end."""

    def handshake(
        self, leg: str, version: str, cipher: str, cipher_code4: str, peer_cert_der: bytes | None
    ) -> None:
        """A leg's handshake completed: 'TLSv1.3', OpenSSL suite name, z/OS 4-char code.

        Raising :class:`HandshakeRejectedError` fails the leg with that return code.
        """

    def error(self, leg: str, rc: int, text: str) -> None:
        """A leg failed with this return code (pagent.stack.tlsrc); the relay ends."""

    def closed(self, result: RelayResult) -> None:
        """The relay ended (not called when it is cancelled)."""


class NoEvents:
    """A :class:`RelayEvents` that ignores everything."""

    def handshake(
        self, leg: str, version: str, cipher: str, cipher_code4: str, peer_cert_der: bytes | None
    ) -> None:
        """Ignored."""
        del leg, version, cipher, cipher_code4, peer_cert_der

    def error(self, leg: str, rc: int, text: str) -> None:
        """Ignored."""
        del leg, rc, text

    def closed(self, result: RelayResult) -> None:
        """Ignored."""
        del result


# --- the ends ------------------------------------------------------------------------------
def _abort(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER on, timeout 0); the peer sees ECONNRESET."""
    if sock.fileno() < 0:
        return
    with contextlib.suppress(OSError):  # not TCP (a socket pair): a plain close
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class _ResetError(Exception):
    """A socket failed (reset, broken pipe...): the connection ends abortively."""

    def __init__(self, end: _End) -> None:
        super().__init__(end.name)
        self.end = end


class _TlsError(Exception):
    """TLS failed after the handshake (bad record, alert...)."""

    def __init__(self, end: _TlsEnd, exc: ssl.SSLError) -> None:
        super().__init__(end.name)
        self.end = end
        self.exc = exc


class _End:
    """One socket of the relay, clear."""

    def __init__(self, leg: Leg, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = leg.sock
        self.name = leg.name
        self.loop = loop
        self.wire_in = 0
        self.wire_out = 0
        self.delivered = 0  # application bytes read from here and written to the other end
        if leg.sock.gettimeout() != 0.0:  # the data path's sockets are non-blocking already
            leg.sock.setblocking(False)

    async def readable(self) -> None:
        """Wait until a read would not wait."""
        await _readable(self.loop, self.sock)

    def waiting(self) -> int:
        """Bytes a read would take now without waiting (0: none, or an EOF or error, which
        only :meth:`readable` tells)."""
        return _waiting(self.sock)

    def read_now(self, out: memoryview) -> int | None:
        """Application bytes into ``out`` without waiting; 0 at EOF, None when there are
        none yet."""
        try:
            n = self.sock.recv_into(out)
        except BlockingIOError:
            return None
        except OSError as exc:
            raise _ResetError(self) from exc
        self.wire_in += n
        return n

    async def settle(self) -> None:
        """A read found nothing: finish what that leaves to do before waiting (nothing)."""

    async def write(self, data: memoryview) -> None:
        """Send application bytes; returns when the kernel took them all."""
        try:
            await _send(self.loop, self.sock, data)
        except OSError as exc:
            raise _ResetError(self) from exc
        self.wire_out += len(data)

    async def shutdown_write(self) -> None:
        """Half-close toward the peer."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            raise _ResetError(self) from exc

    def abort(self) -> None:
        """Close with a reset (SO_LINGER on, timeout 0)."""
        _abort(self.sock)

    def close(self) -> None:
        """Close cleanly: read what is left first, so that the kernel does not send RST."""
        if self.sock.fileno() < 0:
            return
        with contextlib.suppress(OSError):  # BlockingIOError: nothing left
            for _ in range(_DRAIN_READS):
                if not self.sock.recv(65536):
                    break
        self.sock.close()


class _TlsEnd(_End):
    """One socket of the relay with TLS toward its peer.

    TLS bytes reach the incoming BIO cut at record ends (:meth:`_feed`), and each record is
    decrypted as soon as it is whole, so that the BIO never holds more than one record: a
    memory BIO keeps the largest size it ever held, for the life of the connection (issue
    11 item 6: memory per active connection). ``_need`` is what is still missing of the
    record being fed (0: the next byte starts a record), ``_head`` the part of a header
    that a read cut.
    """

    def __init__(self, leg: Leg, spec: TlsSpec, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(leg, loop)
        self.spec = spec
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = spec.context.wrap_bio(
            self.incoming, self.outgoing, server_side=spec.side == "server"
        )
        self.wlock = asyncio.Lock()  # one sender of outgoing records at a time, in order
        self.tls_eof = False
        self.shut = False
        self._need = 0
        self._head = b""
        self._undrained = False  # whole records in the BIO not read yet (after the handshake)
        self.after_flight: Callable[[], None] | None = None  # called once the first is sent

    # --- records in -----------------------------------------------------------------------
    def _feed(self, raw: memoryview, out: memoryview | None) -> int:
        """TLS bytes into the incoming BIO, cut at record ends; each record that is whole
        is decrypted into ``out`` at once (when ``out`` is given). Plaintext bytes."""
        incoming = self.incoming
        pos, end, total = 0, len(raw), 0
        need = self._need
        while pos < end:
            if not need:  # a record starts here
                head = self._head
                if not head and end - pos >= _HEADER:
                    need = _HEADER + (raw[pos + 3] << 8 | raw[pos + 4])
                else:  # a header cut by a read
                    head += bytes(raw[pos : pos + _HEADER - len(head)])
                    if len(head) < _HEADER:
                        incoming.write(raw[pos:end])
                        self._head = head
                        break
                    need = _HEADER + (head[3] << 8 | head[4]) - len(self._head)
                    self._head = b""
            take = min(need, end - pos)
            incoming.write(raw[pos : pos + take])
            pos += take
            need -= take
            if not need and out is not None:
                total += self._drain(out[total:])
                if self.tls_eof:
                    break  # close_notify: nothing after it is data
        self._need = need
        return total

    def _fill_now(self, limit: int) -> bool:
        """Socket -> incoming BIO without waiting and without decrypting (the handshake);
        False when the socket has nothing yet. Raises OSError."""
        raw = _RAW.get()[: min(limit, CHUNK)]
        try:
            n = self.sock.recv_into(raw)
        except BlockingIOError:
            return False
        self.wire_in += n
        if n:
            self._feed(raw[:n], None)
            self._undrained = True
        else:
            self.incoming.write_eof()
        return True

    async def _fill(self, limit: int = SMALL) -> None:
        """Socket -> incoming BIO (at most ``limit`` bytes), waiting for them."""
        while not self._fill_now(limit):
            await _readable(self.loop, self.sock)

    def _drain(self, out: memoryview) -> int:
        """Decrypt every complete record in the incoming BIO into ``out``."""
        tls = self.tls
        incoming = self.incoming
        if not incoming.pending and not incoming.eof and not tls.pending():
            return 0  # nothing in: spare OpenSSL's "want read", an exception (issue 11)
        size = len(out)
        total = 0
        while total < size:
            try:
                n = tls.read(size - total, out[total:])
            except ssl.SSLWantReadError:
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                # close_notify, or a FIN without one (a truncation that TLS peers such as
                # Python's SSLSocket.close() commit routinely): the end of the data.
                self.tls_eof = True
                break
            if not n:
                self.tls_eof = True
                break
            total += int(n)
            if not self.incoming.pending and not tls.pending():
                break  # all read: spare OpenSSL's "want read" (an exception here)
        return total

    def ended(self) -> bool:
        """Whether the peer's data ended (close_notify or FIN) as far as read yet."""
        return self.tls_eof

    async def readable(self) -> None:
        """Wait until a read would not wait: records already in, or the socket readable."""
        if self.tls_eof or self._undrained or self.tls.pending():
            return
        await _readable(self.loop, self.sock)

    def waiting(self) -> int:
        """Bytes a read would take now: CHUNK when records are in already, else the
        socket's (0: none, or an EOF or error)."""
        if self.tls_eof or self._undrained or self.tls.pending():
            return CHUNK
        return _waiting(self.sock)

    def read_now(self, out: memoryview) -> int | None:
        """Application bytes into ``out`` without waiting; 0 at EOF, None when none yet.

        One ``recv_into`` takes what the socket holds, at most ``len(out) - _SLACK`` bytes,
        so that every complete record fits ``out`` (see _SLACK)."""
        if self.tls_eof:
            return 0
        try:
            total = 0
            if self._undrained or self.tls.pending():
                self._undrained = False
                total = self._drain(out)
                if self.ended():
                    return total
            room = len(out) - total - _SLACK
            if room <= 0:
                return total or None
            raw = _RAW.get()[: min(room, CHUNK)]
            try:
                n = self.sock.recv_into(raw)
            except BlockingIOError:
                return total or None
            self.wire_in += n
            if not n:
                self.incoming.write_eof()
                total += self._drain(out[total:])
                self.tls_eof = True
                return total
            total += self._feed(raw[:n], out[total:])
        except ssl.SSLError as exc:
            raise _TlsError(self, exc) from exc
        except OSError as exc:
            raise _ResetError(self) from exc
        return total if total or self.tls_eof else None

    async def settle(self) -> None:
        """A read found no data: send what reading wrote meanwhile (e.g. a KeyUpdate
        answer) unless a writer is busy, who will send it."""
        if self.outgoing.pending and not self.wlock.locked():
            try:
                await self._flush()
            except OSError as exc:
                raise _ResetError(self) from exc

    # --- records out ----------------------------------------------------------------------
    async def _flush(self) -> None:
        """Outgoing BIO -> socket, everything it holds, also what is added meanwhile."""
        async with self.wlock:
            while True:
                data = self.outgoing.read()
                if not data:
                    return
                await _send(self.loop, self.sock, memoryview(data))
                self.wire_out += len(data)

    def send_alert_now(self) -> None:
        """Best effort, without waiting: the alert OpenSSL wrote for a failed handshake."""
        data = self.outgoing.read()
        if data and self.sock.fileno() >= 0:
            with contextlib.suppress(OSError):
                self.sock.send(data)

    async def handshake(self) -> None:
        """Do the handshake; raises what failed (ssl.SSLError, OSError).

        A server has nothing to send before the ClientHello, so it reads first: a
        ``do_handshake`` on an empty BIO only raises "want read", and that exception costs
        about 30 us of a handshake's critical path (issue 11 item 6: handshakes per second).
        """
        if self.spec.side == "server":
            await self._fill()
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            if self.outgoing.pending:
                await self._flush()
                hook, self.after_flight = self.after_flight, None
                if hook is not None:
                    hook()
            await self._fill()
        if self.outgoing.pending:
            await self._flush()

    async def write(self, data: memoryview) -> None:
        """Encrypt and send application bytes, a record's worth at a time (see PLAIN_IO),
        the records of up to _BATCH bytes with one sendmsg."""
        tls, outgoing = self.tls, self.outgoing
        try:
            async with self.wlock:
                pending = outgoing.read()  # what reading wrote meanwhile goes first
                parts = [pending] if pending else []
                size = len(pending)
                for offset in range(0, len(data), PLAIN_IO):
                    tls.write(data[offset : offset + PLAIN_IO])
                    record = outgoing.read()
                    parts.append(record)
                    size += len(record)
                    if size >= _BATCH:
                        await _send_parts(self.loop, self.sock, parts)
                        self.wire_out += size
                        parts, size = [], 0
                if parts:
                    await _send_parts(self.loop, self.sock, parts)
                    self.wire_out += size
        except ssl.SSLError as exc:
            raise _TlsError(self, exc) from exc
        except OSError as exc:
            raise _ResetError(self) from exc

    async def shutdown_write(self) -> None:
        """close_notify, then FIN."""
        if not self.shut:
            self.shut = True
            # Sends close_notify. When the peer's has not come yet, unwrap() also tries to
            # read it and says "want read": the reading pump will see it.
            with contextlib.suppress(ssl.SSLError):
                self.tls.unwrap()
            try:
                await self._flush()
            except OSError as exc:
                raise _ResetError(self) from exc
        await super().shutdown_write()

    def report(self, events: RelayEvents) -> None:
        """The handshake's outcome to the events."""
        suite = self.tls.cipher()
        name = suite[0] if suite else ""
        events.handshake(
            self.name,
            self.tls.version() or "",
            name,
            ciphers.code_of_openssl(name) or "",
            self.tls.getpeercert(binary_form=True),
        )


def _end(leg: Leg, loop: asyncio.AbstractEventLoop) -> _End:
    return _End(leg, loop) if leg.tls is None else _TlsEnd(leg, leg.tls, loop)


# --- the phases ------------------------------------------------------------------------------
_Failure = tuple[str, int, str]  # leg name, return code, text


async def _handshake(end: _TlsEnd, events: RelayEvents) -> _Failure | None:
    timeout = end.spec.handshake_timeout or None
    try:
        async with asyncio.timeout(timeout):  # no task of its own, as wait_for makes
            await end.handshake()
    except OnwardError:
        raise  # not the handshake's failure: no return code
    except Exception as exc:  # noqa: BLE001 - every failure becomes a return code
        end.send_alert_now()
        rc = rc_of(exc, side=end.spec.side)
        return end.name, rc, f"{rc_text(rc)}: {exc or type(exc).__name__}"
    try:
        end.report(events)
    except HandshakeRejectedError as exc:
        return end.name, exc.rc, exc.text
    return None


async def _handshakes(ends: list[_TlsEnd], events: RelayEvents) -> _Failure | None:
    """Both legs' handshakes at once; the first failure, None when all succeeded."""
    if len(ends) == 1:
        return await _handshake(ends[0], events)
    tasks = [asyncio.ensure_future(_handshake(end, events)) for end in ends]
    try:
        for next_done in asyncio.as_completed(tasks):
            failure = await next_done
            if failure is not None:
                return failure
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return None


async def _pump(src: _End, dst: _End) -> None:
    """src -> dst until src's EOF, then half-close dst. One read in flight: backpressure.

    A read is tried without waiting when src has bytes waiting (the bulk path: no future,
    no selector registration per read); otherwise the pump waits for src to be readable.
    The buffer is taken from the pool only for the read and the write that follows, so
    that idle connections hold none.
    """
    waiting, readable, read, write = src.waiting, src.readable, src.read_now, dst.write
    while True:
        ready = waiting()
        if not ready:
            await readable()
            ready = waiting()
        # A burst of closes makes every pump readable at once, for an EOF: a small buffer
        # each, not CHUNK-sized ones (issue 11 item 6: RSS after a burst).
        pool = _SMALL_PLAIN if ready <= TINY else _PLAIN
        out = pool.take()
        try:
            n = read(out)
            if n:
                await write(out[:n])
        finally:
            pool.give(out)
        if n is None:  # nothing yet (a partial record, a handshake message): wait for more
            await src.settle()
            await readable()
            continue
        if not n:
            break
        src.delivered += n
    await dst.shutdown_write()


async def _pumps(a: _End, b: _End) -> BaseException | None:
    """Both directions; the first failure (with the other direction stopped), or None.

    The directions' own done callbacks resume this one: ``asyncio.wait`` and ``gather``
    each add a future and an event-loop turn or two between a direction's end and the
    relay's (issue 11 item 6: a connection's teardown delays the next handshake). A
    direction still running is cancelled and awaited, so that nothing of it outlives the
    relay (its reader registration, its buffer)."""
    loop = asyncio.get_running_loop()
    tasks = (loop.create_task(_pump(a, b)), loop.create_task(_pump(b, a)))
    settled: asyncio.Future[None] = loop.create_future()

    def ended(task: asyncio.Task[None]) -> None:
        if settled.done():
            return
        failed = not task.cancelled() and task.exception() is not None
        if failed or all(t.done() for t in tasks):  # as asyncio.wait's FIRST_EXCEPTION
            settled.set_result(None)

    for task in tasks:
        task.add_done_callback(ended)
    try:
        await settled
    finally:
        running = [task for task in tasks if not task.done()]
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    # A direction stopped because the other failed ends cancelled: not the cause.
    failures = (task.exception() for task in tasks if not task.cancelled())
    return next((failure for failure in failures if failure is not None), None)


def _count(result: RelayResult, a: _End, b: _End) -> None:
    result.left_to_right, result.right_to_left = a.delivered, b.delivered
    result.left_wire_in, result.left_wire_out = a.wire_in, a.wire_out
    result.right_wire_in, result.right_wire_out = b.wire_in, b.wire_out


async def relay(
    left: Leg, right: Leg, events: RelayEvents, onward: Onward | None = None
) -> RelayResult:
    """Relay between two connected sockets until both directions end; close both.

    TLS failures are reported with ``events.error`` (the AT-TLS return code of
    :func:`pagent.stack.tlsrc.rc_of`) and end the connection with resets toward both peers,
    as AT-TLS resets a connection whose handshake failed. ``events.closed`` gets the
    result, which is also returned. Cancelling closes both sockets with resets.

    With ``onward``, the right socket is not connected yet: the relay starts its connect
    once the left leg's first handshake flight is sent (at once when the left leg has no
    TLS), and waits for it before any data flows.
    """
    loop = asyncio.get_running_loop()
    result = RelayResult(left.name, right.name)
    try:
        a, b = _end(left, loop), _end(right, loop)
    except Exception as exc:  # noqa: BLE001 - e.g. a socket already closed
        _abort(left.sock)
        _abort(right.sock)
        result.outcome, result.failed_leg, result.rc = "failed", left.name, RC_INTERNAL
        events.error(left.name, RC_INTERNAL, f"{rc_text(RC_INTERNAL)}: {exc!r}")
        events.closed(result)
        return result
    failure: _Failure | None = None
    try:
        tls_ends = [end for end in (a, b) if isinstance(end, _TlsEnd)]
        started: list[bool] = []
        if onward is not None:

            def start() -> None:
                started.append(True)
                onward.start()

            if isinstance(a, _TlsEnd) and not isinstance(b, _TlsEnd):
                a.after_flight = start
            else:
                start()
        failure = await _handshakes(tls_ends, events) if tls_ends else None
        if failure is None and onward is not None:
            if not started:
                start()
            await onward.finish()
        if failure is None:
            problem = await _pumps(a, b)
            if problem is None:
                a.close()
                b.close()
            elif isinstance(problem, _ResetError):
                result.outcome, result.failed_leg = "reset", problem.end.name
            elif isinstance(problem, _TlsError):
                rc = rc_of(problem.exc, side=problem.end.spec.side)
                failure = problem.end.name, rc, f"{rc_text(rc)}: {problem.exc}"
            else:
                failure = left.name, RC_INTERNAL, f"{rc_text(RC_INTERNAL)}: {problem!r}"
    except OnwardError:
        result.outcome, result.failed_leg = "reset", right.name
    except asyncio.CancelledError:
        a.abort()
        b.abort()
        result.outcome = "cancelled"
        _count(result, a, b)
        raise
    except Exception as exc:  # noqa: BLE001 - one connection's failure never escapes
        failure = left.name, RC_INTERNAL, f"{rc_text(RC_INTERNAL)}: {exc!r}"
    a.abort()  # no-ops after a clean close
    b.abort()
    if failure is not None:
        result.outcome, result.failed_leg, result.rc = "failed", failure[0], failure[1]
        events.error(*failure)
    _count(result, a, b)
    events.closed(result)
    return result
