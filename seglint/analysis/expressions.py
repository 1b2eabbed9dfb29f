"""Expressions and calls of the abstract interpreter: where tensor kinds are made, kept and consumed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import libcst as cst

from seglint import library_facts as facts
from seglint.analysis import catalogue as cat
from seglint.analysis import contents
from seglint.analysis.bindings import parameter_names
from seglint.analysis.budget import counted
from seglint.analysis.contents import NOT_CONSTANT, Contents
from seglint.analysis.contexts import carries
from seglint.analysis.statements import StatementInterpreter
from seglint.analysis.values import (
    UNKNOWN,
    BoundMethod,
    ClassRef,
    Constant,
    Env,
    FunctionRef,
    InstanceOf,
    LambdaRef,
    LibraryModel,
    LossObject,
    Param,
    PassThroughObject,
    Pending,
    ProducerObject,
    RecordType,
    Ref,
    SequentialOf,
    TensorOf,
    Value,
    is_tensor_like,
    resolved,
    tensor_part,
)

SOFTMAX_PRODUCERS = frozenset({"softmax", "nn.Softmax", "nn.Softmax2d"})
_MODULE_OBJECTS = (
    InstanceOf,
    SequentialOf,
    LibraryModel,
    ProducerObject,
    LossObject,
    PassThroughObject,
    Pending,
)
# Objects that are called like a module: ``m.forward(x)`` and ``m.__call__(x)`` are ``m(x)``.
_CALLABLE_OBJECTS = (SequentialOf, LibraryModel, ProducerObject, LossObject, PassThroughObject, LambdaRef)
# Where a function's flow keeps whether ``model.eval()`` was called (not a name code can bind).
EVAL_FLAG = "<eval mode>"
# Methods of lists and dicts that read their contents.
_CONTAINER_READS = frozenset({"get", "pop", "values", "items", "copy"})
# Loops over a sequence of at most this many known elements run once per element.
MAX_UNROLLED = 8
# Lambdas calling lambdas: past this depth a call gives nothing known.
_MAX_LAMBDA_DEPTH = 4
# Attribute reads that keep a tensor's values (``probs.T``).
_PRESERVING_ATTRIBUTES = frozenset({"T", "mT", "data"})
_SEQUENTIAL = "torch.nn.Sequential"
_NAMED_CONSTANTS = {"None": None, "True": True, "False": False}


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

    def _call_method(
        self,
        method: BoundMethod,
        node: cst.Call | None = None,
        arguments: Sequence[Value] = (),
        eval_mode: bool = False,
    ) -> Value:
        raise NotImplementedError

    def _record_loss(self, spec: cat.LossSpec, loss: str, node: cst.Call, arguments: list[Value]) -> None:
        raise NotImplementedError

    def _record_log_of_softmax(self, node: cst.Call, made: Value, operand: cst.BaseExpression | None) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- dispatch
    @counted
    def _eval(self, node: cst.BaseExpression, env: Env) -> Value:
        handler = getattr(self, "_expr_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, env)
        self._generic(node, env)
        return UNKNOWN

    # Leaves and operators: evaluate the operands for the facts inside them; the result is unknown.
    def _expr_leaf(self, node: cst.BaseExpression, env: Env) -> Value:
        return UNKNOWN

    def _expr_literal(self, node: cst.BaseExpression, env: Env) -> Value:
        value = constant_of(node)
        return UNKNOWN if value is NOT_CONSTANT else Constant.of(value)

    _expr_Integer = _expr_SimpleString = _expr_ConcatenatedString = _expr_literal
    _expr_Float = _expr_Imaginary = _expr_Ellipsis = _expr_FormattedString = _expr_leaf

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

    def _expr_Tuple(self, node: cst.Tuple | cst.List, env: Env) -> Value:
        values = [self._eval(element.value, env) for element in node.elements]
        starred = [isinstance(element, cst.StarredElement) for element in node.elements]
        return contents.sequence(values, starred)

    _expr_List = _expr_Tuple

    def _expr_Set(self, node: cst.Set, env: Env) -> Value:
        values = [self._eval(element.value, env) for element in node.elements]
        return frozenset({Contents(rest=frozenset().union(*values), exact=False)})

    def _expr_Dict(self, node: cst.Dict, env: Env) -> Value:
        entries: list[tuple[object, Value]] = []
        spread: list[Value] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self._eval(element.key, env)
                entries.append((constant_of(element.key), self._eval(element.value, env)))
            else:
                spread.append(self._eval(element.value, env))
        return contents.mapping(entries, spread)

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
        if node.value in _NAMED_CONSTANTS:
            return frozenset({Constant(_NAMED_CONSTANTS[node.value])})
        return self._lookup(node.value, env)

    def _expr_Attribute(self, node: cst.Attribute, env: Env) -> Value:
        if self._self_attribute_key(node) is not None:
            return self._self_attribute(node, env)
        return _attribute_of(self._eval(node.value, env), node.attr.value)

    def _expr_Subscript(self, node: cst.Subscript, env: Env) -> Value:
        value = self._eval(node.value, env)
        for element in node.slice:
            self._eval_slice(element, env)
        layers = frozenset(p for p in value if isinstance(p, SequentialOf))
        if layers:  # ``model[-1]`` is a layer, ``model[:-1]`` a shorter model
            value = (value - layers) | self._layers_read(node, frozenset().union(*(p.layers for p in layers)))
        # ``probs[:, 1]`` keeps the kind; ``out[1]`` is the element at 1; ``out[i]`` any element.
        index = subscript_index(node)
        if index is _SLICE:
            return contents.sliced(value)
        if index is NOT_CONSTANT:
            return self._any_element(value)
        return contents.item(value, index)

    def _layers_read(self, node: cst.Subscript, layers: Value) -> Value:
        index = subscript_index(node)
        if index is _SLICE:
            return frozenset({SequentialOf(contents.sliced(layers))})
        return self._any_element(layers) if index is NOT_CONSTANT else contents.item(layers, index)

    def _any_element(self, value: Value) -> Value:
        """An element at an unknown index. A loss read from a registry counts only when every entry is a
        loss (``LOSSES[name](...)``): otherwise the name may pick one that is not, and a miss is better
        than a false alarm."""
        result: set = set()
        for p in value:
            if isinstance(p, Contents):
                entries = [*p.head, *p.tail, *(v for _, v in p.keys)] + ([p.rest] if p.rest else [])
                joined = p.everything()
                if any(self._loss_like(v) for v in entries) and not all(self._loss_like(v) for v in entries):
                    joined = frozenset(q for q in joined if not self._loss_like(frozenset({q})))
                result |= joined
            else:
                result |= contents.elements_of(frozenset({p}))
        return frozenset(result)

    def _loss_like(self, value: Value) -> bool:
        for p in value:
            if isinstance(p, LossObject):
                return True
            if isinstance(p, Ref):
                name = cat.canonical(p.qualified)
                if name in self.catalogue.loss_modules or name in self.catalogue.loss_functions:
                    return True
        return False

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
        self._lambda_envs[node] = env  # the enclosing flow, as a closure sees it
        return frozenset({LambdaRef(node, self)})

    def _call_lambda(self, function: LambdaRef, node: cst.Call, arguments: list[Value]) -> Value:
        """Calling a lambda evaluates its body with the call's arguments bound to its parameters."""
        owner: ExpressionInterpreter = function.owner
        if owner._lambda_depth >= _MAX_LAMBDA_DEPTH or function.node not in owner._lambda_envs:
            return UNKNOWN
        inner = dict(owner._lambda_envs[function.node])
        params = function.node.params
        for name in parameter_names(params):
            inner[name] = UNKNOWN
        positional = [p.name.value for p in (*params.posonly_params, *params.params)]
        bound = bind_arguments(positional, node, arguments)
        inner.update(bound)
        emitting = owner._emitting
        owner._lambda_depth += 1
        owner._emitting = emitting and owner is self and self._emitting
        try:
            return owner._eval(function.node.body, inner)
        finally:
            owner._lambda_depth -= 1
            owner._emitting = emitting

    def _comprehension(self, node: cst.BaseComp, elements: Sequence[cst.BaseExpression], env: Env) -> Value:
        inner = dict(env)
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            iterated = self._eval(clause.iter, inner)
            self._assign(clause.target, self._iterated(iterated), inner)
            for condition in clause.ifs:
                self._eval(condition.test, inner)
            clause = clause.inner_for_in
        values = [self._eval(element, inner) for element in elements]
        # What the comprehension builds: its elements, at positions not known.
        return frozenset({Contents(rest=values[-1], exact=False)})

    def _iterated(self, value: Value) -> Value:
        """What a ``for`` target receives from ``value``: any element (a model's layers, for a model)."""
        layers = frozenset(p for p in value if isinstance(p, SequentialOf))
        if layers:
            value = (value - layers) | frozenset().union(*(p.layers for p in layers))
        return contents.elements_of(value)

    def _unrolled(self, value: Value) -> Sequence[Value] | None:
        """The elements of ``value`` in order, when it is one short sequence known exactly (a model's
        list of layers): a loop over it can run once per element."""
        if len(value) != 1:
            return None
        (only,) = value
        if isinstance(only, SequentialOf):
            return self._unrolled(only.layers)
        elements = contents.exact_elements(value)
        if elements is None or not elements or len(elements) > MAX_UNROLLED:
            return None
        return elements

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
        if not callee and isinstance(func, cst.Name) and func.value in BUILTIN_CALLS:
            result |= self._call_builtin(func.value, node, arguments)
        for possibility in callee:
            result |= self._call_possibility(possibility, node, arguments, env)
        if (
            method is not None
            and receiver_key is not None
            and any(isinstance(p, (InstanceOf, Pending)) for p in receiver)
        ):
            self._apply_setter(method, receiver, receiver_key, node, arguments, env)
        if method is not None and any(isinstance(p, (Contents, SequentialOf)) for p in receiver):
            result |= self._container_method(node, method, receiver, receiver_key, arguments, env)
        if method in _CONTAINER_READS:  # ``out.get("seg")`` of what another module's model returns
            result |= {
                p.derived(
                    ("method", id(node), method, *arguments),
                    self._quietly(
                        lambda r: self._container_method(node, method, resolved(r), None, arguments, {})
                    ),
                )
                for p in receiver
                if isinstance(p, Pending)
            }
        if method in ("eval", "train") and any(isinstance(p, _MODULE_OBJECTS) for p in receiver):
            turned_off = method == "train" and bool(node.args) and constant_of(node.args[0].value) is False
            env[EVAL_FLAG] = Constant.of(method == "eval" or turned_off)
        if method in cat.MODULE_SELF_METHODS:  # ``model = UNet().to(device).train()`` is still the model
            result |= {p for p in receiver if isinstance(p, _MODULE_OBJECTS)}
        if method is not None and is_tensor_like(receiver) and not _is_self(func, self):
            result |= self._call_tensor_method(method, func, node, receiver)  # type: ignore[arg-type]
        return frozenset(result)

    def _call_builtin(self, name: str, node: cst.Call, arguments: list[Value]) -> Value:
        """The builtins that move contents: ``tuple``/``list``, ``dict``, ``enumerate``, ``zip``,
        ``reversed``/``sorted``/``iter``, ``getattr`` with a constant name."""
        first = arguments[0] if arguments and node.args[0].keyword is None and not node.args[0].star else None
        if name in ("tuple", "list"):
            if first is None:
                return frozenset({Contents()})
            exact = contents.exact_elements(first)
            return (
                contents.sequence(exact) if exact is not None else _sequence_of(contents.elements_of(first))
            )
        if name in ("reversed", "sorted", "iter", "set", "frozenset"):
            return _sequence_of(contents.elements_of(first)) if first is not None else UNKNOWN
        if name == "enumerate":
            return (
                _sequence_of(contents.sequence([UNKNOWN, contents.elements_of(first)])) if first else UNKNOWN
            )
        if name == "zip":
            columns = [
                contents.elements_of(value) for arg, value in zip(node.args, arguments) if not arg.keyword
            ]
            return _sequence_of(contents.sequence(columns))
        if name == "dict":
            keywords = [
                (arg.keyword.value, value)
                for arg, value in zip(node.args, arguments)
                if arg.keyword is not None
            ]
            return contents.mapping(keywords, [first] if first is not None else [])
        if name == "getattr" and len(node.args) >= 2:
            attribute = constant_of(node.args[1].value)
            if isinstance(attribute, str):
                found = _attribute_of(arguments[0], attribute)
                return found | (arguments[2] if len(arguments) > 2 else UNKNOWN)
        return UNKNOWN

    def _container_method(
        self, node: cst.Call, method: str, receiver: Value, key: str | None, arguments: list[Value], env: Env
    ) -> Value:
        """Methods of lists, dicts and models that read or grow their contents: ``outs.append(p)``,
        ``out.update(seg=p)``, ``out.get("seg")``, ``out.items()``, ``model.add_module("act", m)``."""
        layers = frozenset(p for p in receiver if isinstance(p, SequentialOf))
        held = frozenset(p for p in receiver if isinstance(p, Contents))
        first = arguments[0] if arguments else UNKNOWN
        grown: Value | None = None
        result: Value = UNKNOWN
        if method == "append" and arguments:
            grown = contents.appended(held, first)
        elif method == "extend" and arguments:
            grown = contents.extended(held, first)
        elif method == "insert" and len(arguments) == 2:
            grown = contents.with_item(held, NOT_CONSTANT, arguments[1])
        elif method == "update":
            keywords = [
                (arg.keyword.value, v) for arg, v in zip(node.args, arguments) if arg.keyword is not None
            ]
            positional = [v for arg, v in zip(node.args, arguments) if arg.keyword is None]
            grown = contents.merged(held, contents.mapping(keywords, positional))
        elif method == "setdefault" and len(node.args) == 2:
            grown = contents.with_item(held, constant_of(node.args[0].value), arguments[1])
        elif method in ("get", "pop") and node.args:
            index = constant_of(node.args[0].value)
            found = self._any_element(held) if index is NOT_CONSTANT else contents.item(held, index)
            result = found | (arguments[1] if len(arguments) > 1 else UNKNOWN)
        elif method == "pop":
            result = contents.element(held, -1)
        elif method == "values":
            result = _sequence_of(contents.elements_of(held))
        elif method == "items":
            result = _sequence_of(contents.sequence([UNKNOWN, contents.elements_of(held)]))
        elif method == "copy":
            result = held
        if layers and method in ("append", "add_module") and arguments:
            joined = frozenset().union(*(p.layers for p in layers))
            added = frozenset({SequentialOf(contents.appended(joined, arguments[-1]))})
            if key is not None:
                env[key] = (env.get(key, receiver) - layers) | added
            elif isinstance(node.func, cst.Attribute) and isinstance(node.func.value, cst.Attribute):
                self._assign(node.func.value, (receiver - layers) | added, env)  # ``model.classifier.append``
        if grown is not None and key is not None and held:
            env[key] = (env.get(key, receiver) - held) | grown
        return result

    def _call_possibility(
        self, possibility: object, node: cst.Call, arguments: list[Value], env: Env
    ) -> Value:
        # What a call resolved later needs of this flow: whether it runs in eval mode here.
        called_in = {EVAL_FLAG: Constant.of(self._in_eval_mode(env))}
        if isinstance(possibility, Ref):
            qualified = cat.canonical(possibility.qualified)
            known = self._call_qualified(qualified, node, arguments)
            if known is not None:
                return known
            if not self._has_project():
                return UNKNOWN
            if self._emitting and any(carries(value, pending=False) for value in arguments):
                # Another module's function or class given a model, a loss or a kind: its body is a
                # context of this call (its findings are that module's, reported from here).
                for callee in resolved(self._resolve(qualified)):
                    if isinstance(callee, FunctionRef):
                        self._note_call_site(callee, node, arguments)
                    elif isinstance(callee, ClassRef):
                        return self._call_possibility(callee, node, arguments, env)
            result = self._later(
                ("call", id(node), qualified, *arguments),
                lambda: self._call_value(self._resolve(qualified), node, arguments, called_in),
            )
            for pending in result:
                pending.constructed = qualified.rsplit(".", 1)[-1][:1].isupper()
            return result
        if isinstance(possibility, Pending):
            if not possibility.from_masked:
                self._note_pending_call(possibility, node, arguments)
            elif self._emitting and any(carries(value, pending=False) for value in arguments):
                # A function of a block the partial parse left out, called with a model, a loss or a
                # kind: that block is parsed now, and the call is a context of its function.
                for callee in resolved(frozenset({possibility})):
                    if isinstance(callee, FunctionRef):
                        self._note_call_site(callee, node, arguments)
                    elif isinstance(callee, ClassRef):
                        self._call_possibility(callee, node, arguments, env)  # notes the instance
            called = possibility.derived(
                ("call", id(node), *arguments),
                self._quietly(lambda value: self._call_value(value, node, arguments, called_in)),
            )
            called.constructed = _callee_text(node.func).rsplit(".", 1)[-1][:1].isupper()
            return frozenset({called})
        if isinstance(possibility, LossObject):
            spec = self.catalogue.loss_modules.get(possibility.loss, cat.LossSpec(possibility.expects))
            self._record_loss(spec, possibility.loss, node, arguments)
            return UNKNOWN
        if isinstance(possibility, ProducerObject):
            self._producer_sites[id(node)] = ProducerSite(node, argument(node, 0, "input"), None)
            return frozenset({TensorOf(possibility.kind, possibility.producer, node, self)})
        if isinstance(possibility, ClassRef):
            fields = possibility.owner._record_fields(possibility.node)
            if fields is not None:
                return _record_from(fields, node, arguments)
            instance = InstanceOf(
                possibility,
                self._init_bindings(possibility, node, arguments),
                constants=self._init_constants(possibility, node, arguments),
            )
            if instance.init:
                self._note_instance(instance, node)
            return frozenset({instance})
        if isinstance(possibility, RecordType):
            return _record_from(possibility.fields, node, arguments)
        if isinstance(possibility, PassThroughObject):
            return tensor_part(argument_value(node, arguments, 0, "input"))
        if isinstance(possibility, LambdaRef):
            return self._call_lambda(possibility, node, arguments)
        if isinstance(possibility, SequentialOf):
            return self._relabel(self._call_layers(possibility.layers, node, arguments, env), node)
        if isinstance(possibility, LibraryModel):
            from seglint.analysis.library_models import called

            return self._relabel(
                called(possibility, lambda head: self._call_value(head, node, arguments, env)), node
            )
        # Summaries cost a run over the callee's body: computed only if the result reaches a loss.
        # The result depends on the callee and the call's place only, so one pending value serves both
        # passes of a loop.
        if isinstance(possibility, FunctionRef):
            self._note_call_site(possibility, node, arguments)
            mode = self._in_eval_mode(env)
            return self._later(
                ("summary", id(node), possibility, mode),
                lambda: self._relabel(self._function_summary(possibility, node, arguments, mode), node),
            )
        if isinstance(possibility, InstanceOf):
            forward = BoundMethod(possibility.cls, "forward", possibility if possibility.specific else None)
            self._note_method_call(forward, node, arguments)
            mode = self._in_eval_mode(env)
            return self._later(
                ("summary", id(node), forward, mode),
                lambda: self._relabel(self._call_method(forward, node, arguments, mode), node),
            )
        if isinstance(possibility, BoundMethod):
            self._note_method_call(possibility, node, arguments)
            mode = self._in_eval_mode(env)
            return self._later(
                ("summary", id(node), possibility, mode),
                lambda: self._relabel(self._call_method(possibility, node, arguments, mode), node),
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

    def _note_method_call(self, method: BoundMethod, node: cst.Call, arguments: list[Value]) -> None:
        raise NotImplementedError

    def _init_bindings(self, cls: ClassRef, node: cst.Call, arguments: list[Value]) -> tuple:
        raise NotImplementedError

    def _init_constants(self, cls: ClassRef, node: cst.Call, arguments: list[Value]) -> tuple:
        raise NotImplementedError

    def _apply_setter(
        self, method: str, receiver: Value, key: str, node: cst.Call, arguments: list[Value], env: Env
    ) -> None:
        raise NotImplementedError

    def _note_instance(self, instance: InstanceOf, node: cst.Call) -> None:
        raise NotImplementedError

    def _function_summary(
        self, function: FunctionRef, node: cst.Call, arguments: list[Value], eval_mode: bool = False
    ) -> Value:
        raise NotImplementedError

    def _in_eval_mode(self, env: Env) -> bool:
        raise NotImplementedError

    def _call_layers(self, layers: Value, node: cst.Call, arguments: list[Value], env: Env) -> Value:
        """Calling a container of layers passes the input through each in turn, when they are all known;
        otherwise the result is what its last layer (or any, if that is unknown) makes."""
        result: set = set()
        for possibility in layers:
            if not isinstance(possibility, Contents):
                continue
            if possibility.exact and possibility.head:
                current = argument_value(node, arguments, 0, "input")
                for layer in possibility.head:
                    current = self._call_layer(layer, node, [current, *arguments[1:]], env)
                result |= current
            else:
                last = possibility.tail[-1] if possibility.tail else possibility.everything()
                result |= self._call_layer(last, node, arguments, env)
        return frozenset(result)

    def _call_layer(self, layer: Value, node: cst.Call, arguments: list[Value], env: Env) -> Value:
        """One layer of a container; a producer inside it made the tensor where it was built."""
        result: set = set()
        for possibility in layer:
            if isinstance(possibility, ProducerObject):
                result.add(
                    TensorOf(
                        possibility.kind, possibility.producer, possibility.constructed_by, possibility.owner
                    )
                )
            elif isinstance(possibility, PassThroughObject):
                result |= tensor_part(arguments[0]) if arguments else UNKNOWN
            else:
                result |= self._call_possibility(possibility, node, arguments, env)
        return frozenset(result)

    def _relabel(self, value: Value, node: cst.Call) -> Value:
        """Tensors returned by a model or helper carry the callee's name, for messages (also inside the
        tuples and dicts it returns)."""
        via = _callee_text(node.func)
        return contents.mapped(value, lambda p: replace(p, via=via, step=""), ("relabel", id(node)))

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
        if qualified in catalogue.models:
            from seglint.analysis.library_models import model_value  # it reads arguments as this module does

            return model_value(catalogue.models[qualified], node, arguments, self, self._resolve)
        if qualified in cat.PRODUCER_MODULES:
            kind, producer = cat.PRODUCER_MODULES[qualified]
            return frozenset({ProducerObject(kind, producer, node, self)})
        if qualified in cat.PRESERVING_FUNCTIONS:
            return tensor_part(argument_value(node, arguments, 0, "input"))
        known = self._call_library(qualified, node, arguments)
        if known is not None:
            return known
        if qualified.startswith("torch.") or qualified == "torch":
            return UNKNOWN
        return None

    def _call_library(self, qualified: str, node: cst.Call, arguments: list[Value]) -> Value | None:
        """Calls that move a kind or a model along: containers, wrappers, splitting and joining,
        resampling, ``functools.partial``, ``namedtuple``; ``None`` for any other name."""
        first = argument_value(node, arguments, 0, "input")
        if qualified == _SEQUENTIAL:
            positional = [(arg, value) for arg, value in zip(node.args, arguments) if arg.keyword is None]
            layers = contents.sequence([v for _, v in positional], [bool(a.star) for a, _ in positional])
            return frozenset({SequentialOf(layers)})
        if qualified in cat.MODULE_CONTAINERS:
            return frozenset(
                p for p in (arguments[0] if arguments else UNKNOWN) if isinstance(p, Contents)
            ) or (frozenset({Contents()}))
        if qualified in cat.MODEL_WRAPPERS:
            model = arguments[0] if arguments else UNKNOWN
            return (
                model
                if qualified.startswith("copy.")
                else frozenset(p for p in model if isinstance(p, _MODULE_OBJECTS))
            )
        if qualified in cat.PASS_THROUGH_MODULES:
            return frozenset({PassThroughObject(qualified)})
        if qualified in cat.CLAMPING_FUNCTIONS:
            return _clamped(first)
        if qualified in cat.SPLITTING_FUNCTIONS:
            return _sequence_of(tensor_part(first))
        if qualified in cat.JOINING_FUNCTIONS:
            sequence = arguments[0] if arguments else UNKNOWN
            return tensor_part(contents.elements_of(sequence))
        if qualified in cat.INTERPOLATE_FUNCTIONS:
            mode = argument(node, 3, "mode")
            kept = mode is None or constant_of(mode) in cat.INTERPOLATE_KEEPING_MODES
            return tensor_part(first) if kept else UNKNOWN
        if qualified == "torch.where" and len(arguments) == 3:
            return _common_kinds(arguments[1], arguments[2])
        if qualified == "torch.exp":
            return self._exp_of(node, first)
        if qualified == "torch.nn.functional.gumbel_softmax":
            hard = argument(node, 2, "hard")
            kind = (
                cat.Kind.ONE_HOT if hard is not None and constant_of(hard) is True else cat.Kind.PROBABILITIES
            )
            return frozenset({TensorOf(kind, "gumbel_softmax", node, self)})
        if qualified == "torch.eye":
            return frozenset({TensorOf(cat.Kind.ONE_HOT, "eye", node, self)})
        if qualified == "functools.partial":
            # Calling the partial calls the function with the call's arguments after the bound ones:
            # followed only when the partial binds keywords alone, so that positions still match.
            positional = [arg for arg in node.args[1:] if arg.keyword is None]
            return arguments[0] if arguments and not positional and not node.args[0].keyword else UNKNOWN
        if qualified in ("collections.namedtuple", "typing.NamedTuple") and len(node.args) >= 2:
            fields = _field_names(node.args[1].value)
            return frozenset({RecordType(fields)}) if fields is not None else UNKNOWN
        if qualified == "types.SimpleNamespace":
            return contents.record(
                (arg.keyword.value, value)
                for arg, value in zip(node.args, arguments)
                if arg.keyword is not None
            )
        return None

    def _exp_of(self, node: cst.Call, value: Value) -> Value:
        if any(isinstance(p, TensorOf) and p.kind is cat.Kind.LOG_PROBABILITIES for p in value):
            return frozenset({TensorOf(cat.Kind.PROBABILITIES, "exp", node, self)})
        return UNKNOWN

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
        if method in cat.CLAMPING_METHODS:
            return _clamped(receiver)
        if method in cat.SPLITTING_METHODS:
            return _sequence_of(tensor_part(receiver))
        if method == "exp":
            return self._exp_of(node, receiver)
        if method in ("scatter", "scatter_") and len(node.args) >= 3 and constant_of(node.args[2].value) == 1:
            # ``zeros(...).scatter_(1, labels, 1)`` writes a one at each label: a one-hot encoding.
            return frozenset({TensorOf(cat.Kind.ONE_HOT, method, node, self)})
        return UNKNOWN

    def _log_of(self, node: cst.Call, value: Value, operand: cst.BaseExpression | None) -> Value:
        softmax_made = frozenset(
            p for p in value if isinstance(p, TensorOf) and p.producer in SOFTMAX_PRODUCERS and not p.clamped
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
        elif attribute == "module" and isinstance(p, (InstanceOf, SequentialOf)):
            result.add(p)  # ``DataParallel(model).module`` is the model (wrappers are the model here)
        elif isinstance(p, InstanceOf):
            name = "forward" if attribute == "__call__" else attribute
            result.add(BoundMethod(p.cls, name, p if p.specific else None))
        elif isinstance(p, _CALLABLE_OBJECTS) and attribute in ("forward", "__call__"):
            result.add(p)
        elif isinstance(p, Contents) and p.record:
            result |= contents.field(frozenset({p}), attribute)
        elif isinstance(p, LibraryModel) and (head := p.attribute(attribute)) is not None:
            result |= head
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
    constants = {constant_value(p) for p in value}
    return constants.pop() if len(constants) == 1 else facts.UNDECIDED


def constant_value(possibility: object) -> object:
    """The value a possibility stands for: a string a variable holds, a library's named constant."""
    if isinstance(possibility, Constant):
        return possibility.value
    if isinstance(possibility, Ref) and (name := cat.canonical(possibility.qualified)) in facts.CONSTANTS:
        return facts.CONSTANTS[name]
    return facts.UNDECIDED


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


_SLICE = object()  # a subscript that slices (``out[1:]``)


def constant_of(node: cst.BaseExpression) -> object:
    """The value of a literal key or index (``1``, ``-1``, ``"seg"``, ``True``); ``NOT_CONSTANT`` else."""
    if isinstance(node, cst.Integer):
        return _integer_value(node)
    if isinstance(node, cst.SimpleString):
        return _string_value(node)
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Minus)
        and isinstance(node.expression, (cst.Integer, cst.Float))
    ):
        return -node.expression.evaluated_value
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        evaluated = node.evaluated_value
        return evaluated if isinstance(evaluated, (str, bytes)) else NOT_CONSTANT
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[node.value]
    return NOT_CONSTANT


# libcst's ``evaluated_value`` runs ``ast.literal_eval`` (a compile) on every literal, docstrings
# included: most literals need no such thing.
def _integer_value(node: cst.Integer) -> object:
    try:
        return int(node.value, 0)
    except ValueError:  # ``007`` is no Python 3 literal; let libcst say what it is
        return node.evaluated_value


def _string_value(node: cst.SimpleString) -> object:
    prefix = node.prefix.lower()
    if prefix in ("", "u", "r") and "\\" not in node.value:
        return node.raw_value  # no escapes to read
    evaluated = node.evaluated_value
    return evaluated if isinstance(evaluated, (str, bytes)) else NOT_CONSTANT


def subscript_index(node: cst.Subscript) -> object:
    """A subscript's constant index or key, ``_SLICE`` for ``a[i:j]``, ``NOT_CONSTANT`` otherwise
    (also for ``a[:, 1]``: several indices, which only tensors take)."""
    if len(node.slice) != 1:
        return NOT_CONSTANT
    inner = node.slice[0].slice
    if isinstance(inner, cst.Slice):
        return _SLICE
    return constant_of(inner.value)


def bind_arguments(parameters: Sequence[str], call: cst.Call, arguments: list[Value]) -> dict[str, Value]:
    """Which value each named parameter receives at ``call`` (positional, then keywords); nothing is
    bound positionally past a ``*args``."""
    bound: dict[str, Value] = {}
    position = 0
    for arg, value in zip(call.args, arguments):
        if arg.star:
            break
        if arg.keyword is not None:
            bound[arg.keyword.value] = value
        elif position < len(parameters):
            bound[parameters[position]] = value
            position += 1
    return bound


def _clamped(value: Value) -> Value:
    """A tensor clamped into a range keeps its kind; its log is finite (no log-of-softmax problem)."""
    return frozenset(replace(p, clamped=True) if isinstance(p, TensorOf) else p for p in tensor_part(value))


def _sequence_of(element: Value) -> Value:
    """A sequence of unknown length whose elements may be ``element``."""
    return frozenset({Contents(rest=element, exact=False)})


def _record_from(fields: Sequence[str], call: cst.Call, arguments: list[Value]) -> Value:
    bound = bind_arguments(fields, call, arguments)
    return contents.record((name, bound[name]) for name in fields if name in bound)


def _common_kinds(left: Value, right: Value) -> Value:
    """``torch.where(mask, p, q)``: a kind both sides hold (either side's tensors of that kind)."""
    kinds = {p.kind for p in left if isinstance(p, TensorOf)} & {
        p.kind for p in right if isinstance(p, TensorOf)
    }
    return frozenset(p for p in (*left, *right) if isinstance(p, TensorOf) and p.kind in kinds)


def _field_names(node: cst.BaseExpression) -> tuple[str, ...] | None:
    """``namedtuple``'s field names: ``"a b"``, ``"a, b"``, ``["a", "b"]`` or ``[("a", T), ...]``."""
    literal = constant_of(node)
    if isinstance(literal, str):
        return tuple(name for name in literal.replace(",", " ").split())
    if isinstance(node, (cst.List, cst.Tuple)):
        names = []
        for element in node.elements:
            value = element.value
            if isinstance(value, cst.Tuple) and value.elements:
                value = value.elements[0].value
            name = constant_of(value)
            if not isinstance(name, str):
                return None
            names.append(name)
        return tuple(names)
    return None


# Builtins the interpreter models when a module does not bind the name itself.
BUILTIN_CALLS = frozenset(
    {"tuple", "list", "reversed", "sorted", "iter", "set", "frozenset", "enumerate", "zip", "dict", "getattr"}
)
