"""Address and port conditions: the value forms of LocalAddr, Addr, Prefix, Range and ports.

ttls-language.md §2.1, §3.1-3.4 and EZAPAGCO's general rules: an address condition is a
single address, ``addr/prefix``, ``addr-addr`` or ``All`` (IPv4 or IPv6; AT-TLS forbids
IPv4-mapped IPv6 addresses and ``::/96``); IP ranges take only ``-``. A port condition is
``n``, or a range ``n-m``, ``n m`` or ``n:m`` with one kind of delimiter; ``0`` means all.

A bare integer address (``RemoteAddr 6793``) is read as a 32-bit IPv4 address: that is
what PAGENT stored for it (pasearch shows ``0.0.26.137``, corpus extras and peers.md §5.7).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_decimal(text: str) -> bool:
    """True for ASCII digits only: str.isdigit() also accepts '²', which int() refuses."""
    return text.isascii() and text.isdigit()


def bounded_int(text: str, limit: int) -> int | None:
    """The value of a decimal string when it is at most ``limit``, else None.

    Converting a long digit string costs time quadratic in its length, and Python refuses
    more than 4,300 digits with a ValueError (issue 13 §3): a string with more digits than
    ``limit`` (leading zeros aside) is too large without converting it.
    """
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(limit)):
        return None
    value = int(digits)
    return value if value <= limit else None


class FormError(ValueError):
    """A value that does not have the parameter's form; the message says why.

    ``unconfirmed`` marks a rule the reference gives as [UNV] (a range's family and order,
    the port space): the diagnostic's evidence is then an estimate (issue 10 §2).
    """

    def __init__(self, message: str, *, unconfirmed: bool = False) -> None:
        super().__init__(message)
        self.unconfirmed = unconfirmed


@dataclass(frozen=True, slots=True)
class AddrSpec:
    """An address condition as an inclusive numeric range within one family.

    ``all`` is True for ``All`` (any address of either family); then the other fields
    are unused. ``text`` is the value as coded, for display.
    """

    text: str
    all: bool = False
    version: int = 4
    low: int = 0
    high: int = 0

    def contains(self, version: int, value: int) -> bool:
        """True when the address (family, integer value) is inside the condition."""
        return self.all or (version == self.version and self.low <= value <= self.high)

    def covers(self, other: AddrSpec) -> bool:
        """True when every address of ``other`` is inside this one."""
        if self.all:
            return True
        if other.all:
            return False
        return other.version == self.version and self.low <= other.low and other.high <= self.high

    def from_text(self) -> str:
        """First address of the range, as pasearch prints ``FromAddr``."""
        return "All" if self.all else str(_addr(self.version, self.low))

    def to_text(self) -> str:
        """Last address of the range, as pasearch prints ``ToAddr``."""
        return "All" if self.all else str(_addr(self.version, self.high))


ALL_ADDRESSES = AddrSpec(text="All", all=True)


def _addr(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def _parse_one(text: str) -> IPAddress:
    """One address; a bare decimal integer is a 32-bit IPv4 address (see module doc)."""
    if is_decimal(text):
        value = bounded_int(text, 0xFFFFFFFF)
        if value is None:
            raise FormError(f"'{text}' is not an IP address")
        return ipaddress.IPv4Address(value)
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise FormError(f"'{text}' is not an IP address") from None
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            raise FormError(f"'{text}' is an IPv4-mapped IPv6 address, which AT-TLS forbids")
        if int(addr) >> 32 == 0 and int(addr) > 1:
            raise FormError(f"'{text}' is inside ::/96, which AT-TLS forbids")
    return addr


def parse_address(text: str) -> AddrSpec:
    """A single address (IpAddr ``Addr``)."""
    a = _parse_one(text)
    return AddrSpec(text=text, version=a.version, low=int(a), high=int(a))


def parse_prefix(text: str) -> AddrSpec:
    """``addr/len`` (IpAddrSet ``Prefix``); host bits are ignored, as a mask would."""
    base, sep, length = text.partition("/")
    if not sep or not is_decimal(length):
        raise FormError(f"'{text}' is not an address/prefix-length")
    a = _parse_one(base)
    bits = 32 if a.version == 4 else 128
    n = bounded_int(length, bits)
    if n is None:
        raise FormError(f"prefix length {length} is over {bits} for IPv{a.version}")
    host = bits - n
    low = (int(a) >> host) << host
    return AddrSpec(text=text, version=a.version, low=low, high=low + (1 << host) - 1)


def parse_range(text: str) -> AddrSpec:
    """``addr-addr`` (IpAddrSet ``Range``): same family, low <= high."""
    first, sep, last = text.partition("-")
    if not sep:
        raise FormError(f"'{text}' is not an address range addr-addr")
    a, b = _parse_one(first.strip()), _parse_one(last.strip())
    if a.version != b.version:
        raise FormError(f"range '{text}' mixes IPv4 and IPv6", unconfirmed=True)
    if int(a) > int(b):
        raise FormError(f"range '{text}' runs backwards", unconfirmed=True)
    return AddrSpec(text=text, version=a.version, low=int(a), high=int(b))


def parse_ip_spec(text: str) -> AddrSpec:
    """An address condition of a rule: ``All``, address, prefix or range."""
    if text.lower() == "all":
        return ALL_ADDRESSES
    if "/" in text:
        return parse_prefix(text)
    if "-" in text:
        return parse_range(text)
    return parse_address(text)


@dataclass(frozen=True, slots=True)
class PortSpec:
    """An inclusive port range; ``0-0`` (coded ``0``) means every port."""

    text: str
    low: int = 0
    high: int = 0

    @property
    def any(self) -> bool:
        """True when the condition is every port."""
        return self.low == 0 and self.high in (0, 65535)

    def contains(self, port: int) -> bool:
        """True when the port is inside the condition."""
        return self.any or self.low <= port <= self.high

    def covers(self, other: PortSpec) -> bool:
        """True when every port of ``other`` is inside this one."""
        if self.any:
            return True
        if other.any:
            return False
        return self.low <= other.low and other.high <= self.high


ANY_PORT = PortSpec(text="0")
_PORT_RANGE = re.compile(r"^(\d+)(?:\s*([-:])\s*|\s+)(\d+)$")


def parse_port_spec(text: str) -> PortSpec:
    """``n``, ``n-m``, ``n m`` or ``n:m`` (0..65535, low <= high, one delimiter kind)."""
    t = text.strip()
    if is_decimal(t):
        n = bounded_int(t, 65535)
        if n is None:
            raise FormError(f"port {t} is over 65535", unconfirmed=True)
        return PortSpec(text=t, low=n, high=n)
    m = _PORT_RANGE.match(t)
    if m is None:
        raise FormError(
            f"'{text}' is not a port or a port range (n, n-m, n m or n:m, one delimiter kind)"
        )
    low, high = bounded_int(m.group(1), 65535), bounded_int(m.group(3), 65535)
    if high is None or low is None:
        raise FormError(
            f"port {m.group(3) if high is None else m.group(1)} is over 65535", unconfirmed=True
        )
    if low > high:
        raise FormError(f"port range '{text}' runs backwards", unconfirmed=True)
    if low == 0 and high == 0:
        return ANY_PORT
    return PortSpec(text=t, low=low, high=high)
