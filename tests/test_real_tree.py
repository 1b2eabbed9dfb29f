"""torch's own nn sources, a real tree: no findings, and partial parsing, the cache and worker
processes agree with a whole parse, file for file."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from seglint.analysis.project import Project
from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files, read_text

ALL_CODES = frozenset(RULES_BY_CODE)


@pytest.fixture(scope="module")
def torch_nn() -> Path:
    spec = importlib.util.find_spec("torch")  # found, never imported
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "nn"


def test_partial_and_whole_parses_agree_on_torch_nn(torch_nn: Path) -> None:
    files = [
        torch_nn / "modules" / name for name in ("loss.py", "activation.py", "container.py", "module.py")
    ]
    project = Project(torch_nn.parent.parent, read=read_text)
    for path in files:
        text = read_text(path)
        assert text is not None
        partial = lint_source(text, str(path), select=ALL_CODES, project=project, partial=True)
        whole = lint_source(text, str(path), select=ALL_CODES, project=project, partial=False)
        assert partial == whole
        assert partial.error is None and partial.diagnostics == ()


def test_cache_and_workers_agree_on_torch_nn(torch_nn: Path, tmp_path: Path) -> None:
    jobs = [Job(str(path), ALL_CODES) for path in sorted(torch_nn.rglob("*.py"))]
    assert len(jobs) > 100
    reference = lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1)
    assert lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=2) == reference
    assert lint_files(jobs, CatalogueSpec(), cache_dir=tmp_path, workers=1) == reference
    assert lint_files(jobs, CatalogueSpec(), cache_dir=tmp_path, workers=1) == reference
    assert all(result.error is None and result.diagnostics == () for result in reference)
