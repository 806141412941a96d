"""Routing: which rules take a record, and so which sinks it goes to."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pagent.syslogd import (
    Facility,
    Priority,
    Record,
    Router,
    Rule,
    parse_conf,
    rule_matches,
    selector_matches,
)


def rule(text: str) -> Rule:
    conf = parse_conf(f"{text} /var/x.log\n", path="syslog.conf", root=Path("/r"))
    assert conf.errors == ()
    return conf.rules[0]


def record(
    facility: Facility = Facility.DAEMON,
    priority: Priority = Priority.INFO,
    jobname: str = "PAGENT",
    userid: str = "TCPIP",
) -> Record:
    return Record(datetime(2020, 3, 23), facility, priority, "WG31", jobname, userid, 1, "text")


def takes(text: str, rec: Record) -> bool:
    return rule_matches(rule(text), rec)


def test_star_star_takes_every_facility_and_priority():
    r = rule("*.*")

    assert all(rule_matches(r, record(f, p)) for f in Facility for p in Priority)


def test_priority_takes_itself_and_more_severe():
    assert [takes("*.err", record(priority=p)) for p in Priority] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]


def test_star_priority_takes_debug():
    assert takes("daemon.*", record(priority=Priority.DEBUG))


def test_other_facility_is_not_taken():
    assert not takes("auth.*", record(Facility.DAEMON))


def test_any_of_several_facilities_is_taken():
    assert takes("auth,daemon.info", record(Facility.DAEMON))
    assert not takes("auth,mail.info", record(Facility.DAEMON))


def test_any_condition_of_a_rule_takes_the_record():
    assert takes("auth.err;daemon.info", record(Facility.DAEMON, Priority.INFO))


@pytest.mark.parametrize("conds", ["*.info;daemon.none", "daemon.none;*.info"])
def test_none_excludes_its_facility_whatever_the_order(conds):
    assert not takes(conds, record(Facility.DAEMON, Priority.ERR))
    assert takes(conds, record(Facility.AUTH, Priority.ERR))


def test_rule_with_only_none_takes_nothing():
    assert not takes("daemon.none", record(Facility.DAEMON))


def test_none_condition_alone_never_matches_as_a_selector():
    assert not selector_matches(rule("daemon.none").selectors[0], record(Facility.DAEMON))


def test_user_id_and_job_name_must_both_fit():
    assert takes("TCPIP.PAGENT.daemon.info", record())
    assert not takes("TCPIP.SYSLOGD.daemon.info", record())
    assert not takes("USER1.PAGENT.daemon.info", record())


def test_user_id_and_job_name_compare_without_regard_to_case():
    assert takes("tcpip.pagent.*.*", record())


def test_star_in_job_name_is_a_wildcard():
    assert takes("*.TCPIP*.*.*", record(jobname="TCPIP1"))
    assert takes("*.TCPIP*.*.*", record(jobname="TCPIP"))
    assert not takes("*.TCPIP*.*.*", record(jobname="XTCPIP1"))


def test_none_with_a_job_name_excludes_only_that_job():
    conds = "*.*;*.PAGENT.*.none"

    assert not takes(conds, record(jobname="PAGENT"))
    assert takes(conds, record(jobname="TCPIP1"))


def test_remote_condition_takes_no_local_record():
    assert not takes("(WG31).*.*", record())


def test_router_returns_the_sinks_of_matching_rules_in_rule_order():
    router = Router([(rule("daemon.*"), "a"), (rule("auth.*"), "b"), (rule("*.info"), "c")])

    assert router.route(record(Facility.DAEMON, Priority.INFO)) == ("a", "c")


def test_router_returns_a_sink_once_when_several_rules_name_it():
    sink = ["one sink"]
    router = Router([(rule("daemon.*"), sink), (rule("*.*"), sink)])

    assert router.route(record()) == (sink,)


def test_router_without_rules_returns_no_sinks():
    assert Router[str](()).route(record()) == ()


def test_router_knows_how_many_rules_it_has():
    assert len(Router([(rule("*.*"), "a"), (rule("*.err"), "b")])) == 2
