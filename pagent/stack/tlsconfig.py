"""The TLS environment of an AT-TLS endpoint: effective actions + key ring -> ``ssl`` context.

:func:`build_spec` maps what a rule's effective actions ask for (HandshakeRole,
ClientAuthType, the TLSv1..TLSv1.3 switches, the V3 cipher list, HandshakeTimeout;
:class:`pagent.policy.effective.Effective`) and the key ring the SAF store resolved
(:class:`pagent.saf.material.RingMaterial`) onto a Python :class:`ssl.SSLContext`, after the
AT-TLS <-> Python ``ssl`` table of ecosystem-anchors.md §1.4. What the stdlib cannot express
is approximated and said so here (docs/fidelity.md lists the same items). A policy that
cannot give a working environment raises :class:`TlsSetupError` with the System SSL return
code (pagent-ops.md §5.4).
"""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from pagent.policy import ciphers
from pagent.policy.effective import Effective
from pagent.saf.material import RingMaterial
from pagent.stack.tlsrc import RC_INTERNAL, RC_NO_CIPHER, RC_NO_PERSONAL_CERT, Side

__all__ = ["ClientAuth", "TlsSetupError", "TlsSpec", "build_spec"]

ClientAuth = Literal["none", "Required", "Full", "PassThru", "SAFCheck"]

# The switches OpenSSL 3 can offer, oldest first. SSLv2 is gone from OpenSSL and SSLv3 is
# compiled out of OpenSSL 3 builds, so those two switches are ignored (fidelity item).
_VERSIONS: tuple[tuple[str, ssl.TLSVersion], ...] = (
    ("TLSv1", ssl.TLSVersion.TLSv1),
    ("TLSv1.1", ssl.TLSVersion.TLSv1_1),
    ("TLSv1.2", ssl.TLSVersion.TLSv1_2),
    ("TLSv1.3", ssl.TLSVersion.TLSv1_3),
)
_NO_FLAG: dict[str, ssl.Options] = {
    "TLSv1": ssl.OP_NO_TLSv1,
    "TLSv1.1": ssl.OP_NO_TLSv1_1,
    "TLSv1.2": ssl.OP_NO_TLSv1_2,
    "TLSv1.3": ssl.OP_NO_TLSv1_3,
}
# HandshakeTimeout (DOC, Configuration Guide "Handshake timer", schema note): the value on
# the passive side, 5 times the value on the active side.
_ACTIVE_FACTOR = 5


class TlsSetupError(Exception):
    """A TLS environment that cannot be built, with the System SSL return code."""

    def __init__(self, rc: int, reason: str) -> None:
        super().__init__(f"RC {rc}: {reason}")
        self.rc = rc
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TlsSpec:
    """How the stack does TLS on one leg: the context and what the relay needs beside it.

    ``side`` is the role toward the peer ('client' opens the handshake). ``handshake_timeout``
    is in seconds, 0 for none. ``protocols`` are the versions the context may negotiate, by
    their AT-TLS switch names, oldest first.
    """

    side: Side
    context: ssl.SSLContext
    handshake_timeout: float
    client_auth: ClientAuth
    protocols: tuple[str, ...]


@contextmanager
def _legacy_allowed() -> Iterator[None]:
    # Python deprecates TLSv1/TLSv1.1 and the OP_NO_* flags (DeprecationWarning); the policy
    # asks for them explicitly, so they are set on purpose here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _protocols(eff: Effective) -> tuple[str, ...]:
    on = set(eff.protocols)
    return tuple(name for name, _v in _VERSIONS if name in on)


def _restrict_versions(ctx: ssl.SSLContext, allowed: tuple[str, ...]) -> None:
    """minimum/maximum_version to the On range, OP_NO_* for the Off ones inside it."""
    versions = dict(_VERSIONS)
    names = [name for name, _v in _VERSIONS]
    low, high = names.index(allowed[0]), names.index(allowed[-1])
    with _legacy_allowed():
        # Setting the maximum first keeps minimum <= maximum on every step.
        ctx.maximum_version = versions[allowed[-1]]
        ctx.minimum_version = versions[allowed[0]]
        for name in names[low : high + 1]:
            if name not in allowed:
                ctx.options |= _NO_FLAG[name]


def _cipher_names(codes: tuple[str, ...]) -> tuple[list[str], bool]:
    """(OpenSSL names of the TLS <= 1.2 suites, whether some TLS 1.3 suite is listed)."""
    names: list[str] = []
    tls13 = False
    for code in codes:
        suite = ciphers.SUITES_BY_CODE4.get(code.upper())
        if suite is None:
            continue  # unknown codes: System SSL ignores what it does not support
        if suite.tls13:
            tls13 = True
        elif suite.openssl is not None:
            names.append(suite.openssl)
    return names, tls13


def _apply_ciphers(
    ctx: ssl.SSLContext, codes: tuple[str, ...], allowed: tuple[str, ...]
) -> tuple[str, ...]:
    """Restrict the suites to the V3 list; the protocols that remain usable."""
    if not codes:
        return allowed  # () = System SSL's default list: OpenSSL's defaults stand in for it
    names, tls13 = _cipher_names(codes)
    usable = list(allowed)
    if not tls13:
        # No TLS 1.3 suite listed: TLS 1.3 cannot be negotiated (as on z/OS, where a TLS 1.3
        # handshake needs a 13xx suite in the list). Python 3.11 cannot empty the TLS 1.3
        # suite list, so TLS 1.3 is switched off instead.
        usable = [p for p in usable if p != "TLSv1.3"]
    try:
        ctx.set_ciphers(":".join(names))
    except ssl.SSLError:
        # None of them is in this OpenSSL build (RC4, 3DES, NULL...), or none was listed:
        # no TLS <= 1.2 handshake can succeed, only TLS 1.3 remains.
        usable = [p for p in usable if p == "TLSv1.3"]
    if not usable:
        raise TlsSetupError(
            RC_NO_CIPHER, "no cipher suite of the V3 list is usable with the protocols On"
        )
    if tuple(usable) != allowed:
        _restrict_versions(ctx, tuple(usable))
    # The TLS 1.3 suites themselves (1301/1302/1303) cannot be chosen in Python 3.11
    # (SSLContext has no set_ciphersuites, ecosystem-anchors §1.4): all of OpenSSL's are
    # offered when one is listed.
    return tuple(usable)


def _client_auth(eff: Effective, role: str) -> ClientAuth:
    if role != "ServerWithClientAuth":
        return "none"
    value = str(eff.advanced.get("ClientAuthType", "Required"))
    for known in ("Required", "Full", "PassThru", "SAFCheck"):
        if value.lower() == known.lower():
            return known
    return "Required"


def build_spec(eff: Effective, material: RingMaterial | None) -> TlsSpec:
    """The TLS environment an endpoint with these effective actions uses.

    Raises :class:`TlsSetupError`: RC 7 for a server role whose ring has no personal
    certificate; RC 402 when no protocol switch is On, or when the V3 cipher list leaves
    no suite for the protocols that are On; RC 3 for an unknown HandshakeRole or a key ring
    whose files OpenSSL cannot load.
    """
    role = eff.handshake_role or ""
    if role not in ("Client", "Server", "ServerWithClientAuth"):
        raise TlsSetupError(RC_INTERNAL, f"no usable HandshakeRole ({role or 'none'})")
    side: Side = "client" if role == "Client" else "server"
    allowed = _protocols(eff)
    if not allowed:
        # [UNV] z/OS fails the handshake; pagent fails before it, with the same code, as no
        # handshake could succeed.
        raise TlsSetupError(RC_NO_CIPHER, "no protocol of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 is On")

    if side == "client":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # System SSL checks no host name unless asked to; the partner's chain is validated.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # TLS 1.3 session tickets off: a client that sends and closes without reading would
        # otherwise leave the tickets unread, and its kernel would reset the connection and
        # drop data in flight (ecosystem-anchors §1.5, "TLS 1.3 close gotcha").
        ctx.num_tickets = 0
    auth = _client_auth(eff, role)
    if auth in ("Required", "SAFCheck"):
        # SAFCheck's mapping of the certificate to a user id (RC 5002) is not done here.
        ctx.verify_mode = ssl.CERT_REQUIRED
    elif auth in ("Full", "PassThru"):
        # PassThru does not validate the certificate on z/OS; the stdlib has no verify
        # callback (python/cpython#75425), so a presented certificate is validated as for
        # Full (fidelity item).
        ctx.verify_mode = ssl.CERT_OPTIONAL

    has_cert = material is not None and material.cert_file is not None
    if side == "server" and not has_cert:
        raise TlsSetupError(RC_NO_PERSONAL_CERT, "the key ring has no certificate to present")
    try:
        if material is not None and material.cert_file is not None:
            ctx.load_cert_chain(material.cert_file, material.key_file)
        if ctx.verify_mode != ssl.CERT_NONE and material is not None and material.ca_pem:
            ctx.load_verify_locations(cadata=material.ca_pem)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise TlsSetupError(RC_INTERNAL, f"cannot load the key ring material: {exc}") from exc
    # With no CA certificate in the ring nothing validates: the handshake then fails with
    # RC 8 (certificate validation error), as a partner certificate cannot be trusted.

    if str(eff.advanced.get("MiddleBoxCompatMode", "Off")).lower() != "on":
        ctx.options &= ~ssl.OP_ENABLE_MIDDLEBOX_COMPAT
    # The On range as asked. TLSv1/TLSv1.1 (the z/OS defaults) are set too, but OpenSSL 3 at
    # its default security level refuses them: such a handshake fails with RC 402. The level
    # is not lowered (no weaker crypto than the host allows, fidelity item).
    _restrict_versions(ctx, allowed)
    allowed = _apply_ciphers(ctx, eff.v3_ciphers, allowed)

    timeout = float(eff.advanced.get("HandshakeTimeout", 10) or 0)
    if side == "client":
        timeout *= _ACTIVE_FACTOR
    return TlsSpec(
        side=side,
        context=ctx,
        handshake_timeout=timeout,
        client_auth=auth,
        protocols=allowed,
    )
