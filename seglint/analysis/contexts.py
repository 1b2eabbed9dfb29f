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


def carries(value: Value, depth: int = 0, *, pending: bool = True) -> bool:
    """Whether binding a parameter to ``value`` can change what the callee's loss calls receive.
    ``pending=False``: only what is known here (a value from another module may be anything, and
    most are not models: it counts only where the callee calls it)."""
    for p in value:
        if isinstance(p, _CARRIERS) and (pending or not isinstance(p, Pending) or p.constructed):
            return True
        if isinstance(p, Contents) and depth < 4 and carries(p.everything(), depth + 1, pending=pending):
            return True
    return False


def worth_a_context(arguments: dict[str, Value], called: frozenset[str]) -> bool:
    """Whether a call site's bound arguments make a context worth running: a model, a loss or a kind
    known here, or a value from another module bound to a parameter the callee calls."""
    return any(
        carries(value, pending=False) or (name in called and carries(value))
        for name, value in arguments.items()
    )
