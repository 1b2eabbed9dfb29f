"""Contracts of ``F.cross_entropy``'s interface: output dtype, device and shape; memory layout; CPU
determinism."""

from __future__ import annotations

import math
from typing import Any

import torch

from seglint.invariants._core import Impl, as_case, call, describe, pixel_shape, require_tensor

__all__ = ["check_deterministic", "check_layout_invariance", "check_output_dtype", "check_output_shape"]


def check_output_dtype(impl: Impl, problem: Any) -> None:
    """The loss has the logits' dtype and device (a float16 input gives a float16 loss)."""
    case = as_case(problem)
    out = call(impl, case)
    require_tensor(out, "output dtype")
    if out.dtype != case.dtype:
        raise AssertionError(f"output dtype {out.dtype} != input dtype {case.dtype} ({describe(case)})")
    if out.device.type != case.device.type:
        raise AssertionError(f"output device {out.device} != input device {case.device} ({describe(case)})")


def check_output_shape(impl: Impl, problem: Any) -> None:
    """``reduction='none'`` has the target's shape (index targets) or the logits' shape without C
    (probability targets), i.e. ``(N, d..)``; ``sum`` and ``mean`` are 0-dimensional."""
    case = as_case(problem)
    expected = {"none": pixel_shape(case), "sum": (), "mean": ()}
    for reduction, shape in expected.items():
        out = call(impl, case, reduction=reduction)
        require_tensor(out, "output shape")
        if tuple(out.shape) != shape:
            raise AssertionError(
                f"reduction={reduction!r}: output shape {tuple(out.shape)} != expected {shape} ({describe(case)})"
            )


def check_deterministic(impl: Impl, problem: Any, *, thread_counts: tuple[int, ...] = (1, 2)) -> None:
    """On the CPU, repeated calls give bitwise identical results (NaN where NaN), also when torch
    runs with each of ``thread_counts`` intra-op threads. Skipped on other devices: CUDA reductions
    may use atomics."""
    case = as_case(problem)
    if case.device.type != "cpu":
        return
    previous = torch.get_num_threads()
    results = []
    try:
        for threads in thread_counts or (previous,):
            torch.set_num_threads(threads)
            results.append((threads, call(impl, case)))
            results.append((threads, call(impl, case)))
    finally:
        torch.set_num_threads(previous)
    (threads0, first), rest = results[0], results[1:]
    require_tensor(first, "determinism")
    a = first.detach()
    for threads, other in rest:
        b = other.detach() if isinstance(other, torch.Tensor) else None
        same = (
            b is not None
            and a.shape == b.shape
            and torch.equal(torch.isnan(a), torch.isnan(b))
            and torch.equal(torch.nan_to_num(a, nan=0.0), torch.nan_to_num(b, nan=0.0))
        )
        if not same:
            diff = (
                float((a.double() - b.double()).abs().max())
                if b is not None and a.shape == b.shape
                else math.nan
            )
            raise AssertionError(
                f"CPU determinism: a call with {threads} thread(s) differs from one with {threads0} by up to "
                f"{diff!r} ({describe(case)})"
            )


def _strided_copy(x: torch.Tensor) -> torch.Tensor:
    """The same values as ``x`` in a non-contiguous layout: classes-last memory for ``(N, C, d..)``,
    column-major for 2D, every other element of a buffer for 1D."""
    if x.dim() >= 3:
        return x.movedim(1, -1).contiguous().movedim(-1, 1)
    if x.dim() == 2:
        return x.t().contiguous().t()
    if x.dim() == 1:
        return torch.stack([x, x], dim=-1)[:, 0]
    return x


def check_layout_invariance(impl: Impl, problem: Any) -> None:
    """Non-contiguous logits and targets (classes-last memory, transposed or strided views) give the
    same loss as contiguous ones: bitwise for torch on the CPU, within ``tolerance(dtype, "symmetry")``
    here. Catches a kernel that reads ``data_ptr()`` assuming contiguous strides."""
    from seglint import tolerances
    from seglint.invariants._core import allowed_error, assert_close, definition

    case = as_case(problem)
    strided = case.replace(logits=_strided_copy(case.logits), target=_strided_copy(case.target))
    if strided.logits.is_contiguous() and strided.target.is_contiguous():
        return
    out = call(impl, strided)
    base = call(impl, case)
    require_tensor(base, "layout")
    defn = definition(case)
    rtol, atol = tolerances.tolerance(case.dtype, "symmetry", num_classes=case.num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    allowed = allowed_error(
        defn, rtol=rtol, atol=atol, reduction_rtol=red_rtol, logit_atol=2 * tolerances.logit_atol(case.dtype)
    )
    assert_close(out, base.detach(), allowed, what=f"non-contiguous inputs ({describe(case)})")
