"""Rule-to-connection mapping: which installed rule a TCP connection maps to.

ttls-language.md §4: rules are tried by Priority descending, then name; the first rule
whose every coded condition matches wins (conjunctive normal form: conditions ANDed, the
members of an IpAddrGroup or PortGroup ORed); an uncoded condition matches anything.
Direction Inbound is a passive (accepted) socket, Outbound an active one; local and remote
are from the z/OS side. Job name and user id: trailing ``*`` is a prefix match and a bare
``*`` matches anything [EX]; other wildcard forms and the case rule are unconfirmed, so
pagent compares upper-cased (the QoS analog, [DOC-analog]) and treats ``*`` anywhere and
``%`` as a shell-style wildcard (docs/fidelity.md).

Speed: issue 2 asks for a match within 20 µs against 10,000 rules, so rules are indexed.
A rule whose local port condition spans few ports is filed under each of those ports; else
under its remote ports; else in a general list. A lookup merges the (already ordered)
candidate lists of the connection's two ports and the general list and stops at the first
rule that matches, so the cost depends on the rules that share a port, not on the policy.
"""

from __future__ import annotations

import fnmatch
import heapq
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pagent.policy.addresses import ALL_ADDRESSES, ANY_PORT, AddrSpec, PortSpec
from pagent.policy.policy import Policy
from pagent.policy.statements import (
    IpAddr,
    IpAddrGroup,
    IpAddrSet,
    IpTimeCondition,
    PortGroup,
    PortRange,
    TTLSRule,
)

Direction = Literal["inbound", "outbound"]
_NARROW = 64  # a port condition spanning at most this many ports is indexed port by port


@dataclass(frozen=True, slots=True)
class Connection:
    """A TCP connection as the stack sees it when it looks for a rule."""

    direction: Direction
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int
    jobname: str = ""
    userid: str = ""


@dataclass(frozen=True, slots=True)
class NamePattern:
    """A Jobname or Userid condition, compiled."""

    text: str
    upper: str = field(init=False)
    prefix: str | None = field(init=False)  # trailing-* form
    glob: bool = field(init=False)
    translated: str = field(init=False)  # the fnmatch form of a glob

    def __post_init__(self) -> None:
        up = self.text.upper()
        object.__setattr__(self, "upper", up)
        body = up[:-1] if up.endswith("*") else None
        simple = body is not None and "*" not in body and "%" not in body
        object.__setattr__(self, "prefix", body if simple else None)
        object.__setattr__(self, "glob", not simple and ("*" in up or "%" in up))
        # Only '*' (any run) and '%' (one character) are wildcards; '?' and '[' are literal.
        literal = up.replace("[", "[[]").replace("?", "[?]")
        object.__setattr__(self, "translated", literal.replace("%", "?"))

    def matches(self, value: str) -> bool:
        """True when the job name or user id fits the pattern."""
        v = value.upper()
        if self.prefix is not None:
            return v.startswith(self.prefix)
        if self.glob:
            return fnmatch.fnmatchcase(v, self.translated)
        return v == self.upper


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule's conditions resolved to plain ranges, with its position in match order."""

    order: int
    rule: TTLSRule
    inbound: bool
    outbound: bool
    local_addrs: tuple[AddrSpec, ...]
    remote_addrs: tuple[AddrSpec, ...]
    local_ports: tuple[PortSpec, ...]
    remote_ports: tuple[PortSpec, ...]
    jobname: NamePattern | None
    userid: NamePattern | None
    time: IpTimeCondition | None

    def matches(
        self, version: int, local: int, remote: int, conn: Connection, now: datetime | None
    ) -> bool:
        """True when every condition of the rule holds for the connection."""
        if not any(a.contains(version, local) for a in self.local_addrs):
            return False
        if not any(a.contains(version, remote) for a in self.remote_addrs):
            return False
        if not any(p.contains(conn.local_port) for p in self.local_ports):
            return False
        if not any(p.contains(conn.remote_port) for p in self.remote_ports):
            return False
        if self.jobname is not None and not self.jobname.matches(conn.jobname):
            return False
        if self.userid is not None and not self.userid.matches(conn.userid):
            return False
        return self.time is None or now is None or in_period(self.time, now)


def _addr_members(policy: Policy, group: IpAddrGroup) -> Iterator[AddrSpec]:
    for a in group.ip_addr:
        if a.addr is not None:
            yield a.addr
    for name in group.ip_addr_ref:
        ref = policy.get(IpAddr, name)
        if ref is not None and ref.addr is not None:
            yield ref.addr
    for s in group.ip_addr_set:
        yield from _set_member(s)
    for name in group.ip_addr_set_ref:
        ref_set = policy.get(IpAddrSet, name)
        if ref_set is not None:
            yield from _set_member(ref_set)


def _set_member(s: IpAddrSet) -> Iterator[AddrSpec]:
    spec = s.prefix or s.range
    if spec is not None:
        yield spec


def addresses(
    policy: Policy, rule: TTLSRule, side: Literal["local", "remote"]
) -> tuple[AddrSpec, ...]:
    """The address condition of one side of a rule, as a tuple of ORed ranges."""
    literal: AddrSpec | None = getattr(rule, f"{side}_addr")
    if literal is not None:
        return (literal,)
    ref = policy.get(IpAddr, getattr(rule, f"{side}_addr_ref"))
    if ref is not None and ref.addr is not None:
        return (ref.addr,)
    set_ref = policy.get(IpAddrSet, getattr(rule, f"{side}_addr_set_ref"))
    if set_ref is not None:
        return tuple(_set_member(set_ref)) or (ALL_ADDRESSES,)
    group = policy.get(IpAddrGroup, getattr(rule, f"{side}_addr_group_ref"))
    if group is not None:
        return tuple(_addr_members(policy, group))
    return (ALL_ADDRESSES,)


def ports(policy: Policy, rule: TTLSRule, side: Literal["local", "remote"]) -> tuple[PortSpec, ...]:
    """The port condition of one side of a rule, as a tuple of ORed ranges."""
    literal: PortSpec | None = getattr(rule, f"{side}_port_range")
    if literal is not None:
        return (literal,)
    ref = policy.get(PortRange, getattr(rule, f"{side}_port_range_ref"))
    if ref is not None:
        return (ref.port or ANY_PORT,)
    group = policy.get(PortGroup, getattr(rule, f"{side}_port_group_ref"))
    if group is not None:
        members = [r.port or ANY_PORT for r in group.port_range]
        for name in group.port_range_ref:
            member = policy.get(PortRange, name)
            if member is not None:
                members.append(member.port or ANY_PORT)
        return tuple(members)
    return (ANY_PORT,)


def compile_rule(policy: Policy, order: int, rule: TTLSRule) -> CompiledRule:
    """Resolve a rule's conditions."""
    direction = (rule.direction or "Both").lower()
    time = rule.ip_time_condition or policy.get(IpTimeCondition, rule.ip_time_condition_ref)
    return CompiledRule(
        order=order,
        rule=rule,
        inbound=direction in ("inbound", "both"),
        outbound=direction in ("outbound", "both"),
        local_addrs=addresses(policy, rule, "local"),
        remote_addrs=addresses(policy, rule, "remote"),
        local_ports=ports(policy, rule, "local"),
        remote_ports=ports(policy, rule, "remote"),
        jobname=NamePattern(rule.jobname) if rule.jobname else None,
        userid=NamePattern(rule.userid) if rule.userid else None,
        time=time,
    )


def _narrow(specs: tuple[PortSpec, ...]) -> list[int] | None:
    """The ports of a condition when it spans few of them, else None."""
    if any(p.any for p in specs):
        return None
    total = sum(p.high - p.low + 1 for p in specs)
    if total > _NARROW:
        return None
    return sorted({n for p in specs for n in range(p.low, p.high + 1)})


class _Index:
    """The rules of one direction, filed for quick lookup."""

    def __init__(self) -> None:
        self.by_local: dict[int, list[CompiledRule]] = {}
        self.by_remote: dict[int, list[CompiledRule]] = {}
        self.general: list[CompiledRule] = []

    def add(self, c: CompiledRule) -> None:
        local = _narrow(c.local_ports)
        if local is not None:
            for n in local:
                self.by_local.setdefault(n, []).append(c)
            return
        remote = _narrow(c.remote_ports)
        if remote is not None:
            for n in remote:
                self.by_remote.setdefault(n, []).append(c)
            return
        self.general.append(c)

    def candidates(self, conn: Connection) -> Iterator[CompiledRule]:
        lists = [
            self.by_local.get(conn.local_port, []),
            self.by_remote.get(conn.remote_port, []),
            self.general,
        ]
        present = [x for x in lists if x]
        if len(present) == 1:
            return iter(present[0])
        return heapq.merge(*present, key=lambda c: c.order)


class Matcher:
    """Maps connections to the installed rules of a policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.compiled = tuple(compile_rule(policy, i, r) for i, r in enumerate(policy.rules))
        self._inbound = _Index()
        self._outbound = _Index()
        for c in self.compiled:
            if c.inbound:
                self._inbound.add(c)
            if c.outbound:
                self._outbound.add(c)

    def match(self, conn: Connection, now: datetime | None = None) -> TTLSRule | None:
        """The first rule in match order whose conditions all hold, or None."""
        found = self.match_compiled(conn, now)
        return found.rule if found is not None else None

    def match_compiled(self, conn: Connection, now: datetime | None = None) -> CompiledRule | None:
        """As :meth:`match`, returning the compiled rule."""
        local = ipaddress.ip_address(conn.local_ip)
        remote = ipaddress.ip_address(conn.remote_ip)
        index = self._inbound if conn.direction == "inbound" else self._outbound
        lv, rv = int(local), int(remote)
        for c in index.candidates(conn):
            if c.matches(local.version, lv, rv, conn, now):
                return c
        return None


def in_period(t: IpTimeCondition, now: datetime) -> bool:
    """True when ``now`` is inside the time condition (QoS-analog forms, [UNV])."""
    if (t.time_zone or "Local").upper() == "UTC":
        now = now.astimezone(UTC)  # a naive ``now`` is taken as local time, as PAGENT's TZ
    if t.month_of_year_mask and t.month_of_year_mask[now.month - 1 : now.month] == "0":
        return False
    if t.day_of_week_mask:
        sunday_first = (now.weekday() + 1) % 7
        if t.day_of_week_mask[sunday_first : sunday_first + 1] == "0":
            return False
    if t.day_of_month_mask and t.day_of_month_mask[now.day - 1 : now.day] == "0":
        return False
    if t.condition_time_range:
        start, _, end = t.condition_time_range.partition(":")
        stamp = now.strftime("%Y%m%d%H%M%S")
        if not start <= stamp <= end:
            return False
    if t.time_of_day_range:
        minutes = now.hour * 60 + now.minute
        if not any(lo <= minutes < hi for lo, hi in _tod_intervals(t.time_of_day_range)):
            return False
    return True


def _tod_intervals(text: str) -> Iterator[tuple[int, int]]:
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        yield _minutes(lo), _minutes(hi)


def _minutes(hhmm: str) -> int:
    h, _, m = hhmm.strip().partition(":")
    try:
        return int(h) * 60 + int(m or 0)
    except ValueError:
        return 0
