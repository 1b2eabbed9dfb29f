"""A path below a directory, as text, without pathlib's ``relative_to``.

``PurePath.relative_to`` parses both of its paths again on every call; discovery and the provider scan
ask it for every entry of a tree, several times (each exclude pattern, each package lookup). For the
normalised POSIX paths pathlib holds, a prefix test on their text gives the same answer
(``tests/test_globs.py`` compares the two on generated paths).
"""

from __future__ import annotations

from pathlib import PurePath, PurePosixPath


def relative_posix(path: PurePath, root: PurePath) -> str | None:
    """``path.relative_to(root).as_posix()`` (``.`` for the root itself), or ``None`` outside it."""
    if isinstance(path, PurePosixPath) and isinstance(root, PurePosixPath):
        text, base = str(path), str(root)
        if text == base:
            return "."
        if base == ".":
            return None if text.startswith("/") else text
        prefix = base if base.endswith("/") else base + "/"
        return text[len(prefix) :] if text.startswith(prefix) else None
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def package_parts(path: PurePath, bases: tuple[PurePath, ...]) -> list[str]:
    """The directories between the first of ``bases`` that holds ``path`` and the file (a module's
    package, as parts); empty when none holds it."""
    for base in bases:
        relative = relative_posix(path, base)
        if relative is not None:
            return relative.split("/")[:-1] if relative != "." else []
    return []
