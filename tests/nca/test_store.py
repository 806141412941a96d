"""The backing store file: round trip, atomic writes, clear errors on a bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pagent.nca.model import NcaError, Store
from pagent.nca.store import StoreError, load, save, store_path, to_json
from tests.nca.conftest import sysa_store, workshop_store


def test_a_store_lives_under_var_nca_named_by_the_store(tmp_path: Path):
    assert store_path(tmp_path, "USER1") == tmp_path / "var" / "nca" / "USER1.json"


def test_a_bad_store_name_is_an_error_naming_store():
    with pytest.raises(NcaError) as err:
        store_path(Path("/"), "../etc")
    assert err.value.argument == "--store"


@pytest.mark.parametrize("make", [workshop_store, sysa_store])
def test_a_store_reads_back_as_it_was_written(tmp_path: Path, make):
    path = tmp_path / "S.json"
    store = make()
    save(path, store)
    assert load(path, "USER1") == store


def test_a_missing_store_is_empty(tmp_path: Path):
    assert load(tmp_path / "none.json", "USER1") == Store("USER1")


def test_a_failed_write_leaves_the_old_store_and_no_temporary_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "USER1.json"
    save(path, workshop_store())
    before = path.read_bytes()

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(StoreError, match="No space left on device"):
        save(path, sysa_store())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["USER1.json"]


def _write(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc))


def test_a_file_that_is_not_json_is_an_error_with_its_line(tmp_path: Path):
    path = tmp_path / "USER1.json"
    path.write_text('{"format":\n nope')
    with pytest.raises(StoreError, match=rf"{path}:2:2: not JSON"):
        load(path, "USER1")


def test_a_bad_field_is_an_error_naming_the_file_and_the_field(tmp_path: Path):
    doc = to_json(workshop_store())
    doc["descriptors"][0]["types"][0]["remote_port"] = "99999"
    path = tmp_path / "USER1.json"
    _write(path, doc)
    with pytest.raises(StoreError) as err:
        load(path, "USER1")
    assert str(err.value) == (
        f"{path}: descriptors[0].types[0].remote_port: '99999': ports run from 1 to 65535"
    )


def test_a_bad_trace_level_is_refused(tmp_path: Path):
    doc = to_json(workshop_store())
    doc["images"][0]["trace"] = [1, 3]
    path = tmp_path / "USER1.json"
    _write(path, doc)
    with pytest.raises(StoreError, match=r"images\[0\].trace"):
        load(path, "USER1")


def test_a_name_defined_twice_is_refused(tmp_path: Path):
    doc = to_json(workshop_store())
    doc["levels"].append(dict(doc["levels"][0]))
    path = tmp_path / "USER1.json"
    _write(path, doc)
    with pytest.raises(StoreError, match="'zCEESecurity' is defined twice"):
        load(path, "USER1")


def test_another_format_is_refused(tmp_path: Path):
    path = tmp_path / "USER1.json"
    _write(path, {"format": "something", "version": 1})
    with pytest.raises(StoreError, match="not a pagent NCA backing store"):
        load(path, "USER1")


def test_a_file_holding_another_store_is_refused(tmp_path: Path):
    path = tmp_path / "USER2.json"
    save(path, workshop_store())
    with pytest.raises(StoreError, match="holds store 'USER1', not 'USER2'"):
        load(path, "USER2")
