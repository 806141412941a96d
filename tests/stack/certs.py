"""Fixtures of the stack's TLS tests: certificates and key rings, and effective actions.

Certificates (a CA, a server, a client, an expired one, one from an untrusted CA) are made
with ``cryptography`` (EC P-256 keys, fast to generate), written as PEM files under a
test's ``tmp_path``, and wrapped in :class:`pagent.saf.material.RingMaterial` the way the
SAF store hands a key ring to the stack. :func:`effective_of` builds the effective actions
of a one-rule policy with pagent's own parser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pagent.policy.effective import Effective, effective
from pagent.policy.policy import load_policy
from pagent.policy.source import SourceText
from pagent.saf.material import RingMaterial

_NOW = dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as PEM files."""

    cert_file: Path
    key_file: Path
    pem: str
    der: bytes


@dataclass(frozen=True)
class Pki:
    """A CA, what it issued, and a second CA that issued nothing we trust."""

    ca_pem: str
    server: Issued
    client: Issued
    expired: Issued
    stranger_ca_pem: str
    stranger: Issued  # issued by the stranger CA: valid, but not trusted by our rings

    def ring(self, who: Issued | None, *, trust: bool = True) -> RingMaterial:
        """Ring material presenting ``who`` (None: no personal cert), trusting our CA."""
        return RingMaterial(
            owner="TEST",
            ring="Test.Ring",
            label="Test" if who else None,
            cert_file=who.cert_file if who else None,
            key_file=who.key_file if who else None,
            ca_pem=self.ca_pem if trust else "",
        )


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _ca(cn: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(_name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=1))
        .not_valid_after(_NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _issue(
    where: Path,
    stem: str,
    ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey],
    *,
    expired: bool = False,
) -> Issued:
    key = _key()
    if expired:
        start, end = _NOW - dt.timedelta(days=30), _NOW - dt.timedelta(days=1)
    else:
        start, end = _NOW - dt.timedelta(days=1), _NOW + dt.timedelta(days=30)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(stem))
        .issuer_name(ca[0].subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca[1], hashes.SHA256())
    )
    cert_file = where / f"{stem}.crt"
    key_file = where / f"{stem}.key"
    cert_file.write_text(_pem(cert) + _pem(ca[0]))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Issued(cert_file, key_file, _pem(cert), cert.public_bytes(serialization.Encoding.DER))


def make_pki(where: Path) -> Pki:
    """Generate the test PKI into ``where``."""
    ca = _ca("Test CA")
    stranger_ca = _ca("Stranger CA")
    return Pki(
        ca_pem=_pem(ca[0]),
        server=_issue(where, "server", ca),
        client=_issue(where, "client", ca),
        expired=_issue(where, "expired", ca, expired=True),
        stranger_ca_pem=_pem(stranger_ca[0]),
        stranger=_issue(where, "stranger", stranger_ca),
    )


def effective_of(role: str, *advanced: str, v3: str | None = None) -> Effective:
    """The effective actions of a rule whose environment has this role and these parms.

    ``advanced`` are TTLSEnvironmentAdvancedParms lines (``"TLSv1.3 On"``); ``v3`` a
    V3CipherSuites4Char value.
    """
    env = [f"HandshakeRole {role}", "TTLSKeyringParms", "{", "Keyring SRV/RING", "}"]
    if advanced:
        env += ["TTLSEnvironmentAdvancedParms", "{", *advanced, "}"]
    if v3 is not None:
        env += ["TTLSCipherParms", "{", f"V3CipherSuites4Char {v3}", "}"]
    text = (
        "TTLSRule R\n{\n LocalPortRange 8443\n Direction Inbound\n"
        " TTLSGroupActionRef G\n TTLSEnvironmentActionRef E\n}\n"
        "TTLSGroupAction G\n{\n TTLSEnabled On\n}\n"
        "TTLSEnvironmentAction E\n{\n" + "".join(f" {line}\n" for line in env) + "}\n"
    )
    policy = load_policy([SourceText("test.policy", text)])
    assert policy.complete, [d.code.id for d in policy.diagnostics]
    return effective(policy, policy.rules[0])
