"""The gradient with respect to the logits."""

from __future__ import annotations

from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_gradient_closed_form(ce_impl, device, dtype, data):
    """``d/dz = [(1-eps) w_y (p - e_y) + (eps/C)((sum w) p - w)] / sum_kept w_y``, summing to 0 over C."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_gradient_closed_form(ce_impl, problem)
