"""Shared fixtures: a system root after the workshop's three RACF jobs, and a settable clock."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pagent.saf.racdcert import execute, join_continuations
from pagent.saf.store import SafStore

REPO = Path(__file__).resolve().parents[2]
CNTL = REPO / "etc" / "datasets" / "USER1.ZCEE30.CNTL"
MEMBERS = ("ZCEETLSS", "MVSTLS", "ZCEETLSC")
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    """A clock the test can set."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run_member(store: SafStore, member: str) -> list[tuple[str, bool, tuple[str, ...]]]:
    """Run every command of a workshop member: (command, ok, lines) each."""
    results = []
    for command in join_continuations((CNTL / member).read_text("utf-8")):
        result = execute(store, command)
        results.append((command, result.ok, result.lines))
    return results


@pytest.fixture(scope="session")
def workshop_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root after ZCEETLSS, MVSTLS and ZCEETLSC, built once (copied by ``workshop_root``)."""
    root = tmp_path_factory.mktemp("workshop")
    store = SafStore(root, Clock())
    for member in MEMBERS:
        failed = [r for r in run_member(store, member) if not r[1]]
        assert failed == [], failed
    return root


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def workshop_root(workshop_template: Path, tmp_path: Path) -> Path:
    """A private copy of the workshop root, which the test may change."""
    root = tmp_path / "root"
    shutil.copytree(workshop_template, root)
    return root


@pytest.fixture
def store(workshop_root: Path, clock: Clock) -> SafStore:
    """The workshop's RACF database, on the test's clock."""
    return SafStore(workshop_root, clock)


@pytest.fixture
def empty_store(tmp_path: Path, clock: Clock) -> SafStore:
    return SafStore(tmp_path / "empty", clock)
