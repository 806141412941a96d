"""One syslogd record: its fields, the syslog vocabulary they use, and its one-line layout.

A :class:`Record` is what a program hands to syslogd plus what syslogd adds (the time and
the host name). :func:`render` lays it out as the z/OS syslogd file record of
pagent-ops.md §7.3, the BSD form::

    Mmm dd hh:mm:ss host tag[pid]: text

and, with the user IDs option ``-u`` (on in the workshop: ``syslogd -cuf``), the user ID and
job name of the sender after the host, each padded to 8 columns::

    Mar 23 19:44:07 WG31 PAGENT   PAGENT   PAGENT[56]: EVENT   :001: main: EZZ8431I PAGENT STARTING
    Dec 23 04:52:29 WG31 TCPIP    TCPIP1   TTLS[56]: 04:52:29 TCPIP1   EZD1281I TTLS Map ...

(as the service writes them: PAGENT under user ID and job name PAGENT, AT-TLS under user ID
TCPIP and the stack's job name). The text is the program's business: AT-TLS puts its own
creation time and the stack's job name in it (§5.1), PAGENT its LogLevel category, thread
number and function prefix (``EVENT   :001: main: ``, §7.3, §8). This module does no I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

# Fidelity notes
# ==============
# The reference has no IBM page for the record layout (§7.3: "Best reconstruction [UNV]").
# Choices made here:
# * The header is the reference's reconstruction, ``Mmm dd hh:mm:ss host tag[pid]: ``, with
#   the day blank-padded (``Apr  8``, [OBS] in APAR PM36877) and English month names
#   whatever the locale.
# * With ``-u`` the user ID and then the job name come after the host name, each padded to
#   8 columns (MVS names have at most 8 characters), so that the tags line up. The
#   reference says only that ``-u`` adds the user ID "(and job name [UNV])" with the
#   placement [UNV]; the order follows the syslog.conf condition ``userid.jobname.``. Without
#   ``-u`` neither appears.
# * The tag is the program's name (``TTLS`` [OBS]; ``Pagent`` [UNV]) and defaults to the job
#   name when a program gives none. A record without a process ID shows ``tag:``.
# * The header time is the record's time as given, without any time zone conversion; the
#   daemon stamps it with its injected clock. APAR PM36877 suggests the header is in GMT
#   while AT-TLS's own time in the text is local (§7.3, [UNV]): inject a UTC clock to get that.
# * A record is one line: a line break inside the text (LF, CR, CR LF, NEL, LS, PS) becomes a
#   blank, and other ASCII control characters are shown as ``^X`` (DEL as ``^?``), as BSD
#   syslogd does; a tab is kept. How z/OS syslogd treats them is not documented.
# * The workshop's ISPF view of syslogall.log starts at column 63 ("Columns 00063 00134"),
#   so it shows no header at all and is no witness for the layout; its ``003415`` is the
#   ISPF line number, not part of the record.
# * The facility names are BSD's (kern user mail daemon auth syslog lpr news uucp cron
#   authpriv ftp local0-local7, and ``security`` for auth); the reference names only daemon
#   and auth (§5.1, §7.4). The priority names are the eight of syslog(3), with the BSD
#   aliases panic, error and warn.


class Facility(enum.StrEnum):
    """A syslog facility: which part of the system a record comes from."""

    KERN = "kern"
    USER = "user"
    MAIL = "mail"
    DAEMON = "daemon"
    AUTH = "auth"
    SYSLOG = "syslog"
    LPR = "lpr"
    NEWS = "news"
    UUCP = "uucp"
    CRON = "cron"
    AUTHPRIV = "authpriv"
    FTP = "ftp"
    LOCAL0 = "local0"
    LOCAL1 = "local1"
    LOCAL2 = "local2"
    LOCAL3 = "local3"
    LOCAL4 = "local4"
    LOCAL5 = "local5"
    LOCAL6 = "local6"
    LOCAL7 = "local7"

    @classmethod
    def parse(cls, name: str) -> Facility:
        """The facility called ``name`` (any case, ``security`` = auth); ValueError if none."""
        key = name.strip().lower()
        key = _FACILITY_ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown facility '{name}'") from None


class Priority(enum.IntEnum):
    """A syslog priority (severity); a smaller value is more severe, as in syslog(3)."""

    EMERG = 0
    ALERT = 1
    CRIT = 2
    ERR = 3
    WARNING = 4
    NOTICE = 5
    INFO = 6
    DEBUG = 7

    @property
    def label(self) -> str:
        """The name as syslog.conf writes it: ``err``, ``warning``."""
        return self.name.lower()

    def at_least(self, threshold: Priority) -> bool:
        """True when this priority is ``threshold`` or more severe."""
        return self <= threshold

    @classmethod
    def parse(cls, name: str) -> Priority:
        """The priority called ``name`` (any case, BSD aliases too); ValueError if none."""
        key = name.strip().lower()
        key = _PRIORITY_ALIASES.get(key, key)
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown priority '{name}'") from None


_FACILITY_ALIASES: Final = {"security": "auth"}
_PRIORITY_ALIASES: Final = {"panic": "emerg", "error": "err", "warn": "warning"}

MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Month abbreviations of the header, fixed (not the locale's)."""

NAME_WIDTH: Final = 8
"""Columns of the user ID and job name in the ``-u`` header: the MVS name length."""


@dataclass(frozen=True, slots=True)
class Record:
    """One syslogd record.

    ``jobname`` and ``userid`` identify the sender (they are what syslog.conf's
    ``userid.jobname.`` conditions match); ``tag`` is the program name shown before the
    process ID (the job name when None); ``pid`` may be None for a sender without one.
    """

    time: datetime
    facility: Facility
    priority: Priority
    host: str
    jobname: str
    userid: str
    pid: int | None
    text: str
    tag: str | None = None

    def __post_init__(self) -> None:
        for name in ("host", "jobname", "userid"):
            _check_word(name, getattr(self, name))
        if self.tag is not None:
            _check_word("tag", self.tag)
        if self.pid is not None and self.pid < 0:
            raise ValueError(f"pid must not be negative: {self.pid}")

    @property
    def ident(self) -> str:
        """The tag as shown in the header: ``tag`` or else the job name."""
        return self.tag if self.tag is not None else self.jobname


def _check_word(name: str, value: str) -> None:
    if not value or any(c.isspace() for c in value):
        raise ValueError(f"{name} must be a non-empty word: {value!r}")


def timestamp(time: datetime) -> str:
    """The header time stamp ``Mmm dd hh:mm:ss``, the day blank-padded."""
    return f"{MONTHS[time.month - 1]} {time.day:2d} {time:%H:%M:%S}"


_LINE_BREAKS: Final = frozenset("\n\r\x85\u2028\u2029")


def one_line(text: str) -> str:
    """``text`` made into one line: line breaks become blanks, control characters ``^X``."""
    if text.isprintable():
        return text
    text = text.replace("\r\n", "\n")
    out: list[str] = []
    for c in text:
        if c in _LINE_BREAKS:
            out.append(" ")
        elif c == "\t" or c.isprintable() or ord(c) > 0x7F:
            out.append(c)
        else:
            out.append("^" + chr(ord(c) ^ 0x40))
    return "".join(out)


def render(record: Record, *, user_ids: bool = True) -> str:
    """The record as one line of a syslogd file, without the line end.

    ``user_ids`` is syslogd's ``-u`` option: the user ID and job name follow the host name.
    """
    head = f"{timestamp(record.time)} {record.host} "
    if user_ids:
        head += f"{record.userid:<{NAME_WIDTH}} {record.jobname:<{NAME_WIDTH}} "
    ident = record.ident if record.pid is None else f"{record.ident}[{record.pid}]"
    return f"{head}{ident}: {one_line(record.text)}"
