"""The console's completer, lexer and toolbar without a terminal (issue 4 §4).

The completer is called with prompt-toolkit Document objects, as pgcli's
``test_naive_completion.py`` calls its own (style-anchors A2 §8); the lexer's tokens and
the toolbar's text are pure functions of a line and of a status reply.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from console.completer import MvsCompleter, candidates, dataset_names
from console.lexer import MvsLexer, line_msgid, message_style, severity, tokens
from console.toolbar import toolbar_fragments, toolbar_text

STACKS = ("TCPIP1", "TCPIP2")


@pytest.fixture(name="dsroot")
def fixture_dsroot(tmp_path: Path) -> Path:
    """A root whose etc/datasets holds a PDS with members, a sequential data set and junk."""
    pds = tmp_path / "etc" / "datasets" / "SYS1.TCPPARMS"
    pds.mkdir(parents=True)
    for member in ("TTLS", "NOTTLS", "PROFILE", "TTLS~", ".hidden"):
        (pds / member).write_text("TCPCONFIG TTLS\n")
    (tmp_path / "etc" / "datasets" / "USER1.OBEY").write_text("TCPCONFIG NOTTLS\n")
    (tmp_path / "etc" / "datasets" / "notes.txt").write_text("not a data set\n")
    return tmp_path


def complete(text: str, root: Path | None = None) -> list[str]:
    """The completion texts for ``text`` with the cursor at its end."""
    completer = MvsCompleter(
        stacks=lambda: STACKS,
        datasets=(lambda: dataset_names(root)) if root is not None else tuple,
    )
    document = Document(text, cursor_position=len(text))
    return [c.text for c in completer.get_completions(document, CompleteEvent())]


# --- verbs and abbreviations ------------------------------------------------------------------


def test_an_empty_line_offers_every_verb_and_abbreviation_and_the_console_commands() -> None:
    words = complete("")
    for verb, short in (("START", "S"), ("STOP", "P"), ("MODIFY", "F"), ("DISPLAY", "D")):
        assert verb in words
        assert short in words
    assert {"VARY", "V", "CANCEL", "C", "HELP", "H"} <= set(words)
    assert {"LOG", "EXIT", "QUIT"} <= set(words)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("D", ["DISPLAY", "D"]),
        ("DIS", ["DISPLAY"]),
        ("ST", ["START", "STOP"]),
        ("MOD", ["MODIFY"]),
        ("  V", ["VARY", "V"]),
        ("L", ["LOG"]),
        ("Q", ["QUIT"]),
        ("X", []),
    ],
)
def test_verbs_complete_from_a_prefix(typed: str, expected: list[str]) -> None:
    assert complete(typed) == expected


def test_abbreviations_show_their_full_name_beside_them() -> None:
    completer = MvsCompleter()
    found = {
        c.text: c.display_meta_text
        for c in completer.get_completions(Document("S"), CompleteEvent())
    }
    assert found["S"] == "START"
    assert found["START"] == "S"


def test_lower_case_completes_in_lower_case_so_tab_can_insert_the_rest() -> None:
    assert complete("dis") == ["display"]
    assert complete("d tcp") == ["tcpip"]
    assert complete("D tcp") == ["tcpip"]
    assert complete("D Tcp") == ["TCPIP"]


# --- targets and keywords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("D TCP", ["TCPIP"]),
        ("DISPLAY ", ["TCPIP"]),
        ("S ", ["PAGENT"]),
        ("P PAG", ["PAGENT"]),
        ("C ", ["PAGENT"]),
        ("F ", ["PAGENT"]),
        ("F PAGENT,", ["REFRESH", "UPDATE", "QUERY", "LOGLEVEL", "DEBUG", "TRACE"]),
        ("F PAGENT,RE", ["REFRESH"]),
        ("F PAGENT,LOGLEVEL,", ["LEVEL="]),
        ("MODIFY PAGENT,TRACE,L", ["LEVEL="]),
        ("D TCPIP,", list(STACKS)),
        ("D TCPIP,TCPIP", list(STACKS)),
        ("D TCPIP,,", ["NETSTAT", "N"]),
        ("D TCPIP,TCPIP1,", ["NETSTAT", "N"]),
        ("D TCPIP,,N,", ["CONFIG", "TTLS"]),
        ("D TCPIP,,NETSTAT,T", ["TTLS"]),
        ("D TCPIP,,N,TTLS,", ["CONN", "GROUP"]),
        ("D TCPIP,,N,TTLS,CONN,", []),  # connection IDs are not known to the console
        ("D TCPIP,,N,TTLS,CONN,1E0C,", ["DETAIL"]),
        ("V TCPIP,,", ["OBEY", "OBEYFILE", "O"]),
        ("HELP ", ["START", "STOP", "MODIFY", "DISPLAY", "VARY", "CANCEL"]),
        ("LOG ", ["F", "FOLLOW"]),
        ("LOG FO", ["FOLLOW"]),
    ],
)
def test_operands_complete_from_the_parsers_vocabulary(typed: str, expected: list[str]) -> None:
    assert complete(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "XYZ ",  # unknown verb
        "D FOO,",  # unknown target
        "D TCPIP,,N,CONFIG,",  # nothing follows CONFIG
        "D TCPIP,,N,TTLS comment",  # inside the comment
        "EXIT ",
        "LOG F ",
        "F PAGENT,LOGLEVEL,LEVEL=5",  # a number: nothing to offer
    ],
)
def test_nothing_is_offered_where_nothing_can_follow(typed: str) -> None:
    assert complete(typed) == []


def test_completions_replace_the_word_being_typed() -> None:
    completer = MvsCompleter(stacks=lambda: STACKS)
    (completion,) = completer.get_completions(Document("D TCPIP,,NET"), CompleteEvent())
    assert (completion.text, completion.start_position) == ("NETSTAT", -3)
    (completion,) = completer.get_completions(Document("d tcp"), CompleteEvent())
    assert (completion.text, completion.start_position) == ("tcpip", -3)


def test_the_cursor_position_not_the_line_end_decides() -> None:
    completer = MvsCompleter(stacks=lambda: STACKS)
    document = Document("D TCPIP,,N,CONFIG", cursor_position=len("D TC"))
    assert [c.text for c in completer.get_completions(document, CompleteEvent())] == ["TCPIP"]


def test_stack_names_come_from_the_callable_each_time() -> None:
    names: list[str] = []
    completer = MvsCompleter(stacks=lambda: names)
    assert list(completer.get_completions(Document("D TCPIP,"), CompleteEvent())) == []
    names.append("TCPIPB")
    found = [c.text for c in completer.get_completions(Document("D TCPIP,"), CompleteEvent())]
    assert found == ["TCPIPB"]


# --- data sets -----------------------------------------------------------------------------------


def test_data_sets_are_the_members_and_sequential_data_sets_that_exist(dsroot: Path) -> None:
    assert dataset_names(dsroot) == [
        "SYS1.TCPPARMS(NOTTLS)",
        "SYS1.TCPPARMS(PROFILE)",
        "SYS1.TCPPARMS(TTLS)",
        "USER1.OBEY",
    ]


def test_a_root_without_data_sets_has_none(tmp_path: Path) -> None:
    assert dataset_names(tmp_path) == []


def test_after_obey_the_existing_data_sets_are_offered(dsroot: Path) -> None:
    assert complete("V TCPIP,,OBEY,", dsroot) == [
        "SYS1.TCPPARMS(NOTTLS)",
        "SYS1.TCPPARMS(PROFILE)",
        "SYS1.TCPPARMS(TTLS)",
        "USER1.OBEY",
        "DSN=",
    ]
    assert complete("V TCPIP,,O,SYS1.TCPPARMS(T", dsroot) == ["SYS1.TCPPARMS(TTLS)"]
    assert complete("V TCPIP,TCPIP1,OBEYFILE,US", dsroot) == ["USER1.OBEY"]
    assert complete("v tcpip,,obey,sys1.tcpparms(n", dsroot) == ["sys1.tcpparms(nottls)"]


def test_data_sets_complete_after_dsn_and_inside_quotes(dsroot: Path) -> None:
    assert complete("V TCPIP,,OBEY,DSN=SYS1.TCPPARMS(P", dsroot) == ["DSN=SYS1.TCPPARMS(PROFILE)"]
    assert complete("V TCPIP,,OBEY,'SYS1.TCPPARMS(TT", dsroot) == ["'SYS1.TCPPARMS(TTLS)'"]
    assert complete("V TCPIP,,OBEY,'us", dsroot) == ["'USER1.OBEY'"]


def test_a_new_data_set_is_offered_at_once(dsroot: Path) -> None:
    assert "SYS1.TCPPARMS(NEW)" not in complete("V TCPIP,,OBEY,", dsroot)
    (dsroot / "etc" / "datasets" / "SYS1.TCPPARMS" / "NEW").write_text("TCPCONFIG TTLS\n")
    assert "SYS1.TCPPARMS(NEW)" in complete("V TCPIP,,OBEY,", dsroot)


def test_data_sets_are_looked_up_only_where_one_may_follow() -> None:
    calls: list[str] = []

    def datasets() -> list[str]:
        calls.append("looked")
        return []

    for typed in ("D TCPIP,,", "F PAGENT,", "S ", ""):
        candidates(typed, datasets=datasets)
    assert calls == []
    candidates("V TCPIP,,OBEY,", datasets=datasets)
    assert calls == ["looked"]


# --- the lexer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "D TCPIP,,N,TTLS",
            [
                ("verb", "D"),
                ("blank", " "),
                ("target", "TCPIP"),
                ("comma", ","),
                ("comma", ","),
                ("keyword", "N"),
                ("comma", ","),
                ("keyword", "TTLS"),
            ],
        ),
        (
            "  s pagent   go now",
            [
                ("blank", "  "),
                ("verb", "s"),
                ("blank", " "),
                ("target", "pagent"),
                ("comment", "   go now"),
            ],
        ),
        (
            "V TCPIP,TCPIP1,OBEY,'SYS1.TCPPARMS(TTLS)'",
            [
                ("verb", "V"),
                ("blank", " "),
                ("target", "TCPIP"),
                ("comma", ","),
                ("operand", "TCPIP1"),
                ("comma", ","),
                ("keyword", "OBEY"),
                ("comma", ","),
                ("string", "'SYS1.TCPPARMS(TTLS)'"),
            ],
        ),
        (
            "V TCPIP,,CMD=OBEYFILE,DSN=SYS1.TCPPARMS(TTLS)",
            [
                ("verb", "V"),
                ("blank", " "),
                ("target", "TCPIP"),
                ("comma", ","),
                ("comma", ","),
                ("keyword", "CMD="),
                ("keyword", "OBEYFILE"),
                ("comma", ","),
                ("keyword", "DSN="),
                ("operand", "SYS1.TCPPARMS(TTLS)"),
            ],
        ),
        (
            "F PAGENT,LOGLEVEL,LEVEL=511",
            [
                ("verb", "F"),
                ("blank", " "),
                ("target", "PAGENT"),
                ("comma", ","),
                ("keyword", "LOGLEVEL"),
                ("comma", ","),
                ("keyword", "LEVEL="),
                ("operand", "511"),
            ],
        ),
        ("XYZ PAGENT", [("verb.invalid", "XYZ"), ("blank", " "), ("target", "PAGENT")]),
        ("S,PAGENT", [("verb.invalid", "S,PAGENT")]),
        ("log f", [("verb.local", "log"), ("blank", " "), ("keyword", "f")]),
        ("EXIT", [("verb.local", "EXIT")]),
        ("H D", [("verb", "H"), ("blank", " "), ("verb", "D")]),
        (
            "S PAGENT,P='a, b'",
            [
                ("verb", "S"),
                ("blank", " "),
                ("target", "PAGENT"),
                ("comma", ","),
                ("operand", "P="),
                ("string", "'a, b'"),
            ],
        ),
        ("V TCPIP,,O,'SYS1", [*tokens("V TCPIP,,O,")[:-1], ("comma", ","), ("string", "'SYS1")]),
        ("", []),
        ("   ", [("blank", "   ")]),
    ],
)
def test_the_lexer_cuts_a_line_as_the_parser_reads_it(
    line: str, expected: list[tuple[str, str]]
) -> None:
    assert tokens(line) == expected


@given(st.text(alphabet=st.sampled_from(list("dDtTcpiP ,'()=.1\tNOBEY")), max_size=40))
def test_the_tokens_always_put_the_line_back_together(line: str) -> None:
    assert "".join(text for _, text in tokens(line)) == line


def test_the_prompt_toolkit_lexer_gives_style_classes() -> None:
    get_line = MvsLexer().lex_document(Document("XYZ A"))
    assert get_line(0) == [
        ("class:mvs.verb.invalid", "XYZ"),
        ("class:mvs.blank", " "),
        ("class:mvs.operand", "A"),
    ]
    assert get_line(1) == []


@pytest.mark.parametrize(
    ("msgid", "letter", "style"),
    [
        ("EZD1586I", "I", "msg.info"),
        ("IEE305I", "I", "msg.info"),
        ("$HASP373", "I", "msg.info"),
        ("FSUM1252", "I", "msg.info"),
        ("EZD1287E", "E", "msg.error"),
        ("EZZ4248E", "E", "msg.error"),
        ("IEA404A", "A", "msg.action"),
        ("IEA793D", "D", "msg.action"),
        ("EZZ0000W", "W", "msg.warning"),
        ("EZZ0000S", "S", "msg.error"),
        (None, "I", "msg.info"),
        ("hello", "I", "msg.info"),
    ],
)
def test_the_severity_letter_picks_the_style(msgid: str | None, letter: str, style: str) -> None:
    assert severity(msgid) == letter
    assert message_style(msgid) == style


def test_the_message_id_of_a_log_line_is_found_after_its_header() -> None:
    line = "Nov 24 18:11:59 WG31 PAGENT   PAGENT   PAGENT[4753]: main: EZZ8431I PAGENT STARTING"
    assert line_msgid(line) == "EZZ8431I"
    assert line_msgid("Nov 24 18:11:59 WG31 PAGENT   PAGENT   PAGENT[4753]: Processing") is None


# --- the toolbar --------------------------------------------------------------------------------


def test_the_toolbar_shows_image_stacks_ttls_and_pagent() -> None:
    status = {
        "image": "WG31",
        "pagent": True,
        "stacks": [{"name": "TCPIP1", "ttls": True}, {"name": "TCPIP2", "ttls": False}],
    }
    text = toolbar_text(status, keys="")
    assert text == " WG31 │ TCPIP1 TTLS ON  TCPIP2 TTLS OFF │ PAGENT ACTIVE"


def test_the_toolbar_when_pagent_is_down_and_with_the_keys() -> None:
    status = {"image": "WG31", "pagent": False, "stacks": [{"name": "TCPIP1", "ttls": False}]}
    text = toolbar_text(status)
    assert text.startswith(" WG31 │ TCPIP1 TTLS OFF │ PAGENT NOT ACTIVE │ ")
    assert "Tab" in text
    assert "Ctrl-D" in text


def test_the_toolbar_styles_on_and_off_and_active() -> None:
    status = {"image": "WG31", "pagent": False, "stacks": [{"name": "TCPIP1", "ttls": True}]}
    styles = {text: style for style, text, *_ in toolbar_fragments(status)}
    assert styles["ON"] == "class:toolbar.on"
    assert styles["PAGENT NOT ACTIVE"] == "class:toolbar.inactive"


def test_the_toolbar_before_a_status_and_when_the_service_is_lost() -> None:
    assert "no status yet" in toolbar_text(None)
    assert "no stacks" in toolbar_text({"image": "WG31", "pagent": False, "stacks": []})
    assert "SERVICE LOST: gone" in toolbar_text({"image": "WG31"}, lost="gone")


def test_racf_commands_are_offered_after_the_mvs_verbs() -> None:
    completions = MvsCompleter().get_completions(Document("RACD"), CompleteEvent())
    assert [c.text for c in completions] == ["RACDCERT"]


def test_a_racf_command_is_coloured_as_a_verb() -> None:
    assert tokens("RACDCERT ID(USER1) LISTRING(*)")[0] == ("verb", "RACDCERT")
