"""``pagent nca`` in a real terminal: the full-screen assistant drawn and driven (issue 12).

As tests/e2e/test_console_tty.py does for the console: a pseudo-terminal driven by pexpect,
colour and cursor codes stripped before matching.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.e2e.test_console_tty import console_env, strip

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 10.0


class Screen:
    """What the terminal showed, codes stripped; :meth:`wait_for` looks past the last find."""

    def __init__(self, child: pexpect.spawn[str]) -> None:
        self.child = child
        self.seen = ""
        self.mark = 0

    def wait_for(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = self.seen.find(text, self.mark)
            if found >= 0:
                self.mark = found + len(text)
                return
            with contextlib.suppress(pexpect.TIMEOUT):
                self.seen += strip(self.child.read_nonblocking(65536, timeout=0.2))
        pytest.fail(f"{text!r} did not show; the screen's tail:\n{self.seen[-2000:]}")


def test_the_assistant_draws_its_tabs_and_adds_an_image_in_a_terminal(tmp_path: Path) -> None:
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "pagent", "nca", "--root", str(tmp_path)],
        env=console_env(),
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(30, 120),
        timeout=TIMEOUT,
        cwd=str(REPO),
    )
    screen = Screen(child)
    try:
        screen.wait_for("Current Backing Store is USER1")
        screen.wait_for("Address Groups")
        child.send("n")
        screen.wait_for("New z/OS system image")
        for value in ("WG31", "TCPIP1", "Liberty.KeyRing", "1,2,4", ""):
            child.send(value + "\r")
            time.sleep(0.1)
        screen.wait_for("Incomplete")
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    doc = json.loads((tmp_path / "var/nca/USER1.json").read_text())
    assert [(i["name"], i["trace"]) for i in doc["images"]] == [("WG31", [1, 2, 4])]
