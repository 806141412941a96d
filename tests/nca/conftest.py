"""Stores the tests build: the workshop's choices, the Db2 lab's, and a richer one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pagent.nca import edit
from pagent.nca.model import (
    AddressGroup,
    ConnectivityRule,
    Image,
    MapRow,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
    TrafficType,
    parse_port,
)

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
# The embedded default policy is the seed's appendix (issue 12 §2): the bare clone's copy.
SEED = REPO / "etc" / "cfgasst" / "v2r3" / "WG31" / "TCPIP1" / "TTLS.policy"
SEED_HISTORY = (
    "2020-06-12 14:18:57",
    "2020-06-12 14:12:36",
    "2020-06-12 13:29:32",
    "2020-06-12 13:15:40",
)


def at(stamp: str) -> datetime:
    """A clock reading for install."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")


def workshop_store(*, rules: bool = True) -> Store:
    """The workshop's steps 4-25 (store USER1, image WG31, stack TCPIP1, one client rule)."""
    s = Store("USER1")
    s = edit.put_image(s, Image("WG31", keyring="Liberty.KeyRing", trace=(1, 2, 4)))
    s = edit.put_stack(s, "WG31", Stack("TCPIP1"))
    ttype = TrafficType(
        local_port=parse_port("ephemeral", "x"),
        remote_port=parse_port("9443", "x"),
        direction="Outbound",
        jobname="USER1GET",
        role="Client",
    )
    s = edit.put(s, "descriptor", TrafficDescriptor("zCEEClient", (ttype,)))
    s = edit.put(s, "level", SecurityLevel("zCEESecurity", ("TLSv1.2",)))
    rmap = RequirementMap("zCEERequirementMap", (MapRow("zCEEClient", "zCEESecurity"),))
    s = edit.put(s, "map", rmap)
    if rules:
        rule = ConnectivityRule("zCEEClientRule", "zCEERequirementMap")
        s = edit.put_rule(s, "WG31", "TCPIP1", rule)
    return s


def db2_store() -> Store:
    """The Db2 lab's choices: one inbound server rule, key ring on the traffic type."""
    s = workshop_store(rules=False)
    ttype = TrafficType(
        local_port=parse_port("2445", "x"),
        remote_port=parse_port("ephemeral", "x"),
        direction="Inbound",
        jobname="DSN2DIST",
        role="Server",
        keyring="Db2.KeyRing",
    )
    s = edit.put(s, "descriptor", TrafficDescriptor("Db2Server", (ttype,)))
    s = edit.put(s, "map", RequirementMap("Db2Map", (MapRow("Db2Server", "zCEESecurity"),)))
    return edit.put_rule(s, "WG31", "TCPIP1", ConnectivityRule("Db2ServerRule", "Db2Map"))


def sysa_store() -> Store:
    """Server with client authentication, TLS 1.3, ciphers, an address group, two types."""
    s = Store("USER1")
    s = edit.put_image(s, Image("SYSA", release="V2R5", keyring="SYSA.Ring", trace=(2, 4)))
    s = edit.put_stack(s, "SYSA", Stack("TCPIP"))
    server = TrafficType(
        local_port=parse_port("8443", "x"),
        direction="Inbound",
        jobname="API*",
        role="Server",
        keyring="Api.Ring",
    )
    client = TrafficType(
        local_port=parse_port("ephemeral", "x"),
        remote_port=parse_port("9000-9010", "x"),
        direction="Either",
        userid="APIUSER",
        role="Client",
    )
    s = edit.put(s, "descriptor", TrafficDescriptor("ApiServer", (server,)))
    s = edit.put(s, "descriptor", TrafficDescriptor("ApiClient", (client,)))
    level = SecurityLevel(
        "Strong",
        ("TLSv1.2", "TLSv1.3"),
        ("TLS_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        client_auth="Full",
    )
    s = edit.put(s, "level", level)
    group = AddressGroup("Partners", ("10.1.1.1", "10.2.0.0/16", "10.3.0.1-10.3.0.9"))
    s = edit.put(s, "group", group)
    rows = (MapRow("ApiServer", "Strong"), MapRow("ApiClient", "Strong"))
    s = edit.put(s, "map", RequirementMap("ApiMap", rows))
    return edit.put_rule(
        s, "SYSA", "TCPIP", ConnectivityRule("ApiRule", "ApiMap", remote="Partners")
    )
