"""The interactive operator console: a prompt-toolkit REPL on a connection to the service.

Issue 4 §1. :func:`run_app` is what ``pagent console`` runs at a terminal
(:mod:`console.main` has connected to the service, or started one). The session is
assembled in one place, as pgcli's ``_build_cli`` assembles it (style-anchors A2 §4):
history in ``ROOT/var/console_history`` (FileHistory) with suggestions from it, completion
(:mod:`console.completer`), the coloured command line (:mod:`console.lexer`), the bottom
toolbar (:mod:`console.toolbar`) and the key bindings of :func:`console_bindings`.

* **Commands** go to the service (docs/protocol.md, ``command``) on the connection the app
  is given, one at a time, from a worker thread so that the screen stays live. A typed
  command stays on its prompt line and is not echoed again; F1's HELP, which was not
  typed, is echoed (upper case outside quotes, like the scripted session). Then come its
  response lines; the severity letter of a message ID picks its colour
  (E, A, D and S highlighted), and the verdict of a rejected or failed command (its last
  message, IEE305I, IEE341I, EZZ0050I …) is shown as an error.
* **Unsolicited messages** (EZD1586I after ``S PAGENT``) come on a second connection that
  subscribes to them, read by a thread that hands them to the event loop; they are printed
  above the prompt without disturbing what is being typed (print_formatted_text prints
  above a running application; patch_stdout catches any other output, ecosystem-anchors
  §3). While a command runs they are held and printed after its response, so that a
  response is never cut by the messages it causes; while the log view is open, too.
* **The toolbar** shows image, stacks with TTLS on or off, PAGENT active or not; the status
  is asked again after each command and when messages arrive.
* **Console-local commands** (:data:`console.completer.LOCAL_COMMANDS`): ``LOG`` pages
  through ``var/syslogd/syslogall.log``, ``LOG F`` follows it (:mod:`console.pager`),
  ``NCA`` opens the Network Configuration Assistant (:mod:`pagent.nca.app`),
  ``EXIT`` and ``QUIT`` leave. ``HELP`` is answered by the service; the console puts its
  own commands and keys in front of that answer.

Keys (besides prompt-toolkit's Emacs-style editing): Tab / Shift-Tab complete, Up / Down
recall history, Right or Ctrl-E takes the suggestion from history, Ctrl-R searches the
history, Ctrl-C clears the line, Ctrl-L clears the screen, Ctrl-D (on an empty line)
leaves, F1 shows the help above the prompt, F2 opens the log (what was typed is kept).

Exit codes: 0 when the operator leaves; 3 when the service is lost (the scripted
session's code for it, issue 4 §3).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol, TypeVar

from prompt_toolkit import PromptSession
from prompt_toolkit.application import create_app_session
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.completion import CompleteEvent, get_common_complete_suffix
from prompt_toolkit.filters import has_completions, is_searching
from prompt_toolkit.formatted_text import FormattedText, StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import Output
from prompt_toolkit.patch_stdout import patch_stdout
from prompt_toolkit.shortcuts import CompleteStyle, print_formatted_text
from prompt_toolkit.styles import Style

from console import lexer, pager, toolbar
from console.completer import LOCAL_COMMANDS, LOG_OPERANDS, MvsCompleter, dataset_names
from console.lexer import MvsLexer, message_style, tokens
from console.script import continue_command, echo, oversized, shortened
from pagent.mvs import VERBS
from pagent.service.client import ControlClient, Reply, ServiceError

__all__ = [
    "EXIT_NO_SERVICE",
    "EXIT_OK",
    "HISTORY_FILE",
    "ConsoleApp",
    "Listener",
    "Printer",
    "ServiceClient",
    "complete_now",
    "console_bindings",
    "local_help",
    "message_fragments",
    "response_fragments",
    "run_app",
]

EXIT_OK: Final = 0
EXIT_NO_SERVICE: Final = 3
"""The service was lost (as in a scripted session, issue 4 §3)."""

HISTORY_FILE: Final = Path("var", "console_history")
"""The command history, relative to the root (issue 4 §1: "history kept under var/")."""

_RECEIVE_WAIT: Final = 0.25  # seconds the message reader waits before it looks at the stop flag
_HELP_COLUMN: Final = 34  # the service's HELP lines put the description at this column

_T = TypeVar("_T")

Printer = Callable[[StyleAndTextTuples], None]
"""Prints formatted text (lines ending in a newline) above the prompt."""


class ServiceClient(Protocol):
    """What the app needs of a :class:`~pagent.service.client.ControlClient`."""

    path: Path

    def command(self, text: str) -> Reply:
        """Run an operator command."""
        ...

    def status(self) -> dict[str, Any]:
        """The status reply."""
        ...


class Listener(Protocol):
    """A subscribed connection: where unsolicited messages come from."""

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None after ``timeout`` seconds."""
        ...

    def close(self) -> None:
        """Disconnect."""
        ...


class _NoListener:
    """Stands in when the message connection cannot be opened: no messages."""

    def __init__(self) -> None:
        self._closed = threading.Event()

    def receive(self, timeout: float) -> dict[str, Any] | None:
        self._closed.wait(timeout)
        return None

    def close(self) -> None:
        self._closed.set()


def _open_listener(client: ServiceClient) -> Listener | str:
    """A second connection subscribed to unsolicited messages, or why there is none."""
    try:
        listener = ControlClient(client.path)
        try:
            listener.subscribe()
        except ServiceError:
            listener.close()
            raise
    except ServiceError as exc:
        return str(exc)
    return listener


def run_app(
    root: Path,
    client: ServiceClient,
    *,
    started: bool,
    listener: Listener | None = None,
    input: Input | None = None,
    output: Output | None = None,
    printer: Printer | None = None,
) -> int:
    """Run the interactive console on ``client`` until the operator leaves; the exit code.

    ``started`` says whether the console started the service (mentioned once, at the top).
    ``listener`` is the subscribed connection for unsolicited messages (default: a second
    connection to ``client.path``); ``input``, ``output`` and ``printer`` replace the
    terminal (tests: create_pipe_input, DummyOutput and a list).
    """
    note = None
    if listener is None:
        opened = _open_listener(client)
        if isinstance(opened, str):
            listener, note = _NoListener(), opened
        else:
            listener = opened
    app = ConsoleApp(root, client, started=started, listener=listener, printer=printer)
    if note is not None:
        app.notes.append(f"unsolicited messages cannot be shown: {note}")
    if input is None and output is None:
        return asyncio.run(app.run())
    with create_app_session(input=input, output=output):
        return asyncio.run(app.run())


# --- formatting ---------------------------------------------------------------------------------


def echo_fragments(line: str) -> StyleAndTextTuples:
    """The command as the console echoes it, coloured like the command line."""
    out: StyleAndTextTuples = [(f"class:mvs.{token}", text) for token, text in tokens(echo(line))]
    out.append(("", "\n"))
    return out


def response_fragments(reply: Reply) -> StyleAndTextTuples:
    """A command's response lines, each in the style of the message it belongs to.

    A continuation line (no message ID) takes the style of the message above it; the last
    message of a response that is not ``ok`` is its verdict, shown as an error.
    """
    verdict = -1
    if reply.status != "ok":
        verdict = max((i for i, line in enumerate(reply.lines) if line.get("msgid")), default=-1)
    out: StyleAndTextTuples = []
    style = "class:msg.info"
    for index, line in enumerate(reply.lines):
        msgid = line.get("msgid")
        if msgid:
            style = f"class:{message_style(str(msgid))}"
            if index == verdict and style in ("class:msg.info", "class:msg.warning"):
                style = "class:msg.error"
        out.append((style, f"{line.get('text', '')}\n"))
    return out


def message_fragments(message: dict[str, Any]) -> StyleAndTextTuples:
    """An unsolicited message: its own colour, highlighted by severity."""
    severity = message_style(message.get("msgid") or lexer.line_msgid(str(message.get("text"))))
    return [(f"class:msg.unsolicited class:{severity}", f"{message.get('text', '')}\n")]


def local_help() -> StyleAndTextTuples:
    """The console's own commands and keys, put in front of the service's HELP answer."""
    rows = [
        ("LOG", "page through var/syslogd/syslogall.log (q leaves, / searches)"),
        ("LOG F | LOG FOLLOW", "follow syslogall.log as it grows, until Ctrl-C"),
        ("NCA [STORE]", "the Network Configuration Assistant, full screen (q returns)"),
        ("EXIT | QUIT", "leave the console (or Ctrl-D); the service keeps running"),
        ("WAIT msgid [seconds]", "in a script (-c, --script, stdin): wait for that message"),
    ]
    out: StyleAndTextTuples = [("class:help.title", "Console commands (this console only):\n")]
    for command, what in rows:
        out.append(("class:mvs.verb.local", command.ljust(_HELP_COLUMN)))
        out.append(("", f"{what}\n"))
    out.append(
        (
            "class:help.keys",
            "Keys: Tab completes, Up/Down recall, Right takes the suggestion, "
            "Ctrl-R searches the history, F1 help, F2 log\n",
        )
    )
    out.append(("class:help.title", "System commands:\n"))
    return out


# --- the application -----------------------------------------------------------------------------


async def _in_thread(function: Callable[..., _T], *args: object) -> _T:
    """``function(*args)`` in a daemon thread (a hung call does not hold up the exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def succeed(result: _T) -> None:
        if not future.done():
            future.set_result(result)

    def fail(error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)

    def work() -> None:
        try:
            result = function(*args)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(fail, exc)
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(succeed, result)

    threading.Thread(target=work, name="console-call", daemon=True).start()
    return await future


class ConsoleApp:
    """One interactive console session (see the module's docstring)."""

    def __init__(
        self,
        root: Path,
        client: ServiceClient,
        *,
        started: bool,
        listener: Listener,
        printer: Printer | None = None,
    ) -> None:
        self.root = root
        self.client = client
        self.started = started
        self.listener = listener
        self.status: dict[str, Any] | None = None
        self.lost: str | None = None
        self.notes: list[str] = []
        self.style = Style.from_dict(
            {
                **lexer.STYLE,
                **toolbar.STYLE,
                **pager.STYLE,
                "prompt": "bold",
                "help.title": "bold underline",
                "help.keys": "italic",
                "note": "ansigray",
                "error": "bold ansired",
            }
        )
        self._print: Printer = printer or self._print_terminal
        self.session: PromptSession[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._hold = 0  # > 0: unsolicited messages are held (a command runs, the log is open)
        self._held: list[dict[str, Any]] = []
        self._stale = False
        self._refresher: asyncio.Future[None] | None = None
        self._stop = threading.Event()
        self._stash = ""  # what was typed when F2 opened the log
        self._continued = ""  # a command continued with "+", waiting for its next line
        self.nca: Any = None  # the Network Configuration Assistant while NCA runs (issue 12)
        self._tasks: set[asyncio.Future[int | None]] = set()  # F1's, kept from the collector

    @property
    def holding(self) -> bool:
        """Whether unsolicited messages are held (a command runs, or the log is shown)."""
        return self._hold > 0

    # --- the session ------------------------------------------------------------------------

    async def run(self) -> int:
        """The session: banner, then commands until the operator leaves; the exit code."""
        self._loop = asyncio.get_running_loop()
        try:
            self.status = await self._call(self.client.status)
        except ServiceError as exc:
            self._error(f"the pagent service does not answer: {exc}")
            return EXIT_NO_SERVICE
        self.session = self._build_session()
        reader = threading.Thread(target=self._read_messages, name="console-messages", daemon=True)
        # patch_stdout is entered inside the running loop (its docstring, ecosystem-anchors §3).
        with patch_stdout(raw=True):
            self._banner()
            reader.start()
            try:
                return await self._repl(self.session)
            finally:
                self._stop.set()
                if self._refresher is not None:
                    self._refresher.cancel()
                reader.join(timeout=2 * _RECEIVE_WAIT + 1)
                self.listener.close()

    def _build_session(self) -> PromptSession[str]:
        history: History
        path = self.root / HISTORY_FILE
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            history = FileHistory(str(path))
        except OSError as exc:
            self.notes.append(f"no history file ({exc}): history kept for this session only")
            history = InMemoryHistory()
        return PromptSession(
            message=self._prompt,
            history=history,
            auto_suggest=AutoSuggestFromHistory(),
            completer=MvsCompleter(
                stacks=self._stack_names, datasets=lambda: dataset_names(self.root)
            ),
            complete_while_typing=True,
            complete_style=CompleteStyle.COLUMN,
            reserve_space_for_menu=6,
            lexer=MvsLexer(),
            bottom_toolbar=self._toolbar,
            style=self.style,
            key_bindings=console_bindings(self),
            search_ignore_case=True,
        )

    async def _repl(self, session: PromptSession[str]) -> int:
        while True:
            default, self._stash = self._stash, ""
            session.app.erase_when_done = False  # F2 sets it for the prompt it leaves
            try:
                text = await session.prompt_async(default=default)
            except KeyboardInterrupt:  # Ctrl-C: the line is dropped, as in pgcli
                continue
            except EOFError:  # Ctrl-D
                return EXIT_OK
            code = await self.execute(text)
            if code is not None:
                return code

    async def execute(self, text: str) -> int | None:
        """Run one line typed at the prompt; an exit code when the session ends.

        A line ending in ``+`` is kept and continued by the next one, as TSO commands are
        (RACDCERT members, issue 5); the prompt shows that it waits for the rest.
        """
        line, complete = continue_command(self._continued, text)
        self._continued = "" if complete else line
        if not complete or not line:
            return None
        word, _, rest = line.replace("\t", " ").partition(" ")
        verb = word.upper()
        if verb in LOCAL_COMMANDS:
            if verb == "LOG":
                await self.show_log(rest.strip(" "))
                return None
            if verb == "NCA":
                await self.run_nca(rest.strip(" "))
                return None
            return EXIT_OK  # EXIT, QUIT
        if oversized(line) is not None:
            # The service would close the connection on it (issue 13 §9): refused here.
            self._error(
                f"the command ({len(line):,} characters, {shortened(line, 20)}) is longer "
                "than the 64 KiB a request may hold; not sent"
            )
            return None
        # The prompt line already shows what was typed: no echo of it (issue 9).
        return await self._command(line, echo=False)

    async def _command(self, line: str, *, echo: bool = True) -> int | None:
        self._hold += 1
        try:
            reply = await self._call(self.client.command, line)
        except ServiceError as exc:
            self._hold -= 1
            self.lost = str(exc)
            self._error(f"lost the pagent service: {exc}")
            return EXIT_NO_SERVICE
        self._hold -= 1
        out = echo_fragments(line) if echo else []
        if VERBS.get(line.split(maxsplit=1)[0].upper()) == "HELP":
            out.extend(local_help())
        out.extend(response_fragments(reply))
        self._print(out)
        self._release()
        await self._refresh_status()
        return None

    async def show_log(self, operand: str) -> None:
        """``LOG`` (page) or ``LOG F`` / ``LOG FOLLOW`` (follow) the system log."""
        path = self.root / pager.LOG_FILE
        if operand.upper() not in ("", *LOG_OPERANDS):
            self._error(f"LOG takes F or FOLLOW, not {operand!r}")
            return
        if not operand and not path.is_file():
            self._note(f"no log yet: {path}")
            return
        self._hold += 1
        try:
            if operand:
                await pager.follow(path, self._show_log_lines, style=self.style)
            else:
                await pager.page(path, style=self.style)
        finally:
            self._hold -= 1
        self._release()

    async def run_nca(self, operand: str) -> None:
        """``NCA [STORE]``: the Network Configuration Assistant on this root (issue 12).

        It authors and installs policy files, offline, as ``pagent nca`` does; the service
        picks an installed file up as it picks up any edit.
        """
        # Loaded only when wanted; the assistant is an offline tool, not the service.
        from pagent.nca.app import NcaApp  # noqa: PLC0415
        from pagent.nca.model import NcaError  # noqa: PLC0415
        from pagent.nca.store import StoreError  # noqa: PLC0415

        self._hold += 1
        try:
            self.nca = NcaApp(self.root, operand or "USER1", datetime.now)
            await self.nca.run_async()
            for note in self.nca.state.notes:
                self._note(note)
        except (NcaError, StoreError) as exc:
            self._error(f"NCA: {exc}")
        finally:
            self._hold -= 1
            self.nca = None
        self._release()

    def _show_log_lines(self, lines: list[str]) -> None:
        out: StyleAndTextTuples = []
        for line in lines:
            out.extend(pager.log_fragments(line))
            out.append(("", "\n"))
        if out:
            self._print(out)

    # --- the service --------------------------------------------------------------------------

    async def _call(self, function: Callable[..., _T], *args: object) -> _T:
        """A call on the command connection, one at a time (it is not thread-safe)."""
        async with self._lock:
            return await _in_thread(function, *args)

    async def _refresh_status(self) -> None:
        try:
            self.status = await self._call(self.client.status)
        except ServiceError as exc:
            self.lost = str(exc)
        self._invalidate()

    def _schedule_refresh(self) -> None:
        """Ask for the status again soon; one request at a time, however many messages."""
        self._stale = True
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.ensure_future(self._refresh_while_stale())

    async def _refresh_while_stale(self) -> None:
        while self._stale:
            self._stale = False
            await self._refresh_status()

    def _read_messages(self) -> None:
        """The reader thread: hand each unsolicited message to the event loop."""
        while not self._stop.is_set():
            try:
                message = self.listener.receive(_RECEIVE_WAIT)
            except (ServiceError, OSError, ValueError) as exc:
                if not self._stop.is_set():
                    self._post(self._on_lost, str(exc))
                return
            if message is not None:
                self._post(self._on_message, message)

    def _post(self, function: Callable[..., None], *args: object) -> None:
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop has closed: the session is over
            self._loop.call_soon_threadsafe(function, *args)

    def _on_message(self, message: dict[str, Any]) -> None:
        if self._hold:
            self._held.append(message)
        else:
            self._print(message_fragments(message))
        self._schedule_refresh()

    def _on_lost(self, reason: str) -> None:
        self.lost = reason
        self._error(f"lost the message connection to the service: {reason}")
        self._invalidate()

    def _release(self) -> None:
        """Print the messages held while a command ran or the log was open."""
        if self._hold or not self._held:
            return
        held, self._held = self._held, []
        out: StyleAndTextTuples = []
        for message in held:
            out.extend(message_fragments(message))
        self._print(out)

    # --- the screen ---------------------------------------------------------------------------

    def _prompt(self) -> StyleAndTextTuples:
        if self._continued:
            return [("class:prompt", "      +=> ")]
        image = (self.status or {}).get("image") or "PAGENT"
        return [("class:prompt", f"{image} ===> ")]

    def _toolbar(self) -> StyleAndTextTuples:
        return toolbar.toolbar_fragments(self.status, lost=self.lost)

    def _stack_names(self) -> Sequence[str]:
        return [
            str(s.get("name")) for s in (self.status or {}).get("stacks") or [] if s.get("name")
        ]

    def _invalidate(self) -> None:
        if self.session is not None and self.session.app.is_running:
            self.session.app.invalidate()

    def _banner(self) -> None:
        image = (self.status or {}).get("image") or "?"
        out: StyleAndTextTuples = [
            (
                "class:note",
                f"pagent console for {image} ({self.root}): HELP or F1 lists the commands, "
                "Tab completes, Ctrl-D or EXIT leaves.\n",
            )
        ]
        if self.started:
            out.append(
                (
                    "class:note",
                    "This console started the pagent service; it keeps running after you leave.\n",
                )
            )
        out.extend(("class:note", f"pagent console: {note}\n") for note in self.notes)
        self._print(out)

    def _note(self, text: str) -> None:
        self._print([("class:note", f"pagent console: {text}\n")])

    def _error(self, text: str) -> None:
        self._print([("class:error", f"pagent console: {text}\n")])

    def _print_terminal(self, fragments: StyleAndTextTuples) -> None:
        # Above the prompt when it runs, directly otherwise (print_formatted_text's docstring).
        print_formatted_text(FormattedText(fragments), style=self.style, end="")

    # --- key bindings ---------------------------------------------------------------------------

    def help_above(self) -> None:
        """F1: the help, printed above the prompt while the operator goes on typing."""
        task = asyncio.ensure_future(self._command("HELP"))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def log_from_prompt(self, event: KeyPressEvent) -> None:
        """F2: open the log; what was typed comes back afterwards."""
        self._stash = event.current_buffer.text
        # The prompt left for the log is erased, not left behind empty (issue 9): it comes
        # back, with what was typed, when the log closes.
        event.app.erase_when_done = True
        event.app.exit(result="LOG")


def complete_now(buffer: Buffer) -> None:
    """Apply the completion of the word before the cursor, or show the choices."""
    document = buffer.document
    event = CompleteEvent(completion_requested=True)
    found = list(buffer.completer.get_completions(document, event))
    if len(found) == 1:
        buffer.apply_completion(found[0])
        return
    common = get_common_complete_suffix(document, found)
    if common:
        buffer.insert_text(common)
    elif found:
        buffer.start_completion(select_first=False)


def console_bindings(app: ConsoleApp) -> KeyBindings:
    """The console's key bindings (pgcli's ``key_bindings.py`` factory, style-anchors A2 §1)."""
    kb = KeyBindings()

    @kb.add("tab", filter=~has_completions & ~is_searching)
    def _complete(event: KeyPressEvent) -> None:
        """Complete the word at once: the only completion, or the part all of them share.

        Done here and not by prompt-toolkit's Tab, which starts an asynchronous completion
        that is dropped while the one started by typing still runs (Buffer's
        ``_only_one_at_a_time``): a Tab typed right after a word would be lost.
        """
        complete_now(event.current_buffer)

    @kb.add("f1")
    def _help(event: KeyPressEvent) -> None:
        """Show HELP above the prompt."""
        app.help_above()

    @kb.add("f2")
    def _log(event: KeyPressEvent) -> None:
        """Page through syslogall.log."""
        app.log_from_prompt(event)

    return kb
