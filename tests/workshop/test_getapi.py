"""The GETAPI stand-in against the real zconnect stand-in, and against odd servers."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pagent.workshop import getapi as getapi_module
from tests.workshop import Pki, Server, getapi, make_pki, running_server

RECORD_111111 = (
    "NUMB: 111111\n"
    "NAME: C. BAKER\n"
    "ADDRX: OTTAWA, ONTARIO\n"
    "PHONE: 51212003\n"
    "DATEX: 26 11 81\n"
    "AMOUNT: $0011.00\n"
    "EIBRESP: 00000000\n"
    "EIBRESP2: 00000000\n"
    "USERID: LIBSERV\n"
    "HTTP CODE: 0000000200\n"
)
NOT_FOUND_000000 = (
    "Error code: 0000000404\n"
    'Error msg:{"cscvincServiceOperationResponse":{"Container1":{"RESPONSE_CONTAINER":'
    '{"CEIBRESP2":80,"FILEA_AREA":{"STAT":"","ADDRX":"","AMOUNT":"","PHONE":"","DATEX":"",'
    '"NUMB":"000000","COMMENT":"","NAME":""},"ACTION":"S","USERID":"LIBSERV","CEIBRESP":13}}}}\n'
)
FORBIDDEN_USER2 = (
    "Error code: 0000000403\n"
    'Error msg:{"errorMessage":"BAQR7115E: The asserted user ID USER2 is not authorized to '
    'invoke the API requester on resource /zosConnect/apiRequesters/cscvincapi_1.0.0."}\n'
)
UNAUTHORIZED = "Error code: 0000000401\nError msg:Unauthorized\n"
NO_LOCATION = (
    "Error code: 0000000005\n"
    "Error msg:BAQI0005E: Unable to send request to or receive response from the z/OS Connect "
    "EE server.HWTHRQST RC=262(0x106) RSC=6 RSN=A redirect status was returned but no redirect "
    "location was provided.\n"
)
CONNECTIVITY_LOST = (
    "Error code: 0000000005\n"
    "Error msg:BAQI0005E: Unable to send request to or receive response from the z/OS Connect "
    "EE server.HWTHRQST RC=262(0x106) RSC=0 RSN=Connectivity appears to be lost\n"
    "Error origin:STUB\n"
)


@pytest.fixture(scope="module", name="pki")
def fixture_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module", name="open_server")
def fixture_open_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(pki, tmp_path_factory.mktemp("open"), "--require-secure", "false") as s:
        yield s


@pytest.fixture(scope="module", name="secure_server")
def fixture_secure_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(pki, tmp_path_factory.mktemp("secure")) as server:
        yield server


# --- the workshop's steps, over plain HTTP ---------------------------------------------


def test_step_2_require_secure_gives_rc_262_rsc_6(secure_server: Server) -> None:
    done = getapi(secure_server.http_port)
    assert done.stdout == NO_LOCATION
    assert done.returncode == 5


def test_step_6_the_record(open_server: Server) -> None:
    done = getapi(open_server.http_port)
    assert done.stdout == RECORD_111111
    assert done.returncode == 0


def test_parm_defaults_to_111111(open_server: Server) -> None:
    done = getapi(open_server.http_port, parm=None)
    assert done.stdout == RECORD_111111
    assert done.returncode == 0


def test_parm_000000_is_the_404(open_server: Server) -> None:
    done = getapi(open_server.http_port, "000000")
    assert done.stdout == NOT_FOUND_000000
    assert done.returncode == 8


def test_user2_is_403(open_server: Server) -> None:
    done = getapi(open_server.http_port, env={"BAQUSERNAME": "USER2", "BAQPASSWORD": "USER2"})
    assert done.stdout == FORBIDDEN_USER2
    assert done.returncode == 8


def test_bad_password_is_401(open_server: Server) -> None:
    done = getapi(open_server.http_port, env={"BAQPASSWORD": "password"})
    assert done.stdout == UNAUTHORIZED
    assert done.returncode == 8
    assert open_server.wait_log("IRR013I VERIFICATION FAILED. INVALID PASSWORD GIVEN.")


def test_unknown_user_is_401(open_server: Server) -> None:
    done = getapi(open_server.http_port, env={"BAQUSERNAME": "USERX"})
    assert done.stdout == UNAUTHORIZED
    assert done.returncode == 8
    assert open_server.wait_log("IRR012I VERIFICATION FAILED. USER PROFILE NOT FOUND.")


# --- plain text where TLS is expected, and a server gone -------------------------------


def test_step_15_plain_text_to_the_https_port(secure_server: Server) -> None:
    done = getapi(secure_server.https_port)
    assert done.stdout == CONNECTIVITY_LOST
    assert done.returncode == 5
    assert secure_server.wait_log(
        "CWWKO0801E: Unable to initialize SSL connection. Unauthorized access was denied or "
        "security settings have expired. Exception is javax.net.ssl.SSLException: "
        "Unrecognized SSL message, plaintext connection?"
    )
    assert secure_server.process.poll() is None  # still serving


def test_server_killed_is_connectivity_lost(pki: Pki, tmp_path: Path) -> None:
    with running_server(pki, tmp_path, "--require-secure", "false") as server:
        port = server.http_port
        server.process.kill()
        server.process.wait(10)
    done = getapi(port)
    assert done.stdout == CONNECTIVITY_LOST
    assert done.returncode == 5


# --- in process, against servers that misbehave ----------------------------------------


class _Canned(BaseHTTPRequestHandler):
    """Answers every GET with the class's canned status, headers and body."""

    status = 200
    headers_out: tuple[tuple[str, str], ...] = ()
    payload = b""

    def do_GET(self) -> None:
        self.send_response(self.status)
        for name, value in self.headers_out:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        self.wfile.write(self.payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(name="canned")
def fixture_canned() -> Iterator[tuple[type[_Canned], int]]:
    handler = type("Handler", (_Canned,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def run_in_process(port: int, parm: str = "111111") -> tuple[int, str]:
    out = io.StringIO()
    environ = {
        "BAQURI": "127.0.0.1",
        "BAQPORT": str(port),
        "BAQUSERNAME": "USER1",
        "BAQPASSWORD": "USER1",
        "BAQTIMEOUT": "5",
    }
    status = getapi_module.run(parm, environ, out)
    return status, out.getvalue()


def test_302_with_a_location_is_an_http_error(canned: tuple[type[_Canned], int]) -> None:
    handler, port = canned
    handler.status = 302
    handler.headers_out = (("Location", "https://127.0.0.1:9443/"),)
    assert run_in_process(port) == (8, "Error code: 0000000302\nError msg:\n")


def test_200_that_is_not_the_record_is_a_stub_error(canned: tuple[type[_Canned], int]) -> None:
    handler, port = canned
    handler.payload = b"<html>not json</html>"
    status, out = run_in_process(port)
    assert status == 5
    assert "RSN=The response could not be parsed" in out
    assert out.endswith("Error origin:STUB\n")


def test_a_non_http_answer_is_connectivity_lost() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def answer() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # a TLS alert, not HTTP

        thread = threading.Thread(target=answer)
        thread.start()
        try:
            assert run_in_process(port) == (5, CONNECTIVITY_LOST)
        finally:
            thread.join(10)


def test_a_silent_server_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        out = io.StringIO()
        environ = {"BAQURI": "127.0.0.1", "BAQPORT": str(port), "BAQTIMEOUT": "0.5"}
        assert getapi_module.run("111111", environ, out) == 5
        assert out.getvalue() == CONNECTIVITY_LOST


def test_no_baquri_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert getapi_module.run("111111", {}, io.StringIO()) == 2
    assert "BAQURI" in capsys.readouterr().err


def test_too_many_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert getapi_module.main(["1", "2"]) == 2
    assert "usage" in capsys.readouterr().err
