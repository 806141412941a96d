"""Scripted console sessions: commands from ``-c``, a script file or piped standard input.

Issue 4 §3. A script is one operator command per line; a line ``WAIT msgid [seconds]``
waits for an unsolicited message; blank lines and lines starting with ``#`` are skipped.
:func:`parse_line` reads one line, :func:`parse_script` a whole script (before anything is
sent), :func:`read_lines` streams standard input, and :class:`Runner` runs the steps
against a service: each command waits for its own response (ControlClient.command).

Choices (issue 4 §3, ecosystem-anchors §2.6, pagent-ops §0.1):

* **Layout without a terminal:** no prompt, no escape codes, nothing but console lines on
  standard output. A command is shown as the console log shows it in the workshop
  (pagent-ops §0.1, step 8): the command line, upper-cased outside quotes as the console
  folds it (ecosystem-anchors §2.4), then its response lines verbatim. Unsolicited
  messages are printed as they are received: after the response of the command during
  which they arrived, during a WAIT, and while piped input is awaited. WAIT lines are not
  shown (they are no MVS command); the message they wait for is shown like any other.
* **Exit codes:** 0 every command succeeded (and every WAIT was satisfied); 1 a command was
  rejected or failed; 2 a WAIT timed out, or the script is malformed (a bad WAIT line or an
  unreadable file: usage errors are 2 throughout pagent, argparse's included); 3 no service
  could be reached, or it went away or stopped answering during the session. When several
  apply, the highest wins.
* **Keep going or stop:** a rejected or failed command does not stop the session (as at a
  console, the operator's next command still means something; the failure is noted on
  standard error with its line, and the exit code is 1 at the end). A WAIT that times out
  stops it: the commands after a WAIT depend on what it waited for (HercControl and automvs
  treat a timeout as a failure, ecosystem-anchors §2.5). A lost service stops it too; so
  does a malformed line in piped input (a script file or ``-c`` is checked whole first,
  so nothing runs).
* **WAIT** (ecosystem-anchors §2.6.1: a wait is relative to a baseline taken at issue
  time): the session subscribes before the first command. Before each command is sent,
  the messages that have arrived are shown and forgotten; a WAIT looks only at messages
  received after the previous command was sent, in arrival order, and each message
  satisfies one WAIT at most (``WAIT EZD1586I`` twice waits for two of them, one per
  stack). A message matches by its ``msgid`` or by the first word of its text. The
  default wait is 30 s (z/OSMF's detect-time, HercControl's timeout), the longest a day.
* **Too long to send:** a command whose request would pass the service's 64 KiB limit is
  refused before it is sent (one short line on standard error, ``rejected`` in JSON) and
  counts as a failed command: exit 1, and the session goes on (issue 13 §9).
* **--json:** one JSON object per command or WAIT, nothing else on standard output:
  ``{"command": line as typed, "status": ..., "messages": [{"id", "text", "time"}]}``.
  A command's status is the service's (``ok``, ``failed``, ``rejected``) and its messages
  are its response lines; a WAIT's status is ``ok`` with the message waited for, or
  ``timeout`` with none; a command whose reply never came is ``unavailable`` ("issued,
  result unavailable", ecosystem-anchors §2.1).
"""

from __future__ import annotations

import json
import os
import re
import select
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final, TextIO

from console.session import ConsoleClient
from pagent.mvs import VERBS
from pagent.service.client import ServiceError
from pagent.service.protocol import MAX_REQUEST

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_TIMEOUT: Final = 2
EXIT_USAGE: Final = 2
EXIT_NO_SERVICE: Final = 3

DEFAULT_WAIT: Final = 30.0
"""Seconds a WAIT without a time waits (issue 4 §3)."""

MAX_WAIT: Final = 86400.0
"""The longest WAIT: a day. Ten billion seconds ended in an OverflowError from select
(issue 13 §9); a script that needs longer is waiting for something that will not come."""

MAX_COMMAND: Final = MAX_REQUEST - 256
"""Bytes a command may take in its request (JSON-escaped), leaving room for the request's
id and keys: a longer request is refused by the service, which closes the connection."""

# A message ID: 4-10 of A-Z 0-9 $ # @, not starting with a digit, with a digit in it
# (EZD1586I, $HASP373, EZAOP50I, FSUM1252). "WAIT 30" or "WAIT PAGENT" is a mistake.
_MSGID: Final = re.compile(r"(?=[^0-9]*[0-9])[A-Z$#@][A-Z0-9$#@]{3,9}")
_SECONDS: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True, slots=True)
class Command:
    """An operator command line, as typed (blanks around it removed)."""

    text: str
    where: str  # "FILE:LINE", "<stdin>:LINE" or "-c N": for messages


@dataclass(frozen=True, slots=True)
class Wait:
    """``WAIT msgid [seconds]``: wait for an unsolicited message after the last command."""

    msgid: str
    seconds: float
    text: str
    where: str


Step = Command | Wait
"""One line of a script that does something."""


class ScriptError(ValueError):
    """A malformed script line or an unreadable script (a usage error, exit code 2)."""


def parse_line(line: str, where: str) -> Step | None:
    """The step on one script line; None for a blank line or a ``#`` comment."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    words = text.split()
    if words[0].upper() != "WAIT":
        return Command(text, where)
    if len(words) not in (2, 3):
        raise ScriptError(f"{where}: WAIT takes a message ID and optional seconds: {text}")
    msgid = words[1].translate(_UPPER)
    if not _MSGID.fullmatch(msgid):
        raise ScriptError(f"{where}: WAIT: {words[1]!r} is no message ID (like EZD1586I)")
    seconds = DEFAULT_WAIT
    if len(words) == 3:
        if not _SECONDS.fullmatch(words[2]):
            raise ScriptError(f"{where}: WAIT: {words[2]!r} is no number of seconds")
        seconds = float(words[2])  # "9" * 5000 reads as inf: past the bound too
        if seconds > MAX_WAIT:
            raise ScriptError(
                f"{where}: WAIT: {shortened(words[2], 20)} seconds is more than a day "
                f"(at most {MAX_WAIT:g})"
            )
    return Wait(msgid, seconds, text, where)


def shortened(text: str, limit: int) -> str:
    """``text``, or its first ``limit`` characters and an ellipsis."""
    return text if len(text) <= limit else f"{text[:limit]}..."


SCRIPT_HELP: Final = (
    "WAIT msgid [seconds]  wait for that message (a script's own command; at most a day)"
)
"""The line a script's HELP puts before the service's answer (issue 9)."""


def _verb(text: str) -> str:
    """The MVS verb a command line starts with, in full (``D`` is DISPLAY), upper case."""
    word = text.split(maxsplit=1)[0].upper() if text.strip() else ""
    return VERBS.get(word, word)


def oversized(text: str) -> int | None:
    """The size of a command too long to send in one request, or None when it fits.

    Measured as the client writes it (JSON with non-ASCII escaped), so the check holds
    for every text.
    """
    size = len(json.dumps(text))
    return size if size > MAX_COMMAND else None


def _comment(text: str) -> bool:
    """A ``#`` line, or a ``/* ... */`` line as the workshop's RACF members have them."""
    return text.startswith("#") or (text.startswith("/*") and text.endswith("*/"))


def continue_command(pending: str, line: str) -> tuple[str, bool]:
    """Add one line to a command continued with ``+``: (the command so far, complete?).

    A line ending in ``+`` continues on the next one, as TSO commands do: the ``+`` goes,
    and the next line's leading blanks shrink to one. The script runner and the
    interactive prompt both use this rule.
    """
    text = line.strip()
    if text.endswith("+"):
        return f"{pending} {text[:-1].rstrip()}".strip(), False
    return f"{pending} {text}".strip(), True


def iter_steps(lines: Iterable[str], source: str) -> Iterator[Step]:
    """The steps of ``lines``, parsed as they are read (``source``: the name in messages).

    With ``source`` ``-c`` each line is one ``-c`` option, labelled ``-c N``. Lines ending
    in ``+`` continue (:func:`continue_command`; the workshop's RACDCERT members MVSTLS and
    ZCEETLSC, issue 5); such a command is labelled with its first line.
    """
    pending = ""
    first = ""
    for number, line in enumerate(lines, 1):
        where = f"-c {number}" if source == "-c" else f"{source}:{number}"
        text = line.strip()
        if not pending and (not text or _comment(text)):
            continue
        text, complete = continue_command(pending, text)
        if not complete:
            pending, first = text, first or where
            continue
        if pending:
            where, pending, first = first, "", ""
        step = parse_line(text, where)
        if step is not None:
            yield step
    if pending:
        raise ScriptError(f"{first}: the command continues with '+' past the end: {pending}")


def parse_script(lines: Iterable[str], source: str) -> list[Step]:
    """Every step of a script, or :class:`ScriptError` for its first malformed line."""
    return list(iter_steps(lines, source))


def read_lines(fd: int, wake: ConsoleClient, idle: Callable[[], None]) -> Iterator[str]:
    """The lines of ``fd`` as they come; ``idle()`` whenever ``wake`` has something.

    Piped input may come slowly (another program feeding the console); unsolicited
    messages are shown meanwhile, not only when the next line arrives (issue 4 §3).
    """
    pending = b""
    while True:
        idle()
        readable, _, _ = select.select([fd, wake.fileno()], [], [])
        if fd not in readable:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace")
    if pending:
        yield pending.decode("utf-8", "replace")


def echo(text: str) -> str:
    """A command line as the console shows it: upper case outside single quotes."""
    parts = text.split("'")
    return "'".join(
        part if index % 2 else part.translate(_UPPER) for index, part in enumerate(parts)
    )


def _matches(message: dict[str, Any], msgid: str) -> bool:
    if message.get("msgid") == msgid:
        return True
    words = str(message.get("text", "")).split(maxsplit=1)
    return bool(words) and words[0] == msgid


def _entry(obj: dict[str, Any]) -> dict[str, Any]:
    """A line or message as the JSON output lists it."""
    return {"id": obj.get("msgid"), "text": obj.get("text"), "time": obj.get("time")}


class Runner:
    """Runs the steps of one session on a connection; :meth:`run` gives the exit code."""

    def __init__(
        self, client: ConsoleClient, *, out: TextIO, err: TextIO, as_json: bool = False
    ) -> None:
        self.client = client
        self.out = out
        self.err = err
        self.as_json = as_json
        self.code = EXIT_OK
        # Messages received since the previous command was sent that no WAIT has claimed.
        self._since: list[dict[str, Any]] = []

    def run(self, steps: Iterable[Step]) -> int:
        """Subscribe, run every step (see the module's choices on stopping); the exit code."""
        try:
            self.client.subscribe()
            for step in steps:
                done = self._wait(step) if isinstance(step, Wait) else self._command(step)
                self.out.flush()
                if not done:
                    break
            else:
                self._received(self.client.drain())  # what arrived with the last response
        except ScriptError as exc:  # a malformed line in piped input
            self._note(str(exc))
            self._fail(EXIT_USAGE)
        except ServiceError as exc:
            self._note(f"lost the pagent service: {exc}")
            self._fail(EXIT_NO_SERVICE)
        self.out.flush()
        return self.code

    def idle(self) -> None:
        """Show and keep the messages that have arrived (while piped input is awaited)."""
        self._received(self.client.drain())
        self.out.flush()

    # --- steps ----------------------------------------------------------------------------
    def _command(self, step: Command) -> bool:
        self._received(self.client.drain())  # before the command: shown, then forgotten
        self._since.clear()
        if oversized(step.text) is not None:
            # Refused here: the service would close the connection (issue 13 §9, where the
            # session ended with exit 3 and the whole command on standard error).
            self._json(step.text, "rejected", [])
            self._note(
                f"{step.where}: the command ({len(step.text):,} characters, "
                f"{shortened(step.text, 20)}) is longer than the 64 KiB a request may "
                "hold; not sent"
            )
            self._fail(EXIT_FAILED)
            return True
        try:
            reply = self.client.command(step.text)
        except ServiceError as exc:
            self._json(step.text, "unavailable", [])
            self._note(f"{step.where}: {step.text}: no response: {exc}")
            self._fail(EXIT_NO_SERVICE)
            return False
        if self.as_json:
            self._json(step.text, reply.status, [_entry(line) for line in reply.lines])
        else:
            own = [SCRIPT_HELP] if _verb(step.text) == "HELP" else []
            self.out.write("".join(f"{text}\n" for text in (echo(step.text), *own, *reply.texts)))
        self._received(self.client.drain())  # arrived during the response
        if reply.status != "ok":
            self._note(f"{step.where}: {step.text}: {reply.status}")
            self._fail(EXIT_FAILED)
        return True

    def _wait(self, step: Wait) -> bool:
        deadline = time.monotonic() + step.seconds
        arrived = self.client.drain()
        while True:
            self._received(arrived)
            for index, message in enumerate(self._since):
                if _matches(message, step.msgid):
                    del self._since[index]  # one WAIT per message
                    self._json(step.text, "ok", [_entry(message)])
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                break
            arrived = self.client.receive_all(left)
        self._json(step.text, "timeout", [])
        self._note(f"{step.where}: {step.text}: no {step.msgid} within {step.seconds:g} s")
        self._fail(EXIT_TIMEOUT)
        return False

    # --- output ---------------------------------------------------------------------------
    def _received(self, messages: list[dict[str, Any]]) -> None:
        """Unsolicited messages: shown (not in JSON), and kept for WAIT."""
        if not messages:
            return
        self._since.extend(messages)
        if not self.as_json:
            self.out.write("".join(f"{message.get('text', '')}\n" for message in messages))

    def _json(self, command: str, status: str, messages: list[dict[str, Any]]) -> None:
        if self.as_json:
            obj = {"command": command, "status": status, "messages": messages}
            self.out.write(json.dumps(obj) + "\n")

    def _note(self, text: str) -> None:
        self.out.flush()  # the console lines it is about come first on a shared terminal
        self.err.write(f"pagent console: {text}\n")
        self.err.flush()

    def _fail(self, code: int) -> None:
        self.code = max(self.code, code)
