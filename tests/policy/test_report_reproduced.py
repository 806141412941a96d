"""What the real z/OS 3.1 pasearch report proves, reproduced (issue 10 §1).

The policy (tests/policy/data/report_azf.policy) is written for these tests after the one
behind the report in corpus/extras; the expected lines are copied from the report, trailing
blanks removed (pasearch pads its columns; pagent does not, fidelity F-078).
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from pagent.policy.effective import effective
from pagent.policy.pasearch import render_ttls
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import read_source
from pagent.policy.statements import TTLSEnvironmentAction

from .helpers import codes, policy_of

DATA = Path(__file__).parent / "data" / "report_azf.policy"

# corpus/extras/colinpaicemq-EasyATTLS-pasearch-t.report, lines 822-825 (AZFEnvAction1Client).
REPORT_ENV_PROTOCOLS = """\
     TLSv1:                     On
     TLSv1.1:                   Off
     TLSv1.2:                   On
     TLSv1.3:                   Off
"""

# The same report, lines 931-939 (AZFConnAction1 under rule CPJES2OUT).
REPORT_CONN_CIPHERS = """\
    TTLSCipherParms:
     v3CipherSuites:
      C023  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
      C024  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
      C027  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256
      C028  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384
      C02B  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
      C02C  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
      C02F  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy([read_source(DATA)])


def render_report(policy: Policy) -> str:
    """The search -t report of the policy, at a fixed time."""
    return render_ttls(policy, image="TCPIP", now=datetime(2024, 12, 23), instance_id=1)


def _action_section(report: str, name: str) -> str:
    """The lines of the first 'TTLS Action: name' section of a report."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["TTLS", "Action:", name])
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  TTLS Action:")),
        len(lines),
    )
    return "\n".join(lines[start:end]) + "\n"


def test_report_policy_is_installed_with_warnings_only(policy):
    """The policy the report's system installed is installed: no error, every rule kept."""
    assert policy.complete
    assert sorted(r.name for r in policy.rules) == ["COLATTLS", "CPJES2OUT"]
    assert {c for c, _ in codes(policy)} >= {"W325", "W326", "W327"}
    assert not any(d.severity.value == "error" for d in policy.diagnostics)


def test_ref_then_inline_block_warns_which_form_is_used(policy):
    """A Ref followed by an inline block: W325 at the block, naming the Ref not used."""
    (d,) = [d for d in policy.diagnostics if d.code.id == "W325"]
    assert d.loc.line == 40
    assert "PAGENT uses the later, the inline TTLSEnvironmentAdvancedParms block" in d.message
    assert "not TTLSEnvironmentAdvancedParmsRef AZFEnvAdvServer" in d.message
    assert "unconfirmed" not in d.message
    assert d.related[0][0].line == 39


def test_later_inline_block_replaces_the_ref_whole(policy):
    """TLSv1 is On (the default), not the Off of the Ref's statement: no merging."""
    rule = policy.rule("CPJES2OUT")
    assert rule is not None
    eff = effective(policy, rule)
    assert eff.protocols == ("TLSv1", "TLSv1.2")


def test_search_shows_the_protocols_the_report_shows(policy):
    """search -t prints the environment's protocol lines exactly as the report does."""
    section = _action_section(render_report(policy), "AZFEnvAction1Client")
    assert REPORT_ENV_PROTOCOLS in section


def test_names_on_4char_and_chacha20_are_left_out_as_the_report_shows(policy):
    """The connection action's cipher section is the report's: seven suites, no 1303."""
    section = _action_section(render_report(policy), "AZFConnAction1")
    assert REPORT_CONN_CIPHERS in section


def test_effective_cipher_list_is_the_seven_suites(policy):
    """match and the data path use the same seven suites."""
    rule = policy.rule("CPJES2OUT")
    assert rule is not None
    assert effective(policy, rule).v3_ciphers == (
        "C023", "C024", "C027", "C028", "C02B", "C02C", "C02F",
    )  # fmt: skip


def test_action_whose_cipher_list_ends_empty_prints_no_cipher_section(policy):
    """TNEA's only suite is 1303: no TTLSCipherParms section, as in the report."""
    section = _action_section(render_report(policy), "TNEA")
    assert "TTLSCipherParms" not in section
    rule = policy.rule("COLATTLS")
    assert rule is not None
    assert effective(policy, rule).v3_ciphers == ()


def test_names_on_4char_are_warnings_not_errors(policy):
    """Each name on V3CipherSuites4Char is W326 (ignored), the stray token W304."""
    found = codes(policy)
    assert [line for c, line in found if c == "W326"] == [78, 79, 80, 81]
    assert ("W304", 80) in found
    assert [line for c, line in found if c == "W327"] == [77, 92]


INLINE_THEN_REF = """\
TTLSRule R1
{
  LocalPortRange 8443
  Direction Inbound
  TTLSGroupActionRef G
  TTLSEnvironmentActionRef E
}
TTLSGroupAction G
{
  TTLSEnabled On
}
TTLSEnvironmentAction E
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring SRV/RING
  }
  TTLSEnvironmentAdvancedParms
  {
    TLSv1.3 On
  }
  TTLSEnvironmentAdvancedParmsRef Adv
}
TTLSEnvironmentAdvancedParms Adv
{
  TLSv1 Off
  TLSv1.1 Off
  TLSv1.2 On
}
"""


def test_inline_then_ref_uses_the_ref_whole_and_says_it_is_unconfirmed():
    """The order the report does not show follows last-wins, and says so."""
    policy = policy_of(INLINE_THEN_REF)
    assert codes(policy) == [("W325", 23)]
    assert "unconfirmed" in policy.diagnostics[0].message
    rule = policy.rule("R1")
    assert rule is not None
    assert effective(policy, rule).protocols == ("TLSv1.2",)


def test_every_inline_ref_pair_follows_last_wins():
    """Keyring parms too: the later TTLSKeyringParmsRef replaces the inline block."""
    text = textwrap.dedent(
        """\
        TTLSEnvironmentAction E
        {
          HandshakeRole Server
          TTLSKeyringParms
          {
            Keyring INLINE/RING
          }
          TTLSKeyringParmsRef K
        }
        TTLSKeyringParms K
        {
          Keyring REF/RING
        }
        """
    )
    policy = policy_of(text)
    assert [c for c, _ in codes(policy)] == ["W325"]
    env = policy.get(TTLSEnvironmentAction, "E")
    assert env is not None
    assert env.ttls_keyring_parms is None
    assert env.ttls_keyring_parms_ref == "K"


def test_address_alternatives_are_still_e115():
    """Two forms of one condition are not an inline/Ref pair: still E115 (an estimate)."""
    text = """\
    TTLSRule R1
    {
      LocalPortRange 8443
      LocalPortRangeRef P
      Direction Inbound
      TTLSGroupActionRef G
    }
    """
    assert "E115" in [c for c, _ in codes(policy_of(text))]


def test_match_shows_the_form_pagent_uses(capsys):
    """pagent match: protocols of the later inline block, the seven suites."""
    from pagent.cli import main

    code = main(
        [
            "match", str(DATA), "--direction", "outbound", "--local", "10.1.0.9:40000",
            "--remote", "10.1.0.2:2175", "--json",
        ]
    )  # fmt: skip
    import json

    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["rule"] == "CPJES2OUT"
    assert doc["protocols"] == ["TLSv1", "TLSv1.2"]
    assert doc["v3_cipher_suites"] == ["C023", "C024", "C027", "C028", "C02B", "C02C", "C02F"]


def test_connection_cipher_list_left_empty_inherits_the_environments():
    """A connection action whose only suite is 1303 shows none: the environment's list applies."""
    text = """\
    TTLSRule R1
    {
      LocalPortRange 8443
      Direction Inbound
      TTLSGroupActionRef G
      TTLSEnvironmentActionRef E
      TTLSConnectionActionRef C
    }
    TTLSGroupAction G
    {
      TTLSEnabled On
    }
    TTLSEnvironmentAction E
    {
      HandshakeRole Server
      TTLSKeyringParms
      {
        Keyring SRV/RING
      }
      TTLSCipherParms
      {
        V3CipherSuites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
      }
    }
    TTLSConnectionAction C
    {
      TTLSCipherParms
      {
        V3CipherSuites TLS_CHACHA20_POLY1305_SHA256
      }
    }
    """
    policy = policy_of(text)
    rule = policy.rule("R1")
    assert rule is not None
    assert effective(policy, rule).v3_ciphers == ("C02F",)
    assert "TTLSCipherParms" not in _action_section(render_report(policy), "C")
