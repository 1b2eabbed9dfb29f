"""## What it does
Checks for the output of `softmax` or `sigmoid` passed as the *input* of a loss that expects
log-probabilities: `F.nll_loss`, `nn.NLLLoss`, `F.kl_div` and `nn.KLDivLoss`.

## Why is this bad?
`nll_loss` returns `-input[y]`: on probabilities that is `-softmax(z)[y]`, a value in `[-1, 0]`. The loss
is never positive, its best value is -1 instead of 0, and its gradient is not the cross-entropy
gradient. `kl_div` likewise reads its input as log-probabilities, so probabilities give a wrong
divergence (and negative "KL" values).

## Example
```python
import torch.nn.functional as F

def loss_fn(logits, target):
    return F.nll_loss(F.softmax(logits, dim=1), target)
```

## Use instead
```python
import torch.nn.functional as F

def loss_fn(logits, target):
    return F.nll_loss(F.log_softmax(logits, dim=1), target)
```

## Fix safety
When a `softmax` call spelled `F.softmax(...)`, `torch.softmax(...)` or `x.softmax(...)` is the loss's
input, the fix renames it to `log_softmax`. The fix is unsafe: it changes the loss values.

## Known limitations
Values are followed as for SEG001 (locals, containers, models, helpers, parameters per call site,
other modules). `torch.log(softmax(...))`
is reported by SEG005 at the `log` call instead, since its result is log-probabilities.

## References
- [`torch.nn.NLLLoss`](https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html): "The input given through a forward call is expected to contain log-probabilities of each class"
- [`torch.nn.KLDivLoss`](https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html)
"""

from __future__ import annotations

from collections.abc import Iterator

from seglint.analysis.catalogue import Expects, Kind
from seglint.analysis.facts import ModuleFacts
from seglint.diagnostics import Applicability, Diagnostic
from seglint.rules.base import Rule, describe_origins, finding, loss_name, rewrite_fix

CODE = "SEG003"
NAME = "probabilities-as-log-probabilities"


def check(facts: ModuleFacts) -> Iterator[Diagnostic]:
    for fact in facts.loss_inputs:
        origins = tuple(o for o in fact.origins if o.kind is Kind.PROBABILITIES)
        if fact.expects is not Expects.LOG_PROBABILITIES or not origins:
            continue
        direct = len(fact.origins) == 1
        yield finding(
            facts,
            fact.call,
            origins,
            code=CODE,
            name=NAME,
            severity="error",
            message=(
                f"`{loss_name(fact.loss)}` expects log-probabilities but receives probabilities from "
                f"{describe_origins(origins)}"
            ),
            fix=rewrite_fix(
                "Use `log_softmax`", Applicability.UNSAFE, fact.to_log_softmax if direct else None
            ),
        )


RULE = Rule(
    CODE,
    NAME,
    "Probabilities passed to a loss that expects log-probabilities",
    "error",
    "sometimes",
    __doc__,
    check,
    help="Pass log-probabilities: `log_softmax` instead of `softmax`",
)
