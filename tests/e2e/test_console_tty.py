"""The real interactive console in a terminal, against a real service (issue 4 §4).

``python -m pagent console --root ROOT --no-start`` runs in a pseudo-terminal driven by
pexpect, as pgcli's behave steps drive pgcli (ecosystem-anchors §3: fixed size, colour
codes stripped before matching, the screen's tail shown when something is missing),
against the ``pagent serve`` of the ``service`` fixture (tests/e2e/conftest.py). The
terminal does not answer cursor-position requests, so ``PROMPT_TOOLKIT_NO_CPR`` is set; the
bottom toolbar, which prompt-toolkit draws only once it knows the cursor row, is checked in
tmux (capture-pane), which answers them, when tmux is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from tests.e2e.conftest import Service

pytestmark = pytest.mark.e2e

TIMEOUT = 10.0  # seconds to wait for anything on the screen
PROMPT = "===>"  # "WG31 ===> " (the blank after it is drawn as a cursor move)
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|[\r\x07\x08]")


def strip(raw: str) -> str:
    """The terminal output without escape sequences and carriage returns."""
    return _ANSI.sub("", raw)


def console_env() -> dict[str, str]:
    """The environment of the console: a plain xterm, no cursor-position requests."""
    env = dict(os.environ)
    env.update({"TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "LINES": "30", "COLUMNS": "120"})
    env.pop("NO_COLOR", None)
    return env


class Tty:
    """The console in a pseudo-terminal; :meth:`expect` finds text past the last match."""

    def __init__(self, root: Path) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "pagent", "console", "--root", str(root), "--no-start"],
            env=console_env(),
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(30, 120),
            timeout=TIMEOUT,
        )
        self.raw = ""
        self.mark = 0

    @property
    def screen(self) -> str:
        """Everything shown so far, escape sequences removed."""
        return strip(self.raw)

    def _read(self) -> bool:
        """Read what is there (up to 0.1 s); False at the end of the output."""
        try:
            self.raw += self.child.read_nonblocking(65536, timeout=0.1)
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            return False
        return True

    def expect(self, needle: str, timeout: float = TIMEOUT) -> int:
        """Wait until ``needle`` is shown after the last match; where it ends."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.screen.find(needle, self.mark)
            if at >= 0:
                self.mark = at + len(needle)
                return self.mark
            if not self._read() and self.screen.find(needle, self.mark) < 0:
                pytest.fail(f"the console ended before {needle!r}; screen:\n{self.screen[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"no {needle!r} within {timeout:g} s; screen:\n{self.screen[-3000:]}")

    def send(self, text: str) -> None:
        """Type ``text``."""
        self.child.send(text)

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        """Read to the end of the output; the exit status."""
        deadline = time.monotonic() + timeout
        while self._read():
            if time.monotonic() > deadline:
                pytest.fail(f"the console did not end; screen:\n{self.screen[-3000:]}")
        self.child.close()
        assert self.child.exitstatus is not None, self.child.signalstatus
        return int(self.child.exitstatus)


@pytest.fixture(name="tty")
def fixture_tty(service: Service) -> Iterator[Tty]:
    """The console on the service's root, at its prompt; ended if a test leaves it running."""
    tty = Tty(service.root)
    try:
        tty.expect(PROMPT)
        yield tty
    finally:
        if tty.child.isalive():
            tty.child.terminate(force=True)


def test_the_prompt_appears_and_d_tcpip_shows_the_report(tty: Tty) -> None:
    tty.send("D TCPIP\r")
    tty.expect("EZAOP50I TCPIP STATUS REPORT")
    tty.expect("TCPIP1      CS V2R3   ACTIVE")
    tty.expect("EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY")
    tty.expect(PROMPT)
    tty.send("EXIT\r")
    assert tty.wait_exit() == 0


def test_s_pagent_then_ezd1586i_arrives_unsolicited(tty: Tty) -> None:
    tty.send("S PAGENT\r")
    tty.expect("$HASP373 PAGENT   STARTED")  # the response...
    tty.expect("EZZ8431I PAGENT STARTING")  # ...then PAGENT's own messages as they come
    tty.expect("EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1")
    tty.send("\x04")  # Ctrl-D leaves too
    assert tty.wait_exit() == 0


def test_tab_completes_d_tcp_to_d_tcpip(tty: Tty) -> None:
    tty.send("D TCP")
    tty.expect("TCP")
    tty.send("\t")
    tty.expect("TCPIP")
    tty.send("\r")
    tty.expect("D TCPIP\nEZAOP50I")  # the echo of the completed line, then its response
    tty.send("QUIT\r")
    assert tty.wait_exit() == 0


def test_a_message_does_not_disturb_what_is_being_typed(tty: Tty, service: Service) -> None:
    tty.send("D TC")
    tty.expect("D TC")
    other = service.client()  # another operator starts PAGENT meanwhile
    assert other.command("S PAGENT").status == "ok"
    tty.expect("EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1")
    tty.send("PIP\r")
    tty.expect("D TCPIP\nEZAOP50I")
    tty.send("EXIT\r")
    assert tty.wait_exit() == 0


def test_an_invalid_command_gets_iee305i(tty: Tty) -> None:
    tty.send("xyz pagent\r")
    tty.expect("===> xyz pagent\nIEE305I XYZ      COMMAND INVALID")  # no second echo
    tty.send("EXIT\r")
    assert tty.wait_exit() == 0


def test_a_service_that_goes_away_is_said_and_ends_the_console_with_3(
    tty: Tty, service: Service
) -> None:
    service.kill9()
    tty.expect("lost the message connection to the service")
    tty.send("D TCPIP\r")
    tty.expect("lost the pagent service")
    assert tty.wait_exit() == 3


# --- in tmux: the toolbar and the log view -------------------------------------------------


class Tmux:
    """A private tmux server (its own socket) running the console in a 120x30 window."""

    def __init__(self, root: Path) -> None:
        self.server = f"pagent-test-{uuid.uuid4().hex[:12]}"
        command = " ".join(
            [sys.executable, "-m", "pagent", "console", "--root", str(root), "--no-start"]
        )
        env = {k: v for k, v in console_env().items() if k != "PROMPT_TOOLKIT_NO_CPR"}
        env["TERM"] = "screen"
        self._tmux("new-session", "-d", "-x", "120", "-y", "30", command, env=env)

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.server, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def screen(self) -> str:
        """The window's text now."""
        return self._tmux("capture-pane", "-p")

    def wait(self, condition: Callable[[str], bool], what: str) -> str:
        """Wait until the screen satisfies ``condition``; the screen."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {TIMEOUT:g} s; screen:\n{screen}")
            time.sleep(0.05)

    def keys(self, *keys: str) -> None:
        """Send tmux key names or literal text."""
        self._tmux("send-keys", *keys)

    def close(self) -> None:
        """End this tmux server (and the console in it)."""
        subprocess.run(
            ["tmux", "-L", self.server, "kill-server"],
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )


@pytest.fixture(name="tmux")
def fixture_tmux(service: Service) -> Iterator[Tmux]:
    """The console in tmux on the service's root, at its prompt."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    tmux = Tmux(service.root)
    try:
        tmux.wait(lambda s: PROMPT in s, "prompt")
        yield tmux
    finally:
        tmux.close()


def _toolbar(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def test_the_toolbar_shows_the_system_and_follows_it(tmux: Tmux) -> None:
    screen = tmux.wait(lambda s: "PAGENT NOT ACTIVE" in _toolbar(s), "toolbar")
    assert "WG31 │ TCPIP1 TTLS OFF │ PAGENT NOT ACTIVE" in _toolbar(screen)
    tmux.keys("S PAGENT", "Enter")
    tmux.wait(lambda s: "PAGENT ACTIVE" in _toolbar(s).replace("NOT ACTIVE", ""), "PAGENT ACTIVE")
    tmux.keys("V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)", "Enter")
    tmux.wait(lambda s: "TCPIP1 TTLS ON" in _toolbar(s), "TTLS ON")


def test_log_pages_through_syslogall_and_q_comes_back(tmux: Tmux, service: Service) -> None:
    tmux.keys("LOG", "Enter")
    screen = tmux.wait(lambda s: "syslogall.log  line" in s, "the log view")
    assert "service_started" in screen or "PAGENTSV" in screen
    tmux.keys("q")
    tmux.wait(lambda s: "syslogall.log  line" not in s and PROMPT in s, "the prompt again")
    tmux.keys("EXIT", "Enter")


def _prompt_lines(screen: str) -> list[str]:
    return [line.rstrip() for line in screen.splitlines() if PROMPT in line]


def test_a_typed_command_is_shown_once(tmux: Tmux) -> None:
    """The prompt line shows 'WG31 ===> S PAGENT'; no second 'S PAGENT' line (issue 9)."""
    tmux.keys("S PAGENT", "Enter")
    screen = tmux.wait(lambda s: "$HASP373 PAGENT" in s, "the response")
    lines = [line.strip() for line in screen.splitlines()]
    assert lines.count("S PAGENT") == 0, screen
    assert _prompt_lines(screen)[0] == "WG31 ===> S PAGENT"


def test_help_is_shown_once_and_lists_wait(tmux: Tmux) -> None:
    tmux.keys("HELP", "Enter")
    screen = tmux.wait(lambda s: "start the Policy Agent" in s, "the help")
    assert [line.strip() for line in screen.splitlines()].count("HELP") == 0, screen
    assert "WAIT msgid [seconds]" in screen


def test_f2_then_q_leaves_no_empty_prompt_behind(tmux: Tmux) -> None:
    """The prompt left for the log is erased; the one that comes back keeps what was typed."""
    tmux.keys("D TC")
    tmux.wait(lambda s: "===> D TC" in s, "the typed text")
    tmux.keys("F2")
    tmux.wait(lambda s: "syslogall.log  line" in s, "the log view")
    tmux.keys("q")
    screen = tmux.wait(
        lambda s: "syslogall.log  line" not in s and "===> D TC" in s, "the prompt again"
    )
    assert _prompt_lines(screen) == ["WG31 ===> D TC"], screen
