"""A stand-in for the workshop's z/OS Connect EE server (zCEE), in front of CICS FILEA.

An ordinary program built on the Python standard library only. It imports nothing from
pagent outside :mod:`pagent.workshop` (its FILEA data) and knows nothing of AT-TLS: it is
one of the "unmodified applications" of the emulated stack.

Usage::

    python -m pagent.workshop.zconnect --https-port 9443 --http-port 9080 \\
        --host 127.0.0.1 --cert cert.pem --key key.pem --cafile ca.pem \\
        [--require-secure true|false] [--users USER1:USER1,USER2:USER2] \\
        [--authorized USER1] [--cert-user LIBSERV]

It listens on two ports (either may be 0 for an ephemeral port) and, once both listen,
prints ``READY https=PORT http=PORT`` (the real ports) on standard output. It stops
cleanly (exit status 0) on SIGTERM or SIGINT. Every request is logged on standard error in
one line; standard error also stands in for the server's ``messages.log`` and for the
SYSLOG that RACF writes to.

The endpoint
    ``GET /cscvinc/employee/{numb}`` — the API requester ``cscvincapi_1.0.0`` reading the
    FILEA record whose key is ``numb``. The workshop never shows the real path the GETAPI
    stub calls; this path is ours.

The HTTPS port (the workshop's 9443)
    A TLS server that requires a client certificate issued by ``--cafile`` (mutual TLS,
    ``ssl.CERT_REQUIRED``). A connection whose first byte is not a TLS handshake record
    (plain text, as when AT-TLS does not apply to the client) is closed without an answer
    and the server logs the workshop's message::

        CWWKO0801E: Unable to initialize SSL connection. Unauthorized access was denied
        or security settings have expired. Exception is javax.net.ssl.SSLException:
        Unrecognized SSL message, plaintext connection?

    (on one line). Any other failed handshake (no client certificate, unknown issuer) logs
    CWWKO0801E with ``javax.net.ssl.SSLHandshakeException:`` and OpenSSL's reason. The
    server keeps serving after any bad connection.

The HTTP port (the workshop's 9080)
    With ``--require-secure true`` (the default, the workshop's ``requireSecure="true"``)
    every request is answered ``302 Found`` *without* a ``Location`` header: the workshop's
    "a redirect status was returned but no redirect location was provided". With
    ``false`` requests are served as on the HTTPS port.

Basic authentication (the workshop's ID2: BAQUSERNAME and BAQPASSWORD)
    ``--users`` lists the RACF users and their passwords; user IDs are folded to upper
    case as RACF does, passwords are compared exactly. A missing or unreadable
    ``Authorization`` header, an unknown user or a wrong password is answered ``401`` with
    the body ``Unauthorized`` and ``WWW-Authenticate: Basic realm="zCEE"``. A wrong
    password writes RACF's ICH408I (``GROUP(SYS1) NAME(WORKSHOP userid)``, as the
    workshop's users have) and IRR013I; an unknown user writes IRR012I. A known user not
    in ``--authorized`` is answered ``403`` with the workshop's BAQR7115E body.

The identity that reaches CICS (the USERID field of the answer)
    Over mutual TLS it is the SAF user mapped to the client certificate, ``--cert-user``
    (default LIBSERV), as in the workshop's step 13. Over plain HTTP (require-secure
    false) the workshop's output (step 6 of the connection test) also shows LIBSERV — the
    server's own identity, since ``idAssertion="ASSERT_ONLY"`` does not flow the ID2 to
    the API provider — so the same ``--cert-user`` value is used there too.

Answers
    A found record is ``200`` with the CICS response container (CEIBRESP 0, CEIBRESP2 0,
    the record in FILEA_AREA); a missing one is ``404`` with exactly the workshop's body
    (CEIBRESP 13, CEIBRESP2 80, empty fields, NUMB as asked). Any other path is ``404``
    with the body ``Not Found``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

from pagent.workshop.filea import lookup

API_REQUESTER = "cscvincapi_1.0.0"
"""The API requester the endpoint belongs to (the workshop's apiRequester element)."""

ENDPOINT = re.compile(r"^/cscvinc/employee/([^/]+)$")
"""Our path for the API requester's one operation (not given by the workshop)."""

CWWKO0801E = (
    "CWWKO0801E: Unable to initialize SSL connection. Unauthorized access was denied or "
    "security settings have expired. Exception is "
)
PLAINTEXT_EXCEPTION = "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?"

SOCKET_TIMEOUT = 30.0
"""Seconds a connection may stay silent (handshake, request) before it is dropped."""

Address = tuple[str, int]
"""A client's (host, port), as the listeners see it (IPv4)."""

TLS_HANDSHAKE = 0x16
"""The content type of a TLS handshake record: the first byte a TLS client sends."""

_log_lock = threading.Lock()


def log(*lines: str) -> None:
    """Write ``lines`` to standard error together (the server's log, SYSLOG stand-in)."""
    with _log_lock:
        sys.stderr.write("".join(f"{line}\n" for line in lines))
        sys.stderr.flush()


@dataclass(frozen=True)
class Config:
    """What the server's options decide."""

    users: dict[str, str]
    authorized: frozenset[str]
    cert_user: str
    require_secure: bool


def employee_response(numb: str, userid: str) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON answer of the CICS program for key ``numb``."""
    record = lookup(numb)
    if record is None:
        area = {
            "STAT": "",
            "ADDRX": "",
            "AMOUNT": "",
            "PHONE": "",
            "DATEX": "",
            "NUMB": numb,
            "COMMENT": "",
            "NAME": "",
        }
        resp, resp2, status = 13, 80, 404
    else:
        area = {
            "STAT": "",
            "ADDRX": record.addrx,
            "AMOUNT": record.amount,
            "PHONE": record.phone,
            "DATEX": record.datex,
            "NUMB": record.numb,
            "COMMENT": "",
            "NAME": record.name,
        }
        resp, resp2, status = 0, 0, 200
    container = {
        "CEIBRESP2": resp2,
        "FILEA_AREA": area,
        "ACTION": "S",
        "USERID": userid,
        "CEIBRESP": resp,
    }
    body = {"cscvincServiceOperationResponse": {"Container1": {"RESPONSE_CONTAINER": container}}}
    return status, body


def forbidden_body(userid: str) -> dict[str, str]:
    """The workshop's 403 answer for a user not authorized to the API requester."""
    return {
        "errorMessage": (
            f"BAQR7115E: The asserted user ID {userid} is not authorized to invoke the API "
            f"requester on resource /zosConnect/apiRequesters/{API_REQUESTER}."
        )
    }


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """The (user, password) of a ``Basic`` Authorization header, or None if unreadable."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    return user, password


class ZConnectServer(ThreadingHTTPServer):
    """One listener of the server: HTTPS (``context`` set) or plain HTTP."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], config: Config, context: ssl.SSLContext | None
    ) -> None:
        self.config = config
        self.context = context
        super().__init__(address, Handler)

    @property
    def scheme(self) -> str:
        """``https`` or ``http``."""
        return "https" if self.context is not None else "http"

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS look-up of the host (it can be slow)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Address
    ) -> None:
        """Serve one connection, in its own thread; on HTTPS, do the TLS handshake first."""
        assert isinstance(request, socket.socket)
        sock = request
        sock.settimeout(SOCKET_TIMEOUT)
        if self.context is None:
            Handler(sock, client_address, self)
            return
        peer = f"{client_address[0]}:{client_address[1]}"
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError as exc:
            log(f"https {peer} connection failed before the handshake: {exc}")
            return
        if not first:
            return  # the client closed without sending anything
        if first[0] != TLS_HANDSHAKE:
            log(CWWKO0801E + PLAINTEXT_EXCEPTION)
            return  # closed without an answer: the client sees the connection lost
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        try:
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                reason = getattr(exc, "reason", None) or str(exc)
                log(CWWKO0801E + f"javax.net.ssl.SSLHandshakeException: {reason}")
                return
            Handler(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Address
    ) -> None:
        """Log a failed connection in one line (not a traceback) and keep serving."""
        exc = sys.exc_info()[1]
        log(f"{self.scheme} {client_address[0]}:{client_address[1]} connection error: {exc!r}")


class Handler(BaseHTTPRequestHandler):
    """The answers of the API requester endpoint."""

    server_version = "zCEE-standin/1.0"
    timeout = SOCKET_TIMEOUT

    @property
    def zcee(self) -> ZConnectServer:
        """The listener this request came to."""
        assert isinstance(self.server, ZConnectServer)
        return self.server

    def log_message(self, format: str, *args: object) -> None:
        """One line per request on standard error, with the scheme of the listener."""
        prefix = f"{self.zcee.scheme} {self.address_string()} [{self.log_date_time_string()}]"
        log(f"{prefix} {format % args}")

    def _send(
        self, status: int, body: bytes, content_type: str, headers: Sequence[tuple[str, str]] = ()
    ) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self._send(status, data, "application/json; charset=utf-8")

    def _authenticate(self) -> str | None:
        """The RACF user of the request's basic credentials; None once 401 is answered."""
        users = self.zcee.config.users
        credentials = basic_credentials(self.headers.get("Authorization"))
        user = None
        if credentials is not None:
            user = credentials[0].upper()
            if user not in users:
                log("IRR012I VERIFICATION FAILED. USER PROFILE NOT FOUND.")
                user = None
            elif users[user] != credentials[1]:
                log(
                    f"ICH408I USER({user}) GROUP(SYS1) NAME(WORKSHOP {user})",
                    "LOGON/JOB INITIATION - INVALID PASSWORD",
                    "IRR013I VERIFICATION FAILED. INVALID PASSWORD GIVEN.",
                )
                user = None
        if user is None:
            self._send(
                401,
                b"Unauthorized",
                "text/plain; charset=utf-8",
                [("WWW-Authenticate", 'Basic realm="zCEE"')],
            )
        return user

    def do_GET(self) -> None:
        """Answer ``GET /cscvinc/employee/{numb}``."""
        config = self.zcee.config
        if self.zcee.context is None and config.require_secure:
            # requireSecure="true": the redirect to HTTPS, with no location to go to.
            self._send(302, b"", "text/plain; charset=utf-8")
            return
        match = ENDPOINT.match(urlsplit(self.path).path)
        if match is None:
            self._send(404, b"Not Found", "text/plain; charset=utf-8")
            return
        user = self._authenticate()
        if user is None:
            return
        if user not in config.authorized:
            self._send_json(403, forbidden_body(user))
            return
        status, body = employee_response(unquote(match.group(1)), config.cert_user)
        self._send_json(status, body)


def _user_list(text: str) -> frozenset[str]:
    return frozenset(item.strip().upper() for item in text.split(",") if item.strip())


def _users(text: str) -> dict[str, str]:
    users: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        user, sep, password = item.partition(":")
        if not sep or not user.strip():
            raise argparse.ArgumentTypeError(f"not USER:PASSWORD: {item!r}")
        users[user.strip().upper()] = password
    return users


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value not in {"true", "false"}:
        raise argparse.ArgumentTypeError(f"true or false, not {text!r}")
    return value == "true"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m pagent.workshop.zconnect",
        description="A stand-in for the workshop's z/OS Connect EE server in front of FILEA.",
    )
    parser.add_argument("--https-port", type=int, default=9443, help="mutual TLS port (9443)")
    parser.add_argument("--http-port", type=int, default=9080, help="plain HTTP port (9080)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--cert", required=True, help="server certificate chain (PEM)")
    parser.add_argument("--key", required=True, help="server private key (PEM)")
    parser.add_argument("--cafile", required=True, help="CA(s) that issue client certs (PEM)")
    parser.add_argument(
        "--require-secure",
        type=_boolean,
        default=True,
        metavar="true|false",
        help="answer HTTP requests 302 without Location (default true)",
    )
    parser.add_argument(
        "--users",
        type=_users,
        default=_users("USER1:USER1,USER2:USER2"),
        metavar="USER:PASSWORD,...",
        help="RACF users and passwords (default USER1:USER1,USER2:USER2)",
    )
    parser.add_argument(
        "--authorized",
        type=_user_list,
        default=_user_list("USER1"),
        metavar="USER,...",
        help=f"users authorized to invoke {API_REQUESTER} (default USER1)",
    )
    parser.add_argument(
        "--cert-user",
        default="LIBSERV",
        help="SAF user mapped to the client certificate, sent to CICS (default LIBSERV)",
    )
    return parser.parse_args(argv)


def tls_context(cert: str, key: str, cafile: str) -> ssl.SSLContext:
    """The HTTPS listener's context: our certificate, client certificates required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.load_verify_locations(cafile)
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGTERM or SIGINT; the exit status."""
    args = parse_args(argv)
    config = Config(
        users=args.users,
        authorized=args.authorized,
        cert_user=args.cert_user,
        require_secure=args.require_secure,
    )
    try:
        context = tls_context(args.cert, args.key, args.cafile)
    except (OSError, ssl.SSLError) as exc:
        log(f"zconnect: cannot load the TLS files: {exc}")
        return 2
    servers: list[ZConnectServer] = []
    try:
        servers.append(ZConnectServer((args.host, args.https_port), config, context))
        servers.append(ZConnectServer((args.host, args.http_port), config, None))
    except OSError as exc:
        log(f"zconnect: cannot listen on {args.host}: {exc}")
        for server in servers:
            server.server_close()
        return 2

    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    threads = [
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"zconnect-{server.scheme}",
            daemon=True,
        )
        for server in servers
    ]
    for thread in threads:
        thread.start()
    https, http = servers
    sys.stdout.write(f"READY https={https.server_port} http={http.server_port}\n")
    sys.stdout.flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)
    log("zconnect: stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
