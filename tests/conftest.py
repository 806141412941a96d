"""Shared fixtures: where the reference corpus is, and small policy helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(name="corpus")
def fixture_corpus() -> Path:
    """The published policies of ../shared/corpus."""
    if not CORPUS.is_dir():  # pragma: no cover - CI always has shared/ beside the clone
        pytest.fail(f"the corpus is missing: {CORPUS}")
    return CORPUS
