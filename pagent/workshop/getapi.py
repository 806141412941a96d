"""A stand-in for the workshop's batch API requester GETAPI (job USER1GET).

An ordinary program built on the Python standard library only; it imports nothing from
pagent and knows nothing of TLS. It always makes a *plain* HTTP request: when the
connection must be protected, AT-TLS does it underneath, as on z/OS.

Usage::

    BAQURI=wg31.washington.ibm.com BAQPORT=9080 BAQUSERNAME=USER1 BAQPASSWORD=USER1 \\
        python -m pagent.workshop.getapi [PARM]

``PARM`` (default ``111111``) is the FILEA key, as ``EXEC PGM=GETAPI,PARM='111111'``. The
environment stands in for the job's ``CEEOPTS`` ``ENVAR(...)``:

``BAQURI``
    the z/OS Connect EE server's host (required);
``BAQPORT``
    its port (default 9080);
``BAQUSERNAME`` / ``BAQPASSWORD``
    the ID2 sent with basic authentication (none sent when BAQUSERNAME is unset);
``BAQTIMEOUT``
    seconds allowed for the connection and for each read (default 30; ours, so that
    the program never hangs).

It calls ``GET /cscvinc/employee/{PARM}`` (the workshop does not show the stub's real
path; this one is shared with :mod:`pagent.workshop.zconnect`) and writes SYSPRINT on
standard output, as the workshop prints it:

* 200: ``NUMB:``, ``NAME:``, ``ADDRX:``, ``PHONE:``, ``DATEX:``, ``AMOUNT:``, ``EIBRESP:``
  and ``EIBRESP2:`` (8 digits), ``USERID:`` and ``HTTP CODE: 0000000200`` (10 digits);
* another HTTP status: ``Error code: 0000000404`` then ``Error msg:`` and the body;
* 302 without a Location header: ``Error code: 0000000005`` and BAQI0005E with
  ``HWTHRQST RC=262(0x106) RSC=6 RSN=A redirect status was returned but no redirect
  location was provided.``;
* a connection that cannot be made, is dropped or reset, times out, or answers with
  something that is not HTTP (as when the server closes a plain-text connection to its
  HTTPS port): ``Error code: 0000000005``, BAQI0005E with ``HWTHRQST RC=262(0x106)
  RSC=0 RSN=Connectivity appears to be lost`` and ``Error origin:STUB``. (The workshop
  shows this message for a lost connection; we use it for a refused connect too.)
* a 200 answer whose body is not the expected JSON: ``Error code: 0000000005`` and
  ``Error msg:BAQI0005E: ... RSN=The response could not be parsed`` with ``Error
  origin:STUB`` — our wording: the workshop has no such case.

Exit status. On z/OS the job's return code is the HTTP code (200, 401, 403, 404) or 5
for an error in the stub (BAQ-ERROR-IN-STUB). A Linux exit status holds only 0–255, and
the HTTP code modulo 256 would be misleading (404 would be 148, 200 would be 200 but 401
would be 145), so the mapping is:

======================  ===========
outcome                 exit status
======================  ===========
HTTP 200                0
error in the stub       5
any other HTTP status   8
bad usage (no BAQURI)   2
======================  ===========

The HTTP code itself is always in the SYSPRINT lines.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO
from urllib.parse import quote

PATH = "/cscvinc/employee/{numb}"
"""The endpoint of the API requester cscvincapi_1.0.0 (ours: not in the workshop)."""

DEFAULT_PARM = "111111"
DEFAULT_PORT = 9080
DEFAULT_TIMEOUT = 30.0

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_STUB = 5
EXIT_HTTP_ERROR = 8

BAQI0005E = (
    "BAQI0005E: Unable to send request to or receive response from the z/OS Connect EE "
    "server.HWTHRQST RC=262(0x106) "
)
NO_LOCATION = "RSC=6 RSN=A redirect status was returned but no redirect location was provided."
CONNECTIVITY_LOST = "RSC=0 RSN=Connectivity appears to be lost"
UNPARSABLE = "RSC=0 RSN=The response could not be parsed"


def _code(value: int, width: int) -> str:
    return f"{value:0{width}d}"


def _stub_error(out: TextIO, reason: str, origin: bool = True) -> int:
    out.write(f"Error code: {_code(5, 10)}\n")
    out.write(f"Error msg:{BAQI0005E}{reason}\n")
    if origin:
        out.write("Error origin:STUB\n")
    return EXIT_STUB


def _record(out: TextIO, body: bytes) -> int:
    """Print the record of a 200 answer; a stub error if it is not the expected JSON."""
    try:
        answer: Any = json.loads(body.decode("utf-8"))
        container = answer["cscvincServiceOperationResponse"]["Container1"]["RESPONSE_CONTAINER"]
        area = container["FILEA_AREA"]
        lines = [
            f"NUMB: {area['NUMB']}",
            f"NAME: {area['NAME']}",
            f"ADDRX: {area['ADDRX']}",
            f"PHONE: {area['PHONE']}",
            f"DATEX: {area['DATEX']}",
            f"AMOUNT: {area['AMOUNT']}",
            f"EIBRESP: {_code(int(container['CEIBRESP']), 8)}",
            f"EIBRESP2: {_code(int(container['CEIBRESP2']), 8)}",
            f"USERID: {container['USERID']}",
            f"HTTP CODE: {_code(200, 10)}",
        ]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return _stub_error(out, UNPARSABLE)
    out.write("".join(f"{line}\n" for line in lines))
    return EXIT_OK


def run(parm: str, environ: Mapping[str, str], out: TextIO) -> int:
    """Call the API requester for FILEA key ``parm``; print SYSPRINT to ``out``; the status."""
    host = environ.get("BAQURI", "").strip()
    if not host:
        sys.stderr.write("GETAPI: BAQURI (the z/OS Connect EE host) is not set\n")
        return EXIT_USAGE
    try:
        port = int(environ.get("BAQPORT", str(DEFAULT_PORT)))
        timeout = float(environ.get("BAQTIMEOUT", str(DEFAULT_TIMEOUT)))
    except ValueError as exc:
        sys.stderr.write(f"GETAPI: bad BAQPORT or BAQTIMEOUT: {exc}\n")
        return EXIT_USAGE
    headers = {"Accept": "application/json"}
    username = environ.get("BAQUSERNAME")
    if username is not None:
        token = f"{username}:{environ.get('BAQPASSWORD', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")

    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", PATH.format(numb=quote(parm, safe="")), headers=headers)
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location")
        body = response.read()
    except (OSError, http.client.HTTPException):
        return _stub_error(out, CONNECTIVITY_LOST)
    finally:
        connection.close()

    if status in {301, 302, 303, 307, 308} and not location:
        return _stub_error(out, NO_LOCATION, origin=False)
    if status == 200:
        return _record(out, body)
    out.write(f"Error code: {_code(status, 10)}\n")
    out.write(f"Error msg:{body.decode('utf-8', errors='replace')}\n")
    return EXIT_HTTP_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pagent.workshop.getapi [PARM]``: the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in {"-h", "--help"}:
        sys.stdout.write(__doc__ or "")
        return EXIT_OK
    if len(args) > 1:
        sys.stderr.write("usage: python -m pagent.workshop.getapi [PARM]\n")
        return EXIT_USAGE
    parm = args[0] if args else DEFAULT_PARM
    status = run(parm, os.environ, sys.stdout)
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
