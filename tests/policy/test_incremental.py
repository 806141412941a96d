"""The incremental re-check: same results as a full build, with unchanged blocks reused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy, dependents_of, load_policy
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
