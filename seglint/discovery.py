"""Expand command-line paths into the sorted list of files to lint.

Directories are walked for ``*.py`` and ``*.pyi`` files, skipping what ``exclude`` /
``extend-exclude`` match (directory symlinks are not followed). As in ruff, a path named on the
command line is linted even when an exclude matches it (whatever its extension), unless
``force_exclude`` is set: then excludes apply to named paths too, which is what pre-commit needs,
since it passes every changed file by name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from seglint.config import Settings
from seglint.errors import UsageError
from seglint.globs import Glob, matches_entry, matches_path_or_parent

PYTHON_SUFFIXES = (".py", ".pyi")


def display_path(path: Path, cwd: Path) -> str:
    """How a file is named in output: relative to ``cwd`` when below it, absolute otherwise."""
    if path == cwd:
        return "."
    if path.is_relative_to(cwd):
        return path.relative_to(cwd).as_posix()
    return path.as_posix()


def is_excluded(path: Path, settings: Settings) -> bool:
    """Whether an absolute ``path`` or a directory above it (below the root) is excluded."""
    return matches_path_or_parent(settings.exclude_globs, path, settings.root)


def _walk(directory: Path, globs: tuple[Glob, ...], root: Path) -> list[Path]:
    found: list[Path] = []
    for parent, dirnames, filenames in os.walk(directory):
        base = Path(parent)
        dirnames[:] = [d for d in dirnames if not matches_entry(globs, base / d, root)]
        for name in filenames:
            path = base / name
            if path.suffix in PYTHON_SUFFIXES and not matches_entry(globs, path, root):
                found.append(path)
    return found


def discover(
    paths: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    force_exclude: bool = False,
) -> tuple[str, ...]:
    """The files to lint, as display paths (see :func:`display_path`), sorted and de-duplicated.

    ``paths`` defaults to ``["."]``; a path that does not exist raises UsageError.
    """
    cwd = Path(os.path.abspath(cwd))
    globs = settings.exclude_globs
    files: set[str] = set()
    for raw in paths or ["."]:
        absolute = Path(os.path.abspath(cwd / raw))
        if not os.path.lexists(absolute):
            raise UsageError(f"path {raw!r} does not exist")
        if force_exclude and matches_path_or_parent(globs, absolute, settings.root):
            continue
        if absolute.is_dir():
            files.update(display_path(p, cwd) for p in _walk(absolute, globs, settings.root))
        else:
            files.add(display_path(absolute, cwd))
    return tuple(sorted(files))
