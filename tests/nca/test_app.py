"""The full-screen assistant on pipe input: the workshop's steps through its tabs and forms.

As tests/console/test_app.py does: the app runs in the test's thread on prompt-toolkit's
pipe input and DummyOutput; a feeder thread types one step at a time, pausing between
steps so that a lone Escape is not read as the start of a key sequence.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from pagent.nca.app import NcaApp, run_app
from tests.nca.conftest import REPO, SEED, at

ESC = "\x1b"
CTRL_C = "\x03"
DOWN = "\x1b[B"
HISTORY = re.compile(r"^## \d{4}-\d\d-\d\d \d\d:\d\d:\d\d : Save To Disk\n", re.M)
WORKSHOP = [
    "n",  # Systems > New: the image and its stack
    "WG31\rTCPIP1\rLiberty.KeyRing\r1,2,4\r\r",
    "2",  # Traffic Descriptors > New
    "n",
    "zCEEClient\rephemeral\r9443\routbound\rUSER1GET\r\rclient\r\r",
    "3",  # Security Levels > New
    "n",
    "zCEESecurity\rTLSv1.2\r\r\r",
    "4",  # Requirement Maps > New
    "n",
    "zCEERequirementMap\rzCEEClient:zCEESecurity\r",
    "1",  # Systems: TCPIP1 > Rules > New
    DOWN,
    "r",
    "n",
    "zCEEClientRule\rzCEERequirementMap\r\r\r",
    "1",  # back to the Systems tab (Escape does it too; a lone Escape is timing-bound)
    DOWN,
    "i",  # Install
]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


def drive(root: Path, steps: list[str], *, pause: float = 0.15, leave: str = "q") -> int:
    """Run the app on ``steps``, then leave (Ctrl-C always does, whatever is open)."""
    with create_pipe_input() as pipe:

        def feed() -> None:
            for step in [*steps, leave, CTRL_C]:
                time.sleep(pause if step != ESC else 0.8)
                pipe.send_text(step)
                if step == ESC:
                    time.sleep(0.8)

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        clock = lambda: at("2026-02-03 04:05:06")  # noqa: E731
        code = run_app(root, "USER1", clock, input=pipe, output=DummyOutput())
        feeder.join(5)
    return code


def test_the_workshops_steps_in_the_assistant_install_the_seeds_policy(root: Path, capsys):
    assert drive(root, WORKSHOP) == 0
    installed = (root / "etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol").read_text()
    assert HISTORY.sub("", installed) == HISTORY.sub("", SEED.read_text())
    assert "## 2026-02-03 04:05:06 : Save To Disk" in installed
    assert "installed /etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol" in capsys.readouterr().out


def test_a_bad_value_in_a_form_keeps_the_form_open_and_the_store_unchanged(root: Path):
    steps = ["3", "n", "Bad\rTLSv9\r\r\r"]
    assert drive(root, steps, leave="") == 0
    assert not (root / "var/nca/USER1.json").exists()


def test_modify_prefills_the_form_and_changes_only_what_is_typed(root: Path):
    assert drive(root, ["3", "n", "L1\rTLSv1.2\r\r\r"]) == 0
    # Modify the only user level (the supplied one is first): the protocol field is
    # pre-filled; add TLSv1.1 at its end and accept the other fields as they are.
    assert drive(root, ["3", DOWN, "m", "\r,TLSv1.1\r\r\r"]) == 0
    doc = json.loads((root / "var/nca/USER1.json").read_text())
    assert doc["levels"][0]["protocols"] == ["TLSv1.1", "TLSv1.2"]


def test_delete_of_an_object_in_use_shows_why_and_keeps_it(root: Path):
    steps = [*WORKSHOP[:11], "2", DOWN * 5, "d"]
    assert drive(root, steps) == 0
    doc = json.loads((root / "var/nca/USER1.json").read_text())
    assert [d["name"] for d in doc["descriptors"]] == ["zCEEClient"]


def test_the_tabs_list_the_supplied_objects_and_the_status(root: Path):
    app = NcaApp(root, "USER1", lambda: at("2026-02-03 04:05:06"))
    app.switch(4)
    assert [r.name for r in app.rows()] == ["All_IPv4_Addresses", "All_IPv6_Addresses"]
    app.switch(0)
    assert app.rows() == []
    app.act("View Details")
    assert app.state.message == "View Details: nothing selected"
