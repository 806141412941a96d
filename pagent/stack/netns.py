"""The image's network: a Linux network namespace whose TCP connections all pass the stack.

docs/datapath.md explains the design. In short: every program of the emulated image runs in
one network namespace (``pagent job`` starts it there). An nftables ``nat output`` rule in
that namespace redirects every new TCP connection to the stack's interception port, except
the stack's own connections, which carry a firewall mark. The stack reads the original
destination (``SO_ORIGINAL_DST``), finds who owns each end, maps both ends to the AT-TLS
policy and connects onward, with TLS where the policy says so (reference
datapath-notes.md: checked on this machine).

A socket belongs to the network namespace of the thread that created it, and keeps it. So
:class:`ImageNamespace` keeps one thread that has entered the namespace (``setns``) and
creates the stack's sockets there; the event loop then uses them as any other socket.

This needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and the ``ip`` and ``nft`` commands; without
them :func:`available` says why and the stack runs without a data path.
"""

from __future__ import annotations

import collections
import ctypes
import hashlib
import ipaddress
import os
import queue
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

NETNS_DIR = Path("/var/run/netns")
ETC_NETNS = Path("/etc/netns")  # ip netns exec bind-mounts /etc/netns/NAME/* over /etc/*
CLONE_NEWNET = 0x40000000
SO_ORIGINAL_DST = 80  # linux/netfilter_ipv4.h; IP6T_SO_ORIGINAL_DST is 80 too
SPARE_LOW, SPARE_HIGH = 16, 64  # spare onward sockets: refill below LOW, up to HIGH
STACK_MARK = 0x5041  # 'PA': the stack's own connections are not redirected again
DEFAULT_ADDRESS = "127.0.0.1"  # the image's home address when system.conf names none


class NamespaceError(RuntimeError):
    """The image's namespace cannot be set up or used."""


def namespace_name(sysname: str, root: Path) -> str:
    """The namespace of an image on a root: one per root, so that services do not collide."""
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:8]
    return f"pagent-{sysname.lower()}-{digest}"


def available() -> str | None:
    """None if this process can build an image namespace, else why not."""
    if os.geteuid() != 0:
        return "the data path needs root (network namespaces and nftables)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"the data path needs the {tool!r} command (apt-get install iproute2 nftables)"
    return None


def nft_rules(port: int) -> str:
    """The namespace's nftables ruleset: every new TCP connection goes to ``port``.

    * ``raw``: the stack's own connections (mark 0x5041, both ways: the accepting end
      takes the mark of the SYN, ``tcp_fwmark_accept``) are not tracked at all. A tracked
      one leaves an entry behind when it ends, and a program's new connection with the
      same addresses and ports would take that entry over, without its NAT: it would
      reach the server directly, in clear (issue 11).
    * ``output`` (nat): every other new TCP connection is redirected to the stack.
    * ``guard``: a program's connection attempt that escaped the redirect all the same
      (a SYN of an entry with no NAT) is reset, never let through: fail closed.
    """
    chains = (
        "  chain raw {\n"
        "    type filter hook output priority -300; policy accept;\n"
        f"    meta mark {STACK_MARK:#x} notrack\n"
        "  }\n"
        "  chain output {\n"
        "    type nat hook output priority -100; policy accept;\n"
        f"    meta mark {STACK_MARK:#x} return            # the stack's own connections\n"
        f"    tcp dport {port} return\n"
        f"    meta l4proto tcp redirect to :{port}\n"
        "  }\n"
        "  chain guard {\n"
        "    type filter hook output priority 0; policy accept;\n"
        f"    meta mark {STACK_MARK:#x} return\n"
        f"    tcp dport {port} return\n"
        "    tcp flags & (syn | ack) == syn ct status & dnat == 0 reject with tcp reset\n"
        "  }\n"
    )
    return f"table ip pagent {{\n{chains}}}\ntable ip6 pagent {{\n{chains}}}\n"


def hosts_text(hostnames: tuple[str, ...], address: str = DEFAULT_ADDRESS) -> str:
    """The image's /etc/hosts: its host names on its home address (issue 11: the
    workshop's 192.168.17.201), localhost on the loopback addresses."""
    names = " ".join(hostnames)
    if address == DEFAULT_ADDRESS:
        return f"127.0.0.1\tlocalhost {names}\n::1\tlocalhost ip6-localhost\n"
    return f"{address}\t{names}\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n"


def _home_address(exec_argv: list[str], address: str) -> None:
    """Give the namespace's loopback interface the image's home address (a /32 of its own:
    the address exists only inside the image, so traffic to it never leaves the machine)."""
    if ipaddress.ip_address(address).is_loopback:
        return  # 127.0.0.0/8 and ::1 are on lo already
    prefix = 32 if ipaddress.ip_address(address).version == 4 else 128
    _run(*exec_argv, "ip", "addr", "add", f"{address}/{prefix}", "dev", "lo")


def netns_exec(name: str) -> list[str]:
    """The command prefix that runs a program in the named namespace ``name``."""
    return ["ip", "netns", "exec", name]


def _run(*argv: str, stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise NamespaceError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


def _libc_setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


class ImageNamespace:
    """One image's network namespace, its redirect rule, and a thread that lives in it."""

    def __init__(
        self, name: str, hostnames: tuple[str, ...] = (), address: str = DEFAULT_ADDRESS
    ) -> None:
        self.name = name
        self.hostnames = hostnames
        self.address = address
        self.port = 0
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._spares: dict[socket.AddressFamily, collections.deque[socket.socket]] = {}
        self._refilling: set[socket.AddressFamily] = set()

    @property
    def path(self) -> Path:
        """The namespace's bind mount, for setns and ``ip netns exec``."""
        return NETNS_DIR / self.name

    # --- life -----------------------------------------------------------------------------
    def create(self) -> None:
        """Make the namespace afresh (a leftover of a killed service is replaced)."""
        if self.path.exists():
            self.delete()
        _run("ip", "netns", "add", self.name)
        _run(*self.exec_argv(), "ip", "link", "set", "lo", "up")
        _home_address(self.exec_argv(), self.address)
        if self.hostnames:
            etc = ETC_NETNS / self.name
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts_text(self.hostnames, self.address), "ascii")
        self._thread = threading.Thread(target=self._serve, name=f"netns-{self.name}", daemon=True)
        self._thread.start()
        self.call(lambda: None)  # up, and in the namespace

    def redirect_to(self, port: int) -> None:
        """Install the redirect of every TCP connection to the stack's ``port``."""
        self.port = port
        # The server end of a stack's connection carries its mark too (see nft_rules).
        _run(*self.exec_argv(), "sysctl", "-q", "-w", "net.ipv4.tcp_fwmark_accept=1")
        _run(*self.exec_argv(), "nft", "-f", "-", stdin=nft_rules(port))

    def delete(self) -> None:
        """Remove the namespace; programs still in it keep running without a network."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=5)
            self._thread = None
        for spare in self._spares.values():
            while spare:
                spare.popleft().close()
        if self.path.exists():
            subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        shutil.rmtree(ETC_NETNS / self.name, ignore_errors=True)

    def _serve(self) -> None:
        fd = os.open(self.path, os.O_RDONLY)
        try:
            _libc_setns(fd)
        finally:
            os.close(fd)
        while (job := self._jobs.get()) is not None:
            fn, future = job
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the thread inside the namespace (to create sockets there)."""
        if self._thread is None:
            raise NamespaceError(f"namespace {self.name} is not active")
        future: Future[object] = Future()
        self._jobs.put((fn, future))
        return future.result(timeout=10)  # type: ignore[return-value]

    # --- sockets --------------------------------------------------------------------------
    def listener(self, family: socket.AddressFamily, port: int = 0) -> socket.socket:
        """An interception socket in the namespace; IPv6 ones take IPv6 only."""

        def make() -> socket.socket:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(("::", port))
            else:
                sock.bind(("0.0.0.0", port))  # noqa: S104 - inside the image's namespace
            sock.listen(socket.SOMAXCONN)
            sock.setblocking(False)
            return sock

        return self.call(make)

    def outbound(self, family: socket.AddressFamily) -> socket.socket:
        """A marked, non-blocking socket in the namespace for the stack's onward connection.

        Sockets are made ahead by the namespace's thread, a batch at a time, so that a new
        connection does not wait for a trip to that thread (benchmarks/bench_datapath.py).
        """
        spare = self._spares.setdefault(family, collections.deque())
        if len(spare) <= SPARE_LOW and family not in self._refilling:
            self._refilling.add(family)
            self._jobs.put((lambda: self._refill(family), Future()))
        try:
            return spare.popleft()
        except IndexError:
            return self.call(lambda: _outbound_socket(family))

    def _refill(self, family: socket.AddressFamily) -> None:
        """On the namespace's thread: top the spare sockets up."""
        spare = self._spares[family]
        try:
            while len(spare) < SPARE_HIGH:
                spare.append(_outbound_socket(family))
        finally:
            self._refilling.discard(family)

    def inode(self) -> int:
        """The namespace's inode: a process is in the image if its ns/net has it."""
        return os.stat(self.path).st_ino

    def exec_argv(self) -> list[str]:
        """The command prefix that runs a program inside the image, from this process."""
        return netns_exec(self.name)


def _outbound_socket(family: socket.AddressFamily) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, STACK_MARK)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


MS_BIND = 0x1000


class OwnNamespace(ImageNamespace):
    """The rootless image: the network namespace this very process runs in.

    A service without root re-executes itself under ``unshare --user --map-root-user
    --net --mount`` (pagent.service.netconf.rootless_argv); inside, it is root of its own
    user namespace and may set nftables rules in its own network namespace. Its sockets
    are made there with no thread to enter it, the namespace ends with the process, and
    programs join it with ``nsenter`` (pagent.commands.job.job_argv). The host names go in
    a hosts file bind-mounted over /etc/hosts in the service's own mount namespace.
    """

    def __init__(
        self,
        name: str,
        hostnames: tuple[str, ...] = (),
        address: str = DEFAULT_ADDRESS,
        *,
        hosts_file: Path,
    ) -> None:
        super().__init__(name, hostnames, address)
        self.hosts_file = hosts_file

    def create(self) -> None:
        """Bring loopback up and give the image its host names."""
        _run(*self.exec_argv(), "ip", "link", "set", "lo", "up")
        _home_address(self.exec_argv(), self.address)
        if self.hostnames:
            self.hosts_file.parent.mkdir(parents=True, exist_ok=True)
            self.hosts_file.write_text(hosts_text(self.hostnames, self.address), "ascii")
            libc = ctypes.CDLL(None, use_errno=True)
            source, target = str(self.hosts_file).encode(), b"/etc/hosts"
            if libc.mount(source, target, None, MS_BIND, None) != 0:
                err = ctypes.get_errno()
                raise NamespaceError(
                    f"cannot bind-mount the image's hosts file: {os.strerror(err)}"
                )

    def exec_argv(self) -> list[str]:
        """None needed: this process is in the image (redirect_to's nft runs here)."""
        return []

    def delete(self) -> None:
        """Nothing to remove: the namespace ends with the process (and no spares were made,
        see :meth:`outbound`)."""

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` here: this process is in the namespace already."""
        return fn()

    def outbound(self, family: socket.AddressFamily) -> socket.socket:
        """A marked, non-blocking socket for the stack's onward connection."""
        return _outbound_socket(family)

    def inode(self) -> int:
        """The namespace's inode: the one this process is in."""
        return os.stat("/proc/self/ns/net").st_ino


def original_destination(sock: socket.socket) -> tuple[str, int]:
    """Where a redirected connection was going (``SO_ORIGINAL_DST``)."""
    if sock.family == socket.AF_INET6:
        raw = sock.getsockopt(socket.IPPROTO_IPV6, SO_ORIGINAL_DST, 28)
        port = struct.unpack("!H", raw[2:4])[0]
        address = socket.inet_ntop(socket.AF_INET6, raw[8:24])
        if address.startswith("::ffff:"):
            address = address[7:]
        return address, port
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, packed = struct.unpack("!2xH4s8x", raw)
    return socket.inet_ntoa(packed), port
