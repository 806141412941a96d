"""Shared fixtures, and the one place that decides whether the published-corpus suite runs.

The tests carry their own data under tests/data/ and pass on a clone with nothing beside
it. A second suite reads the published material beside the checkout, in ../shared (its
corpus of real policies, the seed workshop). Its tests are marked ``corpus``: a test that
asks for the ``corpus`` or ``workshop`` fixture is marked by that alone. Where ../shared
is absent they are all skipped together, with one reason that names the missing folder
(issue 9). ``--require-corpus`` (what .ci/run uses) turns any skipped corpus test into a
failure of the run, and the terminal summary says how many corpus tests ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the only place the tests name ../shared
CORPUS = SHARED / "corpus"
WORKSHOP = SHARED / "seed" / "zcee-security-mvs-batch-workshop.txt"
DATA = REPO / "tests" / "data"  # the project's own test data
# The embedded default policy: the seed's appendix (its published copy is in the corpus,
# and test_corpus checks that the two are the same bytes).
DEFAULT_POLICY = REPO / "etc" / "cfgasst" / "v2r3" / "WG31" / "TCPIP1" / "TTLS.policy"

SKIP_REASON = f"the published corpus is absent: {SHARED} does not exist"
_CORPUS_FIXTURES = {"corpus", "workshop"}


def corpus_present() -> bool:
    """Whether ../shared is beside the checkout."""
    return CORPUS.is_dir() and WORKSHOP.is_file()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-corpus",
        action="store_true",
        help="fail the run when ../shared is absent or any corpus test is skipped",
    )


# What happened to the corpus tests of this run, for the summary and --require-corpus.
_COUNTS = {"passed": 0, "failed": 0, "skipped": 0}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that read ../shared, and skip them as one group where it is absent."""
    present = corpus_present()
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if _CORPUS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.corpus)
        if not present and item.get_closest_marker("corpus") is not None:
            item.add_marker(skip)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "corpus" not in report.keywords:
        return
    counts = _COUNTS
    if report.skipped:
        counts["skipped"] += 1
    elif report.failed:
        counts["failed"] += 1
    elif report.when == "call":
        counts["passed"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = _COUNTS
    if any(counts.values()):
        terminalreporter.write_line(
            f"corpus suite: {counts['passed']} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped" + ("" if corpus_present() else f": {SKIP_REASON}")
        )
    if terminalreporter.config.getoption("--require-corpus") and _corpus_missing():
        terminalreporter.write_line(
            "--require-corpus: the corpus suite did not run in full: the run fails", red=True
        )


def _corpus_missing() -> bool:
    """Whether the corpus suite did not run in full (absent, a test skipped, or none ran)."""
    return not corpus_present() or bool(_COUNTS["skipped"]) or not _COUNTS["passed"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not session.config.getoption("--require-corpus"):
        return
    if session.config.option.collectonly or session.exitstatus != pytest.ExitCode.OK:
        return
    if _corpus_missing():
        # The terminal summary, written after this, gives the counts.
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(name="corpus")
def fixture_corpus() -> Path:
    """The published policies of the corpus (marks the test ``corpus``)."""
    return CORPUS


@pytest.fixture(name="workshop")
def fixture_workshop() -> str:
    """The seed workshop's text (marks the test ``corpus``)."""
    return WORKSHOP.read_text(encoding="utf-8")


@pytest.fixture(name="data")
def fixture_data() -> Path:
    """The project's own test data, tests/data/."""
    return DATA
