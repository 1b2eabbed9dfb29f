"""One pass over a module's syntax tree that follows tensor kinds through local data flow.

The pass is a small abstract interpreter: statements update an environment that maps names (and
``self.attr`` pseudo-names) to abstract values; branches are analysed separately and joined, so
reassignment kills a kind and a kind made on one branch *may* survive the join. Calls of losses record
``LossInput`` facts; ``torch.log`` of a softmax records ``LogOfSoftmax``. Nothing here decides what is a
finding: the rules do that from the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from seglint.analysis import catalogue as cat
from seglint.analysis.bindings import local_names, parameter_names, target_names
from seglint.analysis.facts import LogOfSoftmax, LossInput, ModuleFacts, Origin, Rewrite
from seglint.analysis.values import (
    OPAQUE,
    UNKNOWN,
    Env,
    LossObject,
    Opaque,
    ProducerObject,
    Ref,
    TensorOf,
    Value,
    join,
    may_be_tensor,
    tensor_part,
)
from seglint.diagnostics import Span

_SOFTMAX_PRODUCERS = frozenset({"softmax", "nn.Softmax", "nn.Softmax2d"})
# Attribute reads that keep a tensor's values (``probs.T``).
_PRESERVING_ATTRIBUTES = frozenset({"T", "mT", "data"})


@dataclass
class _Scope:
    """What a function or class body sees besides its own flow-sensitive environment."""

    local: frozenset[str]
    outer: Callable[[str], Value]
    self_name: str | None = None
    class_attributes: dict[str, Value] | None = None
    collect_attributes: dict[str, Value] | None = None  # set during the attribute-collection pass
    is_module: bool = False
    is_class: bool = False


@dataclass(frozen=True)
class _ProducerSite:
    """How a producer call is written, for rewrites: its tensor argument and its callee's name."""

    tensor: cst.BaseExpression | None
    softmax_name: cst.Name | None  # the ``softmax`` token of ``F.softmax`` / ``x.softmax``
    dim: cst.BaseExpression | None = None


@dataclass
class _Loop:
    breaks: list[Env] = field(default_factory=list)
    continues: list[Env] = field(default_factory=list)


class _Interpreter:
    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None
        self._loss_inputs: dict[Span, LossInput] = {}
        self._logs: dict[Span, LogOfSoftmax] = {}
        self._producer_sites: dict[int, _ProducerSite] = {}
        self._loops: list[_Loop] = []
        self._deferred: list[Callable[[], None]] = []
        self._emitting = True
        self._scope = _Scope(local=frozenset(), outer=lambda name: UNKNOWN)

    # ----------------------------------------------------------------- entry point
    def run(self) -> tuple[tuple[LossInput, ...], tuple[LogOfSoftmax, ...]]:
        module_env: Env = {}
        self._scope = _Scope(local=frozenset(), outer=lambda name: UNKNOWN, is_module=True)
        final = self._block(self._module.body, module_env)
        # Functions run after the module body: they see its final bindings.
        self._module_env = final if final is not None else module_env
        while self._deferred:
            self._deferred.pop(0)()
        return (
            tuple(sorted(self._loss_inputs.values(), key=lambda f: f.call)),
            tuple(sorted(self._logs.values(), key=lambda f: f.call)),
        )

    # ----------------------------------------------------------------- helpers
    def _span(self, node: cst.CSTNode) -> Span:
        # Positions cost two parses' worth of time: resolve them only when a fact is reported.
        if self._positions is None:
            self._positions = MetadataWrapper(self._module, unsafe_skip_copy=True).resolve(PositionProvider)
        code_range = self._positions[node]
        return Span(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )

    def _lookup(self, name: str, env: Env) -> Value:
        if name in env:
            return env[name]
        if name in self._scope.local:
            return UNKNOWN
        return self._scope.outer(name)

    def _origins(self, value: Value) -> tuple[Origin, ...]:
        return tuple(
            sorted(Origin(self._span(p.made_by), p.kind, p.producer) for p in value if isinstance(p, TensorOf))
        )

    def _code(self, node: cst.CSTNode) -> str:
        return self._module.code_for_node(node)

    # ----------------------------------------------------------------- statements
    def _block(self, statements: Sequence[cst.CSTNode], env: Env | None) -> Env | None:
        for statement in statements:
            if env is None:
                return None
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite, env: Env | None) -> Env | None:
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite.body, env)
        return self._block(suite.body, env)  # SimpleStatementSuite: small statements on one line

    def _statement(self, node: cst.CSTNode, env: Env) -> Env | None:
        if isinstance(node, cst.SimpleStatementLine):
            return self._block(node.body, env)
        handler = getattr(self, "_stmt_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, env)
        self._generic(node, env)
        return env

    def _stmt_Expr(self, node: cst.Expr, env: Env) -> Env:
        self._eval(node.value, env)
        return env

    def _stmt_Assign(self, node: cst.Assign, env: Env) -> Env:
        value_node = node.value
        if len(node.targets) == 1 and _same_arity(node.targets[0].target, value_node):
            values = [self._eval(element.value, env) for element in value_node.elements]  # type: ignore[attr-defined]
            for element, value in zip(node.targets[0].target.elements, values):  # type: ignore[attr-defined]
                self._assign(element.value, value, env)
            return env
        value = self._eval(value_node, env)
        for target in node.targets:
            self._assign(target.target, value, env)
        return env

    def _stmt_AnnAssign(self, node: cst.AnnAssign, env: Env) -> Env:
        if node.value is not None:
            self._assign(node.target, self._eval(node.value, env), env)
        return env

    def _stmt_AugAssign(self, node: cst.AugAssign, env: Env) -> Env:
        self._eval(node.value, env)
        self._eval(node.target, env)
        self._assign(node.target, UNKNOWN, env)
        return env

    def _stmt_Del(self, node: cst.Del, env: Env) -> Env:
        for name in target_names(node.target):
            env[name] = UNKNOWN
        return env

    def _stmt_Return(self, node: cst.Return, env: Env) -> None:
        if node.value is not None:
            self._eval(node.value, env)
        return None

    def _stmt_Raise(self, node: cst.Raise, env: Env) -> None:
        self._generic(node, env)
        return None

    def _stmt_Break(self, node: cst.Break, env: Env) -> None:
        if self._loops:
            self._loops[-1].breaks.append(dict(env))
        return None

    def _stmt_Continue(self, node: cst.Continue, env: Env) -> None:
        if self._loops:
            self._loops[-1].continues.append(dict(env))
        return None

    def _stmt_Import(self, node: cst.Import, env: Env) -> Env:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None:
                for name in target_names(alias.asname.name):
                    env[name] = frozenset({Ref(dotted)})
            else:
                root = dotted.split(".", 1)[0]
                env[root] = frozenset({Ref(root)})
        return env

    def _stmt_ImportFrom(self, node: cst.ImportFrom, env: Env) -> Env:
        module = "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")
        if isinstance(node.names, cst.ImportStar):
            prefix = module + "."
            for qualified in (*cat.PRODUCER_FUNCTIONS, *cat.LOSS_FUNCTIONS, *cat.LOSS_MODULES, *cat.PRODUCER_MODULES):
                if qualified.startswith(prefix) and "." not in qualified[len(prefix):]:
                    env[qualified[len(prefix):]] = frozenset({Ref(qualified)})
            return env
        for alias in node.names:
            imported = _dotted(alias.name)
            bound = target_names(alias.asname.name) if alias.asname is not None else [imported]
            qualified = f"{module}.{imported}" if module and not module.endswith(".") else module + imported
            for name in bound:
                env[name] = frozenset({Ref(qualified)})
        return env

    def _stmt_If(self, node: cst.If, env: Env) -> Env | None:
        self._eval(node.test, env)
        taken = self._suite(node.body, dict(env))
        if node.orelse is None:
            not_taken: Env | None = env
        elif isinstance(node.orelse, cst.If):
            not_taken = self._stmt_If(node.orelse, dict(env))
        else:
            not_taken = self._suite(node.orelse.body, dict(env))
        return join(taken, not_taken)

    def _loop(self, body: cst.BaseSuite, orelse: cst.Else | None, env: Env, before_body: Callable[[Env], None]) -> Env | None:
        loop = _Loop()
        self._loops.append(loop)
        try:
            state: Env | None = env
            # Twice: the second pass sees kinds carried around the loop by the first.
            for _ in range(2):
                entry = join(env, state)
                assert entry is not None
                before_body(entry)
                state = self._suite(body, entry)
                for carried in loop.continues:
                    state = join(state, carried)
            exit_state = join(env, state)
        finally:
            self._loops.pop()
        if orelse is not None:
            exit_state = self._suite(orelse.body, exit_state)
        for broken in loop.breaks:
            exit_state = join(exit_state, broken)
        return exit_state

    def _stmt_For(self, node: cst.For, env: Env) -> Env | None:
        self._eval(node.iter, env)

        def bind_target(entry: Env) -> None:
            self._assign(node.target, UNKNOWN, entry)

        return self._loop(node.body, node.orelse, env, bind_target)

    def _stmt_While(self, node: cst.While, env: Env) -> Env | None:
        return self._loop(node.body, node.orelse, env, lambda entry: self._eval(node.test, entry))

    def _stmt_With(self, node: cst.With, env: Env) -> Env | None:
        for item in node.items:
            value = self._eval(item.item, env)
            if item.asname is not None:
                self._assign(item.asname.name, UNKNOWN if value else UNKNOWN, env)
        return self._suite(node.body, env)

    def _stmt_Try(self, node: cst.Try | cst.TryStar, env: Env) -> Env | None:
        body_out = self._suite(node.body, dict(env))
        # A handler may start anywhere in the body: approximate with before-or-after.
        handler_entry = join(env, body_out)
        outs: list[Env | None] = []
        if node.orelse is not None:
            outs.append(self._suite(node.orelse.body, body_out))
        else:
            outs.append(body_out)
        for handler in node.handlers:
            assert handler_entry is not None
            entry = dict(handler_entry)
            if handler.type is not None:
                self._eval(handler.type, entry)
            if handler.name is not None:
                self._assign(handler.name.name, UNKNOWN, entry)
            outs.append(self._suite(handler.body, entry))
        result: Env | None = None
        for out in outs:
            result = join(result, out)
        if node.finalbody is not None:
            final_entry = join(handler_entry, result)
            assert final_entry is not None
            finished = self._suite(node.finalbody.body, final_entry)
            return None if result is None or finished is None else join(result, finished)
        return result

    _stmt_TryStar = _stmt_Try

    def _stmt_Match(self, node: cst.Match, env: Env) -> Env | None:
        self._eval(node.subject, env)
        result: Env | None = env  # no case may match
        for case in node.cases:
            entry = dict(env)
            for name in _pattern_names(case.pattern):
                entry[name] = UNKNOWN
            if case.guard is not None:
                self._eval(case.guard, entry)
            result = join(result, self._suite(case.body, entry))
        return result

    def _stmt_FunctionDef(self, node: cst.FunctionDef, env: Env) -> Env:
        for decorator in node.decorators:
            self._eval(decorator.decorator, env)
        self._evaluate_parameter_defaults(node.params, env)
        env[node.name.value] = OPAQUE
        # Methods are analysed with their class; the attribute-collection pass skips nested bodies.
        if not self._scope.is_class and self._emitting:
            self._defer_function(node, env, class_context=None)
        return env

    def _stmt_ClassDef(self, node: cst.ClassDef, env: Env) -> Env:
        for decorator in node.decorators:
            self._eval(decorator.decorator, env)
        for base in (*node.bases, *node.keywords):
            self._eval(base.value, env)
        enclosing = self._scope
        outer_env = self._defining_env(env)
        class_scope = _Scope(
            local=local_names(node.body.body) if isinstance(node.body, cst.IndentedBlock) else frozenset(),
            # The class body runs at definition time: it sees the bindings made so far.
            outer=lambda name: self._outer_lookup(name, env, enclosing),
            is_class=True,
        )
        self._scope = class_scope
        try:
            class_env = self._suite(node.body, {}) or {}
        finally:
            self._scope = enclosing
        env[node.name.value] = OPAQUE
        self._defer_class(node, class_env, outer_env, enclosing)
        return env

    def _generic(self, node: cst.CSTNode, env: Env) -> None:
        """Evaluate every expression inside a statement this pass has no special rule for."""
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self._eval(child, env)
            elif not isinstance(child, (cst.BaseCompoundStatement, cst.SimpleStatementLine, cst.BaseSuite)):
                self._generic(child, env)

    # ----------------------------------------------------------------- functions and classes
    def _outer_lookup(self, name: str, env: Env, scope: _Scope) -> Value:
        if name in env:
            return env[name]
        if name in scope.local:
            return UNKNOWN
        return scope.outer(name)

    def _evaluate_parameter_defaults(self, params: cst.Parameters, env: Env) -> None:
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.default is not None:
                self._eval(param.default, env)

    def _defer_function(self, node: cst.FunctionDef, env: Env, class_context: _Scope | None) -> None:
        enclosing = self._scope
        defining_env = self._defining_env(env)

        def analyse() -> None:
            self._analyse_function(node, defining_env, enclosing, class_context)

        self._deferred.append(analyse)

    def _defining_env(self, env: Env) -> Callable[[], Env]:
        """The bindings a nested body sees: the module's final ones, or the enclosing flow's."""
        if self._scope.is_module:
            return lambda: self._module_env
        return lambda: env

    def _analyse_function(
        self,
        node: cst.FunctionDef,
        defining_env: Callable[[], Env],
        enclosing: _Scope,
        class_context: _Scope | None,
    ) -> None:
        params = parameter_names(node.params)
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else node.body.body
        scope = _Scope(
            local=local_names(body, params),
            outer=lambda name: self._outer_lookup(name, defining_env(), enclosing),
        )
        if class_context is not None and params and not _is_static(node):
            scope.self_name = params[0]
            scope.class_attributes = class_context.class_attributes
            scope.collect_attributes = class_context.collect_attributes
        elif enclosing.self_name is not None and enclosing.self_name not in params:
            # A closure inside a method still reaches ``self``'s attributes.
            scope.self_name = enclosing.self_name
            scope.class_attributes = enclosing.class_attributes
        env: Env = {name: UNKNOWN for name in params}
        saved_scope, saved_loops = self._scope, self._loops
        self._scope, self._loops = scope, []
        try:
            self._suite(node.body, env)
        finally:
            self._scope, self._loops = saved_scope, saved_loops

    def _defer_class(
        self, node: cst.ClassDef, class_env: Env, outer_env: Callable[[], Env], enclosing: _Scope
    ) -> None:
        methods = [
            statement
            for statement in (node.body.body if isinstance(node.body, cst.IndentedBlock) else ())
            if isinstance(statement, cst.FunctionDef)
        ]

        def analyse() -> None:
            # Attributes reachable through ``self``: class-level bindings, then every ``self.x = ...``.
            attributes: dict[str, Value] = {name: value for name, value in class_env.items()}
            for method in methods:
                attributes[method.name.value] = OPAQUE
            context = _Scope(local=frozenset(), outer=enclosing.outer, class_attributes=attributes)
            context.collect_attributes = collected = {}
            emitting = self._emitting
            self._emitting = False
            try:
                for method in methods:
                    self._analyse_function(method, outer_env, enclosing, context)
            finally:
                self._emitting = emitting
            for name, value in collected.items():
                attributes[name] = attributes.get(name, UNKNOWN) | value
            context.collect_attributes = None
            for method in methods:
                self._analyse_function(method, outer_env, enclosing, context)

        self._deferred.append(analyse)

    # ----------------------------------------------------------------- assignment
    def _assign(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        if isinstance(target, cst.Name):
            env[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._assign(element.value, UNKNOWN, env)
        elif isinstance(target, cst.StarredElement):
            self._assign(target.value, UNKNOWN, env)
        elif isinstance(target, cst.Attribute):
            key = self._self_attribute_key(target)
            if key is not None:
                env[key] = value
                collected = self._scope.collect_attributes
                if collected is not None:
                    collected[target.attr.value] = collected.get(target.attr.value, UNKNOWN) | value
            else:
                self._eval(target.value, env)
        elif isinstance(target, cst.Subscript):
            # ``probs[mask] = 0`` changes a few values in place; the tensor keeps its kind.
            self._eval(target.value, env)
            for element in target.slice:
                self._eval_slice(element, env)

    def _self_attribute_key(self, node: cst.Attribute) -> str | None:
        self_name = self._scope.self_name
        if self_name is not None and isinstance(node.value, cst.Name) and node.value.value == self_name:
            return f"{self_name}.{node.attr.value}"
        return None

    # ----------------------------------------------------------------- expressions
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

    def _expr_Yield(self, node: cst.Yield, env: Env) -> Value:
        if isinstance(node.value, cst.BaseExpression):
            self._eval(node.value, env)
        elif isinstance(node.value, cst.From):
            self._eval(node.value.item, env)
        return UNKNOWN

    def _expr_BinaryOperation(self, node: cst.BinaryOperation, env: Env) -> Value:
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

    def _expr_Tuple(self, node: cst.Tuple | cst.List | cst.Set, env: Env) -> Value:
        for element in node.elements:
            self._eval(element.value, env)
        return UNKNOWN

    _expr_List = _expr_Set = _expr_Tuple

    def _expr_Dict(self, node: cst.Dict, env: Env) -> Value:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                self._eval(element.key, env)
            self._eval(element.value, env)
        return UNKNOWN

    def _expr_Await(self, node: cst.Await, env: Env) -> Value:
        self._eval(node.expression, env)
        return UNKNOWN

    def _expr_Name(self, node: cst.Name, env: Env) -> Value:
        return self._lookup(node.value, env)

    def _expr_Attribute(self, node: cst.Attribute, env: Env) -> Value:
        key = self._self_attribute_key(node)
        if key is not None:
            if key in env:
                return env[key]
            attributes = self._scope.class_attributes
            return attributes.get(node.attr.value, UNKNOWN) if attributes is not None else UNKNOWN
        return _attribute_of(self._eval(node.value, env), node.attr.value)

    def _expr_Subscript(self, node: cst.Subscript, env: Env) -> Value:
        value = self._eval(node.value, env)
        for element in node.slice:
            self._eval_slice(element, env)
        return tensor_part(value)

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
        return self._eval(node.body, env) | self._eval(node.orelse, env)

    def _expr_NamedExpr(self, node: cst.NamedExpr, env: Env) -> Value:
        value = self._eval(node.value, env)
        self._assign(node.target, value, env)
        return value

    def _expr_Lambda(self, node: cst.Lambda, env: Env) -> Value:
        self._evaluate_parameter_defaults(node.params, env)
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

    _expr_SetComp = _expr_ListComp
    _expr_GeneratorExp = _expr_ListComp

    def _expr_DictComp(self, node: cst.DictComp, env: Env) -> Value:
        return self._comprehension(node, [node.key, node.value], env)

    def _expr_Call(self, node: cst.Call, env: Env) -> Value:
        func = node.func
        method: str | None = None
        receiver: Value = UNKNOWN
        if isinstance(func, cst.Attribute) and self._self_attribute_key(func) is None:
            # ``x.softmax(1)``, ``F.softmax(x)``: the receiver decides between a method and a path.
            receiver = self._eval(func.value, env)
            callee = _attribute_of(receiver, func.attr.value)
            method = func.attr.value
        else:
            callee = self._eval(func, env)
        arguments = [self._eval(arg.value, env) for arg in node.args]

        result: set = set()
        for possibility in callee:
            if isinstance(possibility, Ref):
                result |= self._call_qualified(cat.canonical(possibility.qualified), node, arguments, env)
            elif isinstance(possibility, LossObject):
                self._record_loss(possibility.loss, possibility.expects, node, arguments, first_argument=0)
            elif isinstance(possibility, ProducerObject):
                self._producer_sites[id(node)] = _ProducerSite(_argument(node, 0, "input"), None)
                result.add(TensorOf(possibility.kind, possibility.producer, node))

        is_module_path = any(isinstance(p, (Ref, Opaque, LossObject, ProducerObject)) for p in receiver)
        if method is not None and not is_module_path and may_be_tensor(receiver):
            result |= self._call_tensor_method(method, func, node, receiver)  # type: ignore[arg-type]
        return frozenset(result)

    def _call_qualified(self, qualified: str, node: cst.Call, arguments: list[Value], env: Env) -> Value:
        if qualified in cat.PRODUCER_FUNCTIONS:
            kind, producer = cat.PRODUCER_FUNCTIONS[qualified]
            softmax_name = None
            if producer == "softmax" and qualified != "torch.special.softmax" and isinstance(node.func, cst.Attribute):
                softmax_name = node.func.attr
            self._producer_sites[id(node)] = _ProducerSite(
                _argument(node, 0, "input"), softmax_name, _argument(node, 1, "dim")
            )
            return frozenset({TensorOf(kind, producer, node)})
        if qualified in cat.LOG_FUNCTIONS:
            return self._log_of(node, _argument_value(node, arguments, 0, "input"), _argument(node, 0, "input"))
        if qualified in cat.LOSS_FUNCTIONS:
            self._record_loss(qualified, cat.LOSS_FUNCTIONS[qualified], node, arguments, first_argument=0)
            return UNKNOWN
        if qualified in cat.LOSS_MODULES:
            return frozenset({LossObject(qualified, cat.LOSS_MODULES[qualified])})
        if qualified in cat.PRODUCER_MODULES:
            kind, producer = cat.PRODUCER_MODULES[qualified]
            return frozenset({ProducerObject(kind, producer)})
        if qualified in cat.PRESERVING_FUNCTIONS:
            return tensor_part(_argument_value(node, arguments, 0, "input"))
        return UNKNOWN

    def _call_tensor_method(self, method: str, func: cst.Attribute, node: cst.Call, receiver: Value) -> Value:
        if method in cat.PRODUCER_METHODS:
            kind, producer = cat.PRODUCER_METHODS[method]
            self._producer_sites[id(node)] = _ProducerSite(
                func.value, func.attr if method == "softmax" else None, _argument(node, 0, "dim")
            )
            return frozenset({TensorOf(kind, producer, node)})
        if method == cat.LOG_METHOD:
            return self._log_of(node, receiver, func.value)
        if method in cat.PRESERVING_METHODS:
            return tensor_part(receiver)
        return UNKNOWN

    def _log_of(self, node: cst.Call, value: Value, operand: cst.BaseExpression | None) -> Value:
        softmax_made = frozenset(p for p in value if isinstance(p, TensorOf) and p.producer in _SOFTMAX_PRODUCERS)
        if softmax_made and self._emitting:
            softmax_origins = self._origins(softmax_made)
            span = self._span(node)
            rewrite = None
            site = self._producer_sites.get(id(operand)) if operand is not None else None
            if site is not None and site.softmax_name is not None and isinstance(operand, cst.Call):
                rewrite = Rewrite(span, self._code(_renamed_to_log_softmax(operand, site.softmax_name)))
            self._logs[span] = _merge_log(self._logs.get(span), LogOfSoftmax(span, softmax_origins, rewrite))
        if any(isinstance(p, TensorOf) and p.kind is cat.Kind.PROBABILITIES for p in value):
            return frozenset({TensorOf(cat.Kind.LOG_PROBABILITIES, "log", node)})
        return UNKNOWN

    def _record_loss(
        self,
        loss: str,
        expects: cat.Expects,
        node: cst.Call,
        arguments: list[Value],
        first_argument: int,
    ) -> None:
        input_node = _argument(node, first_argument, "input")
        if input_node is None or not self._emitting:
            return
        made = tensor_part(_argument_value(node, arguments, first_argument, "input"))
        if not made:
            return
        origins = self._origins(made)
        unwrap = to_log_softmax = None
        site = self._producer_sites.get(id(input_node))
        input_span = self._span(input_node)
        producer_dim = None
        if site is not None and site.tensor is not None:
            unwrap = Rewrite(input_span, self._code(site.tensor))
            producer_dim = self._code(site.dim) if site.dim is not None else None
        if site is not None and site.softmax_name is not None:
            to_log_softmax = Rewrite(self._span(site.softmax_name), "log_softmax")
        span = self._span(node)
        fact = LossInput(loss, expects, span, input_span, origins, unwrap, to_log_softmax, producer_dim)
        previous = self._loss_inputs.get(span)
        if previous is not None:
            merged = tuple(sorted(set(previous.origins) | set(origins)))
            fact = LossInput(
                loss,
                expects,
                span,
                input_span,
                merged,
                previous.unwrap or unwrap,
                previous.to_log_softmax or to_log_softmax,
                previous.producer_dim or producer_dim,
            )
        self._loss_inputs[span] = fact



def _attribute_of(receiver: Value, attribute: str) -> Value:
    result = {Ref(f"{p.qualified}.{attribute}") for p in receiver if isinstance(p, Ref)}
    if attribute in _PRESERVING_ATTRIBUTES:
        result |= tensor_part(receiver)
    return frozenset(result)


def _merge_log(previous: LogOfSoftmax | None, new: LogOfSoftmax) -> LogOfSoftmax:
    if previous is None:
        return new
    origins = tuple(sorted(set(previous.origins) | set(new.origins)))
    return LogOfSoftmax(new.call, origins, previous.to_log_softmax or new.to_log_softmax)


def _renamed_to_log_softmax(call: cst.Call, name: cst.Name) -> cst.Call:
    func = call.func
    assert isinstance(func, cst.Attribute) and func.attr is name
    return call.with_changes(func=func.with_changes(attr=cst.Name("log_softmax")))


def _argument(node: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    if any(arg.star for arg in node.args[: position + 1]):
        return None  # ``f(*args)``: cannot tell which value lands where
    return positional[position].value if len(positional) > position else None


def _argument_value(node: cst.Call, values: list[Value], position: int, keyword: str) -> Value:
    target = _argument(node, position, keyword)
    for arg, value in zip(node.args, values):
        if arg.value is target:
            return value
    return UNKNOWN


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise TypeError(f"not a dotted name: {type(node).__name__}")


def _same_arity(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, (cst.Tuple, cst.List)):
        return False
    elements = (*target.elements, *value.elements)
    return len(target.elements) == len(value.elements) and not any(
        isinstance(element, cst.StarredElement) for element in elements
    )


def _is_static(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
    )


def _pattern_names(pattern: cst.MatchPattern) -> list[str]:
    names: list[str] = []

    class _Collector(cst.CSTVisitor):
        def visit_MatchAs(self, node: cst.MatchAs) -> None:
            if node.name is not None:
                names.append(node.name.value)

        def visit_MatchStar(self, node: cst.MatchStar) -> None:
            if node.name is not None:
                names.append(node.name.value)

        def visit_MatchMapping(self, node: cst.MatchMapping) -> None:
            if node.rest is not None:
                names.append(node.rest.value)

    pattern.visit(_Collector())
    return names


def analyse_module(module: cst.Module, path: str) -> ModuleFacts:
    loss_inputs, logs = _Interpreter(module).run()
    return ModuleFacts(path=path, loss_inputs=loss_inputs, logs_of_softmax=logs)
