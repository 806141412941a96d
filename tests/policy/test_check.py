"""``pagent check``'s verdict: graded by evidence, no cascades, chain errors agree (issue 10)."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from pagent.commands.check import run_check
from pagent.policy.check import check_paths, verdict_of
from pagent.policy.codes import CODES, Effect, Evidence

from .helpers import GOOD_RULE, codes, policy_of


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _check(path: Path, root: Path | None = None) -> tuple[int, dict[str, Any]]:
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = run_check([path], root, as_json=True, strict=False)
    return code, json.loads(buf.getvalue())


# --- every rejecting or discarding code is graded -------------------------------------------
@pytest.mark.parametrize(
    "code_id",
    [c.id for c in CODES.values() if c.effect in (Effect.REJECT, Effect.DISCARD)],
)
def test_every_rejecting_or_discarding_code_is_explicitly_graded(code_id):
    """Each has a grade of its own (not the default) with a basis and a source."""
    from pagent.policy.codes import GRADES

    grade = GRADES[code_id]
    assert grade.basis
    assert grade.source


@pytest.mark.parametrize(
    "code_id", [c.id for c in CODES.values() if c.grade and c.grade.evidence is Evidence.ESTIMATE]
)
def test_every_estimate_names_a_fidelity_entry_that_exists(code_id):
    """An estimate cites an F-id of docs/fidelity.md; a certain grade cites the reference."""
    grade = CODES[code_id].grade
    assert grade is not None
    if code_id in ("E100",) or CODES[code_id].effect in (Effect.REJECT, Effect.DISCARD):
        assert "F-" in grade.source
    fidelity = (Path(__file__).resolve().parents[2] / "docs" / "fidelity.md").read_text()
    for fid in [w.strip(",;") for w in grade.source.split() if w.startswith("F-")]:
        assert f'<a id="{fid}"></a>' in fidelity


def test_documented_rejection_says_so(tmp_path):
    """An invalid HandshakeRole (E107, documented) gives a plain 'would reject'."""
    path = _write(
        tmp_path, "p.policy", GOOD_RULE.replace("HandshakeRole Server", "HandshakeRole Srv")
    )
    (checked,) = check_paths([path], None).policies
    v = verdict_of(checked)
    assert (v.outcome, v.evidence) == ("reject", Evidence.DOCUMENTED)
    assert v.text.startswith("PAGENT would reject this policy (documented: E107 at ")


def test_estimated_rejection_says_probably_and_why(tmp_path):
    """A Priority out of range (E108, an estimate) gives 'would probably reject' and why."""
    path = _write(
        tmp_path,
        "p.policy",
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Priority 0"),
    )
    (checked,) = check_paths([path], None).policies
    v = verdict_of(checked)
    assert (v.outcome, v.evidence) == ("reject", Evidence.ESTIMATE)
    assert v.text.startswith("PAGENT would probably reject this policy (estimate: E108 at ")
    assert "IBM documents the range but not the reaction" in v.text


def test_documented_error_decides_over_an_estimate(tmp_path):
    """With both kinds, the documented one decides: no 'probably'."""
    text = GOOD_RULE.replace("HandshakeRole Server", "HandshakeRole Srv").replace(
        "Direction Inbound", "Direction Inbound\n  Priority 0"
    )
    (checked,) = check_paths([_write(tmp_path, "p.policy", text)], None).policies
    v = verdict_of(checked)
    assert v.evidence is Evidence.DOCUMENTED
    assert [d.code.id for d in v.deciding] == ["E107"]


def test_estimated_discard_says_probably(tmp_path):
    """A rule without condition (E204, an estimate) is 'probably' discarded."""
    path = _write(tmp_path, "p.policy", GOOD_RULE.replace("  LocalPortRange 8443\n", ""))
    (checked,) = check_paths([path], None).policies
    v = verdict_of(checked)
    assert v.outcome == "discard"
    assert "probably discard 1: R1 (estimate: E204 at " in v.text


def test_json_gives_each_diagnostic_its_evidence_and_each_policy_its_verdict(tmp_path):
    path = _write(
        tmp_path,
        "p.policy",
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Priority 0\n  Foo 1"),
    )
    code, doc = _check(path)
    assert code == 1
    by_code = {d["code"]: d["evidence"] for d in doc["diagnostics"]}
    assert by_code["E108"] == "estimate"
    assert by_code["W301"] == "documented"
    (pol,) = doc["policies"]
    assert pol["installed"] is False
    assert pol["verdict"]["outcome"] == "reject"
    assert pol["verdict"]["evidence"] == "estimate"
    assert pol["verdict"]["codes"] == ["E108"]


def test_lint_diagnostics_have_no_evidence(tmp_path):
    """Lint is pagent's advice, not PAGENT's reaction: evidence null."""
    text = GOOD_RULE + "TTLSGroupAction Unused\n{\n  TTLSEnabled On\n}\n"
    _, doc = _check(_write(tmp_path, "p.policy", text))
    (l402,) = [d for d in doc["diagnostics"] if d["code"] == "L402"]
    assert l402["evidence"] is None


def test_exit_codes_do_not_depend_on_the_evidence(tmp_path):
    """Estimate or documented, a rejection exits 1."""
    for text in (
        GOOD_RULE.replace("HandshakeRole Server", "HandshakeRole Srv"),
        GOOD_RULE.replace("Direction Inbound", "Direction Inbound\n  Priority 0"),
    ):
        assert _check(_write(tmp_path, "p.policy", text))[0] == 1


# --- no cascades ------------------------------------------------------------------------------
def test_invalid_handshake_role_is_e107_and_not_also_e114():
    found = codes(policy_of(GOOD_RULE.replace("HandshakeRole Server", "HandshakeRole Srv")))
    assert [c for c, _ in found] == ["E107"]


def test_invalid_direction_is_e107_and_not_also_e114():
    found = codes(policy_of(GOOD_RULE.replace("Direction Inbound", "Direction In")))
    assert [c for c, _ in found] == ["E107"]


def test_bad_port_is_e111_and_not_also_e204_or_l405(tmp_path):
    """The rule's only condition is unreadable: its own error, not 'has no condition'."""
    path = _write(
        tmp_path, "p.policy", GOOD_RULE.replace("LocalPortRange 8443", "LocalPortRange 84x43")
    )
    report = check_paths([path], None)
    found = [d.code.id for d in report.diagnostics]
    assert "E111" in found
    assert "E204" not in found
    assert "L405" not in found


def test_unknown_nested_block_is_a_warning_not_e104():
    """PAGENT ignores unknown attributes: a misspelt block inside a statement is W328."""
    text = GOOD_RULE.replace(
        "  TTLSKeyringParms\n",
        "  TTLSEnvironmentAdvanceParms\n  {\n    TLSv1.2 On\n  }\n  TTLSKeyringParms\n",
    )
    policy = policy_of(text)
    assert codes(policy) == [("W328", 15)]
    assert "did you mean TTLSEnvironmentAdvancedParms" in policy.diagnostics[0].message
    assert not policy.rejected


def test_unknown_top_level_statement_is_still_e104():
    assert codes(policy_of(GOOD_RULE + "TTLSRulez X\n{\n}\n")) == [("E104", 20)]


# --- chain errors: documentation, verdict and JSON agree ---------------------------------
def _chain(tmp_path: Path, ttls: str) -> Path:
    _write(tmp_path, "etc/pagent.conf", "TcpImage TCPIP /etc/pagent.TCPIP.conf FLUSH\n")
    _write(tmp_path, "etc/pagent.TCPIP.conf", ttls)
    _write(tmp_path, "etc/p.policy", GOOD_RULE)
    return tmp_path / "etc" / "pagent.conf"


def test_missing_policy_file_makes_the_image_rejected_in_verdict_and_json(tmp_path):
    """C501 rejects (docs) and the verdict and JSON say so too."""
    main_conf = _chain(tmp_path, "TTLSConfig /etc/missing.policy FLUSH\n")
    code, doc = _check(main_conf, tmp_path)
    assert code == 1
    assert "C501" in [d["code"] for d in doc["diagnostics"]]
    (pol,) = doc["policies"]
    assert pol["installed"] is False
    assert pol["verdict"]["outcome"] == "reject"
    assert pol["verdict"]["codes"] == ["C501"]
    assert pol["verdict"]["text"].startswith(
        "PAGENT would probably reject this policy (estimate: C501"
    )


def test_bad_operand_in_the_image_file_makes_the_image_rejected(tmp_path):
    """C506 in the image's own file: the image keeps its old policy, as the agent decides."""
    main_conf = _chain(tmp_path, "TTLSConfig /etc/p.policy FLUSH BOGUS\n")
    code, doc = _check(main_conf, tmp_path)
    assert code == 1
    (pol,) = doc["policies"]
    assert "C506" in [d["code"] for d in doc["diagnostics"]]
    assert pol["installed"] is False


def test_good_chain_is_installed(tmp_path):
    code, doc = _check(_chain(tmp_path, "TTLSConfig /etc/p.policy FLUSH\n"), tmp_path)
    assert code == 0
    assert doc["policies"][0]["installed"] is True
    assert doc["policies"][0]["verdict"] == {
        "outcome": "install",
        "evidence": None,
        "codes": [],
        "text": "PAGENT would install all 1 rule(s)",
    }


def test_error_in_the_main_file_alone_gets_its_own_verdict_line(tmp_path, capsys):
    """A bad LogLevel decides no image's policy, but the check fails: a line says so."""
    main_conf = _chain(tmp_path, "TTLSConfig /etc/p.policy FLUSH\n")
    main_conf.write_text("LogLevel abc\n" + main_conf.read_text())
    code, doc = _check(main_conf, tmp_path)
    assert code == 1
    assert doc["policies"][0]["installed"] is True
    assert doc["configuration"]["codes"] == ["C506"]
    assert doc["configuration"]["text"].startswith("PAGENT would probably ignore what is in error")


@pytest.mark.parametrize(
    ("port", "evidence"),
    [
        pytest.param("84x43", "documented", id="malformed"),
        pytest.param("1-2:3", "documented", id="mixed-delimiters"),
        pytest.param("9000-8000", "estimate", id="backwards"),
        pytest.param("70000", "estimate", id="over-65535"),
    ],
)
def test_port_errors_are_graded_by_their_own_evidence(tmp_path, port, evidence):
    """E111 is documented for a malformed value, an estimate where the limit is [UNV]."""
    text = GOOD_RULE.replace("LocalPortRange 8443", f"LocalPortRange {port}")
    _, doc = _check(_write(tmp_path, "p.policy", text))
    (e111,) = [d for d in doc["diagnostics"] if d["code"] == "E111"]
    assert e111["evidence"] == evidence
    assert doc["policies"][0]["verdict"]["evidence"] == evidence
