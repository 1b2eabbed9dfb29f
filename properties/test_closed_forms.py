"""Closed forms: scaled one-hot logits, raw one-hot input, uniform logits, the double-softmax window."""

from __future__ import annotations

import torch
from ce_helpers import MAX_FLOAT16_CLASSES, over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv
from seglint import strategies as sst

PATHS = ("2d", "nd")

#: Negative, small, large and overflowing scales; exact small values shrink first.
scales = st.lists(
    st.sampled_from([0.0, 1.0, -1.0, 16.7, 37.0, 89.0, 710.0, -1000.0])
    | st.floats(min_value=-1000.0, max_value=1000.0, allow_subnormal=False),
    min_size=1,
    max_size=32,
)


#: Up to 200 classes, and vocabularies (the largest C every dtype's kernels take, see ce_helpers).
class_counts = sst.class_counts(min_value=2, max_value=200) | st.sampled_from(
    [1000, 4097, MAX_FLOAT16_CLASSES]
)


@over_dtypes()
@given(num_classes=class_counts, s=scales, path=st.sampled_from(PATHS))
def test_scaled_one_hot_closed_form(ce_impl, device, dtype, num_classes, s, path):
    """``CE(s onehot(y), y) == log(1 + (C-1) e^{-s})`` and ``>= 0`` for negative, small and large s."""
    inv.check_scaled_one_hot(
        ce_impl, num_classes=num_classes, scales=s, dtype=dtype, device=device, path=path
    )


GRID = torch.linspace(-30.0, 45.0, 1501, dtype=torch.float64)


@over_dtypes()
@given(num_classes=sst.class_counts(min_value=2, max_value=200), path=st.sampled_from(PATHS))
def test_scaled_one_hot_non_increasing(ce_impl, device, dtype, num_classes, path):
    """``CE(s onehot(y), y)`` never rises as s grows over [-30, 45] (one ulp in half precision)."""
    inv.check_scaled_one_hot_monotone(
        ce_impl, num_classes=num_classes, scales=GRID, dtype=dtype, device=device, path=path
    )


@over_dtypes()
@given(data=st.data())
def test_raw_one_hot_input(ce_impl, device, dtype, data):
    """A one-hot map used as logits scores ``v_C = log(1 + (C-1)/e)`` per pixel, ``n v_C`` summed."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_raw_one_hot(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_uniform_logits_give_log_c(ce_impl, device, dtype, data):
    """Logits constant over the classes give ``log C`` per unit of weight."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_uniform_logits(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_double_softmax_window(ce_impl, device, dtype, data):
    """``v_C <= CE(softmax(z), y) <= log(C - 1 + e)``: a softmax fed as logits can never score below v_C."""
    problem = data.draw(problems(ce_impl, dtype, device, max_abs_logit=30.0), label="problem")
    inv.check_double_softmax_window(ce_impl, problem)
