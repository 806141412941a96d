"""The z/OS Connect EE stand-in: its answers, over HTTP and over mutual TLS."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagent.workshop import zconnect
from tests.workshop import (
    REPO,
    Pki,
    Server,
    basic,
    client_context,
    https_get,
    make_pki,
    running_server,
    stop,
)

PLAINTEXT_LINE = (
    "CWWKO0801E: Unable to initialize SSL connection. Unauthorized access was denied or "
    "security settings have expired. Exception is javax.net.ssl.SSLException: "
    "Unrecognized SSL message, plaintext connection?"
)
FOUND_111111 = (
    '{"cscvincServiceOperationResponse":{"Container1":{"RESPONSE_CONTAINER":{"CEIBRESP2":0,'
    '"FILEA_AREA":{"STAT":"","ADDRX":"OTTAWA, ONTARIO","AMOUNT":"$0011.00","PHONE":"51212003",'
    '"DATEX":"26 11 81","NUMB":"111111","COMMENT":"","NAME":"C. BAKER"},"ACTION":"S",'
    '"USERID":"LIBSERV","CEIBRESP":0}}}}'
)
NOT_FOUND_000000 = (
    '{"cscvincServiceOperationResponse":{"Container1":{"RESPONSE_CONTAINER":{"CEIBRESP2":80,'
    '"FILEA_AREA":{"STAT":"","ADDRX":"","AMOUNT":"","PHONE":"","DATEX":"","NUMB":"000000",'
    '"COMMENT":"","NAME":""},"ACTION":"S","USERID":"LIBSERV","CEIBRESP":13}}}}'
)
FORBIDDEN_USER2 = (
    '{"errorMessage":"BAQR7115E: The asserted user ID USER2 is not authorized to invoke the '
    'API requester on resource /zosConnect/apiRequesters/cscvincapi_1.0.0."}'
)


@pytest.fixture(scope="module", name="pki")
def fixture_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module", name="open_server")
def fixture_open_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """requireSecure="false": the HTTP port serves the API requester."""
    directory = tmp_path_factory.mktemp("open")
    with running_server(pki, directory, "--require-secure", "false") as server:
        yield server


@pytest.fixture(scope="module", name="secure_server")
def fixture_secure_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The default, requireSecure="true"."""
    with running_server(pki, tmp_path_factory.mktemp("secure")) as server:
        yield server


def http_get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> http.client.HTTPResponse:
    """One plain GET; the response with its body already read (available as .data)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        response.data = response.read()  # type: ignore[attr-defined]
        return response
    finally:
        connection.close()


def body(response: http.client.HTTPResponse) -> str:
    data: bytes = response.data  # type: ignore[attr-defined]
    return data.decode()


# --- the answers, without a process ---------------------------------------------------


def test_employee_response_found() -> None:
    status, answer = zconnect.employee_response("111111", "LIBSERV")
    assert status == 200
    assert json.dumps(answer, separators=(",", ":")) == FOUND_111111


def test_employee_response_not_found_keeps_the_key_asked() -> None:
    status, answer = zconnect.employee_response("000000", "LIBSERV")
    assert status == 404
    assert json.dumps(answer, separators=(",", ":")) == NOT_FOUND_000000


def test_forbidden_body() -> None:
    assert json.dumps(zconnect.forbidden_body("USER2"), separators=(",", ":")) == FORBIDDEN_USER2


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("Basic VVNFUjE6VVNFUjE=", ("USER1", "USER1")),
        ("basic VVNFUjE6VVNFUjE=", ("USER1", "USER1")),
        ("Basic VVNFUjE6YTpi", ("USER1", "a:b")),
        ("Basic VVNFUjE=", None),  # no colon
        ("Basic ***", None),
        ("Bearer abc", None),
    ],
)
def test_basic_credentials(header: str | None, expected: tuple[str, str] | None) -> None:
    assert zconnect.basic_credentials(header) == expected


def test_options() -> None:
    args = zconnect.parse_args(
        ["--cert", "c", "--key", "k", "--cafile", "a", "--users", "user1:pw,User3:x"]
    )
    assert args.require_secure is True
    assert args.users == {"USER1": "pw", "USER3": "x"}
    assert args.authorized == frozenset({"USER1"})
    assert args.cert_user == "LIBSERV"
    assert (args.https_port, args.http_port) == (9443, 9080)
    args = zconnect.parse_args(
        ["--cert", "c", "--key", "k", "--cafile", "a", "--require-secure", "FALSE"]
    )
    assert args.require_secure is False
    assert args.users == {"USER1": "USER1", "USER2": "USER2"}


def test_bad_require_secure_value() -> None:
    with pytest.raises(SystemExit):
        zconnect.parse_args(["--cert", "c", "--key", "k", "--cafile", "a", "--require-secure", "x"])


# --- the HTTP port ---------------------------------------------------------------------


def test_require_secure_answers_302_without_location(secure_server: Server) -> None:
    response = http_get(
        secure_server.http_port, "/cscvinc/employee/111111", basic("USER1", "USER1")
    )
    assert response.status == 302
    assert response.getheader("Location") is None


def test_found_record_over_http(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/111111", basic("USER1", "USER1"))
    assert response.status == 200
    assert response.getheader("Content-Type", "").startswith("application/json")
    assert body(response) == FOUND_111111


def test_missing_record_is_the_workshop_404(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/000000", basic("USER1", "USER1"))
    assert response.status == 404
    assert body(response) == NOT_FOUND_000000


def test_lower_case_user_id_is_folded(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/44444", basic("user1", "USER1"))
    assert response.status == 200
    assert (
        json.loads(body(response))["cscvincServiceOperationResponse"]["Container1"][
            "RESPONSE_CONTAINER"
        ]["FILEA_AREA"]["NAME"]
        == "D. JACOBS"
    )


def test_wrong_password_is_401_with_racf_messages(open_server: Server) -> None:
    response = http_get(
        open_server.http_port, "/cscvinc/employee/111111", basic("USER1", "password")
    )
    assert response.status == 401
    assert body(response) == "Unauthorized"
    assert response.getheader("WWW-Authenticate") == 'Basic realm="zCEE"'
    assert open_server.wait_log(
        "ICH408I USER(USER1) GROUP(SYS1) NAME(WORKSHOP USER1)\n"
        "LOGON/JOB INITIATION - INVALID PASSWORD\n"
        "IRR013I VERIFICATION FAILED. INVALID PASSWORD GIVEN.\n"
    )


def test_unknown_user_is_401_with_irr012i(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/111111", basic("USERX", "USERX"))
    assert response.status == 401
    assert body(response) == "Unauthorized"
    assert open_server.wait_log("IRR012I VERIFICATION FAILED. USER PROFILE NOT FOUND.\n")


def test_no_credentials_is_401(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/111111")
    assert response.status == 401
    assert response.getheader("WWW-Authenticate") == 'Basic realm="zCEE"'


def test_user_not_authorized_is_403(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/employee/111111", basic("USER2", "USER2"))
    assert response.status == 403
    assert body(response) == FORBIDDEN_USER2


def test_other_paths_are_404(open_server: Server) -> None:
    response = http_get(open_server.http_port, "/cscvinc/other", basic("USER1", "USER1"))
    assert response.status == 404
    assert body(response) == "Not Found"


def test_each_request_is_logged_in_one_line(open_server: Server) -> None:
    http_get(open_server.http_port, "/cscvinc/employee/222222", basic("USER1", "USER1"))
    assert open_server.wait_log('"GET /cscvinc/employee/222222 HTTP/1.1" 200')
    lines = [line for line in open_server.log().splitlines() if "employee/222222" in line]
    assert lines
    assert lines[0].startswith("http 127.0.0.1 [")


def test_garbage_on_the_http_port_does_not_stop_the_server(open_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", open_server.http_port), timeout=10) as sock:
        sock.sendall(b"\x00\x01garbage\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass
    response = http_get(open_server.http_port, "/cscvinc/employee/111111", basic("USER1", "USER1"))
    assert response.status == 200


# --- the HTTPS port --------------------------------------------------------------------


def test_mutual_tls_serves_the_record(pki: Pki, secure_server: Server) -> None:
    status, data = https_get(
        secure_server.https_port,
        "/cscvinc/employee/111111",
        client_context(pki),
        basic("USER1", "USER1"),
    )
    assert status == 200
    assert data.decode() == FOUND_111111


def test_mutual_tls_still_checks_id2(pki: Pki, secure_server: Server) -> None:
    status, data = https_get(
        secure_server.https_port,
        "/cscvinc/employee/111111",
        client_context(pki),
        basic("USER2", "USER2"),
    )
    assert status == 403
    assert data.decode() == FORBIDDEN_USER2


def test_the_server_name_is_verified_by_the_client(pki: Pki, secure_server: Server) -> None:
    context = client_context(pki)
    with (
        socket.create_connection(("127.0.0.1", secure_server.https_port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="wg31.washington.ibm.com") as tls,
    ):
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_no_client_certificate_fails(pki: Pki, secure_server: Server) -> None:
    with pytest.raises((ssl.SSLError, ConnectionError)):
        https_get(
            secure_server.https_port,
            "/cscvinc/employee/111111",
            client_context(pki, with_cert=False),
            basic("USER1", "USER1"),
        )
    assert secure_server.wait_log("javax.net.ssl.SSLHandshakeException")
    status, _ = https_get(
        secure_server.https_port,
        "/cscvinc/employee/111111",
        client_context(pki),
        basic("USER1", "USER1"),
    )
    assert status == 200


def test_plain_text_to_the_https_port(pki: Pki, secure_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", secure_server.https_port), timeout=10) as sock:
        sock.sendall(b"GET /cscvinc/employee/111111 HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = sock.recv(4096)
        except ConnectionResetError:
            answer = b""
    assert answer == b""  # closed without an answer
    assert secure_server.wait_log(PLAINTEXT_LINE + "\n")
    status, _ = https_get(
        secure_server.https_port,
        "/cscvinc/employee/111111",
        client_context(pki),
        basic("USER1", "USER1"),
    )
    assert status == 200


def test_silent_client_on_the_https_port_is_harmless(pki: Pki, secure_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", secure_server.https_port), timeout=10):
        pass  # connect and close without a byte
    status, _ = https_get(
        secure_server.https_port,
        "/cscvinc/employee/111111",
        client_context(pki),
        basic("USER1", "USER1"),
    )
    assert status == 200


# --- the process -----------------------------------------------------------------------


def test_cert_user_option_and_sigterm(pki: Pki, tmp_path: Path) -> None:
    with running_server(
        pki,
        tmp_path,
        "--require-secure",
        "false",
        "--cert-user",
        "ZCEECLI",
        "--authorized",
        "USER1,USER2",
    ) as server:
        response = http_get(server.http_port, "/cscvinc/employee/111111", basic("USER2", "USER2"))
        assert response.status == 200
        assert '"USERID":"ZCEECLI"' in body(response)
        server.process.send_signal(signal.SIGTERM)
        assert stop(server.process) == 0
        assert "zconnect: stopped" in server.log()


def test_sigint_stops_cleanly(pki: Pki, tmp_path: Path) -> None:
    with running_server(pki, tmp_path) as server:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(10) == 0


def test_missing_tls_files_exit_2(tmp_path: Path) -> None:
    missing = str(tmp_path / "none.pem")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pagent.workshop.zconnect",
            "--https-port",
            "0",
            "--http-port",
            "0",
            "--cert",
            missing,
            "--key",
            missing,
            "--cafile",
            missing,
        ],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "cannot load the TLS files" in done.stderr
