"""The one place that decides the corpus suite (tests/conftest.py, issue 9), run on a copy.

A copy of tests/conftest.py in a temporary directory has no published corpus beside it: its
corpus tests must all be skipped with the one reason, the others run, and
--require-corpus must fail the run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SHARED

SAMPLE = """
import pytest

NAMES = ["a.policy", "b.policy"]


def test_own_data():
    assert True


def test_reads_the_corpus(corpus):
    assert (corpus / "MANIFEST.tsv").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_each_corpus_file(corpus, name):
    assert (corpus / name).is_file()


@pytest.mark.corpus
def test_marked_by_hand():
    assert False, "must not run without the corpus"


def test_reads_the_workshop(workshop):
    assert workshop
"""


def run_copy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "conftest.py", project / "tests" / "conftest.py")
    (project / "tests" / "__init__.py").write_text("")
    (project / "tests" / "test_sample.py").write_text(SAMPLE)
    (project / "pytest.ini").write_text(
        "[pytest]\naddopts = -ra --strict-markers\nmarkers =\n    corpus: the corpus suite\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_without_shared_the_corpus_tests_are_skipped_together_with_one_reason(tmp_path):
    done = run_copy(tmp_path)
    assert done.returncode == 0, done.stdout
    reasons = {line.split(": ", 1)[1] for line in done.stdout.splitlines() if "SKIPPED" in line}
    assert len(reasons) == 1, done.stdout
    (reason,) = reasons
    assert reason == f"the published corpus is absent: {tmp_path / SHARED.name} does not exist"
    assert "1 passed, 5 skipped" in done.stdout
    assert "corpus suite: 0 passed, 0 failed, 5 skipped" in done.stdout


@pytest.mark.e2e
def test_require_corpus_fails_the_run_without_shared(tmp_path):
    done = run_copy(tmp_path, "--require-corpus")
    assert done.returncode == 1, done.stdout
    assert "--require-corpus: the corpus suite did not run in full" in done.stdout


@pytest.mark.e2e
def test_with_shared_the_corpus_tests_run(tmp_path):
    corpus = tmp_path / SHARED.name / "corpus"
    corpus.mkdir(parents=True)
    for name in ("MANIFEST.tsv", "a.policy", "b.policy"):
        (corpus / name).write_text("")
    seed = tmp_path / SHARED.name / "seed"
    seed.mkdir()
    (seed / "zcee-security-mvs-batch-workshop.txt").write_text("workshop\n")
    done = run_copy(
        tmp_path, "--require-corpus", "--deselect", "tests/test_sample.py::test_marked_by_hand"
    )
    assert done.returncode == 0, done.stdout
    assert "corpus suite: 4 passed, 0 failed, 0 skipped" in done.stdout
