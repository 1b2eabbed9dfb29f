"""Checks that use torch's own losses as the oracle (pytest marker ``reference``).

Everything else in :mod:`seglint.invariants` is oracle-free; these compare an implementation with
``torch.nn.functional`` and so only say "agrees with torch", not "is correct".
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from seglint import tolerances
from seglint.invariants._core import (
    Impl,
    allowed_error,
    as_case,
    as_index_case,
    assert_close,
    call,
    class_dim,
    definition,
    describe,
    pairwise_allowed,
    require_tensor,
)

__all__ = ["check_matches_nll_of_log_softmax", "check_matches_torch"]


def check_matches_nll_of_log_softmax(impl: Impl, problem: Any, *, exact: bool = False) -> None:
    """``CE(z, y, w, ii, red) == nll_loss(log_softmax(z, 1), y, w, ii, red)`` (index targets, no
    smoothing; a probability problem is checked on its argmax). ``exact=True`` demands bitwise equality (torch on the CPU in float32/float64)."""
    case = as_index_case(as_case(problem)).replace(label_smoothing=0.0)
    out = call(impl, case)
    expected = F.nll_loss(
        torch.log_softmax(case.logits, dim=class_dim(case.logits)),
        case.target,
        weight=case.weight,
        ignore_index=case.ignore_index,
        reduction=case.reduction,
    )
    what = f"CE == nll_loss(log_softmax) ({describe(case)})"
    if exact:
        require_tensor(out, "output")
        if not torch.equal(out, expected):
            raise AssertionError(f"{what}: not bitwise equal")
        return
    allowed = pairwise_allowed(case)
    assert_close(out, expected, allowed, what=what)


def check_matches_torch(impl: Impl, problem: Any) -> None:
    """``impl`` agrees with ``torch.nn.functional.cross_entropy`` on the same problem, within twice
    the ``none``/``reduced`` tolerances (both sides round)."""
    case = as_case(problem)
    out = call(impl, case)
    expected = F.cross_entropy(case.logits, case.target, **case.kwargs())
    defn = definition(case)
    rtol, atol = tolerances.tolerance(case.dtype, "none", num_classes=case.num_classes)
    red_rtol, _ = tolerances.tolerance(case.dtype, "reduced")
    allowed = allowed_error(
        defn,
        rtol=2 * rtol,
        atol=2 * atol,
        reduction_rtol=2 * red_rtol,
        logit_atol=2 * tolerances.logit_atol(case.dtype),
    )
    assert_close(out, expected, allowed, what=f"agrees with torch's cross_entropy ({describe(case)})")
