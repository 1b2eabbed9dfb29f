"""The cross-entropy problem: the arguments of one ``F.cross_entropy`` call, as plain data.

Shared by the strategies that draw problems (``seglint.strategies``, which needs Hypothesis) and the
checks that test an implementation on them (``seglint.invariants``, which does not).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch


@dataclasses.dataclass(frozen=True, eq=False)
class CrossEntropyProblem:
    """One call of ``F.cross_entropy``: ``F.cross_entropy(p.logits, p.target, **p.kwargs())``.

    - ``logits``: ``(N, C, d1..dk)`` floating tensor (``(N, C)`` when k = 0).
    - ``target``: an index map, ``int64`` of shape ``(N, d1..dk)`` with values in ``[0, C)`` or equal to
      ``ignore_index``; or a probability map of the logits' shape, dtype and device.
    - ``weight``: ``None`` or a ``(C,)`` tensor of the logits' dtype and device.
    - ``ignore_index``: ``-100`` (torch's default) when unused. Probability targets never carry an
      ``ignore_index >= 0`` (torch raises for that).
    - ``reduction``: ``"none"``, ``"mean"`` or ``"sum"``; ``label_smoothing``: a float in ``[0, 1]``.

    ``eq=False``: tensors do not compare to a single bool, so problems compare by identity.
    """

    logits: torch.Tensor
    target: torch.Tensor
    weight: torch.Tensor | None = None
    ignore_index: int = -100
    reduction: str = "mean"
    label_smoothing: float = 0.0

    @property
    def num_classes(self) -> int:
        """``C``: the size of the logits' dimension 1 (dimension 0 for unbatched ``(C,)`` logits)."""
        return int(self.logits.shape[1]) if self.logits.dim() >= 2 else int(self.logits.shape[0])

    @property
    def dtype(self) -> torch.dtype:
        return self.logits.dtype

    @property
    def device(self) -> torch.device:
        return self.logits.device

    @property
    def target_kind(self) -> str:
        """``"probability"`` for a floating target, ``"index"`` otherwise."""
        return "probability" if self.target.is_floating_point() else "index"

    @property
    def target_shape(self) -> tuple[int, ...]:
        """``(N, d1..dk)``: the shape of ``reduction="none"`` output."""
        return (int(self.logits.shape[0]), *map(int, self.logits.shape[2:]))

    @property
    def kept(self) -> torch.Tensor:
        """Boolean ``(N, d1..dk)`` mask of the pixels that count (all of them for probability targets)."""
        if self.target_kind == "probability":
            return torch.ones(self.target_shape, dtype=torch.bool, device=self.logits.device)
        return self.target != self.ignore_index

    def kwargs(self) -> dict[str, Any]:
        """``weight``, ``ignore_index``, ``reduction`` and ``label_smoothing`` for ``F.cross_entropy``."""
        return {
            "weight": self.weight,
            "ignore_index": self.ignore_index,
            "reduction": self.reduction,
            "label_smoothing": self.label_smoothing,
        }

    def replace(self, **changes: Any) -> CrossEntropyProblem:
        """The same problem with some fields changed."""
        return dataclasses.replace(self, **changes)

    def to(
        self, *, dtype: torch.dtype | None = None, device: str | torch.device | None = None
    ) -> CrossEntropyProblem:
        """The same problem with the floating tensors in ``dtype`` and everything on ``device``.

        ``problem.to(dtype=torch.float64)`` is the float64 reference problem on exactly the same
        (already rounded) inputs. Index targets keep ``int64``.
        """

        def conv(t: torch.Tensor | None, floating: bool) -> torch.Tensor | None:
            if t is None:
                return None
            return t.to(device=device, dtype=dtype if floating else None)

        return dataclasses.replace(
            self,
            logits=conv(self.logits, True),
            target=conv(self.target, self.target.is_floating_point()),
            weight=conv(self.weight, True),
        )
