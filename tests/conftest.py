"""Fixtures shared by test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzzing import TorchWorker


@pytest.fixture(scope="session")
def torch_worker() -> Iterator[TorchWorker]:
    """One process with torch for the fuzz tests of the whole run (its start, mostly torch's import,
    costs about 2 s): it runs generated programs with a timeout (see tests/fuzzing.py)."""
    worker = TorchWorker(timeout=60.0)
    yield worker
    worker.close()
