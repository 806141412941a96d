"""Expectations: what a policy must protect, checked (issue 10 §4)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pagent.cli import main
from pagent.policy.expect import Expectation, ExpectationError, evaluate, parse_expectations
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import read_source

from .helpers import GOOD_RULE

POLICY = Path(__file__).parent / "data" / "expect_zowe.policy"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy([read_source(POLICY)])


def one(text: str) -> Expectation:
    (e,) = parse_expectations(textwrap.dedent(text), "e.toml")
    return e


GATEWAY = """\
[[expect]]
name = "gateway inbound"
direction = "inbound"
local = "10.0.0.1:7554"
remote = "10.0.0.2:40000"
jobname = "ZWE1AG"
userid = "ZWESVUSR"
secure = true
"""


def check(policy: Policy, text: str) -> str:
    (outcome,) = evaluate([("p", policy)], [one(text)])
    return outcome.line()


# --- evaluating --------------------------------------------------------------------------------
def test_protected_connection_passes_naming_rule_and_actions(policy):
    assert check(policy, GATEWAY) == (
        "PASS gateway inbound: rule ZoweInboundMain (actions ZoweGroup, ZoweServerEnv)"
    )


def test_every_optional_check_passes_when_it_holds(policy):
    text = GATEWAY + (
        'rule = "ZoweInboundMain"\nmin_protocol = "TLSv1.2"\nrole = "ServerWithClientAuth"\n'
        'client_auth = "Full"\nkeyring = "ZOWE/ZOWE_RING"\n'
    )
    assert check(policy, text).startswith("PASS gateway inbound: rule ZoweInboundMain")


def test_no_rule_fails_a_secure_expectation(policy):
    text = GATEWAY.replace("10.0.0.1:7554", "10.0.0.1:22")
    assert check(policy, text) == (
        "FAIL gateway inbound: no rule matched: the connection is not protected (clear)"
    )


def test_higher_priority_rule_with_ttls_off_fails_and_says_so(policy):
    text = GATEWAY.replace("7554", "7556")
    assert check(policy, text) == (
        "FAIL gateway inbound: rule ZoweDebugClear with Priority 200 wins and has "
        "TTLSEnabled Off (group action ClearGroup): clear"
    )


def test_expected_rule_that_loses_says_which_wins(policy):
    text = GATEWAY.replace("7554", "7556") + 'rule = "ZoweInboundMain"\n'
    assert check(policy, text) == (
        "FAIL gateway inbound: rule ZoweDebugClear with Priority 200 wins, not "
        "ZoweInboundMain (ZoweInboundMain has Priority 100)"
    )


def test_only_old_tls_fails_min_protocol(policy):
    text = """\
    [[expect]]
    name = "legacy out"
    direction = "outbound"
    local = "10.0.0.1:40000"
    remote = "10.9.9.9:8443"
    secure = true
    min_protocol = "TLSv1.2"
    """
    assert check(policy, text) == (
        "FAIL legacy out: rule LegacyOut (actions ZoweGroup, LegacyEnv): only TLSv1 and "
        "TLSv1.1 left enabled (min_protocol TLSv1.2)"
    )


def test_key_ring_role_and_client_auth_differences_are_named(policy):
    text = GATEWAY + 'keyring = "ZOWE/OTHER"\nrole = "Server"\nclient_auth = "Required"\n'
    line = check(policy, text)
    assert line.startswith("FAIL gateway inbound: rule ZoweInboundMain")
    assert "HandshakeRole is ServerWithClientAuth, not Server" in line
    assert "ClientAuthType is Full, not Required" in line
    assert "the key ring differs: ZOWE/ZOWE_RING, not ZOWE/OTHER" in line


def test_clear_expectation_passes_without_rule_and_fails_when_protected(policy):
    clear = GATEWAY.replace("secure = true", "secure = false")
    assert check(policy, clear.replace("7554", "22")) == "PASS gateway inbound: no rule (clear)"
    assert check(policy, clear.replace("7554", "7556")).startswith(
        "PASS gateway inbound: rule ZoweDebugClear (actions ClearGroup), TTLSEnabled Off"
    )
    assert check(policy, clear).startswith(
        "FAIL gateway inbound: rule ZoweInboundMain with Priority 100 wins and has TTLSEnabled On"
    )


def test_rejected_policy_fails_every_expectation():
    bad = load_policy([read_source(POLICY)])
    from .helpers import policy_of

    rejected = policy_of(GOOD_RULE.replace("HandshakeRole Server", "HandshakeRole Srv"))
    assert rejected.rejected
    (o,) = evaluate([("p", rejected)], [one(GATEWAY)])
    assert not o.passed
    assert "PAGENT would reject this policy" in o.why
    assert bad.rules  # the good policy is untouched


def test_image_selects_the_policy_and_an_unknown_image_fails(policy):
    e = one(GATEWAY + 'image = "TCPIP2"\n')
    (o,) = evaluate([("TCPIP", policy)], [e])
    assert o.line() == "FAIL gateway inbound: no policy for image TCPIP2 (policies: TCPIP)"


# --- reading ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(
            ("secure = true", "secure = 1"), "e.toml:8: key 'secure'", id="secure-not-bool"
        ),
        pytest.param(("10.0.0.1:7554", "10.0.0.1"), "e.toml:4: key 'local'", id="no-port"),
        pytest.param(("inbound", "in"), "e.toml:3: key 'direction'", id="bad-direction"),
        pytest.param(
            ('jobname = "ZWE1AG"', 'jobnme = "ZWE1AG"'), "e.toml:6: key 'jobnme'", id="typo"
        ),
        pytest.param(
            ('name = "gateway inbound"\n', ""), "e.toml:1: [[expect]] has no 'name'", id="missing"
        ),
        pytest.param(("[[expect]]", "[[expect]"), "e.toml:1: not valid TOML", id="toml"),
    ],
)
def test_malformed_file_names_file_line_and_key(change, where):
    with pytest.raises(ExpectationError) as info:
        parse_expectations(GATEWAY.replace(*change), "e.toml")
    assert str(info.value).startswith(where)


def test_protection_keys_on_a_clear_expectation_are_an_error():
    text = GATEWAY.replace("secure = true", "secure = false") + 'min_protocol = "TLSv1.2"\n'
    with pytest.raises(ExpectationError, match=r"e\.toml:9: key 'min_protocol'"):
        parse_expectations(text, "e.toml")


def test_duplicate_names_are_an_error():
    with pytest.raises(ExpectationError, match="used twice"):
        parse_expectations(GATEWAY + "\n" + GATEWAY, "e.toml")


def test_values_are_canonical():
    e = one(GATEWAY + 'min_protocol = "tlsv1.2"\nrole = "serverwithclientauth"\n')
    assert (e.min_protocol, e.role, e.line) == ("TLSv1.2", "ServerWithClientAuth", 1)


# --- the command ----------------------------------------------------------------------------------
def _files(tmp_path: Path, expect: str) -> tuple[str, str]:
    e = tmp_path / "e.toml"
    e.write_text(expect, "utf-8")
    return str(POLICY), str(e)


def test_check_expect_exit_0_when_all_pass(tmp_path, capsys):
    policy, e = _files(tmp_path, GATEWAY)
    assert main(["check", policy, "--expect", e]) == 0
    out = capsys.readouterr().out
    assert "PASS gateway inbound: rule ZoweInboundMain" in out
    assert out.splitlines()[-1] == f"{e}: 1 passed, 0 failed"


def test_check_expect_exit_1_on_any_fail(tmp_path, capsys):
    policy, e = _files(
        tmp_path, GATEWAY + "\n" + GATEWAY.replace("gateway", "debug").replace("7554", "7556")
    )
    assert main(["check", policy, "--expect", e]) == 1
    out = capsys.readouterr().out
    assert "FAIL debug inbound: rule ZoweDebugClear with Priority 200 wins" in out


def test_check_expect_json_gives_each_expectation(tmp_path, capsys):
    policy, e = _files(tmp_path, GATEWAY)
    assert main(["check", policy, "--expect", e, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (x,) = doc["expectations"]
    assert x["passed"] is True
    assert x["rule"] == "ZoweInboundMain"
    assert x["actions"] == ["ZoweGroup", "ZoweServerEnv"]
    assert x["connection"]["local"] == "10.0.0.1:7554"


def test_check_expect_malformed_file_is_usage_error(tmp_path, capsys):
    policy, e = _files(tmp_path, GATEWAY.replace("secure = true", "secure = 1"))
    assert main(["check", policy, "--expect", e]) == 2
    err = capsys.readouterr().err
    assert f"{e}:8: key 'secure': must be true or false" in err


def test_check_expect_missing_file_is_usage_error(tmp_path, capsys):
    assert main(["check", str(POLICY), "--expect", str(tmp_path / "none.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err
