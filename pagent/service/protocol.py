"""The control protocol's wire format (docs/protocol.md): JSON lines, limits, reply shapes."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_REQUEST = 64 * 1024  # bytes in one request line
MAX_BACKLOG = 1024 * 1024  # bytes queued to a client that does not read
REPLY_PACE = 256 * 1024  # bytes of a reply queued before waiting for the client to read
REPLY_STALL = 30.0  # seconds a reply waits for a client that reads nothing, then drops it
REFUSED = "not-allowed"  # the ``code`` of the error reply that refuses a user
OPS = frozenset({"command", "subscribe", "unsubscribe", "status", "pasearch", "ping"})

# A message ID at the start of a line: EZZ0060I, IEE305I, EZAOP50I, $HASP100, FSUM1252
# (EZAOP50I has two digits: five letters, then 50).
_MSGID = re.compile(r"^\s*(\$HASP\d{3}|[A-Z]{3,5}\d{2,4}[A-Z]?)(?=\s|$)")


class ProtocolError(ValueError):
    """A request that cannot be read; the message is the error reply's text."""


@dataclass(frozen=True, slots=True)
class Request:
    """One decoded request."""

    id: object
    op: str
    fields: dict[str, Any]


def decode_request(raw: bytes) -> Request:
    """Decode one request line; raises ProtocolError with a reason.

    Whatever the line holds, the outcome is a request whose id can be echoed as standard
    JSON, or a ProtocolError (issue 13 §6): never another exception.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("request is not UTF-8") from None
    try:
        obj = json.loads(text, parse_constant=_no_constant)
    except ProtocolError:
        raise
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"request is not JSON: {exc.msg}") from None
    except RecursionError:  # [[[[...]]]] deeper than the parser's stack
        raise ProtocolError("request is nested too deeply") from None
    except ValueError:  # int() past sys.get_int_max_str_digits (4,300 digits)
        raise ProtocolError("request has a number with too many digits") from None
    if not isinstance(obj, dict):
        raise ProtocolError("request is not a JSON object")
    req_id = obj.get("id")
    if not _scalar_id(req_id):
        raise ProtocolError("id must be a string, a finite number or null")
    op = obj.get("op")
    if not isinstance(op, str):
        raise ProtocolError(f"op must be a string; one of {', '.join(sorted(OPS))}")
    if op not in OPS:
        raise ProtocolError(f"unknown op {_short(op)}; one of {', '.join(sorted(OPS))}")
    if op == "command" and not isinstance(obj.get("text"), str):
        raise ProtocolError("command needs a 'text' string")
    for name in ("text", "image", "rule") if op in ("command", "pasearch") else ():
        _check_text(obj, name)
    return Request(id=req_id, op=op, fields=obj)


def _no_constant(name: str) -> object:
    """NaN, Infinity and -Infinity: Python's json reads them, RFC 8259 has no such values."""
    raise ProtocolError(f"request is not JSON: {name} is not a JSON value")


def _scalar_id(value: object) -> bool:
    """An id that can be echoed: a string, a finite number or null (as JSON-RPC 2.0 has it).

    Booleans are no numbers; objects and arrays could be nested past the encoder's stack
    (issue 13 §6), and 1e400 reads as infinity, which standard JSON cannot carry.
    """
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


def _check_text(obj: dict[str, Any], name: str) -> None:
    """A text field, when present, is a string that UTF-8 can carry (no lone surrogate:
    JSON's ``\\ud800`` escape reads as one, and no file, log or terminal can hold it)."""
    value = obj.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise ProtocolError(f"'{name}' must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolError(
            f"'{name}' is not valid Unicode: a lone surrogate at character {exc.start + 1}"
        ) from None


def _short(text: str, limit: int = 40) -> str:
    """A value for an error message, at most ``limit`` characters of it, escaped."""
    shown = repr(text[:limit]).encode("ascii", "backslashreplace").decode("ascii")
    return shown + ("..." if len(text) > limit else "")


def msgid_of(text: str) -> str | None:
    """The message ID a line starts with, if any."""
    m = _MSGID.match(text)
    return m.group(1) if m else None


def encode(obj: dict[str, Any]) -> bytes:
    """One line of standard JSON (no NaN or Infinity).

    A reply that JSON cannot carry (a value nested past the encoder's stack, a number it
    cannot write) becomes an ``error`` reply for the same request, so that every request is
    still answered (issue 13 §6).
    """
    try:
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError) as exc:
        req_id = obj.get("id")
        reason = f"the reply could not be encoded as JSON: {type(exc).__name__}"
        text = json.dumps(error_reply(req_id if _scalar_id(req_id) else None, reason))
    return (text + "\n").encode("utf-8")


def line_reply(req_id: object, text: str, time: datetime) -> dict[str, Any]:
    """A ``line`` reply."""
    return {
        "id": req_id,
        "type": "line",
        "msgid": msgid_of(text),
        "text": text,
        "time": time.isoformat(timespec="milliseconds"),
    }


def end_reply(req_id: object, status: str, lines: int) -> dict[str, Any]:
    """An ``end`` reply."""
    return {"id": req_id, "type": "end", "status": status, "lines": lines}


def message(text: str, time: datetime) -> dict[str, Any]:
    """An unsolicited ``message``."""
    return {
        "type": "message",
        "msgid": msgid_of(text),
        "text": text,
        "time": time.isoformat(timespec="milliseconds"),
    }


def error_reply(req_id: object, reason: str, *, code: str | None = None) -> dict[str, Any]:
    """An ``error`` reply; ``code`` tells clients what kind (``not-allowed``: refused user)."""
    reply: dict[str, Any] = {"id": req_id, "type": "error", "error": reason}
    if code is not None:
        reply["code"] = code
    return reply
