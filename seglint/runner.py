"""Lint many files: read, prefilter, consult the cache, analyse (in worker processes when it pays).

This is the API layer between the CLI and the engine. It does the reading (the edge) and hands plain
text to the engine; it never prints. The engine, hence libcst, is imported only when some file passes
the prefilter and misses the cache, so a run over files without loss code never loads it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from seglint.cache import ABSENT, Cache, content_hash
from seglint.diagnostics import FileError, FileResult
from seglint.prefilter import could_match
from seglint.providers import Providers, providers_in
from seglint.roots import find_root
from seglint.sources import Source, decode_source

if TYPE_CHECKING:
    from seglint.analysis.catalogue import Catalogue
    from seglint.analysis.project import Project

# A pool costs a process start, an import of libcst and a scan for loss providers per worker (about
# 1 s on a large tree); most files of a tree are dropped by the prefilter. Measured on 2 cores: a pool
# pays on transformers (2,935 files) and not on MONAI (440 files).
MIN_FILES_FOR_POOL = 1000


@dataclass(frozen=True)
class CatalogueSpec:
    """The configuration's catalogue entries: plain data, so it can be sent to worker processes."""

    libraries: tuple[str, ...] = ()
    logits_losses: tuple[str, ...] = ()
    log_probability_losses: tuple[str, ...] = ()
    probability_functions: tuple[str, ...] = ()

    def build(self) -> Catalogue:
        from seglint.analysis.libraries import build_catalogue

        return build_catalogue(
            libraries=self.libraries,
            logits_losses=self.logits_losses,
            log_probability_losses=self.log_probability_losses,
            probability_functions=self.probability_functions,
        )

    def fingerprint(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class Job:
    path: str
    select: frozenset[str]


@dataclass(frozen=True)
class Work:
    """A file that passed the prefilter and missed the cache: it needs the engine."""

    path: str
    text: str
    digest: str
    select: frozenset[str]


def read_text(path: Path) -> str | None:
    """The decoded text of another module of the project, or ``None`` if it cannot be read."""
    try:
        source = decode_source(path.read_bytes(), str(path))
    except OSError:
        return None
    return source.text if isinstance(source, Source) else None


class _Linter:
    """One process's state: the catalogue, a project per root, the cache."""

    def __init__(self, spec: CatalogueSpec, cache_dir: Path | None, partial: bool | None) -> None:
        self._catalogue = spec.build()
        self._cache = Cache(cache_dir, spec.fingerprint() + f"|partial={partial}") if cache_dir else None
        self._cache_dir = cache_dir
        self._partial = partial
        self._projects: dict[Path, Project] = {}
        self._roots: dict[Path, Path] = {}  # directory -> project root
        self._root_providers: dict[Path, Providers] = {}

    def _root(self, path: str) -> Path:
        directory = Path(path).parent
        if directory not in self._roots:
            self._roots[directory] = find_root(Path(path))
        return self._roots[directory]

    def _providers(self, path: str) -> Providers:
        root = self._root(path)
        if root not in self._root_providers:
            self._root_providers[root] = project_providers(root, self._catalogue, self._cache_dir)
        return self._root_providers[root]

    def _project(self, path: str) -> Project:
        from seglint.analysis.project import Project

        root = self._root(path)
        if root not in self._projects:
            providers = self._providers(path)
            self._projects[root] = Project(
                root, read=read_text, catalogue=self._catalogue, providers=providers
            )
        return self._projects[root]

    def prepare(self, job: Job) -> FileResult | Work:
        """Read, decode, prefilter and look up the cache: a final result, or the work left to do."""
        try:
            data = Path(job.path).read_bytes()
        except OSError as exc:
            return FileResult(
                job.path, error=FileError(job.path, 0, 0, f"could not read: {exc.strerror or exc}")
            )
        source = decode_source(data, job.path)
        if isinstance(source, FileError):
            return FileResult(job.path, error=source)
        providers = self._providers(job.path)
        if not could_match(source.text, job.select, self._catalogue, cross_module=True, providers=providers):
            return FileResult(job.path)
        digest = content_hash(data)
        if self._cache is not None:
            cached = self._cache.get(job.path, digest, job.select)
            if cached is not None:
                return cached
        return Work(job.path, source.text, digest, job.select)

    def lint(self, job: Job) -> FileResult:
        prepared = self.prepare(job)
        return self.analyse(prepared) if isinstance(prepared, Work) else prepared

    def analyse(self, work: Work) -> FileResult:
        project = self._project(work.path)
        project.touched.clear()
        project.absent.clear()
        result = self.lint_text(work.text, work.path, work.select, project)
        if self._cache is not None:
            own = Path(work.path).resolve()
            dependencies = {str(place): ABSENT for place in project.absent}
            for dependency in sorted(project.touched - {own}):
                try:
                    dependencies[str(dependency)] = content_hash(dependency.read_bytes())
                except OSError:
                    return result  # a module that vanished meanwhile: do not cache
            self._cache.put(work.path, work.digest, work.select, result, dependencies)
        return result

    def lint_text(
        self, text: str, path: str, select: frozenset[str], project: Project | None = None
    ) -> FileResult:
        """The engine's result; an engine crash on one file is that file's error, not the run's end."""
        if not could_match(text, select, self._catalogue, cross_module=True, providers=self._providers(path)):
            return FileResult(path)
        project = project if project is not None else self._project(path)
        from seglint.engine import lint_source

        try:
            return lint_source(
                text,
                path,
                select=select,
                project=project,
                partial=self._partial,
            )
        except Exception as exc:  # noqa: BLE001 - reported as this file's error, exit 2
            return FileResult(
                path, error=FileError(path, 0, 0, f"internal error: {type(exc).__name__}: {exc}")
            )


def lint_files(
    jobs: Sequence[Job],
    spec: CatalogueSpec,
    *,
    cache_dir: Path | None,
    workers: int | None = None,
    partial: bool | None = None,
) -> list[FileResult]:
    """Results in the order of ``jobs``. ``workers=None`` uses a pool only for trees large enough to pay."""
    count = _worker_count(len(jobs), workers)
    if count <= 1:
        linter = _Linter(spec, cache_dir, partial)
        return [linter.lint(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    # Workers read, prefilter and analyse; small chunks keep both busy to the end.
    chunksize = max(1, min(16, len(jobs) // (count * 8)))
    with ProcessPoolExecutor(
        max_workers=count, initializer=_init_worker, initargs=(spec, cache_dir, partial)
    ) as pool:
        return list(pool.map(_lint_job, jobs, chunksize=chunksize))


def text_linter(
    spec: CatalogueSpec, *, partial: bool | None = None
) -> Callable[[str, str, frozenset[str]], FileResult]:
    """A function linting one text (stdin, or a file being fixed), in this process, without the cache."""
    linter = _Linter(spec, None, partial)
    return lambda text, path, select: linter.lint_text(text, path, select)


def project_providers(root: Path, catalogue: Catalogue, cache_dir: Path | None) -> Providers:
    """The loss providers of the project under ``root`` (a text scan of every module, remembered per
    file by size and modification time in the cache directory)."""
    index_path = cache_dir / "providers-v1.json" if cache_dir is not None else None
    known: dict[str, list] = {}
    if index_path is not None:
        try:
            loaded = json.loads(index_path.read_text(encoding="utf-8"))
            known = (
                loaded
                if isinstance(loaded, dict) and loaded.get("words") == sorted(catalogue.loss_words())
                else {}
            )
        except (OSError, ValueError):
            known = {}
    entries = known.get("files", {}) if isinstance(known.get("files"), dict) else {}
    fresh: dict[str, list] = {}
    found = Providers()
    for path in _project_modules(root):
        try:
            status = path.stat()
        except OSError:
            continue
        key = str(path)
        stamp = [status.st_mtime_ns, status.st_size]
        entry = entries.get(key)
        if not (isinstance(entry, list) and len(entry) == 4 and entry[:2] == stamp):
            text = read_text(path)
            provided = providers_in(text, catalogue.loss_words()) if text is not None else Providers()
            entry = [*stamp, sorted(provided.functions), sorted(provided.classes)]
        fresh[key] = entry
        found = found.merged(Providers(frozenset(entry[2]), frozenset(entry[3])))
    if index_path is not None and fresh != entries:
        _write_json(index_path, {"words": sorted(catalogue.loss_words()), "files": fresh})
    return found


def _project_modules(root: Path) -> Iterator[Path]:
    from seglint.config import DEFAULT_EXCLUDE

    skipped = set(DEFAULT_EXCLUDE)
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if d not in skipped and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                yield Path(directory, name)


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


def _worker_count(files: int, requested: int | None) -> int:
    if requested is not None:
        return max(1, min(requested, files))
    if files < MIN_FILES_FOR_POOL:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_worker: _Linter | None = None


def _init_worker(spec: CatalogueSpec, cache_dir: Path | None, partial: bool | None) -> None:
    global _worker
    _worker = _Linter(spec, cache_dir, partial)


def _lint_job(job: Job) -> FileResult:
    assert _worker is not None
    return _worker.lint(job)
