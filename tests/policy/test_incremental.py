"""The incremental re-check: same results as a full build, with unchanged blocks reused."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy, load_policy
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
