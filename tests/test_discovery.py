"""Expanding command-line paths into files: sorting, de-duplication, excludes and --force-exclude."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.config import Settings
from seglint.discovery import discover as discovery
from seglint.discovery import is_excluded


def discover(*args, **options) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    found = discovery(*args, **options)
    assert found.errors == () and found.warnings == ()
    return found.files


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for name in [
        "b.py",
        "a.py",
        "stubs.pyi",
        "notes.txt",
        "script",
        "pkg/__init__.py",
        "pkg/mod.py",
        "pkg/__pycache__/mod.cpython-311.py",
        ".venv/lib/site.py",
        "build/gen.py",
        "node_modules/x.py",
        "tests/fixtures/case.py",
        "tests/test_x.py",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")
    return tmp_path


def test_a_directory_expands_to_sorted_python_files_without_default_excludes(tree: Path) -> None:
    assert discover(["."], Settings(root=tree), cwd=tree) == (
        "a.py",
        "b.py",
        "pkg/__init__.py",
        "pkg/mod.py",
        "stubs.pyi",
        "tests/fixtures/case.py",
        "tests/test_x.py",
    )


def test_default_path_is_the_current_directory(tree: Path) -> None:
    assert discover([], Settings(root=tree), cwd=tree) == discover(["."], Settings(root=tree), cwd=tree)


def test_duplicates_collapse_and_paths_are_normalised(tree: Path) -> None:
    assert discover(["pkg", "./pkg/mod.py", "pkg/../pkg/mod.py", "a.py"], Settings(root=tree), cwd=tree) == (
        "a.py",
        "pkg/__init__.py",
        "pkg/mod.py",
    )


def test_paths_outside_cwd_are_absolute(tree: Path) -> None:
    cwd = tree / "pkg"
    assert discover(["../a.py", "mod.py"], Settings(root=tree), cwd=cwd) == (
        (tree / "a.py").as_posix(),
        "mod.py",
    )


def test_extend_exclude_patterns_are_relative_to_the_root(tree: Path) -> None:
    settings = Settings(root=tree, extend_exclude=("tests/fixtures", "b.py"))
    assert discover(["."], settings, cwd=tree) == (
        "a.py",
        "pkg/__init__.py",
        "pkg/mod.py",
        "stubs.pyi",
        "tests/test_x.py",
    )


def test_exclude_replaces_the_defaults(tree: Path) -> None:
    found = discover(["."], Settings(root=tree, exclude=("tests",)), cwd=tree)
    assert "build/gen.py" in found and ".venv/lib/site.py" in found
    assert not any(path.startswith("tests/") for path in found)


def test_named_files_are_linted_even_when_excluded_and_whatever_their_extension(tree: Path) -> None:
    settings = Settings(root=tree, extend_exclude=("tests",))
    assert discover(["tests/test_x.py", ".venv/lib/site.py", "script"], settings, cwd=tree) == (
        ".venv/lib/site.py",
        "script",
        "tests/test_x.py",
    )
    # a named directory is walked even when excluded; its excluded children are not
    assert discover(["build"], settings, cwd=tree) == ("build/gen.py",)


def test_force_exclude_applies_excludes_to_named_paths(tree: Path) -> None:
    settings = Settings(root=tree, extend_exclude=("tests/fixtures/*",))
    named = ["tests/fixtures/case.py", ".venv/lib/site.py", "build", "a.py"]
    assert discover(named, settings, cwd=tree, force_exclude=True) == ("a.py",)


def test_a_missing_path_is_an_error_for_that_path_only(tree: Path) -> None:
    found = discovery(["a.py", "nope.py"], Settings(root=tree), cwd=tree)
    assert found.files == ("a.py",)
    assert [(e.path, e.reason) for e in found.errors] == [
        ("nope.py", "could not read: No such file or directory")
    ]


def test_is_excluded_checks_ancestors_below_the_root_only(tmp_path: Path) -> None:
    root = tmp_path / "build" / "project"  # the project itself lives under a directory named build
    settings = Settings(root=root)
    assert not is_excluded(root / "src" / "a.py", settings)
    assert is_excluded(root / "dist" / "a.py", settings)


def test_a_walk_finds_notebooks_but_not_jupyters_checkpoints(tmp_path: Path) -> None:
    for name in [
        "train.ipynb",
        "eda/explore.ipynb",
        "eda/.ipynb_checkpoints/explore-checkpoint.ipynb",
        "eda/explore.ipynb.bak",
        "eda/data.json",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")
    assert discover(["."], Settings(root=tmp_path), cwd=tmp_path) == ("eda/explore.ipynb", "train.ipynb")
