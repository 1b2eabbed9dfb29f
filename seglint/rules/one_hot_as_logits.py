"""## What it does
Checks for the output of `F.one_hot` passed as the *input* of a loss that expects logits
(`F.cross_entropy`, `nn.CrossEntropyLoss`, `F.binary_cross_entropy_with_logits`, `nn.BCEWithLogitsLoss`).

## Why is this bad?
A one-hot tensor is not a score: `cross_entropy` reads it as logits of 1 for the right class and 0
elsewhere, so even a perfect "prediction" costs `log(1+(C-1)/e)` per pixel (0.313 for 2 classes, 2.12
for 21) instead of 0. This is the classic "my loss is non-zero even when I feed the target as the
prediction" surprise, and an arg-maxed or one-hot prediction has no gradient at all.

## Example
```python
import torch.nn.functional as F

def sanity_check(masks, num_classes):
    perfect = F.one_hot(masks, num_classes).permute(0, 3, 1, 2).float()
    return F.cross_entropy(perfect, masks)
```

## Use instead
```python
import torch.nn.functional as F

def sanity_check(logits, masks):
    return F.cross_entropy(logits, masks)
```

## Fix safety
There is no fix: the logits that should be passed are not in the expression.

## Known limitations
One-hot tensors made by `F.one_hot`, `F.gumbel_softmax(..., hard=True)`, `torch.eye(C)[y]` and
`zeros(...).scatter_(1, y, 1)` (the value written a literal `1`) are followed through locals,
containers, helpers, models, parameters and other modules as probabilities are; other hand-built
encodings (`(y[:, None] == torch.arange(C)).float()`) are not seen.
A one-hot *target* (a probability target) is correct and never reported.

## References
- [`torch.nn.functional.one_hot`](https://pytorch.org/docs/stable/generated/torch.nn.functional.one_hot.html)
- [`torch.nn.CrossEntropyLoss`](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)
"""

from __future__ import annotations

from collections.abc import Iterator

from seglint.analysis.catalogue import Expects, Kind
from seglint.analysis.facts import ModuleFacts
from seglint.diagnostics import Diagnostic
from seglint.rules.base import Rule, describe_origins, finding, loss_name

CODE = "SEG002"
NAME = "one-hot-as-logits"


def check(facts: ModuleFacts) -> Iterator[Diagnostic]:
    for fact in facts.loss_inputs:
        origins = tuple(o for o in fact.origins if o.kind is Kind.ONE_HOT)
        if fact.expects not in (Expects.LOGITS, Expects.BINARY_LOGITS) or not origins:
            continue
        yield finding(
            facts,
            fact.call,
            origins,
            code=CODE,
            name=NAME,
            severity="error",
            message=(
                f"`{loss_name(fact.loss)}` expects logits but receives a one-hot tensor from "
                f"{describe_origins(origins)}"
            ),
        )


RULE = Rule(
    CODE,
    NAME,
    "One-hot tensor passed to a loss that expects logits",
    "error",
    "none",
    __doc__,
    check,
    help="Pass the model's logits; a one-hot tensor belongs in the target, if anywhere",
)
