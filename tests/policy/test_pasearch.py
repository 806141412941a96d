"""``pasearch -t`` rendering: the real z/OS 3.1 report as oracle, then one behaviour per test."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pagent.cli import main
from pagent.policy.pasearch import NO_POLICIES, render_ttls
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import decode

REPORT = "extras/colinpaicemq-EasyATTLS-pasearch-t.report"
# The report's header: queried 04:52:29; every statement created 04:52:19, which is also the
# TTLS Instance Id 1734951139 in epoch seconds (10:52:19 UTC, the system ran at UTC-6).
QUERIED = datetime(2024, 12, 23, 4, 52, 29)
INSTALLED = datetime(2024, 12, 23, 4, 52, 19)
INSTANCE = 1734951139

# Four rules of the report, coded back from what it shows. Every value below is read from
# the report, or from what it implies:
# * AZFClientRule: "RemoteAddr 6793" is what prints as 0.0.26.137 (IBM's MFA sample has a
#   RemotePortRange placeholder there; the user coded the port as an address). Its refs are
#   coded Environment, Group, Connection, the order of the report's policyAction lines.
# * eActAZFClient codes Trace 255 and EnvironmentUserInstance 1 (printed; CSSMTPEnvironment
#   and DEFAULTTNEA print neither, so they are not defaults or inherited). TLSv1/TLSv1.1 Off
#   and TLSv1.2 On differ from the defaults (On, On, Off), so they are coded.
# * AZFConnAction1 codes CtraceClearText Off / Trace 255 as the Configuration Assistant does
#   (seed policy); the labels and the seven suites are what the report lists.
# * COLATTLJ has no Priority (Weight/Priority 1). TNEA/TNCA share a signature parms
#   ClientECurves Any (the corpus' earlier PAGENTTN-v2 codes exactly that as TNESigParms).
#   TNEA's protocols print the defaults, so it codes no advanced parms.
# * CSSMTPGroup codes Trace 7; CSSMTPEnvironment codes TLSv1.1 Off, TLSv1.2 On and
#   ApplicationControlled On (TLSv1 On is the default).
# * DEFAULTRULE13's refs are coded Environment, Connection, Group; DEFAULTTNGA codes no Trace
#   (prints the default 2); DEFAULTTNCA13 codes only protocol switches, and its signature
#   section is PAGENT's TLSv1.3 default lists.
ORACLE_POLICY = """\
TTLSRule AZFClientRule
{
  Jobname AZF*
  RemoteAddr 6793
  Direction Outbound
  Priority 255
  TTLSEnvironmentActionRef eActAZFClient
  TTLSGroupActionRef AZFGroupAction1
  TTLSConnectionActionRef AZFConnAction1
}
TTLSGroupAction AZFGroupAction1
{
  TTLSEnabled On
  Trace 255
}
TTLSEnvironmentAction eActAZFClient
{
  HandshakeRole Client
  Trace 255
  TTLSKeyringParmsRef AZFKeyringParms
  TTLSEnvironmentAdvancedParms
  {
    TLSv1 Off
    TLSv1.1 Off
    TLSv1.2 On
  }
  EnvironmentUserInstance 1
}
TTLSKeyringParms AZFKeyringParms
{
  Keyring start1/TN3270
}
TTLSConnectionAction AZFConnAction1
{
  TTLSConnectionAdvancedParmsRef AZFConnAdvParms
  TTLSCipherParmsRef AZFCipherParms
  CtraceClearText Off
  Trace 255
}
TTLSConnectionAdvancedParms AZFConnAdvParms
{
  ServerCertificateLabel RSA2048
  CertificateLabel RSA2048
}
TTLSCipherParms AZFCipherParms
{
  V3CipherSuites4Char C023C024C027C028C02BC02CC02F
}

TTLSRule COLATTLJ
{
  RemoteAddr 10.1.1.2
  LocalPortRange 4000
  Jobname COLCOMPI
  Userid COLIN
  Direction Both
  TTLSGroupActionRef TNGA
  TTLSEnvironmentActionRef TNEA
  TTLSConnectionActionRef TNCA
}
TTLSGroupAction TNGA
{
  TTLSEnabled On
  Trace 255
}
TTLSEnvironmentAction TNEA
{
  HandshakeRole ServerWithClientAuth
  Trace 255
  TTLSKeyringParms
  {
    Keyring start1/TN3270
  }
  TTLSSignatureParmsRef TNESigParms
}
TTLSSignatureParms TNESigParms
{
  ClientECurves Any
}
TTLSConnectionAction TNCA
{
  TTLSSignatureParmsRef TNESigParms
  CtraceClearText Off
  Trace 255
  TTLSConnectionAdvancedParms
  {
    ServerCertificateLabel NISTECCTEST
    ApplicationControlled Off
    SSLv3 Off
    TLSv1 Off
    TLSv1.1 Off
    TLSv1.2 On
    TLSv1.3 Off
    SecondaryMap Off
    HandshakeTimeout 3
  }
  TTLSCipherParms
  {
    V3CipherSuites TLS_RSA_WITH_AES_256_CBC_SHA256
    V3CipherSuites TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
  }
}

TTLSRule CSSMTPRule
{
  RemotePortRange 25
  Direction Outbound
  TTLSGroupActionRef CSSMTPGroup
  TTLSEnvironmentActionRef CSSMTPEnvironment
}
TTLSGroupAction CSSMTPGroup
{
  TTLSEnabled On
  Trace 7
}
TTLSEnvironmentAction CSSMTPEnvironment
{
  HandshakeRole Client
  TTLSKeyringParms
  {
    Keyring START1/TN3270
  }
  TTLSEnvironmentAdvancedParms
  {
    ApplicationControlled On
    TLSv1.1 Off
    TLSv1.2 On
  }
}

TTLSRule DEFAULTRULE13
{
  LocalPortRange 9999
  Direction Both
  TTLSEnvironmentActionRef DEFAULTTNEA
  TTLSConnectionActionRef DEFAULTTNCA13
  TTLSGroupActionRef DEFAULTTNGA
}
TTLSGroupAction DEFAULTTNGA
{
  TTLSEnabled On
}
TTLSEnvironmentAction DEFAULTTNEA
{
  HandshakeRole ServerWithClientAuth
  TTLSKeyringParms
  {
    Keyring Userid/Keyring
  }
}
TTLSConnectionAction DEFAULTTNCA13
{
  TTLSConnectionAdvancedParms
  {
    SSLv3 Off
    TLSv1 Off
    TLSv1.1 Off
    TLSv1.2 On
    TLSv1.3 On
  }
}
"""


def policy_of(text: str, path: str = "test.policy") -> Policy:
    """Build a policy from text; the test fails on anything that would keep a rule out."""
    policy = load_policy([decode(text.encode(), path)])
    assert policy.complete, [d.headline() for d in policy.diagnostics]
    return policy


def render(
    policy: Policy, *, image: str = "TCPIP", rule: str | None = None, release: str = "CS 3.1"
) -> list[str]:
    """The rendered report as lines (the text ends with one newline)."""
    text = render_ttls(
        policy,
        image=image,
        now=QUERIED,
        instance_id=INSTANCE,
        installed=INSTALLED,
        rule=rule,
        release=release,
    )
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    return text[:-1].split("\n")


@pytest.fixture(name="report")
def fixture_report(corpus: Path) -> list[str]:
    """The real report, trailing blanks stripped (pasearch pads values; pagent does not)."""
    return [line.rstrip() for line in (corpus / REPORT).read_text("utf-8").splitlines()]


def rule_segment(report: list[str], name: str) -> list[str]:
    """One rule's lines in the report: its policyRule block and its action blocks.

    From its ``policyRule:`` line to the last non-empty line before the next rule.
    """
    start = report.index(f"policyRule:             {name}")
    end = next(
        (i for i in range(start + 1, len(report)) if report[i].startswith("policyRule:")),
        len(report),
    )
    segment = report[start:end]
    while segment and not segment[-1]:
        segment.pop()
    return segment


# --- (a) the oracle ------------------------------------------------------------------------
def test_report_separators_are_what_the_renderer_reproduces(report):
    """The evidence for the separators: an empty first line, one empty line between rules,
    two where the priority drops (CPJES2OUT 255 -> COLATTLJ 1), no trailer."""
    assert report[0] == ""
    before_colattlj = report.index("policyRule:             COLATTLJ")
    assert report[before_colattlj - 3 : before_colattlj] == [
        "    Policy updated: Mon Dec 23 04:52:19 2024",
        "",
        "",
    ]
    before_cssmtp = report.index("policyRule:             CSSMTPRule")
    assert report[before_cssmtp - 2 : before_cssmtp] == [
        "    Policy updated: Mon Dec 23 04:52:19 2024",
        "",
    ]
    assert report[-1] == "    Policy updated: Mon Dec 23 04:52:19 2024"


def test_oracle_four_rules_of_the_real_report_line_by_line(report):
    """Header and four whole rules (every rule line and every action block) match exactly.

    Nothing of these four segments is excluded. What is not compared: trailing blanks
    (stripped from the report, see the fixture) and the report's other eight rules, which
    this policy does not define.
    """
    policy = policy_of(ORACLE_POLICY)
    got = render(policy)
    expected = [
        *report[:5],  # "", title with Image Name, Date/Time, TTLS Instance Id, ""
        *rule_segment(report, "AZFClientRule"),
        "",
        "",  # priority 255 -> 1 (see the separator test)
        *rule_segment(report, "COLATTLJ"),
        "",
        *rule_segment(report, "CSSMTPRule"),
        "",
        *rule_segment(report, "DEFAULTRULE13"),
    ]
    assert len(got) == len(expected)
    for number, (mine, theirs) in enumerate(zip(got, expected, strict=True), start=1):
        assert mine == theirs, f"line {number}"


# --- (b) behaviour ---------------------------------------------------------------------------
BASIC = """\
TTLSGroupAction g
{
  TTLSEnabled On
}
TTLSEnvironmentAction e
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring RING
  }
}
TTLSConnectionAction c
{
  TTLSConnectionAdvancedParms
  {
    CertificateLabel LBL
  }
}
"""


def rule_text(name: str, body: str) -> str:
    return f"TTLSRule {name}\n{{\n{body}}}\n"


def test_rules_in_match_order_priority_then_name():
    """Priority descending, then name; the report lists its 255s first, then the 1s."""
    refs = "  TTLSGroupActionRef g\n  TTLSEnvironmentActionRef e\n"
    text = BASIC + "".join(
        rule_text(name, f"  LocalPortRange {port}\n  Direction Inbound\n{prio}{refs}")
        for name, port, prio in (
            ("ZED", 1, "  Priority 5\n"),
            ("BEE", 2, ""),
            ("ALPHA", 3, ""),
            ("TOP", 4, "  Priority 9\n"),
        )
    )
    lines = render(policy_of(text))
    names = [line.split()[1] for line in lines if line.startswith("policyRule:")]
    assert names == ["TOP", "ZED", "ALPHA", "BEE"]


def test_actions_follow_the_order_the_refs_are_coded():
    """policyAction triples and action blocks come in the rule's *Ref line order."""
    body = (
        "  LocalPortRange 1\n  Direction Inbound\n"
        "  TTLSConnectionActionRef c\n  TTLSEnvironmentActionRef e\n  TTLSGroupActionRef g\n"
    )
    lines = render(policy_of(BASIC + rule_text("R", body)))
    kinds = [line.split(":", 1)[1].strip() for line in lines if line.startswith("   ActionType:")]
    assert kinds == ["TTLS Connection", "TTLS Environment", "TTLS Group"]
    blocks = [line.split()[-1] for line in lines if line.startswith("  TTLS Action:")]
    assert blocks == ["c", "e", "g"]
    assert "  No. Policy Action:    3" in lines


def test_uncoded_priority_is_weight_and_priority_1():
    """A rule without Priority shows Weight 1 / Priority 1 (ttls-language.md §2.1 [PAS])."""
    body = "  LocalPortRange 1\n  Direction Inbound\n  TTLSGroupActionRef g\n"
    body += "  TTLSEnvironmentActionRef e\n"
    lines = render(policy_of(BASIC + rule_text("R", body)))
    assert "  Weight:               1                 ForLoadDist:       False" in lines
    assert "  Priority:             1                 Sequence Actions:  Don't Care" in lines


def test_environment_defaults_with_tls13_on_add_x25519_and_pss():
    """An environment with TLSv1.3 On gets the TLSv1.3 default lists (report DEFAULTTNCA13)."""
    text = BASIC.replace(
        "  HandshakeRole Server\n",
        "  HandshakeRole Server\n  TTLSEnvironmentAdvancedParms\n  {\n    TLSv1.3 On\n  }\n",
    )
    body = "  LocalPortRange 1\n  Direction Inbound\n  TTLSGroupActionRef g\n"
    body += "  TTLSEnvironmentActionRef e\n"
    lines = render(policy_of(text + rule_text("R", body)))
    assert "     TLSv1.3:                   On" in lines
    assert "      0029  X25519" in lines[lines.index("     ClientECurves:") :]
    assert "      0806  TLS_SIGALG_SHA512_WITH_RSASSA_PSS" in lines


def test_connection_shows_only_what_it_codes():
    """No Trace, no protocols, no signature section for a connection coding only a label."""
    body = "  LocalPortRange 1\n  Direction Inbound\n  TTLSGroupActionRef g\n"
    body += "  TTLSEnvironmentActionRef e\n  TTLSConnectionActionRef c\n"
    lines = render(policy_of(BASIC + rule_text("R", body)))
    start = lines.index("  TTLS Action:                  c")
    assert lines[start:] == [
        "  TTLS Action:                  c",
        "    Version:                    3",
        "    Status:                     Active",
        "    Scope:                      Connection",
        "    TTLSConnectionAdvancedParms:",
        "     CertificateLabel:          LBL",
        "    Policy created: Mon Dec 23 04:52:19 2024",
        "    Policy updated: Mon Dec 23 04:52:19 2024",
    ]


def test_group_defaults_are_printed():
    """A group coding only TTLSEnabled prints every default (report DEFAULTTNGA)."""
    body = "  LocalPortRange 1\n  Direction Inbound\n  TTLSGroupActionRef g\n"
    body += "  TTLSEnvironmentActionRef e\n"
    lines = render(policy_of(BASIC + rule_text("R", body)))
    start = lines.index("    Scope:                      Group")
    assert lines[start : start + 8] == [
        "    Scope:                      Group",
        "    TTLSEnabled:                On",
        "    CtraceClearText:            Off",
        "    Trace:                      2",
        "    FIPS140:                    Off",
        "    TTLSGroupAdvancedParms:",
        "     SecondaryMap:              Off",
        "     SyslogFacility:            Daemon",
    ]


GROUPS = """\
IpAddrGroup servers
{
  IpAddr
  {
    Addr 10.0.0.9
  }
  IpAddrSet
  {
    Range 10.0.0.2-10.0.0.4
  }
}
IpAddrGroup mixed
{
  IpAddr
  {
    Addr 10.0.0.1
  }
  IpAddr
  {
    Addr 2001:db8::1
  }
}
PortGroup ports
{
  PortRange
  {
    Port 990-991
  }
  PortRange
  {
    Port 21
  }
}
"""


def test_group_conditions_show_lowest_from_to_highest_to():
    """IpAddrGroup/PortGroup summaries (ttls-language.md §3.3, §3.5); mixed families: All."""
    body = (
        "  LocalAddrGroupRef servers\n  RemoteAddrGroupRef mixed\n"
        "  LocalPortGroupRef ports\n  Direction Inbound\n"
        "  TTLSGroupActionRef g\n  TTLSEnvironmentActionRef e\n"
    )
    lines = render(policy_of(BASIC + GROUPS + rule_text("R", body)))
    start = lines.index("   Local Address:")
    assert lines[start : start + 8] == [
        "   Local Address:",
        "    FromAddr:           10.0.0.2",
        "    ToAddr:             10.0.0.9",
        "   Remote Address:",
        "    FromAddr:           All",
        "    ToAddr:             All",
        "   LocalPortFrom:       21                LocalPortTo:       991",
        "   RemotePortFrom:      0                 RemotePortTo:      0",
    ]


def test_time_condition_is_shown_in_time_periods():
    """A coded IpTimeCondition replaces the default masks and times."""
    body = (
        "  LocalPortRange 1\n  Direction Inbound\n"
        "  TTLSGroupActionRef g\n  TTLSEnvironmentActionRef e\n"
        "  IpTimeCondition\n  {\n    DayOfWeekMask 0111110\n"
        "    TimeOfDayRange 08:00-17:30\n"
        "    ConditionTimeRange 20250101000000:20251231235900\n  }\n"
    )
    lines = render(policy_of(BASIC + rule_text("R", body)))
    assert "   Day of Week Mask:    0111110  (Sunday - Saturday)" in lines
    assert "   Start Date Time:     Wed Jan  1 00:00:00 2025" in lines
    assert "   End Date Time:       Wed Dec 31 23:59:00 2025" in lines
    assert "   Fr TimeOfDay:        08:00             To TimeOfDay:      17:30" in lines
    assert "   Fr TimeOfDay UTC:    08:00             To TimeOfDay UTC:  17:30" in lines


def test_rule_option_limits_the_report_to_one_rule():
    """``rule=`` shows that rule only; an unknown name retrieves nothing."""
    refs = "  Direction Inbound\n  TTLSGroupActionRef g\n  TTLSEnvironmentActionRef e\n"
    policy = policy_of(
        BASIC
        + rule_text("ONE", "  LocalPortRange 1\n" + refs)
        + rule_text("TWO", "  LocalPortRange 2\n" + refs)
    )
    lines = render(policy, rule="TWO")
    assert [x for x in lines if x.startswith("policyRule:")] == ["policyRule:             TWO"]
    assert render(policy, rule="THREE")[-1] == NO_POLICIES


def test_empty_policy_prints_no_policies_retrieved():
    """Nothing installed: the header, then pasearch's message (pagent-ops.md §6.1)."""
    assert render(policy_of(""), image="TCPCS") == [
        "",
        "TCP/IP pasearch CS 3.1                    Image Name: TCPCS",
        "  Date:                 12/23/2024        Time:  04:52:29",
        "  TTLS Instance Id:     1734951139",
        "",
        NO_POLICIES,
    ]


def test_release_is_printed_in_the_title():
    """``release`` is the text after ``pasearch`` in the title line."""
    lines = render(policy_of(""), release="CS V2R5")
    assert lines[1].startswith("TCP/IP pasearch CS V2R5   ")


def test_no_line_has_trailing_blanks():
    """pasearch pads values; pagent strips (module docstring)."""
    text = render_ttls(policy_of(ORACLE_POLICY), image="TCPIP", now=QUERIED, instance_id=INSTANCE)
    assert all(line == line.rstrip() for line in text.split("\n"))


def test_seed_policy(corpus):
    """The product's default policy: set refs, port refs, CA-style connection action."""
    path = corpus / "seed-appendix-WG31-TCPIP1.policy"
    policy = policy_of(path.read_text("utf-8"), str(path))
    lines = render(policy, image="TCPIP1")
    assert lines[1] == "TCP/IP pasearch CS 3.1                    Image Name: TCPIP1"
    start = lines.index("   Local Address:")
    assert lines[start : start + 10] == [
        "   Local Address:",
        "    FromAddr:           0.0.0.0",
        "    ToAddr:             255.255.255.255",
        "   Remote Address:",
        "    FromAddr:           0.0.0.0",
        "    ToAddr:             255.255.255.255",
        "   LocalPortFrom:       1024              LocalPortTo:       65535",
        "   RemotePortFrom:      9443              RemotePortTo:      9443",
        "   JobName:             USER1GET          UserId:",
        "   ServiceDirection:    Outbound",
    ]
    assert "    EnvironmentUserInstance:    0" in lines
    conn = lines[lines.index("  TTLS Action:                  cAct1~zCEEClient") :]
    assert conn[3:11] == [
        "    Scope:                      Connection",
        "    HandshakeRole:              Client",
        "    CtraceClearText:            Off",
        "    Trace:                      7",
        "    TTLSConnectionAdvancedParms:",
        "     SecondaryMap:              Off",  # first, as in the report's TNCA
        "     SSLv3:                     Off",
        "     TLSv1:                     Off",
    ]
    # protocol switches coded: the TLSv1.2 default signature lists (report DEFAULTTNCA12)
    assert "    TTLSSignatureParms:" in conn
    assert "      0029  X25519" not in conn


# --- (c) the command line ---------------------------------------------------------------------
@pytest.fixture(name="policy_file")
def fixture_policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "ttls.policy"
    path.write_text(ORACLE_POLICY, encoding="utf-8")
    return path


def test_cli_prints_the_report_of_a_policy_file(policy_file, capsys):
    """``pagent search -t FILE``: exit 0, the report on stdout, image TCPIP."""
    assert main(["search", "-t", str(policy_file)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[1] == "TCP/IP pasearch CS 3.1                    Image Name: TCPIP"
    assert lines[3].startswith("  TTLS Instance Id:     ")
    assert [x.split()[1] for x in lines if x.startswith("policyRule:")] == [
        "AZFClientRule",
        "COLATTLJ",
        "CSSMTPRule",
        "DEFAULTRULE13",
    ]


def test_cli_rule_option(policy_file, capsys):
    """``--rule NAME`` shows one rule."""
    assert main(["search", "-t", "--rule", "CSSMTPRule", str(policy_file)]) == 0
    out = capsys.readouterr().out
    assert [x for x in out.splitlines() if x.startswith("policyRule:")] == [
        "policyRule:             CSSMTPRule"
    ]


def test_cli_rejected_policy_exits_1_with_no_policies(tmp_path, capsys):
    """PAGENT would reject the file: nothing installed, the reasons on stderr."""
    path = tmp_path / "bad.policy"
    path.write_text(ORACLE_POLICY.replace("Direction Outbound", "Direction Sideways", 1))
    assert main(["search", "-t", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == NO_POLICIES
    assert "Sideways" in err
    assert "reject" in err


def test_cli_unreadable_file_exits_2(tmp_path, capsys):
    """A missing file is a usage error, as for ``pagent check``."""
    assert main(["search", "-t", str(tmp_path / "missing.policy")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_cli_without_path_needs_the_service(tmp_path, capsys):
    """No path: the service would be asked; it is not running."""
    assert main(["search", "-t", "--root", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"pagent: no running pagent service on {tmp_path} (start it with 'pagent serve'); "
        "give a policy file or pagent.conf to read files instead\n"
    )


def test_cli_chain_uses_the_image_name(tmp_path, capsys):
    """A pagent.conf chain: one report per image, titled with the image's name."""
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "ttls.policy").write_text(ORACLE_POLICY)
    conf = tmp_path / "etc" / "pagent.conf"
    conf.write_text("TcpImage TCPIP1 FLUSH PURGE\nTTLSConfig /etc/ttls.policy\n")
    assert main(["search", "-t", "--root", str(tmp_path), str(conf)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "TCP/IP pasearch CS 3.1                    Image Name: TCPIP1"


def test_cli_discarded_rule_is_left_out_and_named(tmp_path, capsys):
    """A rule PAGENT discards (dangling action reference) is not shown; stderr names it."""
    path = tmp_path / "discard.policy"
    broken = "  LocalPortRange 7\n  Direction Inbound\n  TTLSGroupActionRef nosuchgroup\n"
    path.write_text(ORACLE_POLICY + rule_text("BROKEN", broken))
    assert main(["search", "-t", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "BROKEN" not in out
    assert "PAGENT would discard BROKEN" in err
