"""PAGENT's per-statement acceptance rules: one small input for each rule of the language."""

from __future__ import annotations

import pytest

from pagent.policy.addresses import PortSpec
from pagent.policy.statements import TTLSEnvironmentAction, TTLSRule

from .helpers import GOOD_RULE, codes, policy_of


def test_good_policy_has_no_diagnostics():
    """The minimal valid policy of ttls-language.md §9 is accepted silently."""
    p = policy_of(GOOD_RULE)
    assert codes(p) == []
    assert [r.name for r in p.rules] == ["R1"]


# Each case: a policy text, the code expected, and its line. The texts add one fault to a
# valid policy, so the expected diagnostic is the only one (unless listed).
CASES = [
    pytest.param("}\n" + GOOD_RULE, "E101", 1, id="E101-stray-close"),
    pytest.param(
        GOOD_RULE + "TTLSGroupAction G2\n{\n  TTLSEnabled Off\n", "E102", 20, id="E102-unclosed"
    ),
    pytest.param("{\n}\n" + GOOD_RULE, "E103", 1, id="E103-brace-alone"),
    pytest.param(GOOD_RULE + "TTLSRulez X\n{\n}\n", "E104", 20, id="E104-unknown-statement"),
    pytest.param(
        GOOD_RULE + "TTLSGroupAction\n{\n  TTLSEnabled On\n}\n", "E105", 20, id="E105-no-name"
    ),
    pytest.param(
        GOOD_RULE.replace("TTLSGroupAction G\n", "TTLSGroupAction " + "G" * 33 + "\n").replace(
            "TTLSGroupActionRef G\n", "TTLSGroupActionRef " + "G" * 33 + "\n"
        ),
        "E106",
        8,
        id="E106-name-too-long",
    ),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Sideways"), "E107", 4, id="E107-keyword"
    ),
    pytest.param(
        GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  Trace x"),
        "E108",
        11,
        id="E108-not-number",
    ),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Priority 0"),
        "E108",
        5,
        id="E108-priority-range",
    ),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Priority 4294967296"),
        "E109",
        5,
        id="E109-ceiling",
    ),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 8443\n  RemoteAddr 10.0.0.300"),
        "E110",
        4,
        id="E110-address",
    ),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 1-2:3"),
        "E111",
        3,
        id="E111-mixed-delimiters",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "  TTLSGroupActionRef G\n", "  TTLSGroupActionRef G\n  TTLSGroupAction\n  {\n  }\n"
        ),
        "E113",
        6,
        id="E113-inline-action",
    ),
    pytest.param(GOOD_RULE.replace("  Direction Inbound\n", ""), "E114", 1, id="E114-no-direction"),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 8443\n  LocalPortRangeRef P"),
        "E115",
        4,
        id="E115-alternatives",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "    Keyring SRV/RING\n  }\n",
            "    Keyring SRV/RING\n  }\n  TTLSCipherParms\n  {\n    V3CipherSuites 0\n  }\n",
        ),
        "E116",
        21,
        id="E116-odd-hex",
    ),
    pytest.param(GOOD_RULE + "IpAddrGroup AG\n{\n}\n", "E117", 20, id="E117-empty-group"),
]


@pytest.mark.parametrize(("text", "code", "line"), CASES)
def test_each_fault_gives_its_code_at_its_line(text, code, line):
    """The fault is reported with its code and line, and PAGENT would reject or discard."""
    p = policy_of(text)
    assert (code, line) in codes(p), codes(p)
    assert not p.complete


WARNINGS = [
    pytest.param(
        GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  Trase 255"),
        "W301",
        11,
        id="W301-unknown",
    ),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Direction Outbound"),
        "W303",
        5,
        id="W303-repeat",
    ),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound extra"),
        "W304",
        4,
        id="W304-trailing",
    ),
    pytest.param(
        GOOD_RULE.replace("Keyring SRV/RING", "Keyring SRV/RING\n    KeyringStashFile /a b"),
        "W305",
        18,
        id="W305-blank",
    ),
    pytest.param(
        GOOD_RULE.replace("Keyring SRV/RING", 'Keyring "SRV/RING"'), "W306", 17, id="W306-quoted"
    ),
    pytest.param(
        GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  Trace 999"),
        "W307",
        11,
        id="W307-range-unv",
    ),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 8443\n  Jobname lowercase"),
        "W311",
        4,
        id="W311-jobname",
    ),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange All"),
        "W312",
        3,
        id="W312-port-all",
    ),
    pytest.param(GOOD_RULE + "h\n", "W314", 20, id="W314-stray-word"),
    pytest.param(
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound TTLSGroupActionRef G"),
        "W320",
        4,
        id="W320-two-params",
    ),
    pytest.param(
        GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  Trace"),
        "W322",
        11,
        id="W322-no-value",
    ),
    pytest.param(
        GOOD_RULE.replace("TTLSRule R1\n{", "TTLSRule R1 {"), "W309", 1, id="W309-brace-same-line"
    ),
]


@pytest.mark.parametrize(("text", "code", "line"), WARNINGS)
def test_each_tolerated_fault_gives_its_warning(text, code, line):
    """PAGENT accepts these; the checker says what PAGENT silently does."""
    p = policy_of(text)
    assert (code, line) in codes(p), codes(p)
    assert p.complete


def test_repeated_parameter_keeps_the_last_value():
    """Two Port lines in a PortRange: only the last counts (APAR PI40723)."""
    p = policy_of(GOOD_RULE + "PortRange P\n{\n  Port 512\n  Port 514\n}\n")
    pr = p.by_type["PortRange"]["P"]
    assert pr.port == PortSpec(text="514", low=514, high=514)  # type: ignore[attr-defined]


def test_keywords_and_values_are_case_insensitive():
    """tcpImage-style case variants (CLientECurves, TTLSKeyRingParms, ON) are accepted."""
    text = (
        GOOD_RULE.replace("TTLSKeyringParms", "TTLSKeyRingParms")
        .replace("Direction Inbound", "DIRECTION INBOUND")
        .replace("TTLSEnabled On", "ttlsenabled ON")
    )
    p = policy_of(text)
    assert codes(p) == []
    assert p.rules[0].direction == "Inbound"


def test_names_are_case_sensitive():
    """A reference with other case does not resolve, and the hint names the near miss."""
    p = policy_of(GOOD_RULE.replace("TTLSGroupActionRef G", "TTLSGroupActionRef g"))
    assert ("E201", 5) in codes(p)
    assert "did you mean 'G'" in p.diagnostics[0].message


def test_label_with_blank_is_kept_whole():
    """CertificateLabel Zowe Server keeps both words, with W305."""
    text = GOOD_RULE.replace(
        "    Keyring SRV/RING\n  }\n",
        "    Keyring SRV/RING\n  }\n  TTLSEnvironmentAdvancedParms\n  {\n"
        "    CertificateLabel Zowe Server # label\n  }\n",
    )
    p = policy_of(text)
    env = p.by_type["TTLSEnvironmentAction"]["E"]
    assert isinstance(env, TTLSEnvironmentAction)
    assert env.ttls_environment_advanced_parms is not None
    assert env.ttls_environment_advanced_parms.certificate_label == "Zowe Server"
    assert ("W305", 21) in codes(p)


def test_unknown_parameter_suggests_the_nearest_keyword():
    """A misspelling names the keyword that was probably meant."""
    p = policy_of(GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  CtraceClearTxt On"))
    assert "did you mean CtraceClearText?" in p.diagnostics[0].message


def test_every_object_keeps_its_source_location():
    """Statements and their parameters know file, line and column."""
    p = policy_of(GOOD_RULE)
    rule = p.rules[0]
    assert isinstance(rule, TTLSRule)
    assert (rule.loc.path, rule.loc.line, rule.loc.col) == ("f0.policy", 1, 1)
    assert rule.locs["Direction"].line == 4
    assert rule.locs["Direction"].col == 3


def test_inline_block_may_be_unnamed_or_named():
    """Inline TTLSKeyringParms may carry a name; that name is not referenceable."""
    text = GOOD_RULE.replace("  TTLSKeyringParms\n", "  TTLSKeyringParms inner\n")
    p = policy_of(
        text
        + "TTLSEnvironmentAction E2\n{\n  HandshakeRole Client\n  TTLSKeyringParmsRef inner\n}\n"
    )
    assert ("E202", 23) in codes(p)


MORE = [
    pytest.param(GOOD_RULE + 'Jobname "abc\n', "E100", 20, id="E100-unclosed-quote"),
    pytest.param(
        GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  TTLSGroupAdvancedParmsRef X"),
        "E201",
        11,
        id="E201-dangling",
    ),
    pytest.param(
        GOOD_RULE.replace("  TTLSEnvironmentActionRef E\n", ""), "E203", 1, id="E203-no-environment"
    ),
    pytest.param(
        GOOD_RULE.replace("  LocalPortRange 8443\n", ""), "E204", 1, id="E204-no-condition"
    ),
]


@pytest.mark.parametrize(("text", "code", "line"), MORE)
def test_more_faults_give_their_codes(text, code, line):
    """Syntax, reference and rule faults each have their code."""
    p = policy_of(text)
    assert (code, line) in codes(p), codes(p)
    assert not p.complete


MORE_WARNINGS = [
    pytest.param(
        GOOD_RULE.replace("    Keyring SRV/RING\n", ""), "W310", 15, id="W310-empty-keyring"
    ),
    pytest.param(
        GOOD_RULE.replace(
            "  HandshakeRole Server\n",
            "  HandshakeRole Server\n  SuiteBProfile 128\n  TTLSCipherParmsRef C\n",
        )
        + "TTLSCipherParms C\n{\n  V3CipherSuites 35\n}\n",
        "W315",
        15,
        id="W315-suiteb",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "    Keyring SRV/RING\n  }\n",
            "    Keyring SRV/RING\n  }\n  TTLSEnvironmentAdvancedParms\n  {\n"
            "    ClientMaxSSLFragmentLength 512\n  }\n",
        ),
        "W316",
        21,
        id="W316-dependent",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "    Keyring SRV/RING\n  }\n",
            "    Keyring SRV/RING\n  }\n  TTLSGskLdapParms\n  {\n"
            "    GSK_LDAP_SERVER ldap.example\n  }\n",
        ),
        "W317",
        19,
        id="W317-older-placement",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "Keyring SRV/RING",
            "Keyring /u/k.kdb\n    KeyringPw secret\n    KeyringStashFile /u/k.sth",
        ),
        "W318",
        19,
        id="W318-pw-and-stash",
    ),
    pytest.param(
        GOOD_RULE
        + "TTLSGskLdapParms L\n{\n  GSK_LDAP_SERVER ldap.example\n  GSK_LDAP_USER cn=x\n}\n",
        "W319",
        20,
        id="W319-user-without-pw",
    ),
    pytest.param(
        GOOD_RULE.replace(
            "  Direction Inbound\n",
            "  Direction Inbound\n  IpTimeCondition\n  {\n    DayOfWeekMask 11\n  }\n",
        ),
        "W321",
        7,
        id="W321-mask-length",
    ),
    pytest.param("policyRule: X\n  Rule Type: TTLS\n", "W323", 1, id="W323-not-a-policy"),
    pytest.param(
        GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 8443\n  Jobname [job]"),
        "L404",
        4,
        id="L404-placeholder",
    ),
]


@pytest.mark.parametrize(("text", "code", "line"), MORE_WARNINGS)
def test_more_tolerated_faults_give_their_warnings(text, code, line):
    """Each warning code has its small input."""
    p = policy_of(text)
    assert (code, line) in codes(p), codes(p)


def test_non_utf8_byte_gives_w313_and_latin1_text():
    """A byte that is not UTF-8 is read as Latin-1 and reported on its line."""
    from pagent.policy.policy import load_policy
    from pagent.policy.source import decode

    data = GOOD_RULE.replace("Keyring SRV/RING", "Keyring SRV/RING\xb8").encode("latin-1")
    p = load_policy([decode(data, "x.policy")])
    assert ("W313", 17) in codes(p)


def test_time_of_day_with_several_intervals_is_one_value():
    """TimeOfDayRange 0-8:30, 17:30-24 keeps both intervals and gives no W304."""
    text = GOOD_RULE.replace(
        "  Direction Inbound\n",
        "  Direction Inbound\n  IpTimeCondition\n  {\n    TimeOfDayRange 0-8:30, 17:30-24\n  }\n",
    )
    p = policy_of(text)
    assert codes(p) == []
    cond = p.rules[0].ip_time_condition
    assert cond is not None
    assert cond.time_of_day_range == "0-8:30, 17:30-24"


def test_non_ascii_digits_are_not_numbers():
    """'²' is not a number (str.isdigit would say so): E108, no crash."""
    p = policy_of(GOOD_RULE.replace("TTLSEnabled On", "TTLSEnabled On\n  Trace \u00b2"))
    assert ("E108", 11) in codes(p)


def test_client_ecurves_any_with_curves_is_an_error():
    """ClientECurves Any with explicit curves is E116 (§2.7, C10)."""
    text = GOOD_RULE.replace(
        "    Keyring SRV/RING\n  }\n",
        "    Keyring SRV/RING\n  }\n  TTLSSignatureParms\n  {\n    ClientECurves Any\n"
        "    ClientECurves 0023\n  }\n",
    )
    assert ("E116", 22) in codes(policy_of(text))


def test_port_range_without_port_is_a_warning():
    """PortRange with no Port: W324, since the requirement is unconfirmed (§3.4)."""
    p = policy_of(GOOD_RULE + "PortRange P\n{\n}\n")
    assert ("W324", 20) in codes(p)
