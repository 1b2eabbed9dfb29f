"""Multi-file fixture projects: summaries of models and helpers followed across modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.analysis.catalogue import TORCH
from seglint.analysis.project import Project
from seglint.engine import lint_source
from seglint.roots import ProjectRoot, find_root
from seglint.rules import RULES_BY_CODE
from seglint.runner import project_providers
from tests.expectations import expected_findings

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
# The injection project's findings are made by its callers' arguments: tests/test_injection.py runs it.
FILES = sorted(path for path in PROJECTS.rglob("*.py") if "injection" not in path.parts)
ALL_CODES = frozenset(RULES_BY_CODE)


def read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8")


def project_for(path: Path, **options) -> Project:
    root = find_root(path)
    return Project(root.path, read=read, providers=project_providers(root, TORCH, None), **options)


def lint(path: Path, project: Project):
    return lint_source(path.read_text(encoding="utf-8"), str(path), select=ALL_CODES, project=project)


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(PROJECTS)) for f in FILES])
def test_project_file_findings_match_inline_expectations(path: Path) -> None:
    result = lint(path, project_for(path))
    assert result.error is None
    own = [d for d in result.diagnostics if d.path == str(path)]  # not those its calls make elsewhere
    assert sorted((d.span.line, d.code) for d in own) == expected_findings(path.read_text())


def test_findings_through_summaries_name_the_file_and_line_where_probabilities_are_made() -> None:
    train = PROJECTS / "src_layout" / "src" / "segpkg" / "train.py"
    project = project_for(train, display=lambda p: p.name)
    lines = train.read_text().splitlines()
    by_text = {lines[d.span.line - 1].strip(): d for d in lint(train, project).diagnostics}
    model = by_text["return criterion(self.model(x), y)  # expect: SEG001"]
    assert model.message == (
        "`nn.CrossEntropyLoss` expects logits but receives probabilities from `self.model`, "
        "which returns the output of `softmax` (nets.py:13)"
    )
    (related,) = model.related
    assert (related.path, related.span.line) == ("nets.py", 13)
    built = by_text["criterion(build_model()(x), y)  # expect: SEG001"]
    assert "`build_model(...)`, which returns the output of `nn.Softmax` (nets.py:30)" in built.message


def test_without_a_project_other_modules_are_not_followed() -> None:
    train = PROJECTS / "src_layout" / "src" / "segpkg" / "train.py"
    assert lint_source(train.read_text(), str(train), select=ALL_CODES).diagnostics == ()


def test_root_is_the_nearest_marker() -> None:
    assert find_root(PROJECTS / "scripts" / "train.py") == ProjectRoot(
        (PROJECTS / "scripts").resolve(), "setup.cfg"
    )
    assert find_root(PROJECTS / "src_layout" / "src" / "segpkg" / "nets.py") == ProjectRoot(
        (PROJECTS / "src_layout").resolve(), "pyproject.toml"
    )


def test_module_names_follow_the_src_layout() -> None:
    root = PROJECTS / "src_layout"
    project = Project(root, read=read)
    assert project.module_name(root / "src" / "segpkg" / "nets.py") == "segpkg.nets"
    assert project.module_name(root / "src" / "segpkg" / "__init__.py") == "segpkg"


def test_a_file_that_names_no_loss_is_analysed_when_it_uses_a_project_loss_provider() -> None:
    root = PROJECTS / "src_layout"
    providers = project_providers(find_root(root), TORCH, None)
    assert {"build_loss"} <= providers.functions and "BaseTrainer" in providers.classes
    train = root / "src" / "segpkg" / "train_elsewhere.py"
    without = lint_source(train.read_text(), str(train), select=ALL_CODES, project=Project(root, read=read))
    assert without.diagnostics == ()
