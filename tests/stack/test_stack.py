"""The TCP/IP stack: start, VARY OBEY, the TTLS switch, EZZ42xx, displays, rule mapping."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagent.agent import Output, PolicyAgent, StackPort
from pagent.policy.matching import Connection
from pagent.policy.policy import Policy, load_policy
from pagent.policy.source import SourceText, read_source
from pagent.stack import Stack, StackRow, TtlsState, display_tcpip, obey_dataset
from pagent.stack.connections import NO_POLICY, Endpoint

REPO = Path(__file__).resolve().parents[2]
SEED_POLICY = REPO / "etc" / "cfgasst" / "v2r3" / "WG31" / "TCPIP1" / "TTLS.policy"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

OBEY_TTLS = "VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)"
# The workshop's response to V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS) (pagent-ops.md §0.1).
WORKSHOP_OBEY = [
    "EZZ0060I PROCESSING COMMAND: VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)",
    "EZZ0300I OPENED OBEYFILE FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0309I PROFILE PROCESSING BEGINNING FOR 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0316I PROFILE PROCESSING COMPLETE FOR FILE 'SYS1.TCPPARMS(TTLS)'",
    "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY",
]
WAITING = ["EZZ4248E TCPIP1 WAITING FOR PAGENT TTLS POLICY"]
NO_RULES = ["EZZ4249I TCPIP1 INSTALLED TTLS POLICY HAS NO RULES"]
AVAILABLE = ["EZZ4250I AT-TLS SERVICES ARE AVAILABLE FOR TCPIP1"]

SEED_CONN = Connection(
    direction="outbound",
    local_ip="192.168.17.201",
    local_port=7419,
    remote_ip="192.168.17.201",
    remote_port=9443,
    jobname="USER1GET",
    userid="USER1",
)


@pytest.fixture(name="root")
def fixture_root(tmp_path: Path) -> Path:
    """A fresh copy of the embedded default root."""
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


class Rig:
    """A stack and the unsolicited messages it emitted."""

    def __init__(
        self, root: Path, *, profile: str | None = "SYS1.TCPPARMS(PROFILE)", name: str = "TCPIP1"
    ) -> None:
        self.emitted: list[list[str]] = []
        self.stack = Stack(
            name, root=root, profile=profile, clock=lambda: NOW, emit=self.emitted.append
        )

    def take(self) -> list[list[str]]:
        """The messages emitted since the last call."""
        out, self.emitted[:] = list(self.emitted), []
        return out

    def obey(self, member: str) -> list[str]:
        ok, lines = self.stack.obey(f"SYS1.TCPPARMS({member})", f"VARY TCPIP,,OBEY,{member}")
        assert ok
        return lines


def seed_policy() -> Policy:
    return load_policy([read_source(SEED_POLICY)])


def empty_policy() -> Policy:
    """A policy that installs but has no rule (EZZ4249I's case)."""
    policy = load_policy(
        [SourceText("empty.policy", "TTLSGroupAction g1\n{\n TTLSEnabled On\n}\n")]
    )
    assert policy.rules == ()
    assert not policy.rejected
    return policy


POLICIES: dict[str, Callable[[], Policy | None]] = {
    "none": lambda: None,
    "empty": empty_policy,
    "rules": seed_policy,
}


def collapse(line: str) -> str:
    return " ".join(line.split())


def workshop_block(workshop: str, first: str, last: str) -> list[str]:
    """Non-blank lines of the workshop from ``first`` to ``last``, IDs repaired (§0.1)."""
    lines = [line.strip() for line in workshop.splitlines()]
    lines = [line for line in lines if line]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(last))
    # PDF extraction reads a message ID's final I as 1 (EZZ00601 is EZZ0060I).
    return [re.sub(r"^(EZ[A-Z]{1,2}\w{4})1 ", r"\1I ", line) for line in lines[start : end + 1]]


# --- start --------------------------------------------------------------------------------
def test_start_with_the_embedded_profile_is_nottls(root):
    rig = Rig(root)
    assert rig.stack.start() == [
        "EZZ0300I OPENED PROFILE FILE DD:PROFILE",
        "EZZ0309I PROFILE PROCESSING BEGINNING FOR DD:PROFILE",
        "EZZ0316I PROFILE PROCESSING COMPLETE FOR FILE DD:PROFILE",
    ]
    assert rig.stack.active
    assert rig.stack.ttls is False
    assert rig.stack.state is TtlsState.OFF
    assert rig.stack.problems == ()
    assert rig.take() == []


def test_start_with_ttls_and_no_policy_waits_for_pagent(root):
    rig = Rig(root, profile="SYS1.TCPPARMS(TTLS)")
    lines = rig.stack.start()
    assert lines[-1] == WAITING[0]
    assert rig.stack.waiting
    assert rig.take() == []  # the start lines are returned, not emitted


def test_start_with_ttls_over_a_policy_pagent_installed_first(root):
    rig = Rig(root, profile="SYS1.TCPPARMS(TTLS)")
    rig.stack.install_policy(seed_policy())
    assert rig.take() == []  # NOTTLS until the profile is read
    assert rig.stack.start()[-1] == AVAILABLE[0]


def test_start_with_no_profile_uses_the_defaults(root):
    rig = Rig(root, profile=None)
    assert rig.stack.start() == []
    assert rig.stack.ttls is False


def test_start_with_a_missing_profile_says_so_and_uses_the_defaults(root):
    rig = Rig(root, profile="SYS1.TCPPARMS(NOPE)")
    assert rig.stack.start() == ["EZZ0301I UNABLE TO OPEN PROFILE FILE DD:PROFILE"]
    assert rig.stack.ttls is False
    assert rig.stack.active


def test_start_with_a_unix_profile_below_the_root(root):
    (root / "etc" / "tcpip.profile").write_text("TCPCONFIG TTLS ; on\n")
    rig = Rig(root, profile="/etc/tcpip.profile")
    assert rig.stack.start()[0] == "EZZ0300I OPENED PROFILE FILE DD:PROFILE"
    assert rig.stack.ttls is True


def test_start_keeps_the_profile_problems(root):
    (root / "etc" / "datasets" / "SYS1.TCPPARMS" / "BAD").write_text("TCPCONFIG TTLS NOTTLS\n")
    rig = Rig(root, profile="SYS1.TCPPARMS(BAD)")
    rig.stack.start()
    assert [p.line for p in rig.stack.problems] == [1]
    assert rig.stack.ttls is False


def test_start_twice_is_a_programming_error(root):
    rig = Rig(root)
    rig.stack.start()
    with pytest.raises(RuntimeError):
        rig.stack.start()


# --- VARY TCPIP,,OBEY ---------------------------------------------------------------------
def test_workshop_obey_sequence_byte_for_byte(root):
    rig = Rig(root)
    rig.stack.start()
    ok, lines = rig.stack.obey("SYS1.TCPPARMS(TTLS)", OBEY_TTLS)
    assert ok
    assert lines == WORKSHOP_OBEY
    assert rig.stack.ttls is True


def test_workshop_obey_sequence_matches_the_seed_capture(root, workshop):
    rig = Rig(root)
    rig.stack.start()
    _, lines = rig.stack.obey("SYS1.TCPPARMS(TTLS)", OBEY_TTLS)
    assert lines == workshop_block(workshop, "EZZ00601", "EZZ00531")


@pytest.mark.parametrize(
    "operand",
    [
        "SYS1.TCPPARMS(TTLS)",
        "'SYS1.TCPPARMS(TTLS)'",
        "DSN=SYS1.TCPPARMS(TTLS)",
        "DSN='SYS1.TCPPARMS(TTLS)'",
        "dsn=sys1.tcpparms(ttls)",
        " SYS1.TCPPARMS(TTLS) ",
    ],
)
def test_obey_operand_forms(root, operand):
    rig = Rig(root)
    rig.stack.start()
    command = f"VARY TCPIP,TCPIP1,O,{operand.strip()}"
    ok, lines = rig.stack.obey(operand, command)
    assert ok
    assert lines == [f"EZZ0060I PROCESSING COMMAND: {command}", *WORKSHOP_OBEY[1:]]
    assert rig.stack.ttls is True


def test_obey_dataset_strips_dsn_and_quotes():
    assert obey_dataset("DSN='user.obey(ttlson)'") == "USER.OBEY(TTLSON)"
    assert obey_dataset("USER.OBEY(TTLSON)") == "USER.OBEY(TTLSON)"


def test_obey_nottls_turns_ttls_off(root):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    ok, lines = rig.stack.obey("SYS1.TCPPARMS(NOTTLS)", "VARY TCPIP,,OBEY,SYS1.TCPPARMS(NOTTLS)")
    assert ok
    assert lines[1] == "EZZ0300I OPENED OBEYFILE FILE 'SYS1.TCPPARMS(NOTTLS)'"
    assert lines[-1] == "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY"
    assert rig.stack.ttls is False


@pytest.mark.parametrize(
    ("operand", "shown"),
    [
        ("SYS1.TCPPARMS(NOPE)", "'SYS1.TCPPARMS(NOPE)'"),  # missing member
        ("NO.SUCH.DATASET(TTLS)", "'NO.SUCH.DATASET(TTLS)'"),  # missing data set
        ("SYS1.TCPPARMS", "'SYS1.TCPPARMS'"),  # a PDS named without a member
        ("SYS1.TCPPARMS(TOOLONGNAME)", "'SYS1.TCPPARMS(TOOLONGNAME)'"),  # not a data set name
    ],
)
@pytest.mark.parametrize("ttls", [False, True])
def test_obey_that_cannot_open_fails_and_changes_nothing(root, operand, shown, ttls):
    (root / "etc" / "datasets" / "SYS1.TCPPARMS" / "BAD").write_text("TCPCONFIG\n")
    rig = Rig(root, profile="SYS1.TCPPARMS(BAD)")
    rig.stack.start()
    if ttls:
        rig.obey("TTLS")
    rig.stack.install_policy(seed_policy())
    rig.take()
    before = (rig.stack.ttls, rig.stack.policy, rig.stack.matcher, rig.stack.problems)
    command = f"VARY TCPIP,,OBEY,{operand}"
    ok, lines = rig.stack.obey(operand, command)
    assert not ok
    assert lines == [
        f"EZZ0060I PROCESSING COMMAND: {command}",
        f"EZZ0301I UNABLE TO OPEN OBEYFILE FILE {shown}",
        "EZZ0050I COMMAND VARY OBEY FAILED",
    ]
    assert (rig.stack.ttls, rig.stack.policy, rig.stack.matcher, rig.stack.problems) == before
    assert rig.take() == []


def test_obey_without_tcpconfig_changes_no_switch(root):
    (root / "etc" / "datasets" / "SYS1.TCPPARMS" / "OTHER").write_text("IPCONFIG DATAGRAMFWD\n")
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    rig.take()
    assert rig.obey("OTHER")[-1] == "EZZ0053I COMMAND VARY OBEY COMPLETED SUCCESSFULLY"
    assert rig.stack.ttls is True
    assert rig.take() == []


def test_obey_with_problems_still_completes_and_keeps_them(root):
    (root / "etc" / "datasets" / "SYS1.TCPPARMS" / "MIXED").write_text(
        "ENDAUTOLOG\nTCPCONFIG TTLS\n"
    )
    rig = Rig(root)
    rig.stack.start()
    assert rig.obey("MIXED") == [
        "EZZ0060I PROCESSING COMMAND: VARY TCPIP,,OBEY,MIXED",
        *[line.replace("(TTLS)", "(MIXED)") for line in WORKSHOP_OBEY[1:]],
    ]
    assert rig.stack.ttls is True
    assert [(p.path, p.line) for p in rig.stack.problems] == [("SYS1.TCPPARMS(MIXED)", 1)]


def test_obey_applies_the_last_switch_of_the_member_once(root):
    (root / "etc" / "datasets" / "SYS1.TCPPARMS" / "FLIP").write_text(
        "TCPCONFIG TTLS\nTCPCONFIG NOTTLS\nTCPCONFIG TTLS\n"
    )
    rig = Rig(root)
    rig.stack.start()
    rig.obey("FLIP")
    assert rig.take() == [WAITING]


def test_unsolicited_messages_come_after_the_response_is_built(root):
    """An OBEY's EZZ42xx is emitted once the response exists (stack.py, Fidelity notes)."""
    events: list[str] = []
    stack = Stack(
        "TCPIP1",
        root=root,
        profile="SYS1.TCPPARMS(PROFILE)",
        clock=lambda: NOW,
        emit=events.extend,
    )
    stack.start()
    stack.install_policy(seed_policy())
    _ok, lines = stack.obey("SYS1.TCPPARMS(TTLS)", OBEY_TTLS)
    assert lines == WORKSHOP_OBEY  # no EZZ42xx in the response
    assert events == AVAILABLE


# --- TTLS switch x policy: the EZZ42xx messages -------------------------------------------
@pytest.mark.parametrize(
    ("policy", "expected"),
    [("none", [WAITING]), ("empty", [NO_RULES]), ("rules", [AVAILABLE])],
)
def test_turning_ttls_on(root, policy, expected):
    rig = Rig(root)
    rig.stack.start()
    installed = POLICIES[policy]()
    if installed is not None:
        rig.stack.install_policy(installed)
    assert rig.take() == []  # NOTTLS: the stack says nothing (EZD1579I is PAGENT's)
    rig.obey("TTLS")
    assert rig.take() == expected
    assert rig.stack.ttls is True
    assert rig.stack.policy is installed  # enforced at once, no refresh


@pytest.mark.parametrize("policy", ["none", "empty", "rules"])
def test_turning_ttls_off_says_nothing_and_keeps_the_policy(root, policy):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    installed = POLICIES[policy]()
    if installed is not None:
        rig.stack.install_policy(installed)
    rig.take()
    rig.obey("NOTTLS")
    assert rig.take() == []
    assert rig.stack.state is TtlsState.OFF
    assert rig.stack.policy is installed


@pytest.mark.parametrize("policy", ["none", "empty", "rules"])
def test_the_same_switch_again_says_nothing(root, policy):
    rig = Rig(root)
    rig.stack.start()
    installed = POLICIES[policy]()
    if installed is not None:
        rig.stack.install_policy(installed)
    rig.obey("TTLS")
    rig.take()
    rig.obey("TTLS")
    assert rig.take() == []


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("none", "empty", [NO_RULES]),
        ("none", "rules", [AVAILABLE]),
        ("empty", "rules", [AVAILABLE]),
        ("empty", "empty", [NO_RULES]),
        ("rules", "empty", [NO_RULES]),
        ("rules", "rules", []),  # not the first usable policy: no message (§3)
    ],
)
def test_installing_with_ttls_on(root, before, after, expected):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    first = POLICIES[before]()
    if first is not None:
        rig.stack.install_policy(first)
    rig.take()
    new = POLICIES[after]()
    assert new is not None
    rig.stack.install_policy(new)
    assert rig.take() == expected
    assert rig.stack.policy is new


@pytest.mark.parametrize("before", ["none", "empty", "rules"])
@pytest.mark.parametrize("after", ["empty", "rules"])
def test_installing_with_ttls_off_says_nothing(root, before, after):
    rig = Rig(root)
    rig.stack.start()
    first = POLICIES[before]()
    if first is not None:
        rig.stack.install_policy(first)
    new = POLICIES[after]()
    assert new is not None
    rig.stack.install_policy(new)
    assert rig.take() == []
    assert rig.stack.policy is new


@pytest.mark.parametrize(
    ("ttls", "policy", "expected"),
    [
        (True, "rules", [WAITING]),
        (True, "empty", [WAITING]),
        (True, "none", []),
        (False, "rules", []),
        (False, "empty", []),
        (False, "none", []),
    ],
)
def test_purging(root, ttls, policy, expected):
    rig = Rig(root)
    rig.stack.start()
    if ttls:
        rig.obey("TTLS")
    installed = POLICIES[policy]()
    if installed is not None:
        rig.stack.install_policy(installed)
    rig.take()
    rig.stack.remove_policy()
    assert rig.take() == expected
    assert rig.stack.policy is None
    assert rig.stack.matcher is None


@pytest.mark.parametrize(
    ("ttls", "policy", "state"),
    [
        (False, "none", TtlsState.OFF),
        (False, "empty", TtlsState.OFF),
        (False, "rules", TtlsState.OFF),
        (True, "none", TtlsState.WAITING),
        (True, "empty", TtlsState.NO_RULES),
        (True, "rules", TtlsState.AVAILABLE),
    ],
)
def test_state(root, ttls, policy, state):
    rig = Rig(root)
    rig.stack.start()
    if ttls:
        rig.obey("TTLS")
    installed = POLICIES[policy]()
    if installed is not None:
        rig.stack.install_policy(installed)
    assert rig.stack.state is state
    assert rig.stack.waiting is (state is TtlsState.WAITING)


# --- D TCPIP ------------------------------------------------------------------------------
def test_display_tcpip_with_one_stack(root):
    rig = Rig(root)
    rig.stack.start()
    assert Stack.display_tcpip(7, [rig.stack]) == [
        "EZAOP50I TCPIP STATUS REPORT 007",
        " COUNT  TCPIP NAME  VERSION   STATUS",
        " -----  ----------  --------  --------------------------------",
        "    1   TCPIP1      CS V2R3   ACTIVE",
        " *** END TCPIP STATUS REPORT ***",
        "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY",
    ]


def test_display_tcpip_matches_the_workshop_words(root, workshop):
    # The workshop's PDF text collapses blanks and lacks the dashes line (§0.1, messages.py).
    rig = Rig(root)
    rig.stack.start()
    shown = [collapse(line) for line in Stack.display_tcpip(7, [rig.stack])]
    shown = [line for line in shown if not line.startswith("-----")]
    assert shown == workshop_block(workshop, "EZAOP50I", "EZAOP41I")


def test_display_tcpip_with_two_stacks(root):
    first = Rig(root)
    second = Rig(root, profile=None, name="TCPIP2")
    first.stack.start()
    second.stack.start()
    second.stack.release = "V2R5"
    lines = Stack.display_tcpip(12, [first.stack, second.stack])
    assert lines[0] == "EZAOP50I TCPIP STATUS REPORT 012"
    assert lines[3:5] == [
        "    1   TCPIP1      CS V2R3   ACTIVE",
        "    2   TCPIP2      CS V2R5   ACTIVE",
    ]
    assert lines[-2:] == [
        " *** END TCPIP STATUS REPORT ***",
        "EZAOP41I 'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY",
    ]


def test_display_tcpip_rows_and_a_stack_not_started(root):
    idle = Rig(root, name="TCPIP3").stack
    assert idle.row == StackRow("TCPIP3", "V2R3", "INACTIVE")
    assert display_tcpip(1, [idle.row])[3] == "    1   TCPIP3      CS V2R3   INACTIVE"


# --- NETSTAT ------------------------------------------------------------------------------
NETSTAT_CONFIG_NO = [
    "EZD0101I NETSTAT CS V2R3 TCPIP1 042",
    "TCP CONFIGURATION TABLE:",
    "DEFAULTRCVBUFSIZE:  00016384  DEFAULTSNDBUFSIZE: 00016384",
    "DEFLTMAXRCVBUFSIZE: 00262144  SOMAXCONN:         0000001024",
    "MAXRETRANSMITTIME:  120.000   MINRETRANSMITTIME: 0.500",
    "ROUNDTRIPGAIN:      0.125     VARIANCEGAIN:      0.250",
    "VARIANCEMULTIPLIER: 2.000     MAXSEGLIFETIME:    30.000",
    "DEFAULTKEEPALIVE:   00000120  DELAYACK:          YES",
    "RESTRICTLOWPORT:    YES       SENDGARBAGE:       NO",
    "TCPTIMESTAMP:       YES       FINWAIT2TIME:      010",
    "TTLS:               NO        EPHEMERALPORTS:    1024-65535",
    "SELECTIVEACK:       YES       TIMEWAITINTERVAL:  30",
    "END OF THE REPORT",
]


def test_netstat_config_ttls_no(root):
    rig = Rig(root)
    rig.stack.start()
    assert rig.stack.netstat_config(42) == NETSTAT_CONFIG_NO


def test_netstat_config_ttls_yes_after_obey(root):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    lines = rig.stack.netstat_config(42)
    assert "TTLS:               YES       EPHEMERALPORTS:    1024-65535" in lines
    assert [line for line in lines if not line.startswith("TTLS:")] == [
        line for line in NETSTAT_CONFIG_NO if not line.startswith("TTLS:")
    ]


@pytest.mark.parametrize("ttls", [False, True])
def test_netstat_ttls_lists_no_connection_before_any(root, ttls):
    rig = Rig(root)
    rig.stack.start()
    if ttls:
        rig.obey("TTLS")
        rig.stack.install_policy(seed_policy())
    assert rig.stack.netstat_ttls(378) == [
        "EZD0101I NETSTAT CS V2R3 TCPIP1 378",
        "CONNID   JOBNAME  USERID   LOCAL SOCKET           FOREIGN SOCKET         STATE",
        "0 OF 0 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


def test_netstat_ttls_group_shows_the_installed_enabled_groups(root):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    rig.stack.install_policy(seed_policy())
    assert rig.stack.netstat_ttls(378, group=True) == [
        "EZD0101I NETSTAT CS V2R3 TCPIP1 378",
        "TTLSGRPACTION     GROUP ID  CONNS",
        "GACT1~ZCEECLIENT  00000001      0",
        "1 OF 1 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


def test_netstat_ttls_group_is_empty_without_a_policy(root):
    rig = Rig(root)
    rig.stack.start()
    assert rig.stack.netstat_ttls(1, group=True)[1:] == [
        "TTLSGRPACTION     GROUP ID  CONNS",
        "0 OF 0 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


def test_netstat_ttls_conn_of_an_unknown_id_displays_no_record(root):
    rig = Rig(root)
    rig.stack.start()
    assert rig.stack.netstat_ttls(1, conn_id=0x1E0C, detail=True)[1:] == [
        "0 OF 0 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


# --- map_connection with the seed policy --------------------------------------------------
def test_map_connection_follows_ttls_and_the_policy(root):
    rig = Rig(root)
    rig.stack.start()
    assert rig.stack.map_connection(SEED_CONN) is None  # NOTTLS, no policy
    rig.stack.install_policy(seed_policy())
    assert rig.stack.map_connection(SEED_CONN) is None  # NOTTLS: not examined (§4.6)
    rig.obey("TTLS")
    rule = rig.stack.map_connection(SEED_CONN)
    assert rule is not None
    assert rule.name == "zCEEClientRule~1"  # the workshop's EZD1281I RULE (§0.1)
    other_job = replace(SEED_CONN, jobname="USER1PUT")
    assert rig.stack.map_connection(other_job) is None  # step 15: no rule maps it
    rig.obey("NOTTLS")
    assert rig.stack.map_connection(SEED_CONN) is None
    rig.obey("TTLS")
    rig.stack.remove_policy()
    assert rig.stack.map_connection(SEED_CONN) is None  # TTLS, no policy


def test_map_connection_with_an_empty_policy(root):
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    rig.stack.install_policy(empty_policy())
    assert rig.stack.map_connection(SEED_CONN) is None


# --- with the real PAGENT task ------------------------------------------------------------
def test_pagent_installs_into_a_real_stack_and_obey_enforces_it(root):
    """The workshop's steps 7-8: PAGENT installs under NOTTLS, then the OBEY turns TTLS on."""
    rig = Rig(root)
    port: StackPort = rig.stack  # the stack is what PAGENT needs of one
    out: list[Output] = []
    agent = PolicyAgent(root=root, stacks={"TCPIP1": port}, out=out.append, clock=lambda: NOW)
    rig.stack.start()
    assert agent.start()
    console = [o.text for o in out if o.console]
    assert "EZD1579I PAGENT POLICIES ARE NOT ENABLED FOR TCPIP1 : TTLS" in console
    assert rig.stack.policy is not None
    assert rig.take() == []
    assert rig.obey("TTLS") == [
        "EZZ0060I PROCESSING COMMAND: VARY TCPIP,,OBEY,TTLS",
        *WORKSHOP_OBEY[1:],
    ]
    assert rig.take() == [AVAILABLE]
    rule = rig.stack.map_connection(SEED_CONN)
    assert rule is not None
    assert rule.name == "zCEEClientRule~1"
    agent.stop()  # the embedded pagent.conf says PURGE
    assert rig.take() == [WAITING]
    assert rig.stack.policy is None


# --- an owner the stack could not establish (issue 11) -----------------------------------------
def _ttls_stack(root: Path, policy: Policy) -> Stack:
    rig = Rig(root)
    rig.stack.start()
    rig.obey("TTLS")
    rig.stack.install_policy(policy)
    return rig.stack


def test_an_ownerless_connection_a_jobname_rule_could_cover_names_that_rule(root):
    stack = _ttls_stack(root, seed_policy())
    ownerless = replace(SEED_CONN, jobname="", userid="")
    rule = stack.owner_could_decide(ownerless)
    assert rule is not None
    assert rule.name == "zCEEClientRule~1"


def test_an_ownerless_connection_no_rule_could_cover_does_not_depend_on_its_owner(root):
    stack = _ttls_stack(root, seed_policy())
    elsewhere = replace(SEED_CONN, remote_port=7000, jobname="", userid="")
    inbound = replace(SEED_CONN, direction="inbound", jobname="", userid="")
    assert stack.owner_could_decide(elsewhere) is None
    assert stack.owner_could_decide(inbound) is None


def test_a_rule_for_anyone_ahead_of_a_jobname_rule_decides_without_the_owner(root):
    text = (
        "TTLSRule Anyone\n{\n  RemotePortRange 9443\n  Direction Outbound\n  Priority 300\n"
        "  Jobname *\n  TTLSGroupActionRef g\n}\n"
        "TTLSRule Named\n{\n  RemotePortRange 9443\n  Direction Outbound\n  Priority 200\n"
        "  Jobname USER1GET\n  TTLSGroupActionRef g\n}\n"
        "TTLSGroupAction g\n{\n  TTLSEnabled On\n}\n"
    )
    stack = _ttls_stack(root, load_policy([SourceText("anyone.policy", text)]))
    assert stack.owner_could_decide(replace(SEED_CONN, jobname="", userid="")) is None


def test_with_ttls_off_no_owner_matters(root):
    rig = Rig(root)
    rig.stack.start()
    rig.stack.install_policy(seed_policy())
    assert rig.stack.owner_could_decide(replace(SEED_CONN, jobname="")) is None


def test_netstat_ttls_counts_the_connections_refused_for_an_unknown_owner(root):
    stack = _ttls_stack(root, seed_policy())
    stack.connections.refused = 3
    lines = stack.netstat_ttls(378)
    assert lines[-3:] == [
        "3 CONNECTIONS REFUSED: OWNER UNKNOWN",
        "0 OF 0 RECORDS DISPLAYED",
        "END OF THE REPORT",
    ]


# --- CONN DETAIL: (STALE) only under a replaced policy (issue 11 item 5) ------------------------
def _endpoint(stack: Stack, conn: Connection) -> int:
    endpoint = Endpoint(
        connid=stack.connections.next_connid(),
        conn=conn,
        pid=1,
        opened=NOW,
        policy_state=NO_POLICY,
    )
    stack.connections.add(endpoint)
    return endpoint.connid


def test_conn_detail_of_a_no_policy_endpoint_is_not_stale(root):
    stack = _ttls_stack(root, seed_policy())
    connid = _endpoint(stack, replace(SEED_CONN, remote_port=7000))
    detail = stack.netstat_ttls(1, conn_id=connid, detail=True)
    assert not [line for line in detail if "STALE" in line], detail


def test_conn_detail_of_a_no_policy_endpoint_stays_unstale_after_a_refresh(root):
    stack = _ttls_stack(root, seed_policy())
    connid = _endpoint(stack, replace(SEED_CONN, remote_port=7000))
    stack.install_policy(seed_policy())
    detail = stack.netstat_ttls(1, conn_id=connid, detail=True)
    assert not [line for line in detail if "STALE" in line], detail


def test_a_test_that_needs_more_open_files_than_the_hard_limit_is_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine whose hard limit is 1,024 skips the thousand-connection tests, saying why."""
    import resource

    from .clients import need_open_files

    monkeypatch.setattr(resource, "getrlimit", lambda _which: (1024, 1024))
    monkeypatch.setattr(resource, "setrlimit", lambda _which, _limits: None)
    with pytest.raises(
        pytest.skip.Exception, match=r"needs 4,500 open files; the hard limit is 1,024"
    ):
        need_open_files(4_500)
