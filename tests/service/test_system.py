"""The system image behind the socket: operator commands against stacks and PAGENT."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.gen_policy import policy_text
from pagent.service.netconf import read_system_conf
from pagent.service.system import System

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(name="root")
def fixture_root(tmp_path: Path) -> Path:
    """A fresh copy of the embedded default root."""
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


class Rig:
    """A System with its broadcasts recorded."""

    def __init__(self, root: Path) -> None:
        self.unsolicited: list[str] = []
        self.system = System(
            root,
            clock=lambda: datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
            broadcast=self.unsolicited.append,
        )
        self.system.start()

    def run(self, *commands: str) -> list[tuple[str, list[str]]]:
        async def go() -> list[tuple[str, list[str]]]:
            out = []
            for text in commands:
                result = await self.system.command(text)
                await self.system.settle()  # let S PAGENT's start run, as the loop would
                out.append((result.status, result.lines))
            return out

        return asyncio.run(go())


def test_start_pagent_answers_with_jes_lines_and_pagent_speaks_after(root):
    """S PAGENT: $HASP100/$HASP373/IEF403I now; EZD1586I follows as unsolicited."""
    rig = Rig(root)
    [(status, lines)] = rig.run("S PAGENT")
    assert status == "ok"
    assert [line.split()[0] for line in lines] == ["$HASP100", "$HASP373", "IEF403I"]
    assert "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1" in rig.unsolicited
    assert rig.system.agent.active


def test_second_start_fails_and_the_first_stays(root):
    """A second S PAGENT ends with EZZ8434I; the running PAGENT is untouched."""
    rig = Rig(root)
    (_, _), (status, lines) = rig.run("S PAGENT", "S PAGENT")
    assert status == "failed"
    assert "EZZ8434I PAGENT EXITING ABNORMALLY" in lines
    assert rig.system.agent.active


@pytest.mark.parametrize(
    ("command", "first"),
    [
        ("P PAGENT", "IEE341I PAGENT NOT ACTIVE"),
        ("F PAGENT,REFRESH", "IEE341I PAGENT NOT ACTIVE"),
        ("C PAGENT", "IEE341I PAGENT NOT ACTIVE"),
        ("F TCPIP1,OBEY", "EZZ3250I THE MODIFY COMMAND IS NOT SUPPORTED."),
        ("D TCPIP,TCPIP9,N,CONFIG", "IEE341I TCPIP9 NOT ACTIVE"),
        ("S FOO", "IEE535I START INVALID PARAMETER"),
        ("QQ", "IEE305I QQ       COMMAND INVALID"),
    ],
)
def test_refused_commands(root, command, first):
    """Commands MVS or the stack refuse are 'rejected' with their message."""
    [(status, lines)] = Rig(root).run(command)
    assert status == "rejected"
    assert lines[0] == first


def test_obey_of_a_missing_member_fails(root):
    """V TCPIP,,OBEY of a member that does not exist fails and leaves TTLS as it was."""
    rig = Rig(root)
    [(status, _)] = rig.run("V TCPIP,,OBEY,SYS1.TCPPARMS(NOPE)")
    assert status == "failed"
    assert rig.system.status()["stacks"] == [{"name": "TCPIP1", "ttls": False}]


def test_obey_ttls_then_status_shows_it(root):
    """After the OBEY of TTLS, status reports the switch on."""
    rig = Rig(root)
    rig.run("V TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)")
    assert rig.system.status()["stacks"] == [{"name": "TCPIP1", "ttls": True}]


def test_stop_answers_with_the_purge_messages(root):
    """P PAGENT's response holds PAGENT's purge lines and the end of the job."""
    rig = Rig(root)
    _, (status, lines) = rig.run("S PAGENT", "P PAGENT")
    assert status == "ok"
    assert lines[:3] == [
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : QOS",
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : TTLS",
        "EZZ8433I PAGENT ENDING",
    ]
    assert lines[-1].startswith("$HASP395 PAGENT")


def test_pasearch_before_and_after_start(root):
    """No policy before S PAGENT; the installed rule after it."""
    rig = Rig(root)
    assert asyncio.run(rig.system.pasearch(None, None)).lines[-1] == "No policies retrieved"
    rig.run("S PAGENT")
    text = "\n".join(asyncio.run(rig.system.pasearch(None, None)).lines)
    assert "policyRule:             zCEEClientRule~1" in text


def test_pagent_log_lines_reach_syslogall(root):
    """PAGENT's log goes to syslogd, which writes var/syslogd/syslogall.log."""
    rig = Rig(root)
    rig.run("S PAGENT")
    rig.system.close()
    log = (root / "var" / "syslogd" / "syslogall.log").read_text()
    assert "PAGENT[" in log
    assert "main: EZZ8431I PAGENT STARTING" in log
    assert "EZZ8433I PAGENT ENDING" in log  # close() stops PAGENT with purge processing


def test_system_conf_names_the_image_and_its_stacks(tmp_path):
    """SYSNAME and STACK lines; comments and case."""
    conf = tmp_path / "system.conf"
    conf.write_text("# x\nsysname wg32\nSTACK tcpipa\nSTACK TCPIPB /etc/b.profile\n")
    assert read_system_conf(conf) == (
        "WG32",
        [("TCPIPA", "SYS1.TCPPARMS(PROFILE)"), ("TCPIPB", "/etc/b.profile")],
    )


def test_help_with_a_verb_lists_that_verbs_commands(root):
    """HELP V answers the VARY lines only; HELP alone, every command."""
    rig = Rig(root)
    (_, one), (_, every) = rig.run("HELP V", "HELP")
    assert one == [line for line in every if line.startswith("V ")]
    assert len(every) > len(one) > 0


def test_modify_syslogd_restart_rereads_syslog_conf(root):
    """F SYSLOGD,RESTART: FSUM1254 then FSUM1252, and the new rules route records."""
    rig = Rig(root)
    (root / "etc" / "syslog.conf").write_text("*.*  /var/syslogd/other.log\n")
    [(status, lines)] = rig.run("F SYSLOGD,RESTART")
    assert status == "ok"
    assert lines == [
        "FSUM1254 SYSLOGD MODIFY COMMAND ACCEPTED",
        "FSUM1252 SYSLOGD RECONFIGURATION COMPLETE",
    ]
    rig.run("S PAGENT")
    rig.system.close()
    assert "EZZ8431I" in (root / "var" / "syslogd" / "other.log").read_text()


def test_modify_syslogd_with_a_bad_keyword(root):
    """An unknown syslogd MODIFY keyword gets FSUM1253 (pagent-ops §7.1)."""
    [(status, lines)] = Rig(root).run("F SYSLOGD,BADVERB")
    assert status == "rejected"
    assert lines[0].startswith("FSUM1253 SYSLOGD MODIFY COMMAND UNSUCCESSFUL")


def test_modify_syslogd_restart_with_a_broken_conf_keeps_the_rules(root):
    """A syslog.conf with errors: the errors are the answer, the old rules stay."""
    rig = Rig(root)
    (root / "etc" / "syslog.conf").write_text("this is not a rule\n")
    [(status, lines)] = rig.run("F SYSLOGD,RESTART")
    assert status == "failed"
    assert "syslog.conf:1" in lines[1]


# --- Issue 13 §11: the service as z/OS behaves ------------------------------------------------
def test_a_refused_second_start_does_not_change_the_running_tasks_asid(root):
    """The second copy gets its own ASID; P PAGENT later reports the first one's."""
    rig = Rig(root)
    (_, first), (_, second), (_, stop) = rig.run("S PAGENT", "S PAGENT", "P PAGENT")
    started = next(line for line in first if line.startswith("IEF403I"))
    asid = started.split("ASID=")[1].split()[0]
    refused = next(line for line in second if line.startswith("IEF403I"))
    assert refused.split("ASID=")[1].split()[0] != asid
    ended = next(line for line in stop if line.startswith("IEF404I"))
    assert ended.split("ASID=")[1].split()[0] == asid


def test_a_refused_second_start_logs_main_and_ends_with_a_nonzero_rc(root):
    """EZZ8431I/EZZ8434I of the refused copy carry main: in the log (F-101); RC is not 0."""
    rig = Rig(root)
    (_, _), (_, second) = rig.run("S PAGENT", "S PAGENT")
    rig.system.close()
    log = (root / "var" / "syslogd" / "syslogall.log").read_text()
    assert log.count("main: EZZ8431I PAGENT STARTING") == 2
    assert "main: EZZ8434I PAGENT EXITING ABNORMALLY" in log
    assert "main: Can not run more than one copy of pagent" in log
    assert second[-1].startswith("$HASP395 PAGENT   ENDED - RC=")
    assert not second[-1].endswith("RC=0000")


def test_pagent_records_carry_the_level_and_thread_of_pagent_ops_8(root):
    """PAGENT's syslogd records read 'EVENT   :001: main: EZZ8431I ...' (pagent-ops §7.3, §8)."""
    rig = Rig(root)
    rig.run("S PAGENT")
    rig.system.close()
    log = (root / "var" / "syslogd" / "syslogall.log").read_text()
    assert "PAGENT[" in log
    assert "]: EVENT   :001: main: EZZ8431I PAGENT STARTING\n" in log
    assert "]: INFO    :001: main: Using log level 511\n" in log
    assert "]: ACTION  :001: Processing TTLS rule 'zCEEClientRule~1'\n" in log


def _pagent_lines(root: Path) -> list[str]:
    """PAGENT's records in syslogall.log, without the time stamp and the process id."""
    log = (root / "var" / "syslogd" / "syslogall.log").read_text().replace(str(root), "ROOT")
    return [line[16:].split("]: ", 1)[1] for line in log.splitlines() if " PAGENT[" in line]


def _last_install(lines: list[str]) -> list[str]:
    """The lines of the last policy processing: from its TTLS file to the end of the update,
    without the line that says what changed (only a refresh has it)."""
    first = max(i for i, line in enumerate(lines) if "Processing Image TTLS config file" in line)
    end = lines.index("INFO    :001: Finished main config file update", first)
    return [line for line in lines[first : end + 1] if "TTLS policy for TCPIP1:" not in line]


def test_a_refresh_logs_what_a_fresh_start_of_the_same_policy_logs(root, tmp_path):
    """Issue 13 §1: a refresh reuses the last one's work, and its log is byte for byte the
    log of a fresh start of the edited policy (time stamps aside), statements in file order."""
    policy = root / "etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy"
    text = policy_text(40)
    policy.write_text(text)
    rig = Rig(root)
    rig.run("S PAGENT")
    edits = [
        ("Priority                        7\n", "Priority                        99\n"),  # in place
        ("TTLSRule                          Rule00020\n", "# a line\nTTLSRule Rule00020\n"),
        ("TTLSGroupAction                   gAct00003\n", "TTLSGroupAction gAct00039\n"),  # W302
    ]
    for n, (old, new) in enumerate(edits):
        assert old in text
        text = text.replace(old, new, 1)
        policy.write_text(text)
        [(status, _lines)] = rig.run("F PAGENT,REFRESH")
        assert status == "ok"
        fresh = tmp_path / f"fresh{n}"
        shutil.copytree(REPO / "etc", fresh / "etc")
        (fresh / "etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy").write_text(text)
        other = Rig(fresh)
        other.run("S PAGENT")
        other.system.close()
        rig.system._flush_log()
        refreshed = _last_install(_pagent_lines(root))
        assert refreshed == _last_install(_pagent_lines(fresh))
        processing = [line for line in refreshed if line.startswith("INFO    :001: Processing: ")]
        assert len(processing) == 6 * 40 - (n == 2)  # the W302 one replaces gAct00039
    rig.system.close()
