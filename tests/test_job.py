"""``pagent job``: a program run as a job of the image."""

from __future__ import annotations

from pathlib import Path

from pagent.commands.job import job_argv, run_job


def _root(tmp_path: Path) -> Path:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "system.conf").write_text("SYSNAME WG31\n")
    return tmp_path


def test_no_running_service_means_no_image_network(tmp_path: Path):
    assert job_argv(_root(tmp_path), "USER1GET", "USER1", ["true"]) is None


def test_run_job_without_an_image_network_exits_3_and_says_why(tmp_path: Path, capsys):
    assert run_job(_root(tmp_path), "user1get", "user1", ["true"]) == 3
    assert "has no network" in capsys.readouterr().err


def test_a_job_name_longer_than_8_characters_is_a_usage_error(tmp_path: Path, capsys):
    assert run_job(_root(tmp_path), "USER1GETX", "USER1", ["true"]) == 2
    assert "not a valid job name" in capsys.readouterr().err


def test_a_job_needs_a_command(tmp_path: Path, capsys):
    assert run_job(_root(tmp_path), "USER1GET", "USER1", []) == 2
    assert "no command" in capsys.readouterr().err


def test_a_program_that_does_not_exist_is_said_by_pagent_job_with_127(tmp_path: Path, capsys):
    """Not env(1)'s message after the namespace is entered (issue 9)."""
    assert run_job(_root(tmp_path), "X", "USER1", ["/nonexistent/prog"]) == 127
    assert capsys.readouterr().err == "pagent job: /nonexistent/prog: No such file or directory\n"


def test_a_command_not_in_path_exits_127(tmp_path: Path, capsys):
    assert run_job(_root(tmp_path), "X", "USER1", ["no-such-command-of-pagent"]) == 127
    assert "command not found" in capsys.readouterr().err


def test_a_file_that_is_not_executable_exits_126(tmp_path: Path, capsys):
    script = tmp_path / "script.sh"
    script.write_text("echo hi\n")
    assert run_job(_root(tmp_path), "X", "USER1", [str(script)]) == 126
    assert "not executable" in capsys.readouterr().err
