"""``pagent diff`` and effective_difference: what a change does, in effect (issue 10 §5)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pagent.cli import main
from pagent.policy.diff import EMPTY, effective_difference
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import decode, read_source

DATA = Path(__file__).parent / "data"
OLD = DATA / "diff_old.policy"
SAME = DATA / "diff_same_reformatted.policy"
OLD_TEXT = OLD.read_text("utf-8")


def load(path: Path) -> Policy:
    return load_policy([read_source(path)])


def changed(*edits: tuple[str, str]) -> Policy:
    text = OLD_TEXT
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    return load_policy([decode(text.encode(), "new.policy")])


def lines(new: Policy) -> list[str]:
    return effective_difference(load(OLD), new).lines()


def test_same_policy_has_no_difference():
    d = effective_difference(load(OLD), load(OLD))
    assert d.is_empty
    assert not d


def test_reformatted_reordered_and_inline_policy_has_no_difference():
    """Spacing, order, inline vs Ref parms and a coded default change nothing in effect."""
    d = effective_difference(load(OLD), load(SAME))
    assert d.lines() == []


def test_ttls_off_changes_rule_action_and_connections():
    found = lines(changed(("TTLSEnabled                 On", "TTLSEnabled Off")))
    assert "rule changed: ClientRule: TTLSEnabled On -> Off" in found
    assert "action TTLSGroupAction changed: Grp: TTLSEnabled On -> Off" in found
    assert (
        "outbound 10.1.1.1:40001 -> :9443 USER1GET: ClientRule (TLS) -> ClientRule (clear)" in found
    )
    assert "inbound :8443 -> :40002: ServerRule (TLS) -> ServerRule (clear)" in found
    assert "inbound :8444 -> :40002: ServerRule (TLS) -> ServerRule (clear)" in found


def test_removed_rule_leaves_its_connections_in_clear():
    text = OLD_TEXT
    start = text.index("TTLSRule                      ClientRule")
    end = text.index("TTLSRule                      ServerRule")
    new = load_policy([decode((text[:start] + text[end:]).encode(), "new.policy")])
    found = lines(new)
    assert found[0] == "rule removed: ClientRule"
    assert "outbound 10.1.1.1:40001 -> :9443 USER1GET: ClientRule (TLS) -> no rule (clear)" in found


def test_added_rule_is_reported_with_the_connections_it_takes():
    extra = (
        "TTLSRule Extra\n{\n  LocalPortRange 8444\n  Direction Inbound\n  Priority 200\n"
        "  TTLSGroupActionRef Grp\n  TTLSEnvironmentActionRef ServerEnv\n}\n"
    )
    new = load_policy([decode((OLD_TEXT + extra).encode(), "new.policy")])
    found = lines(new)
    assert "rule added: Extra" in found
    assert "inbound :8444 -> :40002: ServerRule (TLS) -> Extra (TLS)" in found
    assert not any(line.startswith("inbound :8443") for line in found)


def test_protocol_change_of_the_same_rule_is_named():
    found = lines(changed(("  TLSv1.2                     On\n", "  TLSv1.2 On\n  TLSv1.3 On\n")))
    assert (
        "action TTLSEnvironmentAction changed: ClientEnv: "
        "TTLSEnvironmentAdvancedParms.TLSv1.3 Off -> On"
    ) in found
    conn = [x for x in found if x.startswith("outbound")]
    assert conn
    assert "ClientRule (TLS) -> ClientRule (TLS) [TLSv1.3 Off -> On" in conn[0]


def test_key_ring_change_through_a_ref_is_seen():
    found = lines(changed(("USER1/RING", "USER2/RING")))
    assert "rule changed: ServerRule: Keyring USER1/RING -> USER2/RING" in found


def test_discarded_rule_counts_as_removed():
    """A rule PAGENT would discard is not installed: it is gone in effect."""
    new = changed(("TTLSEnvironmentActionRef    ClientEnv", "TTLSEnvironmentActionRef    Gone"))
    assert new.discarded == ("ClientRule",)
    assert lines(new)[0] == "rule removed: ClientRule"


def test_empty_policy_makes_everything_removed():
    d = effective_difference(load(OLD), EMPTY)
    assert [x.text() for x in d.rules] == ["rule removed: ClientRule", "rule removed: ServerRule"]
    assert len(d.actions) == 3
    assert d.connections


def test_json_form_is_stable():
    d = effective_difference(
        load(OLD), changed(("Priority                    100", "Priority 101"))
    )
    doc: dict[str, Any] = d.as_json()
    assert doc["equal"] is False
    (rule,) = doc["rules"]
    assert rule == {
        "kind": "changed",
        "statement": "TTLSRule",
        "name": "ServerRule",
        "changes": [{"key": "Priority", "old": 100, "new": 101}],
    }
    assert doc["connections"] == []


# --- the command ------------------------------------------------------------------------------
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_diff_exit_0_when_equal(capsys):
    code, out, _ = run(capsys, "diff", str(OLD), str(SAME))
    assert (code, out) == (0, "no difference in effect\n")


def test_diff_exit_1_and_lines_when_different(tmp_path, capsys):
    new = tmp_path / "new.policy"
    new.write_text(OLD_TEXT.replace("RemotePortRange             9443", "RemotePortRange 9444"))
    code, out, _ = run(capsys, "diff", str(OLD), str(new))
    assert code == 1
    assert out.splitlines()[0] == "rule changed: ClientRule: RemotePortRange 9443 -> 9444"
    assert "outbound 10.1.1.1:40001 -> :9443 USER1GET: ClientRule (TLS) -> no rule (clear)" in out
    assert out.splitlines()[-1] == "3 difference(s) in effect"


def test_diff_json(tmp_path, capsys):
    new = tmp_path / "new.policy"
    new.write_text(OLD_TEXT.replace("Priority                    100", "Priority 101"))
    code, out, _ = run(capsys, "diff", str(OLD), str(new), "--json")
    doc = json.loads(out)
    assert code == doc["exit"] == 1
    (pol,) = doc["policies"]
    assert pol["equal"] is False
    assert pol["old"]["verdict"]["outcome"] == "install"


def test_diff_unreadable_file_is_usage_error(tmp_path, capsys):
    code, _, err = run(capsys, "diff", str(OLD), str(tmp_path / "none.policy"))
    assert code == 2
    assert "cannot read" in err


def test_diff_rejected_new_policy_is_said(tmp_path, capsys):
    new = tmp_path / "new.policy"
    new.write_text(OLD_TEXT.replace("HandshakeRole               Client", "HandshakeRole Clnt"))
    code, _, err = run(capsys, "diff", str(OLD), str(new))
    assert code == 1
    assert "NEW" in err
    assert "would reject this policy" in err


def _chain(root: Path, policy: str, image: str = "TCPIP") -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "pagent.conf").write_text(f"TcpImage {image} /etc/img.conf FLUSH\n")
    (root / "etc" / "img.conf").write_text("TTLSConfig /etc/p.policy FLUSH\n")
    (root / "etc" / "p.policy").write_text(policy)
    return root / "etc" / "pagent.conf"


def test_diff_of_chains_pairs_images(tmp_path, capsys):
    old = _chain(tmp_path / "a", OLD_TEXT)
    new = _chain(
        tmp_path / "b", OLD_TEXT.replace("Priority                    100", "Priority 101")
    )
    code, out, _ = run(capsys, "diff", str(old), str(new))
    assert code == 1
    assert out.splitlines()[0] == "rule changed: ServerRule: Priority 100 -> 101"
