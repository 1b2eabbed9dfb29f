"""Expand command-line paths into the sorted list of files to lint.

Directories are walked for ``*.py`` and ``*.pyi`` files and Jupyter notebooks (``*.ipynb``) (directory
symlinks are not followed), skipping, as ruff does:

- what ``exclude`` / ``extend-exclude`` match, each entry judged by the configuration that governs its
  directory (the closest one at or above it, see :class:`~seglint.config.Configurations`);
- what ``.gitignore`` (inside a git repository), ``.ignore`` and ``.git/info/exclude`` ignore, unless
  that configuration sets ``respect-gitignore = false``. Deeper files win over shallower ones, and
  ``.ignore`` over ``.gitignore`` in one directory; the ignore files of the directories above a walked
  one, up to the repository's root, count too.

A path named on the command line is linted even when an exclude or an ignore file matches it
(whatever its extension), unless ``force_exclude`` is set: then excludes apply to named paths too,
which is what pre-commit needs, since it passes every changed file by name.

Nothing is opened here but ignore files, and only regular files are ever handed on. A named path that
is missing, unreadable or not a regular file (a FIFO, a socket, a device, also behind a symbolic link)
is an error for that path, and so is a symbolic link found in a directory that leads to one of those;
the other paths are still checked. What the walk skips on its own (a FIFO named ``x.py``, a broken
symbolic link, a directory it may not list) is a warning, as in ruff. The files governed by an invalid
configuration are not checked: the configuration is one error, which says how many files it held back.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pathspec import GitIgnoreSpec

from seglint.config import Configurations, Settings
from seglint.diagnostics import FileError
from seglint.errors import ConfigError
from seglint.globs import matches_entry
from seglint.pathtext import relative_posix
from seglint.sources import file_kind, not_a_regular_file, read_error, read_text

#: What a walk checks: Python files, stubs and notebooks (their code cells, see ``seglint.notebook``).
CHECKED_SUFFIXES = (".py", ".pyi", ".ipynb")
#: In one directory, the later file wins (``.ignore`` over ``.gitignore``, as in ripgrep and ruff).
IGNORE_FILES = (".gitignore", ".ignore")
_IGNORE_FILE_SIZE = 1 << 20


@dataclass(frozen=True)
class Discovery:
    """The files to lint (display paths, sorted), the paths that cannot be checked, what the walk
    skipped (one sentence each, for stderr), and the named paths that ``force_exclude`` left out."""

    files: tuple[str, ...]
    errors: tuple[FileError, ...] = ()
    warnings: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()


def display_path(path: Path, cwd: Path) -> str:
    """How a file is named in output: relative to ``cwd`` when below it, absolute otherwise."""
    relative = relative_posix(path, cwd)
    return relative if relative is not None else path.as_posix()


def _configurations(settings: Settings | Configurations) -> Configurations:
    return settings if isinstance(settings, Configurations) else Configurations.fixed(settings)


def is_excluded(path: Path, settings: Settings | Configurations) -> bool:
    """Whether an absolute ``path`` or a directory above it is excluded, each by the configuration of
    its own directory, and only below that configuration's root (a project that lives under a
    directory named ``build`` is not excluded by the default ``build`` pattern)."""
    configurations = _configurations(settings)
    for entry in (path, *path.parents):
        if entry.parent == entry:
            break
        governing = configurations.for_directory(entry.parent)
        if isinstance(governing, ConfigError):
            continue
        below_root = entry.is_relative_to(governing.root) and entry != governing.root
        if below_root and matches_entry(governing.exclude_globs, entry, governing.root):
            return True
    return False


@dataclass(frozen=True)
class _IgnoreFile:
    """The patterns of one ignore file, relative to ``base`` (its directory)."""

    base: Path
    spec: GitIgnoreSpec


def _ignored(chain: tuple[_IgnoreFile, ...], path: Path, is_dir: bool) -> bool:
    """git's answer: the last ignore file (deepest; ``.ignore`` after ``.gitignore``) that has a
    pattern matching ``path``, negated or not, decides."""
    for ignore in reversed(chain):
        relative = relative_posix(path, ignore.base)
        if relative is None:  # as relative_to would: an entry's ignore files lie above it
            raise ValueError(f"{path} is not below {ignore.base}")
        relative += "/" if is_dir else ""
        decided = ignore.spec.check_file(relative).include
        if decided is not None:
            return decided
    return False


def _repository_root(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class _Collector:
    def __init__(self, cwd: Path, configurations: Configurations) -> None:
        self.cwd = cwd
        self.configurations = configurations
        self.files: set[str] = set()
        self.errors: dict[str, FileError] = {}
        self.warnings: list[str] = []
        self.held_back: dict[Path, tuple[ConfigError, set[str]]] = {}  # invalid configuration -> files

    def shown(self, path: Path) -> str:
        return display_path(path, self.cwd)

    def error(self, path: Path, error: OSError) -> None:
        shown = self.shown(path)
        self.errors[shown] = read_error(path, error, shown=shown)

    def add(self, path: Path) -> None:
        governing = self.configurations.for_path(path)
        if isinstance(governing, ConfigError):
            self.held_back.setdefault(_config_file_of(governing, path), (governing, set()))[1].add(
                self.shown(path)
            )
        else:
            self.files.add(self.shown(path))

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
            self.add(path)
        else:
            self.error(path, not_a_regular_file(path, mode))

    def ignore_files(self, directory: Path, *, in_repository: bool) -> list[_IgnoreFile]:
        found = []
        for name in IGNORE_FILES:
            if name == ".gitignore" and not in_repository:
                continue  # as git (and ruff): a .gitignore outside a repository means nothing
            text = read_text(directory / name, max_size=_IGNORE_FILE_SIZE)
            if text:
                found.append(_IgnoreFile(directory, GitIgnoreSpec.from_lines(text.splitlines())))
        return found

    def top_chain(self, top: Path) -> tuple[_IgnoreFile, ...]:
        """The ignore files that govern ``top``'s entries: ``.git/info/exclude`` and the ignore files
        of the directories from the repository's root down to ``top``."""
        repository = _repository_root(top)
        if repository is None:
            return tuple(self.ignore_files(top, in_repository=False))
        chain: list[_IgnoreFile] = []
        exclude = read_text(repository / ".git" / "info" / "exclude", max_size=_IGNORE_FILE_SIZE)
        if exclude:
            chain.append(_IgnoreFile(repository, GitIgnoreSpec.from_lines(exclude.splitlines())))
        for directory in (*reversed(top.parents), top):
            if directory.is_relative_to(repository):
                chain.extend(self.ignore_files(directory, in_repository=True))
        return tuple(chain)

    def walk(self, top: Path) -> None:
        """Collect the Python files below ``top``; raises OSError only if ``top`` cannot be listed."""
        in_repository = _repository_root(top) is not None
        pending: list[tuple[Path, tuple[_IgnoreFile, ...]]] = [(top, self.top_chain(top))]
        while pending:
            directory, chain = pending.pop()
            try:
                with os.scandir(directory) as listing:
                    entries = list(listing)
            except OSError as exc:
                if directory == top:
                    raise
                self.warnings.append(f"skipped {self.shown(directory)}/: could not list it: {exc.strerror}")
                continue
            governing = self.configurations.for_directory(directory)
            settings = governing if isinstance(governing, Settings) else Settings(root=directory)
            globs = settings.exclude_globs
            for entry in entries:
                path = Path(entry.path)
                if matches_entry(globs, path, settings.root):
                    continue
                is_dir = _is_dir(entry)
                if settings.respect_gitignore and chain and _ignored(chain, path, is_dir):
                    continue
                if is_dir:
                    if not entry.is_symlink():  # directory symlinks are not followed
                        below = (*chain, *self.ignore_files(path, in_repository=in_repository))
                        pending.append((path, below))
                elif path.suffix in CHECKED_SUFFIXES:
                    self.found(entry, path)

    def found(self, entry: os.DirEntry[str], path: Path) -> None:
        try:
            mode = entry.stat().st_mode  # follows a symbolic link
        except OSError as exc:  # a broken link, or a loop of links
            self.warnings.append(f"skipped {self.shown(path)}: {read_error(path, exc).reason}")
            return
        if stat.S_ISREG(mode):
            self.add(path)
        elif entry.is_symlink():  # a link chosen to lead to a FIFO or a device: say so
            self.error(path, not_a_regular_file(path, mode))
        else:
            self.warnings.append(f"skipped {self.shown(path)}: it is {file_kind(mode)}, not a regular file")

    def config_errors(self) -> list[FileError]:
        errors = []
        for config, (error, files) in self.held_back.items():
            held = f"{len(files)} Python file{'s' if len(files) != 1 else ''} below it not checked"
            reason = f"invalid configuration: {_detail(error)} ({held})"
            errors.append(FileError(self.shown(config), 0, 0, reason))
        return errors


def _config_file_of(error: ConfigError, path: Path) -> Path:
    return error.file if error.file is not None else path.parent


def _detail(error: ConfigError) -> str:
    """The message less its leading ``FILE: `` (the error is reported at the file)."""
    message, shown = str(error), error.shown
    return message[len(shown) + 2 :] if shown and message.startswith(f"{shown}: ") else message


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def discover(
    paths: Sequence[str],
    settings: Settings | Configurations,
    *,
    cwd: Path,
    force_exclude: bool = False,
) -> Discovery:
    """The files to lint, as display paths (see :func:`display_path`), sorted and de-duplicated; the
    named paths that cannot be checked (and the invalid configurations, with how many files each held
    back); and what the walk skipped. ``paths`` defaults to ``["."]``. ``settings``: one
    :class:`Settings` for every file, or the :class:`Configurations` of the run."""
    cwd = Path(os.path.abspath(cwd))
    configurations = _configurations(settings)
    collector = _Collector(cwd, configurations)
    excluded = []
    for raw in paths or ["."]:
        absolute = Path(os.path.abspath(cwd / raw))
        if force_exclude and is_excluded(absolute, configurations):
            excluded.append(raw)
            continue
        collector.named(absolute)
    for error in collector.config_errors():
        collector.errors[error.path] = error
    return Discovery(
        files=tuple(sorted(collector.files - set(collector.errors))),
        errors=tuple(collector.errors[path] for path in sorted(collector.errors)),
        warnings=tuple(sorted(set(collector.warnings))),
        excluded=tuple(excluded),
    )
