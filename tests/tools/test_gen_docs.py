"""docs/diagnostics.md is generated from the code table and kept in step; the docs' links hold."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pagent.policy.codes import CODES
from tools import gen_docs

DOCS = Path(__file__).resolve().parents[2] / "docs"
FIDELITY = DOCS / "fidelity.md"


def test_committed_doc_is_current():
    """Fails while docs/diagnostics.md differs from what the generator writes."""
    assert gen_docs.main(["--check"]) == 0, "run: python -m tools.gen_docs"


def test_every_code_appears_once_in_a_table():
    text = gen_docs.TARGET.read_text("utf-8")
    for code_id in CODES:
        rows = [line for line in text.splitlines() if line.startswith(f'| <a id="{code_id}">')]
        assert len(rows) == 1, code_id
        assert f"`{code_id}`" in rows[0]


def test_every_code_belongs_to_exactly_one_family():
    grouped = [c.id for _, codes in gen_docs.families_of(list(CODES.values())) for c in codes]
    assert sorted(grouped) == sorted(CODES)


def test_a_code_of_no_family_is_refused():
    stray = CODES["E100"].__class__("X999", CODES["E100"].effect, "t", "m")
    with pytest.raises(ValueError, match="X999"):
        list(gen_docs.families_of([stray]))


def test_check_fails_on_a_stale_or_missing_doc(tmp_path, monkeypatch):
    target = tmp_path / "docs" / "diagnostics.md"
    monkeypatch.setattr(gen_docs, "TARGET", target)
    assert gen_docs.main(["--check"]) == 1  # missing
    assert gen_docs.main([]) == 0
    assert gen_docs.main(["--check"]) == 0
    target.write_text(target.read_text("utf-8") + "edited\n", "utf-8")
    assert gen_docs.main(["--check"]) == 1


def test_the_examples_are_what_pagent_check_prints():
    example = gen_docs.run_example()
    assert example.text_exit == example.json_exit == 1
    doc = json.loads(example.json)
    assert doc["exit"] == 1
    assert {d["code"] for d in doc["diagnostics"]} == {"E201", "W301", "L402"}
    assert "policy.conf:5:3: error E201:" in example.text


def test_every_json_key_is_described():
    doc = json.loads(gen_docs.run_example().json)
    text = gen_docs.TARGET.read_text("utf-8")
    keys = set(doc) | set(doc["policies"][0]) | set(doc["diagnostics"][0])
    for key in keys:
        assert f"`{key}`" in text or f".{key}`" in text, key


def _fidelity_ids() -> list[str]:
    return re.findall(r'<a id="(F-\d{3})"></a>', FIDELITY.read_text("utf-8"))


def test_fidelity_ids_are_unique_and_ascending():
    # Not consecutive: helpers working in parallel are given ranges of their own (F-180...).
    ids = _fidelity_ids()
    assert ids, "docs/fidelity.md has no entries"
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize("name", ["policy-language.md", "diagnostics.md", "fidelity.md"])
def test_fidelity_links_resolve(name):
    known = set(_fidelity_ids())
    linked = set(re.findall(r"fidelity\.md#(F-\d{3})|\]\(#(F-\d{3})\)", (DOCS / name).read_text()))
    for pair in linked:
        target = pair[0] or pair[1]
        assert target in known, f"{name} links to {target}, which fidelity.md lacks"


def test_every_fidelity_entry_says_what_how_sure_and_where():
    text = FIDELITY.read_text("utf-8")
    entries = re.split(r'<a id="F-\d{3}"></a>', text)[1:]
    for entry in entries:
        heading = entry.strip().splitlines()[0]
        for field in ("**Chosen:**", "**Why:**", "**Sure:**", "**Code:**"):
            assert field in entry, f"{heading}: no {field}"
        sure = re.search(r"\*\*Sure:\*\* (\w+)", entry)
        assert sure is not None
        assert sure.group(1) in {"high", "medium", "low"}, heading
