"""The policy file the NCA writes for one stack (reference/nca.md §3, §4).

Each row of each connectivity rule's requirement map, for each traffic type of its
descriptor, becomes one ``TTLSRule <rule>~<n>`` (n counted across the stack, Priority
256-n). The actions a rule needs are worked out as settings; rules that need identical
settings share one object (named without suffix), an object of one rule is suffixed with
its traffic descriptor. Names are numbered per statement type in order of first use.
Statements are written rules first, then group, environment and connection actions,
connection advanced parms, key rings, cipher parms, address objects and port ranges, with
the keyword padded to column 35. Every choice the reference does not confirm is marked with
its docs/fidelity.md id (F-200 ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pagent.nca import edit
from pagent.nca.model import (
    PROTOCOLS,
    AddressGroup,
    Image,
    NcaError,
    SecurityLevel,
    Stack,
    Store,
    TrafficType,
)

COLUMN = 34  # keyword padded to 34 characters, value in column 35 [EX, nca.md §3.3]
NAME_MAX = 32
# Types whose braces carry one trailing blank in the PDFs (nca.md §3.3 [UNV], F-203).
_BLANK_BRACES = frozenset(
    {
        "TTLSGroupAction",
        "TTLSEnvironmentAction",
        "TTLSConnectionAction",
        "TTLSKeyringParms",
        "IpAddrSet",
        "PortRange",
    }
)
METHOD = "Save To Disk"  # the "Save to disk" installation method [EX]


@dataclass(frozen=True, slots=True)
class Layout:
    """Choices of byte layout the reference leaves open."""

    # '{ ' / '} ' for the types above: default off, as the two byte targets have none (F-203).
    trailing_blanks: bool = False


DEFAULT_LAYOUT = Layout()


@dataclass(frozen=True, slots=True)
class _Row:
    """One TTLSRule to generate."""

    rule: str
    descriptor: str
    ttype: TrafficType
    level: SecurityLevel
    local: AddressGroup
    remote: AddressGroup


@dataclass(frozen=True, slots=True)
class _Group:
    trace: int


@dataclass(frozen=True, slots=True)
class _Env:
    role: str
    ring: str | None  # None: the image's default key ring
    auth: str | None  # a ClientAuthType other than the default Required


@dataclass(frozen=True, slots=True)
class _Conn:
    role: str
    cipher_level: str | None
    advanced: tuple[tuple[str, str], ...]
    trace: int


K = TypeVar("K", _Group, _Env, _Conn, str)


@dataclass(slots=True)
class _Namer(Generic[K]):
    """Numbers the objects of one statement type in order of first use."""

    prefix: str
    order: list[K] = field(default_factory=list)
    users: dict[K, list[str]] = field(default_factory=dict)  # key -> descriptors of users

    def use(self, key: K, descriptor: str) -> None:
        if key not in self.users:
            self.order.append(key)
            self.users[key] = []
        self.users[key].append(descriptor)

    def name(self, key: K) -> str:
        n = self.order.index(key) + 1
        who = self.users[key]
        return f"{self.prefix}{n}~{who[0]}" if len(who) == 1 else f"{self.prefix}{n}"

    def number(self, key: K) -> str:
        """``prefix<n>`` without a suffix (key rings are never suffixed [EX F2-F6])."""
        return f"{self.prefix}{self.order.index(key) + 1}"


def version_line(release: str) -> str:
    """``V2R3`` -> ``Version 2 Release 3`` (F-201: the image's release drives it)."""
    return f"Version {int(release[1])} Release {int(release[3])}"


def rows_of(store: Store, stack: Stack) -> list[_Row]:
    """The TTLSRules a stack's connectivity rules become, in order."""
    rows: list[_Row] = []
    for rule in stack.rules:
        rmap = edit.requirement_map(store, rule.map)
        local = edit.group(store, rule.local)
        remote = edit.group(store, rule.remote)
        if rmap is None or local is None or remote is None:
            missing = rule.map if rmap is None else rule.local if local is None else rule.remote
            raise NcaError(f"connectivity rule {rule.name} names '{missing}', which is missing")
        for mrow in rmap.rows:
            desc = edit.descriptor(store, mrow.descriptor)
            lvl = edit.level(store, mrow.level)
            if desc is None or lvl is None:
                missing = mrow.descriptor if desc is None else mrow.level
                raise NcaError(f"requirement map {rmap.name} names '{missing}', which is missing")
            rows.extend(_Row(rule.name, desc.name, t, lvl, local, remote) for t in desc.types)
    return rows


def _role(ttype: TrafficType, lvl: SecurityLevel) -> str:
    # Client authentication is set in the security level [DOC]; its spelling in the file is
    # the policy language's ServerWithClientAuth (F-205).
    if ttype.role == "Server" and lvl.client_auth is not None:
        return "ServerWithClientAuth"
    return ttype.role


def _cadv(image: Image, ttype: TrafficType, lvl: SecurityLevel) -> tuple[tuple[str, str], ...]:
    on = set(lvl.protocols)
    lines = [(p, "On" if p in on else "Off") for p in ("SSLv3", "TLSv1", "TLSv1.1")]
    lines.append(("SecondaryMap", "Off"))
    lines.append(("TLSv1.2", "On" if "TLSv1.2" in on else "Off"))
    if image.release >= "V2R4":  # TLS 1.3 is offered from V2R4 on (F-204)
        lines.append(("TLSv1.3", "On" if "TLSv1.3" in on else "Off"))
    if ttype.certificate_label:
        lines.append(("CertificateLabel", ttype.certificate_label))  # last [weak EX], F-207
    return tuple(lines)


def _param(keyword: str, value: object) -> str:
    pad = max(COLUMN - 2 - len(keyword), 1)
    return f"  {keyword}{' ' * pad}{value}"


def _block(out: list[str], keyword: str, name: str, body: Sequence[str], layout: Layout) -> None:
    blank = " " if layout.trailing_blanks and keyword in _BLANK_BRACES else ""
    out.append(f"{keyword.ljust(COLUMN)}{name}")
    out.append("{" + blank)
    out.extend(body)
    out.append("}" + blank)


def header(image: Image, stack: Stack, store_name: str, history: Sequence[str]) -> list[str]:
    """The NCA's comment header (nca.md §3.1)."""
    return [
        "##",
        "## AT-TLS Policy Agent Configuration file for:",
        f"##    Image: {image.name}",
        f"##    Stack: {stack.name}",
        "##",
        "## Created by the IBM Configuration Assistant for z/OS Communications Server",
        f"## {version_line(image.release)}",
        f"## Backing Store = {store_name}",
        "## Install History:",
        *(f"## {when} : {METHOD}" for when in history),
        "##",
        "## End of Network Configuration Assistant information",
    ]


def _addr_object(grp: AddressGroup) -> tuple[str, str, list[str]]:
    """The statement for an address group: (keyword, name or '' for addrN, body)."""
    if grp.supplied:
        # All_IPv4_Addresses -> IpAddrSet addrN { Prefix 0.0.0.0/0 } [EX]; All_IPv6 [UNV F-210]
        return "IpAddrSet", "", [_param("Prefix", a) for a in grp.addresses]
    body: list[str] = []
    for a in grp.addresses:  # IpAddrGroup with inline members [EX F6]; subnets/ranges F-209
        if "/" in a:
            body += ["  IpAddrSet", "  {", f"    Prefix {a}", "  }"]
        elif "-" in a:
            body += ["  IpAddrSet", "  {", f"    Range {a}", "  }"]
        else:
            body += ["  IpAddr", "  {", f"    Addr {a}", "  }"]
    return "IpAddrGroup", grp.name, body


def _check_length(kind: str, name: str, owner: str) -> None:
    if len(name) > NAME_MAX:
        raise NcaError(
            f"the generated {kind} name '{name}' is {len(name)} characters, Policy Agent "
            f"allows {NAME_MAX}: give {owner} a shorter name"
        )  # how the NCA itself shortens names is not known (F-208)


def generate(
    store: Store,
    image: Image,
    stack: Stack,
    history: Sequence[str],
    layout: Layout = DEFAULT_LAYOUT,
) -> str:
    """The policy file text for a stack, with this install history (newest first)."""
    rows = rows_of(store, stack)
    if not rows:
        raise NcaError(f"{image.name}/{stack.name} has no connectivity rules: nothing to install")
    if len(rows) > 255:
        raise NcaError(f"{len(rows)} rules need priorities below 1 (at most 255 per stack)")
    gact: _Namer[_Group] = _Namer("gAct")
    eact: _Namer[_Env] = _Namer("eAct")
    cact: _Namer[_Conn] = _Namer("cAct")
    keyr: _Namer[str] = _Namer("keyR")
    ciphers: list[str] = []  # level names, in order of first use
    addrs: dict[str, str] = {}  # IpAddrSet body -> addrN
    addr_bodies: dict[str, list[str]] = {}
    groups: dict[str, list[str]] = {}
    ports: dict[str, str] = {}  # Port value -> portRN
    trace = image.trace_sum
    keys: list[tuple[_Group, _Env, _Conn]] = []
    for row in rows:
        t, lvl = row.ttype, row.level
        if t.keyring:
            keyr.use(t.keyring, row.descriptor)
        elif not image.keyring:
            raise NcaError(
                f"traffic descriptor {row.descriptor} uses the image's default key ring, "
                f"but image {image.name} has none (image add/modify --keyring)"
            )
        if lvl.ciphers and lvl.name not in ciphers:
            ciphers.append(lvl.name)
        role = _role(t, lvl)
        # ClientAuthType other than the default Required needs environment advanced parms
        # named after their environment action, as cAdv follows cAct (F-205).
        auth = lvl.client_auth if role == "ServerWithClientAuth" else None
        g = _Group(trace)
        e = _Env(role, t.keyring, None if auth == "Required" else auth)
        c = _Conn(role, lvl.name if lvl.ciphers else None, _cadv(image, t, lvl), trace)
        gact.use(g, row.descriptor)
        eact.use(e, row.descriptor)
        cact.use(c, row.descriptor)
        keys.append((g, e, c))
        for grp in (row.local, row.remote):
            kw, gname, body = _addr_object(grp)
            if kw == "IpAddrSet":
                value = "\n".join(body)
                if value not in addrs:
                    addrs[value] = f"addr{len(addrs) + 1}"
                    addr_bodies[addrs[value]] = body
            else:
                groups.setdefault(gname, body)
        for port in (t.local_port, t.remote_port):
            v = port.policy_value
            if v is not None and v not in ports:
                ports[v] = f"portR{len(ports) + 1}"

    def addr_ref(side: str, grp: AddressGroup) -> str:
        kw, gname, body = _addr_object(grp)
        if kw == "IpAddrSet":
            return _param(f"{side}AddrSetRef", addrs["\n".join(body)])
        return _param(f"{side}AddrGroupRef", gname)

    def ring_name(ring: str | None) -> str:
        return f"keyR~{image.name}" if ring is None else keyr.number(ring)

    out = header(image, stack, store.name, history)

    def block(keyword: str, name: str, body: Sequence[str]) -> None:
        _block(out, keyword, name, body, layout)

    for n, (row, (g, e, c)) in enumerate(zip(rows, keys, strict=True), start=1):
        t = row.ttype
        name = f"{row.rule}~{n}"
        _check_length("TTLSRule", name, f"connectivity rule {row.rule}")
        body = [addr_ref("Local", row.local), addr_ref("Remote", row.remote)]
        if t.local_port.policy_value is not None:
            body.append(_param("LocalPortRangeRef", ports[t.local_port.policy_value]))
        if t.remote_port.policy_value is not None:
            body.append(_param("RemotePortRangeRef", ports[t.remote_port.policy_value]))
        if t.jobname:
            body.append(_param("Jobname", t.jobname))
        if t.userid:
            body.append(_param("Userid", t.userid))  # after Jobname, as on the panel (F-206)
        direction = "Both" if t.direction == "Either" else t.direction  # F-202
        body.append(_param("Direction", direction))
        body.append(_param("Priority", 256 - n))
        body.append(_param("TTLSGroupActionRef", gact.name(g)))
        body.append(_param("TTLSEnvironmentActionRef", eact.name(e)))
        body.append(_param("TTLSConnectionActionRef", cact.name(c)))
        block("TTLSRule", name, body)
    for g in gact.order:
        _check_length("TTLSGroupAction", gact.name(g), "the traffic descriptor")
        block(
            "TTLSGroupAction", gact.name(g), [_param("TTLSEnabled", "On"), _param("Trace", g.trace)]
        )
    for e in eact.order:
        _check_length("TTLSEnvironmentAction", eact.name(e), "the traffic descriptor")
        body = [
            _param("HandshakeRole", e.role),
            _param("EnvironmentUserInstance", 0),
            _param("TTLSKeyringParmsRef", ring_name(e.ring)),
        ]
        if e.auth is not None:
            body.append(_param("TTLSEnvironmentAdvancedParmsRef", _eadv(eact.name(e))))
        block("TTLSEnvironmentAction", eact.name(e), body)
    for c in cact.order:
        body = [_param("HandshakeRole", c.role)]
        if c.cipher_level is not None:
            body.append(_param("TTLSCipherParmsRef", _cipher_name(ciphers, c.cipher_level)))
        body.append(_param("TTLSConnectionAdvancedParmsRef", _cadv_name(cact.name(c))))
        body.append(_param("CtraceClearText", "Off"))
        body.append(_param("Trace", c.trace))
        _check_length("TTLSConnectionAction", cact.name(c), "the traffic descriptor")
        block("TTLSConnectionAction", cact.name(c), body)
    for c in cact.order:
        block(
            "TTLSConnectionAdvancedParms",
            _cadv_name(cact.name(c)),
            [_param(k, v) for k, v in c.advanced],
        )
    for e in eact.order:  # after the connection advanced parms: no sample (F-205)
        if e.auth is not None:
            block(
                "TTLSEnvironmentAdvancedParms",
                _eadv(eact.name(e)),
                [_param("ClientAuthType", e.auth)],
            )
    # keyR~IMAGE before keyRn: no sample has both (F-207).
    if any(e.ring is None for e in eact.order):
        block("TTLSKeyringParms", f"keyR~{image.name}", [_param("Keyring", image.keyring)])
    for ring in keyr.order:
        block("TTLSKeyringParms", ring_name(ring), [_param("Keyring", ring)])
    for level_name in ciphers:
        found = edit.level(store, level_name)
        assert found is not None
        _check_length("TTLSCipherParms", _cipher_name(ciphers, level_name), f"level {level_name}")
        block(
            "TTLSCipherParms",
            _cipher_name(ciphers, level_name),
            [_param("V3CipherSuites", suite) for suite in found.ciphers],
        )
    for name, body in sorted(addr_bodies.items(), key=lambda kv: int(kv[0][4:])):
        block("IpAddrSet", name, body)
    for gname, body in groups.items():  # IpAddrSet before IpAddrGroup: no sample has both
        block("IpAddrGroup", gname, body)
    for value, name in ports.items():
        block("PortRange", name, [_param("Port", value)])
    return "\n".join(out) + "\n"


def _cadv_name(cact_name: str) -> str:
    return cact_name.replace("cAct", "cAdv", 1)


def _eadv(eact_name: str) -> str:
    return eact_name.replace("eAct", "eAdv", 1)


def _cipher_name(ciphers: list[str], level_name: str) -> str:
    return f"cipher{ciphers.index(level_name) + 1}~{level_name}"


def protocols_known(names: Sequence[str]) -> None:
    """Raise unless every protocol is one the security level panel offers."""
    for p in names:
        if p not in PROTOCOLS:
            raise NcaError(f"'{p}' is not a protocol: {', '.join(PROTOCOLS)}", "--protocols")
