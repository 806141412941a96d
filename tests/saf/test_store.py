"""The SAF store: persistence, file modes, and the RACF rules it keeps itself."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509

from pagent.saf.store import Connection, Ring, SafError, SafIndexError, SafStore

from .conftest import Clock


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_reloading_from_disk_gives_the_same_state(store: SafStore, clock: Clock):
    again = SafStore(store.root, clock)

    assert again.certificates() == store.certificates()
    assert again.rings() == store.rings()
    assert again.permits() == store.permits()
    assert again.groups("LIBSERV") == store.groups("LIBSERV") == ("ZCEEUSRS", "GMINVOKE")
    for cert in store.certificates():
        assert again.x509_of(cert) == store.x509_of(cert)
        assert again.key_pem(cert) == store.key_pem(cert)


def test_private_key_files_are_0600_in_a_0700_directory(store: SafStore):
    keys = store.base / "keys"

    assert _mode(keys) == 0o700
    files = list(keys.iterdir())
    assert len(files) == len(store.certificates())
    assert all(_mode(f) == 0o600 for f in files)


def test_no_temporary_files_are_left_behind(store: SafStore):
    leftovers = [p for p in store.base.rglob(".*") if p.name.endswith(".tmp")]

    assert leftovers == []


def test_a_second_store_object_sees_changes_made_by_another(store: SafStore, clock: Clock):
    other = SafStore(store.root, clock)
    other.add_ring("USER1", "Other.Ring")

    assert store.ring("USER1", "Other.Ring") is not None


def test_a_label_is_unique_per_owner(store: SafStore):
    cert = store.certificate("USER1", "USER1")
    assert cert is not None

    with pytest.raises(SafError, match="already in use"):
        store.add_certificate("user1", "USER1", store.x509_of(cert), None)


def test_labels_and_ring_names_are_case_sensitive_owners_are_not(store: SafStore):
    assert store.certificate("user1", "USER1") is not None
    assert store.certificate("USER1", "user1") is None
    assert store.ring("user1", "Liberty.KeyRing") is not None
    assert store.ring("USER1", "liberty.keyring") is None


def test_deleting_a_certificate_removes_it_from_its_rings(store: SafStore):
    store.delete_certificate("CERTAUTH", "Liberty CA")

    ring = store.ring("USER1", "Liberty.KeyRing")
    assert ring is not None
    assert [c.label for c in ring.connections] == ["USER1"]


def test_a_certificate_without_private_key_is_stored_without_key_file(
    store: SafStore, empty_store: SafStore
):
    source = store.certificate("CERTAUTH", "Liberty CA")
    assert source is not None
    cert = empty_store.add_certificate("CERTAUTH", "Imported CA", store.x509_of(source), None)

    assert not cert.has_key
    assert empty_store.key_pem(cert) is None
    assert not empty_store.key_path(cert).exists()
    assert isinstance(empty_store.x509_of(cert), x509.Certificate)


def test_permit_access_levels_compare_in_racf_order(empty_store: SafStore):
    empty_store.permit("irr.digtcert.listring", "user1", "UPDATE")

    assert empty_store.access("IRR.DIGTCERT.LISTRING", "USER1") == "UPDATE"
    assert empty_store.has_access("IRR.DIGTCERT.LISTRING", "USER1", "READ")
    assert not empty_store.has_access("IRR.DIGTCERT.LISTRING", "USER1", "CONTROL")
    assert empty_store.access("IRR.DIGTCERT.LISTRING", "USER2") == "NONE"


def test_put_ring_refuses_a_ring_that_does_not_exist(empty_store: SafStore):
    with pytest.raises(SafError, match="does not exist"):
        empty_store.put_ring(Ring("USER1", "B", (Connection("USER1", "X", "PERSONAL"),)))


@pytest.mark.parametrize("bad", ["\ud800", "a\x00b", "tab\there", "\x7f"], ids=repr)
def test_the_store_refuses_names_it_cannot_hold(empty_store: SafStore, bad: str):
    """A label, ring name or user id that UTF-8 cannot carry, or with a control character,
    is a SafError naming it escaped (issue 13 §6), and the index is not written."""
    with pytest.raises(SafError, match="cannot be stored"):
        empty_store.add_ring(f"USER{bad}", "ring")
    with pytest.raises(SafError, match=r"ring name '.*' cannot be stored"):
        empty_store.add_ring("USER1", bad)
    with pytest.raises(SafError, match="cannot be stored"):
        empty_store.permit(f"IRR.{bad}", "USER1", "READ")
    with pytest.raises(SafError, match="cannot be stored"):
        empty_store.connect_group("USER1", bad)
    assert not empty_store.index.exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"{ not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"format": 99}', "unknown SAF store format"),
        (b'{"format": 1, "certificates": [{"owner": "U"}]}', "not the store's layout"),
        (b'{"format": 1, "rings": 5}', "not the store's layout"),
        (b"\xff\xfe", "not UTF-8"),
    ],
    ids=["not-json", "not-object", "format", "missing-field", "wrong-type", "binary"],
)
def test_a_damaged_index_is_one_error_naming_the_file(tmp_path: Path, text: bytes, reason: str):
    """Issue 13 §7: whatever var/saf/saf.json holds, opening the store gives SafIndexError
    naming the file, the reason and the remedy, never a JSON or Python error."""
    index = tmp_path / "var" / "saf" / "saf.json"
    index.parent.mkdir(parents=True)
    index.write_bytes(text)
    with pytest.raises(SafIndexError) as caught:
        SafStore(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{index}: the SAF store's index cannot be read: ")
    assert reason in message
    assert "move it away" in message
    assert "\n" not in message
