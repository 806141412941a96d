"""PAGENT's LogLevel: the bit mask that selects which log lines are written.

pagent-ops.md §1.3 [DOC]: 1 SYSERR, 2 OBJERR, 4 PROTERR, 8 WARNING, 16 EVENT, 32 ACTION,
64 INFO, 128 ACNTING, 256 TRACE; 31 is the default and 511 logs everything. Which category
each of PAGENT's lines belongs to is not documented (§8); the table in
:data:`LINE_CATEGORY` is pagent's choice (docs/fidelity.md), made so that the workshop's
LogLevel 511 shows every line its capture shows.
"""

from __future__ import annotations

from enum import IntFlag


class LogLevel(IntFlag):
    """The LogLevel categories."""

    SYSERR = 1
    OBJERR = 2
    PROTERR = 4
    WARNING = 8
    EVENT = 16
    ACTION = 32
    INFO = 64
    ACNTING = 128
    TRACE = 256


DEFAULT = 31
ALL = 511

# Category of each kind of line PAGENT writes (UNV, see module docstring).
LINE_CATEGORY: dict[str, LogLevel] = {
    "console": LogLevel.EVENT,  # messages with an ID, written to the console too
    "error": LogLevel.OBJERR,  # definition errors behind EZZ8438I
    "warning": LogLevel.WARNING,
    "environment": LogLevel.INFO,  # main: Use environment / EXPORT / code page / log level
    "profile": LogLevel.INFO,  # _profile: Processing ... and Processing: 'stmt name'
    "action": LogLevel.ACTION,  # Processing TTLS Group action ... / rule ...
    "change": LogLevel.EVENT,  # what a refresh changed, or that nothing changed
}


def effective(log_level: int, debug_level: int) -> int:
    """The mask in force: debug level 1 raises it to the maximum (pagent-ops §1.5 -d)."""
    return ALL if debug_level & 1 else log_level
