"""One TCP/IP stack: its TTLS switch, the AT-TLS policy PAGENT installed in it, and OBEY.

One responsibility: keep a stack's AT-TLS state (pagent-ops.md §4) and answer for it. The
state is the ``TCPCONFIG TTLS | NOTTLS`` switch (§4.4), set by the profile at start and by
``VARY TCPIP,,OBEYFILE`` (§4.5), and the policy PAGENT installs and purges (§2.3, §4.6).
From them follow the stack's EZZ4248E/EZZ4249I/EZZ4250I messages (§3, §4.6), its displays
(:mod:`pagent.stack.displays`) and which rule a connection maps to (:meth:`Stack.map_connection`).

What goes where:

* a command's response (OBEY, D TCPIP, NETSTAT) is returned to the caller, which owns the
  console and the MLWTO numbers;
* unsolicited messages (EZZ42xx) go to ``emit``, one list of lines per message. When a
  command causes one (an OBEY that turns TTLS on), it is emitted once the command's
  response is complete, just before the method returns, so that a console which writes
  the response first and then what was emitted keeps z/OS's order;
* the lines written at start are returned by :meth:`Stack.start`, EZZ4248E included.

The stack reads its data sets below the system ``root`` (``SYS1.TCPPARMS(TTLS)`` is
``ROOT/etc/datasets/SYS1.TCPPARMS/TTLS``, :func:`pagent.policy.chain.dataset_path`).

Fidelity notes
==============
Choices made where the reference (pagent-ops.md) and the workshop leave the stack's
behaviour open:

* EZZ42xx, by the stack's AT-TLS state. With TTLS on, the state is *waiting* (no policy),
  *no rules* (a policy with no rule) or *available* (a policy with rules); with TTLS off no
  EZZ42xx is ever issued (EZD1579I is PAGENT's, at its next install, §3, §4.6).
  - EZZ4248E when the stack enters *waiting*: at start with TTLS on and no policy (§4.6
    [DOC]); when TTLS is switched on with no policy installed (the same condition, §4.6);
    and when PAGENT purges the policy while TTLS is on [UNV: the reference says nothing of
    a purge; pagent takes "TTLS on, no policy" to be the waiting condition wherever it
    arises].
  - EZZ4249I whenever a policy with no rules is installed while TTLS is on (§3 [OBS]), and
    when TTLS is switched on over such a policy [UNV]. It replaces EZZ4250I: "EZZ4250I ...
    If that policy has no rules, EZZ4249I" (§4.6) is read as one or the other.
  - EZZ4250I when the state becomes *available* from any other state: a policy with rules
    installed while waiting or with no rules (§3, §4.6 [DOC]), and TTLS switched on over an
    installed policy with rules [UNV: §4.6 says only that the policy "starts to be
    enforced"; pagent announces it the same way]. Replacing one policy with rules by
    another gives no message (§3: "first usable policy installed, wait ends").
  - The workshop's OBEY capture (§0.1) shows no EZZ4250I among the five response lines:
    pagent issues it as an unsolicited message, outside the response, so the response stays
    the workshop's, byte for byte.
  - EZZ4248E is an action message that z/OS deletes (DOM) when the wait ends [UNV]; the
    stack does not emit a deletion, it exposes :attr:`Stack.waiting` for a console that
    keeps action messages highlighted.
* TTLS switched off: no message, the policy stays installed, new connections are no longer
  mapped (§4.6 [UNV]). Switching to the setting already in force says nothing.
* OBEY (§0.1, §4.5):
  - The response is EZZ0060I (the caller's command text, echoed), EZZ0300I, EZZ0309I,
    EZZ0316I and EZZ0053I ``COMMAND VARY OBEY COMPLETED SUCCESSFULLY``, the workshop's
    wording, whether the operator typed O, OBEY or OBEYFILE (§4.5 lists both wordings as
    seen; the workshop confirms VARY OBEY).
  - The data set is shown quoted and upper-cased (``'SYS1.TCPPARMS(TTLS)'``), however it was
    typed (quoted, unquoted, ``DSN=``). An unquoted name gets no TSO prefix: VARY is an MVS
    command, with no user.
  - A data set or member that cannot be opened (missing, or a partitioned data set named
    without a member), and a name that is not a data set name, give EZZ0060I, EZZ0301I
    ``UNABLE TO OPEN OBEYFILE FILE 'name'`` and EZZ0050I ``COMMAND VARY OBEY FAILED`` (the
    catalogue's failure messages; the real IDs are NOT FOUND, §4.5), and change nothing.
  - An OBEY member is applied whole: its last TTLS/NOTTLS is the setting that takes effect,
    once, after the member is read. Problems in it do not fail the command (the member is
    applied as far as it can be read); they are kept in :attr:`Stack.problems`, not shown
    (the stack's syntax-error message is not in the catalogue).
  - The choice of stack when the procname is omitted and several stacks run (§4.5: "fails
    with an error message", NOT FOUND) is the console's; the stack is already chosen here.
* Start: the profile is read from the PROFILE DD, so its messages name ``DD:PROFILE``, as
  the real output does (§4.5 [OBS]): EZZ0300I, EZZ0309I, EZZ0316I. Nothing else the real
  stack writes at start is emulated (its initialisation-complete messages are not in the
  catalogue). A profile that cannot be opened gives EZZ0301I and the stack runs on TCP/IP's
  defaults (NOTTLS, §4.4) [UNV]. With no profile at all (``profile=None``) the stack starts
  on the defaults and writes no profile message.
* D TCPIP's VERSION is ``CS`` and the release (``CS V2R3``, §0.1), whatever the release.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Final

from pagent.messages import format_message
from pagent.policy.chain import dataset_path, resolve_zos_path
from pagent.policy.matching import Connection, Matcher, NamePattern, ip_value
from pagent.policy.policy import Policy
from pagent.policy.statements import TTLSGroupAction, TTLSRule
from pagent.stack.connections import ConnectionTable, Endpoint
from pagent.stack.displays import (
    StackRow,
    display_tcpip,
    netstat_config,
    netstat_ttls,
    netstat_ttls_conn,
    netstat_ttls_groups,
)
from pagent.stack.profile import ProfileProblem, read_profile

DEFAULT_RELEASE: Final = "V2R3"  # the workshop's system (§0.1)
DEFAULT_PROFILE: Final = "SYS1.TCPPARMS(PROFILE)"  # the embedded root's stack profile
PROFILE_DD: Final = "DD:PROFILE"  # how the stack names its profile at start (§4.5 [OBS])
OBEYFILE: Final = "OBEYFILE"  # EZZ0300I's file type for an OBEY member (§4.5)
VARY_OBEY: Final = "VARY OBEY"  # EZZ0053I/EZZ0050I command words (§0.1)

Emit = Callable[[list[str]], None]


def _anybody(pattern: NamePattern | None) -> bool:
    """Whether a Jobname or Userid condition holds for every owner (absent, or ``*``)."""
    return pattern is None or pattern.prefix == ""


class TtlsState(Enum):
    """Where a stack stands with AT-TLS (module docstring, Fidelity notes)."""

    OFF = "off"  # TCPCONFIG NOTTLS: connections are not mapped
    WAITING = "waiting"  # TTLS, no policy: EZZ4248E
    NO_RULES = "no rules"  # TTLS, a policy with no rule: EZZ4249I
    AVAILABLE = "available"  # TTLS, a policy with rules: EZZ4250I


def obey_dataset(operand: str) -> str:
    """The data set an OBEY operand names, unquoted and upper-cased.

    ``SYS1.TCPPARMS(TTLS)``, ``'SYS1.TCPPARMS(TTLS)'`` and ``DSN=SYS1.TCPPARMS(TTLS)`` all
    give ``SYS1.TCPPARMS(TTLS)`` (§4.5). The name is not checked here.
    """
    name = operand.strip()
    if name[:4].upper() == "DSN=":
        name = name[4:].strip()
    if len(name) >= 2 and name[0] == name[-1] == "'":
        name = name[1:-1]
    return name.upper()


class Stack:
    """One TCP/IP stack (a TCPIP started task) as PAGENT and the operator see it.

    ``name`` is the stack's job name (``TCPIP1``); ``profile`` is its PROFILE data set
    (``SYS1.TCPPARMS(PROFILE)``), a z/OS UNIX path of it (``/etc/tcpip.profile``), both
    below ``root``, or None for no profile. ``clock`` gives the time for rules with time
    conditions; ``emit`` takes the unsolicited messages.
    """

    def __init__(
        self,
        name: str,
        *,
        root: Path,
        profile: str | None,
        clock: Callable[[], datetime],
        emit: Emit,
        release: str = DEFAULT_RELEASE,
    ) -> None:
        self.name = name
        self.root = root
        self.profile = profile
        self.clock = clock
        self.release = release
        self._emit = emit
        self.active = False
        self.ttls = False  # TCPCONFIG's default is NOTTLS (§4.4)
        self.policy: Policy | None = None
        self.matcher: Matcher | None = None
        self.problems: tuple[ProfileProblem, ...] = ()  # of the last member read
        self.connections = ConnectionTable()  # the live endpoints the data path mapped

    # --- state ----------------------------------------------------------------------------
    @property
    def state(self) -> TtlsState:
        """The stack's AT-TLS state, from the TTLS switch and the installed policy."""
        if not self.ttls:
            return TtlsState.OFF
        if self.policy is None:
            return TtlsState.WAITING
        return TtlsState.AVAILABLE if self.policy.rules else TtlsState.NO_RULES

    @property
    def waiting(self) -> bool:
        """True while the stack waits for PAGENT's policy (EZZ4248E outstanding)."""
        return self.state is TtlsState.WAITING

    @property
    def status(self) -> str:
        """The STATUS column of D TCPIP."""
        return "ACTIVE" if self.active else "INACTIVE"

    @property
    def row(self) -> StackRow:
        """This stack's row of D TCPIP."""
        return StackRow(self.name, self.release, self.status)

    def _announce(self, before: TtlsState, *, installed: bool = False) -> list[list[str]]:
        """The EZZ42xx message the change from ``before`` calls for (Fidelity notes)."""
        after = self.state
        if after is TtlsState.WAITING and before is not TtlsState.WAITING:
            return [[format_message("EZZ4248E", jobname=self.name)]]
        if after is TtlsState.NO_RULES and (installed or before is not TtlsState.NO_RULES):
            return [[format_message("EZZ4249I", jobname=self.name)]]
        if after is TtlsState.AVAILABLE and before is not TtlsState.AVAILABLE:
            return [[format_message("EZZ4250I", tcpname=self.name)]]
        return []

    def emit_lines(self, lines: list[str]) -> None:
        """An unsolicited message of the stack's (EZD1287I to its job log and the console)."""
        self._emit(lines)

    def _send(self, messages: Iterable[list[str]]) -> None:
        for lines in messages:
            self._emit(lines)

    def _set_ttls(self, on: bool) -> list[list[str]]:
        before = self.state
        self.ttls = on
        return self._announce(before)

    # --- start ----------------------------------------------------------------------------
    def _profile_file(self, profile: str) -> Path:
        """Where the profile is: a data set, or a z/OS UNIX path, below the root."""
        if profile.startswith("/"):
            return resolve_zos_path(profile, self.root)
        return dataset_path(profile, self.root)

    def start(self) -> list[str]:
        """S TCPIP: read the profile, set TTLS, and return the lines the stack writes.

        The lines are EZZ0300I, EZZ0309I and EZZ0316I for ``DD:PROFILE`` (EZZ0301I if it
        cannot be opened; none without a profile), then EZZ4248E if TTLS is on and no
        policy is installed (EZZ4249I/EZZ4250I if PAGENT installed one already).
        """
        if self.active:
            raise RuntimeError(f"stack {self.name} is already started")
        lines: list[str] = []
        ttls = False
        if self.profile is not None:
            try:
                found = read_profile(self._profile_file(self.profile), self.profile)
            except (OSError, ValueError):
                lines.append(format_message("EZZ0301I", ftype="PROFILE", file=PROFILE_DD))
            else:
                lines += [
                    format_message("EZZ0300I", ftype="PROFILE", file=PROFILE_DD),
                    format_message("EZZ0309I", file=PROFILE_DD),
                    format_message("EZZ0316I", file=PROFILE_DD),
                ]
                self.problems = found.problems
                ttls = bool(found.ttls)
        self.active = True
        for message in self._set_ttls(ttls):
            lines += message
        return lines

    # --- VARY TCPIP,,OBEYFILE ---------------------------------------------------------------
    def obey(self, operand: str, command: str) -> tuple[bool, list[str]]:
        """V TCPIP,[name],OBEY|OBEYFILE|O,dsn: apply an OBEY member (§4.5).

        ``operand`` is the data set as typed (``SYS1.TCPPARMS(TTLS)``, quoted, or with
        ``DSN=``); ``command`` is the command as EZZ0060I echoes it, verb spelled out
        (``VARY TCPIP,,OBEY,SYS1.TCPPARMS(TTLS)``). Returns whether the command succeeded
        and its response lines. A member that cannot be opened changes nothing.
        """
        lines = [format_message("EZZ0060I", command=command)]
        name = obey_dataset(operand)
        shown = f"'{name}'"
        try:
            found = read_profile(dataset_path(name, self.root), name)
        except (OSError, ValueError):
            lines += [
                format_message("EZZ0301I", ftype=OBEYFILE, file=shown),
                format_message("EZZ0050I", command=VARY_OBEY),
            ]
            return False, lines
        lines += [
            format_message("EZZ0300I", ftype=OBEYFILE, file=shown),
            format_message("EZZ0309I", file=shown),
            format_message("EZZ0316I", file=shown),
            format_message("EZZ0053I", command=VARY_OBEY),
        ]
        self.problems = found.problems
        ttls = found.ttls
        self._send(self._set_ttls(ttls) if ttls is not None else [])
        return True, lines

    # --- policy (PAGENT's side, pagent.agent.StackPort) ------------------------------------
    def install_policy(self, policy: Policy, matcher: Matcher | None = None) -> None:
        """Install PAGENT's AT-TLS policy, replacing the installed one (§4.6).

        ``matcher`` is the policy's :class:`Matcher` when the caller built it already (the
        service builds it off its event loop, then swaps both in at once: issue 13 §1);
        otherwise it is built here, from the installed one.
        """
        before = self.state
        self.policy = policy
        self.matcher = (
            matcher
            if matcher is not None and matcher.policy is policy
            else Matcher(policy, self.matcher)
        )
        self._send(self._announce(before, installed=True))

    def remove_policy(self) -> None:
        """PAGENT's purge: no AT-TLS policy any more (§2.3, §4.6)."""
        if self.policy is None:
            return
        before = self.state
        self.policy = None
        self.matcher = None
        self._send(self._announce(before))

    def map_connection(self, conn: Connection) -> TTLSRule | None:
        """The installed rule a new connection maps to; None with TTLS off or no policy."""
        if not self.ttls or self.matcher is None:
            return None
        return self.matcher.match(conn, self.clock())

    def owner_could_decide(self, conn: Connection) -> TTLSRule | None:
        """The rule that could apply to a connection if its owner were known, or None when
        the rule it maps to does not depend on who owns it (issue 11).

        For a connection whose owner the stack could not establish: rules are taken in
        match order, and the first whose other conditions (direction, addresses, ports,
        time) hold decides. If it names no job and no user (or only ``*``), it is the
        connection's rule whoever the owner is, so the owner does not matter; if it names
        one, an owner could make it (or a later rule) apply, so it does. A connection that
        no rule could cover on its other conditions does not depend on its owner either:
        it passes as any uncovered connection does.
        """
        if not self.ttls or self.matcher is None:
            return None
        version, lv = ip_value(conn.local_ip)
        rv = ip_value(conn.remote_ip)[1]
        inbound = conn.direction == "inbound"
        now = self.clock()
        for compiled in self.matcher.compiled:
            if not (compiled.inbound if inbound else compiled.outbound):
                continue
            anyone = dataclasses.replace(compiled, jobname=None, userid=None)
            if anyone.matches(version, lv, rv, conn, now):
                if _anybody(compiled.jobname) and _anybody(compiled.userid):
                    return None
                return compiled.rule
        return None

    # --- displays -------------------------------------------------------------------------
    @classmethod
    def display_tcpip(cls, number: int, stacks: Iterable[Stack]) -> list[str]:
        """D TCPIP over every stack of the system, in the order given (§0.1, §4.1)."""
        return display_tcpip(number, [stack.row for stack in stacks])

    def netstat_config(self, number: int) -> list[str]:
        """D TCPIP,name,NETSTAT,CONFIG: the TCP Configuration Table, ``TTLS: YES|NO`` (§4.3)."""
        return netstat_config(number, release=self.release, tcpipname=self.name, ttls=self.ttls)

    def netstat_ttls(
        self, number: int, *, group: bool = False, conn_id: int | None = None, detail: bool = False
    ) -> list[str]:
        """D TCPIP,name,NETSTAT,TTLS[,GROUP|,CONN,id[,DETAIL]] (§4.2)."""
        common = {"release": self.release, "tcpipname": self.name}
        if conn_id is not None:
            endpoint = self.connections.get(conn_id)
            # Stale: mapped to a rule of a policy since replaced. An endpoint that no rule
            # covered (NO POLICY, or TTLS off) has no rule to be stale (issue 11 item 5).
            mapped_under = endpoint.policy if endpoint is not None else None
            stale = mapped_under is not None and mapped_under is not self.policy
            return netstat_ttls_conn(
                number, **common, endpoint=endpoint, detail=detail, stale=stale
            )
        mapped = [e for e in self.connections.live() if e.rule is not None]
        if group:
            return netstat_ttls_groups(number, **common, groups=self._groups(mapped))
        return netstat_ttls(number, **common, endpoints=mapped, refused=self.connections.refused)

    def _groups(self, mapped: list[Endpoint]) -> list[tuple[str, int, int]]:
        """Active groups: the installed policy's enabled ones, and any a connection uses."""
        counts: dict[int, tuple[str, int]] = {}
        for endpoint in mapped:
            acts = endpoint.effective.actions if endpoint.effective else None
            if acts is not None and acts.group is not None:
                name, n = counts.get(endpoint.grpid, (acts.group.name or "", 0))
                counts[endpoint.grpid] = (name, n + 1)
        if self.policy is not None:
            for action in self.policy.all(TTLSGroupAction):
                if action.ttls_enabled == "On":
                    gid = self.connections.action_id("group", action)
                    counts.setdefault(gid, (action.name or "", 0))
        return [(name, gid, n) for gid, (name, n) in sorted(counts.items())]
