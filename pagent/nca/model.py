"""The NCA's objects as frozen dataclasses (reference/nca.md §5).

A backing store holds system images (each with its stacks and their connectivity rules),
traffic descriptors, security levels, requirement maps and address groups. The objects
the NCA ships ("IBM supplied") live in :mod:`pagent.nca.predefined`, not in the store.
Every value is validated when the object is made from user input (:func:`parse_port`,
:func:`check_name` ...), so that a store on disk and a store in memory hold the same forms.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal

PortKind = Literal["all", "single", "range", "ephemeral"]
Direction = Literal["Either", "Inbound", "Outbound"]
Role = Literal["Server", "Client"]

NAME_MAX = 32  # Policy Agent's limit on statement names (ttls-language.md; NCA panel: 1-32)
_NAME_RE = re.compile(r"^[A-Za-z0-9_.@$#-]+$")
_JOB_RE = re.compile(r"^[A-Za-z0-9@$#*?]{1,8}$")  # MVS job and user names, with wildcards
EPHEMERAL = (1024, 65535)  # "Ephemeral ports" -> Port 1024-65535 [EX F1]

# Protocol checkboxes of the security level panel, in the order the file writes them
# (nca.md §3.4: TLSv1.2 after SecondaryMap, TLSv1.3 appended [UNV, F-204]).
PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
TRACE_LEVELS = (1, 2, 4)  # the image panel's three boxes (nca.md §5.2)
CLIENT_AUTH = ("Required", "PassThru", "Full", "SAFCheck")  # ClientAuthType values [UNV F-206]
RELEASES = ("V2R2", "V2R3", "V2R4", "V2R5", "V3R1")


class NcaError(ValueError):
    """A bad value or a missing reference; ``argument`` names what the user gave wrongly."""

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument

    def __str__(self) -> str:
        text = self.args[0]
        return f"{self.argument}: {text}" if self.argument else str(text)


def check_name(name: str, what: str, argument: str = "NAME") -> str:
    """A name of an NCA object: 1-32 characters, no blanks, braces, quotes or '~'."""
    if not name or len(name) > NAME_MAX:
        raise NcaError(f"{what} name '{name}' must be 1 to {NAME_MAX} characters", argument)
    if not _NAME_RE.match(name) or name.startswith("#"):
        raise NcaError(
            f"{what} name '{name}' may hold only letters, digits and _ . @ $ # -", argument
        )
    return name


def check_job(value: str | None, what: str, argument: str) -> str | None:
    """A job name or user id (1-8 characters, * and ? as wildcards), upper-cased."""
    if value is None or value == "":
        return None
    if not _JOB_RE.match(value):
        raise NcaError(f"'{value}' is not a {what} (1-8 characters A-Z 0-9 @ $ # * ?)", argument)
    return value.upper()


@dataclass(frozen=True, slots=True)
class Port:
    """A local or remote port choice: All ports, Single port, Port range or Ephemeral ports."""

    kind: PortKind
    low: int = 0
    high: int = 0

    @property
    def text(self) -> str:
        """The command-line form: ``all``, ``ephemeral``, ``N`` or ``L-U``."""
        if self.kind in ("all", "ephemeral"):
            return self.kind
        if self.kind == "single":
            return str(self.low)
        return f"{self.low}-{self.high}"

    @property
    def policy_value(self) -> str | None:
        """The PortRange's ``Port`` value; None for All ports (no reference is written)."""
        if self.kind == "all":
            return None
        if self.kind == "ephemeral":
            return f"{EPHEMERAL[0]}-{EPHEMERAL[1]}"
        return self.text


def parse_port(text: str, argument: str) -> Port:
    """``N``, ``L-U``, ``ephemeral`` or ``all`` (1-65535)."""
    word = text.strip().lower()
    if word in ("all", "ephemeral"):
        return Port(word)  # type: ignore[arg-type]
    low_text, sep, high_text = word.partition("-")
    if not low_text.isdigit() or (sep and not high_text.isdigit()):
        raise NcaError(f"'{text}' is not a port: N, L-U, ephemeral or all", argument)
    low = int(low_text)
    high = int(high_text) if sep else low
    if not 1 <= low <= 65535 or not 1 <= high <= 65535:
        raise NcaError(f"'{text}': ports run from 1 to 65535", argument)
    if sep:
        if low >= high:
            raise NcaError(f"'{text}': the lower port must be below the upper one", argument)
        return Port("range", low, high)
    return Port("single", low, low)


@dataclass(frozen=True, slots=True)
class TrafficType:
    """One TCP traffic type of a descriptor (New Traffic Type - TCP, nca.md §5.3)."""

    local_port: Port = Port("all")
    remote_port: Port = Port("all")
    direction: Direction = "Either"
    jobname: str | None = None
    userid: str | None = None
    role: Role = "Server"
    keyring: str | None = None  # None: the image's default key ring (KeyRing tab)
    certificate_label: str | None = None
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class TrafficDescriptor:
    """A named list of traffic types."""

    name: str
    types: tuple[TrafficType, ...]
    description: str = ""
    supplied: bool = False


@dataclass(frozen=True, slots=True)
class SecurityLevel:
    """Protocols, ciphers and the advanced settings of the security level wizard (§5.4)."""

    name: str
    protocols: tuple[str, ...] = ("TLSv1.2",)
    ciphers: tuple[str, ...] = ()  # () = "System SSL_V3 Defaults": no TTLSCipherParms
    client_auth: str | None = None  # a server role then asks for the client's certificate
    description: str = ""
    supplied: bool = False


@dataclass(frozen=True, slots=True)
class MapRow:
    """One row of a requirement map: this traffic gets this security."""

    descriptor: str
    level: str


@dataclass(frozen=True, slots=True)
class RequirementMap:
    """A requirement map (§5.6)."""

    name: str
    rows: tuple[MapRow, ...]
    description: str = ""
    supplied: bool = False


@dataclass(frozen=True, slots=True)
class AddressGroup:
    """An IP address group: addresses, subnets (a/n) or ranges (a-b) (§5.5)."""

    name: str
    addresses: tuple[str, ...]
    description: str = ""
    supplied: bool = False


def check_address(text: str, argument: str) -> str:
    """An address group entry: x.x.x.x, x.x.x.x/yy, x.x.x.x-y.y.y.y, or the IPv6 forms."""
    try:
        if "/" in text:
            ipaddress.ip_network(text, strict=False)
        elif "-" in text:
            low, high = (ipaddress.ip_address(p) for p in text.split("-", 1))
            if low.version != high.version or int(low) > int(high):
                raise ValueError(text)
        else:
            ipaddress.ip_address(text)
    except ValueError:
        raise NcaError(
            f"'{text}' is not an IP address, subnet (a/n) or range (a-b) of one family", argument
        ) from None
    return text


@dataclass(frozen=True, slots=True)
class ConnectivityRule:
    """A connectivity rule on a stack: data endpoints and a requirement map (§5.7)."""

    name: str
    map: str
    local: str = "All_IPv4_Addresses"
    remote: str = "All_IPv4_Addresses"


@dataclass(frozen=True, slots=True)
class Stack:
    """A TCP/IP stack of an image, its rules in order, and where Install writes its file."""

    name: str
    rules: tuple[ConnectivityRule, ...] = ()
    description: str = ""
    install_file: str | None = None  # z/OS path; None: the NCA's default (install.py)
    history: tuple[str, ...] = ()  # install timestamps, newest first


@dataclass(frozen=True, slots=True)
class Image:
    """A z/OS system image (§5.2)."""

    name: str
    release: str = "V2R3"
    keyring: str | None = None  # the default AT-TLS key ring (simple name)
    trace: tuple[int, ...] = ()  # checked trace boxes (1, 2, 4)
    stacks: tuple[Stack, ...] = ()
    description: str = ""

    @property
    def trace_sum(self) -> int:
        """The ``Trace`` value written in every group and connection action."""
        return sum(self.trace)

    def stack(self, name: str) -> Stack | None:
        """A stack of this image by name."""
        return next((s for s in self.stacks if s.name == name), None)


@dataclass(frozen=True, slots=True)
class Store:
    """A backing store: the user's objects (the supplied ones come from predefined.py)."""

    name: str
    images: tuple[Image, ...] = ()
    descriptors: tuple[TrafficDescriptor, ...] = ()
    levels: tuple[SecurityLevel, ...] = ()
    maps: tuple[RequirementMap, ...] = ()
    groups: tuple[AddressGroup, ...] = ()

    def image(self, name: str) -> Image | None:
        """An image by name."""
        return next((i for i in self.images if i.name == name), None)
