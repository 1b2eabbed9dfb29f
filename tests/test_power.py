"""Power of the property suite: every deliberately wrong cross-entropy is rejected, the correct
reimplementations pass.

The in-process tests drive the oracle-free check functions over a fixed, deterministic list of
problems (no Hypothesis: the same problems every run). One subprocess test runs the real
``properties/`` suite through ``--ce-impl`` against a correct and a wrong implementation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from seglint import invariants as inv
from tests import wrong_implementations as wrong

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Tiny tensors: intra-op threads only add synchronisation (2x slower on a 2-core machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _problem(
    seed,
    dtype,
    shape,
    num_classes,
    *,
    kind="index",
    weighted=False,
    ignore_index=-100,
    ignored=0.0,
    reduction="mean",
    smoothing=0.0,
    scale=4.0,
):
    """A reproducible problem: logits ``(N, C, d..)`` from a seeded generator, rounded to ``dtype``."""
    gen = torch.Generator().manual_seed(seed)
    n, *spatial = shape
    logits = (torch.randn(n, num_classes, *spatial, generator=gen, dtype=torch.float64) * scale).to(dtype)
    if kind == "index":
        target = torch.randint(0, num_classes, shape, generator=gen)
        if ignored:
            drop = torch.rand(shape, generator=gen) < ignored
            drop.view(-1)[0] = False  # keep at least one pixel
            # and make the images' kept counts differ: drop half of the first image
            drop[0].view(-1)[: drop[0].numel() // 2] = True
            drop.view(-1)[0] = False
            target = torch.where(drop, torch.full_like(target, ignore_index), target)
    else:
        raw = torch.rand(n, num_classes, *spatial, generator=gen, dtype=torch.float64) ** 3
        target = (raw / raw.sum(dim=1, keepdim=True)).to(dtype)
    weight = None
    if weighted:
        weight = (0.1 + 1.9 * torch.rand(num_classes, generator=gen, dtype=torch.float64)).to(dtype)
    return inv.Case(
        logits=logits,
        target=target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=smoothing,
    )


def _problems():
    """Index and probability targets, 2D and ND kernels, weights, ignored pixels, smoothing, every
    reduction and dtype: each wrong implementation's bug shows in at least one of them."""
    spec = [
        # (shape, C, options)
        ((6,), 5, {"reduction": "none"}),
        ((2, 5, 3), 4, {"weighted": True, "ignored": 0.3, "reduction": "mean"}),
        ((3, 4, 4), 7, {"ignored": 0.4, "ignore_index": 255, "reduction": "mean", "smoothing": 0.2}),
        ((2, 3, 4), 6, {"weighted": True, "ignored": 0.3, "reduction": "sum", "smoothing": 0.3}),
        ((2, 4, 3), 5, {"kind": "probability", "weighted": True, "reduction": "mean"}),
        ((8,), 3, {"kind": "probability", "reduction": "none", "smoothing": 0.1}),
        (
            (2, 2, 3, 2),
            4,
            {"weighted": True, "ignored": 0.25, "ignore_index": 1, "reduction": "none", "smoothing": 0.15},
        ),
        ((16,), 10, {"weighted": True, "ignored": 0.3, "reduction": "mean", "smoothing": 0.05, "scale": 8.0}),
    ]
    dtypes = (torch.float32, torch.float64, torch.bfloat16, torch.float16)
    out = []
    for i, (shape, num_classes, options) in enumerate(spec):
        for j, dtype in enumerate(dtypes):
            # Every problem in float32; the others take turns so that each dtype sees most configurations.
            if dtype is torch.float32 or (i + j) % 2 == 0:
                out.append(_problem(1000 * i + j, dtype, shape, num_classes, **options))
    return out


PROBLEMS = _problems()

#: The invariant designed to catch each wrong implementation (others may catch it too).
CAUGHT_BY = {
    "no_max_shift": "finite_for_large_logits",
    "mean_over_all_pixels": "mean_is_sum_over_weight",
    "smoothing_over_other_classes": "label_smoothing_floor",
    "mean_ignores_weights": "mean_is_sum_over_weight",
    "ignored_pixels_not_zeroed": "ignored_pixels_zero",
    "softmax_over_last_dim": "flatten_equivalence",
    "reshape_without_movedim": "flatten_equivalence",
    "eps_inside_log": "scaled_one_hot",
    "smoothing_ignores_weights": "label_smoothing_closed_form",
    "probability_mean_over_weights": "mean_is_sum_over_weight",
    "returns_float32": "output_dtype",
    "detached_normaliser": "gradient_closed_form",
    "smoothing_at_ignored_pixels": "ignored_pixels_zero",
    "soft_targets_hardened": "gibbs_inequality",
    "zero_when_all_ignored": "all_ignored",
    "mean_of_image_means": "mean_is_sum_over_weight",
    "softmax_before_loss": "raw_one_hot",
    "sum_is_mean": "mean_is_sum_over_weight",
    "nondeterministic_sum": "deterministic",
    "class_weights_ignored": "matches_definition",
    "kernel_ignores_strides": "layout_invariance",
}


def _rejections(impl, check, problems=PROBLEMS):
    """The problems on which ``check`` rejects ``impl`` (raises AssertionError)."""
    rejected = []
    for problem in problems:
        try:
            check(impl, problem)
        except AssertionError:
            rejected.append(problem)
    return rejected


def test_every_wrong_implementation_has_a_designated_invariant():
    assert set(CAUGHT_BY) == set(wrong.WRONG)


@pytest.mark.parametrize("name", wrong.WRONG)
def test_wrong_implementation_is_rejected(name):
    """The invariant aimed at the bug rejects the implementation on at least one problem."""
    impl = getattr(wrong, name)
    check = inv.ORACLE_FREE_CHECKS[CAUGHT_BY[name]]
    assert _rejections(impl, check), f"{name} passed {CAUGHT_BY[name]} on every problem"


@pytest.mark.parametrize("name", ("torch", *wrong.CORRECT))
def test_correct_implementation_passes_every_invariant(name):
    impl = torch.nn.functional.cross_entropy if name == "torch" else getattr(wrong, name)
    for problem in PROBLEMS:
        inv.check_all(impl, problem)


def _run_properties(impl: str, selection: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CI="true")
    env.pop("HYPOTHESIS_PROFILE", None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "properties",
        "-m",
        "not reference",
        "-q",
        "-p",
        "no:cacheprovider",
        "--hypothesis-profile=ci",
        "-k",
        selection,
        f"--ce-impl=tests.wrong_implementations:{impl}",
    ]
    return subprocess.run(
        command, check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_property_suite_through_ce_impl_accepts_correct_and_rejects_wrong():
    """``pytest properties --ce-impl ...``: a correct float64 reimplementation passes, a double softmax fails."""
    # Two short tests: the subprocesses' torch import and collection dominate (about 5 s each).
    selection = "raw_one_hot and float32 or mean_is_sum_over_weight and float16"
    good = _run_properties("correct_float64", selection)
    assert good.returncode == 0, good.stdout[-3000:] + good.stderr[-3000:]
    assert " passed" in good.stdout
    bad = _run_properties("softmax_before_loss", selection)
    assert bad.returncode == 1, bad.stdout[-3000:] + bad.stderr[-3000:]
    assert (
        "test_raw_one_hot_input[cpu-float32] FAILED" in bad.stdout
        or "FAILED properties/test_closed_forms.py::test_raw_one_hot_input" in bad.stdout
    ), bad.stdout[-3000:]
