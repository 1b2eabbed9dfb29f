"""seglint's runtime guard: probabilities or one-hot tensors reaching a loss that expects logits (or
log-probabilities), caught on the real tensors at the loss call.

The only part of seglint that imports torch (``import seglint`` and the linter never do)::

    from seglint.guard import watch

    with watch():                 # or @watch(), watch("raise"), watch(my_callback)
        train_one_epoch(model, loader)

Needs torch >= 2.4 (the first release whose ``torch.compiler`` has ``is_compiling``, ``disable`` and
``assume_constant_result``); tested on 2.13.
"""

from __future__ import annotations

import torch

from seglint.guard.report import (
    GuardError,
    GuardWarning,
    OneHotAsLogitsWarning,
    ProbabilitiesAsLogitsWarning,
    ProbabilitiesAsLogProbabilitiesWarning,
    RedundantLogSoftmaxWarning,
    Verdict,
)

MINIMUM_TORCH = (2, 4)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("+")[0].split(".")[:2] if part.isdigit())


if _release(torch.__version__) < MINIMUM_TORCH:
    raise ImportError(
        f"seglint.guard needs torch >= {'.'.join(map(str, MINIMUM_TORCH))}; this is torch {torch.__version__}"
    )

from seglint.guard.session import Guard, watch
from seglint.guard.verdicts import MIN_BINARY_VALUES, MIN_VALUES

__all__ = [
    "MINIMUM_TORCH",
    "MIN_BINARY_VALUES",
    "MIN_VALUES",
    "Guard",
    "GuardError",
    "GuardWarning",
    "OneHotAsLogitsWarning",
    "ProbabilitiesAsLogProbabilitiesWarning",
    "ProbabilitiesAsLogitsWarning",
    "RedundantLogSoftmaxWarning",
    "Verdict",
    "watch",
]
