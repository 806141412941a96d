"""The control protocol's wire format (docs/protocol.md): JSON lines, limits, reply shapes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MAX_REQUEST = 64 * 1024  # bytes in one request line
MAX_BACKLOG = 1024 * 1024  # bytes queued to a client that does not read
REPLY_PACE = 256 * 1024  # bytes of a reply queued before waiting for the client to read
REPLY_STALL = 30.0  # seconds a reply waits for a client that reads nothing, then drops it
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
    """Decode one request line; raises ProtocolError with a reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("request is not UTF-8") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"request is not JSON: {exc.msg}") from None
    except RecursionError:  # [[[[...]]]] deeper than the parser's stack
        raise ProtocolError("request is nested too deeply") from None
    if not isinstance(obj, dict):
        raise ProtocolError("request is not a JSON object")
    op = obj.get("op")
    if op not in OPS:
        raise ProtocolError(f"unknown op {op!r}; one of {', '.join(sorted(OPS))}")
    if op == "command" and not isinstance(obj.get("text"), str):
        raise ProtocolError("command needs a 'text' string")
    return Request(id=obj.get("id"), op=str(op), fields=obj)


def msgid_of(text: str) -> str | None:
    """The message ID a line starts with, if any."""
    m = _MSGID.match(text)
    return m.group(1) if m else None


def encode(obj: dict[str, Any]) -> bytes:
    """One JSON line."""
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8")


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


def error_reply(req_id: object, reason: str) -> dict[str, Any]:
    """An ``error`` reply."""
    return {"id": req_id, "type": "error", "error": reason}
