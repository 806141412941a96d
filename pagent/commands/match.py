"""``pagent match``: which rule a connection maps to, and what it would get."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pagent.commands._output import EXIT_USAGE, dump_json, err, read_error
from pagent.policy.check import check_paths, verdict_of
from pagent.policy.diagnostics import printable, render_text
from pagent.policy.effective import Effective, effective
from pagent.policy.matching import Connection, Matcher


def describe(eff: Effective) -> dict[str, Any]:
    """The effective actions of a matched rule, as plain data."""
    acts = eff.actions
    keyring = eff.keyring.keyring if eff.keyring else None
    return {
        "rule": acts.rule.name,
        "priority": acts.rule.priority or 1,
        "group": acts.group.name if acts.group else None,
        "environment": acts.environment.name if acts.environment else None,
        "connection": acts.connection.name if acts.connection else None,
        "ttls_enabled": eff.enabled,
        "handshake_role": eff.handshake_role,
        "keyring": keyring,
        "protocols": list(eff.protocols),
        "v3_cipher_suites": list(eff.v3_ciphers),
        "trace": eff.trace,
        "ctrace_clear_text": eff.ctrace_clear_text,
        "fips140": eff.fips140,
        "suite_b_profile": eff.suite_b_profile,
        "advanced": {k: _plain(v) for k, v in eff.advanced.items()},
        "signature": {k: _plain(v) for k, v in eff.signature.items()},
    }


def _plain(v: object) -> object:
    return list(v) if isinstance(v, tuple) else v


def say(text: str) -> None:
    """Print a line of the answer; names and values from the file are shown escaped."""
    print(printable(text))


def run_match(args: argparse.Namespace, root: Path | None) -> int:
    """Map the connection; print the rule first, then its effective actions."""
    try:
        report = check_paths([args.path], root)
    except OSError as exc:
        err(read_error(exc))
        return EXIT_USAGE
    if not report.policies:
        # A broken chain: its errors say why no policy was found (issue 9).
        sys.stderr.write(render_text(report.chain_diagnostics, report.sources))
        why = " (the configuration chain's errors are above)" if report.chain_diagnostics else ""
        err(f"{args.path}: no AT-TLS policy found{why}")
        return EXIT_USAGE
    checked = report.policies[0]
    if args.image is not None:
        found = [p for p in report.policies if p.label.upper() == args.image.upper()]
        if not found:
            names = ", ".join(p.label for p in report.policies)
            err(f"{args.path}: no image {args.image} (images: {names})")
            return EXIT_USAGE
        checked = found[0]
    if checked.rejected:
        err(
            f"{checked.label}: {verdict_of(checked).text} (see pagent check), and the stack "
            "would keep its previous one; matching against the rules as written"
        )
    conn = Connection(
        direction=args.direction,
        local_ip=args.local[0],
        local_port=args.local[1],
        remote_ip=args.remote[0],
        remote_port=args.remote[1],
        jobname=args.jobname,
        userid=args.userid,
    )
    rule = Matcher(checked.policy).match(conn)
    if rule is None:
        if args.json:
            dump_json({"rule": None, "connection": _conn(conn)})
        else:
            print("no rule matches: the connection is not AT-TLS protected (plain TCP)")
        return 1
    info = describe(effective(checked.policy, rule))
    if args.json:
        dump_json({**info, "connection": _conn(conn)})
        return 0
    say(f"rule {info['rule']} (priority {info['priority']})")
    enabled = "On" if info["ttls_enabled"] else "Off"
    say(
        f"  group action        {info['group']}: TTLSEnabled {enabled}, Trace {info['trace']}, "
        f"CtraceClearText {info['ctrace_clear_text']}, FIPS140 {info['fips140']}"
    )
    say(f"  environment action  {info['environment'] or '-'}")
    say(f"  connection action   {info['connection'] or '-'}")
    say(f"  HandshakeRole       {info['handshake_role'] or '-'}")
    say(f"  Keyring             {info['keyring'] or '-'}")
    say(f"  protocols           {' '.join(info['protocols']) or 'none'}")
    suites = info["v3_cipher_suites"]
    say(f"  V3CipherSuites      {' '.join(suites) if suites else 'System SSL default'}")
    adv = info["advanced"]
    for key in ("HandshakeTimeout", "ClientAuthType", "CertificateLabel", "ApplicationControlled"):
        if key in adv:
            say(f"  {key:<19} {adv[key]}")
    return 0


def _endpoint(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _conn(c: Connection) -> dict[str, Any]:
    return {
        "direction": c.direction,
        "local": _endpoint(c.local_ip, c.local_port),
        "remote": _endpoint(c.remote_ip, c.remote_port),
        "jobname": c.jobname,
        "userid": c.userid,
    }
