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
from cryptography.hazmat.primitives import serialization

from pagent.policy.effective import Effective, effective
from pagent.policy.policy import load_policy
from pagent.policy.source import SourceText
from pagent.saf.material import RingMaterial
from tests.x509util import Key, issue, name, new_key, pem, write_key

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


def _ca(cn: str) -> tuple[x509.Certificate, Key]:
    key = new_key()
    return issue(name(cn), key, None, ca=True), key


def _issue(
    where: Path, stem: str, ca: tuple[x509.Certificate, Key], *, expired: bool = False
) -> Issued:
    key = new_key()
    valid = (_NOW - dt.timedelta(days=30), _NOW - dt.timedelta(days=1)) if expired else None
    cert = issue(name(stem), key, ca, hosts=["localhost"], valid=valid)
    cert_file = where / f"{stem}.crt"
    key_file = where / f"{stem}.key"
    cert_file.write_text(pem(cert) + pem(ca[0]))
    write_key(key, key_file)
    return Issued(cert_file, key_file, pem(cert), cert.public_bytes(serialization.Encoding.DER))


def make_pki(where: Path) -> Pki:
    """Generate the test PKI into ``where``."""
    ca = _ca("Test CA")
    stranger_ca = _ca("Stranger CA")
    return Pki(
        ca_pem=pem(ca[0]),
        server=_issue(where, "server", ca),
        client=_issue(where, "client", ca),
        expired=_issue(where, "expired", ca, expired=True),
        stranger_ca_pem=pem(stranger_ca[0]),
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
