"""The stack's data path: live TCP connections of the image's programs, secured by policy.

Every new TCP connection in the image's namespace is redirected to the stack
(:mod:`pagent.stack.netns`). For each one the stack:

1. reads where it was going (``SO_ORIGINAL_DST``) and who owns both ends
   (:mod:`pagent.stack.owners`);
2. connects onward, from a marked socket that is not redirected again;
3. maps each end to the installed AT-TLS policy as z/OS maps a TCP endpoint: the client's
   end as Outbound, the server's end as Inbound, each with its own connection ID, job name
   and user id (:class:`pagent.stack.connections.Endpoint`);
4. relays the bytes (:mod:`pagent.stack.relay`), doing the TLS handshake that each end's
   effective actions ask for toward that end's peer: the client's end on the wire to the
   server, the server's end on the wire to the client; both at once when both ask;
5. writes the runtime messages that each end's Trace level selects (pagent-ops §5.2, §5.3):
   EZD1281I when mapped, EZD1283I for the handshake, EZD1286I (and EZD1287I on the
   console) for a failure.

No rule, TTLSEnabled Off, or the stack in NOTTLS: the bytes pass in clear, as on z/OS. An
endpoint keeps the actions it was mapped with until it closes (stale actions, §4.6).
A failure of one connection never stops the stack: it is reported and that connection ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import select
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pagent.messages import format_lines, format_message
from pagent.policy.effective import Effective, effective
from pagent.policy.matching import Connection
from pagent.policy.policy import Policy
from pagent.policy.statements import TTLSRule
from pagent.saf.material import KeyringResolver, RingError, RingMaterial
from pagent.stack import conntrack, owners
from pagent.stack.connections import (
    ENABLED,
    FAILED,
    IN_PROGRESS,
    NO_POLICY,
    NO_TTLS,
    NOT_ENABLED,
    SECURE,
    Endpoint,
)
from pagent.stack.netns import STACK_MARK, ImageNamespace, NamespaceError, original_destination
from pagent.stack.relay import (
    HandshakeRejectedError,
    Leg,
    OnwardError,
    RelayResult,
    relay,
    release_buffers,
)
from pagent.stack.sockdiag import SockDiag
from pagent.stack.stack import Stack
from pagent.stack.tlsconfig import TlsSetupError, TlsSpec, build_spec

TRACE_JOBLOG = 1  # EZD1287I to the TCP/IP job log and console (§5.2)
TRACE_ERROR = 2  # EZD1286I
TRACE_INFO = 4  # EZD1281I
TRACE_EVENT = 8  # EZD1283I
NO_RING = 202  # no key ring could be opened (§5.4)
NO_SAF_USER = 5002  # SAFCheck: the client certificate is no SAF user's (§5.4 [DOC])
# EZD1283I "Initial Handshake" is also written at bit 4: the workshop's policy codes Trace 7
# (its appendix, corrected against the lab PDF, issue 9) and its step 14 shows EZD1283I
# (docs/fidelity.md F-127).
HANDSHAKE_EVENT_BITS = TRACE_INFO | TRACE_EVENT


def writes_handshake_event(trace: int) -> bool:
    """Whether a completed handshake writes EZD1283I "Initial Handshake" at this Trace."""
    return bool(trace & HANDSHAKE_EVENT_BITS)


IDLE_TRIM = 1.0  # seconds without a connection before memory is given back
ACCEPT_BATCH = 64  # connections accepted in one turn of the event loop, at most


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (another C library)."""
    try:
        libc = ctypes.CDLL(None)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()

Identify = Callable[[tuple[str, int], tuple[str, int]], tuple[owners.Owner, owners.Owner]]
"""(client endpoint, server endpoint) -> (owner of the client's end, of the listener)."""


class AtTlsLog(Protocol):
    """Where the stack's AT-TLS messages go: syslogd (facility, priority, message text)."""

    def __call__(self, facility: str, priority: str, text: str) -> None: ...


def _plain(address: str) -> str:
    return address[7:] if address.startswith("::ffff:") else address


def ebcdic_hex(code: str) -> str:
    """A cipher code as EZD1283I shows it: its EBCDIC bytes in hex (``0035`` -> F0F0F3F5)."""
    return code.encode("cp037").hex().upper()


@dataclass
class _Pair:
    """The two endpoints of one intercepted connection."""

    client: Endpoint  # the connecting program's end: Outbound
    server: Endpoint | None  # the listening program's end: Inbound


class DataPath:
    """The interception listener of one stack and the connections it relays."""

    def __init__(
        self,
        stack: Stack,
        namespace: ImageNamespace,
        *,
        resolver: KeyringResolver,
        log: AtTlsLog,
        clock: Callable[[], datetime],
        identify: Identify | None = None,
        cert_user: Callable[[bytes], str | None] = lambda _der: None,
        explain: Callable[[int, int, str], None] = lambda _connid, _rc, _reason: None,
    ) -> None:
        self.stack = stack
        self.namespace = namespace
        self.resolver = resolver
        self.log = log
        self.clock = clock
        self._listeners: list[socket.socket] = []
        self._accepting: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._trim: asyncio.TimerHandle | None = None
        self._specs: dict[tuple[int, int, str, str], tuple[Effective, TlsSpec]] = {}
        self._specs_of: dict[int, TlsSpec] = {}  # the environment each live endpoint uses
        self._effective_of: Policy | None = None  # the policy _effectives are of
        self._effectives: dict[int, Effective] = {}
        self._ns_inode = 0
        self._diag: SockDiag | None = None
        self._conntrack: conntrack.Conntrack | None = None
        self._finder: owners.OwnerFinder | None = None
        self._identify = identify or self._owners
        self.cert_user = cert_user  # ClientAuthType SAFCheck: certificate -> SAF user id
        # Why a connection failed, in words (connid, RC, reason): z/OS says only the RC;
        # the service logs this under its own job name, beside the EZD1286I.
        self.explain = explain

    # --- life -----------------------------------------------------------------------------
    async def start(self) -> int:
        """Listen in the namespace and redirect its TCP connections here; the port."""
        v4 = self.namespace.listener(socket.AF_INET)
        port = int(v4.getsockname()[1])
        self._listeners.append(v4)
        with contextlib.suppress(OSError):  # a kernel without IPv6 still has IPv4
            self._listeners.append(self.namespace.listener(socket.AF_INET6, port))
        self.namespace.redirect_to(port)
        self._ns_inode = self.namespace.inode()
        self._diag = self.namespace.call(SockDiag.make)
        self._conntrack = self.namespace.call(conntrack.Conntrack.make)
        why = conntrack.probe(self._conntrack)
        if why is not None:
            await self.stop()
            raise NamespaceError(f"the data path needs conntrack over netlink: {why}")
        self._finder = owners.OwnerFinder(self._diag, self._ns_inode)
        for listener in self._listeners:
            self._accepting.append(asyncio.create_task(self._accept(listener)))
        return port

    async def stop(self) -> None:
        """Stop accepting and end the connections in progress."""
        if self._trim is not None:
            self._trim.cancel()
            self._trim = None
        accepting, self._accepting = self._accepting, []  # no trim is scheduled from now
        for task in (*accepting, *self._tasks):
            task.cancel()
        await asyncio.gather(*accepting, *self._tasks, return_exceptions=True)
        self._tasks.clear()  # also those cancelled before they began, which never ended
        for listener in self._listeners:
            listener.close()
        self._listeners.clear()
        if self._diag is not None:
            self._diag.close()
            self._diag = None
        if self._conntrack is not None:
            self._conntrack.close()
            self._conntrack = None

    def forget_environments(self) -> None:
        """Key rings changed (RACDCERT): build TLS environments afresh for new connections."""
        self._specs.clear()

    async def _accept(self, listener: socket.socket) -> None:
        """Accept for as long as the data path runs (until cancelled).

        The listener stays registered with the event loop, and its callback accepts every
        connection waiting: no registration, future and loop turn per connection, as
        ``loop.sock_accept`` takes (issue 11 item 6: handshakes per second).
        """
        loop = asyncio.get_running_loop()
        fd = listener.fileno()
        paused: list[asyncio.TimerHandle] = []

        def resume() -> None:
            paused.clear()
            loop.add_reader(fd, acceptable)

        def acceptable() -> None:
            for _ in range(ACCEPT_BATCH):  # then the loop's other work gets a turn
                try:
                    sock, address = listener.accept()
                except BlockingIOError:
                    return
                except OSError:  # EMFILE and friends: keep the stack up, try again shortly
                    loop.remove_reader(fd)
                    paused.append(loop.call_later(0.05, resume))
                    return
                # The connection takes itself out of _tasks as it ends (_ended): a done
                # callback would cost an event-loop turn per connection.
                self._tasks.add(loop.create_task(self._connection(sock, address)))

        loop.add_reader(fd, acceptable)
        try:
            await loop.create_future()  # the callback does the work; stop() cancels
        finally:
            for handle in paused:
                handle.cancel()
            loop.remove_reader(fd)

    def _ended(self, task: asyncio.Task[Any] | None) -> None:
        """A connection ends (its task's last step); once none is left for a moment, give
        memory back."""
        if task is not None:
            self._tasks.discard(task)
        if not self._tasks and self._trim is None and self._accepting:
            self._trim = asyncio.get_running_loop().call_later(IDLE_TRIM, self._trim_memory)

    def _trim_memory(self) -> None:
        """Idle: drop the relay's buffer pools and return free heap to the system, so that
        RSS after a burst falls back near where it was (issue 11 item 6)."""
        self._trim = None
        if self._tasks:
            return
        release_buffers()
        trim = _MALLOC_TRIM
        if trim is not None:
            trim(0)

    # --- one connection -------------------------------------------------------------------
    async def _connection(self, sock: socket.socket, address: tuple[object, ...]) -> None:
        loop = asyncio.get_running_loop()
        upstream: socket.socket | None = None
        pair: _Pair | None = None
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            dst_ip, dst_port = original_destination(sock)
            peer = (_plain(str(address[0])), int(str(address[1])))
            # The program's own address and port, not the ones the redirect produced.
            client, no_tuple = self._origin(sock, peer, (dst_ip, dst_port))
            src_ip, src_port = client
            # A few netlink round trips and /proc reads, mostly from caches: cheaper inline
            # than a trip to a worker thread (benchmarks/bench_datapath.py).
            client_owner, server_owner = self._identify(client, (dst_ip, dst_port))
            if no_tuple:  # the peer's port may be a rewritten one: whoever holds it is not
                client_owner = owners.UNKNOWN  # the program (issue 11)
            outbound = Connection(
                "outbound",
                src_ip,
                src_port,
                dst_ip,
                dst_port,
                client_owner.jobname,
                client_owner.userid,
            )
            if not client_owner.pid and self._refused(
                outbound, no_tuple or _gone("the connecting program's socket")
            ):
                _reset(sock)
                return
            pair = _Pair(self._map(outbound, client_owner.pid), None)
            family = socket.AF_INET6 if ":" in dst_ip else socket.AF_INET
            upstream = self.namespace.outbound(family)
            inbound = Connection(
                "inbound",
                dst_ip,
                dst_port,
                src_ip,
                src_port,
                server_owner.jobname,
                server_owner.userid,
            )
            if server_owner.pid:  # a program listens there: no refusal to decide first
                pair.server = self._map(inbound, server_owner.pid)
                if pair.server.tls and not pair.client.tls:
                    # The stack is the TLS server: connect onward while the client works
                    # on the stack's first flight (relay.Onward).
                    self._connected(pair)  # a listener holds the port: as good as made
                    onward = _Onward(loop, upstream, (dst_ip, dst_port))
                    await self._pump(sock, upstream, pair, onward)
                    return
            try:
                await _connect(loop, upstream, (dst_ip, dst_port))
            except (OSError, TimeoutError):
                _reset(sock)  # the redirect already accepted: a reset is the refusal
                return
            if pair.server is None:  # no program found listening there
                if self._refused(inbound, _gone("the listening socket")):
                    _reset(sock)
                    _reset(upstream)
                    return
                pair.server = self._map(inbound, server_owner.pid)
            self._connected(pair)
            await self._pump(sock, upstream, pair)
        except asyncio.CancelledError:
            _reset(sock)
            if upstream is not None:
                _reset(upstream)
            raise
        except Exception as exc:  # noqa: BLE001 - one connection's failure never stops the stack
            if pair is not None:
                self._failed(pair.client, 3, f"internal error: {exc}")
            _reset(sock)  # never a half-handled connection left open: fail closed
            if upstream is not None:
                _reset(upstream)
        finally:
            for s in (sock, upstream):
                if s is not None and s.fileno() >= 0:
                    s.close()
            if pair is not None:
                for ended in (pair.client, pair.server):
                    if ended is not None:
                        self.stack.connections.remove(ended.connid)
                        self._specs_of.pop(ended.connid, None)
            self._ended(asyncio.current_task())

    def _connected(self, pair: _Pair) -> None:
        """The connection onward is made: the endpoints know each other, EZD1281I."""
        assert pair.server is not None
        pair.server.peer = pair.client.connid
        pair.client.peer = pair.server.connid
        self._announce(pair.client)
        self._announce(pair.server)

    def _origin(
        self, sock: socket.socket, peer: tuple[str, int], dst: tuple[str, int]
    ) -> tuple[tuple[str, int], str]:
        """The connecting program's own address and port, and '' (or why they are unknown).

        conntrack's entry for the accepted connection, found by its reply tuple, holds
        the program's original source: the port ``accept()`` gives may have been rewritten
        to avoid a clash (pagent.stack.conntrack, docs/datapath.md).
        """
        ct = self._conntrack
        if ct is None:
            return peer, format_message("PAGENT.LOG.TTLS.NO_TUPLE", error="no conntrack socket")
        local_ip, local_port = sock.getsockname()[:2]
        reply = conntrack.Tuple(_plain(str(local_ip)), int(local_port), peer[0], peer[1])
        try:
            orig = ct.original(reply)
        except conntrack.ConntrackError as exc:
            return peer, format_message("PAGENT.LOG.TTLS.NO_TUPLE", error=exc.strerror or exc)
        if (_plain(orig.dst), orig.dport) != dst:
            error = f"its entry goes to {orig.dst}..{orig.dport}, not {dst[0]}..{dst[1]}"
            return peer, format_message("PAGENT.LOG.TTLS.NO_TUPLE", error=error)
        return (_plain(orig.src), orig.sport), ""

    def _refused(self, conn: Connection, reason: str) -> bool:
        """Fail closed: True (and the refusal logged and counted) when a rule could cover
        this connection, whose owner is unknown, if its owner were known (issue 11)."""
        rule = self.stack.owner_could_decide(conn)
        if rule is None:
            return False
        table = self.stack.connections
        table.refused += 1
        text = format_message(
            "PAGENT.LOG.TTLS.REFUSED",
            connid=table.next_connid(),
            local_ip=conn.local_ip,
            local_port=conn.local_port,
            remote_ip=conn.remote_ip,
            remote_port=conn.remote_port,
            type="InBound" if conn.direction == "inbound" else "OutBound",
            rule=rule.name or "",
            reason=reason,
        )
        stamp = self.clock().strftime("%H:%M:%S")
        self.log("daemon", "err", f"{stamp} {self.stack.name:<8} {text}")
        return True

    def _owners(
        self, client: tuple[str, int], server: tuple[str, int]
    ) -> tuple[owners.Owner, owners.Owner]:
        """Who holds the client's end, and who listens at the destination."""
        finder = self._finder
        if finder is None:
            return owners.UNKNOWN, owners.UNKNOWN
        return finder.owner_of(client, server), finder.owner_of(server, client, listening=True)

    def _map(self, conn: Connection, pid: int) -> Endpoint:
        """Map one endpoint to the installed policy and register it (§4.6)."""
        stack = self.stack
        endpoint = Endpoint(
            connid=stack.connections.next_connid(),
            conn=conn,
            pid=pid,
            opened=self.clock(),
            policy_state=NO_TTLS,
        )
        if stack.ttls:
            rule = stack.map_connection(conn)
            policy = stack.policy
            if rule is None or policy is None:
                endpoint.policy_state = NO_POLICY
            else:
                eff = self._effective(policy, rule)
                endpoint.rule, endpoint.effective, endpoint.policy = rule, eff, policy
                endpoint.policy_state = ENABLED if eff.enabled else NOT_ENABLED
                endpoint.grpid = stack.connections.action_id("group", eff.actions.group)
                endpoint.envid = stack.connections.action_id("env", eff.actions.environment)
                if endpoint.tls:
                    endpoint.security = IN_PROGRESS
        stack.connections.add(endpoint)
        return endpoint

    def _effective(self, policy: Policy, rule: TTLSRule) -> Effective:
        """A rule's effective actions, worked out once per installed policy."""
        if self._effective_of is not policy:
            self._effective_of, self._effectives = policy, {}
        eff = self._effectives.get(id(rule))
        if eff is None or eff.actions.rule is not rule:
            eff = self._effectives[id(rule)] = effective(policy, rule)
        return eff

    def _spec(self, endpoint: Endpoint) -> TlsSpec:
        """The TLS environment of an endpoint, built once per action set and user."""
        eff = endpoint.effective
        assert eff is not None  # only called for endpoints with AT-TLS on
        key = (
            id(eff.actions.environment),
            id(eff.actions.connection),
            endpoint.conn.userid,
            eff.handshake_role or "",
        )
        cached = self._specs.get(key)
        if cached is not None:  # the entry keeps its actions alive, so their ids are theirs
            return cached[1]
        material: RingMaterial | None = None
        if eff.keyring is not None and eff.keyring.keyring:
            label = eff.advanced.get("CertificateLabel")
            material = self.resolver(
                str(eff.keyring.keyring), endpoint.conn.userid, str(label) if label else None
            )
        else:
            raise RingError(NO_RING, "the environment names no key ring")
        spec = build_spec(eff, material)
        self._specs[key] = (eff, spec)
        return spec

    async def _pump(
        self,
        client: socket.socket,
        upstream: socket.socket,
        pair: _Pair,
        onward: _Onward | None = None,
    ) -> None:
        """Relay, with TLS on the wire where the endpoints ask for it; with ``onward``,
        ``upstream`` is connected by the relay (only the inbound endpoint secured)."""
        out_spec = in_spec = None
        try:
            if pair.client.tls:
                out_spec = self._specs_of[pair.client.connid] = self._spec(pair.client)
            if pair.server is not None and pair.server.tls:
                in_spec = self._specs_of[pair.server.connid] = self._spec(pair.server)
        except (RingError, TlsSetupError) as exc:
            failing = pair.client if out_spec is None and pair.client.tls else pair.server
            assert failing is not None
            self._failed(failing, exc.rc, str(exc))
            _reset(client)
            _reset(upstream)
            return
        events = _Events(self, pair)
        if out_spec is not None and in_spec is not None:
            # Both ends secured by this stack: a real handshake between them on a wire of
            # the stack's own, each side with its own environment. A TCP pair, not a Unix
            # socket pair, so that a reset crosses it as a reset.
            wire_client, wire_server = _tcp_pair()
            try:
                await asyncio.gather(
                    relay(Leg(client, None, "app"), Leg(wire_client, out_spec, "out"), events),
                    relay(Leg(wire_server, in_spec, "in"), Leg(upstream, None, "app"), events),
                )
            finally:
                wire_client.close()
                wire_server.close()
            return
        left = Leg(client, in_spec, "in")
        right = Leg(upstream, out_spec, "out")
        await relay(left, right, events, onward)

    # --- messages -------------------------------------------------------------------------
    def _syslog(self, endpoint: Endpoint, priority: str, text: str) -> None:
        eff = endpoint.effective
        facility = "daemon"
        if eff is not None and str(eff.group_advanced.get("SyslogFacility", "")).lower() == "auth":
            facility = "auth"
        # The text starts with the stack's creation time and job name (§5.1, §7.3).
        stamp = self.clock().strftime("%H:%M:%S")
        self.log(facility, priority, f"{stamp} {self.stack.name:<8} {text}")

    def _announce(self, endpoint: Endpoint) -> None:
        """EZD1281I for an endpoint mapped to a rule, at Trace 4 (§5.2, §5.3)."""
        eff, rule = endpoint.effective, endpoint.rule
        if eff is None or rule is None or not eff.trace & TRACE_INFO:
            return
        group, environment, connection = endpoint.action_names
        self._syslog(
            endpoint,
            "info",
            format_message(
                "EZD1281I",
                **endpoint.sockets,
                type=endpoint.type,
                status=endpoint.policy_state,
                rule=rule.name,
                group_action=group,
                environment_action=environment,
                connection_action=connection,
            ),
        )

    def handshake_done(
        self, endpoint: Endpoint, version: str, cipher: str, code4: str, peer_cert: bytes | None
    ) -> None:
        """Record a completed handshake; EZD1283I at Trace 8 (§0.1 workshop step 14).

        A server end with ClientAuthType SAFCheck needs the client's certificate to belong
        to a SAF user id, else the connection fails with RC 5002 (HandshakeRejectedError).
        """
        spec = self._specs_of.get(endpoint.connid)
        if peer_cert and spec is not None and spec.side == "server":
            endpoint.cert_userid = self.cert_user(peer_cert) or ""
            if spec.client_auth == "SAFCheck" and not endpoint.cert_userid:
                reason = "the client certificate belongs to no SAF user id"
                raise HandshakeRejectedError(NO_SAF_USER, reason)
        endpoint.security = SECURE
        endpoint.protocol = version.upper()
        endpoint.cipher_name = cipher
        endpoint.cipher_code = code4
        eff = endpoint.effective
        if eff is None or not writes_handshake_event(eff.trace):
            return
        # The two words before the protocol are System SSL storage addresses on z/OS; pagent
        # shows stable stand-ins made of the IDs (docs/fidelity.md).
        handles = (
            f"{0x5011500000 + endpoint.envid * 0x1000:016X} {0x5011520000 + endpoint.connid:016X}"
        )
        data = f"{handles} {endpoint.protocol} {ebcdic_hex(code4) if code4 else cipher}"
        self._syslog(
            endpoint,
            "debug",
            format_message(
                "EZD1283I",
                grpid=endpoint.grpid,
                envid=endpoint.envid,
                connid=endpoint.connid,
                rc=0,
                event="Initial Handshake",
                data=data,
            ),
        )

    def _failed(
        self, endpoint: Endpoint, rc: int, reason: str, event: str = "Initial Handshake"
    ) -> None:
        """EZD1286I at Trace 2 and EZD1287I at Trace 1 for a failed endpoint (§5.2, §5.3)."""
        endpoint.security = FAILED
        endpoint.rc = rc
        eff = endpoint.effective
        trace = eff.trace if eff is not None else TRACE_ERROR
        fields: dict[str, Any] = {
            **endpoint.sockets,
            "grpid": endpoint.grpid,
            "envid": endpoint.envid,
            "rule": endpoint.rule.name if endpoint.rule else "*",
            "rc": rc,
            "event": event,
        }
        if trace & TRACE_ERROR:
            self._syslog(endpoint, "err", format_message("EZD1286I", **fields))
        if trace & TRACE_JOBLOG:
            self.stack.emit_lines(format_lines("EZD1287I", **fields))
        self.explain(endpoint.connid, rc, reason)


class _Onward:
    """The connection onward, made by the relay once the stack's first TLS flight toward
    the client is sent (:class:`pagent.stack.relay.Onward`)."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, address: tuple[str, int]
    ) -> None:
        self.loop, self.sock, self.address = loop, sock, address
        self.done = False

    def start(self) -> None:
        try:
            self.done = _connect_start(self.sock, self.address)
        except OSError as exc:
            raise OnwardError(str(exc)) from exc

    async def finish(self) -> None:
        if self.done:
            return
        try:
            await _connect_finish(self.loop, self.sock)
        except (OSError, TimeoutError) as exc:
            raise OnwardError(str(exc)) from exc


class _Events:
    """The relay's reports, turned into endpoint state and messages."""

    def __init__(self, path: DataPath, pair: _Pair) -> None:
        self.path = path
        self.pair = pair

    def _endpoint(self, leg: str) -> Endpoint | None:
        return self.pair.client if leg == "out" else self.pair.server

    def handshake(
        self, leg: str, version: str, cipher: str, cipher_code4: str, peer_cert_der: bytes | None
    ) -> None:
        endpoint = self._endpoint(leg)
        if endpoint is not None:
            self.path.handshake_done(endpoint, version, cipher, cipher_code4, peer_cert_der)

    def error(self, leg: str, rc: int, text: str) -> None:
        endpoint = self._endpoint(leg)
        if endpoint is not None:
            self.path._failed(endpoint, rc, text)

    def closed(self, result: RelayResult) -> None:
        del result


def _gone(what: str) -> str:
    return format_message("PAGENT.LOG.TTLS.OWNER_GONE", socket=what)


CONNECT_TIMEOUT = 30.0  # seconds an onward connect may take


async def _connect(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, address: tuple[str, int]
) -> None:
    """Connect the non-blocking ``sock`` onward; raises OSError or TimeoutError.

    On loopback the kernel completes (or refuses) the connection within the connect call,
    though the call says "in progress": a poll that does not wait finds it done, which
    spares the event loop's turns from a handshake's critical path (issue 11 item 6:
    handshakes per second). Otherwise the loop waits, at most CONNECT_TIMEOUT seconds.
    """
    if not _connect_start(sock, address):
        await _connect_finish(loop, sock)


def _connect_start(sock: socket.socket, address: tuple[str, int]) -> bool:
    """Begin connecting the non-blocking ``sock``: True when connected already, False when
    in progress; raises OSError (refused)."""
    try:
        sock.connect(address)
    except BlockingIOError:
        return False
    return True


async def _connect_finish(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Until the connect :func:`_connect_start` began is done; raises OSError or
    TimeoutError (after CONNECT_TIMEOUT seconds)."""
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    if not poller.poll(0):
        done: asyncio.Future[None] = loop.create_future()
        fd = sock.fileno()

        def writable() -> None:
            if not done.done():
                done.set_result(None)

        loop.add_writer(fd, writable)
        try:
            await asyncio.wait_for(done, CONNECT_TIMEOUT)
        finally:
            loop.remove_writer(fd)
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if error:
        raise OSError(error, os.strerror(error))


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    """Two connected loopback TCP sockets of the service's own namespace, non-blocking.

    The connecting one carries the stack's mark: a rootless service's own namespace is
    the image, whose redirect would otherwise take this connection too.
    """
    with socket.create_server(("127.0.0.1", 0)) as listener:
        one = socket.socket()
        with contextlib.suppress(OSError):  # no CAP_NET_ADMIN: not the image's namespace
            one.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, STACK_MARK)
        one.connect(listener.getsockname())
        other, _address = listener.accept()
    for sock in (one, other):
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return one, other


def _reset(sock: socket.socket) -> None:
    """Close with a reset (SO_LINGER 0): the peer sees ECONNRESET, as for a refused connect."""
    if sock.fileno() < 0:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
