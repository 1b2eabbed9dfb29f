"""Cross-entropies that are right in every way but one, each wrapping torch's own: the one bug that a
single invariant of ``seglint.invariants`` exists to catch (see ``tests/test_necessity.py``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def none_flattened(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """``reduction='none'`` returns the per-pixel losses as one flat vector instead of ``(N, d..)``."""
    out = F.cross_entropy(
        input, target, weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
    )
    return out.reshape(-1) if reduction == "none" and out.dim() != 1 else out


def float32_returned_as_float64(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """The right values, handed back in float64 for a float32 input (a kernel that accumulates in
    float64 and forgets to cast back)."""
    out = F.cross_entropy(
        input, target, weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
    )
    return out.double() if input.dtype == torch.float32 else out


def saturated_pixels_below_zero(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """``logsumexp(z) - z_y`` rounded below zero: a pixel whose loss is exactly 0 comes out as the
    smallest negative normal number, far inside every tolerance but not ``>= 0``."""
    out = F.cross_entropy(
        input, target, weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
    )
    if reduction != "none":
        return out
    saturated = out == 0
    if target.dtype == torch.long:
        saturated &= target != ignore_index
    return torch.where(saturated, torch.full_like(out, -torch.finfo(out.dtype).tiny), out)


def mean_of_the_worst_pixel(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """``mean`` is twice the largest per-pixel loss (a reduction that adds where it should average)."""
    if reduction != "mean":
        return F.cross_entropy(
            input,
            target,
            weight,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )
    none = F.cross_entropy(
        input, target, weight, ignore_index=ignore_index, reduction="none", label_smoothing=label_smoothing
    )
    return 2 * none.max() + 1
