"""Routing: which rules of syslog.conf a record matches, and so which sinks it goes to.

A condition matches a record when the record's facility is one of the condition's (or the
condition says ``*``), the sender's user ID and job name fit the condition's patterns, and
the record's priority is the condition's priority or more severe. A rule matches when one of
its conditions matches and none of its ``none`` conditions does. The router is built once
per configuration (patterns compiled up front) and is cheap per record; it does no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pagent.syslogd.conf import Rule, Selector
from pagent.syslogd.record import Facility, Priority, Record

# Fidelity notes
# ==============
# * The conditions of a rule are read as a set, not in order: a rule takes a record when any
#   positive condition matches and no ``none`` condition matches, so ``*.info;mail.none``
#   and ``mail.none;*.info`` both leave mail out. BSD syslogd lets a later condition undo an
#   earlier one and Linux sysklogd adds priorities up; what z/OS does is not documented.
# * Remote conditions ``(hostspec).facility.priority`` match nothing: this syslogd takes
#   local messages only (no UDP 514 listener), so they can neither take nor exclude a record.
# * A record goes to each sink once, even when several rules name the same destination
#   (BSD syslogd writes it once per rule; z/OS is not documented).

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class _Matcher:
    """A condition prepared for matching."""

    facilities: frozenset[Facility] | None
    priority: Priority | None
    userid: re.Pattern[str] | None  # None: any
    jobname: re.Pattern[str] | None
    remote: bool

    @classmethod
    def of(cls, selector: Selector) -> _Matcher:
        return cls(
            selector.facilities,
            selector.priority,
            _pattern(selector.userid),
            _pattern(selector.jobname),
            selector.hostspec is not None,
        )

    def fits(self, record: Record) -> bool:
        """The record's facility and sender fit, whatever its priority."""
        if self.remote:
            return False
        if self.facilities is not None and record.facility not in self.facilities:
            return False
        if self.userid is not None and not self.userid.fullmatch(record.userid):
            return False
        return self.jobname is None or bool(self.jobname.fullmatch(record.jobname))


def _pattern(name: str) -> re.Pattern[str] | None:
    """A user ID or job name pattern: ``*`` is any run of characters, case does not matter."""
    if name == "*":
        return None
    return re.compile(".*".join(re.escape(p) for p in name.split("*")), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    take: tuple[_Matcher, ...]
    exclude: tuple[_Matcher, ...]

    @classmethod
    def of(cls, rule: Rule) -> _CompiledRule:
        take = tuple(_Matcher.of(s) for s in rule.selectors if not s.excludes)
        exclude = tuple(_Matcher.of(s) for s in rule.selectors if s.excludes)
        return cls(take, exclude)

    def matches(self, record: Record) -> bool:
        if not any(
            m.fits(record) and m.priority is not None and record.priority.at_least(m.priority)
            for m in self.take
        ):
            return False
        return not any(m.fits(record) for m in self.exclude)


def selector_matches(selector: Selector, record: Record) -> bool:
    """True when ``selector`` takes ``record`` (always False for a ``none`` condition)."""
    m = _Matcher.of(selector)
    return m.priority is not None and m.fits(record) and record.priority.at_least(m.priority)


def rule_matches(rule: Rule, record: Record) -> bool:
    """True when ``rule`` takes ``record``."""
    return _CompiledRule.of(rule).matches(record)


class Router(Generic[S]):
    """The rules of a configuration, each with its sink; :meth:`route` picks a record's sinks."""

    __slots__ = ("_routes",)

    def __init__(self, routes: Iterable[tuple[Rule, S]]) -> None:
        self._routes = tuple((_CompiledRule.of(rule), sink) for rule, sink in routes)

    def route(self, record: Record) -> tuple[S, ...]:
        """The sinks of the rules that take ``record``, in rule order, each once."""
        out: list[S] = []
        for rule, sink in self._routes:
            if rule.matches(record) and not any(s is sink for s in out):
                out.append(sink)
        return tuple(out)

    def __len__(self) -> int:
        return len(self._routes)
