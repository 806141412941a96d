"""Policy Data Import: an existing AT-TLS policy into the backing store (nca.md §5.1).

Each installed rule becomes a traffic descriptor (one TCP traffic type), a security level
and a row of a requirement map; the rules ``X~1``, ``X~2`` of one connectivity rule ``X``
share its map. The descriptor is named after the actions' ``~suffix`` when the file is NCA
output, else after the rule; a level after its cipher parms' ``~suffix``, else reused by
content or named ``<descriptor>Level`` (how the NCA names them back is unknown, F-212).
The image takes the default key ring of ``keyR~<image>`` and the first rule's trace.

Then the imported store is generated again and compared in effect with the original
(:mod:`pagent.nca.compare`): every difference is something the store could not represent,
and is reported. A policy PAGENT would reject, or an unreadable one, changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from pagent.nca import edit
from pagent.nca.compare import differences
from pagent.nca.generate import generate
from pagent.nca.model import (
    NAME_MAX,
    PROTOCOLS,
    RELEASES,
    AddressGroup,
    ConnectivityRule,
    Image,
    MapRow,
    NcaError,
    Port,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
    TrafficType,
    check_name,
)
from pagent.policy.addresses import AddrSpec, PortSpec
from pagent.policy.ciphers import suite_name
from pagent.policy.effective import effective
from pagent.policy.matching import compile_rule
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import SourceText, read_source
from pagent.policy.statements import IpAddrGroup, TTLSCipherParms, TTLSConnectionAction

_SUFFIX = re.compile(r"^(.*)~(\d+)$")
_VERSION = re.compile(r"^## Version (\d) Release (\d)$", re.M)  # the NCA header (nca.md §3.1)
_V4_ALL = (4, 0, 2**32 - 1)
_V6_ALL = (6, 0, 2**128 - 1)


@dataclass(frozen=True, slots=True)
class Imported:
    """The store after an import, what was imported and what could not be represented."""

    store: Store
    imported: tuple[str, ...]
    lost: tuple[str, ...]


def _port(specs: tuple[PortSpec, ...], rule: str, side: str) -> Port:
    if len(specs) != 1:
        raise _SkipError(f"rule {rule}: a {side} port group of {len(specs)} ranges")
    s = specs[0]
    if s.any:
        return Port("all")
    if (s.low, s.high) == (1024, 65535):
        return Port("ephemeral")
    if s.low == s.high:
        return Port("single", s.low, s.low)
    return Port("range", s.low, s.high)


class _SkipError(Exception):
    """A rule the store cannot hold at all."""


def _name(text: str, fallback: str) -> str:
    try:
        return check_name(text[:NAME_MAX], "object")
    except NcaError:
        return fallback


def _group_for(
    policy: Policy, rule_name: str, side: str, specs: tuple[AddrSpec, ...], ref: str | None
) -> tuple[str, AddressGroup | None, str | None]:
    """The address group for one side: (name, new group or None, a note or None)."""
    if len(specs) == 1:
        s = specs[0]
        if s.all:
            return (
                "All_IPv4_Addresses",
                None,
                f"rule {rule_name}: no {side} address condition (any address, IPv6 too); "
                "imported as All_IPv4_Addresses",
            )
        if (s.version, s.low, s.high) == _V4_ALL:
            return "All_IPv4_Addresses", None, None
        if (s.version, s.low, s.high) == _V6_ALL:
            return "All_IPv6_Addresses", None, None
    group = policy.get(IpAddrGroup, ref) if ref else None
    name = _name(group.name or "", f"{rule_name}_{side}") if group else f"{rule_name}_{side}"
    addresses = tuple(s.text.replace(" ", "") for s in specs)
    return name, AddressGroup(name, addresses, f"imported from rule {rule_name}"), None


def _level_for(
    levels: dict[str, SecurityLevel], store: Store, role: str, want: SecurityLevel
) -> str | None:
    """An imported or existing level that gives this traffic what it had, or None.

    Client authentication matters only to a server: a client's traffic can reuse a level
    that asks for it.
    """
    for lv in (*levels.values(), *edit.objects(store, "level")):
        assert isinstance(lv, SecurityLevel)
        same = (lv.protocols, lv.ciphers) == (want.protocols, want.ciphers)
        if same and (role == "Client" or lv.client_auth == want.client_auth):
            return lv.name
    return None


def import_policy(store: Store, path: Path, image_name: str, stack_name: str) -> Imported:
    """Read a policy file into the store as the given image's stack."""
    try:
        src = read_source(path)
    except OSError as exc:
        raise NcaError(f"cannot read {path}: {exc.strerror}", "POLICY") from None
    check_name(image_name, "system image", "--image")
    check_name(stack_name, "TCP/IP stack", "--stack")
    policy = load_policy([src])
    if policy.rejected:
        raise NcaError(
            f"PAGENT would reject {path}; nothing imported (pagent check {path})", "POLICY"
        )
    lost: list[str] = [f"rule {n}: PAGENT would discard it; not imported" for n in policy.discarded]
    imported: list[str] = []
    image = store.image(image_name)
    new = store if image else edit.put_image(store, Image(image_name))
    image = new.image(image_name)
    assert image is not None
    keyring = image.keyring
    found = _VERSION.search(src.text)
    release = f"V{found.group(1)}R{found.group(2)}" if found else image.release
    trace: int | None = None
    descriptors: dict[str, TrafficDescriptor] = {}
    levels: dict[str, SecurityLevel] = {}
    groups: dict[str, AddressGroup] = {}
    maps: dict[str, list[MapRow]] = {}
    rules: dict[str, tuple[str, str]] = {}  # connectivity rule -> (local, remote)
    for rule in policy.rules:
        name = rule.name or ""
        try:
            c = compile_rule(policy, 0, rule)
            e = effective(policy, rule)
            m = _SUFFIX.match(name)
            base = _name(m.group(1) if m else name, f"Rule{len(rules) + 1}")
            conn = policy.get(TTLSConnectionAction, rule.ttls_connection_action_ref)
            suffix = next(
                (
                    ref.split("~", 1)[1]
                    for ref in (
                        rule.ttls_group_action_ref,
                        rule.ttls_environment_action_ref,
                        rule.ttls_connection_action_ref,
                    )
                    if ref and "~" in ref
                ),
                None,
            )
            td = _name(suffix or base, base)
            if td in descriptors:
                td = _name(f"{td}_{len(descriptors) + 1}", f"TD{len(descriptors) + 1}")
            role = e.handshake_role or "Server"
            client_auth = None
            if role == "ServerWithClientAuth":
                role = "Server"
                client_auth = str(e.advanced.get("ClientAuthType") or "Required")
            if role not in ("Server", "Client"):
                raise _SkipError(f"rule {name}: HandshakeRole {role}")
            ring = e.keyring.keyring if e.keyring else None
            ring_name = e.keyring.name if e.keyring else None
            own_ring: str | None = ring
            if ring_name == f"keyR~{image_name}" or (ring is not None and ring == keyring):
                keyring = keyring or ring
                own_ring = None
            direction = (
                "Either" if c.inbound and c.outbound else "Inbound" if c.inbound else "Outbound"
            )
            ttype = TrafficType(
                local_port=_port(c.local_ports, name, "local"),
                remote_port=_port(c.remote_ports, name, "remote"),
                direction=direction,  # type: ignore[arg-type]
                jobname=rule.jobname.upper() if rule.jobname else None,
                userid=rule.userid.upper() if rule.userid else None,
                role=role,  # type: ignore[arg-type]
                keyring=own_ring,
                certificate_label=e.advanced.get("CertificateLabel"),
            )
            protocols = tuple(p for p in PROTOCOLS if e.advanced.get(p) == "On")
            ciphers = tuple(suite_name(x) or x for x in e.v3_ciphers)
            cipher_stmt = policy.get(TTLSCipherParms, conn.ttls_cipher_parms_ref) if conn else None
            level_hint = (
                cipher_stmt.name.split("~", 1)[1]
                if cipher_stmt and cipher_stmt.name and "~" in cipher_stmt.name
                else None
            )
            lvl_name = _level_for(
                levels, new, role, SecurityLevel("", protocols, ciphers, client_auth)
            )
            if lvl_name is None:
                lvl_name = _name(level_hint or f"{td}Level", f"Level{len(levels) + 1}")
                while lvl_name in levels or edit.level(new, lvl_name) is not None:
                    lvl_name = _name(f"{lvl_name}_{len(levels) + 1}", f"Level{len(levels) + 1}")
                levels[lvl_name] = SecurityLevel(
                    lvl_name, protocols, ciphers, client_auth, f"imported from {path.name}"
                )
            if "TLSv1.3" in protocols and release < "V2R4":
                release = "V2R5"  # TLS 1.3 needs V2R4 or later: the file has no header
            if trace is None:
                trace = e.trace
            local, lgroup, lnote = _group_for(
                policy, base, "local", c.local_addrs, rule.local_addr_group_ref
            )
            remote, rgroup, rnote = _group_for(
                policy, base, "remote", c.remote_addrs, rule.remote_addr_group_ref
            )
        except _SkipError as exc:
            lost.append(f"{exc}; not imported")
            continue
        for note in (lnote, rnote):
            if note:
                lost.append(note)
        for g in (lgroup, rgroup):
            if g is not None:
                groups[g.name] = g
        descriptors[td] = TrafficDescriptor(td, (ttype,), f"imported from {path.name}")
        maps.setdefault(base, []).append(MapRow(td, lvl_name))
        rules.setdefault(base, (local, remote))
        imported.append(f"rule {name}: descriptor {td}, level {lvl_name}, map {base}Map")
    bits = tuple(b for b in (1, 2, 4) if trace is not None and trace & b)
    if trace is not None and trace & ~7:
        lost.append(f"Trace {trace}: the image panel has levels 1, 2 and 4 only")
    image = replace(
        image,
        keyring=keyring,
        release=release if release in RELEASES else image.release,
        trace=bits if trace is not None else image.trace,
    )
    new = edit.put_image(new, image, modify=True)
    merged: list[tuple[edit.Kind, edit.Named]] = [
        *(("group", g) for g in groups.values()),
        *(("level", lv) for lv in levels.values()),
        *(("descriptor", d) for d in descriptors.values()),
    ]
    for kind, obj in merged:  # imported objects replace the store's of the same name
        new = edit.put(new, kind, obj, modify=edit.find(new, kind, obj.name) is not None)
    for base, rows in maps.items():
        rmap = RequirementMap(f"{base}Map"[:NAME_MAX], tuple(rows), f"imported from {path.name}")
        new = edit.put(new, "map", rmap, modify=edit.requirement_map(new, rmap.name) is not None)
    stack_rules = tuple(
        ConnectivityRule(base, f"{base}Map"[:NAME_MAX], local, remote)
        for base, (local, remote) in rules.items()
    )
    old_image = new.image(image_name)
    assert old_image is not None
    old_stack = old_image.stack(stack_name)
    if old_stack is None:
        new = edit.put_stack(new, image_name, Stack(stack_name))
        old_stack = Stack(stack_name)
    new = edit.replace_stack(new, image_name, replace(old_stack, rules=stack_rules))
    lost.extend(_verify(policy, new, image_name, stack_name))
    return Imported(new, tuple(imported), tuple(dict.fromkeys(lost)))


def _verify(original: Policy, store: Store, image_name: str, stack_name: str) -> list[str]:
    """What the store, installed again, would do differently from the original."""
    image, stack = edit.stack_of(store, image_name, stack_name)
    if not stack.rules:
        return ["no rule could be imported"]
    try:
        text = generate(store, image, stack, ("(import check)",))
    except NcaError as exc:
        return [f"the imported store cannot be installed yet: {exc}"]
    again = load_policy([SourceText("(imported)", text)])
    return [f"{d} (not represented)" for d in differences(original, again)]
