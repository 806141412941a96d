"""``pagent check`` output: one line for a path it cannot read, no raw control bytes (issue 9)."""

from __future__ import annotations

import os
import re

import pytest

from pagent.cli import main

_RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("fifo", "is a FIFO, not a regular file"),
        ("dir", "is a directory, not a regular file"),
        ("binary", "is not a text file: "),
    ],
)
def test_a_path_that_is_not_a_regular_text_file_is_refused_in_one_line(
    capsys, tmp_path, kind, reason
):
    target = tmp_path / "x"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "dir":
        target.mkdir()
    else:  # the first bytes of an executable, as `pagent check /bin/ls` meets them
        target.write_bytes(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + bytes(range(256)) * 8)
    code, out, err = _run(capsys, "check", str(target))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"pagent: {target} {reason}")


def test_control_characters_are_escaped_in_the_report(capsys, tmp_path):
    """NUL, ESC, BEL and a C1 CSI in a policy reach the terminal as \\xNN, never raw."""
    policy = tmp_path / "p.policy"
    policy.write_bytes(
        b"TTLSRule R\x1b[31m\n{\n  Jobn\x07ame A\n  LocalPortRange 4\x0043\n  Keyring \x9b2J\n}\n"
    )
    code, out, err = _run(capsys, "check", str(policy))
    assert code == 1
    assert not _RAW_CONTROL.search(out + err)
    assert "\\x1b[31m" in out
    assert "\\x07" in out
    assert "\\x00" in out


def test_the_caret_stays_under_its_column_after_escaping(capsys, tmp_path):
    policy = tmp_path / "p.policy"
    policy.write_bytes(b"TTLSRule R\n{\n  Jobname \x07\x07 Bad\n}\n")
    _, out, _ = _run(capsys, "check", str(policy))
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "W304" in line or "W311" in line)
    source, caret = lines[at + 1], lines[at + 2]
    assert caret.index("^") == source.index("\\x07")


def test_bytes_that_are_not_utf8_give_one_w313_per_file(capsys, tmp_path):
    """issue 9: 296 W313 lines for one file; one says it all."""
    policy = tmp_path / "p.policy"
    policy.write_bytes(b"# caf\xe9\n" * 300 + b"TTLSRule R\n{\n  LocalPortRange 443\n}\n")
    _, out, _ = _run(capsys, "check", str(policy))
    headlines = [line for line in out.splitlines() if " W313: " in line]
    assert len(headlines) == 1
    assert ":1:1: " in headlines[0]
    assert "on 300 lines" in headlines[0]


def test_a_file_name_with_control_characters_is_escaped_in_the_error(capsys, tmp_path):
    code, _, err = _run(capsys, "check", f"{tmp_path}/no\x1b[2Jsuch")
    assert code == 2
    assert "\x1b" not in err
    assert "no\\x1b[2Jsuch not found" in err


@pytest.mark.parametrize("command", ["match", "search"])
def test_match_and_search_refuse_a_fifo_in_one_line(capsys, tmp_path, command):
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    connection = ["--direction", "inbound", "--local", "10.0.0.1:443", "--remote", "10.0.0.2:5"]
    argv = ["match", str(fifo), *connection] if command == "match" else ["search", "-t", str(fifo)]
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert err == f"pagent: {fifo} is a FIFO, not a regular file\n"


def test_match_and_search_show_a_rule_name_with_control_characters_escaped(capsys, tmp_path):
    policy = tmp_path / "p.policy"
    policy.write_bytes(
        b"TTLSRule R\x1b]0;x\x07\n{\n  LocalPortRange 443\n  Direction Inbound\n"
        b"  TTLSGroupActionRef G\n}\n"
        b"TTLSGroupAction G\n{\n  TTLSEnabled Off\n}\n"
    )
    connection = ["--direction", "inbound", "--local", "10.0.0.1:443", "--remote", "10.0.0.2:5"]
    code, out, _ = _run(capsys, "match", str(policy), *connection)
    assert code == 0
    assert "R\\x1b]0;x\\x07" in out
    code, out, _ = _run(capsys, "search", "-t", str(policy))
    assert "R\\x1b]0;x\\x07" in out
    assert not _RAW_CONTROL.search(out)
