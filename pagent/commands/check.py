"""``pagent check``: run the checker and print its report."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE, dump_json, err
from pagent.policy.check import check_paths, verdict_of
from pagent.policy.diagnostics import render_text


def run_check(paths: Sequence[Path], root: Path | None, *, as_json: bool, strict: bool) -> int:
    """Check the paths; print text or JSON; return the exit code."""
    try:
        report = check_paths(paths, root)
    except OSError as exc:
        err(f"cannot read {exc.filename}: {exc.strerror}")
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
                        "installed": not p.rejected,
                        "verdict": verdict_of(p).as_json(),
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
    errors = sum(1 for d in diags if d.severity.value == "error")
    warnings = len(diags) - errors
    for p in report.policies:
        print(f"{p.label}: {verdict_of(p).text} ({errors} error(s), {warnings} warning(s))")
    return code
