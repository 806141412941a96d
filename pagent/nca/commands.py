"""The ``pagent nca`` commands: each a checked change of the backing store (docs/nca.md §2).

:mod:`pagent.nca.cli` builds the parser; this module runs what it parsed. The change
functions (:data:`CHANGES`) are also what the full-screen application runs on OK.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pagent.nca import edit, status, views
from pagent.nca.cli import DEFAULT_STORE
from pagent.nca.importer import import_policy
from pagent.nca.install import install
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
from pagent.nca.store import StoreError, load, save, store_path
from pagent.policy.ciphers import lookup_suite

EXIT_USAGE = 2
EXIT_REFUSED = 1


# --- Argument values. -----------------------------------------------------------------
def _choice(value: str, allowed: tuple[str, ...], argument: str) -> str:
    for a in allowed:
        if value.lower() == a.lower() or (a.endswith(" only") and value.lower() == a.split()[0]):
            return a
    raise NcaError(f"'{value}' is not one of {', '.join(a.lower() for a in allowed)}", argument)


def _trace(text: str | None) -> tuple[int, ...]:
    if text is None or text.lower() in ("", "none"):
        return ()
    levels: list[int] = []
    for word in text.split(","):
        if not word.strip().isdigit() or int(word) not in TRACE_LEVELS:
            raise NcaError(f"'{word}' is not a trace level: 1, 2 or 4 (e.g. 1,2,4)", "--trace")
        levels.append(int(word))
    if len(set(levels)) != len(levels):
        raise NcaError(f"'{text}' names a level twice", "--trace")
    return tuple(sorted(levels))


def _protocols(text: str) -> tuple[str, ...]:
    wanted = []
    for word in text.split(","):
        match = next((p for p in PROTOCOLS if p.lower() == word.strip().lower()), None)
        if match is None:
            raise NcaError(f"'{word}' is not a protocol: {', '.join(PROTOCOLS)}", "--protocols")
        wanted.append(match)
    return tuple(p for p in PROTOCOLS if p in wanted)


def _ciphers(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    names = tuple(w.strip() for w in text.split(",") if w.strip())
    for n in names:
        if lookup_suite(n) is None:
            raise NcaError(f"'{n}' is not a V3 cipher suite name System SSL knows", "--ciphers")
    if len(set(names)) != len(names):
        raise NcaError("a cipher suite is named twice", "--ciphers")
    return names


def _stack_arg(text: str) -> tuple[str, str]:
    image, sep, stack = text.partition("/")
    if not sep or not image or not stack:
        raise NcaError(f"'{text}' is not IMAGE/STACK (e.g. WG31/TCPIP1)", "IMAGE/STACK")
    return image, stack


def _keyring(text: str | None, argument: str) -> str | None:
    if text is None or text == "":
        return None
    if " " in text or len(text) > 237:
        raise NcaError(f"'{text}' is not a key ring name", argument)
    return text


# --- Commands. ------------------------------------------------------------------------
_T = TypeVar("_T")


class _Described(Protocol):
    @property
    def description(self) -> str: ...


def _existing(
    find: Callable[[Store, str], _T | None], store: Store, kind: str, name: str, modify: bool
) -> _T | None:
    """What a Modify changes (None for New); a Modify of nothing is an error on NAME."""
    if not modify:
        return None
    old = find(store, name)
    if old is None:
        raise NcaError(f"no {edit.WHAT[kind]} named '{name}'", "NAME")
    return old


def _description(a: argparse.Namespace, old: _Described | None) -> str:
    """--description when given, else what the object had (empty for a new one)."""
    if a.description is not None:
        return str(a.description)
    return old.description if old else ""


def _image(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    old = store.image(a.name) if modify else None
    base = old or Image(check_name(a.name, "system image", "IMAGE"))
    release = base.release
    if a.release is not None:
        release = _choice(a.release, RELEASES, "--release")
    image = Image(
        base.name,
        release,
        _keyring(a.keyring, "--keyring") if a.keyring is not None else base.keyring,
        _trace(a.trace) if a.trace is not None else base.trace,
        (),
        a.description if a.description is not None else base.description,
    )
    return edit.put_image(store, image, modify=modify), f"system image {image.name}"


def _stack(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    name = check_name(a.name, "TCP/IP stack", "STACK")
    owner = store.image(a.image)
    old = owner.stack(name) if modify and owner is not None else None
    file = a.file if a.file is not None else (old.install_file if old else None)
    if file is not None and not file.startswith("/"):
        raise NcaError(f"'{file}' is not an absolute z/OS path", "--file")
    desc = _description(a, old)
    stack = Stack(name, description=desc, install_file=file)
    return edit.put_stack(store, a.image, stack, modify=modify), f"TCP/IP stack {a.image}/{name}"


def _descriptor(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    name = check_name(a.name, "traffic descriptor")
    old = _existing(edit.descriptor, store, "descriptor", name, modify)
    t = old.types[0] if old else TrafficType()
    ttype = TrafficType(
        local_port=parse_port(a.local_port, "--local-port") if a.local_port else t.local_port,
        remote_port=parse_port(a.remote_port, "--remote-port") if a.remote_port else t.remote_port,
        direction=_choice(a.direction, ("Either", "Inbound", "Outbound"), "--direction")  # type: ignore[arg-type]
        if a.direction
        else t.direction,
        jobname=check_job(a.jobname, "job name", "--jobname")
        if a.jobname is not None
        else t.jobname,
        userid=check_job(a.userid, "user id", "--userid") if a.userid is not None else t.userid,
        role=_choice(a.role, ("Server", "Client"), "--role") if a.role else t.role,  # type: ignore[arg-type]
        keyring=_keyring(a.keyring, "--keyring") if a.keyring is not None else t.keyring,
        certificate_label=a.certificate_label
        if a.certificate_label is not None
        else t.certificate_label,
    )
    types = (ttype, *(old.types[1:] if old else ()))
    desc = _description(a, old)
    obj = TrafficDescriptor(name, types, desc)
    return edit.put(store, "descriptor", obj, modify=modify), f"traffic descriptor {name}"


def _level(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    name = check_name(a.name, "security level")
    old = _existing(edit.level, store, "level", name, modify)
    protocols = _protocols(a.protocols) if a.protocols else (old.protocols if old else ())
    auth = old.client_auth if old else None
    if a.client_auth is not None:
        auth = (
            None
            if a.client_auth.lower() == "none"
            else _choice(a.client_auth, CLIENT_AUTH, "--client-auth")
        )
    lvl = SecurityLevel(
        name,
        protocols,
        _ciphers(a.ciphers) if a.ciphers is not None else (old.ciphers if old else ()),
        auth,
        _description(a, old),
    )
    return edit.put(store, "level", lvl, modify=modify), f"security level {name}"


def _map(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    name = check_name(a.name, "requirement map")
    old = _existing(edit.requirement_map, store, "map", name, modify)
    if len(a.descriptor) != len(a.level):
        raise NcaError("give one --level for each --descriptor, in pairs", "--level")
    rows = tuple(MapRow(d, lv) for d, lv in zip(a.descriptor, a.level, strict=True))
    if not rows:
        if not old:
            raise NcaError("a requirement map needs --descriptor D --level L", "--descriptor")
        rows = old.rows
    desc = _description(a, old)
    return (
        edit.put(store, "map", RequirementMap(name, rows, desc), modify=modify),
        f"requirement map {name}",
    )


def _group(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    name = check_name(a.name, "address group")
    old = _existing(edit.group, store, "group", name, modify)
    addresses = tuple(check_address(x, "--address") for x in a.address)
    if not addresses:
        if not old:
            raise NcaError("an address group needs at least one --address", "--address")
        addresses = old.addresses
    desc = _description(a, old)
    return (
        edit.put(store, "group", AddressGroup(name, addresses, desc), modify=modify),
        f"address group {name}",
    )


def _rule(store: Store, a: argparse.Namespace, modify: bool) -> tuple[Store, str]:
    image, stack_name = _stack_arg(a.stack)
    name = check_name(a.name, "connectivity rule")
    _, stack = edit.stack_of(store, image, stack_name)
    old = next((r for r in stack.rules if r.name == name), None)
    rule = ConnectivityRule(
        name,
        a.map or (old.map if old else ""),
        a.local or (old.local if old else "All_IPv4_Addresses"),
        a.remote or (old.remote if old else "All_IPv4_Addresses"),
    )
    return (
        edit.put_rule(store, image, stack_name, rule, modify=modify),
        f"connectivity rule {name} on {image}/{stack_name}",
    )


CHANGES: dict[str, Callable[[Store, argparse.Namespace, bool], tuple[Store, str]]] = {
    "image": _image,
    "stack": _stack,
    "descriptor": _descriptor,
    "level": _level,
    "map": _map,
    "group": _group,
    "rule": _rule,
}


def _delete(store: Store, a: argparse.Namespace) -> tuple[Store, str]:
    kind = a.kind
    if kind == "image":
        return edit.delete_image(store, a.name), f"system image {a.name}"
    if kind in ("stack", "rule"):
        image, stack = _stack_arg(a.name)
        if kind == "stack":
            return edit.delete_stack(store, image, stack), f"TCP/IP stack {a.name}"
        if not a.rule:
            raise NcaError("name the rule: delete rule IMAGE/STACK RULE", "RULE")
        return edit.delete_rule(store, image, stack, a.rule), f"connectivity rule {a.rule}"
    return edit.delete(store, kind, a.name), f"{edit.WHAT[kind]} {a.name}"


def _list(store: Store, kind: str | None, as_json: bool) -> list[str] | dict[str, Any]:
    kinds = ["system", "descriptor", "level", "map", "group"] if kind is None else [kind]
    if kind in ("image", "stack"):
        kinds = ["system"]
    out: dict[str, Any] = {}
    lines: list[str] = []
    for k in kinds:
        if k == "system":
            out["images"] = [
                {
                    **views.as_dict(store, i),
                    "stacks": [views.stack_dict(store, i, s) for s in i.stacks],
                }
                for i in store.images
            ]
            lines.append("Systems:")
            rows = views.systems_rows(store)
            lines += [f"  {label:<30} {st:<11} {inst}".rstrip() for label, st, inst in rows]
            if not rows:
                lines.append("  (no system images)")
            continue
        objs = edit.objects(store, k)  # type: ignore[arg-type]
        out[k + "s"] = [views.as_dict(store, o) for o in objs]
        lines.append(f"{edit.WHAT[k].capitalize()}s:")
        for o in objs:
            tag = "  (IBM supplied)" if o.supplied else ""
            lines.append(f"  {o.name}{tag}")
    return out if as_json else lines


def _emit(obj: Any, as_json: bool) -> None:  # noqa: ANN401 - JSON values
    if as_json:
        json.dump(obj, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif isinstance(obj, list):
        sys.stdout.write("".join(f"{line}\n" for line in obj))


def run(args: argparse.Namespace, clock: Callable[[], datetime] = datetime.now) -> int:
    """Run one ``pagent nca`` command; returns the exit code."""
    root = Path(getattr(args, "root", None) or Path.cwd())
    name = getattr(args, "store", None) or DEFAULT_STORE
    as_json = bool(getattr(args, "json", False))
    command = args.nca_command
    try:
        path = store_path(root, name)
        if command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                raise NcaError(
                    "the full-screen assistant needs a terminal; give a subcommand "
                    "(pagent nca --help)",
                    "COMMAND",
                )
            return _interactive(root, name, clock)
        store = load(path, name)
        if command in CHANGES:
            return _change(path, store, args, as_json, clock)
        if command == "install":
            return _install(root, path, store, args, as_json, clock)
        if command == "import":
            return _import(path, store, args, as_json)
        if command == "list":
            _emit(_list(store, args.kind, as_json), as_json)
            return 0
        if command == "show":
            _emit(_show(store, args, as_json), as_json)
            return 0
        if command == "delete":
            new, what = _delete(store, args)
            save(path, new)
            _done(f"deleted {what}", path, as_json)
            return 0
    except NcaError as exc:
        return _fail(str(exc), exc.argument, as_json)
    except StoreError as exc:
        return _fail(str(exc), None, as_json)
    return EXIT_USAGE  # pragma: no cover - argparse requires a known command


def _interactive(root: Path, name: str, clock: Callable[[], datetime]) -> int:
    # The full-screen application loads prompt-toolkit's layout: only when it is wanted.
    from pagent.nca.app import run_app  # noqa: PLC0415

    return run_app(root, name, clock)


def _show(store: Store, args: argparse.Namespace, as_json: bool) -> list[str] | dict[str, Any]:
    if not as_json:
        return views.details(store, args.kind, args.name)
    if args.kind == "stack" or (args.kind == "image" and "/" in args.name):
        image, stack = edit.stack_of(store, *_stack_arg(args.name))
        return views.stack_dict(store, image, stack)
    if args.kind == "image":
        image_obj = store.image(args.name)
        if image_obj is None:
            raise NcaError(f"no system image named '{args.name}'", "NAME")
        return views.as_dict(store, image_obj)
    if args.kind == "rule":
        raise NcaError("show the rule's stack: show stack IMAGE/STACK", "KIND")
    obj = edit.find(store, args.kind, args.name)
    if obj is None:
        raise NcaError(f"no {edit.WHAT[args.kind]} named '{args.name}'", "NAME")
    return views.as_dict(store, obj)


def _change(
    path: Path, store: Store, args: argparse.Namespace, as_json: bool, clock: object
) -> int:
    del clock
    new, what = CHANGES[args.nca_command](store, args, args.verb == "modify")
    save(path, new)
    _done(f"{'modified' if args.verb == 'modify' else 'added'} {what}", path, as_json)
    _status_note(new, args, as_json)
    return 0


def _status_note(store: Store, args: argparse.Namespace, as_json: bool) -> None:
    """After a change to an image or stack, say whether it is Incomplete, as the tree does."""
    if as_json or args.nca_command not in ("image", "stack", "rule"):
        return
    for image in store.images:
        problems = status.image_problems(store, image)
        if problems:
            print(f"{image.name}: {status.INCOMPLETE}: {'; '.join(problems)}")


def _install(
    root: Path,
    path: Path,
    store: Store,
    args: argparse.Namespace,
    as_json: bool,
    clock: Callable[[], datetime],
) -> int:
    image, stack = _stack_arg(args.stack)
    try:
        done = install(root, store, image, stack, clock)
    except NcaError as exc:
        if exc.argument is None:  # incomplete or a failed check: refused, nothing written
            return _fail(str(exc), None, as_json, code=EXIT_REFUSED)
        raise
    save(path, done.store)
    if as_json:
        _emit(
            {"ok": True, "file": done.zos_path, "path": str(done.path), "notes": list(done.notes)},
            True,
        )
    else:
        for note in done.notes:
            print(note)
    return 0


def _import(path: Path, store: Store, args: argparse.Namespace, as_json: bool) -> int:
    result = import_policy(store, args.policy, args.image, args.stack)
    save(path, result.store)
    if as_json:
        _emit(
            {"ok": True, "imported": list(result.imported), "not_represented": list(result.lost)},
            True,
        )
    else:
        for line in result.imported:
            print(f"imported {line}")
        for line in result.lost:
            print(f"not represented: {line}")
    return 0


def _done(message: str, path: Path, as_json: bool) -> None:
    if as_json:
        _emit({"ok": True, "message": message, "store": str(path)}, True)
    else:
        print(message)


def _fail(message: str, argument: str | None, as_json: bool, *, code: int = EXIT_USAGE) -> int:
    if as_json:
        _emit({"ok": False, "error": message, "argument": argument}, True)
    first, *rest = message.split("\n")
    print(f"pagent nca: {first}", file=sys.stderr)
    for line in rest:
        print(f"  {line}", file=sys.stderr)
    return code
