"""The run over many files: cache, worker processes, partial parsing and project roots agree."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files

FIXTURES = Path(__file__).parent / "fixtures"
ALL_CODES = frozenset(RULES_BY_CODE)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The rule fixtures and the fixture projects, copied so caches and edits stay in the test."""
    shutil.copytree(FIXTURES / "rules", tmp_path / "rules")
    shutil.copytree(FIXTURES / "projects", tmp_path / "projects")
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    return tmp_path


def jobs_for(root: Path) -> list[Job]:
    return [Job(str(path), ALL_CODES) for path in sorted(root.rglob("*.py"))]


def test_cache_gives_identical_findings_and_survives_a_second_run(tree: Path) -> None:
    jobs = jobs_for(tree)
    uncached = lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1)
    cold = lint_files(jobs, CatalogueSpec(), cache_dir=tree / ".seglint_cache", workers=1)
    warm = lint_files(jobs, CatalogueSpec(), cache_dir=tree / ".seglint_cache", workers=1)
    assert uncached == cold == warm
    assert sum(len(r.diagnostics) for r in warm) > 40
    assert (tree / ".seglint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert not list((tree / ".seglint_cache").rglob("*.tmp"))


def test_a_changed_model_invalidates_the_cached_result_of_the_file_that_followed_it(tree: Path) -> None:
    train = tree / "projects" / "scripts" / "train.py"
    model = tree / "projects" / "scripts" / "model.py"
    cache = tree / ".seglint_cache"
    (before,) = lint_files([Job(str(train), ALL_CODES)], CatalogueSpec(), cache_dir=cache, workers=1)
    assert [d.code for d in before.diagnostics] == ["SEG004"]
    model.write_text(model.read_text().replace("nn.LogSoftmax(dim=1)", "nn.Identity()"))
    (after,) = lint_files([Job(str(train), ALL_CODES)], CatalogueSpec(), cache_dir=cache, workers=1)
    assert after.diagnostics == ()


def test_a_changed_selection_is_not_served_from_the_cache(tree: Path) -> None:
    path = str(tree / "rules" / "direct_nesting.py")
    cache = tree / ".seglint_cache"
    lint_files([Job(path, ALL_CODES)], CatalogueSpec(), cache_dir=cache, workers=1)
    (only_seg002,) = lint_files(
        [Job(path, frozenset({"SEG002"}))], CatalogueSpec(), cache_dir=cache, workers=1
    )
    assert {d.code for d in only_seg002.diagnostics} == {"SEG002"}


def test_two_workers_find_exactly_what_one_finds(tree: Path) -> None:
    jobs = jobs_for(tree)
    assert lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=2) == lint_files(
        jobs, CatalogueSpec(), cache_dir=None, workers=1
    )


def test_cli_jobs_and_cache_give_byte_identical_output(tree: Path) -> None:
    def run(*options: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "seglint", "--format", "json", *options, "."],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 1, completed.stderr
        return completed.stdout

    reference = run("--no-cache", "--jobs", "1")
    assert reference.count('"code": "SEG') > 40
    assert run("--no-cache", "--jobs", "2") == reference
    assert run("--cache-dir", "cache") == reference  # cold
    assert run("--cache-dir", "cache") == reference  # warm
    assert (tree / "cache" / ".gitignore").exists()


def test_given_only_one_file_the_project_root_and_its_other_modules_are_still_used(tree: Path) -> None:
    project = tree / "projects" / "src_layout"
    completed = subprocess.run(
        [sys.executable, "-m", "seglint", "--no-cache", "src/segpkg/train.py"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    lines = [line for line in completed.stdout.splitlines() if ": SEG" in line]
    assert lines and all(line.startswith("src/segpkg/train.py:") for line in lines)
    assert "which returns the output of `softmax` (src/segpkg/nets.py:13)" in completed.stdout


def test_jobs_must_be_positive() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "seglint", "--jobs", "0", "."], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 2
    assert "--jobs" in completed.stderr and "'0'" in completed.stderr


def test_a_module_appearing_where_one_was_missing_invalidates_the_cache(tree: Path) -> None:
    package = tree / "late"
    package.mkdir()
    (package / "__init__.py").write_text("")
    train = package / "train.py"
    train.write_text(
        "import torch.nn.functional as F\nfrom late.helpers import predict\n\n\n"
        "def train(x, y):\n    return F.cross_entropy(predict(x), y)\n"
    )
    cache = tree / ".seglint_cache"
    (before,) = lint_files([Job(str(train), ALL_CODES)], CatalogueSpec(), cache_dir=cache, workers=1)
    assert before.diagnostics == ()
    (package / "helpers.py").write_text("import torch\n\n\ndef predict(x):\n    return torch.softmax(x, 1)\n")
    (after,) = lint_files([Job(str(train), ALL_CODES)], CatalogueSpec(), cache_dir=cache, workers=1)
    assert [d.code for d in after.diagnostics] == ["SEG001"]


def test_concurrent_runs_sharing_a_cache_agree(tree: Path) -> None:
    command = [sys.executable, "-m", "seglint", "--format", "json", "--cache-dir", "shared-cache", "."]
    runs = [
        subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [1, 1, 1]
    warm = subprocess.run(command, cwd=tree, capture_output=True, text=True, check=False).stdout
    assert outputs[0].count('"code": "SEG') > 40
    assert outputs[0] == outputs[1] == outputs[2] == warm
    assert not list((tree / "shared-cache").rglob("*.tmp"))
