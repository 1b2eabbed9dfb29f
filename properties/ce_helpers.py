"""Shared parameters of the property modules: dtypes, problem sizes, ids."""

from __future__ import annotations

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
#: Largest logits (N * C * d..) of a float16 problem: torch's float16 CPU reductions accumulate in
#: float16, so with label smoothing `mean` and `sum` are inf once sum_i sum_c -log p_ic passes 65504
#: (INVARIANTS 4.5, pinned in test_upstream_limitations); 2048 logits of at most ~31 nats stay below.
#: Large C in float16 is checked by the closed forms, which use reduction="none".
MAX_FLOAT16_ELEMENTS = 2048


def dtype_id(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def over_dtypes(dtypes=ALL_DTYPES):
    """``@pytest.mark.parametrize("dtype", ...)`` with readable ids."""
    return pytest.mark.parametrize("dtype", dtypes, ids=dtype_id)


def problems(impl, dtype, device, *, sized_for=None, **kwargs):
    """``sst.cross_entropy_problems`` with this suite's default size, within ``impl``'s declaration.

    ``sized_for`` (default ``dtype``) is the dtype the problems will be computed in, when they are
    drawn in another and cast. An option the declaration does not support (a dtype, probability
    targets, ...) SKIPS the test with the reason ``not supported: <feature>``.
    """
    kwargs.setdefault("max_pixels", MAX_PIXELS)
    if (sized_for or dtype) == torch.float16:
        kwargs.setdefault("max_elements", MAX_FLOAT16_ELEMENTS)
    try:
        return sst.cross_entropy_problems(dtype=dtype, device=device, supported=supported_of(impl), **kwargs)
    except sst.UnsupportedArgument as exc:
        pytest.skip(f"not supported: {exc.feature}")
