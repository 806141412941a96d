"""The merged policy: an empty policy file is never installed in silence (issue 13 §10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.policy.check import check_paths
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy, load_policy, removes_every_rule
from pagent.policy.source import decode

from .helpers import GOOD_RULE


def _policy(*texts: str) -> Policy:
    return load_policy(decode(t.encode(), f"f{i}.policy") for i, t in enumerate(texts))


def _w340(policy: Policy) -> list[tuple[str, int]]:
    return [(d.loc.path, d.loc.line) for d in policy.diagnostics if d.code.id == "W340"]


@pytest.mark.parametrize("text", ["", "\n\n", "# a comment only\n", "\ufeff\r\n", "# caf\xe9\n"])
def test_an_empty_policy_file_warns_that_every_rule_is_removed(text):
    policy = _policy(text)
    [d] = [d for d in policy.diagnostics if d.code.id == "W340"]
    assert d.loc == ("f0.policy", 1, 1)
    assert "removing every AT-TLS rule" in d.message
    assert d.severity.value == "warning"
    assert policy.complete  # a warning: PAGENT installs it, which is the danger


def test_a_file_with_statements_or_strays_is_not_empty():
    assert _w340(_policy(GOOD_RULE)) == []
    assert _w340(_policy("stray\n")) == []  # W323 says it already


def test_an_empty_common_file_before_an_image_file_with_rules_is_not_reported():
    """The ADCD placeholder (corpus PAGENTCO) loses nothing."""
    assert _w340(_policy("", GOOD_RULE)) == []


def test_an_empty_image_file_after_a_common_file_with_rules_is_reported():
    policy = _policy(GOOD_RULE, "")
    assert _w340(policy) == [("f1.policy", 1)]
    [d] = [d for d in policy.diagnostics if d.code.id == "W340"]
    assert "only the CommonTTLSConfig" in d.message


def test_both_files_empty_are_both_reported():
    assert _w340(_policy("", "")) == [("f0.policy", 1), ("f1.policy", 1)]


def test_a_refresh_to_an_empty_file_warns_through_the_cache():
    """The service's PolicyCache gives the same W340 as a full build."""
    cache = PolicyCache()
    cache.load([decode(GOOD_RULE.encode(), "p")])
    emptied = cache.load([decode(b"", "p")])
    assert [d.code.id for d in emptied.diagnostics] == ["W340"]


def test_removes_every_rule_compares_installed_and_new():
    full, empty = _policy(GOOD_RULE), _policy("")
    assert removes_every_rule(full, empty)
    assert not removes_every_rule(None, empty)  # nothing was installed
    assert not removes_every_rule(empty, empty)
    assert not removes_every_rule(full, full)


def test_check_of_a_chain_with_an_empty_image_policy_warns(tmp_path: Path):
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "common").write_text(GOOD_RULE)
    (etc / "own").write_text("")
    conf = etc / "pagent.conf"
    conf.write_text("TTLSConfig /etc/own\nCommonTTLSConfig /etc/common\n")
    report = check_paths([conf], tmp_path)
    found = [(d.code.id, Path(d.loc.path).name) for d in report.diagnostics]
    assert [x for x in found if x[0] != "L403"] == [("W340", "own")]
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1
