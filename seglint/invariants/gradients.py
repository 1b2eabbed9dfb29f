"""The gradient with respect to the logits, in closed form."""

from __future__ import annotations

from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import Impl, as_case, assert_close, class_first, definition, describe
from seglint.invariants.reductions import gradient_of

__all__ = ["check_gradient_closed_form", "expected_gradient"]


def expected_gradient(problem: Any) -> tuple[torch.Tensor, float]:
    """``(d loss.sum() / d z, scale)`` in float64, class-first like the logits.

    Per pixel ``(sum_c t_c) p - t`` with ``t = w * q_eps`` (zero at ignored pixels); for index targets
    that is ``(1-eps) w_y (p - e_y) + (eps/C) ((sum_c w_c) p - w)``. ``mean`` divides by
    ``sum_kept w_{y_i}`` (index) or the pixel count (probability). ``scale`` is ``max_c w_c`` divided by
    that denominator (1 for ``sum``/``none``): the size of one pixel's share.
    """
    case = as_case(problem)
    defn = definition(case)
    grad = defn.mass.unsqueeze(-1) * defn.probs - defn.effective_target
    max_w = 1.0 if case.weight is None else float(case.weight.detach().abs().max())
    scale = max(max_w, 1e-300)
    if case.reduction == "mean":
        if defn.denominator == 0:
            return torch.zeros_like(grad), 0.0
        grad = grad / defn.denominator
        scale = scale / defn.denominator
    return class_first(grad), scale


def check_gradient_closed_form(impl: Impl, problem: Any) -> None:
    """Autograd's gradient of the loss equals the closed form, and sums to zero over the classes.

    ``d/dz = [(1-eps) w_y (p - e_y) + (eps/C)((sum_c w_c) p - w)] / sum_kept w_y`` for ``mean`` with
    index targets (``(p - onehot)/n`` without weights and smoothing), ``(sum_c w_c q_c) p - w q`` per
    pixel for probability targets. Tolerance: ``tolerance(dtype, "gradient", scale=max w / D)``;
    the sum over classes gets ``C / 4`` times that (C rounded terms).
    """
    case = as_case(problem)
    _, grad = gradient_of(impl, case, what="gradient")
    expected, scale = expected_gradient(case)
    max_abs = float(case.logits.detach().abs().max()) if case.logits.numel() else 0.0
    _, atol = tolerances.tolerance(
        case.dtype, "gradient", num_classes=case.num_classes, scale=scale, max_abs_logit=max_abs
    )
    if grad.dtype != case.dtype:
        raise AssertionError(f"gradient dtype {grad.dtype} != logits dtype {case.dtype}")
    assert_close(grad, expected, atol, what=f"gradient closed form ({describe(case)})")
    class_dim = 1 if grad.dim() >= 2 else 0
    sums = grad.double().sum(dim=class_dim)
    assert_close(
        sums,
        torch.zeros_like(sums),
        atol * max(1.0, case.num_classes / 4),
        what=f"gradient sums to zero over the classes ({describe(case)})",
    )
