"""Replays the fuzz regression corpus (tests/fuzz_corpus/, see its README) with the invariants of the
fuzz tests: every input that ever failed stays fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from tests.fuzz_programs import Program
from tests.fuzzing import CORPUS, TorchWorker, check_fixes, check_result
from tests.test_fuzz_programs import check_project, check_same_loss

ALL_CODES = frozenset(RULES_BY_CODE)
ENTRIES = sorted(path for path in CORPUS.iterdir() if path.is_dir() or path.suffix == ".py")


@pytest.mark.parametrize("entry", ENTRIES, ids=[p.name for p in ENTRIES])
def test_a_corpus_entry(entry: Path, torch_worker: TorchWorker) -> None:
    if entry.is_file():
        check_file(entry)
        return
    files = {path.name: path.read_text() for path in sorted(entry.glob("*.py"))}
    check_project(files)
    if "main.py" in files:
        for dtype in ("float32", "float64"):
            for scale in (0.1, 1.0):
                check_same_loss(torch_worker, Program(tuple(files.items())), seed=0, scale=scale, dtype=dtype)


def check_file(path: Path) -> None:
    text = path.read_text()

    def lint(source: str):
        return lint_source(source, path.name, select=ALL_CODES)

    first = lint(text)
    check_result(first, text, shown=lambda: path.name)
    assert lint(text) == first
    check_fixes(text, lint, shown=lambda: path.name)
