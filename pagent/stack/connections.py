"""The stack's table of live TCP endpoints and what AT-TLS did with each.

z/OS gives every TCP endpoint a connection ID, maps it to an AT-TLS rule once, and keeps
the actions it was mapped with until it closes, even when a refresh replaces them ("stale
actions", pagent-ops §4.6 [DOC]). A connection between two programs of the same image has
two endpoints, each mapped on its own: the client's (outbound) and the server's (inbound).
This table is what NETSTAT TTLS shows (§4.2) and what the runtime messages number (§5.3).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pagent.policy.effective import Effective
from pagent.policy.matching import Connection
from pagent.policy.policy import Policy
from pagent.policy.statements import Statement, TTLSRule

FIRST_CONNID = 0x1E00  # any start will do; the workshop's connection was 00001E0C [UNV]

# Per-endpoint AT-TLS policy states (§4.2, as OMEGAMON names them [DOC]) and what
# EZD1281I's STATUS field says for each (§5.3).
NO_TTLS = "No TTLS"  # the stack was in NOTTLS when the endpoint was mapped
NO_POLICY = "No Policy"  # no rule matched
NOT_ENABLED = "Not Enabled"  # the rule's group action has TTLSEnabled Off
ENABLED = "Enabled"

# Security states (§4.2).
NOT_SECURE = "Not Secure"
IN_PROGRESS = "In Progress"
SECURE = "Secure"
FAILED = "Failed"


@dataclass(slots=True)
class Endpoint:
    """One TCP endpoint the stack has seen, with its mapping and its TLS outcome."""

    connid: int
    conn: Connection
    pid: int
    opened: datetime
    policy_state: str
    rule: TTLSRule | None = None
    effective: Effective | None = None
    policy: Policy | None = None  # the policy it was mapped with (stale once replaced)
    grpid: int = 0
    envid: int = 0
    security: str = NOT_SECURE
    protocol: str = ""
    cipher_code: str = ""
    cipher_name: str = ""
    cert_userid: str = ""
    rc: int = 0
    peer: int = 0  # the connid of the other end, when both ends are in the image

    @property
    def tls(self) -> bool:
        """True when AT-TLS secures this endpoint (a rule with TTLSEnabled On and a role)."""
        eff = self.effective
        return self.policy_state == ENABLED and eff is not None and eff.handshake_role is not None

    @property
    def action_names(self) -> tuple[str, str, str]:
        """The names of its group, environment and connection actions ('' where none)."""
        acts = self.effective.actions if self.effective else None
        if acts is None:
            return "", "", ""
        return (
            (acts.group.name if acts.group else "") or "",
            (acts.environment.name if acts.environment else "") or "",
            (acts.connection.name if acts.connection else "") or "",
        )

    @property
    def sockets(self) -> dict[str, object]:
        """Its connection ID, sockets, job name and user id, as the runtime messages name
        them (``*`` for a job or user that could not be found)."""
        conn = self.conn
        return {
            "connid": self.connid,
            "local_ip": conn.local_ip,
            "local_port": conn.local_port,
            "remote_ip": conn.remote_ip,
            "remote_port": conn.remote_port,
            "jobname": conn.jobname or "*",
            "userid": conn.userid or "*",
        }

    @property
    def type(self) -> str:
        """EZD1281I's TYPE: InBound or OutBound, as the workshop shows (§0.1)."""
        return "InBound" if self.conn.direction == "inbound" else "OutBound"


@dataclass
class ConnectionTable:
    """The live endpoints of one stack, and its group and environment IDs."""

    endpoints: dict[int, Endpoint] = field(default_factory=dict)
    refused: int = 0  # connections reset because their owner was unknown (issue 11)
    _connids: Iterator[int] = field(default_factory=lambda: itertools.count(FIRST_CONNID))
    _ids: dict[tuple[str, int], tuple[int, Statement]] = field(default_factory=dict)
    _counters: dict[str, Iterator[int]] = field(default_factory=dict)

    def next_connid(self) -> int:
        """A new connection ID (z/OS numbers every endpoint)."""
        return next(self._connids)

    def action_id(self, kind: str, action: Statement | None) -> int:
        """The GRPID or ENVID of an action instance: 1, 2, ... in order of first use.

        A refresh that replaces an action gives the new instance a new ID, as z/OS makes a
        new group or environment for changed actions (§4.2) [UNV: numbering].
        """
        if action is None:
            return 0
        key = (kind, id(action))
        known = self._ids.get(key)
        if known is not None and known[1] is action:
            return known[0]
        counter = self._counters.setdefault(kind, itertools.count(1))
        number = next(counter)
        self._ids[key] = (number, action)  # the reference keeps id() from being reused
        return number

    def add(self, endpoint: Endpoint) -> None:
        """Register a new endpoint."""
        self.endpoints[endpoint.connid] = endpoint

    def remove(self, connid: int) -> None:
        """The endpoint closed."""
        self.endpoints.pop(connid, None)

    def get(self, connid: int) -> Endpoint | None:
        """One endpoint by its ID."""
        return self.endpoints.get(connid)

    def live(self) -> list[Endpoint]:
        """The open endpoints, oldest first."""
        return sorted(self.endpoints.values(), key=lambda e: e.connid)
