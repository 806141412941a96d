"""Data path benchmark: pagent's AT-TLS stack against stunnel, side by side on loopback.

    python -m benchmarks.bench_datapath [--bulk-mib 256] [--runs 3] [--stime 5] [--hold 500]
                                        [--churn 10000] [--only memory,handshakes,...]

Prints its figures; asserts nothing, and is not part of the test suite. The method is
ghostunnel's (ecosystem-anchors.md §1.5-1.6): ``openssl s_time -new`` for full handshakes, a
byte-counting sink for throughput, the median of N runs after a warm-up run, versions recorded.

Set-up, once:

* a fresh root with ``pagent serve`` and ``DATAPATH ON`` (benchmarks.running), so the image
  WG31 has its network namespace; certificates made by the service's RACDCERT (a CERTAUTH CA
  and a P-256 server certificate of user BENCH, on ring BENCH/Bench.Ring) and exported with
  ``pagent keyring --export``, so stunnel serves the very same certificate and key;
* pagent: an Inbound rule on LocalPortRange 8443 (HandshakeRole Server, TLSv1.2 and TLSv1.3,
  Trace 2: errors only), installed by ``S PAGENT`` (EZD1586I awaited) and turned on with
  ``V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)``. A plain backend (a job BENCHSRV of user BENCH)
  listens on 127.0.0.1:8443 inside the namespace; the load generators run there too, so the
  stack terminates their TLS and hands clear bytes to the backend;
* stunnel: in the host namespace (inside the image's its connections would be redirected to
  pagent), foreground, ``accept`` a free port, ``connect`` to the same kind of plain backend
  on another port, ``debug = 3`` (errors only). Same load generators, run in the host namespace.

Figures, for each proxy, then pagent/stunnel:

a. bulk throughput: one TLS connection sends ``--bulk-mib`` MiB in 256 KiB writes, then
   close_notify; the backend counts what it received and answers with the 8-byte count,
   which must match. Time from the first write to the count; median of ``--runs`` after one
   warm-up run;
b. full handshakes per second: ``openssl s_time -connect 127.0.0.1:PORT -new -time 5``
   (median of ``--runs`` after a 1 s warm-up); the rate is its "N connections in" over the
   wall time of the run (s_time's own "connections/user sec" divides by the *client's* CPU
   time, and its "real seconds" are whole seconds). If s_time cannot run, a Python loop of
   fresh connections (no session reuse) is used instead, and said so;
c. memory per idle connection: ``--hold`` TLS connections opened (handshakes done) and held
   idle; the proxy process's RSS growth (pagent serve's, stunnel's, psutil) over the count;
d. memory per active connection: the same connections, once each has sent 256 KiB through
   the proxy (its buffers have been used); RSS growth from before (c) over the count. Both
   figures come from one burst, so that memory a proxy kept from an earlier burst (stunnel
   keeps most of it) cannot make one figure look cheaper than it is;
e. RSS after a burst: once the connections of (c) and (d) closed, the proxy's settled RSS
   as a percentage of its RSS before (c) (issue 11's target: at most 125 %);
f. what a second identical burst adds to the RSS after the first (target: nothing); a third
   and a fourth are noted, to tell a leak from the allocator's high-water mark;
g. churn: ``--churn`` short TLS connections (handshake, 4 bytes, close_notify), 100 at a
   time: their rate, and the proxy's RSS once they ended as a percentage of before (the
   descriptors before and after are noted).

The runs of (a) and (b) alternate between the two proxies (pagent first, then stunnel
first), so that a load that comes and goes on the machine hits both alike; their ratio is
also printed run by run (runs i of the two are adjacent in time), with its median. The
proxy's own CPU time per MiB and per connection is noted beside each.

Also printed, for pagent: plain connections per second through the stack to a port no rule
matches (a second backend job, BENCHCLR on 8080), the stack's cost per connection without TLS.

The helpers (backend, clients) are this module run with a hidden first argument
(``--sink``, ``--bulk``, ``--hold``, ``--loop``, ``--clear``, ``--churn``), so that both
sides use the same code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import re
import resource
import select
import shutil
import signal
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from benchmarks.running import POLICY, Running, service
from pagent.service.client import ControlClient, ServiceError
from pagent.service.netconf import read_system_conf
from pagent.stack.netns import namespace_name

REPO = Path(__file__).resolve().parent.parent
PAGENT_PORT = 8443
CLEAR_PORT = 8080  # no rule: connections pass the stack in clear
CHUNK = 256 * 1024
HELPERS = ("--sink", "--bulk", "--hold", "--loop", "--clear", "--churn")
STIME_FLAGS = ("-new",)  # protocol chosen by the two ends (TLS 1.3 here); see main()

RACF = (
    "RACDCERT CERTAUTH GENCERT SUBJECTSDN(CN('pagent Bench CA') O('pagent')) "
    "WITHLABEL('Bench CA') KEYUSAGE(CERTSIGN)",
    "RACDCERT ID(BENCH) GENCERT SUBJECTSDN(CN('localhost') O('pagent')) "
    "WITHLABEL('Bench Server') SIGNWITH(CERTAUTH LABEL('Bench CA')) "
    "ALTNAME(DOMAIN('localhost') IP(127.0.0.1))",
    "RACDCERT ID(BENCH) ADDRING(Bench.Ring)",
    "RACDCERT ID(BENCH) CONNECT(ID(BENCH) LABEL('Bench Server') RING(Bench.Ring) DEFAULT)",
    "RACDCERT ID(BENCH) CONNECT(CERTAUTH LABEL('Bench CA') RING(Bench.Ring) USAGE(CERTAUTH))",
    "PERMIT IRR.DIGTCERT.LISTRING CLASS(FACILITY) ID(BENCH) ACCESS(READ)",
    "PERMIT IRR.DIGTCERT.LIST CLASS(FACILITY) ID(BENCH) ACCESS(READ)",
)

BENCH_POLICY = f"""## pagent data path benchmark (benchmarks/bench_datapath.py)
TTLSRule                          BenchServer
{{
  LocalAddr                       All
  RemoteAddr                      All
  LocalPortRange                  {PAGENT_PORT}
  Direction                       Inbound
  Priority                        255
  TTLSGroupActionRef              gBench
  TTLSEnvironmentActionRef        eBench
  TTLSConnectionActionRef         cBench
}}
TTLSGroupAction                   gBench
{{
  TTLSEnabled                     On
  Trace                           2
}}
TTLSEnvironmentAction             eBench
{{
  HandshakeRole                   Server
  TTLSKeyringParmsRef             kBench
  TTLSEnvironmentAdvancedParmsRef aBench
  Trace                           2
}}
TTLSConnectionAction              cBench
{{
  HandshakeRole                   Server
  Trace                           2
}}
TTLSKeyringParms                  kBench
{{
  Keyring                         BENCH/Bench.Ring
}}
TTLSEnvironmentAdvancedParms      aBench
{{
  SSLv3                           Off
  TLSv1                           Off
  TLSv1.1                         Off
  TLSv1.2                         On
  TLSv1.3                         On
}}
"""


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


# --- helpers run as subprocesses (backend, load generators) ---------------------------------


class _Sink(asyncio.BufferedProtocol):
    """Reads and discards; at EOF writes the 8-byte count of bytes received and closes."""

    buffer = bytearray(CHUNK)  # shared: what is read is thrown away

    def __init__(self) -> None:
        self.count = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.count += nbytes

    def eof_received(self) -> bool:
        assert self.transport is not None
        self.transport.write(struct.pack("!Q", self.count))
        return False  # the transport closes after the write is flushed


async def _sink(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Sink, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()


def _context(cafile: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # chain verified; the name is not the point here
    return ctx


def _bulk(port: int, mib: int, cafile: str) -> None:
    """One connection, ``mib`` MiB in CHUNK writes, close_notify, then the sink's count."""
    obj_in, obj_out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _context(cafile).wrap_bio(obj_in, obj_out, server_side=False)
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:

        def pull() -> None:
            data = sock.recv(CHUNK)
            if not data:
                raise BenchError("connection closed by the proxy")
            obj_in.write(data)

        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                sock.sendall(obj_out.read())
                pull()
        sock.sendall(obj_out.read())
        payload = bytes(CHUNK)
        writes = mib * 2**20 // CHUNK
        start = time.perf_counter()
        for _ in range(writes):
            tls.write(payload)
            sock.sendall(obj_out.read())
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.unwrap()  # our close_notify: the backend sees EOF, and answers
        sock.sendall(obj_out.read())
        got = b""
        while len(got) < 8:
            try:
                got += tls.read(8 - len(got))
            except ssl.SSLWantReadError:
                pull()
        elapsed = time.perf_counter() - start
    count = struct.unpack("!Q", got)[0]
    print(json.dumps({"sent": writes * CHUNK, "counted": count, "seconds": elapsed}), flush=True)


def _hold(port: int, count: int, cafile: str, send: int = 0) -> None:
    """Open ``count`` TLS connections and say so; when ``send``, then wait for a line on
    stdin, send ``send`` bytes on each (they become *active* ones) and say so again; hold
    them until stdin closes."""
    ctx = _context(cafile)
    conns: list[ssl.SSLSocket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            conns.append(ctx.wrap_socket(sock))
        print(json.dumps({"open": len(conns)}), flush=True)
        if send:
            sys.stdin.readline()
            payload = bytes(send)
            for conn in conns:
                conn.sendall(payload)
            print(json.dumps({"sent": len(conns)}), flush=True)
        sys.stdin.read()
    finally:
        for conn in conns:
            conn.close()


def _loop(port: int, seconds: float, cafile: str) -> None:
    """Fresh TLS connections, full handshakes (no session reuse), for ``seconds``."""
    ctx = _context(cafile)
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            ctx.wrap_socket(sock).close()
        count += 1
    print(json.dumps({"connections": count, "seconds": elapsed}), flush=True)


async def _churn_async(port: int, count: int, cafile: str) -> tuple[int, float]:
    ctx = _context(cafile)

    async def one() -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx)
        except (OSError, ssl.SSLError):
            return False
        try:
            writer.write(b"ping")
            await writer.drain()
            return True
        except (OSError, ssl.SSLError):
            return False
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()

    ok = 0
    start = time.perf_counter()
    for first in range(0, count, 100):
        done = await asyncio.gather(*(one() for _ in range(min(100, count - first))))
        ok += done.count(True)
    return ok, time.perf_counter() - start


def _churn(port: int, count: int, cafile: str) -> None:
    """``count`` short TLS connections (handshake, 4 bytes, close_notify), 100 at a time."""
    ok, seconds = asyncio.run(_churn_async(port, count, cafile))
    print(json.dumps({"ok": ok, "seconds": seconds}), flush=True)


def _clear(port: int, seconds: float) -> None:
    """Fresh plain connections (connect, EOF, the sink's count, close) for ``seconds``."""
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.shutdown(socket.SHUT_WR)
            sock.recv(8)
        count += 1
    print(json.dumps({"connections": count, "seconds": elapsed}), flush=True)


def helper(argv: Sequence[str]) -> int:
    """Run one helper: ``--sink PORT``, ``--bulk PORT MIB CA``, ``--hold``, ``--loop``..."""
    what, args = argv[0], argv[1:]
    if what == "--sink":
        asyncio.run(_sink(int(args[0])))
    elif what == "--bulk":
        _bulk(int(args[0]), int(args[1]), args[2])
    elif what == "--hold":
        _hold(int(args[0]), int(args[1]), args[2], int(args[3]) if len(args) > 3 else 0)
    elif what == "--loop":
        _loop(int(args[0]), float(args[1]), args[2])
    elif what == "--clear":
        _clear(int(args[0]), float(args[1]))
    elif what == "--churn":
        _churn(int(args[0]), int(args[1]), args[2])
    else:
        raise SystemExit(f"unknown helper {what}")
    return 0


# --- the two sides --------------------------------------------------------------------------


@dataclass
class Side:
    """One proxy under test: where clients connect, how they are run, whose RSS counts."""

    name: str
    port: int
    prefix: list[str]  # what runs a client in the right network namespace
    pid: int
    cafile: str
    results: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def me(self, *args: str) -> list[str]:
        """This module as a helper, in this side's namespace."""
        return [*self.prefix, sys.executable, "-m", "benchmarks.bench_datapath", *args]


def readline(proc: subprocess.Popen[str], timeout: float, what: str) -> str:
    """The next line of a helper's stdout, within ``timeout`` seconds."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    line = proc.stdout.readline() if ready else ""
    if not line:
        err = ""
        if proc.poll() is not None and proc.stderr is not None:
            err = proc.stderr.read()
        raise BenchError(f"{what}: no answer within {timeout:g} s {err.strip()}")
    return line


def stop(proc: subprocess.Popen[str] | None) -> None:
    """End a process this benchmark started, by its pid, within a bound."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@contextlib.contextmanager
def started(argv: list[str], what: str, *, ready: bool = True) -> Iterator[subprocess.Popen[str]]:
    """A helper process (waits for its first line when ``ready``), ended afterwards."""
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if ready:
            readline(proc, 15, what)
        yield proc
    finally:
        stop(proc)


def run_json(argv: list[str], timeout: float, what: str) -> dict[str, float]:
    """Run a helper to its end; its JSON line."""
    done = subprocess.run(
        argv, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise BenchError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-800:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _order(sides: list[Side], i: int) -> list[Side]:
    """The sides in turn for run ``i``: alternated run by run, so that a load that comes and
    goes on the machine (other processes) hits each side alike."""
    return sides if i % 2 == 0 else sides[::-1]


def _spread(side: Side, key: str, label: str, values: list[float], fmt: str) -> None:
    """The median as the figure; every run and the spread as a note."""
    side.results[key] = statistics.median(values)
    runs = ", ".join(format(v, fmt) for v in values)
    side.notes.append(
        f"{label} runs: {runs} (median {format(side.results[key], fmt)}, "
        f"min {format(min(values), fmt)}, max {format(max(values), fmt)})"
    )


PAIRED: dict[str, list[float]] = {}
"""Run-by-run ratios pagent/stunnel of the alternated figures: runs i of the two sides are
adjacent in time, so their ratio is the least touched by a load that comes and goes."""


def _paired(sides: list[Side], key: str, values: dict[str, list[float]]) -> None:
    if len(sides) == 2:
        mine, theirs = (values[side.name] for side in sides)
        PAIRED[key] = [a / b for a, b in zip(mine, theirs, strict=True) if b]


def _cpu(pid: int) -> float:
    """CPU seconds (user and system, all threads) a process has used."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def bulk_once(side: Side, mib: int) -> tuple[float, float]:
    """One bulk run: MiB/s, and the proxy's CPU milliseconds per MiB relayed."""
    cpu = _cpu(side.pid)
    res = run_json(side.me("--bulk", str(side.port), str(mib), side.cafile), 120, "bulk")
    used = _cpu(side.pid) - cpu
    if res["counted"] != res["sent"]:
        raise BenchError(
            f"{side.name} bulk: sent {res['sent']:.0f} bytes, the backend counted "
            f"{res['counted']:.0f}"
        )
    mibs = res["sent"] / 2**20
    return mibs / res["seconds"], 1000 * used / mibs


def bulk(sides: list[Side], mib: int, runs: int) -> None:
    """Figure (a): a warm-up run each, then ``runs`` runs each, the sides alternating.

    Also noted: the proxy's own CPU time per MiB, which a load on the machine changes far
    less than the rate (both proxies share 2 CPUs with the client and the backend)."""
    rates: dict[str, list[float]] = {side.name: [] for side in sides}
    cpus: dict[str, list[float]] = {side.name: [] for side in sides}
    for i in range(runs + 1):
        for side in _order(sides, i):
            rate, cpu = bulk_once(side, mib)
            if i:  # the first run is the warm-up
                rates[side.name].append(rate)
                cpus[side.name].append(cpu)
    _paired(sides, "bulk", rates)
    for side in sides:
        _spread(side, "bulk", "bulk MiB/s", rates[side.name], ".1f")
        _spread(side, "bulk_cpu", "bulk CPU ms/MiB", cpus[side.name], ".2f")


_STIME = re.compile(r"^(\d+) connections in ([\d.]+)s; ([\d.]+) connections/user sec", re.M)


def stime(side: Side, seconds: int) -> float:
    """One ``openssl s_time -new`` run: connections per wall-clock second."""
    argv = [*side.prefix, "openssl", "s_time", "-connect", f"127.0.0.1:{side.port}"]
    argv += [*STIME_FLAGS, "-time", str(seconds)]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    wall = time.perf_counter() - start
    match = _STIME.search(done.stdout)
    if done.returncode != 0 or match is None or int(match[1]) == 0:
        raise BenchError(
            f"openssl s_time against {side.name} (exit {done.returncode}): "
            f"{(done.stdout + done.stderr).strip()[-600:]}"
        )
    return int(match[1]) / wall


def _loop_rate(side: Side, seconds: int) -> float:
    """The Python loop of fresh connections, when s_time is unusable: connections/s."""
    res = run_json(
        side.me("--loop", str(side.port), str(seconds), side.cafile), seconds + 60, "loop"
    )
    return res["connections"] / res["seconds"]


def handshakes(sides: list[Side], seconds: int, runs: int) -> None:
    """Figure (b): s_time (or the Python loop when s_time is unusable), a 1 s warm-up each,
    then ``runs`` runs each, the sides alternating."""
    rate_of: dict[str, Callable[[Side, int], float]] = {}
    for side in sides:
        try:
            stime(side, 1)  # warm-up
            rate_of[side.name] = stime
            side.notes.append("handshakes by openssl s_time " + " ".join(STIME_FLAGS))
        except (BenchError, subprocess.TimeoutExpired) as exc:
            side.notes.append(f"s_time unusable ({exc}); handshakes by a Python loop")
            _loop_rate(side, 1)
            rate_of[side.name] = _loop_rate
    rates: dict[str, list[float]] = {side.name: [] for side in sides}
    cpus: dict[str, list[float]] = {side.name: [] for side in sides}
    for i in range(runs):
        for side in _order(sides, i):
            cpu = _cpu(side.pid)
            rate = rate_of[side.name](side, seconds)
            rates[side.name].append(rate)
            cpus[side.name].append(1000 * (_cpu(side.pid) - cpu) / (rate * seconds))
    _paired(sides, "handshakes", rates)
    for side in sides:
        _spread(side, "handshakes", "handshakes/s", rates[side.name], ".0f")
        _spread(side, "handshake_cpu", "CPU ms per connection", cpus[side.name], ".2f")


def settled_rss(pid: int, timeout: float = 5.0, quiet: float = 0.25) -> int:
    """The RSS of ``pid`` once it stops changing: equal readings 0.25 s apart for ``quiet``
    seconds (pagent gives memory back 1 s after its last connection ends)."""
    proc = psutil.Process(pid)
    last = proc.memory_info().rss
    stable_since = time.monotonic()
    deadline = stable_since + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = proc.memory_info().rss
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            break
    return last


ACTIVE_BYTES = 256 * 1024  # what each *active* held connection has sent through the proxy


def _burst(side: Side, count: int) -> tuple[int, int]:
    """Open ``count`` connections, then make each of them active (ACTIVE_BYTES through the
    proxy); the proxy's settled RSS with them idle, then with them active. They are closed
    on return. Both figures come from the same connections, so that memory the proxy kept
    from an earlier burst does not make one of them look cheaper."""
    argv = side.me("--hold", str(side.port), str(count), side.cafile, str(ACTIVE_BYTES))
    with started(argv, f"{side.name} hold", ready=False) as proc:
        assert proc.stdin is not None
        line = readline(proc, 180, f"{side.name}: {count} connections")
        if json.loads(line)["open"] != count:
            raise BenchError(f"{side.name}: {line.strip()}")
        idle = settled_rss(side.pid)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        line = readline(proc, 180, f"{side.name}: {count} connections active")
        if json.loads(line)["sent"] != count:
            raise BenchError(f"{side.name}: {line.strip()}")
        active = settled_rss(side.pid)
        return idle, active


def memory(side: Side, count: int) -> None:
    """Figures (c)-(f): RSS growth per idle and per active connection, KiB; RSS once a
    burst of connections has closed, against before it; what a second identical burst
    adds, KiB."""
    warm = side.me("--hold", str(side.port), "20", side.cafile)
    with started(warm, f"{side.name} warm-up connections") as proc:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(30)
    before = settled_rss(side.pid, 10, 2.0)
    idle, active = _burst(side, count)
    side.results["memory"] = (idle - before) / count / 1024
    side.results["memory_active"] = (active - before) / count / 1024
    after = settled_rss(side.pid, 10, 2.0)
    side.results["rss_after"] = 100.0 * after / before
    _burst(side, count)
    second = settled_rss(side.pid, 10, 2.0)
    side.results["second_burst"] = (second - after) / 1024
    # Two more: whether what the second added comes again with every burst (a leak) or
    # stays where it is (the allocator's high-water mark).
    later, last = [], second
    for _ in range(2):
        _burst(side, count)
        now = settled_rss(side.pid, 10, 2.0)
        later.append(f"{(now - last) / 1024:+.0f}")
        last = now
    side.notes.append(
        f"RSS {before / 2**20:.1f} MiB; {count} idle {idle / 2**20:.1f} MiB; the same "
        f"{count} active ({ACTIVE_BYTES // 1024} KiB each) {active / 2**20:.1f} MiB; after "
        f"the burst {after / 2**20:.1f} MiB; after a second one {second / 2**20:.1f} MiB; "
        f"a third and a fourth add {' and '.join(later)} KiB"
    )


def _fds(pid: int) -> int:
    """Open descriptors of a process."""
    return int(psutil.Process(pid).num_fds())


def churn(sides: list[Side], count: int) -> None:
    """Figure (g): ``count`` short TLS connections through each proxy (100 at a time):
    their rate, and the proxy's RSS and descriptors once they ended, against before."""
    for side in _order(sides, 0):
        before_rss, before_fds = settled_rss(side.pid, 10, 2.0), _fds(side.pid)
        argv = side.me("--churn", str(side.port), str(count), side.cafile)
        res = run_json(argv, 600, f"{side.name} churn")
        after_rss = settled_rss(side.pid, 10, 2.0)
        deadline = time.monotonic() + 10
        while (after_fds := _fds(side.pid)) > before_fds and time.monotonic() < deadline:
            time.sleep(0.1)
        side.results["churn"] = res["ok"] / res["seconds"]
        side.results["churn_rss"] = 100.0 * after_rss / before_rss
        spares = " (it keeps 16 to 64 spare onward sockets)" if side.name == "pagent" else ""
        side.notes.append(
            f"churn: {res['ok']:.0f} of {count} TLS connections served in {res['seconds']:.1f} s; "
            f"RSS {before_rss / 2**20:.1f} -> {after_rss / 2**20:.1f} MiB; "
            f"fds {before_fds} -> {after_fds}{spares}"
        )


def clear_rate(side: Side, seconds: int) -> None:
    """pagent only: plain connections per second through the stack (no rule, no TLS)."""
    argv = side.me("--clear", str(CLEAR_PORT), "1")
    run_json(argv, 60, "clear connections")
    argv[-1] = str(seconds)
    res = run_json(argv, seconds + 60, "clear connections")
    side.notes.append(
        f"diagnostic: {res['connections'] / res['seconds']:.0f} plain connections/s through "
        f"the stack to port {CLEAR_PORT} (no rule, no TLS; Python loop, median not taken)"
    )


FIGURE_GROUPS = ("memory", "handshakes", "bulk", "churn", "plain")


def measure(sides: list[Side], args: argparse.Namespace) -> None:
    """The figures asked for; a failure is noted, and the others still run. Runs of the two
    sides alternate within each figure (see _order)."""
    steps: list[tuple[str, Callable[[], None]]] = []
    for name in args.only:
        if name == "memory":
            for side in sides:
                steps.append((f"{side.name} memory", functools.partial(memory, side, args.hold)))
        elif name == "handshakes":
            steps.append(("handshakes", lambda: handshakes(sides, args.stime, args.runs)))
        elif name == "bulk":
            steps.append(("bulk", lambda: bulk(sides, args.bulk_mib, args.runs)))
        elif name == "churn":
            steps.append(("churn", lambda: churn(sides, args.churn)))
        elif name == "plain":
            steps.append(("pagent plain connections", lambda: clear_rate(sides[0], 3)))
    for name, step in steps:
        print(f"  {name} ...", flush=True)
        try:
            step()
        except (BenchError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
            sides[0].notes.append(f"{name} FAILED: {exc}")
            print(f"  {name} FAILED: {exc}", flush=True)


# --- set-up ---------------------------------------------------------------------------------


def first_line(argv: list[str], pattern: str = "") -> str:
    """The first output line of a command (matching ``pattern``), or why there is none."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"({exc})"
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip() and re.search(pattern, line):
            return line.strip()
    return "(no output)"


def find_stunnel() -> str | None:
    """The stunnel command, installing stunnel4 when missing and this runs as root."""
    for name in ("stunnel4", "stunnel"):
        if found := shutil.which(name):
            return found
    if os.geteuid() != 0:
        print("stunnel is missing (not root: not installing it); measuring pagent only")
        return None
    print("installing stunnel4 ...", flush=True)
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "stunnel4"],
            capture_output=True,
            timeout=150,
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"could not install stunnel4 ({exc}); measuring pagent only")
        return None
    return shutil.which("stunnel4") or shutil.which("stunnel")


def console(client: ControlClient, command: str) -> list[str]:
    """A console command that must succeed; its lines."""
    reply = client.command(command)
    if reply.status != "ok":
        raise BenchError(f"{command}: {' / '.join(reply.texts)}")
    return reply.texts


def set_up_pagent(running: Running, pems: Path) -> None:
    """Certificates, exported PEMs, the policy, S PAGENT and OBEY."""
    with running.client(timeout=60) as client:
        for command in RACF:
            console(client, command)
        done = subprocess.run(
            [
                *(sys.executable, "-m", "pagent", "keyring", "BENCH/Bench.Ring"),
                *("--root", str(running.root), "--export", str(pems)),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"pagent keyring --export: {done.stdout}{done.stderr}")
        (running.root / POLICY).write_text(BENCH_POLICY, "utf-8")
        client.subscribe()
        console(client, "S PAGENT")
        if client.wait_message("EZD1586I", 60) is None:
            raise BenchError("no EZD1586I within 60 s of S PAGENT")
        console(client, "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)")


def stunnel_conf(directory: Path, pems: Path, accept: int, connect: int) -> Path:
    """stunnel's configuration: TLS on ``accept`` to plain ``connect``, errors only."""
    conf = directory / "stunnel.conf"
    conf.write_text(
        "foreground = yes\n"
        "pid =\n"
        "debug = 3\n"
        f"output = {directory / 'stunnel.log'}\n"
        "[bench]\n"
        f"accept = 127.0.0.1:{accept}\n"
        f"connect = 127.0.0.1:{connect}\n"
        f"cert = {pems / 'cert.pem'}\n"
        f"key = {pems / 'key.pem'}\n"
        "sslVersionMin = TLSv1.2\n",
        "utf-8",
    )
    return conf


def free_port() -> int:
    """A TCP port free on the host's loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_tls(port: int, cafile: str, timeout: float) -> None:
    """Until a TLS handshake on the host's loopback ``port`` succeeds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                _context(cafile).wrap_socket(sock).close()
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise BenchError(f"stunnel not answering on {port}: {exc}") from None
            time.sleep(0.05)


# --- report ---------------------------------------------------------------------------------

FIGURES = (
    ("bulk", "bulk throughput, 1 connection", "MiB/s", "higher is better"),
    ("bulk_cpu", "  proxy CPU per MiB relayed", "ms", "lower is better"),
    ("handshakes", "full handshakes", "per s", "higher is better"),
    ("handshake_cpu", "  proxy CPU per connection", "ms", "lower is better"),
    ("memory", "memory per idle connection", "KiB", "lower is better"),
    ("memory_active", "memory per active connection", "KiB", "lower is better"),
    ("rss_after", "RSS after a burst, % of before", "%", "target <= 125"),
    ("second_burst", "RSS a second burst adds", "KiB", "target ~0"),
    ("churn", "short TLS connections", "per s", "higher is better"),
    ("churn_rss", "RSS after them, % of before", "%", "target <= 125"),
)


def report(sides: list[Side]) -> None:
    """The table, the ratios, the notes."""
    names = [s.name for s in sides]
    print()
    print(f"{'figure':<32} {'unit':<6} " + " ".join(f"{n:>10}" for n in names), end="")
    print(f" {'pagent/stunnel':>15}" if len(sides) == 2 else "")
    for key, label, unit, better in FIGURES:
        if all(key not in side.results for side in sides) and not any(
            "FAILED" in note for side in sides for note in side.notes
        ):
            continue  # not asked for (--only)
        cells = []
        for side in sides:
            value = side.results.get(key)
            cells.append(f"{value:>10.1f}" if value is not None else f"{'failed':>10}")
        line = f"{label:<32} {unit:<6} " + " ".join(cells)
        if len(sides) == 2:
            a, b = (s.results.get(key) for s in sides)
            ratio = f"{a / b:.2f}" if a is not None and b else "-"
            line += f" {ratio:>15}  ({better})"
        print(line)
    for key, ratios in PAIRED.items():
        if ratios:
            runs = ", ".join(f"{r:.2f}" for r in ratios)
            print(
                f"{key}, pagent/stunnel run by run (adjacent in time): {runs}; "
                f"median {statistics.median(ratios):.2f}"
            )
    print()
    for side in sides:
        for note in side.notes:
            print(f"  {side.name}: {note}")


def versions(stunnel: str | None) -> None:
    """Versions of everything measured."""
    print(f"Python   {platform.python_version()} ({sys.executable})")
    print(f"ssl      {ssl.OPENSSL_VERSION} (Python's, used by pagent and the clients)")
    print(f"openssl  {first_line(['openssl', 'version'])} (s_time)")
    if stunnel:
        print(f"stunnel  {first_line([stunnel, '-version'], r'^stunnel ')}")
        print(f"         {first_line([stunnel, '-version'], r'^Running  with|^Compiled')}")
    cpus = os.cpu_count()
    print(f"machine  {platform.machine()}, {cpus} CPUs, {platform.release()}; all on loopback")


def raise_nofile() -> None:
    """Enough descriptors for the held connections (children inherit the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in HELPERS:
        return helper(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--bulk-mib", type=int, default=256, help="MiB per bulk run")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (median)")
    parser.add_argument("--stime", type=int, default=5, help="seconds per s_time run")
    parser.add_argument("--hold", type=int, default=500, help="connections held for memory")
    parser.add_argument("--churn", type=int, default=10_000, help="short TLS connections")
    parser.add_argument(
        "--only",
        type=lambda text: [part for part in text.split(",") if part],
        default=list(FIGURE_GROUPS),
        help=f"figures to measure, comma-separated, of {','.join(FIGURE_GROUPS)} (all)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only) - set(FIGURE_GROUPS))
    if unknown:
        parser.error(f"--only: unknown figure {', '.join(unknown)} (of {','.join(FIGURE_GROUPS)})")
    began = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up on SIGTERM too
    raise_nofile()
    stunnel = find_stunnel()
    versions(stunnel)
    sides: list[Side] = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pbd")))
        pems = tmp / "pems"
        print("starting pagent serve (DATAPATH ON) ...", flush=True)
        try:
            running = stack.enter_context(service(datapath="ON"))
        except SystemExit as exc:
            print(f"FAILED: {exc}")
            return 1
        try:
            set_up_pagent(running, pems)
        except (BenchError, ServiceError, subprocess.TimeoutExpired) as exc:
            print(f"FAILED to set up pagent: {exc}")
            return 1
        sysname, _ = read_system_conf(running.root / "etc" / "system.conf")
        netns = namespace_name(sysname, running.root)
        cafile = str(pems / "ca.pem")
        job = [sys.executable, "-m", "pagent", "job", "--user", "BENCH"]  # options first:
        job += ["--root", str(running.root), "BENCHSRV", "--", sys.executable, "-m"]  # then all
        job += ["benchmarks.bench_datapath", "--sink", str(PAGENT_PORT)]
        clear = [*job[:-1], str(CLEAR_PORT)]
        clear[clear.index("BENCHSRV")] = "BENCHCLR"
        try:
            stack.enter_context(started(job, "backend job BENCHSRV"))
            stack.enter_context(started(clear, "backend job BENCHCLR"))
        except BenchError as exc:
            print(f"FAILED: {exc}")
            return 1
        pagent = Side(
            "pagent", PAGENT_PORT, ["ip", "netns", "exec", netns], running.process.pid, cafile
        )
        sides.append(pagent)
        print(f"pagent serve pid {running.process.pid}", flush=True)
        if stunnel:
            accept, connect = free_port(), free_port()
            try:
                sink = [sys.executable, "-m", "benchmarks.bench_datapath", "--sink", str(connect)]
                stack.enter_context(started(sink, "stunnel's backend"))
                conf = stunnel_conf(tmp, pems, accept, connect)
                proc = stack.enter_context(started([stunnel, str(conf)], "stunnel", ready=False))
                wait_tls(accept, cafile, 15)
                sides.append(Side("stunnel", accept, [], proc.pid, cafile))
            except BenchError as exc:
                print(f"stunnel side FAILED: {exc}; measuring pagent only")
        print(f"s_time flags: {' '.join(STIME_FLAGS)} -time {args.stime}")
        measure(sides, args)
    report(sides)
    print(f"\ntotal time {time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
