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
    row_sums=None,
    labels=(),
    upstream=False,
):
    """A reproducible problem: logits ``(N, C, d..)`` (``(C,)`` for ``shape=()``) from a seeded
    generator, rounded to ``dtype``. ``row_sums`` scales probability rows to sums in that range,
    ``labels`` are written at the first pixels, ``upstream`` draws a ``grad_output`` with mixed signs."""
    gen = torch.Generator().manual_seed(seed)
    logits_shape = (shape[0], num_classes, *shape[1:]) if shape else (num_classes,)
    class_dim = 1 if shape else 0
    logits = (torch.randn(logits_shape, generator=gen, dtype=torch.float64) * scale).to(dtype)
    if kind == "index":
        target = torch.randint(0, num_classes, shape, generator=gen)
        target.view(-1)[: len(labels)] = torch.tensor(labels, dtype=torch.int64)
        if ignored:
            drop = torch.rand(shape, generator=gen) < ignored
            drop.view(-1)[0] = False  # keep at least one pixel
            # and make the images' kept counts differ: drop half of the first image
            drop[0].view(-1)[: drop[0].numel() // 2] = True
            drop.view(-1)[0] = False
            target = torch.where(drop, torch.full_like(target, ignore_index), target)
    else:
        raw = torch.rand(logits_shape, generator=gen, dtype=torch.float64) ** 3
        target = raw / raw.sum(dim=class_dim, keepdim=True)
        if row_sums is not None:
            lo, hi = row_sums
            sums = lo + (hi - lo) * torch.rand(target.sum(dim=class_dim, keepdim=True).shape, generator=gen)
            target = target * sums.double()
        target = target.to(dtype)
    weight = None
    if weighted:
        weight = (0.1 + 1.9 * torch.rand(num_classes, generator=gen, dtype=torch.float64)).to(dtype)
    grad_output = None
    if upstream:
        out_shape = tuple(shape) if reduction == "none" else ()
        g = torch.randn(out_shape, generator=gen, dtype=torch.float64) * 3
        grad_output = torch.where(torch.rand(out_shape, generator=gen) < 0.2, 0.0, g).to(dtype)
    return inv.Case(
        logits=logits,
        target=target,
        weight=weight,
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=smoothing,
        grad_output=grad_output,
    )


#: Every dtype but float16, whose kernels overflow with thousands of classes.
WIDE_DTYPES = (torch.float32, torch.float64, torch.bfloat16)


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
        # Where the draws did not reach before issue 12: rows off the simplex, ignore_index inside
        # [0, C), vocabularies (with class 255), unbatched inputs, an upstream gradient.
        ((2, 3), 4, {"kind": "probability", "reduction": "sum", "row_sums": (0.25, 2.0)}),
        ((6,), 5, {"kind": "probability", "reduction": "none", "row_sums": (1.5, 1.5), "weighted": True}),
        ((3, 4), 6, {"ignored": 0.3, "ignore_index": 0, "reduction": "mean", "upstream": True}),
        # float16 sums -log p over 5000 classes past 65504 (test_upstream_limitations): not float16.
        ((3,), 5000, {"reduction": "none", "upstream": True, "dtypes": WIDE_DTYPES}),
        ((2, 2), 300, {"reduction": "sum", "labels": (255, 299, 0)}),
        ((), 7, {"reduction": "none"}),
        ((), 4, {"kind": "probability", "reduction": "mean", "upstream": True}),
        ((2, 3, 2), 5, {"weighted": True, "reduction": "none", "smoothing": 0.1, "upstream": True}),
    ]
    dtypes = (torch.float32, torch.float64, torch.bfloat16, torch.float16)
    out = []
    for i, (shape, num_classes, options) in enumerate(spec):
        allowed = options.pop("dtypes", dtypes)
        for j, dtype in enumerate(dtypes):
            # Every problem in float32; the others take turns so that each dtype sees most configurations.
            if dtype in allowed and (dtype is torch.float32 or (i + j) % 2 == 0):
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
    "renormalised_probability_targets": "target_scaling",
    "ignores_labels_outside_the_classes": "ignored_pixels_zero",
    "hard_coded_void_label": "matches_definition",
    "online_logsumexp_without_rescale": "matches_definition",
    "unbatched_as_a_batch_of_one": "output_shape",
    "backward_ignores_grad_output": "gradient_closed_form",
    "gradient_into_the_logits_buffer": "inputs_unchanged",
    "weight_normalised_in_place": "inputs_unchanged",
}


#: The wrong implementations that passed the whole property suite before issue 12 widened the draws
#: (verified: ``pytest properties --ce-impl ...`` on that suite passed each one), and the invariants
#: that reject each now, on the problems above.
REJECTED_BY = {
    "renormalised_probability_targets": ("matches_definition", "target_scaling", "gibbs_inequality"),
    "ignores_labels_outside_the_classes": (
        "matches_definition",
        "ignored_pixels_zero",
        "ignore_equals_removal",
        "all_ignored",
    ),
    "hard_coded_void_label": ("matches_definition", "raw_one_hot", "uniform_logits"),
    "online_logsumexp_without_rescale": (
        "matches_definition",
        "double_softmax_window",
        "gradient_closed_form",
    ),
    "unbatched_as_a_batch_of_one": ("output_shape", "flatten_equivalence", "matches_definition"),
    "backward_ignores_grad_output": ("gradient_closed_form",),
    "gradient_into_the_logits_buffer": ("inputs_unchanged",),
}


def _fresh(problem):
    """A copy of ``problem`` with its own tensors: an implementation that writes into its inputs must
    not change the problems the next check sees."""
    copies = {
        name: getattr(problem, name).clone()
        for name in ("logits", "target", "weight", "grad_output")
        if getattr(problem, name) is not None
    }
    return problem.replace(**copies)


def _rejections(impl, check, problems=PROBLEMS):
    """The problems on which ``check`` rejects ``impl`` (raises AssertionError).

    A problem the implementation crashes on (several segmentation-style bugs index dimension 1, which
    unbatched ``(C,)`` logits lack) is no evidence for the check, so it is not counted."""
    rejected = []
    for problem in problems:
        try:
            check(impl, _fresh(problem))
        except AssertionError:
            rejected.append(problem)
        except (IndexError, RuntimeError):
            continue
    return rejected


def test_every_wrong_implementation_has_a_designated_invariant():
    assert set(CAUGHT_BY) == set(wrong.WRONG)


@pytest.mark.parametrize("name", wrong.WRONG)
def test_wrong_implementation_is_rejected(name):
    """The invariant aimed at the bug rejects the implementation on at least one problem."""
    impl = getattr(wrong, name)
    check = inv.ORACLE_FREE_CHECKS[CAUGHT_BY[name]]
    assert _rejections(impl, check), f"{name} passed {CAUGHT_BY[name]} on every problem"


def test_every_gap_of_the_narrow_suite_has_its_invariants():
    assert set(REJECTED_BY) == set(wrong.PASSED_THE_NARROW_SUITE)
    assert all(CAUGHT_BY[name] in invariants for name, invariants in REJECTED_BY.items())


@pytest.mark.parametrize(
    ("name", "invariant"), [(name, check) for name, checks in REJECTED_BY.items() for check in checks[1:]]
)
def test_gap_is_rejected_by_each_named_invariant(name, invariant):
    """Beyond the designated invariant (checked above): every invariant named in REJECTED_BY rejects."""
    impl = getattr(wrong, name)
    assert _rejections(impl, inv.ORACLE_FREE_CHECKS[invariant]), f"{name} passed {invariant}"


@pytest.mark.parametrize("name", ("torch", *wrong.CORRECT))
def test_correct_implementation_passes_every_invariant(name):
    impl = torch.nn.functional.cross_entropy if name == "torch" else getattr(wrong, name)
    for problem in PROBLEMS:
        report = inv.check_all(impl, _fresh(problem))
        assert not report.skipped and report.ran == tuple(inv.ORACLE_FREE_CHECKS)


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
        "-n0",  # two short tests: starting xdist workers would cost more than they save
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
