"""The incremental re-check: same results as a full build, with unchanged blocks reused."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy import source
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy, dependents_of, load_policy, patch
from pagent.policy.source import decode

BASE = policy_text(30)


def _src(text: str):
    return decode(text.encode(), "p.policy")


def _same(a: Policy, b: Policy) -> bool:
    return (
        a.rules == b.rules
        and a.discarded == b.discarded
        and [d.headline() for d in a.diagnostics] == [d.headline() for d in b.diagnostics]
        and {k: list(v) for k, v in a.by_type.items()} == {k: list(v) for k, v in b.by_type.items()}
    )


def test_unchanged_text_reuses_every_block():
    """Reading the same text again builds nothing."""
    cache = PolicyCache()
    cache.load([_src(BASE)])
    built = cache.built_blocks
    cache.load([_src(BASE)])
    assert cache.built_blocks == built
    assert cache.patched


def test_value_edit_rebuilds_one_block_and_patches():
    """Changing one value rebuilds only its block, and the merge is patched."""
    cache = PolicyCache()
    cache.load([_src(BASE)])
    built = cache.built_blocks
    edited = BASE.replace(
        "LocalPortRange                  10011", "LocalPortRange                  20011"
    )
    policy = cache.load([_src(edited)])
    assert cache.built_blocks == built + 1
    assert cache.patched
    assert _same(policy, load_policy([_src(edited)]))


def test_breaking_a_reference_discards_the_rule_then_fixing_it_restores_it():
    """A dangling reference introduced and removed again is tracked through patches."""
    cache = PolicyCache()
    cache.load([_src(BASE)])
    broken = BASE.replace(
        "TTLSKeyringParms                  keyR00012", "TTLSKeyringParms                  keyRXXXXX"
    )
    p1 = cache.load([_src(broken)])
    assert p1.discarded == ("Rule00012",)
    assert [d.code.id for d in p1.diagnostics] == ["E201"]
    p2 = cache.load([_src(BASE)])
    assert p2.discarded == ()
    assert _same(p2, load_policy([_src(BASE)]))


def test_brace_error_falls_back_to_a_full_build():
    """An unbalanced edit is built whole, with the same diagnostics as a full build."""
    cache = PolicyCache()
    cache.load([_src(BASE)])
    broken = BASE.replace(
        "}\nTTLSGroupAction                   gAct00005",
        "TTLSGroupAction                   gAct00005",
        1,
    )
    policy = cache.load([_src(broken)])
    assert _same(policy, load_policy([_src(broken)]))
    assert policy.rejected


_EDITS = st.sampled_from(
    [
        ("Priority                        12", "Priority                        250"),
        ("TTLSEnabled                     On", "TTLSEnabled                     Off"),
        ("gAct00007\n{", "gActNEW\n{"),
        ("keyR00003\n{", "keyR00004\n{"),
        ("HandshakeRole                   Server", "HandshakeRole                   Sever"),
        ("  TLSv1.3                         On\n", ""),
        (
            "  Trace                           2\n",
            "  Trace                           2\n  Trace 3\n",
        ),
        ("}\n", "}\n}\n"),
        ("Jobname                         JOB001*", "Jobname                         job001*"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_EDITS, st.integers(0, 5)), min_size=1, max_size=5))
def test_any_sequence_of_edits_matches_a_full_build(edits):
    """After every edit of a sequence, the cached result equals a build from scratch."""
    cache = PolicyCache()
    text = BASE
    cache.load([_src(text)])
    for (old, new), nth in edits:
        at = -1
        for _ in range(nth + 1):
            nxt = text.find(old, at + 1)
            if nxt < 0:
                break
            at = nxt
        if at >= 0:
            text = text[:at] + new + text[at + len(old) :]
        assert _same(cache.load([_src(text)]), load_policy([_src(text)]))


# --- issue 13 §1: an edit costs time linear in the policy -----------------------------------
_SHARED_ACTIONS = """TTLSGroupAction gAct
{
  TTLSEnabled On
  Trace 2
}
TTLSEnvironmentAction eAct
{
  HandshakeRole Server
  TTLSKeyringParms
  {
    Keyring RING1
  }
}
TTLSConnectionAction cAct
{
  HandshakeRole Server
}
"""


def _shared_rules(n: int) -> str:
    """``n`` rules that all use the same three actions, as a workshop policy grown by copy."""
    return "".join(
        f"TTLSRule R{i:05d}\n{{\n  LocalPortRange {1024 + i}\n  Direction Inbound\n"
        "  TTLSGroupActionRef gAct\n  TTLSEnvironmentActionRef eAct\n"
        "  TTLSConnectionActionRef cAct\n}\n"
        for i in range(n)
    )


class _EqualityCounter:
    """Counts field-by-field comparisons of two statements of the same type."""

    def __init__(self, monkeypatch) -> None:
        from pagent.policy.statements import STATEMENT_CLASSES

        self.count = 0
        for cls in STATEMENT_CLASSES.values():
            original = cls.__eq__

            def counted(a, b, _original=original):
                if a.__class__ is b.__class__:
                    self.count += 1
                return _original(a, b)

            monkeypatch.setattr(cls, "__eq__", counted)


def test_edit_of_an_action_shared_by_every_rule_compares_no_statements(monkeypatch):
    """Re-checking n rules that depend on an edited action is not n squared (issue 13 §1).

    The quadratic version kept each name's dependents in a list and tested membership with
    dataclass equality: n*(n-1)/2 comparisons here. Identity bookkeeping needs none.
    """
    n = 300
    text = _SHARED_ACTIONS + _shared_rules(n)
    cache = PolicyCache()
    cache.load([_src(text)])
    counter = _EqualityCounter(monkeypatch)
    for trace in ("3", "4", "2"):  # several patches in a row keep the index consistent
        text = text.replace("  Trace 2\n", f"  Trace {trace}\n", 1).replace(
            "  Trace 3\n", f"  Trace {trace}\n", 1
        )
        policy = cache.load([_src(text)])
        assert cache.patched
        assert len(policy.rules) == n
    assert counter.count == 0
    monkeypatch.undo()
    assert _same(policy, load_policy([_src(text)]))


def test_adding_many_rules_that_reuse_actions_compares_no_statements(monkeypatch):
    """1 rule -> n rules reusing its actions costs no statement comparisons (issue 13 §1)."""
    n = 300
    cache = PolicyCache()
    cache.load([_src(_SHARED_ACTIONS + _shared_rules(1))])
    counter = _EqualityCounter(monkeypatch)
    grown = _SHARED_ACTIONS + _shared_rules(n)
    policy = cache.load([_src(grown)])
    assert counter.count == 0
    monkeypatch.undo()
    assert _same(policy, load_policy([_src(grown)]))


def test_a_large_edit_takes_the_full_merge():
    """An edit that replaces most of the policy is merged whole, not patched statement by
    statement: a refresh never costs more than a full build (issue 13 §1)."""
    cache = PolicyCache()
    cache.load([_src(_SHARED_ACTIONS + _shared_rules(1))])
    cache.load([_src(_SHARED_ACTIONS + _shared_rules(200))])
    assert not cache.patched
    cache.load([_src(_SHARED_ACTIONS + _shared_rules(200).replace("Inbound", "Outbound", 1))])
    assert cache.patched


def test_a_patch_after_discarded_rules_keeps_them_discarded():
    """A patch of a policy with discarded rules carries the discards over (set lookup)."""
    text = (
        _SHARED_ACTIONS
        + _shared_rules(5)
        + ("TTLSRule Broken\n{\n  LocalPortRange 99\n  TTLSGroupActionRef nosuch\n}\n")
    )
    cache = PolicyCache()
    cache.load([_src(text)])
    edited = text.replace("LocalPortRange 1024\n", "LocalPortRange 2024\n")
    policy = cache.load([_src(edited)])
    assert cache.patched
    assert policy.discarded == ("Broken",)
    assert _same(policy, load_policy([_src(edited)]))


def test_a_one_rule_edit_orders_only_the_edited_rule(monkeypatch):
    """The patched rule is put in place by binary search; the others keep their order."""
    import pagent.policy.policy as policy_module

    n = 2000
    text = _SHARED_ACTIONS + _shared_rules(n)
    cache = PolicyCache()
    cache.load([_src(text)])
    calls = 0
    original = policy_module.rule_order_key

    def counted(rule):
        nonlocal calls
        calls += 1
        return original(rule)

    monkeypatch.setattr(policy_module, "rule_order_key", counted)
    edited = text.replace(
        "LocalPortRange 2024\n  Direction Inbound\n", "LocalPortRange 2024\n  Priority 9\n"
    )
    assert edited != text
    policy = cache.load([_src(edited)])
    assert cache.patched
    assert calls < 50
    assert policy.rules[0].name == "R01000"
    monkeypatch.undo()
    assert _same(policy, load_policy([_src(edited)]))


def test_a_rule_edit_builds_no_reverse_index_and_an_action_edit_does(monkeypatch):
    """Nothing refers to a rule, so a rule-only edit needs no index of who looks up what:
    the first one-rule edit of a large policy is as cheap as the next (issue 13 §1)."""
    import pagent.policy.incremental as incremental_module

    built = 0
    original = dependents_of

    def counted(policy):
        nonlocal built
        built += 1
        return original(policy)

    monkeypatch.setattr(incremental_module, "dependents_of", counted)
    text = _SHARED_ACTIONS + _shared_rules(50)
    cache = PolicyCache()
    cache.load([_src(text)])
    text = text.replace("LocalPortRange 1030\n", "LocalPortRange 2030\n")
    cache.load([_src(text)])
    assert cache.patched
    assert built == 0
    text = text.replace("  Trace 2\n", "  Trace 5\n")
    policy = cache.load([_src(text)])
    assert cache.patched
    assert built == 1
    assert _same(policy, load_policy([_src(text)]))


# --- issue 13 §1: a one-rule edit of 50,000 rules in well under 0.15 s -----------------------
# The cache works on character offsets (blocks found by where their text ends, kept partly
# as distances from the end of the file) and patches the name tables in place; each
# shortcut must give what a full build gives.

_BLOCKS = (
    [policy_text(0)]
    + [
        "".join(
            f"{kw} {name}{i:02d}\n{{\n  {body}\n}}\n"
            for kw, name, body in (
                ("TTLSGroupAction", "g", "TTLSEnabled On"),
                ("TTLSEnvironmentAction", "e", "HandshakeRole Server\n  TTLSKeyringParmsRef k00"),
                ("TTLSKeyringParms", "k", "Keyring RING1"),
            )
        )
        for i in range(3)
    ]
    + [
        f"TTLSRule R{i:02d}\n{{\n  LocalPortRange {1000 + i}\n  Priority {1 + i % 4}\n"
        f"  TTLSGroupActionRef g{i % 3:02d}\n  TTLSEnvironmentActionRef e{i % 3:02d}\n}}\n"
        for i in range(12)
    ]
)


def _moved(blocks: list[str], i: int, j: int) -> list[str]:
    out = list(blocks)
    out.insert(j, out.pop(i))
    return out


_BLOCK_EDITS = st.one_of(
    st.tuples(st.just("move"), st.integers(1, 15), st.integers(1, 15)),
    st.tuples(st.just("drop"), st.integers(1, 15), st.integers(0, 0)),
    st.tuples(st.just("copy"), st.integers(1, 15), st.integers(1, 15)),
    st.tuples(st.just("rename"), st.integers(1, 15), st.integers(0, 99)),
    st.tuples(st.just("port"), st.integers(1, 15), st.integers(0, 9)),
    st.tuples(st.just("blank"), st.integers(1, 15), st.integers(0, 3)),
    st.tuples(st.just("comment"), st.integers(1, 15), st.integers(0, 3)),
)


def _apply(blocks: list[str], edit: tuple[str, int, int]) -> list[str]:
    what, i, j = edit
    i %= len(blocks)
    j %= len(blocks)
    if i == 0:
        return blocks
    out = list(blocks)
    if what == "move":
        return _moved(blocks, i, max(j, 1))
    if what == "drop":
        del out[i]
    elif what == "copy":
        out.insert(max(j, 1), out[i])  # a duplicate name: W302, the full merge
    elif what == "rename":
        first, rest = out[i].split("\n", 1)
        out[i] = f"{first}x{j}\n{rest}"
    elif what == "port":
        out[i] = out[i].replace("LocalPortRange 10", f"LocalPortRange 2{j}")
    elif what == "blank":
        out[i] = out[i] + "\n" * j
    else:
        out[i] = f"# comment {j}\n" + out[i]
    return out


@settings(max_examples=80, deadline=None)
@given(st.lists(_BLOCK_EDITS, min_size=1, max_size=6))
def test_any_sequence_of_block_edits_matches_a_full_build(edits):
    """Moving, dropping, copying, renaming blocks and adding lines between them: after each
    edit the cached policy equals a full build, definition order of every table included."""
    _check_block_edits(edits)


def _check_block_edits(edits: list[tuple[str, int, int]]) -> None:
    """After each block edit, the cached policy equals a full build."""
    cache = PolicyCache()
    blocks = list(_BLOCKS)
    cache.load([_src("".join(blocks))])
    for edit in edits:
        blocks = _apply(blocks, edit)
        text = "".join(blocks)
        assert _same(cache.load([_src(text)]), load_policy([_src(text)]))


def test_moving_a_rule_puts_it_in_its_new_place_in_definition_order():
    """A rule block moved below another is listed after it, as a full build lists it (the
    patch used to keep the moved name in its old place)."""
    cache = PolicyCache()
    cache.load([_src("".join(_BLOCKS))])
    moved = "".join(_moved(_BLOCKS, 4, 6))
    policy = cache.load([_src(moved)])
    assert cache.patched
    assert list(policy.by_type["TTLSRule"]) == list(load_policy([_src(moved)]).by_type["TTLSRule"])
    assert _same(policy, load_policy([_src(moved)]))


def test_repeated_edits_of_one_rule_rebuild_one_block_each():
    """The benchmark's edit (issue 13 §1): the same rule's priority changed again and again;
    each load rebuilds only that block and equals a full build."""
    cache = PolicyCache()
    cache.load([_src(BASE)])
    for k in range(4):
        built = cache.built_blocks
        pad = " " * 24
        text = BASE.replace(f"  Priority{pad}2\n", f"  Priority{pad}{100 + k}\n", 1)
        policy = cache.load([_src(text)])
        assert cache.built_blocks - built <= 2
        assert cache.patched
        assert _same(policy, load_policy([_src(text)]))


def test_edits_at_both_ends_in_turn_match_a_full_build():
    """Edits that alternate between the start and the end of the file move the offsets kept
    from the start and those kept from the end; each result equals a full build."""
    cache = PolicyCache()
    text = BASE
    cache.load([_src(text)])
    for old, new in (
        ("Priority                        2\n", "Priority                        77\n"),
        ("LocalPortRange                  10029", "LocalPortRange                  20029"),
        ("Priority                        77\n", "Priority                        7\n"),
        ("Keyring                         USER29", "Keyring                         USER9"),
        ("LocalPortRange                  10015", "LocalPortRange                  30015"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
        policy = cache.load([_src(text)])
        assert cache.patched
        assert _same(policy, load_policy([_src(text)]))


def test_a_load_that_fails_half_way_leaves_nothing_half_patched(monkeypatch):
    """A patch updates the previous policy's verdicts in place (no copy of 300,000 of them):
    after a failure the cache trusts none of it, and the next load builds everything."""
    import pagent.policy.incremental as incremental_module

    cache = PolicyCache()
    cache.load([_src(BASE)])
    real = patch

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        raise MemoryError("half-way")

    monkeypatch.setattr(incremental_module, "patch", failing)
    edited = BASE.replace("TTLSKeyringParms                  keyR00012", "TTLSKeyringParms X", 1)
    with pytest.raises(MemoryError):
        cache.load([_src(edited)])
    monkeypatch.undo()
    policy = cache.load([_src(edited)])
    rebuilt = not cache.patched
    again = cache.load([_src(BASE)])
    assert rebuilt
    assert _same(policy, load_policy([_src(edited)]))
    assert cache.patched
    assert _same(again, load_policy([_src(BASE)]))


def test_a_patch_takes_the_verdicts_over_only_when_asked():
    """By default a patch leaves the previous policy's verdicts as they were."""
    from pagent.policy.build import BuiltFile

    base = load_policy([_src(BASE)])
    verdicts = dict(base.verdicts)
    edited = load_policy([_src(BASE.replace("Trace                           2", "Trace 3", 1))])
    group = edited.by_type["TTLSGroupAction"]["gAct00000"]
    old_group = base.by_type["TTLSGroupAction"]["gAct00000"]
    built = [
        BuiltFile(
            path="p.policy",
            statements=[
                group if s is old_group else s for t in base.by_type.values() for s in t.values()
            ],
        )
    ]
    patched = patch(base, [old_group], [group], built, dependents_of(base))
    assert patched is not None
    assert dict(base.verdicts) == verdicts
    assert patched.verdicts is not base.verdicts


_SMALL = policy_text(6)
_CHAR_EDITS = st.lists(
    st.tuples(
        st.integers(0, len(_SMALL)),
        st.integers(0, 6),
        st.text(alphabet="{}\n Tx1#", max_size=4)
        | st.sampled_from(["\n", "}\n", "  Trace 3\n", "# c\n", "Priority 7\n"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(_CHAR_EDITS)
def test_any_character_edit_matches_a_full_build(edits):
    """Characters deleted and inserted anywhere, braces and line ends included: the block
    boundaries found by character offsets never make the cache differ from a full build."""
    _check_char_edits(edits)


def _check_char_edits(edits: list[tuple[int, int, str]]) -> None:
    """After each character edit of the 6-rule policy, the cached policy equals a full build."""
    cache = PolicyCache()
    text = _SMALL
    cache.load([_src(text)])
    for place, cut, insert in edits:
        at = min(place, len(text))
        text = text[:at] + insert + text[at + cut :]
        assert _same(cache.load([_src(text)]), load_policy([_src(text)]))


def test_a_statement_removed_by_an_earlier_patch_is_never_judged_again():
    """Found by fuzzing (three edits of the 6-rule policy): a statement that a patch removed
    could stay in the reverse index, under a name an older verdict of it had looked up; a
    later patch touching that name judged it again and installed it, so that a rule came
    three times in the match order. The patch path had this before issue 13's changes."""
    cache = PolicyCache()
    text = _SMALL
    cache.load([_src(text)])
    for at, cut, insert in (
        (6712, 1, "Priority 7\n"),
        (3775, 1, "Priority 7\n"),
        (4168, 0, "  Trace 3\n"),
    ):
        text = text[:at] + insert + text[at + cut :]
        policy = cache.load([_src(text)])
        assert cache.patched
        assert [r.name for r in policy.rules] == [r.name for r in load_policy([_src(text)]).rules]
        assert _same(policy, load_policy([_src(text)]))


# --- files decoded in pieces (issue 13 §1: no step joins a 60 MB text) ------------------------
@contextlib.contextmanager
def _pieces_of(size: int) -> Iterator[None]:
    """Files decoded in pieces of about ``size`` bytes (hypothesis and function-scoped
    fixtures do not mix, hence a context manager)."""
    saved = source.PIECE_BYTES
    source.PIECE_BYTES = size
    try:
        yield
    finally:
        source.PIECE_BYTES = saved


@settings(max_examples=150, deadline=None)
@given(_CHAR_EDITS, st.integers(1, 200))
def test_any_character_edit_of_a_file_in_pieces_matches_a_full_build(edits, size):
    """The same character edits, with the file decoded in small pieces: prefix, suffix and
    the re-scanned region are found across piece boundaries."""
    with _pieces_of(size):
        _check_char_edits(edits)


@settings(max_examples=60, deadline=None)
@given(st.lists(_BLOCK_EDITS, min_size=1, max_size=6), st.integers(1, 300))
def test_any_sequence_of_block_edits_of_a_file_in_pieces_matches_a_full_build(edits, size):
    """Block moves, drops and copies with the file in pieces: the same policy as a full build."""
    with _pieces_of(size):
        _check_block_edits(edits)


def test_a_file_in_pieces_is_kept_in_its_pieces_never_joined():
    """The cache keeps the very pieces it was given, and a one-rule edit re-scans one block."""
    with _pieces_of(500):
        cache = PolicyCache()
        src = _src(BASE)
        cache.load([src])
        edited = _src(BASE.replace("Priority", "Priority ", 1))
        before = cache.built_blocks
        assert _same(cache.load([edited]), load_policy([edited]))
    assert len(src.pieces) > 10
    kept = cache._files["p.policy"].text.pieces
    assert all(a is b for a, b in zip(kept, edited.pieces, strict=True))
    assert cache.built_blocks - before == 1


def test_policies_and_the_cache_hold_no_reference_cycles():
    """The service freezes what a build made (gc.freeze, pagent/policy/policy.py no_gc) and
    relies on reference counting to free a replaced policy: a cycle in a policy, its
    statements or the cache would never be freed. Built, edited and dropped, they leave
    nothing for the cyclic collector."""
    gc.unfreeze()  # earlier tests' loads froze what they made, garbage included
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        cache = PolicyCache()
        policies = [cache.load([_src(BASE)])]
        policies.append(cache.load([_src(BASE.replace("Priority", "Priority 9", 1))]))
        policies.append(load_policy([_src(BASE)]))
        del cache, policies
        gc.unfreeze()  # the loads froze what they made
        gc.collect()
        cyclic = [type(o) for o in gc.garbage]
        assert [t for t in cyclic if t.__module__.startswith("pagent")] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
