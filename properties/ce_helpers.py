"""Shared parameters of the property modules: dtypes, problem sizes, ids."""

from __future__ import annotations

import pytest
import torch

from seglint import strategies as sst

#: Every floating dtype torch's CPU cross-entropy supports.
ALL_DTYPES = (torch.float64, torch.float32, torch.bfloat16, torch.float16)
#: float32 and the two half-precision dtypes (the ones that need honest tolerances).
LOW_DTYPES = (torch.float32, torch.bfloat16, torch.float16)

#: Pixels per drawn problem: small enough for ~2 ms per example, large enough for every kernel path.
MAX_PIXELS = 256


def dtype_id(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


def over_dtypes(dtypes=ALL_DTYPES):
    """``@pytest.mark.parametrize("dtype", ...)`` with readable ids."""
    return pytest.mark.parametrize("dtype", dtypes, ids=dtype_id)


def problems(dtype, device, **kwargs):
    """``sst.cross_entropy_problems`` with this suite's default size."""
    kwargs.setdefault("max_pixels", MAX_PIXELS)
    return sst.cross_entropy_problems(dtype=dtype, device=device, **kwargs)
