"""The cross-entropy problem: the arguments of one ``F.cross_entropy`` call, as plain data.

Shared by the strategies that draw problems (``seglint.strategies``, which needs Hypothesis) and the
checks that test an implementation on them (``seglint.invariants``, which does not).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

#: The floating dtypes of the suite (``F.cross_entropy`` supports exactly these on CPU).
FLOAT_DTYPES: tuple[torch.dtype, ...] = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class CrossEntropyProblem:
    """One call of ``F.cross_entropy``: ``F.cross_entropy(p.logits, p.target, **p.kwargs())``.

    - ``logits``: ``(N, C, d1..dk)`` floating tensor (``(N, C)`` when k = 0; ``(C,)`` when unbatched).
    - ``target``: an index map, ``int64`` of shape ``(N, d1..dk)`` (``()`` when unbatched) with values in
      ``[0, C)`` or equal to ``ignore_index``; or a probability map of the logits' shape, dtype and device
      (nonnegative; its rows need not sum to 1: torch does not renormalise them).
    - ``weight``: ``None`` or a ``(C,)`` tensor of the logits' dtype and device.
    - ``ignore_index``: ``-100`` (torch's default) when unused. Probability targets never carry an
      ``ignore_index >= 0`` (torch raises for that).
    - ``reduction``: ``"none"``, ``"mean"`` or ``"sum"``; ``label_smoothing``: a float in ``[0, 1]``.
    - ``grad_output``: the upstream gradient the gradient checks back-propagate, of the output's shape
      (:attr:`output_shape`) and the logits' dtype and device; ``None`` means ones (the gradient of
      ``out.sum()``). It is not an argument of ``F.cross_entropy``, so :meth:`kwargs` leaves it out.

    ``eq=False``: tensors do not compare to a single bool, so problems compare by identity. The repr
    prints small tensors in full and summarises larger ones (dtype, shape, range), so that a falsifying
    example stays readable (and Hypothesis does not warn about an overly large repr).
    """

    logits: torch.Tensor
    target: torch.Tensor
    weight: torch.Tensor | None = None
    ignore_index: int = -100
    reduction: str = "mean"
    label_smoothing: float = 0.0
    grad_output: torch.Tensor | None = None

    def __repr__(self) -> str:
        fields = ", ".join(f"{f.name}={_summary(getattr(self, f.name))}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({fields})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis (and IPython) pretty-print dataclasses field by field; use the summary instead."""
        printer.text(repr(self))

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
    def unbatched(self) -> bool:
        """``True`` for ``(C,)`` logits (one pixel, no batch dimension)."""
        return self.logits.dim() == 1

    @property
    def target_shape(self) -> tuple[int, ...]:
        """``(N, d1..dk)``, or ``()`` when unbatched: the shape of ``reduction="none"`` output."""
        if self.unbatched:
            return ()
        return (int(self.logits.shape[0]), *map(int, self.logits.shape[2:]))

    @property
    def output_shape(self) -> tuple[int, ...]:
        """The shape of the loss: :attr:`target_shape` for ``none``, ``()`` for ``sum`` and ``mean``."""
        return self.target_shape if self.reduction == "none" else ()

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
        (already rounded) inputs. Index targets keep ``int64``; ``grad_output`` follows the logits.
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
            grad_output=conv(self.grad_output, True),
        )


#: Tensors with at most this many elements appear in full in a problem's repr.
_FULL_REPR_ELEMENTS = 64


def _summary(value: Any) -> str:
    if not isinstance(value, torch.Tensor) or value.numel() <= _FULL_REPR_ELEMENTS:
        return repr(value)
    dtype = str(value.dtype).replace("torch.", "")
    data = value.detach()
    where = "" if data.device.type == "cpu" else f" on {data.device}"
    if data.is_floating_point():
        lo, hi = float(data.min()), float(data.max())
        return f"tensor(<{dtype} {tuple(data.shape)}{where}, values in [{lo:.4g}, {hi:.4g}]>)"
    values = torch.unique(data.reshape(-1)).tolist()
    shown = ", ".join(map(str, values[:8])) + (", ..." if len(values) > 8 else "")
    return f"tensor(<{dtype} {tuple(data.shape)}{where}, values {{{shown}}}>)"
