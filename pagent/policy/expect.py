"""Expectations: the connections a policy must protect (or leave clear), checked (issue 10 §4).

The most common AT-TLS failure is silent: a connection that no rule covers, or that a
higher-priority rule turns off, goes out in clear. An expectations file (TOML, read with the
standard library's tomllib) lists connections and what each needs::

    [[expect]]
    name = "gateway inbound"
    direction = "inbound"
    local = "10.0.0.1:7554"
    remote = "10.0.0.2:40000"
    jobname = "ZWE1AG"
    userid = "ZWESVUSR"
    secure = true                 # false: must stay clear
    # optional: rule, min_protocol, role, client_auth, keyring, image

:func:`parse_expectations` reads one (a malformed file raises :class:`ExpectationError` with
the file, line and key); :func:`evaluate` maps each connection as the stack would
(:class:`pagent.policy.matching.Matcher`) and compares its effective actions
(:func:`pagent.policy.effective.effective`) with what is expected. Pure: no output here.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pagent.policy.effective import Effective, effective
from pagent.policy.matching import Connection, Direction, Matcher
from pagent.policy.policy import DEFAULT_PRIORITY, Policy
from pagent.policy.statements import TTLSRule

PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
ROLES = ("Client", "Server", "ServerWithClientAuth")
CLIENT_AUTH = ("PassThru", "Full", "Required", "SAFCheck")
REQUIRED = ("name", "direction", "local", "remote", "secure")
OPTIONAL = ("jobname", "userid", "rule", "min_protocol", "role", "client_auth", "keyring", "image")
# The checks that only make sense for a protected connection.
PROTECTION_KEYS = ("min_protocol", "role", "client_auth", "keyring")


class ExpectationError(ValueError):
    """A malformed expectations file: where, which key, and what is wrong."""

    def __init__(self, path: str, line: int | None, key: str | None, problem: str) -> None:
        where = f"{path}:{line}" if line else path
        what = f"key '{key}': " if key else ""
        super().__init__(f"{where}: {what}{problem}")
        self.path, self.line, self.key, self.problem = path, line, key, problem


@dataclass(frozen=True, slots=True)
class Expectation:
    """One connection and what it needs."""

    name: str
    connection: Connection
    secure: bool
    line: int  # of its [[expect]] header
    rule: str | None = None
    min_protocol: str | None = None
    role: str | None = None
    client_auth: str | None = None
    keyring: str | None = None
    image: str | None = None


# --- reading -----------------------------------------------------------------------------------
_HEADER = re.compile(r"^\s*\[\[\s*expect\s*\]\]\s*(#.*)?$")
_TOML_LINE = re.compile(r"at line (\d+)")


class _Lines:
    """Where things are in the file's text: tomllib gives values, not line numbers."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i + 1 for i, line in enumerate(self.lines) if _HEADER.match(line)]

    def header(self, index: int) -> int | None:
        return self.headers[index] if index < len(self.headers) else None

    def key(self, index: int, key: str) -> int | None:
        """The line of ``key = ...`` inside the index-th [[expect]] table."""
        start = self.header(index)
        if start is None:
            return None
        end = self.headers[index + 1] if index + 1 < len(self.headers) else len(self.lines) + 1
        pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
        for n in range(start + 1, end):
            if pattern.match(self.lines[n - 1]):
                return n
        return start

    def top_key(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*\[*\s*{re.escape(key)}\b")
        return next(
            (i + 1 for i, line in enumerate(self.lines) if pattern.match(line)),
            None,
        )


def parse_expectations(text: str, path: str) -> list[Expectation]:
    """Parse an expectations file; raises :class:`ExpectationError` naming file, line and key."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        raise ExpectationError(
            path, int(found.group(1)) if found else None, None, f"not valid TOML: {exc}"
        ) from None
    where = _Lines(text)
    for key in doc:
        if key != "expect":
            raise ExpectationError(
                path, where.top_key(key), key, "unknown key; the file holds [[expect]] tables"
            )
    tables = doc.get("expect")
    if tables is None:
        raise ExpectationError(path, None, None, "no [[expect]] table")
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ExpectationError(path, where.top_key("expect"), "expect", "must be [[expect]] tables")
    out = [_expectation(t, i, where, path) for i, t in enumerate(tables)]
    seen: dict[str, int] = {}
    for e in out:
        if e.name in seen:
            raise ExpectationError(
                path, where.key(out.index(e), "name"), "name",
                f"'{e.name}' is used twice (first at line {seen[e.name]})",
            )  # fmt: skip
        seen[e.name] = e.line
    return out


def _expectation(table: Mapping[str, Any], index: int, where: _Lines, path: str) -> Expectation:
    def fail(key: str | None, problem: str) -> ExpectationError:
        line = where.key(index, key) if key else where.header(index)
        return ExpectationError(path, line, key, problem)

    for key in table:
        if key not in REQUIRED and key not in OPTIONAL:
            known = ", ".join((*REQUIRED, *OPTIONAL))
            return _raise(fail(key, f"unknown key (known: {known})"))
    for key in REQUIRED:
        if key not in table:
            return _raise(fail(None, f"[[expect]] has no '{key}'"))

    def text(key: str) -> str | None:
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise fail(key, "must be a non-empty string")
        return value.strip() if isinstance(value, str) else None

    def choice(key: str, allowed: Sequence[str]) -> str | None:
        value = text(key)
        if value is None:
            return None
        for a in allowed:
            if a.lower() == value.lower():
                return a
        raise fail(key, f"'{value}' is not one of {', '.join(allowed)}")

    name = text("name")
    assert name is not None
    direction = choice("direction", ("inbound", "outbound"))
    secure = table["secure"]
    if not isinstance(secure, bool):
        raise fail("secure", "must be true or false")
    local = _endpoint(text("local") or "", lambda p: fail("local", p))
    remote = _endpoint(text("remote") or "", lambda p: fail("remote", p))
    if not secure:
        for key in PROTECTION_KEYS:
            if key in table:
                raise fail(key, "applies only to a connection that must be secure (secure = true)")
    jobname = text("jobname") or ""
    userid = text("userid") or ""
    for key, value in (("jobname", jobname), ("userid", userid)):
        if len(value) > 8:
            raise fail(key, f"'{value}' is longer than 8 characters")
    conn_direction: Direction = "inbound" if direction == "inbound" else "outbound"
    return Expectation(
        name=name,
        connection=Connection(
            direction=conn_direction,
            local_ip=local[0],
            local_port=local[1],
            remote_ip=remote[0],
            remote_port=remote[1],
            jobname=jobname.upper(),
            userid=userid.upper(),
        ),
        secure=secure,
        line=where.header(index) or 0,
        rule=text("rule"),
        min_protocol=choice("min_protocol", PROTOCOLS),
        role=choice("role", ROLES),
        client_auth=choice("client_auth", CLIENT_AUTH),
        keyring=text("keyring"),
        image=text("image"),
    )


def _raise(exc: ExpectationError) -> Expectation:
    raise exc


def _endpoint(text: str, fail: Callable[[str], ExpectationError]) -> tuple[str, int]:
    """``IP:PORT`` or ``[IPv6]:PORT``."""
    if text.startswith("["):
        host, sep, port = text[1:].partition("]:")
    else:
        host, sep, port = text.rpartition(":")
        if ":" in host:
            raise fail(f"'{text}': write an IPv6 endpoint as [addr]:port")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise fail(f"'{text}' is not IP:PORT (IPv6 as [addr]:port)")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise fail(f"'{host}' is not an IP address") from None
    return str(ip), int(port)


# --- evaluating --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Outcome:
    """What one expectation found: PASS or FAIL, the rule, and what decides it."""

    expectation: Expectation
    passed: bool
    rule: str | None
    actions: tuple[str, ...]
    why: str  # the text after 'PASS name: ' or 'FAIL name: '
    label: str | None = None  # the policy (image) it was checked against, when several

    def line(self) -> str:
        """``PASS name: rule R (actions ...)`` or ``FAIL name: <what decides it>``."""
        where = f" [{self.label}]" if self.label else ""
        return f"{'PASS' if self.passed else 'FAIL'} {self.expectation.name}{where}: {self.why}"

    def as_json(self) -> dict[str, object]:
        """The stable JSON form."""
        c = self.expectation.connection
        return {
            "name": self.expectation.name,
            "line": self.expectation.line,
            "policy": self.label,
            "passed": self.passed,
            "rule": self.rule,
            "actions": list(self.actions),
            "why": self.why,
            "connection": {
                "direction": c.direction,
                "local": _show(c.local_ip, c.local_port),
                "remote": _show(c.remote_ip, c.remote_port),
                "jobname": c.jobname,
                "userid": c.userid,
            },
        }


def _show(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _actions(eff: Effective) -> tuple[str, ...]:
    a = eff.actions
    return tuple(s.name or "" for s in (a.group, a.environment, a.connection) if s is not None)


def _rule_text(rule: TTLSRule, actions: Sequence[str]) -> str:
    return f"rule {rule.name} (actions {', '.join(actions) or 'none'})"


def _wins(rule: TTLSRule) -> str:
    return f"rule {rule.name} with Priority {rule.priority or DEFAULT_PRIORITY} wins"


def _protection_problems(e: Expectation, eff: Effective) -> list[str]:
    """What differs from the expected protection, in the order a person would fix it."""
    problems: list[str] = []
    enabled = eff.protocols
    if not enabled:
        problems.append("no protocol is enabled, so every handshake fails")
    elif e.min_protocol is not None:
        floor = PROTOCOLS.index(e.min_protocol)
        below = [p for p in enabled if PROTOCOLS.index(p) < floor]
        if len(below) == len(enabled):
            problems.append(f"only {_and(below)} left enabled (min_protocol {e.min_protocol})")
        elif below:
            problems.append(f"{_and(below)} also enabled, below min_protocol {e.min_protocol}")
    role = eff.handshake_role
    if e.role is not None and role != e.role:
        problems.append(f"HandshakeRole is {role or 'not coded'}, not {e.role}")
    if e.client_auth is not None:
        auth = str(eff.advanced.get("ClientAuthType", ""))
        if auth != e.client_auth:
            problems.append(f"ClientAuthType is {auth or 'not coded'}, not {e.client_auth}")
        if role != "ServerWithClientAuth":
            problems.append(
                f"ClientAuthType applies only with HandshakeRole ServerWithClientAuth "
                f"(it is {role or 'not coded'})"
            )
    if e.keyring is not None:
        ring = eff.keyring.keyring if eff.keyring is not None else None
        if ring is None:
            problems.append(f"the key ring differs: none is coded, not {e.keyring}")
        elif ring != e.keyring:
            problems.append(f"the key ring differs: {ring}, not {e.keyring}")
    return problems


def evaluate_one(
    policy: Policy,
    e: Expectation,
    matcher: Matcher | None = None,
    label: str | None = None,
    *,
    rejected: bool | None = None,
) -> Outcome:
    """Check one expectation against a policy PAGENT would install.

    ``rejected`` overrides ``policy.rejected`` (a chain error can reject an image's policy).
    """
    if policy.rejected if rejected is None else rejected:
        return Outcome(
            e, False, None, (),
            "PAGENT would reject this policy: the stack keeps its previous one, so nothing "
            "here is installed (see the diagnostics)",
            label,
        )  # fmt: skip
    rule = (matcher or Matcher(policy)).match(e.connection)
    if rule is None:
        if e.secure:
            why = "no rule matched: the connection is not protected (clear)"
            if e.rule is not None:
                why += _expected_rule_note(policy, e.rule)
            return Outcome(e, False, None, (), why, label)
        return Outcome(e, True, None, (), "no rule (clear)", label)
    eff = effective(policy, rule)
    actions = _actions(eff)
    if e.rule is not None and rule.name != e.rule:
        why = f"{_wins(rule)}, not {e.rule}{_expected_rule_note(policy, e.rule)}"
        return Outcome(e, False, rule.name, actions, why, label)
    if not eff.enabled:
        group = eff.actions.group.name if eff.actions.group else "none"
        if e.secure:
            return Outcome(
                e, False, rule.name, actions,
                f"{_wins(rule)} and has TTLSEnabled Off (group action {group}): clear",
                label,
            )  # fmt: skip
        return Outcome(
            e, True, rule.name, actions, f"{_rule_text(rule, actions)}, TTLSEnabled Off (clear)",
            label,
        )  # fmt: skip
    if not e.secure:
        return Outcome(
            e, False, rule.name, actions,
            f"{_wins(rule)} and has TTLSEnabled On: the connection is protected, not clear",
            label,
        )  # fmt: skip
    problems = _protection_problems(e, eff)
    if problems:
        return Outcome(
            e, False, rule.name, actions, f"{_rule_text(rule, actions)}: {'; '.join(problems)}",
            label,
        )  # fmt: skip
    return Outcome(e, True, rule.name, actions, _rule_text(rule, actions), label)


def _expected_rule_note(policy: Policy, name: str) -> str:
    if name in policy.discarded:
        return f" ({name} is discarded: see its diagnostics)"
    expected = policy.rule(name)
    if expected is None:
        return f" ({name} is not in the policy)"
    return f" ({name} has Priority {expected.priority or DEFAULT_PRIORITY})"


def evaluate(
    policies: Sequence[tuple[str, Policy]],
    expectations: Iterable[Expectation],
    rejected: Collection[str] = (),
) -> list[Outcome]:
    """Check every expectation: against its ``image``, or every policy given.

    ``policies`` are (label, policy) pairs; with more than one, each outcome names its
    policy. ``rejected`` names the labels PAGENT would reject for reasons outside the
    policy itself (chain errors). An expectation whose image is not among them fails.
    """
    matchers = {label: Matcher(p) for label, p in policies}
    several = len(policies) > 1
    out: list[Outcome] = []
    for e in expectations:
        chosen = [
            (label, p)
            for label, p in policies
            if e.image is None or label.upper() == e.image.upper()
        ]
        if not chosen:
            names = ", ".join(label for label, _ in policies) or "none"
            out.append(
                Outcome(e, False, None, (), f"no policy for image {e.image} (policies: {names})")
            )
            continue
        for label, p in chosen:
            out.append(
                evaluate_one(
                    p,
                    e,
                    matchers[label],
                    label if several else None,
                    rejected=p.rejected or label in rejected,
                )
            )
    return out
