"""Symmetries and exact relations between two calls of the implementation."""

from __future__ import annotations

import torch
from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv


@over_dtypes()
@given(data=st.data())
def test_shift_invariance(ce_impl, device, dtype, data):
    """Adding a per-pixel constant to the logits changes nothing (up to re-rounding the logits)."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    shape = list(problem.logits.shape)
    shape[1 if len(shape) >= 2 else 0] = 1
    magnitude = data.draw(st.sampled_from([1.0, 100.0, 1000.0]), label="max|c|")
    seed = data.draw(st.integers(0, 2**32 - 1), label="shift seed")
    gen = torch.Generator().manual_seed(seed)
    shift = (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * magnitude
    inv.check_shift_invariance(ce_impl, problem, shift.to(device))


@over_dtypes()
@given(data=st.data())
def test_class_permutation_equivariance(ce_impl, device, dtype, data):
    """Permuting the classes of logits, target and weight together changes nothing."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    perm = data.draw(st.permutations(range(problem.num_classes)), label="permutation")
    inv.check_permutation_equivariance(ce_impl, problem, torch.tensor(perm))


@over_dtypes()
@given(data=st.data())
def test_log_softmax_idempotence(ce_impl, device, dtype, data):
    """``CE(log_softmax(z), y) == CE(z, y)``."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_log_softmax_idempotence(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_index_target_equals_one_hot_target(ce_impl, device, dtype, data):
    """Index targets equal (smoothed) one-hot probability targets; the weighted mean differs by design."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("index",)), label="problem")
    inv.check_index_equals_one_hot(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_flatten_equivalence(ce_impl, device, dtype, data):
    """``(N, C, d..)`` equals the flattened ``(N * d.., C)`` problem, ``(N, C)`` its ``(1, C, N)`` form,
    unbatched ``(C,)`` the batch of one."""
    problem = data.draw(problems(ce_impl, dtype, device), label="problem")
    inv.check_flatten_equivalence(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_nonnegative(ce_impl, device, dtype, data):
    """``CE >= 0`` for non-negative weights and targets."""
    problem = data.draw(problems(ce_impl, dtype, device, max_abs_logit=50.0), label="problem")
    inv.check_nonnegative(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_gibbs_inequality(ce_impl, device, dtype, data):
    """``CE(z, q) >= H(q)``, with equality at ``z = log q`` (``S H(q/S)`` for rows summing to S)."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("probability",)), label="problem")
    inv.check_gibbs_inequality(ce_impl, problem)


@over_dtypes()
@given(data=st.data())
def test_affine_in_the_target(ce_impl, device, dtype, data):
    """``CE(z, a q1 + b q2) - CE(z, 0) == a (CE(z, q1) - CE(z, 0)) + b (CE(z, q2) - CE(z, 0))``: convex
    combinations (``b = 1 - a``) and scalings off the simplex (``CE(z, a q) = a CE(z, q)`` unsmoothed)."""
    problem = data.draw(problems(ce_impl, dtype, device, target_kinds=("probability",)), label="problem")
    alpha = data.draw(st.sampled_from([0.5, 0.25, 0.875, 2.5, 0.0, 1.5]), label="a")
    beta = data.draw(st.sampled_from([None, 0.0, 0.75]), label="b (None: 1 - a)")
    inv.check_target_linearity(ce_impl, problem, alpha=alpha, beta=beta)
