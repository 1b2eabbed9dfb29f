"""Where a project starts: the nearest directory with a project marker (no parsing, no libcst).

The root decides how far seglint reads beyond the files it is given. Under a marker, the project is
the marker's directory tree (walked, within a bound, for loss providers). Without one, a file is a
project of its own directory only: its siblings are read when it imports them, and nothing is walked,
so ``seglint one_file.py`` in a home directory reads that file and what it imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git", ".hg")
INSTALLED_PACKAGE = "an installed package"


@dataclass(frozen=True)
class ProjectRoot:
    """A project's root directory and what makes it one: a marker's name, ``INSTALLED_PACKAGE`` for a
    package directly in ``site-packages``, or ``None`` for the directory of a file with no marker."""

    path: Path
    marker: str | None = None

    @property
    def has_marker(self) -> bool:
        return self.marker is not None


def find_root(start: Path) -> ProjectRoot:
    """The nearest directory at or above ``start`` holding a project marker, else ``start``'s own
    directory (without a marker)."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        for marker in ROOT_MARKERS:
            if (candidate / marker).exists():
                return ProjectRoot(candidate, marker)
        if candidate.parent.name in ("site-packages", "dist-packages"):
            return ProjectRoot(candidate, INSTALLED_PACKAGE)  # an installed package is a project of its own
    return ProjectRoot(directory)
