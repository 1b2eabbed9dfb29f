"""Abstract values: what the analysis knows a name or expression may hold.

A value is a frozenset of possibilities; the empty set means "nothing known". Joining two flows is
the union, so a name that holds probabilities on one branch *may* hold them after the branches meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import libcst as cst

from seglint.analysis.catalogue import Expects, Kind


@dataclass(frozen=True)
class Ref:
    """A module, function or class reached through an import, by qualified name."""

    qualified: str


@dataclass(frozen=True)
class TensorOf:
    """A tensor of a known kind, made by the call ``made_by`` (positions are resolved only if reported)."""

    kind: Kind
    producer: str
    made_by: cst.CSTNode


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


@dataclass(frozen=True)
class Opaque:
    """Something of the user's own (a function, a class, a non-torch object): never a tensor."""


Possibility = Union[Ref, TensorOf, LossObject, ProducerObject, Opaque]
Value = frozenset  # frozenset[Possibility]

UNKNOWN: Value = frozenset()
OPAQUE: Value = frozenset({Opaque()})


def tensor_part(value: Value) -> Value:
    """The possibilities of ``value`` that survive a value-preserving tensor operation."""
    return frozenset(p for p in value if isinstance(p, TensorOf))


def may_be_tensor(value: Value) -> bool:
    """False when every possibility is something other than a tensor (a module, a loss object...)."""
    return not value or any(isinstance(p, TensorOf) for p in value)


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
