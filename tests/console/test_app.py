"""The interactive console driven without a terminal (issue 4 §4).

The app runs in the test's main thread on prompt-toolkit's pipe input and DummyOutput
(ecosystem-anchors §3, the official unit-testing recipe), against a fake client with the
methods of ControlClient and a fake subscribed connection. What it prints goes to a list
(the app's ``printer``), and a feeder thread types into the pipe once what it waits for has
been printed. A feeder that waits in vain makes the app leave and the test fail.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.formatted_text import StyleAndTextTuples, fragment_list_to_text
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from console.app import EXIT_NO_SERVICE, HISTORY_FILE, ConsoleApp, run_app
from console.pager import LogTail
from console.toolbar import toolbar_text
from pagent.service.client import Reply, ServiceError

F1 = "\x1bOP"
F2 = "\x1bOQ"
UP = "\x1b[A"
CTRL_C = "\x03"
CTRL_D = "\x04"
GIVE_UP = "q" + CTRL_C + "\x15" + CTRL_D  # leaves the pager, drops the line, leaves
WAIT = 10.0  # seconds a step waits for what it expects


def _line(text: str, msgid: str | None = None) -> dict[str, Any]:
    return {"type": "line", "msgid": msgid, "text": text, "time": "2026-11-24T18:11:59+00:00"}


def _message(text: str) -> dict[str, Any]:
    return {"type": "message", "msgid": text.split(maxsplit=1)[0], "text": text, "time": "t"}


D_TCPIP = [
    _line("EZAOP50I TCPIP STATUS REPORT 001", "EZAOP50I"),
    _line(" COUNT  TCPIP NAME  VERSION   STATUS"),
    _line("    1   TCPIP1      CS V2R3   ACTIVE"),
    _line(" *** END TCPIP STATUS REPORT ***"),
    _line("EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY", "EZAOP41I"),
]
PAGENT_MESSAGES = [
    "EZZ8431I PAGENT STARTING",
    "EZZ8432I PAGENT INITIALIZATION COMPLETE",
    "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1",
]


class FakeListener:
    """A subscribed connection: :meth:`push` a message, the app receives it."""

    def __init__(self) -> None:
        self.queue: queue.Queue[dict[str, Any] | Exception] = queue.Queue()
        self.closed = False

    def push(self, item: dict[str, Any] | Exception) -> None:
        self.queue.put(item)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            item = self.queue.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        self.closed = True


class FakeClient:
    """The methods of ControlClient the app uses, answering as the service would."""

    def __init__(self, root: Path, listener: FakeListener) -> None:
        self.path = root / "var" / "run" / "pagent.sock"
        self.listener = listener
        self.commands: list[str] = []
        self.status_calls = 0
        self.pagent = False
        self.fail: ServiceError | None = None
        self.lock = threading.Lock()  # two threads at once on one connection is a bug
        self.overlaps = 0

    def _enter(self) -> None:
        if not self.lock.acquire(blocking=False):
            self.overlaps += 1
            self.lock.acquire()

    def command(self, text: str) -> Reply:
        self._enter()
        try:
            self.commands.append(text)
            if self.fail is not None:
                raise self.fail
            verb = text.split(maxsplit=1)[0].upper()
            if text.upper() == "D TCPIP":
                return Reply(D_TCPIP, "ok")
            if text.upper() == "S PAGENT":
                self.pagent = True
                for message in PAGENT_MESSAGES:  # they come while the reply is on its way
                    self.listener.push(_message(message))
                time.sleep(0.3)
                return Reply(
                    [
                        _line("$HASP100 PAGENT   ON STCINRDR", "$HASP100"),
                        _line("$HASP373 PAGENT   STARTED", "$HASP373"),
                    ],
                    "ok",
                )
            if verb in ("HELP", "H"):
                return Reply(
                    [_line("S PAGENT                          start the Policy Agent")], "ok"
                )
            if verb == "P":
                return Reply([_line("IEE341I PAGENT NOT ACTIVE", "IEE341I")], "rejected")
            return Reply([_line(f"IEE305I {verb:<8} COMMAND INVALID", "IEE305I")], "rejected")
        finally:
            self.lock.release()

    def status(self) -> dict[str, Any]:
        self._enter()
        try:
            self.status_calls += 1
            if self.fail is not None:
                raise self.fail
            return {
                "type": "status",
                "image": "WG31",
                "pagent": self.pagent,
                "stacks": [{"name": "TCPIP1", "ttls": False}],
            }
        finally:
            self.lock.release()


Step = str | Callable[[], bool]
"""Text to type, or a condition to wait for before the next step."""


@dataclass
class Console:
    """One console session under test, and what it printed."""

    root: Path
    listener: FakeListener = field(default_factory=FakeListener)
    printed: list[StyleAndTextTuples] = field(default_factory=list)
    started: bool = False
    client: FakeClient = field(init=False)
    app: ConsoleApp = field(init=False)
    missed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = FakeClient(self.root, self.listener)
        self.app = ConsoleApp(
            self.root,
            self.client,
            started=self.started,
            listener=self.listener,
            printer=self.printed.append,
        )

    @property
    def text(self) -> str:
        """Everything printed so far, without styles."""
        return "".join(fragment_list_to_text(fragments) for fragments in list(self.printed))

    def shows(self, needle: str) -> Callable[[], bool]:
        """A step: wait until ``needle`` has been printed."""
        return lambda: needle in self.text

    def styles_of(self, needle: str) -> list[str]:
        """The styles of the printed fragments whose text holds ``needle``."""
        return [
            style
            for fragments in list(self.printed)
            for style, text, *_ in fragments
            if needle in text
        ]

    def run(self, *steps: Step) -> int:
        """Run the app with ``steps`` typed in and waited for; its exit code."""
        return self._run(steps, self.app.run)

    def run_app(self, *steps: Step) -> int:
        """The same through :func:`console.app.run_app` (a new app on the same fakes)."""
        return self._run(steps, None)

    def _run(
        self, steps: tuple[Step, ...], coroutine: Callable[[], Coroutine[Any, Any, int]] | None
    ) -> int:
        with create_pipe_input() as pipe:

            def feed() -> None:
                for step in steps:
                    if isinstance(step, str):
                        pipe.send_text(step)
                        continue
                    deadline = time.monotonic() + WAIT
                    while not step():
                        if time.monotonic() > deadline:
                            self.missed.append(f"step {steps.index(step)} of {steps!r}")
                            pipe.send_text(GIVE_UP)
                            return
                        time.sleep(0.01)

            feeder = threading.Thread(target=feed, daemon=True)
            feeder.start()
            if coroutine is None:
                code = run_app(
                    self.root,
                    self.client,
                    started=self.started,
                    listener=self.listener,
                    input=pipe,
                    output=DummyOutput(),
                    printer=self.printed.append,
                )
            else:
                with create_app_session(input=pipe, output=DummyOutput()):
                    code = asyncio.run(coroutine())
            feeder.join(WAIT)
        assert not self.missed, f"never printed what a step waited for:\n{self.text}"
        return code


@pytest.fixture(name="console")
def fixture_console(tmp_path: Path) -> Console:
    """A console session on a fresh root (var/ exists, as ``pagent init`` lays it out)."""
    (tmp_path / "var" / "syslogd").mkdir(parents=True)
    return Console(tmp_path)


def act(action: Callable[[], object]) -> Step:
    """A step: do ``action`` (from the feeder thread), then go on."""

    def step() -> bool:
        action()
        return True

    return step


def prompt_is_up(console: Console) -> Callable[[], bool]:
    """A step: wait until the prompt runs (the banner comes just before it)."""
    app = console.app

    def up() -> bool:
        return app.session is not None and app.session.app.is_running

    return up


def typed(console: Console, text: str) -> Callable[[], bool]:
    """A step: wait until the command line holds ``text``."""
    app = console.app

    def holds() -> bool:
        return app.session is not None and app.session.default_buffer.text == text

    return holds


# --- commands ----------------------------------------------------------------------------------


def test_a_command_is_sent_and_its_response_printed_without_a_second_echo(
    console: Console,
) -> None:
    """The prompt line shows what was typed; the console does not echo it again (issue 9)."""
    code = console.run("d tcpip\r", console.shows("EZAOP41I"), "EXIT\r")
    assert code == 0
    assert console.client.commands == ["d tcpip"]
    assert "\nEZAOP50I TCPIP STATUS REPORT 001\n COUNT  TCPIP NAME" in console.text
    assert "D TCPIP\n" not in console.text
    assert console.styles_of("EZAOP50I") == ["class:msg.info"]


def test_the_banner_names_the_image_and_how_to_leave(console: Console) -> None:
    console.run(prompt_is_up(console), "EXIT\r")
    first = console.text.splitlines()[0]
    assert "WG31" in first
    assert "HELP" in first
    assert "Ctrl-D" in first
    assert "started" not in console.text


def test_a_service_the_console_started_is_mentioned_once(tmp_path: Path) -> None:
    console = Console(tmp_path, started=True)
    console.run(prompt_is_up(console), "D TCPIP\r", console.shows("EZAOP41I"), "EXIT\r")
    assert console.text.count("started the pagent service") == 1


def test_a_rejected_command_shows_its_verdict_as_an_error(console: Console) -> None:
    console.run(
        "xyz a\r", console.shows("IEE305I"), "P PAGENT\r", console.shows("IEE341I"), "EXIT\r"
    )
    assert "\nIEE305I XYZ      COMMAND INVALID\n" in console.text
    assert console.styles_of("IEE305I") == ["class:msg.error"]
    assert console.styles_of("IEE341I") == ["class:msg.error"]


@pytest.mark.parametrize("leave", ["EXIT\r", "quit\r", " Exit now\r", CTRL_D])
def test_exit_quit_and_ctrl_d_leave_with_0(console: Console, leave: str) -> None:
    assert console.run(prompt_is_up(console), leave) == 0
    assert console.client.commands == []
    assert console.listener.closed


def test_ctrl_c_drops_the_line_and_the_console_goes_on(console: Console) -> None:
    code = console.run("D TCP" + CTRL_C, "D TCPIP\r", console.shows("EZAOP41I"), "EXIT\r")
    assert code == 0
    assert console.client.commands == ["D TCPIP"]


def test_help_puts_the_console_commands_before_the_systems(console: Console) -> None:
    console.run("help\r", console.shows("start the Policy Agent"), "EXIT\r")
    text = console.text
    assert console.client.commands == ["help"]
    assert "HELP\n" not in text  # typed: the prompt line shows it, no second echo (issue 9)
    assert text.index("Console commands") < text.index("S PAGENT  ")
    for local in ("LOG ", "LOG F | LOG FOLLOW", "EXIT | QUIT", "WAIT msgid [seconds]"):
        assert local in text
    assert "Tab completes" in text


def test_f1_shows_the_help_above_the_prompt(console: Console) -> None:
    console.run(
        prompt_is_up(console),
        "D T" + F1,
        console.shows("start the Policy Agent"),
        "CPIP\r",
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert console.client.commands == ["HELP", "D TCPIP"]
    # F1's HELP was not typed: it is echoed, once, above its answer.
    assert console.text.count("HELP\n") == 1
    assert console.text.index("HELP\n") < console.text.index("Console commands")
    assert "Console commands" in console.text


def test_tab_completes_the_word_being_typed(console: Console) -> None:
    console.run(
        prompt_is_up(console),
        "D TCP\t",
        typed(console, "D TCPIP"),
        "\r",
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert console.client.commands == ["D TCPIP"]


# --- unsolicited messages and the toolbar ---------------------------------------------------------


def test_an_unsolicited_message_is_shown_while_the_operator_types(console: Console) -> None:
    code = console.run(
        prompt_is_up(console),
        "D TCP",
        act(lambda: console.listener.push(_message(PAGENT_MESSAGES[-1]))),
        console.shows("EZD1586I"),
        "IP\r",  # what was typed before the message is still there
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert code == 0
    assert console.client.commands == ["D TCPIP"]
    assert console.styles_of("EZD1586I") == ["class:msg.unsolicited class:msg.info"]


def test_messages_a_command_causes_follow_its_response(console: Console) -> None:
    console.run("S PAGENT\r", console.shows("EZD1586I"), "EXIT\r")
    text = console.text
    assert text.index("$HASP373") < text.index("EZZ8431I") < text.index("EZD1586I")
    assert console.client.overlaps == 0


def test_the_status_is_asked_again_after_a_command(console: Console) -> None:
    console.run("S PAGENT\r", console.shows("EZD1586I"), "EXIT\r")
    assert console.client.status_calls >= 2  # at the start, then after the command
    assert console.app.status is not None
    assert "PAGENT ACTIVE" in toolbar_text(console.app.status)


def test_the_status_is_asked_again_when_a_message_arrives(console: Console) -> None:
    console.run(
        prompt_is_up(console),
        lambda: console.client.status_calls == 1,
        act(lambda: console.listener.push(_message("EZZ8771I X"))),
        console.shows("EZZ8771I"),
        lambda: console.client.status_calls == 2,
        "EXIT\r",
    )
    assert console.client.commands == []


def test_a_lost_message_connection_is_said_and_shown_in_the_toolbar(console: Console) -> None:
    code = console.run(
        prompt_is_up(console),
        act(lambda: console.listener.push(ServiceError("the service closed the connection"))),
        console.shows("lost the message connection"),
        "EXIT\r",
    )
    assert code == 0
    assert console.app.lost == "the service closed the connection"
    assert "SERVICE LOST" in toolbar_text(console.app.status, lost=console.app.lost)


# --- the service going away ----------------------------------------------------------------------


def test_a_lost_service_ends_the_session_with_3(console: Console) -> None:
    console.client.fail = None
    code = console.run(
        prompt_is_up(console),
        act(lambda: setattr(console.client, "fail", ServiceError("no reply within 30 s"))),
        "D TCPIP\r",
    )
    assert code == EXIT_NO_SERVICE
    assert "lost the pagent service: no reply within 30 s" in console.text


def test_a_service_that_does_not_answer_at_the_start_gives_3(console: Console) -> None:
    console.client.fail = ServiceError("gone")
    assert console.run() == EXIT_NO_SERVICE
    assert "does not answer: gone" in console.text


# --- history ------------------------------------------------------------------------------------


def test_history_is_kept_under_var_and_recalled_with_up(console: Console) -> None:
    console.run("D TCPIP\r", console.shows("EZAOP41I"), "EXIT\r")
    assert "D TCPIP" in (console.root / HISTORY_FILE).read_text()
    again = Console(console.root)
    again.run(prompt_is_up(again), UP + UP + "\r", again.shows("EZAOP41I"), "EXIT\r")
    assert again.client.commands == ["D TCPIP"]


# --- run_app ------------------------------------------------------------------------------------


def test_run_app_runs_the_session(console: Console) -> None:
    code = console.run_app("D TCPIP\r", console.shows("EZAOP41I"), "QUIT\r")
    assert code == 0
    assert console.client.commands == ["D TCPIP"]


def test_run_app_without_a_listener_says_messages_cannot_be_shown(console: Console) -> None:
    # FakeClient.path names no socket: the second connection cannot be opened.
    with create_pipe_input() as pipe:
        pipe.send_text("EXIT\r")
        printed: list[StyleAndTextTuples] = []
        code = run_app(
            console.root,
            console.client,
            started=False,
            input=pipe,
            output=DummyOutput(),
            printer=printed.append,
        )
    assert code == 0
    text = "".join(fragment_list_to_text(f) for f in printed)
    assert "unsolicited messages cannot be shown" in text


# --- the log ------------------------------------------------------------------------------------


def _log(root: Path) -> Path:
    return root / "var" / "syslogd" / "syslogall.log"


def test_log_opens_the_pager_and_q_comes_back(console: Console) -> None:
    _log(console.root).write_text("".join(f"line {n}\n" for n in range(1, 200)))
    code = console.run(
        "LOG\r",
        lambda: console.app.holding,
        act(lambda: console.listener.push(_message("EZD1586I HELD"))),
        act(lambda: time.sleep(0.5)),  # the message arrives while the pager is open
        lambda: "EZD1586I" not in console.text,
        "q",
        console.shows("EZD1586I HELD"),  # and is shown once the console is back
        "EXIT\r",
    )
    assert code == 0
    assert console.client.commands == []


def test_f2_opens_the_log_and_keeps_what_was_typed(console: Console) -> None:
    _log(console.root).write_text("line 1\n")
    console.run(
        prompt_is_up(console),
        "D TC" + F2,
        lambda: console.app.holding,
        "q",
        lambda: not console.app.holding,
        prompt_is_up(console),
        "PIP\r",
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert console.client.commands == ["D TCPIP"]


def test_log_follow_shows_the_last_lines_then_new_ones_until_ctrl_c(console: Console) -> None:
    log = _log(console.root)
    log.write_text("".join(f"old {n}\n" for n in range(1, 16)))

    def append() -> bool:
        with log.open("a") as file:
            file.write("Nov 24 WG31 PAGENT[1]: EZD1287E TTLS Error RC: 5002\n")
        return True

    code = console.run(
        "LOG F\r",
        console.shows("old 15"),
        append,
        console.shows("EZD1287E"),
        CTRL_C,
        lambda: not console.app.holding,
        "D TCPIP\r",
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert code == 0
    assert "old 5\n" not in console.text  # ten lines of backlog: 6 to 15
    assert "old 6\n" in console.text
    assert console.styles_of("EZD1287E") == ["class:msg.error"]


def test_log_says_so_when_there_is_no_log_or_a_wrong_operand(console: Console) -> None:
    console.run(
        "LOG\r", console.shows("no log yet"), "LOG X\r", console.shows("LOG takes"), "EXIT\r"
    )
    assert console.client.commands == []


# --- the log file reader -----------------------------------------------------------------------


def test_logtail_reads_whole_lines_then_what_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "log"
    tail = LogTail(path)
    assert tail.read_all() == []  # no file yet
    path.write_text("a\nb\npart")
    assert tail.read_new() == ["a", "b"]
    with path.open("a") as file:
        file.write("ial\nc\n")
    assert tail.read_new() == ["partial", "c"]
    assert tail.read_new() == []
    assert not tail.reset


def test_logtail_starts_again_when_the_file_is_truncated_or_replaced(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_text("one\ntwo\n")
    tail = LogTail(path)
    assert tail.read_all() == ["one", "two"]
    path.write_text("new\n")  # shorter: truncated
    assert tail.read_new() == ["new"]
    assert tail.reset
    replacement = tmp_path / "log.new"
    replacement.write_text("rotated\nfile\nlonger than before\n")
    replacement.replace(path)
    assert tail.read_new() == ["rotated", "file", "longer than before"]
    assert tail.reset


def test_a_line_ending_in_plus_continues_on_the_next_one(console: Console) -> None:
    code = console.run(
        "d +\r",
        prompt_is_up(console),
        "  tcpip\r",
        console.shows("EZAOP41I"),
        "EXIT\r",
    )
    assert code == 0
    assert console.client.commands == ["d tcpip"]


def test_a_command_too_long_to_send_is_refused_and_the_session_goes_on(console: Console) -> None:
    """Over 64 KiB the service would close the connection: refused here (issue 13 §9)."""
    long = "D TCPIP," + "X" * 70_000
    assert asyncio.run(console.app.execute(long)) is None
    assert console.client.commands == []
    assert "longer than the 64 KiB a request may hold; not sent" in console.text
    assert "X" * 100 not in console.text  # the command is not echoed whole
    assert console.styles_of("not sent") == ["class:error"]


def test_nca_opens_the_assistant_and_returns_to_the_prompt(console: Console):
    """Issue 12: the console's NCA command runs the full-screen assistant on the root."""
    (console.root / "etc").mkdir()
    app = console.app

    def nca_is(check: Callable[[Any], bool]) -> Callable[[], bool]:
        return lambda: app.nca is not None and app.nca.app.is_running and check(app.nca)

    code = console.run(
        prompt_is_up(console),
        "NCA\r",
        nca_is(lambda nca: True),
        "3",
        nca_is(lambda nca: nca.state.tab == 2),
        "n",
        nca_is(lambda nca: nca.state.form is not None),
        nca_is(lambda nca: nca.app.layout.has_focus(nca.state.form.fields[0][1])),
        "L1\r",
        nca_is(lambda nca: nca.app.layout.has_focus(nca.state.form.fields[1][1])),
        "TLSv1.2\r\r\r",
        nca_is(lambda nca: nca.state.message == "added security level L1"),
        "q",
        lambda: app.nca is None,
        prompt_is_up(console),
        "EXIT\r",
    )
    assert code == 0
    assert '"name": "L1"' in (console.root / "var" / "nca" / "USER1.json").read_text()
    assert console.client.commands == []  # the assistant is local: nothing went to the service
