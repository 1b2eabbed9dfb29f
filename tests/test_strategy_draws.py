"""The property tests rely on what their strategies draw: a sample of each, drawn as the suite draws
it (the ``ci`` profile's derandomized 50 examples), holds every variant those tests need. A strategy
that stopped drawing ignored pixels, or ``reduction="sum"``, would leave its tests passing vacuously.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from hypothesis import HealthCheck, given, settings

from seglint.strategies import cross_entropy_problems

_spec = importlib.util.spec_from_file_location(
    "ce_helpers", Path(__file__).resolve().parent.parent / "properties" / "ce_helpers.py"
)
assert _spec is not None and _spec.loader is not None
ce_helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ce_helpers)

SAMPLE = settings(
    max_examples=50, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck)
)


def sample(strategy) -> list:  # type: ignore[no-untyped-def]
    drawn = []

    @SAMPLE
    @given(strategy)
    def collect(problem) -> None:  # type: ignore[no-untyped-def]
        drawn.append(problem)

    collect()
    return drawn


def has_ignored_pixels(problem) -> bool:  # type: ignore[no-untyped-def]
    return problem.target_kind == "index" and bool((problem.target == problem.ignore_index).any())


def test_cross_entropy_problems_draw_every_reduction_target_kind_and_option() -> None:
    drawn = sample(cross_entropy_problems(max_pixels=256))
    reductions = Counter(p.reduction for p in drawn)
    assert set(reductions) == {"none", "mean", "sum"}, reductions
    assert min(reductions.values()) >= 5, reductions
    kinds = Counter(p.target_kind for p in drawn)
    assert min(kinds[k] for k in ("index", "probability")) >= 5, kinds
    assert sum(p.weight is not None for p in drawn) >= 5
    assert sum(p.weight is None for p in drawn) >= 5
    assert sum(0 < p.label_smoothing for p in drawn) >= 5
    assert sum(has_ignored_pixels(p) for p in drawn) >= 5


def test_the_ignored_pixels_tests_draw_ignored_pixels() -> None:
    """properties/test_reductions.py's ignored-pixel and ignore-equals-removal tests draw this."""
    drawn = sample(
        ce_helpers.problems(torch.nn.functional.cross_entropy, torch.float32, "cpu", target_kinds=("index",))
    )
    with_ignored = [p for p in drawn if has_ignored_pixels(p)]
    assert len(with_ignored) >= 10, f"{len(with_ignored)} of {len(drawn)} problems ignore a pixel"
    assert any(bool((p.target != p.ignore_index).any()) for p in with_ignored), "no kept pixel beside them"
    assert {p.ignore_index for p in with_ignored} >= {-100}
