"""Install: write a stack's policy file where the NCA writes it, checked first.

nca.md §5.8: the file goes to ``/etc/cfgasst/<release>/<image>/<stack>/tlsPol`` unless the
stack names another file (F-200 on the name). Before anything is written the text is
parsed and checked by the policy layer as PAGENT would read it; a file with an error is
never installed (the store and the old file stay as they were). Then the file replaces the
old one in one rename, so a running service sees one change and refreshes, and the image's
configuration file is made to name it (its TTLSConfig line is rewritten or added). The
clock is injected: tests install at a fixed time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from pagent.nca import edit, predefined, status
from pagent.nca.generate import DEFAULT_LAYOUT, Layout, generate, rows_of
from pagent.nca.model import NcaError, Store
from pagent.nca.store import write_atomic
from pagent.policy.chain import load_chain, resolve_zos_path
from pagent.policy.codes import Severity
from pagent.policy.diagnostics import render_text
from pagent.policy.lint import lint
from pagent.policy.policy import load_policy
from pagent.policy.source import SourceText

STAMP = "%Y-%m-%d %H:%M:%S"  # install-history entries, 24-hour local time [EX]


@dataclass(frozen=True, slots=True)
class Installed:
    """What an install did."""

    store: Store  # with the install recorded in the stack's history
    path: Path  # the policy file under the root
    zos_path: str
    text: str
    notes: tuple[str, ...]  # what else was done or needs doing, one line each


def default_file(release: str, image: str, stack: str) -> str:
    """The NCA's suggested install file name (nca.md §5.8)."""
    return f"/etc/cfgasst/{release.lower()}/{image}/{stack}/tlsPol"


def check_text(text: str, label: str) -> list[str]:
    """The errors PAGENT's reading of the text would give (empty when it installs cleanly)."""
    src = SourceText(label, text)
    policy = load_policy([src])
    diags = [*policy.diagnostics, *lint(policy)]
    errors = [d for d in diags if d.severity is Severity.ERROR]
    if not errors and policy.complete:
        return []
    rendered = render_text(errors, {label: src.lines}).rstrip("\n")
    return rendered.splitlines() or [f"{label}: PAGENT would not install every rule"]


def install(
    root: Path,
    store: Store,
    image_name: str,
    stack_name: str,
    clock: Callable[[], datetime] = datetime.now,
    layout: Layout = DEFAULT_LAYOUT,
) -> Installed:
    """Generate, check and write a stack's file; return the store with the history added."""
    image, stack = edit.stack_of(store, image_name, stack_name)
    problems = status.stack_problems(store, image, stack)
    if problems:
        raise NcaError(f"{image_name}/{stack_name} is {status.INCOMPLETE}: " + "; ".join(problems))
    history = (clock().strftime(STAMP), *stack.history)
    text = generate(store, image, stack, history, layout)
    zos = stack.install_file or default_file(image.release, image.name, stack.name)
    path = resolve_zos_path(zos, root)
    errors = check_text(text, str(path))
    if errors:
        raise NcaError("the generated policy does not pass pagent check:\n" + "\n".join(errors))
    write_atomic(path, text)
    notes = [f"installed {zos} ({path})"]
    guessed = estimates(store, image.name, stack.name)
    if guessed:
        notes.append(
            "estimate: this file uses forms the NCA reference does not confirm "
            f"(docs/fidelity.md {', '.join(guessed)})"
        )
    notes.extend(_name_in_image_config(root, stack.name, zos))
    new = edit.replace_stack(store, image_name, replace(stack, history=history))
    return Installed(new, path, zos, text, tuple(notes))


def estimates(store: Store, image_name: str, stack_name: str) -> list[str]:
    """The docs/fidelity.md ids of unconfirmed forms a stack's file uses."""
    image, stack = edit.stack_of(store, image_name, stack_name)
    found: set[str] = set()
    if image.release >= "V2R4":
        found.add("F-204")
    rows = rows_of(store, stack)
    rings = {r.ttype.keyring is None for r in rows}
    if len(rings) == 2 or any(r.ttype.certificate_label for r in rows):
        found.add("F-207")
    for r in rows:
        t = r.ttype
        if t.direction == "Either":
            found.add("F-202")
        if t.role == "Server" and r.level.client_auth:
            found.add("F-205")
        if t.userid:
            found.add("F-206")
        for g in (r.local, r.remote):
            if not g.supplied:
                found.add("F-209")
            elif g.name == "All_IPv6_Addresses":
                found.add("F-210")
        if r.level.supplied or edit.descriptor(store, r.descriptor) in predefined.DESCRIPTORS:
            found.add("F-211")
    return sorted(found)


def _name_in_image_config(root: Path, stack: str, zos: str) -> list[str]:
    """Make the stack's image configuration name the installed file."""
    main = root / "etc" / "pagent.conf"
    if not main.is_file():
        return [f"{main} does not exist: PAGENT has no configuration to read this file from"]
    chain = load_chain(main, root)
    image = (
        next((i for i in chain.main.images if i.image.name == stack), None) if chain.main else None
    )
    if image is None:
        return [f"{main} has no TcpImage {stack}: add one whose image file names {zos}"]
    target = resolve_zos_path(zos, root).resolve()
    holder = image.image_path or main
    if image.ttls is not None and image.ttls.path is not None:
        if resolve_zos_path(image.ttls.path, root).resolve() == target:
            return []
        lines = holder.read_text("utf-8").split("\n")
        n = image.ttls.loc.line - 1
        lines[n] = re.sub(
            r"^(\s*TTLSConfig\s+)(\S+)", lambda m: m.group(1) + zos, lines[n], count=1
        )
        write_atomic(holder, "\n".join(lines))
        return [f"{holder}: TTLSConfig now names {zos} (was {image.ttls.path})"]
    text = holder.read_text("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    write_atomic(holder, text + f"TTLSConfig      {zos}   FLUSH PURGE\n")
    return [f"{holder}: TTLSConfig {zos} added"]
