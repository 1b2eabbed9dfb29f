"""What one loss input holds, judged from the tensor alone: its autograd history first, its values when
it has no history the guard can read.

Everything here is a pure function of the tensor (no I/O, no global state). The value checks are split
in two so that they can run without a host synchronisation on an accelerator: ``value_statistics``
computes a short float64 vector *on the tensor's device*; ``received_from_statistics`` reads it on the
host, now or later (``seglint.guard.deferred``).

Thresholds (derived and measured in ``benchmarks/guard_thresholds.py``, documented in the README):

- a row "sums to 1" when ``|sum - 1| <= C * eps(dtype)``; softmax outputs measured at most
  ``0.5 * C * eps`` in every dtype (interpolated maps too);
- the same test on ``exp(input)`` says "log-probabilities" (``logsumexp(input) ~ 0``);
- no verdict from values below ``MIN_VALUES`` elements (``MIN_BINARY_VALUES`` for the binary rules,
  whose only evidence is "every value in [0, 1]"), for ``C < 2``, and for constant tensors (for the
  binary rules: tensors that do not vary outside the channel dimension, as a head with zero weights
  gives).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from seglint.library_facts import Expectation

Received = Literal["probabilities", "one-hot", "log-probabilities"]

# Below these sizes values say nothing (see the module docstring and the README's false-alarm table).
MIN_VALUES = 32
MIN_BINARY_VALUES = 4096

# Autograd nodes whose output holds the values of their first input, rearranged, selected, cast,
# clamped or averaged with non-negative weights (bilinear interpolation of probabilities stays on the
# simplex). Bicubic interpolation is not among them: it overshoots.
PRESERVING_NODES = frozenset(
    {
        "AliasBackward0",
        "AsStridedBackward0",
        "ClampBackward1",
        "ClampMaxBackward0",
        "ClampMinBackward0",
        "CloneBackward0",
        "ExpandBackward0",
        "IndexBackward0",
        "MaskedSelectBackward0",
        "NarrowBackward0",
        "PermuteBackward0",
        "ReshapeAliasBackward0",
        "SelectBackward0",
        "SliceBackward0",
        "SqueezeBackward0",
        "SqueezeBackward1",
        "SqueezeBackward2",
        "ToCopyBackward0",
        "TransposeBackward0",
        "UnsafeViewBackward0",
        "UnsqueezeBackward0",
        "UpsampleBilinear2DAaBackward0",
        "UpsampleBilinear2DBackward0",
        "UpsampleLinear1DBackward0",
        "UpsampleNearest1DBackward0",
        "UpsampleNearest2DBackward0",
        "UpsampleNearest3DBackward0",
        "UpsampleNearestExact1DBackward0",
        "UpsampleNearestExact2DBackward0",
        "UpsampleNearestExact3DBackward0",
        "UpsampleTrilinear3DBackward0",
        "ViewBackward0",
    }
)
ACTIVATION_NODES: dict[str, Received] = {
    "SoftmaxBackward0": "probabilities",
    "SigmoidBackward0": "probabilities",
    "LogSoftmaxBackward0": "log-probabilities",
}
_LOG_NODE = "LogBackward0"  # log of a softmax output is log-probabilities
_MAX_WALK = 64


@dataclass(frozen=True)
class Evidence:
    """What the input holds and how the guard knows: an autograd chain or a value test."""

    received: Received
    how: str  # "autograd: SoftmaxBackward0 -> PermuteBackward0" or a value statement


@dataclass(frozen=True)
class History:
    """What the autograd graph says about a tensor. ``readable`` is False when there is no history to
    read (no ``grad_fn``, a leaf, a custom or compiled autograd function): then values decide."""

    readable: bool
    evidence: Evidence | None = None


NO_HISTORY = History(readable=False)
NOT_AN_ACTIVATION = History(readable=True)


def history(tensor: torch.Tensor) -> History:
    """Walk back from ``tensor.grad_fn`` through value-preserving nodes to the op that made the values.

    Exact and free on any device: it reads the graph, never the data.
    """
    node = tensor.grad_fn
    if node is None:
        return NO_HISTORY
    chain: list[str] = []
    for _ in range(_MAX_WALK):
        name = type(node).__name__
        chain.append(name)
        received = ACTIVATION_NODES.get(name)
        if received is not None:
            return History(True, Evidence(received, "autograd: " + " -> ".join(reversed(chain))))
        if name == _LOG_NODE:
            parent = _first_input(node)
            if parent is not None and type(parent).__name__ == "SoftmaxBackward0":
                chain.append("SoftmaxBackward0")
                return History(
                    True, Evidence("log-probabilities", "autograd: " + " -> ".join(reversed(chain)))
                )
            return NOT_AN_ACTIVATION
        if name == "AccumulateGrad" or isinstance(node, torch.autograd.function.BackwardCFunction):
            return NO_HISTORY  # a leaf, or a custom/compiled function whose inside autograd cannot show
        if name not in PRESERVING_NODES:
            return NOT_AN_ACTIVATION
        node = _first_input(node)
        if node is None:
            return NO_HISTORY
    return NOT_AN_ACTIVATION


def _first_input(node: object) -> object | None:
    for parent, _ in node.next_functions:  # type: ignore[attr-defined]
        if parent is not None:
            return parent
    return None


# ---------------------------------------------------------------------------------------------- values
# Layout of the statistics vector (float64, on the tensor's device).
_LO, _HI, _BINARY, _ROW_SUM, _EXP_ROW_SUM, _VARIES = range(6)


def class_count(tensor: torch.Tensor, class_dim: int | None) -> int | None:
    """The number of classes along ``class_dim``, or ``None`` for the binary and log-probability rules
    (whose loss has no class dimension)."""
    if class_dim is None:
        return None
    return int(tensor.shape[class_dim])


def too_small(tensor: torch.Tensor, expects: Expectation, class_dim: int | None) -> bool:
    """No verdict from values: too few values, or fewer than two classes."""
    minimum = MIN_BINARY_VALUES if expects == "binary logits" else MIN_VALUES
    if tensor.numel() < minimum:
        return True
    classes = class_count(tensor, class_dim)
    return classes is not None and classes < 2


@torch.no_grad()
def value_statistics(tensor: torch.Tensor, class_dim: int | None) -> torch.Tensor:
    """Six numbers about ``tensor`` as a float64 tensor on its device, computed without a host
    synchronisation: min, max, how many values are exactly 0 or 1, ``max |sum - 1|`` and
    ``max |sum(exp) - 1|`` over the class dimension (0 without one), and whether the values vary outside
    dimension 1. Reads ``tensor.detach()``; no RNG, nothing in place."""
    x = tensor.detach()
    binary = torch.logical_or(x == 0, x == 1).sum(dtype=torch.float64)
    if x.dim() >= 2:
        outside = tuple(d for d in range(x.dim()) if d != 1)
        per_channel_max = x.amax(dim=outside)
        per_channel_min = x.amin(dim=outside)
        hi, lo = per_channel_max.max(), per_channel_min.min()
        varies = (per_channel_max != per_channel_min).any()
    else:
        lo, hi = torch.aminmax(x)
        varies = lo != hi
    if class_dim is None:
        row_sum = exp_row_sum = torch.zeros((), dtype=torch.float64, device=x.device)
    else:
        row_sum = (x.sum(dim=class_dim, dtype=torch.float64) - 1).abs().max()
        exp_row_sum = (torch.exp(x).sum(dim=class_dim, dtype=torch.float64) - 1).abs().max()
    return torch.stack(
        [
            lo.to(torch.float64),
            hi.to(torch.float64),
            binary,
            row_sum,
            exp_row_sum,
            varies.to(torch.float64),
        ]
    )


def received_from_values(
    tensor: torch.Tensor, expects: Expectation, class_dim: int | None, *, cross_entropy: bool
) -> Evidence | None:
    """The value checks at once (synchronising on an accelerator). Logits, the common case, cost one
    ``aminmax``: values outside [0, 1] (and, for cross_entropy, above 0) can meet no rule."""
    extremes = torch.aminmax(tensor.detach())  # detached: no autograd record, no no_grad needed
    lo, hi = extremes.min.item(), extremes.max.item()
    possible = lo != hi and ((lo >= 0 and hi <= 1) or (expects == "logits" and cross_entropy and hi <= 0))
    if not possible:
        return None
    return received_from_statistics(
        value_statistics(tensor, class_dim).tolist(),
        expects,
        numel=tensor.numel(),
        classes=class_count(tensor, class_dim),
        dtype=tensor.dtype,
        cross_entropy=cross_entropy,
    )


def received_from_statistics(
    statistics: Sequence[float],
    expects: Expectation,
    *,
    numel: int,
    classes: int | None,
    dtype: torch.dtype,
    cross_entropy: bool,
) -> Evidence | None:
    """Read ``value_statistics`` against the rules for what the loss ``expects``.

    | expects | checks, in order |
    |---|---|
    | logits | one-hot (only 0 and 1, every row sums to 1) ; rows in [0, 1] summing to 1 within C*eps ; (cross_entropy only) all <= 0 with logsumexp within C*eps of 0 |
    | binary logits | only 0 and 1 ; all in [0, 1] |
    | log-probabilities | all in [0, 1] |
    """
    lo, hi, binary, row_sum, exp_row_sum, varies = statistics[:6]
    if lo == hi:  # constant (also catches NaN-free all-equal maps); NaN never passes the tests below
        return None
    in_unit = lo >= 0 and hi <= 1
    if expects == "logits":
        assert classes is not None
        tolerance = classes * torch.finfo(dtype).eps
        if binary == numel and row_sum == 0:
            return Evidence("one-hot", f"values: only 0 and 1, one 1 in each of the {numel // classes} rows")
        if in_unit and row_sum <= tolerance:
            return Evidence(
                "probabilities",
                f"values: every row in [0, 1] sums to 1 within {row_sum:.3g} (limit C*eps = {tolerance:.3g})",
            )
        if cross_entropy and hi <= 0 and exp_row_sum <= tolerance:
            return Evidence(
                "log-probabilities",
                f"values: all <= 0, every row's logsumexp is 0 within {exp_row_sum:.3g} (limit C*eps = {tolerance:.3g})",
            )
        return None
    if expects == "binary logits":
        if not varies:
            return None  # the same values for every sample and position: an untrained bias, not a signal
        if binary == numel:
            return Evidence("one-hot", f"values: only 0 and 1 ({numel} values)")
        if in_unit:
            return Evidence("probabilities", f"values: all {numel} in [0, 1] (min {lo:.3g}, max {hi:.3g})")
        return None
    if in_unit:  # log-probabilities expected
        return Evidence("probabilities", f"values: all {numel} in [0, 1] (min {lo:.3g}, max {hi:.3g})")
    return None
