"""Policy Data Import: a policy into the store, and back out with the same effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.nca import edit
from pagent.nca.compare import differences
from pagent.nca.generate import generate
from pagent.nca.importer import import_policy
from pagent.nca.model import NcaError, Store
from pagent.policy.diff import effective_difference
from pagent.policy.policy import load_policy
from pagent.policy.source import SourceText, read_source
from tests.nca.conftest import DATA, SEED, SEED_HISTORY, workshop_store


def _reinstalled(store: Store, image: str, stack: str) -> str:
    img, stk = edit.stack_of(store, image, stack)
    return generate(store, img, stk, SEED_HISTORY)


def test_importing_the_seed_and_installing_again_changes_nothing_in_effect():
    done = import_policy(Store("USER1"), SEED, "WG31", "TCPIP1")
    assert done.lost == ()
    again = _reinstalled(done.store, "WG31", "TCPIP1")
    original = load_policy([read_source(SEED)])
    reinstalled = load_policy([SourceText("again", again)])
    assert differences(original, reinstalled) == []
    # What `pagent diff` says of it (issue 12 §5): no change in effect.
    assert effective_difference(original, reinstalled).is_empty
    # The NCA's own names come back: same rule, same action names.
    assert again == SEED.read_text()


def test_the_seed_imports_as_the_workshops_objects():
    done = import_policy(Store("USER1"), SEED, "WG31", "TCPIP1")
    image = done.store.image("WG31")
    assert image is not None
    assert (image.keyring, image.trace) == ("Liberty.KeyRing", (1, 2, 4))
    ((imported, types),) = [(d.name, d.types) for d in done.store.descriptors]
    assert (imported, types) == ("zCEEClient", workshop_store().descriptors[0].types)
    assert [r.name for r in image.stacks[0].rules] == ["zCEEClientRule"]


def test_a_richer_nca_file_imports_with_no_change_in_effect():
    path = DATA / "sysa-api.policy"
    done = import_policy(Store("USER1"), path, "SYSA", "TCPIP")
    assert done.lost == ()
    again = _reinstalled(done.store, "SYSA", "TCPIP")
    original, reinstalled = load_policy([read_source(path)]), load_policy([SourceText("a", again)])
    assert differences(original, reinstalled) == []
    assert effective_difference(original, reinstalled).is_empty


def test_what_the_store_cannot_hold_is_reported(tmp_path: Path):
    path = tmp_path / "hand.policy"
    path.write_text(
        "TTLSRule r1\n{\n  LocalPortRange 8443\n  Direction Inbound\n"
        "  TTLSGroupActionRef g\n  TTLSEnvironmentActionRef e\n}\n"
        "TTLSGroupAction g\n{\n  TTLSEnabled On\n  Trace 2\n}\n"
        "TTLSEnvironmentAction e\n{\n  HandshakeRole Server\n  TTLSKeyringParms\n  {\n"
        "    Keyring R\n  }\n  TTLSEnvironmentAdvancedParms\n  {\n    HandshakeTimeout 20\n"
        "    TLSv1.2 On\n  }\n}\n"
    )
    done = import_policy(Store("USER1"), path, "WG31", "TCPIP1")
    lost = "\n".join(done.lost)
    assert "HandshakeTimeout" in lost
    assert "no local address condition" in lost
    assert "name: 'r1' -> 'r1~1'" in lost


def test_a_policy_pagent_would_reject_imports_nothing(tmp_path: Path):
    path = tmp_path / "bad.policy"
    path.write_text("TTLSRule r1\n{\n  LocalPortRange 8443\n")
    with pytest.raises(NcaError) as err:
        import_policy(Store("USER1"), path, "WG31", "TCPIP1")
    assert err.value.argument == "POLICY"


def test_an_unreadable_policy_is_an_error_naming_policy(tmp_path: Path):
    with pytest.raises(NcaError, match="cannot read") as err:
        import_policy(Store("USER1"), tmp_path / "none", "WG31", "TCPIP1")
    assert err.value.argument == "POLICY"


@pytest.mark.corpus
def test_importing_the_corpus_db2_file_and_installing_gives_it_back(corpus: Path):
    path = corpus / "ibm-wsc-zcee-db2-nca-generated.policy"
    done = import_policy(Store("USER1"), path, "WG31", "TCPIP1")
    assert done.lost == ()
    img, stk = edit.stack_of(done.store, "WG31", "TCPIP1")
    assert generate(done.store, img, stk, ("2020-06-12 13:15:40",)) == path.read_text()
