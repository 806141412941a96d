"""The matcher built from the previous one (issue 13 §1): the same match as a fresh build.

``Matcher(policy, previous)`` reuses the compiled rules of ``previous`` whose rule and
condition objects did not change. These tests compare it with ``Matcher(policy)`` for
random policies, random edits and random connections, and check that the reuse happens.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.policy.incremental import PolicyCache
from pagent.policy.matching import Connection, Matcher
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import decode

_OBJECTS = {
    "TTLSGroupAction G": "TTLSEnabled On",
    "TTLSEnvironmentAction E": "HandshakeRole Server\n  TTLSKeyringParmsRef K",
    "TTLSKeyringParms K": "Keyring SRV/RING",
    "PortRange P1": "Port 1-3",
    "PortRange P2": "Port 4",
    "PortRange P3": "Port 9-10",
    "PortGroup G1": "PortRangeRef P1\n  PortRangeRef P2",
    "IpAddr A1": "Addr 10.0.0.1",
    "IpAddr A2": "Addr 10.0.0.0/24",
    "IpAddrSet S1": "Prefix 10.0.0.0/30",
    "IpAddrGroup AG1": "IpAddrRef A1\n  IpAddrSetRef S1",
}
_CONDITIONS = [
    "LocalPortRange 1",
    "LocalPortRange 2-5",
    "LocalPortRange 1-100",
    "RemotePortRange 3",
    "RemotePortRange 6-9",
    "LocalPortRangeRef P1",
    "LocalPortRangeRef P3",
    "RemotePortRangeRef P2",
    "LocalPortGroupRef G1",
    "RemotePortGroupRef G1",
    "LocalAddrRef A1",
    "RemoteAddrRef A2",
    "LocalAddrSetRef S1",
    "LocalAddrGroupRef AG1",
    "RemoteAddrGroupRef AG1",
    "Jobname AB*",
    "Jobname ABC",
]
_OBJECT_EDITS = [
    ("TTLSGroupAction G", "TTLSEnabled On\n  Trace 3"),  # every rule re-judged, none moved
    ("TTLSKeyringParms K", "Keyring SRV/OTHER"),
    ("PortRange P1", "Port 2-6"),
    ("PortRange P2", "Port 7"),
    ("PortRange P3", "Port 1-10"),
    ("PortGroup G1", "PortRangeRef P3"),
    ("IpAddr A1", "Addr 10.0.0.2"),
    ("IpAddr A2", "Addr 10.0.0.1"),
    ("IpAddrSet S1", "Prefix 10.0.0.0/31"),
    ("IpAddrGroup AG1", "IpAddrRef A2"),
]


class _Rule:
    def __init__(self, name: str, priority: int, direction: str, conditions: list[str]) -> None:
        self.name, self.priority, self.direction, self.conditions = (
            name,
            priority,
            direction,
            conditions,
        )

    def text(self) -> str:
        body = "".join(f"  {c}\n" for c in self.conditions)
        return (
            f"TTLSRule {self.name}\n{{\n{body}  Direction {self.direction}\n"
            f"  Priority {self.priority}\n  TTLSGroupActionRef G\n"
            "  TTLSEnvironmentActionRef E\n}\n"
        )


_RULE = st.builds(
    _Rule,
    name=st.text("aAbB1z", min_size=1, max_size=3),
    priority=st.integers(1, 3),
    direction=st.sampled_from(["Inbound", "Outbound", "Both"]),
    conditions=st.lists(st.sampled_from(_CONDITIONS), min_size=1, max_size=3, unique=True),
)


def _text(objects: dict[str, str], rules: list[_Rule]) -> str:
    objs = "".join(f"{head}\n{{\n  {body}\n}}\n" for head, body in objects.items())
    unique = {r.name: r for r in reversed(rules)}  # the first of each name
    return objs + "".join(r.text() for r in rules if unique[r.name] is r)


_EDIT = st.one_of(
    st.tuples(st.just("priority"), st.integers(0, 20), st.integers(1, 4)),
    st.tuples(st.just("condition"), st.integers(0, 20), st.integers(0, len(_CONDITIONS) - 1)),
    st.tuples(st.just("drop"), st.integers(0, 20), st.just(0)),
    st.tuples(st.just("object"), st.integers(0, len(_OBJECT_EDITS) - 1), st.just(0)),
    st.tuples(st.just("delete_object"), st.integers(0, len(_OBJECTS) - 1), st.just(0)),
    st.tuples(st.just("rename"), st.integers(0, 20), st.integers(0, 9)),
)

_CONNECTION = st.builds(
    Connection,
    direction=st.sampled_from(["inbound", "outbound"]),
    local_ip=st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.9", "10.1.0.1"]),
    local_port=st.integers(1, 11),
    remote_ip=st.sampled_from(["10.0.0.1", "10.0.0.3", "10.2.0.1"]),
    remote_port=st.integers(1, 11),
    jobname=st.sampled_from(["", "ABC", "ABD", "X"]),
)


def _edit(objects: dict[str, str], rules: list[_Rule], edit: tuple[str, int, int]) -> None:
    what, i, j = edit
    if what == "object":
        head, body = _OBJECT_EDITS[i]
        if head in objects:
            objects[head] = body
        return
    if what == "delete_object":
        objects.pop(list(_OBJECTS)[i], None)
        return
    if not rules:
        return
    r = rules[i % len(rules)]
    if what == "priority":
        r.priority = j
    elif what == "condition":
        r.conditions = [*r.conditions[1:], _CONDITIONS[j]]
        r.conditions = list(dict.fromkeys(r.conditions))
    elif what == "drop":
        rules.remove(r)
    else:
        r.name = f"{r.name}{j}"


def _assert_same_matches(new: Matcher, fresh: Matcher, conns: list[Connection]) -> None:
    assert [c.rule for c in new.compiled] == [c.rule for c in fresh.compiled]
    for conn in conns:
        assert new.match(conn) is fresh.match(conn), conn


def _src(text: str):
    return decode(text.encode(), "p.policy")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=st.lists(_RULE, min_size=1, max_size=10),
    edits=st.lists(_EDIT, min_size=1, max_size=5),
    conns=st.lists(_CONNECTION, min_size=10, max_size=25),
    through_cache=st.booleans(),
)
def test_a_matcher_built_from_the_previous_one_matches_as_a_fresh_one(
    rules, edits, conns, through_cache
):
    """Random policies, random edits of rules and of the objects their conditions name:
    after each edit the matcher built from the previous one gives every connection the
    rule a fresh matcher gives it, and lists the rules in the same order."""
    objects = dict(_OBJECTS)
    cache = PolicyCache()

    def build(text: str) -> Policy:
        return cache.load([_src(text)]) if through_cache else load_policy([_src(text)])

    matcher = Matcher(build(_text(objects, rules)))
    for edit in edits:
        _edit(objects, rules, edit)
        policy = build(_text(objects, rules))
        new = Matcher(policy, matcher)
        _assert_same_matches(new, Matcher(policy), conns)
        matcher = new


def _big(n: int) -> str:
    return policy_text(n)


def test_a_one_rule_edit_compiles_one_rule(monkeypatch):
    """The edited rule is compiled again; every other compiled rule is the same object."""
    from pagent.policy import matching

    text = _big(300)
    cache = PolicyCache()
    old = Matcher(cache.load([_src(text)]))
    calls = 0
    original = matching.compile_rule

    def counted(*args):
        nonlocal calls
        calls += 1
        return original(*args)

    monkeypatch.setattr(matching, "compile_rule", counted)
    edited = text.replace("  Priority                        2\n", "  Priority 999\n", 1)
    policy = cache.load([_src(edited)])
    new = Matcher(policy, old)
    assert new.incremental
    assert calls == 1
    assert policy.rules[0].name == "Rule00001"
    reused = {id(c) for c in old.compiled}
    assert sum(id(c) not in reused for c in new.compiled) == 1
    monkeypatch.undo()
    conns = [
        Connection("inbound", "10.1.1.1", 10000 + i, f"10.0.{i}.9", 5000, f"JOB{i:03d}X")
        for i in range(256)
    ]
    _assert_same_matches(new, Matcher(policy), conns)


def test_an_edited_port_range_recompiles_only_the_rules_that_name_it():
    """A changed PortRange is followed into the rules that name it, and only those."""
    rules = [
        _Rule("a", 1, "Inbound", ["LocalPortRangeRef P1"]),
        _Rule("b", 1, "Inbound", ["LocalPortRange 7"]),
        _Rule("c", 2, "Inbound", ["LocalPortGroupRef G1"]),
    ]
    objects = dict(_OBJECTS)
    cache = PolicyCache()
    old = Matcher(cache.load([_src(_text(objects, rules))]))
    objects["PortRange P1"] = "Port 7"
    policy = cache.load([_src(_text(objects, rules))])
    new = Matcher(policy, old)
    assert new.incremental
    by_name = {c.rule.name: c for c in new.compiled}
    before = {c.rule.name: c for c in old.compiled}
    assert by_name["b"] is before["b"]
    assert by_name["a"] is not before["a"]
    assert by_name["c"] is not before["c"]
    inbound_7 = Connection("inbound", "10.0.0.1", 7, "10.0.0.3", 50000)
    assert new.match(inbound_7) is Matcher(policy).match(inbound_7)
    assert new.match(inbound_7).name == "c"  # type: ignore[union-attr]


def test_a_new_rule_that_ties_with_a_neighbour_takes_a_fresh_build():
    """Names equal in the collation (cp037 maps the characters it lacks, such as "€" and
    "Ā", alike to "?"): their order is their definition order, which only a fresh build
    knows."""
    rules = [_Rule("a", 1, "Inbound", ["LocalPortRange 1"])]
    old = Matcher(load_policy([_src(_text(_OBJECTS, rules))]))
    text = _text(_OBJECTS, rules)
    tied = text + (
        "TTLSRule x€\n{\n  LocalPortRange 2\n  Direction Inbound\n  TTLSGroupActionRef G\n"
        "  TTLSEnvironmentActionRef E\n}\n"
        "TTLSRule xĀ\n{\n  LocalPortRange 2\n  Direction Inbound\n  TTLSGroupActionRef G\n"
        "  TTLSEnvironmentActionRef E\n}\n"
    )
    policy = load_policy([_src(tied)])
    if len(policy.rules) != 3:
        pytest.skip("the collation no longer ties '€' and 'Ā'")
    new = Matcher(policy, old)
    assert not new.incremental
    _assert_same_matches(
        new, Matcher(policy), [Connection("inbound", "10.0.0.1", 2, "10.0.0.3", 9)]
    )


def test_the_previous_matcher_is_left_unchanged():
    """The data path may read the installed matcher while the next is built from it."""
    text = _big(50)
    cache = PolicyCache()
    first = cache.load([_src(text)])
    old = Matcher(first)
    lists = {k: list(v) for k, v in old._inbound.by_local.items()}
    compiled = old.compiled
    edited = text.replace("LocalPortRange                  10011", "LocalPortRange 20011", 1)
    Matcher(cache.load([_src(edited)]), old)
    assert old.compiled is compiled
    assert {k: list(v) for k, v in old._inbound.by_local.items()} == lists
    conn = Connection("inbound", "10.1.1.1", 10011, "10.0.11.9", 5000, "JOB011X")
    assert old.match(conn) is Matcher(first).match(conn)
