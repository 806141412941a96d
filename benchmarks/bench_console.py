"""Console benchmark (issue 4 §5): prints its figures and their budgets, asserts nothing.

    python -m benchmarks.bench_console [--lines 1000] [--repeat 3]

Against a real ``pagent serve`` on a fresh root (``pagent init`` in a short /tmp directory):

* a scripted session of ``--lines`` lines (S PAGENT and WAIT EZD1586I first, then a mix
  of D TCPIP, D TCPIP,,N,CONFIG, F PAGENT,QUERY and V TCPIP,,OBEY of
  SYS1.TCPPARMS(TTLS) and (NOTTLS)) run by ``python -m pagent console --script``: wall
  time from start to exit, text and --json output (budget 5 s for 1,000 lines);
* start-up: ``python -m pagent console -c "D TCPIP"`` from start to exit with a service
  running, a proxy for the console's time to its prompt (budget 0.5 s); beside it, a bare
  ``python -c pass`` for the interpreter's own share; and, for information, the same
  when no service runs and the console starts one (no budget: the service's own start).

Each figure is the best of ``--repeat`` runs (start-up: the median too). Every script run
begins on a fresh root, since S PAGENT fails when PAGENT is already active.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.running import MIX, service
from pagent.service.pidfile import read_pid

SCRIPT_BUDGET = 5.0  # seconds for 1,000 lines (issue 4 §5)
STARTUP_BUDGET = 0.5  # seconds from starting the console to its prompt (issue 4 §5)


def script_text(lines: int) -> str:
    """The benchmark script: S PAGENT, WAIT EZD1586I, then the mix, ``lines`` in all."""
    body = [MIX[index % len(MIX)] for index in range(lines - 2)]
    return "\n".join(["S PAGENT", "WAIT EZD1586I", *body]) + "\n"


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of one process, start to exit, and its result."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def console(root: Path, *args: str) -> list[str]:
    """The argv of ``python -m pagent console --no-start --root ROOT ARGS``."""
    return [sys.executable, "-m", "pagent", "console", "--no-start", "--root", str(root), *args]


def bench_script(lines: int, repeat: int, *, as_json: bool) -> float:
    """Best wall time of the scripted session."""
    best = float("inf")
    for _ in range(repeat):
        with service() as running:
            root = running.root
            path = root / "bench.script"
            path.write_text(script_text(lines), "utf-8")
            took, done = timed(console(root, "--script", str(path), *(["--json"] * as_json)))
            if done.returncode != 0:
                raise SystemExit(f"the script failed ({done.returncode}): {done.stderr}")
            out = done.stdout.splitlines()
            if as_json:
                assert len(out) == lines  # one object per command or WAIT
            else:  # every command echoed (the WAIT is not)
                assert sum(line in MIX or line == "S PAGENT" for line in out) == lines - 1
            best = min(best, took)
    return best


def bench_startup(repeat: int) -> tuple[float, float, float]:
    """Best and median console start-to-exit for one command; best bare interpreter."""
    with service() as running:
        root = running.root
        runs = []
        for _ in range(max(repeat, 5)):
            took, done = timed(console(root, "-c", "D TCPIP"))
            if done.returncode != 0:
                raise SystemExit(f"D TCPIP failed ({done.returncode}): {done.stderr}")
            runs.append(took)
    bare = min(timed([sys.executable, "-c", "pass"])[0] for _ in range(max(repeat, 5)))
    return min(runs), statistics.median(runs), bare


def bench_autostart(repeat: int) -> float:
    """Best console start-to-exit for one command when it has to start the service."""
    best = float("inf")
    for _ in range(repeat):
        base = Path(tempfile.mkdtemp(prefix="pb", dir="/tmp"))
        root = base / "r"
        subprocess.run(
            [sys.executable, "-m", "pagent", "init", str(root)], check=True, capture_output=True
        )
        try:
            argv = [sys.executable, "-m", "pagent", "console", "--root", str(root)]
            took, done = timed([*argv, "-c", "D TCPIP"])
            if done.returncode != 0:
                raise SystemExit(f"auto-start failed ({done.returncode}): {done.stderr}")
            best = min(best, took)
        finally:
            pid = read_pid(root / "var" / "run" / "pagent.pid")
            if pid is not None:
                os.kill(pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while (root / "var" / "run" / "pagent.pid").exists():
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.02)
            shutil.rmtree(base, ignore_errors=True)
    return best


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    text = bench_script(args.lines, args.repeat, as_json=False)
    as_json = bench_script(args.lines, args.repeat, as_json=True)
    best, median, bare = bench_startup(args.repeat)
    autostart = bench_autostart(args.repeat)
    budget = SCRIPT_BUDGET * args.lines / 1000
    verdict = {True: "within budget", False: "OVER BUDGET"}
    print(f"console script, {args.lines} lines (best of {args.repeat}), budget {budget:g} s:")
    for name, took in (("text", text), ("--json", as_json)):
        per_line = took / args.lines * 1000
        print(f"  {name:6}  {took:6.3f} s  {per_line:.2f} ms/line  {verdict[took <= budget]}")
    print(f"console -c 'D TCPIP', start to exit, budget {STARTUP_BUDGET:g} s:")
    print(f"  best {best:.3f} s, median {median:.3f} s  {verdict[median <= STARTUP_BUDGET]}")
    print(f"  (a bare python -c pass: {bare:.3f} s)")
    print(f"console -c 'D TCPIP' starting the service itself: best {autostart:.3f} s (no budget)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
