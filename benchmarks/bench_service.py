"""Service benchmark (issue 3 §8): prints its figures and their budgets, asserts nothing.

    python -m benchmarks.bench_service [--round-trips 2000] [--session 1000] [--edits 5]

Each part runs against a real ``python -m pagent serve`` on a fresh root (``pagent init`` in
a short /tmp directory), driven over its control socket:

a. round trip of ``D TCPIP`` through one client: median and p95 over ``--round-trips``
   commands (budget 5 ms median);
b. a scripted session of ``--session`` commands through one client: ``S PAGENT`` and the
   wait for its EZD1586I, then a mix of D TCPIP, D TCPIP,,N,CONFIG, F PAGENT,QUERY and
   V TCPIP,,OBEY of SYS1.TCPPARMS(TTLS) and (NOTTLS): total time (budget 5 s);
c. with the 1,000-rule policy (benchmarks.gen_policy) installed by S PAGENT: the time from
   saving an edited policy (a temporary file renamed over it, as editors save) to the next
   EZD1586I, median of ``--edits`` (budget 1 s; the watcher's 0.2 s debounce is in it);
d. with the 10,000-rule policy installed: the service's resident set size (budget 400 MB);
e. 20 clients issuing 200 ``D TCPIP,,N,CONFIG`` each at once, one request at a time per
   client and, separately, all 200 sent in one go (pipelined): total time, and a check that
   every reply is complete, in order, carries its own request's id, and that no two replies
   share a report number (nothing lost, nothing mixed up);
f. with the 50,000-rule policy installed by S PAGENT (issue 13 §1): the time from saving a
   one-rule edit to EZD1586I, median of ``--big-edits`` (budget 1 s), and the latency of
   ``D TCPIP`` sent every 5 ms by another client during S PAGENT and during each refresh:
   median, p95 and max (budget 50 ms max), for S PAGENT, for the refreshes, and for both;
g. ``pasearch`` of the 50,000 installed rules through one client (issue 13 §2): lines
   received and time (budget: every line arrives).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import statistics
import sys
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import psutil

from benchmarks.running import MIX, POLICY, Running, service
from pagent.service.client import ControlClient, ServiceError

ROUND_TRIP_BUDGET = 0.005  # seconds, median (issue 3 §8)
SESSION_BUDGET = 5.0  # seconds for 1,000 commands
EDIT_BUDGET = 1.0  # seconds from saving the 1,000-rule policy to EZD1586I
RSS_BUDGET = 400 * 2**20  # bytes with the 10,000-rule policy installed
BIG_RULES = 50_000  # issue 13 §1
BIG_EDIT_BUDGET = 1.0  # seconds from saving a one-rule edit of BIG_RULES rules to EZD1586I
DURING_BUDGET = 0.050  # seconds for D TCPIP while PAGENT works
CLIENTS, PER_CLIENT = 20, 200

CONFIG = "D TCPIP,,N,CONFIG"


def start_pagent(client: ControlClient, timeout: float = 300.0) -> float:
    """S PAGENT on a subscribed client; seconds until its EZD1586I."""
    start = time.perf_counter()
    reply = client.command("S PAGENT")
    if reply.status != "ok":
        raise SystemExit(f"S PAGENT failed: {reply.texts}")
    if client.wait_message("EZD1586I", timeout) is None:
        raise SystemExit(f"no EZD1586I within {timeout:g} s of S PAGENT")
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for printing."""
    return f"{seconds * 1000:.2f} ms"


def verdict(ok: bool) -> str:
    """Within budget or not, for printing."""
    return "within budget" if ok else "OVER BUDGET"


# --- (a) and (b) ----------------------------------------------------------------------------
def bench_round_trip(running: Running, count: int) -> tuple[float, float, float]:
    """Median, p95 and max of ``count`` D TCPIP round trips through one client."""
    times: list[float] = []
    with running.client() as client:
        for _ in range(50):  # warm-up
            client.command("D TCPIP")
        for _ in range(count):
            start = time.perf_counter()
            reply = client.command("D TCPIP")
            times.append(time.perf_counter() - start)
            if reply.status != "ok":
                raise SystemExit(f"D TCPIP failed: {reply.texts}")
    p95 = statistics.quantiles(times, n=100)[94]
    return statistics.median(times), p95, max(times)


def bench_session(running: Running, count: int) -> float:
    """Total seconds of a ``count``-command session (S PAGENT and its wait included)."""
    with running.client() as client:
        client.subscribe()
        start = time.perf_counter()
        start_pagent(client)
        for i in range(count - 1):
            text = MIX[i % len(MIX)]
            reply = client.command(text)
            if reply.status != "ok":
                raise SystemExit(f"{text} failed: {reply.texts}")
            client.messages.clear()  # nothing unsolicited is expected; keep the queue short
        return time.perf_counter() - start


# --- (c) and (d) ----------------------------------------------------------------------------
def save(path: Path, text: str) -> None:
    """Save as an editor does: a temporary file beside ``path``, renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)


def bench_edit(edits: int) -> tuple[float, list[float], float]:
    """Start-up install time, and the times from saving an edit to EZD1586I (1,000 rules)."""
    with service(1000) as running, running.client() as client:
        client.subscribe()
        install = start_pagent(client)
        client.ping()  # PAGENT's start is done: the watcher is aimed
        path = running.root / POLICY
        original = path.read_text("utf-8")
        old = "  Priority                        2\n"  # Rule00001's priority
        if old not in original:
            raise SystemExit("the generated policy changed shape; update bench_service.py")
        times: list[float] = []
        for k in range(edits):
            text = original.replace(old, f"  Priority                        {100 + k}\n", 1)
            client.messages.clear()
            start = time.perf_counter()
            save(path, text)
            if client.wait_message("EZD1586I", 30) is None:
                raise SystemExit("an edit of the 1,000-rule policy was not installed in 30 s")
            times.append(time.perf_counter() - start)
            time.sleep(0.3)  # let the watcher's quiet period pass before the next save
        return install, times, statistics.median(times)


def bench_memory() -> tuple[float, int, int]:
    """Install time and RSS before and after S PAGENT with the 10,000-rule policy."""
    with service(10_000) as running, running.client(timeout=300) as client:
        process = psutil.Process(running.process.pid)
        before = process.memory_info().rss
        client.subscribe()
        install = start_pagent(client)
        client.ping()
        return install, before, process.memory_info().rss


# --- (f) and (g) ----------------------------------------------------------------------------
def _probe(running: Running, stop: EventType, send: Connection) -> None:
    """The prober's process: D TCPIP every 5 ms until ``stop``; the latencies sent back."""
    times: list[float] = []
    with running.client() as client:
        while not stop.is_set():
            start = time.perf_counter()
            client.command("D TCPIP")
            times.append(time.perf_counter() - start)
            time.sleep(0.005)
    send.send(times)


class Prober:
    """Another client sending D TCPIP every 5 ms while PAGENT works; the latencies.

    It runs in a process of its own: on a thread of the benchmark, its figures counted the
    benchmark's own waits for the GIL too, such as encoding the 60 MB policy it saves (one
    C call of 40 to 70 ms), and blamed them on the service.
    """

    def __init__(self, running: Running) -> None:
        context = multiprocessing.get_context("fork")
        self.times: list[float] = []
        self._stop = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_probe, args=(running, self._stop, send), daemon=True
        )

    def __enter__(self) -> Prober:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._receive.poll(60):
            self.times = self._receive.recv()
        self._process.join(10)


def bench_big(edits: int, *, pasearch: bool = True) -> tuple[int, float]:
    """S PAGENT and ``edits`` one-rule edits of the 50,000-rule policy, D TCPIP probed
    throughout (printed), then pasearch of it all: its lines and seconds."""
    with service(BIG_RULES) as running, running.client(timeout=600) as client:
        client.subscribe()
        with Prober(running) as prober:
            install = start_pagent(client, timeout=600)
        client.ping()
        path = running.root / POLICY
        original = path.read_text("utf-8")
        old = "  Priority                        2\n"  # Rule00001's priority
        if old not in original:
            raise SystemExit("the generated policy changed shape; update bench_service.py")
        times: list[float] = []
        at_start = list(prober.times)
        latencies: list[float] = []
        for k in range(edits):
            text = original.replace(old, f"  Priority                        {100 + k}\n", 1)
            client.messages.clear()
            with Prober(running) as prober:
                start = time.perf_counter()
                save(path, text)
                if client.wait_message("EZD1586I", 600) is None:
                    raise SystemExit("an edit of the 50,000-rule policy was not installed")
                times.append(time.perf_counter() - start)
            latencies += prober.times
            time.sleep(0.5)  # the watcher's quiet period
        report_edits(install, times, at_start, latencies)
        if not pasearch:
            return 0, 0.0
        start = time.perf_counter()
        lines = sum(1 for _line in client.pasearch_lines())
        return lines, time.perf_counter() - start


# --- (e) ------------------------------------------------------------------------------------
class Checker:
    """One raw connection that checks every reply object it reads."""

    def __init__(self, path: Path, reference: list[str]) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self.sock.settimeout(60)
        self.file = self.sock.makefile("rb")
        self.reference = reference
        self.numbers: list[str] = []
        self.problems: list[str] = []

    def close(self) -> None:
        """Disconnect."""
        self.file.close()
        self.sock.close()

    def send(self, req_id: int) -> None:
        """One D TCPIP,,N,CONFIG request."""
        obj = {"id": req_id, "op": "command", "text": CONFIG}
        self.sock.sendall((json.dumps(obj) + "\n").encode("utf-8"))

    def read(self) -> dict[str, Any]:
        """The next reply object."""
        line = self.file.readline()
        if not line:
            raise ServiceError("the service closed the connection")
        obj: dict[str, Any] = json.loads(line)
        return obj

    def expect(self, req_id: int) -> None:
        """Read one whole reply and check it is request ``req_id``'s, complete and in order."""
        texts: list[str] = []
        while True:
            obj = self.read()
            if obj.get("id") != req_id:
                self.problems.append(f"expected id {req_id}, got {obj}")
                return
            if obj.get("type") == "end":
                break
            if obj.get("type") != "line":
                self.problems.append(f"request {req_id}: unexpected {obj}")
                return
            texts.append(str(obj["text"]))
        if obj.get("status") != "ok" or obj.get("lines") != len(texts):
            self.problems.append(f"request {req_id}: end {obj} after {len(texts)} lines")
        first, *rest = texts or [""]
        head, _, number = first.rpartition(" ")
        ref_head = self.reference[0].rpartition(" ")[0]
        if head != ref_head or rest != self.reference[1:]:
            self.problems.append(f"request {req_id}: reply differs: {texts}")
        self.numbers.append(number)


def bench_clients(pipelined: bool) -> tuple[float, int, list[str]]:
    """20 clients x 200 commands at once: seconds, replies checked, problems found."""
    with service() as running:
        with running.client() as client:
            reference = client.command(CONFIG).texts
        checkers = [Checker(running.socket, reference) for _ in range(CLIENTS)]
        barrier = threading.Barrier(CLIENTS + 1)

        def work(checker: Checker) -> None:
            barrier.wait()
            try:
                if pipelined:
                    for i in range(PER_CLIENT):
                        checker.send(i)
                    for i in range(PER_CLIENT):
                        checker.expect(i)
                else:
                    for i in range(PER_CLIENT):
                        checker.send(i)
                        checker.expect(i)
            except (OSError, ServiceError, ValueError) as exc:
                checker.problems.append(f"client failed: {exc!r}")

        threads = [threading.Thread(target=work, args=(c,)) for c in checkers]
        for t in threads:
            t.start()
        barrier.wait()
        start = time.perf_counter()
        for t in threads:
            t.join()
        took = time.perf_counter() - start
        for c in checkers:
            c.close()
    problems = [p for c in checkers for p in c.problems]
    numbers = [n for c in checkers for n in c.numbers]
    if len(set(numbers)) != len(numbers):
        problems.append(f"{len(numbers) - len(set(numbers))} report numbers seen twice")
    return took, len(numbers), problems


# --- main -----------------------------------------------------------------------------------
def main() -> int:
    """Run every part and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--round-trips", type=int, default=2000)
    parser.add_argument("--session", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--big-edits", type=int, default=3)
    parser.add_argument("--only-big", action="store_true", help="run parts f and g only")
    parser.add_argument("--no-big", action="store_true", help="skip parts f and g")
    parser.add_argument("--no-pasearch", action="store_true", help="skip part g")
    args = parser.parse_args()
    print(f"pagent service benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if args.only_big:
        report_big(args.big_edits, pasearch=not args.no_pasearch)
        return 0

    with service() as running:
        median, p95, worst = bench_round_trip(running, args.round_trips)
    print(
        f"(a) D TCPIP round trip over the socket, {args.round_trips} commands: "
        f"median {ms(median)}, p95 {ms(p95)}, max {ms(worst)} "
        f"(budget {ms(ROUND_TRIP_BUDGET)} median: {verdict(median <= ROUND_TRIP_BUDGET)})"
    )

    with service() as running:
        took = bench_session(running, args.session)
    print(
        f"(b) scripted session of {args.session} commands through one client: {took:.2f} s "
        f"(budget {SESSION_BUDGET:g} s: {verdict(took <= SESSION_BUDGET)})"
    )

    install, times, median = bench_edit(args.edits)
    shown = ", ".join(ms(t) for t in times)
    print(
        f"(c) 1,000-rule policy: installed by S PAGENT in {install:.2f} s; save to EZD1586I "
        f"median {ms(median)} of [{shown}] "
        f"(budget {EDIT_BUDGET:g} s: {verdict(median <= EDIT_BUDGET)})"
    )

    install, before, after = bench_memory()
    print(
        f"(d) 10,000-rule policy: installed by S PAGENT in {install:.2f} s; service RSS "
        f"{after / 2**20:.0f} MB (before S PAGENT {before / 2**20:.0f} MB) "
        f"(budget {RSS_BUDGET / 2**20:.0f} MB: {verdict(after <= RSS_BUDGET)})"
    )

    for pipelined in (False, True):
        took, replies, problems = bench_clients(pipelined)
        mode = "pipelined" if pipelined else "one at a time"
        total = CLIENTS * PER_CLIENT
        ok = not problems and replies == total
        print(
            f"(e) {CLIENTS} clients x {PER_CLIENT} {CONFIG} at once ({mode}): {took:.2f} s, "
            f"{total / took:.0f} commands/s, {replies}/{total} replies checked, "
            f"{len(problems)} problems "
            f"(budget: no response lost or mixed up: {verdict(ok)})"
        )
        for problem in problems[:10]:
            print(f"    {problem}")
    if not args.no_big:
        report_big(args.big_edits, pasearch=not args.no_pasearch)
    return 0


def report_big(edits: int, *, pasearch: bool = True) -> None:
    """Parts f and g: the 50,000-rule policy."""
    lines, took = bench_big(edits, pasearch=pasearch)
    if not pasearch:
        return
    print(
        f"(g) pasearch of {BIG_RULES:,} installed rules through one client: {lines:,} lines "
        f"in {took:.2f} s (budget: every line arrives: {verdict(lines > BIG_RULES)})"
    )


def report_edits(
    install: float, times: list[float], at_start: list[float], during: list[float]
) -> None:
    """Part f's figures: D TCPIP during S PAGENT and during the refreshes, apart and all."""
    median = statistics.median(times)
    shown = ", ".join(f"{t:.2f} s" for t in times)
    print(
        f"(f) {BIG_RULES:,}-rule policy: installed by S PAGENT in {install:.2f} s; one-rule "
        f"edit to EZD1586I median {median:.2f} s of [{shown}] "
        f"(budget {BIG_EDIT_BUDGET:g} s: {verdict(median <= BIG_EDIT_BUDGET)})"
    )
    for what, latencies in (
        ("during S PAGENT", at_start),
        ("during the refreshes", during),
        ("while PAGENT works", at_start + during),
    ):
        if not latencies:
            continue
        worst = max(latencies)
        p95 = statistics.quantiles(latencies, n=100)[94] if len(latencies) > 1 else worst
        print(
            f"(f) D TCPIP {what} ({len(latencies)} commands): median "
            f"{ms(statistics.median(latencies))}, p95 {ms(p95)}, max {ms(worst)} "
            f"(budget {ms(DURING_BUDGET)} max: {verdict(worst <= DURING_BUDGET)})",
            flush=True,
        )


if __name__ == "__main__":
    raise SystemExit(main())
