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

Refresh (issue 13 §1): ``Matcher(policy, previous)`` builds the matcher of a new policy
from the one of the policy it replaces, at a cost that follows the change, not the policy.
A compiled rule is kept when its rule is the same object and every name its conditions
looked up (IpAddr, IpAddrSet, IpAddrGroup, PortRange, PortGroup, IpTimeCondition) still
finds the same object; the others are compiled again and filed in copies of the index lists
they touch. Match order is a key that does not depend on the position (Priority, then
name, then the position in the build that first compiled the rule, which only breaks ties
in the collation), so an inserted rule renumbers nothing. A patched policy says which rules
it removed and added (:meth:`pagent.policy.policy.Policy.rules_since`), so that nothing
walks the unchanged rules; for any other policy the rules are compared by identity, in C.
Whenever the shortcut could differ from a fresh build (a new rule that ties with a
neighbour in the collation, a result that does not agree with the policy's rules), it
builds afresh. The previous matcher is never changed: the data path may be reading it
while the new one is built.
"""

from __future__ import annotations

import bisect
import dataclasses
import fnmatch
import functools
import heapq
import ipaddress
import operator
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from pagent.policy.addresses import ALL_ADDRESSES, ANY_PORT, AddrSpec, PortSpec
from pagent.policy.policy import Policy, no_gc, rule_order_key
from pagent.policy.statements import (
    IpAddr,
    IpAddrGroup,
    IpAddrSet,
    IpTimeCondition,
    PortGroup,
    PortRange,
    Statement,
    TTLSRule,
)

Direction = Literal["inbound", "outbound"]
_NARROW = 64  # a port condition spanning at most this many ports is indexed port by port
# Match order: Priority descending, then the name's collation key, then the rule's position
# in the build that compiled it first (only ties in the collation need it).
Order = tuple[int, bytes, int]


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
    """A rule's conditions resolved to plain ranges, with its place in match order."""

    order: Order
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


def compile_rule(policy: Policy, position: int, rule: TTLSRule) -> CompiledRule:
    """Resolve a rule's conditions; ``position`` is its place in the policy's rules."""
    direction = (rule.direction or "Both").lower()
    time = rule.ip_time_condition or policy.get(IpTimeCondition, rule.ip_time_condition_ref)
    return CompiledRule(
        order=(*rule_order_key(rule), position),
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


_SIDES = ("local", "remote")
CONDITION_KINDS = tuple(
    k.KEYWORD for k in (IpAddr, IpAddrSet, IpAddrGroup, PortRange, PortGroup, IpTimeCondition)
)


def condition_refs(policy: Policy, rule: TTLSRule) -> tuple[tuple[str, str], ...]:
    """Every (type, name) that compiling ``rule`` against ``policy`` may look up: the rule's
    own references, and those of the groups they find. A superset is harmless (a rule is
    compiled again when one of them changes); a missing one would keep a stale rule."""
    out: list[tuple[str, str]] = []
    for side in _SIDES:
        for kind, field_name in (
            (IpAddr, "addr_ref"),
            (IpAddrSet, "addr_set_ref"),
            (PortRange, "port_range_ref"),
        ):
            name = getattr(rule, f"{side}_{field_name}")
            if name is not None:
                out.append((kind.KEYWORD, name))
        name = getattr(rule, f"{side}_addr_group_ref")
        if name is not None:
            out.append((IpAddrGroup.KEYWORD, name))
            group = policy.get(IpAddrGroup, name)
            if group is not None:
                out.extend((IpAddr.KEYWORD, n) for n in group.ip_addr_ref)
                out.extend((IpAddrSet.KEYWORD, n) for n in group.ip_addr_set_ref)
        name = getattr(rule, f"{side}_port_group_ref")
        if name is not None:
            out.append((PortGroup.KEYWORD, name))
            port_group = policy.get(PortGroup, name)
            if port_group is not None:
                out.extend((PortRange.KEYWORD, n) for n in port_group.port_range_ref)
    if rule.ip_time_condition_ref is not None:
        out.append((IpTimeCondition.KEYWORD, rule.ip_time_condition_ref))
    return tuple(out)


def _narrow(specs: tuple[PortSpec, ...]) -> list[int] | None:
    """The ports of a condition when it spans few of them, else None."""
    if any(p.any for p in specs):
        return None
    total = sum(p.high - p.low + 1 for p in specs)
    if total > _NARROW:
        return None
    return sorted({n for p in specs for n in range(p.low, p.high + 1)})


_ORDER = operator.attrgetter("order")


def _place(c: CompiledRule) -> tuple[str, list[int]]:
    """Where a compiled rule is filed: under its local ports, its remote ports, or in the
    general list (``("general", [])``)."""
    local = _narrow(c.local_ports)
    if local is not None:
        return "local", local
    remote = _narrow(c.remote_ports)
    if remote is not None:
        return "remote", remote
    return "general", []


class _Index:
    """The rules of one direction, filed for quick lookup; each list in match order."""

    def __init__(self) -> None:
        self.by_local: dict[int, list[CompiledRule]] = {}
        self.by_remote: dict[int, list[CompiledRule]] = {}
        self.general: list[CompiledRule] = []

    @property
    def tables(self) -> dict[str, dict[int, list[CompiledRule]]]:
        """The port tables by the name :func:`_place` gives them."""
        return {"local": self.by_local, "remote": self.by_remote}

    def add(self, c: CompiledRule) -> None:
        """File a rule that comes after every rule filed so far (a fresh build)."""
        where, ports = _place(c)
        if where == "general":
            self.general.append(c)
            return
        table = self.by_local if where == "local" else self.by_remote
        for n in ports:
            table.setdefault(n, []).append(c)

    def updated(self, gone: Iterable[CompiledRule], new: Iterable[CompiledRule]) -> _Index:
        """A copy with ``gone`` taken out and ``new`` put in place; this index unchanged.

        The port tables are copied (one C call each) and only the lists an edit touches:
        the data path may read this index while the copy is made.
        """
        out = _Index()
        out.by_local = dict(self.by_local)
        out.by_remote = dict(self.by_remote)
        out.general = self.general  # shared until an edit touches it
        copied: set[int] = set()

        def own(table: dict[int, list[CompiledRule]] | None, n: int) -> list[CompiledRule]:
            if table is None:
                if id(out.general) not in copied:
                    out.general = list(self.general)
                    copied.add(id(out.general))
                return out.general
            found = table.get(n)
            if found is None or id(found) not in copied:
                found = list(found or ())
                table[n] = found
                copied.add(id(found))
            return found

        def filed(
            c: CompiledRule,
        ) -> Iterator[tuple[dict[int, list[CompiledRule]] | None, int, list[CompiledRule]]]:
            """Each list of ``out`` that ``c`` belongs in (owned by ``out``), with its key."""
            where, ports = _place(c)
            table = (
                None if where == "general" else out.by_local if where == "local" else out.by_remote
            )
            for n in ports or [0]:
                yield table, n, own(table, n)

        for c in gone:
            for table, n, lst in filed(c):
                i = bisect.bisect_left(lst, c.order, key=_ORDER)
                while lst[i] is not c:
                    i += 1
                del lst[i]
                if table is not None and not lst:
                    del table[n]
        for c in new:
            for _table, _n, lst in filed(c):
                lst.insert(bisect.bisect_left(lst, c.order, key=_ORDER), c)
        return out

    def candidates(self, conn: Connection) -> Iterator[CompiledRule]:
        lists = [
            self.by_local.get(conn.local_port, []),
            self.by_remote.get(conn.remote_port, []),
            self.general,
        ]
        present = [x for x in lists if x]
        if len(present) == 1:
            return iter(present[0])
        return heapq.merge(*present, key=_ORDER)


# An incremental build gives way to a fresh one when it would re-compile more than this
# share of the rules: compiling most of them one by one costs more than a fresh build.
_INCREMENTAL_FRACTION = 4


class _Users(NamedTuple):
    """Which rules looked up which condition names: (type, name) -> ids of rules, and each
    rule's lookups. Built once per chain of matchers, then copied on write."""

    users: dict[tuple[str, str], frozenset[int]]
    refs: dict[int, tuple[tuple[str, str], ...]]


class Matcher:
    """Maps connections to the installed rules of a policy.

    ``previous``, the matcher of the policy this one replaces, makes the build cost follow
    the change (module docstring); the result is the same as without it.
    """

    def __init__(self, policy: Policy, previous: Matcher | None = None) -> None:
        self.policy = policy
        self.incremental = False  # whether this matcher was built from ``previous``
        self._users: _Users | None = None
        if previous is not None:
            try:
                self.incremental = self._update(previous)
            except LookupError:  # an index out of step with its rules: never guess
                self.incremental = False
            if self.incremental:
                return
        # No collector passes while 50,000 rules are compiled: a generation-2 pass over the
        # new objects holds the GIL for tens of milliseconds (issue 13 §1).
        with no_gc():
            self.compiled = tuple(compile_rule(policy, i, r) for i, r in enumerate(policy.rules))
            self._by_rule = dict(zip(map(id, policy.rules), self.compiled, strict=True))
            self._inbound = _Index()
            self._outbound = _Index()
            for c in self.compiled:
                if c.inbound:
                    self._inbound.add(c)
                if c.outbound:
                    self._outbound.add(c)

    def _update(self, previous: Matcher) -> bool:
        """Build from ``previous``; False (nothing set) when a fresh build is due."""
        policy, old = self.policy, previous.policy
        rules = policy.rules
        old_by_rule = previous._by_rule
        since = policy.rules_since(old)
        if since is not None:
            # The patch says which rules left and which came: no pass over the others.
            removed = {id(r): r for r in since[0]}
            new_rules = {id(r): r for r in since[1]}
            again = removed.keys() & new_rules.keys()  # re-judged, the same rule object
            gone_ids = removed.keys() - again
            added_ids = new_rules.keys() - again
        else:
            new_rules = dict(zip(map(id, rules), rules, strict=True))
            added_ids = new_rules.keys() - old_by_rule.keys()
            gone_ids = old_by_rule.keys() - new_rules.keys()
        stale_ids: set[int] = set()
        users = None
        changed = _changed_names(old.by_type, policy.by_type)
        if changed:
            users = previous._users_index()
            for key in changed:
                stale_ids |= users.users.get(key, frozenset())
            stale_ids -= gone_ids
        if (len(added_ids) + len(stale_ids)) * _INCREMENTAL_FRACTION > max(len(rules), 64):
            return False
        by_rule = dict(old_by_rule)
        gone = [by_rule.pop(i) for i in gone_ids]
        redo = [by_rule[i] for i in stale_ids]
        added = [compile_rule(policy, 0, new_rules[i]) for i in added_ids]
        redone = [dataclasses.replace(compile_rule(policy, 0, c.rule), order=c.order) for c in redo]
        fresh = [*added, *redone]
        for c in fresh:
            by_rule[id(c.rule)] = c
        compiled = list(previous.compiled)
        for c in gone:
            del compiled[_find(compiled, c)]
        for was, c in zip(redo, redone, strict=True):
            compiled[_find(compiled, was)] = c
        for c in added:
            compiled.insert(bisect.bisect_left(compiled, c.order, key=_ORDER), c)
        if not _agrees(compiled, rules, added):
            return False
        out_gone = [*gone, *redo]
        self.compiled = tuple(compiled)
        self._by_rule = by_rule
        self._inbound = previous._inbound.updated(
            [c for c in out_gone if c.inbound], [c for c in fresh if c.inbound]
        )
        self._outbound = previous._outbound.updated(
            [c for c in out_gone if c.outbound], [c for c in fresh if c.outbound]
        )
        if users is not None or previous._users is not None:
            self._users = _updated_users(
                users or previous._users_index(),
                [id(c.rule) for c in out_gone],
                [(id(c.rule), condition_refs(policy, c.rule)) for c in fresh],
            )
        return True

    def _users_index(self) -> _Users:
        """The reverse index of this matcher's condition lookups (built on first use)."""
        found = self._users
        if found is None:
            users: dict[tuple[str, str], set[int]] = {}
            refs: dict[int, tuple[tuple[str, str], ...]] = {}
            for c in self.compiled:
                looked = condition_refs(self.policy, c.rule)
                if looked:
                    refs[id(c.rule)] = looked
                    for key in looked:
                        users.setdefault(key, set()).add(id(c.rule))
            found = _Users({k: frozenset(v) for k, v in users.items()}, refs)
            self._users = found
        return found

    def match(self, conn: Connection, now: datetime | None = None) -> TTLSRule | None:
        """The first rule in match order whose conditions all hold, or None."""
        found = self.match_compiled(conn, now)
        return found.rule if found is not None else None

    def match_compiled(self, conn: Connection, now: datetime | None = None) -> CompiledRule | None:
        """As :meth:`match`, returning the compiled rule."""
        version, lv = ip_value(conn.local_ip)
        rv = ip_value(conn.remote_ip)[1]
        index = self._inbound if conn.direction == "inbound" else self._outbound
        for c in index.candidates(conn):
            if c.matches(version, lv, rv, conn, now):
                return c
        return None


@functools.lru_cache(maxsize=4096)
def ip_value(text: str) -> tuple[int, int]:
    """An address's version and integer value, parsed once: the data path looks up the
    same few addresses for every connection, and ``ip_address`` costs microseconds each
    (issue 11 §6); ``pagent diff`` parses the same stand-ins for every rule. ValueError
    for text that is no address, as ``ip_address`` gives."""
    address = ipaddress.ip_address(text)
    return address.version, int(address)


_NO_NAMES: Mapping[str, Statement] = {}


def _changed_names(
    old: Mapping[str, Mapping[str, Statement]], new: Mapping[str, Mapping[str, Statement]]
) -> set[tuple[str, str]]:
    """The condition names that find another object (or none) in ``new`` than in ``old``.

    A table the policies share (a patch shares the tables it did not edit) is skipped
    whole; otherwise the cost is the size of the condition tables, not of the rules.
    """
    out: set[tuple[str, str]] = set()
    for kind in CONDITION_KINDS:
        a, b = old.get(kind, _NO_NAMES), new.get(kind, _NO_NAMES)
        if a is b:
            continue
        for name in a.keys() | b.keys():
            if a.get(name) is not b.get(name):
                out.add((kind, name))
    return out


def _find(compiled: list[CompiledRule], c: CompiledRule) -> int:
    """The index of ``c`` in ``compiled`` (in match order); IndexError when it is not there."""
    at = bisect.bisect_left(compiled, c.order, key=_ORDER)
    while compiled[at] is not c:
        at += 1
    return at


def _agrees(
    compiled: list[CompiledRule], rules: tuple[TTLSRule, ...], added: list[CompiledRule]
) -> bool:
    """Whether the spliced compiled rules are the policy's, in its order: checked at the
    ends and at every inserted rule, which must not tie in the collation with a neighbour
    (ties are ordered by definition, which only a fresh build knows)."""
    if len(compiled) != len(rules):
        return False
    if compiled and (compiled[0].rule is not rules[0] or compiled[-1].rule is not rules[-1]):
        return False
    for c in added:
        at = _find(compiled, c)
        if rules[at] is not c.rule:
            return False
        key = c.order[:2]
        if at > 0 and compiled[at - 1].order[:2] == key:
            return False
        if at + 1 < len(compiled) and compiled[at + 1].order[:2] == key:
            return False
    return True


def _updated_users(
    users: _Users, gone: list[int], new: list[tuple[int, tuple[tuple[str, str], ...]]]
) -> _Users:
    """A copy of the reverse index with the lookups of ``gone`` rules replaced by ``new``."""
    index = dict(users.users)
    refs = dict(users.refs)
    for rule_id in gone:
        for key in refs.pop(rule_id, ()):
            index[key] = index.get(key, frozenset()) - {rule_id}
    for rule_id, looked in new:
        if looked:
            refs[rule_id] = looked
            for key in looked:
                index[key] = index.get(key, frozenset()) | {rule_id}
    return _Users(index, refs)


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
