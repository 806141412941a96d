"""The backing store on disk: ROOT/var/nca/<NAME>.json, one file per store (docs/nca.md).

The file is JSON, written atomically (a temporary file in the same directory, flushed and
fsynced, then renamed over the old one), so a failed or interrupted command leaves the
previous store whole. It is validated field by field when it is read, with the same checks
the commands apply, and a bad file is an error naming the file and the field, never a
traceback and never a silently repaired store.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pagent.nca.model import (
    CLIENT_AUTH,
    PROTOCOLS,
    RELEASES,
    TRACE_LEVELS,
    AddressGroup,
    ConnectivityRule,
    Image,
    MapRow,
    NcaError,
    Port,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
    TrafficType,
    check_address,
    check_job,
    check_name,
    parse_port,
)

FORMAT = "pagent-nca-backing-store"
VERSION = 1
STORE_DIR = Path("var") / "nca"
_STORE_NAME = re.compile(r"^[A-Za-z0-9_$#@.-]{1,44}$")
T = TypeVar("T")


class StoreError(Exception):
    """A backing store that cannot be read or written: the file and what is wrong."""


def store_path(root: Path, name: str) -> Path:
    """Where the store NAME of a root lives."""
    if not _STORE_NAME.match(name):
        raise NcaError(
            f"'{name}' is not a backing store name (1-44 of A-Z a-z 0-9 _ $ # @ . -)", "--store"
        )
    return root / STORE_DIR / f"{name}.json"


# --- Writing. -------------------------------------------------------------------------
def _port(p: Port) -> str:
    return p.text


def to_json(store: Store) -> dict[str, Any]:
    """The store as a JSON document."""

    def ttype(t: TrafficType) -> dict[str, Any]:
        return {
            "protocol": t.protocol,
            "local_port": _port(t.local_port),
            "remote_port": _port(t.remote_port),
            "direction": t.direction,
            "jobname": t.jobname,
            "userid": t.userid,
            "role": t.role,
            "keyring": t.keyring,
            "certificate_label": t.certificate_label,
        }

    return {
        "format": FORMAT,
        "version": VERSION,
        "name": store.name,
        "images": [
            {
                "name": i.name,
                "description": i.description,
                "release": i.release,
                "keyring": i.keyring,
                "trace": list(i.trace),
                "stacks": [
                    {
                        "name": s.name,
                        "description": s.description,
                        "install_file": s.install_file,
                        "history": list(s.history),
                        "rules": [
                            {"name": r.name, "map": r.map, "local": r.local, "remote": r.remote}
                            for r in s.rules
                        ],
                    }
                    for s in i.stacks
                ],
            }
            for i in store.images
        ],
        "descriptors": [
            {"name": d.name, "description": d.description, "types": [ttype(t) for t in d.types]}
            for d in store.descriptors
        ],
        "levels": [
            {
                "name": lv.name,
                "description": lv.description,
                "protocols": list(lv.protocols),
                "ciphers": list(lv.ciphers),
                "client_auth": lv.client_auth,
            }
            for lv in store.levels
        ],
        "maps": [
            {
                "name": m.name,
                "description": m.description,
                "rows": [{"descriptor": r.descriptor, "level": r.level} for r in m.rows],
            }
            for m in store.maps
        ],
        "groups": [
            {"name": g.name, "description": g.description, "addresses": list(g.addresses)}
            for g in store.groups
        ],
    }


def save(path: Path, store: Store) -> None:
    """Write the store atomically. Raises StoreError when it cannot be written."""
    text = json.dumps(to_json(store), indent=2) + "\n"
    write_atomic(path, text)


def write_atomic(path: Path, text: str) -> None:
    """Replace a file with text in one rename; the old file stays whole on any failure."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"{path}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"{path}: cannot write: {exc.strerror}") from None


# --- Reading. -------------------------------------------------------------------------
class _Reader:
    """Walks the JSON document; every error names the file and the field."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> StoreError:
        return StoreError(f"{self.path}: {where}: {message}")

    def obj(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        return value

    def lst(self, doc: dict[str, Any], key: str, where: str) -> list[Any]:
        value = doc.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", "must be a list")
        return value

    def text(self, doc: dict[str, Any], key: str, where: str) -> str:
        value = doc.get(key)
        if not isinstance(value, str):
            raise self.fail(f"{where}.{key}", "must be a string")
        return value

    def maybe(self, doc: dict[str, Any], key: str, where: str) -> str | None:
        if doc.get(key) is None:
            return None
        return self.text(doc, key, where)

    def checked(self, where: str, check: Callable[[], T]) -> T:
        try:
            return check()
        except NcaError as exc:
            raise self.fail(where, str(exc.args[0])) from None

    def choice(self, doc: dict[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
        value = self.text(doc, key, where)
        if value not in allowed:
            raise self.fail(f"{where}.{key}", f"'{value}' is not one of {', '.join(allowed)}")
        return str(value)

    def named(self, doc: dict[str, Any], where: str, what: str) -> str:
        name = self.text(doc, "name", where)
        return self.checked(f"{where}.name", lambda: check_name(name, what))

    def ttype(self, doc: dict[str, Any], where: str) -> TrafficType:
        if doc.get("protocol", "TCP") != "TCP":
            raise self.fail(f"{where}.protocol", "only TCP traffic types exist for AT-TLS")
        lp = self.text(doc, "local_port", where)
        rp = self.text(doc, "remote_port", where)
        job = self.maybe(doc, "jobname", where)
        user = self.maybe(doc, "userid", where)
        return TrafficType(
            local_port=self.checked(f"{where}.local_port", lambda: parse_port(lp, "local_port")),
            remote_port=self.checked(f"{where}.remote_port", lambda: parse_port(rp, "remote")),
            direction=self.choice(doc, "direction", where, ("Either", "Inbound", "Outbound")),  # type: ignore[arg-type]
            jobname=self.checked(f"{where}.jobname", lambda: check_job(job, "job name", "")),
            userid=self.checked(f"{where}.userid", lambda: check_job(user, "user id", "")),
            role=self.choice(doc, "role", where, ("Server", "Client")),  # type: ignore[arg-type]
            keyring=self.maybe(doc, "keyring", where),
            certificate_label=self.maybe(doc, "certificate_label", where),
        )

    def store(self, doc: object) -> Store:
        top = self.obj(doc, "document")
        if top.get("format") != FORMAT:
            raise self.fail("format", f"not a pagent NCA backing store (expected '{FORMAT}')")
        if top.get("version") != VERSION:
            raise self.fail("version", f"{top.get('version')!r}: this pagent reads version 1")
        name = self.text(top, "name", "store")
        images = []
        for n, raw in enumerate(self.lst(top, "images", "store")):
            where = f"images[{n}]"
            d = self.obj(raw, where)
            trace = self.lst(d, "trace", where)
            if any(t not in TRACE_LEVELS for t in trace) or len(set(trace)) != len(trace):
                raise self.fail(f"{where}.trace", "must list distinct trace levels 1, 2, 4")
            stacks = []
            for k, sraw in enumerate(self.lst(d, "stacks", where)):
                sw = f"{where}.stacks[{k}]"
                sd = self.obj(sraw, sw)
                rules = []
                for j, rraw in enumerate(self.lst(sd, "rules", sw)):
                    rw = f"{sw}.rules[{j}]"
                    rd = self.obj(rraw, rw)
                    rules.append(
                        ConnectivityRule(
                            self.named(rd, rw, "connectivity rule"),
                            self.text(rd, "map", rw),
                            self.text(rd, "local", rw),
                            self.text(rd, "remote", rw),
                        )
                    )
                history = self.lst(sd, "history", sw)
                if not all(isinstance(h, str) for h in history):
                    raise self.fail(f"{sw}.history", "must be a list of strings")
                stacks.append(
                    Stack(
                        self.named(sd, sw, "TCP/IP stack"),
                        tuple(rules),
                        str(sd.get("description") or ""),
                        self.maybe(sd, "install_file", sw),
                        tuple(history),
                    )
                )
            images.append(
                Image(
                    self.named(d, where, "system image"),
                    self.choice(d, "release", where, RELEASES),
                    self.maybe(d, "keyring", where),
                    tuple(sorted(trace)),
                    tuple(stacks),
                    str(d.get("description") or ""),
                )
            )
        descriptors = []
        for n, raw in enumerate(self.lst(top, "descriptors", "store")):
            where = f"descriptors[{n}]"
            d = self.obj(raw, where)
            types = tuple(
                self.ttype(self.obj(t, f"{where}.types[{k}]"), f"{where}.types[{k}]")
                for k, t in enumerate(self.lst(d, "types", where))
            )
            if not types:
                raise self.fail(f"{where}.types", "a traffic descriptor needs a traffic type")
            descriptors.append(
                TrafficDescriptor(
                    self.named(d, where, "traffic descriptor"),
                    types,
                    str(d.get("description") or ""),
                )
            )
        levels = []
        for n, raw in enumerate(self.lst(top, "levels", "store")):
            where = f"levels[{n}]"
            d = self.obj(raw, where)
            protocols = self.lst(d, "protocols", where)
            if not protocols or any(p not in PROTOCOLS for p in protocols):
                raise self.fail(f"{where}.protocols", f"must list some of {', '.join(PROTOCOLS)}")
            ciphers = self.lst(d, "ciphers", where)
            if not all(isinstance(c, str) for c in ciphers):
                raise self.fail(f"{where}.ciphers", "must be a list of strings")
            auth = d.get("client_auth")
            if auth is not None and auth not in CLIENT_AUTH:
                raise self.fail(f"{where}.client_auth", f"must be one of {', '.join(CLIENT_AUTH)}")
            levels.append(
                SecurityLevel(
                    self.named(d, where, "security level"),
                    tuple(p for p in PROTOCOLS if p in protocols),
                    tuple(ciphers),
                    auth,
                    str(d.get("description") or ""),
                )
            )
        maps = []
        for n, raw in enumerate(self.lst(top, "maps", "store")):
            where = f"maps[{n}]"
            d = self.obj(raw, where)
            rows = tuple(
                MapRow(
                    self.text(
                        self.obj(r, f"{where}.rows[{k}]"), "descriptor", f"{where}.rows[{k}]"
                    ),
                    self.text(r, "level", f"{where}.rows[{k}]"),
                )
                for k, r in enumerate(self.lst(d, "rows", where))
            )
            maps.append(
                RequirementMap(
                    self.named(d, where, "requirement map"),
                    tuple(rows),
                    str(d.get("description") or ""),
                )
            )
        groups = []
        for n, raw in enumerate(self.lst(top, "groups", "store")):
            where = f"groups[{n}]"
            d = self.obj(raw, where)
            addresses = self.lst(d, "addresses", where)
            for k, a in enumerate(addresses):
                if not isinstance(a, str):
                    raise self.fail(f"{where}.addresses[{k}]", "must be a string")
                try:
                    check_address(a, "")
                except NcaError as exc:
                    raise self.fail(f"{where}.addresses[{k}]", str(exc.args[0])) from None
            groups.append(
                AddressGroup(
                    self.named(d, where, "address group"),
                    tuple(addresses),
                    str(d.get("description") or ""),
                )
            )
        for key, found in (
            ("images", images),
            ("descriptors", descriptors),
            ("levels", levels),
            ("maps", maps),
            ("groups", groups),
        ):
            names = [o.name for o in found]
            dup = next((x for x in names if names.count(x) > 1), None)
            if dup is not None:
                raise self.fail(key, f"'{dup}' is defined twice")
        for image in images:
            names = [s.name for s in image.stacks]
            dup = next((x for x in names if names.count(x) > 1), None)
            if dup is not None:
                raise self.fail(f"image {image.name}", f"stack '{dup}' is defined twice")
        return Store(
            name, tuple(images), tuple(descriptors), tuple(levels), tuple(maps), tuple(groups)
        )


def load(path: Path, name: str) -> Store:
    """Read and validate a store; a store that does not exist yet is empty."""
    try:
        raw = path.read_text("utf-8")
    except FileNotFoundError:
        return Store(name)
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path}: cannot read: {exc}") from None
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StoreError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    store = _Reader(path).store(doc)
    if store.name != name:
        raise StoreError(f"{path}: name: the file holds store '{store.name}', not '{name}'")
    return store
