"""``pagent nca``: the workshop's steps as commands; errors name the argument, exit 2."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pagent.cli import main
from tests.nca.conftest import REPO, SEED

WORKSHOP = [
    "image add WG31 --keyring Liberty.KeyRing --trace 1,2,4",
    "stack add WG31 TCPIP1",
    "descriptor add zCEEClient --local-port ephemeral --remote-port 9443 --direction outbound"
    " --jobname USER1GET --role client",
    "level add zCEESecurity --protocols TLSv1.2",
    "map add zCEERequirementMap --descriptor zCEEClient --level zCEESecurity",
    "rule add WG31/TCPIP1 zCEEClientRule --map zCEERequirementMap",
    "install WG31/TCPIP1",
]
HISTORY = re.compile(r"^## \d{4}-\d\d-\d\d \d\d:\d\d:\d\d : Save To Disk\n", re.M)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


def nca(root: Path, command: str) -> int:
    return main(["nca", "--root", str(root), *command.split()])


def store_file(root: Path) -> Path:
    return root / "var" / "nca" / "USER1.json"


def without_history(text: str) -> str:
    return HISTORY.sub("", text)


def test_the_workshops_commands_produce_the_seeds_policy(root: Path, capsys):
    for command in WORKSHOP:
        assert nca(root, command) == 0, command
    out = capsys.readouterr().out
    assert "WG31: Incomplete: stack TCPIP1 has no connectivity rules" in out
    installed = (root / "etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol").read_text()
    assert without_history(installed) == without_history(SEED.read_text())
    assert len(HISTORY.findall(installed)) == 1


@pytest.mark.corpus
def test_the_workshops_commands_produce_the_corpus_appendix(root: Path, corpus: Path):
    for command in WORKSHOP:
        assert nca(root, command) == 0, command
    installed = (root / "etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol").read_text()
    expected = (corpus / "seed-appendix-WG31-TCPIP1.policy").read_text()
    assert without_history(installed) == without_history(expected)


@pytest.mark.parametrize(
    ("command", "argument"),
    [
        (
            "descriptor add D --local-port 70000 --remote-port 9443 --direction outbound"
            " --role client",
            "--local-port",
        ),
        (
            "descriptor add D --local-port 1 --remote-port 9443 --direction sideways --role client",
            "--direction",
        ),
        ("level add L --protocols TLSv9", "--protocols"),
        ("level add L --protocols TLSv1.2 --ciphers NOT_A_SUITE", "--ciphers"),
        ("map add M --descriptor nope --level zCEESecurity", "--descriptor"),
        ("rule add WG31/TCPIP1 R --map nope", "--map"),
        ("rule add WG31/TCPIP9 R --map zCEERequirementMap", "STACK"),
        ("rule add WG31 R --map zCEERequirementMap", "IMAGE/STACK"),
        ("image add WG32 --trace 1,3", "--trace"),
        ("group add G --address 10.0.0.300", "--address"),
        ("delete descriptor zCEEClient", "NAME"),
    ],
)
def test_a_bad_value_is_an_error_naming_the_argument_and_the_store_is_unchanged(
    root: Path, capsys, command: str, argument: str
):
    for step in WORKSHOP[:-2]:
        assert nca(root, step) == 0
    before = store_file(root).read_bytes()
    capsys.readouterr()
    assert nca(root, command) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pagent nca: {argument}: "), err
    assert len(err.strip().splitlines()) == 1
    assert store_file(root).read_bytes() == before


def test_installing_an_incomplete_stack_is_refused_with_exit_1(root: Path, capsys):
    for step in WORKSHOP[:2]:
        assert nca(root, step) == 0
    assert nca(root, "install WG31/TCPIP1") == 1
    assert "Incomplete" in capsys.readouterr().err
    assert not (root / "etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol").exists()


def test_a_corrupt_store_is_reported_not_replaced(root: Path, capsys):
    store_file(root).parent.mkdir(parents=True)
    store_file(root).write_text("{")
    assert nca(root, "level add L --protocols TLSv1.2") == 2
    assert f"{store_file(root)}:1:2: not JSON" in capsys.readouterr().err
    assert store_file(root).read_text() == "{"


def test_list_json_shows_the_status_and_the_supplied_objects(root: Path, capsys):
    for step in WORKSHOP[:2]:
        assert nca(root, step) == 0
    capsys.readouterr()
    assert main(["nca", "--root", str(root), "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (image,) = doc["images"]
    assert image["status"] == "Incomplete"
    assert image["stacks"][0]["missing"] == ["stack TCPIP1 has no connectivity rules"]
    assert "All_IPv4_Addresses" in [g["name"] for g in doc["groups"]]


def test_show_prints_the_view_details_of_a_map(root: Path, capsys):
    for step in WORKSHOP[:-2]:
        assert nca(root, step) == 0
    capsys.readouterr()
    assert nca(root, "show map zCEERequirementMap") == 0
    assert (
        capsys.readouterr().out
        == "Requirement map zCEERequirementMap\n  zCEEClient -> zCEESecurity\n"
    )


def test_delete_removes_a_rule_and_the_stack_becomes_incomplete(root: Path, capsys):
    for step in WORKSHOP[:-1]:
        assert nca(root, step) == 0
    assert nca(root, "delete rule WG31/TCPIP1 zCEEClientRule") == 0
    capsys.readouterr()
    assert nca(root, "show stack WG31/TCPIP1") == 0
    assert "TCP/IP stack WG31/TCPIP1: Incomplete" in capsys.readouterr().out


def test_modify_changes_one_setting_and_keeps_the_others(root: Path, capsys):
    for step in WORKSHOP[:-4]:
        assert nca(root, step) == 0
    assert nca(root, "descriptor modify zCEEClient --remote-port 9444") == 0
    capsys.readouterr()
    assert main(["nca", "--root", str(root), "show", "descriptor", "zCEEClient", "--json"]) == 0
    (t,) = json.loads(capsys.readouterr().out)["types"]
    assert (t["remote_port"], t["jobname"], t["role"]) == ("9444", "USER1GET", "Client")


def test_a_store_name_picks_its_own_file(root: Path):
    assert main(["nca", "--root", str(root), "--store", "LAB2", *WORKSHOP[0].split()]) == 0
    assert (root / "var" / "nca" / "LAB2.json").is_file()
    assert not store_file(root).exists()


def test_without_a_subcommand_and_no_terminal_it_says_what_to_do(root: Path, capsys):
    assert main(["nca", "--root", str(root)]) == 2
    assert "needs a terminal" in capsys.readouterr().err
