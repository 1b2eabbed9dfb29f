"""torch's own nn sources, a real tree: partial parsing, the cache and worker processes agree with a
whole parse, file for file, on whatever torch is installed; and no finding at all on the torch release
that was read finding by finding (another release may differ: that test is skipped there, saying so).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

from seglint.analysis.project import Project
from seglint.diagnostics import FileResult
from seglint.engine import lint_source
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files, read_text

ALL_CODES = frozenset(RULES_BY_CODE)
# The torch release whose nn sources were checked by hand to hold no instance of the bug. CI installs it.
VERIFIED_TORCH = "2.13.0"


def verified_release() -> None:
    installed = importlib.metadata.version("torch").split("+")[0]
    if installed != VERIFIED_TORCH:
        pytest.skip(f"zero findings verified on torch {VERIFIED_TORCH}; torch {installed} is installed")


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
        assert partial.error is None


@pytest.fixture(scope="module")
def torch_nn_jobs(torch_nn: Path) -> list[Job]:
    return [Job(str(path), ALL_CODES) for path in sorted(torch_nn.rglob("*.py"))]


@pytest.fixture(scope="module")
def torch_nn_results(torch_nn_jobs: list[Job]) -> list[FileResult]:
    return lint_files(torch_nn_jobs, CatalogueSpec(), cache_dir=None, workers=1)


def test_cache_and_workers_agree_on_torch_nn(
    torch_nn_jobs: list[Job], torch_nn_results: list[FileResult], tmp_path: Path
) -> None:
    assert len(torch_nn_jobs) > 100
    reference = torch_nn_results
    assert lint_files(torch_nn_jobs, CatalogueSpec(), cache_dir=None, workers=2) == reference
    assert lint_files(torch_nn_jobs, CatalogueSpec(), cache_dir=tmp_path, workers=1) == reference
    assert lint_files(torch_nn_jobs, CatalogueSpec(), cache_dir=tmp_path, workers=1) == reference
    assert all(result.error is None for result in reference)


def test_no_finding_on_the_verified_torch_nn(torch_nn_results: list[FileResult]) -> None:
    verified_release()
    assert [(d.path, d.span.line, d.code) for r in torch_nn_results for d in r.diagnostics] == []
