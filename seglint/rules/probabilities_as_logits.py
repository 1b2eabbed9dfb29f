"""## What it does
Checks for the output of `softmax` or `sigmoid` passed as the *input* of a loss that expects logits:
`F.cross_entropy`, `nn.CrossEntropyLoss`, `F.binary_cross_entropy_with_logits` and `nn.BCEWithLogitsLoss`.

## Why is this bad?
These losses apply `log_softmax` (or `logsigmoid`) themselves. Fed probabilities, they squash the values
a second time: with `C` classes, `cross_entropy(softmax(z), y)` lies in `[log(1+(C-1)/e), log(C-1+e)]`
for every `z`, so the loss can never go below `log(1+(C-1)/e)` (0.313 for 2 classes, 2.12 for 21), the
window is only 1 nat wide, and the gradients shrink. `binary_cross_entropy_with_logits` on a sigmoid
output never goes below `log(1+e^-1) = 0.313`. Training runs and never converges properly.

## Example
```python
import torch.nn.functional as F

def training_step(model, images, masks):
    probs = F.softmax(model(images), dim=1)
    return F.cross_entropy(probs, masks)
```

## Use instead
```python
import torch.nn.functional as F

def training_step(model, images, masks):
    logits = model(images)
    return F.cross_entropy(logits, masks)
```

## Fix safety
When the `softmax`/`sigmoid` call is written directly as the loss's input, the fix passes its argument
instead. The fix is unsafe: it changes the loss values and the training dynamics (for the better).

## Known limitations
Values are followed through local variables, `self` attributes (inherited ones too), value-preserving
tensor methods, tuples, lists, dicts and records (by position, key or field; an unknown index joins the
elements), branches (constant conditions decide them), models' `forward`, `nn.Sequential`/`nn.ModuleList`
layers, wrappers such as `nn.DataParallel`, helpers, the parameters of functions, constructors and
setters given a model or a loss (one context per call site, at most 8 per function; also across
modules, at most three deep) and the other modules of the project. A softmax under `if not
self.training:` is followed only into losses in `validation_step`/`test_step` or after `model.eval()`.
Models and losses built from configuration files or registries with unknown keys, callers that pass on
a parameter they received, and call sites past the caps are not followed.
Probabilities passed as the *target* are correct (soft labels) and never reported.

## References
- [`torch.nn.functional.cross_entropy`](https://pytorch.org/docs/stable/generated/torch.nn.functional.cross_entropy.html): "input is expected to contain the unnormalized logits for each class"
- [`torch.nn.BCEWithLogitsLoss`](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
"""

from __future__ import annotations

from collections.abc import Iterator

from seglint.analysis.catalogue import Expects, Kind
from seglint.analysis.facts import ModuleFacts
from seglint.diagnostics import Applicability, Diagnostic
from seglint.rules.base import Rule, describe_origins, finding, loss_name, rewrite_fix

CODE = "SEG001"
NAME = "probabilities-as-logits"


def check(facts: ModuleFacts) -> Iterator[Diagnostic]:
    for fact in facts.loss_inputs:
        origins = tuple(o for o in fact.origins if o.kind is Kind.PROBABILITIES)
        if fact.expects not in (Expects.LOGITS, Expects.BINARY_LOGITS) or not origins:
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
                f"`{loss_name(fact.loss)}` expects logits but receives probabilities from "
                f"{describe_origins(origins)}"
            ),
            fix=rewrite_fix(
                "Pass the logits directly", Applicability.UNSAFE, fact.unwrap if direct else None
            ),
        )


RULE = Rule(
    CODE,
    NAME,
    "Probabilities passed to a loss that expects logits",
    "error",
    "sometimes",
    __doc__,
    check,
    help="Pass the logits (the input of the softmax or sigmoid) to the loss",
)
