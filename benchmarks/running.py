"""A running service for benchmarks: a fresh root with ``pagent serve`` on it."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.gen_policy import policy_text
from pagent.service.client import ControlClient, ServiceError, socket_path

POLICY = Path("etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy")

# The operator commands a session benchmark cycles through (bench_service, bench_console):
# displays, a query, and the TTLS switch both ways, so that the state stays the same.
MIX = (
    "D TCPIP",
    "D TCPIP,,N,CONFIG",
    "F PAGENT,QUERY",
    "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
    "D TCPIP,,N,CONFIG",
    "F PAGENT,QUERY",
    "V TCPIP,,OBEY,SYS1.TCPPARMS(NOTTLS)",
)


@dataclass
class Running:
    """A service this benchmark started."""

    root: Path
    process: subprocess.Popen[bytes]

    @property
    def socket(self) -> Path:
        """Its control socket."""
        return socket_path(self.root)

    def client(self, timeout: float = 60.0) -> ControlClient:
        """A new connection."""
        return ControlClient(self.socket, timeout=timeout)


@contextmanager
def service(rules: int | None = None, *, datapath: str = "OFF") -> Iterator[Running]:
    """A fresh root (with a ``rules``-rule policy if given) and ``pagent serve`` on it.

    ``datapath`` (AUTO, ON or OFF) replaces the root's ``DATAPATH`` statement of
    etc/system.conf; OFF by default, so that benchmarks build no network namespace.
    """
    if datapath.upper() not in ("AUTO", "ON", "OFF"):
        raise ValueError(f"datapath must be AUTO, ON or OFF, not {datapath!r}")
    base = Path(tempfile.mkdtemp(prefix="pb", dir="/tmp"))  # short: socket paths are limited
    root = base / "r"
    subprocess.run(
        [sys.executable, "-m", "pagent", "init", str(root)], check=True, capture_output=True
    )
    conf = root / "etc" / "system.conf"
    text, count = re.subn(
        r"^DATAPATH[ \t]+\S+", f"DATAPATH  {datapath.upper()}", conf.read_text("utf-8"), flags=re.M
    )
    conf.write_text(text if count else f"{text}DATAPATH  {datapath.upper()}\n", "utf-8")
    if rules is not None:
        (root / POLICY).write_text(policy_text(rules), "utf-8")
    with (base / "serve.err").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pagent", "serve", "--root", str(root)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    running = Running(root, proc)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with running.client(timeout=2) as client:
                    client.ping()
                break
            except ServiceError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    stderr = (base / "serve.err").read_text("utf-8", "replace")
                    raise SystemExit(f"pagent serve did not come up:\n{stderr}") from None
                time.sleep(0.02)
        yield running
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(base, ignore_errors=True)
