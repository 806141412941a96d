"""``pagent init``: a fresh root from the embedded defaults, from a checkout or a wheel."""

from __future__ import annotations

import sysconfig
import tomllib
from pathlib import Path

import pytest

from pagent.service import daemon

REPO = Path(__file__).resolve().parents[2]


def test_init_lays_out_etc_and_var(tmp_path: Path):
    assert daemon.init(tmp_path / "r") == 0
    assert (tmp_path / "r" / "etc" / "pagent.conf").is_file()
    assert (tmp_path / "r" / "etc" / "datasets" / "USER1.ZCEE30.CNTL" / "MVSTLS").is_file()
    assert (tmp_path / "r" / "var" / "syslogd").is_dir()


def test_init_refuses_a_root_that_has_etc(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    (tmp_path / "etc").mkdir()
    assert daemon.init(tmp_path) == 1
    assert "exists" in capsys.readouterr().err


def test_init_takes_the_wheel_s_copy_when_there_is_no_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    installed = tmp_path / "share" / "pagent" / "etc"
    installed.mkdir(parents=True)
    (installed / "pagent.conf").write_text("LogLevel 15\n")
    monkeypatch.setattr(daemon, "CHECKOUT_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(sysconfig, "get_path", lambda *_args: str(tmp_path))
    assert daemon.default_etc() == installed
    assert daemon.init(tmp_path / "r") == 0
    assert (tmp_path / "r" / "etc" / "pagent.conf").read_text() == "LogLevel 15\n"


def test_init_without_any_copy_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setattr(daemon, "CHECKOUT_ROOT", tmp_path / "no-checkout")
    monkeypatch.setattr(sysconfig, "get_path", lambda *_args: str(tmp_path / "none"))
    assert daemon.init(tmp_path / "r") == 2
    assert "looked in" in capsys.readouterr().err


def test_the_wheel_carries_every_file_of_the_embedded_etc():
    """pyproject's data-files must list every file of etc/, or a wheel's init lacks it."""
    data_files = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "data-files"
    ]
    shipped = {
        path.relative_to(REPO).as_posix()
        for patterns in data_files.values()
        for pattern in patterns
        for path in REPO.glob(pattern)
    }
    present = {p.relative_to(REPO).as_posix() for p in (REPO / "etc").rglob("*") if p.is_file()}
    assert present == shipped
    for target, patterns in data_files.items():
        for pattern in patterns:
            assert target == "share/pagent/" + str(Path(pattern).parent)


def test_init_on_a_file_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    """`pagent init /bin/ls`: no NotADirectoryError traceback (issue 9)."""
    target = tmp_path / "ls"
    target.write_text("not a directory\n")
    assert daemon.init(target) == 2
    assert capsys.readouterr().err == f"pagent init: {target} exists and is not a directory\n"


def test_init_where_nothing_can_be_created_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
):
    """`pagent init /proc/foo`: no FileNotFoundError traceback (issue 9)."""
    assert daemon.init(Path("/proc/pagent-no-such-dir")) == 2
    err = capsys.readouterr().err
    assert err.startswith("pagent init: cannot create /proc/pagent-no-such-dir")
    assert err.count("\n") == 1


def test_init_under_a_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "file").write_text("x\n")
    assert daemon.init(tmp_path / "file" / "root") == 2
    assert "Not a directory" in capsys.readouterr().err
