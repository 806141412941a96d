"""The TLS environment built from effective actions and a key ring: one behaviour per test."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from pagent.stack.tlsconfig import TlsSetupError, TlsSpec, build_spec
from pagent.stack.tlsrc import Side, rc_of
from tests.stack.certs import Pki, effective_of, make_pki

MODERN = ("TLSv1 Off", "TLSv1.1 Off", "TLSv1.2 On", "TLSv1.3 On")


@pytest.fixture(name="pki", scope="module")
def fixture_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _pump(a: ssl.MemoryBIO, b: ssl.MemoryBIO) -> bool:
    data = a.read()
    if data:
        b.write(data)
    return bool(data)


def handshake(
    client: ssl.SSLContext, server: ssl.SSLContext
) -> tuple[ssl.SSLObject, ssl.SSLObject]:
    """An in-memory handshake; raises the first side's error as (side, exception)."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    cli = client.wrap_bio(c_in, c_out)
    srv = server.wrap_bio(s_in, s_out, server_side=True)
    done: dict[Side, bool] = {"client": False, "server": False}
    sides: tuple[tuple[Side, ssl.SSLObject], ...] = (("client", cli), ("server", srv))
    for _ in range(20):
        for side, obj in sides:
            if done[side]:
                continue
            try:
                obj.do_handshake()
                done[side] = True
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLError as exc:
                raise HandshakeError(side, exc) from exc
        moved = _pump(c_out, s_in) | _pump(s_out, c_in)
        if all(done.values()) and not moved:
            return cli, srv
    raise AssertionError("the handshake did not finish")


class HandshakeError(Exception):
    def __init__(self, side: Side, exc: ssl.SSLError) -> None:
        super().__init__(side, exc)
        self.side = side
        self.exc = exc


def peer_client(pki: Pki, *, cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cadata=pki.ca_pem)
    if cert:
        ctx.load_cert_chain(pki.client.cert_file, pki.client.key_file)
    return ctx


def peer_server(pki: Pki, *, require_cert: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.server.cert_file, pki.server.key_file)
    if require_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(cadata=pki.ca_pem)
    return ctx


def server_spec(pki: Pki, *advanced: str, v3: str | None = None) -> TlsSpec:
    return build_spec(effective_of("Server", *advanced, v3=v3), pki.ring(pki.server))


# --- roles -----------------------------------------------------------------------------------
def test_client_role_is_a_client_context_that_validates_but_checks_no_host_name(pki: Pki) -> None:
    spec = build_spec(effective_of("Client", *MODERN), pki.ring(None))
    assert spec.side == "client"
    assert spec.context.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert spec.context.verify_mode == ssl.CERT_REQUIRED
    assert spec.context.check_hostname is False


def test_client_role_trusts_the_rings_ca_certificates(pki: Pki) -> None:
    spec = build_spec(effective_of("Client", *MODERN), pki.ring(None))
    cli, _srv = handshake(spec.context, peer_server(pki))
    assert cli.getpeercert(binary_form=True) == pki.server.der


def test_client_role_presents_the_rings_personal_certificate(pki: Pki) -> None:
    spec = build_spec(effective_of("Client", *MODERN), pki.ring(pki.client))
    _cli, srv = handshake(spec.context, peer_server(pki, require_cert=True))
    assert srv.getpeercert(binary_form=True) == pki.client.der


def test_client_role_with_no_ca_in_the_ring_fails_the_handshake_with_rc_8(pki: Pki) -> None:
    spec = build_spec(effective_of("Client", *MODERN), pki.ring(None, trust=False))
    with pytest.raises(HandshakeError) as caught:
        handshake(spec.context, peer_server(pki))
    assert caught.value.side == "client"
    assert rc_of(caught.value.exc, side="client") == 8


def test_server_role_asks_for_no_client_certificate(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN)
    assert spec.side == "server"
    assert spec.context.protocol == ssl.PROTOCOL_TLS_SERVER
    assert spec.context.verify_mode == ssl.CERT_NONE
    assert spec.client_auth == "none"


def test_server_role_sends_no_tls13_session_tickets(pki: Pki) -> None:
    assert server_spec(pki, *MODERN).context.num_tickets == 0


def test_server_role_without_a_personal_certificate_is_rc_7(pki: Pki) -> None:
    with pytest.raises(TlsSetupError) as caught:
        build_spec(effective_of("Server", *MODERN), pki.ring(None))
    assert caught.value.rc == 7


def test_server_role_with_no_ring_material_is_rc_7() -> None:
    with pytest.raises(TlsSetupError) as caught:
        build_spec(effective_of("Server", *MODERN), None)
    assert caught.value.rc == 7


def test_unreadable_key_file_is_an_internal_error(pki: Pki, tmp_path: Path) -> None:
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    ring = pki.ring(pki.server)
    ring = type(ring)(**{**{f: getattr(ring, f) for f in ring.__slots__}, "key_file": bad})
    with pytest.raises(TlsSetupError) as caught:
        build_spec(effective_of("Server", *MODERN), ring)
    assert caught.value.rc == 3


# --- ClientAuthType ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("coded", "auth", "mode"),
    [
        ((), "Required", ssl.CERT_REQUIRED),
        (("ClientAuthType Required",), "Required", ssl.CERT_REQUIRED),
        (("ClientAuthType SAFCheck",), "SAFCheck", ssl.CERT_REQUIRED),
        (("ClientAuthType Full",), "Full", ssl.CERT_OPTIONAL),
        (("ClientAuthType PassThru",), "PassThru", ssl.CERT_OPTIONAL),
    ],
)
def test_client_auth_type_sets_the_verify_mode(
    pki: Pki, coded: tuple[str, ...], auth: str, mode: ssl.VerifyMode
) -> None:
    eff = effective_of("ServerWithClientAuth", *MODERN, *coded)
    spec = build_spec(eff, pki.ring(pki.server))
    assert (spec.client_auth, spec.context.verify_mode) == (auth, mode)


def test_required_client_auth_validates_against_the_rings_cas(pki: Pki) -> None:
    spec = build_spec(effective_of("ServerWithClientAuth", *MODERN), pki.ring(pki.server))
    _cli, srv = handshake(peer_client(pki, cert=True), spec.context)
    assert srv.getpeercert(binary_form=True) == pki.client.der


# --- protocols ---------------------------------------------------------------------------------
def test_protocol_switches_set_the_version_range(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN)
    assert spec.protocols == ("TLSv1.2", "TLSv1.3")
    assert spec.context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert spec.context.maximum_version == ssl.TLSVersion.TLSv1_3


def test_tls12_only_negotiates_tls12(pki: Pki) -> None:
    spec = server_spec(pki, "TLSv1 Off", "TLSv1.1 Off", "TLSv1.2 On")
    cli, _srv = handshake(peer_client(pki), spec.context)
    assert cli.version() == "TLSv1.2"


def test_a_hole_in_the_range_is_switched_off(pki: Pki) -> None:
    spec = server_spec(pki, "TLSv1 On", "TLSv1.1 Off", "TLSv1.2 On")
    assert spec.context.options & ssl.OP_NO_TLSv1_1
    assert not spec.context.options & ssl.OP_NO_TLSv1_2


def test_the_zos_default_protocols_fail_against_a_modern_peer_with_rc_402(pki: Pki) -> None:
    # TLSv1 and TLSv1.1 On, TLSv1.2 and TLSv1.3 Off (the documented defaults): OpenSSL 3 at
    # its default security level refuses both, and the security level is not lowered.
    spec = server_spec(pki)
    assert spec.protocols == ("TLSv1", "TLSv1.1")
    with pytest.raises(HandshakeError) as caught:
        handshake(peer_client(pki), spec.context)
    assert rc_of(caught.value.exc, side=caught.value.side) == 402


def test_no_protocol_on_is_rc_402(pki: Pki) -> None:
    with pytest.raises(TlsSetupError) as caught:
        server_spec(pki, "TLSv1 Off", "TLSv1.1 Off")
    assert caught.value.rc == 402


def test_sslv3_is_ignored(pki: Pki) -> None:
    with pytest.raises(TlsSetupError) as caught:
        server_spec(pki, "SSLv3 On", "TLSv1 Off", "TLSv1.1 Off")
    assert caught.value.rc == 402


# --- ciphers --------------------------------------------------------------------------------
def test_v3_cipher_list_restricts_the_tls12_suites(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN, v3="C02C1301")
    cli, _srv = handshake(_tls12_client(pki), spec.context)
    assert (cli.cipher() or ("",))[0] == "ECDHE-ECDSA-AES256-GCM-SHA384"


def _tls12_client(pki: Pki) -> ssl.SSLContext:
    ctx = peer_client(pki)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def test_a_list_without_tls13_suites_switches_tls13_off(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN, v3="C02B")
    assert spec.protocols == ("TLSv1.2",)
    cli, _srv = handshake(peer_client(pki), spec.context)
    assert cli.version() == "TLSv1.2"


def test_a_list_of_only_tls13_suites_leaves_only_tls13(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN, v3="1301")
    assert spec.protocols == ("TLSv1.3",)
    assert spec.context.minimum_version == ssl.TLSVersion.TLSv1_3


def test_a_list_with_no_usable_suite_is_rc_402(pki: Pki) -> None:
    with pytest.raises(TlsSetupError) as caught:
        server_spec(pki, "TLSv1 Off", "TLSv1.1 Off", "TLSv1.2 On", v3="0004")  # RC4: not built
    assert caught.value.rc == 402


def test_no_common_suite_with_the_peer_fails_with_rc_402(pki: Pki) -> None:
    spec = server_spec(pki, "TLSv1 Off", "TLSv1.1 Off", "TLSv1.2 On", v3="C02C")
    client = _tls12_client(pki)
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    with pytest.raises(HandshakeError) as caught:
        handshake(client, spec.context)
    assert rc_of(caught.value.exc, side=caught.value.side) == 402


# --- the rest --------------------------------------------------------------------------------
def test_handshake_timeout_is_the_value_on_the_passive_side(pki: Pki) -> None:
    assert server_spec(pki, *MODERN, "HandshakeTimeout 3").handshake_timeout == 3.0


def test_handshake_timeout_is_five_times_the_value_on_the_active_side(pki: Pki) -> None:
    spec = build_spec(effective_of("Client", *MODERN, "HandshakeTimeout 3"), pki.ring(None))
    assert spec.handshake_timeout == 15.0


def test_handshake_timeout_defaults_to_10(pki: Pki) -> None:
    assert server_spec(pki, *MODERN).handshake_timeout == 10.0


def test_middlebox_compat_mode_is_off_by_default(pki: Pki) -> None:
    assert not server_spec(pki, *MODERN).context.options & ssl.OP_ENABLE_MIDDLEBOX_COMPAT


def test_middlebox_compat_mode_on_is_kept(pki: Pki) -> None:
    spec = server_spec(pki, *MODERN, "MiddleBoxCompatMode On")
    assert spec.context.options & ssl.OP_ENABLE_MIDDLEBOX_COMPAT
