"""The relay: bytes intact both ways, TLS on either leg, half-close, reset, backpressure.

The peers are real loopback TCP sockets driven from threads (blocking, with timeouts), the
relay runs in the test's event loop; every scenario is bounded by ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from pagent.policy import ciphers
from pagent.stack import relay as relay_module
from pagent.stack.relay import Leg, NoEvents, RelayResult, relay
from pagent.stack.tlsconfig import TlsSpec, build_spec
from tests.stack.certs import Pki, effective_of, make_pki

T = TypeVar("T")
MODERN = ("TLSv1 Off", "TLSv1.1 Off", "TLSv1.2 On", "TLSv1.3 On")
LIMIT = 5.0  # no scenario may take longer; each takes well under 2 s
MiB = 1024 * 1024


# --- fixtures and helpers ----------------------------------------------------------------------
@pytest.fixture(name="pki", scope="module")
def fixture_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(name="socks")
def fixture_socks() -> Iterator[list[socket.socket]]:
    """Every socket a test makes; all closed at the end, whatever happened."""
    made: list[socket.socket] = []
    yield made
    for s in made:
        s.close()


class Events(NoEvents):
    """What the relay reported."""

    def __init__(self) -> None:
        self.handshakes: list[tuple[str, str, str, str, bytes | None]] = []
        self.errors: list[tuple[str, int, str]] = []
        self.results: list[RelayResult] = []

    def handshake(
        self, leg: str, version: str, cipher: str, cipher_code4: str, peer_cert_der: bytes | None
    ) -> None:
        self.handshakes.append((leg, version, cipher, cipher_code4, peer_cert_der))

    def error(self, leg: str, rc: int, text: str) -> None:
        self.errors.append((leg, rc, text))

    def closed(self, result: RelayResult) -> None:
        self.results.append(result)


def tcp_pair(socks: list[socket.socket], bufsize: int = 0) -> tuple[socket.socket, socket.socket]:
    """(peer's socket, stack's socket) of a loopback TCP connection."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        if bufsize:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        peer = socket.socket()
        socks.append(peer)
        if bufsize:
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, bufsize)
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, bufsize)
        peer.connect(server.getsockname())
        stack, _addr = server.accept()
        socks.append(stack)
    peer.settimeout(3)
    stack.setblocking(False)
    return peer, stack


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(scenario(), LIMIT)

    return asyncio.run(bounded())


def thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    return asyncio.ensure_future(asyncio.to_thread(fn, *args))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recv_all(sock: socket.socket) -> bytes:
    """Everything until EOF."""
    out = bytearray()
    while chunk := sock.recv(256 * 1024):
        out += chunk
    return bytes(out)


def send_and_shut(sock: socket.socket, data: bytes) -> None:
    sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)


def exchange(sock: socket.socket, data: bytes) -> bytes:
    """Send ``data`` then FIN while reading everything until EOF; what was read."""
    sender = threading.Thread(target=send_and_shut, args=(sock, data))
    sender.start()
    try:
        return recv_all(sock)
    finally:
        sender.join()


def reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def ends_with_reset(sock: socket.socket) -> bool:
    """Read until the end: True for a reset, False for EOF."""
    try:
        while sock.recv(256 * 1024):
            pass
    except ConnectionResetError:
        return True
    return False


def sees_reset_or_eof(sock: socket.socket) -> str:
    try:
        data = sock.recv(65536)
    except ConnectionResetError:
        return "reset"
    return "eof" if not data else f"data {data!r}"


class TlsPeer:
    """A blocking TLS peer over a socket, with each TLS step under the test's control."""

    def __init__(self, sock: socket.socket, ctx: ssl.SSLContext, *, server: bool) -> None:
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.incoming, self.outgoing, server_side=server)
        self.clean_close: bool | None = None  # after recv_all: close_notify seen or not
        self.early = bytearray()  # application data decrypted before close_notify was sent

    def _flush(self) -> None:
        if data := self.outgoing.read():
            self.sock.sendall(data)

    def _fill(self) -> None:
        data = self.sock.recv(256 * 1024)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()

    def handshake(self) -> None:
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._fill()
        self._flush()

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        for i in range(0, len(view), 256 * 1024):
            self.tls.write(view[i : i + 256 * 1024])
            self._flush()

    def close_notify(self) -> None:
        # unwrap() reads the incoming BIO and fails on application data it finds there: take
        # the complete records out first (pagent.stack.relay does the same).
        while True:
            try:
                data = self.tls.read(256 * 1024)
            except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
                break
            if not data:
                break
            self.early += data
        with contextlib.suppress(ssl.SSLWantReadError):
            self.tls.unwrap()
        self._flush()

    def recv_all(self) -> bytes:
        out = self.early
        while True:
            try:
                data = self.tls.read(256 * 1024)
            except ssl.SSLWantReadError:
                self._fill()
                continue
            except ssl.SSLZeroReturnError:
                self.clean_close = True
                break
            except ssl.SSLEOFError:
                self.clean_close = False
                break
            if not data:
                self.clean_close = True
                break
            out += data
        return bytes(out)

    def talk(self, data: bytes) -> bytes:
        """Handshake, send ``data``, close_notify, then read until the stack's close."""
        self.handshake()
        self.send(data)
        self.close_notify()
        return self.recv_all()


def peer_client_ctx(pki: Pki, *, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cadata=pki.ca_pem)
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    return ctx


def peer_server_ctx(pki: Pki, cert: str = "server") -> ssl.SSLContext:
    issued = getattr(pki, cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(issued.cert_file, issued.key_file)
    return ctx


def server_spec(pki: Pki, *advanced: str, role: str = "Server") -> TlsSpec:
    return build_spec(effective_of(role, *MODERN, *advanced), pki.ring(pki.server))


def client_spec(pki: Pki) -> TlsSpec:
    return build_spec(effective_of("Client", *MODERN), pki.ring(None))


# --- bytes intact --------------------------------------------------------------------------------
def test_clear_bytes_flow_both_ways_intact(socks: list[socket.socket]) -> None:
    up, down = os.urandom(4 * MiB), os.urandom(3 * MiB)
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)

    async def scenario() -> tuple[bytes, bytes]:
        task = asyncio.ensure_future(
            relay(Leg(app_s, None, "app"), Leg(wire_s, None, "out"), NoEvents())
        )
        got = await asyncio.gather(thread(exchange, app, up), thread(exchange, wire, down))
        await task
        return got[0], got[1]

    at_app, at_wire = run(scenario)
    assert digest(at_wire) == digest(up)
    assert digest(at_app) == digest(down)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_bytes_flow_both_ways_intact(
    pki: Pki, socks: list[socket.socket], version: ssl.TLSVersion
) -> None:
    up, down = os.urandom(4 * MiB), os.urandom(3 * MiB)
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki, version=version), server=False)

    async def scenario() -> tuple[bytes, bytes]:
        legs = Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app")
        task = asyncio.ensure_future(relay(*legs, NoEvents()))
        got = await asyncio.gather(thread(peer.talk, up), thread(exchange, app, down))
        await task
        return got[0], got[1]

    at_peer, at_app = run(scenario)
    assert digest(at_app) == digest(up)
    assert digest(at_peer) == digest(down)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_records_cut_anywhere_reach_the_bio_one_at_a_time_and_intact(
    pki: Pki, socks: list[socket.socket], version: ssl.TLSVersion
) -> None:
    # A memory BIO keeps the largest size it ever held: the relay feeds it whole records
    # (issue 11 item 6), whatever cuts the reads make, headers included.
    a, b = socket.socketpair()
    socks += [a, b]
    loop = asyncio.new_event_loop()
    try:
        end = relay_module._TlsEnd(Leg(b, server_spec(pki), "in"), server_spec(pki), loop)
    finally:
        loop.close()
    c_in, c_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = peer_client_ctx(pki, version=version).wrap_bio(c_in, c_out, server_side=False)
    for _ in range(10):  # the handshake, in memory
        with contextlib.suppress(ssl.SSLWantReadError):
            client.do_handshake()
        end._feed(memoryview(c_out.read()), None)
        with contextlib.suppress(ssl.SSLWantReadError):
            end.tls.do_handshake()
        c_in.write(end.outgoing.read())
        if end.tls.version() and client.version():
            break
    else:
        pytest.fail("no handshake in memory")
    sent = b"".join(os.urandom(n) for n in (1, 16384, 16385, 100_000, 7, 3 * 16384))
    for i in range(0, len(sent), 40_000):
        client.write(sent[i : i + 40_000])
    stream = memoryview(c_out.read())
    out = memoryview(bytearray(len(sent) + 64 * 1024))
    got = end._drain(out)  # whatever came with the handshake's last flight
    cuts = (1, 2, 3, 4, 5, 6, 7, 11, 4096, 16389, 17_000, 65_537)
    pos = i = 0
    while pos < len(stream):
        piece = stream[pos : pos + cuts[i % len(cuts)]]
        got += end._feed(piece, out[got:])
        assert end.incoming.pending <= relay_module._RECORD
        pos, i = pos + len(piece), i + 1
    assert bytes(out[:got]) == sent


def test_both_legs_tls_at_once(pki: Pki, socks: list[socket.socket]) -> None:
    up, down = os.urandom(2 * MiB), os.urandom(2 * MiB)
    a, a_s = tcp_pair(socks)
    b, b_s = tcp_pair(socks)
    client_peer = TlsPeer(a, peer_client_ctx(pki), server=False)
    server_peer = TlsPeer(b, peer_server_ctx(pki), server=True)
    events = Events()

    async def scenario() -> tuple[bytes, bytes]:
        legs = Leg(a_s, server_spec(pki), "in"), Leg(b_s, client_spec(pki), "out")
        task = asyncio.ensure_future(relay(*legs, events))
        got = await asyncio.gather(thread(client_peer.talk, up), thread(server_peer.talk, down))
        await task
        return got[0], got[1]

    at_client, at_server = run(scenario)
    assert (digest(at_server), digest(at_client)) == (digest(up), digest(down))
    assert sorted(h[0] for h in events.handshakes) == ["in", "out"]


# --- handshake reports ---------------------------------------------------------------------------
def test_handshake_reports_version_cipher_code_and_peer_certificate(
    pki: Pki, socks: list[socket.socket]
) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_server_ctx(pki), server=True)
    events = Events()

    async def scenario() -> None:
        task = asyncio.ensure_future(
            relay(Leg(app_s, None, "app"), Leg(wire_s, client_spec(pki), "out"), events)
        )
        await asyncio.gather(thread(peer.talk, b"hello"), thread(exchange, app, b""))
        await task

    run(scenario)
    [(leg, version, cipher, code4, der)] = events.handshakes
    assert (leg, version, der) == ("out", "TLSv1.3", pki.server.der)
    assert ciphers.openssl_name(code4) == cipher


def test_tls12_handshake_reports_the_zos_cipher_code(pki: Pki, socks: list[socket.socket]) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    ctx = peer_client_ctx(pki, version=ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    peer = TlsPeer(wire, ctx, server=False)
    events = Events()

    async def scenario() -> None:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), events)
        )
        await asyncio.gather(thread(peer.talk, b"x"), thread(exchange, app, b""))
        await task

    run(scenario)
    assert events.handshakes == [("in", "TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256", "C02B", None)]


# --- handshake failures --------------------------------------------------------------------------
def _failing(
    pki: Pki,
    socks: list[socket.socket],
    spec: TlsSpec,
    peer_action: Callable[[socket.socket], object],
) -> tuple[Events, RelayResult, str]:
    """Relay with ``spec`` on the wire leg while the peer does ``peer_action``."""
    del pki
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    events = Events()

    async def scenario() -> tuple[RelayResult, str]:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, spec, "wire"), Leg(app_s, None, "app"), events)
        )
        acting = thread(peer_action, wire)
        result = await task
        await asyncio.gather(acting, return_exceptions=True)
        return result, await asyncio.to_thread(sees_reset_or_eof, app)

    result, app_saw = run(scenario)
    return events, result, app_saw


def _tls_client(ctx: ssl.SSLContext) -> Callable[[socket.socket], object]:
    def act(sock: socket.socket) -> object:
        peer = TlsPeer(sock, ctx, server=False)
        peer.handshake()
        return peer.recv_all()

    return act


def _tls_server(ctx: ssl.SSLContext) -> Callable[[socket.socket], object]:
    def act(sock: socket.socket) -> object:
        TlsPeer(sock, ctx, server=True).handshake()
        return None

    return act


def test_handshake_timeout_is_rc_5004(pki: Pki, socks: list[socket.socket]) -> None:
    spec = dataclasses.replace(server_spec(pki), handshake_timeout=0.3)
    started = time.monotonic()
    events, result, _ = _failing(pki, socks, spec, lambda sock: sock.recv(1))
    assert [(leg, rc) for leg, rc, _t in events.errors] == [("wire", 5004)]
    assert (result.outcome, result.failed_leg, result.rc) == ("failed", "wire", 5004)
    assert time.monotonic() - started < 1.5


def test_clear_text_to_a_tls_server_leg_is_rc_5003(pki: Pki, socks: list[socket.socket]) -> None:
    def browser(sock: socket.socket) -> None:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: zos\r\n\r\n")

    events, _result, _ = _failing(pki, socks, server_spec(pki), browser)
    assert [rc for _l, rc, _t in events.errors] == [5003]


def test_an_untrusted_server_certificate_is_rc_8(pki: Pki, socks: list[socket.socket]) -> None:
    events, _result, _ = _failing(
        pki, socks, client_spec(pki), _tls_server(peer_server_ctx(pki, "stranger"))
    )
    assert [rc for _l, rc, _t in events.errors] == [8]


def test_an_expired_server_certificate_is_rc_401(pki: Pki, socks: list[socket.socket]) -> None:
    events, _result, _ = _failing(
        pki, socks, client_spec(pki), _tls_server(peer_server_ctx(pki, "expired"))
    )
    assert [rc for _l, rc, _t in events.errors] == [401]


def test_no_client_certificate_for_required_client_auth_is_rc_5001(
    pki: Pki, socks: list[socket.socket]
) -> None:
    spec = server_spec(pki, role="ServerWithClientAuth")
    events, _result, _ = _failing(pki, socks, spec, _tls_client(peer_client_ctx(pki)))
    assert [rc for _l, rc, _t in events.errors] == [5001]
    assert events.handshakes == []


def test_a_reset_during_the_handshake_is_rc_406(pki: Pki, socks: list[socket.socket]) -> None:
    def hello_then_reset(sock: socket.socket) -> None:
        sock.sendall(b"\x16\x03\x01\x00\xff\x01")  # the start of a ClientHello
        time.sleep(0.05)
        reset(sock)

    events, _result, _ = _failing(pki, socks, server_spec(pki), hello_then_reset)
    assert [rc for _l, rc, _t in events.errors] == [406]


def test_a_failed_handshake_resets_the_other_peer(pki: Pki, socks: list[socket.socket]) -> None:
    def browser(sock: socket.socket) -> None:
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")

    _events, result, app_saw = _failing(pki, socks, server_spec(pki), browser)
    assert app_saw == "reset"
    assert result.outcome == "failed"


# --- closing -----------------------------------------------------------------------------------
def test_a_clear_fin_becomes_a_half_close_and_the_other_way_still_flows(
    socks: list[socket.socket],
) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)

    def app_side() -> bytes:
        send_and_shut(app, b"request")
        return recv_all(app)

    def wire_side() -> bytes:
        request = recv_all(wire)  # EOF arrives while the app still waits for the answer
        send_and_shut(wire, b"answer to " + request)
        return request

    async def scenario() -> tuple[bytes, bytes, RelayResult]:
        task = asyncio.ensure_future(
            relay(Leg(app_s, None, "app"), Leg(wire_s, None, "out"), NoEvents())
        )
        got = await asyncio.gather(thread(app_side), thread(wire_side))
        return got[0], got[1], await task

    answer, request, result = run(scenario)
    assert (request, answer) == (b"request", b"answer to request")
    assert result.outcome == "closed"


def test_a_close_notify_becomes_a_fin_and_the_stack_answers_with_its_own(
    pki: Pki, socks: list[socket.socket]
) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki), server=False)

    def app_side() -> bytes:
        request = recv_all(app)  # EOF from the peer's close_notify, the TLS peer still open
        send_and_shut(app, b"answer to " + request)
        return request

    async def scenario() -> tuple[bytes, bytes, RelayResult]:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), NoEvents())
        )
        got = await asyncio.gather(thread(peer.talk, b"request"), thread(app_side))
        return got[0], got[1], await task

    answer, request, result = run(scenario)
    assert (request, answer) == (b"request", b"answer to request")
    assert peer.clean_close is True  # the stack's close_notify came before its FIN
    assert result.outcome == "closed"


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_our_close_notify_while_the_peer_still_sends_loses_nothing(
    pki: Pki, socks: list[socket.socket], version: ssl.TLSVersion
) -> None:
    payload = os.urandom(8 * MiB)
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki, version=version), server=False)

    def app_side() -> bytes:
        first = bytearray()
        while len(first) < MiB:
            first += app.recv(MiB - len(first))
        time.sleep(0.1)  # the relay blocks writing to us, with the peer's records read in
        app.shutdown(socket.SHUT_WR)  # so it sends close_notify mid-stream
        return bytes(first) + recv_all(app)

    async def scenario() -> bytes:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), NoEvents())
        )
        got = await asyncio.gather(thread(peer.talk, payload), thread(app_side))
        await task
        return got[1]

    assert digest(run(scenario)) == digest(payload)


def test_a_tls13_peer_that_sends_and_closes_at_once_loses_nothing(
    pki: Pki, socks: list[socket.socket]
) -> None:
    payload = os.urandom(8 * MiB)
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki, version=ssl.TLSVersion.TLSv1_3), server=False)

    def send_and_close() -> None:
        peer.handshake()
        peer.send(payload)
        wire.close()  # no close_notify, nothing read: openssl#7948's client

    async def scenario() -> bytes:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), NoEvents())
        )
        got = await asyncio.gather(thread(send_and_close), thread(recv_all, app))
        app.close()
        await task
        return got[1]

    assert digest(run(scenario)) == digest(payload)


def test_a_reset_from_one_peer_becomes_a_reset_toward_the_other(
    socks: list[socket.socket],
) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)

    async def scenario() -> tuple[bool, RelayResult]:
        task = asyncio.ensure_future(
            relay(Leg(app_s, None, "app"), Leg(wire_s, None, "out"), NoEvents())
        )
        await asyncio.to_thread(app.sendall, b"partial")
        await asyncio.to_thread(reset, app)
        result = await task
        return await asyncio.to_thread(ends_with_reset, wire), result

    wire_reset, result = run(scenario)
    assert wire_reset
    assert (result.outcome, result.failed_leg) == ("reset", "app")


def test_a_tls_peer_reset_becomes_a_reset_toward_the_app(
    pki: Pki, socks: list[socket.socket]
) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki), server=False)

    def hello_and_reset() -> None:
        peer.handshake()
        peer.send(b"data")
        reset(wire)

    async def scenario() -> tuple[bool, RelayResult]:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), NoEvents())
        )
        await asyncio.to_thread(hello_and_reset)
        result = await task
        return await asyncio.to_thread(ends_with_reset, app), result

    app_reset, result = run(scenario)
    assert app_reset
    assert (result.outcome, result.failed_leg) == ("reset", "in")


# --- backpressure, counters, cancellation ---------------------------------------------------------
@pytest.mark.parametrize("tls", [False, True])
def test_a_peer_that_does_not_read_stops_the_relay_reading_the_other(
    pki: Pki, socks: list[socket.socket], tls: bool
) -> None:
    small = 64 * 1024
    app, app_s = tcp_pair(socks, small)
    wire, wire_s = tcp_pair(socks, small)
    peer = TlsPeer(wire, peer_client_ctx(pki), server=False) if tls else None

    def flood() -> int:
        """Send until the relay stops taking bytes for 0.2 s; how many it took."""
        if peer is not None:
            peer.handshake()
        wire.settimeout(0.2)
        block = os.urandom(64 * 1024)
        sent = 0
        try:
            while sent < 64 * MiB:
                if peer is not None:
                    peer.tls.write(block)
                    peer._flush()  # raises TimeoutError once the relay stops reading
                    sent += len(block)
                else:
                    sent += wire.send(block)
        except TimeoutError:
            pass
        return sent

    async def scenario() -> tuple[int, int]:
        spec = server_spec(pki) if tls else None
        task = asyncio.ensure_future(
            relay(Leg(wire_s, spec, "in"), Leg(app_s, None, "app"), NoEvents())
        )
        sent = await asyncio.to_thread(flood)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        received = len(await asyncio.to_thread(recv_all_until_reset, app))
        return sent, received

    sent, received = run(scenario)
    assert sent < 4 * MiB  # bounded: socket buffers and one read per direction
    assert received <= sent


def recv_all_until_reset(sock: socket.socket) -> bytes:
    out = bytearray()
    try:
        while chunk := sock.recv(256 * 1024):
            out += chunk
    except ConnectionResetError:
        pass
    return bytes(out)


def test_the_result_counts_bytes_per_direction(pki: Pki, socks: list[socket.socket]) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)
    peer = TlsPeer(wire, peer_client_ctx(pki), server=False)
    events = Events()

    async def scenario() -> RelayResult:
        task = asyncio.ensure_future(
            relay(Leg(wire_s, server_spec(pki), "in"), Leg(app_s, None, "app"), events)
        )
        await asyncio.gather(
            thread(peer.talk, b"u" * 100_000), thread(exchange, app, b"d" * 50_000)
        )
        return await task

    result = run(scenario)
    assert (result.left_to_right, result.right_to_left) == (100_000, 50_000)
    assert (result.right_wire_in, result.right_wire_out) == (50_000, 100_000)
    assert result.left_wire_in > 100_000
    assert result.left_wire_out > 50_000
    assert events.results == [result]


def test_cancelling_the_relay_resets_both_peers(socks: list[socket.socket]) -> None:
    app, app_s = tcp_pair(socks)
    wire, wire_s = tcp_pair(socks)

    async def scenario() -> list[str]:
        task = asyncio.ensure_future(
            relay(Leg(app_s, None, "app"), Leg(wire_s, None, "out"), NoEvents())
        )
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert app_s.fileno() == -1
        assert wire_s.fileno() == -1
        return [await asyncio.to_thread(sees_reset_or_eof, s) for s in (app, wire)]

    assert run(scenario) == ["reset", "reset"]


def test_a_socket_that_cannot_be_used_is_reported_not_raised(socks: list[socket.socket]) -> None:
    _app, app_s = tcp_pair(socks)
    _wire, wire_s = tcp_pair(socks)
    app_s.close()
    events = Events()

    result = run(lambda: relay(Leg(app_s, None, "app"), Leg(wire_s, None, "out"), events))
    assert [(leg, rc) for leg, rc, _t in events.errors] == [("app", 3)]
    assert result.outcome == "failed"
    assert wire_s.fileno() == -1


# --- the connection onward, made by the relay -------------------------------------------------
class _Onward:
    """relay.Onward over an unconnected socket: connects it to ``address`` when started."""

    def __init__(self, sock: socket.socket, address: tuple[str, int], *, refuse: bool = False):
        self.sock, self.address, self.refuse = sock, address, refuse
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")
        if self.refuse:
            raise relay_module.OnwardError("connection refused")
        with contextlib.suppress(BlockingIOError):
            self.sock.connect(self.address)

    async def finish(self) -> None:
        self.calls.append("finish")
        await asyncio.get_running_loop().sock_connect(self.sock, self.address)


def test_the_onward_connection_is_made_after_the_first_flight_and_data_flows(
    pki: Pki, socks: list[socket.socket]
) -> None:
    up, down = os.urandom(256 * 1024), os.urandom(128 * 1024)
    wire, wire_s = tcp_pair(socks)
    server = socket.create_server(("127.0.0.1", 0))
    socks.append(server)
    upstream = socket.socket()
    socks.append(upstream)
    upstream.setblocking(False)
    got_flight = threading.Event()
    flight_out: list[bool] = []  # at the connect: was the stack's first flight sent?

    class Watching(_Onward):
        def start(self) -> None:
            flight_out.append(got_flight.is_set() or relay_module._waiting(wire) > 0)
            super().start()

    onward = Watching(upstream, server.getsockname())
    peer = TlsPeer(wire, peer_client_ctx(pki), server=False)

    def app() -> bytes:
        conn, _addr = server.accept()
        socks.append(conn)
        conn.settimeout(3)
        return exchange(conn, down)

    def client() -> bytes:
        peer._flush()  # the ClientHello
        try:
            peer.tls.do_handshake()
        except ssl.SSLWantReadError:
            peer._flush()
        peer._fill()  # the stack's first flight
        got_flight.set()
        return peer.talk(up)

    async def scenario() -> tuple[bytes, bytes]:
        legs = Leg(wire_s, server_spec(pki), "in"), Leg(upstream, None, "app")
        task = asyncio.ensure_future(relay(*legs, NoEvents(), onward))
        got = await asyncio.gather(thread(client), thread(app))
        await task
        return got[0], got[1]

    at_peer, at_app = run(scenario)
    assert digest(at_app) == digest(up)
    assert digest(at_peer) == digest(down)
    assert onward.calls == ["start", "finish"]
    assert flight_out == [True]


def test_a_refused_onward_connection_resets_the_client_with_no_return_code(
    pki: Pki, socks: list[socket.socket]
) -> None:
    wire, wire_s = tcp_pair(socks)
    upstream = socket.socket()
    socks.append(upstream)
    upstream.setblocking(False)
    onward = _Onward(upstream, ("127.0.0.1", 9), refuse=True)
    events = Events()

    def client() -> str:
        peer = TlsPeer(wire, peer_client_ctx(pki), server=False)
        try:
            peer.handshake()
            peer.recv_all()
        except (ConnectionResetError, ssl.SSLError):
            return "reset"
        return "handshake completed"

    async def scenario() -> tuple[str, RelayResult]:
        legs = Leg(wire_s, server_spec(pki), "in"), Leg(upstream, None, "app")
        task = asyncio.ensure_future(relay(*legs, events, onward))
        saw = await thread(client)
        return saw, await task

    saw, result = run(scenario)
    assert saw == "reset"
    assert (result.outcome, result.failed_leg, result.rc) == ("reset", "app", 0)
    assert events.errors == []
    assert onward.calls == ["start"]
