"""PROFILE.TCPIP and OBEY members read into statements (pagent-ops.md §4.4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagent.stack import (
    OtherStatement,
    ProfileProblem,
    TcpConfig,
    parse_profile_text,
    read_profile,
)

REPO = Path(__file__).resolve().parents[2]
TCPPARMS = REPO / "etc" / "datasets" / "SYS1.TCPPARMS"


def test_tcpconfig_ttls_and_nottls():
    on = parse_profile_text("TCPCONFIG TTLS\n")
    off = parse_profile_text("TCPCONFIG NOTTLS\n")
    assert on.statements == (TcpConfig(1, 1, ("TTLS",), True, ()),)
    assert off.statements == (TcpConfig(1, 1, ("NOTTLS",), False, ()),)
    assert (on.ttls, off.ttls, on.problems, off.problems) == (True, False, (), ())


def test_keywords_are_not_case_sensitive():
    profile = parse_profile_text("tcpconfig ttls\n")
    assert profile.ttls is True
    assert profile.statements[0].keyword == "TCPCONFIG"


def test_comments_and_blank_lines_keep_line_numbers():
    text = "; a profile\n\n   ; indented comment\nTCPCONFIG TTLS ; Required for AT-TLS\n\n"
    profile = parse_profile_text(text)
    assert profile.statements == (TcpConfig(4, 4, ("TTLS",), True, ()),)
    assert profile.problems == ()


def test_a_comment_hides_what_follows_it():
    assert parse_profile_text("TCPCONFIG ;TTLS\n").ttls is None


def test_other_tcpconfig_operands_are_kept_and_not_emulated():
    profile = parse_profile_text("TCPCONFIG RESTRICTLOWPORTS TTLS TCPSENDBFRSIZE 256K\n")
    (stmt,) = profile.statements
    assert isinstance(stmt, TcpConfig)
    assert stmt.ttls is True
    assert stmt.emulated
    assert stmt.not_emulated == ("RESTRICTLOWPORTS", "TCPSENDBFRSIZE", "256K")
    assert profile.problems == ()


def test_tcpconfig_without_the_switch_is_not_emulated():
    profile = parse_profile_text("TCPCONFIG RESTRICTLOWPORTS\n")
    (stmt,) = profile.statements
    assert isinstance(stmt, TcpConfig)
    assert (stmt.ttls, stmt.emulated, profile.ttls, profile.problems) == (None, False, None, ())


def test_other_statements_are_kept_not_emulated_and_no_problem():
    profile = parse_profile_text("IPCONFIG DATAGRAMFWD\nPORT 23 TCP TN3270\nSTART OSA1\n")
    assert profile.statements == (
        OtherStatement(1, 1, "IPCONFIG", ("DATAGRAMFWD",)),
        OtherStatement(2, 2, "PORT", ("23", "TCP", "TN3270")),
        OtherStatement(3, 3, "START", ("OSA1",)),
    )
    assert not any(s.emulated for s in profile.statements)
    assert profile.problems == ()


def test_autolog_runs_to_endautolog_over_lines():
    # The reference's example (§4.4).
    text = (
        "TCPCONFIG TTLS        ; Required for AT-TLS\n"
        "AUTOLOG\n"
        "   PAGENT             ; POLICY AGENT, required for AT-TLS\n"
        "ENDAUTOLOG\n"
        "TCPCONFIG RESTRICTLOWPORTS\n"
    )
    profile = parse_profile_text(text)
    assert profile.statements[1] == OtherStatement(2, 4, "AUTOLOG", ("PAGENT",))
    assert [s.line for s in profile.statements] == [1, 2, 5]
    assert profile.ttls is True
    assert profile.problems == ()


def test_autolog_on_one_line_and_a_statement_after_its_end():
    # `AUTOLOG PAGENT ENDAUTOLOG` on one line (§1.5).
    profile = parse_profile_text("AUTOLOG PAGENT ENDAUTOLOG TCPCONFIG TTLS\n")
    assert profile.statements == (
        OtherStatement(1, 1, "AUTOLOG", ("PAGENT",)),
        TcpConfig(1, 1, ("TTLS",), True, ()),
    )


def test_a_tcpconfig_inside_autolog_is_an_operand():
    profile = parse_profile_text("AUTOLOG\n TCPCONFIG TTLS\nENDAUTOLOG\n")
    assert profile.ttls is None
    assert profile.statements == (OtherStatement(1, 3, "AUTOLOG", ("TCPCONFIG", "TTLS")),)


def test_an_unclosed_block_is_kept_with_a_problem():
    profile = parse_profile_text("TCPCONFIG TTLS\nAUTOLOG\n  PAGENT\n", path="P")
    assert profile.statements[-1] == OtherStatement(2, 4, "AUTOLOG", ("PAGENT",))
    assert profile.problems == (ProfileProblem("P", 2, "AUTOLOG has no ENDAUTOLOG before the end"),)
    assert profile.ttls is True


def test_an_end_keyword_without_its_block_is_a_problem():
    profile = parse_profile_text("ENDAUTOLOG\nTCPCONFIG NOTTLS\n", path="P")
    assert profile.problems == (
        ProfileProblem("P", 1, "ENDAUTOLOG without a preceding AUTOLOG; ignored"),
    )
    assert profile.ttls is False


def test_ttls_and_nottls_in_one_statement_the_last_wins():
    profile = parse_profile_text("TCPCONFIG TTLS NOTTLS\n", path="P")
    assert profile.ttls is False
    assert profile.problems == (
        ProfileProblem("P", 1, "TCPCONFIG codes both TTLS and NOTTLS; the last, NOTTLS, is used"),
    )


def test_the_last_tcpconfig_of_the_member_wins():
    assert parse_profile_text("TCPCONFIG TTLS\nTCPCONFIG NOTTLS\n").ttls is False
    assert parse_profile_text("TCPCONFIG NOTTLS\nTCPCONFIG TTLS\n").ttls is True


def test_tcpconfig_with_no_operand_is_a_problem():
    profile = parse_profile_text("TCPCONFIG\n", path="P")
    assert profile.problems == (ProfileProblem("P", 1, "TCPCONFIG has no operands"),)
    assert profile.ttls is None


def test_problem_reads_as_path_line_message():
    assert str(ProfileProblem("SYS1.TCPPARMS(X)", 3, "oops")) == "SYS1.TCPPARMS(X):3: oops"


def test_read_profile_decodes_a_transferred_member(tmp_path):
    file = tmp_path / "OBEY"
    file.write_bytes(b"\xef\xbb\xbf; caf\xe9\r\nTCPCONFIG TTLS\r\n")
    profile = read_profile(file, "USER.OBEY(X)")
    assert profile.path == "USER.OBEY(X)"
    assert profile.statements == (TcpConfig(2, 2, ("TTLS",), True, ()),)


def test_read_profile_raises_oserror_for_a_missing_member(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_profile(tmp_path / "NOPE")
    with pytest.raises(IsADirectoryError):
        read_profile(tmp_path)  # a data set named without its member


@pytest.mark.parametrize(
    ("member", "ttls"), [("TTLS", True), ("NOTTLS", False), ("PROFILE", False)]
)
def test_embedded_members(member, ttls):
    profile = read_profile(TCPPARMS / member)
    assert profile.ttls is ttls
    assert profile.problems == ()
    assert profile.statements[0].line == 1  # each starts with its TCPCONFIG


def test_embedded_obey_members_hold_just_tcpconfig():
    # The workshop: "the contents of SYS1.TCPPARMS(TTLS) is simply: TCPCONFIG TTLS" (§0.1).
    assert (TCPPARMS / "TTLS").read_text() == "TCPCONFIG TTLS\n"
    assert (TCPPARMS / "NOTTLS").read_text() == "TCPCONFIG NOTTLS\n"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["TCPCONFIG", "TTLS", "NOTTLS", "AUTOLOG", "ENDAUTOLOG", "ENDROUTES", ";", "\n"]
            ),
            st.text(max_size=8),
        ),
        max_size=30,
    )
)
def test_never_raises_on_any_content(words):
    profile = parse_profile_text(" ".join(words))
    for s in profile.statements:
        assert 1 <= s.line <= s.end_line
