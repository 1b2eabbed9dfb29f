"""What building a catalogued library model gives: a model whose output ends in the activation its
arguments choose (``seglint.library_facts.ActivationModelFact``).

``smp.Unet(..., activation="softmax2d")`` is a model whose last layer is ``nn.Softmax(dim=1)``: the
analysis sees it as a container whose last layer makes probabilities where the model was built, so
``model(x)`` holds probabilities wherever the model goes (``self.model``, ``.to(device)``, another
module). The activation may be a literal, a variable or module constant holding one, a library's
named constant, or an activation class (``activation=nn.Sigmoid``). A value the analysis cannot tell
(a parameter, ``**config``) or one that differs between branches makes no claim: a miss is better
than a false alarm.
"""

from __future__ import annotations

from collections.abc import Callable

import libcst as cst

from seglint import library_facts as facts
from seglint.analysis import catalogue as cat
from seglint.analysis import contents
from seglint.analysis.expressions import _argument_index, constant_value, literal_value
from seglint.analysis.values import (
    UNKNOWN,
    ProducerObject,
    Ref,
    SequentialOf,
    Value,
    resolved,
)

_UNDECIDED = facts.UNDECIDED
_Chosen = tuple[cat.Kind, str] | None | facts.Undecided


def model_value(
    fact: facts.ActivationModelFact | facts.HeadModelFact,
    node: cst.Call,
    arguments: list[Value],
    owner: object,
    resolve: Callable[[str], Value],
) -> Value:
    """The value of the call ``node`` that builds ``fact``'s model (``owner``: the interpreter)."""
    if not isinstance(fact, facts.ActivationModelFact):
        return UNKNOWN
    if fact.auxiliary is not None and _auxiliary(fact.auxiliary, node, arguments) is not None:
        # ``aux_params``: the model returns ``(masks, labels)``, which a plain tensor value cannot say.
        return UNKNOWN
    chosen = _activation(fact, node, arguments, resolve)
    if not isinstance(chosen, tuple):  # logits, or not known
        return UNKNOWN
    kind, layer_name = chosen
    layer = ProducerObject(kind, layer_name, node, owner)
    return frozenset({SequentialOf(contents.sequence([frozenset({layer})]))})


def _auxiliary(argument: facts.Argument, node: cst.Call, arguments: list[Value]) -> object:
    """``None`` when the argument is absent or ``None``; anything else otherwise."""
    index = _argument_index(node, argument.position, argument.keyword)
    if index is None:
        return _UNDECIDED if any(arg.star == "**" for arg in node.args) else argument.default
    value = arguments[index] if index < len(arguments) else UNKNOWN
    return None if literal_value(node.args[index].value, value) is None else _UNDECIDED


def _activation(
    fact: facts.ActivationModelFact, node: cst.Call, arguments: list[Value], resolve: Callable[[str], Value]
) -> _Chosen:
    """The kind the model's last layer makes and that layer's short name (``nn.Softmax``); ``None`` for
    logits (or a layer no rule is about); ``UNDECIDED`` when the analysis cannot tell."""
    argument = fact.activation
    index = _argument_index(node, argument.position, argument.keyword)
    if index is None:
        if any(arg.star == "**" for arg in node.args):
            return _UNDECIDED  # ``**config`` may hold it
        return _named(fact, argument.default)
    value = arguments[index] if index < len(arguments) else UNKNOWN
    written = literal_value(node.args[index].value, value)
    if written is not _UNDECIDED:
        return _named(fact, written)
    outcomes = {_outcome(fact, p) for p in _resolved_names(value, resolve)} or {_UNDECIDED}
    return outcomes.pop() if len(outcomes) == 1 else _UNDECIDED


def _resolved_names(value: Value, resolve: Callable[[str], Value]) -> Value:
    """``value`` with names of the project (``from config import ACTIVATION``) replaced by their values."""
    result: set = set()
    for p in resolved(value):
        known = isinstance(p, Ref) and (
            constant_value(p) is not _UNDECIDED or cat.canonical(p.qualified) in cat.PRODUCER_MODULES
        )
        if isinstance(p, Ref) and not known:
            found = resolved(resolve(p.qualified))
            result |= found if found else {p}
        else:
            result.add(p)
    return frozenset(result)


def _outcome(fact: facts.ActivationModelFact, possibility: object) -> _Chosen:
    if isinstance(possibility, Ref) and cat.canonical(possibility.qualified) in cat.PRODUCER_MODULES:
        return _layer(cat.canonical(possibility.qualified))  # ``activation=nn.Softmax2d``: instantiated
    return _named(fact, constant_value(possibility))


def _named(fact: facts.ActivationModelFact, value: object) -> _Chosen:
    if value is _UNDECIDED:
        return _UNDECIDED
    try:
        layer = fact.activations.get(value)
    except TypeError:  # an unhashable value
        return _UNDECIDED
    return _layer(layer) if layer is not None else None


def _layer(qualified: str) -> tuple[cat.Kind, str] | None:
    """The kind a torch layer makes and its short name (``nn.Softmax``); ``None`` for other layers."""
    return cat.PRODUCER_MODULES.get(qualified)
