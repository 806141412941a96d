"""File sinks: one flushed line per record, rotation and deletion followed, nothing lost."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from pagent.syslogd import CallbackSink, FileSink, NullSink
from pagent.syslogd import sink as sink_module

RECORDS = 2000


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


@pytest.fixture(name="log")
def fixture_log(tmp_path):
    """The file a sink writes: ROOT/var/syslogd/syslogall.log (its directory not yet there)."""
    return tmp_path / "var" / "syslogd" / "syslogall.log"


@pytest.fixture(name="sink")
def fixture_sink(log):
    """A file sink on ``log``, closed after the test."""
    s = FileSink(log)
    yield s
    s.close()


# --- Writing -----------------------------------------------------------------------------
def test_write_appends_one_line_a_reader_sees_at_once(sink, log):
    sink.write("first")

    assert log.read_bytes() == b"first\n"

    sink.write("second")

    assert log.read_bytes() == b"first\nsecond\n"


def test_write_creates_missing_directories(sink, log):
    assert not log.parent.exists()

    sink.write("x")

    assert log.parent.is_dir()


def test_existing_file_is_appended_to(log):
    log.parent.mkdir(parents=True)
    log.write_text("old\n", encoding="utf-8")
    s = FileSink(log)

    s.write("new")
    s.close()

    assert lines(log) == ["old", "new"]


def test_open_creates_the_file_before_any_record(sink, log):
    sink.open()

    assert log.read_bytes() == b""


def test_text_that_utf8_cannot_encode_is_escaped_not_lost(sink, log):
    sink.write("bad \udcff surrogate")

    assert lines(log) == ["bad \\udcff surrogate"]


def test_file_mode_applies_to_a_created_file(log):
    s = FileSink(log, file_mode=0o600)

    s.open()
    s.close()

    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_directory_mode_applies_to_created_directories(log):
    s = FileSink(log, dir_mode=0o700)

    s.open()
    s.close()

    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.parent.parent.stat().st_mode) == 0o700


def test_file_mode_leaves_an_existing_file_alone(log):
    log.parent.mkdir(parents=True)
    log.write_text("", encoding="utf-8")
    log.chmod(0o644)
    s = FileSink(log, file_mode=0o600)

    s.write("x")
    s.close()

    assert stat.S_IMODE(log.stat().st_mode) == 0o644


# --- Rotation and deletion ---------------------------------------------------------------
def test_record_after_a_rename_lands_in_a_new_file(sink, log):
    sink.write("before")
    log.rename(log.with_suffix(".log.1"))

    sink.write("after")

    assert lines(log.with_suffix(".log.1")) == ["before"]
    assert lines(log) == ["after"]


def test_record_after_a_deletion_lands_in_a_new_file(sink, log):
    sink.write("before")
    log.unlink()

    sink.write("after")

    assert lines(log) == ["after"]


def test_record_after_a_new_file_replaced_the_old_one_lands_in_the_new(sink, log):
    sink.write("before")
    log.rename(log.with_suffix(".log.1"))
    log.write_text("created by logrotate\n", encoding="utf-8")

    sink.write("after")

    assert lines(log) == ["created by logrotate", "after"]


def test_reopen_after_a_rename_creates_the_new_file_at_once(sink, log):
    sink.write("before")
    log.rename(log.with_suffix(".log.1"))

    sink.reopen()

    assert log.read_bytes() == b""

    sink.write("after")

    assert lines(log) == ["after"]
    assert lines(log.with_suffix(".log.1")) == ["before"]


def test_reopen_without_rotation_keeps_appending(sink, log):
    sink.write("one")

    sink.reopen()
    sink.write("two")

    assert lines(log) == ["one", "two"]


def test_record_written_while_the_file_is_deleted_is_written_again(sink, log, monkeypatch):
    sink.write("before")
    real = sink_module._write_all
    deleted: list[bool] = []

    def write_then_delete(fd, data):
        real(fd, data)
        if not deleted:
            deleted.append(True)
            log.unlink()

    monkeypatch.setattr(sink_module, "_write_all", write_then_delete)

    sink.write("racing")

    assert lines(log) == ["racing"]


def test_record_written_while_the_file_is_renamed_stays_in_the_renamed_file(sink, log, monkeypatch):
    sink.write("before")
    rotated = log.with_suffix(".log.1")
    real = sink_module._write_all

    def write_then_rename(fd, data):
        real(fd, data)
        if not rotated.exists():
            log.rename(rotated)

    monkeypatch.setattr(sink_module, "_write_all", write_then_rename)

    sink.write("racing")
    sink.write("after")

    assert lines(rotated) == ["before", "racing"]
    assert lines(log) == ["after"]


def test_rotation_by_rename_while_records_flow_loses_and_repeats_nothing(sink, log):
    """A thread writes 2,000 records while the test renames the file twice."""
    first, second = log.with_suffix(".log.1"), log.with_suffix(".log.2")
    written = 0
    renamed = [threading.Event(), threading.Event()]
    failure: list[BaseException] = []

    def writer() -> None:
        nonlocal written
        try:
            for i in range(RECORDS):
                if i in {1000, 1800}:  # keep records flowing until each rename happened
                    assert renamed[i // 1800].wait(10)
                sink.write(f"record {i:04d}")
                written = i + 1
        except (AssertionError, OSError, ValueError) as exc:  # pragma: no cover - reported below
            failure.append(exc)

    def wait_for(condition) -> None:
        for _ in range(10_000):
            if condition():
                return
            threading.Event().wait(0.001)
        pytest.fail("the writer stalled")

    thread = threading.Thread(target=writer)
    thread.start()
    wait_for(lambda: written >= 500)
    log.rename(first)
    renamed[0].set()
    wait_for(lambda: written >= 1200 and log.exists())
    log.rename(second)
    renamed[1].set()
    thread.join(30)

    assert not failure
    assert not thread.is_alive()
    parts = [lines(first), lines(second), lines(log)]
    assert all(parts), "every file got records"
    assert parts[0] + parts[1] + parts[2] == [f"record {i:04d}" for i in range(RECORDS)]


# --- Closing -----------------------------------------------------------------------------
def test_write_after_close_is_an_error(sink):
    sink.close()

    with pytest.raises(ValueError, match="closed sink"):
        sink.write("x")


def test_closing_twice_is_harmless(sink):
    sink.write("x")
    sink.close()
    sink.close()

    assert sink.closed


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_close_releases_the_file_descriptor(log):
    s = FileSink(log)
    s.write("x")
    fds = len(os.listdir("/proc/self/fd"))

    s.close()

    assert len(os.listdir("/proc/self/fd")) == fds - 1


# --- Other sinks -------------------------------------------------------------------------
def test_callback_sink_hands_each_line_on():
    got: list[str] = []
    s = CallbackSink(got.append)

    s.write("a")
    s.reopen()
    s.write("b")

    assert got == ["a", "b"]


def test_callback_sink_refuses_lines_after_close():
    s = CallbackSink(print)
    s.close()

    with pytest.raises(ValueError, match="closed sink"):
        s.write("x")


def test_null_sink_drops_lines():
    s = NullSink()

    s.write("x")
    s.reopen()
    s.close()
