"""Expressions and calls of the abstract interpreter: where tensor kinds are made, kept and consumed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from seglint import library_facts as facts
from seglint.analysis import catalogue as cat
from seglint.analysis.bindings import parameter_names
from seglint.analysis.statements import StatementInterpreter
from seglint.analysis.values import (
    OPAQUE,
    UNKNOWN,
    BoundMethod,
    ClassRef,
    Env,
    FunctionRef,
    InstanceOf,
    ListOf,
    LossObject,
    Param,
    Pending,
    ProducerObject,
    Ref,
    SequentialOf,
    TensorOf,
    Value,
    is_tensor_like,
    resolved,
    tensor_part,
)

SOFTMAX_PRODUCERS = frozenset({"softmax", "nn.Softmax", "nn.Softmax2d"})
_MODULE_OBJECTS = (InstanceOf, SequentialOf, ProducerObject, LossObject, Pending)
# Attribute reads that keep a tensor's values (``probs.T``).
_PRESERVING_ATTRIBUTES = frozenset({"T", "mT", "data"})
_SEQUENTIAL = "torch.nn.Sequential"


@dataclass(frozen=True)
class ProducerSite:
    """How a producer call is written, for rewrites: its tensor argument, ``softmax`` token and ``dim``.

    ``call`` is the producer call itself; ``other_arguments`` says it has arguments besides the tensor
    and ``dim`` (``dtype=``), which a rewrite that drops the call would lose.
    """

    call: cst.Call
    tensor: cst.BaseExpression | None
    softmax_name: cst.Name | None
    dim: cst.BaseExpression | None = None

    @property
    def other_arguments(self) -> bool:
        return any(arg.value is not self.tensor and arg.value is not self.dim for arg in self.call.args)


class ExpressionInterpreter(StatementInterpreter):
    catalogue: cat.Catalogue
    _emitting: bool
    _pending_memo: dict[tuple, Pending]
    _producer_sites: dict[int, ProducerSite]

    # Provided by the module interpreter.
    def _lookup(self, name: str, env: Env) -> Value:
        raise NotImplementedError

    def _self_attribute_key(self, node: cst.Attribute) -> str | None:
        raise NotImplementedError

    def _self_attribute(self, node: cst.Attribute, env: Env) -> Value:
        raise NotImplementedError

    def _resolve(self, qualified: str) -> Value:
        raise NotImplementedError

    def _call_method(self, method: BoundMethod) -> Value:
        raise NotImplementedError

    def _record_loss(self, spec: cat.LossSpec, loss: str, node: cst.Call, arguments: list[Value]) -> None:
        raise NotImplementedError

    def _record_log_of_softmax(self, node: cst.Call, made: Value, operand: cst.BaseExpression | None) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- dispatch
    def _eval(self, node: cst.BaseExpression, env: Env) -> Value:
        handler = getattr(self, "_expr_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, env)
        self._generic(node, env)
        return UNKNOWN

    # Leaves and operators: evaluate the operands for the facts inside them; the result is unknown.
    def _expr_leaf(self, node: cst.BaseExpression, env: Env) -> Value:
        return UNKNOWN

    _expr_Integer = _expr_Float = _expr_Imaginary = _expr_SimpleString = _expr_Ellipsis = _expr_leaf
    _expr_ConcatenatedString = _expr_FormattedString = _expr_leaf

    def _expr_BinaryOperation(self, node: cst.BinaryOperation | cst.BooleanOperation, env: Env) -> Value:
        self._eval(node.left, env)
        self._eval(node.right, env)
        return UNKNOWN

    _expr_BooleanOperation = _expr_BinaryOperation

    def _expr_UnaryOperation(self, node: cst.UnaryOperation, env: Env) -> Value:
        self._eval(node.expression, env)
        return UNKNOWN

    def _expr_Comparison(self, node: cst.Comparison, env: Env) -> Value:
        self._eval(node.left, env)
        for target in node.comparisons:
            self._eval(target.comparator, env)
        return UNKNOWN

    def _expr_Tuple(self, node: cst.Tuple | cst.Set, env: Env) -> Value:
        for element in node.elements:
            self._eval(element.value, env)
        return UNKNOWN

    _expr_Set = _expr_Tuple

    def _expr_List(self, node: cst.List, env: Env) -> Value:
        values = [self._eval(element.value, env) for element in node.elements]
        if values and not isinstance(node.elements[-1], cst.StarredElement):
            return frozenset({ListOf(values[-1])})
        return frozenset({ListOf(UNKNOWN)})

    def _expr_Dict(self, node: cst.Dict, env: Env) -> Value:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self._eval(element.key, env)
            self._eval(element.value, env)
        return UNKNOWN

    def _expr_Await(self, node: cst.Await, env: Env) -> Value:
        self._eval(node.expression, env)
        return UNKNOWN

    def _expr_Yield(self, node: cst.Yield, env: Env) -> Value:
        if isinstance(node.value, cst.BaseExpression):
            self._eval(node.value, env)
        elif isinstance(node.value, cst.From):
            self._eval(node.value.item, env)
        return UNKNOWN

    def _expr_Name(self, node: cst.Name, env: Env) -> Value:
        return self._lookup(node.value, env)

    def _expr_Attribute(self, node: cst.Attribute, env: Env) -> Value:
        if self._self_attribute_key(node) is not None:
            return self._self_attribute(node, env)
        return _attribute_of(self._eval(node.value, env), node.attr.value)

    def _expr_Subscript(self, node: cst.Subscript, env: Env) -> Value:
        value = self._eval(node.value, env)
        for element in node.slice:
            self._eval_slice(element, env)
        # ``probs[:, 1]`` keeps the kind; ``seq[0]`` of a not-yet-known value is a tensor only if it was one.
        return frozenset(
            p.derived("subscript", lambda value: tensor_part(resolved(value)))
            if isinstance(p, Pending)
            else p
            for p in tensor_part(value)
        )

    def _eval_slice(self, element: cst.SubscriptElement, env: Env) -> None:
        inner = element.slice
        if isinstance(inner, cst.Index):
            self._eval(inner.value, env)
        else:
            for bound in (inner.lower, inner.upper, inner.step):
                if bound is not None:
                    self._eval(bound, env)

    def _expr_IfExp(self, node: cst.IfExp, env: Env) -> Value:
        self._eval(node.test, env)
        taken_only = self._training_branch(node.test, env)
        body = self._eval(node.body, env) if taken_only is not False else UNKNOWN
        orelse = self._eval(node.orelse, env) if taken_only is not True else UNKNOWN
        return body | orelse

    def _expr_NamedExpr(self, node: cst.NamedExpr, env: Env) -> Value:
        value = self._eval(node.value, env)
        self._assign(node.target, value, env)
        return value

    def _expr_Lambda(self, node: cst.Lambda, env: Env) -> Value:
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            if param.default is not None:
                self._eval(param.default, env)
        inner = dict(env)
        for name in parameter_names(node.params):
            inner[name] = UNKNOWN
        self._eval(node.body, inner)
        return OPAQUE

    def _comprehension(self, node: cst.BaseComp, elements: Sequence[cst.BaseExpression], env: Env) -> Value:
        inner = dict(env)
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            self._eval(clause.iter, inner)
            self._assign(clause.target, UNKNOWN, inner)
            for condition in clause.ifs:
                self._eval(condition.test, inner)
            clause = clause.inner_for_in
        for element in elements:
            self._eval(element, inner)
        return UNKNOWN

    def _expr_ListComp(self, node: cst.ListComp, env: Env) -> Value:
        return self._comprehension(node, [node.elt], env)

    _expr_SetComp = _expr_GeneratorExp = _expr_ListComp

    def _expr_DictComp(self, node: cst.DictComp, env: Env) -> Value:
        return self._comprehension(node, [node.key, node.value], env)

    # ----------------------------------------------------------------- calls
    def _expr_Call(self, node: cst.Call, env: Env) -> Value:
        func = node.func
        method: str | None = None
        receiver: Value = UNKNOWN
        receiver_key: str | None = None
        if isinstance(func, cst.Attribute) and self._self_attribute_key(func) is None:
            # ``x.softmax(1)``, ``F.softmax(x)``: the receiver decides between a method and a path.
            receiver = self._eval(func.value, env)
            callee = _attribute_of(receiver, func.attr.value)
            method = func.attr.value
            receiver_key = self._binding_key(func.value)
        else:
            callee = self._eval(func, env)
        arguments = [self._eval(arg.value, env) for arg in node.args]

        result: set = set()
        for possibility in callee:
            result |= self._call_possibility(possibility, node, arguments, env)
        if method is not None and receiver and not is_tensor_like(receiver):
            self._grow_container(node, method, receiver, receiver_key, arguments, env)
        if method in cat.MODULE_SELF_METHODS:  # ``model = UNet().to(device).train()`` is still the model
            result |= {p for p in receiver if isinstance(p, _MODULE_OBJECTS)}
        if method is not None and is_tensor_like(receiver) and not _is_self(func, self):
            result |= self._call_tensor_method(method, func, node, receiver)  # type: ignore[arg-type]
        return frozenset(result)

    def _call_possibility(
        self, possibility: object, node: cst.Call, arguments: list[Value], env: Env
    ) -> Value:
        if isinstance(possibility, Ref):
            qualified = cat.canonical(possibility.qualified)
            known = self._call_qualified(qualified, node, arguments)
            if known is not None:
                return known
            if not self._has_project():
                return UNKNOWN
            return self._later(
                ("call", id(node), qualified, *arguments),
                lambda: self._call_value(self._resolve(qualified), node, arguments, env),
            )
        if isinstance(possibility, Pending):
            if not possibility.from_masked:
                self._note_pending_call(possibility, node, arguments)
            return frozenset(
                {
                    possibility.derived(
                        ("call", id(node), *arguments),
                        self._quietly(lambda value: self._call_value(value, node, arguments, env)),
                    )
                }
            )
        if isinstance(possibility, LossObject):
            spec = self.catalogue.loss_modules.get(possibility.loss, cat.LossSpec(possibility.expects))
            self._record_loss(spec, possibility.loss, node, arguments)
            return UNKNOWN
        if isinstance(possibility, ProducerObject):
            self._producer_sites[id(node)] = ProducerSite(node, argument(node, 0, "input"), None)
            return frozenset({TensorOf(possibility.kind, possibility.producer, node, self)})
        if isinstance(possibility, ClassRef):
            return frozenset({InstanceOf(possibility)})
        if isinstance(possibility, SequentialOf):
            return self._relabel(self._call_layer(possibility.last, node, arguments, env), node)
        # Summaries cost a run over the callee's body: computed only if the result reaches a loss.
        # The result depends on the callee and the call's place only, so one pending value serves both
        # passes of a loop.
        if isinstance(possibility, FunctionRef):
            self._note_call_site(possibility, node, arguments)
            return self._later(
                ("summary", id(node), possibility),
                lambda: self._relabel(self._function_summary(possibility), node),
            )
        if isinstance(possibility, InstanceOf):
            forward = BoundMethod(possibility.cls, "forward")
            return self._later(
                ("summary", id(node), forward), lambda: self._relabel(self._call_method(forward), node)
            )
        if isinstance(possibility, BoundMethod):
            return self._later(
                ("summary", id(node), possibility),
                lambda: self._relabel(self._call_method(possibility), node),
            )
        return UNKNOWN

    def _later(self, key: tuple, resolve: Callable[[], Value]) -> Value:
        """A value computed only if it reaches a loss; one object per ``key`` (see ``Pending.derived``)."""
        found = self._pending_memo.get(key)
        if found is None:
            found = self._pending_memo[key] = Pending(self._quietly(resolve))
        return frozenset({found})

    def _quietly(self, compute: Callable[..., Value]) -> Callable[..., Value]:
        """``compute`` run whenever a pending value is resolved records no facts: code evaluated out of
        its place in the flow must not report from there."""

        def run(*arguments: object) -> Value:
            emitting, self._emitting = self._emitting, False
            try:
                return compute(*arguments)
            finally:
                self._emitting = emitting

        return run

    def _call_value(self, value: Value, node: cst.Call, arguments: list[Value], env: Env) -> Value:
        result: set = set()
        for possibility in value:
            result |= self._call_possibility(possibility, node, arguments, env)
        return frozenset(result)

    def _has_project(self) -> bool:
        raise NotImplementedError

    def _note_pending_call(self, callee: Pending, node: cst.Call, arguments: list[Value]) -> None:
        raise NotImplementedError

    def _note_call_site(self, function: FunctionRef, node: cst.Call, arguments: list[Value]) -> None:
        raise NotImplementedError

    def _function_summary(self, function: FunctionRef) -> Value:
        raise NotImplementedError

    def _call_layer(self, layer: Value, node: cst.Call, arguments: list[Value], env: Env) -> Value:
        """Calling a container calls its last layer; a producer inside it made the tensor where it was built."""
        result: set = set()
        for possibility in layer:
            if isinstance(possibility, ProducerObject):
                result.add(
                    TensorOf(
                        possibility.kind, possibility.producer, possibility.constructed_by, possibility.owner
                    )
                )
            else:
                result |= self._call_possibility(possibility, node, arguments, env)
        return frozenset(result)

    def _relabel(self, value: Value, node: cst.Call) -> Value:
        """Tensors returned by a model or helper carry the callee's name, for messages."""
        via = _callee_text(node.func)
        result: set = set()
        for p in value:
            if isinstance(p, TensorOf):
                result.add(TensorOf(p.kind, p.producer, p.made_by, p.owner, via))
            elif isinstance(p, Pending):
                result.add(
                    p.derived(("relabel", id(node)), self._quietly(lambda value: self._relabel(value, node)))
                )
            else:
                result.add(p)
        return frozenset(result)

    def _call_qualified(self, qualified: str, node: cst.Call, arguments: list[Value]) -> Value | None:
        """The result of calling a known name, or ``None`` for a name the catalogue does not know."""
        catalogue = self.catalogue
        if qualified in catalogue.producer_functions:
            kind, producer = catalogue.producer_functions[qualified]
            softmax_name = None
            if producer == "softmax" and qualified in ("torch.softmax", "torch.nn.functional.softmax"):
                softmax_name = node.func.attr if isinstance(node.func, cst.Attribute) else None
            self._producer_sites[id(node)] = ProducerSite(
                node, argument(node, 0, "input"), softmax_name, argument(node, 1, "dim")
            )
            return frozenset({TensorOf(kind, producer, node, self)})
        if qualified in cat.LOG_FUNCTIONS:
            operand = argument(node, 0, "input")
            return self._log_of(node, argument_value(node, arguments, 0, "input"), operand)
        if qualified in catalogue.loss_functions:
            self._record_loss(catalogue.loss_functions[qualified], qualified, node, arguments)
            return UNKNOWN
        if qualified in catalogue.loss_modules:
            spec = catalogue.loss_modules[qualified]
            expects = _expects_for(spec, node, arguments)
            return frozenset({LossObject(qualified, expects)}) if expects is not None else UNKNOWN
        if qualified in cat.PRODUCER_MODULES:
            kind, producer = cat.PRODUCER_MODULES[qualified]
            return frozenset({ProducerObject(kind, producer, node, self)})
        if qualified in cat.PRESERVING_FUNCTIONS:
            return tensor_part(argument_value(node, arguments, 0, "input"))
        if qualified == _SEQUENTIAL:
            return frozenset({SequentialOf(self._last_layer(node, arguments))})
        if qualified.startswith("torch.") or qualified == "torch":
            return UNKNOWN
        return None

    def _last_layer(self, node: cst.Call, arguments: list[Value]) -> Value:
        positional = [(arg, value) for arg, value in zip(node.args, arguments) if arg.keyword is None]
        if not positional:
            return UNKNOWN
        arg, value = positional[-1]
        if arg.star == "*":
            return frozenset().union(*(p.last for p in value if isinstance(p, ListOf)))
        return value

    def _grow_container(
        self, node: cst.Call, method: str, receiver: Value, key: str | None, arguments: list[Value], env: Env
    ) -> None:
        """``layers.append(m)`` / ``model.add_module("act", m)``: the container's last layer is now ``m``."""
        if key is None or not arguments:
            return
        if method == "append" and any(isinstance(p, ListOf) for p in receiver):
            env[key] = frozenset({ListOf(arguments[0])})
        elif method == "add_module" and any(isinstance(p, SequentialOf) for p in receiver):
            env[key] = frozenset({SequentialOf(arguments[-1])})

    def _binding_key(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return self._self_attribute_key(node)
        return None

    def _call_tensor_method(self, method: str, func: cst.Attribute, node: cst.Call, receiver: Value) -> Value:
        if method in cat.PRODUCER_METHODS:
            kind, producer = cat.PRODUCER_METHODS[method]
            self._producer_sites[id(node)] = ProducerSite(
                node, func.value, func.attr if method == "softmax" else None, argument(node, 0, "dim")
            )
            return frozenset({TensorOf(kind, producer, node, self)})
        if method == cat.LOG_METHOD:
            return self._log_of(node, receiver, func.value)
        if method in cat.PRESERVING_METHODS:
            return tensor_part(receiver)
        return UNKNOWN

    def _log_of(self, node: cst.Call, value: Value, operand: cst.BaseExpression | None) -> Value:
        softmax_made = frozenset(
            p for p in value if isinstance(p, TensorOf) and p.producer in SOFTMAX_PRODUCERS
        )
        if softmax_made:
            self._record_log_of_softmax(node, softmax_made, operand)
        if any(isinstance(p, TensorOf) and p.kind is cat.Kind.PROBABILITIES for p in value):
            return frozenset({TensorOf(cat.Kind.LOG_PROBABILITIES, "log", node, self)})
        return UNKNOWN


def _attribute_of(receiver: Value, attribute: str) -> Value:
    result: set = set()
    for p in receiver:
        if isinstance(p, Ref):
            result.add(Ref(f"{p.qualified}.{attribute}"))
        elif isinstance(p, InstanceOf):
            result.add(BoundMethod(p.cls, attribute))
        elif isinstance(p, (TensorOf, Param)) and attribute in _PRESERVING_ATTRIBUTES:
            result.add(p)
        elif isinstance(p, Pending):
            result.add(p.derived(("attribute", attribute), lambda value: _attribute_of(value, attribute)))
    return frozenset(result)


def _is_self(func: cst.BaseExpression, interpreter: ExpressionInterpreter) -> bool:
    """``self.method(...)``: ``self`` is a module, never a tensor."""
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value == getattr(interpreter, "self_name", None)
    )


def _expects_for(spec: cat.LossSpec, node: cst.Call, arguments: list[Value]) -> cat.Expects | None:
    """What a loss object built by ``node`` expects, given its constructor's literal arguments."""
    fact = spec.fact
    if fact is None:
        return spec.expects

    def value_of(parameter: facts.Argument) -> object:
        found = _argument_index(node, parameter.position, parameter.keyword)
        if found is None:
            starred = any(arg.star for arg in node.args)
            return facts.UNDECIDED if starred else parameter.default
        return literal_value(node.args[found].value, arguments[found] if found < len(arguments) else UNKNOWN)

    expected = facts.expected_input(fact, value_of)
    return cat.Expects(expected) if expected is not None else None


def literal_value(node: cst.BaseExpression, value: Value) -> object:
    """The Python value of a literal (``True``, ``None``, ``"multiclass"``, ``3``) or of a library's named
    constant; ``UNDECIDED`` for anything else."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        evaluated = node.evaluated_value
        return evaluated if isinstance(evaluated, str) else facts.UNDECIDED
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    constants = {
        facts.CONSTANTS[name]
        for p in value
        if isinstance(p, Ref) and (name := cat.canonical(p.qualified)) in facts.CONSTANTS
    }
    return constants.pop() if len(constants) == 1 else facts.UNDECIDED


def _argument_index(node: cst.Call, position: int | None, keyword: str) -> int | None:
    """Where in ``node.args`` the argument ``keyword`` (or the positional one at ``position``) is."""
    for index, arg in enumerate(node.args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            return index
    if position is None:
        return None
    seen = 0
    for index, arg in enumerate(node.args):
        if arg.keyword is not None:
            continue
        if arg.star:
            return None
        if seen == position:
            return index
        seen += 1
    return None


def _callee_text(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        inner = _callee_text(func.value)
        return f"{inner}.{func.attr.value}" if inner else ""
    if isinstance(func, cst.Call):
        inner = _callee_text(func.func)
        return f"{inner}(...)" if inner else ""
    return ""


def argument(node: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = []
    for arg in node.args:
        if arg.keyword is not None:
            continue
        if arg.star:
            return None  # ``f(*args)``: cannot tell which value lands where
        positional.append(arg)
        if len(positional) > position:
            return positional[position].value
    return None


def argument_value(node: cst.Call, values: list[Value], position: int, keyword: str) -> Value:
    target = argument(node, position, keyword)
    for arg, value in zip(node.args, values):
        if arg.value is target:
            return value
    return UNKNOWN
