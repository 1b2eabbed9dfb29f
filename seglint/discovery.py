"""Expand command-line paths into the sorted list of files to lint.

Directories are walked for ``*.py`` and ``*.pyi`` files, skipping what ``exclude`` /
``extend-exclude`` match (directory symlinks are not followed). As in ruff, a path named on the
command line is linted even when an exclude matches it (whatever its extension), unless
``force_exclude`` is set: then excludes apply to named paths too, which is what pre-commit needs,
since it passes every changed file by name.

Nothing is opened here, and only regular files are ever handed on. A named path that is missing,
unreadable or not a regular file (a FIFO, a socket, a device, also behind a symbolic link) is an error
for that path, and so is a symbolic link found in a directory that leads to one of those; the other
paths are still checked. What the walk skips on its own (a FIFO named ``x.py``, a broken symbolic
link, a directory it may not list) is a warning, as in ruff.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seglint.config import Settings
from seglint.diagnostics import FileError
from seglint.globs import Glob, matches_entry, matches_path_or_parent
from seglint.sources import file_kind, not_a_regular_file, read_error

PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass(frozen=True)
class Discovery:
    """The files to lint (display paths, sorted), the paths that cannot be checked, and what the walk
    skipped (one sentence each, for stderr)."""

    files: tuple[str, ...]
    errors: tuple[FileError, ...] = ()
    warnings: tuple[str, ...] = ()


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


class _Collector:
    def __init__(self, cwd: Path, globs: tuple[Glob, ...], root: Path) -> None:
        self.cwd = cwd
        self.globs = globs
        self.root = root
        self.files: set[str] = set()
        self.errors: dict[str, FileError] = {}
        self.warnings: list[str] = []

    def shown(self, path: Path) -> str:
        return display_path(path, self.cwd)

    def error(self, path: Path, error: OSError) -> None:
        shown = self.shown(path)
        self.errors[shown] = read_error(path, error, shown=shown)

    def named(self, path: Path) -> None:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            self.error(path, exc)
            return
        if stat.S_ISDIR(mode):
            try:
                self.walk(path)
            except OSError as exc:
                self.error(path, exc)
        elif stat.S_ISREG(mode):
            self.files.add(self.shown(path))
        else:
            self.error(path, not_a_regular_file(path, mode))

    def walk(self, top: Path) -> None:
        """Collect the Python files below ``top``; raises OSError only if ``top`` cannot be listed."""
        pending = [top]
        while pending:
            directory = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = list(listing)
            except OSError as exc:
                if directory == top:
                    raise
                self.warnings.append(f"skipped {self.shown(directory)}/: could not list it: {exc.strerror}")
                continue
            for entry in entries:
                path = Path(entry.path)
                if matches_entry(self.globs, path, self.root):
                    continue
                if _is_dir(entry):
                    if not entry.is_symlink():  # directory symlinks are not followed
                        pending.append(path)
                elif path.suffix in PYTHON_SUFFIXES:
                    self.found(entry, path)

    def found(self, entry: os.DirEntry[str], path: Path) -> None:
        try:
            mode = entry.stat().st_mode  # follows a symbolic link
        except OSError as exc:  # a broken link, or a loop of links
            self.warnings.append(f"skipped {self.shown(path)}: {read_error(path, exc).reason}")
            return
        if stat.S_ISREG(mode):
            self.files.add(self.shown(path))
        elif entry.is_symlink():  # a link chosen to lead to a FIFO or a device: say so
            self.error(path, not_a_regular_file(path, mode))
        else:
            self.warnings.append(f"skipped {self.shown(path)}: it is {file_kind(mode)}, not a regular file")


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover(
    paths: Sequence[str],
    settings: Settings,
    *,
    cwd: Path,
    force_exclude: bool = False,
) -> Discovery:
    """The files to lint, as display paths (see :func:`display_path`), sorted and de-duplicated; the
    named paths that cannot be checked; and what the walk skipped. ``paths`` defaults to ``["."]``."""
    cwd = Path(os.path.abspath(cwd))
    collector = _Collector(cwd, settings.exclude_globs, settings.root)
    for raw in paths or ["."]:
        absolute = Path(os.path.abspath(cwd / raw))
        if force_exclude and matches_path_or_parent(collector.globs, absolute, settings.root):
            continue
        collector.named(absolute)
    return Discovery(
        files=tuple(sorted(collector.files - set(collector.errors))),
        errors=tuple(collector.errors[path] for path in sorted(collector.errors)),
        warnings=tuple(sorted(set(collector.warnings))),
    )
