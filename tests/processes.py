"""Helpers for tests that run real pagent processes: fresh roots and polling."""

from __future__ import annotations

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


def make_root(prefix: str) -> Path:
    """A fresh root made by ``python -m pagent init`` in a short /tmp directory.

    Short because Unix socket paths are limited to about 100 bytes.
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
    return root
