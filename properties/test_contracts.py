"""Interface contracts: dtype, device and shape of the output; inputs left alone; CPU determinism."""

from __future__ import annotations

from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_output_dtype_and_device(ce_impl, device, dtype, data):
    """The loss has the logits' dtype and device."""
    problem = data.draw(problems(ce_impl, dtype, device, max_pixels=64), label="problem")
    inv.check_output_dtype(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_output_shape(ce_impl, device, dtype, data):
    """``none`` has shape ``(N, d..)``; ``sum`` and ``mean`` are 0-dimensional."""
    problem = data.draw(problems(ce_impl, dtype, device, max_pixels=64), label="problem")
    inv.check_output_shape(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_inputs_unchanged(ce_impl, device, dtype, data):
    """Logits, target and weight are bitwise unchanged after the forward and the backward pass."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_inputs_unchanged(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_layout_invariance(ce_impl, device, dtype, data):
    """Non-contiguous logits and targets give the same loss as contiguous ones."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_layout_invariance(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_cpu_determinism(ce_impl, dtype, data):
    """Two identical calls on the CPU are bitwise equal."""
    problem = data.draw(problems(ce_impl, dtype, "cpu", max_pixels=1024), label="problem")
    inv.check_deterministic(ce_impl, problem)
