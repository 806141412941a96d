"""pagent.stack.datapath: real connections in a real image namespace, with real TLS.

The peers run in this test's event loop, with sockets made inside the namespace, so they
are redirected to the stack like any program of the image. Their owner is injected (this
process is not in the namespace); the key rings come from a real SAF store made with
RACDCERT commands. Needs root and nftables, as the data path does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import ssl
import struct
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import SourceText
from pagent.saf import racdcert
from pagent.saf.rings import resolve_ring, resolver, user_of_certificate
from pagent.saf.store import SafStore
from pagent.stack import Stack, netns
from pagent.stack.connections import ENABLED, NO_TTLS, SECURE
from pagent.stack.datapath import DataPath, writes_handshake_event
from pagent.stack.owners import Owner

from .clients import connect_in, need_open_files

T = TypeVar("T")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WAIT = 10.0

RING_COMMANDS = [
    "RACDCERT CERTAUTH GENCERT SUBJECTSDN(CN('Test CA')) WITHLABEL('Test CA') "
    "NOTAFTER(DATE(2036/12/31))",
    "RACDCERT ID(TEST) GENCERT SUBJECTSDN(CN('server')) WITHLABEL('Server') "
    "SIGNWITH(CERTAUTH LABEL('Test CA')) NOTAFTER(DATE(2036/12/31))",
    "RACDCERT ID(TEST) GENCERT SUBJECTSDN(CN('client')) WITHLABEL('Client') "
    "SIGNWITH(CERTAUTH LABEL('Test CA')) NOTAFTER(DATE(2036/12/31))",
    "RACDCERT ID(TEST) GENCERT SUBJECTSDN(CN('old')) WITHLABEL('Old') "
    "SIGNWITH(CERTAUTH LABEL('Test CA')) NOTAFTER(DATE(2022/12/31))",
    "RACDCERT ID(TEST) ADDRING(Server.Ring)",
    "RACDCERT ID(TEST) CONNECT(ID(TEST) LABEL('Server') RING(Server.Ring) DEFAULT)",
    "RACDCERT ID(TEST) CONNECT(CERTAUTH LABEL('Test CA') RING(Server.Ring) USAGE(CERTAUTH))",
    "RACDCERT ID(TEST) ADDRING(Client.Ring)",
    "RACDCERT ID(TEST) CONNECT(ID(TEST) LABEL('Client') RING(Client.Ring) DEFAULT)",
    "RACDCERT ID(TEST) CONNECT(CERTAUTH LABEL('Test CA') RING(Client.Ring) USAGE(CERTAUTH))",
    "RACDCERT ID(TEST) ADDRING(Old.Ring)",
    "RACDCERT ID(TEST) CONNECT(ID(TEST) LABEL('Old') RING(Old.Ring) DEFAULT)",
    "RACDCERT ID(TEST) CONNECT(CERTAUTH LABEL('Test CA') RING(Old.Ring) USAGE(CERTAUTH))",
    "RACDCERT ID(OTHER) GENCERT SUBJECTSDN(CN('other')) WITHLABEL('Other') "
    "SIGNWITH(CERTAUTH LABEL('Test CA')) NOTAFTER(DATE(2036/12/31))",
    "RACDCERT ID(OTHER) ADDRING(Other.Ring)",
    "RACDCERT ID(OTHER) CONNECT(ID(OTHER) LABEL('Other') RING(Other.Ring) DEFAULT)",
    "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(OTHER) ACCESS(READ)",
    "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(OTHER) ACCESS(READ)",
    "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(TEST) ACCESS(READ)",
    "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(TEST) ACCESS(READ)",
]


def _rule(name: str, port: str, direction: str, group: str, env: str) -> str:
    side = "RemotePortRange" if direction == "Outbound" else "LocalPortRange"
    return (
        f"TTLSRule {name}\n{{\n  {side} {port}\n  Direction {direction}\n"
        f"  TTLSGroupActionRef {group}\n  TTLSEnvironmentActionRef {env}\n}}\n"
    )


def _env(name: str, role: str, ring: str, extra: str = "", tls13: str = "On") -> str:
    # The protocol defaults are TLSv1 and TLSv1.1 only (the schema's), so say which.
    return (
        f"TTLSEnvironmentAction {name}\n{{\n  HandshakeRole {role}\n"
        f"  TTLSKeyringParms\n  {{\n    Keyring {ring}\n  }}\n"
        f"  TTLSEnvironmentAdvancedParms\n  {{\n    TLSv1.2 On\n    TLSv1.3 {tls13}\n"
        f"{extra}  }}\n}}\n"
    )


POLICY = "".join(
    [
        _rule("ClientRule", "7001", "Outbound", "gOn", "eClient"),
        _rule("ServerRule", "7002", "Inbound", "gOn", "eServer"),
        _rule("BothOut", "7003", "Outbound", "gOn", "eClient"),
        _rule("BothIn", "7003", "Inbound", "gOn", "eServer"),
        _rule("NoRing", "7004", "Outbound", "gOn", "eNoRing"),
        _rule("BadLabel", "7005", "Outbound", "gOn", "eBadLabel"),
        _rule("Disabled", "7006", "Outbound", "gOff", "eClient"),
        _rule("Expired", "7007", "Inbound", "gOn", "eExpired"),
        "TTLSGroupAction gOn\n{\n  TTLSEnabled On\n  Trace 15\n}\n",
        "TTLSGroupAction gOff\n{\n  TTLSEnabled Off\n  Trace 15\n}\n",
        _env("eClient", "Client", "Client.Ring"),
        _env("eServer", "Server", "Server.Ring"),
        _env("eNoRing", "Client", "NoSuch.Ring"),
        _env("eBadLabel", "Client", "Client.Ring", "    CertificateLabel Nobody\n"),
        _env("eExpired", "Server", "Old.Ring"),
        _rule("Tls12Only", "7008", "Outbound", "gOn", "eTls12"),
        _env("eTls12", "Client", "Client.Ring", tls13="Off"),
        _rule("SafCheck", "7009", "Inbound", "gOn", "eSaf"),
        _env("eSaf", "ServerWithClientAuth", "Server.Ring", "    ClientAuthType SAFCheck\n"),
    ]
)


@dataclass
class Rig:
    """A stack with its data path in a fresh image, and what it wrote."""

    image: netns.ImageNamespace
    stack: Stack
    store: SafStore
    path: DataPath | None = None
    syslog: list[tuple[str, str, str]] = field(default_factory=list)
    console: list[list[str]] = field(default_factory=list)
    reasons: list[tuple[int, str]] = field(default_factory=list)  # (RC, why), pagent's own

    def texts(self, msgid: str) -> list[str]:
        return [text for _f, _p, text in self.syslog if msgid in text]

    def material(self, ring: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
        """(server context, client context) of a test ring, for the test's own peers."""
        found = resolve_ring(self.store, ring, "TEST", None)
        assert found.cert_file is not None
        assert found.key_file is not None
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(found.cert_file, found.key_file)
        client = ssl.create_default_context(cadata=found.ca_pem)
        client.check_hostname = False
        return server, client


def _policy() -> Policy:
    policy = load_policy([SourceText("datapath.policy", POLICY)])
    assert not policy.rejected
    return policy


@pytest.fixture(name="rig")
def fixture_rig(tmp_path: Path) -> Iterator[Rig]:
    why = netns.available()
    if why is not None:
        pytest.skip(why)
    (tmp_path / "etc").mkdir()
    store = SafStore(tmp_path, lambda: NOW)
    for command in RING_COMMANDS:
        done = racdcert.execute(store, command)
        assert done.ok, (command, done.lines)
    image = netns.ImageNamespace(netns.namespace_name("TEST", tmp_path))
    image.create()
    rig = Rig(
        image, Stack("TCPIP1", root=tmp_path, profile=None, clock=lambda: NOW, emit=print), store
    )
    rig.stack._emit = rig.console.append
    rig.stack.start()
    rig.stack.ttls = True
    rig.stack.install_policy(_policy())
    try:
        yield rig
    finally:
        image.delete()


@contextlib.asynccontextmanager
async def running(rig: Rig) -> AsyncIterator[DataPath]:
    def identify(client: tuple[str, int], server: tuple[str, int]) -> tuple[Owner, Owner]:
        del client, server
        return Owner(os.getpid(), "TESTJOB", "TEST"), Owner(os.getpid(), "TESTSRV", "TEST")

    path = DataPath(
        rig.stack,
        rig.image,
        resolver=resolver(rig.store),
        log=lambda f, p, t: rig.syslog.append((f, p, t)),
        clock=lambda: NOW,
        identify=identify,
        cert_user=lambda der: user_of_certificate(rig.store, der),
        explain=lambda _connid, rc, reason: rig.reasons.append((rc, reason)),
    )
    rig.path = path
    await path.start()
    try:
        yield path
    finally:
        await path.stop()


async def serve(
    rig: Rig,
    port: int,
    handler: Callable[[asyncio.StreamReader, asyncio.StreamWriter], object],
    context: ssl.SSLContext | None = None,
) -> asyncio.Server:
    """A server of the image on ``port`` (its socket made inside the namespace)."""

    def make() -> socket.socket:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(1024)
        sock.setblocking(False)
        return sock

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer)  # type: ignore[misc]
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    return await asyncio.start_server(run, sock=rig.image.call(make), ssl=context)


@contextlib.contextmanager
def blocking_tls_server(rig: Rig, port: int, context: ssl.SSLContext) -> Iterator[None]:
    """A TLS echo server on threads with blocking sockets: unlike asyncio's, it sends its
    alert when a handshake fails, so the stack sees the partner's reason."""
    listener = rig.image.call(lambda: socket.create_server(("127.0.0.1", port)))

    def handle(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            while data := tls.recv(65536):
                tls.sendall(data)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(5)


async def connect(
    rig: Rig, port: int, context: ssl.SSLContext | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client of the image connecting to 127.0.0.1:port (redirected to the stack)."""
    return await connect_in(rig.image, port, context, WAIT)


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        writer.write_eof()


async def round_trip(
    rig: Rig, port: int, payload: bytes, context: ssl.SSLContext | None = None
) -> bytes:
    """Send, read the echo back, close. No half-close: asyncio's TLS server ends the whole
    connection on a close_notify, so a half-close is tested with the stack on both ends."""
    reader, writer = await connect(rig, port, context)
    writer.write(payload)
    await writer.drain()
    got = await asyncio.wait_for(reader.readexactly(len(payload)), WAIT)
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return got


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coro, 60))


# --- clear paths ----------------------------------------------------------------------------
def test_a_connection_with_no_rule_passes_in_clear(rig: Rig) -> None:
    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7100, echo)
            async with server:
                return await round_trip(rig, 7100, b"hello z/OS")

    assert run(scenario()) == b"hello z/OS"
    assert rig.texts("EZD1281I") == []


def test_nottls_leaves_every_connection_in_clear_and_unmapped(rig: Rig) -> None:
    rig.stack.ttls = False
    seen: list[str] = []

    async def scenario() -> bytes:
        async with running(rig):

            async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                seen.extend(e.policy_state for e in rig.stack.connections.live())
                await echo(reader, writer)

            server = await serve(rig, 7001, plain)
            async with server:
                return await round_trip(rig, 7001, b"clear")

    assert run(scenario()) == b"clear"
    assert set(seen) == {NO_TTLS}


def test_ttls_enabled_off_maps_but_stays_clear(rig: Rig) -> None:
    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7006, echo)
            async with server:
                return await round_trip(rig, 7006, b"not enabled")

    assert run(scenario()) == b"not enabled"
    (mapped,) = rig.texts("EZD1281I")
    assert "STATUS: Not Enabled RULE: Disabled" in mapped


# --- TLS by rule ------------------------------------------------------------------------------
def test_outbound_client_rule_does_a_real_handshake_toward_a_tls_server(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    payload = os.urandom(300_000)

    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7001, echo, server_ctx)
            async with server:
                return await round_trip(rig, 7001, payload)

    assert hashlib.sha256(run(scenario())).digest() == hashlib.sha256(payload).digest()
    (mapped,) = rig.texts("EZD1281I")
    assert "JOBNAME: TESTJOB USERID: TEST TYPE: OutBound STATUS: Enabled RULE: ClientRule" in mapped
    (event,) = rig.texts("EZD1283I")
    assert "RC:    0 Initial Handshake" in event
    assert "TLSV1.3" in event or "TLSV1.2" in event


def test_inbound_server_rule_terminates_tls_for_a_plain_server(rig: Rig) -> None:
    _, client_ctx = rig.material("TEST/Server.Ring")
    payload = os.urandom(100_000)

    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7002, echo)
            async with server:
                return await round_trip(rig, 7002, payload, client_ctx)

    assert run(scenario()) == payload
    (mapped,) = rig.texts("EZD1281I")
    assert "TYPE: InBound STATUS: Enabled RULE: ServerRule" in mapped


def test_both_ends_secured_make_a_handshake_between_them(rig: Rig) -> None:
    payload = os.urandom(50_000)

    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7003, echo)
            async with server:
                return await round_trip(rig, 7003, payload)

    assert run(scenario()) == payload
    assert sorted(t.split("RULE: ")[1].split()[0] for t in rig.texts("EZD1281I")) == [
        "BothIn",
        "BothOut",
    ]
    assert len(rig.texts("EZD1283I")) == 2


def test_netstat_ttls_lists_a_live_secured_connection(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    shown: list[str] = []

    async def scenario() -> None:
        async with running(rig):
            server = await serve(rig, 7001, echo, server_ctx)
            async with server:
                reader, writer = await connect(rig, 7001)
                writer.write(b"ping")
                await writer.drain()
                assert await asyncio.wait_for(reader.readexactly(4), WAIT) == b"ping"
                shown.extend(rig.stack.netstat_ttls(1))
                (endpoint,) = [e for e in rig.stack.connections.live() if e.rule]
                assert endpoint.security == SECURE
                assert endpoint.policy_state == ENABLED
                shown.extend(rig.stack.netstat_ttls(2, conn_id=endpoint.connid, detail=True))
                writer.close()
                await writer.wait_closed()

    run(scenario())
    text = "\n".join(shown)
    assert "TESTJOB  TEST     127.0.0.1.." in text
    assert "SECURE" in text
    assert "TTLSRULE: CLIENTRULE" in text
    assert "HANDSHAKEROLE:" in text
    assert "1 OF 1 RECORDS DISPLAYED" in text


def test_a_closed_connection_leaves_the_table(rig: Rig) -> None:
    async def scenario() -> None:
        async with running(rig):
            server = await serve(rig, 7100, echo)
            async with server:
                await round_trip(rig, 7100, b"x")
                for _ in range(100):
                    if not rig.stack.connections.live():
                        return
                    await asyncio.sleep(0.02)

    run(scenario())
    assert rig.stack.connections.live() == []


# --- ClientAuthType SAFCheck -------------------------------------------------------------------
def _client_with(rig: Rig, ring: str, user: str) -> ssl.SSLContext:
    """A client trusting the server ring's CA and presenting ``ring``'s certificate."""
    found = resolve_ring(rig.store, ring, user, None)
    assert found.cert_file is not None
    assert found.key_file is not None
    _, context = rig.material("TEST/Server.Ring")
    context.load_cert_chain(found.cert_file, found.key_file)
    return context


def test_safcheck_maps_the_client_certificate_to_its_user_id(rig: Rig) -> None:
    client_ctx = _client_with(rig, "TEST/Client.Ring", "TEST")
    users: list[str] = []

    async def note(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.readexactly(8)  # after the client's handshake, of course
        users.extend(e.cert_userid for e in rig.stack.connections.live() if e.rule)
        writer.write(data)
        await writer.drain()

    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7009, note)
            async with server:
                return await round_trip(rig, 7009, b"who am i", client_ctx)

    assert run(scenario()) == b"who am i"
    assert users == ["TEST"]


def test_safcheck_refuses_a_certificate_of_no_saf_user_with_rc_5002(rig: Rig) -> None:
    client_ctx = _client_with(rig, "OTHER/Other.Ring", "OTHER")
    assert racdcert.execute(rig.store, "RACDCERT ID(OTHER) DELETE(LABEL('Other'))").ok
    _fails(rig, 7009, client_ctx=client_ctx)
    (error,) = rig.texts("EZD1286I")
    assert "RULE: SafCheck RC: 5002" in error


# --- faults -----------------------------------------------------------------------------------
def _fails(
    rig: Rig,
    port: int,
    server_ctx: ssl.SSLContext | None = None,
    client_ctx: ssl.SSLContext | None = None,
) -> None:
    async def scenario() -> None:
        async with running(rig):
            server = await serve(rig, port, echo, server_ctx)
            async with server:
                with pytest.raises(
                    (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError)
                ):
                    await round_trip(rig, port, b"never", client_ctx)
                # The stack is still up: a clear connection right after works.
                plain = await serve(rig, 7100, echo)
                async with plain:
                    assert await round_trip(rig, 7100, b"still up") == b"still up"

    run(scenario())


def test_a_missing_key_ring_fails_the_connection_with_rc_202(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    _fails(rig, 7004, server_ctx)
    (error,) = rig.texts("EZD1286I")
    assert "RULE: NoRing RC:  202" in error
    ((rc, reason),) = rig.reasons  # pagent's own words beside the RC
    assert rc == 202
    assert "NoSuch.Ring" in reason
    assert any("EZD1287I TTLS Error RC:  202" in lines[0] for lines in rig.console)


def test_an_unknown_certificate_label_fails_with_rc_407(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    _fails(rig, 7005, server_ctx)
    (error,) = rig.texts("EZD1286I")
    assert "RULE: BadLabel RC:  407" in error


def test_an_expired_certificate_fails_with_rc_401(rig: Rig) -> None:
    _, client_ctx = rig.material("TEST/Server.Ring")
    _fails(rig, 7007, client_ctx=client_ctx)
    (error,) = rig.texts("EZD1286I")
    assert "RULE: Expired RC:  401" in error


def test_no_protocol_in_common_fails_the_handshake_with_rc_402(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3

    async def scenario() -> None:
        async with running(rig):
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError, OSError)):
                await round_trip(rig, 7008, b"never")

    with blocking_tls_server(rig, 7008, server_ctx):
        run(scenario())
    (error,) = rig.texts("EZD1286I")
    assert "RULE: Tls12Only RC:  402" in error


def test_a_refused_destination_resets_the_client_and_the_stack_goes_on(rig: Rig) -> None:
    async def scenario() -> None:
        async with running(rig):
            with pytest.raises((ConnectionError, asyncio.IncompleteReadError, OSError)):
                await round_trip(rig, 7199, b"nobody home")
            server = await serve(rig, 7100, echo)
            async with server:
                assert await round_trip(rig, 7100, b"ok") == b"ok"

    run(scenario())


def test_a_thousand_concurrent_connections_deliver_every_byte(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    need_open_files(4_500)  # four sockets per connection live in this one process

    async def one(i: int) -> bool:
        payload = struct.pack("!I", i) + os.urandom(4096)
        return await round_trip(rig, 7001, payload) == payload

    async def scenario() -> list[bool]:
        async with running(rig):
            server = await serve(rig, 7001, echo, server_ctx)
            async with server:
                return await asyncio.gather(*(one(i) for i in range(1000)))

    results = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert results.count(True) == 1000


# --- closes -----------------------------------------------------------------------------------
def test_a_half_close_is_passed_on_and_the_answer_still_comes_back(rig: Rig) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = await reader.read()  # to EOF: the client's half-close arrived
        writer.write(f"got {len(data)}".encode())
        await writer.drain()

    async def scenario() -> bytes:
        async with running(rig):
            server = await serve(rig, 7003, answer)  # both ends secured by the stack
            async with server:
                reader, writer = await connect(rig, 7003)
                writer.write(b"x" * 70_000)
                writer.write_eof()
                reply = await asyncio.wait_for(reader.read(), WAIT)
                writer.close()
                await writer.wait_closed()
                return reply

    assert run(scenario()) == b"got 70000"


def test_an_abortive_close_is_passed_on_as_a_reset(rig: Rig) -> None:
    async def abort(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(1)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    async def scenario() -> None:
        async with running(rig):
            server = await serve(rig, 7003, abort)
            async with server:
                reader, writer = await connect(rig, 7003)
                writer.write(b"!")
                await writer.drain()
                with pytest.raises(ConnectionResetError):
                    await asyncio.wait_for(reader.read(), WAIT)
                writer.close()

    run(scenario())


def test_a_tls13_server_that_closes_right_after_sending_loses_nothing(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    server_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    payload = os.urandom(2 * 1024 * 1024)
    listener = rig.image.call(lambda: socket.create_server(("127.0.0.1", 7001)))

    def send_and_close() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(payload)  # and close at once, without reading anything

    async def scenario() -> bytes:
        async with running(rig):
            thread = threading.Thread(target=send_and_close, daemon=True)
            thread.start()
            reader, writer = await connect(rig, 7001)
            data = await asyncio.wait_for(reader.read(), WAIT)
            writer.close()
            thread.join(5)
            return data

    try:
        got = run(scenario())
    finally:
        listener.close()
    assert got == payload


def test_a_tls13_client_that_closes_right_after_sending_loses_nothing(rig: Rig) -> None:
    _, client_ctx = rig.material("TEST/Server.Ring")
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    payload = os.urandom(2 * 1024 * 1024)
    received = bytearray()

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.extend(await reader.read())
        del writer

    def send_and_close() -> None:
        sock = rig.image.call(socket.socket)
        sock.settimeout(WAIT)
        sock.connect(("127.0.0.1", 7002))
        with client_ctx.wrap_socket(sock) as tls:
            tls.sendall(payload)  # and close at once, without reading the server's tickets

    async def scenario() -> None:
        async with running(rig):
            server = await serve(rig, 7002, count)
            async with server:
                await asyncio.get_running_loop().run_in_executor(None, send_and_close)
                for _ in range(200):
                    if len(received) >= len(payload):
                        break
                    await asyncio.sleep(0.02)

    run(scenario())
    assert bytes(received) == payload


# --- refresh ----------------------------------------------------------------------------------
def test_a_refresh_leaves_open_connections_on_their_stale_actions(rig: Rig) -> None:
    server_ctx, _ = rig.material("TEST/Server.Ring")
    detail: list[str] = []

    async def scenario() -> tuple[bytes, bytes]:
        async with running(rig):
            server = await serve(rig, 7001, echo, server_ctx)
            async with server:
                reader, writer = await connect(rig, 7001)
                writer.write(b"one")
                await writer.drain()
                assert await asyncio.wait_for(reader.readexactly(3), WAIT) == b"one"
                # A refresh installs a new policy whose rule for port 7001 has a new name.
                renamed = POLICY.replace("TTLSRule ClientRule\n", "TTLSRule ClientRule2\n")
                rig.stack.install_policy(load_policy([SourceText("new.policy", renamed)]))
                (old,) = [e for e in rig.stack.connections.live() if e.rule]
                detail.extend(rig.stack.netstat_ttls(1, conn_id=old.connid, detail=True))
                writer.write(b"two")  # still secured with the actions it was mapped with
                await writer.drain()
                second = await asyncio.wait_for(reader.readexactly(3), WAIT)
                writer.close()
                await writer.wait_closed()
                return second, await round_trip(rig, 7001, b"three")

    second, third = run(scenario())
    assert (second, third) == (b"two", b"three")
    assert any("TTLSRULE:" in line and "CLIENTRULE (STALE)" in line for line in detail), detail
    rules = [text.split("RULE: ")[1].split()[0] for text in rig.texts("EZD1281I")]
    assert rules == ["ClientRule", "ClientRule2"]  # the new connection got the new policy


@pytest.mark.parametrize(
    ("trace", "written"), [(2, False), (3, False), (4, True), (7, True), (8, True), (255, True)]
)
def test_initial_handshake_event_is_written_from_trace_bit_4_or_8(trace: int, written: bool):
    """The workshop's Trace 7 shows EZD1283I at step 14 (issue 9, fidelity F-127)."""
    assert writes_handshake_event(trace) is written
