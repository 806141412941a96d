"""syslog.conf: rules, conditions, destinations, options and the errors of bad lines (§7.2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.syslogd import (
    ConfError,
    Facility,
    FileDest,
    ForwardDest,
    Priority,
    Selector,
    SyslogConf,
    load_conf,
    parse_conf,
    zos_path,
)

REPO = Path(__file__).resolve().parents[2]
CONF = "/etc/syslog.conf"


def conf_of(text: str, root: Path = Path("/root")) -> SyslogConf:
    return parse_conf(text, path=CONF, root=root)


def only_selector(text: str) -> Selector:
    conf = conf_of(f"{text} /var/log/x.log\n")
    assert conf.errors == ()
    (rule,) = conf.rules
    (selector,) = rule.selectors
    return selector


def error_of(line: str) -> str:
    conf = conf_of(line + "\n")
    assert conf.rules == ()
    (error,) = conf.errors
    return str(error)


# --- The workshop's configuration --------------------------------------------------------
def test_embedded_default_sends_everything_to_syslogall_log(tmp_path):
    conf = load_conf(REPO / "etc" / "syslog.conf", tmp_path)

    assert conf.errors == ()
    (rule,) = conf.rules
    assert rule.selectors == (Selector(None, Priority.DEBUG),)
    assert rule.destination == FileDest(
        "/var/syslogd/syslogall.log", tmp_path / "var" / "syslogd" / "syslogall.log"
    )


def test_star_star_is_every_facility_at_every_priority():
    assert only_selector("*.*") == Selector(facilities=None, priority=Priority.DEBUG)


# --- Lines that are not rules ------------------------------------------------------------
def test_blank_and_comment_lines_give_no_rules():
    conf = conf_of("\n   \n# a comment\n\t# indented comment\n")

    assert (conf.rules, conf.errors) == ((), ())


def test_comment_after_a_rule_is_ignored():
    conf = conf_of("daemon.err /var/log/err.log   # errors only\n")

    assert conf.errors == ()
    assert conf.rules[0].destination == FileDest("/var/log/err.log", Path("/root/var/log/err.log"))


def test_hash_inside_a_word_is_not_a_comment():
    conf = conf_of("*.* /var/log/a#b.log\n")

    assert conf.rules[0].destination == FileDest("/var/log/a#b.log", Path("/root/var/log/a#b.log"))


def test_rule_records_its_line_number():
    conf = conf_of("# head\n\n*.err /var/log/e.log\n")

    assert conf.rules[0].line == 3


def test_condition_and_destination_may_be_separated_by_tabs():
    conf = conf_of("auth.*\t\t/tmp/syslog.auth.log\n")

    assert conf.rules[0].selectors == (Selector(frozenset({Facility.AUTH}), Priority.DEBUG),)


# --- Conditions --------------------------------------------------------------------------
def test_facility_priority_condition():
    assert only_selector("daemon.err") == Selector(frozenset({Facility.DAEMON}), Priority.ERR)


def test_names_are_read_without_regard_to_case():
    assert only_selector("DAEMON.Err") == Selector(frozenset({Facility.DAEMON}), Priority.ERR)


def test_bsd_aliases_are_accepted():
    assert only_selector("security.warn") == Selector(frozenset({Facility.AUTH}), Priority.WARNING)


def test_several_facilities_joined_by_commas():
    assert only_selector("mail,news.err").facilities == frozenset({Facility.MAIL, Facility.NEWS})


def test_none_priority_makes_an_excluding_condition():
    selector = only_selector("mail.none")

    assert selector.excludes
    assert selector.priority is None


def test_semicolons_separate_conditions():
    conf = conf_of("*.info;mail.none;auth.debug /var/log/x.log\n")

    assert conf.rules[0].selectors == (
        Selector(None, Priority.INFO),
        Selector(frozenset({Facility.MAIL}), None),
        Selector(frozenset({Facility.AUTH}), Priority.DEBUG),
    )


def test_userid_and_jobname_qualify_a_local_condition():
    assert only_selector("USER1.PAGENT.daemon.info") == Selector(
        frozenset({Facility.DAEMON}), Priority.INFO, userid="USER1", jobname="PAGENT"
    )


def test_wildcards_in_userid_and_jobname_are_kept_as_patterns():
    selector = only_selector("*.TCPIP*.*.*")

    assert (selector.userid, selector.jobname) == ("*", "TCPIP*")
    assert (selector.facilities, selector.priority) == (None, Priority.DEBUG)


def test_hostspec_makes_a_remote_condition():
    assert only_selector("(host1.example.com).auth.err") == Selector(
        frozenset({Facility.AUTH}), Priority.ERR, hostspec="host1.example.com"
    )


# --- Destinations ------------------------------------------------------------------------
def test_file_destination_maps_under_the_root(tmp_path):
    conf = conf_of("*.* /var/syslogd/all.log\n", tmp_path)

    assert conf.rules[0].destination == FileDest(
        "/var/syslogd/all.log", tmp_path / "var/syslogd/all.log"
    )


def test_dot_dot_cannot_climb_above_the_root(tmp_path):
    assert zos_path("/../../var/x.log", tmp_path) == tmp_path / "var/x.log"


def test_dev_console_is_a_console_destination():
    dest = conf_of("*.crit /dev/console\n").rules[0].destination

    assert isinstance(dest, FileDest)
    assert dest.is_console


def test_at_host_is_a_forward_destination():
    assert conf_of("*.err @loghost\n").rules[0].destination == ForwardDest("loghost")


# --- Options -----------------------------------------------------------------------------
def test_options_give_modes_archive_qualifier_and_empty_flag():
    rule = conf_of("*.* /var/log/x.log -F 640 -D 0750 -N SYSLOG -X\n").rules[0]

    assert (rule.file_mode, rule.dir_mode) == (0o640, 0o750)
    assert (rule.archive, rule.empty_on_archive) == ("SYSLOG", True)


def test_no_options_leave_defaults():
    rule = conf_of("*.* /var/log/x.log\n").rules[0]

    assert (rule.file_mode, rule.dir_mode, rule.archive, rule.empty_on_archive) == (
        None,
        None,
        None,
        False,
    )


# --- Errors ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param(
            "daemn.err /var/x", "condition 'daemn.err': unknown facility 'daemn'", id="facility"
        ),
        pytest.param(
            "daemon.eror /var/x", "condition 'daemon.eror': unknown priority 'eror'", id="priority"
        ),
        pytest.param(
            "a.daemon.err /var/x",
            "condition 'a.daemon.err' has 3 parts: expected facility.priority"
            " or userid.jobname.facility.priority",
            id="three-parts",
        ),
        pytest.param(
            "daemon /var/x",
            "condition 'daemon' has 1 parts: expected facility.priority"
            " or userid.jobname.facility.priority",
            id="one-part",
        ),
        pytest.param("daemon.err", "rule 'daemon.err' has no destination", id="no-destination"),
        pytest.param(
            "*.* var/x.log",
            "destination 'var/x.log' is not an absolute path, /dev/console or @host",
            id="relative-destination",
        ),
        pytest.param(
            "*.* //'SYS1.LOG'",
            "destination '//'SYS1.LOG'': MVS data sets are not supported, give a file",
            id="data-set-destination",
        ),
        pytest.param("*.* /", "destination '/' is a directory", id="root-destination"),
        pytest.param("*.* @", "destination '@' names no host", id="empty-host"),
        pytest.param(
            "*.* /var/x -Q 1", "unknown option '-Q' (expected -F, -D, -N or -X)", id="option"
        ),
        pytest.param(
            "*.* /var/x -F rw",
            "option -F needs an octal mode such as 640, not 'rw'",
            id="mode",
        ),
        pytest.param("*.* /var/x -F 640 -F 600", "option -F given twice", id="option-twice"),
        pytest.param("*.* /var/x -N", "option -N needs a value", id="option-value"),
        pytest.param("*.* /var/x -N -X", "option -N needs a value", id="option-value-is-option"),
        pytest.param(
            "*.* @loghost -F 640",
            "option -F applies to file destinations only",
            id="mode-on-forward",
        ),
        pytest.param("*.err;;auth.* /var/x", "empty condition in '*.err;;auth.*'", id="empty"),
        pytest.param(
            "*,mail.err /var/x",
            "condition '*,mail.err': '*' cannot be listed with other facilities",
            id="star-in-list",
        ),
        pytest.param(
            "*.=info /var/x",
            "condition '*.=info': '=' before a priority is not supported",
            id="equals-priority",
        ),
        pytest.param(
            "USER1.LONGJOBNAME.*.* /var/x",
            "condition 'USER1.LONGJOBNAME.*.*': 'LONGJOBNAME' is not a job name"
            " (1 to 8 of A-Z 0-9 @ # $, or *)",
            id="long-job-name",
        ),
        pytest.param(
            "US-R.JOB.*.* /var/x",
            "condition 'US-R.JOB.*.*': 'US-R' is not a user ID (1 to 8 of A-Z 0-9 @ # $, or *)",
            id="bad-user-id",
        ),
        pytest.param(
            "(h).a.b.c /var/x",
            "condition '(h).a.b.c': expected (hostspec).facility.priority",
            id="hostspec-parts",
        ),
        pytest.param(
            "BeginArchiveParms",
            "'BeginArchiveParms' statements are not supported",
            id="archive-parms",
        ),
    ],
)
def test_bad_line_gives_an_error_naming_file_and_line(line, message):
    assert error_of(line) == f"{CONF}:1: {message}"


def test_bad_line_is_left_out_and_the_others_stand():
    conf = conf_of("*.err /var/e.log\nfoo.bar /var/x\n*.info /var/i.log\nmail /var/y\n")

    assert [r.line for r in conf.rules] == [1, 3]
    assert [(e.line, e.path) for e in conf.errors] == [(2, CONF), (4, CONF)]
    assert not conf.ok


def test_unreadable_file_gives_one_error_without_a_line(tmp_path):
    missing = tmp_path / "etc" / "syslog.conf"

    conf = load_conf(missing, tmp_path)

    assert conf.rules == ()
    assert [str(e) for e in conf.errors] == [
        f"{missing}: cannot read the file: No such file or directory"
    ]


def test_file_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "syslog.conf"
    path.write_bytes(b"*.* /var/a.log\n*.err /var/\xff.log\n")

    conf = load_conf(path, tmp_path)

    assert conf.errors == (ConfError(str(path), 2, "not UTF-8 text"),)


def test_conf_error_renders_as_path_line_message():
    assert str(ConfError("/etc/syslog.conf", 7, "boom")) == "/etc/syslog.conf:7: boom"
