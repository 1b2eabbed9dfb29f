"""Where a project starts: the nearest directory with a project marker (no parsing, no libcst)."""

from __future__ import annotations

from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", ".hg")


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding a project marker, else ``start`` itself."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
        if candidate.parent.name in ("site-packages", "dist-packages"):
            return candidate  # an installed package is a project of its own
    return directory
