"""Effective actions (ttls-language.md §4.6, defaults §2): one behaviour per test."""

from __future__ import annotations

import pytest

from pagent.policy.effective import (
    Effective,
    actions_of,
    coded,
    defaults,
    effective,
    sub_block,
)
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import read_source
from pagent.policy.statements import (
    TTLSCipherParms,
    TTLSEnvironmentAction,
    TTLSEnvironmentAdvancedParms,
    TTLSKeyringParms,
)
from tests.conftest import DEFAULT_POLICY
from tests.policy.helpers import GOOD_RULE, codes, policy_of

SEED = DEFAULT_POLICY  # the seed's appendix, the product's default policy


def block(keyword: str, name: str | None, *lines: str, indent: int = 0) -> str:
    """A statement (or an inline block when ``name`` is None) with one line per parameter."""
    pad = " " * indent
    head = f"{pad}{keyword} {name}" if name else f"{pad}{keyword}"
    body = "".join(f"{pad}  {line}\n" for line in lines)
    return f"{head}\n{pad}{{\n{body}{pad}}}\n"


def inline(keyword: str, *lines: str) -> list[str]:
    """An inline block as lines, to be placed inside another statement."""
    return block(keyword, None, *lines).splitlines()


def rule_policy(
    group: list[str] | None = None,
    env: list[str] | None = None,
    conn: list[str] | None = None,
    extra: str = "",
) -> Policy:
    """One rule R with group G, environment E and, when ``conn`` is given, connection C."""
    rule_lines = [
        "LocalPortRange 8443",
        "Direction Inbound",
        "TTLSGroupActionRef G",
        "TTLSEnvironmentActionRef E",
    ]
    if conn is not None:
        rule_lines.append("TTLSConnectionActionRef C")
    env_lines = env if env is not None else ["HandshakeRole Server", *KEYRING]
    text = (
        block("TTLSRule", "R", *rule_lines)
        + block("TTLSGroupAction", "G", "TTLSEnabled On", *(group or []))
        + block("TTLSEnvironmentAction", "E", *env_lines)
        + (block("TTLSConnectionAction", "C", *conn) if conn is not None else "")
        + extra
    )
    p = policy_of(text)
    assert p.complete, codes(p)
    assert [r.name for r in p.rules] == ["R"]
    return p


KEYRING = inline("TTLSKeyringParms", "Keyring SRV/RING")


def eff(
    group: list[str] | None = None,
    env: list[str] | None = None,
    conn: list[str] | None = None,
    extra: str = "",
) -> Effective:
    p = rule_policy(group, env, conn, extra)
    return effective(p, p.rules[0])


def env_with(*lines: str) -> list[str]:
    """Environment action lines: role Server, the key ring, and ``lines``."""
    return ["HandshakeRole Server", *KEYRING, *lines]


# --- Trace and CtraceClearText: group -> environment -> connection ----------------------
def test_trace_defaults_to_2_when_no_action_codes_it():
    assert eff().trace == 2


def test_trace_of_the_group_is_inherited():
    assert eff(group=["Trace 6"]).trace == 6


def test_trace_of_the_environment_overrides_the_group():
    assert eff(group=["Trace 6"], env=env_with("Trace 4")).trace == 4


def test_trace_of_the_connection_overrides_environment_and_group():
    assert eff(group=["Trace 6"], env=env_with("Trace 4"), conn=["Trace 255"]).trace == 255


def test_trace_of_the_connection_overrides_the_group_default():
    assert eff(conn=["Trace 1"]).trace == 1


def test_connection_without_trace_keeps_the_environment_trace():
    assert eff(group=["Trace 6"], env=env_with("Trace 4"), conn=["HandshakeRole Client"]).trace == 4


def test_trace_zero_on_the_connection_is_an_override_not_missing():
    assert eff(group=["Trace 6"], conn=["Trace 0"]).trace == 0


def test_ctrace_clear_text_defaults_to_off():
    assert eff().ctrace_clear_text == "Off"


def test_ctrace_clear_text_of_the_group_is_inherited():
    assert (
        eff(group=["CtraceClearText On"], conn=["HandshakeRole Server"]).ctrace_clear_text == "On"
    )


def test_ctrace_clear_text_of_the_environment_overrides_the_group():
    e = eff(group=["CtraceClearText On"], env=env_with("CtraceClearText Off"))
    assert e.ctrace_clear_text == "Off"


def test_ctrace_clear_text_of_the_connection_overrides_the_environment():
    e = eff(
        group=["CtraceClearText Off"],
        env=env_with("CtraceClearText Off"),
        conn=["CtraceClearText On"],
    )
    assert e.ctrace_clear_text == "On"


# --- Group action -----------------------------------------------------------------------
def test_ttls_enabled_on_gives_enabled():
    assert eff().enabled is True


def test_ttls_enabled_off_gives_not_enabled():
    p = policy_of(
        block(
            "TTLSRule",
            "R",
            "LocalPortRange 21",
            "Direction Inbound",
            "TTLSGroupActionRef Clear",
        )
        + block("TTLSGroupAction", "Clear", "TTLSEnabled Off")
    )
    e = effective(p, p.rules[0])
    assert e.enabled is False
    assert e.actions.environment is None
    assert e.handshake_role is None


def test_fips140_defaults_to_off():
    assert eff().fips140 == "Off"


def test_fips140_of_the_group_is_used():
    assert eff(group=["FIPS140 Level2"]).fips140 == "Level2"


def test_syslog_facility_defaults_to_daemon():
    assert eff().group_advanced["SyslogFacility"] == "Daemon"


def test_syslog_facility_auth_from_inline_group_advanced_parms():
    e = eff(group=inline("TTLSGroupAdvancedParms", "SyslogFacility Auth"))
    assert e.group_advanced["SyslogFacility"] == "Auth"


def test_syslog_facility_auth_from_group_advanced_parms_ref():
    e = eff(
        group=["TTLSGroupAdvancedParmsRef GA"],
        extra=block("TTLSGroupAdvancedParms", "GA", "SyslogFacility Auth"),
    )
    assert e.group_advanced["SyslogFacility"] == "Auth"


# --- HandshakeRole ----------------------------------------------------------------------
def test_handshake_role_comes_from_the_environment():
    assert eff().handshake_role == "Server"


def test_handshake_role_of_the_connection_overrides_the_environment():
    assert eff(conn=["HandshakeRole ServerWithClientAuth"]).handshake_role == (
        "ServerWithClientAuth"
    )


def test_connection_without_handshake_role_keeps_the_environment_role():
    assert eff(conn=["Trace 2"]).handshake_role == "Server"


# --- Advanced parms ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("SSLv2", "Off"),
        ("SSLv3", "Off"),
        ("TLSv1", "On"),
        ("TLSv1.1", "On"),
        ("TLSv1.2", "Off"),
        ("TLSv1.3", "Off"),
        ("HandshakeTimeout", 10),
        ("ClientAuthType", "Required"),
        ("ApplicationControlled", "Off"),
        ("ResetCipherTimer", 0),
        ("Renegotiation", "Default"),
        ("RenegotiationIndicator", "Optional"),
        ("CertValidationMode", "Any"),
        ("PeerMinRsaKeySize", 1024),
        ("PeerMinECCKeySize", 192),
        ("ClientExtendedMasterSecret", "On"),
    ],
)
def test_advanced_parm_default_is_filled_in(keyword, value):
    assert eff().advanced[keyword] == value


def test_default_protocols_are_tlsv1_and_tlsv1_1():
    assert eff().protocols == ("TLSv1", "TLSv1.1")


def test_certificate_label_has_no_default():
    assert "CertificateLabel" not in eff().advanced


def test_environment_advanced_parms_override_the_defaults():
    e = eff(env=env_with(*inline("TTLSEnvironmentAdvancedParms", "TLSv1.2 On", "TLSv1 Off")))
    assert e.protocols == ("TLSv1.1", "TLSv1.2")


def test_environment_advanced_parms_by_ref_are_used():
    e = eff(
        env=env_with("TTLSEnvironmentAdvancedParmsRef EA"),
        extra=block("TTLSEnvironmentAdvancedParms", "EA", "HandshakeTimeout 30"),
    )
    assert e.advanced["HandshakeTimeout"] == 30


ENV_ADV = inline(
    "TTLSEnvironmentAdvancedParms",
    "TLSv1.2 On",
    "HandshakeTimeout 20",
    "CertificateLabel ENVCERT",
    "ClientAuthType Full",
)


def test_connection_advanced_parm_overrides_the_environment_one():
    e = eff(
        env=env_with(*ENV_ADV),
        conn=inline("TTLSConnectionAdvancedParms", "HandshakeTimeout 45"),
    )
    assert e.advanced["HandshakeTimeout"] == 45


def test_connection_advanced_parms_keep_uncoded_environment_parms():
    e = eff(
        env=env_with(*ENV_ADV),
        conn=inline("TTLSConnectionAdvancedParms", "HandshakeTimeout 45"),
    )
    assert e.advanced["TLSv1.2"] == "On"
    assert e.advanced["CertificateLabel"] == "ENVCERT"
    assert e.advanced["ClientAuthType"] == "Full"


def test_connection_advanced_parms_keep_defaults_neither_codes():
    e = eff(
        env=env_with(*ENV_ADV),
        conn=inline("TTLSConnectionAdvancedParms", "HandshakeTimeout 45"),
    )
    assert e.advanced["TLSv1.1"] == "On"
    assert e.advanced["RenegotiationIndicator"] == "Optional"


def test_connection_advanced_parms_by_ref_override_too():
    e = eff(
        env=env_with(*ENV_ADV),
        conn=["TTLSConnectionAdvancedParmsRef CA"],
        extra=block("TTLSConnectionAdvancedParms", "CA", "CertificateLabel CONNCERT"),
    )
    assert e.advanced["CertificateLabel"] == "CONNCERT"
    assert e.advanced["HandshakeTimeout"] == 20


def test_connection_advanced_parms_can_turn_a_protocol_off():
    e = eff(
        env=env_with(*ENV_ADV),
        conn=inline("TTLSConnectionAdvancedParms", "TLSv1 Off", "TLSv1.1 Off"),
    )
    assert e.protocols == ("TLSv1.2",)


def test_connection_advanced_parms_have_no_defaults_of_their_own():
    assert dict(defaults("TTLSConnectionAdvancedParms")) == {}


# --- Cipher parms -----------------------------------------------------------------------
def test_no_cipher_parms_means_the_system_ssl_default_list():
    e = eff()
    assert e.v3_ciphers == ()
    assert e.v2_ciphers == ()


def test_environment_cipher_parms_are_used():
    e = eff(env=env_with(*inline("TTLSCipherParms", "V3CipherSuites4Char C02FC030")))
    assert e.v3_ciphers == ("C02F", "C030")


def test_cipher_constant_names_become_codes():
    e = eff(
        env=env_with(
            *inline("TTLSCipherParms", "V3CipherSuites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        )
    )
    assert e.v3_ciphers == ("C02F",)


def test_connection_cipher_parms_replace_the_environment_ones():
    e = eff(
        env=env_with(*inline("TTLSCipherParms", "V3CipherSuites4Char C02FC030")),
        conn=inline("TTLSCipherParms", "V3CipherSuites4Char C02B"),
    )
    assert e.v3_ciphers == ("C02B",)


def test_connection_cipher_parms_by_ref_replace_the_environment_ones():
    e = eff(
        env=env_with("TTLSCipherParmsRef EnvCiphers"),
        conn=["TTLSCipherParmsRef ConnCiphers"],
        extra=block("TTLSCipherParms", "EnvCiphers", "V3CipherSuites4Char C02F")
        + block("TTLSCipherParms", "ConnCiphers", "V3CipherSuites4Char C02C"),
    )
    assert e.v3_ciphers == ("C02C",)


def test_connection_without_cipher_parms_keeps_the_environment_ones():
    e = eff(
        env=env_with(*inline("TTLSCipherParms", "V3CipherSuites4Char C02F")),
        conn=["HandshakeRole Server"],
    )
    assert e.v3_ciphers == ("C02F",)


def test_v3_cipher_suites_and_4char_are_concatenated():
    e = eff(
        env=env_with(*inline("TTLSCipherParms", "V3CipherSuites 3C", "V3CipherSuites4Char C030"))
    )
    assert e.v3_ciphers == ("003C", "C030")


def test_v3_cipher_suite_coded_in_both_forms_is_kept_once():
    e = eff(
        env=env_with(
            *inline("TTLSCipherParms", "V3CipherSuites 3C", "V3CipherSuites4Char 003CC030")
        )
    )
    assert e.v3_ciphers == ("003C", "C030")


def test_v3_cipher_preference_follows_the_coded_order_across_both_keywords():
    # ttls-language §2.6: occurrences of both keywords are concatenated, in order.
    e = eff(
        env=env_with(*inline("TTLSCipherParms", "V3CipherSuites4Char C030", "V3CipherSuites 3C"))
    )
    assert e.v3_ciphers == ("C030", "003C")


# --- Key ring ---------------------------------------------------------------------------
def test_inline_key_ring_is_used():
    k = eff().keyring
    assert k is not None
    assert k.keyring == "SRV/RING"


def test_key_ring_by_ref_is_used():
    e = eff(
        env=["HandshakeRole Server", "TTLSKeyringParmsRef KR"],
        extra=block("TTLSKeyringParms", "KR", "Keyring OTHER/RING"),
    )
    assert e.keyring is not None
    assert e.keyring.keyring == "OTHER/RING"
    assert e.keyring.name == "KR"


# --- Signature and GSK parms ------------------------------------------------------------
def test_signature_defaults_are_filled_in():
    sig = eff().signature
    assert sig["ClientKeyShareGroups"] == ("0023",)
    assert sig["ServerKexECurves"] == ("0023", "0024", "0025", "0021", "0019")


def test_connection_signature_parms_override_the_environment_ones():
    e = eff(
        env=env_with(*inline("TTLSSignatureParms", "SignaturePairs 0401")),
        conn=inline("TTLSSignatureParms", "SignaturePairs 0601"),
    )
    assert e.signature["SignaturePairs"] == ("0601",)


def test_gsk_defaults_are_filled_in():
    gsk = eff().gsk
    assert gsk["GSK_V3_SESSION_TIMEOUT"] == 86400
    assert gsk["GSK_V3_SIDCACHE_SIZE"] == 512
    assert gsk["GSK_SESSION_TICKET_SERVER_ALGORITHM"] == "AESCBC128"


def test_suite_b_profile_defaults_to_off():
    assert eff().suite_b_profile == "Off"


# --- Helpers ----------------------------------------------------------------------------
def test_actions_of_resolves_the_three_actions():
    p = rule_policy(conn=["Trace 3"])
    acts = actions_of(p, p.rules[0])
    assert acts.group is not None
    assert acts.group.name == "G"
    assert acts.environment is not None
    assert acts.environment.name == "E"
    assert acts.connection is not None
    assert acts.connection.name == "C"


def test_actions_of_gives_none_for_an_unreferenced_connection_action():
    p = rule_policy()
    assert actions_of(p, p.rules[0]).connection is None


def test_sub_block_finds_the_inline_block():
    p = policy_of(GOOD_RULE)
    env = p.get(TTLSEnvironmentAction, "E")
    ring = sub_block(p, env, TTLSKeyringParms)
    assert ring is not None
    assert ring.inline
    assert ring.keyring == "SRV/RING"


def test_sub_block_follows_the_ref():
    p = rule_policy(
        env=env_with("TTLSCipherParmsRef CP"),
        extra=block("TTLSCipherParms", "CP", "V3CipherSuites4Char C02F"),
    )
    found = sub_block(p, p.get(TTLSEnvironmentAction, "E"), TTLSCipherParms)
    assert found is not None
    assert found.name == "CP"


def test_sub_block_of_nothing_is_none():
    p = policy_of(GOOD_RULE)
    assert sub_block(p, None, TTLSKeyringParms) is None
    assert sub_block(p, p.get(TTLSEnvironmentAction, "E"), TTLSEnvironmentAdvancedParms) is None


def test_coded_lists_only_coded_parameters():
    adv = TTLSEnvironmentAdvancedParms(tlsv1_2="On", handshake_timeout=5)
    assert coded(adv) == {"TLSv1.2": "On", "HandshakeTimeout": 5}


# --- The seed policy --------------------------------------------------------------------
def seed_effective() -> Effective:
    p = load_policy([read_source(SEED)])
    rule = p.rule("zCEEClientRule~1")
    assert rule is not None
    return effective(p, rule)


def test_seed_policy_negotiates_only_tlsv1_2():
    # Its connection advanced parms turn TLSv1 and TLSv1.1 off and TLSv1.2 on.
    assert seed_effective().protocols == ("TLSv1.2",)


def test_seed_policy_effective_actions():
    e = seed_effective()
    assert e.enabled
    assert e.trace == 7  # the appendix as corrected against the lab PDF (issue 9)
    assert e.ctrace_clear_text == "Off"
    assert e.handshake_role == "Client"
    assert e.keyring is not None
    assert e.keyring.keyring == "Liberty.KeyRing"
    assert e.advanced["HandshakeTimeout"] == 10
    assert e.advanced["SecondaryMap"] == "Off"


def test_suite_b_profile_makes_cipher_parms_ignored():
    """SuiteBProfile other than Off: the effective cipher list is empty (§2.3)."""
    text = GOOD_RULE.replace(
        "  HandshakeRole Server\n",
        "  HandshakeRole Server\n  SuiteBProfile 192\n  TTLSCipherParms\n  {\n"
        "    V3CipherSuites 35\n  }\n",
    )
    p = policy_of(text)
    e = effective(p, p.rules[0])
    assert e.suite_b_profile == "192"
    assert e.v3_ciphers == ()


def test_tls13_on_adds_the_tls13_defaults_to_curves_and_signature_pairs():
    """With TLSv1.3 On, x25519 and the RSASSA-PSS pairs join the defaults (§2.7, [PAS])."""
    text = GOOD_RULE.replace(
        "    Keyring SRV/RING\n  }\n",
        "    Keyring SRV/RING\n  }\n  TTLSEnvironmentAdvancedParms\n  {\n    TLSv1.3 On\n  }\n",
    )
    p = policy_of(text)
    sig = effective(p, p.rules[0]).signature
    assert "0029" in sig["ClientECurves"]
    assert sig["SignaturePairs"][-3:] == ("0806", "0805", "0804")


def test_without_tls13_the_defaults_stay_tls12():
    """TLSv1.3 Off: no TLS 1.3 additions."""
    p = policy_of(GOOD_RULE)
    sig = effective(p, p.rules[0]).signature
    assert "0029" not in sig["ClientECurves"]
