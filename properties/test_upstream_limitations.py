"""Known limitations of torch's own cross-entropy, pinned as strict xfails.

Each states the correct behaviour and fails on torch 2.13 for the cited upstream issue; when PyTorch
fixes one, the test XPASSes and, being strict, fails the run: the signal to drop the xfail (CI pins
torch, so this happens only when the pin moves). They run torch's function (whatever ``--ce-impl``
says): they document torch, not the implementation under test.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from seglint import invariants as inv


@pytest.mark.xfail(
    strict=True,
    reason="pytorch #85791, #61523: float16 cross-entropy reductions accumulate in float16 and "
    "overflow to inf once the summed loss passes 65504 (NaN mean once the pixel count does)",
)
def test_float16_mean_is_finite_for_a_large_map():
    """A 200x200 map at a loss of about 3.5 per pixel: every per-pixel loss is finite, so the mean must be."""
    gen = torch.Generator().manual_seed(0)
    logits = (torch.randn(1, 21, 200, 200, generator=gen, dtype=torch.float64) * 2.0).to(torch.float16)
    target = torch.randint(0, 21, (1, 200, 200), generator=gen)
    problem = inv.Case(logits=logits, target=target, reduction="mean")
    assert bool(torch.isfinite(F.cross_entropy(logits, target, reduction="none")).all())
    inv.check_mean_within_pixel_range(F.cross_entropy, problem)


@pytest.mark.xfail(
    strict=True,
    reason="torch 2.13 CPU: the float16 (N, C) log_softmax rounds its sum of exponentials to float16, "
    "which overflows for C >= 65,520 equal logits: the loss is inf (the (N, C, d..) kernel is fine); "
    "no upstream issue found",
)
def test_float16_loss_is_finite_for_65536_equal_logits():
    logits = torch.zeros(1, 65_536, dtype=torch.float16)
    target = torch.zeros(1, dtype=torch.int64)
    loss = F.cross_entropy(logits, target, reduction="none")
    assert bool(torch.isfinite(loss).all()), loss


@pytest.mark.xfail(
    strict=True,
    reason="torch 2.13 CPU: with label_smoothing, float16 sums -log p over the classes in float16, so "
    "even reduction='none' is inf once that sum passes 65504 (C = 8192 equal logits; true loss 9.01); "
    "pytorch #85791 and #61523 are the reductions' form of it",
)
def test_float16_smoothed_loss_is_finite_for_8192_classes():
    logits = torch.zeros(1, 8192, dtype=torch.float16)
    target = torch.zeros(1, dtype=torch.int64)
    loss = F.cross_entropy(logits, target, reduction="none", label_smoothing=0.1)
    assert bool(torch.isfinite(loss).all()), loss


@pytest.mark.xfail(
    strict=True,
    reason="torch 2.13 CPU: a weighted, smoothed float16 mean divides sum_i sum_c w_c (-log p_ic) by "
    "sum_kept w_{y_i} in float16 before scaling it by label_smoothing / C, so it is inf once that "
    "ratio passes 65504, even for one pixel whose mean is 70.8 (C = 1193 equal logits, w_y = 0.1); "
    "pytorch #85791 and #61523 are the reductions' form of it",
)
def test_float16_weighted_smoothed_mean_is_finite_for_a_small_target_weight():
    """Found by a randomized run of ``test_mean_within_pixel_range`` (C = 1193, weights in [0.1, 2]):
    the suite now draws float16 weights in ``ce_helpers.FLOAT16_WEIGHTS``."""
    weight = torch.ones(1193, dtype=torch.float16)
    weight[0] = 0.1
    problem = inv.Case(
        logits=torch.zeros(1, 1193, dtype=torch.float16),
        target=torch.zeros(1, dtype=torch.int64),
        weight=weight,
        reduction="mean",
        label_smoothing=1.0,
    )
    inv.check_mean_within_pixel_range(F.cross_entropy, problem)


@pytest.mark.xfail(
    strict=True,
    reason="torch 2.13 CPU: at logits log(q_eps) for label_smoothing 5e-262 (-609 off the target), "
    "float16 sums -log p over the 512 classes to inf (the 8192-class limitation above) and multiplies "
    "it by the smoothing, which float16 rounds to 0: NaN instead of H(q_eps) = 3e-259",
)
def test_float16_smoothing_floor_for_a_smoothing_below_the_smallest_normal():
    """Found by a randomized run of ``test_label_smoothing_floor``: the strategies now draw no nonzero
    smoothing below the dtype's smallest normal (6.1e-5 in float16)."""
    problem = inv.Case(
        logits=torch.zeros(1, 512, dtype=torch.float16),
        target=torch.zeros(1, dtype=torch.int64),
        reduction="none",
        label_smoothing=5e-262,
    )
    inv.check_label_smoothing_floor(F.cross_entropy, problem)


@pytest.mark.xfail(
    strict=True,
    reason="pytorch #134767: a negative label_smoothing is silently treated as 0 instead of rejected",
)
def test_negative_label_smoothing_is_rejected():
    logits = torch.zeros(2, 3)
    target = torch.tensor([0, 1])
    with pytest.raises((ValueError, RuntimeError)):
        F.cross_entropy(logits, target, label_smoothing=-0.1)


@pytest.mark.xfail(
    strict=True,
    reason="pytorch #11551: a row of all -inf logits at an ignored pixel gives a NaN gradient",
)
def test_ignored_all_minus_inf_row_has_zero_gradient():
    logits = torch.zeros(3, 4)
    logits[1] = -math.inf
    logits.requires_grad_(True)
    target = torch.tensor([0, -100, 2])
    F.cross_entropy(logits, target).backward()
    assert bool(torch.isfinite(logits.grad).all()), logits.grad
    assert bool((logits.grad[1] == 0).all())


@pytest.mark.xfail(
    strict=True,
    raises=RuntimeError,
    reason="pytorch #175084: nll_loss backward raises 'grad_input must be contiguous' for a "
    "non-contiguous 4D log-probability input",
)
def test_nll_loss_backward_on_non_contiguous_4d_input():
    z = torch.randn(2, 4, 5, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    log_probs = torch.log_softmax(z, dim=-1).permute(0, 3, 1, 2)  # (N, C, H, W), not contiguous
    target = torch.zeros(2, 4, 5, dtype=torch.int64)
    loss = F.nll_loss(log_probs, target)
    loss.backward()
    assert z.grad is not None and bool(torch.isfinite(z.grad).all())
