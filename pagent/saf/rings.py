"""Opening a key ring as System SSL does for AT-TLS: permits, certificate choice, return codes.

:func:`resolver` gives the stack's data path a :data:`~pagent.saf.material.KeyringResolver`.
AT-TLS opens the ring under the application's user id (the job's), so ``Keyring
Liberty.KeyRing`` is that user's ring and ``LIBSERV/Liberty.KeyRing`` another user's
(lang §TTLSKeyringParms). The checks, in order, with the System SSL return code each failure
gives (ops §5.4; the permit rules are R_datalib's as the RACF Callable Services book states
them, simplified, docs/fidelity.md section 10):

1. the ring exists, else 202;
2. READ to FACILITY IRR.DIGTCERT.LISTRING for one's own ring, UPDATE for another user's, else 202;
3. the certificate: CertificateLabel's connection (not connected: 407), else the ring's
   DEFAULT connection; no default means no certificate to present (a client may have none);
4. it has a private key, else 428;
5. using the private key of one's own certificate needs READ to IRR.DIGTCERT.LIST (the
   workshop PERMITs exactly that to USER1), another owner's key CONTROL, else 202;
6. it is valid at the store's clock, else 401.

The material's files are written under ``var/saf/cache`` (directory 0700, files 0600).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pagent.saf.material import KeyringResolver, RingError, RingMaterial
from pagent.saf.store import (
    SPECIAL_OWNERS,
    Access,
    Certificate,
    Connection,
    Ring,
    SafIndexError,
    SafStore,
    make_private_dir,
    normalize_owner,
    write_atomic,
)

LISTRING_PROFILE = "IRR.DIGTCERT.LISTRING"
LIST_PROFILE = "IRR.DIGTCERT.LIST"

RC_RING_NOT_OPENED = 202
RC_EXPIRED = 401
RC_LABEL_NOT_FOUND = 407
RC_NO_PRIVATE_KEY = 428

_MAX_CHAIN = 10


def split_ring(name: str, userid: str) -> tuple[str, str]:
    """``ring`` -> (userid, ring); ``owner/ring`` -> (OWNER, ring)."""
    owner, sep, ring = name.strip().partition("/")
    if not sep:
        return normalize_owner(userid), owner
    return normalize_owner(owner), ring


def resolver(store: SafStore) -> KeyringResolver:
    """A resolver over ``store`` (re-reading it when another process changed it)."""

    def resolve(name: str, userid: str, label: str | None) -> RingMaterial:
        try:
            return resolve_ring(store, name, userid, label)
        except SafIndexError as exc:  # a damaged index: the ring cannot be opened, fail closed
            raise RingError(RC_RING_NOT_OPENED, str(exc)) from None

    return resolve


def resolve_ring(store: SafStore, name: str, userid: str, label: str | None) -> RingMaterial:
    """Open ring ``name`` for ``userid``; RingError carries the System SSL return code."""
    user = normalize_owner(userid)
    owner, ring_name = split_ring(name, user)
    ring = store.ring(owner, ring_name)
    if ring is None:
        raise RingError(RC_RING_NOT_OPENED, f"key ring {ring_name} of {owner} does not exist")
    needed: Access = "READ" if owner == user else "UPDATE"
    if not store.has_access(LISTRING_PROFILE, user, needed):
        raise RingError(
            RC_RING_NOT_OPENED,
            f"{user} has no {needed} access to FACILITY {LISTRING_PROFILE} "
            f"(ring {owner}/{ring_name})",
        )
    ca_pem = "".join(
        _pem(store, c) for c in _connected(store, ring) if _usage(ring, c) == "CERTAUTH"
    )
    conn = _chosen(ring, label)
    if conn is None:
        return RingMaterial(owner, ring_name, None, None, None, ca_pem)
    cert = store.certificate(conn.owner, conn.label)
    if cert is None:  # deleted concurrently; RACF drops deleted certificates from rings
        raise RingError(RC_LABEL_NOT_FOUND, f"key label {conn.label} does not exist")
    if not cert.has_key:
        raise RingError(RC_NO_PRIVATE_KEY, f"certificate {conn.label} has no private key")
    key_access: Access = "READ" if cert.owner == user else "CONTROL"
    if not store.has_access(LIST_PROFILE, user, key_access):
        raise RingError(
            RC_RING_NOT_OPENED,
            f"{user} has no {key_access} access to FACILITY {LIST_PROFILE} "
            f"(private key of {conn.label})",
        )
    cx = store.x509_of(cert)
    now = store.now()
    if not is_valid_at(cx, now):
        raise RingError(
            RC_EXPIRED,
            f"certificate {conn.label} is not valid at {now:%Y/%m/%d %H:%M:%S} "
            f"({cx.not_valid_before_utc:%Y/%m/%d} - {cx.not_valid_after_utc:%Y/%m/%d})",
        )
    cert_file, key_file = _write_material(store, ring, cert, cx)
    return RingMaterial(
        owner,
        ring_name,
        cert.label,
        cert_file,
        key_file,
        ca_pem,
        not_before=cx.not_valid_before_utc,
        not_after=cx.not_valid_after_utc,
    )


def _connected(store: SafStore, ring: Ring) -> list[Certificate]:
    found = (store.certificate(c.owner, c.label) for c in ring.connections)
    return [c for c in found if c is not None]


def _usage(ring: Ring, cert: Certificate) -> str:
    return next(c.usage for c in ring.connections if (c.owner, c.label) == (cert.owner, cert.label))


def _chosen(ring: Ring, label: str | None) -> Connection | None:
    """CertificateLabel's connection (a personal one first), or the DEFAULT one, or None."""
    if label is None:
        return next((c for c in ring.connections if c.default), None)
    matches = sorted(
        (c for c in ring.connections if c.label == label), key=lambda c: c.usage != "PERSONAL"
    )
    if not matches:
        raise RingError(RC_LABEL_NOT_FOUND, f"key label {label} does not exist in ring {ring.name}")
    return matches[0]


def _pem(store: SafStore, cert: Certificate) -> str:
    return store.cert_path(cert).read_text("ascii")


def chain(store: SafStore, ring: Ring, cx: x509.Certificate) -> list[x509.Certificate]:
    """``cx`` followed by its issuers found among the ring's certificates (self-signed ends it)."""
    pool = [store.x509_of(c) for c in _connected(store, ring)]
    result = [cx]
    while len(result) < _MAX_CHAIN and result[-1].issuer != result[-1].subject:
        issuer = next((c for c in pool if c.subject == result[-1].issuer and c not in result), None)
        if issuer is None:
            break
        result.append(issuer)
    return result


def _write_material(
    store: SafStore, ring: Ring, cert: Certificate, cx: x509.Certificate
) -> tuple[Path, Path]:
    """Write the certificate chain and the private key under var/saf/cache (0600 each)."""
    cache = store.base / "cache"
    make_private_dir(cache)
    # One pair of files per (ring, certificate): stable names, so repeated handshakes reuse them.
    tag = hashlib.sha256(f"{ring.owner}\0{ring.name}\0{cert.owner}\0{cert.label}".encode())
    stem = tag.hexdigest()[:24]
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain(store, ring, cx))
    key = store.key_pem(cert) or b""
    cert_file, key_file = cache / f"{stem}.cert.pem", cache / f"{stem}.key.pem"
    _write_private(cert_file, pem)
    _write_private(key_file, key)
    return cert_file, key_file


def _write_private(path: Path, data: bytes) -> None:
    write_atomic(path, data, 0o600)


def user_of_certificate(store: SafStore, der: bytes) -> str | None:
    """The SAF user id that owns a client certificate (ClientAuthType SAFCheck), or None.

    RACF maps a certificate to a user id by the certificate itself when it is defined to RACF
    (RACDCERT ADD/GENCERT under ID(user)); CERTAUTH and SITE certificates map to no user.
    Certificate name filters (RACDCERT MAP) are not emulated.
    """
    try:
        wanted = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    for cert in store.certificates():
        if cert.owner in SPECIAL_OWNERS:
            continue
        if store.x509_of(cert) == wanted:
            return cert.owner
    return None


def is_valid_at(cx: x509.Certificate, moment: datetime) -> bool:
    """Whether ``cx`` is within its validity period at ``moment`` (aware)."""
    return cx.not_valid_before_utc <= moment <= cx.not_valid_after_utc
