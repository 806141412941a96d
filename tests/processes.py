"""Helpers for tests that run real pagent processes: fresh roots and polling."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` every 20 ms until it holds (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def make_root(prefix: str, *, datapath: str = "OFF") -> Path:
    """A fresh root made by ``python -m pagent init`` in a short /tmp directory.

    Short because Unix socket paths are limited to about 100 bytes. The data path (a
    network namespace per service, docs/datapath.md) is OFF unless a test asks for it, so
    that the many services of the other tests stay cheap and leave nothing behind.
    """
    base = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    root = base / "r"
    done = subprocess.run(
        [sys.executable, "-m", "pagent", "init", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pagent init failed ({done.returncode}): {done.stderr}")
    conf = root / "etc" / "system.conf"
    conf.write_text(
        re.sub(r"(?m)^DATAPATH\s+\S+", f"DATAPATH  {datapath}", conf.read_text("utf-8")), "utf-8"
    )
    return root
