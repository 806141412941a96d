"""The RACF commands of the workshop's jobs: RACDCERT, PERMIT, SETROPTS and CONNECT.

:func:`execute` runs one command against a :class:`~pagent.saf.store.SafStore` and returns
its output lines; it never raises for bad input (an unknown command, keyword or label gives
``ok=False`` and a RACF- or TSO-style message). :func:`join_continuations` turns a member
(``USER1.ZCEE30.CNTL(MVSTLS)``) into commands. The subset and its syntax follow the RACF
Command Language Reference (RACDCERT, PERMIT, SETROPTS, CONNECT); docs/keyrings.md lists it.
The issuer is treated as a SPECIAL user: no authority checks on the commands themselves.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pagent.messages import format_message
from pagent.policy.chain import dataset_path
from pagent.saf.gencert import KEY_USAGES, SDN_FIELDS, CertSpec, build, new_key, racf_dn
from pagent.saf.parse import (
    CommandSyntaxError,
    Operand,
    join_continuations,
    operands,
    unquote,
    words,
)
from pagent.saf.store import (
    ACCESS_LEVELS,
    CERTAUTH,
    SITE,
    SPECIAL_OWNERS,
    USAGES,
    Certificate,
    Connection,
    Ring,
    SafError,
    SafStore,
    Usage,
    normalize_owner,
    unstorable,
)

__all__ = ["CommandResult", "execute", "join_continuations"]

MAX_LABEL = 32  # RACF certificate labels are 1-32 characters
MAX_RING = 237  # RACF ring names are 1-237 characters


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a command printed, and whether it did what it was asked."""

    ok: bool
    lines: tuple[str, ...] = ()


class _CommandError(Exception):
    """Stop the command with these output lines (ok=False)."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines


def _msg(msg_id: str, **fields: object) -> str:
    return format_message(f"DISPLAY.RACF.{msg_id}", **fields)


def _missing(what: str) -> _CommandError:
    return _CommandError(_msg("IKJ56701I", what=what))


def _invalid(what: str, value: str) -> _CommandError:
    return _CommandError(_msg("IKJ56702I", what=what, value=value))


def _detail(text: str) -> str:
    return _msg("DETAIL", detail=text)


def execute(store: SafStore, command: str, *, issuer: str = "IBMUSER") -> CommandResult:
    """Run one RACF command; bad input gives ok=False and a message, never an exception."""
    try:
        ops = operands(command)
        if not ops:
            raise _missing("COMMAND")
        verb, rest = ops[0], ops[1:]
        handler = _VERBS.get(verb.keyword)
        if handler is None or verb.value is not None:
            raise _CommandError(_msg("IKJ56500I", command=verb.word.upper()))
        lines = handler(store, rest, normalize_owner(issuer))
    except _CommandError as fail:
        return CommandResult(ok=False, lines=fail.lines)
    except CommandSyntaxError as problem:
        return CommandResult(ok=False, lines=(_msg("SYNTAX", detail=str(problem)),))
    except SafError as refused:  # a name the store cannot hold, past the checks above
        return CommandResult(ok=False, lines=(_detail(str(refused)),))
    return CommandResult(ok=True, lines=tuple(lines))


# --- operand helpers ------------------------------------------------------------------------


def _keywords(ops: Sequence[Operand], allowed: set[str]) -> dict[str, Operand]:
    """Operands by keyword; unknown or repeated keywords fail (IKJ56712I)."""
    found: dict[str, Operand] = {}
    for op in ops:
        if op.keyword not in allowed or op.keyword in found:
            raise _CommandError(_msg("IKJ56712I", keyword=op.word.upper()))
        found[op.keyword] = op
    return found


def _value(op: Operand | None, what: str) -> str:
    """The unquoted value of a keyword that needs one."""
    if op is None or op.value is None or not unquote(op.value):
        raise _missing(what)
    return _storable(unquote(op.value), what)


def _storable(value: str, what: str) -> str:
    """``value``, or IKJ56702I (shown escaped) when the store cannot hold it (issue 13 §6)."""
    if unstorable(value) is not None:
        raise _invalid(what, repr(value))
    return value


def _flag(op: Operand) -> None:
    if op.value is not None:
        raise _CommandError(_msg("IKJ56712I", keyword=f"{op.word.upper()}({op.value})"))


def _owner_of(spec: dict[str, Operand], issuer: str) -> str:
    """``ID(user)``, ``CERTAUTH`` or ``SITE`` (at most one); the issuer by default."""
    chosen = [k for k in ("ID", CERTAUTH, SITE) if k in spec]
    if len(chosen) > 1:
        raise _CommandError(_msg("IKJ56712I", keyword=chosen[1]))
    if not chosen:
        return issuer
    if chosen[0] == "ID":
        user = _value(spec["ID"], "ID")
        if " " in user or len(user) > 8:
            raise _invalid("USERID", user)
        return normalize_owner(user)
    _flag(spec[chosen[0]])
    return chosen[0]


def _owner_text(owner: str) -> str:
    return owner if owner in SPECIAL_OWNERS else f"ID({owner})"


def _need_cert(store: SafStore, owner: str, label: str) -> Certificate:
    cert = store.certificate(owner, label)
    if cert is None:
        raise _CommandError(_msg("IRRD107I"), _detail(f"LABEL('{label}') of {_owner_text(owner)}"))
    return cert


def _need_ring(store: SafStore, owner: str, name: str) -> Ring:
    ring = store.ring(owner, name)
    if ring is None:
        raise _CommandError(_msg("IRRD114I"), _detail(f"ring {name} of {owner}"))
    return ring


def _user_owner(owner: str, what: str) -> str:
    """Rings belong to user ids, never to CERTAUTH or SITE."""
    if owner in SPECIAL_OWNERS:
        raise _invalid(f"{what} OWNER", owner)
    return owner


# --- RACDCERT -------------------------------------------------------------------------------

_FUNCTIONS = {"GENCERT", "ADDRING", "DELRING", "CONNECT", "REMOVE", "LISTRING", "LIST"}
_FUNCTIONS |= {"DELETE", "EXPORT"}
_EXTRA = {
    "GENCERT": {"SUBJECTSDN", "WITHLABEL", "SIGNWITH", "NOTBEFORE", "NOTAFTER", "SIZE"}
    | {"RSA", "NISTECC", "ALTNAME", "KEYUSAGE"},
    "EXPORT": {"DSN", "FORMAT"},
    "LIST": {"LABEL"},
}


def _racdcert(store: SafStore, ops: Sequence[Operand], issuer: str) -> list[str]:
    functions = [op.keyword for op in ops if op.keyword in _FUNCTIONS]
    if not functions:
        raise _missing("RACDCERT FUNCTION (GENCERT, ADDRING, CONNECT, LISTRING, LIST, ...)")
    function = functions[0]
    spec = _keywords(ops, {"ID", CERTAUTH, SITE, function} | _EXTRA.get(function, set()))
    owner = _owner_of(spec, issuer)
    return _RACDCERT[function](store, owner, spec)


def _gencert(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    _flag(spec["GENCERT"])
    label = _value(spec.get("WITHLABEL"), "WITHLABEL")
    if len(label) > MAX_LABEL:
        raise _invalid("LABEL", label)
    if store.certificate(owner, label) is not None:
        raise _CommandError(_msg("IRRD109I", label=label), _detail(_owner_text(owner)))
    subject = _subject(spec.get("SUBJECTSDN"), label)
    now = store.now().replace(microsecond=0)
    not_after_given = _date(spec.get("NOTAFTER"), "NOTAFTER", end=True)
    not_before = _date(spec.get("NOTBEFORE"), "NOTBEFORE", end=False)
    if not_before is None:
        # RACF starts at the current time. A NOTAFTER already past (ZCEETLSC's 2022/12/31,
        # written when it was future) would give an empty range: pagent starts one year
        # earlier instead so that the job still creates its (expired) certificate [UNV].
        not_before = now
        if not_after_given is not None and not_after_given <= now:
            not_before = _one_year(not_after_given, -1)
    not_after = not_after_given or _one_year(not_before, 1)
    if not_after <= not_before:
        raise _CommandError(
            _msg("DATE_RANGE", notafter=_racf_time(not_after), notbefore=_racf_time(not_before))
        )
    use_rsa = "RSA" in spec
    for flag in ("RSA", "NISTECC"):
        if flag in spec:
            _flag(spec[flag])
    if use_rsa and "NISTECC" in spec:
        raise _CommandError(_msg("IKJ56712I", keyword="NISTECC"))
    size = None
    if "SIZE" in spec:
        text = _value(spec["SIZE"], "SIZE")
        if not text.isdigit():
            raise _invalid("SIZE", text)
        size = int(text)
    domains, ips, emails, uris = _altnames(spec.get("ALTNAME"))
    usage = (
        frozenset(w.upper() for w in words(spec["KEYUSAGE"].value or ""))
        if ("KEYUSAGE" in spec)
        else frozenset()
    )
    if usage - KEY_USAGES:
        raise _invalid("KEYUSAGE", " ".join(sorted(usage - KEY_USAGES)))
    cert_spec = CertSpec(
        subject=subject,
        not_before=not_before,
        not_after=not_after,
        ca=owner in SPECIAL_OWNERS,
        rsa=use_rsa,
        size=size,
        domains=domains,
        ips=ips,
        emails=emails,
        uris=uris,
        key_usage=usage,
    )
    signer = _signer(store, owner, spec.get("SIGNWITH"))
    try:
        key = new_key(use_rsa=use_rsa, size=size)
        certificate = build(cert_spec, key, signer)
    except ValueError as error:
        raise _invalid("GENCERT OPERAND", str(error)) from None
    try:
        store.add_certificate(owner, label, certificate, key)
    except SafError:  # a concurrent GENCERT took the label
        raise _CommandError(_msg("IRRD109I", label=label), _detail(_owner_text(owner))) from None
    return [_msg("IRRD175I")]


def _subject(op: Operand | None, label: str) -> tuple[tuple[str, str], ...]:
    """SUBJECTSDN's name parts; without SUBJECTSDN the label is the CN [UNV]."""
    if op is None:
        return (("CN", label),)
    if op.value is None:
        raise _missing("SUBJECTSDN VALUE")
    parts: list[tuple[str, str]] = []
    seen: set[str] = set()
    for part in operands(op.value):
        if part.keyword not in SDN_FIELDS or part.keyword in seen:
            raise _CommandError(_msg("IKJ56712I", keyword=part.word.upper()))
        seen.add(part.keyword)
        text = _value(part, part.keyword)
        if part.keyword == "C" and len(text) != 2:
            raise _invalid("C", text)
        parts.append((part.keyword, text))
    if not parts:
        raise _missing("SUBJECTSDN VALUE")
    return tuple(parts)


def _date(op: Operand | None, what: str, *, end: bool) -> datetime | None:
    """NOTBEFORE/NOTAFTER(DATE(yyyy/mm/dd) [TIME(hh:mm:ss)]) in UTC.

    Without TIME, NOTBEFORE starts at 00:00:00 and NOTAFTER ends at 23:59:59 (RACDCERT).
    """
    if op is None:
        return None
    if op.value is None:
        raise _missing(f"{what} VALUE")
    parts = _keywords(operands(op.value), {"DATE", "TIME"})
    date_text = _value(parts.get("DATE"), f"{what} DATE")
    time_text = unquote(parts["TIME"].value or "") if "TIME" in parts else None
    time_text = time_text or ("23:59:59" if end else "00:00:00")
    try:
        stamp = datetime.strptime(f"{date_text} {time_text}", "%Y/%m/%d %H:%M:%S")
    except ValueError:
        raise _invalid(f"{what} DATE", f"{date_text} {time_text}") from None
    return stamp.replace(tzinfo=UTC)


def _one_year(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _altnames(
    op: Operand | None,
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    if op is None:
        return (), (), (), ()
    if op.value is None:
        raise _missing("ALTNAME VALUE")
    kinds = _keywords(operands(op.value), {"DOMAIN", "IP", "EMAIL", "URI"})
    found = {k: (_value(v, k),) for k, v in kinds.items()}
    if "IP" in found:
        try:
            ipaddress.ip_address(found["IP"][0])
        except ValueError:
            raise _invalid("IP", found["IP"][0]) from None
    return (
        found.get("DOMAIN", ()),
        found.get("IP", ()),
        found.get("EMAIL", ()),
        found.get("URI", ()),
    )


def _signer(
    store: SafStore, owner: str, op: Operand | None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey] | None:
    """SIGNWITH(CERTAUTH LABEL('x') | SITE LABEL('x') | LABEL('x')): the signer's cert and key.

    A bare LABEL is a certificate of the command's owner (RACF: "the certificate ... owned by
    the user ID specified with ID, or by the command issuer").
    """
    if op is None:
        return None
    if op.value is None:
        raise _missing("SIGNWITH VALUE")
    parts = _keywords(operands(op.value), {CERTAUTH, SITE, "LABEL"})
    signer_owner = next((k for k in (CERTAUTH, SITE) if k in parts), owner)
    if CERTAUTH in parts and SITE in parts:
        raise _CommandError(_msg("IKJ56712I", keyword=SITE))
    label = _value(parts.get("LABEL"), "SIGNWITH LABEL")
    cert = _need_cert(store, signer_owner, label)
    key = store.private_key(cert)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise _CommandError(_msg("NO_SIGNING_KEY", label=label), _detail(_owner_text(signer_owner)))
    return store.x509_of(cert), key


def _addring(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    name = _value(spec["ADDRING"], "RING NAME")
    if len(name) > MAX_RING or " " in name:
        raise _invalid("RING NAME", name)
    _user_owner(owner, "RING")
    if store.ring(owner, name) is not None:
        raise _CommandError(_msg("IRRD118I"), _detail(f"ring {name} of {owner}"))
    store.add_ring(owner, name)
    return []


def _delring(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    name = _value(spec["DELRING"], "RING NAME")
    _need_ring(store, _user_owner(owner, "RING"), name)
    store.delete_ring(owner, name)
    return []


def _connect(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    op = spec["CONNECT"]
    if op.value is None:
        raise _missing("CONNECT VALUE")
    parts = _keywords(
        operands(op.value), {"ID", CERTAUTH, SITE, "LABEL", "RING"} | {"USAGE", "DEFAULT"}
    )
    ring_owner = _user_owner(owner, "RING")
    cert_owner = _owner_of(parts, ring_owner)  # the certificate's owner defaults to the ring's
    label = _value(parts.get("LABEL"), "LABEL")
    ring = _need_ring(store, ring_owner, _value(parts.get("RING"), "RING"))
    cert = _need_cert(store, cert_owner, label)
    usage: Usage = cert.kind
    if "USAGE" in parts:
        text = _value(parts["USAGE"], "USAGE").upper()
        if text not in USAGES:
            raise _invalid("USAGE", text)
        usage = text
    default = "DEFAULT" in parts
    if default:
        _flag(parts["DEFAULT"])
    key = (cert.owner, cert.label)
    old = next((c for c in ring.connections if (c.owner, c.label) == key), None)
    # Connecting again changes USAGE/DEFAULT; DEFAULT moves the flag (one default per ring).
    new = Connection(cert.owner, cert.label, usage, default or (old.default if old else False))
    conns = [new if (c.owner, c.label) == key else c for c in ring.connections]
    if old is None:
        conns.append(new)
    if default:
        conns = [c if (c.owner, c.label) == key else replace(c, default=False) for c in conns]
    store.put_ring(replace(ring, connections=tuple(conns)))
    return []


def _remove(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    op = spec["REMOVE"]
    if op.value is None:
        raise _missing("REMOVE VALUE")
    parts = _keywords(operands(op.value), {"ID", CERTAUTH, SITE, "LABEL", "RING"})
    ring_owner = _user_owner(owner, "RING")
    cert_owner = _owner_of(parts, ring_owner)
    label = _value(parts.get("LABEL"), "LABEL")
    ring = _need_ring(store, ring_owner, _value(parts.get("RING"), "RING"))
    key = (cert_owner, label)
    if not any((c.owner, c.label) == key for c in ring.connections):
        raise _CommandError(
            _msg("IRRD107I"),
            _detail(f"LABEL('{label}') of {_owner_text(cert_owner)} is not in ring {ring.name}"),
        )
    kept = tuple(c for c in ring.connections if (c.owner, c.label) != key)
    store.put_ring(replace(ring, connections=kept))
    return []


def listring_lines(store: SafStore, owner: str, name: str) -> list[str]:
    """LISTRING output for one ring name or ``*`` (every ring of ``owner``)."""
    if name == "*":
        rings = store.rings(owner)
        if not rings:
            return [_msg("LISTRING.NONE", user=owner)]
    else:
        rings = (_need_ring(store, owner, name),)
    lines = [_msg("LISTRING.HEADING", user=owner)]
    for ring in rings:
        lines += ["", _msg("LISTRING.RING"), _msg("VALUE", value=ring.name)]
        lines += [_msg("LISTRING.COLUMNS"), _msg("LISTRING.DASHES")]
        if not ring.connections:
            lines.append(_msg("LISTRING.EMPTY"))
        # Newest connection first: the workshop's USER1 ring (connected USER1, then Liberty CA
        # by MVSTLS) lists Liberty CA first (ops §0.1) [UNV].
        for conn in reversed(ring.connections):
            lines.append(
                _msg(
                    "LISTRING.ROW",
                    label=conn.label,
                    owner=_owner_text(conn.owner),
                    usage=conn.usage,
                    default="YES" if conn.default else "NO",
                )
            )
    lines.append("")
    return lines


def _listring(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    op = spec["LISTRING"]
    name = unquote(op.value) if op.value is not None else "*"
    return listring_lines(store, _user_owner(owner, "RING"), name or "*")


def _racf_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y/%m/%d %H:%M:%S")


def certificate_lines(store: SafStore, cert: Certificate) -> list[str]:
    """The LIST block of one certificate."""
    cx = store.x509_of(cert)
    serial = format(cx.serial_number, "X")
    serial = serial if len(serial) % 2 == 0 else f"0{serial}"
    der = cx.public_bytes(serialization.Encoding.DER)
    lines = [
        _msg("LIST.LABEL", label=cert.label),
        _msg("LIST.ID", certid=base64.b64encode(hashlib.sha1(der).digest()).decode()),  # noqa: S324
        _msg("LIST.STATUS", status=cert.status),
        _msg("LIST.START", date=_racf_time(cx.not_valid_before_utc)),
        _msg("LIST.END", date=_racf_time(cx.not_valid_after_utc)),
        _msg("LIST.SERIAL"),
        _msg("VALUE", value=serial),
        _msg("LIST.ISSUER"),
        _msg("VALUE", value=racf_dn(cx.issuer)),
        _msg("LIST.SUBJECT"),
        _msg("VALUE", value=racf_dn(cx.subject)),
    ]
    try:
        san = cx.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        lines.append(_msg("LIST.ALTNAMES"))
        for kind, cls in (("Domain", x509.DNSName), ("IP", x509.IPAddress)):
            lines += [
                _msg("LIST.ALTNAME", kind=kind, value=str(v)) for v in san.get_values_for_type(cls)
            ]
    key = cx.public_key()
    if not cert.has_key:
        lines.append(_msg("LIST.KEY_TYPE", type="None"))
    elif isinstance(key, ec.EllipticCurvePublicKey):
        lines += [_msg("LIST.KEY_TYPE", type="NISTECC"), _msg("LIST.KEY_SIZE", size=key.key_size)]
    elif isinstance(key, rsa.RSAPublicKey):
        lines += [_msg("LIST.KEY_TYPE", type="RSA"), _msg("LIST.KEY_SIZE", size=key.key_size)]
    lines.append(_msg("LIST.RINGS"))
    rings = store.rings_of(cert)
    if not rings:
        lines.append(_msg("LIST.NO_RINGS"))
    for ring in rings:
        lines += [
            _msg("LIST.RING_OWNER", owner=ring.owner),
            _msg("LIST.RING"),
            _msg("VALUE", value=ring.name),
        ]
    lines.append("")
    return lines


def _list(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    # LIST(LABEL('x')) is RACF's form; LIST LABEL('x') is accepted as well.
    label_op = spec.get("LABEL")
    list_value = spec["LIST"].value
    if list_value is not None:
        label_op = _keywords(operands(list_value), {"LABEL"}).get("LABEL") or label_op
    if owner in SPECIAL_OWNERS:
        heading = _msg("LIST.HEADING", owner=owner)
    else:
        heading = _msg("LIST.HEADING_USER", user=owner)
    if label_op is not None:
        certs: tuple[Certificate, ...] = (_need_cert(store, owner, _value(label_op, "LABEL")),)
    else:
        certs = store.certificates(owner)
    lines = [heading, ""]
    if not certs:
        return [*lines, _msg("LIST.NONE")]
    for cert in certs:
        lines += certificate_lines(store, cert)
    return lines


def _labelled(store: SafStore, owner: str, spec: dict[str, Operand], function: str) -> Certificate:
    """The certificate a ``FUNCTION(LABEL('...'))`` operand names (DELETE, EXPORT)."""
    op = spec[function]
    if op.value is None:
        raise _missing(f"{function}(LABEL)")
    parts = _keywords(operands(op.value), {"LABEL"})
    return _need_cert(store, owner, _value(parts.get("LABEL"), "LABEL"))


def _delete(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    cert = _labelled(store, owner, spec, "DELETE")
    store.delete_certificate(cert.owner, cert.label)
    return []


def _export(store: SafStore, owner: str, spec: dict[str, Operand]) -> list[str]:
    cert = _labelled(store, owner, spec, "EXPORT")
    dsn = _value(spec.get("DSN"), "DSN")
    form = _value(spec["FORMAT"], "FORMAT").upper() if "FORMAT" in spec else "CERTB64"
    if form != "CERTB64":  # only the PEM form: pagent keeps no DER or PKCS#12 data sets
        raise _invalid("FORMAT", form)
    try:
        target = dataset_path(dsn, store.root)
    except ValueError:
        raise _invalid("DSN", dsn) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(store.cert_path(cert).read_bytes())
    except OSError as error:
        raise _CommandError(
            _msg("EXPORT_FAILED", dsn=dsn, reason=error.strerror or str(error))
        ) from None
    return []


_RACDCERT: dict[str, Callable[[SafStore, str, dict[str, Operand]], list[str]]] = {
    "GENCERT": _gencert,
    "ADDRING": _addring,
    "DELRING": _delring,
    "CONNECT": _connect,
    "REMOVE": _remove,
    "LISTRING": _listring,
    "LIST": _list,
    "DELETE": _delete,
    "EXPORT": _export,
}


# --- PERMIT, SETROPTS, CONNECT -------------------------------------------------------------


def _permit(store: SafStore, ops: Sequence[Operand], issuer: str) -> list[str]:
    """PERMIT profile CLASS(FACILITY) ID(user ...) ACCESS(level) | DELETE."""
    if not ops or ops[0].value is not None:
        raise _missing("PROFILE NAME")
    profile = _storable(unquote(ops[0].word), "PROFILE NAME").upper()
    spec = _keywords(ops[1:], {"CLASS", "ID", "ACCESS", "DELETE"})
    klass = _value(spec.get("CLASS"), "CLASS").upper()
    if klass != "FACILITY":  # the only class AT-TLS key rings need (IRR.DIGTCERT.*)
        raise _invalid("CLASS", klass)
    users = [normalize_owner(u) for u in words(_value(spec.get("ID"), "ID"))]
    if "DELETE" in spec:
        _flag(spec["DELETE"])
        if "ACCESS" in spec:
            raise _CommandError(_msg("IKJ56712I", keyword="ACCESS"))
        for user in users:
            store.permit(profile, user, None)
        return []
    level = _value(spec["ACCESS"], "ACCESS").upper() if "ACCESS" in spec else "READ"
    if level not in ACCESS_LEVELS:  # RACF's PERMIT defaults ACCESS to READ
        raise _invalid("ACCESS", level)
    for user in users:
        store.permit(profile, user, level)
    return []


_SETROPTS = {"RACLIST", "NORACLIST", "GENERIC", "NOGENERIC", "GENCMD", "REFRESH", "LIST"}


def _setropts(store: SafStore, ops: Sequence[Operand], issuer: str) -> list[str]:
    """Accepted without effect: pagent's profiles take effect at once (no in-storage copy)."""
    _keywords(ops, _SETROPTS)
    return []


def _connect_group(store: SafStore, ops: Sequence[Operand], issuer: str) -> list[str]:
    """CONNECT user GROUP(group): record the membership; AUTHORITY/UACC/OWNER are ignored."""
    if not ops:
        raise _missing("USERID")
    first = ops[0]
    if first.value is not None:
        raise _CommandError(_msg("IKJ56712I", keyword=first.word.upper()))
    users = [_storable(unquote(first.word), "USERID")]
    spec = _keywords(ops[1:], {"GROUP", "AUTHORITY", "UACC", "OWNER"})
    group = _value(spec.get("GROUP"), "GROUP")
    for user in users:
        if len(user) > 8 or not user:
            raise _invalid("USERID", user)
        store.connect_group(user, group)
    return []


_VERBS: dict[str, Callable[[SafStore, Sequence[Operand], str], list[str]]] = {
    "RACDCERT": _racdcert,
    "PERMIT": _permit,
    "PE": _permit,
    "SETROPTS": _setropts,
    "SETR": _setropts,
    "CONNECT": _connect_group,
    "CO": _connect_group,
}
