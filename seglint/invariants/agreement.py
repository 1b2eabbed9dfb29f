"""Agreement with the float64 definition, across dtypes and across devices."""

from __future__ import annotations

from typing import Any

import torch

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    allowed_error,
    as_case,
    assert_close,
    call,
    cast,
    definition,
    describe,
    num_pixels,
    to_device,
)

__all__ = [
    "check_device_agreement",
    "check_dtype_agreement",
    "check_finite_for_large_logits",
    "check_matches_definition",
]


def check_matches_definition(impl: Impl, problem: Any) -> None:
    """``impl(problem)`` equals the float64 definition evaluated on the same (rounded) inputs.

    Expected: ``l_i = -sum_c w_c q_ic log softmax(z_i)_c`` with the smoothed target ``q``, zero at
    ignored pixels; ``sum`` adds them, ``mean`` divides by ``sum_kept w_{y_i}`` (index targets) or by
    the pixel count (probability targets). Tolerance: ``tolerance(dtype, "none")`` per pixel, scaled by
    the pixel's weight, plus ``tolerance(dtype, "reduced")`` for a reduction's own rounding.
    """
    case = as_case(problem)
    out = call(impl, case)
    defn = definition(case)
    rtol, atol = tolerances.tolerance(case.dtype, "none", num_classes=case.num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced", num_classes=case.num_classes)
    allowed = allowed_error(
        defn, rtol=rtol, atol=atol, reduction_rtol=red_rtol, logit_atol=tolerances.logit_atol(case.dtype)
    )
    assert_close(out, defn.value, allowed, what=f"definition ({describe(case)})")


def check_dtype_agreement(impl: Impl, problem: Any, dtype: torch.dtype) -> None:
    """``impl`` in ``dtype`` agrees with the float64 definition on the inputs rounded to ``dtype``.

    The honest low-precision comparison (docs/INVARIANTS.md §5): round first, then compare, so only the
    implementation's own rounding is measured.
    """
    check_matches_definition(impl, cast(as_case(problem), dtype))


def check_device_agreement(impl: Impl, problem: Any, device: Any) -> None:
    """The same problem on the CPU and on ``device`` both match the definition; float32/float64 also
    agree with each other directly within ``tolerance(dtype, "device")``.

    bfloat16/float16 are compared with the definition only, as PyTorch does (CPU/CUDA parity is not a
    promise in half precision).
    """
    case = as_case(problem)
    cpu_case = to_device(case, "cpu")
    dev_case = to_device(case, device)
    check_matches_definition(impl, cpu_case)
    check_matches_definition(impl, dev_case)
    if case.dtype in (torch.float32, torch.float64):
        on_cpu = call(impl, cpu_case)
        on_dev = call(impl, dev_case)
        if on_dev.device.type != torch.device(device).type:
            raise AssertionError(f"device: output on {on_dev.device}, expected {device}")
        defn = definition(cpu_case)
        rtol, atol = tolerances.tolerance(case.dtype, "device", num_classes=case.num_classes)
        allowed = allowed_error(
            defn, rtol=rtol, atol=atol, reduction_rtol=rtol, logit_atol=2 * tolerances.logit_atol(case.dtype)
        )
        assert_close(
            on_dev, on_cpu.detach().cpu().double(), allowed, what=f"CPU vs {device} ({describe(case)})"
        )


def check_finite_for_large_logits(impl: Impl, problem: Any, magnitude: float | None = None) -> None:
    """Rescaled so that ``max|z| == magnitude``, the logits still give a finite, correct loss.

    ``magnitude`` defaults to 1000 (past ``exp`` overflow in every dtype, 88.7 in float32/bfloat16,
    709.8 in float64, 11.1 in float16) capped at ``tolerances.finite_logit_bound``. An implementation
    without the max-shift of log-sum-exp returns inf or NaN here.
    """
    case = as_case(problem)
    bound = tolerances.finite_logit_bound(
        case.dtype,
        num_classes=case.num_classes,
        num_pixels=max(1, num_pixels(case)),
        reduction=case.reduction,
    )
    magnitude = min(1000.0 if magnitude is None else float(magnitude), bound)
    z = case.logits.detach().to(torch.float64)
    peak = float(z.abs().max()) if z.numel() else 0.0
    if peak == 0.0:
        z = torch.ones_like(z)
        peak = 1.0
    z = (z * (magnitude / peak)).to(case.dtype)
    big = case.replace(logits=z)
    out = call(impl, big)
    if not bool(torch.isfinite(out).all()) and bool(torch.isfinite(definition(big).value).all()):
        raise AssertionError(
            f"finite output for |logits| <= {magnitude:g}: got {out.detach().cpu().reshape(-1)[:8].tolist()} "
            f"({describe(big)})"
        )
    check_matches_definition(impl, big)
