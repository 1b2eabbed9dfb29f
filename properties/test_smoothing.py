"""Label smoothing."""

from __future__ import annotations

from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_label_smoothing_closed_form(ce_impl, device, dtype, data):
    """The smoothed loss, with weights and ignored pixels, matches its closed form."""
    problem = data.draw(problems(ce_impl, dtype, device, label_smoothing=(0.0, 1.0)), label="problem")
    inv.check_label_smoothing_closed_form(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_label_smoothing_floor(ce_impl, device, dtype, data):
    """The smoothed loss never falls below ``H(q_eps)`` and reaches it at ``z = log q_eps``."""
    problem = data.draw(
        problems(ce_impl, dtype, device, target_kinds=("index",), label_smoothing=(0.0, 1.0)), label="problem"
    )
    inv.check_label_smoothing_floor(ce_impl, problem)
