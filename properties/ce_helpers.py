"""Shared parameters of the property modules: dtypes, problem sizes, ids."""

from __future__ import annotations

import inspect
import math

import pytest
import torch

from seglint import strategies as sst
from seglint.implementations import supported_of

#: Every floating dtype torch's CPU cross-entropy supports.
ALL_DTYPES = (torch.float64, torch.float32, torch.bfloat16, torch.float16)
#: float32 and the two half-precision dtypes (the ones that need honest tolerances).
LOW_DTYPES = (torch.float32, torch.bfloat16, torch.float16)

#: Pixels per drawn problem: small enough for ~2 ms per example, large enough for every kernel path.
MAX_PIXELS = 256
#: Largest C for float16: torch's (N, C) float16 kernel rounds its sum of exponentials to float16, which
#: overflows to inf for C >= 65,520 equal logits (test_upstream_limitations pins it).
MAX_FLOAT16_CLASSES = 65_504
#: The largest float16: torch's float16 CPU reductions give inf past it (docs/INVARIANTS.md §5).
FLOAT16_MAX = 65504.0
#: Class weights of float16 problems. torch's weighted, smoothed float16 `mean` divides
#: sum_i sum_c w_c (-log p_ic) by sum_kept w_{y_i} in float16 before scaling by label_smoothing / C,
#: which is up to C (max w / min w) max(-log p): with the strategies' default [0.1, 2.0], one pixel of
#: C = 1193 equal logits already overflows (pinned in test_upstream_limitations). [1, 2] keeps the
#: ratio at 2, the same factor as max w in the sum below.
FLOAT16_WEIGHTS = (1.0, 2.0)


def float16_max_elements(max_abs_logit: float) -> int:
    """Largest power of two ``n`` of logits (``N * C * d..``) for which every float16 reduction of
    torch stays finite: with label smoothing, ``sum`` (and ``none`` per pixel) add
    ``sum_i sum_c w_c (-log p_ic) <= n max(w) L`` in float16, the weighted ``mean`` divides that by
    ``sum_kept w_{y_i}`` (at most ``C (max w / min w) L <= n 2 L``), with ``L = log n + 2 max|z|``
    bounding ``-log p``; each must stay below 65504 (docs/INVARIANTS.md §5). 1024 logits at the default
    ``max|z| = 10`` (55,200); large C in float16 is checked by the closed forms, with
    ``reduction="none"`` and no smoothing.
    """
    lo, hi = FLOAT16_WEIGHTS
    factor = max(hi, hi / lo)
    n = 1
    while 2 * n * factor * (math.log(2 * n) + 2 * max_abs_logit) <= FLOAT16_MAX:
        n *= 2
    return n


_DEFAULT_MAX_ABS_LOGIT = inspect.signature(sst.cross_entropy_problems).parameters["max_abs_logit"].default


def dtype_id(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def over_dtypes(dtypes=ALL_DTYPES):
    """``@pytest.mark.parametrize("dtype", ...)`` with readable ids."""
    return pytest.mark.parametrize("dtype", dtypes, ids=dtype_id)


def problems(impl, dtype, device, *, sized_for=None, **kwargs):
    """``sst.cross_entropy_problems`` with this suite's default size, within ``impl``'s declaration.

    ``sized_for`` (default ``dtype``) is the dtype the problems will be computed in, when they are
    drawn in another and cast; float16 problems stay within :func:`float16_max_elements` logits and
    :data:`FLOAT16_WEIGHTS`, where torch's float16 reductions are finite. An option the declaration does not support (a dtype, probability
    targets, ...) SKIPS the test with the reason ``not supported: <feature>``.
    """
    kwargs.setdefault("max_pixels", MAX_PIXELS)
    if (sized_for or dtype) == torch.float16:
        max_abs_logit = kwargs.get("max_abs_logit", _DEFAULT_MAX_ABS_LOGIT)
        kwargs.setdefault("max_elements", float16_max_elements(max_abs_logit))
        kwargs.setdefault("min_weight", FLOAT16_WEIGHTS[0])
        kwargs.setdefault("max_weight", FLOAT16_WEIGHTS[1])
    try:
        return sst.cross_entropy_problems(dtype=dtype, device=device, supported=supported_of(impl), **kwargs)
    except sst.UnsupportedArgument as exc:
        pytest.skip(f"not supported: {exc.feature}")
