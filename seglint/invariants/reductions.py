"""Reductions and ``ignore_index``: how the per-pixel losses become ``sum`` and ``mean``."""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    as_case,
    as_index_case,
    assert_close,
    call,
    class_last,
    definition,
    describe,
    grad_output_of,
    kept_mask,
    pairwise_allowed,
    require_tensor,
    run_parts,
)

__all__ = [
    "check_all_ignored",
    "check_ignore_equals_removal",
    "check_ignored_pixels_zero",
    "check_mean_is_sum_over_weight",
    "check_mean_within_pixel_range",
    "gradient_of",
]


def gradient_of(impl: Impl, case, *, what: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``(output, vector-Jacobian product)`` for ``case``, with the logits as a fresh leaf.

    The product is ``d <output, g> / d logits`` for the upstream gradient ``g`` of
    :func:`grad_output_of` (random signs and zeros when the problem draws one), so a backward that
    ignores its ``grad_output`` is caught; ones would only check the gradient of ``out.sum()``.
    """
    logits = case.logits.detach().clone().requires_grad_(True)
    out = call(impl, case, logits=logits)
    require_tensor(out, what)
    if not out.requires_grad:
        raise AssertionError(f"{what}: the output does not depend on the logits through autograd")
    upstream = grad_output_of(case)
    if tuple(out.shape) != tuple(upstream.shape):
        raise AssertionError(
            f"{what}: output shape {tuple(out.shape)} != expected {tuple(upstream.shape)} ({describe(case)})"
        )
    g = upstream.to(device=out.device, dtype=out.dtype)
    (grad,) = torch.autograd.grad(out, logits, grad_outputs=g, allow_unused=True)
    if grad is None:
        grad = torch.zeros_like(logits)
    return out.detach(), grad.detach()


def check_mean_is_sum_over_weight(impl: Impl, problem: Any) -> None:
    """``sum == sum(none)`` and ``mean == sum / D`` with ``D = sum_kept w_{y_i}`` for index targets
    (``#kept`` without weights) and ``D = `` the pixel count for probability targets (with or without
    weights, pytorch #61309). Tolerance: ``tolerance(dtype, "symmetry")`` per pixel plus
    ``tolerance(dtype, "reduced")``.
    """
    case = as_case(problem)
    out_none = call(impl, case, reduction="none")
    out_sum = call(impl, case, reduction="sum")
    out_mean = call(impl, case, reduction="mean")
    for name, out in (("none", out_none), ("sum", out_sum), ("mean", out_mean)):
        require_tensor(out, "reductions")
    defn = definition(case.replace(reduction="sum"))
    allowed_sum = pairwise_allowed(case, defn)
    assert_close(
        out_sum,
        out_none.detach().double().sum(),
        allowed_sum,
        what=f"sum == sum of 'none' ({describe(case)})",
    )
    denominator = defn.denominator
    if denominator == 0:
        return
    kind = "#kept pixels" if case.weight is None else "sum of kept w[y]"
    if case.target_kind == "probability":
        kind = "pixel count"
    assert_close(
        out_mean,
        out_sum.detach().double() / denominator,
        allowed_sum / denominator,
        what=f"mean == sum / {kind} = sum / {denominator:g} ({describe(case)})",
    )


def check_mean_within_pixel_range(impl: Impl, problem: Any) -> None:
    """``mean`` is a weighted average of the kept pixels' ``none / w_{y_i}`` (of ``none`` for
    probability targets), so it lies within their range, widened by ``tolerance(dtype, "reduced")``.
    Also: ``mean`` is finite wherever every per-pixel loss is (the float16 overflow of pytorch #85791).
    """
    case = as_case(problem)
    out_none = call(impl, case, reduction="none")
    out_mean = call(impl, case, reduction="mean")
    kept = kept_mask(case).cpu()
    if not bool(kept.any()):
        return
    per_pixel = out_none.detach().cpu().double()
    if case.target_kind == "index" and case.weight is not None:
        safe = torch.where(kept, case.target.cpu(), torch.zeros_like(case.target.cpu()))
        per_pixel = per_pixel / case.weight.detach().cpu().double()[safe]
    values = per_pixel[kept]
    if not bool(torch.isfinite(values).all()):
        return
    mean = float(out_mean.detach().cpu().double())
    rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    lo, hi = float(values.min()), float(values.max())
    slack = rtol * max(abs(lo), abs(hi))
    if not (lo - slack <= mean <= hi + slack):
        raise AssertionError(
            f"mean {mean!r} outside the per-pixel range [{lo!r}, {hi!r}] (+- {slack:.3g}) ({describe(case)})"
        )


def with_an_ignored_pixel(case):
    """``case`` with at least one ignored pixel: when none is, the first pixel's label becomes
    ``ignore_index``, so that the ignore checks never pass without ignoring anything."""
    if case.target_kind != "index" or case.target.numel() == 0:
        return case
    if bool((case.target == case.ignore_index).any()):
        return case
    target = case.target.clone(memory_format=torch.contiguous_format)
    target.view(-1)[0] = case.ignore_index
    return case.replace(target=target)


def check_ignored_pixels_zero(impl: Impl, problem: Any) -> None:
    """Pixels whose target is ``ignore_index`` give exactly 0 in ``none`` (``-0.0`` counts) and get an
    exactly zero, finite gradient under the problem's reduction.

    Index targets (a probability problem is checked on its argmax); a problem without an ignored
    pixel gets one (:func:`with_an_ignored_pixel`). ``ignore_index`` may be a class of ``[0, C)``.
    """
    case = with_an_ignored_pixel(as_index_case(as_case(problem)))
    ignored = ~kept_mask(case)

    def values() -> None:
        out = call(impl, case, reduction="none")
        require_tensor(out, "output")
        if tuple(out.shape) != tuple(case.target.shape):
            raise AssertionError(
                f"ignored pixels: 'none' output shape {tuple(out.shape)} != {tuple(case.target.shape)}"
            )
        got = out.detach()[ignored]
        if bool((got != 0).any()):
            raise AssertionError(
                f"ignored pixels must give exactly 0 in 'none', got {got[got != 0][:5].tolist()} "
                f"({describe(case)})"
            )

    def gradient() -> None:
        _, grad = gradient_of(impl, case, what="ignored pixels")
        at_ignored = class_last(grad).cpu()[ignored.cpu()]
        if bool((at_ignored != 0).any()):
            worst = float(at_ignored.abs().max())
            raise AssertionError(
                f"ignored pixels must get exactly zero gradient, got |grad| up to {worst!r} ({describe(case)})"
            )

    run_parts(values, gradient)


def check_ignore_equals_removal(impl: Impl, problem: Any) -> None:
    """Ignoring pixels equals removing them: the result on the kept pixels alone, as an ``(n_kept, C)``
    input, is the same (``none`` compared on the kept pixels). Index targets (a probability problem is
    checked on its argmax); a problem without an ignored pixel gets one."""
    case = with_an_ignored_pixel(as_index_case(as_case(problem)))
    kept = kept_mask(case)
    out = call(impl, case)
    if not bool(kept.any()) or bool(kept.all()):
        return  # nothing left to compare with (check_all_ignored covers an all-ignored map)
    num_classes = case.num_classes
    logits = class_last(case.logits)[kept].reshape(-1, num_classes)
    target = case.target[kept].reshape(-1)
    removed = case.replace(logits=logits, target=target)
    expected = call(impl, removed)
    require_tensor(out, "out")
    require_tensor(expected, "expected")
    if case.reduction == "none":
        if tuple(out.shape) != tuple(case.target.shape):
            raise AssertionError(
                f"ignore == removal: 'none' output shape {tuple(out.shape)} != {tuple(case.target.shape)}"
            )
        out = out[kept]
    allowed = pairwise_allowed(removed)
    assert_close(out, expected.detach(), allowed, what=f"ignoring pixels == removing them ({describe(case)})")


def check_all_ignored(impl: Impl, problem: Any) -> None:
    """Every pixel ignored: ``none`` is all zeros, ``sum`` is 0, ``mean`` is NaN (0/0, PyTorch's
    documented behaviour), and the gradient is exactly zero and finite, also with weights and
    smoothing. A NaN gradient here poisons a training run that meets a fully unlabelled batch.
    Index targets (a probability problem is checked on its argmax)."""
    case = as_index_case(as_case(problem))
    target = torch.full_like(case.target, case.ignore_index)
    case = case.replace(target=target)

    def one(reduction: str) -> None:
        sub = case.replace(reduction=reduction)
        out, grad = gradient_of(impl, sub, what=f"all pixels ignored, reduction={reduction!r}")
        value = out.cpu().double()
        if reduction == "mean":
            if tuple(value.shape) != () or not math.isnan(float(value)):
                raise AssertionError(
                    f"all pixels ignored: mean must be NaN (0/0), got {value.tolist()!r} ({describe(sub)})"
                )
        else:
            expected_shape = tuple(target.shape) if reduction == "none" else ()
            if tuple(value.shape) != expected_shape or bool((value != 0).any()):
                raise AssertionError(
                    f"all pixels ignored: {reduction} must be exactly 0, got "
                    f"{value.reshape(-1)[:5].tolist()!r} ({describe(sub)})"
                )
        if not bool((grad == 0).all()):
            bad = grad[grad != 0]
            raise AssertionError(
                f"all pixels ignored: the gradient must be exactly 0, got {bad[:5].tolist()!r} "
                f"(reduction={reduction!r}; {describe(sub)})"
            )

    run_parts(*(functools.partial(one, reduction) for reduction in ("none", "sum", "mean")))
