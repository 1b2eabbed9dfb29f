"""Failures that randomized runs (the ``dev`` profile, ``--hypothesis-seed=N``) found in the suite
itself, on torch's own cross-entropy, kept as explicit problems so that the derandomized ``ci`` profile
runs them too.

Each was a bug of the suite (a tolerance too tight, or a strategy drawing outside the domain where the
statement holds for torch), not of torch; each docstring names the failure, its cause and the fix. The
properties draw their problems with ``st.data()``, which ``@example`` cannot replay, hence plain tests.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from ce_helpers import FLOAT16_MAX, FLOAT16_WEIGHTS, over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
def test_uniform_logits_of_a_spread_probability_target(ce_impl, device, dtype):
    """``test_uniform_logits_give_log_c``, float64, probability target, smoothing 0.5: |error| 7.99e-15
    > allowed 6.04e-15 (5.3 eps at a loss of 6.8).

    A spread or smoothed target scores ``log C * sum_c t_c``, a C-term dot product, which the old
    ``rtol 4 eps`` (measured for index targets: one rounding of ``log C``) did not cover. The
    ``uniform`` tolerance now adds the terms' roundings and the two C-term sums (``seglint.tolerances``).
    """
    num_classes = 93
    target = torch.full((1, num_classes, 16), 2.0 / num_classes, dtype=torch.float64).to(dtype)
    case = inv.Case(
        logits=torch.zeros_like(target).to(device),
        target=target.to(device),
        reduction="none",
        label_smoothing=0.5,
    )
    inv.check_uniform_logits(ce_impl, case)


def test_uniform_logits_of_a_probability_row_near_the_smallest_normal(ce_impl, device):
    """``test_uniform_logits_give_log_c``, float64, C = 512, a probability row scaled to 1.4e-307:
    |error| 8.89e-322 > allowed 1.28e-322.

    The entries (2.7e-310) and the products ``t_c log p_c`` are subnormal, rounded to multiples of
    4.9e-324 whatever the rtol says. The tolerances now include the underflow of each term
    (``seglint.invariants._core.underflow_error``).
    """
    target = torch.full((1, 512), 2.7e-310, dtype=torch.float64)
    case = inv.Case(logits=torch.zeros_like(target), target=target, reduction="none")
    inv.check_uniform_logits(ce_impl, case.to(device=device))


def test_affine_in_a_subnormal_target(ce_impl, device):
    """``test_affine_in_the_target``, float16, a = b = 0.5: |error| 5.96e-08 > allowed 3.51e-09.

    The target ``[1.79e-7, 5.96e-8]`` is subnormal in float16, so each loss is rounded to a multiple
    of 5.96e-8 (one unit off here); the check compared float64 copies of the outputs, whose own
    subnormal floor is 4.9e-324. The float16 underflow is now part of each call's allowance.
    """
    target = torch.tensor([[1.7881e-07, 5.9605e-08]], dtype=torch.float16)
    case = inv.Case(logits=torch.zeros_like(target), target=target, reduction="none")
    inv.check_target_linearity(ce_impl, case.to(device=device), alpha=0.5)


@pytest.mark.parametrize(
    ("dtype", "num_classes", "smoothing"),
    [
        (torch.float16, 4, 2.0**-23),
        (torch.float32, 5798, 2.0**-126),
        (torch.bfloat16, 17, 2.0**-126),
    ],
    ids=["float16-C4", "float32-C5798", "bfloat16-C17"],
)
def test_smoothing_whose_share_per_class_is_subnormal(ce_impl, device, dtype, num_classes, smoothing):
    """``test_matches_float64_definition`` (float16: actual -0.0, expected 1.65e-7, allowed 6.0e-8) and
    ``test_label_smoothing_closed_form`` (float32: |error| 1.62e-41 > 8.32e-42; bfloat16: 2.7e-39 >
    1.22e-39) on an all-zero probability row, where the loss is the smoothing term alone.

    ``smoothing / C`` is subnormal in the dtype (2.98e-8 rounds to 0 in float16), so the kernel's
    target is off by up to half a subnormal unit per class, which ``|log p_c|`` then multiplies:
    the underflow allowance now covers it.
    """
    zeros = torch.zeros(1, num_classes, dtype=dtype, device=device)
    case = inv.Case(logits=zeros, target=zeros.clone(), reduction="none", label_smoothing=smoothing)
    inv.check_matches_definition(ce_impl, case)
    inv.check_label_smoothing_closed_form(ce_impl, case)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_float16_reductions_at_the_edge_of_the_drawn_domain(ce_impl, device, reduction):
    """``test_mean_within_pixel_range``, float16, C = 1513, weights, smoothing 1.0: mean inf (and
    ``test_nonnegative``: NaN, an overflow times a smoothing that rounds to 0).

    torch divides ``sum_i sum_c w_c (-log p_ic)`` by ``sum_kept w_{y_i}`` in float16 before scaling by
    ``label_smoothing / C``; with weights down to 0.1 that is 20 times the per-class sum and overflows
    (pinned in ``test_upstream_limitations``). The domain's budget (``ce_helpers``) had left the
    weights out. Float16 problems now draw weights in ``FLOAT16_WEIGHTS`` and at most
    ``float16_max_elements`` logits: this is their worst case (1024 classes, logits +-10, the target
    class at the smallest weight), 40,900 before the division, and finite.
    """
    num_classes = 1024
    low, high = FLOAT16_WEIGHTS
    logits = torch.full((1, num_classes), -10.0, dtype=torch.float16)
    logits[0, 0] = 10.0
    weight = torch.full((num_classes,), high, dtype=torch.float16)
    weight[1] = low
    case = inv.Case(
        logits=logits,
        target=torch.tensor([1]),
        weight=weight,
        reduction=reduction,
        label_smoothing=1.0,
    ).to(device=device)
    inv.check_matches_definition(ce_impl, case)
    inv.check_mean_within_pixel_range(ce_impl, case)


@over_dtypes()
def test_smoothing_floor_at_the_smallest_normal_smoothing(ce_impl, device, dtype):
    """``test_label_smoothing_floor``, float16, C = 512, label_smoothing 5e-262 (and 1e-300, 2.2e-308,
    1.2e-35 at C = 2048): NaN or inf at ``z = log q_eps``.

    Such a smoothing is 0 in float16, and the floor's optimum has logits ``log(eps / C)`` of -609
    and more, whose sum over the classes overflows torch's float16 smoothing term (pinned in
    ``test_upstream_limitations``). The problem strategies now draw no nonzero smoothing below the
    dtype's smallest normal; this is the smallest they draw, at the largest float16 C.
    """
    smoothing = torch.finfo(dtype).tiny
    case = inv.Case(
        logits=torch.zeros(1, 1024, dtype=dtype, device=device),
        target=torch.zeros(1, dtype=torch.int64, device=device),
        reduction="none",
        label_smoothing=smoothing,
    )
    inv.check_label_smoothing_floor(ce_impl, case)


@given(data=st.data())
def test_float16_problems_keep_torch_float16_reductions_finite(data):
    """The float16 domain of ``ce_helpers.problems``, checked on its draws in float64: the smoothing
    sums ``sum_i sum_c w_c (-log p_ic)`` (``sum``, and ``none`` per pixel) and that sum over
    ``sum_kept w_{y_i}`` (the weighted ``mean``) stay below 65504, where torch's float16 reductions
    overflow."""
    problem = data.draw(
        problems(F.cross_entropy, torch.float16, "cpu", label_smoothing=(0.0, 1.0)), label="problem"
    )
    defn = inv.definition(problem.replace(label_smoothing=1.0))
    weight = 1.0 if problem.weight is None else problem.weight.double()
    smoothing_sums = -(defn.log_probs * weight).sum(dim=-1)
    total = float(torch.where(defn.kept, smoothing_sums, torch.zeros_like(smoothing_sums)).sum())
    assert total <= FLOAT16_MAX
    if problem.target_kind == "index" and defn.denominator > 0:
        assert total / defn.denominator <= FLOAT16_MAX
