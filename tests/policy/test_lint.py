"""Lint beyond PAGENT (L401, L402, L403, L405, L406): one behaviour per test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy import lint as lint_module
from pagent.policy.diagnostics import Diagnostic
from pagent.policy.effective import effective
from pagent.policy.lint import lint
from pagent.policy.matching import compile_rule
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import SourceLoc, decode, read_source
from tests.conftest import DATA, DEFAULT_POLICY
from tests.policy.helpers import CORPUS_POLICIES

# Actions every test policy can use: a group with TTLS on, and an environment that enables
# TLSv1.2 (so that only L403 tests see L403). A group with TTLS off is added when a
# policy names it (so that only L402 tests see L402).
GROUP_OFF = """\
TTLSGroupAction gOff
{
  TTLSEnabled Off
}
"""
ACTIONS = """\
TTLSGroupAction gOn
{
  TTLSEnabled On
}
TTLSEnvironmentAction eNew
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring SRV/RING
  }
  TTLSEnvironmentAdvancedParms
  {
    TLSv1.2 On
  }
}
"""


def policy(text: str) -> Policy:
    """A policy from one file's text (with GROUP_OFF when it names gOff)."""
    if "gOff" in text:
        text += GROUP_OFF
    return load_policy([decode(textwrap.dedent(text).encode(), "t.policy")])


def rule(
    name: str,
    *conditions: str,
    direction: str = "Inbound",
    priority: int | None = None,
    group: str = "gOn",
    env: str | None = "eNew",
    conn: str | None = None,
) -> str:
    """A TTLSRule's text; ``conditions`` are lines such as 'LocalPortRange 443'."""
    lines = [f"TTLSRule {name}", "{", *(f"  {c}" for c in conditions)]
    lines.append(f"  Direction {direction}")
    if priority is not None:
        lines.append(f"  Priority {priority}")
    lines.append(f"  TTLSGroupActionRef {group}")
    if env is not None:
        lines.append(f"  TTLSEnvironmentActionRef {env}")
    if conn is not None:
        lines.append(f"  TTLSConnectionActionRef {conn}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def found(text: str, code: str) -> list[Diagnostic]:
    """The diagnostics of one code that lint gives for a policy of ``text`` + ACTIONS."""
    return [d for d in lint(policy(text + ACTIONS)) if d.code.id == code]


def at_rules(diags: list[Diagnostic], p: Policy) -> list[str]:
    """The names of the rules the diagnostics are placed at."""
    by_line = {r.loc.line: r.name or "" for r in p.rules}
    return [by_line[d.loc.line] for d in diags]


def rule_loc(p: Policy, name: str) -> SourceLoc:
    """Where an installed rule is defined."""
    r = p.rule(name)
    assert r is not None
    return r.loc


def rule_names(text: str, code: str) -> list[str]:
    """Names of the rules lint reports with ``code``."""
    p = policy(text + ACTIONS)
    return at_rules([d for d in lint(p) if d.code.id == code], p)


# --- L401 rule never matches ----------------------------------------------------------------
def test_l401_higher_priority_rule_covering_the_port_shadows():
    """A rule on 8080 under a higher-priority rule on 8000-8100 never matches."""
    text = rule("WIDE", "LocalPortRange 8000-8100", priority=10) + rule(
        "NARROW", "LocalPortRange 8080", priority=5
    )
    (d,) = found(text, "L401")
    assert "NARROW never matches" in d.message
    assert "WIDE (Priority 10, above 5)" in d.message
    assert d.related[0][1] == "TTLSRule WIDE is here"


def test_l401_is_placed_at_the_shadowed_rule_with_the_shadowing_rule_related():
    """The finding is at the dead rule; the related location is the rule that takes over."""
    text = rule("WIDE", "LocalPortRange 8000-8100", priority=10) + rule(
        "NARROW", "LocalPortRange 8080", priority=5
    )
    p = policy(text + ACTIONS)
    (d,) = [d for d in lint(p) if d.code.id == "L401"]
    assert d.loc == rule_loc(p, "NARROW")
    assert d.related[0][0] == rule_loc(p, "WIDE")


def test_l401_same_priority_earlier_name_shadows_and_says_the_collation_is_unconfirmed():
    """Equal rules of one Priority: the one whose name sorts later is dead, by assumption."""
    text = rule("ALPHA", "LocalPortRange 443") + rule("BETA", "LocalPortRange 443")
    (d,) = found(text, "L401")
    assert d.message.startswith("TTLSRule BETA never matches")
    assert "same Priority 1" in d.message
    assert "collation is unconfirmed" in d.message


def test_l401_not_reported_when_the_earlier_rule_is_one_direction_only():
    """An Inbound rule does not cover a Both rule's outbound connections."""
    text = rule("A", "LocalPortRange 443", priority=9) + rule(
        "B", "LocalPortRange 443", direction="Both"
    )
    assert found(text, "L401") == []


def test_l401_both_directions_cover_inbound():
    """A Both rule covers an Inbound rule with the same conditions."""
    text = rule("A", "LocalPortRange 443", direction="Both", priority=9) + rule(
        "B", "LocalPortRange 443"
    )
    assert rule_names(text, "L401") == ["B"]


def test_l401_every_group_member_covered_shadows():
    """A PortGroup whose every member lies in the earlier rule's range is covered."""
    text = (
        rule("A", "LocalPortRange 400-9000", priority=9)
        + rule("B", "LocalPortGroupRef pg")
        + "PortGroup pg\n{\n  PortRange\n  {\n    Port 443\n  }\n"
        + "  PortRange\n  {\n    Port 8443\n  }\n}\n"
    )
    assert rule_names(text, "L401") == ["B"]


def test_l401_not_reported_when_one_group_member_lies_outside():
    """One member outside the earlier rule's range keeps the rule alive."""
    text = (
        rule("A", "LocalPortRange 400-9000", priority=9)
        + rule("B", "LocalPortGroupRef pg")
        + "PortGroup pg\n{\n  PortRange\n  {\n    Port 443\n  }\n"
        + "  PortRange\n  {\n    Port 9443\n  }\n}\n"
    )
    assert found(text, "L401") == []


def test_l401_union_of_two_earlier_rules_is_not_detected():
    """Documented limit: coverage by two rules together is not found (only by one)."""
    text = (
        rule("A1", "LocalPortRange 8000-8049", priority=9)
        + rule("A2", "LocalPortRange 8050-8100", priority=9)
        + rule("B", "LocalPortRange 8040-8060")
    )
    assert found(text, "L401") == []


def test_l401_members_of_one_earlier_group_together_cover():
    """Within one rule, adjacent group members count as one range (they are ORed)."""
    text = (
        rule("A", "LocalPortGroupRef pg", priority=9)
        + rule("B", "LocalPortRange 8040-8060")
        + "PortGroup pg\n{\n  PortRange\n  {\n    Port 8000-8049\n  }\n"
        + "  PortRange\n  {\n    Port 8050-8100\n  }\n}\n"
    )
    assert rule_names(text, "L401") == ["B"]


@pytest.mark.parametrize(
    ("earlier", "later", "shadowed"),
    [
        pytest.param("AB*", "ABC*", True, id="prefix-covers-longer-prefix"),
        pytest.param("AB*", "ABC", True, id="prefix-covers-name"),
        pytest.param("ABC*", "ABC", True, id="prefix-covers-its-own-stem"),
        pytest.param("*", "ABC", True, id="star-covers-all"),
        pytest.param("ABC", "ABC", True, id="same-name"),
        pytest.param("ABC*", "AB*", False, id="longer-prefix-does-not-cover"),
        pytest.param("ABC", "ABC*", False, id="name-does-not-cover-prefix"),
        pytest.param("ABD*", "ABC", False, id="other-prefix"),
    ],
)
def test_l401_job_name_patterns(earlier, later, shadowed):
    """Job name coverage: no pattern or '*' covers all; 'AB*' covers 'ABC*' and 'ABC'."""
    text = rule("A", "LocalPortRange 443", f"Jobname {earlier}", priority=9) + rule(
        "B", "LocalPortRange 443", f"Jobname {later}"
    )
    assert rule_names(text, "L401") == (["B"] if shadowed else [])


def test_l401_rule_without_job_name_covers_one_with():
    """An uncoded Jobname matches any job, so it covers a rule that names one."""
    text = rule("A", "LocalPortRange 443", priority=9) + rule(
        "B", "LocalPortRange 443", "Jobname SRV*", "Userid WEBSRV"
    )
    assert rule_names(text, "L401") == ["B"]


def test_l401_earlier_rule_with_a_time_condition_does_not_shadow():
    """A rule that is only in effect part of the time leaves the later rule the rest."""
    text = rule(
        "A",
        "LocalPortRange 443",
        "IpTimeCondition\n  {\n    TimeOfDayRange 8:00-17:00\n  }",
        priority=9,
    ) + rule("B", "LocalPortRange 443")
    assert found(text, "L401") == []


def test_l401_ttlsenabled_off_shadow_says_connections_stay_in_clear():
    """C15: a TTLSEnabled Off rule in front leaves the later rule's connections in clear."""
    text = rule("A", "LocalPortRange 23", priority=9, group="gOff", env=None) + rule(
        "B", "LocalPortRange 23"
    )
    (d,) = found(text, "L401")
    assert "TTLSEnabled Off" in d.message
    assert "clear text (C15)" in d.message


def test_l401_address_prefix_covers_address_inside():
    """RemoteAddr 10.0.0.0/8 covers RemoteAddr 10.1.2.3."""
    text = rule("A", "RemoteAddr 10.0.0.0/8", priority=9) + rule("B", "RemoteAddr 10.1.2.3")
    assert rule_names(text, "L401") == ["B"]


def test_l401_all_ipv4_prefix_does_not_cover_all_addresses():
    """0.0.0.0/0 leaves out IPv6, so it does not cover an uncoded (All) address."""
    text = rule("A", "RemoteAddr 0.0.0.0/0", "LocalPortRange 443", priority=9) + rule(
        "B", "LocalPortRange 443"
    )
    assert found(text, "L401") == []


def test_l401_names_the_earliest_covering_rule():
    """Of two covering rules, the one tried first is named."""
    text = (
        rule("MID", "LocalPortRange 400-500", priority=5)
        + rule("TOP", "LocalPortRange 1-1000", priority=9)
        + rule("LOW", "LocalPortRange 443", priority=1)
    )
    low = [d for d in found(text, "L401") if d.message.startswith("TTLSRule LOW")]
    assert low[0].message.startswith("TTLSRule LOW never matches: TTLSRule TOP")


def test_l401_found_among_many_rules_sharing_one_port():
    """Rules crowding one port are filed elsewhere; the covering one is still found."""
    text = "".join(
        rule(f"R{i:03d}", "LocalPortRange 443", f"RemoteAddr 10.{i}.0.0/16", priority=100)
        for i in range(40)
    ) + rule("LATE", "LocalPortRange 443", "RemoteAddr 10.27.3.4", priority=50)
    p = policy(text + ACTIONS)
    (d,) = [d for d in lint(p) if d.code.id == "L401"]
    assert at_rules([d], p) == ["LATE"]
    assert "TTLSRule R027" in d.message


def test_l401_found_when_the_shared_port_is_not_the_first_of_a_range():
    """A short range is only skipped as 'alone' when none of its ports is shared."""
    text = rule("A", "LocalPortRange 440-450") + rule("B", "LocalPortRange 445")
    assert rule_names(text, "L401") == ["B"]


def test_l401_job_name_glob_rule_is_checked_against_every_later_rule():
    """A rule described by a job name glob alone has no index key, and still shadows."""
    text = rule("A", "Jobname A%C", priority=9) + rule("B", "LocalPortRange 443", "Jobname ABC")
    assert rule_names(text, "L401") == ["B"]


def test_l401_seed_policy_has_none():
    """The Configuration Assistant seed policy has no dead rule."""
    p = load_policy([read_source(DEFAULT_POLICY)])
    assert [d for d in lint(p) if d.code.id == "L401"] == []


def test_l401_easyattls_defaultrule13_is_shadowed_by_defaultrule12(corpus: Path):
    """DEFAULTRULE12/13: same port, same Priority, same conditions: 13 never matches."""
    p = load_policy([read_source(corpus / "colinpaicemq-EasyATTLS-generated.policy")])
    dead = [d for d in lint(p) if d.code.id == "L401"]
    assert at_rules(dead, p) == ["DEFAULTRULE13"]
    assert "DEFAULTRULE12" in dead[0].message


# --- L402 unused statement ------------------------------------------------------------------
def test_l402_unreferenced_keyring_is_reported():
    """A global TTLSKeyringParms that nothing names is unused."""
    text = rule("A", "LocalPortRange 443") + "TTLSKeyringParms spare\n{\n  Keyring X/Y\n}\n"
    (d,) = found(text, "L402")
    assert d.message == "TTLSKeyringParms spare is referenced by no rule, directly or indirectly"


def test_l402_statement_referenced_only_by_an_unused_action_is_unused():
    """Unused through a chain: parms named only by an environment no rule uses."""
    text = rule("A", "LocalPortRange 443") + textwrap.dedent("""\
        TTLSEnvironmentAction eSpare
        {
          HandshakeRole Client
          TTLSKeyringParmsRef kSpare
        }
        TTLSKeyringParms kSpare
        {
          Keyring X/Y
        }
        """)
    messages = sorted(d.message for d in found(text, "L402"))
    assert messages == [
        "TTLSEnvironmentAction eSpare is referenced by no rule, directly or indirectly",
        "TTLSKeyringParms kSpare is referenced only by TTLSEnvironmentAction eSpare, "
        "which no rule uses",
    ]


def test_l402_statement_shared_with_a_used_action_is_not_unused():
    """A keyring named by an unused and by a used environment is used."""
    text = (
        rule("A", "LocalPortRange 443", env="eUsed")
        + "TTLSEnvironmentAction eUsed\n{\n  HandshakeRole Server\n  TTLSKeyringParmsRef k\n}\n"
        + "TTLSEnvironmentAction eSpare\n{\n  HandshakeRole Client\n  TTLSKeyringParmsRef k\n}\n"
        + "TTLSKeyringParms k\n{\n  Keyring X/Y\n}\n"
    )
    unused = [d.message.split(" is ")[0] for d in found(text, "L402")]
    assert "TTLSEnvironmentAction eSpare" in unused
    assert "TTLSKeyringParms k" not in unused


def test_l402_statements_of_a_discarded_rule_are_not_unused():
    """A rule PAGENT discards (a dangling reference) still uses what it names."""
    p = policy(rule("A", "LocalPortRange 443", conn="cMissing") + ACTIONS)
    assert p.discarded == ("A",)
    assert [d for d in lint(p) if d.code.id == "L402"] == []


def test_l402_rules_are_never_unused():
    """A rule is not a statement anything references; it is never reported."""
    assert not any("TTLSRule" in d.message for d in found(rule("A", "LocalPortRange 1"), "L402"))


def test_l402_group_members_named_by_reference_are_used():
    """IpAddr and PortRange named from a group that a rule uses are used."""
    text = rule("A", "RemoteAddrGroupRef ag", "LocalPortGroupRef pg") + textwrap.dedent("""\
        IpAddrGroup ag
        {
          IpAddrRef a1
          IpAddrSetRef s1
        }
        IpAddr a1
        {
          Addr 10.0.0.1
        }
        IpAddrSet s1
        {
          Prefix 10.2.0.0/16
        }
        PortGroup pg
        {
          PortRangeRef p1
        }
        PortRange p1
        {
          Port 443
        }
        """)
    assert found(text, "L402") == []


def test_l402_parms_named_inside_an_inline_gsk_block_are_used():
    """An inline TTLSGskAdvancedParms in a used environment uses the LDAP parms it names."""
    text = rule("A", "LocalPortRange 443", env="eGsk") + textwrap.dedent("""\
        TTLSEnvironmentAction eGsk
        {
          HandshakeRole Server
          TTLSKeyringParms
          {
            Keyring X/Y
          }
          TTLSGskAdvancedParms
          {
            TTLSGskLdapParmsRef ldap1
          }
        }
        TTLSGskLdapParms ldap1
        {
          GSK_LDAP_SERVER ldap.example.com
        }
        """)
    assert not any("ldap1" in d.message for d in found(text, "L402"))


# --- L403 only old TLS -----------------------------------------------------------------------
OLD_ENV = """\
TTLSEnvironmentAction eOld
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring SRV/RING
  }
}
"""


def test_l403_default_protocols_are_only_old():
    """An environment that codes no protocol switch gets TLSv1 and TLSv1.1 only (§2.8)."""
    (d,) = found(rule("A", "LocalPortRange 443", env="eOld") + OLD_ENV, "L403")
    assert d.message.startswith("TTLSEnvironmentAction eOld, as TTLSRule A uses it")
    assert "enables only TLSv1, TLSv1.1" in d.message


def test_l403_is_placed_at_the_environment_action():
    """The finding is at the environment action, with the rule related."""
    p = policy(rule("A", "LocalPortRange 443", env="eOld") + OLD_ENV + ACTIONS)
    (d,) = [d for d in lint(p) if d.code.id == "L403"]
    assert d.loc == p.by_type["TTLSEnvironmentAction"]["eOld"].loc
    assert d.related[0] == (rule_loc(p, "A"), "TTLSRule A")


def test_l403_connection_parms_switching_tls12_on_clear_it():
    """The connection action's advanced parms apply: TLSv1.2 On there is enough."""
    conn = (
        "TTLSConnectionAction c12\n{\n  TTLSConnectionAdvancedParms\n  {\n    TLSv1.2 On\n  }\n}\n"
    )
    text = rule("A", "LocalPortRange 443", env="eOld", conn="c12") + OLD_ENV + conn
    assert found(text, "L403") == []


def test_l403_connection_parms_switching_tls12_off_report_the_pair():
    """A modern environment made old by one rule's connection action is reported for it."""
    conn = (
        "TTLSConnectionAction cOff\n{\n  TTLSConnectionAdvancedParms\n  {\n"
        "    TLSv1.2 Off\n  }\n}\n"
    )
    text = rule("A", "LocalPortRange 443", conn="cOff") + rule("B", "LocalPortRange 444") + conn
    (d,) = found(text, "L403")
    assert "as TTLSRule A with TTLSConnectionAction cOff uses it" in d.message


def test_l403_no_protocol_enabled_says_every_handshake_fails():
    """TLSv1 and TLSv1.1 switched off, nothing newer on: no protocol at all."""
    env = OLD_ENV.replace(
        "  TTLSKeyringParms",
        "  TTLSEnvironmentAdvancedParms\n  {\n    TLSv1 Off\n    TLSv1.1 Off\n  }\n"
        "  TTLSKeyringParms",
    )
    (d,) = found(rule("A", "LocalPortRange 443", env="eOld") + env, "L403")
    assert "enables no protocol at all" in d.message


def test_l403_reported_once_per_environment_connection_pair():
    """Rules sharing environment and connection action give one finding that counts them."""
    text = (
        rule("A", "LocalPortRange 443", env="eOld")
        + rule("B", "LocalPortRange 444", env="eOld")
        + OLD_ENV
    )
    (d,) = found(text, "L403")
    assert "as TTLSRule A (and 1 more rule) uses it" in d.message


def test_l403_not_for_rules_with_ttls_enabled_off():
    """No handshake happens for a TTLSEnabled Off rule: its protocols do not matter."""
    text = rule("A", "LocalPortRange 443", group="gOff", env="eOld") + OLD_ENV
    assert found(text, "L403") == []


def test_l403_not_when_tls13_alone_is_on():
    """TLSv1.3 on its own is modern."""
    env = OLD_ENV.replace(
        "  TTLSKeyringParms",
        "  TTLSEnvironmentAdvancedParms\n  {\n    TLSv1.3 On\n  }\n  TTLSKeyringParms",
    )
    assert found(rule("A", "LocalPortRange 443", env="eOld") + env, "L403") == []


@pytest.mark.parametrize("name", CORPUS_POLICIES)
def test_l403_agrees_with_effective_protocols_on_the_corpus(corpus: Path, name: str):
    """The bulk switch reading finds exactly the pairs effective() says are old-only."""
    assert_l403_agrees_with_effective(corpus / name)


@pytest.mark.parametrize("name", sorted(p.name for p in (DATA / "policies").glob("*.policy")))
def test_l403_agrees_with_effective_protocols_on_own_policies(name: str):
    assert_l403_agrees_with_effective(DATA / "policies" / name)


def assert_l403_agrees_with_effective(path: Path) -> None:
    p = load_policy([read_source(path)])
    expected = set()
    for r in p.rules:
        eff = effective(p, r)
        if eff.enabled and not {"TLSv1.2", "TLSv1.3"} & set(eff.protocols):
            assert eff.actions.environment is not None
            expected.add(eff.actions.environment.loc)
    assert {d.loc for d in lint(p) if d.code.id == "L403"} == expected


# --- L405 rule matches everything -------------------------------------------------------------
def test_l405_rule_with_only_all_conditions_matches_every_inbound_connection():
    """LocalAddr All narrows nothing."""
    (d,) = found(rule("A", "LocalAddr All"), "L405")
    assert "matches every inbound connection" in d.message


def test_l405_job_name_star_still_matches_everything():
    """Jobname * matches every job."""
    (d,) = found(rule("A", "Jobname *", direction="Both"), "L405")
    assert "matches every connection" in d.message


def test_l405_port_zero_matches_everything():
    """Port 0 means all ports."""
    assert rule_names(rule("A", "LocalPortRange 0", direction="Outbound"), "L405") == ["A"]


def test_l405_not_for_a_rule_with_a_job_name_prefix():
    """A job name prefix narrows the rule."""
    assert found(rule("A", "Jobname CICS*"), "L405") == []


def test_l405_ipv4_and_ipv6_all_prefixes_together_are_everything():
    """A group of 0.0.0.0/0 and ::/0 is every address of both families."""
    text = rule("A", "LocalAddrGroupRef all") + textwrap.dedent("""\
        IpAddrGroup all
        {
          IpAddrSet
          {
            Prefix 0.0.0.0/0
          }
          IpAddrSet
          {
            Prefix ::/0
          }
        }
        """)
    assert rule_names(text, "L405") == ["A"]


def test_l405_ttlsenabled_off_says_everything_stays_in_clear():
    """A catch-all with TTLS off leaves every connection of its direction in clear text."""
    (d,) = found(rule("A", "RemoteAddr All", group="gOff", env=None), "L405")
    assert "stay in clear text" in d.message


def test_l405_seed_policy_has_none():
    """The seed policy's rule is narrowed by ports and job name."""
    p = load_policy([read_source(DEFAULT_POLICY)])
    assert [d for d in lint(p) if d.code.id == "L405"] == []


# --- L406 same-priority overlap ---------------------------------------------------------------
def test_l406_same_priority_partial_overlap_names_the_assumed_winner():
    """Overlapping ranges at one Priority: the rule whose name sorts first wins, by assumption."""
    text = rule("A", "LocalPortRange 8000-8100") + rule("B", "LocalPortRange 8050-8200")
    (d,) = found(text, "L406")
    assert d.message.startswith("TTLSRule B and TTLSRule A both have Priority 1")
    assert "e.g. inbound, local port 8050" in d.message
    assert "pagent assumes TTLSRule A wins" in d.message
    assert d.related == ((rule_loc(policy(text + ACTIONS), "A"), "TTLSRule A, same Priority"),)


def test_l406_not_for_different_priorities():
    """Priority decides between rules of different priorities: no tie-break involved."""
    text = rule("A", "LocalPortRange 8000-8100", priority=2) + rule("B", "LocalPortRange 8050-8200")
    assert found(text, "L406") == []


def test_l406_not_for_disjoint_ports():
    """Rules on different ports share no connection."""
    text = rule("A", "LocalPortRange 8000-8100") + rule("B", "LocalPortRange 8101-8200")
    assert found(text, "L406") == []


def test_l406_not_for_opposite_directions():
    """An Inbound and an Outbound rule never see the same connection."""
    text = rule("A", "RemotePortRange 443") + rule("B", "RemotePortRange 443", direction="Outbound")
    assert found(text, "L406") == []


def test_l406_not_for_different_job_names():
    """Rules for different jobs share no connection."""
    text = rule("A", "LocalPortRange 443", "Jobname WEB1") + rule(
        "B", "LocalPortRange 443", "Jobname WEB2"
    )
    assert found(text, "L406") == []


def test_l406_later_rule_covering_the_earlier_warns_about_the_other_order():
    """When the later rule covers the earlier, the other collation would make it dead."""
    text = rule("A", "LocalPortRange 443") + rule("B", "LocalPortRange 400-500")
    (d,) = found(text, "L406")
    assert "if it sorts the other way, TTLSRule A never matches" in d.message


def test_l406_winner_follows_ebcdic_order_lower_case_first():
    """In EBCDIC lower case sorts before upper case: 'alpha' wins over 'Zeta'."""
    text = rule("Zeta", "LocalPortRange 8000-8100") + rule("alpha", "LocalPortRange 8050-8200")
    (d,) = found(text, "L406")
    assert "pagent assumes TTLSRule alpha wins" in d.message


def test_l406_counts_the_other_winners():
    """A rule overlapping several earlier rules of its Priority is reported once."""
    text = (
        rule("A", "LocalPortRange 1-100")
        + rule("B", "LocalPortRange 50-150")
        + rule("C", "LocalPortRange 95-200", "Jobname X*")
    )
    assert rule_names(text, "L406") == ["B", "C"]
    last = found(text, "L406")[-1]
    assert last.message.startswith("TTLSRule C and TTLSRule A (and 1 more rule of that Priority)")
    assert len(last.related) == 2


def test_l406_not_reported_for_a_rule_that_is_already_dead(corpus: Path):
    """EasyAT-TLS DEFAULTRULE13 is L401, not also L406."""
    p = load_policy([read_source(corpus / "colinpaicemq-EasyATTLS-generated.policy")])
    overlaps = at_rules([d for d in lint(p) if d.code.id == "L406"], p)
    assert "DEFAULTRULE13" not in overlaps
    assert "DEFAULTRULE12" in overlaps  # it shares outbound connections with CSSMTPRule


# --- indexes against the definitions ---------------------------------------------------------
_ports = st.sampled_from(
    ["", "0", "443", "443-450", "445", "8000-8100", "8080", "8085", "1-1000", "pgA", "pgB"]
)
_addrs = st.sampled_from(
    ["", "10.0.0.0/8", "10.1.2.3", "10.1.0.0/16", "0.0.0.0/0", "2001:db8::1", "ag"]
)
_jobs = st.sampled_from(["", "*", "AB*", "ABC*", "ABC", "ABD", "A%C"])
_rules = st.lists(
    st.tuples(
        st.sampled_from(["Inbound", "Outbound", "Both"]),
        st.sampled_from([1, 1, 2, 5]),
        _ports,
        _ports,
        _addrs,
        _jobs,
        st.booleans(),  # a time condition
    ),
    min_size=1,
    max_size=14,
)
GROUPS = """\
PortGroup pgA
{
  PortRange
  {
    Port 443
  }
  PortRange
  {
    Port 8080-8090
  }
}
PortGroup pgB
{
  PortRange
  {
    Port 445
  }
  PortRange
  {
    Port 1-100
  }
}
IpAddrGroup ag
{
  IpAddrSet
  {
    Prefix 10.1.0.0/16
  }
  IpAddrSet
  {
    Prefix 2001:db8::/32
  }
}
"""


def _condition(keyword: str, value: str) -> str:
    if value in ("pgA", "pgB"):
        return f"{keyword.removesuffix('Range')}GroupRef {value}"
    if value == "ag":
        return f"{keyword}GroupRef {value}"
    return f"{keyword} {value}"


def _random_policy(spec: list[tuple[str, int, str, str, str, str, bool]]) -> Policy:
    parts = []
    for i, (direction, prio, lport, rport, raddr, job, timed) in enumerate(spec):
        values = (
            ("LocalPortRange", lport),
            ("RemotePortRange", rport),
            ("RemoteAddr", raddr),
            ("Jobname", job),
        )
        conds = [_condition(k, v) for k, v in values if v] or ["LocalAddr All"]
        if timed:
            conds.append("IpTimeCondition\n  {\n    TimeOfDayRange 8:00-17:00\n  }")
        parts.append(rule(f"R{i:02d}", *conds, direction=direction, priority=prio))
    return policy("".join(parts) + GROUPS + ACTIONS)


def _pairwise(p: Policy) -> set[tuple[str, str, tuple[str, ...]]]:
    """L401/L406 by the definitions, over all pairs: what the indexes must reproduce."""
    conds = [
        lint_module._conditions(p, i, r, lint_module._ports_of(p, r)) for i, r in enumerate(p.rules)
    ]
    out: set[tuple[str, str, tuple[str, ...]]] = set()
    dead: set[int] = set()
    for r in conds:
        if r.empty:
            continue
        earlier = [a for a in conds[: r.order] if not a.empty]
        cover = next((a for a in earlier if lint_module._covers(a, r)), None)
        if cover is not None:
            dead.add(r.order)
            out.add(("L401", r.rule.name or "", (cover.rule.name or "",)))
            continue
        winners = tuple(
            a.rule.name or ""
            for a in earlier
            if a.priority == r.priority and a.order not in dead and lint_module._meets(a, r)
        )
        if winners:
            out.add(("L406", r.rule.name or "", winners[:10]))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_rules)
def test_rule_checks_find_what_comparing_all_pairs_finds(spec):
    """The indexes and the 'alone' short cut miss nothing and add nothing."""
    p = _random_policy(spec)
    got = set()
    for d in lint(p):
        if d.code.id in ("L401", "L406"):
            name = at_rules([d], p)[0]
            related = tuple(m.split(",")[0].split(" ")[1] for _, m in d.related)
            got.add((d.code.id, name, related))
    assert got == _pairwise(p)


@settings(max_examples=100, deadline=None)
@given(_rules)
def test_conditions_agree_with_compile_rule(spec):
    """lint resolves conditions itself (for speed) exactly as the matcher compiles them."""
    p = _random_policy(spec)
    for i, r in enumerate(p.rules):
        mine = lint_module._conditions(p, i, r, lint_module._ports_of(p, r))
        theirs = compile_rule(p, i, r)
        assert mine.dims[lint_module._LPORT] == lint_module._port_span(theirs.local_ports)
        assert mine.dims[lint_module._RPORT] == lint_module._port_span(theirs.remote_ports)
        assert mine.dims[lint_module._RADDR] == lint_module._addr_span(theirs.remote_addrs)
        assert mine.dims[lint_module._LADDR] == lint_module._addr_span(theirs.local_addrs)
        assert bool(mine.dirs & 1) == theirs.inbound
        assert bool(mine.dirs & 2) == theirs.outbound


# --- a large generated policy -------------------------------------------------------------------
def test_lint_of_a_2000_rule_generated_policy_completes_without_false_findings():
    """Every generated rule has its own port: no rule is shadowed or overlaps another.

    Not a timing test (benchmarks are never timed tests); it checks that the large-policy
    paths finish and stay quiet.
    """
    p = load_policy([decode(policy_text(2000).encode(), "gen.policy")])
    assert len(p.rules) == 2000
    assert lint(p) == []


def test_l406_not_reported_for_a_rule_that_is_already_dead_own_policy():
    """As EasyAT-TLS DEFAULTRULE12/13 in the corpus: the dead twin B is L401 only."""
    text = (
        rule("A", "LocalPortRange 9999")
        + rule("B", "LocalPortRange 9999")
        + rule("C", "LocalPortRange 9990-10010")
    )
    p = policy(text + ACTIONS)
    assert at_rules([d for d in lint(p) if d.code.id == "L401"], p) == ["B"]
    overlaps = at_rules([d for d in lint(p) if d.code.id == "L406"], p)
    assert "B" not in overlaps
    assert overlaps
