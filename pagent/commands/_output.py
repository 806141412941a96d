"""Output helpers shared by the commands."""

from __future__ import annotations

import json
import sys

from pagent.policy.diagnostics import printable
from pagent.policy.source import SourceError

EXIT_USAGE = 2


def err(message: str) -> None:
    """Print an error for the person at the terminal, control characters escaped."""
    print(printable(f"pagent: {message}"), file=sys.stderr)


def read_error(exc: OSError) -> str:
    """One line for a file that cannot be read: "P is a FIFO, not a regular file"."""
    if isinstance(exc, SourceError) and exc.strerror:
        return f"{exc.filename} {exc.strerror}"
    return f"cannot read {exc.filename}: {exc.strerror or exc}"


def dump_json(obj: object) -> None:
    """Write one JSON document to stdout."""
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")
