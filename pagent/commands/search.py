"""``pagent search -t``: show a policy as ``pasearch -t`` would once PAGENT installed it.

With a path, the files are read and checked here (a policy file, or a pagent.conf and its
chain, one report per image); without one, the running pagent service would be asked, which
does not exist yet. The clock is read here only: the renderer takes the time and the
instance id as arguments.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from pagent.commands._output import EXIT_USAGE, err, read_error
from pagent.policy.check import CheckedPolicy, check_paths, verdict_of
from pagent.policy.codes import Effect
from pagent.policy.diagnostics import render_text
from pagent.policy.pasearch import render_ttls
from pagent.policy.policy import Policy
from pagent.service.client import (
    AccessDeniedError,
    ControlClient,
    NoServiceError,
    ServiceError,
    socket_path,
)

DEFAULT_IMAGE = "TCPIP"  # the default stack name pasearch shows for a lone policy file
EXIT_REJECTED = 1


def _empty_policy() -> Policy:
    """What PAGENT has installed after rejecting a policy: nothing."""
    return Policy(by_type={}, rules=(), discarded=(), diagnostics=())


def _image(checked: CheckedPolicy, path: Path) -> str:
    """The image name of a pagent.conf chain, else pasearch's default stack name."""
    return DEFAULT_IMAGE if checked.label == str(path) else checked.label


def run_search(path: Path | None, root: Path | None, *, rule: str | None) -> int:
    """Print the pasearch -t report of the policies at ``path``; return the exit code.

    0 when PAGENT would install the policy, 1 when it would reject it (the report then shows
    ``No policies retrieved`` and the reasons go to stderr), 2 when a file cannot be read or
    no path is given and no service runs.
    """
    if path is None:
        return _from_service(root if root is not None else Path.cwd(), rule)
    try:
        report = check_paths([path], root)
    except OSError as exc:
        err(read_error(exc))
        return EXIT_USAGE
    now = datetime.now()
    # pasearch's TTLS Instance Id is the install time in epoch seconds (pagent.policy.pasearch);
    # the files are "installed" now.
    instance_id = int(now.timestamp())
    code = 0
    rejected_chain = [d for d in report.chain_diagnostics if d.effect is Effect.REJECT]
    if rejected_chain:
        sys.stderr.write(render_text(rejected_chain, report.sources))
        code = EXIT_REJECTED
    if (
        rule is not None
        and report.policies
        and all(p.policy.rule(rule) is None for p in report.policies)
    ):
        # pasearch -n with an unknown rule shows nothing; say so rather than an empty report.
        known = sorted({r.name for p in report.policies for r in p.policy.rules if r.name})
        err(f"{path}: no rule {rule} (rules: {', '.join(known) or 'none'})")
        return EXIT_REJECTED
    if not report.policies:
        sys.stdout.write(
            render_ttls(_empty_policy(), image=DEFAULT_IMAGE, now=now, instance_id=instance_id)
        )
        return code
    for checked in report.policies:
        policy = checked.policy
        if checked.rejected:
            sys.stderr.write(render_text(policy.diagnostics, report.sources))
            err(f"{checked.label}: {verdict_of(checked).text}")
            policy = _empty_policy()
            code = EXIT_REJECTED
        elif policy.discarded:
            # Installed without these rules: pasearch would not show them, say why they are gone.
            err(
                f"{checked.label}: PAGENT would discard {', '.join(policy.discarded)} "
                "(run 'pagent check' for the reasons)"
            )
        sys.stdout.write(
            render_ttls(
                policy,
                image=_image(checked, path),
                now=now,
                instance_id=instance_id,
                rule=rule,
            )
        )
    return code


def _from_service(root: Path, rule: str | None) -> int:
    """Ask the running service of ``root`` for what is installed (issue 2 §6, issue 3 §6)."""
    try:
        with ControlClient(socket_path(root)) as client:
            # Printed as it arrives: a report of 50,000 rules has millions of lines.
            for line in client.pasearch_lines(rule=rule):
                sys.stdout.write(line + "\n")
            status = client.last_status
    except NoServiceError:
        err(
            f"no running pagent service on {root} (start it with 'pagent serve'); "
            "give a policy file or pagent.conf to read files instead"
        )
        return EXIT_USAGE
    except AccessDeniedError as exc:  # it runs, but not for this user: why, and the remedy
        err(str(exc))
        return EXIT_USAGE
    except ServiceError as exc:  # it was there: say what happened, not "no service"
        err(f"the pagent service on {root} did not complete the report: {exc}")
        return 1
    return 0 if status == "ok" else 1
