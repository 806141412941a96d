"""syslogd: the z/OS syslog daemon, as the Policy Agent and the TCP/IP stack write to it.

The layers of pagent import one way (policy -> stack -> agent -> syslogd -> service); this
package imports nothing from the others, so any of them can be given a :class:`Syslogd`.

* :mod:`~pagent.syslogd.conf`: reading syslog.conf (rules, conditions, destinations).
* :mod:`~pagent.syslogd.record`: a record, the syslog facilities and priorities, its line.
* :mod:`~pagent.syslogd.router`: which rules take a record.
* :mod:`~pagent.syslogd.sink`: files that survive rotation, console and null sinks.
* :mod:`~pagent.syslogd.daemon`: the daemon (log, reload, reopen, close) and structlog glue.
"""

from pagent.syslogd.conf import (
    CONSOLE,
    ConfError,
    Destination,
    FileDest,
    ForwardDest,
    Rule,
    Selector,
    SyslogConf,
    load_conf,
    parse_conf,
    zos_path,
)
from pagent.syslogd.daemon import (
    LEVEL_PRIORITIES,
    Syslogd,
    SyslogdLogger,
    SyslogdLoggerFactory,
    SyslogdRenderer,
    SyslogdTee,
)
from pagent.syslogd.record import Facility, Priority, Record, render, timestamp
from pagent.syslogd.router import Router, rule_matches, selector_matches
from pagent.syslogd.sink import CallbackSink, FileSink, NullSink, Sink

__all__ = [
    "CONSOLE",
    "LEVEL_PRIORITIES",
    "CallbackSink",
    "ConfError",
    "Destination",
    "Facility",
    "FileDest",
    "FileSink",
    "ForwardDest",
    "NullSink",
    "Priority",
    "Record",
    "Router",
    "Rule",
    "Selector",
    "Sink",
    "SyslogConf",
    "Syslogd",
    "SyslogdLogger",
    "SyslogdLoggerFactory",
    "SyslogdRenderer",
    "SyslogdTee",
    "load_conf",
    "parse_conf",
    "render",
    "rule_matches",
    "selector_matches",
    "timestamp",
    "zos_path",
]
