"""Tests of the workshop stand-ins, and their shared helpers.

The helpers make a small PKI with ``cryptography`` (a CA, a server certificate for
wg31.washington.ibm.com and 127.0.0.1, a client certificate; all EC P-256), start the real
``python -m pagent.workshop.zconnect`` on ephemeral ports (its READY line gives them),
run the real ``python -m pagent.workshop.getapi``, and always stop what they start.
"""

from __future__ import annotations

import base64
import http.client
import os
import selectors
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.x509.oid import ExtendedKeyUsageOID

from tests.x509util import issue, name, new_key, pem, write_key

REPO = Path(__file__).resolve().parents[2]
HOSTNAME = "wg31.washington.ibm.com"
UP_TIMEOUT = 15.0  # seconds for the server to print READY
STOP_TIMEOUT = 10.0  # seconds for the server to exit after SIGTERM
RUN_TIMEOUT = 60.0  # seconds for one getapi run


@dataclass(frozen=True)
class Pki:
    """The PEM files of a test PKI."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_pki(directory: Path) -> Pki:
    """A CA, a server certificate (wg31.washington.ibm.com, 127.0.0.1), a client one."""
    directory.mkdir(parents=True, exist_ok=True)
    org = "pagent tests"
    ca_key = new_key()
    ca = issue(name("zCEE test CA", org), ca_key, None, ca=True), ca_key
    server_key, client_key = new_key(), new_key()
    server_cert = issue(
        name(HOSTNAME, org),
        server_key,
        ca,
        usages=[ExtendedKeyUsageOID.SERVER_AUTH],
        hosts=[HOSTNAME, "127.0.0.1"],
    )
    client_cert = issue(
        name("zCEEClient", org), client_key, ca, usages=[ExtendedKeyUsageOID.CLIENT_AUTH]
    )
    pki = Pki(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
    )
    pki.ca.write_text(pem(ca[0]))
    pki.server_cert.write_text(pem(server_cert))
    pki.client_cert.write_text(pem(client_cert))
    write_key(server_key, pki.server_key)
    write_key(client_key, pki.client_key)
    return pki


@dataclass
class Server:
    """A running zconnect process: its ports and its standard error file."""

    process: subprocess.Popen[bytes]
    https_port: int
    http_port: int
    stderr: Path

    def log(self) -> str:
        """What the server wrote on standard error so far."""
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, text: str, timeout: float = 10.0) -> bool:
        """Poll the standard error until it contains ``text`` (True) or time runs out."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


def _read_ready(process: subprocess.Popen[bytes], timeout: float) -> tuple[int, int]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise TimeoutError(f"no READY line within {timeout:g} s")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"zconnect ended before READY (status {process.wait(5)})")
            buffer += chunk
    words = dict(word.split("=", 1) for word in buffer.split(b"\n", 1)[0].decode().split()[1:])
    return int(words["https"]), int(words["http"])


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT; the exit status. Closes the pipes."""
    try:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                return process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
                return -signal.SIGKILL
        return process.returncode
    finally:
        if process.stdout is not None:
            process.stdout.close()


@contextmanager
def running_server(pki: Pki, directory: Path, *options: str) -> Iterator[Server]:
    """``python -m pagent.workshop.zconnect`` on ephemeral ports, stopped on exit."""
    directory.mkdir(parents=True, exist_ok=True)
    stderr = directory / "zconnect.stderr"
    command = [
        sys.executable,
        "-m",
        "pagent.workshop.zconnect",
        "--https-port",
        "0",
        "--http-port",
        "0",
        "--host",
        "127.0.0.1",
        "--cert",
        str(pki.server_cert),
        "--key",
        str(pki.server_key),
        "--cafile",
        str(pki.ca),
        *options,
    ]
    with stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err
        )
    try:
        https_port, http_port = _read_ready(process, UP_TIMEOUT)
        yield Server(process, https_port, http_port, stderr)
    finally:
        stop(process)


def getapi(
    port: int, parm: str | None = "111111", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pagent.workshop.getapi [PARM]`` against 127.0.0.1:``port``."""
    environ = dict(os.environ)
    environ.update(
        {
            "BAQURI": "127.0.0.1",
            "BAQPORT": str(port),
            "BAQUSERNAME": "USER1",
            "BAQPASSWORD": "USER1",
            "BAQTIMEOUT": "10",
        }
    )
    environ.update(env or {})
    args = [] if parm is None else [parm]
    return subprocess.run(
        [sys.executable, "-m", "pagent.workshop.getapi", *args],
        cwd=REPO,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def client_context(pki: Pki, *, with_cert: bool = True) -> ssl.SSLContext:
    """A TLS client context trusting the test CA, with the client certificate or not."""
    context = ssl.create_default_context(cafile=str(pki.ca))
    if with_cert:
        context.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    return context


def https_get(
    port: int, path: str, context: ssl.SSLContext, headers: Mapping[str, str]
) -> tuple[int, bytes]:
    """One GET over TLS to 127.0.0.1:``port``: status and body."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def basic(user: str, password: str) -> dict[str, str]:
    """The Authorization header of basic authentication."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}
