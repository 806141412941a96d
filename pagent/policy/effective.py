"""Effective actions: what a rule's connections get, with inheritance and defaults filled in.

ttls-language.md §4.6: the group action supplies TTLSEnabled, Trace (default 2),
CtraceClearText (default Off), FIPS140 and the group advanced parms; the environment action
the System SSL environment; the connection action overrides, for this rule only, the
HandshakeRole, ciphers, signature parms, advanced parms (parameter by parameter), Trace and
CtraceClearText. Defaults come from the catalogue, never from the model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from pagent.policy import ciphers
from pagent.policy.catalogue import spec_of
from pagent.policy.policy import Policy
from pagent.policy.statements import (
    Statement,
    TTLSCipherParms,
    TTLSConnectionAction,
    TTLSConnectionAdvancedParms,
    TTLSEnvironmentAction,
    TTLSEnvironmentAdvancedParms,
    TTLSGroupAction,
    TTLSGroupAdvancedParms,
    TTLSGskAdvancedParms,
    TTLSKeyringParms,
    TTLSRule,
    TTLSSignatureParms,
)

S = TypeVar("S", bound=Statement)

_TLS13_LISTS = ("ClientECurves", "SignaturePairs")


def sub_block(policy: Policy, owner: Statement | None, kind: type[S]) -> S | None:
    """The inline block of type ``kind`` in ``owner``, or the global one its *Ref names."""
    if owner is None:
        return None
    spec = spec_of(owner.KEYWORD)
    inline = spec.param(kind.KEYWORD)
    if inline is not None:
        value = getattr(owner, inline.field)
        if isinstance(value, kind):
            return value
    ref = spec.param(kind.KEYWORD + "Ref")
    if ref is not None:
        return policy.get(kind, getattr(owner, ref.field))
    return None


@cache
def defaults(keyword: str) -> Mapping[str, Any]:
    """The documented defaults of a statement's scalar parameters, by canonical keyword."""
    out: dict[str, Any] = {}
    for p in spec_of(keyword).params.values():
        if p.is_block or p.is_ref or p.default in (None, "inherit"):
            continue
        value = p.default
        if p.type == "integer" and isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, list):
            value = tuple(value)
        elif p.type == "hex4_list" and isinstance(value, str):
            value = (value,)
        out[p.keyword] = value
    return out


def coded(s: Statement | None) -> dict[str, Any]:
    """The scalar parameters a statement codes, by canonical keyword."""
    if s is None:
        return {}
    out: dict[str, Any] = {}
    for p in spec_of(s.KEYWORD).params.values():
        if p.is_block or p.is_ref:
            continue
        value = getattr(s, p.field)
        if value is None or value == ():
            continue
        out[p.keyword] = value
    return out


@dataclass(frozen=True, slots=True)
class RuleActions:
    """A rule and the actions it references (None where not referenced)."""

    rule: TTLSRule
    group: TTLSGroupAction | None
    environment: TTLSEnvironmentAction | None
    connection: TTLSConnectionAction | None


def actions_of(policy: Policy, rule: TTLSRule) -> RuleActions:
    """Resolve a rule's action references."""
    return RuleActions(
        rule=rule,
        group=policy.get(TTLSGroupAction, rule.ttls_group_action_ref),
        environment=policy.get(TTLSEnvironmentAction, rule.ttls_environment_action_ref),
        connection=policy.get(TTLSConnectionAction, rule.ttls_connection_action_ref),
    )


@dataclass(frozen=True, slots=True)
class Effective:
    """Everything a connection mapped to a rule gets, defaults filled in."""

    actions: RuleActions
    enabled: bool
    trace: int
    ctrace_clear_text: str
    fips140: str
    group_advanced: Mapping[str, Any]
    handshake_role: str | None
    suite_b_profile: str
    keyring: TTLSKeyringParms | None
    v2_ciphers: tuple[str, ...]  # codes; () = System SSL's default list
    v3_ciphers: tuple[str, ...]  # 4-char codes; () = System SSL's default list
    signature: Mapping[str, Any]
    advanced: Mapping[str, Any]  # environment defaults < environment < connection
    gsk: Mapping[str, Any]

    @property
    def protocols(self) -> tuple[str, ...]:
        """The protocol switches that are On, oldest first."""
        names = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
        return tuple(n for n in names if self.advanced.get(n) == "On")


def _has_suites(cipher: TTLSCipherParms | None) -> bool:
    return cipher is not None and bool(cipher.v2_cipher_suites or cipher.v3_preference)


def effective(policy: Policy, rule: TTLSRule) -> Effective:
    """Work out a rule's effective actions."""
    acts = actions_of(policy, rule)
    group, env, conn = acts.group, acts.environment, acts.connection
    gdef = defaults("TTLSGroupAction")
    trace = group.trace if group and group.trace is not None else gdef["Trace"]
    ctrace = (group.ctrace_clear_text if group else None) or gdef["CtraceClearText"]
    for layer in (env, conn):
        if layer is not None:
            trace = layer.trace if layer.trace is not None else trace
            ctrace = layer.ctrace_clear_text or ctrace
    gadv = {
        **defaults("TTLSGroupAdvancedParms"),
        **coded(sub_block(policy, group, TTLSGroupAdvancedParms)),
    }
    env_cipher = sub_block(policy, env, TTLSCipherParms)
    conn_cipher = sub_block(policy, conn, TTLSCipherParms)
    # A connection's cipher parms left with no suite (names on V3CipherSuites4Char, 1303)
    # show no section in pasearch, as if not coded [PAS]: the environment's list applies
    # (docs/fidelity.md F-154).
    cipher = conn_cipher if _has_suites(conn_cipher) else env_cipher
    env_sig = sub_block(policy, env, TTLSSignatureParms)
    conn_sig = sub_block(policy, conn, TTLSSignatureParms)
    advanced = {
        **defaults("TTLSEnvironmentAdvancedParms"),
        **coded(sub_block(policy, env, TTLSEnvironmentAdvancedParms)),
        **coded(sub_block(policy, conn, TTLSConnectionAdvancedParms)),
    }
    # With TLSv1.3 On, PAGENT appends the TLS 1.3 curves and signature pairs to the
    # defaults (ttls-language.md §2.7, [PAS]).
    tls13 = advanced.get("TLSv1.3") == "On"
    signature = {
        **defaults("TTLSSignatureParms"),
        **{k: v for k in _TLS13_LISTS if (v := ciphers.default_codes(k, tls13)) is not None},
        **coded(env_sig),
        **coded(conn_sig),
    }
    suite_b = (env.suite_b_profile if env else None) or "Off"
    if suite_b != "Off":
        cipher = None  # any SuiteBProfile but Off makes the cipher parms ignored (§2.3)
    gsk = {
        **defaults("TTLSGskAdvancedParms"),
        **coded(sub_block(policy, env, TTLSGskAdvancedParms)),
    }
    role = (conn.handshake_role if conn else None) or (env.handshake_role if env else None)
    return Effective(
        actions=acts,
        enabled=bool(group and group.ttls_enabled == "On"),
        trace=int(trace),
        ctrace_clear_text=str(ctrace),
        fips140=(group.fips140 if group else None) or str(gdef["FIPS140"]),
        group_advanced=gadv,
        handshake_role=role,
        suite_b_profile=suite_b,
        keyring=sub_block(policy, env, TTLSKeyringParms),
        v2_ciphers=(cipher.v2_cipher_suites or ()) if cipher else (),
        v3_ciphers=(cipher.v3_preference or ()) if cipher else (),
        signature=signature,
        advanced=advanced,
        gsk=gsk,
    )
