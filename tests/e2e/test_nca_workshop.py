"""The workshop from its start, with the Network Configuration Assistant (issue 12 §6).

``pagent init --at workshop-start`` gives the system as the workshop finds it: no AT-TLS
policy, an empty backing store. The NCA commands of "Configure the AT-TLS policy" build
and install the policy; then, as in "Activating the AT-TLS configuration": S PAGENT
(EZD1586I), the RACF members, V TCPIP,,OBEY TTLS and GETAPI get HTTP 200 through AT-TLS.
An install while PAGENT runs is picked up like any edit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagent.service.netconf import rootless_available
from pagent.stack import netns
from tests.e2e.conftest import Service, pagent
from tests.e2e.test_workshop import BAKER, OBEY_TTLS, console, fixture_zcee, getapi

pytestmark = pytest.mark.e2e
__all__ = ["fixture_zcee"]  # the workshop's key rings and z/OS Connect stand-in, reused

WORKSHOP = [
    "image add WG31 --keyring Liberty.KeyRing --trace 1,2,4",
    "stack add WG31 TCPIP1",
    "descriptor add zCEEClient --local-port ephemeral --remote-port 9443 --direction outbound"
    " --jobname USER1GET --role client",
    "level add zCEESecurity --protocols TLSv1.2",
    "map add zCEERequirementMap --descriptor zCEEClient --level zCEESecurity",
    "rule add WG31/TCPIP1 zCEEClientRule --map zCEERequirementMap",
]
TLSPOL = Path("etc/cfgasst/v2r3/WG31/TCPIP1/tlsPol")


@pytest.fixture(name="root", params=["ON", "ROOTLESS"])
def fixture_root(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A workshop-start root whose service has its data path."""
    why = netns.available() if request.param == "ON" else rootless_available()
    if why is not None:
        pytest.skip(why)
    base = Path(tempfile.mkdtemp(prefix="pn", dir="/tmp"))
    root = base / "r"
    done = pagent("init", "--at", "workshop-start", str(root))
    assert done.returncode == 0, done.stderr
    conf = root / "etc" / "system.conf"
    conf.write_text(re.sub(r"(?m)^DATAPATH\s+\S+", f"DATAPATH  {request.param}", conf.read_text()))
    for command in WORKSHOP:
        step = nca(root, command)
        assert step.returncode == 0, f"{command}:\n{step.stdout}{step.stderr}"
    install = nca(root, "install WG31/TCPIP1")
    assert install.returncode == 0, install.stderr
    yield root
    shutil.rmtree(base, ignore_errors=True)


def nca(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``pagent nca --root ROOT COMMAND``."""
    return pagent("nca", "--root", str(root), *command.split())


def test_the_workshop_start_has_no_policy_and_an_empty_store() -> None:
    base = Path(tempfile.mkdtemp(prefix="pn", dir="/tmp"))
    try:
        done = pagent("init", "--at", "workshop-start", str(base / "r"))
        assert done.returncode == 0, done.stderr
        assert not (base / "r" / "etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy").exists()
        listing = nca(base / "r", "list system")
        assert listing.stdout == "Systems:\n  (no system images)\n"
        assert (base / "r/etc/datasets/USER1.ZCEE30.CNTL/ZCEETLSC").is_file()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_nca_install_s_pagent_obey_ttls_and_getapi_gets_200(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """The installed file is what PAGENT reads: zCEEClientRule~1 maps GETAPI, HTTP 200."""
    log = service.log_text()
    assert "tlsPol" in log
    assert "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1" in log
    assert console(service.root, OBEY_TTLS).returncode == 0
    code, out = getapi(service.root, "USER1GET", 9443)
    assert code == 0, out
    assert [line for line in out.splitlines() if line in BAKER] == BAKER
    assert service.wait_log("RULE: zCEEClientRule~1")


def test_an_install_while_pagent_runs_is_picked_up(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """A changed security level installed again reaches the running PAGENT by itself."""
    assert (
        nca(service.root, "level modify zCEESecurity --protocols TLSv1.1,TLSv1.2").returncode == 0
    )
    assert nca(service.root, "install WG31/TCPIP1").returncode == 0
    assert service.wait_log("TTLS policy for TCPIP1: 0 added, 1 changed, 0 removed", 15)
    assert console(service.root, OBEY_TTLS).returncode == 0
    code, out = getapi(service.root, "USER1GET", 9443)
    assert code == 0, out
    assert "  TLSv1.1                         On\n" in (service.root / TLSPOL).read_text()
