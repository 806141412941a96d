"""The AT-TLS return code of a TLS failure (pagent-ops §5.4): one behaviour per test."""

from __future__ import annotations

import ssl

import pytest

from pagent.stack.tlsrc import RC_TEXT, rc_of, rc_text


def ssl_error(reason: str, cls: type[ssl.SSLError] = ssl.SSLError) -> ssl.SSLError:
    """An SSLError as _ssl raises it: reason set from OpenSSL's reason code."""
    exc = cls(1, f"[SSL: {reason}] {reason.lower().replace('_', ' ')}")
    exc.reason = reason
    return exc


def verify_error(code: int) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.reason = "CERTIFICATE_VERIFY_FAILED"
    exc.verify_code = code
    return exc


def test_a_timeout_is_5004() -> None:
    assert rc_of(TimeoutError(), side="server") == 5004


@pytest.mark.parametrize("reason", ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE"])
def test_clear_text_where_tls_was_expected_is_5003(reason: str) -> None:
    assert rc_of(ssl_error(reason), side="server") == 5003


@pytest.mark.parametrize(
    "reason",
    [
        "NO_SHARED_CIPHER",
        "UNSUPPORTED_PROTOCOL",
        "VERSION_TOO_LOW",
        "NO_PROTOCOLS_AVAILABLE",
        "TLSV1_ALERT_PROTOCOL_VERSION",
        "SSLV3_ALERT_HANDSHAKE_FAILURE",
    ],
)
def test_no_common_cipher_or_protocol_is_402(reason: str) -> None:
    assert rc_of(ssl_error(reason), side="client") == 402


@pytest.mark.parametrize("code", [9, 10])
def test_a_peer_certificate_out_of_its_validity_is_401(code: int) -> None:
    assert rc_of(verify_error(code), side="client") == 401


def test_the_peer_saying_our_certificate_expired_is_401() -> None:
    assert rc_of(ssl_error("SSLV3_ALERT_CERTIFICATE_EXPIRED"), side="server") == 401


@pytest.mark.parametrize("code", [2, 18, 19, 20, 21])
def test_an_untrusted_peer_certificate_is_8(code: int) -> None:
    assert rc_of(verify_error(code), side="client") == 8


def test_the_peer_saying_our_ca_is_unknown_is_8() -> None:
    assert rc_of(ssl_error("TLSV1_ALERT_UNKNOWN_CA"), side="client") == 8


def test_no_client_certificate_on_the_server_side_is_5001() -> None:
    assert rc_of(ssl_error("PEER_DID_NOT_RETURN_A_CERTIFICATE"), side="server") == 5001


def test_a_tls13_certificate_request_we_could_not_answer_is_403_on_the_client_side() -> None:
    assert rc_of(ssl_error("TLSV13_ALERT_CERTIFICATE_REQUIRED"), side="client") == 403


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionResetError(),
        BrokenPipeError(),
        ssl.SSLEOFError(8, "EOF occurred in violation of protocol"),
        ssl.SSLZeroReturnError(6, "TLS/SSL connection has been closed"),
    ],
)
def test_the_partner_going_away_during_the_handshake_is_406(exc: BaseException) -> None:
    assert rc_of(exc, side="server") == 406


@pytest.mark.parametrize("exc", [ssl_error("BAD_DECRYPT"), ValueError("x"), RuntimeError()])
def test_anything_else_is_3(exc: BaseException) -> None:
    assert rc_of(exc, side="client") == 3


def test_every_code_rc_of_returns_has_a_text() -> None:
    for rc in (3, 8, 401, 402, 403, 406, 5001, 5003, 5004):
        assert rc in RC_TEXT
        assert rc_text(rc) == RC_TEXT[rc]


def test_an_unlisted_code_gets_a_generic_text() -> None:
    assert rc_text(6001) == "return code 6001"
