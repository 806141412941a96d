"""The PAGENT task against fake stacks, on a copy of the embedded default root."""

from __future__ import annotations

import gc
import re
import shutil
import types
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagent.agent import Output, PolicyAgent
from pagent.policy.check import check_paths
from pagent.policy.policy import Policy

REPO = Path(__file__).resolve().parents[2]
POLICY = Path("etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy")


class FakeStack:
    """A stack that records what PAGENT installs."""

    def __init__(self, name: str, *, ttls: bool = False) -> None:
        self.name = name
        self.ttls = ttls
        self.policy: Policy | None = None
        self.installs = 0

    def install_policy(self, policy: Policy) -> None:
        self.policy = policy
        self.installs += 1

    def remove_policy(self) -> None:
        self.policy = None


@pytest.fixture(name="root")
def fixture_root(tmp_path: Path) -> Path:
    """A fresh copy of the embedded default root."""
    shutil.copytree(REPO / "etc", tmp_path / "etc")
    return tmp_path


class Rig:
    """An agent, its stack and everything it wrote."""

    def __init__(self, root: Path, *, ttls: bool = False) -> None:
        self.out: list[Output] = []
        self.stack = FakeStack("TCPIP1", ttls=ttls)
        self.agent = PolicyAgent(
            root=root,
            stacks={"TCPIP1": self.stack},
            out=self.out.append,
            clock=lambda: datetime(2026, 11, 24, 12, 0, tzinfo=UTC),
        )

    def console(self) -> list[str]:
        return [o.text for o in self.out if o.console]

    def log(self) -> list[str]:
        return [o.text for o in self.out if o.shown_in_log]

    def ids(self) -> list[str]:
        return [t.removeprefix("main: ").split()[0] for t in self.console()]


def test_start_reproduces_the_workshop_sequence(root):
    """S PAGENT on WG31 with TCPIP1 in NOTTLS: the workshop's messages, in its order."""
    rig = Rig(root)
    assert rig.agent.start()
    assert rig.ids() == [
        "EZZ8431I", "EZZ8432I", "EZD1579I", "EZZ8771I", "EZZ8771I", "EZD1586I",
    ]  # fmt: skip
    console = rig.console()
    assert console[2] == "EZD1579I PAGENT POLICIES ARE NOT ENABLED FOR TCPIP1 : TTLS"
    assert console[3] == "EZZ8771I PAGENT CONFIG POLICY PROCESSING COMPLETE FOR TCPIP1 : QOS"
    assert console[4] == "EZZ8771I PAGENT CONFIG POLICY PROCESSING COMPLETE FOR TCPIP1 : TTLS"
    assert console[5] == "EZD1586I PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR TCPIP1"
    assert rig.stack.policy is not None
    assert [r.name for r in rig.stack.policy.rules] == ["zCEEClientRule~1"]


def test_start_logs_each_statement_at_loglevel_511(root):
    """The log has main: and _profile: lines and one Processing: line per statement."""
    rig = Rig(root)
    rig.agent.start()
    log = rig.log()
    assert "main: EZZ8431I PAGENT STARTING" in log
    assert "main: Using log level 511" in log
    assert "main: Use environment PAGENT_CONFIG_FILE = '/etc/pagent.conf'" in log
    processing = [line for line in log if line.startswith("Processing: '")]
    assert len(processing) == 9
    assert processing[0].startswith("Processing: 'TTLSRule")
    assert processing[0].endswith("zCEEClientRule~1'")
    assert "Processing TTLS rule 'zCEEClientRule~1'" in log
    assert log[-1] == "Finished main config file update"


def test_default_loglevel_hides_info_lines(root):
    """With LogLevel 31 the environment and profile lines are not logged."""
    conf = root / "etc" / "pagent.conf"
    conf.write_text(conf.read_text().replace("LogLevel        511", "LogLevel        31"))
    rig = Rig(root)
    rig.agent.start()
    assert not any(line.startswith("Processing: ") for line in rig.log())
    assert "main: EZZ8431I PAGENT STARTING" in rig.log()


def test_no_ezd1579i_when_the_stack_enforces_ttls(root):
    """With TTLS on, PAGENT does not say the policies are not enabled."""
    rig = Rig(root, ttls=True)
    rig.agent.start()
    assert "EZD1579I" not in rig.ids()


def test_broken_edit_keeps_the_installed_policy(root):
    """A policy with errors gives EZZ8438I, the diagnostics in the log, and changes nothing."""
    rig = Rig(root)
    rig.agent.start()
    installed = rig.stack.policy
    policy = root / POLICY
    policy.write_text(
        policy.read_text().replace("Direction                       Outbound", "Direction Sideways")
    )
    rig.out.clear()
    rig.agent.refresh(update=True)
    assert "EZZ8438I PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR TCPIP1 : TTLS" in rig.console()
    assert any("E107" in line for line in rig.log())
    assert rig.stack.policy is installed
    assert "EZD1586I" not in rig.ids()


def test_update_without_change_installs_nothing_and_says_so(root):
    """An edit that leaves the effective policy equal (a comment) installs nothing new."""
    rig = Rig(root)
    rig.agent.start()
    policy = root / POLICY
    policy.write_text("# a comment\n" + policy.read_text())
    rig.out.clear()
    rig.agent.refresh(update=True)
    assert rig.stack.installs == 1
    assert "_profile: TTLS policy for TCPIP1 is unchanged; nothing installed" in rig.log()


def test_update_with_a_change_installs_and_reports_it(root):
    """A changed value is installed, and the log says what changed."""
    rig = Rig(root)
    rig.agent.start()
    policy = root / POLICY
    policy.write_text(
        policy.read_text().replace("Port                            9443", "Port 9444")
    )
    rig.agent.refresh(update=True)
    assert rig.stack.installs == 2
    assert "_profile: TTLS policy for TCPIP1: 0 added, 1 changed, 0 removed" in rig.log()


def test_noflush_keeps_statements_that_left_the_file(root):
    """NOFLUSH: a rule removed from the file stays installed (pagent-ops §1.4)."""
    image = root / "etc/cfgasst/v2r3/WG31/TCPIP1/pagent.TCPIP1.conf"
    image.write_text(image.read_text().replace("FLUSH PURGE", "NOFLUSH PURGE"))
    policy = root / POLICY
    policy.write_text(
        policy.read_text() + "TTLSRule Extra\n{\n  LocalPortRange 7\n  Direction Inbound\n"
        "  TTLSGroupActionRef gAct1~zCEEClient\n  TTLSEnvironmentActionRef eAct1~zCEEClient\n}\n"
    )
    rig = Rig(root)
    rig.agent.start()
    policy.write_text(policy.read_text().split("TTLSRule Extra")[0])
    rig.agent.refresh(update=False)
    assert rig.stack.policy is not None
    assert {r.name for r in rig.stack.policy.rules} == {"zCEEClientRule~1", "Extra"}


def test_stop_with_purge_removes_the_policy(root):
    """P PAGENT with PURGE: EZZ8773I for QOS and TTLS, then the ending message."""
    rig = Rig(root)
    rig.agent.start()
    rig.out.clear()
    rig.agent.stop()
    assert rig.console() == [
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : QOS",
        "EZZ8773I PAGENT POLICIES PURGED FOR TCPIP1 : TTLS",
        "EZZ8433I PAGENT ENDING",
    ]
    assert rig.stack.policy is None
    assert not rig.agent.active


def test_stop_with_nopurge_leaves_the_policy(root):
    """NOPURGE: EZZ8774I, and the stack keeps enforcing what it has."""
    conf = root / "etc" / "pagent.conf"
    conf.write_text(conf.read_text().replace("FLUSH PURGE 1800", "FLUSH NOPURGE 1800"))
    image = root / "etc/cfgasst/v2r3/WG31/TCPIP1/pagent.TCPIP1.conf"
    image.write_text(image.read_text().replace("FLUSH PURGE", "FLUSH"))
    rig = Rig(root)
    rig.agent.start()
    rig.agent.stop()
    assert "EZZ8774I PAGENT POLICIES NOT PURGED FOR TCPIP1 : TTLS" in rig.console()
    assert rig.stack.policy is not None


def test_missing_main_file_ends_abnormally(root):
    """No pagent.conf: EZZ8431I then EZZ8434I, and PAGENT is not active."""
    (root / "etc" / "pagent.conf").unlink()
    rig = Rig(root)
    assert not rig.agent.start()
    assert rig.ids() == ["EZZ8431I", "EZZ8434I"]
    assert not rig.agent.active


@pytest.mark.parametrize(
    ("action", "level", "want"),
    [
        ("LOGLEVEL", 127, "EZZ8443I PAGENT MODIFY COMMAND ACCEPTED"),
        ("QUERY", None, "EZZ8445I PAGENT LOGLEVEL 511 DEBUG LEVEL 0 TRACE LEVEL 0"),
        ("BOGUS", None, "EZZ8444I PAGENT MODIFY COMMAND REJECTED"),
    ],
)
def test_modify_responses(root, action, level, want):
    """F PAGENT,... answers with the catalogue's lines."""
    rig = Rig(root)
    rig.agent.start()
    assert rig.agent.modify(action, level) == [want]


def test_modify_loglevel_changes_what_is_logged(root):
    """F PAGENT,LOGLEVEL,LEVEL=1 hides EVENT lines from the log; QUERY shows the new level."""
    rig = Rig(root)
    rig.agent.start()
    rig.agent.modify("LOGLEVEL", 1)
    assert rig.agent.modify("QUERY") == ["EZZ8445I PAGENT LOGLEVEL 1 DEBUG LEVEL 0 TRACE LEVEL 0"]
    rig.out.clear()
    rig.agent.stop()
    assert rig.console()
    assert rig.log() == []


def test_watched_files_cover_the_chain(root):
    """The files to watch are the main file, the image file and the policy."""
    rig = Rig(root)
    rig.agent.start()
    names = {p.name for p in rig.agent.files}
    assert {"pagent.conf", "pagent.TCPIP1.conf", "TTLS.policy"} <= names


# --- Issue 13 §11 ---------------------------------------------------------------------------
def test_update_without_change_announces_nothing_installed(root):
    """An update that installs nothing says so, and shows no EZD1586I on the console."""
    rig = Rig(root)
    rig.agent.start()
    policy = root / POLICY
    policy.write_text("# a comment\n" + policy.read_text())
    rig.out.clear()
    rig.agent.refresh(update=True)
    assert "EZD1586I" not in rig.ids()
    assert "EZZ8771I" in rig.ids()  # the processing is still complete


def test_start_exports_the_workshops_environment(root):
    """The start log lists the STDENV of the workshop (pagent-ops §0.1), not the host's."""
    rig = Rig(root)
    rig.agent.start()
    exports = [t for t in rig.log() if t.startswith("main: EXPORT")]
    assert exports == [
        "main: EXPORT '_CEE_ENVFILE_S=DD:STDENV'",
        "main: EXPORT 'LIBPATH=/usr/lib:.'",
        "main: EXPORT 'PAGENT_CONFIG_FILE=/etc/pagent.conf'",
        "main: EXPORT 'PAGENT_LOG_FILE=SYSLOGD'",
        "main: EXPORT 'TZ=EST5EDT'",
        "main: EXPORT 'GSK_TRACE=0xFFFF'",
    ]


def test_an_image_file_without_statements_writes_pagents_warning_005_line(root):
    """TcpImage naming the policy file itself: the pinit_fetch_policy_profile warning."""
    conf = root / "etc" / "pagent.conf"
    conf.write_text(conf.read_text().replace("pagent.TCPIP1.conf", "TTLS.policy"))
    rig = Rig(root)
    rig.agent.start()
    assert (
        "pinit_fetch_policy_profile: Image config file /etc/cfgasst/v2r3/WG31/TCPIP1/"
        "TTLS.policy does not contain any recognizable statements"
    ) in rig.log()


def test_refreshes_keep_no_older_policy_alive(root):
    """What a refresh reuses of the last one never holds the policies before it."""
    rig = Rig(root)
    rig.agent.start()
    first = rig.agent.installed("TCPIP1")
    policy = root / POLICY
    for port in (9444, 9445, 9446):
        text = re.sub(r"Port\s+94\d\d", f"Port {port}", policy.read_text())
        policy.write_text(text)
        rig.agent.refresh(update=True)
    assert rig.stack.installs == 4
    gc.unfreeze()  # the loads froze what they made: get_referrers looks at tracked objects
    holders = [r for r in gc.get_referrers(first) if not isinstance(r, types.FrameType)]
    assert holders == []


def test_an_unreadable_policy_file_is_logged_in_pagent_checks_words(root):
    """A policy file that is no text: one C501, worded as `pagent check` words it."""
    rig = Rig(root)
    rig.agent.start()
    (root / POLICY).write_bytes(bytes(range(256)) * 40)
    rig.agent.refresh(update=False)
    assert "EZZ8438I PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR TCPIP1 : TTLS" in rig.console()
    c501 = [line for line in rig.log() if "C501" in line]
    report = check_paths([root / "etc" / "pagent.conf"], root)
    (want,) = [d for d in report.diagnostics if d.code.id == "C501"]
    assert len(c501) == 1
    assert want.headline() in c501[0]
    assert "TTLSConfig file /etc/cfgasst/v2r3/WG31/TCPIP1/TTLS.policy is not a text file" in c501[0]
