"""Rule-to-connection mapping (ttls-language.md §4): one behaviour per test."""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy.matching import (
    CompiledRule,
    Connection,
    Matcher,
    NamePattern,
    compile_rule,
    in_period,
)
from pagent.policy.policy import Policy
from pagent.policy.source import read_source
from pagent.policy.statements import IpTimeCondition, TTLSRule
from tests.conftest import DEFAULT_POLICY
from tests.policy.helpers import codes, policy_of

SEED = DEFAULT_POLICY  # the seed's appendix, the product's default policy

# Actions every test policy can use: group G (AT-TLS on), group OFF (AT-TLS off), and an
# environment E.
ACTIONS = """\
TTLSGroupAction G
{
  TTLSEnabled On
}
TTLSGroupAction OFF
{
  TTLSEnabled Off
}
TTLSEnvironmentAction E
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring SRV/RING
  }
}
"""


def rule(
    name: str,
    *conditions: str,
    direction: str = "Both",
    priority: int | None = None,
    group: str = "G",
) -> str:
    """The text of one TTLSRule with the given condition lines."""
    lines = [*conditions, f"Direction {direction}", f"TTLSGroupActionRef {group}"]
    lines.append("TTLSEnvironmentActionRef E")
    if priority is not None:
        lines.append(f"Priority {priority}")
    body = "".join(f"  {line}\n" for line in lines)
    return f"TTLSRule {name}\n{{\n{body}}}\n"


def policy(*statements: str) -> Policy:
    """A policy of the statements plus ACTIONS; PAGENT must install all of it."""
    p = policy_of(ACTIONS + "".join(statements))
    assert p.complete, codes(p)
    return p


def matcher(*statements: str) -> Matcher:
    return Matcher(policy(*statements))


def conn(
    direction: str = "inbound",
    local: str = "10.0.0.1:8443",
    remote: str = "10.0.0.2:50000",
    jobname: str = "",
    userid: str = "",
) -> Connection:
    """A connection from ``IP:PORT`` strings (IPv6 as ``[addr]:port``)."""

    def split(text: str) -> tuple[str, int]:
        if text.startswith("["):
            host, _, port = text[1:].partition("]:")
        else:
            host, _, port = text.rpartition(":")
        return host, int(port)

    lip, lport = split(local)
    rip, rport = split(remote)
    assert direction in ("inbound", "outbound")
    return Connection(
        direction="inbound" if direction == "inbound" else "outbound",
        local_ip=lip,
        local_port=lport,
        remote_ip=rip,
        remote_port=rport,
        jobname=jobname,
        userid=userid,
    )


def name_of(m: Matcher, c: Connection, now: datetime | None = None) -> str | None:
    found = m.match(c, now)
    return found.name if found is not None else None


# --- Brute-force reference --------------------------------------------------------------
def brute_force(policy: Policy, c: Connection, now: datetime | None = None) -> TTLSRule | None:
    """Try every installed rule in order; the first whose conditions all hold wins."""
    return brute_force_compiled(compiled_rules(policy), c, now)


def compiled_rules(policy: Policy) -> list[CompiledRule]:
    return [compile_rule(policy, i, r) for i, r in enumerate(policy.rules)]


def brute_force_compiled(
    rules: list[CompiledRule], c: Connection, now: datetime | None = None
) -> TTLSRule | None:
    local = ipaddress.ip_address(c.local_ip)
    remote = ipaddress.ip_address(c.remote_ip)
    for cr in rules:
        direction_ok = cr.inbound if c.direction == "inbound" else cr.outbound
        if direction_ok and cr.matches(local.version, int(local), int(remote), c, now):
            return cr.rule
    return None


# --- Order ------------------------------------------------------------------------------
def test_higher_priority_rule_is_tried_first():
    m = matcher(
        rule("Low", "LocalPortRange 8443", priority=10),
        rule("High", "LocalPortRange 8443", priority=20),
    )
    assert name_of(m, conn()) == "High"


def test_higher_priority_wins_even_when_its_name_sorts_later():
    m = matcher(
        rule("AAA", "LocalPortRange 8443", priority=5),
        rule("ZZZ", "LocalPortRange 8443", priority=6),
    )
    assert name_of(m, conn()) == "ZZZ"


def test_same_priority_is_ordered_by_name():
    m = matcher(
        rule("RuleB", "LocalPortRange 8443", priority=7),
        rule("RuleA", "LocalPortRange 8443", priority=7),
    )
    assert name_of(m, conn()) == "RuleA"


def test_same_priority_name_order_is_ebcdic_lower_before_upper_before_digits():
    p = policy(
        rule("1a", "LocalPortRange 8443"),
        rule("A1", "LocalPortRange 8443"),
        rule("a1", "LocalPortRange 8443"),
    )
    assert [r.name for r in p.rules] == ["a1", "A1", "1a"]
    assert name_of(Matcher(p), conn()) == "a1"


def test_ebcdic_order_puts_upper_case_before_digits():
    m = matcher(rule("9Z", "LocalPortRange 8443"), rule("Z9", "LocalPortRange 8443"))
    assert name_of(m, conn()) == "Z9"


def test_default_priority_is_one():
    # "B" coded Priority 1 and "A" coded none: same priority, so name order decides.
    m = matcher(rule("B", "LocalPortRange 8443", priority=1), rule("A", "LocalPortRange 8443"))
    assert name_of(m, conn()) == "A"


def test_default_priority_loses_to_priority_two():
    m = matcher(rule("A", "LocalPortRange 8443"), rule("B", "LocalPortRange 8443", priority=2))
    assert name_of(m, conn()) == "B"


def test_first_match_wins_even_when_a_later_rule_is_more_specific():
    m = matcher(
        rule("Broad", "LocalPortRange 1-65535", priority=100),
        rule(
            "Specific",
            "LocalAddr 10.0.0.1",
            "RemoteAddr 10.0.0.2",
            "LocalPortRange 8443",
            "RemotePortRange 50000",
            "Jobname SRV1",
            priority=50,
        ),
    )
    assert name_of(m, conn(jobname="SRV1")) == "Broad"


def test_ttlsenabled_off_rule_still_matches_and_stops_the_lookup():
    m = matcher(
        rule("Clear", "LocalPortRange 8443", priority=10, group="OFF"),
        rule("Tls", "LocalPortRange 8443", priority=5),
    )
    assert name_of(m, conn()) == "Clear"


def test_no_matching_rule_gives_none():
    m = matcher(rule("R", "LocalPortRange 8443"))
    assert m.match(conn(local="10.0.0.1:8444")) is None


# --- Direction --------------------------------------------------------------------------
def test_inbound_rule_matches_inbound_connection():
    m = matcher(rule("R", "LocalPortRange 8443", direction="Inbound"))
    assert name_of(m, conn("inbound")) == "R"


def test_inbound_rule_does_not_match_outbound_connection():
    m = matcher(rule("R", "LocalPortRange 8443", direction="Inbound"))
    assert m.match(conn("outbound")) is None


def test_outbound_rule_matches_outbound_connection():
    m = matcher(rule("R", "RemotePortRange 50000", direction="Outbound"))
    assert name_of(m, conn("outbound")) == "R"


def test_outbound_rule_does_not_match_inbound_connection():
    m = matcher(rule("R", "RemotePortRange 50000", direction="Outbound"))
    assert m.match(conn("inbound")) is None


def test_both_rule_matches_either_direction():
    m = matcher(rule("R", "LocalPortRange 8443", direction="Both"))
    assert name_of(m, conn("inbound")) == "R"
    assert name_of(m, conn("outbound")) == "R"


def test_direction_skips_a_higher_priority_rule_of_the_other_direction():
    m = matcher(
        rule("Out", "LocalPortRange 8443", direction="Outbound", priority=9),
        rule("In", "LocalPortRange 8443", direction="Inbound", priority=1),
    )
    assert name_of(m, conn("inbound")) == "In"


# --- Ports ------------------------------------------------------------------------------
def test_local_port_condition_checks_the_local_port():
    m = matcher(rule("R", "LocalPortRange 8443"))
    assert name_of(m, conn(local="10.0.0.1:8443", remote="10.0.0.2:1")) == "R"


def test_local_port_condition_ignores_the_remote_port():
    m = matcher(rule("R", "LocalPortRange 8443"))
    assert m.match(conn(local="10.0.0.1:1", remote="10.0.0.2:8443")) is None


def test_remote_port_condition_checks_the_remote_port():
    m = matcher(rule("R", "RemotePortRange 9443"))
    assert name_of(m, conn("outbound", local="10.0.0.1:7419", remote="10.0.0.2:9443")) == "R"


def test_remote_port_condition_ignores_the_local_port():
    m = matcher(rule("R", "RemotePortRange 9443"))
    assert m.match(conn("outbound", local="10.0.0.1:9443", remote="10.0.0.2:7419")) is None


@pytest.mark.parametrize(("port", "hit"), [(999, False), (1000, True), (1500, True), (2000, True),
                                           (2001, False)])  # fmt: skip
def test_port_range_is_inclusive_at_both_ends(port, hit):
    m = matcher(rule("R", "LocalPortRange 1000-2000"))
    assert (name_of(m, conn(local=f"10.0.0.1:{port}")) == "R") is hit


@pytest.mark.parametrize("form", ["1000-2000", "1000 2000", "1000:2000"])
def test_port_range_delimiters_all_match_the_same_ports(form):
    m = matcher(rule("R", f"LocalPortRange {form}"))
    assert name_of(m, conn(local="10.0.0.1:2000")) == "R"
    assert m.match(conn(local="10.0.0.1:2001")) is None


def test_wide_port_range_matches_inside_it():
    # Over the indexing threshold: the rule sits in the general list.
    m = matcher(rule("R", "LocalPortRange 1024-65535"))
    assert name_of(m, conn(local="10.0.0.1:65535")) == "R"
    assert m.match(conn(local="10.0.0.1:1023")) is None


@pytest.mark.parametrize("port", [1, 443, 65535])
def test_port_zero_matches_any_port(port):
    m = matcher(rule("R", "LocalPortRange 0", "Jobname SRV"))
    assert name_of(m, conn(local=f"10.0.0.1:{port}", jobname="SRV")) == "R"


def test_port_range_ref_is_used():
    m = matcher(
        rule("R", "LocalPortRangeRef P"),
        "PortRange P\n{\n  Port 8000-8010\n}\n",
    )
    assert name_of(m, conn(local="10.0.0.1:8010")) == "R"
    assert m.match(conn(local="10.0.0.1:8011")) is None


def test_port_group_members_are_ored_inline_and_by_ref():
    m = matcher(
        rule("R", "LocalPortGroupRef PG"),
        "PortGroup PG\n{\n  PortRange\n  {\n    Port 21\n  }\n  PortRangeRef P990\n}\n",
        "PortRange P990\n{\n  Port 990-992\n}\n",
    )
    assert name_of(m, conn(local="10.0.0.1:21")) == "R"
    assert name_of(m, conn(local="10.0.0.1:991")) == "R"
    assert m.match(conn(local="10.0.0.1:22")) is None
    assert m.match(conn(local="10.0.0.1:993")) is None


def test_remote_port_group_checks_the_remote_port():
    m = matcher(
        rule("R", "RemotePortGroupRef PG"),
        "PortGroup PG\n{\n  PortRange\n  {\n    Port 21\n  }\n  PortRangeRef P990\n}\n",
        "PortRange P990\n{\n  Port 990\n}\n",
    )
    assert name_of(m, conn("outbound", remote="10.0.0.2:990")) == "R"
    assert m.match(conn("outbound", local="10.0.0.1:990", remote="10.0.0.2:1")) is None


# --- Addresses --------------------------------------------------------------------------
def test_local_address_condition_checks_the_local_address():
    m = matcher(rule("R", "LocalAddr 10.0.0.1"))
    assert name_of(m, conn(local="10.0.0.1:1", remote="10.0.0.2:2")) == "R"
    assert m.match(conn(local="10.0.0.2:1", remote="10.0.0.1:2")) is None


def test_remote_address_condition_checks_the_remote_address():
    m = matcher(rule("R", "RemoteAddr 10.0.0.2"))
    assert name_of(m, conn(local="10.0.0.1:1", remote="10.0.0.2:2")) == "R"
    assert m.match(conn(local="10.0.0.2:1", remote="10.0.0.1:2")) is None


def test_address_prefix_contains_its_network():
    m = matcher(rule("R", "RemoteAddr 192.168.16.0/23"))
    assert name_of(m, conn(remote="192.168.17.255:1")) == "R"
    assert m.match(conn(remote="192.168.18.0:1")) is None


def test_address_range_is_inclusive():
    m = matcher(rule("R", "RemoteAddr 10.1.1.10-10.1.1.20"))
    assert name_of(m, conn(remote="10.1.1.10:1")) == "R"
    assert name_of(m, conn(remote="10.1.1.20:1")) == "R"
    assert m.match(conn(remote="10.1.1.21:1")) is None


def test_address_all_matches_ipv4_and_ipv6():
    m = matcher(rule("R", "RemoteAddr All", "LocalPortRange 8443"))
    assert name_of(m, conn(remote="10.9.9.9:1")) == "R"
    assert name_of(m, conn(local="[2001:db8::1]:8443", remote="[2001:db8::2]:1")) == "R"


def test_ip_addr_ref_is_used():
    m = matcher(rule("R", "LocalAddrRef H"), "IpAddr H\n{\n  Addr 10.0.0.1\n}\n")
    assert name_of(m, conn(local="10.0.0.1:1")) == "R"
    assert m.match(conn(local="10.0.0.3:1")) is None


def test_ip_addr_set_prefix_is_used():
    m = matcher(rule("R", "RemoteAddrSetRef S"), "IpAddrSet S\n{\n  Prefix 172.16.0.0/12\n}\n")
    assert name_of(m, conn(remote="172.31.255.255:1")) == "R"
    assert m.match(conn(remote="172.32.0.0:1")) is None


def test_ip_addr_set_range_is_used():
    m = matcher(rule("R", "RemoteAddrSetRef S"), "IpAddrSet S\n{\n  Range 10.0.0.5-10.0.0.7\n}\n")
    assert name_of(m, conn(remote="10.0.0.7:1")) == "R"
    assert m.match(conn(remote="10.0.0.8:1")) is None


GROUP = """\
IpAddrGroup AG
{
  IpAddr
  {
    Addr 10.1.0.1
  }
  IpAddrRef H2
  IpAddrSet
  {
    Prefix 10.3.0.0/16
  }
  IpAddrSetRef S4
}
IpAddr H2
{
  Addr 10.2.0.1
}
IpAddrSet S4
{
  Range 10.4.0.1-10.4.0.9
}
"""


@pytest.mark.parametrize("member", ["10.1.0.1", "10.2.0.1", "10.3.200.7", "10.4.0.9"], ids=str)
def test_ip_addr_group_members_are_ored(member):
    m = matcher(rule("R", "RemoteAddrGroupRef AG"), GROUP)
    assert name_of(m, conn(remote=f"{member}:1")) == "R"


@pytest.mark.parametrize("other", ["10.1.0.2", "10.2.0.2", "10.5.0.1", "10.4.0.10"], ids=str)
def test_ip_addr_group_rejects_addresses_outside_every_member(other):
    m = matcher(rule("R", "RemoteAddrGroupRef AG"), GROUP)
    assert m.match(conn(remote=f"{other}:1")) is None


def test_local_addr_group_checks_the_local_address():
    m = matcher(rule("R", "LocalAddrGroupRef AG"), GROUP)
    assert name_of(m, conn(local="10.2.0.1:1", remote="192.0.2.1:1")) == "R"
    assert m.match(conn(local="192.0.2.1:1", remote="10.2.0.1:1")) is None


def test_ipv6_address_matches():
    m = matcher(rule("R", "LocalAddr 2001:db8::1"))
    assert name_of(m, conn(local="[2001:db8::1]:443", remote="[2001:db8::9]:1")) == "R"
    assert m.match(conn(local="[2001:db8::2]:443", remote="[2001:db8::9]:1")) is None


def test_ipv6_prefix_matches():
    m = matcher(rule("R", "RemoteAddr 2001:db8:aa::/48"))
    assert name_of(m, conn(local="[::1]:443", remote="[2001:db8:aa:ffff::1]:1")) == "R"
    assert m.match(conn(local="[::1]:443", remote="[2001:db8:ab::1]:1")) is None


def test_ipv6_addr_set_range_matches():
    m = matcher(
        rule("R", "RemoteAddrSetRef S6"),
        "IpAddrSet S6\n{\n  Range 2001:db8::10-2001:db8::20\n}\n",
    )
    assert name_of(m, conn(local="[::1]:443", remote="[2001:db8::20]:1")) == "R"
    assert m.match(conn(local="[::1]:443", remote="[2001:db8::21]:1")) is None


def test_ipv4_connection_never_matches_an_ipv6_only_rule():
    # ::/0 holds every IPv6 address, and as integers 10.0.0.2 is inside it too.
    m = matcher(rule("R", "RemoteAddr ::/0", "LocalPortRange 8443"))
    assert m.match(conn(remote="10.0.0.2:1")) is None
    assert name_of(m, conn(local="[::1]:8443", remote="[2001:db8::2]:1")) == "R"


def test_ipv6_connection_never_matches_an_ipv4_only_rule():
    m = matcher(rule("R", "RemoteAddr 0.0.0.0/0", "LocalPortRange 8443"))
    assert m.match(conn(local="[::1]:8443", remote="[::2]:1")) is None


def test_ipv4_connection_skips_an_ipv6_rule_and_takes_the_next():
    m = matcher(
        rule("V6", "RemoteAddr ::/0", "LocalPortRange 8443", priority=9),
        rule("V4", "RemoteAddr 0.0.0.0/0", "LocalPortRange 8443", priority=1),
    )
    assert name_of(m, conn()) == "V4"


# --- Job name and user id ---------------------------------------------------------------
def test_name_pattern_trailing_star_is_a_prefix_match():
    assert NamePattern("ZWE1*").matches("ZWE1AGW")
    assert NamePattern("ZWE1*").matches("ZWE1")
    assert not NamePattern("ZWE1*").matches("ZWE2AGW")


def test_name_pattern_bare_star_matches_anything():
    assert NamePattern("*").matches("ANYJOB")
    assert NamePattern("*").matches("")


def test_name_pattern_exact_needs_the_whole_name():
    assert NamePattern("USER1GET").matches("USER1GET")
    assert not NamePattern("USER1").matches("USER1GET")
    assert not NamePattern("USER1GET").matches("USER1")


def test_name_pattern_compares_case_insensitively():
    assert NamePattern("user1*").matches("USER1GET")
    assert NamePattern("USER1GET").matches("user1get")


def test_jobname_trailing_star_rule():
    m = matcher(rule("R", "Jobname AZF*"))
    assert name_of(m, conn(jobname="AZFSRV1")) == "R"
    assert m.match(conn(jobname="AZXSRV1")) is None


def test_jobname_bare_star_rule_matches_every_job():
    m = matcher(rule("R", "Jobname *"))
    assert name_of(m, conn(jobname="WHATEVER")) == "R"


def test_jobname_exact_rule():
    m = matcher(rule("R", "Jobname USER1GET"))
    assert name_of(m, conn(jobname="USER1GET")) == "R"
    assert m.match(conn(jobname="USER1GE")) is None


def test_jobname_rule_compares_case_insensitively():
    m = matcher(rule("R", "Jobname user1get"))
    assert name_of(m, conn(jobname="USER1GET")) == "R"


def test_jobname_rule_does_not_match_a_connection_without_a_job_name():
    m = matcher(rule("R", "Jobname USER1GET"))
    assert m.match(conn(jobname="")) is None


def test_userid_trailing_star_rule():
    m = matcher(rule("R", "Userid STC*"))
    assert name_of(m, conn(userid="STCUSER")) == "R"
    assert m.match(conn(userid="USER1")) is None


def test_userid_bare_star_rule_matches_every_user():
    m = matcher(rule("R", "Userid *"))
    assert name_of(m, conn(userid="ANYONE")) == "R"


def test_userid_exact_rule():
    m = matcher(rule("R", "Userid IBMUSER"))
    assert name_of(m, conn(userid="IBMUSER")) == "R"
    assert m.match(conn(userid="IBMUSER2")) is None


def test_userid_rule_compares_case_insensitively():
    m = matcher(rule("R", "Userid ibmuser"))
    assert name_of(m, conn(userid="IBMUSER")) == "R"


def test_jobname_and_userid_combined_need_both():
    m = matcher(rule("R", "Jobname ZWE1*", "Userid ZWESVUSR"))
    assert name_of(m, conn(jobname="ZWE1AGW", userid="ZWESVUSR")) == "R"
    assert m.match(conn(jobname="ZWE1AGW", userid="IBMUSER")) is None
    assert m.match(conn(jobname="OTHER", userid="ZWESVUSR")) is None


# --- Discarded rules --------------------------------------------------------------------
def test_rule_with_dangling_port_ref_is_discarded_and_never_matches():
    p = policy_of(ACTIONS + rule("R", "LocalPortRangeRef Missing", priority=9))
    assert p.discarded == ("R",)
    assert Matcher(p).match(conn(local="10.0.0.1:8443")) is None


def test_rule_with_dangling_action_ref_is_discarded_and_the_next_rule_matches():
    p = policy_of(
        ACTIONS
        + rule("Broken", "LocalPortRange 8443", group="NoSuchGroup", priority=9)
        + rule("Good", "LocalPortRange 8443", priority=1)
    )
    assert p.discarded == ("Broken",)
    assert name_of(Matcher(p), conn()) == "Good"


def test_rule_whose_address_group_has_a_dangling_member_never_matches():
    p = policy_of(
        ACTIONS
        + rule("R", "RemoteAddrGroupRef AG")
        + "IpAddrGroup AG\n{\n  IpAddr\n  {\n    Addr 10.0.0.2\n  }\n  IpAddrRef Gone\n}\n"
    )
    assert p.discarded == ("R",)
    assert Matcher(p).match(conn(remote="10.0.0.2:1")) is None


# --- Time conditions --------------------------------------------------------------------
# 2024-06-05 is a Wednesday, 2024-06-08 a Saturday.
WEDNESDAY_NOON = datetime(2024, 6, 5, 12, 0)
WEDNESDAY_NIGHT = datetime(2024, 6, 5, 20, 0)
SATURDAY_NOON = datetime(2024, 6, 8, 12, 0)
OFFICE_HOURS = ("IpTimeCondition", "{", "  DayOfWeekMask 0111110", "  TimeOfDayRange 08:00-17:00",
                "}")  # fmt: skip


def office_hours_matcher() -> Matcher:
    return matcher(
        rule("Office", "LocalPortRange 8443", *OFFICE_HOURS, priority=9),
        rule("Always", "LocalPortRange 8443", priority=1),
    )


def test_time_condition_rule_matches_inside_its_period():
    assert name_of(office_hours_matcher(), conn(), WEDNESDAY_NOON) == "Office"


def test_time_condition_rule_is_skipped_outside_its_time_of_day():
    assert name_of(office_hours_matcher(), conn(), WEDNESDAY_NIGHT) == "Always"


def test_time_condition_rule_is_skipped_on_a_masked_day():
    assert name_of(office_hours_matcher(), conn(), SATURDAY_NOON) == "Always"


def test_time_condition_by_ref_is_used():
    m = matcher(
        rule("Office", "LocalPortRange 8443", "IpTimeConditionRef Weekdays", priority=9),
        rule("Always", "LocalPortRange 8443", priority=1),
        "IpTimeCondition Weekdays\n{\n  DayOfWeekMask 0111110\n}\n",
    )
    assert name_of(m, conn(), WEDNESDAY_NOON) == "Office"
    assert name_of(m, conn(), SATURDAY_NOON) == "Always"


def test_in_period_day_of_week_mask_starts_on_sunday():
    sunday_only = IpTimeCondition(day_of_week_mask="1000000")
    assert in_period(sunday_only, datetime(2024, 6, 9, 12, 0))  # a Sunday
    assert not in_period(sunday_only, datetime(2024, 6, 10, 12, 0))  # a Monday


def test_in_period_time_of_day_end_is_exclusive():
    t = IpTimeCondition(time_of_day_range="08:00-17:00")
    assert in_period(t, datetime(2024, 6, 5, 8, 0))
    assert in_period(t, datetime(2024, 6, 5, 16, 59))
    assert not in_period(t, datetime(2024, 6, 5, 17, 0))


def test_in_period_time_of_day_accepts_several_intervals_and_bare_hours():
    t = IpTimeCondition(time_of_day_range="0-8:30, 17:30-24")
    assert in_period(t, datetime(2024, 6, 5, 8, 29))
    assert not in_period(t, datetime(2024, 6, 5, 12, 0))
    assert in_period(t, datetime(2024, 6, 5, 23, 59))


def test_in_period_month_of_year_mask():
    t = IpTimeCondition(month_of_year_mask="000001000000")  # June only
    assert in_period(t, WEDNESDAY_NOON)
    assert not in_period(t, datetime(2024, 7, 3, 12, 0))


def test_in_period_condition_time_range():
    t = IpTimeCondition(condition_time_range="20240601000000:20240630235959")
    assert in_period(t, WEDNESDAY_NOON)
    assert not in_period(t, datetime(2024, 7, 1, 0, 0))


def test_in_period_time_zone_utc_reads_the_range_in_utc():
    t = IpTimeCondition(time_of_day_range="08:00-09:00", time_zone="UTC")
    at_0830_cest = datetime(2024, 6, 5, 8, 30, tzinfo=timezone(timedelta(hours=2)))  # 06:30 UTC
    assert not in_period(t, at_0830_cest)


def test_in_period_time_zone_utc_matches_inside_the_utc_range():
    t = IpTimeCondition(time_of_day_range="08:00-09:00", time_zone="UTC")
    assert in_period(t, datetime(2024, 6, 5, 8, 30, tzinfo=UTC))


# --- The seed policy (the workshop's WG31/TCPIP1) ---------------------------------------
def seed_matcher() -> Matcher:
    from pagent.policy.policy import load_policy

    return Matcher(load_policy([read_source(SEED)]))


SEED_CONN = Connection(
    direction="outbound",
    local_ip="192.168.17.201",
    local_port=7419,
    remote_ip="192.168.17.201",
    remote_port=9443,
    jobname="USER1GET",
)


def test_seed_policy_maps_user1get_outbound_to_zceeclientrule():
    # The workshop's EZD1281I shows this connection mapped to zCEEClientRule~1.
    assert name_of(seed_matcher(), SEED_CONN) == "zCEEClientRule~1"


def test_seed_policy_does_not_map_another_job():
    other = replace(SEED_CONN, jobname="USER2")
    assert seed_matcher().match(other) is None


def test_seed_policy_does_not_map_the_inbound_side():
    inbound = replace(SEED_CONN, direction="inbound")
    assert seed_matcher().match(inbound) is None


def test_seed_policy_does_not_map_a_local_port_below_1024():
    low = replace(SEED_CONN, local_port=1023)
    assert seed_matcher().match(low) is None


# --- A large generated policy against the brute-force scan ------------------------------
RULES = 3000

# Rules added to the generated policy so that rules overlap across the index's lists: one
# in the general list (wide local ports), one filed by remote port (wide local, narrow
# remote), and a Both rule with a narrow local range.
OVERLAPS = """\
TTLSRule WideLocal
{
  LocalPortRange 10000-13999
  Jobname JOB1*
  Direction Both
  Priority 120
  TTLSGroupActionRef gAct00000
  TTLSEnvironmentActionRef eAct00000
}
TTLSRule NarrowRemote
{
  LocalPortRange 1024-65535
  RemotePortRange 10007-10012
  Direction Both
  Priority 200
  TTLSGroupActionRef gAct00000
  TTLSEnvironmentActionRef eAct00000
}
TTLSRule NarrowLocalBoth
{
  LocalPortRange 10020-10030
  RemoteAddr 10.0.0.0/16
  Jobname JOB02*
  Direction Both
  Priority 249
  TTLSGroupActionRef gAct00000
  TTLSEnvironmentActionRef eAct00000
}
"""


@pytest.fixture(name="big_policy", scope="module")
def fixture_big_policy() -> Policy:
    p = policy_of(policy_text(RULES) + OVERLAPS)
    assert len(p.rules) == RULES + 3
    return p


def random_connection(rng: random.Random) -> Connection:
    """A connection aimed near a random generated rule: often a hit, often a near miss."""
    i = rng.randrange(RULES)
    j = i if rng.random() < 0.8 else rng.randrange(RULES)  # address of this or another rule
    port = 10000 + i + rng.choice([0, 0, 0, 0, 0, 1, 2, 4, 5, -1])
    a, b = (j >> 8) & 255, j & 255
    job = rng.choice([f"JOB{i % 1000:03d}", f"JOB{i % 1000:03d}X", f"JOB{j % 1000:03d}", "OTHER"])
    outbound = (i % 10 == 0) is (rng.random() < 0.85)  # mostly the rule's own direction
    other_port = rng.choice([port, rng.randrange(1, 65536), 443])
    local_port, remote_port = (other_port, port) if outbound else (port, other_port)
    if rng.random() < 0.2:
        local_port, remote_port = remote_port, local_port
    return Connection(
        direction="outbound" if outbound else "inbound",
        local_ip=rng.choice(["10.200.0.1", f"10.{a}.{b}.{rng.randrange(256)}"]),
        local_port=max(1, min(local_port, 65535)),
        remote_ip=f"10.{a}.{b}.{rng.randrange(256)}",
        remote_port=max(1, min(remote_port, 65535)),
        jobname=job.lower() if rng.random() < 0.1 else job,
    )


def test_matcher_agrees_with_brute_force_on_a_3000_rule_policy(big_policy):
    rng = random.Random(20240605)
    m = Matcher(big_policy)
    rules = compiled_rules(big_policy)
    hits = 0
    for _ in range(2000):
        c = random_connection(rng)
        expected = brute_force_compiled(rules, c)
        assert m.match(c) is expected, c
        hits += expected is not None
    assert 200 < hits < 1800  # both outcomes were exercised


def test_overlap_rules_win_over_generated_rules_by_priority(big_policy):
    m = Matcher(big_policy)
    # Rule00007 (inbound, local port 10007, priority 8) loses to NarrowRemote (priority 200)
    # only when the remote port is in 10007-10012; WideLocal (120) beats Rule00107 (108).
    c = conn(local="10.200.0.1:10007", remote="10.0.7.1:10008", jobname="JOB007")
    assert name_of(m, c) == "NarrowRemote"
    c = conn(local="10.200.0.1:10007", remote="10.0.7.1:443", jobname="JOB007")
    assert name_of(m, c) == "Rule00007"
    c = conn(local="10.200.0.1:10107", remote="10.0.107.1:443", jobname="JOB107")
    assert name_of(m, c) == "WideLocal"


# --- Property: random small policies ----------------------------------------------------
@dataclass(frozen=True)
class RuleSpec:
    name: str
    priority: int | None
    direction: str
    local_ports: tuple[int, int] | None  # None = not coded; (0, 0) = coded 0
    remote_ports: tuple[int, int] | None
    jobname: str | None


PORTS = st.one_of(
    st.none(),
    st.just((0, 0)),
    st.integers(1, 8).map(lambda n: (n, n)),
    st.tuples(st.integers(1, 8), st.integers(0, 4)).map(lambda t: (t[0], t[0] + t[1])),
    st.just((1, 100)),  # wide: the general list
)
NAME = st.text("aAbB1z9Z", min_size=1, max_size=3)
JOBNAMES = st.sampled_from([None, "*", "AB*", "ab*", "ABC", "abc", "A*", "ABCD"])


@st.composite
def rule_specs(draw: st.DrawFn) -> list[RuleSpec]:
    names = draw(st.lists(NAME, min_size=2, max_size=6, unique=True))
    specs = []
    for name in names:
        local = draw(PORTS)
        remote = draw(PORTS)
        job = draw(JOBNAMES)
        if local is None and remote is None and job is None:
            job = "*"  # every rule needs a condition
        specs.append(
            RuleSpec(
                name=name,
                priority=draw(st.one_of(st.none(), st.integers(1, 3))),
                direction=draw(st.sampled_from(["Inbound", "Outbound", "Both"])),
                local_ports=local,
                remote_ports=remote,
                jobname=job,
            )
        )
    return specs


CONNECTIONS = st.builds(
    Connection,
    direction=st.sampled_from(["inbound", "outbound"]),
    local_ip=st.just("10.0.0.1"),
    local_port=st.integers(1, 10),
    remote_ip=st.just("10.0.0.2"),
    remote_port=st.integers(1, 10),
    jobname=st.sampled_from(["", "ABC", "abc", "ABD", "ABCD", "XYZ", "A"]),
)


def spec_policy(specs: list[RuleSpec]) -> Policy:
    texts = []
    for s in specs:
        conds = []
        if s.local_ports is not None:
            conds.append(f"LocalPortRange {s.local_ports[0]}-{s.local_ports[1]}")
        if s.remote_ports is not None:
            conds.append(f"RemotePortRange {s.remote_ports[0]}-{s.remote_ports[1]}")
        if s.jobname is not None:
            conds.append(f"Jobname {s.jobname}")
        texts.append(rule(s.name, *conds, direction=s.direction, priority=s.priority))
    p = policy_of(ACTIONS + "".join(texts))
    assert len(p.rules) == len(specs)
    return p


def ebcdic_key(name: str) -> list[tuple[int, str]]:
    """Independent model of the EBCDIC collation for [a-zA-Z0-9]: lower, upper, digits."""
    return [(0 if c.islower() else 1 if c.isupper() else 2, c.lower()) for c in name]


def model_match(specs: list[RuleSpec], c: Connection) -> str | None:
    """Independent model of §4: order by priority then EBCDIC name; first full match."""

    def port_ok(r: tuple[int, int] | None, port: int) -> bool:
        return r is None or r == (0, 0) or r[0] <= port <= r[1]

    def job_ok(pattern: str | None, job: str) -> bool:
        if pattern is None:
            return True
        p, j = pattern.upper(), job.upper()
        return j.startswith(p[:-1]) if p.endswith("*") else j == p

    ordered = sorted(specs, key=lambda s: (-(s.priority or 1), ebcdic_key(s.name)))
    for s in ordered:
        if s.direction.lower() not in ("both", c.direction):
            continue
        if (
            port_ok(s.local_ports, c.local_port)
            and port_ok(s.remote_ports, c.remote_port)
            and job_ok(s.jobname, c.jobname)
        ):
            return s.name
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=rule_specs(), conns=st.lists(CONNECTIONS, min_size=1, max_size=8))
def test_matcher_agrees_with_brute_force_scan_on_random_small_policies(specs, conns):
    p = spec_policy(specs)
    m = Matcher(p)
    for c in conns:
        assert m.match(c) is brute_force(p, c)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=rule_specs(), conns=st.lists(CONNECTIONS, min_size=1, max_size=8))
def test_matcher_agrees_with_an_independent_model_on_random_small_policies(specs, conns):
    m = Matcher(spec_policy(specs))
    for c in conns:
        assert name_of(m, c) == model_match(specs, c)


def test_question_mark_in_a_job_name_pattern_is_literal():
    """Only '*' and '%' are wildcards; '?' matches itself, with or without a '*'."""
    from pagent.policy.matching import NamePattern

    assert NamePattern("A?C%").matches("A?CD")
    assert not NamePattern("A?C%").matches("ABCD")
    assert not NamePattern("A?C").matches("ABC")
