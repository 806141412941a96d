"""Scripted console sessions (issue 4 §3): the script parser, and sessions against a real
service for every exit code, piped input, WAIT and --json."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from console.script import (
    DEFAULT_WAIT,
    MAX_WAIT,
    Command,
    Runner,
    ScriptError,
    Wait,
    echo,
    parse_line,
    parse_script,
)
from console.session import connect
from tests.console.conftest import CONSOLE, Service, console

# --- the parser -----------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["", "   ", "\t\n", "# a comment", "   # indented comment"])
def test_blank_lines_and_comments_are_skipped(line):
    assert parse_line(line, "f:1") is None


def test_a_command_is_kept_as_typed_without_surrounding_blanks():
    assert parse_line("  d tcpip,,n,config  \r\n", "f:3") == Command("d tcpip,,n,config", "f:3")


def test_a_hash_inside_a_command_is_no_comment():
    assert parse_line("D TCPIP # why", "f:1") == Command("D TCPIP # why", "f:1")


@pytest.mark.parametrize(
    ("line", "msgid", "seconds"),
    [
        ("WAIT EZD1586I", "EZD1586I", DEFAULT_WAIT),
        ("wait ezd1586i 5", "EZD1586I", 5.0),
        ("WAIT $HASP373 0.5", "$HASP373", 0.5),
        ("  Wait  EZAOP50I\t1.  ", "EZAOP50I", 1.0),
        ("WAIT FSUM1252 .25", "FSUM1252", 0.25),
        ("WAIT EZD1586I 0", "EZD1586I", 0.0),
    ],
)
def test_wait_forms(line, msgid, seconds):
    step = parse_line(line, "-c 2")
    assert isinstance(step, Wait)
    assert (step.msgid, step.seconds, step.where) == (msgid, seconds, "-c 2")
    assert step.text == line.strip()


def test_default_wait_is_30_seconds():
    assert DEFAULT_WAIT == 30.0


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("WAIT", "takes a message ID"),
        ("WAIT EZD1586I 5 6", "takes a message ID"),
        ("WAIT 30", "no message ID"),
        ("WAIT 30 EZD1586I", "no message ID"),
        ("WAIT PAGENT", "no message ID"),
        ("WAIT EZD1586I abc", "no number of seconds"),
        ("WAIT EZD1586I -1", "no number of seconds"),
        ("WAIT EZD1586I 1e3", "no number of seconds"),
    ],
)
def test_a_bad_wait_line_is_a_script_error_naming_its_place(line, says):
    with pytest.raises(ScriptError, match=says) as exc:
        parse_line(line, "s.txt:7")
    assert str(exc.value).startswith("s.txt:7: ")


def test_waiting_is_no_verb_prefix():
    """WAITING or WAIT,X is a command (the service answers IEE305I), not a WAIT."""
    assert parse_line("WAITING EZD1586I", "f:1") == Command("WAITING EZD1586I", "f:1")
    assert parse_line("WAIT,EZD1586I", "f:1") == Command("WAIT,EZD1586I", "f:1")


def test_parse_script_labels_lines_by_source():
    lines = ["# start it", "S PAGENT", "", "WAIT EZD1586I 10", "D TCPIP"]
    steps = parse_script(lines, "setup.txt")
    assert [step.where for step in steps] == ["setup.txt:2", "setup.txt:4", "setup.txt:5"]
    assert [step.where for step in parse_script(["D TCPIP", "# x", "XYZ"], "-c")] == [
        "-c 1",
        "-c 3",
    ]


def test_parse_script_stops_at_the_first_bad_line():
    with pytest.raises(ScriptError, match=r"^f:3: "):
        parse_script(["D TCPIP", "S PAGENT", "WAIT", "WAIT 5"], "f")


def test_echo_folds_outside_quotes_only():
    assert echo("v tcpip,,obey,'sys1.x(y)' note") == "V TCPIP,,OBEY,'sys1.x(y)' NOTE"
    assert echo("d tcpip") == "D TCPIP"


# --- sessions against a real service: exit codes --------------------------------------------------


@pytest.mark.e2e
def test_exit_0_when_every_command_succeeds(service: Service):
    done = console(service.root, "-c", "D TCPIP", "-c", "d tcpip,,n,config")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The console log layout of the workshop: the command line, then its response lines.
    assert lines[0] == "D TCPIP"
    assert lines[1].startswith("EZAOP50I TCPIP STATUS REPORT ")
    assert "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY" in lines
    at = lines.index("D TCPIP,,N,CONFIG")
    assert lines[at + 1].startswith("EZD0101I NETSTAT CS V2R3 TCPIP1 ")
    assert done.stderr == ""


@pytest.mark.e2e
def test_exit_1_when_a_command_is_rejected_and_the_session_goes_on(service: Service):
    done = console(service.root, "-c", "XYZ", "-c", "D TCPIP")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[:2] == ["XYZ", "IEE305I XYZ      COMMAND INVALID"]
    assert "D TCPIP" in lines  # kept going
    assert "-c 1: XYZ: rejected" in done.stderr


@pytest.mark.e2e
def test_exit_1_for_a_failed_command(service: Service):
    """A second S PAGENT is accepted but fails (the copy refuses to run): status failed."""
    done = console(
        service.root, "--json", "-c", "S PAGENT", "-c", "WAIT EZD1586I 10", "-c", "S PAGENT"
    )
    assert done.returncode == 1, done.stderr
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    assert statuses == ["ok", "ok", "failed"]


@pytest.mark.e2e
def test_exit_1_for_not_active(service: Service):
    done = console(service.root, "-c", "F PAGENT,QUERY")
    assert done.returncode == 1
    assert "IEE341I PAGENT NOT ACTIVE" in done.stdout.splitlines()


@pytest.mark.e2e
def test_mvs_command_syntax_responses(service: Service):
    """Issue 4 §2 through a session: abbreviations, any case, quoted operands, IEE305I for
    an unknown verb or malformed command, IEE535I for a bad operand, IEE341I NOT ACTIVE."""
    cases = {
        "display tcpip": ("ok", "EZAOP50I"),
        "D TCPIP,,NETSTAT,CONFIG": ("ok", "EZD0101I"),
        "V TCPIP,,OBEY,'SYS1.TCPPARMS(NOTTLS)'": ("ok", "EZZ0060I"),
        "S,PAGENT": ("rejected", "IEE305I"),
        "D TCPIP,TCPIP1": ("rejected", "IEE305I"),
        "V TCPIP,,OBEY,'SYS1.TCPPARMS(TTLS)": ("rejected", "IEE305I"),
        "D FOO": ("rejected", "IEE535I"),
        "P PAGENT": ("rejected", "IEE341I"),
        "modify pagent,refresh": ("rejected", "IEE341I"),
    }
    args = [arg for command in cases for arg in ("-c", command)]
    done = console(service.root, "--json", *args)
    assert done.returncode == 1
    got = {
        obj["command"]: (obj["status"], obj["messages"][0]["text"].split()[0])
        for obj in map(json.loads, done.stdout.splitlines())
    }
    assert got == cases


@pytest.mark.e2e
def test_exit_2_when_a_wait_times_out_and_the_session_stops(service: Service):
    start = time.monotonic()
    done = console(service.root, "-c", "WAIT EZD1586I 1", "-c", "D TCPIP")
    took = time.monotonic() - start
    assert done.returncode == 2
    assert "-c 1: WAIT EZD1586I 1: no EZD1586I within 1 s" in done.stderr
    assert "D TCPIP" not in done.stdout  # stopped at the timeout
    assert 1.0 <= took < 10


@pytest.mark.e2e
def test_the_highest_exit_code_wins(service: Service):
    done = console(service.root, "-c", "XYZ", "-c", "WAIT EZD1586I 0.2")
    assert done.returncode == 2


@pytest.mark.e2e
def test_exit_3_with_no_start_on_a_root_without_service(root: Path):
    done = console(root, "--no-start", "-c", "D TCPIP")
    assert done.returncode == 3
    assert str(root) in done.stderr
    assert done.stdout == ""
    assert not (root / "var" / "run" / "pagent.pid").exists()  # nothing was started


@pytest.mark.e2e
def test_exit_2_for_a_bad_script_before_anything_runs(root: Path):
    """A malformed line is found before connecting: no service is started, nothing runs."""
    script = root / "bad.txt"
    script.write_text("D TCPIP\nWAIT 30\n", "utf-8")
    done = console(root, "--script", str(script))
    assert done.returncode == 2
    assert f"{script}:2: WAIT" in done.stderr
    assert not (root / "var" / "run" / "pagent.pid").exists()
    done = console(root, "--script", str(root / "missing.txt"))
    assert done.returncode == 2
    assert "cannot read the script" in done.stderr


# --- WAIT -----------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_start_pagent_then_wait_for_ezd1586i(service: Service):
    done = console(service.root, "-c", "S PAGENT", "-c", "WAIT EZD1586I", "-c", "F PAGENT,QUERY")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == ["S PAGENT", "$HASP100 PAGENT   ON STCINRDR"]
    # The unsolicited messages appear, in order, before the next command.
    start, installed = (
        lines.index("EZZ8431I PAGENT STARTING"),
        lines.index("EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1"),
    )
    assert start < installed < lines.index("F PAGENT,QUERY")
    assert "WAIT" not in done.stdout  # WAIT is no console line


@pytest.mark.e2e
def test_wait_sees_only_messages_after_the_previous_command(service: Service):
    """EZD1586I came before D TCPIP was sent: a WAIT after D TCPIP does not take it."""
    done = console(
        service.root,
        "-c", "S PAGENT", "-c", "WAIT EZD1586I 10",
        "-c", "D TCPIP", "-c", "WAIT EZD1586I 0.5",
    )  # fmt: skip
    assert done.returncode == 2
    assert "-c 4: WAIT EZD1586I 0.5" in done.stderr


@pytest.mark.e2e
def test_one_message_satisfies_one_wait(service: Service):
    """One stack, one EZD1586I: a second WAIT for it times out; other IDs still match."""
    done = console(
        service.root,
        "-c", "S PAGENT", "-c", "WAIT EZD1586I 10", "-c", "WAIT EZZ8431I 0",
        "-c", "WAIT EZD1586I 0.3",
    )  # fmt: skip
    assert done.returncode == 2
    assert "-c 4:" in done.stderr


@pytest.mark.e2e
def test_runner_in_process_shows_messages_and_claims_waits(service: Service):
    out, err = io.StringIO(), io.StringIO()
    client, started = connect(service.root, no_start=True)
    assert not started
    with client:
        code = Runner(client, out=out, err=err).run(
            parse_script(["S PAGENT", "WAIT EZZ8771I 10", "WAIT EZZ8771I 10"], "t")
        )
    assert code == 0, err.getvalue()
    assert out.getvalue().count("EZZ8771I PAGENT CONFIG POLICY PROCESSING COMPLETE") == 2


# --- piped standard input -------------------------------------------------------------------------


def _piped(root: Path) -> subprocess.Popen[str]:
    """A console reading commands from a pipe this test writes to."""
    return subprocess.Popen(
        [*CONSOLE, "--root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.e2e
def test_stdin_is_a_script_without_prompt_or_escape_codes(service: Service):
    done = console(service.root, stdin="# piped\nd tcpip\n\nXYZ\nS PAGENT\nWAIT EZD1586I\n")
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout
    assert "\x1b" not in done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "D TCPIP"  # no prompt before it
    assert "IEE305I XYZ      COMMAND INVALID" in lines
    assert "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1" in lines
    assert "<stdin>:4: XYZ: rejected" in done.stderr


@pytest.mark.e2e
def test_script_dash_reads_stdin(service: Service):
    done = console(service.root, "--script", "-", stdin="D TCPIP")  # no final newline
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "D TCPIP"


@pytest.mark.e2e
def test_a_bad_wait_line_on_stdin_stops_with_exit_2(service: Service):
    done = console(service.root, stdin="D TCPIP\nWAIT\nD TCPIP,,N,CONFIG\n")
    assert done.returncode == 2
    assert "<stdin>:2: WAIT takes a message ID" in done.stderr
    assert "D TCPIP,,N,CONFIG" not in done.stdout


@pytest.mark.e2e
def test_piped_session_shows_messages_while_input_waits(service: Service):
    """Messages arrive while the feeding program is slow; they are printed at once."""
    with _piped(service.root) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write("S PAGENT\n")
        proc.stdin.flush()
        seen: list[str] = []
        while not seen or not seen[-1].startswith("EZD1586I"):
            line = proc.stdout.readline()
            assert line, "the console ended before EZD1586I"
            seen.append(line.rstrip("\n"))
        proc.stdin.close()
        assert proc.wait(10) == 0


@pytest.mark.e2e
def test_exit_3_when_the_service_goes_away(service: Service):
    with _piped(service.root) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdin.write("D TCPIP\n")
        proc.stdin.flush()
        while "EZAOP41I" not in proc.stdout.readline():
            pass
        os.kill(service.process.pid, signal.SIGTERM)
        assert proc.wait(10) == 3  # noticed while waiting for input, stdin still open
        assert "lost the pagent service" in proc.stderr.read()


# --- --json ---------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_json_is_one_object_per_command(service: Service):
    done = console(
        service.root, "--json",
        "-c", "D TCPIP", "-c", "xyz", "-c", "S PAGENT", "-c", "WAIT EZD1586I",
        "-c", "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(o["command"], o["status"]) for o in objects] == [
        ("D TCPIP", "ok"),
        ("xyz", "rejected"),
        ("S PAGENT", "ok"),
        ("WAIT EZD1586I", "ok"),
        ("V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)", "ok"),
    ]
    for obj in objects:
        assert set(obj) == {"command", "status", "messages"}
        for message in obj["messages"]:
            assert set(message) == {"id", "text", "time"}
    assert objects[1]["messages"][0]["id"] == "IEE305I"
    (waited,) = objects[3]["messages"]
    assert waited["id"] == "EZD1586I"
    assert waited["text"] == "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1"
    assert [m["id"] for m in objects[4]["messages"]][-1] == "EZZ0053I"


@pytest.mark.e2e
def test_json_reports_a_timeout(service: Service):
    done = console(service.root, "--json", "-c", "WAIT EZD1586I 0.2")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "command": "WAIT EZD1586I 0.2",
        "status": "timeout",
        "messages": [],
    }


def test_plus_continues_a_command_on_the_next_line_as_tso_does() -> None:
    lines = [
        "RACDCERT ID(USER1) CONNECT(LABEL('USER1') +",
        "          RING(Liberty.KeyRing) DEFAULT)",
        "D TCPIP",
    ]
    steps = parse_script(lines, "MVSTLS")
    assert [s.text for s in steps] == [
        "RACDCERT ID(USER1) CONNECT(LABEL('USER1') RING(Liberty.KeyRing) DEFAULT)",
        "D TCPIP",
    ]
    assert steps[0].where == "MVSTLS:1"


def test_slash_star_comment_lines_are_skipped() -> None:
    steps = parse_script([" /* Create zCEE outbound key ring */", "D TCPIP"], "ZCEETLSC")
    assert [s.text for s in steps] == ["D TCPIP"]


def test_a_continuation_past_the_last_line_is_a_script_error() -> None:
    with pytest.raises(ScriptError, match="continues with"):
        parse_script(["RACDCERT ID(USER1) +"], "X")


# --- issue 13 §9: the edges of a script ----------------------------------------------------------


@pytest.mark.parametrize(
    "seconds",
    ["10000000000", "86401", "9" * 5000],
    ids=["ten-billion", "a-day-and-1", "5000-digits"],
)
def test_a_wait_past_a_day_is_a_script_error(seconds):
    """WAIT's seconds are bounded (a day): 10,000,000,000 ended in an OverflowError
    traceback from select (issue 13 §9)."""
    with pytest.raises(ScriptError, match=r"^f:2: WAIT: .* seconds is more than a day") as exc:
        parse_line(f"WAIT EZZ9999I {seconds}", "f:2")
    assert len(str(exc.value)) < 200


def test_a_wait_of_a_day_is_accepted():
    step = parse_line(f"WAIT EZZ9999I {MAX_WAIT:g}", "f:1")
    assert isinstance(step, Wait)
    assert step.seconds == MAX_WAIT == 86400


@pytest.mark.e2e
def test_a_wait_past_a_day_exits_2_without_a_traceback(service: Service):
    done = console(service.root, "-c", "D TCPIP", "-c", "WAIT EZZ9999I 10000000000")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "more than a day" in done.stderr
    assert done.stdout == ""  # checked whole before anything runs


@pytest.mark.e2e
def test_a_command_over_64_kib_is_refused_before_sending(service: Service, tmp_path: Path):
    """A command too long for one request is not sent: one short line names its place and
    size, the session goes on, and the exit code is 1 (the service is fine: not 3)."""
    long = "D TCPIP," + "X" * 70000
    script = tmp_path / "long.txt"
    script.write_text(f"D TCPIP\n{long}\nD TCPIP,,N,CONFIG\n", "utf-8")
    done = console(service.root, "--script", str(script))
    assert done.returncode == 1, done.stderr[:500]
    note = done.stderr.splitlines()
    assert len(note) == 1, done.stderr[:500]
    assert note[0].startswith(f"pagent console: {script}:2: ")
    assert "70,008 characters" in note[0]
    assert "64 KiB" in note[0]
    assert len(note[0]) < 300
    lines = done.stdout.splitlines()
    assert "D TCPIP" in lines
    assert "D TCPIP,,N,CONFIG" in lines  # kept going, on the same connection
    assert not any("XXXX" in line for line in lines)


@pytest.mark.e2e
def test_json_reports_a_command_over_64_kib_as_rejected(service: Service, tmp_path: Path):
    script = tmp_path / "long.txt"
    script.write_text("D " + "Y" * 70000 + "\nD TCPIP\n", "utf-8")
    done = console(service.root, "--json", "--script", str(script))
    assert done.returncode == 1
    statuses = [json.loads(line)["status"] for line in done.stdout.splitlines()]
    assert statuses == ["rejected", "ok"]


@pytest.mark.e2e
def test_help_in_a_script_lists_wait_before_the_systems_commands(service: Service):
    """WAIT is a script's own command: HELP names it (issue 9)."""
    done = console(service.root, "-c", "HELP")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "HELP"
    assert lines[1].startswith("WAIT msgid [seconds]")
    assert len(lines) > 3  # the service's HELP follows
