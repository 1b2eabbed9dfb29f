"""Contracts of ``F.cross_entropy``'s interface: output dtype, device and shape; inputs left unchanged;
memory layout; CPU determinism."""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from seglint.invariants._core import (
    Impl,
    as_case,
    assert_close,
    call,
    describe,
    grad_output_of,
    pairwise_allowed,
    pixel_shape,
    require_tensor,
    run_parts,
)

__all__ = [
    "check_deterministic",
    "check_inputs_unchanged",
    "check_layout_invariance",
    "check_output_dtype",
    "check_output_shape",
]


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

    def one(reduction: str, shape: tuple[int, ...]) -> None:
        out = call(impl, case, reduction=reduction)
        require_tensor(out, "output shape")
        if tuple(out.shape) != shape:
            raise AssertionError(
                f"reduction={reduction!r}: output shape {tuple(out.shape)} != expected {shape} ({describe(case)})"
            )

    expected = {"none": pixel_shape(case), "sum": (), "mean": ()}
    run_parts(*(functools.partial(one, reduction, shape) for reduction, shape in expected.items()))


def _bits(x: torch.Tensor) -> torch.Tensor:
    """``x``'s bit patterns (so that ``-0.0 != 0.0`` and NaN payloads count), as a CPU tensor."""
    x = x.detach().cpu().contiguous()
    if x.is_floating_point():
        x = x.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[x.element_size()])
    return x


def check_inputs_unchanged(impl: Impl, problem: Any) -> None:
    """The call leaves its inputs alone: logits, target and weight are bitwise unchanged after a
    forward pass without autograd, after one with ``logits.requires_grad``, and after the backward
    pass (with the problem's ``grad_output``).

    Fused kernels save memory by writing the gradient into the caller's logits buffer during the
    forward pass, or normalise class weights in place; either corrupts the caller's tensors (logits
    reused for metrics, a weight shared by every step) without changing any loss value.
    """
    case = as_case(problem)
    originals = {"logits": case.logits, "target": case.target, "weight": case.weight}
    expected = {name: _bits(t) for name, t in originals.items() if t is not None}

    def fresh() -> dict[str, torch.Tensor | None]:
        return {name: None if t is None else t.detach().clone() for name, t in originals.items()}

    def compare(inputs: dict[str, torch.Tensor | None], stage: str) -> None:
        for name, bits in expected.items():
            now = _bits(inputs[name])
            if now.shape != bits.shape or not torch.equal(now, bits):
                changed = int((now != bits).sum()) if now.shape == bits.shape else bits.numel()
                raise AssertionError(
                    f"inputs unchanged: the call changed the caller's {name} ({changed} of {bits.numel()} "
                    f"elements) {stage} ({describe(case)})"
                )

    inputs = fresh()
    call(impl, case.replace(**inputs))
    compare(inputs, "in a forward pass")
    inputs = fresh()
    inputs["logits"].requires_grad_(True)
    out = call(impl, case.replace(**inputs))
    compare(inputs, "in a forward pass with logits.requires_grad")
    if isinstance(out, torch.Tensor) and out.requires_grad:
        upstream = grad_output_of(case)
        if tuple(out.shape) == tuple(upstream.shape):
            out.backward(upstream.to(device=out.device, dtype=out.dtype))
            compare(inputs, "in the backward pass")


def check_deterministic(impl: Impl, problem: Any, *, thread_counts: tuple[int, ...] = (1, 2)) -> None:
    """On the CPU, repeated calls give bitwise identical results (NaN where NaN) with each of
    ``thread_counts`` intra-op threads, and the thread counts agree within
    ``tolerance(dtype, "symmetry")``. Skipped on other devices: CUDA reductions may use atomics.

    Across thread counts only rounding may differ: torch 2.13 sums a probability-target loss of more
    than 32,768 logits in per-thread chunks, so 1 and 2 threads differ in the last bits there (index
    targets stayed bitwise equal up to C = 65,536 in every layout).
    """
    case = as_case(problem)
    if case.device.type != "cpu":
        return
    previous = torch.get_num_threads()
    results = []
    try:
        for threads in thread_counts or (previous,):
            torch.set_num_threads(threads)
            results.append((threads, call(impl, case), call(impl, case)))
    finally:
        torch.set_num_threads(previous)
    for threads, first, again in results:
        require_tensor(first, "determinism")
        a = first.detach()
        b = again.detach() if isinstance(again, torch.Tensor) else None
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
                f"CPU determinism: two calls with {threads} thread(s) differ by up to {diff!r} ({describe(case)})"
            )
    (threads0, base, _), rest = results[0], results[1:]
    if rest:
        allowed = pairwise_allowed(case)
        for threads, other, _ in rest:
            assert_close(
                other,
                base.detach(),
                allowed,
                what=f"CPU determinism: {threads} thread(s) against {threads0} ({describe(case)})",
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
    case = as_case(problem)
    strided = case.replace(logits=_strided_copy(case.logits), target=_strided_copy(case.target))
    if strided.logits.is_contiguous() and strided.target.is_contiguous():
        return
    out = call(impl, strided)
    base = call(impl, case)
    require_tensor(base, "layout")
    allowed = pairwise_allowed(case)
    assert_close(out, base.detach(), allowed, what=f"non-contiguous inputs ({describe(case)})")
