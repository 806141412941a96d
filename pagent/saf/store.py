"""The persistent RACF database of the emulation: certificates, key rings, permits, groups.

Layout under the system root (docs/keyrings.md)::

    var/saf/saf.json          the index: certificates, rings, FACILITY permits, groups
    var/saf/certs/<id>.pem    one PEM certificate per certificate
    var/saf/keys/<id>.key     one PEM private key per certificate that has one (0600; dir 0700)

Every change rewrites the index atomically (temporary file + :func:`os.replace`), so a
reader in another process (the stack resolving a ring) sees the old or the new state, never
half of one; readers re-load the index when its file changed. Private keys are created with
mode 0600 from the start (``os.open``), never readable by others even briefly.

Names follow RACF: user ids, the CERTAUTH/SITE owners, FACILITY profiles and group names
are upper case; certificate labels and ring names are case-sensitive (RACF Command Language
Reference, RACDCERT: "ring-name ... is case sensitive").
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

CERTAUTH: Final = "CERTAUTH"
SITE: Final = "SITE"
SPECIAL_OWNERS: Final = frozenset({CERTAUTH, SITE})

Usage = Literal["PERSONAL", "CERTAUTH", "SITE"]
USAGES: Final[tuple[Usage, ...]] = ("PERSONAL", "CERTAUTH", "SITE")

Access = Literal["NONE", "READ", "UPDATE", "CONTROL", "ALTER"]
ACCESS_LEVELS: Final[tuple[Access, ...]] = ("NONE", "READ", "UPDATE", "CONTROL", "ALTER")

_FORMAT: Final = 1


class SafError(Exception):
    """A store operation that RACF would refuse (the command layer turns it into a message)."""


class SafIndexError(SafError):
    """``var/saf/saf.json`` exists but is no index the store wrote."""


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate profile: owner (user id, CERTAUTH or SITE), label, files, status."""

    owner: str
    label: str
    file_id: str
    has_key: bool
    status: str = "TRUST"

    @property
    def kind(self) -> Usage:
        """The usage a connection takes by default: the owner's kind (RACDCERT CONNECT)."""
        if self.owner == CERTAUTH:
            return "CERTAUTH"
        if self.owner == SITE:
            return "SITE"
        return "PERSONAL"

    @property
    def owner_text(self) -> str:
        """The owner as RACF shows it in LISTRING: ``ID(USER1)``, ``CERTAUTH`` or ``SITE``."""
        return self.owner if self.owner in SPECIAL_OWNERS else f"ID({self.owner})"


@dataclass(frozen=True, slots=True)
class Connection:
    """A certificate connected to a ring, with its usage and DEFAULT flag."""

    owner: str
    label: str
    usage: Usage
    default: bool = False


@dataclass(frozen=True, slots=True)
class Ring:
    """A key ring: owner user id, case-sensitive name, connections in connection order."""

    owner: str
    name: str
    connections: tuple[Connection, ...] = ()


@dataclass(frozen=True, slots=True)
class _State:
    certificates: tuple[Certificate, ...] = ()
    rings: tuple[Ring, ...] = ()
    permits: tuple[tuple[str, str, Access], ...] = ()  # (profile, user id, access)
    groups: tuple[tuple[str, str], ...] = ()  # (user id, group)


def unstorable(name: str) -> str | None:
    """Why the store cannot hold ``name`` (a label, ring, user id, profile or group), or None.

    The index is UTF-8 JSON and every name is shown at a console: a lone surrogate (JSON's
    ``\\ud800`` escape, or a non-UTF-8 byte of argv) cannot be written, and a control
    character would garble LISTRING's table (issue 13 §6).
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return "it is not valid Unicode (a lone surrogate)"
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "it holds a control character"
    return None


def check_name(what: str, name: str) -> None:
    """SafError, naming ``name`` escaped, when the store cannot hold it."""
    reason = unstorable(name)
    if reason is not None:
        raise SafError(f"{what} {name!r} cannot be stored: {reason}")


def normalize_owner(owner: str) -> str:
    """User ids and the CERTAUTH/SITE owners are upper case in RACF."""
    return owner.strip().upper()


def _file_id(owner: str, label: str) -> str:
    # A stable file name that needs no escaping whatever the label holds (blanks, quotes).
    return hashlib.sha256(f"{owner}\0{label}".encode()).hexdigest()[:24]


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` via a temporary file created with ``mode``, then rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT does not change the mode of a leftover file
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) with mode 0700 for the last component."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


class SafStore:
    """The RACF database of one system root (``<root>/var/saf``)."""

    def __init__(self, root: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.root = root
        self.base = root / "var" / "saf"
        self.index = self.base / "saf.json"
        self._clock = clock or (lambda: datetime.now(UTC))
        self._state = _State()
        self._stamp: tuple[int, int, int] | None = None
        self._refresh()

    # --- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The store's clock, as an aware UTC datetime (naive clocks are taken as UTC)."""
        value = self._clock()
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # --- loading and saving -------------------------------------------------------------------

    def _refresh(self) -> None:
        """Re-load the index if another process (or store object) changed it."""
        try:
            st = self.index.stat()
        except FileNotFoundError:
            if self._stamp is not None:
                self._state, self._stamp = _State(), None
            return
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._state = self._load()
            self._stamp = stamp

    def _load(self) -> _State:
        """The index as written by :meth:`_save`; SafIndexError for anything else.

        A damaged index crashed ``pagent serve`` with a traceback (issue 13 §7): whatever
        the file holds, the error names it and says what to do.
        """
        try:
            data = json.loads(self.index.read_text("utf-8"))
            if not isinstance(data, dict):
                raise SafError("not a JSON object")
            return _decode(data)
        except json.JSONDecodeError as exc:
            reason = f"not JSON ({exc.msg}, line {exc.lineno})"
        except UnicodeDecodeError:
            reason = "not UTF-8 text"
        except OSError as exc:
            reason = exc.strerror or str(exc)
        except SafError as exc:
            reason = str(exc)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            reason = f"not the store's layout ({type(exc).__name__}: {exc})"
        raise SafIndexError(
            f"{self.index}: the SAF store's index cannot be read: {reason}; restore it, or "
            "move it away to start with an empty RACF database"
        )

    def _save(self, state: _State) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        data = json.dumps(_encode(state), indent=2, sort_keys=True).encode() + b"\n"
        write_atomic(self.index, data, 0o644)
        self._state = state
        st = self.index.stat()
        self._stamp = (st.st_ino, st.st_mtime_ns, st.st_size)

    @contextmanager
    def _change(self) -> Iterator[list[_State]]:
        """Read the current state, let the caller replace it, and save the result."""
        self._refresh()
        box = [self._state]
        yield box
        if box[0] != self._state:
            self._save(box[0])

    # --- certificates -------------------------------------------------------------------------

    def certificates(self, owner: str | None = None) -> tuple[Certificate, ...]:
        """All certificates, or those of one owner, in creation order."""
        self._refresh()
        certs = self._state.certificates
        if owner is None:
            return certs
        key = normalize_owner(owner)
        return tuple(c for c in certs if c.owner == key)

    def certificate(self, owner: str, label: str) -> Certificate | None:
        """The certificate of ``owner`` labelled ``label`` (labels are case-sensitive)."""
        key = normalize_owner(owner)
        return next((c for c in self.certificates(key) if c.label == label), None)

    def cert_path(self, cert: Certificate) -> Path:
        """The PEM file of a certificate."""
        return self.base / "certs" / f"{cert.file_id}.pem"

    def key_path(self, cert: Certificate) -> Path:
        """The private key file of a certificate (present only when ``has_key``)."""
        return self.base / "keys" / f"{cert.file_id}.key"

    def x509_of(self, cert: Certificate) -> x509.Certificate:
        """The certificate itself."""
        return x509.load_pem_x509_certificate(self.cert_path(cert).read_bytes())

    def key_pem(self, cert: Certificate) -> bytes | None:
        """The private key (PKCS#8 PEM), or None for a certificate without one."""
        return self.key_path(cert).read_bytes() if cert.has_key else None

    def private_key(self, cert: Certificate) -> CertificateIssuerPrivateKeyTypes | None:
        """The private key object, or None."""
        pem = self.key_pem(cert)
        if pem is None:
            return None
        key = serialization.load_pem_private_key(pem, password=None)
        return cast(CertificateIssuerPrivateKeyTypes, key)

    def add_certificate(
        self,
        owner: str,
        label: str,
        certificate: x509.Certificate,
        key: CertificateIssuerPrivateKeyTypes | None,
    ) -> Certificate:
        """Add a certificate (and its key); SafError when the label is in use for the owner."""
        key_owner = normalize_owner(owner)
        check_name("user id", key_owner)
        check_name("label", label)
        cert = Certificate(key_owner, label, _file_id(key_owner, label), key is not None)
        with self._change() as box:
            if any(c.owner == key_owner and c.label == label for c in box[0].certificates):
                raise SafError(f"label '{label}' is already in use for {cert.owner_text}")
            (self.base / "certs").mkdir(parents=True, exist_ok=True)
            pem = certificate.public_bytes(serialization.Encoding.PEM)
            write_atomic(self.cert_path(cert), pem, 0o644)
            if key is not None:
                make_private_dir(self.base / "keys")
                key_pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                write_atomic(self.key_path(cert), key_pem, 0o600)
            box[0] = replace(box[0], certificates=(*box[0].certificates, cert))
        return cert

    def delete_certificate(self, owner: str, label: str) -> None:
        """Delete a certificate; RACF removes it from every ring it is connected to."""
        cert = self.certificate(owner, label)
        if cert is None:
            raise SafError(f"no certificate '{label}' for {owner}")
        with self._change() as box:
            rings = tuple(
                replace(
                    r,
                    connections=tuple(
                        c for c in r.connections if (c.owner, c.label) != (cert.owner, label)
                    ),
                )
                for r in box[0].rings
            )
            certs = tuple(c for c in box[0].certificates if c != cert)
            box[0] = replace(box[0], certificates=certs, rings=rings)
        self.cert_path(cert).unlink(missing_ok=True)
        self.key_path(cert).unlink(missing_ok=True)

    # --- rings --------------------------------------------------------------------------------

    def rings(self, owner: str | None = None) -> tuple[Ring, ...]:
        """All rings, or those of one user id."""
        self._refresh()
        if owner is None:
            return self._state.rings
        key = normalize_owner(owner)
        return tuple(r for r in self._state.rings if r.owner == key)

    def ring(self, owner: str, name: str) -> Ring | None:
        """The ring ``name`` of ``owner`` (ring names are case-sensitive)."""
        return next((r for r in self.rings(owner) if r.name == name), None)

    def add_ring(self, owner: str, name: str) -> Ring:
        """Create an empty ring; SafError when it exists."""
        ring = Ring(normalize_owner(owner), name)
        check_name("user id", ring.owner)
        check_name("ring name", name)
        with self._change() as box:
            if any((r.owner, r.name) == (ring.owner, name) for r in box[0].rings):
                raise SafError(f"ring {name} of {ring.owner} already exists")
            box[0] = replace(box[0], rings=(*box[0].rings, ring))
        return ring

    def put_ring(self, ring: Ring) -> None:
        """Replace an existing ring (its connections); SafError when it does not exist."""
        with self._change() as box:
            rings = box[0].rings
            if not any((r.owner, r.name) == (ring.owner, ring.name) for r in rings):
                raise SafError(f"ring {ring.name} of {ring.owner} does not exist")
            box[0] = replace(
                box[0],
                rings=tuple(
                    ring if (r.owner, r.name) == (ring.owner, ring.name) else r for r in rings
                ),
            )

    def delete_ring(self, owner: str, name: str) -> None:
        """Delete a ring (the certificates stay); SafError when it does not exist."""
        key = normalize_owner(owner)
        with self._change() as box:
            rings = box[0].rings
            if not any((r.owner, r.name) == (key, name) for r in rings):
                raise SafError(f"ring {name} of {key} does not exist")
            kept = tuple(r for r in rings if (r.owner, r.name) != (key, name))
            box[0] = replace(box[0], rings=kept)

    def rings_of(self, cert: Certificate) -> tuple[Ring, ...]:
        """The rings a certificate is connected to."""
        return tuple(
            r
            for r in self.rings()
            if any((c.owner, c.label) == (cert.owner, cert.label) for c in r.connections)
        )

    # --- FACILITY permits and groups ----------------------------------------------------------

    def permit(self, profile: str, user: str, access: Access | None) -> None:
        """Set a user's access to a FACILITY profile; None deletes the permit."""
        prof, uid = profile.strip().upper(), normalize_owner(user)
        check_name("profile", prof)
        check_name("user id", uid)
        with self._change() as box:
            permits = tuple(p for p in box[0].permits if (p[0], p[1]) != (prof, uid))
            if access is not None:
                permits = (*permits, (prof, uid, access))
            box[0] = replace(box[0], permits=permits)

    def access(self, profile: str, user: str) -> Access:
        """The access ``user`` has to a FACILITY profile (NONE without a permit)."""
        self._refresh()
        prof, uid = profile.strip().upper(), normalize_owner(user)
        return next((a for p, u, a in self._state.permits if (p, u) == (prof, uid)), "NONE")

    def has_access(self, profile: str, user: str, needed: Access) -> bool:
        """Whether ``user`` has at least ``needed`` access to ``profile``."""
        have = ACCESS_LEVELS.index(self.access(profile, user))
        return have >= ACCESS_LEVELS.index(needed)

    def permits(self) -> tuple[tuple[str, str, Access], ...]:
        """Every (profile, user id, access) permit."""
        self._refresh()
        return self._state.permits

    def connect_group(self, user: str, group: str) -> None:
        """Record that ``user`` is connected to ``group`` (CONNECT user GROUP(group))."""
        pair = (normalize_owner(user), group.strip().upper())
        check_name("user id", pair[0])
        check_name("group", pair[1])
        with self._change() as box:
            if pair not in box[0].groups:
                box[0] = replace(box[0], groups=(*box[0].groups, pair))

    def groups(self, user: str) -> tuple[str, ...]:
        """The groups ``user`` is connected to."""
        self._refresh()
        uid = normalize_owner(user)
        return tuple(g for u, g in self._state.groups if u == uid)


# --- JSON encoding ----------------------------------------------------------------------------


def _encode(state: _State) -> dict[str, object]:
    return {
        "format": _FORMAT,
        "certificates": [
            {
                "owner": c.owner,
                "label": c.label,
                "file": c.file_id,
                "key": c.has_key,
                "status": c.status,
            }
            for c in state.certificates
        ],
        "rings": [
            {
                "owner": r.owner,
                "name": r.name,
                "connections": [
                    {"owner": c.owner, "label": c.label, "usage": c.usage, "default": c.default}
                    for c in r.connections
                ],
            }
            for r in state.rings
        ],
        "permits": [
            {"class": "FACILITY", "profile": p, "id": u, "access": a} for p, u, a in state.permits
        ],
        "groups": [{"id": u, "group": g} for u, g in state.groups],
    }


def _decode(data: dict[str, object]) -> _State:
    if data.get("format") != _FORMAT:
        raise SafError(f"unknown SAF store format {str(data.get('format'))[:20]!r}")
    certs = cast(list[dict[str, object]], data.get("certificates", []))
    rings = cast(list[dict[str, object]], data.get("rings", []))
    permits = cast(list[dict[str, str]], data.get("permits", []))
    groups = cast(list[dict[str, str]], data.get("groups", []))
    return _State(
        certificates=tuple(
            Certificate(
                str(c["owner"]), str(c["label"]), str(c["file"]), bool(c["key"]), str(c["status"])
            )
            for c in certs
        ),
        rings=tuple(
            Ring(
                str(r["owner"]),
                str(r["name"]),
                tuple(
                    Connection(
                        str(k["owner"]),
                        str(k["label"]),
                        cast(Usage, k["usage"]),
                        bool(k["default"]),
                    )
                    for k in cast(list[dict[str, object]], r["connections"])
                ),
            )
            for r in rings
        ),
        permits=tuple((p["profile"], p["id"], cast(Access, p["access"])) for p in permits),
        groups=tuple((g["id"], g["group"]) for g in groups),
    )
