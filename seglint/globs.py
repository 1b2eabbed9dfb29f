"""Path patterns for ``exclude`` and ``per-file-ignores``.

A pattern without a slash (``build``, ``test_*.py``) matches a file or directory name anywhere below
the project root. A pattern with a slash (``tests/fixtures/*``, ``src/**/gen_*.py``) matches the path
relative to the project root (the directory of the configuration file); an absolute pattern matches
the absolute path. ``*`` and ``?`` never cross a ``/``; ``**`` matches any number of directories;
``[abc]`` / ``[!abc]`` are character classes. A pattern that matches a directory covers everything
inside it.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath


def _translate(pattern: str) -> str:
    """Translate a slash-containing glob into a regular expression over POSIX paths."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            close = pattern.find("]", i + 2 if pattern.startswith("[!", i) else i + 1)
            if close == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : close]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = close + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Glob:
    """One compiled pattern; see the module docstring for its meaning."""

    pattern: str
    regex: re.Pattern[str] | None  # None: a name pattern (no slash), matched with fnmatch

    @classmethod
    def compile(cls, pattern: str) -> Glob:
        stripped = pattern.rstrip("/") or pattern
        if "/" not in stripped:
            return cls(pattern, None)
        return cls(pattern, re.compile(_translate(stripped)))

    def matches_name(self, name: str) -> bool:
        return self.regex is None and fnmatch.fnmatchcase(name, self.pattern.rstrip("/"))

    def matches_path(self, relative: str | None, absolute: str) -> bool:
        if self.regex is None:
            return False
        if self.pattern.startswith("/"):
            return self.regex.fullmatch(absolute) is not None
        return relative is not None and self.regex.fullmatch(relative) is not None


def _relative(path: PurePath, root: PurePath) -> PurePosixPath | None:
    try:
        return PurePosixPath(path.relative_to(root).as_posix())
    except ValueError:
        return None


def matches_entry(globs: tuple[Glob, ...], path: PurePath, root: PurePath) -> bool:
    """Whether ``path`` itself (not its ancestors) matches one of ``globs``.

    ``path`` and ``root`` are absolute. Slash patterns only match paths below ``root``.
    """
    relative = _relative(path, root)
    rel_text = relative.as_posix() if relative is not None else None
    for glob in globs:
        if glob.matches_name(path.name):
            return True
        if glob.matches_path(rel_text, path.as_posix()):
            return True
    return False


def matches_path_or_parent(globs: tuple[Glob, ...], path: PurePath, root: PurePath) -> bool:
    """Whether ``path`` or one of its ancestors below ``root`` matches one of ``globs``."""
    if matches_entry(globs, path, root):
        return True
    if _relative(path, root) is None:
        return False
    for parent in path.parents:
        if parent == root or _relative(parent, root) is None:
            break
        if matches_entry(globs, parent, root):
            return True
    return False


@functools.lru_cache(maxsize=256)
def compile_globs(patterns: tuple[str, ...]) -> tuple[Glob, ...]:
    """Compile ``patterns`` once per run (results are cached)."""
    return tuple(Glob.compile(p) for p in patterns)
