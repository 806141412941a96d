"""The layers import one way only (the architecture of README.md 'Layout')."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PAGENT = Path(__file__).resolve().parents[1] / "pagent"

# Each package may import itself, the shared leaf modules, and the packages listed for it.
ALLOWED: dict[str, set[str]] = {
    "policy": set(),
    "saf": {"policy"},
    "stack": {"policy", "saf"},
    "agent": {"policy", "stack"},
    "syslogd": set(),
    "service": {"policy", "saf", "stack", "agent", "syslogd"},
    # The Network Configuration Assistant authors policy: it parses and checks with the
    # policy layer and nothing else (issue 12); nothing but the command line uses it.
    "nca": {"policy"},
    "commands": {"policy", "saf", "stack", "agent", "syslogd", "service"},
    "workshop": set(),  # ordinary programs: nothing of pagent's (issue 5 §2)
}
SHARED = {"messages", "mvs", "__version__"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "pagent" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(package: str) -> None:
    allowed = ALLOWED[package] | SHARED | {package}
    if package == "workshop":
        allowed = {"workshop"}
    wrong = {
        f"{path.relative_to(PAGENT)}: pagent.{name}"
        for path in (PAGENT / package).rglob("*.py")
        for name in _imports(path)
        if name not in allowed
    }
    assert sorted(wrong) == []


def test_the_message_catalogue_imports_nothing_of_pagent() -> None:
    assert _imports(PAGENT / "messages.py") == set()
