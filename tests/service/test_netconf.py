"""pagent.service.netconf: the DATAPATH and HOSTNAME statements, and the rootless command."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pagent.service.netconf import NetworkConf, read_network_conf, rootless_argv, wants_rootless


def _conf(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "system.conf"
    path.write_text(text)
    return path


def test_a_missing_file_gives_auto_and_no_host_names(tmp_path: Path):
    assert read_network_conf(tmp_path / "none.conf") == (NetworkConf("AUTO", ()), [])


@pytest.mark.parametrize("mode", ["auto", "ON", "Off", "rootless"])
def test_datapath_takes_its_four_modes_in_any_case(tmp_path: Path, mode: str):
    conf, errors = read_network_conf(_conf(tmp_path, f"SYSNAME WG31\nDATAPATH {mode}\n"))
    assert (conf.mode, errors) == (mode.upper(), [])


def test_a_bad_datapath_is_an_error_naming_the_line_and_auto_stays(tmp_path: Path):
    path = _conf(tmp_path, "SYSNAME WG31\nDATAPATH MAYBE\n")
    conf, errors = read_network_conf(path)
    assert conf.mode == "AUTO"
    assert errors == [f"{path}:2: DATAPATH takes AUTO, ON, OFF or ROOTLESS"]


def test_hostnames_add_up_lower_cased_and_comments_are_ignored(tmp_path: Path):
    conf, _ = read_network_conf(
        _conf(tmp_path, "HOSTNAME WG31.Washington.IBM.com  # the workshop's\nHOSTNAME wg31\n")
    )
    assert conf.hostnames == ("wg31.washington.ibm.com", "wg31")


def test_address_names_the_image_s_home_address(tmp_path: Path):
    conf, errors = read_network_conf(_conf(tmp_path, "ADDRESS 192.168.17.201\n"))
    assert (conf.address, errors) == ("192.168.17.201", [])


def test_without_address_the_image_lives_on_the_loopback_address(tmp_path: Path):
    conf, _ = read_network_conf(_conf(tmp_path, "HOSTNAME wg31\n"))
    assert conf.address == "127.0.0.1"


@pytest.mark.parametrize("words", ["ADDRESS", "ADDRESS 192.168.17", "ADDRESS 10.0.0.1 10.0.0.2"])
def test_a_bad_address_is_an_error_naming_the_line_and_loopback_stays(tmp_path: Path, words: str):
    path = _conf(tmp_path, f"SYSNAME WG31\n{words}\n")
    conf, errors = read_network_conf(path)
    assert conf.address == "127.0.0.1"
    assert errors == [f"{path}:2: ADDRESS takes one IP address (192.168.17.201)"]


def test_rootless_argv_runs_the_command_in_new_user_network_and_mount_namespaces():
    argv = rootless_argv(["python", "-m", "pagent", "serve"])
    assert argv[0] == "unshare"
    assert {"--user", "--map-root-user", "--net", "--mount"} <= set(argv[: argv.index("--")])
    assert argv[argv.index("--") + 1 :] == ["python", "-m", "pagent", "serve"]


@pytest.mark.parametrize(
    ("mode", "euid", "wanted"),
    [
        ("ROOTLESS", 0, True),
        ("AUTO", 0, False),
        ("ON", 0, False),
        ("AUTO", 1000, True),
        ("ON", 1000, True),
        ("OFF", 1000, False),
    ],
)
def test_the_service_s_own_namespaces_are_wanted_for_rootless_or_without_root(
    monkeypatch: pytest.MonkeyPatch, mode: str, euid: int, wanted: bool
):
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    assert wants_rootless(NetworkConf(mode)) is wanted
