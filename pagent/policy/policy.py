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

import bisect
import gc
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple, TypeVar

from pagent.policy.blocks import parse_blocks
from pagent.policy.build import BuiltFile, build_file
from pagent.policy.catalogue import ParamSpec, spec_of, statements
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


class RuleDelta(NamedTuple):
    """How the rules of a patched policy differ from those of the policy it was patched
    from, for whoever follows the rules cheaply from one policy to the next (the matcher:
    :mod:`pagent.policy.matching`). ``base`` is a weak reference, so that a chain of
    refreshes keeps no old policy alive."""

    base: weakref.ReferenceType[Policy]
    rules: tuple[TTLSRule, ...]  # the rules described (the patched policy's own tuple)
    removed: tuple[TTLSRule, ...]  # rules of the base that ``rules`` has not
    added: tuple[TTLSRule, ...]  # rules of ``rules`` that the base has not


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Policy:
    """An AT-TLS policy as PAGENT would install it."""

    by_type: Mapping[str, Mapping[str, Statement]]
    rules: tuple[TTLSRule, ...]  # installable rules, in match order
    discarded: tuple[str, ...]  # names of rules PAGENT would discard
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = ()
    inline_names: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    verdicts: Mapping[int, Verdict] = field(default_factory=dict, repr=False, compare=False)
    # The merge's own diagnostics (E201-E204) by the id of the statement they belong to, and
    # the diagnostics of the files themselves: kept apart so that a re-check can patch them.
    owned: Mapping[int, tuple[Diagnostic, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    file_diagnostics: tuple[Diagnostic, ...] = field(default=(), repr=False, compare=False)
    delta: RuleDelta | None = field(default=None, repr=False, compare=False)

    def rules_since(self, base: Policy) -> tuple[tuple[TTLSRule, ...], tuple[TTLSRule, ...]] | None:
        """The rules removed from ``base`` and those added, when this policy was patched
        from ``base`` (its rules unchanged since); None when that is not known."""
        d = self.delta
        if d is None or d.rules is not self.rules or d.base() is not base:
            return None
        return d.removed, d.added

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


class Verdict(NamedTuple):
    """What the resolver concluded about one statement object, and what that rests on.

    ``deps`` lists every name lookup the verdict depends on, transitively, with the object
    found (None when the name was missing). A later merge may reuse the verdict for the same
    object while every lookup still finds the same object (:mod:`pagent.policy.incremental`).
    """

    stmt: Statement  # held so that id(stmt) stays unique while the verdict is kept
    ok: bool
    deps: tuple[tuple[str, str, Statement | None], ...]


_NO_TABLE: Mapping[str, Statement] = {}
_new = tuple.__new__  # builds a named tuple in C: there is one verdict per statement


class _Resolver:
    """Resolves references over the merged name space and finds what PAGENT discards."""

    def __init__(
        self,
        by_type: Mapping[str, Mapping[str, Statement]],
        inline_names: frozenset[tuple[str, str]],
        diags: list[Diagnostic],
        previous: Mapping[int, Verdict] | None = None,
    ) -> None:
        self.by_type = by_type
        self.inline_names = inline_names
        self.diags = diags
        self.previous = previous or {}
        self.verdicts: dict[int, Verdict] = {}
        self.reported: set[tuple[str, int, int]] = set()
        self.owned: dict[int, list[Diagnostic]] = {}

    def report(self, s: Statement, d: Diagnostic) -> None:
        """Record a diagnostic that belongs to statement ``s``."""
        self.diags.append(d)
        self.owned.setdefault(id(s), []).append(d)

    def still_holds(self, v: Verdict) -> bool:
        """True when every lookup of a verdict finds what it found before."""
        tables = self.by_type
        return v.ok and all(
            tables.get(kind, _NO_TABLE).get(name) is found for kind, name, found in v.deps
        )

    def ok(self, s: Statement) -> bool:
        """True when every reference of ``s`` resolves to a statement that is itself ok."""
        key = id(s)
        done = self.verdicts.get(key)
        if done is not None:
            return done.ok
        old = self.previous.get(key)
        if old is not None and old.stmt is s and self.still_holds(old):
            self.verdicts[key] = old
            return True
        # Provisional verdict: a reference cycle is not an error of its own.
        self.verdicts[key] = _new(Verdict, (s, True, ()))
        good = True
        deps: list[tuple[str, str, Statement | None]] = []
        for p, name in _refs(s):
            assert p.target is not None
            target = self.by_type.get(p.target, _NO_TABLE).get(name)
            deps.append((p.target, name, target))
            if target is None:
                good = False
                self.dangling(s, p, name)
                continue
            if not self.ok(target):
                good = False
            deps.extend(self.verdicts[id(target)].deps)
        self.verdicts[key] = _new(Verdict, (s, good, tuple(deps)))
        return good

    def dangling(self, s: Statement, p: ParamSpec, name: str) -> None:
        loc = s.locs.get(p.keyword, s.loc)
        mark = (loc.path, loc.line, loc.col)
        if mark in self.reported:
            return
        self.reported.add(mark)
        assert p.target is not None
        if (p.target, name) in self.inline_names:
            self.report(
                s,
                Diagnostic.make(
                    "E202",
                    loc,
                    f"{p.keyword} '{name}' names an inline {p.target}; inline names cannot "
                    "be referenced",
                ),
            )
            return
        near = [n for n in self.by_type.get(p.target, {}) if n.lower() == name.lower()]
        hint = f" (names are case-sensitive: did you mean '{near[0]}'?)" if near else ""
        self.report(
            s,
            Diagnostic.make(
                "E201",
                loc,
                f"{p.keyword} '{name}' names no {p.target}{hint}; {s.label} is discarded",
            ),
        )


_CONDITION_KEYWORDS = frozenset(
    {
        "LocalAddr", "LocalAddrRef", "LocalAddrSetRef", "LocalAddrGroupRef",
        "RemoteAddr", "RemoteAddrRef", "RemoteAddrSetRef", "RemoteAddrGroupRef",
        "LocalPortRange", "LocalPortRangeRef", "LocalPortGroupRef",
        "RemotePortRange", "RemotePortRangeRef", "RemotePortGroupRef",
        "Jobname", "Userid",
    }
)  # fmt: skip


def has_condition(rule: TTLSRule) -> bool:
    """True when the rule codes at least one connection condition (constraint R3).

    A condition coded with an invalid value counts: its own error says what is wrong, and
    'has no condition' would be a cascade (issue 10 §3).
    """
    if not _CONDITION_KEYWORDS.isdisjoint(rule.locs):
        return True
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


def _judge_rule(resolver: _Resolver, s: TTLSRule) -> bool:
    """True when PAGENT would install the rule; reports why not."""
    good = resolver.ok(s)
    if not has_condition(s):
        good = False
        resolver.report(
            s,
            Diagnostic.make(
                "E204",
                s.loc,
                f"{s.label} has no condition (LocalAddr, RemoteAddr, LocalPortRange, "
                "RemotePortRange, Jobname or Userid); PAGENT discards it",
            ),
        )
    group = resolver.by_type.get("TTLSGroupAction", _NO_TABLE).get(s.ttls_group_action_ref or "")
    if (
        isinstance(group, TTLSGroupAction)
        and group.ttls_enabled == "On"
        and s.ttls_environment_action_ref is None
    ):
        good = False
        resolver.report(
            s,
            Diagnostic.make(
                "E203",
                s.loc,
                f"{s.label}: group action {group.name} has TTLSEnabled On but the rule "
                "has no TTLSEnvironmentActionRef; PAGENT discards it",
            ),
        )
    return good


def _finish(
    resolver: _Resolver,
    by_type: Mapping[str, Mapping[str, Statement]],
    rules: list[TTLSRule],
    discarded: list[TTLSRule],
    file_diags: Sequence[Diagnostic],
    owned: Mapping[int, Sequence[Diagnostic]],
    files: tuple[str, ...],
    inline_names: frozenset[tuple[str, str]],
    *,
    presorted: bool = False,
    base: tuple[Policy, Sequence[TTLSRule], Sequence[TTLSRule]] | None = None,
) -> Policy:
    if not presorted:
        rules.sort(key=rule_order_key)
    discarded.sort(key=rule_order_key)
    diags = [*file_diags, *(d for ds in owned.values() for d in ds)]
    diags.sort(key=sort_key)
    installed = tuple(rules)
    delta = None
    if base is not None:
        delta = RuleDelta(weakref.ref(base[0]), installed, tuple(base[1]), tuple(base[2]))
    return Policy(
        delta=delta,
        by_type=by_type,
        rules=installed,
        discarded=tuple(r.name or "" for r in discarded),
        diagnostics=tuple(diags),
        files=files,
        inline_names=inline_names,
        verdicts=resolver.verdicts,
        owned={k: tuple(v) for k, v in owned.items()},
        file_diagnostics=tuple(file_diags),
    )


def _is_empty(f: BuiltFile) -> bool:
    """True when a file holds no statement and nothing else was found in it (W340)."""
    return not f.statements and all(d.code.id == "W313" for d in f.diagnostics)


def empty_file_diagnostics(built: Sequence[BuiltFile]) -> list[Diagnostic]:
    """W340 for an empty policy file that loses rules (issue 13 §10).

    The image's own file (the last one) is reported when it is empty; an empty file before
    it (the CommonTTLSConfig file) only when the whole policy holds no statement: an empty
    common file is a placeholder ADCD ships (corpus PAGENTCO), and loses nothing while the
    image's own file has statements (docs/fidelity.md F-233).
    """
    if not built or not _is_empty(built[-1]):
        return []
    nothing = all(_is_empty(f) for f in built)
    if nothing:
        effect = "PAGENT would install an empty policy, removing every AT-TLS rule"
    else:
        effect = "the image keeps only the CommonTTLSConfig file's statements"
    return [
        Diagnostic.make(
            "W340",
            SourceLoc(f.path, 1, 1),
            f"the policy file holds no statement: {effect} (is it truncated?)",
        )
        for f in built
        if _is_empty(f) and (nothing or f is built[-1])
    ]


def removes_every_rule(installed: Policy | None, new: Policy) -> bool:
    """True when installing ``new`` in place of ``installed`` leaves no AT-TLS rule.

    For the service's warning (issue 13 §10) when a refresh removes every rule; the files
    to name are ``new.files``, and ``new.diagnostics`` holds W340 when a file is empty.
    """
    return installed is not None and bool(installed.rules) and not new.rules


def merge(built: Sequence[BuiltFile], previous: Mapping[int, Verdict] | None = None) -> Policy:
    """Merge built files (common file first) into one policy and resolve it.

    ``previous`` holds the verdicts of an earlier merge; those still valid are reused.
    """
    file_diags: list[Diagnostic] = empty_file_diagnostics(built)
    by_type: dict[str, dict[str, Statement]] = {}
    inline_names: set[tuple[str, str]] = set()
    for f in built:
        file_diags.extend(f.diagnostics)
        inline_names |= f.inline_names
        for s in f.statements:
            if s.name is None:
                continue
            table = by_type.setdefault(s.KEYWORD, {})
            earlier = table.pop(s.name, None)  # re-insert: definition order is the last one
            if earlier is not None:
                file_diags.append(
                    Diagnostic.make(
                        "W302",
                        s.loc,
                        f"{s.KEYWORD} {s.name} is defined again; PAGENT keeps this definition",
                        [(earlier.loc, "the earlier definition, replaced")],
                    )
                )
            table[s.name] = s
    frozen_inline = frozenset(inline_names)
    resolver = _Resolver(by_type, frozen_inline, [], previous)
    rules: list[TTLSRule] = []
    discarded: list[TTLSRule] = []
    for s in by_type.get("TTLSRule", {}).values():
        assert isinstance(s, TTLSRule)
        (rules if _judge_rule(resolver, s) else discarded).append(s)
    # Actions and parms that no rule uses are discarded by PAGENT too when a reference of
    # theirs dangles; they are checked here so that the check reports them (exit 1).
    for kind, table in by_type.items():
        if kind != "TTLSRule":
            for stmt in table.values():
                resolver.ok(stmt)
    return _finish(
        resolver,
        by_type,
        rules,
        discarded,
        file_diags,
        resolver.owned,
        tuple(f.path for f in built),
        frozen_inline,
    )


# A reverse index of the verdicts' lookups: (type, name) -> {id(statement): statement} of
# the statements whose verdict looked the name up. Keyed by identity: a statement's dataclass
# equality compares every field, and a list's membership test would make an edit that
# touches a name used by n rules cost n squared comparisons (issue 13 §1: 89 s for 8,000).
Dependents = dict[tuple[str, str], dict[int, Statement]]

# patch() leaves an edit to the full merge when it replaces more statements than this share
# of the policy (and more than PATCH_MIN_EDIT): re-resolving most of the policy one
# statement at a time, with the index kept up to date, costs more than resolving it whole.
PATCH_FRACTION = 4
PATCH_MIN_EDIT = 64


def patch(
    previous: Policy,
    removed: Sequence[Statement],
    added: Sequence[Statement],
    built: Sequence[BuiltFile],
    dependents: Dependents | None,
    *,
    take_over: bool = False,
) -> Policy | None:
    """The policy after replacing ``removed`` statements by ``added`` ones, or None.

    ``take_over``: the new policy takes the previous one's verdicts over and updates them
    in place instead of copying them (300,000 entries for 50,000 rules); the previous
    policy's verdicts are then no longer its own. For a caller that drops the previous
    policy's verdicts, as :class:`pagent.policy.incremental.PolicyCache` does.

    The result is what :func:`merge` gives for ``built``, reached by re-resolving only
    the statements that can be affected: the added ones, and those whose verdict looked
    up a name that was removed or added (``dependents``, a reverse index of the verdicts'
    lookups that this function keeps up to date; None when no removed or added statement is
    of a type that anything refers to, see :func:`referenced_kinds`). None when the shortcut
    does not apply:
    duplicate names (W302 ordering), unnamed or inline-named statements, and a large edit,
    where a full merge is cheaper than the patch's bookkeeping.

    Every step costs time linear in the edit, not in the policy (issue 13 §1): statements
    are tracked by identity in dicts and sets, never by membership tests on lists, which
    compare frozen dataclasses field by field; only the edited types' name tables are
    copied; the rules that leave are found by binary search on the match order. The result
    records which rules left and came (:meth:`Policy.rules_since`), for the matcher.
    """
    if any(d.code.id == "W302" for d in previous.file_diagnostics):
        return None
    if len(removed) + len(added) > max(PATCH_MIN_EDIT, len(previous.verdicts) // PATCH_FRACTION):
        return None
    if any(s.name is None for s in (*removed, *added)):
        return None
    keys_removed = {(s.KEYWORD, s.name): s for s in removed if s.name is not None}
    keys_added = {(s.KEYWORD, s.name): s for s in added if s.name is not None}
    if len(keys_added) != len(added):
        return None  # a duplicate among the added statements
    by_type = _patch_tables(previous.by_type, keys_removed, keys_added, built)
    if by_type is None:
        return None  # a new duplicate: W302 and ordering, take the full merge
    inline = previous.inline_names
    for f in built:
        if not f.inline_names <= inline:
            return None
    removed_verdicts = [previous.verdicts.get(id(s)) for s in removed]
    before = previous.verdicts
    verdicts = before if take_over and isinstance(before, dict) else dict(before)
    owned = {k: list(v) for k, v in previous.owned.items()}
    gone = {id(s) for s in removed}
    affected: dict[int, Statement] = {id(s): s for s in added}
    for key in {*keys_removed, *keys_added}:
        users = (dependents or _NO_USERS).get(key, {})
        for key_id, dep in list(users.items()):
            if by_type.get(dep.KEYWORD, _NO_TABLE).get(dep.name or "") is not dep:
                # No longer in the policy (removed now or by an earlier patch, which only
                # dropped the lookups of its latest verdict): never judge it again.
                del users[key_id]
            elif key_id not in gone:
                affected[key_id] = dep
    stale = gone | set(affected)
    for k in stale:
        verdicts.pop(k, None)
        owned.pop(k, None)
    resolver = _Resolver(by_type, inline, [], verdicts)
    kept, out = _without(previous.rules, stale, [*removed, *affected.values()])
    fresh: list[TTLSRule] = []
    old_discarded = {id(s) for s in removed} | set(affected)
    rule_table = by_type.get("TTLSRule", _NO_TABLE)
    discarded = []
    for name in previous.discarded:  # a few names: no walk over every rule
        r = rule_table.get(name)
        if isinstance(r, TTLSRule) and id(r) not in old_discarded:
            discarded.append(r)
    for s in affected.values():
        if isinstance(s, TTLSRule):
            (fresh if _judge_rule(resolver, s) else discarded).append(s)
        else:
            resolver.ok(s)
    verdicts.update(resolver.verdicts)
    for k, ds in resolver.owned.items():
        owned[k] = ds
    if dependents is not None:
        _update_dependents(dependents, removed, removed_verdicts, resolver.verdicts.values())
    file_diags = [*empty_file_diagnostics(built), *(d for f in built for d in f.diagnostics)]
    resolver.verdicts = verdicts
    rules = _insert_rules(kept, fresh)
    return _finish(
        resolver,
        by_type,
        rules if rules is not None else [*kept, *fresh],
        discarded,
        file_diags,
        owned,
        tuple(f.path for f in built),
        inline,
        presorted=rules is not None,
        base=(previous, out, fresh) if out is not None else None,
    )


def _patch_tables(
    tables: Mapping[str, Mapping[str, Statement]],
    keys_removed: Mapping[tuple[str, str], Statement],
    keys_added: Mapping[tuple[str, str], Statement],
    built: Sequence[BuiltFile],
) -> dict[str, Mapping[str, Statement]] | None:
    """The name tables after the edit, in definition order as a full merge builds them;
    None for a new duplicate name.

    Only the tables of the edited types are copied: the others are shared with the previous
    policy (policies never change their tables), which saves copying 300,000 entries for a
    one-rule edit of 50,000 rules. A table is changed in place (a replaced name keeps its
    place, a removed one is deleted) when the edited region names the same statements of
    its type in the same order as before; otherwise (a new name, or names moved) it is
    rebuilt from the files, whose statements are in definition order.
    """
    out: dict[str, Mapping[str, Statement]] = dict(tables)
    kinds = {kind for kind, _ in (*keys_removed, *keys_added)}
    for kind in kinds:
        table = dict(tables.get(kind, _NO_TABLE))
        for k, name in keys_added:
            if k == kind and name in table and (kind, name) not in keys_removed:
                return None
        gone = [name for k, name in keys_removed if k == kind]
        new = [name for k, name in keys_added if k == kind]
        kept = set(new)
        if [n for n in gone if n in kept] == new:
            for name in gone:
                if name not in kept:
                    del table[name]  # deleting keeps the order of the rest
            for (k, name), s in keys_added.items():
                if k == kind:
                    table[name] = s  # in place: the name was there
        else:
            table = {
                st.name: st
                for f in built
                for st in f.statements
                if kind == st.KEYWORD and st.name is not None
            }
        if table:
            out[kind] = table
        else:
            out.pop(kind, None)
    return out


def _without(
    rules: Sequence[TTLSRule], stale: set[int], candidates: Iterable[Statement]
) -> tuple[list[TTLSRule], list[TTLSRule] | None]:
    """``rules`` (in match order) without those whose id is in ``stale``, and those taken
    out (None when not tracked).

    The stale ones are found by binary search on the match order (``candidates`` holds
    them, among other statements), so that a one-rule edit of 50,000 rules computes a few
    dozen order keys instead of testing every rule.
    """
    wanted = [s for s in candidates if isinstance(s, TTLSRule)]
    if len(wanted) > _INSERT_MAX:
        return [r for r in rules if id(r) not in stale], None
    at: list[int] = []
    for r in wanted:
        key = rule_order_key(r)
        i = bisect.bisect_left(rules, key, key=rule_order_key)
        while i < len(rules) and rules[i] is not r and rule_order_key(rules[i]) == key:
            i += 1  # a tie: the same key, another rule
        if i < len(rules) and rules[i] is r:
            at.append(i)  # else it was not installed (discarded before)
    out = list(rules)
    taken = sorted(set(at), reverse=True)
    for i in taken:
        del out[i]
    return out, [rules[i] for i in taken]


def _update_dependents(
    dependents: Dependents,
    removed: Sequence[Statement],
    removed_verdicts: Sequence[Verdict | None],
    new: Iterable[Verdict],
) -> None:
    """Keep the reverse index in step with a patch: drop what removed statements looked up
    (their verdicts before the patch), add what the new verdicts look up."""
    for s, old in zip(removed, removed_verdicts, strict=True):
        if old is not None:
            for kind, name, _ in old.deps:
                users = dependents.get((kind, name))
                if users is not None:
                    users.pop(id(s), None)
    for v in new:
        for kind, name, _ in v.deps:
            dependents.setdefault((kind, name), {})[id(v.stmt)] = v.stmt


_NO_USERS: Dependents = {}


@cache
def referenced_kinds() -> frozenset[str]:
    """The statement types some *Ref parameter names. TTLSRule is not one: an edit that
    replaces only rules needs no reverse index (a one-rule edit of 50,000 rules saves
    building one with 350,000 entries)."""
    return frozenset(
        p.target
        for spec in statements().values()
        for p in spec.params.values()
        if p.is_ref and p.target is not None
    )


# Up to this many re-judged rules are put in place one by one; more are sorted with the rest.
_INSERT_MAX = 256


def _insert_rules(kept: list[TTLSRule], fresh: list[TTLSRule]) -> list[TTLSRule] | None:
    """``kept`` (in match order) with ``fresh`` put in place; None when a full sort is due.

    Computing the order key of each of 50,000 rules costs more than the rest of a one-rule
    patch; a binary search needs it for log n of them. A full sort is due when the new
    keys tie with a neighbour's (names equal in the EBCDIC collation): the order of ties
    is then that of a full merge.
    """
    if len(fresh) > _INSERT_MAX:
        return None
    rules = kept
    for r in sorted(fresh, key=rule_order_key):
        key = rule_order_key(r)
        at = bisect.bisect_left(rules, key, key=rule_order_key)
        if (at < len(rules) and rule_order_key(rules[at]) == key) or (
            at > 0 and rule_order_key(rules[at - 1]) == key
        ):
            return None
        rules.insert(at, r)
    return rules


def dependents_of(policy: Policy) -> Dependents:
    """The reverse index of a policy's verdicts: name -> statements whose verdict looked it up."""
    index: Dependents = {}
    empty: dict[int, Statement] = {}
    for key, v in policy.verdicts.items():  # the verdict's key is id(v.stmt)
        stmt = v.stmt
        for kind, name, _ in v.deps:
            users = index.get((kind, name), empty)
            if users is empty:
                users = index[(kind, name)] = {}
            users[key] = stmt
    return index


def latin1_diagnostics(src: SourceText) -> list[Diagnostic]:
    """W313 once for a file with bytes that are not UTF-8, at the first such line (issue 9:
    296 W313s for one binary file told nothing the first did not)."""
    lines = src.latin1_lines
    if not lines:
        return []
    more = f" (on {len(lines)} lines; the first is here)" if len(lines) > 1 else ""
    return [
        Diagnostic.make(
            "W313",
            SourceLoc(src.path, lines[0], 1),
            f"bytes that are not UTF-8 were read as Latin-1{more}",
        )
    ]


def build_source(src: SourceText) -> BuiltFile:
    """Scan, nest and build one decoded file."""
    raw = parse_blocks(src.path, src.text)
    built = build_file(raw)
    built.diagnostics.extend(latin1_diagnostics(src))
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
        # The new objects are long-lived and acyclic: move them out of the collector's
        # sight, or the next allocation after re-enabling pays to scan all of them
        # (lint right after a load: 0.6 s instead of 0.06 s). Reference counting still
        # frees them when the policy is dropped.
        gc.freeze()
        if was:
            gc.enable()


def load_policy(sources: Iterable[SourceText]) -> Policy:
    """Build a policy from decoded files, the common file first."""
    with no_gc():
        return merge([build_source(s) for s in sources])
