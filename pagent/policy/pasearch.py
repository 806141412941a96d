"""``pasearch -t``: render an installed AT-TLS policy exactly as z/OS pasearch prints it.

The layout is that of the real z/OS 3.1 report in the corpus
(``extras/colinpaicemq-EasyATTLS-pasearch-t.report``, described in pagent-ops.md §6.2): a
header, then for each installed rule in match order its ``policyRule:`` block followed by one
``TTLS Action:`` block per action it references, every action printed with the values PAGENT
stored for it (environment and group actions fully expanded with defaults, connection
actions with what they override). The renderer only formats: the time stamps and the
instance id are arguments, so the output is deterministic for a given policy.

Unlike the real command, no line carries trailing blanks: pasearch pads most values to fixed
widths (``Active  ``, ``Off            ``), which only matters to byte comparisons.
"""

# Fidelity notes
# ==============
# Where the report (pagent-ops.md §6.2) does not show what pasearch prints, pagent chooses:
#
# * Trailing blanks: the real output pads values to fixed widths; pagent strips every line.
#   The report's one empty first line and its lack of a trailer are reproduced.
# * Action order: the policyAction triples and the action blocks follow the order in which
#   the rule codes its three *Ref lines (IBM's MFA sample codes AZFClientRule's refs
#   Environment, Group, Connection and AZFSrvAuthRule's Group, Environment, Connection, which
#   is what the report lists). A rule built without source locations falls back to Group,
#   Environment, Connection.
# * An extra empty line before the first rule of a lower priority: the report has two empty
#   lines between CPJES2OUT (Priority 255) and COLATTLJ (Priority 1) and one everywhere else.
#   Priority change is the only visible cause, so pagent reproduces it there.
# * Trace and CtraceClearText on environment and connection actions are printed only when
#   that action codes them. The report contradicts "inherited from the group": the
#   environment CSSMTPEnvironment of group CSSMTPGroup (Trace 7) shows no Trace line, and
#   DEFAULTTNCA12 of group DEFAULTTNGA (Trace 2) shows neither line. The CtraceClearText/
#   Trace pair on the report's connection actions is what the Configuration Assistant codes
#   (seed policy cAct1~zCEEClient).
# * EnvironmentUserInstance, GroupUserInstance and ConnectionUserInstance are printed only
#   when coded (the report shows EnvironmentUserInstance for the AZF environments only).
# * The connection action's TTLSSignatureParms section appears when the connection codes
#   signature parms or any protocol switch (SSLv2 ... TLSv1.3): that explains DEFAULTTNCA12
#   and DEFAULTTNCA13, whose lists are exactly the TLSv1.2 and TLSv1.3 defaults, and
#   AZFConnAction1, which codes neither and has no section. It lists ClientECurves,
#   ClientKeyShareGroups and SignaturePairs (coded by the connection, else by the
#   environment, else the default for the connection's effective TLSv1.3 switch), and the
#   Server* lists and SignaturePairsCert only when the connection codes them.
# * ClientECurves Any: printed as the report does, value one column right of the others,
#   and then no default ClientKeyShareGroups list (TNEA, TNCA).
# * Connection advanced parms follow one fixed order that fits every connection of the
#   report: SecondaryMap, the protocol switches, MiddleBoxCompatMode, ApplicationControlled,
#   HandshakeTimeout, the other environment parameters in the environment's order, then
#   CertificateLabel and ServerCertificateLabel. The environment uses the same order;
#   SecondaryMap, CertificateLabel, ServerCertificateLabel, ClientMaxSSLFragmentLength and
#   the SNI Match/List parameters are shown there only when coded (the report never shows
#   them at environment level). Several ServerCertificateLabel values print one line each.
# * Cipher lists are printed in coded order, V2 (``v2CipherSuites:``, 1-character codes)
#   before V3 (``v3CipherSuites:``, V3CipherSuites and V3CipherSuites4Char concatenated).
#   The report's two lists happen to be in ascending code order; whether pasearch sorts is
#   unknown, and System SSL treats the list as a preference order, so pagent keeps it.
#   An environment's cipher section (only when coded) comes after its signature parms.
# * A code with no known name prints alone; the V2 layout (``1  TLS_RC4_128_WITH_MD5``)
#   mirrors the V3 one and is not confirmed.
# * KeyringPw and GSK_LDAP_USER_PW print as ``********``; KeyringStashFile, the LDAP parms,
#   Envfile (after SyslogFacility) and the optional TTLSGskAdvancedParms parameters
#   (GSK_SYSPLEX_SIDCACHE, GSK_V2_*, AIACDPPriority, ...) print only when coded, in schema
#   order; labels beginning GSK_ put their value at column 48, the others at column 32.
#   TTLSGskLdapParms, when coded, comes after TTLSGskOcspParms.
# * HandshakeRole on a connection action prints before CtraceClearText, as on environments.
#   An environment without key ring parms (W310) prints no TTLSKeyringParms header.
# * Condition summary of an IpAddrGroup or PortGroup: lowest "from" to highest "to"
#   (ttls-language.md §3.3, §3.5); an All member, a 0.0.0.0 or :: member or mixed families
#   give All, a port member that means any port gives 0 to 0. pasearch also lists the
#   members, in a layout no available output shows: pagent prints only the summary.
#   An IpAddrSet Prefix 0.0.0.0/0 prints as 0.0.0.0 to 255.255.255.255, not All.
# * Time periods: Start/End Date Time print the ConditionTimeRange ends in ctime form; one
#   Fr/To TimeOfDay pair is printed per TimeOfDayRange interval. The UTC pair is the coded
#   pair modulo 24 hours, whatever TimeZone says: the report's system ran at UTC-6 (its
#   instance id 1734951139 is 10:52:19 UTC, printed as created 04:52:19) and still shows
#   00:00 / 00:00 for 00:00-24:00, as a PAGENT started without TZ would (PAGENT needs TZ
#   for local time, ttls-language.md §3.6). A DayOfMonthMask shorter than 62 digits is
#   padded with 1s.
# * No rule to show: the header, then ``No policies retrieved`` (pagent-ops.md §6.1).
# * The rule's and every action's Policy created/updated time is the install time given
#   (default ``now``); pagent keeps no per-statement history.
# * TTLS Instance Id: the report's 1734951139 is its Policy created time in epoch seconds,
#   so it is read as the install time; ``pagent search`` passes the time it read the files.
# * Constants, the report's only values: Version 3, Status Active, Rule Type TTLS,
#   ForLoadDist False, Sequence Actions Don't Care, Action Sequence 0, NegativeIndicator Off.
#   Inactive rules or actions are never shown (pagent installs or discards).

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pagent.messages import format_message
from pagent.policy import ciphers
from pagent.policy.addresses import AddrSpec, PortSpec, bounded_int, is_decimal
from pagent.policy.diagnostics import printable
from pagent.policy.effective import coded, defaults, sub_block
from pagent.policy.matching import addresses, ports
from pagent.policy.policy import DEFAULT_PRIORITY, Policy
from pagent.policy.statements import (
    IpTimeCondition,
    Statement,
    TTLSCipherParms,
    TTLSConnectionAction,
    TTLSConnectionAdvancedParms,
    TTLSEnvironmentAction,
    TTLSEnvironmentAdvancedParms,
    TTLSGroupAction,
    TTLSGroupAdvancedParms,
    TTLSGskAdvancedParms,
    TTLSGskHttpCdpParms,
    TTLSGskLdapParms,
    TTLSGskOcspParms,
    TTLSKeyringParms,
    TTLSRule,
    TTLSSignatureParms,
)

NO_POLICIES = format_message("PASEARCH.NO_POLICIES")  # the catalogue owns the text

# Columns (0-based) from pagent-ops.md §6.2 and the report.
_RULE_COL = 24  # rule-level values, header values
_SECOND_COL = 42  # second label of a two-column line
_SECOND_VALUE_COL = 61  # its value
_TIME_VALUE_COL = 49  # the header's Time: value
_ACTION_COL = 32  # action-level values
_GSK_COL = 48  # GSK_* values
_ANY_COL = 33  # "ClientECurves:              Any" sits one column right (report, TNEA)
_MASK = "********"

# Protocol switches; a connection coding one gets a signature section (Fidelity notes).
_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

# (keyword, shown with its default at environment level). The report's environment order;
# the False entries are the positions chosen for parameters it never shows (Fidelity notes).
_ADVANCED_ORDER: tuple[tuple[str, bool], ...] = (
    ("SecondaryMap", False),
    *((p, True) for p in _PROTOCOLS),
    ("MiddleBoxCompatMode", True),
    ("ApplicationControlled", True),
    ("HandshakeTimeout", True),
    ("ClientAuthType", True),
    ("ResetCipherTimer", True),
    ("TruncatedHMAC", True),
    ("CertValidationMode", True),
    ("ServerMaxSSLFragment", True),
    ("ClientMaxSSLFragment", True),
    ("ClientMaxSSLFragmentLength", False),
    ("ServerHandshakeSNI", True),
    ("ServerHandshakeSNIMatch", False),
    ("ServerHandshakeSNIList", False),
    ("ClientHandshakeSNI", True),
    ("ClientHandshakeSNIMatch", False),
    ("ClientHandshakeSNIList", False),
    ("ClientExtendedMasterSecret", True),
    ("ServerExtendedMasterSecret", True),
    ("Renegotiation", True),
    ("RenegotiationIndicator", True),
    ("RenegotiationCertCheck", True),
    ("3DesKeyCheck", True),
    ("ClientEDHGroupSize", True),
    ("ServerEDHGroupSize", True),
    ("PeerMinCertVersion", True),
    ("PeerMinDHKeySize", True),
    ("PeerMinDsaKeySize", True),
    ("PeerMinECCKeySize", True),
    ("PeerMinRsaKeySize", True),
    ("ServerScsv", True),
    ("CertificateLabel", False),
    ("ServerCertificateLabel", False),
)

# TTLSGskAdvancedParms: the report's nine defaults, optional ones around them in schema order.
_GSK_ORDER: tuple[tuple[str, bool], ...] = (
    ("GSK_SYSPLEX_SIDCACHE", False),
    ("GSK_V2_SESSION_TIMEOUT", False),
    ("GSK_V2_SIDCACHE_SIZE", False),
    ("GSK_V3_SESSION_TIMEOUT", True),
    ("GSK_V3_SIDCACHE_SIZE", True),
    ("GSK_SESSION_TICKET_CLIENT_ENABLE", True),
    ("GSK_SESSION_TICKET_CLIENT_MAXSIZE", True),
    ("GSK_SESSION_TICKET_SERVER_ENABLE", True),
    ("GSK_SESSION_TICKET_SERVER_ALGORITHM", True),
    ("GSK_SESSION_TICKET_SERVER_COUNT", True),
    ("GSK_SESSION_TICKET_SERVER_KEY_REFRESH", True),
    ("GSK_SESSION_TICKET_SERVER_TIMEOUT", True),
    ("AIACDPPriority", False),
    ("MaxSrcRevExtLocValues", False),
    ("MaxValidRevExtLocValues", False),
    ("RevocationSecurityLevel", False),
)

_HTTP_CDP_ORDER: tuple[tuple[str, bool], ...] = (
    ("HttpCdpEnable", True),
    ("HttpCdpProxyServerName", False),
    ("HttpCdpProxyServerPort", True),
    ("HttpCdpResponseTimeout", True),
    ("HttpCdpMaxResponseSize", True),
    ("HttpCdpCacheSize", True),
    ("HttpCdpCacheEntryMaxsize", True),
)

# The report prints OcspServerStapling last, although the syntax diagram has it earlier.
_OCSP_ORDER: tuple[tuple[str, bool], ...] = (
    ("OcspUrl", False),
    ("OcspAiaEnable", True),
    ("OcspProxyServerName", False),
    ("OcspProxyServerPort", True),
    ("OcspRetrieveViaGet", True),
    ("OcspUrlPriority", True),
    ("OcspRequestSigkeylabel", False),
    ("OcspRequestSigalg", True),
    ("OcspResponseSigAlgPairs", False),
    ("OcspClientCacheSize", True),
    ("OcspCliCacheEntryMaxsize", True),
    ("OcspNonceGenEnable", True),
    ("OcspNonceCheckEnable", True),
    ("OcspNonceSize", True),
    ("OcspResponseTimeout", True),
    ("OcspMaxResponseSize", True),
    ("OcspServerStapling", True),
)

# The report's group advanced order: SecondaryMap before SyslogFacility; Envfile chosen last.
_GROUP_ADVANCED_ORDER: tuple[tuple[str, bool], ...] = (
    ("SecondaryMap", True),
    ("SyslogFacility", True),
    ("Envfile", False),
)

_SECRET = frozenset({"KeyringPw", "GSK_LDAP_USER_PW"})
_SIGPAIR_LISTS = frozenset({"OcspRequestSigalg", "OcspResponseSigAlgPairs"})

_SIG_ENV = ("ClientECurves", "ClientKeyShareGroups", "ServerKeyShareGroups", "ServerKexECurves",
            "SignaturePairs")  # fmt: skip
_SIG_CONN = ("ClientECurves", "ClientKeyShareGroups", "SignaturePairs")


# --- line formatting -------------------------------------------------------------------------
def _line(indent: int, label: str, value: object = None, col: int = _RULE_COL) -> str:
    """``label`` indented, its value at ``col`` (one blank after a longer label)."""
    head = " " * indent + label
    if value is None or value == "":
        return head
    gap = max(col - len(head), 1)
    return f"{head}{' ' * gap}{value}".rstrip()


def _pair(
    indent: int,
    label: str,
    value: object,
    label2: str,
    value2: object,
    *,
    value2_col: int = _SECOND_VALUE_COL,
) -> str:
    """A two-column line: the second label at column 42 (pagent-ops.md §6.2)."""
    left = _line(indent, label, value)
    left += " " * max(_SECOND_COL - len(left), 1)
    right = label2 + " " * max(value2_col - _SECOND_COL - len(label2), 1) + str(value2)
    return (left + right).rstrip()


def _code_lines(
    indent: int, codes: Iterable[str], name_of: Callable[[str], str | None]
) -> Iterator[str]:
    """List entries: 4 hex digits, 2 blanks, name (report: ``C02F  TLS_ECDHE_...``)."""
    for code in codes:
        name = name_of(code)
        yield f"{' ' * indent}{code}  {name}" if name else f"{' ' * indent}{code}"


def _ordered(
    stmt: Statement | None,
    keyword: str,
    order: Sequence[tuple[str, bool]],
    *,
    with_defaults: bool,
) -> Iterator[tuple[str, Any]]:
    """(keyword, value) in display order: coded values, else defaults where shown.

    A coded parameter missing from ``order`` still prints, after the others, so that
    nothing coded is silently hidden.
    """
    values = coded(stmt)
    defs = defaults(keyword) if with_defaults else {}
    known = set()
    for kw, shown in order:
        known.add(kw)
        value = values.get(kw)
        if value is None and shown:
            value = defs.get(kw)
        if value is not None:
            yield kw, value
    for kw, value in values.items():
        if kw not in known:
            yield kw, value


def _param_lines(
    indent: int, items: Iterable[tuple[str, Any]], *, col: int = _ACTION_COL
) -> Iterator[str]:
    """Scalar, repeated and code-list parameters of a sub-block."""
    for kw, value in items:
        where = _GSK_COL if kw.startswith("GSK_") else col
        if kw in _SIGPAIR_LISTS:
            yield _line(indent, f"{kw}:")
            yield from _code_lines(indent + 1, value, ciphers.sigpair_name)
        elif kw in _SECRET:
            yield _line(indent, f"{kw}:", _MASK, where)
        elif isinstance(value, tuple):
            for item in value:
                yield _line(indent, f"{kw}:", str(item), where)
        else:
            yield _line(indent, f"{kw}:", str(value), where)


# --- the renderer ------------------------------------------------------------------------------
class _Renderer:
    """Renders the rules of one policy."""

    def __init__(self, policy: Policy, stamp: str) -> None:
        self.policy = policy
        self.stamp = stamp

    # rule block
    def rule(self, rule: TTLSRule) -> list[str]:
        priority = rule.priority or DEFAULT_PRIORITY
        actions = self.actions(rule)
        out = [
            _line(0, "policyRule:", rule.name),
            _line(2, "Rule Type:", "TTLS"),
            _pair(2, "Version:", 3, "Status:", "Active"),
            _pair(2, "Weight:", priority, "ForLoadDist:", "False"),
            _pair(2, "Priority:", priority, "Sequence Actions:", "Don't Care"),
            _line(2, "No. Policy Action:", len(actions)),
        ]
        for action, kind in actions:
            out += [
                _line(2, "policyAction:", action.name),
                _line(3, "ActionType:", f"TTLS {kind}"),
                _line(3, "Action Sequence:", 0),
            ]
        out += self.time_periods(rule)
        out += self.conditions(rule)
        out += self.created(2)
        blocks = [out]
        for action, _kind in actions:
            blocks.append(self.action(rule, action))
        return [line for block in _join(blocks) for line in block]

    def actions(self, rule: TTLSRule) -> list[tuple[Statement, str]]:
        """The rule's actions in the order its *Ref lines are coded (Fidelity notes)."""
        refs: list[tuple[str, Statement | None, str]] = [
            ("TTLSGroupActionRef",
             self.policy.get(TTLSGroupAction, rule.ttls_group_action_ref), "Group"),
            ("TTLSEnvironmentActionRef",
             self.policy.get(TTLSEnvironmentAction, rule.ttls_environment_action_ref),
             "Environment"),
            ("TTLSConnectionActionRef",
             self.policy.get(TTLSConnectionAction, rule.ttls_connection_action_ref),
             "Connection"),
        ]  # fmt: skip
        found = [(kw, s, kind) for kw, s, kind in refs if s is not None]

        def where(item: tuple[str, Statement | None, str]) -> tuple[int, int]:
            loc = rule.locs.get(item[0])
            return (loc.line, loc.col) if loc is not None else (0, 0)

        found.sort(key=where)  # stable: Group, Environment, Connection without locations
        return [(s, kind) for _kw, s, kind in found if s is not None]

    def created(self, indent: int) -> list[str]:
        return [
            f"{' ' * indent}Policy created: {self.stamp}",
            f"{' ' * indent}Policy updated: {self.stamp}",
        ]

    def time_periods(self, rule: TTLSRule) -> list[str]:
        cond = rule.ip_time_condition or self.policy.get(
            IpTimeCondition, rule.ip_time_condition_ref
        )
        values = {**defaults("IpTimeCondition"), **coded(cond)}
        day_of_month = str(values["DayOfMonthMask"]).ljust(62, "1")
        out = [
            _line(2, "Time Periods:"),
            _line(3, "Day of Month Mask:"),
            _line(3, "First to Last:", day_of_month[:31]),
            _line(3, "Last to First:", day_of_month[31:62]),
            _line(3, "Month of Yr Mask:", values["MonthOfYearMask"]),
            _line(3, "Day of Week Mask:", f"{values['DayOfWeekMask']}  (Sunday - Saturday)"),
        ]
        start, end = _date_range(values.get("ConditionTimeRange"))
        out += [_line(3, "Start Date Time:", start), _line(3, "End Date Time:", end)]
        zone = str(values["TimeZone"])
        for low, high in _tod_intervals(str(values["TimeOfDayRange"])):
            # The UTC pair is the coded pair modulo 24 hours (Fidelity notes).
            out.append(_pair(3, "Fr TimeOfDay:", low, "To TimeOfDay:", high))
            out.append(_pair(3, "Fr TimeOfDay UTC:", _wrap(low), "To TimeOfDay UTC:", _wrap(high)))
        out.append(_line(3, "TimeZone:", zone))
        return out

    def conditions(self, rule: TTLSRule) -> list[str]:
        out = [_pair(2, "TTLS Condition Summary:", "", "NegativeIndicator:", "Off")]
        for side, title in (("local", "Local Address:"), ("remote", "Remote Address:")):
            grouped = getattr(rule, f"{side}_addr_group_ref") is not None
            low, high = _addr_summary(addresses(self.policy, rule, _side(side)), grouped)
            out += [_line(3, title), _line(4, "FromAddr:", low), _line(4, "ToAddr:", high)]
        for side, name in (("local", "Local"), ("remote", "Remote")):
            low_port, high_port = _port_summary(ports(self.policy, rule, _side(side)))
            out.append(_pair(3, f"{name}PortFrom:", low_port, f"{name}PortTo:", high_port))
        out.append(_pair(3, "JobName:", rule.jobname or "", "UserId:", rule.userid or ""))
        out.append(_line(3, "ServiceDirection:", rule.direction or "Both"))
        return out

    # action blocks
    def action(self, rule: TTLSRule, action: Statement) -> list[str]:
        out = [_line(2, "TTLS Action:", action.name, _ACTION_COL)]
        out += [_line(4, "Version:", 3, _ACTION_COL), _line(4, "Status:", "Active", _ACTION_COL)]
        if isinstance(action, TTLSGroupAction):
            out += self.group(action)
        elif isinstance(action, TTLSEnvironmentAction):
            out += self.environment(action)
        elif isinstance(action, TTLSConnectionAction):
            env = self.policy.get(TTLSEnvironmentAction, rule.ttls_environment_action_ref)
            out += self.connection(action, env)
        out += self.created(4)
        return out

    def group(self, group: TTLSGroupAction) -> list[str]:
        gdef = defaults("TTLSGroupAction")
        trace = group.trace if group.trace is not None else gdef["Trace"]
        out = [
            _line(4, "Scope:", "Group", _ACTION_COL),
            _line(4, "TTLSEnabled:", group.ttls_enabled or "Off", _ACTION_COL),
            _line(4, "CtraceClearText:", group.ctrace_clear_text or gdef["CtraceClearText"],
                  _ACTION_COL),
            _line(4, "Trace:", trace, _ACTION_COL),
            _line(4, "FIPS140:", group.fips140 or gdef["FIPS140"], _ACTION_COL),
            _line(4, "TTLSGroupAdvancedParms:"),
        ]  # fmt: skip
        adv = sub_block(self.policy, group, TTLSGroupAdvancedParms)
        out += _param_lines(
            5,
            _ordered(adv, "TTLSGroupAdvancedParms", _GROUP_ADVANCED_ORDER, with_defaults=True),
        )
        if group.group_user_instance is not None:
            out.append(_line(4, "GroupUserInstance:", group.group_user_instance, _ACTION_COL))
        return out

    def environment(self, env: TTLSEnvironmentAction) -> list[str]:
        out = [_line(4, "Scope:", "Environment", _ACTION_COL)]
        if env.handshake_role is not None:
            out.append(_line(4, "HandshakeRole:", env.handshake_role, _ACTION_COL))
        out += _trace_lines(env.ctrace_clear_text, env.trace)
        out.append(_line(4, "SuiteBProfile:", env.suite_b_profile or "Off", _ACTION_COL))
        keyring = sub_block(self.policy, env, TTLSKeyringParms)
        if keyring is not None:
            out.append(_line(4, "TTLSKeyringParms:"))
            out += _param_lines(5, coded(keyring).items())
        adv = sub_block(self.policy, env, TTLSEnvironmentAdvancedParms)
        out.append(_line(4, "TTLSEnvironmentAdvancedParms:"))
        out += _param_lines(
            5,
            _ordered(adv, "TTLSEnvironmentAdvancedParms", _ADVANCED_ORDER, with_defaults=True),
        )
        sig = sub_block(self.policy, env, TTLSSignatureParms)
        out.append(_line(4, "TTLSSignatureParms:"))
        out += _signature_lines(coded(sig), _SIG_ENV, tls13=_env_tls13(self.policy, env))
        out += _cipher_lines(sub_block(self.policy, env, TTLSCipherParms))
        out += self.gsk(sub_block(self.policy, env, TTLSGskAdvancedParms))
        if env.environment_user_instance is not None:
            out.append(
                _line(4, "EnvironmentUserInstance:", env.environment_user_instance, _ACTION_COL)
            )
        return out

    def gsk(self, gsk: TTLSGskAdvancedParms | None) -> list[str]:
        out = [_line(4, "TTLSGskAdvancedParms:")]
        out += _param_lines(
            5, _ordered(gsk, "TTLSGskAdvancedParms", _GSK_ORDER, with_defaults=True)
        )
        http = sub_block(self.policy, gsk, TTLSGskHttpCdpParms)
        out.append(_line(5, "TTLSGskHttpCdpParms:"))
        out += _param_lines(
            6, _ordered(http, "TTLSGskHttpCdpParms", _HTTP_CDP_ORDER, with_defaults=True)
        )
        ocsp = sub_block(self.policy, gsk, TTLSGskOcspParms)
        out.append(_line(5, "TTLSGskOcspParms:"))
        out += _param_lines(6, _ordered(ocsp, "TTLSGskOcspParms", _OCSP_ORDER, with_defaults=True))
        ldap = sub_block(self.policy, gsk, TTLSGskLdapParms)
        if ldap is not None:
            out.append(_line(5, "TTLSGskLdapParms:"))
            out += _param_lines(6, coded(ldap).items())
        return out

    def connection(
        self, conn: TTLSConnectionAction, env: TTLSEnvironmentAction | None
    ) -> list[str]:
        out = [_line(4, "Scope:", "Connection", _ACTION_COL)]
        if conn.handshake_role is not None:
            out.append(_line(4, "HandshakeRole:", conn.handshake_role, _ACTION_COL))
        out += _trace_lines(conn.ctrace_clear_text, conn.trace)
        adv = sub_block(self.policy, conn, TTLSConnectionAdvancedParms)
        adv_coded = coded(adv)
        if adv is not None:
            out.append(_line(4, "TTLSConnectionAdvancedParms:"))
            out += _param_lines(
                5,
                _ordered(adv, "TTLSConnectionAdvancedParms", _ADVANCED_ORDER, with_defaults=False),
            )
        sig = sub_block(self.policy, conn, TTLSSignatureParms)
        if sig is not None or any(p in adv_coded for p in _PROTOCOLS):
            tls13 = adv_coded.get("TLSv1.3")
            on = tls13 == "On" if tls13 is not None else _env_tls13(self.policy, env)
            env_sig = coded(sub_block(self.policy, env, TTLSSignatureParms))
            conn_sig = coded(sig)
            merged = {**{k: v for k, v in env_sig.items() if k in _SIG_CONN}, **conn_sig}
            extra = tuple(k for k in (*_SIG_ENV, "SignaturePairsCert") if k in conn_sig)
            shown = tuple(k for k in _SIG_ENV if k in _SIG_CONN or k in extra)
            out.append(_line(4, "TTLSSignatureParms:"))
            out += _signature_lines(merged, shown, tls13=on)
        out += _cipher_lines(sub_block(self.policy, conn, TTLSCipherParms))
        if conn.connection_user_instance is not None:
            out.append(
                _line(4, "ConnectionUserInstance:", conn.connection_user_instance, _ACTION_COL)
            )
        return out


def _side(side: str) -> Literal["local", "remote"]:
    return "local" if side == "local" else "remote"


def _join(blocks: Sequence[list[str]]) -> Iterator[list[str]]:
    """Blocks separated by one empty line (pagent-ops.md §6.2)."""
    for i, block in enumerate(blocks):
        if i:
            yield [""]
        yield block


def _trace_lines(ctrace: str | None, trace: int | None) -> list[str]:
    """An environment's or connection's own CtraceClearText / Trace (Fidelity notes)."""
    out = []
    if ctrace is not None:
        out.append(_line(4, "CtraceClearText:", ctrace, _ACTION_COL))
    if trace is not None:
        out.append(_line(4, "Trace:", trace, _ACTION_COL))
    return out


def _env_tls13(policy: Policy, env: TTLSEnvironmentAction | None) -> bool:
    adv = coded(sub_block(policy, env, TTLSEnvironmentAdvancedParms))
    return bool(adv.get("TLSv1.3", defaults("TTLSEnvironmentAdvancedParms")["TLSv1.3"]) == "On")


def _signature_lines(
    values: Mapping[str, Any], shown: Sequence[str], *, tls13: bool
) -> Iterator[str]:
    """TTLSSignatureParms lists: coded values, else PAGENT's defaults (ciphers module)."""
    curves = values.get("ClientECurves")
    any_curve = curves == ("Any",)
    for kw in shown:
        codes = values.get(kw)
        if codes is None:
            if kw == "ClientKeyShareGroups" and any_curve:
                continue  # the report prints no default list beside ClientECurves Any
            codes = ciphers.default_codes(kw, tls13) or ()
        if kw == "ClientECurves" and any_curve:
            yield _line(5, "ClientECurves:", "Any", _ANY_COL)
            continue
        yield _line(5, f"{kw}:")
        name_of = ciphers.sigpair_name if kw == "SignaturePairs" else ciphers.curve_name
        yield from _code_lines(6, codes, name_of)
    cert = values.get("SignaturePairsCert")
    if cert is not None and "SignaturePairsCert" not in shown:
        yield _line(5, "SignaturePairsCert:")
        yield from _code_lines(6, cert, ciphers.sigpair_name)


def _cipher_lines(cipher: TTLSCipherParms | None) -> list[str]:
    """A coded TTLSCipherParms: V2 codes, then the V3 and V3-4-character lists as one."""
    if cipher is None or not (cipher.v2_cipher_suites or cipher.v3_preference):
        # No section at all when nothing is left to install: the real report shows none for
        # TNEA, whose only suite (1303) was not installed [PAS] (fidelity F-154).
        return []
    out = [_line(4, "TTLSCipherParms:")]
    if cipher.v2_cipher_suites:
        out.append(_line(5, "v2CipherSuites:"))
        out += _code_lines(6, cipher.v2_cipher_suites, ciphers.V2_CIPHERS_BY_CODE.get)
    v3 = cipher.v3_preference or ()
    if v3:
        out.append(_line(5, "v3CipherSuites:"))
        out += _code_lines(6, v3, ciphers.suite_name)
    return out


def _addr_summary(specs: Sequence[AddrSpec], grouped: bool) -> tuple[str, str]:
    """FromAddr / ToAddr: All, or lowest from to highest to (ttls-language.md §3.3)."""
    if not specs or any(s.all for s in specs):
        return "All", "All"
    if len({s.version for s in specs}) > 1:
        return "All", "All"
    if grouped and any(s.low == s.high == 0 for s in specs):
        return "All", "All"
    low = min(s.low for s in specs)
    high = max(s.high for s in specs)
    make = ipaddress.IPv4Address if specs[0].version == 4 else ipaddress.IPv6Address
    return str(make(low)), str(make(high))


def _port_summary(specs: Sequence[PortSpec]) -> tuple[int, int]:
    """PortFrom / PortTo: 0 and 0 for any port, else lowest to highest (§3.5)."""
    if not specs or any(p.any for p in specs):
        return 0, 0
    return min(p.low for p in specs), max(p.high for p in specs)


def _date_range(value: object) -> tuple[str, str]:
    """ConditionTimeRange ``yyyymmddhhmmss:yyyymmddhhmmss`` as two ctime strings, or None."""
    if not isinstance(value, str) or not value:
        return "None", "None"
    ends = value.split(":", 1)
    out = []
    for text in (*ends, "")[:2]:
        try:
            out.append(datetime.strptime(text.strip(), "%Y%m%d%H%M%S").ctime())
        except ValueError:
            out.append(text.strip() or "None")
    return out[0], out[1]


def _tod_intervals(text: str) -> Iterator[tuple[str, str]]:
    """``hh:mm-hh:mm[, ...]`` as (from, to) pairs written ``HH:MM``."""
    found = False
    for part in text.split(","):
        low, sep, high = part.strip().partition("-")
        if not sep:
            continue
        found = True
        yield _hhmm(low), _hhmm(high)
    if not found:
        yield "00:00", "24:00"


def _hhmm(text: str) -> str:
    hours, _, minutes = text.strip().partition(":")
    try:
        return f"{int(hours):02d}:{int(minutes or 0):02d}"
    except ValueError:
        return text.strip()


_TOD_MAX = 10**6  # hours or minutes beyond this are left as written, not converted


def _wrap(hhmm: str) -> str:
    """A time of day modulo 24 hours: ``24:00`` is ``00:00``."""
    hours, _, minutes = hhmm.partition(":")
    if not (is_decimal(hours) and is_decimal(minutes)):
        return hhmm
    h, m = bounded_int(hours, _TOD_MAX), bounded_int(minutes, _TOD_MAX)
    if h is None or m is None:
        return hhmm
    total = (h * 60 + m) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


def _header(image: str, release: str, now: datetime, instance_id: int) -> list[str]:
    """The report starts with one empty line, then three header lines and an empty line."""
    title = f"TCP/IP pasearch {release}"
    return [
        "",
        title + " " * max(_SECOND_COL - len(title), 1) + f"Image Name: {image}",
        _pair(2, "Date:", now.strftime("%m/%d/%Y"), "Time:", now.strftime("%H:%M:%S"),
              value2_col=_TIME_VALUE_COL),
        _line(2, "TTLS Instance Id:", instance_id),
        "",
    ]  # fmt: skip


def render_ttls(
    policy: Policy,
    *,
    image: str,
    now: datetime,
    instance_id: int,
    release: str = "CS 3.1",
    rule: str | None = None,
    installed: datetime | None = None,
) -> str:
    """The ``pasearch -t`` report of a policy's installed rules, one string ending in a newline.

    ``now`` is the time of the query (header Date and Time), ``installed`` the time the
    policy was installed (every ``Policy created`` and ``Policy updated`` line; default
    ``now``). ``instance_id`` is printed as the TTLS Instance Id: on z/OS it is the install
    time in seconds since the epoch (the report's 1734951139 is 04:52:19 at UTC-6, its
    Policy created time). ``rule`` limits the report to that rule.
    """
    lines = _header(image, release, now, instance_id)
    rules = [r for r in policy.rules if rule is None or r.name == rule]
    if not rules:
        return "\n".join([*lines, NO_POLICIES]) + "\n"
    # Names and values come from the file: no raw control character reaches the terminal.
    renderer = _Renderer(policy, (installed or now).ctime())
    previous: int | None = None
    for r in rules:
        priority = r.priority or DEFAULT_PRIORITY
        if previous is not None:
            lines.append("")
            if priority != previous:
                lines.append("")  # the report's extra empty line at a priority change
        previous = priority
        lines += renderer.rule(r)
    return "\n".join(map(printable, lines)) + "\n"


__all__ = ["NO_POLICIES", "render_ttls"]
