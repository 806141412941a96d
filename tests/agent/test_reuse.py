"""What a refresh reuses of the last one: the same results as computed from scratch."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.gen_policy import policy_text
from pagent.agent.reuse import FileOrder, LineTexts, Members, differences, file_order, left
from pagent.policy.incremental import PolicyCache
from pagent.policy.policy import Policy
from pagent.policy.source import decode
from pagent.policy.statements import Statement

BASE = policy_text(12)
RULE = "TTLSRule                          Rule{:05d}\n"


def _load(cache: PolicyCache, *texts: str) -> Members:
    sources = [decode(t.encode(), f"f{i}.policy") for i, t in enumerate(texts)]
    return Members(cache.load(sources))


def _scratch_order(policy: Policy) -> list[Statement]:
    """Every statement sorted by (file, line), ties in the order of the tables."""
    number = {path: i for i, path in enumerate(policy.files)}
    every = [s for table in policy.by_type.values() for s in table.values()]
    return sorted(every, key=lambda s: (number.get(s.loc.path, 0), s.loc.line))


def _signature(policy: Policy) -> dict[tuple[str, str], Statement]:
    return {(k, n): s for k, table in policy.by_type.items() for n, s in table.items()}


def _scratch_differences(old: Policy, new: Policy) -> tuple[int, int, int]:
    before, after = _signature(old), _signature(new)
    added = sum(k not in before for k in after)
    changed = sum(k in before and before[k] != s for k, s in after.items())
    return added, changed, len(before) - (len(after) - added)


def _text(s: Statement) -> str:
    return f"Processing: '{s.KEYWORD} {s.name}'"


# --- edits of the text of the policy -------------------------------------------------------
def _value(text: str, k: int) -> str:
    """Rule k gets another priority: no line moves."""
    head = RULE.format(k)
    at = text.find(head)
    if at < 0:
        return text
    rest = text[at:]
    line = next(x for x in rest.splitlines() if x.strip().startswith("Priority"))
    return text[:at] + rest.replace(line, line + "0", 1)


def _comment(text: str, k: int) -> str:
    """A comment line before rule k: every later line moves."""
    return text.replace(RULE.format(k), "# moved\n" + RULE.format(k), 1)


def _drop(text: str, k: int) -> str:
    """Rule k leaves the file."""
    head = RULE.format(k)
    at = text.find(head)
    if at < 0:
        return text
    end = text.index("}\n", at) + 2
    return text[:at] + text[end:]


def _append(text: str, k: int) -> str:
    """A new rule at the end, reusing rule 1's actions."""
    return (
        text + f"TTLSRule New{k}\n{{\n  LocalPortRange {3000 + k}\n  Direction Inbound\n"
        "  TTLSGroupActionRef gAct00001\n  TTLSEnvironmentActionRef eAct00001\n}\n"
    )


def _twice(text: str, k: int) -> str:
    """A second definition of a group action (W302: the later one is kept)."""
    return text + f"TTLSGroupAction gAct{k:05d}\n{{\n  TTLSEnabled On\n}}\n"


def _one_line(text: str, k: int) -> str:
    """Two statements on one line."""
    return text + f"TTLSGroupAction gA{k} {{ TTLSEnabled On }} TTLSGroupAction gB{k} {{ }}\n"


EDITS = [_value, _comment, _drop, _append, _twice, _one_line]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 13)), max_size=6))
def test_every_result_matches_one_computed_from_scratch(edits):
    """File order, log texts, differences and what NOFLUSH keeps: after any sequence of
    edits, the reused results are those of a computation from scratch."""
    cache = PolicyCache()
    order, texts = FileOrder(), LineTexts(_text)
    text = BASE
    last = _load(cache, text)
    order.of(last)
    texts.texts(order.of(last))
    for edit, k in edits:
        text = edit(text, k)
        now = _load(cache, text)
        got = order.of(now)
        want = _scratch_order(now.policy)
        assert [id(s) for s in got] == [id(s) for s in want]
        assert texts.texts(got) == [_text(s) for s in want]
        assert texts.printable
        assert differences(last, now) == _scratch_differences(last.policy, now.policy)
        fresh = _signature(now.policy)
        want_left = [s for key, s in _signature(last.policy).items() if key not in fresh]
        assert left(last, now) == want_left
        last = now


def test_file_order_spans_files_in_their_order():
    """Statements of the common file come before those of the image's file."""
    cache = PolicyCache()
    one = _load(cache, policy_text(3), policy_text(2).replace("Rule", "Other"))
    order = FileOrder().of(one)
    assert [id(s) for s in order] == [id(s) for s in _scratch_order(one.policy)]
    assert order[0].loc.path == "f0.policy"
    assert order[-1].loc.path == "f1.policy"


def test_a_value_edit_replaces_the_statement_in_its_place():
    """An edit that keeps every line in place: the new rule takes the old one's place."""
    cache = PolicyCache()
    keep = FileOrder()
    first = keep.of(_load(cache, BASE))
    now = _load(cache, _value(BASE, 5))
    second = keep.of(now)
    changed = [i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a is not b]
    assert [second[i].name for i in changed] == ["Rule00005"]
    assert [id(s) for s in second] == [id(s) for s in file_order(now)[0]]


def test_line_texts_are_made_only_for_new_items():
    """Unchanged items keep their text; only the new ones are made."""
    made: list[str] = []

    def make(item: str) -> str:
        made.append(item)
        return item.upper()

    texts = LineTexts(make)
    a, b, c = "a" * 3, "b" * 3, "c" * 3
    assert texts.texts([a, b]) == ["AAA", "BBB"]
    d = "".join(["d"] * 3)
    assert texts.texts([a, d, c]) == ["AAA", "DDD", "CCC"]
    assert made == [a, b, d, c]


def test_line_texts_say_when_a_text_is_not_printable():
    """A text with a control character is reported, so syslogd makes it one line."""
    texts = LineTexts(lambda item: item)
    texts.texts(["a", "b"])
    assert texts.printable
    texts.texts(["a", "b\x07"])
    assert not texts.printable
