"""The objects the NCA ships ("IBM supplied"), as far as the reference shows them.

nca.md §5.3-§5.6: the address groups the connectivity-rule wizard offers by default, the
security level whose generated name appears in F6, and some of the 21 supplied traffic
descriptors and the AT-TLS_Sample map. Their contents are mostly not documented; every
guessed value is listed in docs/fidelity.md (F-210, F-211). Supplied objects cannot be
changed or deleted, and user objects cannot take their names.
"""

from __future__ import annotations

from pagent.nca.model import (
    AddressGroup,
    MapRow,
    Port,
    RequirementMap,
    SecurityLevel,
    TrafficDescriptor,
    TrafficType,
)

ALL_IPV4 = "All_IPv4_Addresses"
ALL_IPV6 = "All_IPv6_Addresses"

GROUPS: tuple[AddressGroup, ...] = (
    AddressGroup(ALL_IPV4, ("0.0.0.0/0",), "IBM supplied: all IPv4 addresses", supplied=True),
    # ::/0 is the natural reading [UNV, F-210].
    AddressGroup(ALL_IPV6, ("::/0",), "IBM supplied: all IPv6 addresses", supplied=True),
)

# The only supplied level evidenced (F6): SSLv3 with two RSA suites; its name keeps the double
# underscore of the generated `cipher1~AT-TLS__Gold` [UNV, F-211].
LEVELS: tuple[SecurityLevel, ...] = (
    SecurityLevel(
        "AT-TLS__Gold",
        protocols=("SSLv3",),
        ciphers=("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA"),
        description="IBM supplied: AT-TLS Gold (as generated in a 2019 NCA file)",
        supplied=True,
    ),
)


def _server(port: int) -> TrafficType:
    return TrafficType(local_port=Port("single", port, port), direction="Inbound", role="Server")


def _client(port: int) -> TrafficType:
    return TrafficType(remote_port=Port("single", port, port), direction="Outbound", role="Client")


# Names from the V2R5 panel (nca.md §5.3); ports are the products' well-known ones [UNV, F-211].
DESCRIPTORS: tuple[TrafficDescriptor, ...] = (
    TrafficDescriptor("FTP-Server", (_server(21),), "(VERIFY) IBM supplied: FTP server", True),
    TrafficDescriptor("FTP-Client", (_client(21),), "(VERIFY) IBM supplied: FTP client", True),
    TrafficDescriptor("TN3270-Server", (_server(23),), "(VERIFY) IBM supplied: TN3270", True),
    TrafficDescriptor("CICS", (_server(3000),), "(VERIFY) IBM supplied: CICS sockets", True),
    TrafficDescriptor("LDAP-Server", (_server(636),), "(VERIFY) IBM supplied: LDAP", True),
)

MAPS: tuple[RequirementMap, ...] = (
    RequirementMap(
        "AT-TLS_Sample",
        (MapRow("CICS", "AT-TLS__Gold"), MapRow("TN3270-Server", "AT-TLS__Gold")),
        "IBM supplied: AT-TLS sample: CICS and TN3270",
        supplied=True,
    ),
)
