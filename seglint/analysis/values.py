"""Abstract values: what the analysis knows a name or expression may hold.

A value is a frozenset of possibilities; the empty set means "nothing known". Joining two flows is
the union, so a name that holds probabilities on one branch *may* hold them after the branches meet.
Possibilities that point into a syntax tree (``made_by``, ``node``) compare nodes by identity, and
``owner`` is the module interpreter that holds that tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from seglint.analysis.catalogue import Expects, Kind


@dataclass(frozen=True)
class Ref:
    """A module, function or class reached through an import, by qualified name."""

    qualified: str


@dataclass(frozen=True)
class TensorOf:
    """A tensor of a known kind, made by the call ``made_by`` in ``owner``'s module.

    ``via`` names the model or helper whose result it is, as written where it was called, and
    ``step`` where in that result it was (``element 1``, ``the 'seg' entry``), when the result held
    several values.
    """

    kind: Kind
    producer: str
    made_by: cst.CSTNode
    owner: Any
    via: str = ""
    step: str = ""
    clamped: bool = False  # clamped away from zero (``p.clamp_min(eps)``): its log is finite
    # The call that passed it into the function where it reached a loss, and that function's name.
    passed_by: cst.CSTNode | None = None
    passed_to: str = ""
    passed_in: Any = None  # the module interpreter holding ``passed_by``


@dataclass(frozen=True)
class Param:
    """The value a function's parameter receives from its callers."""

    function: cst.FunctionDef
    name: str


@dataclass(frozen=True)
class LossObject:
    """An instance of a loss class such as ``nn.CrossEntropyLoss(...)``."""

    loss: str
    expects: Expects


@dataclass(frozen=True)
class ProducerObject:
    """An instance of a module such as ``nn.Softmax(dim=1)``: calling it makes ``kind``."""

    kind: Kind
    producer: str
    constructed_by: cst.CSTNode
    owner: Any


@dataclass(frozen=True)
class FunctionRef:
    """A function defined in the analysed project."""

    node: cst.FunctionDef
    owner: Any


@dataclass(frozen=True)
class ClassRef:
    node: cst.ClassDef
    owner: Any


@dataclass(frozen=True)
class InstanceOf:
    """An instance of a project class; calling it runs ``forward`` (or ``__call__``).

    ``init``: what its constructor's parameters received where it was built, when that was a model, a
    loss or a tensor of a known kind (``Trainer(UNet(), nn.CrossEntropyLoss())``); its methods then
    see the attributes ``__init__`` sets from them (a synthetic ``self``)."""

    cls: ClassRef
    init: tuple[tuple[str, frozenset], ...] = ()
    # Setter calls made on it since (``model.add_loss_op(nn.NLLLoss())``): method name, bindings.
    updates: tuple[tuple[str, tuple[tuple[str, frozenset], ...]], ...] = ()
    # Constant arguments (or defaults) of ``__init__`` that its methods test: ``deploy=False``.
    constants: tuple[tuple[str, frozenset], ...] = ()

    @property
    def specific(self) -> bool:
        """Whether its attributes may differ from its class's (built with something known)."""
        return bool(self.init or self.updates or self.constants)

    @property
    def built_with(self) -> bool:
        """Whether it was given a model, a loss or a kind, by its constructor or a setter."""
        return bool(self.init or self.updates)


@dataclass(frozen=True)
class BoundMethod:
    """A method of ``cls``, reached through an instance (``instance`` when it was built with ``init``)."""

    cls: ClassRef
    name: str
    instance: InstanceOf | None = None


@dataclass(frozen=True)
class SequentialOf:
    """``nn.Sequential(...)`` (also ``nn.ModuleList`` run in a loop): calling it passes the input through
    its layers in turn. ``layers`` is a value whose possibilities are ``Contents``."""

    layers: frozenset


@dataclass(frozen=True)
class LibraryModel:
    """A catalogued library's model (``seglint.library_facts``), as its constructor's arguments made it.

    Calling it returns ``output`` (``smp.Unet(..., aux_params=...)``: a tuple), or, with ``heads``, a
    dict whose every key holds what one attribute's layers make of the input (torchvision's
    ``{"out": classifier(...), "aux": aux_classifier(...)}``). Those attributes can be read and
    replaced (``model.classifier[4] = ...``, ``model.classifier.append(nn.Softmax(1))``).
    """

    name: str
    output: frozenset = frozenset()
    heads: tuple[tuple[str, str, frozenset], ...] = ()  # (output key, attribute, its value)

    def attribute(self, name: str) -> frozenset | None:
        return next((value for _, attribute, value in self.heads if attribute == name), None)

    def with_attribute(self, name: str, value: frozenset) -> LibraryModel:
        heads = tuple(
            (key, attribute, value if attribute == name else old) for key, attribute, old in self.heads
        )
        return LibraryModel(self.name, self.output, heads)


@dataclass(frozen=True)
class PassThroughObject:
    """A module that keeps its input's kind, such as ``nn.Upsample(...)`` or ``nn.Dropout()``."""

    name: str


@dataclass(frozen=True)
class LambdaRef:
    """A ``lambda``: calling it evaluates its body with the parameters bound to the arguments."""

    node: cst.Lambda
    owner: Any


@dataclass(frozen=True)
class RecordType:
    """A record class made by ``namedtuple(...)``: calling it builds a record with these fields."""

    fields: tuple[str, ...]


class Pending:
    """A value from another module of the project, resolved only if it ever reaches a loss.

    Resolving means parsing and summarising that module, so it is deferred until it can matter.
    Compared by identity; the result is computed once. ``from_masked`` marks values that come from a
    block the partial parse left out: such a block names no loss, so it is never resolved just to
    look for loss objects.
    """

    __slots__ = ("_derived", "_resolve", "_value", "constructed", "from_masked")

    def __init__(self, resolve: Callable[[], frozenset], *, from_masked: bool = False) -> None:
        self._resolve: Callable[[], frozenset] | None = resolve
        self._value: frozenset = frozenset()
        self._derived: dict[object, Pending] = {}
        self.from_masked = from_masked
        # Made by calling a class of another module (``UNet()``): likely a model, worth a context.
        self.constructed = False

    def derived(self, key: object, derive: Callable[[frozenset], frozenset]) -> Pending:
        """The pending value ``derive(self's value)``, one object per ``key``: re-evaluating the same
        expression (a loop's second pass) must give equal values, or joins would never settle."""
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = Pending(lambda: derive(self.value()), from_masked=self.from_masked)
        return found

    def value(self) -> frozenset:
        resolve, self._resolve = self._resolve, None
        if resolve is not None:  # a cycle sees the empty value while resolving
            self._value = resolve()
        return self._value


def resolved(value: frozenset, depth: int = 0) -> frozenset:
    """``value`` with every ``Pending`` possibility replaced by what it resolves to."""
    if not any(isinstance(p, Pending) for p in value) or depth > 16:
        return frozenset(p for p in value if not isinstance(p, Pending))
    result: set = set()
    for p in value:
        result |= resolved(p.value(), depth + 1) if isinstance(p, Pending) else {p}
    return frozenset(result)


@dataclass(frozen=True)
class TrainingFlag:
    """``self.training`` (kept when copied to a local: ``training = self.training``)."""


@dataclass(frozen=True)
class Constant:
    """A literal: ``True``, ``False``, ``None``, an integer or a string, kept where a variable or a
    module constant holds it: conditions fold on it (``if DEBUG:``) and library facts read constructor
    arguments through it (``smp.Unet(activation=ACTIVATION)``). ``kind`` tells ``True`` from ``1``."""

    value: object
    kind: str = ""

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", type(self.value).__name__)

    @staticmethod
    def of(value: object) -> frozenset:
        return frozenset({Constant(value)})


@dataclass(frozen=True)
class Opaque:
    """Something of the user's own that is never a tensor (a non-torch object, a lambda)."""


Possibility = (
    Ref
    | TensorOf
    | Param
    | LossObject
    | ProducerObject
    | FunctionRef
    | ClassRef
    | InstanceOf
    | BoundMethod
    | SequentialOf
    | LibraryModel
    | PassThroughObject
    | LambdaRef
    | RecordType
    | Constant
    | Opaque
    | Pending
)
Value = frozenset  # frozenset[Possibility]

UNKNOWN: Value = frozenset()
OPAQUE: Value = frozenset({Opaque()})


def tensor_part(value: Value) -> Value:
    """The possibilities of ``value`` that survive a value-preserving tensor operation."""
    return frozenset(p for p in value if isinstance(p, (TensorOf, Param, Pending)))


def is_tensor_like(value: Value) -> bool:
    """True unless some possibility is known not to be a tensor (a module path, a model, a loss...).
    A constant (``probs = None`` before a loop assigns it) says nothing against it."""
    return all(isinstance(p, (TensorOf, Param, Pending, Constant)) for p in value)


Env = dict  # dict[str, Value]


def join(left: Env | None, right: Env | None) -> Env | None:
    """Merge two flows; ``None`` is a flow that cannot reach this point."""
    if left is None:
        return None if right is None else dict(right)
    if right is None:
        return dict(left)
    merged = dict(left)
    for name, value in right.items():
        merged[name] = merged.get(name, UNKNOWN) | value
    return merged
