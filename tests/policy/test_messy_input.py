"""The checker on messy input, with the project's own policies (tests/data/policies/).

The files were written for these tests: each gathers constructs that real published
policies exercise (the corpus suite, tests/policy/test_corpus.py, checks those where
the published corpus is present), so that a clone with nothing beside it still tests the checker on
CRLF, BOMs, bytes that are not UTF-8, trailing blanks, tabs, inline blocks, '~' names,
duplicates, repeated parameters, dangling references, unbalanced braces and placeholders.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pagent.policy.check import check_paths
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import read_source
from tests.conftest import DATA
from tests.policy.helpers import EDITS, assert_only_diagnostics, mutate

POLICIES = DATA / "policies"

# file -> (exit code of `pagent check`, {(code, line)} that must be among the diagnostics)
EXPECTED: dict[str, tuple[int, set[tuple[str, int]]]] = {
    # Trailing blanks, lower-case 'trace', a BOM mid-file; no key ring; BOM + stray 'x' at the end.
    "bom-trailing-blanks.policy": (0, {("W310", 15), ("W314", 23)}),
    # Dangling RemotePortRangeRef and TTLSCipherParmsRef; ciphers~Spare is unused.
    "crlf-tilde-dangling.policy": (1, {("E201", 5), ("E201", 24), ("L402", 30)}),
    # Three names defined twice, the last kept; Priority coded twice, the last used.
    "duplicates.policy": (0, {("W303", 7), ("W302", 24), ("W302", 28), ("W302", 33)}),
    # Bytes that are not UTF-8, read as Latin-1.
    "latin1-bytes.policy": (0, {("W313", 1)}),
    # [placeholder] as a port, a quoted phrase as a job name, ?placeholder? as a key ring.
    "placeholders.policy": (1, {("E111", 4), ("L404", 4), ("L404", 5), ("W306", 5), ("L404", 19)}),
    "tabs-inline.policy": (0, set()),
    # The environment action is never closed: the group action appears nested in it.
    "unbalanced-braces.policy": (1, {("E102", 9), ("E113", 16)}),
}


def load(name: str) -> Policy:
    return load_policy([read_source(POLICIES / name)])


def test_every_own_policy_has_an_expectation():
    assert sorted(EXPECTED) == sorted(p.name for p in POLICIES.glob("*.policy"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_own_policy_gives_pagents_verdict(name: str):
    want_exit, want = EXPECTED[name]
    report = check_paths([POLICIES / name], None)
    got = {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert want <= got, sorted(got)
    assert report.exit_code() == want_exit


def test_crlf_line_ends_do_not_shift_lines_or_columns():
    assert b"\r\n" in (POLICIES / "crlf-tilde-dangling.policy").read_bytes()
    (d,) = [d for d in load("crlf-tilde-dangling.policy").diagnostics if d.loc.line == 5]
    assert (d.code.id, d.loc.col) == ("E201", 3)


def test_tilde_names_are_ordinary_names():
    policy = load("crlf-tilde-dangling.policy")
    assert policy.discarded == ("Payroll~Inbound",)


def test_a_dangling_reference_discards_the_rule_and_names_it():
    policy = load("crlf-tilde-dangling.policy")
    assert not policy.rules
    (d,) = [d for d in policy.diagnostics if d.loc.line == 5]
    assert "ports~Missing" in d.message
    assert "Payroll~Inbound is discarded" in d.message


def test_trailing_blanks_are_not_part_of_values():
    policy = load("bom-trailing-blanks.policy")
    (rule,) = policy.rules
    assert rule.name == "Telnet~Rule"


def test_a_bom_in_the_middle_of_a_file_does_not_hide_the_statement_after_it():
    text = (POLICIES / "bom-trailing-blanks.policy").read_text("utf-8")
    assert "\n\ufeffTTLSGroupAction" in text
    policy = load("bom-trailing-blanks.policy")
    assert not policy.discarded  # the rule's TelnetGroup resolved: the BOM was skipped


def test_bytes_that_are_not_utf8_are_read_as_latin1():
    assert b"\xe9" in (POLICIES / "latin1-bytes.policy").read_bytes()
    policy = load("latin1-bytes.policy")
    assert not policy.discarded
    assert any("Caf\u00e9Ring" in repr(s) for s in policy.by_type["TTLSEnvironmentAction"].values())


def test_tabs_and_no_indentation_read_like_blanks():
    policy = load("tabs-inline.policy")
    assert policy.diagnostics == ()
    assert [r.name for r in policy.rules] == ["Files~Outbound"]


def test_inline_address_blocks_make_the_group():
    policy = load("tabs-inline.policy")
    assert policy.complete
    assert not policy.discarded


def test_duplicate_statements_keep_the_last_definition():
    policy = load("duplicates.policy")
    d = [d for d in policy.diagnostics if d.code.id == "W302" and d.loc.line == 24]
    assert d
    assert d[0].related[0][0].line == 11  # the first definition is named


def test_unbalanced_braces_reject_the_whole_policy():
    report = check_paths([POLICIES / "unbalanced-braces.policy"], None)
    assert report.exit_code() == 1
    assert not load("unbalanced-braces.policy").complete


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(name=st.sampled_from(sorted(EXPECTED)), edits=EDITS)
def test_mutated_own_policies_only_give_diagnostics(name: str, edits):
    """Random edits of messy files never raise: every problem becomes a diagnostic."""
    assert_only_diagnostics(mutate((POLICIES / name).read_bytes(), edits), name)


def test_data_is_inside_the_checkout():
    assert Path(POLICIES).is_relative_to(Path(__file__).resolve().parents[2])


def test_a_pasearch_report_is_not_a_policy():
    """pasearch output checked by mistake: W323 says so, and --strict fails it."""
    report = check_paths([DATA / "pasearch-excerpt.report"], None)
    assert ("W323", 1) in {(d.code.id, d.loc.line) for d in report.diagnostics}
    assert report.exit_code(strict=True) == 1
