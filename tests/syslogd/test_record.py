"""The syslogd record and its one-line layout (§7.3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from pagent.syslogd import Facility, Priority, Record, render, timestamp

WHEN = datetime(2020, 3, 23, 19, 44, 7)


def pagent_record(**changes) -> Record:
    record = Record(
        time=WHEN,
        facility=Facility.DAEMON,
        priority=Priority.INFO,
        host="WG31",
        jobname="PAGENT",
        userid="TCPIP",
        pid=50397215,
        text="main: EZZ8431I PAGENT STARTING",
        tag="Pagent",
    )
    return replace(record, **changes)


def test_render_with_user_ids_puts_user_and_job_after_the_host():
    assert render(pagent_record()) == (
        "Mar 23 19:44:07 WG31 TCPIP    PAGENT   Pagent[50397215]: main: EZZ8431I PAGENT STARTING"
    )


def test_render_without_user_ids_is_the_bsd_layout_of_the_reference():
    record = Record(
        time=datetime(2020, 12, 23, 4, 52, 29),
        facility=Facility.DAEMON,
        priority=Priority.INFO,
        host="S0W1",
        jobname="TCPIP1",
        userid="TCPIP",
        pid=83886140,
        text="04:52:29 TCPIP1   EZD1281I TTLS Map   CONNID: 0000003C",
        tag="TTLS",
    )

    assert render(record, user_ids=False) == (
        "Dec 23 04:52:29 S0W1 TTLS[83886140]: "
        "04:52:29 TCPIP1   EZD1281I TTLS Map   CONNID: 0000003C"
    )


def test_workshop_text_is_the_end_of_the_line():
    assert render(pagent_record()).endswith(" main: EZZ8431I PAGENT STARTING")


def test_day_of_month_is_blank_padded():
    assert timestamp(datetime(2011, 4, 8, 16, 29, 37)) == "Apr  8 16:29:37"


def test_month_names_are_english_abbreviations():
    names = [timestamp(datetime(2024, m, 10))[:3] for m in range(1, 13)]

    assert " ".join(names) == "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"


def test_tag_defaults_to_the_job_name():
    assert render(pagent_record(tag=None), user_ids=False) == (
        "Mar 23 19:44:07 WG31 PAGENT[50397215]: main: EZZ8431I PAGENT STARTING"
    )


def test_record_without_pid_shows_the_tag_alone():
    assert render(pagent_record(pid=None), user_ids=False) == (
        "Mar 23 19:44:07 WG31 Pagent: main: EZZ8431I PAGENT STARTING"
    )


def test_line_breaks_in_the_text_become_blanks():
    assert render(pagent_record(text="a\nb\r\nc\u2028d"), user_ids=False).endswith(": a b c d")


def test_control_characters_are_shown_with_a_caret_and_tabs_kept():
    assert render(pagent_record(text="a\x07b\tc\x7f"), user_ids=False).endswith(": a^Gb\tc^?")


def test_text_that_is_printable_is_unchanged():
    text = "EZD1283I TTLS Event GRPID: 00000001 RC:    0 Initial Handshake"

    assert render(pagent_record(text=text)).endswith(": " + text)


@pytest.mark.parametrize("field", ["host", "jobname", "userid", "tag"])
@pytest.mark.parametrize("value", ["", "TWO WORDS"], ids=["empty", "blank"])
def test_record_refuses_names_that_would_break_the_header(field, value):
    with pytest.raises(ValueError, match=field):
        pagent_record(**{field: value})


def test_record_refuses_a_negative_pid():
    with pytest.raises(ValueError, match="pid"):
        pagent_record(pid=-1)


def test_facility_parse_knows_names_and_aliases():
    assert (Facility.parse("Daemon"), Facility.parse("security")) == (
        Facility.DAEMON,
        Facility.AUTH,
    )


def test_facility_parse_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="unknown facility 'kernel'"):
        Facility.parse("kernel")


def test_priority_parse_knows_names_and_aliases():
    assert [Priority.parse(n) for n in ("ERR", "error", "warn", "panic")] == [
        Priority.ERR,
        Priority.ERR,
        Priority.WARNING,
        Priority.EMERG,
    ]


def test_priority_parse_refuses_an_unknown_name():
    with pytest.raises(ValueError, match="unknown priority 'loud'"):
        Priority.parse("loud")


def test_priority_at_least_means_as_severe_or_more():
    assert Priority.CRIT.at_least(Priority.ERR)
    assert Priority.ERR.at_least(Priority.ERR)
    assert not Priority.WARNING.at_least(Priority.ERR)


def test_priority_label_is_the_syslog_conf_name():
    assert [p.label for p in Priority] == [
        "emerg",
        "alert",
        "crit",
        "err",
        "warning",
        "notice",
        "info",
        "debug",
    ]
