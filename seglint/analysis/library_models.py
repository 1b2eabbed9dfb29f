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
from seglint.analysis.contents import Contents
from seglint.analysis.expressions import _argument_index, constant_value, literal_value
from seglint.analysis.values import (
    UNKNOWN,
    LibraryModel,
    Ref,
    SequentialOf,
    TensorOf,
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
    if isinstance(fact, facts.HeadModelFact):
        # The heads as built: sequences of layers whose values no rule is about, until the code
        # replaces or appends one.
        heads = tuple(
            (key, attribute, frozenset({SequentialOf(contents.sequence([UNKNOWN] * layers))}))
            for key, attribute, layers in fact.heads
        )
        return frozenset({LibraryModel(fact.name, heads=heads)})
    masks = _made(_activation(fact, node, arguments, resolve), node, owner)
    auxiliary = _auxiliary(fact.auxiliary, node, arguments) if fact.auxiliary is not None else None
    if auxiliary is _UNDECIDED:
        return UNKNOWN  # a tensor or a tuple: the analysis cannot tell
    if auxiliary is None:
        return frozenset({LibraryModel(fact.name, masks)}) if masks else UNKNOWN
    # ``aux_params``: the model returns ``(masks, labels)``, the labels out of the classification
    # head's own activation (the dict's ``"activation"``, ``None`` by default).
    labels = _made(_in_dictionary(fact, auxiliary, "activation"), node, owner)
    return frozenset({LibraryModel(fact.name, contents.sequence([masks, labels]))})


def called(model: LibraryModel, call: Callable[[Value], Value]) -> Value:
    """What calling ``model`` returns; ``call(head)`` calls one of its heads with the call's input."""
    if not model.heads:
        return model.output
    # torchvision resizes each head's output with bilinear interpolation, which keeps its kind.
    return contents.mapping((key, call(head)) for key, _, head in model.heads)


def with_attribute(value: Value, attribute: str, new: Value) -> Value:
    """``value`` after ``value.attribute = new``: library models get the new head, the rest stay."""
    return frozenset(
        p.with_attribute(attribute, new)
        if isinstance(p, LibraryModel) and p.attribute(attribute) is not None
        else p
        for p in value
    )


def _made(chosen: _Chosen, node: cst.Call, owner: object) -> Value:
    """The output of a model built by ``node`` whose last layer is ``chosen``."""
    if not isinstance(chosen, tuple):  # logits, or not known
        return UNKNOWN
    kind, layer = chosen
    return frozenset({TensorOf(kind, layer, node, owner)})


def _auxiliary(argument: facts.Argument, node: cst.Call, arguments: list[Value]) -> object:
    """The value passed as ``aux_params`` (a dict's contents), ``None`` when absent or ``None``,
    ``UNDECIDED`` when the analysis cannot tell whether it is ``None``."""
    index = _argument_index(node, argument.position, argument.keyword)
    if index is None:
        return _UNDECIDED if any(arg.star == "**" for arg in node.args) else argument.default
    value = arguments[index] if index < len(arguments) else UNKNOWN
    if literal_value(node.args[index].value, value) is None:
        return None
    held = frozenset(p for p in resolved(value) if isinstance(p, Contents))
    return held if held and held == resolved(value) else _UNDECIDED


def _in_dictionary(fact: facts.ActivationModelFact, held: object, key: str) -> _Chosen:
    """The activation a dict (``aux_params``) names under ``key``; its default (``None``) if absent."""
    assert isinstance(held, frozenset)
    outcomes: set = set()
    for mapping in held:
        if any(known == key for known, _ in mapping.keys):
            value = contents.item(frozenset({mapping}), key)
            found = {_outcome(fact, p) for p in resolved(value)} or {_UNDECIDED}
            outcomes |= found if not mapping.rest else {_UNDECIDED}
        else:
            outcomes.add(_UNDECIDED if mapping.rest else None)
    return outcomes.pop() if len(outcomes) == 1 else _UNDECIDED


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
