"""Every invariant earns its place: it rejects a wrong implementation, and where it can be shown, a
wrong implementation that no other invariant rejects; otherwise the reason it is implied is written
down here. A check that stopped failing, or that was dropped from ``ORACLE_FREE_CHECKS``, fails a test.

The problems are ``tests/test_power.py``'s fixed list (no Hypothesis), plus one with saturated
pixels; the implementations come from ``tests/wrong_implementations.py`` and
``tests/wrong_in_one_way.py``.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from seglint import invariants as inv
from tests import wrong_implementations as wrong
from tests import wrong_in_one_way as one_way
from tests.test_power import PROBLEMS, _problem, _single_thread  # noqa: F401 - its autouse fixture

#: Logits of magnitude 40: in float32 most pixels' loss is exactly 0.
SATURATED = _problem(7, torch.float32, (6,), 5, scale=40.0, reduction="none")
ALL_PROBLEMS = [*PROBLEMS, SATURATED]


def implementation(name: str):
    return getattr(one_way, name, None) or getattr(wrong, name)


#: For each check, a wrong implementation that it rejects on at least one problem.
REJECTS = {
    "matches_definition": "class_weights_ignored",
    "finite_for_large_logits": "no_max_shift",
    "scaled_one_hot": "eps_inside_log",
    "scaled_one_hot_monotone": "no_max_shift",
    "raw_one_hot": "softmax_before_loss",
    "uniform_logits": "class_weights_ignored",
    "double_softmax_window": "ignored_pixels_not_zeroed",
    "shift_invariance": "no_max_shift",
    "permutation_equivariance": "mean_over_all_pixels",
    "log_softmax_idempotence": "softmax_over_last_dim",
    "index_equals_one_hot": "soft_targets_hardened",
    "flatten_equivalence": "reshape_without_movedim",
    "nonnegative": "saturated_pixels_below_zero",
    "gibbs_inequality": "soft_targets_hardened",
    "target_linearity": "soft_targets_hardened",
    "mean_is_sum_over_weight": "sum_is_mean",
    "mean_within_pixel_range": "mean_of_the_worst_pixel",
    "ignored_pixels_zero": "ignored_pixels_not_zeroed",
    "ignore_equals_removal": "mean_over_all_pixels",
    "all_ignored": "zero_when_all_ignored",
    "label_smoothing_closed_form": "smoothing_ignores_weights",
    "label_smoothing_floor": "smoothing_over_other_classes",
    "gradient_closed_form": "detached_normaliser",
    "output_dtype": "float32_returned_as_float64",
    "output_shape": "none_flattened",
    "layout_invariance": "kernel_ignores_strides",
    "deterministic": "nondeterministic_sum",
    "target_scaling": "renormalised_probability_targets",
    "inputs_unchanged": "gradient_into_the_logits_buffer",
}

#: Checks shown necessary: the implementation that, on some problem, this check alone rejects, and the
#: index in ALL_PROBLEMS of one such problem (tried first; the others are searched when it moved).
ONLY = {
    "scaled_one_hot": ("no_max_shift", 3),
    "target_scaling": ("renormalised_probability_targets", 0),
    "mean_is_sum_over_weight": ("mean_ignores_weights", 7),
    "all_ignored": ("mean_over_all_pixels", 0),
    "label_smoothing_closed_form": ("smoothing_ignores_weights", 2),
    "gradient_closed_form": ("detached_normaliser", 0),
    "layout_invariance": ("kernel_ignores_strides", 0),
    "deterministic": ("nondeterministic_sum", 3),
    "inputs_unchanged": ("gradient_into_the_logits_buffer", 0),
}

#: Checks whose rejections another check also makes, and why they stay.
IMPLIED = {
    "matches_definition": "every value-level check restates the float64 definition on inputs of its own; "
    "a bug it alone sees is one that no special input shows, and none of the wrong implementations here "
    "is. It stays as the one check that covers the whole drawn problem.",
    "finite_for_large_logits": "the same definition at |z| past exp's overflow; scaled_one_hot and "
    "shift_invariance reach such logits too (no_max_shift fails all three).",
    "scaled_one_hot_monotone": "monotonicity of the scaled one-hot loss follows from scaled_one_hot's "
    "closed form within its tolerance; it stays to name the bf16 one-ulp rise (docs/INVARIANTS.md §1).",
    "raw_one_hot": "a one-hot input is one drawn problem among others: its weighted-mean bug "
    "(mean_ignores_weights on a probability problem's argmax) is also index_equals_one_hot's, which "
    "checks probability problems on their argmax too; it stays to state v_C, the floor SEG001 quotes.",
    "index_equals_one_hot": "an index target is its one-hot probability target: soft_targets_hardened "
    "(which hardens the ignored pixels' all-zero rows) also fails gibbs_inequality, which checks index "
    "problems as one-hot maps, and mean_ignores_weights also fails matches_definition on index problems; "
    "it stays to state the mean relation of pytorch #61309.",
    "uniform_logits": "log C is scaled_one_hot at s = 0.",
    "double_softmax_window": "the window bounds follow from the definition on softmax outputs; it "
    "documents the bug the linter reports (SEG001), with its own message.",
    "shift_invariance": "CE depends on z only through z - logsumexp(z), which matches_definition compares "
    "with; it stays as the check that needs no float64 reference and that reaches |z| + |c| = 100.",
    "permutation_equivariance": "the definition is a sum over classes; a class-order bug is a value bug "
    "that matches_definition sees.",
    "log_softmax_idempotence": "log_softmax(z) is z shifted per pixel: implied by shift_invariance.",
    "flatten_equivalence": "a layout bug changes values that matches_definition compares; it stays to name "
    "the (N, C, d..) -> (N*d.., C) mix-up in its message.",
    "nonnegative": "a negative loss on a saturated pixel is also a wrong exact zero in scaled_one_hot; "
    "nonnegative states it for the drawn problem.",
    "gibbs_inequality": "CE(z, q) >= H(q) is matches_definition on a simplex target, with the floor "
    "spelled out.",
    "mean_within_pixel_range": "a mean outside the pixels' range breaks mean = sum / sum_kept w[y] "
    "(mean_is_sum_over_weight) or the definition; it stays for the float16 overflow it names.",
    "ignored_pixels_zero": "a non-zero ignored pixel is a value bug for matches_definition and "
    "all_ignored; it stays to name the pixel.",
    "ignore_equals_removal": "ignoring = removing is the definition's mean over kept pixels.",
    "label_smoothing_floor": "H(q_eps) is Gibbs' inequality for the smoothed target q_eps; the wrong "
    "smoothings here also fail label_smoothing_closed_form.",
    "output_dtype": "float32_returned_as_float64 also fails scaled_one_hot_monotone, whose float32 grid "
    "then steps like float64; no other check reads the dtype, so it stays for the message.",
    "output_shape": "none_flattened also fails scaled_one_hot and the checks that index pixels as (N, d..); "
    "it stays for the message.",
    "target_linearity": "CE(z, a q1 + b q2) - CE(z, 0) = a (...) + b (...) has target_scaling (b = 0) "
    "as its special case; soft_targets_hardened, the bug it was written for, fails target_scaling and "
    "gibbs_inequality as well. It stays for convex mixtures (mixup, distillation targets).",
}


def rejects(impl, check, problem) -> bool:
    """Whether ``check`` rejects ``impl`` on ``problem``; a crash of the implementation (several index
    dimension 1, which unbatched ``(C,)`` logits lack) is no evidence either way."""
    try:
        check(impl, problem)
    except AssertionError:
        return True
    except (IndexError, RuntimeError):
        return False
    return False


def test_every_check_is_accounted_for() -> None:
    checks = set(inv.ORACLE_FREE_CHECKS)
    assert set(REJECTS) == checks
    assert set(ONLY) | set(IMPLIED) == checks and not set(ONLY) & set(IMPLIED)


@pytest.mark.parametrize("name", sorted(REJECTS))
def test_every_check_rejects_a_wrong_implementation(name: str) -> None:
    impl = implementation(REJECTS[name])
    check = inv.ORACLE_FREE_CHECKS[name]
    assert any(rejects(impl, check, problem) for problem in ALL_PROBLEMS), f"{name} accepts {REJECTS[name]}"


@pytest.mark.parametrize("name", sorted(ONLY))
def test_a_necessary_check_alone_rejects_its_wrong_implementation(name: str) -> None:
    impl_name, hint = ONLY[name]
    impl = implementation(impl_name)
    check = inv.ORACLE_FREE_CHECKS[name]
    others = [c for other, c in inv.ORACLE_FREE_CHECKS.items() if other != name]
    order = (
        [ALL_PROBLEMS[hint], *ALL_PROBLEMS[:hint], *ALL_PROBLEMS[hint + 1 :]]
        if hint < len(ALL_PROBLEMS)
        else ALL_PROBLEMS
    )
    for problem in order:
        if rejects(impl, check, problem) and not any(rejects(impl, c, problem) for c in others):
            return
    pytest.fail(f"no problem on which {name} alone rejects {impl_name}")


@pytest.mark.parametrize(
    "name", ["none_flattened", "float32_returned_as_float64", "saturated_pixels_below_zero"]
)
def test_the_one_way_wrong_implementations_are_right_otherwise(name: str) -> None:
    """Their values agree with torch's wherever they are not wrong by design."""
    impl = implementation(name)
    for problem in [*PROBLEMS[:: max(1, len(PROBLEMS) // 6)], SATURATED]:
        options = {
            "weight": problem.weight,
            "ignore_index": problem.ignore_index,
            "reduction": problem.reduction,
            "label_smoothing": problem.label_smoothing,
        }
        got = impl(problem.logits, problem.target, **options)
        want = torch.nn.functional.cross_entropy(problem.logits, problem.target, **options)
        torch.testing.assert_close(got.reshape(want.shape).to(want.dtype), want, rtol=0, atol=1e-37)
