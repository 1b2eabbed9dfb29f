"""Closed forms: scaled one-hot logits, raw one-hot input, uniform logits, the double-softmax window."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from seglint import tolerances
from seglint.implementations import supported_of
from seglint.invariants._core import (
    Impl,
    allowed_error,
    as_case,
    as_index_case,
    assert_close,
    assert_within,
    call,
    class_dim,
    definition,
    describe,
    one_hot,
    per_pixel_if_supported,
    require_tensor,
)

__all__ = [
    "DEFAULT_SCALES",
    "check_double_softmax_window",
    "check_raw_one_hot",
    "check_scaled_one_hot",
    "check_scaled_one_hot_monotone",
    "check_uniform_logits",
    "one_hot_loss",
    "scaled_one_hot_loss",
]

#: Scales covering far negative, small, large and overflowing (|s| > 88.7, > 709.8) values.
DEFAULT_SCALES = (
    -1000.0,
    -100.0,
    -30.0,
    -5.0,
    -1.0,
    -0.25,
    0.0,
    0.5,
    1.0,
    2.0,
    4.0,
    7.0,
    9.0,
    12.0,
    16.0,
    20.0,
    30.0,
    45.0,
    60.0,
    100.0,
    1000.0,
)


def scaled_one_hot_loss(s: torch.Tensor, num_classes: int) -> torch.Tensor:
    """``log(1 + (C-1) e^{-s}) = softplus(log(C-1) - s)`` in float64, accurate for every s."""
    s = torch.as_tensor(s, dtype=torch.float64)
    if num_classes < 2:
        return torch.zeros_like(s)
    x = math.log(num_classes - 1) - s
    return torch.clamp(x, min=0.0) + torch.log1p(torch.exp(-x.abs()))


def one_hot_loss(num_classes: int) -> float:
    """``v_C = log(1 + (C-1)/e)``: the loss of a raw one-hot "prediction" of the right class."""
    return math.log1p((num_classes - 1) / math.e)


def _scaled_one_hot_inputs(
    scales: Sequence[float] | torch.Tensor,
    num_classes: int,
    dtype: torch.dtype,
    device: Any,
    path: str,
    target: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    s = torch.as_tensor(scales, dtype=torch.float64).reshape(-1).to(dtype)
    n = s.numel()
    if target is None:
        target = torch.arange(n) % num_classes
    target = torch.as_tensor(target, dtype=torch.int64).reshape(-1)
    logits = torch.nn.functional.one_hot(target, num_classes).to(dtype) * s.unsqueeze(1)
    if path == "2d":
        return logits.to(device), target.to(device), s
    if path == "nd":
        return logits.T.unsqueeze(0).contiguous().to(device), target.unsqueeze(0).to(device), s
    raise ValueError(f"unknown path {path!r}; available: '2d', 'nd'")


def _pixel_losses(impl: Impl, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``impl(logits, target, reduction="none")`` for unweighted pixels that are all kept; an
    implementation that declares no ``none`` is called once per pixel instead (a batch of one, whose
    ``mean`` and ``sum`` are the pixel's loss), so the closed forms still hold it to every value."""
    reductions = supported_of(impl).reductions
    if "none" in reductions:
        return impl(logits, target, reduction="none")
    reduction = reductions[0]
    if target.dim() == 1:  # (n, C): rows
        pixels = [
            impl(logits[i : i + 1], target[i : i + 1], reduction=reduction) for i in range(target.numel())
        ]
    else:  # (1, C, n)
        pixels = [
            impl(logits[..., i : i + 1], target[..., i : i + 1], reduction=reduction)
            for i in range(target.shape[-1])
        ]
    for out in pixels:
        require_tensor(out, f"the loss of one pixel (reduction={reduction!r})")
    return torch.stack([out.reshape(()) for out in pixels]).reshape(target.shape)


def check_scaled_one_hot(
    impl: Impl,
    *,
    num_classes: int,
    scales: Sequence[float] | torch.Tensor = DEFAULT_SCALES,
    dtype: torch.dtype = torch.float32,
    device: Any = "cpu",
    path: str = "2d",
    target: torch.Tensor | None = None,
) -> None:
    """``CE(s * onehot(y), y) == log(1 + (C-1) e^{-s})`` for each scale s (rounded to ``dtype``).

    Also: the loss is ``>= 0`` everywhere (``-0.0`` counts). ``path="2d"`` puts the pixels in an
    ``(n, C)`` input, ``"nd"`` in a ``(1, C, n)`` one (an implementation without ``reduction="none"``
    gets one pixel per call). Tolerance: ``tolerance(dtype, "closed_form")``
    plus the backward-stability term ``logit_atol(dtype) * |s|``. (That the loss stays ``> 0`` up to
    ``tolerances.positive_limit`` and is exactly 0 past ``tolerances.zero_threshold`` holds for torch's
    kernels, see :func:`check_torch_scaled_one_hot_zero`; a ``logsumexp(z) - z_y`` kernel reaches 0
    sooner, a float64 one later, and both are correct.)
    """
    logits, target, s = _scaled_one_hot_inputs(scales, num_classes, dtype, device, path, target)
    out = _pixel_losses(impl, logits, target)
    expected = scaled_one_hot_loss(s.double(), num_classes).reshape(target.shape)
    rtol, atol = tolerances.tolerance(dtype, "closed_form", num_classes=num_classes)
    what = f"scaled one-hot closed form (C={num_classes}, {dtype}, path {path})"
    stability = tolerances.logit_atol(dtype) * s.double().abs().reshape(target.shape)
    assert_close(out, expected, atol + rtol * expected.abs() + stability, what=what)
    flat = out.detach().cpu().double().reshape(-1)
    if bool((flat < 0).any()):
        i = int(torch.nonzero(flat < 0)[0])
        raise AssertionError(f"{what}: loss {float(flat[i])!r} < 0 at s={float(s[i])!r}")


def check_scaled_one_hot_monotone(
    impl: Impl,
    *,
    num_classes: int,
    scales: Sequence[float] | torch.Tensor,
    dtype: torch.dtype = torch.float32,
    device: Any = "cpu",
    path: str = "2d",
) -> None:
    """``CE(s * onehot(y), y)`` is non-increasing in s (after sorting the scales).

    A rise of ``tolerances.monotone_ulps(dtype)`` ulps is allowed (1 in bfloat16/float16: torch's
    bfloat16 ``(N, C)`` kernel rises by one ulp at places), plus twice the backward-stability error
    ``logit_atol(dtype) * |s|`` (a ``logsumexp(z) - z_y`` kernel rounds its log-sum-exp at ``|s|``).
    """
    s = torch.as_tensor(scales, dtype=torch.float64).reshape(-1).to(dtype).double().sort().values
    target = torch.zeros(s.numel(), dtype=torch.int64)
    logits, target, _ = _scaled_one_hot_inputs(s, num_classes, dtype, device, path, target)
    out = _pixel_losses(impl, logits, target).detach().cpu().reshape(-1)
    if out.dtype != dtype:
        raise AssertionError(f"monotone: output dtype {out.dtype} != input dtype {dtype}")
    limit = out[:-1]
    for _ in range(tolerances.monotone_ulps(dtype)):
        limit = torch.nextafter(limit, torch.full_like(limit, math.inf))
    # Two evaluations, each allowed the backward-stability error logit_atol * |s|.
    stability = 2 * tolerances.logit_atol(dtype) * s.abs()
    rises = out[1:].double() > limit.double() + stability[1:]
    if bool(rises.any()):
        i = int(torch.nonzero(rises)[0])
        raise AssertionError(
            f"scaled one-hot must be non-increasing in s (C={num_classes}, {dtype}, path {path}): "
            f"CE(s={float(s[i])!r}) = {float(out[i])!r} but CE(s={float(s[i + 1])!r}) = {float(out[i + 1])!r} "
            f"(allowed rise: {tolerances.monotone_ulps(dtype)} ulp)"
        )


def check_raw_one_hot(impl: Impl, problem: Any) -> None:
    """A one-hot "prediction" of the right class as logits scores ``v_C = log(1 + (C-1)/e)``.

    Per pixel ``w_{y_i} v_C`` (0 at ignored pixels); ``sum = sum_kept w_{y_i} v_C``; ``mean = v_C``.
    Probability targets are replaced by their argmax; label smoothing is set to 0.
    """
    case = as_index_case(as_case(problem))
    num_classes = case.num_classes
    case = case.replace(label_smoothing=0.0)
    logits = one_hot(case.target, num_classes, dtype=case.dtype, ignore_index=case.ignore_index)
    case = case.replace(logits=logits.to(case.device))
    out = call(impl, case)
    defn = definition(case)
    v = one_hot_loss(num_classes)
    per_pixel = defn.mass * v
    expected = {"none": per_pixel, "sum": per_pixel.sum(), "mean": per_pixel.sum() / defn.denominator}[
        case.reduction
    ]
    rtol, atol = tolerances.tolerance(case.dtype, "closed_form", num_classes=num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    allowed = allowed_error(
        defn,
        rtol=rtol,
        atol=atol,
        reduction_rtol=red_rtol,
        per_pixel=per_pixel,
        logit_atol=tolerances.logit_atol(case.dtype),
    )
    assert_close(
        out, expected, allowed, what=f"raw one-hot input gives v_C={v:.6g} per pixel ({describe(case)})"
    )


def check_uniform_logits(impl: Impl, problem: Any) -> None:
    """Logits that are constant over the classes of a pixel give ``log C`` per unit of weight."""
    case = as_case(problem)
    z = case.logits[:, :1] if case.logits.dim() >= 2 else case.logits[:1]
    case = case.replace(logits=z.expand_as(case.logits).contiguous())
    out = call(impl, case)
    defn = definition(case)
    per_pixel = defn.mass * math.log(case.num_classes)
    expected = {"none": per_pixel, "sum": per_pixel.sum(), "mean": per_pixel.sum() / defn.denominator}[
        case.reduction
    ]
    rtol, atol = tolerances.tolerance(case.dtype, "uniform", num_classes=case.num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    allowed = allowed_error(
        defn,
        rtol=rtol,
        atol=atol,
        reduction_rtol=red_rtol,
        per_pixel=per_pixel,
        logit_atol=tolerances.logit_atol(case.dtype),
    )
    assert_close(out, expected, allowed, what=f"uniform logits give log C ({describe(case)})")


def check_double_softmax_window(impl: Impl, problem: Any) -> None:
    """``v_C <= CE(softmax(z), y) <= log(C - 1 + e)`` at every kept pixel, for any finite z, C >= 2.

    The fact behind SEG001: cross-entropy of a softmax output can never go below ``v_C`` (0.313 for
    C=2), and the window is one nat wide. Unweighted, no smoothing, per pixel (ignored pixels give
    exactly 0) or, for an implementation without ``none``, with the problem's reduction (a ``mean``
    lies in the window, a ``sum`` in ``n_kept`` times it); probability targets are replaced by their argmax. Tolerance: ``tolerance(dtype,
    "bounds")`` times the bound, plus the rounding of the C-term log-sum-exp (``logsumexp_atol``: C
    terms near 1 each, 4.1e-4 measured at C = 65,536 in float32, where 8 eps of the bound allowed
    1.1e-5), plus ``tolerance(dtype, "reduced")`` for a reduction.
    """
    case = as_case(problem)
    num_classes = case.num_classes
    if num_classes < 2:
        return
    case = as_index_case(case)
    probs = torch.softmax(case.logits.detach(), dim=class_dim(case.logits))
    case = per_pixel_if_supported(impl, case.replace(logits=probs, weight=None, label_smoothing=0.0))
    out = call(impl, case)
    require_tensor(out, "output")
    lo = one_hot_loss(num_classes)
    hi = math.log(num_classes - 1 + math.e)
    rtol, atol = tolerances.tolerance(case.dtype, "bounds")
    slack = (
        rtol * hi
        + atol
        + tolerances.logit_atol(case.dtype)  # softmax outputs: |z| <= 1
        + tolerances.logsumexp_atol(case.dtype, num_classes)
    )
    assert_within(
        out,
        case,
        lo,
        hi,
        slack,
        what=f"double-softmax window [{lo:.6g}, {hi:.6g}] (+- {slack:.2g}) for CE(softmax(z), y)",
    )
