"""The seed workshop end to end, with real AT-TLS (issue 5 §4).

A real ``pagent serve`` with its data path on; the RACF members ZCEETLSS, MVSTLS and
ZCEETLSC run through the console as printed; the z/OS Connect stand-in runs as a job of the
image on 9443 (mutual TLS) and 9080 (HTTP); the GETAPI stand-in runs as job USER1GET and
speaks plain HTTP. With TTLS on, the stack's AT-TLS does the TLS handshake for it: HTTP
200, the C. BAKER record, USERID LIBSERV, and EZD1281I/EZD1283I in syslogall.log as in
the workshop's step 14. Under another job name, or with TTLS off, the server gets plain
text on its HTTPS port and refuses it (step 15).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagent.service.netconf import rootless_available
from pagent.stack import netns
from tests.e2e.conftest import PAGENT, Service, pagent
from tests.processes import make_root

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
CNTL = Path("etc/datasets/USER1.ZCEE30.CNTL")
OBEY_TTLS = "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)"
OBEY_NOTTLS = "V TCPIP,,OBEY,SYS1.TCPPARMS(NOTTLS)"
BAKER = [
    "NUMB: 111111",
    "NAME: C. BAKER",
    "ADDRX: OTTAWA, ONTARIO",
    "PHONE: 51212003",
    "DATEX: 26 11 81",
    "AMOUNT: $0011.00",
    "EIBRESP: 00000000",
    "EIBRESP2: 00000000",
    "USERID: LIBSERV",
    "HTTP CODE: 0000000200",
]
LOST = (
    "Error msg:BAQI0005E: Unable to send request to or receive response from the z/OS "
    "Connect EE server.HWTHRQST RC=262(0x106) RSC=0 RSN=Connectivity appears to be lost"
)
REDIRECT = "RSC=6 RSN=A redirect status was returned but no redirect location was provided."
EZD1281I = re.compile(
    r"TTLS\[\d+\]: \d\d:\d\d:\d\d TCPIP1   EZD1281I TTLS Map   CONNID: [0-9A-F]{8} "
    r"LOCAL: 192\.168\.17\.201\.\.\d+ REMOTE: 192\.168\.17\.201\.\.9443 "
    r"JOBNAME: USER1GET USERID: USER1 "
    r"TYPE: OutBound STATUS: Enabled RULE: zCEEClientRule~1 "
    r"ACTIONS: gAct1~zCEEClient eAct1~zCEEClient cAct1~zCEEClient$",
    re.MULTILINE,
)
EZD1283I = re.compile(
    r"EZD1283I TTLS Event GRPID: 00000001 ENVID: 00000001 CONNID: [0-9A-F]{8} "
    r"RC:    0 Initial Handshake [0-9A-F]{16} [0-9A-F]{16} TLSV1\.2 [0-9A-F]{8}$",
    re.MULTILINE,
)


@pytest.fixture(name="root", params=["ON", "ROOTLESS"])
def fixture_root(request: pytest.FixtureRequest) -> Iterator[Path]:
    """A root whose service must have its data path: a named namespace (root and nftables
    needed), or the service's own namespaces, as a service without root gets them."""
    why = netns.available() if request.param == "ON" else rootless_available()
    if why is not None:
        pytest.skip(why)
    root = make_root("pw", datapath=request.param)
    yield root
    shutil.rmtree(root.parent, ignore_errors=True)


def console(root: Path, *commands: str) -> subprocess.CompletedProcess[str]:
    """``pagent console --no-start -c CMD ...`` on the running service."""
    args = ["console", "--root", str(root), "--no-start"]
    for command in commands:
        args += ["-c", command]
    return pagent(*args)


def job(root: Path, name: str, user: str, *argv: str, **env: str) -> subprocess.Popen[str]:
    """A program started as a job of the image (``pagent job``)."""
    return subprocess.Popen(
        [*PAGENT, "job", name, "--user", user, "--root", str(root), "--", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
    )


def getapi(root: Path, jobname: str, port: int, *, user: str = "USER1") -> tuple[int, str]:
    """The GETAPI job (plain HTTP client) against wg31:port; (exit status, SYSPRINT)."""
    env = {
        "BAQURI": "wg31.washington.ibm.com",
        "BAQPORT": str(port),
        "BAQUSERNAME": "USER1",
        "BAQPASSWORD": "USER1",
        "BAQTIMEOUT": "20",
    }
    with job(
        root, jobname, user, sys.executable, "-m", "pagent.workshop.getapi", "111111", **env
    ) as p:
        out, err = p.communicate(timeout=60)
    return p.returncode, out + err


@pytest.fixture(name="zcee")
def fixture_zcee(service: Service) -> Iterator[subprocess.Popen[str]]:
    """The workshop's key rings made by its RACF members, and the z/OS Connect stand-in."""
    root = service.root
    client = service.client()
    client.subscribe()
    service.start_pagent(client)
    for member in ("ZCEETLSS", "MVSTLS", "ZCEETLSC"):
        done = pagent(
            "console", "--root", str(root), "--no-start", "--script", str(root / CNTL / member)
        )
        assert done.returncode == 0, f"{member}:\n{done.stdout}{done.stderr}"
    pems = root.parent / "libserv"
    done = pagent("keyring", "LIBSERV/Liberty.KeyRing", "--root", str(root), "--export", str(pems))
    assert done.returncode == 0, done.stdout + done.stderr
    server = job(
        root,
        "BAQSTRT",
        "LIBSERV",
        sys.executable,
        "-m",
        "pagent.workshop.zconnect",
        "--host",
        "0.0.0.0",  # inside the image's own network
        "--https-port",
        "9443",
        "--http-port",
        "9080",
        "--cert",
        str(pems / "cert.pem"),
        "--key",
        str(pems / "key.pem"),
        "--cafile",
        str(pems / "ca.pem"),
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline()
        assert ready.startswith("READY"), ready + (server.stderr.read() if server.stderr else "")
        yield server
    finally:
        server.terminate()
        try:
            server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def test_getapi_over_http_is_redirected_and_fails_with_rc_5(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """Workshop 'Test the connection', steps 1-2: 302 without a location, RC 5."""
    code, out = getapi(service.root, "USER1GET", 9080)
    assert code == 5, out
    assert "Error code: 0000000005" in out
    assert REDIRECT in out


def test_getapi_with_ttls_gets_the_record_through_at_tls(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """Steps 8-14: OBEY TTLS, GETAPI on 9443 as USER1GET: 200, C. BAKER, LIBSERV."""
    obey = console(service.root, OBEY_TTLS)
    assert obey.returncode == 0, obey.stdout
    code, out = getapi(service.root, "USER1GET", 9443)
    assert code == 0, out
    assert [line for line in out.splitlines() if line in BAKER] == BAKER
    assert service.wait_log("EZD1283I")
    log = service.log_text()
    assert EZD1281I.search(log), log[-3000:]
    assert EZD1283I.search(log), log[-3000:]


def test_another_job_name_is_not_mapped_and_the_server_refuses_plain_text(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """Step 15: job USER1PUT matches no rule, so the HTTPS port gets plain text."""
    assert console(service.root, OBEY_TTLS).returncode == 0
    code, out = getapi(service.root, "USER1PUT", 9443)
    assert code == 5, out
    assert LOST in out
    assert "EZD1281I" not in service.log_text()
    zcee.terminate()
    _out, err = zcee.communicate(timeout=10)
    assert "CWWKO0801E" in err
    assert "plaintext connection?" in err


def test_with_ttls_off_the_connection_stays_clear(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """TTLS on, then OBEY NOTTLS: USER1GET's connection is no longer examined."""
    assert console(service.root, OBEY_TTLS).returncode == 0
    assert console(service.root, OBEY_NOTTLS).returncode == 0
    code, out = getapi(service.root, "USER1GET", 9443)
    assert code == 5, out
    assert LOST in out
    assert "EZD1281I" not in service.log_text()


def test_the_service_removes_its_network_when_it_stops(service: Service) -> None:
    name = netns.namespace_name("WG31", service.root)
    conf = (service.root / "etc" / "system.conf").read_text()
    rootless = re.search(r"(?m)^DATAPATH\s+ROOTLESS", conf) is not None
    assert (netns.NETNS_DIR / name).exists() != rootless  # rootless: its own namespaces
    assert service.terminate() == 0
    assert not (netns.NETNS_DIR / name).exists()
    assert pagent("job", "X", "--root", str(service.root), "--", "true").returncode == 3


HOLD = (
    "import socket, sys\n"
    "s = socket.create_connection(('wg31.washington.ibm.com', 9443), timeout=20)\n"
    "print('CONNECTED', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_netstat_ttls_shows_the_live_connection_of_user1get(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """Issue 5 §3: D TCPIP,,N,TTLS lists it; CONN,id,DETAIL shows it in full."""
    assert console(service.root, OBEY_TTLS).returncode == 0
    with subprocess.Popen(
        [
            *PAGENT,
            "job",
            "USER1GET",
            "--user",
            "USER1",
            "--root",
            str(service.root),
            "--",
            sys.executable,
            "-c",
            HOLD,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "CONNECTED"
            assert service.wait_log("EZD1283I")
            listing = console(service.root, "D TCPIP,,N,TTLS")
            assert listing.returncode == 0, listing.stdout
            row = next(line for line in listing.stdout.splitlines() if "USER1GET" in line)
            assert "USER1GET USER1" in row
            assert row.rstrip().endswith("SECURE")
            assert "TTLSRULE: ZCEECLIENTRULE~1" in listing.stdout
            assert "SECLEVEL: TLSV1.2" in listing.stdout
            connid = row.split()[0]
            detail = console(service.root, f"D TCPIP,,N,TTLS,CONN,{connid},DETAIL")
            assert detail.returncode == 0, detail.stdout
            for field in ("JOBNAME:", "HANDSHAKEROLE:", "CLIENT", "KEYRING:", "LIBERTY.KEYRING"):
                assert field in detail.stdout, detail.stdout
            assert "1 OF 1 RECORDS DISPLAYED" in detail.stdout
        finally:
            assert holder.stdin is not None
            holder.stdin.close()
            holder.wait(10)


def test_curl_speaking_plain_http_gets_the_record_through_at_tls(
    service: Service, zcee: subprocess.Popen[str]
) -> None:
    """Issue 5 §2: an ordinary program (curl) as job USER1GET; AT-TLS does the TLS."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    assert console(service.root, OBEY_TTLS).returncode == 0
    url = "http://wg31.washington.ibm.com:9443/cscvinc/employee/111111"
    with job(
        service.root, "USER1GET", "USER1", curl, "-sS", "-m", "20", "-u", "USER1:USER1", url
    ) as p:
        out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert '"NAME":"C. BAKER"' in out
    assert '"USERID":"LIBSERV"' in out
    assert service.wait_log("EZD1283I")
