"""What a key ring gives a TLS handshake: the interface between the SAF store and the stack.

The stack's data path asks a :data:`KeyringResolver` for the ring an AT-TLS environment
names (``Keyring Liberty.KeyRing`` or ``USER1/Liberty.KeyRing``) on behalf of the job's
user id. It gets a :class:`RingMaterial`, or a :class:`RingError` carrying the System SSL
return code (pagent-ops.md §5.4) that EZD1286I reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RingMaterial:
    """A resolved key ring: the personal certificate to present and the CAs to trust.

    ``cert_file`` holds the chosen personal certificate followed by its issuers found in
    the ring (PEM); ``key_file`` its private key (PEM, readable by its owner only). Both are
    None when the ring has no personal certificate to use (a client without one).
    ``ca_pem`` is the ring's CERTAUTH certificates, concatenated PEM ('' if none).
    """

    owner: str
    ring: str
    label: str | None
    cert_file: Path | None
    key_file: Path | None
    ca_pem: str
    not_before: datetime | None = None
    not_after: datetime | None = None


class RingError(Exception):
    """A key ring that cannot be used, with the System SSL return code for EZD1286I."""

    def __init__(self, rc: int, reason: str) -> None:
        super().__init__(f"RC {rc}: {reason}")
        self.rc = rc
        self.reason = reason


#: (ring as the policy names it, the job's user id, CertificateLabel or None) -> material.
KeyringResolver = Callable[[str, str, str | None], RingMaterial]
