"""The MVS command parser: each accepted line's command, each rejected line's exact response.

Expected response lines are the catalogue's (pagent.messages) texts written out, so that a
change of a message text shows up here: IEE305I pads the verb to 8 (pagent-ops §2.1 [OBS]),
IEE535I names the verb (§2.1 [OBS]), EZZ8444I is PAGENT's invented MODIFY rejection (§2.4).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pagent.mvs import (
    ABBREVIATIONS,
    CONN_ID,
    DATASET,
    KEYWORDS_AFTER,
    MODIFY_ACTIONS,
    STACK,
    TARGETS,
    VERBS,
    CancelCommand,
    Command,
    CommandError,
    DisplayTcpip,
    Help,
    ModifyCommand,
    StartCommand,
    StopCommand,
    VaryObey,
    completion_key,
    parse,
)

COMMAND_TYPES = (
    StartCommand,
    StopCommand,
    CancelCommand,
    ModifyCommand,
    DisplayTcpip,
    VaryObey,
    Help,
)


def iee305i(verb: str) -> tuple[str, ...]:
    return (f"IEE305I {verb:<8} COMMAND INVALID",)


def iee535i(verb: str) -> tuple[str, ...]:
    return (f"IEE535I {verb} INVALID PARAMETER",)


EZZ8444I = ("EZZ8444I PAGENT MODIFY COMMAND REJECTED",)


def parsed(line: str) -> Command:
    """The command of a line that must parse."""
    result = parse(line)
    assert not isinstance(result, CommandError), result
    return result


def rejected(line: str) -> CommandError:
    """The rejection of a line that must not parse."""
    result = parse(line)
    assert isinstance(result, CommandError), result
    return result


# --- accepted lines -----------------------------------------------------------------------

VALID = [
    # START / S
    ("S PAGENT", StartCommand(text="S PAGENT", task="PAGENT")),
    ("START PAGENT", StartCommand(text="START PAGENT", task="PAGENT")),
    ("s pagent", StartCommand(text="s pagent", task="PAGENT")),
    ("Start Pagent", StartCommand(text="Start Pagent", task="PAGENT")),
    (
        "S PAGENT,PARM='-d 1'",
        StartCommand(text="S PAGENT,PARM='-d 1'", task="PAGENT", keywords=(("PARM", "-d 1"),)),
    ),
    (
        "s pagent,prm='-L SYSLOGD',sub=mstr",
        StartCommand(
            text="s pagent,prm='-L SYSLOGD',sub=mstr",
            task="PAGENT",
            keywords=(("PRM", "-L SYSLOGD"), ("SUB", "MSTR")),
        ),
    ),
    (
        "S PAGENT,PARM='it''s'",
        StartCommand(text="S PAGENT,PARM='it''s'", task="PAGENT", keywords=(("PARM", "it's"),)),
    ),
    (
        "S PAGENT,PARM=('a,b','c')",
        StartCommand(
            text="S PAGENT,PARM=('a,b','c')", task="PAGENT", keywords=(("PARM", "(a,b,c)"),)
        ),
    ),
    (
        "S PAGENT,PARM=",
        StartCommand(text="S PAGENT,PARM=", task="PAGENT", keywords=(("PARM", ""),)),
    ),
    # STOP / P
    ("P PAGENT", StopCommand(text="P PAGENT", task="PAGENT")),
    ("STOP PAGENT", StopCommand(text="STOP PAGENT", task="PAGENT")),
    ("p pagent", StopCommand(text="p pagent", task="PAGENT")),
    ("P SYSLOGD", StopCommand(text="P SYSLOGD", task="SYSLOGD")),
    # CANCEL / C
    ("C PAGENT", CancelCommand(text="C PAGENT", task="PAGENT")),
    ("cancel pagent", CancelCommand(text="cancel pagent", task="PAGENT")),
    # MODIFY / F
    ("F PAGENT,REFRESH", ModifyCommand(text="F PAGENT,REFRESH", task="PAGENT", action="REFRESH")),
    (
        "MODIFY PAGENT,UPDATE",
        ModifyCommand(text="MODIFY PAGENT,UPDATE", task="PAGENT", action="UPDATE"),
    ),
    ("f pagent,query", ModifyCommand(text="f pagent,query", task="PAGENT", action="QUERY")),
    (
        "F PAGENT,LOGLEVEL,LEVEL=511",
        ModifyCommand(
            text="F PAGENT,LOGLEVEL,LEVEL=511", task="PAGENT", action="LOGLEVEL", level=511
        ),
    ),
    (
        "f pagent,debug,level=1",
        ModifyCommand(text="f pagent,debug,level=1", task="PAGENT", action="DEBUG", level=1),
    ),
    (
        "F PAGENT,TRACE,LEVEL=0",
        ModifyCommand(text="F PAGENT,TRACE,LEVEL=0", task="PAGENT", action="TRACE", level=0),
    ),
    ("F PAGENT,TRACE", ModifyCommand(text="F PAGENT,TRACE", task="PAGENT", action="TRACE")),
    (
        "F PAGENT,LOGLEVEL,LEVEL=",
        ModifyCommand(text="F PAGENT,LOGLEVEL,LEVEL=", task="PAGENT", action="LOGLEVEL"),
    ),
    (
        "F PAGENT,LOGLEVEL,LEVEL=2147483647",
        ModifyCommand(
            text="F PAGENT,LOGLEVEL,LEVEL=2147483647",
            task="PAGENT",
            action="LOGLEVEL",
            level=2147483647,
        ),
    ),
    (
        "F TCPIP1,OBEY,X",
        ModifyCommand(text="F TCPIP1,OBEY,X", task="TCPIP1", action="OBEY", parameters=("X",)),
    ),
    (
        "f syslogd,restart",
        ModifyCommand(text="f syslogd,restart", task="SYSLOGD", action="RESTART"),
    ),
    # DISPLAY / D
    ("D TCPIP", DisplayTcpip(text="D TCPIP")),
    ("DISPLAY TCPIP", DisplayTcpip(text="DISPLAY TCPIP")),
    ("d tcpip", DisplayTcpip(text="d tcpip")),
    (
        "D TCPIP,,NETSTAT,CONFIG",
        DisplayTcpip(text="D TCPIP,,NETSTAT,CONFIG", report="CONFIG"),
    ),
    (
        "D TCPIP,TCPIP1,N,CONFIG",
        DisplayTcpip(text="D TCPIP,TCPIP1,N,CONFIG", stack="TCPIP1", report="CONFIG"),
    ),
    ("D TCPIP,,N,TTLS", DisplayTcpip(text="D TCPIP,,N,TTLS", report="TTLS")),
    (
        "d tcpip,tcpip1,netstat,ttls",
        DisplayTcpip(text="d tcpip,tcpip1,netstat,ttls", stack="TCPIP1", report="TTLS"),
    ),
    (
        "D TCPIP,,N,TTLS,GROUP",
        DisplayTcpip(text="D TCPIP,,N,TTLS,GROUP", report="TTLS", group=True),
    ),
    (
        "D TCPIP,,N,TTLS,CONN,1E0C",
        DisplayTcpip(text="D TCPIP,,N,TTLS,CONN,1E0C", report="TTLS", conn_id=0x1E0C),
    ),
    (
        "d tcpip,,n,ttls,conn,00001e0c,detail",
        DisplayTcpip(
            text="d tcpip,,n,ttls,conn,00001e0c,detail",
            report="TTLS",
            conn_id=0x1E0C,
            detail=True,
        ),
    ),
    # VARY / V
    (
        "V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
        VaryObey(
            text="V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
            stack=None,
            dataset="SYS1.TCPPARMS(TTLS)",
            keyword_used="OBEY",
        ),
    ),
    (
        "VARY TCPIP,TCPIP1,OBEYFILE,SYS1.TCPPARMS(NOTTLS)",
        VaryObey(
            text="VARY TCPIP,TCPIP1,OBEYFILE,SYS1.TCPPARMS(NOTTLS)",
            stack="TCPIP1",
            dataset="SYS1.TCPPARMS(NOTTLS)",
            keyword_used="OBEYFILE",
        ),
    ),
    (
        "v tcpip,,o,'sys1.tcpparms(ttls)'",
        VaryObey(
            text="v tcpip,,o,'sys1.tcpparms(ttls)'",
            stack=None,
            dataset="SYS1.TCPPARMS(TTLS)",
            keyword_used="O",
        ),
    ),
    (
        "V TCPIP,TCPIP,O,DSN=USER.TCPPARMS(TTLSON)",
        VaryObey(
            text="V TCPIP,TCPIP,O,DSN=USER.TCPPARMS(TTLSON)",
            stack="TCPIP",
            dataset="USER.TCPPARMS(TTLSON)",
            keyword_used="O",
            dsn_keyword=True,
        ),
    ),
    (
        "V TCPIP,,CMD=OBEYFILE,DSN='USER.OBEY'",
        VaryObey(
            text="V TCPIP,,CMD=OBEYFILE,DSN='USER.OBEY'",
            stack=None,
            dataset="USER.OBEY",
            keyword_used="CMD=OBEYFILE",
            dsn_keyword=True,
        ),
    ),
    # HELP / H
    ("HELP", Help(text="HELP")),
    ("h", Help(text="h")),
    ("HELP D", Help(text="HELP D", topic="DISPLAY")),
    ("help modify", Help(text="help modify", topic="MODIFY")),
]


@pytest.mark.parametrize(("line", "expected"), VALID, ids=[line for line, _ in VALID])
def test_valid_line_parses_to_its_command(line, expected):
    assert parse(line) == expected


@pytest.mark.parametrize("line", [line for line, _ in VALID])
def test_echo_of_a_valid_line_parses_to_the_same_fields(line):
    """The echo is itself a valid command with the same meaning (only ``text`` differs)."""
    command = parsed(line)
    again = parsed(command.echo())
    assert type(again) is type(command)
    for field in fields(command):
        if field.name != "text":
            assert getattr(again, field.name) == getattr(command, field.name)


def test_every_verb_spelling_is_accepted():
    """Each full verb and its abbreviation reach the same command type."""
    lines = {
        "START": "{} PAGENT",
        "STOP": "{} PAGENT",
        "CANCEL": "{} PAGENT",
        "MODIFY": "{} PAGENT,QUERY",
        "DISPLAY": "{} TCPIP",
        "VARY": "{} TCPIP,,O,A.B",
        "HELP": "{}",
    }
    for verb, short in ABBREVIATIONS.items():
        assert type(parsed(lines[verb].format(verb))) is type(parsed(lines[verb].format(short)))


def test_text_is_the_line_without_surrounding_blanks():
    assert parsed("   d tcpip  \n").text == "d tcpip"


def test_several_blanks_may_separate_verb_and_operands():
    assert parsed("D     TCPIP") == DisplayTcpip(text="D     TCPIP")


def test_tab_counts_as_a_blank():
    assert isinstance(parsed("D\tTCPIP"), DisplayTcpip)


def test_text_after_a_blank_is_a_comment():
    command = parsed("P PAGENT  stop it now, please")
    assert command == StopCommand(text="P PAGENT  stop it now, please", task="PAGENT")


def test_blank_inside_quotes_does_not_end_the_operands():
    command = parsed("S PAGENT,PARM='a b' comment")
    assert isinstance(command, StartCommand)
    assert command.keywords == (("PARM", "a b"),)


def test_quoted_text_keeps_its_case_and_commas():
    command = parsed("s pagent,parm='-c /etc/Pagent.conf,x'")
    assert isinstance(command, StartCommand)
    assert command.keywords == (("PARM", "-c /etc/Pagent.conf,x"),)


def test_only_ascii_letters_are_folded():
    """'ı'.upper() is 'I' in Python but not on the console: the name stays invalid."""
    assert rejected("P PAGENTı").lines == iee535i("STOP")


# --- echo -----------------------------------------------------------------------------


def test_echo_expands_the_verb_as_ezz0060i_shows_it():
    """Seed workshop step 8: typed V TCPIP,,OBEY,... ; EZZ0060I shows VARY TCPIP,,OBEY,..."""
    assert parsed("V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)").echo() == (
        "VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)"
    )


def test_echo_keeps_the_operand_spelling():
    """pagent-ops §4.5: the O short form stays O in EZZ0060I."""
    assert parsed("v tcpip,tcpip1,o,user.tcpparms(ttlson)").echo() == (
        "VARY TCPIP,TCPIP1,O,USER.TCPPARMS(TTLSON)"
    )


def test_echo_keeps_quoted_text_and_drops_the_comment():
    assert parsed("s pagent,parm='-d 1'   why not").echo() == "START PAGENT,PARM='-d 1'"


def test_echo_of_an_operandless_command_is_the_verb():
    assert parsed("h").echo() == "HELP"


def test_echo_of_a_rejected_line_is_folded():
    assert rejected("$d j").echo() == "$D J"


# --- rejected lines -----------------------------------------------------------------------

INVALID = [
    # unknown verbs (§2.1: IEE305I, verb padded to 8)
    ("$D", iee305i("$D")),
    ("set prog=xx", iee305i("SET")),
    ("STAR PAGENT", iee305i("STAR")),
    ("S,PAGENT", iee305i("S,PAGENT")),
    ("DISPLAYTCPIP", iee305i("DISPLAYTCPIP")),
    # malformed lines
    ("S PAGENT,PARM='-d 1", iee305i("S")),
    ("S PAGENT,PARM=(A", iee305i("S")),
    ("S PAGENT,PARM=A)", iee305i("S")),
    ("D TCPIP\x00", iee305i("D")),
    ("D\x07 TCPIP", iee305i("D?")),
    # missing required operands
    ("S", iee305i("S")),
    ("START", iee305i("START")),
    ("P", iee305i("P")),
    ("C", iee305i("C")),
    ("F PAGENT", iee305i("F")),
    ("MODIFY PAGENT,", iee305i("MODIFY")),
    ("F ,REFRESH", iee305i("F")),
    ("D", iee305i("D")),
    ("d ,", iee305i("D")),
    ("D TCPIP,", iee305i("D")),
    ("D TCPIP,TCPIP1", iee305i("D")),
    ("D TCPIP,,N", iee305i("D")),
    ("D TCPIP,,,TTLS", iee305i("D")),
    ("D TCPIP,,N,TTLS,CONN", iee305i("D")),
    ("V", iee305i("V")),
    ("V TCPIP", iee305i("V")),
    ("V TCPIP,,OBEY", iee305i("V")),
    ("V TCPIP,,OBEY,", iee305i("V")),
    ("V TCPIP,, OBEY, SYS1. TCPPARMS(TTLS)", iee305i("V")),
    # operands that are present but not understood (§2.1: IEE535I)
    ("S 1PAGENT", iee535i("START")),
    ("S PAGENTXYZ", iee535i("START")),
    ("S 'PAGENT'", iee535i("START")),
    ("S PAGENT.P2", iee535i("START")),
    ("S PAGENT,X", iee535i("START")),
    ("S PAGENT,PARM=A,PARM=B", iee535i("START")),
    ("S PAGENT,'PARM'=A", iee535i("START")),
    ("P PAGENT,A=3C", iee535i("STOP")),
    ("C PAGENT,DUMP", iee535i("CANCEL")),
    ("F PAGENT+,REFRESH", iee535i("MODIFY")),
    ("D FOO", iee535i("DISPLAY")),
    ("D 'TCPIP'", iee535i("DISPLAY")),
    ("D TCPIP,TOOLONGNAME,N,TTLS", iee535i("DISPLAY")),
    ("D TCPIP,,NETSTA,TTLS", iee535i("DISPLAY")),
    ("D TCPIP,,N,ALLCONN", iee535i("DISPLAY")),
    ("D TCPIP,,N,CONFIG,DETAIL", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,DETAIL", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,GROUP,DETAIL", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,CONN,XYZ", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,CONN,123456789", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,CONN,1E0C,DETAIL,X", iee535i("DISPLAY")),
    ("D TCPIP,,N,TTLS,CONN,1E0C,SHORT", iee535i("DISPLAY")),
    ("V NET,ACT,ID=X", iee535i("VARY")),
    ("V TCPIP,,SYNTAXCHECK,SYS1.TCPPARMS(TTLS)", iee535i("VARY")),
    ("V TCPIP,,'OBEY',SYS1.TCPPARMS(TTLS)", iee535i("VARY")),
    ("V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS),X", iee535i("VARY")),
    ("V TCPIP,,OBEY,../../etc/passwd", iee535i("VARY")),
    ("V TCPIP,,OBEY,SYS1.TCPPARMS(TOOLONGMEMBER)", iee535i("VARY")),
    ("V TCPIP,,OBEY,SYS1.TOOLONGQUAL.X", iee535i("VARY")),
    ("V TCPIP,,OBEY,1SYS.X", iee535i("VARY")),
    ("V TCPIP,,OBEY,AAAAAAAA.BBBBBBBB.CCCCCCCC.DDDDDDDD.EEEEEEEE.F", iee535i("VARY")),
    ("V TCPIP,,OBEY,DSN=", iee535i("VARY")),
    ("HELP XYZ", iee535i("HELP")),
    ("HELP D,V", iee535i("HELP")),
    # PAGENT's own rejection of a MODIFY (§2.4; EZZ8444I is invented)
    ("F PAGENT,FOO", EZZ8444I),
    ("F PAGENT,'REFRESH'", EZZ8444I),
    ("F PAGENT,REFRESH,NOW", EZZ8444I),
    ("F PAGENT,QUERY,LEVEL=1", EZZ8444I),
    ("F PAGENT,MEMTRC", EZZ8444I),
    ("F PAGENT,MON,DISPLAY", EZZ8444I),
    ("F PAGENT,LEVEL=5", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=X", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=-1", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=+1", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=1.5", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=٣", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=2147483648", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=12345678901", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LVL=5", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL", EZZ8444I),
    ("F PAGENT,LOGLEVEL,LEVEL=5,LEVEL=6", EZZ8444I),
]


@pytest.mark.parametrize(("line", "lines"), INVALID, ids=[repr(line) for line, _ in INVALID])
def test_invalid_line_gets_its_exact_response(line, lines):
    assert rejected(line).lines == lines


def test_an_mvs_rejection_needs_no_active_task():
    assert rejected("F PAGENT").rejected_by is None


def test_pagent_modify_rejection_is_pagents_answer():
    """MVS delivers F PAGENT,... only to an active PAGENT; otherwise IEE341I answers."""
    assert rejected("F PAGENT,FOO").rejected_by == "PAGENT"


def test_blank_line_is_no_command_and_no_response():
    assert parse("   ") == CommandError(text="", lines=())


def test_rejection_keeps_the_text_as_typed():
    assert rejected("  dx tcpip ").text == "dx tcpip"


def test_long_unknown_verb_is_shown_whole():
    assert rejected("DISPLAYALL X").lines == ("IEE305I DISPLAYALL COMMAND INVALID",)


# --- the result objects -------------------------------------------------------------------


@pytest.mark.parametrize("line", ["S PAGENT", "F PAGENT,QUERY", "D TCPIP", "HELP"])
def test_commands_are_frozen(line):
    command = parsed(line)
    with pytest.raises(FrozenInstanceError):
        command.text = "X"  # type: ignore[misc]


def test_command_error_is_frozen():
    with pytest.raises(FrozenInstanceError):
        rejected("X").lines = ()  # type: ignore[misc]


def test_commands_are_hashable():
    assert len({parsed("S PAGENT,PARM=A"), parsed("S PAGENT,PARM=A")}) == 1


# --- vocabulary and completion ------------------------------------------------------------


def test_verbs_map_every_spelling_to_the_full_name():
    assert VERBS["S"] == VERBS["START"] == "START"
    assert VERBS["F"] == "MODIFY"
    assert VERBS["H"] == "HELP"
    assert set(VERBS.values()) == set(ABBREVIATIONS)


def test_every_targeted_verb_completes_its_targets():
    for verb, targets in TARGETS.items():
        assert KEYWORDS_AFTER[(verb,)] == targets


def test_pagent_modify_completes_every_action():
    assert KEYWORDS_AFTER[("MODIFY", "PAGENT")] == MODIFY_ACTIONS


_SAMPLES = {
    STACK: "",
    CONN_ID: "1E0C",
    DATASET: "SYS1.TCPPARMS(TTLS)",
    "LEVEL=": "LEVEL=1",
    "DSN=": "DSN=SYS1.TCPPARMS(TTLS)",
}


def _line(words: tuple[str, ...]) -> str:
    """A command line from a completion path, placeholders filled with sample values."""
    filled = [_SAMPLES.get(word, word) for word in words]
    return f"{filled[0]} {','.join(filled[1:])}".rstrip()


@pytest.mark.parametrize(
    ("key", "word"),
    [(key, word) for key, words in KEYWORDS_AFTER.items() for word in words],
    ids=lambda value: ",".join(value) if isinstance(value, tuple) else value,
)
def test_every_offered_word_leads_to_a_command_or_further_completion(key, word):
    """Filled in, each word offered either completes a valid command or can be continued."""
    line = _line((*key, word))
    continued = completion_key(line + (" " if not key else ","))
    assert not isinstance(parse(line), CommandError) or continued is not None, line


@pytest.mark.parametrize(
    ("before_cursor", "key"),
    [
        ("", ()),
        ("  di", ()),
        ("d ", ("DISPLAY",)),
        ("f pag", ("MODIFY",)),
        ("f pagent,", ("MODIFY", "PAGENT")),
        ("f pagent,loglevel,le", ("MODIFY", "PAGENT", "LOGLEVEL")),
        ("d tcpip,", ("DISPLAY", "TCPIP")),
        ("d tcpip,,", ("DISPLAY", "TCPIP", STACK)),
        ("D TCPIP,TCPIP1,", ("DISPLAY", "TCPIP", STACK)),
        ("d tcpip,,n,", ("DISPLAY", "TCPIP", STACK, "NETSTAT")),
        ("d tcpip,,netstat,ttls,", ("DISPLAY", "TCPIP", STACK, "NETSTAT", "TTLS")),
        (
            "d tcpip,,n,ttls,conn,1e0c,",
            ("DISPLAY", "TCPIP", STACK, "NETSTAT", "TTLS", "CONN", CONN_ID),
        ),
        ("v tcpip,,obeyfile,", ("VARY", "TCPIP", STACK, "OBEY")),
        ("v tcpip,,o,'sys1.", ("VARY", "TCPIP", STACK, "OBEY")),
        ("help ", ("HELP",)),
    ],
)
def test_completion_key_of_a_typed_prefix(before_cursor, key):
    assert completion_key(before_cursor) == key
    assert key in KEYWORDS_AFTER


@pytest.mark.parametrize(
    "before_cursor",
    [
        "xyz ",  # unknown verb
        "d foo,",  # unknown target
        "d tcpip,,n,config,",  # nothing follows CONFIG
        "v tcpip,,o,a.b,",  # nothing follows the data set
        "d tcpip ",  # in the comment
        "f pagent,refresh,",  # nothing follows REFRESH
    ],
)
def test_completion_key_is_none_where_nothing_follows(before_cursor):
    assert completion_key(before_cursor) is None


# --- robustness ---------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(line):
    result = parse(line)
    assert isinstance(result, (CommandError, *COMMAND_TYPES))
    assert isinstance(result.echo(), str)
    if isinstance(result, CommandError):
        assert all(isinstance(text, str) and "\n" not in text for text in result.lines)


_WORDS = st.sampled_from(
    ["S", "P", "F", "D", "V", "C", "H", "PAGENT", "TCPIP", "N", "TTLS", "CONN", "LEVEL=", "'", ""]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_WORDS, max_size=8), st.sampled_from([" ", ",", "", "(", ")"]))
def test_parse_never_raises_on_near_commands(words, separator):
    """Lines built from the vocabulary reach deeper into the parser than random text."""
    line = words[0] + " " + separator.join(words[1:]) if words else ""
    assert isinstance(parse(line), (CommandError, *COMMAND_TYPES))


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_completion_key_never_raises(before_cursor):
    key = completion_key(before_cursor)
    assert key is None or key in KEYWORDS_AFTER
