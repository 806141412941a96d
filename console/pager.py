"""Browsing the system log from the console: page through syslogall.log, or follow it.

Issue 4 §1: "The operator can page through syslogall.log and follow it, as the workshop
does when it browses the file." The console's own command ``LOG`` opens :func:`page`, a
full-screen prompt-toolkit view of the file (like ``less +G``: it opens at the end);
``LOG F`` / ``LOG FOLLOW`` runs :func:`follow`, which prints the last lines and then every
new one above a one-line status until Ctrl-C (like ``tail -f``), so that they stay in the
terminal's scrollback with the console's other output. :class:`LogTail` is the file side,
without a terminal: the whole file, then what was appended (a truncated or replaced file is
read again from its start).

Keys in the full-screen view (shown on its status line):

* Up/Down, j/k: a line; PageUp/PageDown, b/Space: a page; g/Home, G/End: top, end;
* ``/`` and ``?``: search forward, backward (Enter accepts, Ctrl-C or Ctrl-G cancels);
  n/N: the next match, the previous one;
* F: follow, keep showing the end as the file grows (moving up stops following);
* q, F3 (ISPF's END), Ctrl-C: back to the console.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document
from prompt_toolkit.filters import Condition, is_searching
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.key_binding.bindings import search
from prompt_toolkit.key_binding.bindings.scroll import scroll_page_down, scroll_page_up
from prompt_toolkit.layout import HSplit, Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.lexers import Lexer
from prompt_toolkit.styles import BaseStyle
from prompt_toolkit.widgets import SearchToolbar, TextArea

from console.lexer import line_msgid, message_style

__all__ = ["LOG_FILE", "STYLE", "LogTail", "follow", "log_fragments", "page"]

LOG_FILE: Final = Path("var", "syslogd", "syslogall.log")
"""Where syslogd writes every record, relative to the root (``pagent init``'s syslog.conf)."""

POLL: Final = 0.25
"""Seconds between looks at the file while following (``tail -f`` looks every second)."""

STYLE: Final[Mapping[str, str]] = MappingProxyType(
    {
        "pager.status": "reverse",
        "pager.following": "reverse bold ansigreen",
    }
)
"""Style class → style string for the pager's status lines."""


class LogTail:
    """A text file that grows: read it whole, then read what was appended since."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._inode: int | None = None
        self._partial = b""
        self.reset = False
        """Whether the last :meth:`read_new` found the file truncated or replaced."""

    def read_all(self) -> list[str]:
        """Every complete line of the file (none if it does not exist)."""
        self._offset, self._inode, self._partial = 0, None, b""
        return self.read_new()

    def read_new(self) -> list[str]:
        """The complete lines appended since the last read (all of them after a reset)."""
        self.reset = False
        try:
            with self.path.open("rb") as file:
                stat = os.fstat(file.fileno())
                if stat.st_ino != self._inode or stat.st_size < self._offset:
                    self.reset = self._inode is not None
                    self._offset, self._inode, self._partial = 0, stat.st_ino, b""
                file.seek(self._offset)
                data = file.read()
        except OSError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        return [line.decode("utf-8", "replace").rstrip("\r") for line in lines]


def log_fragments(line: str) -> StyleAndTextTuples:
    """One log line in the style of the message it carries (E/A/D/S highlighted)."""
    return [(f"class:{message_style(line_msgid(line))}", line)]


class _LogLexer(Lexer):
    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        lines = document.lines

        def get_line(number: int) -> StyleAndTextTuples:
            return log_fragments(lines[number]) if number < len(lines) else []

        return get_line


class _Pager:
    """The full-screen view of one log file."""

    def __init__(self, path: Path, *, follow: bool, style: BaseStyle | None) -> None:
        self.path = path
        self.tail = LogTail(path)
        self.following = follow
        self.search = SearchToolbar(ignore_case=True)
        self.area = TextArea(
            read_only=True,
            scrollbar=True,
            lexer=_LogLexer(),
            search_field=self.search,
            wrap_lines=False,
            focus_on_click=True,
        )
        lines = self.tail.read_all()
        self._set("\n".join(lines), at_end=True)
        status = Window(FormattedTextControl(self._status), height=1, style="class:pager.status")
        self.app: Application[None] = Application(
            layout=Layout(HSplit([self.area, self.search, status]), focused_element=self.area),
            key_bindings=self._bindings(),
            full_screen=True,
            style=style,
        )

    @property
    def buffer(self) -> Buffer:
        return self.area.buffer

    def _set(self, text: str, *, at_end: bool) -> None:
        """Show ``text``; the cursor at the start of the last line, or where it was."""
        cursor = text.rfind("\n") + 1 if at_end else min(self.buffer.cursor_position, len(text))
        self.buffer.set_document(Document(text, cursor), bypass_readonly=True)

    def _status(self) -> StyleAndTextTuples:
        doc = self.buffer.document
        where = f" {self.path.name}  line {doc.cursor_position_row + 1}/{doc.line_count} "
        keys = "  q leaves · / ? search · n N next · F follows · g G top, end "
        if self.following:
            return [
                ("class:pager.status", where),
                ("class:pager.following", " FOLLOWING "),
                ("class:pager.status", keys),
            ]
        return [("class:pager.status", where + keys)]

    def _at_end(self) -> bool:
        doc = self.buffer.document
        return doc.cursor_position_row >= doc.line_count - 1

    async def poll(self, interval: float) -> None:
        """Add what the file gains; keep the end in view while following."""
        while True:
            await asyncio.sleep(interval)
            if self.following and not self._at_end():
                self.following = False  # the operator moved up: stop following
            lines = self.tail.read_new()
            if not lines and not self.tail.reset:
                continue
            text = self.buffer.text
            if self.tail.reset or not text:
                text = "\n".join(lines)
            elif lines:
                text = text + "\n" + "\n".join(lines)
            self._set(text, at_end=self.following)
            self.app.invalidate()

    def _bindings(self) -> KeyBindings:
        kb = KeyBindings()
        browsing = ~is_searching
        following = Condition(lambda: self.following)

        @kb.add("q", filter=browsing)
        @kb.add("Q", filter=browsing)
        @kb.add("f3")
        @kb.add("c-c", filter=browsing)
        def _leave(event: KeyPressEvent) -> None:
            """Back to the console."""
            event.app.exit()

        @kb.add("F", filter=browsing)
        def _follow(event: KeyPressEvent) -> None:
            """Follow the file: show its end as it grows."""
            self.following = True
            self.buffer.cursor_position = self.buffer.text.rfind("\n") + 1

        @kb.add("up", filter=following)
        @kb.add("pageup", filter=following)
        def _stop_following(event: KeyPressEvent) -> None:
            """Moving up stops following."""
            self.following = False
            if event.key_sequence[0].key == "pageup":
                scroll_page_up(event)
            else:
                self.buffer.cursor_up()

        @kb.add("g", filter=browsing)
        @kb.add("home", filter=browsing)
        def _top(event: KeyPressEvent) -> None:
            """The first line."""
            self.following = False
            self.buffer.cursor_position = 0

        @kb.add("G", filter=browsing)
        @kb.add("end", filter=browsing)
        def _end(event: KeyPressEvent) -> None:
            """The last line."""
            self.buffer.cursor_position = self.buffer.text.rfind("\n") + 1

        @kb.add("j", filter=browsing)
        def _down(event: KeyPressEvent) -> None:
            """A line down."""
            self.buffer.cursor_down(count=event.arg)

        @kb.add("k", filter=browsing)
        def _up(event: KeyPressEvent) -> None:
            """A line up."""
            self.following = False
            self.buffer.cursor_up(count=event.arg)

        @kb.add(" ", filter=browsing)
        def _page_down(event: KeyPressEvent) -> None:
            """A page down."""
            scroll_page_down(event)

        @kb.add("b", filter=browsing)
        def _page_up(event: KeyPressEvent) -> None:
            """A page up."""
            self.following = False
            scroll_page_up(event)

        @kb.add("/", filter=browsing)
        def _search_forward(event: KeyPressEvent) -> None:
            """Search forward."""
            self.following = False
            search.start_forward_incremental_search.call(event)

        @kb.add("?", filter=browsing)
        def _search_backward(event: KeyPressEvent) -> None:
            """Search backward."""
            self.following = False
            search.start_reverse_incremental_search.call(event)

        @kb.add("n", filter=browsing)
        @kb.add("N", filter=browsing)
        def _next_match(event: KeyPressEvent) -> None:
            """The next match (n) or the previous one (N), in the direction searched."""
            state = event.app.current_search_state
            if event.key_sequence[0].key == "N":
                state = ~state
            self.buffer.apply_search(state, include_current_position=False, count=event.arg)

        @kb.add("c-c", filter=is_searching)
        def _cancel_search(event: KeyPressEvent) -> None:
            """Cancel the search."""
            search.abort_search.call(event)

        return kb


async def page(path: Path, *, style: BaseStyle | None = None, interval: float = POLL) -> None:
    """Page through the log file at ``path`` full-screen until the operator leaves."""
    pager = _Pager(path, follow=False, style=style)
    task = asyncio.ensure_future(pager.poll(interval))
    try:
        await pager.app.run_async()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def follow(
    path: Path,
    show: Callable[[list[str]], None],
    *,
    backlog: int = 10,
    style: BaseStyle | None = None,
    interval: float = POLL,
) -> None:
    """Show the last ``backlog`` lines of ``path`` with ``show``, then each new one until Ctrl-C.

    ``show`` prints lines above the running status line (print_formatted_text does when an
    application runs, ecosystem-anchors §3).
    """
    tail = LogTail(path)
    show(tail.read_all()[-backlog:] if backlog > 0 else [])
    kb = KeyBindings()

    @kb.add("c-c")
    @kb.add("q")
    def _stop(event: KeyPressEvent) -> None:
        """Stop following."""
        event.app.exit()

    status = f" following {path.name}: Ctrl-C stops "
    app: Application[None] = Application(
        layout=Layout(
            Window(FormattedTextControl(status), height=1, style="class:pager.following")
        ),
        key_bindings=kb,
        full_screen=False,
        erase_when_done=True,
        style=style,
    )

    async def poll() -> None:
        while True:
            await asyncio.sleep(interval)
            lines = tail.read_new()
            if lines:
                show(lines)

    task = asyncio.ensure_future(poll())
    try:
        await app.run_async()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
