"""What a change to a policy does, in effect: rules, actions and connections (issue 10 §5).

:func:`effective_difference` compares two policies as PAGENT would install them, in
*effective* values: conditions resolved (an inline ``LocalAddr`` and an ``IpAddrRef`` to the
same address are equal), parms blocks resolved whether inline or referenced, defaults filled
in (coding ``TLSv1 On`` is the same as leaving the default). A reformatted or reordered file
with the same meaning therefore has no difference.

Beside rules and actions added, removed and changed, it maps a representative set of
connections through both policies: for every installed rule of either policy, the corners of
its address and port conditions (every low end, then every high end: the first member's low
end and the last member's high end), in each direction it covers, with a job name and user
id its patterns accept. Each connection whose rule or protection changes is reported, e.g.
``outbound :1024 -> :9443 USER1GET: zCEEClientRule~1 (TLS) -> no rule (clear)``. An
address a rule leaves open is shown empty (a documentation-range stand-in is used for the
lookup).

Pure: the caller loads the policies (``pagent diff`` in :mod:`pagent.commands.diff`; the
NCA import of issue 12 may call this too).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, Literal, TypeVar

from pagent.policy.addresses import AddrSpec, PortSpec
from pagent.policy.catalogue import spec_of
from pagent.policy.effective import coded, defaults, effective, sub_block
from pagent.policy.matching import (
    CompiledRule,
    Connection,
    Direction,
    Matcher,
    compile_rule,
)
from pagent.policy.policy import DEFAULT_PRIORITY, Policy
from pagent.policy.statements import STATEMENT_CLASSES, Statement, TTLSCipherParms, TTLSRule

S = TypeVar("S")

ACTION_TYPES = ("TTLSGroupAction", "TTLSEnvironmentAction", "TTLSConnectionAction")
# Stand-ins for an address or port a rule leaves open (RFC 5737 / RFC 3849 ranges).
_STAND_IN_LOCAL = {4: "192.0.2.10", 6: "2001:db8::10"}
_STAND_IN_REMOTE = {4: "198.51.100.10", 6: "2001:db8::20"}
_STAND_IN_PORT = {"local": 40001, "remote": 40002}

EMPTY = Policy(by_type={}, rules=(), discarded=(), diagnostics=())
"""A policy with no statement: the other side of an image that only one policy has."""


# --- canonical (effective) values ------------------------------------------------------------
def _plain(value: object) -> object:
    """A value as it compares and prints: address and port specs by their text."""
    if isinstance(value, AddrSpec | PortSpec):
        return value.text
    if isinstance(value, tuple) and value and isinstance(value[0], AddrSpec | PortSpec):
        return tuple(_plain(v) for v in value)
    return value


def _flatten(prefix: str, values: Mapping[str, Any], out: dict[str, object]) -> None:
    for key, value in values.items():
        if isinstance(value, dict):
            _flatten(f"{prefix}{key}.", value, out)
        else:
            out[prefix + key] = _plain(value)


def statement_values(policy: Policy, s: Statement | None, keyword: str) -> dict[str, Any]:
    """A statement's effective parameters: defaults, coded values, parms blocks resolved.

    Inline or referenced parms are the same thing here; the name of a referenced parms
    statement is not part of it.
    """
    out: dict[str, Any] = {**defaults(keyword), **coded(s)}
    if isinstance(s, TTLSCipherParms):
        # One preference list, in coded order, whichever parameter held each code (§2.6).
        out.pop("V3CipherSuites", None)
        out.pop("V3CipherSuites4Char", None)
        out["V3 cipher list"] = s.v3_preference or ()
    for p in spec_of(keyword).params.values():
        if p.is_block and p.statement is not None:
            kind = STATEMENT_CLASSES[p.statement]
            child = sub_block(policy, s, kind) if s is not None else None
            # An absent block and an empty one are the same: its defaults.
            out[p.keyword] = statement_values(policy, child, p.statement)
    return out


def action_values(policy: Policy, action: Statement) -> dict[str, object]:
    """An action's effective parameters, flattened to ``Block.Parameter`` keys."""
    out: dict[str, object] = {}
    _flatten("", statement_values(policy, action, action.KEYWORD), out)
    return out


def _conditions(c: CompiledRule) -> dict[str, object]:
    rule = c.rule
    return {
        "Direction": "Both"
        if c.inbound and c.outbound
        else ("Inbound" if c.inbound else "Outbound"),
        "Priority": rule.priority or DEFAULT_PRIORITY,
        "LocalAddr": tuple(sorted({a.text for a in c.local_addrs})),
        "RemoteAddr": tuple(sorted({a.text for a in c.remote_addrs})),
        "LocalPortRange": tuple(sorted({_port_text(p) for p in c.local_ports})),
        "RemotePortRange": tuple(sorted({_port_text(p) for p in c.remote_ports})),
        "Jobname": (rule.jobname or "").upper() or None,
        "Userid": (rule.userid or "").upper() or None,
        "TTLSGroupActionRef": rule.ttls_group_action_ref,
        "TTLSEnvironmentActionRef": rule.ttls_environment_action_ref,
        "TTLSConnectionActionRef": rule.ttls_connection_action_ref,
    }


def _port_text(p: PortSpec) -> str:
    if p.any:
        return "0"
    return str(p.low) if p.low == p.high else f"{p.low}-{p.high}"


def _protection_values(policy: Policy, rule: TTLSRule) -> dict[str, object]:
    """What a connection mapped to the rule gets, flattened."""
    eff = effective(policy, rule)
    out: dict[str, object] = {
        "TTLSEnabled": "On" if eff.enabled else "Off",
        "Trace": eff.trace,
        "CtraceClearText": eff.ctrace_clear_text,
        "FIPS140": eff.fips140,
        "HandshakeRole": eff.handshake_role,
        "SuiteBProfile": eff.suite_b_profile,
        "Keyring": eff.keyring.keyring if eff.keyring is not None else None,
        "V2 cipher list": eff.v2_ciphers,
        "V3 cipher list": eff.v3_ciphers,
    }
    for prefix, values in (
        ("", eff.advanced),
        ("", eff.signature),
        ("", eff.gsk),
        ("group.", eff.group_advanced),
    ):
        _flatten(prefix, values, out)
    return out


class _Protections:
    """The protection values of each rule of one policy, worked out once per comparison."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.by_rule: dict[int, dict[str, object]] = {}

    def of(self, rule: TTLSRule) -> dict[str, object]:
        found = self.by_rule.get(id(rule))
        if found is None:
            found = self.by_rule[id(rule)] = _protection_values(self.policy, rule)
        return found


def rule_values(policy: Policy, c: CompiledRule) -> dict[str, object]:
    """A rule's conditions, Priority, action names and effective protection."""
    return {**_conditions(c), **_protection_values(policy, c.rule)}


# --- a cheap test for "unchanged" ----------------------------------------------------------------
@cache
def _links(keyword: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """A statement type's (*Ref field, target type) pairs and inline block fields."""
    spec = spec_of(keyword)
    refs = tuple((p.field, p.target) for p in spec.params.values() if p.is_ref and p.target)
    blocks = tuple(p.field for p in spec.params.values() if p.is_block)
    return refs, blocks


class _Closures:
    """Each statement with every statement it references, transitively, as one tuple.

    Two statements whose closures are equal (dataclass equality: values, not places) have
    the same effective values, so they need not be worked out; unequal closures may still
    mean the same (inline vs Ref), which the values then show. Memoised per statement:
    a rule's closure holds its actions', which hold their parms' (10,000-rule policies).
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.memo: dict[int, tuple[object, ...]] = {}

    def of(self, s: Statement) -> tuple[object, ...]:
        found = self.memo.get(id(s))
        if found is not None:
            return found
        parts: list[object] = [s]
        refs, blocks = _links(s.KEYWORD)
        for field_name, target in refs:
            value = getattr(s, field_name)
            if value is None or value == ():
                continue
            table = self.policy.by_type.get(target, {})
            for name in value if isinstance(value, tuple) else (value,):
                ref = table.get(name)
                parts.append((target, name) if ref is None else self.of(ref))
        for field_name in blocks:
            value = getattr(s, field_name)
            if value is None or value == ():
                continue
            for child in value if isinstance(value, tuple) else (value,):
                parts.append(self.of(child))
        found = self.memo[id(s)] = tuple(parts)
        return found


# --- the difference ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    """One value that differs: ``key: old -> new`` (None = not there)."""

    key: str
    old: object
    new: object

    def text(self) -> str:
        """``key old -> new``."""
        return f"{self.key} {_show(self.old)} -> {_show(self.new)}"


def _show(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) or "(none)"
    return str(value)


@dataclass(frozen=True, slots=True)
class StatementDiff:
    """A rule or action added, removed or changed."""

    kind: Literal["added", "removed", "changed"]
    keyword: str  # TTLSRule, TTLSGroupAction ...
    name: str
    changes: tuple[Change, ...] = ()

    def text(self) -> str:
        """``rule changed: R: Priority 100 -> 200; ...``."""
        what = "rule" if self.keyword == "TTLSRule" else f"action {self.keyword}"
        head = f"{what} {self.kind}: {self.name}"
        return f"{head}: {'; '.join(c.text() for c in self.changes)}" if self.changes else head

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        return {
            "kind": self.kind,
            "statement": self.keyword,
            "name": self.name,
            "changes": [
                {"key": c.key, "old": _json(c.old), "new": _json(c.new)} for c in self.changes
            ],
        }


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True, slots=True)
class Protection:
    """What one connection gets from one policy."""

    rule: str | None
    enabled: bool
    values: Mapping[str, object] = field(default_factory=dict, compare=False)

    def text(self) -> str:
        """``R (TLS)``, ``R (clear)`` or ``no rule (clear)``."""
        if self.rule is None:
            return "no rule (clear)"
        return f"{self.rule} ({'TLS' if self.enabled else 'clear'})"


@dataclass(frozen=True, slots=True)
class ConnectionDiff:
    """A representative connection whose rule or protection changes."""

    connection: Connection
    shown: str  # the connection as printed (open addresses empty)
    old: Protection
    new: Protection
    changes: tuple[Change, ...] = ()  # protection values, when the rule stays the same

    def text(self) -> str:
        """``outbound 192.168.17.201:7419 -> :9443 USER1GET: R (TLS) -> no rule (clear)``."""
        new = self.new.text()
        if self.changes:
            new += f" [{'; '.join(c.text() for c in self.changes)}]"
        return f"{self.shown}: {self.old.text()} -> {new}"

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        c = self.connection
        return {
            "direction": c.direction,
            "local": _endpoint(c.local_ip, c.local_port),
            "remote": _endpoint(c.remote_ip, c.remote_port),
            "jobname": c.jobname,
            "userid": c.userid,
            "old": {"rule": self.old.rule, "tls": self.old.enabled},
            "new": {"rule": self.new.rule, "tls": self.new.enabled},
            "changes": [
                {"key": ch.key, "old": _json(ch.old), "new": _json(ch.new)} for ch in self.changes
            ],
            "text": self.text(),
        }


def _endpoint(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """The effective difference between two policies. False when there is none."""

    rules: tuple[StatementDiff, ...] = ()
    actions: tuple[StatementDiff, ...] = ()
    connections: tuple[ConnectionDiff, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the two policies have the same effect."""
        return not (self.rules or self.actions or self.connections)

    def __bool__(self) -> bool:
        return not self.is_empty

    def lines(self) -> list[str]:
        """One line per difference: rules, actions, then connections."""
        return [
            *(d.text() for d in (*self.rules, *self.actions)),
            *(d.text() for d in self.connections),
        ]

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        return {
            "equal": self.is_empty,
            "rules": [d.as_json() for d in self.rules],
            "actions": [d.as_json() for d in self.actions],
            "connections": [d.as_json() for d in self.connections],
        }


def _changes(old: Mapping[str, object], new: Mapping[str, object]) -> tuple[Change, ...]:
    keys = list(dict.fromkeys((*old, *new)))
    return tuple(Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def _statement_diffs(
    keyword: str,
    old: Mapping[str, S],
    new: Mapping[str, S],
    same: Callable[[S, S], bool],
    values: Callable[[S, S], tuple[Mapping[str, object], Mapping[str, object]]],
) -> list[StatementDiff]:
    """Added, removed and changed statements of one type; ``same`` skips the unchanged."""
    out = [StatementDiff("removed", keyword, n) for n in sorted(old) if n not in new]
    out += [StatementDiff("added", keyword, n) for n in sorted(new) if n not in old]
    for name in sorted(old.keys() & new.keys()):
        a, b = old[name], new[name]
        if same(a, b):
            continue
        changes = _changes(*values(a, b))
        if changes:
            out.append(StatementDiff("changed", keyword, name, changes))
    return out


def effective_difference(old: Policy, new: Policy) -> PolicyDiff:
    """The difference in effect between ``old`` and ``new`` (see the module docstring).

    Only installed rules count: a rule PAGENT would discard is not part of the effect.
    """
    old_compiled = [compile_rule(old, i, r) for i, r in enumerate(old.rules)]
    new_compiled = [compile_rule(new, i, r) for i, r in enumerate(new.rules)]
    old_p, new_p = _Protections(old), _Protections(new)
    old_c, new_c = _Closures(old), _Closures(new)
    old_rules = {c.rule.name or "": c.rule for c in old_compiled}
    unchanged = {
        name
        for c in new_compiled
        if (o := old_rules.get(name := c.rule.name or "")) is not None
        and old_c.of(o) == new_c.of(c.rule)
    }
    rules = _statement_diffs(
        "TTLSRule",
        {c.rule.name or "": c for c in old_compiled},
        {c.rule.name or "": c for c in new_compiled},
        lambda a, b: (a.rule.name or "") in unchanged,
        lambda a, b: (
            {**_conditions(a), **old_p.of(a.rule)},
            {**_conditions(b), **new_p.of(b.rule)},
        ),
    )
    actions: list[StatementDiff] = []
    for keyword in ACTION_TYPES:
        actions += _statement_diffs(
            keyword,
            old.by_type.get(keyword, {}),
            new.by_type.get(keyword, {}),
            lambda a, b: old_c.of(a) == new_c.of(b),
            lambda a, b: (action_values(old, a), action_values(new, b)),
        )
    connections = _connection_diffs(
        old_p, new_p, [*old_compiled, *new_compiled], _only_changed(old, new, unchanged)
    )
    return PolicyDiff(tuple(rules), tuple(actions), tuple(connections))


# --- representative connections ------------------------------------------------------------------
def _name_for(pattern: str | None) -> str:
    """A job name or user id the pattern accepts (the empty name when there is none)."""
    if not pattern:
        return ""
    text = pattern.upper().replace("%", "X")
    return text.replace("*", "") if "*" in text else text


def _open(spec: AddrSpec) -> bool:
    """True for All, and for a prefix or range that spans its whole family (0.0.0.0/0)."""
    top = (1 << (32 if spec.version == 4 else 128)) - 1
    return spec.all or (spec.low == 0 and spec.high == top)


def _addr_corners(specs: tuple[AddrSpec, ...]) -> tuple[tuple[int, str] | None, ...]:
    """Low end of the first member, high end of the last; None for an open side."""
    if not specs or any(_open(s) for s in specs):
        return (None, None)
    first, last = specs[0], specs[-1]
    return tuple(
        (version, str(ipaddress.ip_address(value if version == 4 else value.to_bytes(16, "big"))))
        for version, value in ((first.version, first.low), (last.version, last.high))
    )


def _port_corners(specs: tuple[PortSpec, ...], side: str) -> tuple[int, int]:
    if not specs or any(p.any for p in specs):
        return (_STAND_IN_PORT[side], _STAND_IN_PORT[side])
    return (specs[0].low, specs[-1].high)


def _representatives(c: CompiledRule) -> Iterator[tuple[Connection, str]]:
    """The corner connections of one rule (every low end, every high end), with their text."""
    both: tuple[tuple[Direction, bool], ...] = (("outbound", c.outbound), ("inbound", c.inbound))
    directions = [d for d, on in both if on]
    job, user = _name_for(c.rule.jobname), _name_for(c.rule.userid)
    corners = list(
        zip(
            _addr_corners(c.local_addrs),
            _port_corners(c.local_ports, "local"),
            _addr_corners(c.remote_addrs),
            _port_corners(c.remote_ports, "remote"),
            strict=True,
        )
    )
    for direction in directions:
        for local, lport, remote, rport in dict.fromkeys(corners):
            version = (local or remote or (4, ""))[0]
            if local is not None and remote is not None and local[0] != remote[0]:
                continue  # no connection has one end IPv4 and the other IPv6
            lip = local[1] if local else _STAND_IN_LOCAL[version]
            rip = remote[1] if remote else _STAND_IN_REMOTE[version]
            conn = Connection(direction, lip, lport, rip, rport, job, user)
            shown_local = _endpoint(lip, lport) if local else f":{lport}"
            shown_remote = _endpoint(rip, rport) if remote else f":{rport}"
            who = " ".join(x for x in (job, user) if x)
            yield conn, f"{direction} {shown_local} -> {shown_remote}{' ' + who if who else ''}"


def _protection(protections: _Protections, rule: TTLSRule | None) -> Protection:
    if rule is None:
        return Protection(None, False)
    values = protections.of(rule)
    return Protection(rule.name, values["TTLSEnabled"] == "On", values)


def _only_changed(old: Policy, new: Policy, unchanged: set[str]) -> tuple[Matcher, Matcher]:
    """Matchers over the rules of each policy that are not unchanged.

    Rules outside them are the same statements in both policies, so a connection that none
    of these rules matches, in either policy, maps to the same rule with the same protection
    on both sides, and need not be looked up in full (10,000-rule policies).
    """
    return tuple(  # type: ignore[return-value]
        Matcher(replace(p, rules=tuple(r for r in p.rules if r.name not in unchanged)))
        for p in (old, new)
    )


def _connection_diffs(
    old: _Protections,
    new: _Protections,
    compiled: list[CompiledRule],
    changed: tuple[Matcher, Matcher],
) -> list[ConnectionDiff]:
    """Connections whose rule or protection changes."""
    old_m, new_m = Matcher(old.policy), Matcher(new.policy)
    seen: set[Connection] = set()
    out: list[ConnectionDiff] = []
    for c in compiled:
        for conn, shown in _representatives(c):
            if conn in seen:
                continue
            seen.add(conn)
            if changed[0].match(conn) is None and changed[1].match(conn) is None:
                continue  # only unchanged rules can take it: the same on both sides
            old_rule, new_rule = old_m.match(conn), new_m.match(conn)
            before, after = _protection(old, old_rule), _protection(new, new_rule)
            if before.rule != after.rule or before.enabled != after.enabled:
                out.append(ConnectionDiff(conn, shown, before, after))
            elif before.enabled and before.values != after.values:
                changes = _changes(before.values, after.values)
                out.append(ConnectionDiff(conn, shown, before, after, changes))
    return out
