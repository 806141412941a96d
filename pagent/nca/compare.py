"""What a policy does, rule by rule, so that two policies can be compared in effect.

A rule's effect is its conditions resolved to plain ranges (pagent.policy.matching) and
its effective actions with defaults filled in (pagent.policy.effective); names of actions
and condition objects do not count. Rules are paired by their place in match order. Used
by import (what the store could not represent) and by its tests (import then install gives
a policy with no change in effect).
"""

from __future__ import annotations

from typing import Any

from pagent.policy.effective import effective
from pagent.policy.matching import compile_rule
from pagent.policy.policy import Policy
from pagent.policy.statements import TTLSRule


def _ranges(specs: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
    return tuple(sorted((s.all, s.version, s.low, s.high) for s in specs))


def _ports(specs: tuple[Any, ...]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted((0, 65535) if s.any else (s.low, s.high) for s in specs))


def rule_effect(policy: Policy, rule: TTLSRule) -> dict[str, Any]:
    """Everything a connection mapped to this rule meets and gets."""
    c = compile_rule(policy, 0, rule)
    e = effective(policy, rule)
    ring = e.keyring
    return {
        "name": rule.name,
        "direction": ("inbound" if c.inbound else "") + ("outbound" if c.outbound else ""),
        "local addresses": _ranges(c.local_addrs),
        "remote addresses": _ranges(c.remote_addrs),
        "local ports": _ports(c.local_ports),
        "remote ports": _ports(c.remote_ports),
        "jobname": (rule.jobname or "").upper(),
        "userid": (rule.userid or "").upper(),
        "enabled": e.enabled,
        "trace": e.trace,
        "CtraceClearText": e.ctrace_clear_text,
        "FIPS140": e.fips140,
        "group advanced": dict(e.group_advanced),
        "HandshakeRole": e.handshake_role,
        "SuiteBProfile": e.suite_b_profile,
        "key ring": (ring.keyring, ring.keyring_stash_file, ring.keyring_pw) if ring else None,
        "V2 ciphers": e.v2_ciphers,
        "V3 ciphers": e.v3_ciphers,
        "signature": dict(e.signature),
        "advanced": dict(e.advanced),
        "GSK": dict(e.gsk),
    }


def effects(policy: Policy) -> list[dict[str, Any]]:
    """The effect of every installed rule, in match order."""
    return [rule_effect(policy, r) for r in policy.rules]


def differences(before: Policy, after: Policy, *, names: bool = True) -> list[str]:
    """What differs in effect between two policies, one line per difference."""
    a, b = effects(before), effects(after)
    out: list[str] = []
    for n, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        label = x["name"]
        for key in x:
            if key == "name" and not names:
                continue
            if x[key] != y[key]:
                if isinstance(x[key], dict):
                    keys = sorted(k for k in {*x[key], *y[key]} if x[key].get(k) != y[key].get(k))
                    for k in keys:
                        out.append(
                            f"rule {n} ({label}): {key} {k}: {x[key].get(k)!r} -> {y[key].get(k)!r}"
                        )
                else:
                    out.append(f"rule {n} ({label}): {key}: {x[key]!r} -> {y[key]!r}")
    for x in a[len(b) :]:
        out.append(f"rule {x['name']}: only in the first policy")
    for y in b[len(a) :]:
        out.append(f"rule {y['name']}: only in the second policy")
    return out
