"""Interactive console start-up benchmark (issue 4 §5): prints figures, asserts nothing.

    python -m benchmarks.bench_console_start [--repeat 10]

With a real ``pagent serve`` running on a fresh root (``pagent init`` in a short /tmp
directory), the time from spawning ``python -m pagent console --root ROOT --no-start`` in
a pseudo-terminal (pexpect) to its prompt on the screen, the median of ``--repeat`` runs
(budget 0.5 s); each console is then left with Ctrl-D and must exit 0. Beside it, for
scale: the same spawn of a bare ``python -c "print('===>')"`` (the interpreter's own
share), and the time to import prompt-toolkit's parts the console uses.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import pexpect

from benchmarks.running import service

BUDGET = 0.5  # seconds from starting the console to its prompt (issue 4 §5)
PROMPT = "===>"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # pexpect's terminal does not answer cursor-position requests (tests/e2e does the same).
    env.update({"TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"})
    return env


def to_prompt(args: list[str], *, leave: bool) -> float:
    """Seconds from spawning ``python ARGS`` in a pty to ``===>`` on its screen."""
    start = time.perf_counter()
    child = pexpect.spawn(
        sys.executable, args, env=_env(), encoding="utf-8", dimensions=(30, 120), timeout=10
    )
    try:
        child.expect_exact(PROMPT)
        took = time.perf_counter() - start
        if leave:
            child.send("\x04")  # Ctrl-D
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    if leave and child.exitstatus != 0:
        raise SystemExit(f"the console exited with {child.exitstatus}: {child.before!r}")
    return took


def import_time() -> float:
    """Seconds to import the prompt-toolkit parts console.app uses, in a fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); import console.app; print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)

    with service() as running:
        root = running.root
        console = ["-m", "pagent", "console", "--root", str(root), "--no-start"]
        to_prompt(console, leave=True)  # warm the file cache and the byte-code
        runs = [to_prompt(console, leave=True) for _ in range(args.repeat)]
    bare = [to_prompt(["-c", f"print('{PROMPT}')"], leave=False) for _ in range(args.repeat)]
    imports = statistics.median(import_time() for _ in range(3))

    median = statistics.median(runs)
    verdict = "within budget" if median <= BUDGET else "OVER BUDGET"
    print(f"interactive console, spawn in a pty to its prompt, budget {BUDGET:g} s:")
    print(
        f"  median {median:.3f} s of {args.repeat} (best {min(runs):.3f} s, "
        f"worst {max(runs):.3f} s)  {verdict}"
    )
    print(f"  (a bare python printing the prompt: median {statistics.median(bare):.3f} s;")
    print(f"   importing console.app with prompt-toolkit: {imports:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
