"""The syslog daemon: takes records, routes them by syslog.conf, writes them; reload and reopen.

:class:`Syslogd` is z/OS syslogd (pagent-ops.md §7) without its sockets: programs call
:meth:`Syslogd.log` with a facility, a priority and who they are; the daemon stamps the
record with its injected clock and host name, picks the destinations with the rules of
syslog.conf and writes one line to each. :meth:`Syslogd.reload` is ``F SYSLOGD,RESTART`` or
SIGHUP (re-read syslog.conf; a file with errors changes nothing), :meth:`Syslogd.reopen`
is SIGUSR1 (reopen every file after log rotation). The daemon installs no signal handlers:
that is the service's business.

The rest of pagent logs through structlog. :class:`SyslogdRenderer` is the last processor
of a chain (it turns an event dict into the arguments of :meth:`Syslogd.log`) and
:class:`SyslogdLoggerFactory` makes the loggers that hand those to the daemon::

    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars,
                    SyslogdRenderer(jobname="PAGENT", userid="TCPIP", pid=os.getpid())],
        logger_factory=SyslogdLoggerFactory(syslogd),
    )

:class:`SyslogdTee` is a processor that writes the record and passes the event dict on, for
a chain that also renders elsewhere (the service's console). The keys ``syslog_facility``,
``syslog_priority``, ``syslog_jobname``, ``syslog_userid``, ``syslog_pid`` and
``syslog_tag``, when bound, override the renderer's settings for one event.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from structlog.typing import EventDict, WrappedLogger

from pagent.syslogd.conf import ConfError, Destination, FileDest, Rule, load_conf
from pagent.syslogd.record import Facility, Priority, Record, one_line, render
from pagent.syslogd.router import Router
from pagent.syslogd.sink import CallbackSink, FileSink, NullSink, Sink

# Fidelity notes
# ==============
# * At start, a syslog.conf with bad lines is used without them (each is reported), as BSD
#   syslogd does; a missing or unreadable file leaves syslogd with no rules, so every record
#   is dropped. At reload (RESTART/SIGHUP) a file with any error changes nothing: the old
#   rules stay and the errors are reported (the project's reload rule; §7.1 only says that
#   RESTART rereads the configuration).
# * Reload keeps the files that the new configuration still names open (no reopen); files no
#   longer named are closed. The FSUM1254/FSUM1252 responses are the console's business.
# * The user IDs option ``-u`` is on by default, as in the workshop (``syslogd -cuf``);
#   files are always created when missing (``-c``).
# * ``/dev/console`` is the file ROOT/dev/console unless the daemon is given a console
#   function (§7.1: "if /dev/console is a regular file, messages go into that file"). The
#   BPXF024I wrapping of console records (§7.3) is the console's business.
# * Forwarding (``@host``) is not emulated: such records are dropped.
# * After close, records are dropped, as they are when syslogd is not running.
# * structlog levels map to priorities as debug -> debug, info -> info, notice -> notice,
#   warning -> warning, error and exception -> err, critical -> crit (mapping [UNV], §7.4).
#   PAGENT logs to facility daemon (§7.4, [EX]), the renderer's default. The event's own
#   ``timestamp`` and ``level`` keys are dropped (the header has both); other keys follow
#   the event as `` key=value`` with the value's repr, as structlog's KeyValueRenderer does.

FACILITY_KEY: Final = "syslog_facility"
PRIORITY_KEY: Final = "syslog_priority"
JOBNAME_KEY: Final = "syslog_jobname"
USERID_KEY: Final = "syslog_userid"
PID_KEY: Final = "syslog_pid"
TAG_KEY: Final = "syslog_tag"

LEVEL_PRIORITIES: Final[Mapping[str, Priority]] = {
    "debug": Priority.DEBUG,
    "info": Priority.INFO,
    "msg": Priority.INFO,
    "log": Priority.INFO,
    "notice": Priority.NOTICE,
    "warn": Priority.WARNING,
    "warning": Priority.WARNING,
    "err": Priority.ERR,
    "error": Priority.ERR,
    "exception": Priority.ERR,
    "critical": Priority.CRIT,
    "fatal": Priority.CRIT,
    "failure": Priority.CRIT,
    "alert": Priority.ALERT,
    "emerg": Priority.EMERG,
}
"""The syslog priority of each structlog method name (and ``level`` value)."""

_DROPPED_KEYS: Final = ("level", "timestamp")

Clock = Callable[[], datetime]
Report = Callable[[str], None]


def _report_to_stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


class Syslogd:
    """z/OS syslogd: route records by ``conf_path`` to files under ``root``.

    ``clock`` stamps the records, ``host`` is the host name in their header. ``user_ids`` is
    the ``-u`` option. ``console`` receives the lines routed to ``/dev/console`` (without it
    they go to the file ROOT/dev/console). ``report`` receives syslogd's own complaints
    (configuration errors, files that cannot be written); it must not log back into this
    daemon. It defaults to standard error.
    """

    def __init__(
        self,
        conf_path: Path,
        root: Path,
        clock: Clock,
        host: str,
        *,
        user_ids: bool = True,
        console: Callable[[str], None] | None = None,
        report: Report | None = None,
    ) -> None:
        self._conf_path = conf_path
        self._root = root
        self._clock = clock
        self._host = host
        self._user_ids = user_ids
        self._console = console
        self._report: Report = report or _report_to_stderr
        self._lock = threading.Lock()
        self._closed = False
        self._failing: set[int] = set()  # ids of sinks whose last write failed
        self._rules: tuple[Rule, ...] = ()
        self._sinks: dict[tuple[object, ...], Sink] = {}
        self._router: Router[Sink] = Router(())
        conf = load_conf(conf_path, root)
        self._errors = conf.errors
        problems = [str(e) for e in conf.errors]
        with self._lock:
            problems += self._install(conf.rules)
        self._tell(problems)

    # --- state --------------------------------------------------------------------------
    @property
    def conf_path(self) -> Path:
        """The syslog.conf read (a file of this machine)."""
        return self._conf_path

    @property
    def root(self) -> Path:
        """The system root that destinations are mapped under."""
        return self._root

    @property
    def host(self) -> str:
        """The host name of the record headers."""
        return self._host

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules in force."""
        return self._rules

    @property
    def errors(self) -> tuple[ConfError, ...]:
        """The errors of the last reading of syslog.conf (at start or reload)."""
        return self._errors

    @property
    def closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    # --- operations ---------------------------------------------------------------------
    def log(
        self,
        facility: Facility | str,
        priority: Priority | str,
        jobname: str,
        userid: str,
        pid: int | None,
        text: str,
        *,
        tag: str | None = None,
    ) -> Record:
        """Take one message; return the record as stamped (written, or dropped when closed).

        ``facility`` and ``priority`` are members or names (``"daemon"``, ``"err"``);
        ``tag`` is the program name of the header (the job name when None).
        """
        fac = facility if isinstance(facility, Facility) else Facility.parse(facility)
        prio = priority if isinstance(priority, Priority) else Priority.parse(priority)
        problems: list[str] = []
        with self._lock:
            record = Record(self._clock(), fac, prio, self._host, jobname, userid, pid, text, tag)
            if not self._closed:
                sinks = self._router.route(record)
                if sinks:
                    line = render(record, user_ids=self._user_ids)
                    problems = [p for s in sinks if (p := self._write(s, line))]
        self._tell(problems)
        return record

    def log_many(
        self,
        facility: Facility | str,
        priority: Priority | str,
        jobname: str,
        userid: str,
        pid: int | None,
        texts: Sequence[str],
        *,
        tag: str | None = None,
        prefix: str = "",
        printable: bool = False,
    ) -> None:
        """Take many messages of one sender at one moment: each is a record as :meth:`log`
        makes it of ``prefix + text``, stamped with one clock reading, routed once and
        written with one write per file.

        This is how PAGENT's per-statement lines reach the log: at LogLevel 511 a policy of
        50,000 rules makes half a million of them per refresh (issue 13 §1), and one
        :meth:`log` call each costs seconds. The block is made in C (one join); a text is
        made into one line only when it is not printable, as :func:`one_line` does, and
        ``printable`` says the caller knows every text is (then none is looked at).
        """
        if not texts:
            return
        fac = facility if isinstance(facility, Facility) else Facility.parse(facility)
        prio = priority if isinstance(priority, Priority) else Priority.parse(priority)
        problems: list[str] = []
        with self._lock:
            # The records differ only in their text, which no rule looks at: one stands for all.
            record = Record(self._clock(), fac, prio, self._host, jobname, userid, pid, "", tag)
            if self._closed:
                return
            sinks = self._router.route(record)
            if sinks:
                head = render(record, user_ids=self._user_ids) + one_line(prefix)  # ": " ends it
                if not printable and not all(map(str.isprintable, texts)):
                    texts = [one_line(text) for text in texts]
                problems = [p for s in sinks if (p := self._write_block(s, head, texts))]
        self._tell(problems)

    def reload(self) -> tuple[ConfError, ...]:
        """Read syslog.conf again and use it; if it has errors, report them and keep the old.

        Returns the errors (empty when the new rules are in force).
        """
        conf = load_conf(self._conf_path, self._root)
        self._errors = conf.errors
        if conf.errors:
            self._tell(
                [str(e) for e in conf.errors]
                + [f"{conf.path}: {len(conf.errors)} error(s), the configuration is unchanged"]
            )
            return conf.errors
        with self._lock:
            if self._closed:
                return ()
            problems = self._install(conf.rules)
        self._tell(problems)
        return ()

    def reopen(self) -> None:
        """Reopen every file (after log rotation, SIGUSR1)."""
        problems: list[str] = []
        with self._lock:
            if self._closed:
                return
            for sink in self._sinks.values():
                try:
                    sink.reopen()
                except OSError as exc:
                    problems.append(_failure("reopen", sink, exc))
        self._tell(problems)

    def close(self) -> None:
        """Close every file; later records are dropped. Closing twice is harmless."""
        with self._lock:
            self._closed = True
            for sink in self._sinks.values():
                sink.close()
            self._sinks = {}
            self._router = Router(())

    def __enter__(self) -> Syslogd:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- under the lock -----------------------------------------------------------------
    def _install(self, rules: tuple[Rule, ...]) -> list[str]:
        """Use ``rules``: keep the sinks still named, open new ones, close the rest."""
        problems: list[str] = []
        old: dict[tuple[object, ...], Sink] = self._sinks
        new: dict[tuple[object, ...], Sink] = {}
        routes: list[tuple[Rule, Sink]] = []
        for rule in rules:
            key = _sink_key(rule, self._console is not None)
            sink = new.get(key)
            if sink is None:
                sink = old.get(key)
            if sink is None:
                sink = self._make_sink(rule.destination, rule)
                if isinstance(sink, FileSink):
                    try:
                        sink.open()
                    except OSError as exc:
                        problems.append(_failure("open", sink, exc))
            new[key] = sink
            routes.append((rule, sink))
        for key, sink in old.items():
            if key not in new:
                sink.close()
        self._rules, self._sinks, self._router = rules, new, Router(routes)
        self._failing &= {id(s) for s in new.values()}
        return problems

    def _make_sink(self, dest: Destination, rule: Rule) -> Sink:
        if not isinstance(dest, FileDest):
            return NullSink()
        if dest.is_console and self._console is not None:
            return CallbackSink(self._console)
        return FileSink(dest.path, file_mode=rule.file_mode, dir_mode=rule.dir_mode)

    def _write(self, sink: Sink, line: str) -> str | None:
        """Write a line to one sink; a complaint the first time it fails, else None."""
        return self._failed(sink, sink.write, line)

    def _write_block(self, sink: Sink, head: str, texts: Sequence[str]) -> str | None:
        """Write ``head + text`` per text to one sink as a block (see :meth:`_write`)."""
        return self._failed(sink, lambda _: sink.write_block(head, texts), "")

    def _failed(self, sink: Sink, write: Callable[[str], None], line: str) -> str | None:
        try:
            write(line)
        except OSError as exc:
            if id(sink) in self._failing:
                return None
            self._failing.add(id(sink))
            return _failure("write", sink, exc)
        self._failing.discard(id(sink))
        return None

    def _tell(self, problems: list[str]) -> None:
        for p in problems:
            self._report(p)


def _sink_key(rule: Rule, has_console: bool) -> tuple[object, ...]:
    dest = rule.destination
    if not isinstance(dest, FileDest):
        return ("forward", dest.host)
    if dest.is_console and has_console:
        return ("console",)
    return ("file", dest.path, rule.file_mode, rule.dir_mode)


def _failure(what: str, sink: Sink, exc: OSError) -> str:
    target = sink.path if isinstance(sink, FileSink) else sink
    return f"syslogd: cannot {what} {target}: {exc.strerror or exc}"


# --- structlog --------------------------------------------------------------------------
class SyslogdRenderer:
    """The final structlog processor: an event dict becomes the arguments of ``Syslogd.log``.

    The constructor gives who logs (job name, user ID, process ID, tag) and the facility;
    the method name gives the priority (:data:`LEVEL_PRIORITIES`). The text is the event,
    then the other keys as `` key=value``.
    """

    __slots__ = ("_facility", "_jobname", "_pid", "_tag", "_userid")

    def __init__(
        self,
        *,
        jobname: str,
        userid: str,
        pid: int | None = None,
        tag: str | None = None,
        facility: Facility | str = Facility.DAEMON,
    ) -> None:
        self._facility = facility if isinstance(facility, Facility) else Facility.parse(facility)
        self._jobname = jobname
        self._userid = userid
        self._pid = pid
        self._tag = tag

    def __call__(
        self, logger: WrappedLogger, method_name: str, event_dict: EventDict
    ) -> tuple[tuple[()], dict[str, Any]]:
        return (), self.arguments(method_name, event_dict)

    def arguments(self, method_name: str, event_dict: EventDict) -> dict[str, Any]:
        """The keyword arguments of ``Syslogd.log`` for one event (``event_dict`` is kept)."""
        ev = dict(event_dict)
        priority = _priority(ev.pop(PRIORITY_KEY, None), method_name, ev.get("level"))
        facility = ev.pop(FACILITY_KEY, self._facility)
        jobname = ev.pop(JOBNAME_KEY, self._jobname)
        userid = ev.pop(USERID_KEY, self._userid)
        pid = ev.pop(PID_KEY, self._pid)
        tag = ev.pop(TAG_KEY, self._tag)
        for key in _DROPPED_KEYS:
            ev.pop(key, None)
        text = str(ev.pop("event", ""))
        if ev:
            text += "".join(f" {k}={v!r}" for k, v in ev.items())
        return {
            "facility": facility,
            "priority": priority,
            "jobname": jobname,
            "userid": userid,
            "pid": pid,
            "text": text,
            "tag": tag,
        }


def _priority(given: object, method_name: str, level: object) -> Priority | str:
    if isinstance(given, Priority | str):
        return given
    for name in (method_name, level):
        if isinstance(name, str) and name.lower() in LEVEL_PRIORITIES:
            return LEVEL_PRIORITIES[name.lower()]
    return Priority.INFO


class SyslogdLogger:
    """The wrapped logger of a structlog chain ending in :class:`SyslogdRenderer`."""

    __slots__ = ("_syslogd",)

    def __init__(self, syslogd: Syslogd) -> None:
        self._syslogd = syslogd

    def __repr__(self) -> str:
        return f"<SyslogdLogger(conf={str(self._syslogd.conf_path)!r})>"

    def msg(
        self,
        *,
        facility: Facility | str,
        priority: Priority | str,
        jobname: str,
        userid: str,
        pid: int | None,
        text: str,
        tag: str | None = None,
    ) -> None:
        """Hand one rendered event to syslogd."""
        self._syslogd.log(facility, priority, jobname, userid, pid, text, tag=tag)

    log = debug = info = notice = warn = warning = msg
    fatal = failure = err = error = critical = exception = alert = emerg = msg


class SyslogdLoggerFactory:
    """structlog's ``logger_factory``: every logger writes to one :class:`Syslogd`."""

    __slots__ = ("_syslogd",)

    def __init__(self, syslogd: Syslogd) -> None:
        self._syslogd = syslogd

    def __call__(self, *args: object) -> SyslogdLogger:
        """A logger; the arguments (structlog passes the logger name) are ignored."""
        return SyslogdLogger(self._syslogd)


class SyslogdTee:
    """A structlog processor that writes the event to syslogd and passes it on unchanged."""

    __slots__ = ("_renderer", "_syslogd")

    def __init__(
        self,
        syslogd: Syslogd,
        *,
        jobname: str,
        userid: str,
        pid: int | None = None,
        tag: str | None = None,
        facility: Facility | str = Facility.DAEMON,
    ) -> None:
        self._syslogd = syslogd
        self._renderer = SyslogdRenderer(
            jobname=jobname, userid=userid, pid=pid, tag=tag, facility=facility
        )

    def __call__(self, logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        self._syslogd.log(**self._renderer.arguments(method_name, event_dict))
        return event_dict
