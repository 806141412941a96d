"""Complete or Incomplete: what the NCA's Status column says, and what is missing.

The workshop meets "Incomplete" right after adding the stack (step 12: no rules yet) and
sees it turn to complete once the connectivity rule exists (step 26). The reasons listed
here are pagent's words; the NCA's own texts are not in the reference.
"""

from __future__ import annotations

from pagent.nca import edit
from pagent.nca.model import Image, Stack, Store

COMPLETE = "Complete"
INCOMPLETE = "Incomplete"


def stack_problems(store: Store, image: Image, stack: Stack) -> list[str]:
    """What a stack still lacks before Install can write its file."""
    found: list[str] = []
    if not stack.rules:
        found.append(f"stack {stack.name} has no connectivity rules")
    for rule in stack.rules:
        rmap = edit.requirement_map(store, rule.map)
        if rmap is None:
            found.append(f"rule {rule.name}: no requirement map '{rule.map}'")
        for side, name in (("local", rule.local), ("remote", rule.remote)):
            if edit.group(store, name) is None:
                found.append(f"rule {rule.name}: no {side} address group '{name}'")
        if rmap is None:
            continue
        if not rmap.rows:
            found.append(f"requirement map {rmap.name} maps no traffic descriptor")
        for row in rmap.rows:
            desc = edit.descriptor(store, row.descriptor)
            lvl = edit.level(store, row.level)
            if desc is None:
                found.append(
                    f"requirement map {rmap.name}: no traffic descriptor '{row.descriptor}'"
                )
            if lvl is None:
                found.append(f"requirement map {rmap.name}: no security level '{row.level}'")
            if lvl is not None and "TLSv1.3" in lvl.protocols and image.release < "V2R4":
                found.append(
                    f"security level {lvl.name} enables TLS v1.3, available beginning with "
                    f"z/OS V2R4; image {image.name} is {image.release}"
                )
            if lvl is not None and not lvl.protocols:
                found.append(f"security level {lvl.name} enables no protocol")
            if desc is not None and not image.keyring:
                for t in desc.types:
                    if not t.keyring:
                        found.append(
                            f"traffic descriptor {desc.name} uses the image's default key "
                            f"ring, and image {image.name} has none"
                        )
                        break
    return list(dict.fromkeys(found))


def image_problems(store: Store, image: Image) -> list[str]:
    """What an image still lacks: a stack, and what each of its stacks lacks."""
    if not image.stacks:
        return [f"image {image.name} has no TCP/IP stack"]
    return [p for s in image.stacks for p in stack_problems(store, image, s)]


def status(problems: list[str]) -> str:
    """The Status column's word for a list of problems."""
    return INCOMPLETE if problems else COMPLETE
