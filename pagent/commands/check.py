"""``pagent check``: run the checker and print its report."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE, dump_json, err, read_error
from pagent.policy.check import check_paths
from pagent.policy.diagnostics import printable, render_text


def run_check(paths: Sequence[Path], root: Path | None, *, as_json: bool, strict: bool) -> int:
    """Check the paths; print text or JSON; return the exit code."""
    try:
        report = check_paths(paths, root)
    except OSError as exc:  # not found, not a regular file, not a text file (issue 9)
        err(read_error(exc))
        return EXIT_USAGE
    diags = report.diagnostics
    code = report.exit_code(strict=strict)
    if as_json:
        dump_json(
            {
                "exit": code,
                "policies": [
                    {
                        "label": p.label,
                        "files": list(p.policy.files),
                        "installed": not p.policy.rejected,
                        "rules": [r.name for r in p.policy.rules],
                        "discarded": list(p.policy.discarded),
                    }
                    for p in report.policies
                ],
                "diagnostics": [d.as_json() for d in diags],
            }
        )
        return code
    sys.stdout.write(render_text(diags, report.sources))
    for p in report.policies:
        pol = p.policy
        if pol.rejected:
            verdict = "PAGENT would reject this policy: no new AT-TLS policy installed"
        elif pol.discarded:
            verdict = (
                f"PAGENT would install {len(pol.rules)} rule(s) and discard "
                f"{len(pol.discarded)}: {', '.join(pol.discarded)}"
            )
        else:
            verdict = f"PAGENT would install all {len(pol.rules)} rule(s)"
        errors = sum(1 for d in diags if d.severity.value == "error")
        warnings = len(diags) - errors
        print(printable(f"{p.label}: {verdict} ({errors} error(s), {warnings} warning(s))"))
    return code
