"""## What it does
Checks for the output of `log_softmax` (`F.log_softmax`, `torch.log_softmax`, `Tensor.log_softmax`,
`nn.LogSoftmax`) passed as the input of `F.cross_entropy` or `nn.CrossEntropyLoss`.

## Why is this bad?
`cross_entropy` already applies `log_softmax`. Because `log_softmax` is idempotent the result is the
same (within rounding), so this is not a wrong loss, but it costs a second pass over the logits and
hides the intent: readers wonder whether the input holds logits or log-probabilities. Either pass the
logits to `cross_entropy`, or keep the `log_softmax` and use `nll_loss`.

## Example
```python
import torch.nn.functional as F

def loss_fn(logits, target):
    return F.cross_entropy(F.log_softmax(logits, dim=1), target)
```

## Use instead
```python
import torch.nn.functional as F

def loss_fn(logits, target):
    return F.cross_entropy(logits, target)
```

## Fix safety
When the `log_softmax` call is the loss's input, the fix passes its argument instead. It is safe when
the call normalises over `dim=1` (the class dimension) and has no other arguments, since `log_softmax`
is idempotent; with any other `dim`, or a `dtype=` that the fix would drop, it is unsafe. No fix is
offered when the call holds a comment the rewrite would lose.

## Known limitations
`log_softmax` outputs are followed as probabilities are for SEG001, including an `nn.LogSoftmax`
last layer of a model defined elsewhere in the project.

## References
- [`torch.nn.functional.cross_entropy`](https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html)
"""

from __future__ import annotations

from collections.abc import Iterator

from seglint.analysis.catalogue import CROSS_ENTROPY_LOSSES, Kind
from seglint.analysis.facts import ModuleFacts
from seglint.diagnostics import Applicability, Diagnostic
from seglint.rules.base import Rule, describe_origins, finding, loss_name, rewrite_fix

CODE = "SEG004"
NAME = "redundant-log-softmax"
_LOG_SOFTMAX_PRODUCERS = frozenset({"log_softmax", "nn.LogSoftmax"})


def check(facts: ModuleFacts) -> Iterator[Diagnostic]:
    for fact in facts.loss_inputs:
        origins = tuple(
            o
            for o in fact.origins
            if o.kind is Kind.LOG_PROBABILITIES and o.producer in _LOG_SOFTMAX_PRODUCERS
        )
        if fact.loss not in CROSS_ENTROPY_LOSSES or not origins:
            continue
        # log_softmax is idempotent over the class dimension only; the analysis leaves producer_dim
        # unset when the call has other arguments (``dtype=``) that dropping it would lose.
        safe = fact.producer_dim in ("1", "dim=1")
        yield finding(
            facts,
            fact.call,
            origins,
            code=CODE,
            name=NAME,
            severity="warning",
            message=(
                f"`{loss_name(fact.loss)}` applies `log_softmax` itself; the {describe_origins(origins)} "
                "before it is redundant"
            ),
            fix=rewrite_fix(
                "Remove the redundant `log_softmax`",
                Applicability.SAFE if safe else Applicability.UNSAFE,
                fact.unwrap if len(fact.origins) == 1 else None,
            ),
        )


RULE = Rule(
    CODE,
    NAME,
    "log_softmax output passed to cross_entropy",
    "warning",
    "sometimes",
    __doc__,
    check,
    help="Pass the logits directly: `cross_entropy` applies `log_softmax` itself",
)
