"""Values of any length cost time and memory linear in their size (issue 13 §3)."""

from __future__ import annotations

import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest

from pagent.policy.addresses import FormError, bounded_int, parse_ip_spec, parse_port_spec
from pagent.policy.chain import load_chain
from pagent.policy.lint import lint
from pagent.policy.pasearch import render_ttls
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import decode


def _policy(text: str) -> Policy:
    return load_policy([decode(text.encode(), "p.policy")])


def _two_rules(job1: str, job2: str) -> str:
    return (
        "".join(
            f"TTLSRule r{i}\n{{\n  LocalPortRange 1000\n  Jobname {job}\n"
            "  TTLSGroupActionRef g\n}\n"
            for i, job in ((1, job1), (2, job2))
        )
        + "TTLSGroupAction g\n{\n  TTLSEnabled Off\n}\n"
    )


def test_a_long_jobname_is_linted_in_memory_linear_in_its_length():
    """A 6,000-character Jobname, literal and as a prefix, overlapping: the lint keys of a
    name took memory quadratic in its length (57 MB here; 6.3 GB for 80,000 characters)."""
    job = "A" * 6000
    text = _two_rules(job, job[:-1] + "*")
    tracemalloc.start()
    try:
        policy = _policy(text)
        found = lint(policy)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "L406" in {d.code.id for d in found}  # the overlap is still found
    assert peak < 100 * len(text)


@pytest.mark.parametrize(
    ("job1", "job2", "overlap"),
    [
        ("ABCDEFGHIJKL", "ABCDEFGHIJ*", True),  # a long literal under a long prefix
        ("ABCDEFGHIJKL", "ABCDEFGHIX*", False),  # same first 8 characters, no overlap
        ("ABCDEFGHIJ*", "ABCDEFGHIJKLMN*", True),  # a long prefix extends a shorter one
        ("ABCDEFGHIJ*", "ABCDEFGHIK*", False),
        ("AB*", "ABCDEFGHIJKL", True),
    ],
)
def test_names_longer_than_a_key_are_still_told_apart(job1, job2, overlap):
    """Names that share their first 8 characters share a bucket, not a verdict."""
    found = {d.code.id for d in lint(_policy(_two_rules(job1, job2)))}
    assert ("L406" in found or "L401" in found) is overlap


def test_long_numbers_are_refused_without_converting_them():
    """A number of 5,000 digits is too large, not a ValueError from int()."""
    digits = "9" * 5000
    assert bounded_int(digits, 65535) is None
    assert bounded_int("0" * 5000 + "443", 65535) == 443
    with pytest.raises(FormError):
        parse_port_spec(digits)
    with pytest.raises(FormError):
        parse_port_spec(f"1-{digits}")
    with pytest.raises(FormError):
        parse_ip_spec(digits)
    with pytest.raises(FormError):
        parse_ip_spec(f"10.0.0.0/{digits}")


@pytest.mark.parametrize(
    ("param", "code"),
    [
        ("LocalPortRange", "E111"),
        ("RemoteAddr", "E110"),
        ("Priority", "E109"),
    ],
)
def test_a_rule_value_of_thousands_of_digits_is_a_diagnostic(param, code):
    """The checker reports the value; it does not raise."""
    text = f"TTLSRule r\n{{\n  LocalPortRange 5\n  {param} {'7' * 5000}\n}}\n"
    assert code in {d.code.id for d in _policy(text).diagnostics}


def test_a_time_of_day_of_thousands_of_digits_is_shown_as_written():
    """pasearch shows a time it cannot convert as coded, instead of raising."""
    text = (
        "TTLSRule r\n{\n  LocalPortRange 5\n  IpTimeConditionRef t\n  TTLSGroupActionRef g\n}\n"
        f"IpTimeCondition t\n{{\n  TimeOfDayRange {'1' * 5000}:00-2:00\n  TimeZone UTC\n}}\n"
        "TTLSGroupAction g\n{\n  TTLSEnabled Off\n}\n"
    )
    policy = _policy(text)
    assert policy.rules
    render_ttls(policy, image="TCPIP", now=datetime(2024, 1, 1), instance_id=1)


def test_loglevel_and_interval_of_thousands_of_digits_are_c506(tmp_path: Path):
    """pagent.conf numbers too large to convert are reported and ignored."""
    conf = tmp_path / "etc" / "pagent.conf"
    conf.parent.mkdir()
    conf.write_text(f"LogLevel {'9' * 5000}\nTcpImage TCPIP {'8' * 5000}\n")
    chain = load_chain(conf, tmp_path)
    assert [d.code.id for d in chain.diagnostics].count("C506") == 2
    assert chain.main is not None
    assert chain.main.log_level == 31
