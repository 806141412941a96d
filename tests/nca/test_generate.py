"""Install's text: the NCA's header, names, layout, order and parameters (nca.md §3, §4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.nca import edit
from pagent.nca.generate import Layout, generate
from pagent.nca.install import check_text
from pagent.nca.model import (
    ConnectivityRule,
    MapRow,
    NcaError,
    RequirementMap,
    Stack,
    Store,
)
from tests.nca.conftest import DATA, SEED, SEED_HISTORY, db2_store, sysa_store, workshop_store


def _text(store: Store, image: str, stack: str, history: tuple[str, ...]) -> str:
    img, stk = edit.stack_of(store, image, stack)
    return generate(store, img, stk, history)


def test_the_workshops_choices_give_the_seeds_appendix_byte_for_byte():
    assert _text(workshop_store(), "WG31", "TCPIP1", SEED_HISTORY) == SEED.read_text()


def test_a_server_with_client_auth_tls13_ciphers_and_a_group_gives_the_expected_file():
    expected = (DATA / "sysa-api.policy").read_text()
    assert _text(sysa_store(), "SYSA", "TCPIP", ("2026-03-01 09:30:00",)) == expected


@pytest.mark.parametrize(
    ("store", "image", "stack"),
    [
        (workshop_store(), "WG31", "TCPIP1"),
        (db2_store(), "WG31", "TCPIP1"),
        (sysa_store(), "SYSA", "TCPIP"),
    ],
)
def test_every_generated_file_passes_the_check_with_no_diagnostic(store, image, stack):
    from pagent.policy.lint import lint
    from pagent.policy.policy import load_policy
    from pagent.policy.source import SourceText

    text = _text(store, image, stack, ("2026-01-01 00:00:00",))
    policy = load_policy([SourceText("x", text)])
    assert [*policy.diagnostics, *lint(policy)] == []
    assert policy.complete
    assert check_text(text, "x") == []


def test_two_rules_needing_the_same_actions_share_unsuffixed_objects():
    s = workshop_store()
    s = edit.put(s, "map", RequirementMap("Again", (MapRow("zCEEClient", "zCEESecurity"),)))
    s = edit.put_rule(s, "WG31", "TCPIP1", ConnectivityRule("Second", "Again"))
    text = _text(s, "WG31", "TCPIP1", ("2026-01-01 00:00:00",))
    assert "TTLSRule                          Second~2" in text
    assert "  Priority                        254" in text
    assert "TTLSGroupAction                   gAct1\n" in text
    assert "TTLSConnectionAdvancedParms       cAdv1\n" in text
    assert "~zCEEClient" not in text
    assert text.count("PortRange   ") == 2  # ports reused across rules


def test_the_trailing_blank_braces_are_a_layout_switch():
    s = workshop_store()
    img, stk = edit.stack_of(s, "WG31", "TCPIP1")
    text = generate(s, img, stk, SEED_HISTORY, Layout(trailing_blanks=True))
    lines = text.split("\n")
    at = lines.index("TTLSRule                          zCEEClientRule~1")
    assert lines[at + 1] == "{"
    at = lines.index("TTLSGroupAction                   gAct1~zCEEClient")
    assert lines[at + 1] == "{ "
    assert lines[at + 4] == "} "


def test_a_generated_name_over_32_characters_is_refused_with_the_object_to_rename():
    s = workshop_store(rules=False)
    long = "R" * 31
    s = edit.put_rule(s, "WG31", "TCPIP1", ConnectivityRule(long, "zCEERequirementMap"))
    with pytest.raises(NcaError, match=f"give connectivity rule {long} a shorter name"):
        _text(s, "WG31", "TCPIP1", ("2026-01-01 00:00:00",))


def test_a_stack_without_rules_has_nothing_to_install():
    s = edit.put_stack(workshop_store(), "WG31", Stack("TCPIP2"))
    with pytest.raises(NcaError, match="no connectivity rules"):
        _text(s, "WG31", "TCPIP2", ())


@pytest.mark.corpus
def test_the_workshops_choices_give_the_corpus_appendix(corpus: Path):
    expected = (corpus / "seed-appendix-WG31-TCPIP1.policy").read_bytes()
    assert _text(workshop_store(), "WG31", "TCPIP1", SEED_HISTORY).encode() == expected


@pytest.mark.corpus
def test_the_db2_labs_choices_give_the_corpus_db2_file(corpus: Path):
    expected = (corpus / "ibm-wsc-zcee-db2-nca-generated.policy").read_bytes()
    assert _text(db2_store(), "WG31", "TCPIP1", ("2020-06-12 13:15:40",)).encode() == expected
