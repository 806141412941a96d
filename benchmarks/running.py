"""A running service for benchmarks: a fresh root with ``pagent serve`` on it."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pagent.service.client import ControlClient, ServiceError, socket_path


@contextmanager
def service() -> Iterator[Path]:
    """A fresh root with ``pagent serve`` running on it; stopped and removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="pb", dir="/tmp"))  # short: socket paths are limited
    root = base / "r"
    subprocess.run(
        [sys.executable, "-m", "pagent", "init", str(root)], check=True, capture_output=True
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pagent", "serve", "--root", str(root)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with ControlClient(socket_path(root), timeout=2) as client:
                    client.ping()
                break
            except ServiceError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("pagent serve did not come up") from None
                time.sleep(0.02)
        yield root
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(base, ignore_errors=True)
