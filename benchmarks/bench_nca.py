"""NCA benchmark (issue 12): Install, import and one scripted command; prints, asserts nothing.

    python -m benchmarks.bench_nca [--rules 200] [--repeat 5]

* Install of the workshop's store (one rule): generate, check with the policy layer, write
  the file and the image file, in process (the store saved by the caller is not counted);
* Install of a store of ``--rules`` connectivity rules, each with its own descriptor (a
  server port each), sharing one security level: the same steps;
* Import of that installed file back into an empty store, with the effect comparison;
* one ``pagent nca`` command as a user runs it (``python -m pagent nca list``), start to
  exit, beside a bare ``python -c pass``.

Each figure is the best of ``--repeat`` runs. There is no peer: the NCA runs in z/OSMF,
which this machine does not have; the figures are pagent's own.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from pagent.nca import edit
from pagent.nca.importer import import_policy
from pagent.nca.install import install
from pagent.nca.model import (
    ConnectivityRule,
    Image,
    MapRow,
    Port,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
    TrafficType,
)

REPO = Path(__file__).resolve().parents[1]
CLOCK = datetime(2026, 1, 1, 0, 0, 0)


def store_of(rules: int) -> Store:
    """WG31/TCPIP1 with ``rules`` server rules on ports 10000, 10001, ..."""
    s = Store("USER1")
    s = edit.put_image(s, Image("WG31", keyring="Liberty.KeyRing", trace=(1, 2, 4)))
    s = edit.put_stack(s, "WG31", Stack("TCPIP1"))
    s = edit.put(s, "level", SecurityLevel("Sec", ("TLSv1.2",)))
    for n in range(rules):
        port = 10000 + n
        t = TrafficType(local_port=Port("single", port, port), direction="Inbound", role="Server")
        s = edit.put(s, "descriptor", TrafficDescriptor(f"TD{n}", (t,)))
        s = edit.put(s, "map", RequirementMap(f"Map{n}", (MapRow(f"TD{n}", "Sec"),)))
        s = edit.put_rule(s, "WG31", "TCPIP1", ConnectivityRule(f"Rule{n}", f"Map{n}"))
    return s


def best(repeat: int, run: Callable[[], object]) -> float:
    """The best wall time of ``repeat`` runs, seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bn", dir="/tmp"))
    try:
        root = base / "r"
        shutil.copytree(REPO / "etc", root / "etc")
        one, many = store_of(1), store_of(args.rules)
        t_one = best(args.repeat, lambda: install(root, one, "WG31", "TCPIP1", lambda: CLOCK))
        t_many = best(args.repeat, lambda: install(root, many, "WG31", "TCPIP1", lambda: CLOCK))
        policy = root / "etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol"
        t_import = best(
            args.repeat, lambda: import_policy(Store("USER1"), policy, "WG31", "TCPIP1")
        )
        cmd = [sys.executable, "-m", "pagent", "nca", "--root", str(root), "list"]
        t_cli = best(args.repeat, lambda: subprocess.run(cmd, capture_output=True, check=True))
        t_bare = best(
            args.repeat,
            lambda: subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True),
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"install, 1 rule (the workshop):       {t_one * 1000:8.1f} ms")
    print(f"install, {args.rules} rules:                  {t_many * 1000:8.1f} ms")
    print(f"import of the {args.rules}-rule file:           {t_import * 1000:8.1f} ms")
    print(f"pagent nca list (process):            {t_cli * 1000:8.1f} ms")
    print(f"python -c pass (the interpreter):     {t_bare * 1000:8.1f} ms")
    print("peer: none on this machine (the NCA runs in z/OSMF)")


if __name__ == "__main__":
    main()
