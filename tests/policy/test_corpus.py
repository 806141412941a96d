"""Every file of the published corpus: the complete ones install, the broken ones fail.

The expectations come from corpus/MANIFEST.tsv, which says what is wrong with each
broken file; each case names the diagnostics that file must produce. The corpus suite
(tests/conftest.py); tests/policy/test_messy_input.py tests the same constructs on the
project's own files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.policy.check import check_paths
from pagent.policy.policy import load_policy
from pagent.policy.source import read_source
from tests.conftest import DEFAULT_POLICY
from tests.policy.helpers import CORPUS_POLICIES, EDITS, assert_only_diagnostics, mutate

pytestmark = pytest.mark.corpus

# file -> (exit code of `pagent check`, {(code, line)} that must be among the diagnostics)
EXPECTED: dict[str, tuple[int, set[tuple[str, int]]]] = {
    # Complete files: PAGENT installs them (warnings allowed).
    "seed-appendix-WG31-TCPIP1.policy": (0, set()),
    "ibm-wsc-zcee-db2-nca-generated.policy": (0, set()),
    "colinpaicemq-EasyATTLS-generated.policy": (0, set()),
    # Empty: on its own it is a policy with no rule (W340); as the ADCD common file it is not.
    "colinpaicemq-ADCD-PAGENTCO-common-empty.policy": (0, {("W340", 1)}),
    "colinpaicemq-ADCD-PAGENTTN-v1.policy": (0, set()),
    # The stray 'h' after the BOM on the last line, and TNEA has no key ring.
    "colinpaicemq-ADCD-PAGENTTN-v2.policy": (0, {("W314", 65), ("W310", 44)}),
    "ibm-debug-for-zos-17.0-attls_policy.policy": (0, set()),
    # Four names defined twice: the last definition is kept, with a warning each.
    "pj892031-attls-example.policy": (
        0,
        {("W302", 98), ("W302", 103), ("W302", 108), ("W302", 113)},
    ),
    "zeditor01-Z25A-ShopZ_Usage-shopz.policy": (0, set()),
    # 'CertificateLabel # comment' on purpose: a keyword with no value.
    "zowe-docs-site-configuring-at-tls-for-zowe-server-full-example.policy": (0, {("W322", 179)}),
    "zowe-zlux-server-framework-fixture-attls-good-complete.policy": (0, set()),
    "zowe-zlux-server-framework-fixture-attls-good-portref.policy": (0, set()),
    # Broken files.
    # Dangling RemotePortRangeRef portR2 and TTLSCipherParmsRef cipher4~Default_NISTCiphers_z196.
    "aididican-MFNET-md-PROC.policy": (1, {("E201", 6), ("E201", 34)}),
    # Unbalanced braces: the environment action is never closed.
    "ibm-debugtool-14.2-attls_policy.policy": (1, {("E102", 13), ("E113", 28)}),
    # Truncated: actions missing; template placeholders for ports and key rings.
    "ibm-mfa-zma210-attls-policy-example-truncated.policy": (
        1,
        {("E111", 5), ("L404", 5), ("E201", 9), ("L404", 39)},
    ),
    # Unknown ClientHandshake; dangling group and address-group references.
    "spinovation-LegacyTel-DEPLOYMENT-indented.policy": (
        1,
        {("W301", 27), ("E201", 3), ("E201", 7)},
    ),
    # Quoted placeholders with blanks; truncated after the group action.
    "zowe-api-layer-issue1135-comment-quoted-placeholders-truncated.policy": (
        1,
        {("E111", 8), ("L404", 8), ("L404", 9), ("E201", 12)},
    ),
    # cipherZSS referenced, cipher~ZSS defined; [placeholders].
    "zowe-docs-site-zss-attls-rule-sample.policy": (1, {("E201", 29), ("L404", 5)}),
    "zowe-docs-site-zss-attls-rule-sample-v1x-trailing-ws.policy": (
        1,
        {("E201", 28), ("L404", 4)},
    ),
}

POLICIES = sorted(EXPECTED)


def test_every_corpus_policy_has_an_expectation(corpus: Path):
    """No corpus file is left unchecked, and the list the other tests use is the corpus'."""
    on_disk = sorted(p.name for p in corpus.glob("*.policy"))
    assert on_disk == POLICIES
    assert sorted(CORPUS_POLICIES) == on_disk


@pytest.mark.parametrize("name", POLICIES)
def test_corpus_file_gives_pagents_verdict(corpus: Path, name: str):
    """Each corpus file gets the exit code and the diagnostics its MANIFEST entry implies."""
    want_exit, want = EXPECTED[name]
    report = check_paths([corpus / name], None)
    got = {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert want <= got, sorted(got)
    assert report.exit_code() == want_exit


def test_complete_corpus_files_install_every_rule(corpus: Path):
    """The complete files lose no rule."""
    for name, (code, _) in EXPECTED.items():
        if code == 0:
            policy = load_policy([read_source(corpus / name)])
            assert policy.complete, name
            assert not policy.discarded, name


def test_embedded_default_policy_is_the_published_appendix(corpus: Path):
    """etc/'s default policy is the seed appendix byte for byte (the tests use the former)."""
    published = (corpus / "seed-appendix-WG31-TCPIP1.policy").read_bytes()
    assert DEFAULT_POLICY.read_bytes() == published


def test_pasearch_report_is_not_a_policy(corpus: Path):
    """The pasearch report in extras/ is no policy: W323 says so, and --strict fails it."""
    report = check_paths([corpus / "extras" / "colinpaicemq-EasyATTLS-pasearch-t.report"], None)
    assert ("W323", 2) in {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert report.exit_code(strict=True) == 1


@settings(
    max_examples=300,
    deadline=None,
    # The corpus fixture is a constant path: nothing to reset between examples.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(name=st.sampled_from(POLICIES), edits=EDITS)
def test_mutated_corpus_files_only_give_diagnostics(corpus: Path, name, edits):
    """Random edits of real files never raise: every problem becomes a diagnostic."""
    assert_only_diagnostics(mutate((corpus / name).read_bytes(), edits), name)
