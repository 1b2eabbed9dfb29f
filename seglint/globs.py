"""Path patterns for ``exclude`` and ``per-file-ignores``, matched with pathspec's gitignore patterns.

A pattern without a slash (``build``, ``test_*.py``) matches a file or directory name anywhere below
the project root. A pattern with a slash (``tests/fixtures/*``, ``src/**/gen_*.py``) matches the path
relative to the project root (the directory of the configuration file); an absolute pattern matches
the absolute path. ``*`` and ``?`` never cross a ``/``; ``**`` matches any number of directories;
``[abc]`` / ``[!abc]`` are character classes. A pattern that matches a directory covers everything
inside it. A trailing ``/`` changes nothing.

These are gitignore's rules for one pattern, less what makes no sense in a list of patterns: a
leading ``#`` or ``!`` is an ordinary character here (not a comment or a negation), and trailing spaces
are kept. ``tests/test_globs.py`` holds the table of cases.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath

from pathspec import GitIgnoreSpec

from seglint.pathtext import relative_posix


def _escaped(pattern: str) -> str:
    """The gitignore line that means ``pattern`` as documented above."""
    body = pattern.rstrip("/") or pattern
    if body.startswith(("#", "!")):
        body = "\\" + body
    if body.endswith(" "):
        body = body[:-1] + "\\ "
    return body


@dataclass(frozen=True)
class Glob:
    """One compiled pattern; see the module docstring for its meaning."""

    pattern: str
    spec: GitIgnoreSpec
    anchored: bool  # has a slash (other than a trailing one): matches a path, not a name
    absolute: bool

    @classmethod
    def compile(cls, pattern: str) -> Glob:
        body = _escaped(pattern)
        absolute = PurePosixPath(body).is_absolute()
        # An absolute pattern is matched against the absolute path less its leading slash, anchored.
        return cls(pattern, GitIgnoreSpec.from_lines([body]), "/" in body, absolute)

    def matches(self, path: PurePath, root: PurePath) -> bool:
        """Whether ``path`` (absolute) or a directory above it matches: below ``root`` for relative
        patterns, anywhere for absolute ones; outside ``root`` a name pattern sees the name only."""
        return self._matches(_Place(path, root))

    def matches_entry(self, path: PurePath, root: PurePath) -> bool:
        """Whether ``path`` itself matches, not through a directory above it (what a walk asks: it
        never enters an excluded directory, and a directory named on the command line is walked)."""
        return self._matches_entry(_Place(path, root))

    def _matches(self, place: _Place) -> bool:
        if self.absolute:
            return self.spec.match_file(place.posix.lstrip("/"))
        relative = place.relative
        if relative is not None:
            return relative != "." and self.spec.match_file(relative)
        return not self.anchored and self.spec.match_file(place.path.name)

    def _matches_entry(self, place: _Place) -> bool:
        if not self._matches(place):
            return False
        parent = place.parent
        if self.absolute:
            return parent.path == place.path or not self._matches(parent)
        inside = parent.relative
        return inside is None or inside == "." or not self._matches(parent)


class _Place:
    """A path and what matching asks of it, each computed once however many globs ask (a walk asks
    every default exclude of every entry)."""

    __slots__ = ("_parent", "_posix", "_relative", "path", "root")

    def __init__(self, path: PurePath, root: PurePath) -> None:
        self.path = path
        self.root = root
        self._relative: str | None | bool = False  # False: not computed yet
        self._posix: str | None = None
        self._parent: _Place | None = None

    @property
    def relative(self) -> str | None:
        """The path below the root in POSIX form (``.`` for the root itself), or ``None`` outside it."""
        if self._relative is False:
            self._relative = relative_posix(self.path, self.root)
        return self._relative  # type: ignore[return-value]

    @property
    def posix(self) -> str:
        if self._posix is None:
            self._posix = self.path.as_posix()
        return self._posix

    @property
    def parent(self) -> _Place:
        if self._parent is None:
            self._parent = _Place(self.path.parent, self.root)
        return self._parent


def matches_entry(globs: tuple[Glob, ...], path: PurePath, root: PurePath) -> bool:
    """Whether ``path`` itself (not its ancestors) matches one of ``globs``."""
    place = _Place(path, root)
    return any(glob._matches_entry(place) for glob in globs)


def matches_path_or_parent(globs: tuple[Glob, ...], path: PurePath, root: PurePath) -> bool:
    """Whether ``path`` or one of its ancestors below ``root`` matches one of ``globs``."""
    place = _Place(path, root)
    return any(glob._matches(place) for glob in globs)


@functools.lru_cache(maxsize=256)
def compile_globs(patterns: tuple[str, ...]) -> tuple[Glob, ...]:
    """Compile ``patterns`` once per run (results are cached)."""
    return tuple(Glob.compile(p) for p in patterns)
