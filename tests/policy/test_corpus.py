"""Every file of ../shared/corpus: the complete ones install, the broken ones fail as PAGENT would.

The expectations come from corpus/MANIFEST.tsv, which says what is wrong with each
broken file; each case names the diagnostics that file must produce.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.policy.check import check_paths
from pagent.policy.policy import load_policy
from pagent.policy.source import decode, read_source

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"

# file -> (exit code of `pagent check`, {(code, line)} that must be among the diagnostics)
EXPECTED: dict[str, tuple[int, set[tuple[str, int]]]] = {
    # Complete files: PAGENT installs them (warnings allowed).
    "seed-appendix-WG31-TCPIP1.policy": (0, set()),
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

POLICIES = sorted(p.name for p in CORPUS.glob("*.policy"))


def test_every_corpus_policy_has_an_expectation():
    """No corpus file is left unchecked."""
    assert sorted(EXPECTED) == POLICIES


@pytest.mark.parametrize("name", POLICIES)
def test_corpus_file_gives_pagents_verdict(name):
    """Each corpus file gets the exit code and the diagnostics its MANIFEST entry implies."""
    want_exit, want = EXPECTED[name]
    report = check_paths([CORPUS / name], None)
    got = {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert want <= got, sorted(got)
    assert report.exit_code() == want_exit


def test_complete_corpus_files_install_every_rule():
    """The complete files lose no rule."""
    for name, (code, _) in EXPECTED.items():
        if code == 0:
            policy = load_policy([read_source(CORPUS / name)])
            assert policy.complete, name
            assert not policy.discarded, name


def test_pasearch_report_is_not_a_policy():
    """The pasearch report in extras/ is no policy: W323 says so, and --strict fails it."""
    report = check_paths([CORPUS / "extras" / "colinpaicemq-EasyATTLS-pasearch-t.report"], None)
    assert ("W323", 2) in {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert report.exit_code(strict=True) == 1


_MUTATIONS = st.sampled_from(["delete", "insert", "replace", "duplicate-line", "drop-line"])
_JUNK = st.sampled_from(
    ["{", "}", "#", '"', " ", "\t", "\n", "\r\n", "\ufeff", "\xb8", "TTLSRule", "Ref", "0", "-",
     ":", "/", "*", "?", "[", "]", "On", "All", "Priority", "x" * 40]
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(POLICIES),
    edits=st.lists(
        st.tuples(_MUTATIONS, st.floats(0, 1, exclude_max=True), _JUNK), min_size=1, max_size=6
    ),
)
def test_mutated_corpus_files_only_give_diagnostics(name, edits):
    """Random edits of real files never raise: every problem becomes a diagnostic."""
    text = (CORPUS / name).read_bytes().decode("utf-8", errors="replace")
    for kind, where, junk in edits:
        if kind in ("duplicate-line", "drop-line"):
            lines = text.split("\n")
            i = int(where * len(lines))
            lines[i : i + 1] = [lines[i], lines[i]] if kind == "duplicate-line" else []
            text = "\n".join(lines)
            continue
        i = int(where * (len(text) + 1))
        if kind == "delete":
            text = text[:i] + text[i + 1 :]
        elif kind == "insert":
            text = text[:i] + junk + text[i:]
        else:
            text = text[:i] + junk + text[i + len(junk) :]
    data = text.encode("utf-8", errors="surrogateescape") + b"\xff"
    policy = load_policy([decode(data, name)])
    for d in policy.diagnostics:
        assert d.loc.line >= 1
        assert d.headline()
