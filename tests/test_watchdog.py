"""The wall-clock safety net (seglint/workers.py): a job past the timeout has its worker killed and
replaced while the other jobs go on; a crashed worker is replaced too; in one process, a deadline stops
the analysis. These tests check what happens when the limit is hit, never how long anything takes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

import seglint.engine
import seglint.runner
from seglint.limits import Limits
from seglint.rules import RULES_BY_CODE
from seglint.runner import CatalogueSpec, Job, lint_files
from seglint.workers import AnalysisTimeout, WatchedPool, deadline

ALL_CODES = frozenset(RULES_BY_CODE)
BAD = "import torch.nn.functional as F\n\n\ndef train(x, y):\n    return F.cross_entropy(F.softmax(x, dim=1), y)\n"


def square_or_hang(item: int) -> int:
    if item == 3:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # as if stuck in native code
        time.sleep(3600)
    if item == 5:
        os._exit(3)
    return item * item


def test_a_stuck_job_is_killed_and_its_worker_replaced() -> None:
    pool = WatchedPool(
        2,
        square_or_hang,
        timeout=0.5,
        on_timeout=lambda item: f"timeout {item}",
        on_crash=lambda item: f"crash {item}",
    )
    assert list(pool.map(range(8))) == [0, 1, 4, "timeout 3", 16, "crash 5", 36, 49]
    assert pool.replaced == 2


_prepared: list[str] = []


def warm_up() -> None:
    _prepared.append("warmed up")


def set_up(label: str) -> None:
    _prepared.append(label)


def what_was_prepared(item: int) -> str:
    return f"{item}: {', '.join(_prepared)}"


def test_workers_started_early_warm_up_then_get_their_arguments_from_map() -> None:
    pool = WatchedPool(
        2,
        what_was_prepared,
        timeout=30,
        on_timeout=str,
        on_crash=lambda item: f"crash {item}",
        initializer=set_up,
        warm_up=warm_up,
    )
    pool.start()  # as the runner does before it scans the roots, whose result is the argument
    assert list(pool.map(range(3), initargs=("set up",))) == [
        "0: warmed up, set up",
        "1: warmed up, set up",
        "2: warmed up, set up",
    ]
    assert _prepared == []  # all of it happened in the workers


def test_early_workers_that_no_map_takes_are_stopped() -> None:
    pool = WatchedPool(2, what_was_prepared, timeout=30, on_timeout=str, on_crash=str, warm_up=warm_up)
    pool.start()
    processes = [worker.process for worker in pool._early]
    assert list(pool.map([7], initargs=())) == ["7: warmed up"]  # one job: one worker is enough
    pool.start()  # a run that ends before it maps anything
    processes += [worker.process for worker in pool._early]
    pool.close()
    assert len(processes) == 4
    assert all(not process.is_alive() for process in processes)
    assert pool._early == []


def test_a_deadline_stops_the_body_and_restores_a_timer_set_before() -> None:
    signal.setitimer(signal.ITIMER_REAL, 30)
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    try:
        with pytest.raises(AnalysisTimeout), deadline(0.2):
            time.sleep(30)
        assert 0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


real_lint_source = seglint.engine.lint_source


def hanging_lint_source(source: str, path: str, **options):  # type: ignore[no-untyped-def]
    block_alarm = options.pop("_block_alarm", True)
    if Path(path).name == "stuck.py":
        if block_alarm:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    return real_lint_source(source, path, **options)


@pytest.fixture
def tree(tmp_path: Path) -> list[Path]:
    (tmp_path / "pyproject.toml").write_text("[tool.seglint]\n")
    paths = []
    for name in ("a.py", "stuck.py", "z.py"):
        (tmp_path / name).write_text(BAD)
        paths.append(tmp_path / name)
    return paths


def lint(paths: list[Path], workers: int, cache: Path | None = None):
    jobs = [Job(str(path), ALL_CODES) for path in paths]
    return lint_files(
        jobs, CatalogueSpec(), cache_dir=cache, workers=workers, limits=Limits(analysis_timeout=1)
    )


STOPPED = (
    "not analysed: the analysis took longer than analysis-timeout (1 s) and was stopped; exclude the file, "
    "or raise analysis-timeout in [tool.seglint]"
)


def test_one_process_stops_a_stuck_analysis_and_does_not_cache_it(
    tree: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        seglint.engine, "lint_source", lambda *a, **k: hanging_lint_source(*a, _block_alarm=False, **k)
    )
    a, stuck, z = lint(tree, workers=1, cache=tmp_path / "cache")
    assert stuck.error is not None and stuck.error.reason == STOPPED
    assert [d.code for d in a.diagnostics] == [d.code for d in z.diagnostics] == ["SEG001"]
    monkeypatch.setattr(seglint.engine, "lint_source", real_lint_source)
    _, again, _ = lint(tree, workers=1, cache=tmp_path / "cache")
    assert again.error is None and [d.code for d in again.diagnostics] == ["SEG001"]


@pytest.mark.skipif(
    multiprocessing.get_start_method() != "fork", reason="the patched engine reaches workers by fork only"
)
def test_the_watchdog_kills_a_worker_its_own_deadline_could_not_stop(
    tree: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(seglint.engine, "lint_source", hanging_lint_source)  # inherited by forked workers
    monkeypatch.setattr(seglint.runner, "WATCHDOG_GRACE", 0)
    a, stuck, z = lint(tree, workers=2)
    assert stuck.error is not None and stuck.error.reason == STOPPED
    assert [d.code for d in a.diagnostics] == [d.code for d in z.diagnostics] == ["SEG001"]
