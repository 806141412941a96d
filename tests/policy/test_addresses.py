"""Address and port value forms."""

from __future__ import annotations

import pytest

from pagent.policy.addresses import (
    FormError,
    parse_address,
    parse_ip_spec,
    parse_port_spec,
    parse_prefix,
    parse_range,
)


def test_all_matches_both_families():
    """'All' (any case) contains IPv4 and IPv6 addresses."""
    spec = parse_ip_spec("ALL")
    assert spec.all
    assert spec.contains(4, 1)
    assert spec.contains(6, 1 << 100)


def test_bare_integer_is_a_32_bit_ipv4_address():
    """RemoteAddr 6793 is 0.0.26.137, as pasearch shows it."""
    assert parse_address("6793").from_text() == "0.0.26.137"


def test_prefix_covers_its_network():
    """10.1.0.0/16 runs from 10.1.0.0 to 10.1.255.255."""
    spec = parse_prefix("10.1.2.3/16")
    assert (spec.from_text(), spec.to_text()) == ("10.1.0.0", "10.1.255.255")


def test_range_must_not_run_backwards():
    """A range whose low end is above its high end is refused."""
    with pytest.raises(FormError, match="backwards"):
        parse_range("10.0.0.9-10.0.0.1")


def test_range_must_stay_in_one_family():
    """IPv4 to IPv6 is no range."""
    with pytest.raises(FormError, match="mixes"):
        parse_range("10.0.0.1-2001:db8::1")


@pytest.mark.parametrize("text", ["::ffff:10.0.0.1", "::10.0.0.1"], ids=["mapped", "compat-96"])
def test_forbidden_ipv6_forms(text):
    """AT-TLS forbids IPv4-mapped addresses and ::/96."""
    with pytest.raises(FormError, match="forbids"):
        parse_address(text)


def test_prefix_length_over_family_width():
    """/33 is no IPv4 prefix."""
    with pytest.raises(FormError, match="over 32"):
        parse_prefix("10.0.0.0/33")


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("443", 443, 443), ("1024-65535", 1024, 65535), ("7552 7558", 7552, 7558), ("21:22", 21, 22)],
    ids=["single", "dash", "blank", "colon"],
)
def test_port_forms(text, low, high):
    """n, n-m, n m and n:m are accepted."""
    spec = parse_port_spec(text)
    assert (spec.low, spec.high) == (low, high)


@pytest.mark.parametrize(
    "text",
    ["1-2 3", "1:2-3", "70000", "9-1", "?port?"],
    ids=["mixed", "mixed2", "big", "back", "placeholder"],
)
def test_bad_port_forms(text):
    """Mixed delimiters, big ports, backwards ranges and words are refused."""
    with pytest.raises(FormError):
        parse_port_spec(text)


def test_port_zero_is_every_port():
    """0 means all ports."""
    spec = parse_port_spec("0")
    assert spec.any
    assert spec.contains(9443)
