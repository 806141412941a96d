"""Output helpers shared by the commands."""

from __future__ import annotations

import json
import sys

EXIT_USAGE = 2


def err(message: str) -> None:
    """Print an error for the person at the terminal."""
    print(f"pagent: {message}", file=sys.stderr)


def dump_json(obj: object) -> None:
    """Write one JSON document to stdout."""
    json.dump(obj, sys.stdout, indent=2)
    sys.stdout.write("\n")
