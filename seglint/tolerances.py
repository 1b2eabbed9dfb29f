"""The one home of the property suite's numeric tolerances.

Every check in :mod:`seglint.invariants`, and every downstream project reusing them, takes its allowed
error from :func:`tolerance`. The numbers are the ones measured on CPU with torch 2.13 and recorded in
``docs/INVARIANTS.md`` (sections 1 to 5), each with a margin of roughly 2x over the worst
measured case. They are written in units of the dtype's machine epsilon, so one table covers every
floating dtype:

================  ==========================================  ==========================================
kind              float64 / float32                           bfloat16 / float16 (+ C eps32, see below)
================  ==========================================  ==========================================
``none``          rtol 16 eps, atol max(C, 8) eps             rtol 4 eps, atol 1 eps
``reduced``       rtol 8 eps, on top of the per-pixel errors  same
``gradient``      atol 16 eps x scale                         atol 8 eps x scale
``closed_form``   rtol 8 eps, atol C eps                      rtol 4 eps, atol 1 eps
``symmetry``      rtol 8 eps, atol max(C, 8) eps              rtol 8 eps, atol 2 eps
``shift``         rtol 8 eps, atol 8 eps (max|z|+max|c|+1)    same
``uniform``       rtol (8 + log2 C) eps                       rtol 4 eps + (4 + log2 C) eps32
``bounds``        8 eps x bound                               1 eps x bound + 1 eps
``floor``         atol 8 eps x max(1, H)                      same
``linearity``     rtol 16 eps, atol max(C, 8) eps             rtol 16 eps, atol 4 eps
``device``        rtol 16 eps, atol max(C, 8) eps             rtol 8 eps, atol 2 eps
================  ==========================================  ==========================================

**Large C in half precision.** bfloat16 and float16 kernels accumulate the log-sum-exp in float32, which
loses up to ``C eps(float32) / 2`` near a zero loss (every ``e^{-s}`` added to 1 is rounded), so the
atol of ``none``, ``closed_form``, ``symmetry``, ``linearity`` and ``device`` in those dtypes adds
``C eps(float32)``: 0.0078 at C = 65,536 (8 float16 eps; measured 3.9 float16 eps on torch's
``(N, C, d..)`` kernel at C = 65,536, scaled one-hot logits). For float32/float64 the ``max(C, 8) eps``
term already is that bound (measured ``C eps / 2``: 32,235 eps at C = 65,536, path ND; per-pixel
errors on random logits stay at 52 eps, and within 0.1 eps of ``rtol 16 eps`` plus nothing, at
C = 4,097, 16,384 and 65,536).

Measured worst cases behind them (torch 2.13, CPU): ``none`` 3.9 eps relative and C eps/2 absolute
near zero (float32), 2.4 eps and 0.63 eps (bfloat16/float16); reductions 2.5 eps (float32) and 3.9 eps
(bfloat16 accumulates in bfloat16 on the CPU); gradients 17 eps x scale (float32); the closed form
``C eps/2`` (float32, (N, C, d..) path); symmetries 1 to 3 eps; shift 3.05 eps x (max|z| + max|c|).

``none`` and ``reduced`` compare an implementation in ``dtype`` with the float64 definition evaluated on
*the same rounded inputs*; ``scale`` (for ``gradient``) is ``max_c w_c / sum_kept w_{y_i}``, the size of
one pixel's share of a ``mean`` gradient.

**Backward stability.** Every kind except ``shift`` (which has its own, larger, term) also allows
``logit_atol(dtype) * max_c |z_ic| = 1 eps * max_c |z_ic|`` per pixel (times the pixel's weight): the
error of a result that is exact for logits perturbed by ``eps/2`` of their size. torch's kernels are
far more accurate than that (their error scales with the loss, not the logits), but a fused kernel that
returns ``logsumexp(z) - z_y`` (as Triton cross-entropy kernels do) loses ``eps * |z|`` to cancellation
and is still correct; the input logits themselves are only known to ``eps/2`` of their size. Check
functions apply this term per pixel; :func:`tolerance` adds it to ``atol`` when given ``max_abs_logit``.

**Uniform logits.** An index target without smoothing scores ``log C`` in one rounding (measured 0.24
eps x log C), but a probability target or a smoothed one scores ``log C * sum_c t_c``: a C-term dot
product. Each term is rounded a few times on each side (the smoothed target ``(1 - eps) q + eps / C``,
its weight, the product with ``log p_c``; the float64 reference forms the same ``t_c`` and multiplies by
``log C``), and each side's C-term sum is off by at most ``ceil(log2 C) u = log2(C) eps / 2`` relative
for the pairwise and blocked reductions of torch (and of any tree reduction). ``uniform`` allows
``4 eps`` of the dtype for the rounded result, ``4 eps`` of the accumulation dtype (float32 for
bfloat16/float16) for the terms and ``log2(C) eps`` of it for the two sums: 14.5 float64 eps at C = 93.
Measured: 5.3 float64 eps in a randomized run (``(1, 93, 16)``, rows uniform and summing to 2,
smoothing 0.5), at most 5.8 on such inputs at C = 93 to 65,536 (not growing with C); float32 4.0 and
float16 1.4 eps; the old ``4 eps`` held only for index targets.

**Gradual underflow.** Relative tolerances say nothing below the smallest normal number, where every
result is rounded to a multiple of the smallest subnormal (:func:`underflow_atol`) instead: a loss of
1e-307 in float64 (a probability row scaled that small) or 1.7e-7 in float16 (a smoothing of 1.2e-7
on a zero row) is off by whole subnormal units, however small its relative tolerance. The checks
allow, per pixel, one such unit for each class's product and addition, two for forming each target
entry ``t_c`` that lies below the smallest normal (times ``|log p_c|``, which multiplies it), and one
for the pixel's addition to a reduction, for the implementation and for the float64 reference
(``seglint.invariants._core.underflow_error``). Above the smallest normal the same roundings are
relative and the ``rtol`` covers them. Measured (torch 2.13, in units of the dtype's smallest
subnormal): 180 at C = 512 in float64 (rows of 2.7e-310; allowed 13,800), and on zero rows where
``eps / C`` is subnormal 2.8 at C = 4 in float16 (allowed 16), 29 at C = 17 in bfloat16 (allowed 114)
and 11,600 at C = 5,798 in float32 (allowed 106,000; a loss of 1e-37, off by 1.6e-4 relative).

Only this module knows these numbers: tests never write ``1e-5`` themselves.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "KINDS",
    "eps",
    "finite_logit_bound",
    "logit_atol",
    "logsumexp_atol",
    "monotone_ulps",
    "positive_limit",
    "precision_bits",
    "smallest_normal",
    "tolerance",
    "underflow_atol",
    "zero_threshold",
]

# Significand precision (bits, including the implicit one) per dtype name.
_PRECISION_BITS = {"float64": 53, "float32": 24, "bfloat16": 8, "float16": 11}

KINDS = (
    "none",
    "reduced",
    "gradient",
    "closed_form",
    "symmetry",
    "shift",
    "uniform",
    "bounds",
    "floor",
    "linearity",
    "device",
)


def _name(dtype: Any) -> str:
    name = str(dtype).replace("torch.", "")
    aliases = {"double": "float64", "float": "float32", "half": "float16"}
    name = aliases.get(name, name)
    if name not in _PRECISION_BITS:
        raise ValueError(f"unsupported dtype {dtype!r}; available: {', '.join(sorted(_PRECISION_BITS))}")
    return name


def precision_bits(dtype: Any) -> int:
    """Significand precision p of ``dtype`` (53, 24, 8, 11), so that ``eps == 2**(1 - p)``."""
    return _PRECISION_BITS[_name(dtype)]


def eps(dtype: Any) -> float:
    """Machine epsilon of ``dtype``: the gap between 1 and the next float (``torch.finfo(dtype).eps``)."""
    return 2.0 ** (1 - precision_bits(dtype))


def underflow_atol(dtype: Any) -> float:
    """The smallest positive subnormal of ``dtype`` (``finfo.tiny * finfo.eps``: 4.9e-324, 1.4e-45,
    9.2e-41, 6.0e-8 for float64, float32, bfloat16, float16). A rounding whose result lies below the
    smallest normal number is off by up to half of it, absolutely, whatever the result's size (gradual
    underflow: relative error bounds no longer hold there)."""
    return _SMALLEST_NORMAL[_name(dtype)] * eps(dtype)


def smallest_normal(dtype: Any) -> float:
    """``finfo(dtype).tiny``: below it, results are rounded to multiples of :func:`underflow_atol`."""
    return _SMALLEST_NORMAL[_name(dtype)]


_SMALLEST_NORMAL = {
    "float64": 2.0**-1022,
    "float32": 2.0**-126,
    "bfloat16": 2.0**-126,
    "float16": 2.0**-14,
}


def _is_low(dtype: Any) -> bool:
    return _name(dtype) in ("bfloat16", "float16")


def _accumulation_bits(dtype: Any, path: str) -> int:
    if path not in ("nd", "2d"):
        raise ValueError(f"unknown path {path!r}; available: '2d', 'nd'")
    if _is_low(dtype) and path == "nd":
        # torch's (N, C, d..) kernel accumulates bfloat16 and float16 in float32.
        return _PRECISION_BITS["float32"]
    return precision_bits(dtype)


def zero_threshold(dtype: Any, num_classes: int, *, path: str = "nd") -> float:
    """Scale s past which torch's ``CE(s * onehot(y), y)`` is exactly zero: ``ln(C-1) + p ln 2``.

    ``p`` is the precision of the accumulation: the dtype's own, except that torch's ``(N, C, d..)``
    kernel (``path="nd"``) accumulates bfloat16 and float16 in float32. The loss vanishes when
    ``fl(1 + (C-1) e^{-s}) == 1``. Add 0.1 before asserting an exact zero (docs/INVARIANTS.md §1). This is a
    fact about torch's kernels; a more accurate implementation may stay positive well past it.
    """
    if num_classes < 2:
        return -math.inf
    return math.log(num_classes - 1) + _accumulation_bits(dtype, path) * math.log(2.0)


def positive_limit(dtype: Any) -> float:
    """Largest s for which every implementation accurate to ``dtype`` must give ``CE(s onehot) > 0``.

    ``p ln 2 - 0.1`` with ``p`` the precision of ``dtype`` itself: below it every single term
    ``e^{-s}`` is more than half an ulp of 1, so even a sum rounded term by term stays above 1.
    """
    return precision_bits(dtype) * math.log(2.0) - 0.1


def monotone_ulps(dtype: Any) -> int:
    """Ulps a computed ``CE(s onehot)`` may rise as s grows: 1 in bfloat16/float16, else 0.

    torch's bfloat16 ``(N, C)`` kernel rises by up to one ulp (docs/INVARIANTS.md §1); float16 gets the same
    allowance because an implementation may round its log-sum-exp in float16 the same way.
    """
    return 1 if _is_low(dtype) else 0


def logit_atol(dtype: Any) -> float:
    """Absolute error allowed per unit of ``max_c |z_ic|`` at a pixel: ``eps(dtype)`` (backward
    stability, see the module docstring)."""
    return eps(dtype)


def logsumexp_atol(dtype: Any, num_classes: int) -> float:
    """Absolute error allowed in a C-term log-sum-exp: ``C eps`` of the accumulation dtype (float32
    for bfloat16/float16, whose kernels accumulate in float32; the dtype itself otherwise).

    The sum of C exponentials is rounded at every addition, up to ``C eps / 2`` relative, which is
    the absolute error of its log. It enters the loss near zero (the ``max(C, 8) eps`` of ``none``) and
    every probability ``p_c = exp(z_c - lse)`` relatively, so a gradient entry may be off by
    ``p_c * C eps``: measured 31.6 float32 eps at C = 1143 on an entry of 0.18 (torch 2.13,
    ``(N, C, d..)`` kernel, smoothing 0.66), where ``16 eps`` alone allowed 26.
    """
    accumulation = "float32" if _is_low(dtype) else dtype
    return max(int(num_classes), 1) * eps(accumulation)


def finite_logit_bound(
    dtype: Any, *, num_classes: int = 1, num_pixels: int = 1, reduction: str = "none"
) -> float:
    """Largest |logit| for which the loss must be finite.

    The exact loss is at most ``2 max|z| + log C`` per pixel, and label smoothing sums
    ``-log p_c`` over all C classes; a quarter of ``finfo.max`` divided by C leaves room for that, and
    dividing by ``num_pixels`` for the ``sum`` of the pixels (``mean`` may accumulate a ``sum`` first).
    """
    finfo_max = {
        "float64": 1.7976931348623157e308,
        "float32": 3.4028234663852886e38,
        "bfloat16": 3.3895313892515355e38,
        "float16": 65504.0,
    }[_name(dtype)]
    bound = finfo_max / 4.0 / max(1, num_classes)
    if reduction != "none":
        bound /= max(1, num_pixels)
    return bound


def tolerance(
    dtype: Any,
    kind: str,
    *,
    num_classes: int = 2,
    num_pixels: int = 1,
    max_abs_logit: float = 0.0,
    scale: float = 1.0,
) -> tuple[float, float]:
    """Return ``(rtol, atol)`` for comparing a cross-entropy computed in ``dtype``.

    An error ``|actual - expected|`` is allowed when it is at most ``atol + rtol * |expected|``.

    Args:
        dtype: the dtype the implementation under test computed in (a ``torch.dtype`` or its name).
        kind: one of :data:`KINDS` (see the module docstring for the table).
        num_classes: C; rounding in a log-sum-exp over C terms grows with it.
        num_pixels: pixels entering a reduction (used by ``reduced``).
        max_abs_logit: largest |logit| involved: adds the backward-stability term
            ``logit_atol(dtype) * max_abs_logit`` to ``atol`` (``shift`` instead scales its whole
            ``atol`` with it, since the shifted logits are rounded again).
        scale: multiplies ``atol`` for ``gradient`` (pass ``max_c w_c / sum_kept w_{y_i}``).

    Example:
        >>> rtol, atol = tolerance("float32", "none", num_classes=10)
    """
    if kind == "shift":
        e = eps(dtype)
        return 8 * e, 8 * e * (max_abs_logit + 1.0)
    rtol, atol = _base_tolerance(dtype, kind, num_classes=num_classes, num_pixels=num_pixels, scale=scale)
    if kind != "reduced":
        atol += logit_atol(dtype) * max_abs_logit * (scale if kind == "gradient" else 1.0)
    return rtol, atol


def _base_tolerance(
    dtype: Any, kind: str, *, num_classes: int, num_pixels: int, scale: float
) -> tuple[float, float]:
    rtol, atol = _eps_tolerance(dtype, kind, num_classes=num_classes, scale=scale)
    if _is_low(dtype) and kind in _ACCUMULATING_KINDS:
        atol += max(int(num_classes), 1) * eps("float32")
    return rtol, atol


# Kinds whose half-precision atol carries the float32 accumulation error of a C-term log-sum-exp.
_ACCUMULATING_KINDS = ("none", "closed_form", "symmetry", "linearity", "device")


def _eps_tolerance(dtype: Any, kind: str, *, num_classes: int, scale: float) -> tuple[float, float]:
    e = eps(dtype)
    low = _is_low(dtype)
    c = max(int(num_classes), 1)
    if kind == "none":
        return (4 * e, 1 * e) if low else (16 * e, max(c, 8) * e)
    if kind == "reduced":
        # The reduction's own rounding (bf16 CPU accumulates in bf16: 3.9 eps measured). It comes on top
        # of the per-pixel ("none") errors, which a mean carries through unchanged and a sum adds up.
        return 8 * e, 0.0
    if kind == "gradient":
        return 0.0, (8 * e if low else 16 * e) * scale
    if kind == "closed_form":
        return (4 * e, 1 * e) if low else (8 * e, c * e)
    if kind == "symmetry":
        return (8 * e, 2 * e) if low else (8 * e, max(c, 8) * e)
    if kind == "uniform":
        # The final rounding, plus a C-term dot product in the accumulation dtype (module docstring).
        accumulation = eps("float32") if low else e
        return 4 * e + (4 + math.log2(c)) * accumulation, 0.0
    if kind == "bounds":
        return (1 * e, 1 * e) if low else (8 * e, 0.0)
    if kind == "floor":
        return 0.0, 8 * e
    if kind == "linearity":
        return (16 * e, 4 * e) if low else (16 * e, max(c, 8) * e)
    if kind == "device":
        return (8 * e, 2 * e) if low else (16 * e, max(c, 8) * e)
    raise ValueError(f"unknown tolerance kind {kind!r}; available: {', '.join(KINDS)}")
