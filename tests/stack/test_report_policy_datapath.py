"""The data path uses the form PAGENT uses (issue 10 §1): the report's policy, set up.

tests/policy/data/report_azf.policy is written after the policy behind the real z/OS 3.1
report: its client environment codes a Ref and then an inline advanced-parms block (the
block is used, whole), and its connection action's cipher list has names on
V3CipherSuites4Char and 1303, which PAGENT leaves out.
"""

from __future__ import annotations

from pathlib import Path

from pagent.policy.effective import effective
from pagent.policy.policy import load_policy
from pagent.policy.source import read_source
from pagent.stack.tlsconfig import build_spec

POLICY = Path(__file__).resolve().parents[1] / "policy" / "data" / "report_azf.policy"

# The seven suites of the report's AZFConnAction1, by OpenSSL name.
SEVEN = {
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-GCM-SHA256",
}


def test_client_environment_uses_the_later_inline_block_and_the_seven_suites():
    policy = load_policy([read_source(POLICY)])
    rule = policy.rule("CPJES2OUT")
    assert rule is not None
    spec = build_spec(effective(policy, rule), None)
    assert spec.side == "client"
    # TLSv1 On (default), TLSv1.1 Off, TLSv1.2 On, TLSv1.3 Off: the inline block, not the Ref.
    assert spec.protocols == ("TLSv1", "TLSv1.2")
    tls12 = {c["name"] for c in spec.context.get_ciphers() if c["protocol"] != "TLSv1.3"}
    assert tls12 == SEVEN
