"""Label smoothing: the closed form (with weights and ignored pixels) and the entropy floor."""

from __future__ import annotations

import math
from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    as_case,
    as_index_case,
    assert_close,
    assert_within,
    call,
    class_first,
    describe,
    kept_mask,
    per_pixel_if_supported,
    reduced_expectation,
    require_tensor,
)
from seglint.invariants.agreement import check_matches_definition

__all__ = [
    "DEFAULT_SMOOTHING",
    "check_label_smoothing_closed_form",
    "check_label_smoothing_floor",
    "smoothed_entropy",
]

#: Smoothing used when a problem has none, so that the smoothing checks always smooth.
DEFAULT_SMOOTHING = 0.25


def smoothed_entropy(num_classes: int, smoothing: float) -> float:
    """``H(q_eps) = -(1-eps+eps/C) log(1-eps+eps/C) - (C-1)(eps/C) log(eps/C)``: the smallest
    possible smoothed loss of one pixel (reached at ``z = log q_eps``)."""
    top = 1.0 - smoothing + smoothing / num_classes
    rest = smoothing / num_classes
    h = -top * math.log(top) if top > 0 else 0.0
    if rest > 0:
        h -= (num_classes - 1) * rest * math.log(rest)
    return h


def check_label_smoothing_closed_form(impl: Impl, problem: Any) -> None:
    """``l_i = (1-eps) w_{y_i} (-log p_{i,y_i}) + (eps/C) sum_c w_c (-log p_ic)`` at kept pixels, 0 at
    ignored ones; ``mean = sum_kept l_i / sum_kept w_{y_i}`` (pytorch #73205: ignored pixels carry no
    smoothing term). Uses the problem's smoothing, or ``DEFAULT_SMOOTHING`` when it has none.
    """
    case = as_case(problem)
    if case.label_smoothing == 0.0:
        case = case.replace(label_smoothing=DEFAULT_SMOOTHING)
    check_matches_definition(impl, case)


def check_label_smoothing_floor(impl: Impl, problem: Any) -> None:
    """Smoothed loss never falls below ``H(q_eps)`` and reaches it at ``z = log q_eps``.

    Index targets (a probability problem is checked on its argmax), unweighted, at kept pixels, per
    pixel (``reduction="none"``) or, for an implementation that declares no ``none``, with the
    problem's reduction (a ``mean`` has the same floor, a ``sum`` ``n_kept`` times it). The floor
    is allowed ``tolerance(dtype, "floor")`` below; equality uses ``tolerance(dtype, "linearity")``
    twice over (measured 25 eps in float32: the optimum has logits of size ``|log(eps/C)|``).
    """
    case = as_index_case(as_case(problem))
    eps = case.label_smoothing if case.label_smoothing > 0 else DEFAULT_SMOOTHING
    num_classes = case.num_classes
    case = per_pixel_if_supported(impl, case.replace(weight=None, label_smoothing=eps))
    floor = smoothed_entropy(num_classes, eps)
    kept = kept_mask(case).cpu()
    out = call(impl, case)
    require_tensor(out, "output")
    _, atol = tolerances.tolerance(case.dtype, "floor")
    max_abs = float(case.logits.detach().abs().max())
    slack = atol * max(1.0, floor) + tolerances.logit_atol(case.dtype) * max_abs
    assert_within(out, case, floor, math.inf, slack, what=f"label smoothing floor H(q_eps)={floor:.6g}")
    # Equality at z = log q_eps.
    target = case.target.detach().cpu()
    safe = torch.where(kept, target, torch.zeros_like(target))
    q = torch.nn.functional.one_hot(safe, num_classes).double() * (1.0 - eps) + eps / num_classes
    logits = class_first(torch.log(q)).to(case.dtype).to(case.device)
    out = call(impl, case.replace(logits=logits))
    rtol, atol = tolerances.tolerance(case.dtype, "linearity", num_classes=num_classes)
    max_abs = float(torch.log(q).abs().max())
    per_pixel = 2 * rtol * floor + atol + 2 * tolerances.logit_atol(case.dtype) * max_abs
    expected, allowed = reduced_expectation(
        torch.full(kept.shape, floor, dtype=torch.float64), per_pixel, case
    )
    assert_close(
        out,
        expected,
        allowed,
        what=f"label smoothing reaches H(q_eps)={floor:.6g} at z = log q_eps ({describe(case)})",
    )
