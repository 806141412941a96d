"""Lint beyond PAGENT: what a person would want to know about a policy PAGENT installs happily.

One responsibility: look at an installed :class:`Policy` as a whole and report the L4xx
findings that need more than one statement to see (L404, a single value that looks like a
template placeholder, is found where values are read, in :mod:`pagent.policy.build`):

* **L401 rule never matches.** A rule R is shadowed when *one* earlier rule A in match order
  (higher Priority, or the same Priority and a name that sorts first: ttls-language.md §4.2)
  covers every connection R could match: A's direction includes R's, every member of each
  of R's address and port conditions lies inside A's condition, A's job name and user id
  patterns cover R's, and A has no time condition (A must be in effect whenever R is).
  Coverage by the *union* of several earlier rules is not detected: R may be dead even when
  no single rule covers it. When A's group action has TTLSEnabled Off, R's connections stay
  in clear text (C15), and the message says so.
* **L402 unused statement.** A global statement that no rule, installed or discarded, uses
  directly or through a chain of ``*Ref`` (action -> parms, group -> members). Rules are
  never unused.
* **L403 only old TLS.** For each installed, TTLS-enabled rule, the protocols its
  environment enables once its connection action's advanced parms are applied (§4.6) are
  only TLSv1/TLSv1.1 (and SSL), or none at all. TLSv1.2 and TLSv1.3 are Off unless coded
  (§2.8, C14), which is how most policies end up here. Reported once per
  environment/connection-action pair, at the environment action.
* **L405 rule matches everything.** No condition narrows the rule: both addresses All, both
  port conditions any port, no job name or user id other than ``*``. Whether PAGENT even
  counts ``LocalAddr All`` as a condition is unconfirmed (§2.1); the reference recommends
  this warning.
* **L406 same-priority overlap.** Two rules of one Priority that can both match some
  connection, unless the earlier covers the later (that is L401). The winner is decided by
  name order, whose collation is unconfirmed (§4.2), so the reference asks for a report
  rather than a silent prediction; the message names the winner pagent assumes (EBCDIC
  order, :func:`pagent.policy.policy.name_order_key`). When the later rule covers the
  earlier one this is still L406, and the message adds that under the other order the
  earlier rule would never match. Reported once per later rule, naming the first winner
  and counting the others. Time conditions are not compared (the rules may be in effect
  at different times), and job name patterns other than ``X`` and ``X*`` are assumed to
  overlap.

Conditions are compared as pagent matches them (:mod:`pagent.policy.matching`): members of
an IpAddrGroup or PortGroup are ORed, an uncoded condition matches anything, names compare
upper-cased. A rule whose group condition has no usable member matches nothing and takes
part in none of the rule checks.

Speed: a policy of 10,000 rules must lint in well under 0.1 s, so there is no loop over all
pairs of rules, and nothing walks the policy more often than it must:

* most rules of a large policy are *alone*: their local (or remote) port condition is a
  few ports no other rule names, and no rule of their direction leaves that side open or
  gives a long range there. Such a rule shares connections with no other rule, and
  L401/L406 skip it after counting ports;
* for L401 each other rule is filed under one key of one of its restricted conditions (a
  block of ports or addresses it lies in, a job name or prefix), and a later rule looks
  only in the buckets its own conditions could be covered from, plus a list of rules no
  key describes (a job name glob and nothing else), which every later rule scans;
* for L406 the rules of one Priority are filed under each of their conditions (ports,
  address cells, job name and user id), and a later rule takes the candidates of its
  most selective condition;
* L402 counts references a field at a time over all the statements of a type;
* L403 reads the TLSv1.2/TLSv1.3 switches of all actions at once and calls effective()
  only for what it reports.

The conditions are resolved here rather than with
:func:`pagent.policy.matching.compile_rule`, which alone costs more than the budget at
that size; a coded reference is still resolved by :func:`pagent.policy.matching.addresses`
and :func:`~pagent.policy.matching.ports`, so that references have one interpretation.
"""

from __future__ import annotations

import ipaddress
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from graphlib import TopologicalSorter
from itertools import chain, compress, filterfalse, repeat
from operator import attrgetter, itemgetter
from typing import Any

from pagent.policy.addresses import AddrSpec, PortSpec
from pagent.policy.catalogue import spec_of, statements
from pagent.policy.diagnostics import Diagnostic, sort_key
from pagent.policy.effective import defaults, effective
from pagent.policy.matching import NamePattern, addresses, ports
from pagent.policy.policy import DEFAULT_PRIORITY, Policy, no_gc
from pagent.policy.statements import IpTimeCondition, Statement, TTLSRule

# --- conditions as intervals --------------------------------------------------------------
# Ports and addresses become sorted, merged, inclusive integer intervals; None means "every
# value" (an uncoded condition, All, port 0). IPv6 addresses are placed after the IPv4
# space so that both families share one number line and "All" is one interval.
Interval = tuple[int, int]
Span = tuple[Interval, ...] | None

_PORT_TOP = 65535
_V6_BASE = 1 << 32
_ADDR_TOP = _V6_BASE + (1 << 128) - 1

# Index levels: an interval is filed under the finest block (value >> shift) it lies in.
# The top level of each holds the whole space, so every restricted interval has a key.
_PORT_SHIFTS = (0, 4, 8, 12, 16)
_ADDR_SHIFTS = (0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 130)

# Condition families: where each condition is in _Cond.dims.
_LPORT, _RPORT, _RADDR, _LADDR, _JOB, _USER = range(6)
# The levels of each interval family, by family number.
_FAMILY_SHIFTS = (_PORT_SHIFTS, _PORT_SHIFTS, _ADDR_SHIFTS, _ADDR_SHIFTS)


def _merge(intervals: Iterable[Interval], top: int) -> Span:
    """Sort and merge intervals (adjacent ones too); the whole space [0, top] is None."""
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    if len(out) == 1 and out[0] == (0, top):
        return None
    return tuple(out)


def _addr_interval(a: AddrSpec) -> Interval:
    base = 0 if a.version == 4 else _V6_BASE
    return (base + a.low, base + a.high)


def _addr_span(specs: Sequence[AddrSpec]) -> Span:
    """An ORed address condition; () when it has no member (it matches nothing)."""
    if any(a.all for a in specs):
        return None
    if len(specs) == 1:
        return (_addr_interval(specs[0]),)
    return _merge((_addr_interval(a) for a in specs), _ADDR_TOP)


def _port_span(specs: Sequence[PortSpec]) -> Span:
    """An ORed port condition; () when it has no member."""
    if any(p.any for p in specs):
        return None
    if len(specs) == 1:
        return ((specs[0].low, specs[0].high),)
    return _merge(((p.low, p.high) for p in specs), _PORT_TOP)


@lru_cache(maxsize=4096)
def _pattern(text: str | None) -> NamePattern | None:
    """A Jobname/Userid condition; None when it matches every name (uncoded, or ``*``)."""
    if not text:
        return None
    p = NamePattern(text)
    return None if p.prefix == "" else p


# Name keys are cut to this length. z/OS job names and user IDs have at most 8 characters,
# so a longer key tells apart no name a connection can carry; names that share their first
# _NAME_KEY characters share a bucket and are told apart by the exact test (_covers,
# _meets). Keying by every leading part of the whole name cost memory quadratic in its
# length: 6.3 GB for an 80,000-character Jobname (issue 13 §3).
_NAME_KEY = 8


def _lead(p: NamePattern) -> str:
    """The literal text every name matching ``p`` starts with."""
    if p.prefix is not None:
        return p.prefix
    if not p.glob:
        return p.upper
    # Only '*' and '%' are wildcards (matching.NamePattern); '?' and '[' are literal.
    cut = min((i for i in map(p.upper.find, "*%") if i >= 0), default=0)
    return p.upper[:cut]


_IN, _OUT = 1, 2  # direction bits
_DIRECTIONS = {"Inbound": _IN, "Outbound": _OUT, "Both": _IN | _OUT}


@dataclass(slots=True, eq=False)
class _Cond:
    """A rule's conditions, resolved and normalised, with its place in match order.

    ``dims`` holds the six conditions indexed by family (_LPORT ... _USER): a Span for
    ports and addresses, a NamePattern or None for job name and user id.
    """

    order: int
    rule: TTLSRule
    priority: int
    dirs: int  # _IN | _OUT
    dims: tuple[Any, ...]
    timed: bool
    empty: bool  # a condition has no member, so the rule matches nothing

    @property
    def everything(self) -> bool:
        """True when no condition narrows the rule (L405)."""
        return self.dims.count(None) == len(self.dims)


# What _rule_checks reads of every rule before deciding whether it needs the rest:
# (local ports, remote ports, the local ports listed when they are few, the same for the
# remote ports, direction bits).
_Ports = tuple[Span, Span, list[int] | None, list[int] | None, int]


def _ports_of(policy: Policy, rule: TTLSRule) -> _Ports:
    """A rule's port conditions and direction, resolved as matching.compile_rule does.

    A literal condition is read directly; only a coded *Ref goes through the resolvers of
    pagent.policy.matching, so that references have one interpretation in the project.
    This runs for every rule, so it sticks to plain attribute reads (on slotted
    statements several times faster than an attrgetter) and few calls.
    """
    lp = rule.local_port_range
    if lp is not None:
        lports: Span = None if lp.any else ((lp.low, lp.high),)
    elif rule.local_port_range_ref or rule.local_port_group_ref:
        lports = _port_span(ports(policy, rule, "local"))
    else:
        lports = None
    rp = rule.remote_port_range
    if rp is not None:
        rports: Span = None if rp.any else ((rp.low, rp.high),)
    elif rule.remote_port_range_ref or rule.remote_port_group_ref:
        rports = _port_span(ports(policy, rule, "remote"))
    else:
        rports = None
    # Direction is required; compile_rule reads a missing one as Both. The builder gives
    # the canonical spelling, so the exact lookup nearly always hits.
    direction = rule.direction or "Both"
    dirs = _DIRECTIONS.get(direction) or _DIRECTIONS.get(direction.capitalize(), _IN | _OUT)
    return lports, rports, _few_ports(lports), _few_ports(rports), dirs


def _conditions(policy: Policy, order: int, rule: TTLSRule, known: _Ports) -> _Cond:
    """The rest of a rule's conditions, resolved as _ports_of resolves the ports."""
    lports, rports, _, _, dirs = known
    ra = rule.remote_addr
    if ra is not None:
        raddrs: Span = None if ra.all else (_addr_interval(ra),)
    elif rule.remote_addr_ref or rule.remote_addr_set_ref or rule.remote_addr_group_ref:
        raddrs = _addr_span(addresses(policy, rule, "remote"))
    else:
        raddrs = None
    la = rule.local_addr
    if la is not None:
        laddrs: Span = None if la.all else (_addr_interval(la),)
    elif rule.local_addr_ref or rule.local_addr_set_ref or rule.local_addr_group_ref:
        laddrs = _addr_span(addresses(policy, rule, "local"))
    else:
        laddrs = None
    job, user = rule.jobname, rule.userid
    time_ref = rule.ip_time_condition_ref
    return _Cond(
        order,
        rule,
        rule.priority or DEFAULT_PRIORITY,
        dirs,
        (
            lports,
            rports,
            raddrs,
            laddrs,
            _pattern(job) if job else None,
            _pattern(user) if user else None,
        ),
        rule.ip_time_condition is not None
        or (time_ref is not None and policy.get(IpTimeCondition, time_ref) is not None),
        () in (lports, rports, raddrs, laddrs),
    )


# --- coverage and overlap -----------------------------------------------------------------
def _span_covers(a: Span, r: Span) -> bool:
    """Every value of ``r`` is in ``a`` (a's intervals are merged, so one must hold it)."""
    if a is None:
        return True
    if r is None:
        return False
    return all(any(lo <= x and y <= hi for lo, hi in a) for x, y in r)


def _span_meets(a: Span, r: Span) -> bool:
    """Some value is in both."""
    if a is None or r is None:
        return True
    return any(lo <= y and x <= hi for lo, hi in a for x, y in r)


def _name_covers(a: NamePattern | None, r: NamePattern | None) -> bool:
    """Every name ``r`` matches, ``a`` matches too ('AB*' covers 'ABC*' and 'ABC')."""
    if a is None:
        return True
    if r is None:
        return False
    if a.prefix is not None:
        return _lead(r).startswith(a.prefix)
    if not r.glob and r.prefix is None:
        return a.matches(r.upper)
    return a.upper == r.upper  # a glob other than X*: only the same pattern, to be safe


def _name_meets(a: NamePattern | None, r: NamePattern | None) -> bool:
    """Some name matches both; patterns other than X and X* are assumed to overlap."""
    if a is None or r is None:
        return True
    if a.prefix is None and not a.glob:
        return r.matches(a.upper)
    if r.prefix is None and not r.glob:
        return a.matches(r.upper)
    if a.prefix is not None and r.prefix is not None:
        return a.prefix.startswith(r.prefix) or r.prefix.startswith(a.prefix)
    return True


def _covers(a: _Cond, r: _Cond) -> bool:
    """Rule ``a`` matches every connection rule ``r`` could match, whenever r is in effect."""
    if a.timed or r.dirs & ~a.dirs:
        return False
    ad, rd = a.dims, r.dims
    return (
        _span_covers(ad[_LPORT], rd[_LPORT])
        and _span_covers(ad[_RPORT], rd[_RPORT])
        and _span_covers(ad[_RADDR], rd[_RADDR])
        and _span_covers(ad[_LADDR], rd[_LADDR])
        and _name_covers(ad[_JOB], rd[_JOB])
        and _name_covers(ad[_USER], rd[_USER])
    )


def _meets(a: _Cond, r: _Cond) -> bool:
    """Some connection can match both rules (time conditions aside)."""
    if not a.dirs & r.dirs:
        return False
    ad, rd = a.dims, r.dims
    return (
        _span_meets(ad[_LPORT], rd[_LPORT])
        and _span_meets(ad[_RPORT], rd[_RPORT])
        and _span_meets(ad[_RADDR], rd[_RADDR])
        and _span_meets(ad[_LADDR], rd[_LADDR])
        and _name_meets(ad[_JOB], rd[_JOB])
        and _name_meets(ad[_USER], rd[_USER])
    )


# --- L401: the shadow index ---------------------------------------------------------------
Key = tuple[int, int | str, int | str]
_FILING_ORDER = (_LPORT, _RPORT, _RADDR, _JOB, _USER, _LADDR)


def _block_key(family: int, lo: int, hi: int) -> Key:
    """The finest block of the family's levels that holds [lo, hi]."""
    if lo == hi:
        return (family, 0, lo)
    for s in _FAMILY_SHIFTS[family]:
        if lo >> s == hi >> s:
            return (family, s, lo >> s)
    raise AssertionError("the top level holds every interval")  # pragma: no cover


def _filing_keys(c: _Cond, family: int) -> list[Key] | None:
    """Where a rule can be filed under one condition; None if it is not restricted there."""
    d = c.dims[family]
    if d is None:
        return None
    if family < _JOB:
        return [_block_key(family, lo, hi) for lo, hi in d]
    if d.glob:
        return None  # a pattern other than X and X*: no key describes what it covers
    if d.prefix is not None:
        return [(family, "*", d.prefix[:_NAME_KEY])]  # a coarser bucket: a superset
    return [(family, "=", d.upper)]


class _ShadowIndex:
    """Earlier rules, filed so that a later rule finds only those that could cover it.

    A rule that covers R is restricted only where R is restricted too, and on such a
    condition each of R's members lies inside one of its members. So an earlier rule is
    filed under one restricted condition (each member's finest block, or its job name or
    prefix), and R looks under each of its own restricted conditions at the blocks its
    first member lies in (and at the prefixes of its job name). A later rule checks every
    rule of each bucket it looks in, so a rule is filed under the first condition, in
    _FILING_ORDER, whose buckets are still empty, else the least crowded: a port shared by
    thousands of rules (443) does not make one long list. Rules no key describes (a job
    name glob and nothing else) go to ``wide``, which every later rule scans.
    """

    def __init__(self) -> None:
        self.buckets: dict[Key, list[_Cond]] = {}
        self.shifts_used: dict[int, set[int]] = {}
        self.prefix_lens: dict[int, set[int]] = {}
        self.literals: set[int] = set()
        self.wide: list[_Cond] = []

    def add(self, c: _Cond) -> None:
        """File a rule under its first restricted condition with empty buckets, or else
        under its least crowded one."""
        buckets = self.buckets
        lports = c.dims[_LPORT]
        if lports is not None and len(lports) == 1 and lports[0][0] == lports[0][1]:
            # The usual rule, one local port: worth a short cut, lint runs on 10,000 rules.
            key = (_LPORT, 0, lports[0][0])
            if key not in buckets:
                buckets[key] = [c]
                self.shifts_used.setdefault(_LPORT, set()).add(0)
                return
        best: list[Key] | None = None
        best_load = 0
        for family in _FILING_ORDER:
            keys = _filing_keys(c, family)
            if keys is None:
                continue
            load = max([len(buckets.get(k, ())) for k in keys])
            if best is None or load < best_load:
                best, best_load = keys, load
                if not load:
                    break
        if best is None:
            self.wide.append(c)
            return
        for k in best:
            bucket = buckets.get(k)
            if bucket is not None:
                bucket.append(c)
                continue
            buckets[k] = [c]
            family, kind, value = k
            if isinstance(kind, int):
                self.shifts_used.setdefault(family, set()).add(kind)
            elif kind == "*":
                assert isinstance(value, str)
                self.prefix_lens.setdefault(family, set()).add(len(value))
            else:
                self.literals.add(family)

    def first_cover(self, r: _Cond) -> _Cond | None:
        """The earliest filed rule that covers ``r``, or None."""
        buckets = self.buckets
        dims = r.dims
        lists: list[list[_Cond]] = []
        for family, shifts in self.shifts_used.items():
            span = dims[family]
            if not span:
                continue  # unrestricted: nothing filed under this family can cover it
            lo, hi = span[0]
            for s in shifts:
                if lo >> s == hi >> s:
                    found = buckets.get((family, s, lo >> s))
                    if found:
                        lists.append(found)
        if self.prefix_lens or self.literals:
            for family in (_JOB, _USER):
                p = dims[family]
                if p is not None:
                    lists.extend(self._name_lists(family, p))
        if self.wide:
            lists.append(self.wide)
        best: _Cond | None = None
        for candidates in lists:
            for a in candidates:
                if best is not None and a.order >= best.order:
                    break  # each list is in match order: nothing earlier follows
                if _covers(a, r):
                    best = a
                    break
        return best

    def _name_lists(self, family: int, p: NamePattern) -> Iterator[list[_Cond]]:
        """Buckets of rules whose job name (user id) literal or prefix could cover ``p``."""
        if family in self.literals and p.prefix is None and not p.glob:
            found = self.buckets.get((family, "=", p.upper))
            if found:
                yield found
        lead = _lead(p)
        for n in self.prefix_lens.get(family, ()):  # each at most _NAME_KEY
            if n <= len(lead):
                found = self.buckets.get((family, "*", lead[:n]))
                if found:
                    yield found


# --- L406: overlap within one Priority ----------------------------------------------------
_FEW = 64  # a condition spanning at most this many ports or address cells is filed by each
_CELL = 8  # address cells: /24 for IPv4 (and /120 for IPv6)
_ORDER = attrgetter("order")
OverlapKey = tuple[int, int | str, str] | tuple[int, int]


def _few_ports(span: Span) -> list[int] | None:
    """The ports of a condition when there are few of them, else None."""
    if not span:
        return None
    if len(span) == 1:
        lo, hi = span[0]
        return [lo] if lo == hi else list(range(lo, hi + 1)) if hi - lo < _FEW else None
    if sum(hi - lo + 1 for lo, hi in span) > _FEW:
        return None
    return [n for lo, hi in span for n in range(lo, hi + 1)]


def _few_cells(span: Span) -> list[int] | None:
    """The address cells a condition touches when there are few of them, else None."""
    if not span or sum((hi >> _CELL) - (lo >> _CELL) + 1 for lo, hi in span) > _FEW:
        return None
    return [n for lo, hi in span for n in range((lo >> _CELL), (hi >> _CELL) + 1)]


def _overlap_keys(
    d: Span | NamePattern, family: int
) -> tuple[list[OverlapKey], list[OverlapKey]] | None:
    """Where a condition looks for rules it may overlap, and where it is filed for them.

    None when the condition has too many values (it is filed as ``wide``). Ports and
    address cells are the same both ways: two conditions that overlap share a port (a
    cell). Names are not: a name or prefix is filed under itself and under each of its
    leading parts ("ext"), so that a shorter prefix finds the names it extends; it looks
    up its own name and each of its leading parts as a prefix ("*"), for the prefixes
    that extend to it. Leading parts stop at _NAME_KEY characters, and a longer prefix
    stands for its first _NAME_KEY: two names that overlap still share a key, and the keys
    of a name of length n take O(n) memory, not O(n²).
    """
    if not isinstance(d, NamePattern):
        few = _few_ports(d) if family < _RADDR else _few_cells(d)
        if few is None:
            return None
        keys: list[OverlapKey] = [(family, n) for n in few]
        return keys, keys
    if d.glob:
        return None
    lead = _lead(d)
    literal = d.prefix is None
    cut = lead[:_NAME_KEY]
    parts = range(1, len(cut) + 1)
    probe: list[OverlapKey] = [(family, "*", cut[:n]) for n in parts]
    probe.append((family, "=", lead) if literal else (family, "ext", cut))
    file: list[OverlapKey] = [(family, "ext", cut[:n]) for n in parts]
    file.append((family, "=", lead) if literal else (family, "*", cut))
    return probe, file


class _OverlapIndex:
    """The live rules of one Priority seen so far, filed under every condition.

    A rule that can share a connection with R overlaps it on every condition: on each
    condition where R has few values (ports, address cells, a job name or prefix) it
    either shares a key with R or has many values there itself (``wide``). So R needs only
    the candidates of one such condition, the one with the fewest. When R has many values
    everywhere every rule of the Priority is a candidate (such rules are few: they
    overlap nearly everything).
    """

    def __init__(self) -> None:
        self.buckets: dict[OverlapKey, list[_Cond]] = {}
        self.wide: tuple[list[_Cond], ...] = ([], [], [], [], [], [])
        self.all: list[_Cond] = []

    def overlaps(self, r: _Cond) -> list[_Cond]:
        """The rules filed so far that can match a connection ``r`` matches; then file r."""
        buckets = self.buckets
        best: list[list[_Cond]] | None = None
        best_size = len(self.all)
        filing: list[list[OverlapKey] | None] = []
        for family, d in enumerate(r.dims):
            keys = None if d is None else _overlap_keys(d, family)
            if keys is None:
                filing.append(None)
                continue
            filing.append(keys[1])
            if best_size:
                lists = [found for k in keys[0] if (found := buckets.get(k))]
                wide = self.wide[family]
                size = sum(map(len, lists)) + len(wide)
                if size <= best_size:
                    best, best_size = [*lists, wide], size
        if best is None:
            candidates = self.all
        elif len(best) == 1:
            candidates = best[0]
        else:  # a rule may be filed under several of the keys: once each, in match order
            candidates = sorted({id(c): c for x in best for c in x}.values(), key=_ORDER)
        winners = [a for a in candidates if _meets(a, r)]
        for family, keys_ in enumerate(filing):
            if keys_ is None:
                self.wide[family].append(r)
            else:
                for k in keys_:
                    buckets.setdefault(k, []).append(r)
        self.all.append(r)
        return winners


# --- messages -----------------------------------------------------------------------------
def _addr_text(value: int) -> str:
    if value < _V6_BASE:
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value - _V6_BASE))


def _common(a: Span, r: Span) -> int | None:
    """A value in both spans (the lowest of the first overlap), None when unrestricted."""
    if a is None and r is None:
        return None
    for lo, hi in a or ((0, _ADDR_TOP),):
        for x, y in r or ((0, _ADDR_TOP),):
            if lo <= y and x <= hi:
                return max(lo, x)
    return None


def _common_name(a: NamePattern | None, r: NamePattern | None) -> str | None:
    if a is None and r is None:
        return None
    pats = [p for p in (a, r) if p is not None]
    for p in pats:
        if p.prefix is None and not p.glob:
            return p.upper
    return max((p.text for p in pats), key=len)


def _example(a: _Cond, r: _Cond) -> str:
    """A connection both rules match, described by the conditions that narrow them."""
    parts = ["inbound" if a.dirs & r.dirs & _IN else "outbound"]
    for family, label in (
        (_LPORT, "local port"),
        (_RPORT, "remote port"),
        (_LADDR, "local address"),
        (_RADDR, "remote address"),
    ):
        v = _common(a.dims[family], r.dims[family])
        if v is not None:
            parts.append(f"{label} {_addr_text(v) if family in (_LADDR, _RADDR) else v}")
    for family, label in ((_JOB, "job name"), (_USER, "user id")):
        name = _common_name(a.dims[family], r.dims[family])
        if name is not None:
            parts.append(f"{label} {name}")
    return ", ".join(parts)


def _group_enabled(policy: Policy, rule: TTLSRule) -> str | None:
    group = policy.by_type.get("TTLSGroupAction", {}).get(rule.ttls_group_action_ref or "")
    return getattr(group, "ttls_enabled", None)


def _shadowed(policy: Policy, a: _Cond, r: _Cond) -> Diagnostic:
    """L401 for rule ``r``, covered by the earlier rule ``a``."""
    if a.priority == r.priority:
        why = (
            f"{a.rule.label} has the same Priority {a.priority} and is tried first because "
            "its name sorts first (pagent assumes EBCDIC order; PAGENT's collation is "
            "unconfirmed, ttls-language §4.2)"
        )
    else:
        why = f"{a.rule.label} (Priority {a.priority}, above {r.priority}) is tried first"
    text = f"{r.rule.label} never matches: {why} and matches every connection this rule could match"
    if _group_enabled(policy, a.rule) == "Off":
        text += (
            f"; {a.rule.label} has TTLSEnabled Off, so these connections stay in clear text (C15)"
        )
    return Diagnostic.make("L401", r.rule.loc, text, [(a.rule.loc, f"{a.rule.label} is here")])


def _overlap(r: _Cond, winners: list[_Cond]) -> Diagnostic:
    """L406 for rule ``r``, which loses the connections it shares with ``winners``."""
    a = winners[0]
    others = len(winners) - 1
    more = (
        f" (and {others} more rule{'s' if others > 1 else ''} of that Priority)" if others else ""
    )
    text = (
        f"{r.rule.label} and {a.rule.label}{more} both have Priority {r.priority} and can "
        f"match the same connection (e.g. {_example(a, r)}); pagent assumes "
        f"{a.rule.label} wins because its name sorts first, but PAGENT's collation is "
        "unconfirmed (ttls-language §4.2)"
    )
    if _covers(r, a):
        text += f"; if it sorts the other way, {a.rule.label} never matches"
    text += ": give the rules different priorities"
    related = [(w.rule.loc, f"{w.rule.label}, same Priority") for w in winners[:10]]
    return Diagnostic.make("L406", r.rule.loc, text, related)


def _invalid_condition(rule: TTLSRule) -> bool:
    """True when a condition is coded with a value that is an error of its own (issue 10 §3).

    Such a rule does not match everything: its condition is just unreadable.
    """
    return any(
        kw in rule.locs and getattr(rule, field) is None
        for kw, field in (
            ("LocalAddr", "local_addr"),
            ("RemoteAddr", "remote_addr"),
            ("LocalPortRange", "local_port_range"),
            ("RemotePortRange", "remote_port_range"),
        )
    )


def _everything(policy: Policy, c: _Cond) -> Diagnostic:
    """L405 for a rule that no condition narrows."""
    which = (
        "every connection"
        if c.dirs == _IN | _OUT
        else f"every {'inbound' if c.dirs & _IN else 'outbound'} connection"
    )
    text = (
        f"{c.rule.label} matches {which}: no address, port, job name or user id condition "
        "narrows it (whether PAGENT counts 'All' or port 0 as a condition is unconfirmed, "
        "ttls-language §2.1)"
    )
    if c.timed:
        text += " while its IpTimeCondition is in effect"
    if _group_enabled(policy, c.rule) == "Off":
        text += "; its group action has TTLSEnabled Off, so they all stay in clear text"
    return Diagnostic.make("L405", c.rule.loc, text)


# --- rule checks: L401, L405, L406 --------------------------------------------------------
def _rule_checks(policy: Policy) -> list[Diagnostic]:
    """L401, L405 and L406, in one pass over the rules in match order.

    Most rules of a large policy are alone: their local (or remote) port condition is a
    few ports that no other rule names, and every rule whose direction meets theirs names
    a few ports on that side too (none leaves it open or gives a long range). Such a rule
    shares no connection with any other, so it can neither cover, be covered by nor
    overlap another rule, and the indexes skip it altogether.
    """
    out: list[Diagnostic] = []
    rules = policy.rules
    known = [_ports_of(policy, rule) for rule in rules]
    lcount = Counter(chain.from_iterable(filter(None, map(itemgetter(2), known))))
    rcount = Counter(chain.from_iterable(filter(None, map(itemgetter(3), known))))
    lwide, rwide = _open_sides(known, 2), _open_sides(known, 3)
    shadows = _ShadowIndex()
    overlap = _OverlapIndex()
    previous = 0
    for order, (rule, k) in enumerate(zip(rules, known, strict=True)):
        _, _, lfew, rfew, dirs = k
        if (lfew and not dirs & lwide and _own(lfew, lcount)) or (
            rfew and not dirs & rwide and _own(rfew, rcount)
        ):
            continue  # alone (see above); it cannot match everything either
        c = _conditions(policy, order, rule, k)
        if c.priority != previous:  # in match order, the rules of one Priority are a run
            overlap, previous = _OverlapIndex(), c.priority
        if c.empty:
            continue
        if c.everything and not _invalid_condition(rule):
            out.append(_everything(policy, c))
        cover = shadows.first_cover(c)
        if cover is not None:
            # A dead rule is not filed: whatever it covers, its own cover covers too.
            out.append(_shadowed(policy, cover, c))
            continue
        winners = overlap.overlaps(c)
        if winners:
            out.append(_overlap(c, winners))
        if not c.timed:  # a rule with a time condition covers nothing all the time
            shadows.add(c)
    return out


def _own(few: list[int], count: Counter[int]) -> bool:
    """True when no other rule names any of these ports."""
    if len(few) == 1:
        return count[few[0]] == 1
    return all(count[n] == 1 for n in few)


def _open_sides(known: list[_Ports], key: int) -> int:
    """The direction bits of the rules whose port condition (``key``: 2 local, 3 remote)
    is not a few ports. (Rules that match nothing count too: that only costs speed.)"""
    bits = 0
    several = map(operator.is_, map(itemgetter(key), known), repeat(None))
    for b in set(compress(map(itemgetter(4), known), several)):
        bits |= b
    return bits


# --- L402: unused statements --------------------------------------------------------------
@cache
def _holds_refs(keyword: str) -> bool:
    """True when a statement type can reference others (itself or in an inline block)."""
    return any(
        p.is_ref or (p.is_block and p.statement is not None and _holds_refs(p.statement))
        for p in spec_of(keyword).params.values()
    )


# (field, target or block type, repeatable) of a statement type's references or blocks
_Link = tuple[str, str, bool]


@cache
def _plan() -> tuple[tuple[str, tuple[_Link, ...], tuple[_Link, ...]], ...]:
    """The statement types that hold references, every referrer before what it references.

    Each with its *Ref fields and the inline blocks that can themselves hold references
    (an inline TTLSGskAdvancedParms names its LDAP, OCSP and CDP parms). The schema's
    references form no cycle, so one pass in this order reaches everything.
    """
    links: dict[str, tuple[tuple[_Link, ...], tuple[_Link, ...]]] = {}
    referrers: dict[str, set[str]] = {}
    for spec in statements().values():
        if not _holds_refs(spec.keyword):
            continue
        params = spec.params.values()
        refs = tuple((p.field, p.target, p.collects) for p in params if p.is_ref and p.target)
        blocks = tuple(
            (p.field, p.statement, p.collects)
            for p in params
            if p.is_block and p.statement and _holds_refs(p.statement)
        )
        links[spec.keyword] = (refs, blocks)
        referrers.setdefault(spec.keyword, set())
        for _, target, _ in (*refs, *blocks):
            referrers.setdefault(target, set()).add(spec.keyword)
    order = TopologicalSorter(referrers).static_order()
    return tuple((k, *links[k]) for k in order if k in links)


@cache
def _links_of(keyword: str) -> tuple[tuple[_Link, ...], tuple[_Link, ...]]:
    """The *Ref fields and the reference-holding inline blocks of one statement type."""
    for k, refs, blocks in _plan():
        if k == keyword:
            return refs, blocks
    return (), ()


def _values(stmts: Iterable[Any], field: str, many: bool) -> Iterator[Any]:
    """A field of many statements, flattened when it is a list; None left out."""
    got = map(attrgetter(field), stmts)
    if many:
        return chain.from_iterable(got)
    return filter(None, got)


def _references(s: Statement) -> Iterator[tuple[str, str]]:
    """(target type, name) of every *Ref of one statement and of its inline blocks."""
    refs, blocks = _links_of(s.KEYWORD)
    for field, target, many in refs:
        for name in _values((s,), field, many):
            yield target, name
    for field, _, many in blocks:
        for child in _values((s,), field, many):
            yield from _references(child)


def _unused(policy: Policy) -> list[Diagnostic]:
    """L402, by reference counting.

    Every reference of every statement is counted, one field at a time over all the
    statements of a type (10,000 rules and their actions are 60,000 statements, too many
    to visit one by one in the time lint has). A statement nobody references is unused;
    so is one whose every referrer is unused, which the cascade finds: the references of
    an unused statement are taken back, and what drops to none is unused too. The
    schema's references have no cycle, so this finds exactly what no rule reaches. Rules,
    installed or discarded, are never unused and their references always count.
    """
    by_type = policy.by_type
    counts: dict[str, Counter[str]] = {}
    inline: dict[str, list[Statement]] = {}
    for keyword, refs, blocks in _plan():
        stmts: list[Any] = [*by_type.get(keyword, {}).values(), *inline.pop(keyword, ())]
        if not stmts:
            continue
        for field, target, many in refs:
            counts.setdefault(target, Counter()).update(_values(stmts, field, many))
        for field, block, many in blocks:
            inline.setdefault(block, []).extend(_values(stmts, field, many))
    dead: list[Statement] = []
    for keyword, table in by_type.items():
        if keyword != "TTLSRule":
            count: Mapping[str, int] = counts.get(keyword, {})
            dead.extend(map(table.__getitem__, filterfalse(count.__contains__, table)))
    referrers: dict[tuple[str, str], list[Statement]] = {}
    i = 0
    while i < len(dead):
        s = dead[i]
        i += 1
        for target, name in _references(s):
            referrers.setdefault((target, name), []).append(s)
            count = counts[target]
            count[name] -= 1
            if count[name] == 0:
                found = by_type.get(target, {}).get(name)
                if found is not None:
                    dead.append(found)
    out = []
    for s in dead:
        by = referrers.get((s.KEYWORD, s.name or ""), [])
        if by:
            labels = ", ".join(u.label for u in by[:3]) + (" ..." if len(by) > 3 else "")
            text = f"{s.label} is referenced only by {labels}, which no rule uses"
        else:
            text = f"{s.label} is referenced by no rule, directly or indirectly"
        related = [(u.loc, f"{u.label}, itself unused") for u in by[:3]]
        out.append(Diagnostic.make("L402", s.loc, text, related))
    return out


# --- L403: old protocols ------------------------------------------------------------------
_MODERN = ("TLSv1.2", "TLSv1.3")


@dataclass(frozen=True, slots=True)
class _Switches:
    """The actions of one type whose advanced parms switch TLSv1.2 / TLSv1.3, by name."""

    on: tuple[set[str], set[str]]  # switched On (for environments: or On by default)
    coded: tuple[set[str], set[str]]  # coded at all, On or Off


def _switches(
    table: Mapping[str, Statement],
    inline_field: str,
    ref_field: str,
    parms: Mapping[str, Statement],
    base: Mapping[str, Any] | None,
) -> _Switches:
    """Read the TLSv1.2 and TLSv1.3 switches of all the actions of one type at once.

    The advanced parms are the inline block if there is one, else the global block the
    *Ref names (as effective.sub_block takes them). With ``base`` (the environment
    defaults) an uncoded switch takes its default, as effective() layers them (§4.6).
    """
    names = list(table)
    actions = list(table.values())
    named = list(map(parms.get, map(attrgetter(ref_field), actions)))
    blocks = dict(compress(zip(names, named, strict=True), named))
    inline_blocks = list(map(attrgetter(inline_field), actions))
    blocks.update(compress(zip(names, inline_blocks, strict=True), inline_blocks))
    with_parms = list(blocks)
    on: list[set[str]] = []
    coded: list[set[str]] = []
    for keyword, field in zip(_MODERN, ("tlsv1_2", "tlsv1_3"), strict=True):
        values = list(map(attrgetter(field), blocks.values()))
        switched = set(compress(with_parms, map(operator.eq, values, repeat("On"))))
        written = set(compress(with_parms, map(operator.is_not, values, repeat(None))))
        if base is not None and base.get(keyword) == "On":
            switched.update(set(names) - written)
        on.append(switched)
        coded.append(written)
    return _Switches(on=(on[0], on[1]), coded=(coded[0], coded[1]))


def _old_tls(policy: Policy) -> list[Diagnostic]:
    """L403.

    Only TLSv1.2 and TLSv1.3 decide whether an environment/connection pair is reported:
    neither On, whatever else is. They are layered here as effective() layers them (§4.6:
    defaults < environment < connection), for all actions at once, because effective()
    for each of 10,000 rules costs more than the whole lint may; a test keeps the two in
    step, and effective() gives the protocols the message names.
    """
    by_type = policy.by_type
    envs = by_type.get("TTLSEnvironmentAction", {})
    env = _switches(
        envs,
        "ttls_environment_advanced_parms",
        "ttls_environment_advanced_parms_ref",
        by_type.get("TTLSEnvironmentAdvancedParms", {}),
        defaults("TTLSEnvironmentAdvancedParms"),
    )
    conn = _switches(
        by_type.get("TTLSConnectionAction", {}),
        "ttls_connection_advanced_parms",
        "ttls_connection_advanced_parms_ref",
        by_type.get("TTLSConnectionAdvancedParms", {}),
        None,
    )
    turned_off = (conn.coded[0] - conn.on[0]) | (conn.coded[1] - conn.on[1])
    if not turned_off and (env.on[0] | env.on[1]).issuperset(envs):
        return []  # every environment is modern and no connection action turns that off
    groups = by_type.get("TTLSGroupAction", {})
    pairs: dict[tuple[str, str], list[TTLSRule]] = {}
    for rule in policy.rules:
        group = groups.get(rule.ttls_group_action_ref or "")
        if getattr(group, "ttls_enabled", None) == "On":  # Off: no handshake, no protocol
            key = (rule.ttls_environment_action_ref or "", rule.ttls_connection_action_ref or "")
            pairs.setdefault(key, []).append(rule)
    out = []
    for (e, c), rules in pairs.items():
        modern = any(c in conn.on[i] or (c not in conn.coded[i] and e in env.on[i]) for i in (0, 1))
        if not modern:
            out.append(_old_tls_finding(policy, rules))
    return out


def _old_tls_finding(policy: Policy, rules: list[TTLSRule]) -> Diagnostic:
    """L403 for the environment/connection pair of ``rules`` (in match order)."""
    eff = effective(policy, rules[0])
    env, conn = eff.actions.environment, eff.actions.connection
    assert env is not None  # E203: an enabled rule without one is discarded
    where = rules[0].label + (f" with {conn.label}" if conn is not None else "")
    if len(rules) > 1:
        where += f" (and {len(rules) - 1} more rule{'s' if len(rules) > 2 else ''})"
    if eff.protocols:
        text = (
            f"{env.label}, as {where} uses it, enables only {', '.join(eff.protocols)}: "
            "TLSv1.2 and TLSv1.3 are Off (both are Off unless coded On, ttls-language §2.8, "
            "C14)"
        )
    else:
        text = (
            f"{env.label}, as {where} uses it, enables no protocol at all (SSLv2 to "
            "TLSv1.3 are all Off): every handshake will fail"
        )
    related = [(rules[0].loc, rules[0].label)]
    if conn is not None:
        related.append((conn.loc, f"{conn.label}, whose advanced parms apply"))
    return Diagnostic.make("L403", env.loc, text, related)


def lint(policy: Policy) -> list[Diagnostic]:
    """Findings PAGENT would not report (L401, L402, L403, L405, L406), in file order.

    Lint allocates some 100,000 small objects on a 10,000-rule policy and makes no
    reference cycle, so it pauses the cyclic collector as load_policy does: right after
    load_policy the collector's young generation still holds the whole policy, and the
    first collection lint triggered would cost ten times the lint itself.
    """
    with no_gc():
        found = [*_rule_checks(policy), *_unused(policy), *_old_tls(policy)]
    found.sort(key=sort_key)
    return found
