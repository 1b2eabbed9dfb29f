"""Reductions and ``ignore_index``."""

from __future__ import annotations

from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_mean_is_sum_over_weight(ce_impl, device, dtype, data):
    """``mean == sum / sum_kept w[y]`` (index), ``sum / #pixels`` (probability); ``sum == sum(none)``."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_mean_is_sum_over_weight(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_mean_within_pixel_range(ce_impl, device, dtype, data):
    """``mean`` lies within the range of the kept per-pixel losses (per unit of weight)."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_mean_within_pixel_range(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_ignored_pixels_are_zero(ce_impl, device, dtype, data):
    """Ignored pixels give exactly 0 in ``none`` and get exactly zero gradient."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("index",)), label="problem")
    inv.check_ignored_pixels_zero(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_ignoring_equals_removing(ce_impl, device, dtype, data):
    """Ignoring pixels equals dropping them from the input."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("index",)), label="problem")
    inv.check_ignore_equals_removal(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_all_ignored(ce_impl, device, dtype, data):
    """Every pixel ignored: NaN mean, 0 sum, zeros in ``none``, zero finite gradient."""
    problem = data.draw(
        problems(ce_impl, dtype, device, target_kinds=("index",), max_pixels=64), label="problem"
    )
    inv.check_all_ignored(ce_impl, problem)
