"""Which losses the guard watches and where their input is: torch's four functions (seen by the
TorchFunctionMode, so every module or library loss that calls them is covered) and the catalogued
library classes that never reach them (seen by a forward pre-hook, see ``seglint.guard.hooks``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import torch
import torch.nn.functional as F

from seglint.library_facts import LIBRARIES, LOSSES, Expectation, LossFact


@dataclass(frozen=True)
class WatchedLoss:
    """A loss whose input the guard checks."""

    name: str  # qualified: "torch.nn.functional.cross_entropy", "monai.losses.DiceLoss"
    expects: Expectation
    position: int  # of the input among the positional arguments
    keyword: str
    class_dim: int | None  # None: the loss has no class dimension
    cross_entropy: bool = False  # SEG004 (redundant log_softmax) concerns cross_entropy only

    @property
    def short(self) -> str:
        return self.name.rpartition(".")[2]

    def input_of(self, args: tuple, kwargs: Mapping | None) -> object:
        if len(args) > self.position:
            return args[self.position]
        return kwargs.get(self.keyword) if kwargs else None

    def class_dim_for(self, tensor: torch.Tensor) -> int | None:
        """The class dimension of this input, ``None`` when there is none or the input is too thin."""
        if self.class_dim is None:
            return None
        # torch's unbatched form: cross_entropy and nll_loss take (C,) with the classes in dimension 0.
        dim = 0 if tensor.dim() == 1 and self.class_dim == 1 else self.class_dim
        return dim if -tensor.dim() <= dim < tensor.dim() else None


_FUNCTIONAL = "torch.nn.functional."

WATCHED_FUNCTIONS: dict[Callable, WatchedLoss] = {
    F.cross_entropy: WatchedLoss(_FUNCTIONAL + "cross_entropy", "logits", 0, "input", 1, cross_entropy=True),
    F.binary_cross_entropy_with_logits: WatchedLoss(
        _FUNCTIONAL + "binary_cross_entropy_with_logits", "binary logits", 0, "input", None
    ),
    F.nll_loss: WatchedLoss(_FUNCTIONAL + "nll_loss", "log-probabilities", 0, "input", 1),
    F.kl_div: WatchedLoss(_FUNCTIONAL + "kl_div", "log-probabilities", 0, "input", None),
}

# Library classes the guard checks at their forward: the class facts that reach no watched loss.
HOOKED_FACTS: tuple[LossFact, ...] = tuple(
    fact for fact in LOSSES if fact.callable == "class" and not fact.reaches
)
HOOKED_LIBRARIES: frozenset[str] = frozenset(fact.name.partition(".")[0] for fact in HOOKED_FACTS)
assert HOOKED_LIBRARIES <= set(LIBRARIES)


def fact_for_class(cls: type) -> LossFact | None:
    """The hooked fact for ``cls`` or the nearest catalogued class it inherits from.

    Matched by where the class is defined (``monai.losses.dice.DiceLoss`` is ``monai.losses.DiceLoss``),
    without importing anything."""
    for klass in cls.__mro__:
        module = getattr(klass, "__module__", "") or ""
        if module.partition(".")[0] not in HOOKED_LIBRARIES:
            continue
        for fact in HOOKED_FACTS:
            public_module, _, name = fact.name.rpartition(".")
            if klass.__qualname__ == name and (
                module == public_module or module.startswith(public_module + ".")
            ):
                return fact
    return None


@cache
def watched_library_loss(fact: LossFact, expects: Expectation) -> WatchedLoss:
    class_dim = None if expects == "binary logits" else fact.class_dim
    return WatchedLoss(fact.name, expects, fact.input_position, fact.input_keyword, class_dim)
