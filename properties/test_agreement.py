"""Agreement with the float64 definition of cross-entropy, per dtype and across devices."""

from __future__ import annotations

import torch
from ce_helpers import ALL_DTYPES, over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_matches_float64_definition(ce_impl, device, dtype, data):
    """Every drawn problem, in its dtype, matches the float64 definition on the same rounded inputs."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_matches_definition(ce_impl, problem)


@over_dtypes(ALL_DTYPES[1:])
@given(data=st.data())
def test_dtype_agreement_with_float64(ce_impl, device, dtype, data):
    """A float64 problem rounded to ``dtype``: the low-precision result agrees with float64 mathematics."""
    problem = data.draw(problems(ce_impl, torch.float64, device, sized_for=dtype), label="float64 problem")
    inv.check_dtype_agreement(ce_impl, problem, dtype)


@over_dtypes()
@given(data=st.data())
def test_device_agreement(ce_impl, device, dtype, data):
    """The same problem on the CPU and on ``device`` (trivially equal for ``device=cpu``)."""
    problem = data.draw(problems(ce_impl, dtype, "cpu", max_pixels=128), label="problem")
    inv.check_device_agreement(ce_impl, problem, device)


@over_dtypes()
@given(data=st.data())
def test_finite_for_large_logits(ce_impl, device, dtype, data):
    """Logits rescaled far past exp's overflow still give a finite, correct loss."""
    problem = data.draw(problems(ce_impl, dtype, device, max_pixels=64), label="problem")
    magnitude = data.draw(
        st.sampled_from([100.0, 1000.0, 3.0e4, 1.0e30]) | st.floats(90.0, 1.0e4), label="max|z|"
    )
    inv.check_finite_for_large_logits(ce_impl, problem, magnitude)
