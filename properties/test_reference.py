"""Comparisons with torch's own losses as the oracle (marker ``reference``; skip with
``-m "not reference"``)."""

from __future__ import annotations

import pytest
import torch
from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv

pytestmark = pytest.mark.reference


@over_dtypes()
@given(data=st.data())
def test_cross_entropy_equals_nll_of_log_softmax(ce_impl, ce_impl_is_reference, device, dtype, data):
    """``CE == nll_loss(log_softmax(z))`` without smoothing; bitwise for torch on the CPU in f32/f64."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("index",)), label="problem")
    exact = ce_impl_is_reference and device == "cpu" and dtype in (torch.float32, torch.float64)
    inv.check_matches_nll_of_log_softmax(ce_impl, problem, exact=exact)


@pytest.fixture(scope="module")
def impl_other_than_torch(ce_impl, ce_impl_is_reference):
    """The implementation under test, when it is not torch's own (compared with itself, it proves nothing)."""
    if ce_impl_is_reference:
        pytest.skip("the implementation under test is torch's own F.cross_entropy (--ce-impl names another)")
    return ce_impl


@over_dtypes()
@given(data=st.data())
def test_matches_torch_cross_entropy(impl_other_than_torch, device, dtype, data):
    """The implementation under test agrees with ``torch.nn.functional.cross_entropy``."""
    problem = data.draw(problems(impl_other_than_torch, dtype, device), label="problem")
    inv.check_matches_torch(impl_other_than_torch, problem)
