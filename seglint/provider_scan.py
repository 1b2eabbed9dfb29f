"""Which modules of a project are read to find its loss providers (see ``providers``), and the scan.

How far this reads depends on the project root (``roots``):

- Under a project marker, the root's tree is walked in sorted order (files before subdirectories,
  skipping the default excludes and hidden directories, never following a symbolic link out of the
  root), visiting at most ``max_project_files`` files and directories. When the walk stops there, the
  caller is warned once, naming the root.
- A file without a marker is a project of its own directory: the scan covers the files being checked
  in that directory and the modules they import (a text scan of their ``import`` statements, followed
  transitively, within the same bound). Nothing is walked, so a file checked in a home directory
  never makes seglint read the home directory.

Only regular files are read, and none larger than ``max_file_size`` (a generated module is not where
a loss builder lives, and its thousands of names would only slow matching down). Each module's providers are remembered in the cache directory by path,
modification time and size.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from seglint.codetext import code_text
from seglint.limits import DEFAULT_LIMITS, Limits
from seglint.pathtext import package_parts
from seglint.prefilter import defined_names, imported_libraries
from seglint.providers import Providers, providers_in
from seglint.roots import ProjectRoot
from seglint.sources import read_text
from seglint.wordsets import present_words

if TYPE_CHECKING:
    from seglint.analysis.catalogue import Catalogue

INDEX_NAME = "providers-v3.json"

# An import statement at the start of a line. Written as a newline (the text is searched with one
# put before it) rather than ``^`` with MULTILINE: a pattern that begins with a literal character is
# tried only where that character is, not at every position (half the time over transformers).
_IMPORT = re.compile(
    r"\n[ \t]*(?:from[ \t]+(?P<level>\.*)[ \t]*(?P<base>[\w.]*)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n;]*)"
    r"|import[ \t]+(?P<modules>[^\n;]+))"
)


def project_providers(
    root: ProjectRoot,
    catalogue: Catalogue,
    cache_dir: Path | None,
    *,
    checked: Iterable[tuple[Path, str | None]] = (),
    limits: Limits = DEFAULT_LIMITS,
    warn: Callable[[str], None] | None = None,
) -> Providers:
    """The loss providers of the project at ``root``.

    ``checked``: the files being checked below a root without a marker, as (path, text), the text
    ``None`` when it is to be read from the file (stdin has no file). ``warn`` hears when the scan
    stopped at ``limits.max_project_files``.
    """
    words = sorted(catalogue.loss_words())
    limit, max_size = limits.max_project_files, limits.max_file_size
    scanned: list[list] = []
    if not root.has_marker:
        closure = _ImportClosure(root.path, limit, max_size)
        scanned = [_scan(text, catalogue) for _, text in closure.modules(checked)]
        if closure.stopped and warn is not None:
            warn(_stopped_message(root.path, limit, "modules"))
        return _combined(scanned)

    index_path = cache_dir / INDEX_NAME if cache_dir is not None else None
    entries = _load_index(index_path, words)
    fresh: dict[str, list] = {}
    importers: dict[str, list[str]] = {}
    local = _local_modules(root.path)
    walk = _BoundedWalk(root.path, limit)
    for path in walk.modules():
        try:
            status = path.stat()
        except OSError:
            continue
        key = str(path)
        stamp = [status.st_mtime_ns, status.st_size]
        entry = entries.get(key)
        if not (isinstance(entry, list) and len(entry) == 3 + _ENTRY_FIELDS and entry[:2] == stamp):
            text = read_text(path, max_size=max_size)
            imports = sorted(_local_imports(text, _package_of(root.path, path), local)) if text else []
            entry = [*stamp, *(_scan(text, catalogue) if text is not None else _scan("", catalogue)), imports]
        fresh[key] = entry
        scanned.append(entry[2:-1])
        for module in entry[-1]:
            importers.setdefault(module, []).append(key)
    if walk.stopped and warn is not None:
        warn(_stopped_message(root.path, limit, "files and directories"))
    if index_path is not None and fresh != entries:
        _write_json(index_path, {"words": words, "files": fresh})
    combined = _combined(scanned)
    # Only names of the project's own modules: ``from pkg.mod import Name`` also yields ``pkg.mod.Name``.
    modules = {_module_of(root.path, Path(file)) for file in fresh}
    kept = sorted((m, tuple(files)) for m, files in importers.items() if m in modules)
    return replace(combined, importers=tuple(kept))


def _module_of(root: Path, path: Path) -> str:
    package = _package_of(root, path)
    name = path.name[:-3]
    return ".".join(package if name == "__init__" else [*package, name])


def _local_modules(root: Path) -> frozenset[str]:
    """The top-level module and package names of the project (in its root and its ``src/``)."""
    names: set[str] = set()
    for base in (root, root / "src"):
        try:
            with os.scandir(base) as listing:
                for entry in listing:
                    name = entry.name.removesuffix(".py")
                    if name.isidentifier():
                        names.add(name)
        except OSError:
            continue
    return frozenset(names)


def _package_of(root: Path, path: Path) -> list[str]:
    return package_parts(path, (root / "src", root))


def _local_imports(text: str, package: list[str], local: frozenset[str]) -> set[str]:
    """The project's own modules a text imports (each dotted name, as ``imported_names`` gives it)."""
    return set(imported_names(text, package, raw=True, tops=local))


_ENTRY_FIELDS = 5


def _scan(text: str, catalogue: Catalogue) -> list:
    """One module's part, as JSON-ready lists: the libraries it imports, the providers its text
    defines through loss names that count everywhere, and those it defines through a library's loss
    names (which count once some module of the project imports a catalogued library)."""
    libraries = sorted(imported_libraries(text, catalogue.library_words()))
    present = present_words(text, catalogue.loss_words())
    if not present:  # most modules: one pass of substring tests
        return [libraries, [], [], [], []]
    everywhere_words = catalogue.loss_words_where(frozenset())
    everywhere = providers_in(text, sorted(word for word in present if word in everywhere_words))
    # A library's loss name that the module defines itself is its own (MONAI's ``Dice = DiceLoss``).
    library_words = [word for word in present if word not in everywhere_words]
    own = defined_names(text, library_words)
    anywhere = providers_in(text, sorted(set(present) - own)) if library_words else everywhere
    return [
        libraries,
        sorted(everywhere.functions),
        sorted(everywhere.classes),
        sorted(anywhere.functions - everywhere.functions),
        sorted(anywhere.classes - everywhere.classes),
    ]


def _combined(scanned: list[list]) -> Providers:
    libraries = frozenset(library for entry in scanned for library in entry[0])
    functions: set[str] = set()
    classes: set[str] = set()
    for _, own_functions, own_classes, library_functions, library_classes in scanned:
        functions.update(own_functions)
        classes.update(own_classes)
        if libraries:
            functions.update(library_functions)
            classes.update(library_classes)
    return Providers(frozenset(functions), frozenset(classes), libraries)


def _stopped_message(root: Path, limit: int, what: str) -> str:
    return (
        f"the scan of {root} for loss providers stopped after {limit:,} {what} (max-project-files); "
        "files that use a loss built elsewhere in the project may be missed"
    )


class _BoundedWalk:
    """The ``.py`` files below ``root`` in sorted order, visiting at most ``limit`` entries."""

    def __init__(self, root: Path, limit: int) -> None:
        from seglint.config import DEFAULT_EXCLUDE

        self.root = root
        self.left = limit
        self.stopped = False
        self._skipped = frozenset(DEFAULT_EXCLUDE)

    def modules(self) -> Iterator[Path]:
        pending = [self.root]
        while pending and not self.stopped:
            entries = self._list(pending.pop())
            directories: list[Path] = []
            for entry in sorted(entries, key=lambda e: e.name):
                if _is_real_directory(entry):
                    if entry.name not in self._skipped and not entry.name.startswith("."):
                        directories.append(Path(entry.path))
                elif entry.name.endswith(".py") and self._readable_module(entry):
                    yield Path(entry.path)
            pending.extend(reversed(directories))

    def _list(self, directory: Path) -> list[os.DirEntry[str]]:
        entries: list[os.DirEntry[str]] = []
        try:
            with os.scandir(directory) as listing:
                for entry in listing:
                    if self.left == 0:
                        self.stopped = True
                        break
                    self.left -= 1
                    entries.append(entry)
        except OSError:
            pass
        return entries

    def _readable_module(self, entry: os.DirEntry[str]) -> bool:
        """A regular file, or a symbolic link to one inside the root (never one leading out of it)."""
        try:
            if entry.is_symlink():
                return entry.is_file() and Path(os.path.realpath(entry.path)).is_relative_to(self.root)
            return entry.is_file(follow_symlinks=False)
        except OSError:
            return False


def _is_real_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


class _ImportClosure:
    """The checked files of a root without a marker and the modules they import, transitively: what
    Python would find for their imports in the root (or its ``src/``) or next to the importer."""

    def __init__(self, root: Path, limit: int, max_size: int) -> None:
        self.root = root
        self.left = limit
        self.max_size = max_size
        self.stopped = False

    def modules(self, checked: Iterable[tuple[Path, str | None]]) -> Iterator[tuple[Path, str]]:
        seen: set[Path] = set()
        pending: list[tuple[Path, str | None]] = list(checked)
        while pending:
            path, text = pending.pop()
            key = Path(os.path.abspath(path))
            if key in seen:
                continue
            seen.add(key)
            if self.left == 0:
                self.stopped = True
                return
            self.left -= 1
            text = read_text(key, max_size=self.max_size) if text is None else text
            if text is None or len(text) > self.max_size:
                continue
            yield key, text
            pending.extend((module, None) for module in self._imports(key, text) if module not in seen)

    def _imports(self, path: Path, text: str) -> Iterator[Path]:
        package = self._package(path)
        for dotted in imported_names(text, package):
            for base in (self.root / "src", self.root, path.parent):
                module = _module_file(base, dotted)
                if module is not None:
                    yield module
                    break

    def _package(self, path: Path) -> list[str]:
        """The package ``path`` belongs to, as its parts below the root (empty at the top)."""
        return package_parts(path, (self.root / "src", self.root))


def imported_names(
    text: str, package: list[str], *, raw: bool = False, tops: frozenset[str] | None = None
) -> Iterator[str]:
    """Every dotted module name ``text``'s import statements may load (each prefix of ``a.b.c``; for
    ``from m import x``, ``m`` and ``m.x``), relative imports resolved in ``package``. A text scan of
    code without strings and comments (``raw``: of the text as it is, cheaper, a name too many more
    often): a name too many costs a look-up, never a finding. ``tops``: only names whose first part
    is one of these (the others are not generated: a project's files import torch far more often
    than themselves)."""
    for match in _IMPORT.finditer("\n" + (text if raw else code_text([text], 1, 1))):
        if match["modules"] is not None:
            for item in match["modules"].split(","):
                words = item.split()
                if words and (tops is None or _first_part(words[0]) in tops):
                    yield from _prefixes(words[0])
            continue
        level = len(match["level"])
        if level > len(package) + 1:
            continue  # above the root
        base_parts = package[: len(package) - (level - 1)] if level else []
        base = ".".join([*base_parts, *filter(None, match["base"].split("."))])
        # Each name below is a prefix of the base (its first part: ``_first_part``) or the base and
        # one imported name (its first part: the base's own, or the name itself without a base).
        prefixes = bool(base) and (tops is None or _first_part(base) in tops)
        names = tops is None or not base or base.split(".", 1)[0] in tops
        if prefixes:
            yield from _prefixes(base)
        if not names:
            continue
        for item in match["names"].strip("()").split(","):
            words = item.split()
            if words and words[0].isidentifier() and words[0] != "*":
                if base:
                    yield f"{base}.{words[0]}"
                elif tops is None or words[0] in tops:
                    yield words[0]


def _first_part(dotted: str) -> str | None:
    """The first part of what ``_prefixes`` yields for ``dotted``."""
    return next((part for part in dotted.split(".") if part.isidentifier()), None)


def _prefixes(dotted: str) -> Iterator[str]:
    parts = [part for part in dotted.split(".") if part.isidentifier()]
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def _module_file(base: Path, dotted: str) -> Path | None:
    relative = Path(*dotted.split("."))
    for candidate in (base / relative / "__init__.py", base / relative.with_suffix(".py")):
        if candidate.is_file():
            return Path(os.path.abspath(candidate))
    return None


def _load_index(index_path: Path | None, words: list[str]) -> dict[str, list]:
    if index_path is None:
        return {}
    try:
        loaded = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not (isinstance(loaded, dict) and loaded.get("words") == words):
        return {}
    files = loaded.get("files")
    return files if isinstance(files, dict) else {}


def _write_json(path: Path, data: object) -> None:
    """Atomically, and never failing the run: the index only saves time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".providers-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(data, stream)
        os.replace(temporary, path)
    except OSError:
        pass
