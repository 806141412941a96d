"""The stack's console displays: D TCPIP, and D TCPIP,,NETSTAT,CONFIG and ,TTLS.

One responsibility: lay out the lines of these displays from plain values, through the
message catalogue (:mod:`pagent.messages`). It keeps no state and knows no stack object;
:class:`pagent.stack.stack.Stack` passes its name, release and TTLS switch.

Layouts (pagent-ops.md):

* D TCPIP (§0.1, §4.1): the ``EZAOP50I`` block with one ``DISPLAY.TCPIP.STACK`` row per
  stack, numbered from 1, then ``EZAOP41I``.
* NETSTAT CONFIG (§4.3): ``EZD0101I NETSTAT CS release tcpname nnn``, the TCP Configuration
  Table with the ``TTLS:`` field, then ``END OF THE REPORT``.
* NETSTAT TTLS (§4.2): ``EZD0101I``, the TTLSGRPACTION heading, one row per active group
  (none yet: connections come with AT-TLS), ``n OF n RECORDS DISPLAYED``, ``END OF THE
  REPORT``.

NETSTAT lines are upper-cased, as the console shows NETSTAT output (§4.2 [OBS]; §4.3 gives
``TTLS: NO`` on the console as [UNV]).

Fidelity notes
==============
* NETSTAT CONFIG shows the TCP Configuration Table only, with the values of IBM's 2.2
  example (§4.3) for every field but TTLS: the other TCPCONFIG operands are not emulated,
  so nothing changes them. The later tables of the real report (UDP, IP, SMF, ...) are not
  in the reference and are left out; the report ends with END OF THE REPORT as the observed
  TTLS report does (§4.2), without a RECORDS line, as CONFIG is not a list.
* NETSTAT TTLS with no group keeps its heading and shows ``0 OF 0 RECORDS DISPLAYED``: the
  reference has only a non-empty capture (§4.2), so the empty form is inferred from it. The
  report is the same whether TTLS is on or off; what the stack says for NETSTAT TTLS under
  NOTTLS is NOT FOUND.
* D TCPIP shows each stack's status as given; pagent's stacks are ACTIVE once started and
  INACTIVE before (the other status words are NOT FOUND, §4.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pagent.messages import format_lines, format_message
from pagent.stack.connections import Endpoint


@dataclass(frozen=True, slots=True)
class StackRow:
    """One row of D TCPIP: the stack's name, release (``V2R3``) and status (``ACTIVE``)."""

    name: str
    release: str
    status: str


def display_tcpip(number: int, rows: Iterable[StackRow]) -> list[str]:
    """D TCPIP: the EZAOP50I block (MLWTO number ``number``), one row per stack, EZAOP41I."""
    stacks = [
        format_message(
            "DISPLAY.TCPIP.STACK",
            count=count,
            tcpipname=row.name,
            release=row.release,
            status=row.status,
        )
        for count, row in enumerate(rows, start=1)
    ]
    return [*format_lines("EZAOP50I", number=number, stacks=stacks), format_message("EZAOP41I")]


# The TCP Configuration Table of IBM's Netstat CONFIG example (z/OS 2.2, §4.3), by catalogue
# line; the TTLS field is filled in from the stack.
TCP_CONFIGURATION: Final[Mapping[str, Mapping[str, object]]] = MappingProxyType(
    {
        "DISPLAY.NETSTAT.CONFIG.TCP_HEADING": {},
        "DISPLAY.NETSTAT.CONFIG.TCP_BUFFERS": {
            "default_rcv_buf_size": 16384,
            "default_snd_buf_size": 16384,
        },
        "DISPLAY.NETSTAT.CONFIG.TCP_MAXBUF": {
            "deflt_max_rcv_buf_size": 262144,
            "so_max_conn": 1024,
        },
        "DISPLAY.NETSTAT.CONFIG.TCP_RETRANSMIT": {
            "max_retransmit_time": 120.0,
            "min_retransmit_time": 0.5,
        },
        "DISPLAY.NETSTAT.CONFIG.TCP_GAIN": {"round_trip_gain": 0.125, "variance_gain": 0.25},
        "DISPLAY.NETSTAT.CONFIG.TCP_VARIANCE": {
            "variance_multiplier": 2.0,
            "max_seg_life_time": 30.0,
        },
        "DISPLAY.NETSTAT.CONFIG.TCP_KEEPALIVE": {"default_keepalive": 120, "delay_ack": "Yes"},
        "DISPLAY.NETSTAT.CONFIG.TCP_LOWPORT": {"restrict_low_port": "Yes", "send_garbage": "No"},
        "DISPLAY.NETSTAT.CONFIG.TCP_TIMESTAMP": {"tcp_timestamp": "Yes", "fin_wait2_time": 10},
        "DISPLAY.NETSTAT.CONFIG.TCP_TTLS": {"ephemeral_ports": "1024-65535"},
        "DISPLAY.NETSTAT.CONFIG.TCP_SACK": {"selective_ack": "Yes", "time_wait_interval": 30},
    }
)


def _yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def netstat_config(number: int, *, release: str, tcpipname: str, ttls: bool) -> list[str]:
    """D TCPIP,tcpname,NETSTAT,CONFIG: the TCP Configuration Table with ``TTLS: YES|NO``."""
    report: list[str] = []
    for msg_id, fields in TCP_CONFIGURATION.items():
        values = dict(fields)
        if msg_id == "DISPLAY.NETSTAT.CONFIG.TCP_TTLS":
            values["ttls"] = _yes_no(ttls)
        report.append(format_message(msg_id, **values))
    report.append(format_message("DISPLAY.NETSTAT.END"))
    return _netstat(number, release, tcpipname, report)


def _netstat(number: int, release: str, tcpipname: str, report: list[str]) -> list[str]:
    """An EZD0101I report, upper-cased as the console shows NETSTAT output (§4.2 [OBS])."""
    return format_lines(
        "EZD0101I",
        number=number,
        release=release,
        tcpipname=tcpipname,
        report=[line.upper() for line in report],
    )


def _records(shown: int) -> list[str]:
    return [
        format_message("DISPLAY.NETSTAT.RECORDS", shown=shown, total=shown),
        format_message("DISPLAY.NETSTAT.END"),
    ]


def netstat_ttls_groups(
    number: int, *, release: str, tcpipname: str, groups: Sequence[tuple[str, int, int]]
) -> list[str]:
    """D TCPIP,tcpname,NETSTAT,TTLS,GROUP: (group action, group ID, connections) rows."""
    rows = [
        format_message("DISPLAY.NETSTAT.TTLS.GROUP", group=name, groupid=gid, conns=conns)
        for name, gid, conns in groups
    ]
    report = [format_message("DISPLAY.NETSTAT.TTLS.HEADING"), *rows, *_records(len(rows))]
    return _netstat(number, release, tcpipname, report)


def _socket(ip: str, port: int) -> str:
    return f"{ip}..{port}"


def _actions(endpoint: Endpoint) -> dict[str, str]:
    group, environment, connection = endpoint.action_names
    return {
        "group_action": group,
        "environment_action": environment,
        "connection_action": connection,
    }


def _cipher(endpoint: Endpoint) -> str:
    if not endpoint.cipher_name:
        return "N/A"
    return f"{endpoint.cipher_code} {endpoint.cipher_name}".strip()


def _summary(endpoint: Endpoint) -> list[str]:
    conn = endpoint.conn
    rule = endpoint.rule.name if endpoint.rule else ""
    return [
        format_message(
            "DISPLAY.NETSTAT.TTLS.CONN",
            connid=endpoint.connid,
            jobname=conn.jobname,
            userid=conn.userid,
            local_socket=_socket(conn.local_ip, conn.local_port),
            foreign_socket=_socket(conn.remote_ip, conn.remote_port),
            state=endpoint.security,
        ),
        format_message("DISPLAY.NETSTAT.TTLS.CONN_RULE", rule=rule),
        format_message("DISPLAY.NETSTAT.TTLS.CONN_ACTIONS", **_actions(endpoint)),
        format_message(
            "DISPLAY.NETSTAT.TTLS.CONN_SECLEVEL",
            seclevel=endpoint.protocol or "N/A",
            cipher=_cipher(endpoint),
        ),
    ]


def netstat_ttls(
    number: int,
    *,
    release: str,
    tcpipname: str,
    endpoints: Sequence[Endpoint] = (),
    refused: int = 0,
) -> list[str]:
    """D TCPIP,tcpname,NETSTAT,TTLS: the live connections mapped to an AT-TLS rule.

    ``refused`` counts the connections reset because their owner was unknown and a rule
    naming a job or user could have covered them (issue 11); shown when there are any.
    """
    report = [format_message("DISPLAY.NETSTAT.TTLS.CONN_HEADING")]
    for endpoint in endpoints:
        report += _summary(endpoint)
    if refused:
        report.append(format_message("DISPLAY.NETSTAT.TTLS.REFUSED", refused=refused))
    return _netstat(number, release, tcpipname, [*report, *_records(len(endpoints))])


def _field(name: str, value: object) -> str:
    return format_message("DISPLAY.NETSTAT.TTLS.FIELD", name=f"{name}:", value=value)


def _detail(endpoint: Endpoint, stale: bool) -> list[str]:
    conn = endpoint.conn
    eff = endpoint.effective
    acts = _actions(endpoint)
    lines = [
        _field("JobName", conn.jobname),
        _field("UserID", conn.userid),
        _field("LocalSocket", _socket(conn.local_ip, conn.local_port)),
        _field("RemoteSocket", _socket(conn.remote_ip, conn.remote_port)),
        _field("Type", endpoint.type),
        _field("Status", endpoint.policy_state),
        _field("SecState", endpoint.security),
        _field("SecLevel", endpoint.protocol or "N/A"),
        _field("Cipher", _cipher(endpoint)),
        _field("CertUserID", endpoint.cert_userid or "N/A"),
        _field("MapType", "Primary"),
        _field(
            "TTLSRule",
            ((endpoint.rule.name if endpoint.rule else "") or "") + (" (Stale)" if stale else ""),
        ),
        _field("TTLSGrpAction", acts["group_action"]),
        _field("GroupID", f"{endpoint.grpid:08X}"),
        _field("TTLSEnvAction", acts["environment_action"]),
        _field("EnvironmentID", f"{endpoint.envid:08X}"),
        _field("TTLSConnAction", acts["connection_action"]),
    ]
    if eff is not None:
        keyring = eff.keyring.keyring if eff.keyring and eff.keyring.keyring else ""
        lines += [
            _field("HandshakeRole", eff.handshake_role or ""),
            _field("Keyring", keyring),
            _field("Protocols", " ".join(eff.protocols)),
            _field("HandshakeTimeout", eff.advanced.get("HandshakeTimeout", "")),
            _field("Trace", eff.trace),
        ]
    if endpoint.peer:  # the other end of the connection is also this stack's
        lines.append(_field("PartnerConnID", f"{endpoint.peer:08X}"))
    if endpoint.rc:
        lines.append(_field("ReturnCode", endpoint.rc))
    return lines


def netstat_ttls_conn(
    number: int,
    *,
    release: str,
    tcpipname: str,
    endpoint: Endpoint | None,
    detail: bool,
    stale: bool = False,
) -> list[str]:
    """D TCPIP,tcpname,NETSTAT,TTLS,CONN,id[,DETAIL]: one connection (§4.2)."""
    report: list[str] = []
    if endpoint is not None:
        report.append(format_message("DISPLAY.NETSTAT.TTLS.CONNID", connid=endpoint.connid))
        if detail:
            report += _detail(endpoint, stale)
        else:
            acts = _actions(endpoint)
            report += [
                _field("TTLSRule", endpoint.rule.name if endpoint.rule else ""),
                _field("TTLSGrpAction", acts["group_action"]),
                _field("TTLSEnvAction", acts["environment_action"]),
                _field("TTLSConnAction", acts["connection_action"]),
            ]
    return _netstat(number, release, tcpipname, [*report, *_records(1 if endpoint else 0)])
