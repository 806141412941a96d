"""The message catalogue: every ID formats, and the captured lines come out byte for byte.

Expected lines are copied from the seed workshop (shared/seed/zcee-security-mvs-batch-workshop.txt,
its PDF-mangled IDs such as EZZ03161 read as EZZ0316I) and from the reference
(shared/reference/pagent-ops.md). The workshop's PDF extraction collapsed runs of blanks, so
where the catalogue follows IBM's column layout the workshop line is compared after collapsing
blanks, and the IBM layout byte for byte (see the module's Fidelity notes).
"""

from __future__ import annotations

import inspect
import re
import string
from dataclasses import FrozenInstanceError

import pytest

from pagent import messages
from pagent.messages import (
    CATALOGUE,
    LOCAL_NAMESPACES,
    TAGS,
    Message,
    MessageFieldError,
    format_lines,
    format_message,
    format_text,
    get_message,
)


def collapse(line: str) -> str:
    """The line as the workshop's PDF extraction shows it: runs of blanks made one."""
    return " ".join(line.split())


def sample_value(spec: str) -> object:
    """A value that fits a format spec: ints for numeric codes, floats for 'f', else text."""
    if spec and spec[-1] in "dXx":
        return 7
    if spec and spec[-1] == "f":
        return 1.5
    return "VALUE"


def sample_fields(message: Message) -> dict[str, object]:
    """Values for every field of a message."""
    values: dict[str, object] = {}
    for raw in message.text.split("\n"):
        for _literal, name, spec, _conversion in string.Formatter().parse(raw):
            if name is not None:
                values[name] = sample_value(spec or "")
    for name in message.line_fields:
        values[name] = ["line one", "line two"]
    return values


# --- the catalogue itself ----------------------------------------------------------------


@pytest.mark.parametrize("msg_id", sorted(CATALOGUE))
def test_every_id_formats(msg_id):
    """Every entry formats with values for its fields; real IDs come first, local ones never."""
    message = CATALOGUE[msg_id]
    text = format_message(msg_id, **sample_fields(message))

    assert text
    assert text.startswith(f"{msg_id} ") == message.shows_id
    assert "{" not in text
    assert all(line == line.rstrip() for line in text.split("\n"))


def test_ids_are_unique():
    """No ID is defined twice, and building a catalogue with a duplicate fails."""
    ids = [m.id for m in messages._ENTRIES]
    assert len(ids) == len(set(ids)) == len(CATALOGUE)
    assert all(CATALOGUE[m.id] is m for m in messages._ENTRIES)
    with pytest.raises(ValueError, match="defined twice"):
        messages._build([CATALOGUE["EZZ8431I"], CATALOGUE["EZZ8431I"]])


@pytest.mark.parametrize("message", CATALOGUE.values(), ids=lambda m: m.id)
def test_severity_matches_the_id(message):
    """A real ID ending in a letter has that letter as its severity."""
    assert message.severity in {"I", "W", "E", "A", "D"}
    if message.shows_id and message.id[-1].isalpha():
        assert message.severity == message.id[-1]
    else:  # pagent's own IDs, and the letterless $HASP and FSUM families
        assert message.id.startswith((*LOCAL_NAMESPACES, "$HASP", "FSUM"))


@pytest.mark.parametrize("message", CATALOGUE.values(), ids=lambda m: m.id)
def test_ids_are_well_formed(message):
    """Real IDs look like z/OS message IDs; local IDs sit in a dotted namespace."""
    if message.shows_id:
        assert re.fullmatch(
            r"(EZ[ADZ][A-Z0-9]{5}|IE[EF]\d{3}I|IGD\d{3}I|BPXF\d{3}I)", message.id
        ) or (re.fullmatch(r"\$HASP\d{3}|FSUM\d{4}", message.id))
    else:
        assert re.fullmatch(r"[A-Z]+(\.[A-Z0-9_]+)+", message.id)


@pytest.mark.parametrize("message", CATALOGUE.values(), ids=lambda m: m.id)
def test_source_carries_a_tag_and_section(message):
    """Each source is a confidence tag followed by the reference section."""
    assert message.tag in TAGS
    assert "§" in message.source


def test_every_unverified_text_is_in_the_fidelity_notes():
    """Each entry whose source says UNV is named in the Fidelity notes comment block."""
    source = inspect.getsource(messages)
    notes = source[source.index("# Fidelity notes") : source.index("Severity = Literal")]
    unverified = [m.id for m in CATALOGUE.values() if "UNV" in m.source]

    assert unverified
    assert [msg_id for msg_id in unverified if msg_id not in notes] == []


def test_the_catalogue_is_read_only():
    """Neither the mapping nor its entries can be changed."""
    with pytest.raises(TypeError):
        CATALOGUE["EZZ8431I"] = CATALOGUE["EZZ8432I"]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        CATALOGUE["EZZ8431I"].text = "X"  # type: ignore[misc]


def test_message_fields_and_multiline_follow_the_text():
    """The dataclass records fields in order of first use and the multiline flag."""
    message = CATALOGUE["EZD1287I"]
    assert message.multiline
    assert message.fields == (
        "rc",
        "event",
        "local_ip",
        "local_port",
        "remote_ip",
        "remote_port",
        "jobname",
        "rule",
        "userid",
        "grpid",
        "envid",
        "connid",
    )
    assert not CATALOGUE["EZZ8771I"].multiline
    assert CATALOGUE["EZZ8771I"].fields == ("image", "type")
    assert CATALOGUE["EZAOP50I"].line_fields == ("stacks",)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fields": ("image",)}, "do not match"),
        ({"severity": "W"}, "letter"),
        ({"multiline": True}, "multiline"),
        ({"source": "maybe §3"}, "tag"),
    ],
)
def test_an_inconsistent_message_is_refused(kwargs, match):
    """A hand-built Message must agree with its own ID and text."""
    base = {
        "id": "EZZ8771I",
        "text": "PAGENT CONFIG POLICY PROCESSING COMPLETE FOR {image} : {type}",
        "severity": "I",
        "source": "DOC §3",
        "multiline": False,
        "fields": ("image", "type"),
    }
    with pytest.raises(ValueError, match=match):
        Message(**(base | kwargs))


@pytest.mark.parametrize("text", ["{0}", "{}", "{a.b}", "{a[0]}", "{a!r}", "{number}"])
def test_templates_take_plain_names_only(text):
    """Positional, attribute, index, conversion and reserved fields are refused."""
    with pytest.raises(ValueError, match="field"):
        messages._message("PAGENT.LOG.TEST", text, "UNV §0")


def test_a_letterless_id_must_state_its_severity():
    """$HASP and FSUM IDs have no severity letter, so the entry must give one."""
    with pytest.raises(ValueError, match="severity"):
        messages._message("FSUM9999", "TEXT", "UNV §0")


# --- errors ------------------------------------------------------------------------------


def test_unknown_id_raises_key_error():
    """An ID that is not in the catalogue is a KeyError naming it."""
    with pytest.raises(KeyError, match="EZZ9999I"):
        format_message("EZZ9999I")
    with pytest.raises(KeyError):
        format_lines("ezz8431i")
    with pytest.raises(KeyError):
        get_message("")


def test_missing_field_raises():
    """A field the text needs and the caller did not give is named in the error."""
    with pytest.raises(MessageFieldError, match=r"missing field\(s\) type"):
        format_message("EZZ8771I", image="TCPIP1")
    with pytest.raises(TypeError):  # MessageFieldError is a TypeError, like a bad call
        format_message("EZD1586I")


def test_extra_field_raises():
    """A field the text does not use is refused, not silently dropped."""
    with pytest.raises(MessageFieldError, match=r"unexpected field\(s\) stack"):
        format_message("EZD1586I", image="TCPIP1", stack="TCPIP1")
    with pytest.raises(MessageFieldError, match="unexpected"):
        format_message("EZZ8431I", number=5)


def test_value_that_does_not_fit_its_format_raises():
    """A hex ID given as text, or a bool for a number, is a clear field error."""
    fields = {"grpid": "00000001", "envid": 1, "connid": 1, "rc": 0, "event": "E", "data": ""}
    with pytest.raises(MessageFieldError, match=r"'grpid'.*'08X'"):
        format_message("EZD1283I", **fields)
    with pytest.raises(MessageFieldError, match="bool"):
        format_message("$HASP395", jobname="PAGENT", rc=True)


def test_line_breaks_cannot_be_smuggled_into_a_line():
    """A value with a line break would forge a second console line, so it is refused."""
    with pytest.raises(MessageFieldError, match="line break"):
        format_message("IEE341I", jobname="PAGENT\nIEE341I FAKE")


def test_lines_field_takes_a_sequence_of_one_line_strings():
    """A lines field refuses a plain string and multi-line items."""
    with pytest.raises(MessageFieldError, match="sequence"):
        format_lines("EZAOP50I", stacks="    1   TCPIP1")
    with pytest.raises(MessageFieldError, match="one-line"):
        format_lines("EZAOP50I", stacks=["a\nb"])


def test_number_belongs_to_multiline_messages_only():
    """Only an MLWTO carries a console number, and it has 0 to 9999."""
    with pytest.raises(ValueError, match="single-line"):
        format_lines("EZZ8431I", number=5)
    with pytest.raises(ValueError, match=r"0\.\.9999"):
        format_lines("EZAOP50I", number=10000, stacks=[])
    with pytest.raises(TypeError):
        format_lines("EZAOP50I", number="007", stacks=[])  # type: ignore[arg-type]


# --- the workshop, byte for byte ---------------------------------------------------------

VARY_OBEY = [
    "EZZ0060I PROCESSING COMMAND: VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
    "EZZ0300I OPENED OBEYFILE FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0309I PROFILE PROCESSING BEGINNING FOR 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0316I PROFILE PROCESSING COMPLETE FOR FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY",
]

PAGENT_START_END = [
    "EZD1579I PAGENT POLICIES ARE NOT ENABLED FOR TCPIP1 : TTLS",
    "EZZ8771I PAGENT CONFIG POLICY PROCESSING COMPLETE FOR TCPIP1 : QOS",
    "EZZ8771I PAGENT CONFIG POLICY PROCESSING COMPLETE FOR TCPIP1 : TTLS",
    "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1",
    "Finished main config file update",
]

STEP14_EZD1281I = (
    "EZD1281I TTLS Map CONNID: 00001E0C LOCAL: 192.168.17.201..7419 REMOTE: "
    "192.168.17.201..9443 JOBNAME: USER1GET USERID: USER1 TYPE: OutBound STATUS: Enabled "
    "RULE: zCEEClientRule~1 ACTIONS: gAct1~zCEEClient eAct1~zCEEClient cAct1~zCEEClient"
)
STEP14_EZD1283I = (
    "EZD1283I TTLS Event GRPID: 00000001 ENVID: 00000001 CONNID: 00001E0C RC: 0 Initial "
    "Handshake 00000050115258D0 0000005011522750 TLSV1.2 F0F0F3F5"
)

D_TCPIP_WORKSHOP = [
    "EZAOP50I TCPIP STATUS REPORT 007",
    "COUNT TCPIP NAME VERSION STATUS",
    "1 TCPIP1 CS V2R3 ACTIVE",
    "*** END TCPIP STATUS REPORT ***",
    "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY",
]


def step14_map() -> str:
    return format_message(
        "EZD1281I",
        connid=0x1E0C,
        local_ip="192.168.17.201",
        local_port=7419,
        remote_ip="192.168.17.201",
        remote_port=9443,
        jobname="USER1GET",
        userid="USER1",
        type="OutBound",
        status="Enabled",
        rule="zCEEClientRule~1",
        group_action="gAct1~zCEEClient",
        environment_action="eAct1~zCEEClient",
        connection_action="cAct1~zCEEClient",
    )


def step14_event() -> str:
    return format_message(
        "EZD1283I",
        grpid=1,
        envid=1,
        connid=0x1E0C,
        rc=0,
        event="Initial Handshake",
        data="00000050115258D0 0000005011522750 TLSV1.2 F0F0F3F5",
    )


def d_tcpip(number: int, stacks: list[tuple[str, str]]) -> list[str]:
    rows = [
        format_message(
            "DISPLAY.TCPIP.STACK", count=i, tcpipname=name, release=release, status="ACTIVE"
        )
        for i, (name, release) in enumerate(stacks, 1)
    ]
    return [*format_lines("EZAOP50I", number=number, stacks=rows), format_message("EZAOP41I")]


def test_vary_obey_sequence():
    """V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS) answers with the workshop's five lines."""
    dsn = "'SYS1.TCPPARMS(TTLS)'"
    lines = [
        format_message("EZZ0060I", command="VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)"),
        format_message("EZZ0300I", ftype="OBEYFILE", file=dsn),
        format_message("EZZ0309I", file=dsn),
        format_message("EZZ0316I", file=dsn),
        format_message("EZZ0053I", command="VARY OBEY"),
    ]

    assert lines == VARY_OBEY


def test_pagent_start_ends_with_the_workshop_lines():
    """The end of PAGENT's start in syslogd (workshop step 7)."""
    lines = [
        format_message("EZD1579I", image="TCPIP1", type="TTLS"),
        format_message("EZZ8771I", image="TCPIP1", type="QOS"),
        format_message("EZZ8771I", image="TCPIP1", type="TTLS"),
        format_message("EZD1586I", image="TCPIP1"),
        format_message("PAGENT.LOG.MAIN_CONFIG_UPDATED"),
    ]

    assert lines == PAGENT_START_END


def test_pagent_start_log_lines():
    """The main: lines of workshop step 5; the log writer puts main: before EZZ8431I."""
    exports = [
        ("_CEE_ENVFILE_S", "DD:STDENV"),
        ("LIBPATH", "/usr/lib:."),
        ("PAGENT_CONFIG_FILE", "/etc/pagent.conf"),
        ("PAGENT_LOG_FILE", "SYSLOGD"),
        ("TZ", "EST5EDT"),
        ("GSK_TRACE", "0xFFFF"),
    ]
    lines = [
        "main: " + format_message("EZZ8431I"),
        format_message("PAGENT.LOG.MAIN.COMPILED", date="Sep 26 2016", time="18:37:59"),
        format_message(
            "PAGENT.LOG.MAIN.USE_ENVIRONMENT",
            variable="PAGENT_CONFIG_FILE",
            value="/etc/pagent.conf",
        ),
        format_message("PAGENT.LOG.MAIN.LIST_ENVIRONMENT"),
        *(format_message("PAGENT.LOG.MAIN.EXPORT", variable=n, value=v) for n, v in exports),
        format_message("PAGENT.LOG.MAIN.CODE_PAGE", codepage="IBM-1047"),
        format_message("PAGENT.LOG.MAIN.LOG_LEVEL", level=511),
    ]

    assert lines == [
        "main: EZZ8431I PAGENT STARTING",
        "main: Compiled on Sep 26 2016 at 18:37:59",
        "main: Use environment PAGENT_CONFIG_FILE = '/etc/pagent.conf'",
        "main: List all environment variables:",
        "main: EXPORT '_CEE_ENVFILE_S=DD:STDENV'",
        "main: EXPORT 'LIBPATH=/usr/lib:.'",
        "main: EXPORT 'PAGENT_CONFIG_FILE=/etc/pagent.conf'",
        "main: EXPORT 'PAGENT_LOG_FILE=SYSLOGD'",
        "main: EXPORT 'TZ=EST5EDT'",
        "main: EXPORT 'GSK_TRACE=0xFFFF'",
        "main: using code page 'IBM-1047'",
        "main: Using log level 511",
    ]


def test_pagent_policy_log_lines():
    """Workshop step 6: the image TTLS file, one Processing line per statement, the actions."""
    path = "/etc/cfgasst/v2r3/WG31/TCPIP1.ttls.policy"
    statements = [
        ("TTLSRule", "zCEEClientRule~1"),
        ("TTLSGroupAction", "gAct1~zCEEClient"),
        ("TTLSEnvironmentAction", "eAct1~zCEEClient"),
        ("TTLSConnectionAction", "cAct1~zCEEClient"),
        ("TTLSConnectionAdvancedParms", "cAdv1~zCEEClient"),
        ("TTLSKeyringParms", "keyR~WG31"),
        ("IpAddrSet", "addr1"),
        ("PortRange", "portR1"),
        ("PortRange", "portR2"),
    ]
    processing = [
        format_message("PAGENT.LOG.POLICY.STATEMENT", statement=s, name=n) for s, n in statements
    ]
    others = [
        format_message("PAGENT.LOG.PROFILE.TTLS_BEGIN", path=path),
        format_message("PAGENT.LOG.PROFILE.TTLS_END"),
        format_message("PAGENT.LOG.TTLS.GROUP_ACTION", name="gAct1~zCEEClient"),
        format_message("PAGENT.LOG.TTLS.CONNECTION_ACTION", name="cAct1~zCEEClient"),
        format_message("PAGENT.LOG.TTLS.ENVIRONMENT_ACTION", name="eAct1~zCEEClient"),
        format_message("PAGENT.LOG.TTLS.RULE", name="zCEEClientRule~1"),
    ]

    assert [collapse(line) for line in processing] == [
        f"Processing: '{s} {n}'" for s, n in statements
    ]
    assert processing[0] == "Processing: 'TTLSRule                         zCEEClientRule~1'"
    assert others == [
        f"_profile: Processing Image TTLS config file: '{path}'",
        "_profile: Finished processing Image TTLS config file",
        "Processing TTLS Group action 'gAct1~zCEEClient'",
        "Processing TTLS Connection action 'cAct1~zCEEClient'",
        "Processing TTLS Environment action 'eAct1~zCEEClient'",
        "Processing TTLS rule 'zCEEClientRule~1'",
    ]


def test_step14_ezd1281i():
    """The map message of workshop step 14: the workshop's words, IBM's alignment."""
    line = step14_map()

    assert collapse(line) == STEP14_EZD1281I
    assert line.startswith("EZD1281I TTLS Map   CONNID: 00001E0C LOCAL: 192.168.17.201..7419 ")
    assert line == STEP14_EZD1281I.replace("TTLS Map CONNID", "TTLS Map   CONNID")


def test_step14_ezd1283i():
    """The handshake event of workshop step 14, with the return code right-justified."""
    line = step14_event()

    assert collapse(line) == STEP14_EZD1283I
    assert line == STEP14_EZD1283I.replace("RC: 0 ", "RC:    0 ")


def test_event_without_additional_data_has_no_trailing_blank():
    """An empty last field leaves no blank at the end of the line."""
    line = format_message(
        "EZD1283I", grpid=1, envid=1, connid=1, rc=0, event="Connection Close", data=""
    )

    assert line.endswith("RC:    0 Connection Close")


def test_d_tcpip_block():
    """D TCPIP: the workshop's block (compared as the PDF shows it) in IBM's layout."""
    lines = d_tcpip(7, [("TCPIP1", "V2R3")])

    assert lines[0] == D_TCPIP_WORKSHOP[0]
    assert lines[-1] == D_TCPIP_WORKSHOP[-1]
    assert [collapse(line) for line in lines if not line.lstrip().startswith("---")] == (
        D_TCPIP_WORKSHOP
    )
    assert lines == [
        "EZAOP50I TCPIP STATUS REPORT 007",
        " COUNT  TCPIP NAME  VERSION   STATUS",
        " -----  ----------  --------  --------------------------------",
        "    1   TCPIP1      CS V2R3   ACTIVE",
        " *** END TCPIP STATUS REPORT ***",
        "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY",
    ]


def test_d_tcpip_ibm_example():
    """IBM's own D TCPIP example (reference §4.1), z/OS V1R9."""
    assert d_tcpip(355, [("TCPCS", "V1R9")]) == [
        "EZAOP50I TCPIP STATUS REPORT 355",
        " COUNT  TCPIP NAME  VERSION   STATUS",
        " -----  ----------  --------  --------------------------------",
        "    1   TCPCS       CS V1R9   ACTIVE",
        " *** END TCPIP STATUS REPORT ***",
        "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY",
    ]


def test_workshop_literals_are_in_the_workshop(workshop: str):
    """The expected lines above are the workshop's, read with its final '1' as 'I'."""
    seed = re.sub(r"\b(EZ[ADZ][A-Z0-9]{4})1\b", r"\1I", workshop)
    expected = [*VARY_OBEY, *PAGENT_START_END, STEP14_EZD1281I, STEP14_EZD1283I]
    expected += D_TCPIP_WORKSHOP

    assert [line for line in expected if line not in seed] == []


# --- other captured and documented lines -------------------------------------------------


def test_ezd1287i_operlog_capture():
    """The Zowe OPERLOG capture of EZD1287I (reference §5.3): OPERLOG adds the first blank."""
    common = {
        "event": "Initial Handshake",
        "local_ip": "::FFFF:000.000.000.002",
        "local_port": 3973,
        "remote_ip": "::FFFF:000.000.000.003",
        "remote_port": 8803,
        "jobname": "P00SVR00",
        "rule": "DDSClientRule",
        "userid": "IZUSVR0",
        "grpid": 3,
        "envid": 1,
        "connid": 0x1EEF1,
    }
    records = [format_message("EZD1287I", rc=rc, **common).split("\n") for rc in (5004, 406)]
    operlog = [" " + lines[0] + "\n" + "\n".join(lines[1:]) for lines in records]

    assert operlog == [
        " EZD1287I TTLS Error RC: 5004 Initial Handshake\n"
        "   LOCAL: ::FFFF:000.000.000.002..3973\n"
        "   REMOTE: ::FFFF:000.000.000.003..8803\n"
        "   JOBNAME: P00SVR00 RULE: DDSClientRule\n"
        "   USERID: IZUSVR0 GRPID: 00000003 ENVID: 00000001 CONNID: 0001EEF1",
        " EZD1287I TTLS Error RC:  406 Initial Handshake\n"
        "   LOCAL: ::FFFF:000.000.000.002..3973\n"
        "   REMOTE: ::FFFF:000.000.000.003..8803\n"
        "   JOBNAME: P00SVR00 RULE: DDSClientRule\n"
        "   USERID: IZUSVR0 GRPID: 00000003 ENVID: 00000001 CONNID: 0001EEF1",
    ]


def test_ezd1287i_on_the_console_carries_the_number():
    """On the console the MLWTO number follows line 1 (APAR PM36877)."""
    lines = format_lines(
        "EZD1287I",
        number=218,
        rc=5002,
        event="Initial Handshake",
        local_ip="10.123.123.123",
        local_port=3022,
        remote_ip="10.456.456.456",
        remote_port=1555,
        jobname="CICSTEST",
        rule="CicsAtm2Cbiq",
        userid="CICSTEST",
        grpid=1,
        envid=9,
        connid=0x23022,
    )

    assert lines[0] == "EZD1287I TTLS Error RC: 5002 Initial Handshake 218"
    assert len(lines) == 5


def test_netstat_ttls_group_report():
    """D TCPIP,,N,TTLS as the vendor capture shows it (reference §4.2)."""
    report = [
        format_message("DISPLAY.NETSTAT.TTLS.HEADING"),
        format_message("DISPLAY.NETSTAT.TTLS.GROUP", group="VIRTELGROUP", groupid=2, conns=0),
        format_message("DISPLAY.NETSTAT.RECORDS", shown=1, total=1),
        format_message("DISPLAY.NETSTAT.END"),
    ]

    assert format_lines(
        "EZD0101I", number=378, release="V1R12", tcpipname="TCPIP", report=report
    ) == [
        "EZD0101I NETSTAT CS V1R12 TCPIP 378",
        "TTLSGRPACTION     GROUP ID  CONNS",
        "VIRTELGROUP       00000002      0",
        "1 OF 1 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


def test_netstat_config_tcp_table():
    """The TCP Configuration Table of Netstat CONFIG (reference §4.3)."""
    lines = [
        format_message("EZZ2350I", release="V2R2", tcpipname="TCPCS", time="11:37:31"),
        format_message("DISPLAY.NETSTAT.CONFIG.TCP_HEADING"),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_BUFFERS",
            default_rcv_buf_size=16384,
            default_snd_buf_size=16384,
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_MAXBUF", deflt_max_rcv_buf_size=262144, so_max_conn=1024
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_RETRANSMIT",
            max_retransmit_time=120.0,
            min_retransmit_time=0.5,
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_GAIN", round_trip_gain=0.125, variance_gain=0.25
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_VARIANCE", variance_multiplier=2.0, max_seg_life_time=30.0
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_KEEPALIVE", default_keepalive=120, delay_ack="Yes"
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_LOWPORT", restrict_low_port="Yes", send_garbage="No"
        ),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_TIMESTAMP", tcp_timestamp="Yes", fin_wait2_time=10
        ),
        format_message("DISPLAY.NETSTAT.CONFIG.TCP_TTLS", ttls="No", ephemeral_ports="1024-65535"),
        format_message(
            "DISPLAY.NETSTAT.CONFIG.TCP_SACK", selective_ack="Yes", time_wait_interval=30
        ),
    ]

    assert (
        lines[0] == "EZZ2350I MVS TCP/IP NETSTAT CS V2R2       TCPIP Name: TCPCS           11:37:31"
    )
    assert lines[1:] == [
        "TCP Configuration Table:",
        "DefaultRcvBufSize:  00016384  DefaultSndBufSize: 00016384",
        "DefltMaxRcvBufSize: 00262144  SoMaxConn:         0000001024",
        "MaxReTransmitTime:  120.000   MinReTransmitTime: 0.500",
        "RoundTripGain:      0.125     VarianceGain:      0.250",
        "VarianceMultiplier: 2.000     MaxSegLifeTime:    30.000",
        "DefaultKeepALive:   00000120  DelayAck:          Yes",
        "RestrictLowPort:    Yes       SendGarbage:       No",
        "TcpTimeStamp:       Yes       FinWait2Time:      010",
        "TTLS:               No        EphemeralPorts:    1024-65535",
        "SelectiveACK:       Yes       TimeWaitInterval:  30",
    ]


def test_tso_netstat_lines():
    """The TSO NETSTAT capture with message IDs (reference §4.2), and without them."""
    header = {"release": "V2R4", "tcpipname": "TCPIP", "time": "16:40:39"}

    assert format_message("EZZ2350I", **header) == (
        "EZZ2350I MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: TCPIP           16:40:39"
    )
    assert format_text("EZZ2350I", **header) == (
        "MVS TCP/IP NETSTAT CS V2R4       TCPIP Name: TCPIP           16:40:39"
    )
    assert format_message("EZZ2550I", client_name="CSQ9CHIN", client_id="000000BB") == (
        "EZZ2550I Client Name: CSQ9CHIN                 Client Id: 000000BB"
    )
    assert format_message(
        "EZZ2551I", local_socket="10.1.1.2..1414", foreign_socket="10.1.0.2..51844"
    ) == ("EZZ2551I Local Socket: 10.1.1.2..1414          Foreign Socket: 10.1.0.2..51844")


@pytest.mark.parametrize(
    ("msg_id", "fields", "expected"),
    [
        ("EZZ8431I", {}, "EZZ8431I PAGENT STARTING"),
        ("EZZ8432I", {}, "EZZ8432I PAGENT INITIALIZATION COMPLETE"),
        ("EZZ8434I", {}, "EZZ8434I PAGENT EXITING ABNORMALLY"),
        (
            "EZZ8438I",
            {"image": "TCPIP1", "type": "TTLS"},
            "EZZ8438I PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR TCPIP1 : TTLS",
        ),
        (
            "EZZ8774I",
            {"image": "INET", "type": "QOS"},
            "EZZ8774I PAGENT POLICIES NOT PURGED FOR INET : QOS",
        ),
        (
            "EZZ8773I",
            {"image": "TCPIP1", "type": "TTLS"},
            "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : TTLS",
        ),
        (
            "EZD1586I",
            {"image": "TCPIP"},
            "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP",
        ),
        ("EZD1580I", {"application": "TCPIP1/TRMD"}, "EZD1580I PAGENT IS RESTARTING TCPIP1/TRMD"),
        (
            "EZZ4249I",
            {"jobname": "TCPIP"},
            "EZZ4249I TCPIP INSTALLED TTLS POLICY HAS NO RULES",
        ),
        ("EZZ4248E", {"jobname": "TCPIP1"}, "EZZ4248E TCPIP1 WAITING FOR PAGENT TTLS POLICY"),
        ("EZZ4250I", {"tcpname": "TCPIP1"}, "EZZ4250I AT-TLS SERVICES ARE AVAILABLE FOR TCPIP1"),
        (
            "EZZ0300I",
            {"ftype": "INCLUDE", "file": "'ADCD.Z25B.TCPPARMS(ZCONNECT)'"},
            "EZZ0300I OPENED INCLUDE FILE 'ADCD.Z25B.TCPPARMS(ZCONNECT)'",
        ),
        (
            "EZZ0300I",
            {"ftype": "PROFILE", "file": "DD:PROFILE"},
            "EZZ0300I OPENED PROFILE FILE DD:PROFILE",
        ),
        (
            "EZZ0309I",
            {"file": "DD:PROFILE"},
            "EZZ0309I PROFILE PROCESSING BEGINNING FOR DD:PROFILE",
        ),
        ("EZZ3250I", {}, "EZZ3250I THE MODIFY COMMAND IS NOT SUPPORTED."),
        ("IEE305I", {"verb": "$D"}, "IEE305I $D       COMMAND INVALID"),
        ("IEE305I", {"verb": "SET"}, "IEE305I SET      COMMAND INVALID"),
        ("IEE341I", {"jobname": "PAGENT"}, "IEE341I PAGENT NOT ACTIVE"),
        ("IEE341I", {"jobname": "HZSPROC"}, "IEE341I HZSPROC NOT ACTIVE"),
        ("IEE342I", {"verb": "MODIFY"}, "IEE342I MODIFY   REJECTED-TASK BUSY"),
        ("IEE342I", {"verb": "STOP"}, "IEE342I STOP     REJECTED-TASK BUSY"),
        ("IEE535I", {"verb": "DISPLAY"}, "IEE535I DISPLAY INVALID PARAMETER"),
        ("$HASP100", {"jobname": "PAGENT"}, "$HASP100 PAGENT   ON STCINRDR"),
        ("$HASP373", {"jobname": "PAGENT"}, "$HASP373 PAGENT   STARTED"),
        ("$HASP395", {"jobname": "PAGENT", "rc": 0}, "$HASP395 PAGENT   ENDED - RC=0000"),
        (
            "IEF403I",
            {"jobname": "PAGENT", "time": "13.36.36", "asid": 0x1F, "sysname": "SC53"},
            "IEF403I PAGENT - STARTED - TIME=13.36.36 - ASID=001F - SC53",
        ),
        (
            "IEF404I",
            {"jobname": "PAGENT", "time": "13.40.02", "asid": 0x1F, "sysname": "SC53"},
            "IEF404I PAGENT - ENDED - TIME=13.40.02 - ASID=001F - SC53",
        ),
        (
            "BPXF024I",
            {"userid": "BPXOINIT", "text": "Apr  8 16:29:37 CCCC TTLS[262]: 12:29:37"},
            "BPXF024I (BPXOINIT) Apr  8 16:29:37 CCCC TTLS[262]: 12:29:37",
        ),
        ("FSUM1254", {}, "FSUM1254 SYSLOGD MODIFY COMMAND ACCEPTED"),
        ("FSUM1252", {}, "FSUM1252 SYSLOGD RECONFIGURATION COMPLETE"),
        (
            "FSUM1253",
            {},
            "FSUM1253 SYSLOGD MODIFY COMMAND UNSUCCESSFUL - SYNTAX ERROR, UNKNOWN KEYWORD",
        ),
        ("PASEARCH.NO_POLICIES", {}, "No policies retrieved"),
        (
            "PAGENT.LOG.PROFILE.NO_STATEMENTS",
            {"path": "/etc/xxxx.conf"},
            "pinit_fetch_policy_profile: Image config file /etc/xxxx.conf does not contain any "
            "recognizable statements",
        ),
        (
            "PAGENT.LOG.SOCKET_OPEN_FAILED",
            {"errno_text": "Resource temporarily unavailable", "errno2": "74610296"},
            "socket could not open with errno= Resource temporarily unavailable., errno2=74610296",
        ),
    ],
)
def test_documented_and_observed_lines(msg_id, fields, expected):
    """Lines quoted in the reference come out exactly as quoted."""
    assert format_message(msg_id, **fields) == expected


def test_format_text_leaves_out_the_id():
    """format_text is the message text alone; pagent's own IDs never show anyway."""
    assert format_text("EZZ8431I") == "PAGENT STARTING"
    assert format_text("PASEARCH.NO_POLICIES") == format_message("PASEARCH.NO_POLICIES")


def test_multiline_message_without_number_for_records():
    """Without a number an MLWTO formats for syslogd or OPERLOG; format_message joins lines."""
    lines = format_lines("EZAOP50I", stacks=[])

    assert lines[0] == "EZAOP50I TCPIP STATUS REPORT"
    assert format_message("EZAOP50I", stacks=[]) == "\n".join(lines)
    assert format_lines("EZAOP50I", number=5, stacks=[])[0] == "EZAOP50I TCPIP STATUS REPORT 005"
    assert format_lines("EZAOP50I", number=1234, stacks=[])[0].endswith(" 1234")


def test_formatter_gives_what_format_message_gives():
    """The fast formatter of a message written many times equals format_message."""
    from pagent.messages import formatter

    for msg_id, fields in [
        ("PAGENT.LOG.POLICY.STATEMENT", {"statement": "TTLSRule", "name": "r1"}),
        ("EZD1586I", {"image": "TCPIP1"}),
        ("PAGENT.LOG.TTLS.RULE", {"name": "zCEEClientRule~1"}),
    ]:
        assert formatter(msg_id)(**fields) == format_message(msg_id, **fields)


def test_formatter_refuses_what_format_message_refuses():
    """Missing or extra fields and line breaks raise MessageFieldError, as format_message does."""
    from pagent.messages import MessageFieldError, formatter

    fast = formatter("PAGENT.LOG.POLICY.STATEMENT")
    with pytest.raises(MessageFieldError):
        fast(statement="TTLSRule")
    with pytest.raises(MessageFieldError):
        fast(statement="TTLSRule", name="a", extra=1)
    with pytest.raises(MessageFieldError):
        fast(statement="TTLSRule", name="a\nb")
