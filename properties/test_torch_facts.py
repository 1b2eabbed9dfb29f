"""Facts about torch's own functions that seglint's rules rest on.

These always run on ``torch.nn.functional`` (whatever ``--ce-impl`` says): they document why a softmax
or sigmoid output must not reach ``nll_loss``, ``cross_entropy`` or ``binary_cross_entropy_with_logits``
(SEG001, SEG003) and where torch's kernels round the loss to exactly zero.
"""

from __future__ import annotations

import torch.nn.functional as F
from ce_helpers import over_dtypes, problems
from hypothesis import given
from hypothesis import strategies as st

from seglint import invariants as inv
from seglint import strategies as sst


@over_dtypes()
@given(data=st.data())
def test_nll_loss_of_softmax_lies_in_minus_one_to_zero(dtype, data):
    """``nll_loss(softmax(z), y) = -softmax(z)_y`` in [-1, 0]: "loss >= 0" breaks, -1 is the best value."""
    problem = data.draw(
        problems(
            F.cross_entropy,
            dtype,
            "cpu",
            target_kinds=("index",),
            max_ignored_fraction=0.0,
            max_abs_logit=50.0,
            unbatched=False,
        ),
        label="problem",
    )
    inv.check_torch_nll_on_softmax(problem.logits, problem.target)


@over_dtypes()
@given(data=st.data())
def test_bce_with_logits_of_sigmoid_never_below_floor(dtype, data):
    """``BCEWithLogits(sigmoid(z), t)`` never goes below ``log(1 + e^-1) = 0.3133``."""
    problem = data.draw(
        problems(
            F.cross_entropy,
            dtype,
            "cpu",
            target_kinds=("probability",),
            max_abs_logit=50.0,
            min_row_sum=1.0,
            max_row_sum=1.0,
        ),
        label="problem",
    )
    inv.check_torch_bce_on_sigmoid(problem.logits, problem.target)


@over_dtypes()
@given(
    num_classes=sst.class_counts(min_value=2, max_value=1000),
    scales=st.lists(
        st.floats(min_value=-30.0, max_value=60.0, allow_subnormal=False), min_size=1, max_size=64
    ),
    path=st.sampled_from(("2d", "nd")),
)
def test_torch_scaled_one_hot_reaches_exact_zero(dtype, num_classes, scales, path):
    """torch's ``CE(s onehot)`` is exactly 0 past ``ln(C-1) + p ln 2 + 0.1`` and > 0 below ``p ln 2 - 0.1``."""
    inv.check_torch_scaled_one_hot_zero(num_classes=num_classes, scales=scales, dtype=dtype, path=path)
