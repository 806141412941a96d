"""Building the X.509 certificate of RACDCERT GENCERT with the ``cryptography`` library.

Choices (docs/fidelity.md section 10): a key is NIST P-256 ECC unless RSA is asked for
(RACF's own default is RSA; P-256 keys are generated in microseconds, which keeps the
emulation and its tests fast), RSA is 2048 bits unless SIZE says otherwise; signatures use
SHA-256. CERTAUTH and SITE certificates get basicConstraints CA:true and keyUsage
keyCertSign/cRLSign, as RACF gives them (RACDCERT GENCERT: "certificate authority
certificates ... are given the basic constraints extension with CA true"). Every certificate
carries a subject key identifier, and a signed one the authority key identifier of its signer,
so that OpenSSL (strict X.509 checks included) builds the chain.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID

# SUBJECTSDN keywords, in the order RACF builds the name (most general RDN first, so that the
# RFC 4514 string and RACF's listing both start with CN).
SDN_FIELDS: dict[str, x509.ObjectIdentifier] = {
    "C": NameOID.COUNTRY_NAME,
    "SP": NameOID.STATE_OR_PROVINCE_NAME,
    "L": NameOID.LOCALITY_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "T": NameOID.TITLE,
    "CN": NameOID.COMMON_NAME,
}
_CURVES: dict[int, ec.EllipticCurve] = {
    256: ec.SECP256R1(),
    384: ec.SECP384R1(),
    521: ec.SECP521R1(),
}
KEY_USAGES = frozenset({"HANDSHAKE", "DATAENCRYPT", "DOCSIGN", "CERTSIGN"})


@dataclass(frozen=True, slots=True)
class CertSpec:
    """What GENCERT asked for, validated by the command layer."""

    subject: tuple[tuple[str, str], ...]  # (SDN keyword, value)
    not_before: datetime
    not_after: datetime
    ca: bool
    rsa: bool = False
    size: int | None = None
    domains: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()
    key_usage: frozenset[str] = field(default_factory=frozenset)


def new_key(*, use_rsa: bool, size: int | None) -> CertificateIssuerPrivateKeyTypes:
    """A new private key; ValueError for a size the algorithm does not have."""
    if use_rsa:
        bits = size or 2048
        if not 1024 <= bits <= 4096:
            raise ValueError(f"RSA key size {bits} is not in 1024..4096")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    curve = _CURVES.get(size or 256)
    if curve is None:
        raise ValueError(f"NISTECC key size {size} is not one of {sorted(_CURVES)}")
    return ec.generate_private_key(curve)


def subject_name(pairs: tuple[tuple[str, str], ...]) -> x509.Name:
    """The X.509 name of SUBJECTSDN values (ValueError for a bad value, e.g. C('USA'))."""
    ordered = sorted(pairs, key=lambda p: list(SDN_FIELDS).index(p[0]))
    return x509.Name([x509.NameAttribute(SDN_FIELDS[k], v) for k, v in ordered])


def build(
    spec: CertSpec,
    key: CertificateIssuerPrivateKeyTypes,
    signer: tuple[x509.Certificate, CertificateIssuerPrivateKeyTypes] | None,
) -> x509.Certificate:
    """Sign a certificate for ``key``: self-signed, or by ``signer`` (certificate, key)."""
    subject = subject_name(spec.subject)
    public = key.public_key()
    issuer_name, signing_key = (signer[0].subject, signer[1]) if signer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(spec.not_before)
        .not_valid_after(spec.not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    signer_public = signer[1].public_key() if signer else public
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public), critical=False
    )
    if spec.ca:
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        )
    usage = set(spec.key_usage) | ({"CERTSIGN"} if spec.ca else set())
    if usage:
        builder = builder.add_extension(_key_usage(usage, rsa_key=spec.rsa), critical=True)
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.domains]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in spec.ips]
    names += [x509.RFC822Name(e) for e in spec.emails]
    names += [x509.UniformResourceIdentifier(u) for u in spec.uris]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _key_usage(usage: set[str], *, rsa_key: bool) -> x509.KeyUsage:
    handshake = "HANDSHAKE" in usage
    return x509.KeyUsage(
        digital_signature=handshake or "DOCSIGN" in usage,
        content_commitment="DOCSIGN" in usage,
        key_encipherment=handshake and rsa_key,
        data_encipherment="DATAENCRYPT" in usage,
        key_agreement=handshake and not rsa_key,
        key_cert_sign="CERTSIGN" in usage,
        crl_sign="CERTSIGN" in usage,
        encipher_only=False,
        decipher_only=False,
    )


def racf_dn(name: x509.Name) -> str:
    """A name as RACF lists it: most specific RDN first, joined with '.' (``CN=X.OU=Y.O=Z``)."""
    parts = [attr.rfc4514_string() for attr in reversed(list(name))]
    return ".".join(parts)
