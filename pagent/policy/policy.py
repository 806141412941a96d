"""The policy as PAGENT would install it: one name space, references resolved, rules ordered.

Several files form one policy (the CommonTTLSConfig file first, then the image's
TTLSConfig file: ttls-language.md §1.1, C26), with one name space per statement type.
PAGENT's rules, as the reference gives them:

* a duplicate name keeps the last definition (W302, EZAPAGCO);
* a reference must name a *global* statement of its type (E201), inline names cannot be
  referenced (E202);
* an object with an error is discarded, and so is a rule that refers to an action that
  does not exist or was discarded (EZAPAGCO); whether the whole AT-TLS policy is then
  refused is unconfirmed [UNV]: pagent installs the rest and reports an error;
* a rule whose group action is enabled needs an environment action (E203), and every rule
  needs a condition (E204);
* rules are tried by Priority (default 1, [PAS]) descending, then by name.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from pagent.policy.blocks import parse_blocks
from pagent.policy.build import BuiltFile, build_file
from pagent.policy.catalogue import ParamSpec, spec_of
from pagent.policy.codes import Effect
from pagent.policy.diagnostics import Diagnostic, sort_key
from pagent.policy.source import SourceLoc, SourceText
from pagent.policy.statements import (
    Statement,
    TTLSGroupAction,
    TTLSRule,
)

S = TypeVar("S", bound=Statement)

DEFAULT_PRIORITY = 1  # pasearch shows Priority 1 / Weight 1 when none is coded [PAS]


def name_order_key(name: str) -> bytes:
    """Sort key for the alphabetical tie-break: the name's EBCDIC bytes.

    PAGENT compares names in EBCDIC, where lower case sorts before upper case and letters
    before digits. IBM-1047 has no Python codec; cp037 agrees with it on every character
    a statement name can hold except ``[ ] ^ ¬``. The collation is unconfirmed [UNV]
    (ttls-language.md §4.2, docs/fidelity.md).
    """
    return name.encode("cp037", errors="replace")


def rule_order_key(rule: TTLSRule) -> tuple[int, bytes]:
    """Match order: Priority descending, then name."""
    return (-(rule.priority or DEFAULT_PRIORITY), name_order_key(rule.name or ""))


@dataclass(frozen=True, slots=True)
class Policy:
    """An AT-TLS policy as PAGENT would install it."""

    by_type: Mapping[str, Mapping[str, Statement]]
    rules: tuple[TTLSRule, ...]  # installable rules, in match order
    discarded: tuple[str, ...]  # names of rules PAGENT would discard
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()
    inline_names: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def rejected(self) -> bool:
        """True when PAGENT would install no new policy at all."""
        return any(d.effect is Effect.REJECT for d in self.diagnostics)

    @property
    def complete(self) -> bool:
        """True when PAGENT would install every statement (warnings allowed)."""
        return (
            not self.rejected
            and not self.discarded
            and not any(d.effect is Effect.DISCARD for d in self.diagnostics)
        )

    def get(self, kind: type[S], name: str | None) -> S | None:
        """The global statement of a type by name, or None."""
        if name is None:
            return None
        found = self.by_type.get(kind.KEYWORD, {}).get(name)
        return found if isinstance(found, kind) else None

    def all(self, kind: type[S]) -> Iterator[S]:
        """Every global statement of a type, in definition order."""
        for s in self.by_type.get(kind.KEYWORD, {}).values():
            if isinstance(s, kind):
                yield s

    def rule(self, name: str) -> TTLSRule | None:
        """An installed rule by name."""
        return next((r for r in self.rules if r.name == name), None)


@cache
def _link_fields(keyword: str) -> tuple[tuple[tuple[ParamSpec, ...], tuple[str, ...]], ...]:
    """For a statement type: its *Ref parameters, and the fields of its inline blocks."""
    spec = spec_of(keyword)
    refs = tuple(p for p in spec.params.values() if p.is_ref)
    blocks = tuple(p.field for p in spec.params.values() if p.is_block)
    return ((refs, blocks),)


def _refs(s: Statement) -> Iterator[tuple[ParamSpec, str]]:
    """Every (*Ref parameter, name) of a statement and its inline blocks."""
    ((refs, blocks),) = _link_fields(s.KEYWORD)
    for p in refs:
        value = getattr(s, p.field)
        if value is None or value == ():
            continue
        if isinstance(value, tuple):
            for name in value:
                yield p, name
        else:
            yield p, value
    for f in blocks:
        value = getattr(s, f)
        if value is None or value == ():
            continue
        for child in value if isinstance(value, tuple) else (value,):
            yield from _refs(child)


class _Resolver:
    """Resolves references over the merged name space and finds what PAGENT discards."""

    def __init__(
        self,
        by_type: Mapping[str, Mapping[str, Statement]],
        inline_names: frozenset[tuple[str, str]],
        diags: list[Diagnostic],
    ) -> None:
        self.by_type = by_type
        self.inline_names = inline_names
        self.diags = diags
        self.valid: dict[int, bool] = {}
        self.reported: set[tuple[str, int, int]] = set()

    def ok(self, s: Statement) -> bool:
        """True when every reference of ``s`` resolves to a statement that is itself ok."""
        key = id(s)
        if key in self.valid:
            return self.valid[key]
        self.valid[key] = True  # a reference cycle is not an error of its own
        good = True
        for p, name in _refs(s):
            assert p.target is not None
            target = self.by_type.get(p.target, {}).get(name)
            if target is None:
                good = False
                self.dangling(s, p, name)
            elif not self.ok(target):
                good = False
        self.valid[key] = good
        return good

    def dangling(self, s: Statement, p: ParamSpec, name: str) -> None:
        loc = s.locs.get(p.keyword, s.loc)
        mark = (loc.path, loc.line, loc.col)
        if mark in self.reported:
            return
        self.reported.add(mark)
        assert p.target is not None
        if (p.target, name) in self.inline_names:
            self.diags.append(
                Diagnostic.make(
                    "E202",
                    loc,
                    f"{p.keyword} '{name}' names an inline {p.target}; inline names cannot "
                    "be referenced",
                )
            )
            return
        near = [n for n in self.by_type.get(p.target, {}) if n.lower() == name.lower()]
        hint = f" (names are case-sensitive: did you mean '{near[0]}'?)" if near else ""
        self.diags.append(
            Diagnostic.make(
                "E201",
                loc,
                f"{p.keyword} '{name}' names no {p.target}{hint}; {s.label} is discarded",
            )
        )


def has_condition(rule: TTLSRule) -> bool:
    """True when the rule codes at least one connection condition (constraint R3)."""
    return any(
        getattr(rule, f) is not None
        for f in (
            "local_addr", "local_addr_ref", "local_addr_set_ref", "local_addr_group_ref",
            "remote_addr", "remote_addr_ref", "remote_addr_set_ref", "remote_addr_group_ref",
            "local_port_range", "local_port_range_ref", "local_port_group_ref",
            "remote_port_range", "remote_port_range_ref", "remote_port_group_ref",
            "jobname", "userid",
        )
    )  # fmt: skip


def merge(built: Sequence[BuiltFile]) -> Policy:
    """Merge built files (common file first) into one policy and resolve it."""
    diags: list[Diagnostic] = []
    by_type: dict[str, dict[str, Statement]] = {}
    inline_names: set[tuple[str, str]] = set()
    for f in built:
        diags.extend(f.diagnostics)
        inline_names |= f.inline_names
        for s in f.statements:
            if s.name is None:
                continue
            table = by_type.setdefault(s.KEYWORD, {})
            earlier = table.pop(s.name, None)  # re-insert: definition order is the last one
            if earlier is not None:
                diags.append(
                    Diagnostic.make(
                        "W302",
                        s.loc,
                        f"{s.KEYWORD} {s.name} is defined again; PAGENT keeps this definition",
                        [(earlier.loc, "the earlier definition, replaced")],
                    )
                )
            table[s.name] = s
    frozen_inline = frozenset(inline_names)
    resolver = _Resolver(by_type, frozen_inline, diags)
    rules: list[TTLSRule] = []
    discarded: list[str] = []
    for s in by_type.get("TTLSRule", {}).values():
        assert isinstance(s, TTLSRule)
        good = resolver.ok(s)
        if not has_condition(s):
            good = False
            diags.append(
                Diagnostic.make(
                    "E204",
                    s.loc,
                    f"{s.label} has no condition (LocalAddr, RemoteAddr, LocalPortRange, "
                    "RemotePortRange, Jobname or Userid); PAGENT discards it",
                )
            )
        group = by_type.get("TTLSGroupAction", {}).get(s.ttls_group_action_ref or "")
        if (
            isinstance(group, TTLSGroupAction)
            and group.ttls_enabled == "On"
            and s.ttls_environment_action_ref is None
        ):
            good = False
            diags.append(
                Diagnostic.make(
                    "E203",
                    s.loc,
                    f"{s.label}: group action {group.name} has TTLSEnabled On but the rule "
                    "has no TTLSEnvironmentActionRef; PAGENT discards it",
                )
            )
        if good:
            rules.append(s)
        elif s.name is not None:
            discarded.append(s.name)
    # Actions and parms that no rule uses are discarded by PAGENT too when a reference of
    # theirs dangles; they are checked here so that the check reports them (exit 1).
    for kind, table in by_type.items():
        if kind != "TTLSRule":
            for stmt in table.values():
                resolver.ok(stmt)
    rules.sort(key=rule_order_key)
    diags.sort(key=sort_key)
    return Policy(
        by_type=by_type,
        rules=tuple(rules),
        discarded=tuple(discarded),
        diagnostics=tuple(diags),
        files=tuple(f.path for f in built),
        inline_names=frozen_inline,
    )


def build_source(src: SourceText) -> BuiltFile:
    """Scan, nest and build one decoded file."""
    raw = parse_blocks(src.path, src.text)
    built = build_file(raw)
    for n in src.latin1_lines:
        built.diagnostics.append(
            Diagnostic.make(
                "W313", SourceLoc(src.path, n, 1), "bytes that are not UTF-8 were read as Latin-1"
            )
        )
    return built


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large policy is built.

    Building allocates hundreds of thousands of objects and no cycles; left on, the
    collector's generation-2 passes double the build time of a 10,000-rule policy
    (measured 1.63 s -> 0.72 s for the nesting pass).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def load_policy(sources: Iterable[SourceText]) -> Policy:
    """Build a policy from decoded files, the common file first."""
    with no_gc():
        return merge([build_source(s) for s in sources])
