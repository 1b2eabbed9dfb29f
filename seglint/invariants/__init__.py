"""The cross-entropy invariants as plain check functions.

Each ``check_*`` takes the implementation under test first (a callable with
``torch.nn.functional.cross_entropy``'s signature: ``impl(input, target, weight=None,
ignore_index=-100, reduction='mean', label_smoothing=0.0)``) and a problem (a
``seglint.strategies.CrossEntropyProblem``, a :class:`Case`, or anything with the same fields) or plain
tensors. It returns ``None`` or raises ``AssertionError`` stating the measured and the allowed error.
Tolerances come from :func:`seglint.tolerances.tolerance`.

The expected values come from the mathematical definition, evaluated in float64 with
``torch.logsumexp`` (:func:`definition`); only :mod:`seglint.invariants.reference` calls torch's own
losses as an oracle. :data:`ORACLE_FREE_CHECKS` lists every oracle-free check that needs nothing but
``(impl, problem)``; :func:`check_all` runs them.

Example, in a downstream test file::

    from hypothesis import given
    from seglint import strategies as sst
    from seglint import invariants as inv
    from mypkg.losses import cross_entropy

    @given(sst.cross_entropy_problems())
    def test_my_cross_entropy(problem):
        inv.check_all(cross_entropy, problem)

An implementation with a partial interface (no weights, one reduction, a loss class) is wrapped in an
:class:`Implementation` with its :class:`Supported` declaration; ``check_all`` then skips the checks it
cannot take (``CheckReport.skipped`` names the missing feature) and
``cross_entropy_problems(supported=impl.supported)`` draws only problems it takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from seglint.implementations import Implementation, NotSupported, Supported, supported_of
from seglint.invariants._core import (
    Case,
    Definition,
    Impl,
    as_case,
    as_index_case,
    cast,
    definition,
    grad_output_of,
    run_parts,
    to_device,
)
from seglint.invariants.agreement import (
    check_device_agreement,
    check_dtype_agreement,
    check_finite_for_large_logits,
    check_matches_definition,
)
from seglint.invariants.closed_forms import (
    DEFAULT_SCALES,
    check_double_softmax_window,
    check_raw_one_hot,
    check_scaled_one_hot,
    check_scaled_one_hot_monotone,
    check_uniform_logits,
    one_hot_loss,
    scaled_one_hot_loss,
)
from seglint.invariants.contracts import (
    check_deterministic,
    check_inputs_unchanged,
    check_layout_invariance,
    check_output_dtype,
    check_output_shape,
)
from seglint.invariants.gradients import check_gradient_closed_form, expected_gradient
from seglint.invariants.reductions import (
    check_all_ignored,
    check_ignore_equals_removal,
    check_ignored_pixels_zero,
    check_mean_is_sum_over_weight,
    check_mean_within_pixel_range,
)
from seglint.invariants.reference import check_matches_nll_of_log_softmax, check_matches_torch
from seglint.invariants.smoothing import (
    check_label_smoothing_closed_form,
    check_label_smoothing_floor,
    smoothed_entropy,
)
from seglint.invariants.symmetries import (
    DEFAULT_TARGET_SCALE,
    as_probability_case,
    check_flatten_equivalence,
    check_gibbs_inequality,
    check_index_equals_one_hot,
    check_log_softmax_idempotence,
    check_nonnegative,
    check_permutation_equivariance,
    check_shift_invariance,
    check_target_linearity,
    check_target_scaling,
)
from seglint.invariants.torch_facts import (
    check_torch_bce_on_sigmoid,
    check_torch_nll_on_softmax,
    check_torch_scaled_one_hot_zero,
)

__all__ = [
    "DEFAULT_SCALES",
    "DEFAULT_TARGET_SCALE",
    "ORACLE_FREE_CHECKS",
    "REFERENCE_CHECKS",
    "Case",
    "CheckReport",
    "Definition",
    "Impl",
    "Implementation",
    "NotSupported",
    "Supported",
    "as_case",
    "as_index_case",
    "as_probability_case",
    "cast",
    "check_all",
    "check_all_ignored",
    "check_deterministic",
    "check_device_agreement",
    "check_double_softmax_window",
    "check_dtype_agreement",
    "check_finite_for_large_logits",
    "check_flatten_equivalence",
    "check_gibbs_inequality",
    "check_gradient_closed_form",
    "check_ignore_equals_removal",
    "check_ignored_pixels_zero",
    "check_index_equals_one_hot",
    "check_inputs_unchanged",
    "check_label_smoothing_closed_form",
    "check_label_smoothing_floor",
    "check_layout_invariance",
    "check_log_softmax_idempotence",
    "check_matches_definition",
    "check_matches_nll_of_log_softmax",
    "check_matches_torch",
    "check_mean_is_sum_over_weight",
    "check_mean_within_pixel_range",
    "check_nonnegative",
    "check_output_dtype",
    "check_output_shape",
    "check_permutation_equivariance",
    "check_raw_one_hot",
    "check_scaled_one_hot",
    "check_scaled_one_hot_monotone",
    "check_shift_invariance",
    "check_target_linearity",
    "check_target_scaling",
    "check_torch_bce_on_sigmoid",
    "check_torch_nll_on_softmax",
    "check_torch_scaled_one_hot_zero",
    "check_uniform_logits",
    "definition",
    "expected_gradient",
    "grad_output_of",
    "one_hot_loss",
    "scaled_one_hot_loss",
    "smoothed_entropy",
    "supported_of",
    "to_device",
]

Check = Callable[[Impl, Any], None]


#: Scale grid of ``scaled_one_hot_monotone`` in ``check_all``: at most this many logits in all.
_MONOTONE_ELEMENTS = 2**18


def _scaled_one_hot(impl: Impl, problem: Any) -> None:
    """:func:`check_scaled_one_hot` at the problem's C, dtype and device, on each kernel path the
    implementation supports."""
    case = as_case(problem)
    run_parts(
        *(
            lambda path=path: check_scaled_one_hot(
                impl, num_classes=case.num_classes, dtype=case.dtype, device=case.device, path=path
            )
            for path in ("2d", "nd")
        )
    )


def _scaled_one_hot_monotone(impl: Impl, problem: Any) -> None:
    """:func:`check_scaled_one_hot_monotone` on a grid of up to 401 scales over [-30, 50] (fewer for
    thousands of classes), on each kernel path the implementation supports."""
    import torch

    case = as_case(problem)
    points = max(16, min(401, _MONOTONE_ELEMENTS // case.num_classes))
    grid = torch.linspace(-30.0, 50.0, points, dtype=torch.float64)
    run_parts(
        *(
            lambda path=path: check_scaled_one_hot_monotone(
                impl,
                num_classes=case.num_classes,
                scales=grid,
                dtype=case.dtype,
                device=case.device,
                path=path,
            )
            for path in ("2d", "nd")
        )
    )


#: Every oracle-free check that takes just ``(impl, problem)``, by name.
ORACLE_FREE_CHECKS: Mapping[str, Check] = {
    "matches_definition": check_matches_definition,
    "finite_for_large_logits": check_finite_for_large_logits,
    "scaled_one_hot": _scaled_one_hot,
    "scaled_one_hot_monotone": _scaled_one_hot_monotone,
    "raw_one_hot": check_raw_one_hot,
    "uniform_logits": check_uniform_logits,
    "double_softmax_window": check_double_softmax_window,
    "shift_invariance": check_shift_invariance,
    "permutation_equivariance": check_permutation_equivariance,
    "log_softmax_idempotence": check_log_softmax_idempotence,
    "index_equals_one_hot": check_index_equals_one_hot,
    "flatten_equivalence": check_flatten_equivalence,
    "nonnegative": check_nonnegative,
    "gibbs_inequality": check_gibbs_inequality,
    "target_linearity": check_target_linearity,
    "target_scaling": check_target_scaling,
    "mean_is_sum_over_weight": check_mean_is_sum_over_weight,
    "mean_within_pixel_range": check_mean_within_pixel_range,
    "ignored_pixels_zero": check_ignored_pixels_zero,
    "ignore_equals_removal": check_ignore_equals_removal,
    "all_ignored": check_all_ignored,
    "label_smoothing_closed_form": check_label_smoothing_closed_form,
    "label_smoothing_floor": check_label_smoothing_floor,
    "gradient_closed_form": check_gradient_closed_form,
    "output_dtype": check_output_dtype,
    "output_shape": check_output_shape,
    "inputs_unchanged": check_inputs_unchanged,
    "layout_invariance": check_layout_invariance,
    "deterministic": check_deterministic,
}

#: The checks that compare with torch's own losses (marker ``reference``).
REFERENCE_CHECKS: Mapping[str, Check] = {
    "matches_nll_of_log_softmax": check_matches_nll_of_log_softmax,
    "matches_torch": check_matches_torch,
}


@dataclasses.dataclass(frozen=True)
class CheckReport:
    """What :func:`check_all` ran: ``ran`` (names, in order) and ``skipped`` (name -> the reason,
    ``"not supported: <feature>"``, for the checks outside the implementation's declaration)."""

    ran: tuple[str, ...]
    skipped: Mapping[str, str]


def check_all(impl: Impl, problem: Any, *, checks: Mapping[str, Check] = ORACLE_FREE_CHECKS) -> CheckReport:
    """Run every check in ``checks`` on ``problem`` and report what ran and what was skipped.

    A check that calls ``impl`` outside its declaration (an :class:`Implementation` raising
    :class:`NotSupported`) is skipped, not failed. Raise one ``AssertionError`` naming each failure
    (and listing the skipped checks) if any check fails.
    """
    failures, ran, skipped = [], [], {}
    for name, check in checks.items():
        try:
            check(impl, problem)
        except NotSupported as exc:
            skipped[name] = str(exc)
            continue
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        ran.append(name)
    if failures:
        note = f"\n(skipped: {', '.join(f'{k} ({v})' for k, v in skipped.items())})" if skipped else ""
        raise AssertionError(f"{len(failures)} invariant(s) violated:\n" + "\n".join(failures) + note)
    return CheckReport(ran=tuple(ran), skipped=skipped)
