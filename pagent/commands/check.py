"""``pagent check``: run the checker and print its report."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from pagent.commands._output import EXIT_USAGE, dump_json, err, read_error
from pagent.policy.check import chain_verdict, check_paths, verdict_of
from pagent.policy.diagnostics import printable, render_text
from pagent.policy.expect import Expectation, ExpectationError, evaluate, parse_expectations


def _expectations(path: Path) -> list[Expectation] | None:
    """The expectations of a file, or None after printing why it cannot be used (exit 2)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        err(f"cannot read {path}: {exc.strerror or exc}")
        return None
    except UnicodeDecodeError as exc:
        err(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    try:
        return parse_expectations(text, str(path))
    except ExpectationError as exc:
        err(str(exc))
        return None


def run_check(
    paths: Sequence[Path],
    root: Path | None,
    *,
    as_json: bool,
    strict: bool,
    expect: Path | None = None,
) -> int:
    """Check the paths (and the expectations of ``expect``); print text or JSON; exit code.

    With ``expect``, any expectation that fails makes the exit code 1 (issue 10 §4); a
    malformed expectations file is a usage error (2).
    """
    expectations = _expectations(expect) if expect is not None else []
    if expectations is None:
        return EXIT_USAGE
    try:
        report = check_paths(paths, root)
    except OSError as exc:  # not found, not a regular file, not a text file (issue 9)
        err(read_error(exc))
        return EXIT_USAGE
    diags = report.diagnostics
    code = report.exit_code(strict=strict)
    outcomes = (
        evaluate(
            [(p.label, p.policy) for p in report.policies],
            expectations,
            rejected={p.label for p in report.policies if p.rejected},
        )
        if expect is not None
        else []
    )
    if any(not o.passed for o in outcomes):
        code = max(code, 1)
    loose = chain_verdict(report)
    if as_json:
        extra: dict[str, object] = {}
        if loose is not None:
            extra["configuration"] = loose.as_json()
        if expect is not None:
            extra["expectations"] = [o.as_json() for o in outcomes]
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
                **extra,
            }
        )
        return code
    sys.stdout.write(render_text(diags, report.sources))
    errors = sum(1 for d in diags if d.severity.value == "error")
    warnings = len(diags) - errors
    for p in report.policies:
        print(
            printable(f"{p.label}: {verdict_of(p).text} ({errors} error(s), {warnings} warning(s))")
        )
    if loose is not None:
        print(printable(f"{loose.deciding[0].loc.path}: {loose.text}"))
    for o in outcomes:
        print(printable(o.line()))
    if expect is not None:
        failed = sum(1 for o in outcomes if not o.passed)
        print(f"{expect}: {len(outcomes) - failed} passed, {failed} failed")
    return code
