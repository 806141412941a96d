"""``pagent diff OLD NEW``: what a policy change does, before ``F PAGENT,REFRESH`` (issue 10 §5).

OLD and NEW are policy files or pagent.conf chains. The comparison itself is
:func:`pagent.policy.diff.effective_difference`; this module loads, pairs and prints.
Exit 0 when the effective policies are equal, 1 when they differ, 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path

from pagent.commands._output import EXIT_USAGE, dump_json, err
from pagent.policy.check import CheckedPolicy, CheckReport, check_paths, verdict_of
from pagent.policy.diff import EMPTY, PolicyDiff, effective_difference
from pagent.policy.policy import Policy

EXIT_DIFFER = 1


def _side_root(path: Path) -> Path | None:
    """The root of a chain when none is given: the directory whose etc/ holds the file.

    OLD and NEW are often two roots (before and after), so one default root for both (the
    current directory) would be wrong for one of them.
    """
    parent = path.resolve().parent
    return parent.parent if parent.name == "etc" else None


def _load(path: Path, root: Path | None) -> CheckReport | None:
    root = root if root is not None else _side_root(path)
    try:
        report = check_paths([path], root)
    except OSError as exc:
        err(f"cannot read {exc.filename}: {exc.strerror}")
        return None
    if not report.policies:
        err(f"{path}: no AT-TLS policy found")
        return None
    return report


def _pairs(
    old: CheckReport, new: CheckReport
) -> list[tuple[str, CheckedPolicy | None, CheckedPolicy | None]]:
    """Policies to compare: the one of each side, or each image by name."""
    if len(old.policies) == 1 and len(new.policies) == 1:
        return [("", old.policies[0], new.policies[0])]
    by_old = {p.label.upper(): p for p in old.policies}
    by_new = {p.label.upper(): p for p in new.policies}
    labels = list(dict.fromkeys([*by_old, *by_new]))
    return [(label, by_old.get(label), by_new.get(label)) for label in labels]


def _policy(checked: CheckedPolicy | None) -> Policy:
    return checked.policy if checked is not None else EMPTY


def _side(checked: CheckedPolicy | None) -> dict[str, object] | None:
    if checked is None:
        return None
    return {"files": list(checked.policy.files), "verdict": verdict_of(checked).as_json()}


def run_diff(old_path: Path, new_path: Path, root: Path | None, *, as_json: bool) -> int:
    """Compare OLD and NEW; print the differences; return the exit code."""
    old, new = _load(old_path, root), _load(new_path, root)
    if old is None or new is None:
        return EXIT_USAGE
    results: list[tuple[str, CheckedPolicy | None, CheckedPolicy | None, PolicyDiff]] = [
        (label, o, n, effective_difference(_policy(o), _policy(n)))
        for label, o, n in _pairs(old, new)
    ]
    code = EXIT_DIFFER if any(d for *_, d in results) else 0
    if as_json:
        dump_json(
            {
                "exit": code,
                "policies": [
                    {"label": label or None, "old": _side(o), "new": _side(n), **d.as_json()}
                    for label, o, n, d in results
                ],
            }
        )
        return code
    for label, o, n, d in results:
        prefix = f"{label}: " if label else ""
        for which, checked in (("OLD", o), ("NEW", n)):
            if checked is not None and checked.rejected:
                err(f"{prefix}{which} {checked.label}: {verdict_of(checked).text}")
        if o is None or n is None:
            print(f"{prefix}image only in {'NEW' if o is None else 'OLD'}")
        for line in d.lines():
            print(f"{prefix}{line}")
    total = sum(len(d.lines()) for *_, d in results)
    print(f"{total} difference(s) in effect" if total else "no difference in effect")
    return code
