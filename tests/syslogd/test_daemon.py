"""The daemon: log, route, reload, reopen, close, and logging through structlog."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import structlog
from structlog.testing import CapturingLoggerFactory, LogCapture

import pagent.syslogd as package
from pagent.syslogd import (
    ConfError,
    Facility,
    Priority,
    Syslogd,
    SyslogdLoggerFactory,
    SyslogdRenderer,
    SyslogdTee,
)

REPO = Path(__file__).resolve().parents[2]
START = datetime(2020, 3, 23, 19, 44, 7)
WORKSHOP = [
    "main: EZZ8431I PAGENT STARTING",
    "main: Compiled on Sep 26 2016 at 18:37:59",
    "main: Use environment PAGENT_CONFIG_FILE = '/etc/pagent.conf'",
    "main: List all environment variables:",
    "main: EXPORT '_CEE_ENVFILE_S=DD:STDENV'",
    "main: EXPORT 'LIBPATH=/usr/lib:.'",
    "main: EXPORT 'PAGENT_CONFIG_FILE=/etc/pagent.conf'",
    "main: EXPORT 'PAGENT_LOG_FILE=SYSLOGD'",
    "main: EXPORT 'TZ=EST5EDT'",
    "main: EXPORT 'GSK_TRACE=0xFFFF'",
    "main: using code page 'IBM-1047'",
    "main: Using log level 511",
]


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def _reset_structlog():
    """No test leaks structlog configuration into another."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(name="root")
def fixture_root(tmp_path):
    """An empty system root with an etc/ directory."""
    (tmp_path / "etc").mkdir()
    return tmp_path


@pytest.fixture(name="reports")
def fixture_reports():
    """What syslogd complains about."""
    return []


@pytest.fixture(name="start")
def fixture_start(root, reports):
    """Start a syslogd on ROOT/etc/syslog.conf with the given text; closed after the test."""
    started: list[Syslogd] = []

    def start(conf: str | None, **kwargs) -> Syslogd:
        if conf is not None:
            (root / "etc" / "syslog.conf").write_text(conf, encoding="utf-8")
        kwargs.setdefault("report", reports.append)
        d = Syslogd(root / "etc" / "syslog.conf", root, FakeClock(), "WG31", **kwargs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def agent_log(d: Syslogd, text: str, priority: Priority | str = "info") -> None:
    d.log("daemon", priority, "PAGENT", "TCPIP", 50397215, text, tag="Pagent")


def write_conf(root: Path, text: str) -> None:
    (root / "etc" / "syslog.conf").write_text(text, encoding="utf-8")


# --- The workshop ------------------------------------------------------------------------
def test_workshop_configuration_writes_pagent_start_to_syslogall_log(root, start):
    shutil.copy(REPO / "etc" / "syslog.conf", root / "etc" / "syslog.conf")
    d = start(None)

    for text in WORKSHOP:
        agent_log(d, text)

    got = lines(root / "var" / "syslogd" / "syslogall.log")
    assert [line.split("]: ", 1)[1] for line in got] == WORKSHOP


def test_workshop_configuration_takes_at_tls_debug_records_too(root, start):
    shutil.copy(REPO / "etc" / "syslog.conf", root / "etc" / "syslog.conf")
    d = start(None)

    d.log(Facility.DAEMON, Priority.DEBUG, "TCPIP1", "TCPIP", 83886140, "EZD1283I", tag="TTLS")

    assert len(lines(root / "var" / "syslogd" / "syslogall.log")) == 1


def test_syslogd_creates_its_files_at_start(root, start):
    start("*.* /var/syslogd/syslogall.log\n")

    assert (root / "var" / "syslogd" / "syslogall.log").read_bytes() == b""


def test_record_header_has_the_clock_time_host_user_and_job(root, start):
    d = start("*.* /var/log/all.log\n")

    agent_log(d, "main: EZZ8431I PAGENT STARTING")

    assert lines(root / "var/log/all.log") == [
        "Mar 23 19:44:07 WG31 TCPIP    PAGENT   Pagent[50397215]: main: EZZ8431I PAGENT STARTING"
    ]


def test_without_user_ids_the_header_is_host_and_tag_only(root, start):
    d = start("*.* /var/log/all.log\n", user_ids=False)

    agent_log(d, "main: EZZ8431I PAGENT STARTING")

    assert lines(root / "var/log/all.log") == [
        "Mar 23 19:44:07 WG31 Pagent[50397215]: main: EZZ8431I PAGENT STARTING"
    ]


def test_each_record_takes_the_clock_time_when_logged(root, reports):
    write_conf(root, "*.* /var/log/all.log\n")
    clock = FakeClock()
    d = Syslogd(root / "etc/syslog.conf", root, clock, "WG31", report=reports.append)

    agent_log(d, "one")
    clock.advance(61)
    record = d.log("daemon", "info", "PAGENT", "TCPIP", None, "two")
    d.close()

    assert record.time == START + timedelta(seconds=61)
    assert [line[:15] for line in lines(root / "var/log/all.log")] == [
        "Mar 23 19:44:07",
        "Mar 23 19:45:08",
    ]


def test_log_returns_the_record_as_stamped(start):
    d = start("*.* /var/log/all.log\n")

    record = d.log("auth", "err", "TCPIP1", "TCPIP", 7, "EZD1286I", tag="TTLS")

    assert (record.facility, record.priority, record.host, record.ident) == (
        Facility.AUTH,
        Priority.ERR,
        "WG31",
        "TTLS",
    )


def test_unknown_facility_name_is_refused(start):
    d = start("*.* /var/log/all.log\n")

    with pytest.raises(ValueError, match="unknown facility"):
        d.log("daemons", "info", "PAGENT", "TCPIP", 1, "x")


# --- Routing -----------------------------------------------------------------------------
def test_records_go_to_the_files_whose_rules_take_them(root, start):
    d = start("daemon.info /var/log/daemon.log\nauth.* /var/log/auth.log\n*.err /var/log/err.log\n")

    d.log("daemon", "err", "TCPIP1", "TCPIP", 1, "EZD1286I daemon err", tag="TTLS")
    d.log("auth", "debug", "TCPIP1", "TCPIP", 1, "EZD1283I auth debug", tag="TTLS")
    d.log("daemon", "debug", "TCPIP1", "TCPIP", 1, "EZD1283I daemon debug", tag="TTLS")

    def texts(name: str) -> list[str]:
        return [line.split(": ", 1)[1] for line in lines(root / "var/log" / name)]

    assert texts("daemon.log") == ["EZD1286I daemon err"]
    assert texts("auth.log") == ["EZD1283I auth debug"]
    assert texts("err.log") == ["EZD1286I daemon err"]


def test_record_named_by_two_rules_is_written_once(root, start):
    d = start("*.* /var/log/all.log\ndaemon.* /var/log/all.log\n")

    agent_log(d, "once")

    assert len(lines(root / "var/log/all.log")) == 1


def test_job_name_rule_takes_only_its_jobs(root, start):
    d = start("*.TCPIP*.*.* /var/syslogd/tcpip.log\n")

    d.log("daemon", "info", "TCPIP1", "TCPIP", 1, "stack", tag="TTLS")
    agent_log(d, "agent")

    assert [line.split(": ", 1)[1] for line in lines(root / "var/syslogd/tcpip.log")] == ["stack"]


def test_console_destination_goes_to_the_console_function(root, start):
    console: list[str] = []
    d = start("*.crit /dev/console\n", console=console.append)

    agent_log(d, "main: EZZ8434I PAGENT EXITING ABNORMALLY", "crit")

    assert console == [
        "Mar 23 19:44:07 WG31 TCPIP    PAGENT   Pagent[50397215]: "
        "main: EZZ8434I PAGENT EXITING ABNORMALLY"
    ]
    assert not (root / "dev" / "console").exists()


def test_console_destination_without_a_console_is_a_file_under_the_root(root, start):
    d = start("*.crit /dev/console\n")

    agent_log(d, "main: EZZ8434I PAGENT EXITING ABNORMALLY", "crit")

    assert len(lines(root / "dev" / "console")) == 1


def test_forward_destination_drops_records(root, start):
    d = start("*.* @loghost\n")

    agent_log(d, "x")

    assert sorted(p.name for p in root.iterdir()) == ["etc"]


def test_write_failure_is_reported_once_and_other_files_still_written(root, start, reports):
    (root / "var/log/blocked.log").mkdir(parents=True)
    d = start("*.* /var/log/blocked.log\n*.* /var/log/all.log\n")
    reports.clear()

    agent_log(d, "one")
    agent_log(d, "two")

    assert len(lines(root / "var/log/all.log")) == 2
    assert len(reports) == 1
    assert reports[0].startswith(f"syslogd: cannot write {root / 'var/log/blocked.log'}: ")


# --- Configuration errors and reload ------------------------------------------------------
def test_bad_lines_at_start_are_reported_with_file_and_line_and_the_rest_used(root, start, reports):
    conf = root / "etc" / "syslog.conf"
    d = start("# header\ndaemon.loud /var/log/x.log\n*.* /var/log/all.log\n")

    agent_log(d, "x")

    assert reports == [f"{conf}:2: condition 'daemon.loud': unknown priority 'loud'"]
    assert d.errors == (
        ConfError(str(conf), 2, "condition 'daemon.loud': unknown priority 'loud'"),
    )
    assert len(lines(root / "var/log/all.log")) == 1


def test_missing_configuration_at_start_is_reported_and_records_dropped(root, start, reports):
    d = start(None)

    agent_log(d, "x")

    assert reports == [
        f"{root / 'etc' / 'syslog.conf'}: cannot read the file: No such file or directory"
    ]
    assert d.rules == ()


def test_reload_uses_the_new_rules(root, start):
    d = start("*.* /var/log/old.log\n")
    agent_log(d, "before")
    write_conf(root, "*.* /var/log/new.log\n")

    assert d.reload() == ()

    agent_log(d, "after")
    assert [line.rsplit(" ", 1)[1] for line in lines(root / "var/log/old.log")] == ["before"]
    assert [line.rsplit(" ", 1)[1] for line in lines(root / "var/log/new.log")] == ["after"]


def test_reload_keeps_the_old_rules_when_the_new_file_has_errors(root, start, reports):
    d = start("*.* /var/log/old.log\n")
    conf = root / "etc" / "syslog.conf"
    write_conf(root, "*.* /var/log/new.log\nmail.bogus /var/log/x.log\n")
    reports.clear()

    errors = d.reload()
    agent_log(d, "after")

    assert errors == (ConfError(str(conf), 2, "condition 'mail.bogus': unknown priority 'bogus'"),)
    assert reports == [
        f"{conf}:2: condition 'mail.bogus': unknown priority 'bogus'",
        f"{conf}: 1 error(s), the configuration is unchanged",
    ]
    assert len(lines(root / "var/log/old.log")) == 1
    assert not (root / "var/log/new.log").exists()


def test_reload_keeps_the_old_rules_when_the_file_is_gone(root, start):
    d = start("*.* /var/log/old.log\n")
    (root / "etc" / "syslog.conf").unlink()

    errors = d.reload()
    agent_log(d, "after")

    assert [e.line for e in errors] == [0]
    assert len(lines(root / "var/log/old.log")) == 1


def test_reload_keeps_writing_a_file_both_configurations_name(root, start):
    d = start("*.* /var/log/all.log\n")
    agent_log(d, "before")
    write_conf(root, "*.* /var/log/all.log\nauth.* /var/log/auth.log\n")

    d.reload()
    agent_log(d, "after")

    assert len(lines(root / "var/log/all.log")) == 2


def test_reload_after_a_good_file_clears_the_errors(root, start):
    d = start("bad /var/x\n")
    assert d.errors
    write_conf(root, "*.* /var/log/all.log\n")

    d.reload()

    assert d.errors == ()


# --- Reopen and close --------------------------------------------------------------------
def test_reopen_after_rotation_starts_the_new_file_at_once(root, start):
    """SIGUSR1-style: rotate the file, reopen, the new file exists before any record."""
    d = start("*.* /var/syslogd/syslogall.log\n")
    log = root / "var/syslogd/syslogall.log"
    agent_log(d, "before")
    log.rename(log.with_suffix(".log.1"))

    d.reopen()

    assert log.read_bytes() == b""
    agent_log(d, "after")
    assert [line.rsplit(" ", 1)[1] for line in lines(log)] == ["after"]
    assert [line.rsplit(" ", 1)[1] for line in lines(log.with_suffix(".log.1"))] == ["before"]


def test_deleted_file_is_recreated_by_reopen(root, start):
    d = start("*.* /var/syslogd/syslogall.log\n")
    log = root / "var/syslogd/syslogall.log"
    agent_log(d, "before")
    log.unlink()

    d.reopen()

    assert log.exists()


def test_deleted_file_is_recreated_by_the_next_record(root, start):
    d = start("*.* /var/syslogd/syslogall.log\n")
    log = root / "var/syslogd/syslogall.log"
    agent_log(d, "before")
    log.unlink()

    agent_log(d, "after")

    assert [line.rsplit(" ", 1)[1] for line in lines(log)] == ["after"]


def test_rotation_while_threads_log_loses_nothing(root, start):
    """A thread logs 2,000 records through the daemon while the test renames the file twice."""
    d = start("*.* /var/syslogd/syslogall.log\n")
    log = root / "var/syslogd/syslogall.log"
    progress = {"n": 0}
    renamed = [threading.Event(), threading.Event()]

    def writer() -> None:
        for i in range(2000):
            if i in {1000, 1800}:
                renamed[i // 1800].wait(10)
            agent_log(d, f"r{i:04d}")
            progress["n"] = i + 1

    def wait_for(condition) -> None:
        for _ in range(10_000):
            if condition():
                return
            threading.Event().wait(0.001)
        pytest.fail("the writer stalled")

    thread = threading.Thread(target=writer)
    thread.start()
    for k, at in enumerate((500, 1200)):
        wait_for(lambda at=at: progress["n"] >= at and log.exists())
        log.rename(log.with_suffix(f".log.{k + 1}"))
        renamed[k].set()
    thread.join(30)

    files = [log.with_suffix(".log.1"), log.with_suffix(".log.2"), log]
    texts = [line.rsplit(" ", 1)[1] for f in files for line in lines(f)]
    assert texts == [f"r{i:04d}" for i in range(2000)]
    assert all(lines(f) for f in files)


def test_records_after_close_are_dropped(root, start):
    d = start("*.* /var/log/all.log\n")
    agent_log(d, "before")

    d.close()
    agent_log(d, "after")

    assert len(lines(root / "var/log/all.log")) == 1
    assert d.closed


def test_close_twice_and_reopen_or_reload_after_close_are_harmless(start):
    d = start("*.* /var/log/all.log\n")

    d.close()
    d.close()
    d.reopen()

    assert d.reload() == ()


def test_syslogd_is_a_context_manager_that_closes(root):
    write_conf(root, "*.* /var/log/all.log\n")

    with Syslogd(root / "etc/syslog.conf", root, FakeClock(), "WG31", report=print) as d:
        agent_log(d, "x")

    assert d.closed


# --- structlog -------------------------------------------------------------------------
def configure(d: Syslogd, **renderer) -> None:
    renderer.setdefault("jobname", "PAGENT")
    renderer.setdefault("userid", "TCPIP")
    renderer.setdefault("pid", 50397215)
    renderer.setdefault("tag", "Pagent")
    structlog.configure(
        processors=[structlog.processors.add_log_level, SyslogdRenderer(**renderer)],
        logger_factory=SyslogdLoggerFactory(d),
    )


def test_structlog_event_lands_in_a_syslogd_record(root, start):
    d = start("daemon.info /var/syslogd/syslogall.log\n")
    configure(d)

    structlog.get_logger().info("main: EZZ8431I PAGENT STARTING")

    assert lines(root / "var/syslogd/syslogall.log") == [
        "Mar 23 19:44:07 WG31 TCPIP    PAGENT   Pagent[50397215]: main: EZZ8431I PAGENT STARTING"
    ]


@pytest.mark.parametrize(
    ("method", "priority"),
    [
        ("debug", Priority.DEBUG),
        ("info", Priority.INFO),
        ("warning", Priority.WARNING),
        ("error", Priority.ERR),
        ("exception", Priority.ERR),
        ("critical", Priority.CRIT),
    ],
)
def test_structlog_level_becomes_the_record_priority(method, priority):
    factory = CapturingLoggerFactory()
    structlog.configure(
        processors=[SyslogdRenderer(jobname="PAGENT", userid="TCPIP")], logger_factory=factory
    )

    getattr(structlog.get_logger(), method)("x")

    (call,) = factory.logger.calls
    assert (call.args, call.kwargs["priority"]) == ((), priority)


def test_structlog_renderer_gives_all_arguments_of_log():
    factory = CapturingLoggerFactory()
    structlog.configure(
        processors=[SyslogdRenderer(jobname="PAGENT", userid="TCPIP", pid=9, tag="Pagent")],
        logger_factory=factory,
    )

    structlog.get_logger().warning("policy_reload_failed", errors=2)

    assert factory.logger.calls[0].kwargs == {
        "facility": Facility.DAEMON,
        "priority": Priority.WARNING,
        "jobname": "PAGENT",
        "userid": "TCPIP",
        "pid": 9,
        "text": "policy_reload_failed errors=2",
        "tag": "Pagent",
    }


def test_structlog_bound_syslog_keys_override_the_renderer(root, start):
    d = start("auth.err /var/log/auth.log\n")
    configure(d)
    log = structlog.get_logger().bind(
        syslog_facility="auth", syslog_jobname="TCPIP1", syslog_tag="TTLS", syslog_pid=83886140
    )

    log.error("EZD1286I TTLS Error")

    assert lines(root / "var/log/auth.log") == [
        "Mar 23 19:44:07 WG31 TCPIP    TCPIP1   TTLS[83886140]: EZD1286I TTLS Error"
    ]


def test_structlog_priority_key_overrides_the_level(root, start):
    d = start("*.notice /var/log/notice.log\n")
    configure(d)

    structlog.get_logger().debug("raised", syslog_priority="notice")

    assert len(lines(root / "var/log/notice.log")) == 1


def test_structlog_context_keys_follow_the_event_and_time_and_level_are_dropped(root, start):
    d = start("*.* /var/log/all.log\n")
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            SyslogdRenderer(jobname="PAGENT", userid="TCPIP", tag="Pagent"),
        ],
        logger_factory=SyslogdLoggerFactory(d),
    )

    structlog.get_logger().info("refresh", image="TCPIP1", rules=3)

    (line,) = lines(root / "var/log/all.log")
    assert line.endswith(" Pagent: refresh image='TCPIP1' rules=3")


def test_structlog_tee_writes_the_record_and_passes_the_event_on(root, start):
    d = start("*.* /var/log/all.log\n")
    capture = LogCapture()
    structlog.configure(
        processors=[SyslogdTee(d, jobname="PAGENT", userid="TCPIP", tag="Pagent"), capture]
    )

    structlog.get_logger().info("main: EZZ8431I PAGENT STARTING", image="TCPIP1")

    assert capture.entries == [
        {"event": "main: EZZ8431I PAGENT STARTING", "image": "TCPIP1", "log_level": "info"}
    ]
    assert lines(root / "var/log/all.log")[0].endswith(
        " Pagent: main: EZZ8431I PAGENT STARTING image='TCPIP1'"
    )


# --- The package -------------------------------------------------------------------------
def test_every_public_name_exists():
    assert all(hasattr(package, name) for name in package.__all__)


def test_syslogd_imports_no_other_pagent_layer():
    code = (
        "import sys, pagent.syslogd\n"
        "bad = sorted(m for m in sys.modules if m.startswith('pagent.')"
        " and not m.startswith('pagent.syslogd'))\n"
        "print(bad)"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


# --- Many records at once (issue 13 §1) ----------------------------------------------------
def test_log_many_writes_the_same_lines_as_one_log_call_each(root, start):
    """A batch of records is laid out exactly as the records logged one by one."""
    d = start("*.* /var/one.log\n")
    texts = ["_profile: Processing: 'TTLSRule r1'", "bell\x07", "two\nlines", ""]
    for text in texts:
        agent_log(d, text)
    one_by_one = lines(root / "var" / "one.log")
    (root / "var" / "one.log").unlink()
    d.log_many("daemon", "info", "PAGENT", "TCPIP", 50397215, texts, tag="Pagent")
    assert lines(root / "var" / "one.log") == one_by_one


def test_log_many_with_a_prefix_writes_what_log_writes_of_prefix_and_text(root, start):
    """A prefix (PAGENT's category head) is part of each record, as if in its text."""
    d = start("*.* /var/one.log\n")
    texts = ["Processing: 'TTLSRule r1'", "bell\x07", ""]
    for text in texts:
        agent_log(d, "INFO    :001: " + text)
    one_by_one = lines(root / "var" / "one.log")
    (root / "var" / "one.log").unlink()
    d.log_many(
        "daemon", "info", "PAGENT", "TCPIP", 50397215, texts, tag="Pagent", prefix="INFO    :001: "
    )
    assert lines(root / "var" / "one.log") == one_by_one


def test_log_many_to_the_console_passes_each_record_on(root, start):
    """A console destination gets one call per record, prefix included."""
    seen: list[str] = []
    d = start("*.* /dev/console\n", console=seen.append)
    d.log_many("daemon", "info", "PAGENT", "TCPIP", 1, ["a", "b"], prefix="P: ", printable=True)
    assert [line.rsplit(": ", 1)[1] for line in seen] == ["a", "b"]
    assert all(": P: " in line for line in seen)


def test_log_many_routes_by_priority_and_job_like_log(root, start):
    """Only the files whose rules take the batch's facility, priority and job get it."""
    d = start("*.err /var/err.log\n*.PAGENT.*.* /var/pagent.log\n")
    d.log_many("daemon", "info", "PAGENT", "TCPIP", 1, ["a", "b"])
    d.log_many("daemon", "err", "OTHER", "TCPIP", 1, ["c"])
    assert [line.rsplit(" ", 1)[1] for line in lines(root / "var" / "pagent.log")] == ["a", "b"]
    assert [line.rsplit(" ", 1)[1] for line in lines(root / "var" / "err.log")] == ["c"]


def test_log_many_after_close_drops_the_records(root, start):
    """As with log, a closed daemon drops a batch without complaint."""
    d = start("*.* /var/one.log\n")
    d.close()
    d.log_many("daemon", "info", "PAGENT", "TCPIP", 1, ["a"])
    assert lines(root / "var" / "one.log") == []
