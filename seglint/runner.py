"""Lint many files: read, prefilter, consult the cache, analyse (in worker processes when it pays).

This is the API layer between the CLI and the engine. It does the reading (the edge) and hands plain
text to the engine; it never prints. The engine, hence libcst, is imported only when some file passes
the prefilter and misses the cache, so a run over files without loss code never loads it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from seglint.cache import ABSENT, Cache, content_hash
from seglint.callers import callers_of, reached_by_callers, unchecked_importers
from seglint.diagnostics import FileError, FileResult
from seglint.library_facts import LIBRARIES
from seglint.limits import DEFAULT_LIMITS, Limits
from seglint.notebook import NotebookCode, is_notebook, notebook_code
from seglint.prefilter import could_match
from seglint.provider_scan import project_providers
from seglint.providers import Providers
from seglint.roots import ProjectRoot, find_root
from seglint.sources import decode_source, read_error, read_file, read_text
from seglint.workers import AnalysisTimeout, WatchedPool, deadline

if TYPE_CHECKING:
    from seglint.analysis.catalogue import Catalogue
    from seglint.analysis.project import Project

__all__ = ["CatalogueSpec", "Job", "lint_files", "project_providers", "read_text", "text_linter"]

# A pool costs a process start and an import of libcst per worker; most files of a tree are dropped by
# the prefilter. Without a cache the workers import libcst while the parent scans for loss providers,
# which takes longer from a few hundred files on; measured on 2 cores, cold: even at 206 files (a part
# of MONAI; 0.79 s against 0.84 s), 0.93 s against 1.3 s on MONAI (440 files). With a cache most
# results are looked up, which one process does faster: 0.48 s against 0.62 s on MONAI, warm.
MIN_FILES_FOR_POOL = 1000
MIN_FILES_FOR_POOL_WITHOUT_CACHE = 250
# A worker's own deadline stops an analysis in Python code at analysis-timeout; the watchdog kills the
# worker only if that did not work (native code), this much later.
WATCHDOG_GRACE = 5
_STOPPED = "not analysed: the analysis took longer than"


@dataclass(frozen=True)
class CatalogueSpec:
    """The configuration's catalogue entries: plain data, so it can be sent to worker processes."""

    libraries: tuple[str, ...] = LIBRARIES
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
    notebook: NotebookCode | None = None  # a notebook's code, already read from ``text``


class _Linter:
    """One process's state: the catalogue, a project and its loss providers per root, the cache.

    ``checked``: every file of the run (a root without a marker scans these and what they import);
    ``providers``: the providers of roots already scanned (by the parent of a worker process).
    """

    def __init__(
        self,
        spec: CatalogueSpec,
        cache_dir: Path | None,
        partial: bool | None,
        *,
        limits: Limits = DEFAULT_LIMITS,
        checked: Sequence[str] = (),
        providers: Mapping[Path, Providers] | None = None,
        warn: Callable[[str], None] | None = None,
        noqa: bool = True,
    ) -> None:
        self._catalogue = spec.build()
        self._noqa = noqa
        fingerprint = f"{spec.fingerprint()}|partial={partial}|max-file-size={limits.max_file_size}"
        self._cache = Cache(cache_dir, fingerprint) if cache_dir else None
        self._cache_dir = cache_dir
        self._partial = partial
        self._limits = limits
        self._checked = tuple(checked)
        self._checked_by_root: dict[Path, list[str]] | None = None
        self._warn = warn
        self._projects: dict[Path, Project] = {}
        self._current_root: Path | None = None
        self._roots: dict[Path, ProjectRoot] = {}  # directory -> project root
        self._root_providers: dict[Path, Providers] = dict(providers or {})
        self._unchecked_importers: dict[Path, frozenset[Path]] = {}

    def _root(self, path: str) -> ProjectRoot:
        directory = Path(path).parent
        if directory not in self._roots:
            self._roots[directory] = find_root(Path(path))
        return self._roots[directory]

    def _providers(self, path: str, text: str | None = None) -> Providers:
        root = self._root(path)
        if root.path not in self._root_providers:
            checked: list[tuple[Path, str | None]] = []
            if not root.has_marker:
                checked = [(Path(p), _scanned_text(p)) for p in self._checked_below(root) if p != path]
                checked.append((Path(path), text))
            self._root_providers[root.path] = project_providers(
                root,
                self._catalogue,
                self._cache_dir,
                checked=checked,
                limits=self._limits,
                warn=self._warn,
            )
        return self._root_providers[root.path]

    def _checked_below(self, root: ProjectRoot) -> list[str]:
        if self._checked_by_root is None:
            self._checked_by_root = {}
            for path in self._checked:
                self._checked_by_root.setdefault(self._root(path).path, []).append(path)
        return self._checked_by_root.get(root.path, [])

    def providers_of(self, paths: Iterable[str]) -> dict[Path, Providers]:
        """Scan the roots of ``paths`` now (for worker processes, which then scan nothing)."""
        for path in paths:
            self._providers(path)
        return dict(self._root_providers)

    def _project(self, path: str) -> Project:
        from seglint.analysis.project import Project

        root = self._root(path).path
        if root != self._current_root:
            # Files come sorted, so a root's files come together: the modules read for the previous
            # root are dropped, and memory does not grow with the number of roots in a run.
            previous = self._projects.get(self._current_root) if self._current_root else None
            if previous is not None:
                previous.forget_modules()
            self._current_root = root
        if root not in self._projects:
            providers = self._providers(path)
            project = Project(root, read=self._read_module, catalogue=self._catalogue, providers=providers)
            project.checked = self._checked_files
            self._projects[root] = project
        return self._projects[root]

    @functools.cached_property
    def _checked_files(self) -> frozenset[Path]:
        return frozenset(Path(os.path.abspath(p)) for p in self._checked)

    def _reached_by_callers(self, path: str, code: str) -> bool:
        """Whether files this run does not check may make findings in ``path`` (see ``callers``)."""
        root = self._root(path).path
        if root not in self._unchecked_importers:
            self._unchecked_importers[root] = unchecked_importers(self._providers(path), self._checked_files)
        return reached_by_callers(root, self._providers(path), self._unchecked_importers[root], path, code)

    def _read_module(self, path: Path) -> str | None:
        """Another module of the project, read for its summaries; one too large to analyse is not."""
        return read_text(path, max_size=self._limits.max_file_size)

    def prepare(self, job: Job) -> FileResult | Work:
        """Read, decode, prefilter and look up the cache: a final result, or the work left to do."""
        try:
            data = read_file(job.path)
        except OSError as exc:
            return FileResult(job.path, error=read_error(job.path, exc))
        source = decode_source(data, job.path)
        if isinstance(source, FileError):
            return FileResult(job.path, error=source)
        notebook = _notebook_code(source.text, job.path)
        if isinstance(notebook, FileResult):
            return notebook
        code = notebook.text if notebook is not None else source.text
        providers = self._providers(job.path, code if notebook is not None else None)
        reached = notebook is None and self._reached_by_callers(job.path, code)
        if not reached and not could_match(
            code, job.select, self._catalogue, cross_module=True, providers=providers
        ):
            return FileResult(job.path)
        digest = content_hash(data)
        if reached:  # a caller added elsewhere makes another result
            callers = ",".join(str(p) for p in callers_of(self._root(job.path).path, providers, job.path))
            digest = f"{digest}|{content_hash(callers.encode())}"
        if self._cache is not None:
            cached = self._cache.get(job.path, digest, job.select, checked=self._checked_files)
            if cached is not None:
                return cached
        return Work(job.path, source.text, digest, job.select, notebook)

    def lint(self, job: Job) -> FileResult:
        prepared = self.prepare(job)
        return self.analyse(prepared) if isinstance(prepared, Work) else prepared

    def analyse(self, work: Work) -> FileResult:
        project = self._project(work.path)
        project.touched.clear()
        project.absent.clear()
        project.skipped_callers.clear()
        result = self.lint_text(work.text, work.path, work.select, project, notebook=work.notebook)
        if self._cache is not None and not _stopped(result):  # a time limit hit is not this file's content
            own = Path(work.path).resolve()
            dependencies = {str(place): ABSENT for place in project.absent}
            for dependency in sorted(project.touched - {own}):
                try:
                    dependencies[str(dependency)] = content_hash(read_file(dependency))
                except OSError:
                    return result  # a module that vanished meanwhile: do not cache
            skipped = sorted(str(p) for p in project.skipped_callers)
            self._cache.put(work.path, work.digest, work.select, result, dependencies, skipped=skipped)
        return result

    def lint_text(
        self,
        text: str,
        path: str,
        select: frozenset[str],
        project: Project | None = None,
        *,
        notebook: NotebookCode | None = None,
    ) -> FileResult:
        """The engine's result; an engine crash on one file is that file's error, not the run's end.

        A notebook's ``text`` is its JSON: its code cells are linted as one module and the findings
        placed by cell (``notebook``: that code, when it has been read already)."""
        if notebook is None:
            read = _notebook_code(text, path)
            if isinstance(read, FileResult):
                return read
            notebook = read
        code = notebook.text if notebook is not None else text
        providers = self._providers(path, code)  # first: without a marker, the text itself counts
        reached = notebook is None and self._reached_by_callers(path, code)
        if not reached and not could_match(
            code, select, self._catalogue, cross_module=True, providers=providers
        ):
            return FileResult(path)
        too_large = _size_error(code, path, self._limits.max_file_size)
        if too_large is not None:
            return FileResult(path, error=too_large)
        if notebook is not None and (error := notebook.syntax_error()) is not None:
            return FileResult(path, error=error)
        project = project if project is not None else self._project(path)
        from seglint.engine import lint_source

        try:
            with deadline(self._limits.analysis_timeout):
                result = lint_source(
                    code,
                    path,
                    select=select,
                    project=project,
                    partial=self._partial,
                    noqa=self._noqa,
                )
        except AnalysisTimeout:
            project.forget_modules()  # interrupted: the summaries of the modules on the stack are partial
            return FileResult(path, error=_timeout_error(path, self._limits.analysis_timeout))
        except Exception as exc:  # noqa: BLE001 - reported as this file's error, exit 2
            return FileResult(
                path, error=FileError(path, 0, 0, f"internal error: {type(exc).__name__}: {exc}")
            )
        return notebook.located(result) if notebook is not None else result


def lint_files(
    jobs: Sequence[Job],
    spec: CatalogueSpec,
    *,
    cache_dir: Path | None,
    workers: int | None = None,
    partial: bool | None = None,
    limits: Limits = DEFAULT_LIMITS,
    warn: Callable[[str], None] | None = None,
    progress: Callable[[], None] | None = None,
) -> list[FileResult]:
    """Results in the order of ``jobs``. ``workers=None`` uses a pool only for trees large enough to pay
    (``MIN_FILES_FOR_POOL``; without a cache, ``MIN_FILES_FOR_POOL_WITHOUT_CACHE``).
    ``warn`` hears what the run left out beyond the files themselves (a provider scan that stopped);
    ``progress`` is called as each file is done."""
    count = _worker_count(len(jobs), workers, cached=cache_dir is not None)
    paths = [job.path for job in jobs]
    linter = _Linter(spec, cache_dir, partial, limits=limits, checked=paths, warn=warn)
    if count <= 1:
        return _once_each(list(_counted((linter.lint(job) for job in jobs), progress)))
    # Workers read, prefilter and analyse, a file at a time; one that runs past the timeout (which the
    # worker's own deadline could not stop) has its worker killed and replaced.
    pool = WatchedPool(
        count,
        _lint_job,
        timeout=limits.analysis_timeout + WATCHDOG_GRACE,
        on_timeout=lambda job: FileResult(job.path, error=_timeout_error(job.path, limits.analysis_timeout)),
        on_crash=lambda job: FileResult(
            job.path, error=FileError(job.path, 0, 0, "internal error: the worker process analysing it died")
        ),
        initializer=_init_worker,
        # Without a cache every file that passes the prefilter is analysed: the workers start now and
        # import libcst and the analysis while the roots are scanned here (once, rather than once per
        # worker). With a cache most results come from it: the workers start after the scan, as copies
        # of this process, and import the analysis only when a file misses the cache.
        warm_up=_import_the_analysis if cache_dir is None else None,
    )
    if cache_dir is None:
        pool.start()
    try:
        providers = linter.providers_of(paths)
        results = pool.map(jobs, initargs=(spec, cache_dir, partial, limits, providers, paths))
        return _once_each(list(_counted(results, progress)))
    finally:
        pool.close()


def _once_each(results: list[FileResult]) -> list[FileResult]:
    """A finding made in one file by the calls of others is reported once, however many checked files
    make it (the caller, or the callee exploring its callers): the first message in order is kept,
    with the first file in path order that reports it, so neither file order nor ``--jobs`` shows."""
    chosen: dict[tuple, tuple[str, str]] = {}
    for result in results:
        for d in result.diagnostics:
            key = (d.path, d.span, d.code)
            chosen[key] = min(chosen.get(key, (d.message, result.path)), (d.message, result.path))
    kept = []
    for result in results:
        diagnostics = tuple(
            d for d in result.diagnostics if chosen[(d.path, d.span, d.code)] == (d.message, result.path)
        )
        kept.append(replace(result, diagnostics=diagnostics) if diagnostics != result.diagnostics else result)
    return kept


def _counted(results: Iterable[FileResult], progress: Callable[[], None] | None) -> Iterator[FileResult]:
    for result in results:
        if progress is not None:
            progress()
        yield result


def text_linter(
    spec: CatalogueSpec,
    *,
    partial: bool | None = None,
    limits: Limits = DEFAULT_LIMITS,
    checked: Sequence[str] = (),
    warn: Callable[[str], None] | None = None,
    noqa: bool = True,
) -> Callable[[str, str, frozenset[str]], FileResult]:
    """A function linting one text (stdin, or a file being fixed), in this process, without the cache.
    ``checked``: every file of the run; ``noqa=False``: ``# noqa`` comments are not seglint's to
    read (the flake8 plugin)."""
    linter = _Linter(spec, None, partial, limits=limits, checked=checked, warn=warn, noqa=noqa)
    return lambda text, path, select: linter.lint_text(text, path, select)


def _notebook_code(text: str, path: str) -> NotebookCode | FileResult | None:
    """For a notebook: its joined code, or the result of a notebook that is not read (a FileError,
    or no findings for a notebook of another language); ``None`` for a Python file."""
    if not is_notebook(path):
        return None
    code = notebook_code(text, path)
    if isinstance(code, FileError):
        return FileResult(path, error=code)
    return code if code.is_python else FileResult(path)


def _scanned_text(path: str) -> str | None:
    """What the provider scan reads of a checked file: ``None`` (the file itself) for Python, the
    code cells of a notebook."""
    if not is_notebook(path):
        return None
    text = read_text(Path(path))
    code = notebook_code(text, path) if text is not None else None
    return code.text if isinstance(code, NotebookCode) else ""


def _timeout_error(path: str, seconds: int) -> FileError:
    return FileError(
        path,
        0,
        0,
        f"{_STOPPED} analysis-timeout ({seconds} s) and was stopped; exclude the file, or raise "
        "analysis-timeout in [tool.seglint]",
    )


def _stopped(result: FileResult) -> bool:
    return result.error is not None and result.error.reason.startswith(_STOPPED)


def _size_error(text: str, path: str, limit: int) -> FileError | None:
    """A file too large to analyse (checked after the prefilter: a large file that names no loss is fine)."""
    if len(text) * 4 <= limit:  # at most 4 bytes a character
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return None
    return FileError(
        path,
        0,
        0,
        f"not analysed: the file is {size:,} bytes, larger than max-file-size ({limit:,} bytes); "
        "exclude it, or raise max-file-size in [tool.seglint]",
    )


def _worker_count(files: int, requested: int | None, *, cached: bool = True) -> int:
    if requested is not None:
        return max(1, min(requested, files))
    if files < (MIN_FILES_FOR_POOL if cached else MIN_FILES_FOR_POOL_WITHOUT_CACHE):
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_worker: _Linter | None = None


def _init_worker(
    spec: CatalogueSpec,
    cache_dir: Path | None,
    partial: bool | None,
    limits: Limits,
    providers: Mapping[Path, Providers],
    checked: Sequence[str] = (),
) -> None:
    global _worker
    _worker = _Linter(spec, cache_dir, partial, limits=limits, providers=providers, checked=checked)


def _import_the_analysis() -> None:
    import seglint.engine  # noqa: F401 - libcst and the analysis, imported before the first job


def _lint_job(job: Job) -> FileResult:
    assert _worker is not None
    return _worker.lint(job)
