"""The gradient with respect to the logits, in closed form."""

from __future__ import annotations

from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    as_case,
    assert_close,
    class_dim,
    class_first,
    definition,
    describe,
    grad_output_of,
)
from seglint.invariants.reductions import gradient_of

__all__ = ["check_gradient_closed_form", "expected_gradient"]


def expected_gradient(problem: Any) -> tuple[torch.Tensor, float]:
    """``(d <loss, g> / d z, scale)`` in float64, class-first like the logits, for the upstream
    gradient ``g`` (``problem.grad_output``; ones when it is ``None``).

    Per pixel ``g_i ((sum_c t_c) p - t)`` with ``t = w * q_eps`` (zero at ignored pixels); for index
    targets that is ``g_i [(1-eps) w_y (p - e_y) + (eps/C) ((sum_c w_c) p - w)]``, with ``g_i = g`` for
    ``sum`` and ``mean``. ``mean`` divides by ``sum_kept w_{y_i}`` (index) or the pixel count
    (probability). ``scale`` is ``max_c w_c * max|g|`` divided by that denominator (1 for ``sum`` /
    ``none``): the size of one pixel's share.
    """
    case = as_case(problem)
    defn = definition(case)
    grad = defn.mass.unsqueeze(-1) * defn.probs - defn.effective_target
    upstream = grad_output_of(case)
    grad = grad * (upstream.unsqueeze(-1) if case.reduction == "none" else upstream)
    max_w = 1.0 if case.weight is None else float(case.weight.detach().abs().max())
    max_g = float(upstream.abs().max()) if upstream.numel() else 0.0
    scale = max(max_w, 1e-300) * max_g
    if case.reduction == "mean":
        if defn.denominator == 0:
            return torch.zeros_like(grad), 0.0
        grad = grad / defn.denominator
        scale = scale / defn.denominator
    return class_first(grad), scale


def _gradient_of_the_probabilities(case) -> torch.Tensor:
    """``g_i mass_i p / D``: the part of the gradient proportional to the probabilities (class-first)."""
    defn = definition(case)
    upstream = grad_output_of(case)
    g = upstream.unsqueeze(-1) if case.reduction == "none" else upstream
    part = g * defn.mass.unsqueeze(-1) * defn.probs
    if case.reduction == "mean":
        part = part / defn.denominator if defn.denominator != 0 else torch.zeros_like(part)
    return class_first(part)


def check_gradient_closed_form(impl: Impl, problem: Any) -> None:
    """Autograd's vector-Jacobian product equals the closed form, and sums to zero over the classes.

    For the upstream gradient ``g`` (``problem.grad_output``: random signs and zeros, per pixel for
    ``none``; ones when ``None``): ``g_i [(1-eps) w_y (p - e_y) + (eps/C)((sum_c w_c) p - w)] /
    sum_kept w_y`` for ``mean`` with index targets (``(p - onehot)/n`` without weights, smoothing and
    ``g``), ``g_i ((sum_c w_c q_c) p - w q)`` per pixel for probability targets. Tolerance:
    ``tolerance(dtype, "gradient", scale=max w * max|g| / D)`` plus ``logsumexp_atol(dtype, C)``
    times the entry's ``g_i mass_i p_c / D`` (each probability carries the log-sum-exp's error); the
    sum over classes gets ``C / 4`` times the first part (C rounded terms) and the sum of the second.
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
    # Each p_c carries the relative error of the log-sum-exp (tolerances.logsumexp_atol).
    lse = tolerances.logsumexp_atol(case.dtype, case.num_classes)
    probability_part = lse * _gradient_of_the_probabilities(case).abs()
    assert_close(grad, expected, atol + probability_part, what=f"gradient closed form ({describe(case)})")
    sums = grad.double().sum(dim=class_dim(grad))
    assert_close(
        sums,
        torch.zeros_like(sums),
        atol * max(1.0, case.num_classes / 4) + probability_part.sum(dim=class_dim(grad)),
        what=f"gradient sums to zero over the classes ({describe(case)})",
    )
