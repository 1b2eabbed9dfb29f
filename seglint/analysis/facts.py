"""Plain, immutable facts the analysis produces for one module; rules read only these."""

from __future__ import annotations

from dataclasses import dataclass

from seglint.analysis.catalogue import Expects, Kind
from seglint.diagnostics import Span


@dataclass(frozen=True, order=True)
class Origin:
    """Where a tensor of a known kind was made: the producer call and its short name.

    ``path`` is set when the producer lives in another file than the finding. ``via`` names the model
    or helper whose result carried it to the loss (``model``, ``self.net``), ``caller_line`` the call
    that passed it into ``caller``, the function holding the loss. Empty/0 when not applicable.
    """

    span: Span
    kind: Kind
    producer: str
    path: str = ""
    via: str = ""
    caller_line: int = 0
    caller: str = ""
    step: str = ""  # where in the model's or helper's result it was: "element 1", "the 'seg' entry"
    caller_path: str = ""  # the file of the call at ``caller_line``, when not the finding's
    caller_column: int = 0


@dataclass(frozen=True)
class Rewrite:
    """Source text for an autofix, computed while the syntax tree is at hand.

    ``span`` is the region to replace and ``content`` the text that replaces it.
    """

    span: Span
    content: str


@dataclass(frozen=True)
class LossInput:
    """A call of a loss whose input may hold a tensor of a known kind."""

    loss: str  # canonical qualified name, e.g. "torch.nn.functional.cross_entropy"
    expects: Expects
    call: Span
    input: Span
    origins: tuple[Origin, ...]  # sorted; more than one when branches disagree
    # Rewrites offered when the producer call is the input argument itself:
    unwrap: Rewrite | None = None  # the producer's own input in place of the producer call
    to_log_softmax: Rewrite | None = None  # softmax -> log_softmax in place
    producer_dim: str | None = None  # the source of the producer's ``dim`` argument, when direct


@dataclass(frozen=True)
class LogOfSoftmax:
    """``torch.log`` / ``Tensor.log`` applied to a softmax output."""

    call: Span
    origins: tuple[Origin, ...]
    to_log_softmax: Rewrite | None = None


@dataclass(frozen=True)
class ModuleFacts:
    path: str
    loss_inputs: tuple[LossInput, ...]
    logs_of_softmax: tuple[LogOfSoftmax, ...]
    # Facts of other modules of the project, found because this module calls them with a model, a
    # loss or a kind (``train(UNet(), loader, nn.CrossEntropyLoss())`` with ``train`` in engine.py).
    elsewhere: tuple[ModuleFacts, ...] = ()
