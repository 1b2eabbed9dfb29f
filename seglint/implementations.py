"""What a cross-entropy implementation under test supports, and adapters for the common shapes.

A third-party loss rarely has ``F.cross_entropy``'s whole interface: timm's
``LabelSmoothingCrossEntropy`` takes ``(N, C)`` logits only, always averages and takes its smoothing in
the constructor; segmentation_models_pytorch's ``SoftCrossEntropyLoss`` returns ``(N, 1, ...)`` for
``reduction="none"``; MONAI's ``DiceCELoss`` wants the target with a class dimension. To check such a
loss, declare what it supports (:class:`Supported`) and how to call it (:class:`Implementation`)::

    from timm.loss import LabelSmoothingCrossEntropy
    from seglint.implementations import Implementation, Supported

    TIMM_LABEL_SMOOTHING = Implementation(
        LabelSmoothingCrossEntropy,
        arguments={"label_smoothing": "smoothing"},  # F.cross_entropy's name -> the constructor's
        supported=Supported(
            reductions=("mean",), target_kinds=("index",), weight=False, ignore_index=False,
            label_smoothing=(0.0, 0.999), max_spatial_dims=0, unbatched=False,
        ),
    )

An :class:`Implementation` has ``F.cross_entropy``'s signature, so every check takes it like any other
callable. Called outside its declaration it raises :class:`NotSupported` naming the feature, before
the loss runs: ``check_all`` reports that check as skipped, the pytest plugin turns it into a SKIPPED
test (``not supported: weight``), and ``seglint.strategies.cross_entropy_problems(supported=...)`` draws
only problems inside the declaration. Nothing here needs Hypothesis or pytest.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import math
import numbers
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import torch

from seglint.problems import FLOAT_DTYPES

__all__ = [
    "CROSS_ENTROPY_ARGUMENTS",
    "DEVICE_TYPES",
    "Implementation",
    "NotSupported",
    "Supported",
    "supported_of",
]

#: The keyword arguments of ``F.cross_entropy`` after ``input`` and ``target``.
CROSS_ENTROPY_ARGUMENTS = ("weight", "ignore_index", "reduction", "label_smoothing")
#: The device types a declaration may name.
DEVICE_TYPES = ("cpu", "cuda")

_REDUCTIONS = ("none", "mean", "sum")
_TARGET_KINDS = ("index", "probability")
_TARGET_LAYOUTS = ("indices", "indices_with_class_dim")
_OUTPUT_LAYOUTS = ("pixels", "pixels_with_class_dim")


class NotSupported(Exception):
    """A call outside an implementation's declaration; ``feature`` names what it lacks."""

    def __init__(self, feature: str) -> None:
        super().__init__(f"not supported: {feature}")
        self.feature = feature


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).replace("torch.", "")


@dataclasses.dataclass(frozen=True)
class Supported:
    """What an implementation of cross-entropy supports; the defaults are everything ``F.cross_entropy`` does.

    - ``reductions``: the ``reduction`` values it implements.
    - ``target_kinds``: ``"index"`` (class indices) and/or ``"probability"`` (a class-probability map).
    - ``weight``: whether it takes per-class weights.
    - ``ignore_index``: ``True`` (any value, as torch), ``False`` (no pixel may be ignored) or a tuple of
      the values it honours. Only pixels holding the value matter: a call whose target holds no
      ``ignore_index`` pixel is supported whatever the value.
    - ``label_smoothing``: ``True`` (``[0, 1]``), ``False`` (0 only) or an inclusive ``(lo, hi)`` range.
    - ``min_spatial_dims`` / ``max_spatial_dims`` (``None``: no limit): k of ``(N, C, d1..dk)`` inputs.
    - ``unbatched``: whether it takes ``(C,)`` logits with a 0-dimensional target.
    - ``dtypes``: the floating dtypes; ``devices``: the device types (``"cpu"``, ``"cuda"``).

    :meth:`refusal` names the first unsupported feature of a call.
    """

    reductions: tuple[str, ...] = _REDUCTIONS
    target_kinds: tuple[str, ...] = _TARGET_KINDS
    weight: bool = True
    ignore_index: bool | tuple[int, ...] = True
    label_smoothing: bool | tuple[float, float] = True
    min_spatial_dims: int = 0
    max_spatial_dims: int | None = None
    unbatched: bool = True
    dtypes: tuple[torch.dtype, ...] = FLOAT_DTYPES
    devices: tuple[str, ...] = DEVICE_TYPES

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "reductions", _choices(self.reductions, "reductions", _REDUCTIONS))
        set_(self, "target_kinds", _choices(self.target_kinds, "target_kinds", _TARGET_KINDS))
        set_(self, "devices", _choices(self.devices, "devices", DEVICE_TYPES))
        dtypes = _sequence(self.dtypes, "dtypes")
        for dtype in dtypes:
            if dtype not in FLOAT_DTYPES:
                names = ", ".join(_dtype_name(d) for d in FLOAT_DTYPES)
                raise ValueError(f"Supported(dtypes=...) contains {dtype!r}; choose from {names}")
        set_(self, "dtypes", tuple(dict.fromkeys(dtypes)))
        for name in ("weight", "unbatched"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"Supported({name}={getattr(self, name)!r}) must be True or False")
        ignore = self.ignore_index
        if not isinstance(ignore, bool):
            values = _sequence(ignore, "ignore_index")
            for value in values:
                if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                    raise TypeError(f"Supported(ignore_index={ignore!r}) must be a bool or a tuple of ints")
            set_(self, "ignore_index", tuple(dict.fromkeys(int(v) for v in values)))
        smoothing = self.label_smoothing
        if not isinstance(smoothing, bool):
            pair = _sequence(smoothing, "label_smoothing")
            if len(pair) != 2 or not all(_is_real(v) for v in pair):
                raise TypeError(f"Supported(label_smoothing={smoothing!r}) must be a bool or a (lo, hi) pair")
            lo, hi = float(pair[0]), float(pair[1])
            if not 0.0 <= lo <= hi <= 1.0:
                raise ValueError(f"Supported(label_smoothing={smoothing!r}) must satisfy 0 <= lo <= hi <= 1")
            set_(self, "label_smoothing", (lo, hi))
        for name in ("min_spatial_dims", "max_spatial_dims"):
            value = getattr(self, name)
            if value is None and name == "max_spatial_dims":
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"Supported({name}={value!r}) must be a nonnegative int")
        if self.max_spatial_dims is not None and self.min_spatial_dims > self.max_spatial_dims:
            raise ValueError(
                f"Supported(min_spatial_dims={self.min_spatial_dims}) is larger than "
                f"max_spatial_dims={self.max_spatial_dims}"
            )

    @property
    def smoothing_range(self) -> tuple[float, float]:
        """The supported ``label_smoothing`` values as an inclusive ``(lo, hi)`` range."""
        if self.label_smoothing is True:
            return (0.0, 1.0)
        if self.label_smoothing is False:
            return (0.0, 0.0)
        return self.label_smoothing  # type: ignore[return-value]

    def supports_spatial_dims(self, k: int) -> bool:
        return k >= self.min_spatial_dims and (self.max_spatial_dims is None or k <= self.max_spatial_dims)

    def refusal(
        self,
        input: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> str | None:
        """The first feature of this ``F.cross_entropy`` call outside the declaration, or ``None``."""
        if input.dtype not in self.dtypes:
            return f"dtype {_dtype_name(input.dtype)}"
        if input.device.type not in self.devices:
            return f"device {input.device.type}"
        if reduction not in self.reductions:
            return f"reduction={reduction!r}"
        kind = "probability" if target.is_floating_point() else "index"
        if kind not in self.target_kinds:
            return f"{kind} targets"
        if input.dim() <= 1:
            if not self.unbatched:
                return "unbatched inputs"
        elif not self.supports_spatial_dims(input.dim() - 2):
            k = input.dim() - 2
            return f"{k} spatial dimension{'s' if k != 1 else ''}"
        if weight is not None and not self.weight:
            return "weight"
        lo, hi = self.smoothing_range
        if label_smoothing != 0.0 and not lo <= label_smoothing <= hi:
            return "label_smoothing" if hi == 0.0 else f"label_smoothing={label_smoothing!r}"
        honoured = self.ignore_index is True or ignore_index in (self.ignore_index or ())
        if kind == "index" and not honoured and bool((target == ignore_index).any()):
            return "ignore_index" if self.ignore_index is False else f"ignore_index={ignore_index}"
        return None


@dataclasses.dataclass(frozen=True, eq=False)
class Implementation:
    """A loss under test with its declaration and adapter; called with ``F.cross_entropy``'s signature.

    - ``loss``: a callable, or an ``nn.Module`` subclass (constructed for every call, so per-call
      options such as the smoothing can go to its constructor), or ``"module:attr"`` naming one,
      imported at the first call (so a declaration can live where the package is not installed).
    - ``supported``: the :class:`Supported` declaration (default: everything).
    - ``arguments``: maps ``F.cross_entropy``'s keyword names (``weight``, ``ignore_index``,
      ``reduction``, ``label_smoothing``) to the loss's own (the constructor's for a class); only the
      mapped ones are passed. ``None`` (default) passes all four under their own names.
    - ``options``: fixed keyword arguments (the constructor's for a class), e.g. ``{"lambda_dice": 0.0}``.
    - ``target_layout``: ``"indices"`` (``(N, d..)``, default) or ``"indices_with_class_dim"``
      (index targets get a class dimension of size 1: ``(N, 1, d..)``, as MONAI wants).
    - ``output_layout``: ``"pixels"`` (default) or ``"pixels_with_class_dim"``: the loss returns
      ``reduction="none"`` as ``(N, 1, d..)`` and the adapter squeezes that dimension (only when it
      is there and has size 1: any other shape reaches the checks unchanged).
    - ``name``: for messages (default: the loss's qualified name).
    """

    loss: Any
    supported: Supported = dataclasses.field(default_factory=lambda: Supported())
    arguments: Mapping[str, str] | None = None
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    target_layout: str = "indices"
    output_layout: str = "pixels"
    name: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.loss, str):
            module, sep, attr = self.loss.partition(":")
            if not sep or not module or not attr:
                raise ValueError(f"Implementation(loss={self.loss!r}) must be 'module:attr'")
        elif not callable(self.loss):
            raise TypeError(
                f"Implementation(loss={self.loss!r}) must be a callable, an nn.Module class or 'module:attr'"
            )
        if not isinstance(self.supported, Supported):
            raise TypeError(f"Implementation(supported={self.supported!r}) must be a Supported declaration")
        if self.arguments is not None:
            if not isinstance(self.arguments, Mapping):
                raise TypeError(f"Implementation(arguments={self.arguments!r}) must be a mapping")
            for key, value in self.arguments.items():
                if key not in CROSS_ENTROPY_ARGUMENTS:
                    raise ValueError(
                        f"Implementation(arguments=...) maps {key!r}, which is not an argument of "
                        f"F.cross_entropy; choose from {', '.join(CROSS_ENTROPY_ARGUMENTS)}"
                    )
                if not isinstance(value, str) or not value.isidentifier():
                    raise ValueError(f"Implementation(arguments=...) maps {key!r} to {value!r}, not a name")
            object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))
        if not isinstance(self.options, Mapping):
            raise TypeError(f"Implementation(options={self.options!r}) must be a mapping")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        if self.target_layout not in _TARGET_LAYOUTS:
            raise ValueError(
                f"Implementation(target_layout={self.target_layout!r}); choose from {', '.join(_TARGET_LAYOUTS)}"
            )
        if self.output_layout not in _OUTPUT_LAYOUTS:
            raise ValueError(
                f"Implementation(output_layout={self.output_layout!r}); choose from {', '.join(_OUTPUT_LAYOUTS)}"
            )
        if self.name is None:
            if isinstance(self.loss, str):
                name = self.loss.replace(":", ".")
            else:
                module = getattr(self.loss, "__module__", None)
                qualname = getattr(self.loss, "__qualname__", type(self.loss).__qualname__)
                name = f"{module}.{qualname}" if module else qualname
            object.__setattr__(self, "name", name)

    @functools.cached_property
    def resolved_loss(self) -> Any:
        """``loss``, imported when it was given as ``"module:attr"`` (ImportError if that fails)."""
        if not isinstance(self.loss, str):
            return self.loss
        module, _, attr = self.loss.partition(":")
        obj: Any = importlib.import_module(module)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    def __call__(
        self,
        input: torch.Tensor,
        target: torch.Tensor,
        weight: torch.Tensor | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> Any:
        given = {
            "weight": weight,
            "ignore_index": ignore_index,
            "reduction": reduction,
            "label_smoothing": label_smoothing,
        }
        refusal = self.supported.refusal(input, target, **given)
        if refusal is not None:
            raise NotSupported(refusal)
        names = self.arguments if self.arguments is not None else {k: k for k in CROSS_ENTROPY_ARGUMENTS}
        keywords = {**self.options, **{names[k]: v for k, v in given.items() if k in names}}
        class_dim = 0 if input.dim() <= 1 else 1
        if self.target_layout == "indices_with_class_dim" and not target.is_floating_point():
            target = target.unsqueeze(class_dim)
        loss = self.resolved_loss
        if isinstance(loss, type):
            out = loss(**keywords)(input, target)
        else:
            out = loss(input, target, **keywords)
        if (
            self.output_layout == "pixels_with_class_dim"
            and reduction == "none"
            and isinstance(out, torch.Tensor)
            and out.dim() == max(input.dim() - 1, 0) + 1
            and out.shape[class_dim] == 1
        ):
            out = out.squeeze(class_dim)
        return out

    def __repr__(self) -> str:
        return f"Implementation({self.name}, supported={self.supported!r})"


def supported_of(impl: Callable[..., Any]) -> Supported:
    """The declaration of ``impl``: its ``supported`` attribute, or everything for a plain callable."""
    declared = getattr(impl, "supported", None)
    return declared if isinstance(declared, Supported) else Supported()


def _is_real(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)


def _sequence(value: Any, name: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"Supported({name}={value!r}) must be a tuple")
    return tuple(value)


def _choices(value: Any, name: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    values = _sequence(value, name)
    if not values:
        raise ValueError(f"Supported({name}=()) is empty; choose from {', '.join(allowed)}")
    for item in values:
        if item not in allowed:
            raise ValueError(
                f"Supported({name}={values!r}) contains {item!r}; choose from {', '.join(allowed)}"
            )
    return tuple(dict.fromkeys(values))
