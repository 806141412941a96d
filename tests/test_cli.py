"""The ``pagent`` command line: ``check`` and ``match``, exit codes and output forms."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pagent
from pagent.cli import build_parser, main
from tests.conftest import DATA, DEFAULT_POLICY, REPO
from tests.policy.helpers import GOOD_RULE

SEED = DEFAULT_POLICY  # the seed's appendix, the embedded default policy
BROKEN = DATA / "policies" / "crlf-tilde-dangling.policy"  # a dangling ref: rule discarded
MAIN_CONF = REPO / "etc" / "pagent.conf"

DIAGNOSTIC_KEYS = {
    "path", "line", "col", "severity", "code", "effect", "evidence", "message", "related",
}  # fmt: skip

# The workshop's connection (EZD1281I): USER1GET, outbound, to port 9443.
SEED_MATCH = [
    "match",
    str(SEED),
    "--direction",
    "outbound",
    "--local",
    "192.168.17.201:7419",
    "--remote",
    "192.168.17.201:9443",
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``pagent argv``; (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def warnings_only(tmp_path: Path) -> Path:
    """GOOD_RULE with its group action defined twice: W302, a warning, nothing discarded."""
    return write(tmp_path, "warn.policy", GOOD_RULE + "TTLSGroupAction G\n{\n  TTLSEnabled On\n}\n")


def dangling(tmp_path: Path) -> Path:
    """GOOD_RULE whose group action ref names nothing: E201 at line 5, column 3."""
    return write(
        tmp_path, "bad.policy", GOOD_RULE.replace("TTLSGroupActionRef G", "TTLSGroupActionRef Gone")
    )


# --- check: exit codes ------------------------------------------------------------------
def test_check_seed_policy_exits_0(capsys):
    code, out, _ = run(capsys, "check", str(SEED))
    assert code == 0
    assert "PAGENT would install all 1 rule(s)" in out


def test_check_main_config_chain_exits_0(capsys):
    code, out, _ = run(capsys, "check", "--root", str(REPO), str(MAIN_CONF))
    assert code == 0
    assert "TCPIP1" in out


def test_check_broken_corpus_file_exits_1(capsys):
    code, out, _ = run(capsys, "check", str(BROKEN))
    assert code == 1
    assert "discard" in out


def test_check_missing_file_exits_2_and_names_it(capsys, tmp_path):
    missing = tmp_path / "no-such.policy"
    code, out, err = run(capsys, "check", str(missing))
    assert code == 2
    assert str(missing) in err
    assert out == ""


def test_check_bad_option_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--no-such-option", str(SEED)])
    assert exc.value.code == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_check_without_a_path_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2


def test_no_command_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_check_warnings_only_file_exits_0(capsys, tmp_path):
    code, out, _ = run(capsys, "check", str(warnings_only(tmp_path)))
    assert code == 0
    assert "warning W302" in out


def test_check_strict_turns_warnings_into_exit_1(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "--strict", str(warnings_only(tmp_path)))
    assert code == 1
    assert " error " not in out


def test_check_strict_keeps_a_clean_file_at_exit_0(capsys):
    assert run(capsys, "check", "--strict", str(SEED))[0] == 0


# --- check: text output -----------------------------------------------------------------
def test_check_text_headline_is_path_line_col_severity_code(capsys, tmp_path):
    path = dangling(tmp_path)
    code, out, _ = run(capsys, "check", str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:5:3: error E201: ")
    assert "'Gone'" in lines[0]


def test_check_text_shows_the_source_line_and_a_caret(capsys, tmp_path):
    path = dangling(tmp_path)
    _, out, _ = run(capsys, "check", str(path))
    lines = out.splitlines()
    assert lines[1] == "  5 |   TTLSGroupActionRef Gone"
    assert lines[2] == "    |   ^"


def test_check_text_caret_sits_under_the_column(capsys, tmp_path):
    path = dangling(tmp_path)
    _, out, _ = run(capsys, "check", str(path))
    source, caret = out.splitlines()[1:3]
    assert caret.index("^") == source.index("TTLSGroupActionRef")


def test_check_text_ends_with_the_verdict(capsys, tmp_path):
    path = dangling(tmp_path)
    _, out, _ = run(capsys, "check", str(path))
    assert out.splitlines()[-1].startswith(f"{path}: PAGENT would install 0 rule(s) and discard 1")


# --- check --json -----------------------------------------------------------------------
def check_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "check", "--json", *argv)
    doc = json.loads(out)
    assert isinstance(doc, dict)
    return code, doc


def test_check_json_has_exit_policies_and_diagnostics(capsys):
    code, doc = check_json(capsys, str(SEED))
    assert code == 0
    assert doc["exit"] == 0
    assert doc["policies"][0]["rules"] == ["zCEEClientRule~1"]
    assert doc["diagnostics"] == []


def test_check_json_exit_matches_the_process_exit(capsys):
    code, doc = check_json(capsys, str(BROKEN))
    assert code == doc["exit"] == 1
    assert doc["policies"][0]["discarded"] == ["Payroll~Inbound"]


def test_check_json_diagnostics_have_the_stable_keys(capsys):
    _, doc = check_json(capsys, str(BROKEN))
    assert doc["diagnostics"]
    for d in doc["diagnostics"]:
        assert set(d) == DIAGNOSTIC_KEYS


def test_check_json_diagnostic_values(capsys, tmp_path):
    path = dangling(tmp_path)
    _, doc = check_json(capsys, str(path))
    e201 = next(d for d in doc["diagnostics"] if d["code"] == "E201")
    assert e201["path"] == str(path)
    assert (e201["line"], e201["col"]) == (5, 3)
    assert e201["severity"] == "error"
    assert e201["effect"] == "discard"
    assert "Gone" in e201["message"]
    assert e201["related"] == []


def test_check_json_related_entries_have_path_line_col_message(capsys, tmp_path):
    _, doc = check_json(capsys, str(warnings_only(tmp_path)))
    w302 = next(d for d in doc["diagnostics"] if d["code"] == "W302")
    assert w302["related"]
    assert set(w302["related"][0]) == {"path", "line", "col", "message"}
    assert w302["related"][0]["line"] == 8


def test_check_json_strict_reports_exit_1(capsys, tmp_path):
    code, doc = check_json(capsys, "--strict", str(warnings_only(tmp_path)))
    assert code == doc["exit"] == 1


# --- match ------------------------------------------------------------------------------
def test_match_prints_the_rule_first_and_exits_0(capsys):
    code, out, _ = run(capsys, *SEED_MATCH, "--jobname", "USER1GET")
    assert code == 0
    assert out.splitlines()[0].startswith("rule zCEEClientRule~1")


def test_match_shows_the_effective_protocols(capsys):
    _, out, _ = run(capsys, *SEED_MATCH, "--jobname", "USER1GET")
    protocols = next(line for line in out.splitlines() if "protocols" in line)
    assert protocols.split()[-1] == "TLSv1.2"


def test_match_no_rule_says_so_first_and_exits_1(capsys):
    code, out, _ = run(capsys, *SEED_MATCH, "--jobname", "USER2")
    assert code == 1
    assert out.splitlines()[0].startswith("no rule matches")


def test_match_json_for_a_match(capsys):
    code, out, _ = run(capsys, *SEED_MATCH, "--jobname", "USER1GET", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["rule"] == "zCEEClientRule~1"
    assert doc["priority"] == 255
    assert doc["protocols"] == ["TLSv1.2"]
    assert doc["connection"]["local"] == "192.168.17.201:7419"


def test_match_json_for_no_match(capsys):
    code, out, _ = run(capsys, *SEED_MATCH, "--jobname", "USER2", "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["rule"] is None
    assert doc["connection"]["jobname"] == "USER2"


def test_match_jobname_is_compared_case_insensitively(capsys):
    assert run(capsys, *SEED_MATCH, "--jobname", "user1get")[0] == 0


def test_match_through_the_main_config(capsys):
    argv = [*SEED_MATCH, "--jobname", "USER1GET", "--root", str(REPO)]
    argv[1] = str(MAIN_CONF)
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert out.splitlines()[0].startswith("rule zCEEClientRule~1")


@pytest.mark.parametrize(
    "bad", ["192.168.17.201", "192.168.17.201:", "192.168.17.201:70000", "nohost:80", "[::1]443"]
)
def test_match_bad_local_endpoint_exits_2(capsys, bad):
    argv = [*SEED_MATCH]
    argv[argv.index("--local") + 1] = bad
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "--local" in capsys.readouterr().err


def test_match_missing_policy_exits_2(capsys, tmp_path):
    argv = [*SEED_MATCH]
    argv[1] = str(tmp_path / "gone.policy")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert "gone.policy" in err


def ipv6_policy(tmp_path: Path) -> Path:
    return write(tmp_path, "v6.policy", GOOD_RULE.replace("  LocalPortRange 8443\n",
                                                          "  LocalPortRange 443\n"
                                                          "  LocalAddr ::1\n"))  # fmt: skip


def test_match_accepts_ipv6_endpoints_in_brackets(capsys, tmp_path):
    path = ipv6_policy(tmp_path)
    code, out, _ = run(
        capsys, "match", str(path), "--direction", "inbound",
        "--local", "[::1]:443", "--remote", "[2001:db8::7]:50000",
    )  # fmt: skip
    assert code == 0
    assert out.splitlines()[0].startswith("rule R1")


def test_match_ipv6_connection_to_another_address_does_not_match(capsys, tmp_path):
    path = ipv6_policy(tmp_path)
    code, _, _ = run(
        capsys, "match", str(path), "--direction", "inbound",
        "--local", "[::2]:443", "--remote", "[2001:db8::7]:50000",
    )  # fmt: skip
    assert code == 1


def test_match_json_shows_ipv6_endpoints_in_brackets(capsys, tmp_path):
    path = ipv6_policy(tmp_path)
    _, out, _ = run(
        capsys, "match", str(path), "--direction", "inbound", "--json",
        "--local", "[::1]:443", "--remote", "[2001:db8::7]:50000",
    )  # fmt: skip
    doc = json.loads(out)
    assert doc["connection"]["local"] == "[::1]:443"
    assert doc["connection"]["remote"] == "[2001:db8::7]:50000"


# --- A real process ---------------------------------------------------------------------
@pytest.mark.e2e
def test_python_m_pagent_check_seed_exits_0(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pagent", "check", str(SEED)],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # the installed package, not the checkout's cwd
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "PAGENT would install all 1 rule(s)" in done.stdout


@pytest.mark.e2e
def test_python_m_pagent_check_broken_file_exits_1(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "pagent", "check", str(BROKEN)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr


def test_match_rejects_a_bare_ipv6_endpoint(capsys):
    """'::1:443' is ambiguous: argparse refuses it with exit 2 and says to use brackets."""
    with pytest.raises(SystemExit) as exc:
        main(["match", str(SEED), "--direction", "inbound", "--local", "::1:443",
              "--remote", "[::1]:5000"])  # fmt: skip
    assert exc.value.code == 2
    assert "[addr]:port" in capsys.readouterr().err


def test_match_image_option_selects_the_stack(capsys):
    """--image picks the image of a pagent.conf; an unknown one exits 2 naming the images."""
    conf = str(REPO / "etc" / "pagent.conf")
    args = [*SEED_MATCH[:1], conf, *SEED_MATCH[2:], "--root", str(REPO), "--jobname", "USER1GET"]
    code, out, _ = run(capsys, *args, "--image", "tcpip1")
    assert code == 0
    assert out.startswith("rule zCEEClientRule~1")
    code, _, err = run(capsys, *args, "--image", "TCPIP9")
    assert code == 2
    assert "TCPIP1" in err


def test_match_on_a_rejected_policy_warns(capsys, tmp_path):
    """A policy PAGENT would reject still maps, with a warning that the stack keeps the old one."""
    path = write(tmp_path, "r.policy", GOOD_RULE + "TTLSGroupAction X\n{\n")
    code, out, err = run(
        capsys, "match", str(path), "--direction", "inbound",
        "--local", "10.0.0.1:8443", "--remote", "10.0.0.2:5000",
    )  # fmt: skip
    assert code == 0
    assert out.startswith("rule R1")
    assert "would reject" in err


# --- First contact (issue 9) ----------------------------------------------------------------
LAB = DATA / "roots" / "lab"
LAB_MATCH = ["--direction", "inbound", "--local", "10.0.0.1:8443", "--remote", "10.0.0.2:5000"]


def test_version_names_the_program_and_its_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"pagent {pagent.__version__}\n"


def test_help_description_is_prose_not_a_docstring(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert "z/OS Policy Agent and AT-TLS" in out


def test_keyring_help_is_prose_not_a_docstring(capsys):
    with pytest.raises(SystemExit):
        main(["keyring", "--help"])
    out = capsys.readouterr().out
    assert "``" not in out
    assert "--export DIR" in out


@pytest.mark.parametrize(
    "command", ["check", "search", "match", "serve", "init", "console", "keyring", "job"]
)
def test_every_argument_and_option_has_help(command):
    """--help describes every option and argument of every command (issue 9)."""
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    sub = subparsers.choices[command]
    missing = [a.dest for a in sub._actions if not a.help]
    assert missing == []


def test_every_root_option_describes_its_default_alike(capsys):
    """serve, console, job and keyring share one --root text; check, search, match another."""
    texts = {}
    for command in ("serve", "console", "job", "keyring", "check", "search", "match"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        texts[command] = out.split("--root DIR ", 1)[1].split(")", 1)[0]
    assert len({texts[c] for c in ("serve", "console", "job", "keyring")}) == 1
    assert len({texts[c] for c in ("check", "search", "match")}) == 1


def test_match_port_out_of_range_says_so(capsys):
    with pytest.raises(SystemExit) as exc:
        main([*SEED_MATCH[:2], "--direction", "inbound", "--local", "1.2.3.4:99999",
              "--remote", "1.2.3.5:80"])  # fmt: skip
    assert exc.value.code == 2
    assert "port 99999 is out of range (0-65535)" in capsys.readouterr().err


def test_check_a_root_s_pagent_conf_from_outside_resolves_against_that_root(
    capsys, tmp_path, monkeypatch
):
    """ROOT/etc/pagent.conf, run elsewhere: its z/OS paths are ROOT's (issue 9)."""
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", str(LAB / "etc" / "pagent.conf"))
    assert code == 0, out
    assert "TCPLAB1: PAGENT would install all 1 rule(s)" in out


def test_check_root_option_still_wins_over_the_file_s_root(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "--root", str(tmp_path), str(LAB / "etc" / "pagent.conf"))
    assert code == 1
    assert f"looked for {tmp_path}/etc/datasets/LAB.TCPPARMS/COMMON" in out


def test_check_paths_in_two_roots_is_a_usage_error(capsys, tmp_path, monkeypatch):
    other = tmp_path / "other" / "etc"
    other.mkdir(parents=True)
    (other / "pagent.conf").write_text("LogLevel 31\n")
    code, _, err = run(
        capsys, "check", str(LAB / "etc" / "pagent.conf"), str(other / "pagent.conf")
    )
    assert code == 2
    assert "different system roots" in err


def test_match_a_root_s_pagent_conf_from_outside(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "match", str(LAB / "etc" / "pagent.conf"), *LAB_MATCH,
                       "--jobname", "LABSRV")  # fmt: skip
    assert code == 0
    assert out.startswith("rule Lab~Server")


def test_search_a_root_s_pagent_conf_from_outside(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "search", "-t", str(LAB / "etc" / "pagent.conf"))
    assert code == 0
    assert "Image Name: TCPLAB1" in out
    assert "Lab~Server" in out


def test_match_on_a_broken_chain_shows_the_chain_s_errors(capsys, tmp_path):
    code, _, err = run(capsys, "match", str(LAB / "etc" / "pagent.conf"), "--root",
                       str(tmp_path), *LAB_MATCH)  # fmt: skip
    assert code == 2
    assert "error C501: CommonTTLSConfig file //'LAB.TCPPARMS(COMMON)' not found" in err
    assert err.splitlines()[-1].endswith(
        "no AT-TLS policy found (the configuration chain's errors are above)"
    )


def test_search_an_unknown_rule_says_so_and_exits_1(capsys):
    code, out, err = run(capsys, "search", "-t", "--rule", "NOSUCH", str(SEED))
    assert code == 1
    assert out == ""
    assert err == f"pagent: {SEED}: no rule NOSUCH (rules: zCEEClientRule~1)\n"


def test_search_a_known_rule_exits_0(capsys):
    code, out, _ = run(capsys, "search", "-t", "--rule", "zCEEClientRule~1", str(SEED))
    assert code == 0
    assert "zCEEClientRule~1" in out
