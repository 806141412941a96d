"""Changes to a backing store, each checked, each returning a new store.

Every function takes a :class:`Store` and returns a new one, or raises :class:`NcaError`
naming the argument at fault; the caller saves the result. So a failed change never leaves
a half-changed store. References must exist when they are made (a map's descriptor and
level, a rule's map and address groups), and an object in use cannot be deleted, as the NCA
refuses both. Supplied objects (predefined.py) are read-only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from pagent.nca import predefined
from pagent.nca.model import (
    AddressGroup,
    ConnectivityRule,
    Image,
    NcaError,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
    TrafficDescriptor,
)

Kind = Literal["descriptor", "level", "map", "group"]
Named = TrafficDescriptor | SecurityLevel | RequirementMap | AddressGroup

WHAT: dict[str, str] = {
    "image": "system image",
    "stack": "TCP/IP stack",
    "descriptor": "traffic descriptor",
    "level": "security level",
    "map": "requirement map",
    "group": "address group",
    "rule": "connectivity rule",
}
_FIELD: dict[str, str] = {
    "descriptor": "descriptors",
    "level": "levels",
    "map": "maps",
    "group": "groups",
}
_SUPPLIED: dict[str, tuple[Named, ...]] = {
    "descriptor": predefined.DESCRIPTORS,
    "level": predefined.LEVELS,
    "map": predefined.MAPS,
    "group": predefined.GROUPS,
}


def objects(store: Store, kind: Kind) -> tuple[Named, ...]:
    """Every object of a kind: the supplied ones first, then the store's."""
    mine: tuple[Named, ...] = getattr(store, _FIELD[kind])
    return (*_SUPPLIED[kind], *mine)


def find(store: Store, kind: Kind, name: str) -> Named | None:
    """An object of a kind by name, supplied or the user's."""
    return next((o for o in objects(store, kind) if o.name == name), None)


def descriptor(store: Store, name: str) -> TrafficDescriptor | None:
    """A traffic descriptor by name."""
    found = find(store, "descriptor", name)
    return found if isinstance(found, TrafficDescriptor) else None


def level(store: Store, name: str) -> SecurityLevel | None:
    """A security level by name."""
    found = find(store, "level", name)
    return found if isinstance(found, SecurityLevel) else None


def requirement_map(store: Store, name: str) -> RequirementMap | None:
    """A requirement map by name."""
    found = find(store, "map", name)
    return found if isinstance(found, RequirementMap) else None


def group(store: Store, name: str) -> AddressGroup | None:
    """An address group by name."""
    found = find(store, "group", name)
    return found if isinstance(found, AddressGroup) else None


def _with(store: Store, kind: Kind, objs: tuple[Named, ...]) -> Store:
    """The store with the user's objects of one kind replaced."""
    if kind == "descriptor":
        return replace(
            store, descriptors=tuple(o for o in objs if isinstance(o, TrafficDescriptor))
        )
    if kind == "level":
        return replace(store, levels=tuple(o for o in objs if isinstance(o, SecurityLevel)))
    if kind == "map":
        return replace(store, maps=tuple(o for o in objs if isinstance(o, RequirementMap)))
    return replace(store, groups=tuple(o for o in objs if isinstance(o, AddressGroup)))


def _check_refs(store: Store, kind: Kind, obj: Named) -> None:
    if isinstance(obj, RequirementMap):
        if not obj.rows:
            raise NcaError(f"requirement map {obj.name} maps nothing", "--descriptor")
        for row in obj.rows:
            if descriptor(store, row.descriptor) is None:
                raise NcaError(f"no traffic descriptor named '{row.descriptor}'", "--descriptor")
            if level(store, row.level) is None:
                raise NcaError(f"no security level named '{row.level}'", "--level")
    elif isinstance(obj, TrafficDescriptor) and not obj.types:
        raise NcaError(f"traffic descriptor {obj.name} has no traffic type", "NAME")
    elif isinstance(obj, AddressGroup) and not obj.addresses:
        raise NcaError(f"address group {obj.name} needs at least one address", "--address")
    del kind


def put(store: Store, kind: Kind, obj: Named, *, modify: bool = False) -> Store:
    """Add (or, with ``modify``, replace) a descriptor, level, map or group."""
    existing = find(store, kind, obj.name)
    if existing is not None and existing.supplied:
        raise NcaError(f"{obj.name} is an IBM-supplied {WHAT[kind]}; it cannot be changed", "NAME")
    if modify and existing is None:
        raise NcaError(f"no {WHAT[kind]} named '{obj.name}'", "NAME")
    if not modify and existing is not None:
        raise NcaError(f"a {WHAT[kind]} named '{obj.name}' exists already", "NAME")
    _check_refs(store, kind, obj)
    mine: tuple[Named, ...] = getattr(store, _FIELD[kind])
    new = tuple(obj if o.name == obj.name else o for o in mine) if modify else (*mine, obj)
    return _with(store, kind, new)


def users(store: Store, kind: str, name: str) -> list[str]:
    """What refers to an object: '<what> <name>' for each user."""
    found: list[str] = []
    if kind in ("descriptor", "level"):
        for m in objects(store, "map"):
            assert isinstance(m, RequirementMap)
            if any(getattr(r, kind) == name for r in m.rows):
                found.append(f"requirement map {m.name}")
    for image in store.images:
        for stack in image.stacks:
            for rule in stack.rules:
                if (kind == "map" and rule.map == name) or (
                    kind == "group" and name in (rule.local, rule.remote)
                ):
                    found.append(f"connectivity rule {rule.name} on {image.name}/{stack.name}")
    return found


def delete(store: Store, kind: Kind, name: str) -> Store:
    """Delete an unused descriptor, level, map or group."""
    existing = find(store, kind, name)
    if existing is None:
        raise NcaError(f"no {WHAT[kind]} named '{name}'", "NAME")
    if existing.supplied:
        raise NcaError(f"{name} is an IBM-supplied {WHAT[kind]}; it cannot be deleted", "NAME")
    used = users(store, kind, name)
    if used:
        raise NcaError(f"{WHAT[kind]} {name} is in use by {', '.join(used)}", "NAME")
    mine: tuple[Named, ...] = getattr(store, _FIELD[kind])
    return _with(store, kind, tuple(o for o in mine if o.name != name))


# --- Images, stacks and rules. ----------------------------------------------------------
def put_image(store: Store, image: Image, *, modify: bool = False) -> Store:
    """Add an image, or replace its settings (its stacks are kept)."""
    existing = store.image(image.name)
    if modify:
        if existing is None:
            raise NcaError(f"no system image named '{image.name}'", "IMAGE")
        image = replace(image, stacks=existing.stacks)
        images = tuple(image if i.name == image.name else i for i in store.images)
        return replace(store, images=images)
    if existing is not None:
        raise NcaError(f"a system image named '{image.name}' exists already", "IMAGE")
    return replace(store, images=(*store.images, image))


def _image_of(store: Store, name: str) -> Image:
    image = store.image(name)
    if image is None:
        raise NcaError(f"no system image named '{name}'", "IMAGE")
    return image


def _with_image(store: Store, image: Image) -> Store:
    return replace(store, images=tuple(image if i.name == image.name else i for i in store.images))


def stack_of(store: Store, image_name: str, stack_name: str) -> tuple[Image, Stack]:
    """An image and one of its stacks, or an error naming IMAGE/STACK."""
    image = _image_of(store, image_name)
    stack = image.stack(stack_name)
    if stack is None:
        raise NcaError(f"system image {image_name} has no TCP/IP stack '{stack_name}'", "STACK")
    return image, stack


def put_stack(store: Store, image_name: str, stack: Stack, *, modify: bool = False) -> Store:
    """Add a stack to an image, or replace its settings (rules and history kept)."""
    image = _image_of(store, image_name)
    existing = image.stack(stack.name)
    if modify:
        if existing is None:
            raise NcaError(f"system image {image_name} has no TCP/IP stack '{stack.name}'", "STACK")
        stack = replace(stack, rules=existing.rules, history=existing.history)
        stacks = tuple(stack if s.name == stack.name else s for s in image.stacks)
    else:
        if existing is not None:
            raise NcaError(f"{image_name} has a TCP/IP stack named '{stack.name}' already", "STACK")
        stacks = (*image.stacks, stack)
    return _with_image(store, replace(image, stacks=stacks))


def replace_stack(store: Store, image_name: str, stack: Stack) -> Store:
    """The store with one stack replaced as it is (rules and history included)."""
    image, _ = stack_of(store, image_name, stack.name)
    stacks = tuple(stack if s.name == stack.name else s for s in image.stacks)
    return _with_image(store, replace(image, stacks=stacks))


def delete_image(store: Store, name: str) -> Store:
    """Delete an image with its stacks and their rules."""
    _image_of(store, name)
    return replace(store, images=tuple(i for i in store.images if i.name != name))


def delete_stack(store: Store, image_name: str, stack_name: str) -> Store:
    """Delete a stack with its rules."""
    image, _ = stack_of(store, image_name, stack_name)
    stacks = tuple(s for s in image.stacks if s.name != stack_name)
    return _with_image(store, replace(image, stacks=stacks))


def put_rule(
    store: Store,
    image_name: str,
    stack_name: str,
    rule: ConnectivityRule,
    *,
    modify: bool = False,
) -> Store:
    """Add a connectivity rule at the end of a stack's rules (or replace it in place)."""
    _, stack = stack_of(store, image_name, stack_name)
    if requirement_map(store, rule.map) is None:
        raise NcaError(f"no requirement map named '{rule.map}'", "--map")
    for arg, name in (("--local", rule.local), ("--remote", rule.remote)):
        if group(store, name) is None:
            raise NcaError(f"no address group named '{name}'", arg)
    exists = any(r.name == rule.name for r in stack.rules)
    if modify and not exists:
        raise NcaError(f"{stack_name} has no connectivity rule '{rule.name}'", "NAME")
    if not modify and exists:
        raise NcaError(f"{stack_name} has a connectivity rule '{rule.name}' already", "NAME")
    rules = (
        tuple(rule if r.name == rule.name else r for r in stack.rules)
        if modify
        else (*stack.rules, rule)
    )
    return replace_stack(store, image_name, replace(stack, rules=rules))


def delete_rule(store: Store, image_name: str, stack_name: str, name: str) -> Store:
    """Delete a connectivity rule of a stack."""
    _, stack = stack_of(store, image_name, stack_name)
    if not any(r.name == name for r in stack.rules):
        raise NcaError(f"{stack_name} has no connectivity rule '{name}'", "NAME")
    rules = tuple(r for r in stack.rules if r.name != name)
    return replace_stack(store, image_name, replace(stack, rules=rules))
