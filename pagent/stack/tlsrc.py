"""The return code that AT-TLS reports for a failed TLS connection, from the Python error.

One function, :func:`rc_of`, turns whatever the stack's TLS engine raised (an
:class:`ssl.SSLError`, a socket error, a timeout) into the code that EZD1286I/EZD1287I show:
below 5000 a System SSL (gsk) return code, 5001-5999 an AT-TLS code (pagent-ops.md §5.4).
:func:`rc_text` gives the short meaning of each code used here.

OpenSSL and System SSL do not fail in the same words, so this is a mapping by kind of
failure, not a translation; the choices that no IBM source confirms are marked [UNV] here
and listed in docs/fidelity.md.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

__all__ = [
    "RC_CLEAR_TEXT",
    "RC_CONN_CLOSED",
    "RC_EXPIRED",
    "RC_INTERNAL",
    "RC_NOT_TRUSTED",
    "RC_NO_CERTIFICATE",
    "RC_NO_CIPHER",
    "RC_NO_CLIENT_CERT",
    "RC_NO_PERSONAL_CERT",
    "RC_TEXT",
    "RC_TIMEOUT",
    "Side",
    "rc_of",
    "rc_text",
]

Side = Literal["client", "server"]

RC_INTERNAL = 3
RC_NO_PERSONAL_CERT = 7
RC_NOT_TRUSTED = 8
RC_EXPIRED = 401
RC_NO_CIPHER = 402
RC_NO_CERTIFICATE = 403
RC_CONN_CLOSED = 406
RC_NO_CLIENT_CERT = 5001
RC_CLEAR_TEXT = 5003
RC_TIMEOUT = 5004

#: The meaning of each code, after pagent-ops.md §5.4.
RC_TEXT: Mapping[int, str] = MappingProxyType(
    {
        RC_INTERNAL: "internal error",
        RC_NO_PERSONAL_CERT: "no certificates available",
        RC_NOT_TRUSTED: "certificate validation error",
        9: "cryptographic error",
        RC_EXPIRED: "certificate expired or not yet valid",
        RC_NO_CIPHER: "no SSL cipher specifications (no common cipher or protocol)",
        RC_NO_CERTIFICATE: "no certificate received from partner",
        # [UNV] §5.4 knows 406 only from an OPERLOG capture; pagent uses it for a partner that
        # closed or reset the connection during the handshake.
        RC_CONN_CLOSED: "connection closed by partner during the handshake",
        RC_NO_CLIENT_CERT: "client certificate required but none was sent",
        RC_CLEAR_TEXT: "clear text received where secure data was expected",
        RC_TIMEOUT: "HandshakeTimeout expired before the handshake completed",
    }
)

# OpenSSL reason codes (SSLError.reason) by the code they get. Reasons of alerts the partner
# sent are named after the alert ("TLSV1_ALERT_UNKNOWN_CA"), so a partner's refusal maps to
# the same code as our own.
_CLEAR_TEXT = frozenset(
    {
        "WRONG_VERSION_NUMBER",  # a record header that is no TLS version: e.g. "GET /"
        "HTTP_REQUEST",
        "HTTPS_PROXY_REQUEST",
        "RECORD_LAYER_FAILURE",
        "PACKET_LENGTH_TOO_LONG",
        "UNKNOWN_PROTOCOL",
    }
)
_NO_CIPHER = frozenset(
    {
        "NO_SHARED_CIPHER",
        "NO_CIPHERS_AVAILABLE",
        "NO_PROTOCOLS_AVAILABLE",
        "UNSUPPORTED_PROTOCOL",
        "VERSION_TOO_LOW",
        "VERSION_TOO_HIGH",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",  # the partner's generic refusal, mostly no common suite
        "TLSV1_ALERT_INSUFFICIENT_SECURITY",
        "NO_SUITABLE_SIGNATURE_ALGORITHM",
        "NO_SHARED_SIGNATURE_ALGORITHMS",
        "NO_SHARED_GROUPS",
    }
)
_EXPIRED = frozenset({"SSLV3_ALERT_CERTIFICATE_EXPIRED"})
_NOT_TRUSTED = frozenset(
    {
        "CERTIFICATE_VERIFY_FAILED",
        "TLSV1_ALERT_UNKNOWN_CA",
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    }
)
_NO_PEER_CERT = frozenset(
    {"PEER_DID_NOT_RETURN_A_CERTIFICATE", "TLSV13_ALERT_CERTIFICATE_REQUIRED"}
)
_CLOSED = frozenset({"UNEXPECTED_EOF_WHILE_READING"})

# X.509 verify codes (openssl verify(1)): 9 not yet valid, 10 expired; 2/18/19/20/21 an
# issuer that is missing or untrusted.
_VERIFY_EXPIRED = frozenset({9, 10})


def rc_of(exc: BaseException, *, side: Side) -> int:
    """The AT-TLS / System SSL return code for a TLS connection that failed with ``exc``.

    ``side`` is the role this stack played on the failing leg. The table (pagent-ops §5.4):

    * 5004: the handshake did not complete within HandshakeTimeout (a TimeoutError);
    * 5003: clear text where a TLS record was expected. OpenSSL says "wrong version number"
      or "http request". [UNV] for the client side, where §5.4 gives only the server example;
    * 402: no common cipher suite or protocol version;
    * 401: the partner's certificate has expired or is not yet valid, or the partner said so
      of ours;
    * 8: the partner's certificate does not chain to a trusted CA (or the partner said so);
    * 5001 (server side): ClientAuthType Required/SAFCheck and the client sent no
      certificate (§5.4 [DOC]); 403 on the client side, where a TLS 1.3 server asked for a
      certificate this client did not have [UNV];
    * 406: the partner closed or reset the connection during the handshake [UNV meaning];
    * 3: anything else.
    """
    if isinstance(exc, TimeoutError):
        return RC_TIMEOUT
    if isinstance(exc, ssl.SSLCertVerificationError):
        return RC_EXPIRED if exc.verify_code in _VERIFY_EXPIRED else RC_NOT_TRUSTED
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return RC_CONN_CLOSED
    if isinstance(exc, ssl.SSLError):
        reason = str(exc.reason or "").upper()
        if reason in _CLEAR_TEXT:
            return RC_CLEAR_TEXT
        if reason in _NO_CIPHER:
            return RC_NO_CIPHER
        if reason in _EXPIRED:
            return RC_EXPIRED
        if reason in _NOT_TRUSTED:
            return RC_NOT_TRUSTED
        if reason in _NO_PEER_CERT:
            return RC_NO_CLIENT_CERT if side == "server" else RC_NO_CERTIFICATE
        if reason in _CLOSED:
            return RC_CONN_CLOSED
        return RC_INTERNAL
    if isinstance(exc, (ConnectionError, EOFError)):
        return RC_CONN_CLOSED
    return RC_INTERNAL


def rc_text(rc: int) -> str:
    """The short meaning of a return code, or a generic text for codes not listed."""
    return RC_TEXT.get(rc, f"return code {rc}")
