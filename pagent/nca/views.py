"""What the NCA shows of its objects: rows of the tabs, View Details text, JSON.

Shared by the command line (``list``, ``show``, ``--json``) and the full-screen
application, so that both say the same thing about the same store.
"""

from __future__ import annotations

from typing import Any

from pagent.nca import edit, status
from pagent.nca.model import (
    AddressGroup,
    Image,
    NcaError,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
    TrafficType,
)

KINDS = ("image", "stack", "descriptor", "level", "map", "group", "rule")


def ttype_dict(t: TrafficType) -> dict[str, Any]:
    """A traffic type as JSON."""
    return {
        "protocol": t.protocol,
        "local_port": t.local_port.text,
        "remote_port": t.remote_port.text,
        "direction": t.direction,
        "jobname": t.jobname,
        "userid": t.userid,
        "role": t.role,
        "keyring": t.keyring,
        "certificate_label": t.certificate_label,
    }


def as_dict(store: Store, obj: object) -> dict[str, Any]:
    """Any NCA object as JSON (supplied ones flagged)."""
    if isinstance(obj, Image):
        problems = status.image_problems(store, obj)
        return {
            "kind": "image",
            "name": obj.name,
            "release": obj.release,
            "keyring": obj.keyring,
            "trace": list(obj.trace),
            "status": status.status(problems),
            "missing": problems,
            "stacks": [s.name for s in obj.stacks],
        }
    if isinstance(obj, TrafficDescriptor):
        return {
            "kind": "descriptor",
            "name": obj.name,
            "description": obj.description,
            "supplied": obj.supplied,
            "types": [ttype_dict(t) for t in obj.types],
        }
    if isinstance(obj, SecurityLevel):
        return {
            "kind": "level",
            "name": obj.name,
            "description": obj.description,
            "supplied": obj.supplied,
            "protocols": list(obj.protocols),
            "ciphers": list(obj.ciphers),
            "client_auth": obj.client_auth,
        }
    if isinstance(obj, RequirementMap):
        return {
            "kind": "map",
            "name": obj.name,
            "description": obj.description,
            "supplied": obj.supplied,
            "rows": [{"descriptor": r.descriptor, "level": r.level} for r in obj.rows],
        }
    if isinstance(obj, AddressGroup):
        return {
            "kind": "group",
            "name": obj.name,
            "description": obj.description,
            "supplied": obj.supplied,
            "addresses": list(obj.addresses),
        }
    raise TypeError(type(obj))  # pragma: no cover - every kind is handled above


def stack_dict(store: Store, image: Image, stack: Stack) -> dict[str, Any]:
    """A stack and its rules as JSON."""
    problems = status.stack_problems(store, image, stack)
    return {
        "kind": "stack",
        "image": image.name,
        "name": stack.name,
        "status": status.status(problems),
        "missing": problems,
        "install_file": stack.install_file,
        "history": list(stack.history),
        "rules": [
            {"name": r.name, "map": r.map, "local": r.local, "remote": r.remote}
            for r in stack.rules
        ],
    }


def port_words(text: str) -> str:
    """A port choice as the panel words it."""
    if text == "all":
        return "All ports"
    if text == "ephemeral":
        return "Ephemeral ports"
    return f"Port range {text}" if "-" in text else f"Single port {text}"


def details(store: Store, kind: str, name: str) -> list[str]:
    """The View Details text of one object (``IMAGE/STACK`` for stacks and rules' stacks)."""
    if kind in ("image", "stack"):
        image_name, _, stack_name = name.partition("/")
        if kind == "stack" or stack_name:
            image, stack = edit.stack_of(store, image_name, stack_name)
            d = stack_dict(store, image, stack)
            lines = [f"TCP/IP stack {image.name}/{stack.name}: {d['status']}"]
            lines += [f"  missing: {p}" for p in d["missing"]]
            lines.append(f"  install file: {stack.install_file or '(the NCA default)'}")
            lines.append(f"  installed: {', '.join(stack.history) or 'never'}")
            for n, r in enumerate(stack.rules, start=1):
                lines.append(
                    f"  rule {n}: {r.name}  map {r.map}  local {r.local}  remote {r.remote}"
                )
            return lines
        found = store.image(name)
        if found is None:
            raise NcaError(f"no system image named '{name}'", "NAME")
        d = as_dict(store, found)
        lines = [f"System image {found.name}: {d['status']}"]
        lines += [f"  missing: {p}" for p in d["missing"]]
        lines.append(f"  z/OS release: {found.release}")
        lines.append(f"  default key ring: {found.keyring or '(none)'}")
        trace = ", ".join(f"Level {t}" for t in found.trace) or "none"
        lines.append(f"  trace levels: {trace} (Trace {found.trace_sum})")
        lines.append(f"  stacks: {', '.join(s.name for s in found.stacks) or '(none)'}")
        return lines
    if kind not in ("descriptor", "level", "map", "group"):
        raise NcaError(f"'{kind}' is not one of {', '.join(KINDS)}", "KIND")
    obj = edit.find(store, kind, name)  # type: ignore[arg-type]
    if obj is None:
        raise NcaError(f"no {edit.WHAT[kind]} named '{name}'", "NAME")
    head = f"{edit.WHAT[kind].capitalize()} {obj.name}"
    if obj.supplied:
        head += " (IBM supplied)"
    lines = [head]
    if obj.description:
        lines.append(f"  description: {obj.description}")
    if isinstance(obj, TrafficDescriptor):
        for n, t in enumerate(obj.types, start=1):
            lines.append(f"  traffic type {n}: {t.protocol}")
            lines.append(f"    local port: {port_words(t.local_port.text)}")
            lines.append(f"    remote port: {port_words(t.remote_port.text)}")
            lines.append(f"    connect direction: {t.direction}")
            lines.append(f"    job name: {t.jobname or '(any)'}  user id: {t.userid or '(any)'}")
            lines.append(f"    AT-TLS handshake role: {t.role}")
            lines.append(f"    key ring: {t.keyring or 'the system image default'}")
            if t.certificate_label:
                lines.append(f"    certificate label: {t.certificate_label}")
    elif isinstance(obj, SecurityLevel):
        lines.append(f"  protocols: {', '.join(obj.protocols)}")
        ciphers = ", ".join(obj.ciphers) if obj.ciphers else "System SSL_V3 Defaults"
        lines.append(f"  encryption: {ciphers}")
        lines.append(f"  client authentication: {obj.client_auth or 'none'}")
        lines.append("  use SSL version 2: No")
    elif isinstance(obj, RequirementMap):
        lines += [f"  {row.descriptor} -> {row.level}" for row in obj.rows]
    elif isinstance(obj, AddressGroup):
        lines += [f"  {a}" for a in obj.addresses]
    return lines


def systems_rows(store: Store) -> list[tuple[str, str, str]]:
    """The Systems tab: (tree label, status, install status)."""
    rows: list[tuple[str, str, str]] = []
    for image in store.images:
        rows.append((f"{image.name}", status.status(status.image_problems(store, image)), ""))
        for stack in image.stacks:
            problems = status.stack_problems(store, image, stack)
            installed = f"Installed {stack.history[0]}" if stack.history else "Never installed"
            rows.append((f"  {image.name}/{stack.name}", status.status(problems), installed))
    return rows
