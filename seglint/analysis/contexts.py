"""Contexts: a function's body run once more for one call site's arguments.

A parameter that receives a model, a loss or a tensor of a known kind from a call site of the same
module is bound to it, and the body runs again with that binding alone (a *context*). Findings are
always made within one context, never by joining two call sites' arguments, so
``train(LogitsNet(), CE())`` and ``train(ProbNet(), BCELoss())`` cannot make ``ProbNet`` -> ``CE``.
"""

from __future__ import annotations

from seglint.analysis.contents import Contents
from seglint.analysis.values import (
    BoundMethod,
    FunctionRef,
    InstanceOf,
    LambdaRef,
    LossObject,
    Pending,
    ProducerObject,
    SequentialOf,
    TensorOf,
    Value,
)

# Possibilities worth a context: what reaching a loss inside the callee can depend on. A value from
# another module (``Pending``) may be a model: it counts, and is resolved only if it reaches a loss.
_CARRIERS = (
    TensorOf,
    LossObject,
    ProducerObject,
    SequentialOf,
    InstanceOf,
    BoundMethod,
    FunctionRef,
    LambdaRef,
    Pending,
)


def carries(value: Value, depth: int = 0) -> bool:
    """Whether binding a parameter to ``value`` can change what the callee's loss calls receive."""
    for p in value:
        if isinstance(p, _CARRIERS):
            return True
        if isinstance(p, Contents) and depth < 4 and carries(p.everything(), depth + 1):
            return True
    return False
