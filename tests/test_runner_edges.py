"""The runner on small trees: unreadable files and engine crashes are that file's error, results keep
the order of the jobs, worker counts, the index of loss providers kept in the cache directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import seglint.engine
from seglint.diagnostics import FileResult
from seglint.limits import DEFAULT_LIMITS
from seglint.provider_scan import INDEX_NAME
from seglint.roots import find_root
from seglint.rules import RULES_BY_CODE
from seglint.runner import (
    MIN_FILES_FOR_POOL,
    MIN_FILES_FOR_POOL_WITHOUT_CACHE,
    CatalogueSpec,
    Job,
    _Linter,
    _worker_count,
    lint_files,
    project_providers,
    read_text,
    text_linter,
)

ALL_CODES = frozenset(RULES_BY_CODE)
BAD = "import torch.nn.functional as F\n\n\ndef train(x, y):\n    return F.cross_entropy(F.softmax(x, dim=1), y)\n"
GOOD = "import torch\n\nx = torch.zeros(3)\n"
BUILDER = "import torch.nn as nn\n\n\ndef build_loss():\n    return nn.CrossEntropyLoss()\n"
USER = (
    "import torch\nfrom builders import build_loss\n\n\ndef step(x, y):\n"
    "    criterion = build_loss()\n    return criterion(torch.softmax(x, 1), y)\n"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    return tmp_path


def lint(*paths: Path, cache: Path | None = None, workers: int = 1) -> list[FileResult]:
    return lint_files(
        [Job(str(p), ALL_CODES) for p in paths], CatalogueSpec(), cache_dir=cache, workers=workers
    )


def codes(result: FileResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_results_keep_the_order_of_the_jobs_with_one_or_two_workers(tree: Path) -> None:
    paths = []
    for index, text in enumerate((BAD, GOOD, BAD, GOOD, BAD)):
        path = tree / f"m{4 - index}.py"
        path.write_text(text)
        paths.append(path)
    for workers in (1, 2):
        results = lint(*paths, workers=workers)
        assert [r.path for r in results] == [str(p) for p in paths]
        assert [codes(r) for r in results] == [["SEG001"], [], ["SEG001"], [], ["SEG001"]]


def test_a_missing_file_is_that_files_error_and_the_others_are_checked(tree: Path) -> None:
    (tree / "bad.py").write_text(BAD)
    missing, bad = lint(tree / "missing.py", tree / "bad.py")
    assert missing.error is not None and missing.error.path == str(tree / "missing.py")
    assert missing.error.reason.startswith("could not read: ") and "No such file" in missing.error.reason
    assert codes(bad) == ["SEG001"]


def test_an_undecodable_file_is_that_files_error(tree: Path) -> None:
    (tree / "latin.py").write_bytes(b'x = "\xff"\nimport torch.nn.functional as F\n')
    (result,) = lint(tree / "latin.py")
    assert result.error is not None and "invalid UTF-8" in result.error.reason


def test_an_engine_crash_is_that_files_error(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tree / "bad.py").write_text(BAD)
    (tree / "other.py").write_text(BAD)

    def crash(text: str, path: str, **options: object) -> FileResult:
        if path.endswith("bad.py"):
            raise KeyError("boom")
        return real(text, path, **options)

    real = seglint.engine.lint_source
    monkeypatch.setattr(seglint.engine, "lint_source", crash)
    crashed, other = lint(tree / "bad.py", tree / "other.py", cache=tree / "cache")
    assert crashed.error is not None and crashed.error.reason == "internal error: KeyError: 'boom'"
    assert codes(other) == ["SEG001"]


def test_a_file_without_loss_code_is_clean_without_analysis(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "plain.py").write_text(GOOD)

    def never(*args: object, **options: object) -> FileResult:
        raise AssertionError("analysed")

    monkeypatch.setattr(seglint.engine, "lint_source", never)
    assert lint(tree / "plain.py", cache=tree / "cache") == [FileResult(str(tree / "plain.py"))]
    assert not (tree / "cache" / "v1").exists()  # nothing worth caching


def test_the_text_linter_lints_text_as_given(tree: Path) -> None:
    lint_text = text_linter(CatalogueSpec())
    assert codes(lint_text(BAD, str(tree / "m.py"), ALL_CODES)) == ["SEG001"]
    assert lint_text(BAD, str(tree / "m.py"), frozenset({"SEG002"})).diagnostics == ()
    assert lint_text(GOOD, str(tree / "m.py"), ALL_CODES) == FileResult(str(tree / "m.py"))


def test_the_configured_catalogue_reaches_the_analysis(tree: Path) -> None:
    (tree / "pkg").mkdir()
    path = tree / "pkg" / "train.py"
    path.write_text(
        "import torch\nfrom mylosses import focal\n\n\ndef step(x, y):\n    return focal(torch.sigmoid(x), y)\n"
    )
    jobs = [Job(str(path), ALL_CODES)]
    assert lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1)[0].diagnostics == ()
    (found,) = lint_files(jobs, CatalogueSpec(logits_losses=("mylosses.focal",)), cache_dir=None, workers=1)
    assert codes(found) == ["SEG001"]


def test_worker_counts() -> None:
    assert _worker_count(10, 4) == 4
    assert _worker_count(3, 8) == 3
    assert _worker_count(0, 2) == 1
    assert _worker_count(MIN_FILES_FOR_POOL - 1, None) == 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert _worker_count(MIN_FILES_FOR_POOL, None) == cpus
    assert _worker_count(MIN_FILES_FOR_POOL_WITHOUT_CACHE, None) == 1
    assert _worker_count(MIN_FILES_FOR_POOL_WITHOUT_CACHE - 1, None, cached=False) == 1
    assert _worker_count(MIN_FILES_FOR_POOL_WITHOUT_CACHE, None, cached=False) == cpus


def test_read_text_of_other_modules() -> None:
    assert read_text(Path("/nonexistent/module.py")) is None


def test_read_text_of_an_undecodable_module_is_none(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(b'x = "\xff"\n')
    (tmp_path / "ok.py").write_text("x = 'é'\n")
    assert read_text(tmp_path / "m.py") is None
    assert read_text(tmp_path / "ok.py") == "x = 'é'\n"


# --- loss providers and their index -----------------------------------------------------------------


def test_a_file_that_uses_a_project_loss_builder_is_analysed(tree: Path) -> None:
    (tree / "builders.py").write_text(BUILDER)
    (tree / "step.py").write_text(USER)
    for cache in (None, tree / "cache", tree / "cache"):
        (result,) = lint(tree / "step.py", cache=cache)
        assert codes(result) == ["SEG001"], cache


def test_the_provider_index_is_kept_and_follows_edits(tree: Path) -> None:
    from seglint.analysis.libraries import build_catalogue

    catalogue = build_catalogue()
    (tree / "builders.py").write_text(BUILDER)
    (tree / ".hidden").mkdir()
    (tree / ".hidden" / "x.py").write_text(BUILDER.replace("build_loss", "hidden_loss"))
    (tree / "build").mkdir()  # a default exclude
    (tree / "build" / "x.py").write_text(BUILDER.replace("build_loss", "built_loss"))
    (tree / "notes.txt").write_text(BUILDER.replace("build_loss", "text_loss"))
    cache = tree / "cache"
    found = project_providers(find_root(tree), catalogue, cache)
    assert found.functions == {"build_loss"} and found.classes == frozenset()
    index = json.loads((cache / INDEX_NAME).read_text())
    assert index["words"] == sorted(catalogue.loss_words())
    assert sorted(index["files"]) == [str(tree / "builders.py")]
    written = (cache / INDEX_NAME).stat().st_mtime_ns

    assert (
        project_providers(find_root(tree), catalogue, cache) == found
    )  # served from the index, not rewritten
    assert (cache / INDEX_NAME).stat().st_mtime_ns == written

    builders = tree / "builders.py"
    builders.write_text(BUILDER.replace("build_loss", "make_criterion") + "\n")
    assert project_providers(find_root(tree), catalogue, cache).functions == {"make_criterion"}
    assert project_providers(find_root(tree), catalogue, None).functions == {"make_criterion"}

    (cache / INDEX_NAME).write_text('{"words": [], "files": {}}')  # another catalogue's index
    assert project_providers(find_root(tree), catalogue, cache).functions == {"make_criterion"}
    (cache / INDEX_NAME).write_text("not json")
    assert project_providers(find_root(tree), catalogue, cache).functions == {"make_criterion"}
    assert json.loads((cache / INDEX_NAME).read_text())["words"] == sorted(catalogue.loss_words())


def test_a_provider_index_that_cannot_be_written_only_costs_time(tree: Path) -> None:
    from seglint.analysis.libraries import build_catalogue

    (tree / "builders.py").write_text(BUILDER)
    blocked = tree / "file-not-directory"
    blocked.write_text("")
    assert project_providers(find_root(tree), build_catalogue(), blocked).functions == {"build_loss"}
    assert not list(tree.glob("**/.providers-*.tmp"))


def test_a_worker_process_lints_like_the_main_process(tree: Path) -> None:
    """What each pool worker runs (set up once by the initializer, then one call per job), in-process."""
    from seglint import runner

    (tree / "bad.py").write_text(BAD)
    job = Job(str(tree / "bad.py"), ALL_CODES)
    providers = runner._Linter(CatalogueSpec(), None, None, checked=[job.path]).providers_of([job.path])
    runner._init_worker(CatalogueSpec(), tree / "cache", None, DEFAULT_LIMITS, providers)
    try:
        assert runner._lint_job(job) == lint(tree / "bad.py")[0]
        assert runner._lint_job(job).from_cache
    finally:
        runner._worker = None


def test_workers_write_and_read_the_cache(tree: Path) -> None:
    paths = []
    for index in range(4):
        path = tree / f"m{index}.py"
        path.write_text(BAD)
        paths.append(path)
    cold = lint(*paths, cache=tree / "cache", workers=2)
    assert len(list((tree / "cache" / "v1").glob("*.json"))) == 4
    warm = lint(*paths, cache=tree / "cache", workers=2)
    assert warm == cold and all(result.from_cache for result in warm)


def test_a_cache_directory_whose_parents_do_not_exist_yet_gets_its_index(tree: Path) -> None:
    from seglint.analysis.libraries import build_catalogue

    (tree / "builders.py").write_text(BUILDER)
    cache = tree / "a" / "b" / "cache"
    project_providers(find_root(tree), build_catalogue(), cache)
    assert json.loads((cache / INDEX_NAME).read_text())["files"]


def test_a_file_over_max_file_size_that_names_a_loss_is_reported_not_analysed(tree: Path) -> None:
    from seglint.limits import Limits

    big = tree / "big.py"
    big.write_text(BAD + "# é" * 200 + "\n")  # 601 characters past BAD, 801 bytes
    small = tree / "small.py"
    small.write_text(BAD + "#" * 100 + "\n")  # over the limit at 4 bytes a character, not in bytes
    plain = tree / "plain.py"
    plain.write_text(GOOD + "#" * 5000 + "\n")  # large, but names no loss
    limit = len(BAD) + 300
    jobs = [Job(str(p), ALL_CODES) for p in (big, small, plain)]
    big_result, small_result, plain_result = lint_files(
        jobs, CatalogueSpec(), cache_dir=None, workers=1, limits=Limits(max_file_size=limit)
    )
    size = len(big.read_bytes())
    assert big_result.error is not None and big_result.error.reason == (
        f"not analysed: the file is {size:,} bytes, larger than max-file-size ({limit:,} bytes); "
        "exclude it, or raise max-file-size in [tool.seglint]"
    )
    assert (big_result.error.line, big_result.error.column) == (0, 0)
    assert codes(small_result) == ["SEG001"] and small_result.error is None
    assert plain_result == FileResult(str(plain))
    lint_text = text_linter(CatalogueSpec(), limits=Limits(max_file_size=limit))
    assert lint_text(big.read_text(), str(big), ALL_CODES).error == big_result.error


def test_files_checked_together_in_a_root_without_a_marker(tmp_path: Path) -> None:
    (tmp_path / "builders.py").write_text(BUILDER)
    (tmp_path / "step.py").write_text(USER)
    assert not find_root(tmp_path / "step.py").has_marker
    builders, step = lint(tmp_path / "builders.py", tmp_path / "step.py")
    assert builders.diagnostics == () and codes(step) == ["SEG001"]


def test_errors_keep_the_path_of_their_file(tree: Path) -> None:
    (tree / "latin.py").write_bytes(b'x = "\xff"\nimport torch.nn.functional as F\n')
    missing, latin = lint(tree / "missing.py", tree / "latin.py")
    assert missing.path == str(tree / "missing.py")
    assert latin.path == latin.error.path == str(tree / "latin.py")  # type: ignore[union-attr]


def test_log_probability_losses_reach_the_analysis(tree: Path) -> None:
    path = tree / "train.py"
    path.write_text(
        "import torch\nfrom mylosses import nll2d\n\n\ndef step(x, y):\n    return nll2d(torch.softmax(x, 1), y)\n"
    )
    jobs = [Job(str(path), ALL_CODES)]
    (found,) = lint_files(
        jobs, CatalogueSpec(log_probability_losses=("mylosses.nll2d",)), cache_dir=None, workers=1
    )
    assert codes(found) == ["SEG003"]


def test_the_provider_index_of_a_run_goes_to_its_cache_directory(tree: Path) -> None:
    (tree / "builders.py").write_text(BUILDER)
    (tree / "step.py").write_text(USER)
    lint(tree / "step.py", cache=tree / "cache")
    assert str(tree / "builders.py") in json.loads((tree / "cache" / INDEX_NAME).read_text())["files"]


def test_a_provider_scan_past_max_project_files_warns_once(tree: Path) -> None:
    from seglint.limits import Limits

    (tree / "step.py").write_text(USER)
    for index in range(6):
        (tree / f"m{index}.py").write_text("x = 1\n")
    (tree / "zz_builders.py").write_text(BUILDER.replace("build_loss", "late_loss"))
    warnings: list[str] = []
    jobs = [Job(str(tree / "step.py"), ALL_CODES), Job(str(tree / "m0.py"), ALL_CODES)]
    lint_files(
        jobs,
        CatalogueSpec(),
        cache_dir=None,
        workers=1,
        limits=Limits(max_project_files=3),
        warn=warnings.append,
    )
    assert len(warnings) == 1 and "stopped after 3 files and directories (max-project-files)" in warnings[0]
    assert str(find_root(tree).path) in warnings[0]
    warnings.clear()
    lint_files(jobs, CatalogueSpec(), cache_dir=None, workers=1, warn=warnings.append)
    assert warnings == []


def test_the_modules_read_for_one_root_are_dropped_when_the_next_root_begins(tmp_path: Path) -> None:
    roots = []
    for name in ("first", "second"):
        root = tmp_path / name
        root.mkdir()
        (root / "pyproject.toml").write_text("[tool.seglint]\n")
        (root / "builders.py").write_text(BUILDER)
        (root / "user.py").write_text(USER)
        roots.append(root)
    linter = _Linter(CatalogueSpec(), None, None, checked=[str(r / "user.py") for r in roots])
    first, second = (linter.lint(Job(str(root / "user.py"), ALL_CODES)) for root in roots)
    assert [d.code for d in first.diagnostics] == [d.code for d in second.diagnostics] == ["SEG001"]
    kept = {root.name: len(project._interpreters) for root, project in linter._projects.items()}
    assert kept == {"first": 0, "second": 1}  # memory does not grow with the number of roots
