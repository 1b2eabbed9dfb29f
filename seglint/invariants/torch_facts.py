"""Facts about torch's own functions that the linter's rules rest on (SEG001, SEG003).

These check ``torch.nn.functional`` itself, not an implementation under test: they document why
feeding probabilities to ``nll_loss`` or ``binary_cross_entropy_with_logits`` is wrong, and where
torch's ``cross_entropy`` reaches exactly zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from seglint import tolerances
from seglint.invariants.closed_forms import _scaled_one_hot_inputs

__all__ = [
    "check_torch_bce_on_sigmoid",
    "check_torch_nll_on_softmax",
    "check_torch_scaled_one_hot_zero",
]


def check_torch_nll_on_softmax(logits: torch.Tensor, target: torch.Tensor) -> None:
    """``nll_loss(softmax(z), y) == -softmax(z)_y``, so it lies in ``[-1, 0]``: never positive, best
    value -1. "loss >= 0" breaks, and the loss cannot express confidence (the fact behind SEG003)."""
    probs = torch.softmax(logits, dim=1)
    out = F.nll_loss(probs, target, reduction="none")  # seglint: ignore[SEG003] - the bug, on purpose
    if not bool(((out >= -1) & (out <= 0)).all()):
        bad = out[~((out >= -1) & (out <= 0))]
        raise AssertionError(f"nll_loss(softmax(z)) must lie in [-1, 0], got {bad[:5].tolist()}")
    expected = -probs.gather(1, target.unsqueeze(1)).squeeze(1)
    if not torch.equal(out, expected):
        raise AssertionError("nll_loss(softmax(z), y) != -softmax(z)_y")


def check_torch_bce_on_sigmoid(logits: torch.Tensor, target: torch.Tensor) -> None:
    """``BCEWithLogits(sigmoid(z), t)`` lies in ``[log(1 + e^-1), log(1 + e)]`` for t in [0, 1]: a
    sigmoid output fed as logits can never score below 0.3133 (the fact behind SEG001)."""
    out = F.binary_cross_entropy_with_logits(  # seglint: ignore[SEG001] - the bug, on purpose
        torch.sigmoid(logits), target, reduction="none"
    )
    lo, hi = math.log1p(math.exp(-1.0)), math.log1p(math.e)
    rtol, atol = tolerances.tolerance(logits.dtype, "bounds")
    slack = rtol * hi + atol
    got = out.double()
    bad = ~((got >= lo - slack) & (got <= hi + slack))
    if bool(bad.any()):
        raise AssertionError(
            f"BCE-with-logits on a sigmoid must lie in [{lo:.6g}, {hi:.6g}] (+- {slack:.2g}), got {got[bad][:5].tolist()}"
        )


def check_torch_scaled_one_hot_zero(
    *,
    num_classes: int,
    scales: Sequence[float] | torch.Tensor,
    dtype: torch.dtype = torch.float32,
    device: Any = "cpu",
    path: str = "2d",
) -> None:
    """torch's ``CE(s * onehot(y), y)`` is exactly 0 (as ``>= 0`` and ``<= 0``: it is ``-0.0``) for
    ``s >= zero_threshold(dtype, C, path) + 0.1`` and strictly positive for
    ``s <= positive_limit(dtype)``; in between either may happen.

    A fact about torch's kernels (docs/INVARIANTS.md §1), not a requirement on other implementations: a
    float64 one stays positive longer, a ``logsumexp(z) - z_y`` one reaches 0 sooner.
    """
    threshold = tolerances.zero_threshold(dtype, num_classes, path=path) + 0.1
    positive = tolerances.positive_limit(dtype)
    s = torch.as_tensor(scales, dtype=torch.float64).reshape(-1)
    logits, target, s = _scaled_one_hot_inputs(s, num_classes, dtype, device, path, None)
    out = F.cross_entropy(logits, target, reduction="none").cpu().reshape(-1)
    s = s.double()
    bad = (s >= threshold) & ~((out >= 0) & (out <= 0))
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0])
        raise AssertionError(
            f"torch CE(s onehot) must be exactly 0 past s0={threshold:.3f} (C={num_classes}, {dtype}, path {path}): "
            f"{float(out[i])!r} at s={float(s[i])!r}"
        )
    bad = (s <= positive) & ~(out > 0) if num_classes >= 2 else torch.zeros_like(bad)
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0])
        raise AssertionError(
            f"torch CE(s onehot) must be > 0 for s <= {positive:.3f} (C={num_classes}, {dtype}, path {path}): "
            f"{float(out[i])!r} at s={float(s[i])!r}"
        )
