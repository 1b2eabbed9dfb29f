"""## What it does
Checks for `torch.log` or `Tensor.log` applied to the output of `softmax`.

## Why is this bad?
`softmax` rounds small probabilities to exactly 0 (in float32, any class more than about 104 below the
largest logit), and `log(0)` is `-inf`: the loss becomes `inf` or `NaN` and the gradients `NaN`.
`log_softmax` computes the same values as `z - logsumexp(z)` without ever forming the tiny
probabilities, so it stays finite and is also faster.

## Example
```python
import torch
import torch.nn.functional as F

def loss_fn(logits, target):
    log_probs = torch.log(F.softmax(logits, dim=1))
    return F.nll_loss(log_probs, target)
```

## Use instead
```python
import torch
import torch.nn.functional as F

def loss_fn(logits, target):
    log_probs = F.log_softmax(logits, dim=1)
    return F.nll_loss(log_probs, target)
```

## Fix safety
When the `softmax` call spelled `F.softmax(...)`, `torch.softmax(...)` or `x.softmax(...)` is the
argument of the `log`, the fix replaces both with one `log_softmax` call. The fix is unsafe: where the
softmax underflowed, the old code produced `-inf` and the new code a finite value, which can change
what the program does next.

## Known limitations
The softmax must be visible in the same function or through `self` attributes of the same class; a
softmax returned by a model or helper and then passed to `log` is not followed. Arithmetic ends a kind,
so `torch.log(probs + 1e-8)`, a common workaround, is not reported, and neither is `log` of a clamped
softmax (`probs.clamp_min(1e-8).log()`: finite, though `log_softmax` is still more precise); nor is
`log` of a `sigmoid` (use `F.logsigmoid`).

## References
- [`torch.nn.functional.log_softmax`](https://pytorch.org/docs/stable/generated/torch.nn.functional.log_softmax.html): "While mathematically equivalent to log(softmax(x)), doing these two operations separately is slower and numerically unstable."
"""

from __future__ import annotations

from collections.abc import Iterator

from seglint.analysis.facts import ModuleFacts
from seglint.diagnostics import Applicability, Diagnostic
from seglint.rules.base import Rule, describe_origins, finding, rewrite_fix

CODE = "SEG005"
NAME = "log-of-softmax"


def check(facts: ModuleFacts) -> Iterator[Diagnostic]:
    for fact in facts.logs_of_softmax:
        yield finding(
            facts,
            fact.call,
            fact.origins,
            code=CODE,
            name=NAME,
            severity="warning",
            message=f"`log` of {describe_origins(fact.origins)} is numerically unstable; use `log_softmax`",
            fix=rewrite_fix("Use `log_softmax`", Applicability.UNSAFE, fact.to_log_softmax),
        )


RULE = Rule(
    CODE,
    NAME,
    "log applied to a softmax output",
    "warning",
    "sometimes",
    __doc__,
    check,
    help="Use `log_softmax`, which stays finite where `log(softmax(x))` underflows",
)
