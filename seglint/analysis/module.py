"""The module interpreter: scopes, functions, classes, their summaries, and the facts of one module.

A module is interpreted once. Its linted form (``analyse``) runs the module body and every function
and method body, recording facts. Any module can also answer, lazily and memoised, what calling one of
its functions, classes or methods returns (its *summary*), which is how probabilities made inside a
model's ``forward``, a helper or another module are followed to a loss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from seglint.analysis import catalogue as cat
from seglint.analysis import contents
from seglint.analysis.bindings import local_names, parameter_names
from seglint.analysis.contents import NOT_CONSTANT, Contents
from seglint.analysis.contexts import carries, worth_a_context
from seglint.analysis.expressions import (
    EVAL_FLAG,
    ExpressionInterpreter,
    ProducerSite,
    argument,
    argument_value,
    bind_arguments,
    constant_of,
    subscript_index,
)
from seglint.analysis.facts import LogOfSoftmax, LossInput, ModuleFacts, Origin, Rewrite
from seglint.analysis.library_models import with_attribute
from seglint.analysis.statements import import_bindings
from seglint.analysis.values import (
    UNKNOWN,
    BoundMethod,
    ClassRef,
    Constant,
    Env,
    FunctionRef,
    InstanceOf,
    LibraryModel,
    LossObject,
    Param,
    Pending,
    Ref,
    SequentialOf,
    TensorOf,
    TrainingFlag,
    Value,
    resolved,
    tensor_part,
)
from seglint.diagnostics import Span
from seglint.parse import MASK_COMMENT, NO_DEFINITIONS, Definitions

if TYPE_CHECKING:
    from seglint.analysis.project import Project
    from seglint.parse import MaskedChunk

# Methods that are not the training path: what they return never reaches a training loss.
_NOT_TRAINING_METHODS = re.compile(r"(eval|evaluate|predict|inference|infer)(_\w*)?")
_NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.set_grad_enabled"})
_INPUT_KEYWORDS = frozenset({"input", "inputs", "y_pred"})


@dataclass
class Scope:
    """What a body sees besides its own flow-sensitive environment."""

    local: frozenset[str]
    outer: Callable[[str], Value]
    self_name: str | None = None
    cls: ClassRef | None = None
    collect_attributes: dict[str, Value] | None = None  # set during the attribute-collection pass
    instance: InstanceOf | None = None  # the instance ``self`` is, when built with known arguments
    function: cst.FunctionDef | None = None
    is_module: bool = False
    is_class: bool = False


@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    defining_env: Callable[[], Env]
    enclosing: Scope


@dataclass
class ClassInfo:
    node: cst.ClassDef
    body_env: Env
    defining_env: Callable[[], Env]
    enclosing: Scope
    bases: Value
    methods: dict[str, cst.FunctionDef]
    attributes: dict[str, Value] | None = None


@dataclass
class _CallSite:
    """A call of a function (or method, with ``cls``) of this module, with what each parameter gets."""

    call: cst.Call
    arguments: dict[str, Value] = field(default_factory=dict)
    cls: ClassRef | None = None
    instance: InstanceOf | None = None
    caller: Any = None  # the module interpreter that holds ``call``


# A function's body runs again once per call site that passes it something known (a context), for at
# most this many call sites per function, and this many context runs per module. Each context runs
# alone: a finding always comes from one call site's arguments, never from two joined.
MAX_CONTEXTS = 8
MAX_CONTEXT_RUNS = 64
# Contexts in other modules of the project: at most this many call sites per module, followed at most
# this many modules deep (``main`` -> ``train`` in engine.py -> ``step`` in steps.py).
MAX_FOREIGN_SITES = 16
MAX_CHAIN = 3


class ModuleInterpreter(ExpressionInterpreter):
    def __init__(
        self,
        module: cst.Module,
        path: str,
        *,
        catalogue: cat.Catalogue = cat.TORCH,
        project: Project | None = None,
        module_name: str = "",
        masked: Sequence[MaskedChunk] = (),
        definitions: Definitions = NO_DEFINITIONS,
    ) -> None:
        self.module = module
        self._masked = tuple(masked)
        self._forced: dict[int, dict[str, Value]] = {}
        self._chunk_envs: dict[int, Env] = {}
        self._modules: list[cst.Module] = [module]
        self._line_offsets: list[int] = [0]  # where each of _modules starts in the file
        self._definitions: list[Definitions] = [definitions]  # each of _modules's functions and classes
        # Each function and class of _modules: which of them holds it, and its first and last line.
        self._definition_ranges: dict[cst.CSTNode, tuple[int, int, int]] = {}
        self._ranges_read = 0  # how many of _modules have their definitions listed there
        self._module_positions: dict[int, Mapping[cst.CSTNode, CodeRange]] = {}
        self.path = path
        self.catalogue = catalogue
        self.project = project
        self.module_name = module_name
        self.module_env: Env = {}
        self._loss_inputs: dict[Span, LossInput] = {}
        self._logs: dict[Span, LogOfSoftmax] = {}
        self._producer_sites: dict[int, ProducerSite] = {}
        self._loops = []
        self._emitting = False
        self._returns: list[Value] | None = None
        self._no_grad_depth = 0
        self._scope = Scope(local=frozenset(), outer=lambda name: UNKNOWN, is_module=True)
        self._functions: dict[cst.FunctionDef, FunctionInfo] = {}
        self._classes: dict[cst.ClassDef, ClassInfo] = {}
        self._summaries: dict[tuple[cst.CSTNode, cst.CSTNode | None], Value] = {}
        self._deferred: list[Callable[[], None]] = []
        self._call_sites: dict[cst.FunctionDef, list[_CallSite]] = {}
        self._param_defaults: dict[cst.FunctionDef, dict[str, Value]] = {}
        self._instance_attributes_memo: dict[InstanceOf, dict[str, Value]] = {}
        self._scans: dict[tuple[Callable[[Any], Any], cst.CSTNode], Any] = {}
        # While a context runs: its call site, the function's name, the parameters it binds and the
        # interpreter holding the call site.
        self._context: tuple[cst.Call, str, frozenset[str], Any] | None = None
        # Call sites here of functions and classes of other modules that pass them something known.
        self._foreign_sites: list[tuple[ModuleInterpreter, cst.FunctionDef, _CallSite]] = []
        self.source_path: Path | None = None  # the file itself (for the suppression comments of its findings)
        self._pending_calls: dict[tuple, tuple[Pending, cst.Call, list[Value]]] = {}
        self._pending_memo: dict[tuple, Pending] = {}
        self._lambda_envs: dict[cst.Lambda, Env] = {}
        self._eval_mode = False  # summaries made for a call in eval mode take ``not self.training``
        self._lambda_depth = 0
        self._prepared = False
        self.directory: Path | None = None  # where sibling modules of a script are looked up
        self.is_package = False

    # ----------------------------------------------------------------- entry points
    def analyse(self) -> ModuleFacts:
        """Interpret the whole module, recording facts (the module being linted)."""
        self._emitting = True
        self._run_module_body()
        while self._deferred:
            self._deferred.pop(0)()
        self._run_contexts()
        self._check_pending_calls()
        return ModuleFacts(
            path=self.path,
            loss_inputs=tuple(sorted(self._loss_inputs.values(), key=lambda f: f.call)),
            logs_of_softmax=tuple(sorted(self._logs.values(), key=lambda f: f.call)),
            elsewhere=self._facts_elsewhere(0),
        )

    def _facts_elsewhere(self, depth: int) -> tuple[ModuleFacts, ...]:
        """The facts that this module's call sites make in other modules' functions (each call site a
        context there), merged per module."""
        if depth >= MAX_CHAIN:
            return ()
        found: dict[str, list[ModuleFacts]] = {}
        sites, self._foreign_sites = self._foreign_sites, []
        for owner, function, site in sites:
            for facts in owner._facts_for(function, site, depth + 1):
                found.setdefault(facts.path, []).append(facts)
        return tuple(_merged(path, found[path]) for path in sorted(found))

    def _facts_for(self, function: cst.FunctionDef, site: _CallSite, depth: int) -> list[ModuleFacts]:
        """Run one call site's context of ``function`` here, recording facts apart from anything else
        this (cached, summarising) interpreter holds."""
        if function not in self._functions:
            return []
        saved = (self._loss_inputs, self._logs, self._call_sites, self._foreign_sites, self._deferred)
        self._loss_inputs, self._logs, self._call_sites = {}, {}, {function: [site]}
        self._foreign_sites, self._deferred = [], []
        try:
            self._run_contexts()
            own = ModuleFacts(
                path=self.path,
                loss_inputs=tuple(sorted(self._loss_inputs.values(), key=lambda f: f.call)),
                logs_of_softmax=tuple(sorted(self._logs.values(), key=lambda f: f.call)),
            )
            deeper = self._facts_elsewhere(depth)
        finally:
            self._loss_inputs, self._logs, self._call_sites, self._foreign_sites, self._deferred = saved
        return [own, *deeper] if own.loss_inputs or own.logs_of_softmax else list(deeper)

    def global_value(self, name: str) -> Value:
        """What ``name`` is bound to at the end of this module (a summary source for other modules)."""
        if not self._prepared:
            self._run_module_body()
        return self.module_env.get(name, UNKNOWN)

    def _run_module_body(self) -> None:
        self._prepared = True
        env: Env | None = {}
        self.module_env = env
        if self._masked:  # a module of masked blocks only keeps their markers in its header
            self._bind_masked(self.module.header, env)
        for statement in self.module.body:
            if env is None:
                break
            if self._masked:
                self._bind_masked(statement.leading_lines, env)
            env = self._statement(statement, env)
        if env is not None and self._masked:
            self._bind_masked(self.module.footer, env)
        # Functions run after the module body: they see its final bindings.
        self.module_env = env if env is not None else self.module_env

    def _masked_blocks(self, lines: Sequence[cst.EmptyLine]) -> Iterator[int]:
        for line in lines:
            comment = line.comment.value if line.comment is not None else ""
            if comment.startswith(MASK_COMMENT):
                yield int(comment[len(MASK_COMMENT) :])

    def _bind_masked(self, lines: Sequence[cst.EmptyLine], env: Env) -> None:
        """A blanked-out block binds its names here, each to a value parsed only when needed."""
        for index in self._masked_blocks(lines):
            self._chunk_envs[index] = dict(env)  # the block runs, if ever, with the bindings made so far
            for name in self._masked[index].names:
                env[name] = frozenset(
                    {Pending(lambda i=index, n=name: self._force_chunk(i).get(n, UNKNOWN), from_masked=True)}
                )

    def _force_chunk(self, index: int) -> dict[str, Value]:
        """Parse and run a block the partial parse left out, in the module's scope, once."""
        if index in self._forced:
            return self._forced[index]
        self._forced[index] = {}
        chunk = self._masked[index]
        parsed = chunk.parse()
        if parsed is None:
            return {}
        module = parsed.module
        self._modules.append(module)
        self._line_offsets.append(chunk.first_line - 1)
        self._definitions.append(parsed.definitions)
        env = dict(self._chunk_envs.get(index, self.module_env))
        saved = (self._scope, self._loops, self._emitting, self._returns, self._no_grad_depth)
        self._scope = Scope(local=frozenset(), outer=lambda name: UNKNOWN, is_module=True)
        self._loops, self._emitting, self._returns, self._no_grad_depth = [], False, None, 0
        try:
            out = self._block(module.body, env) or env
        finally:
            self._scope, self._loops, self._emitting, self._returns, self._no_grad_depth = saved
        self._forced[index] = {name: out.get(name, UNKNOWN) for name in chunk.names}
        return self._forced[index]

    # ----------------------------------------------------------------- positions and text
    def span(self, node: cst.CSTNode) -> Span:
        # Positions cost two parses' worth of time: resolve them only when a fact is reported.
        code_range, offset = None, 0
        for index, module in enumerate(self._modules):
            if index not in self._module_positions:
                self._module_positions[index] = MetadataWrapper(module, unsafe_skip_copy=True).resolve(
                    PositionProvider
                )
            code_range, offset = self._module_positions[index].get(node), self._line_offsets[index]
            if code_range is not None:
                break
        assert code_range is not None, "a node of a module this interpreter did not parse"
        return Span(
            code_range.start.line + offset,
            code_range.start.column + 1,
            code_range.end.line + offset,
            code_range.end.column + 1,
        )

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def _origins(self, made: Value) -> tuple[Origin, ...]:
        origins = set()
        for p in made:
            if isinstance(p, TensorOf):
                owner: ModuleInterpreter = p.owner
                path = "" if owner is self else owner.path
                passed_by, caller, passed_in = p.passed_by, p.passed_to, p.passed_in or self
                if passed_by is None and self._context is not None and p.via in self._context[2]:
                    # What a model passed in as a parameter returns: name the call that passed it.
                    passed_by, caller, passed_in = self._context[0], self._context[1], self._context[3]
                caller_span = passed_in.span(passed_by) if passed_by is not None else None
                caller_line = caller_span.line if caller_span is not None else 0
                caller_path = passed_in.path if passed_by is not None and passed_in is not self else ""
                origins.add(
                    Origin(
                        owner.span(p.made_by),
                        p.kind,
                        p.producer,
                        path,
                        p.via,
                        caller_line,
                        caller,
                        p.step,
                        caller_path,
                        caller_span.column if caller_span is not None else 0,
                    )
                )
        return tuple(sorted(origins))

    # ----------------------------------------------------------------- names
    @property
    def self_name(self) -> str | None:
        return self._scope.self_name

    def _lookup(self, name: str, env: Env) -> Value:
        if name in env:
            return env[name]
        if name in _LITERAL_NAMES:
            return Constant.of(_LITERAL_NAMES[name])
        if name in self._scope.local:
            return UNKNOWN
        return self._scope.outer(name)

    def _outer_lookup(self, name: str, env: Env, scope: Scope) -> Value:
        if name in env:
            return env[name]
        if name in scope.local:
            return UNKNOWN
        return scope.outer(name)

    def _self_attribute_key(self, node: cst.Attribute) -> str | None:
        self_name = self._scope.self_name
        if self_name is not None and isinstance(node.value, cst.Name) and node.value.value == self_name:
            return f"{self_name}.{node.attr.value}"
        return None

    def _self_attribute(self, node: cst.Attribute, env: Env) -> Value:
        key = f"{self._scope.self_name}.{node.attr.value}"
        if key in env:
            return env[key]
        if node.attr.value == "training":
            return frozenset({TrainingFlag()})
        cls = self._scope.cls
        if cls is None:
            return UNKNOWN
        instance = self._scope.instance
        if instance is not None:
            # Set by ``__init__`` from what this instance was built with: ``self.model = model``.
            set_by_init = instance.cls.owner._instance_attributes(instance).get(node.attr.value)
            if set_by_init is not None:
                return set_by_init
        own = cls.owner._class_attributes(cls.node).get(node.attr.value)
        if own is None and node.attr.value == "__call__":  # ``self.__call__(x)`` runs ``forward``
            own = frozenset({BoundMethod(cls, "forward")})
        found = own if own is not None else self._inherited(cls, node.attr.value)
        if instance is None:
            return found
        return frozenset(replace(p, instance=instance) if isinstance(p, BoundMethod) else p for p in found)

    def _import_bindings(self, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        return import_bindings(node, self._star_names)

    def _star_names(self, module: str) -> dict[str, str]:
        known = self.catalogue.star_names(module)
        if known or self.project is None:
            return known
        return self.project.star_names(module, self)

    def _has_project(self) -> bool:
        return self.project is not None

    def _resolve(self, qualified: str) -> Value:
        if self.project is None:
            return UNKNOWN
        return self.project.lookup(qualified, self)

    def _defining_env(self, env: Env) -> Callable[[], Env]:
        """The bindings a nested body sees: the module's final ones, or the enclosing flow's."""
        if self._scope.is_module:
            return lambda: self.module_env
        return lambda: env

    # ----------------------------------------------------------------- assignment
    def _assign(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        if isinstance(target, cst.Name):
            env[target.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            # ``v, p = D(x)``, ``first, *others = outs``: each target takes its element.
            elements = target.elements
            star = next((i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)), None)
            before = len(elements) if star is None else star
            after = 0 if star is None else len(elements) - star - 1
            for element, part in zip(elements, contents.unpacked(value, before, star is not None, after)):
                self._assign(element.value, part, env)
        elif isinstance(target, cst.StarredElement):
            self._assign(target.value, value, env)
        elif isinstance(target, cst.Attribute):
            key = self._self_attribute_key(target)
            if key is None:
                base = self._eval(target.value, env)
                # ``model.classifier = nn.Sequential(...)``: a library model's head is replaced.
                if any(
                    isinstance(p, LibraryModel) and p.attribute(target.attr.value) is not None for p in base
                ):
                    self._assign(target.value, with_attribute(base, target.attr.value, value), env)
                return
            env[key] = value
            collected = self._scope.collect_attributes
            if collected is not None:
                collected[target.attr.value] = collected.get(target.attr.value, UNKNOWN) | value
        elif isinstance(target, cst.Subscript):
            # ``probs[mask] = 0`` changes a few values in place; the tensor keeps its kind. But
            # ``out["seg"] = p`` stores into a dict and ``layers[-1] = nn.Identity()`` replaces a layer.
            container = self._eval(target.value, env)
            for element in target.slice:
                self._eval_slice(element, env)
            key = self._binding_key(target.value)
            index = subscript_index(target)
            if not any(isinstance(p, (Contents, SequentialOf)) for p in container):
                return
            if key is None and not isinstance(target.value, cst.Attribute):
                return
            index = NOT_CONSTANT if not isinstance(index, (int, str, bytes)) else index
            stored: set = set()
            for p in container:
                if isinstance(p, SequentialOf):
                    stored.add(SequentialOf(contents.with_item(p.layers, index, value)))
                else:
                    stored |= contents.with_item(frozenset({p}), index, value)
            if key is None:  # ``model.classifier[4] = ...``: stored back through the attribute
                self._assign(target.value, frozenset(stored), env)
                return
            env[key] = frozenset(stored)

    # ----------------------------------------------------------------- training path
    def _training_branch(self, test: cst.BaseExpression, env: Env) -> bool | None:
        """Which branch a condition takes, when it is known: ``True`` runs only the body, ``False`` only
        the else. Constants decide everywhere (``if TYPE_CHECKING:``, ``if False:``, a module's
        ``DEBUG = False``, ``if self.deploy:`` for an instance built with ``deploy=False``,
        ``if return_probs:`` in a summary of a call that leaves it ``False``); a test of
        ``self.training`` decides in summaries only (the training path). ``not``, ``and``, ``or`` and
        comparisons with ``True``/``False``/``None`` are understood."""
        known = not self._emitting and self._scope.self_name is not None
        return self._truth(test, env, training=(not self._eval_mode) if known else None)

    def _in_eval_mode(self, env: Env) -> bool:
        """Whether calls made here run models in eval mode: in ``validation_step``/``test_step``, or
        after ``model.eval()`` (until ``model.train()``) in the same function."""
        return self._eval_mode or env.get(EVAL_FLAG) == Constant.of(True)

    def _truth(self, test: cst.BaseExpression, env: Env, *, training: bool | None) -> bool | None:
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            inner = self._truth(test.expression, env, training=training)
            return None if inner is None else not inner
        if isinstance(test, cst.BooleanOperation):
            left = self._truth(test.left, env, training=training)
            right = self._truth(test.right, env, training=training)
            if isinstance(test.operator, cst.And):
                return False if False in (left, right) else (True if left is right is True else None)
            return True if True in (left, right) else (False if left is right is False else None)
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comparison = test.comparisons[0]
            compared = constant_of(comparison.comparator)
            if (
                compared not in (True, False, None)
                or isinstance(compared, int)
                and not isinstance(compared, bool)
            ):
                return None
            same = isinstance(comparison.operator, (cst.Is, cst.Equal))
            if not (same or isinstance(comparison.operator, (cst.IsNot, cst.NotEqual))):
                return None
            left = self._known_value(test.left, env, training=training)
            if left is NOT_CONSTANT:
                return None
            return (left == compared and type(left) is type(compared)) == same
        if isinstance(test, cst.Name | cst.Attribute | cst.Integer | cst.SimpleString):
            value = self._known_value(test, env, training=training)
            return None if value is NOT_CONSTANT else bool(value)
        return None

    def _known_value(self, test: cst.BaseExpression, env: Env, *, training: bool | None) -> object:
        """The one value a name, attribute or literal holds here, or ``NOT_CONSTANT``."""
        if not isinstance(test, cst.Name | cst.Attribute | cst.Integer | cst.SimpleString):
            return NOT_CONSTANT
        value = self._eval(test, env)
        if len(value) == 1 and all(isinstance(p, Pending) and p.from_masked for p in value):
            value = resolved(value)  # a module constant the partial parse left out (``DEBUG = False``)
        if len(value) != 1:
            return NOT_CONSTANT
        (only,) = value
        if isinstance(only, Constant):
            return only.value
        if isinstance(only, TrainingFlag):
            return NOT_CONSTANT if training is None else training
        if isinstance(only, Ref) and only.qualified in _NEVER_AT_RUN_TIME:
            return False
        return NOT_CONSTANT

    def _enter_with(self, node: cst.With, env: Env) -> bool:
        no_grad = False
        for item in node.items:
            self._eval(item.item, env)
            no_grad = no_grad or self._is_no_grad(item.item, env)
            if item.asname is not None:
                self._assign(item.asname.name, UNKNOWN, env)
        if no_grad:
            self._no_grad_depth += 1
        return no_grad

    def _exit_with(self, entered: bool) -> None:
        if entered:
            self._no_grad_depth -= 1

    def _is_no_grad(self, node: cst.BaseExpression, env: Env) -> bool:
        func = node.func if isinstance(node, cst.Call) else node
        value = self._eval(func, env) if isinstance(func, (cst.Name, cst.Attribute)) else UNKNOWN
        names = {p.qualified for p in value if hasattr(p, "qualified")}
        if "torch.set_grad_enabled" in names and isinstance(node, cst.Call):
            first = node.args[0].value if node.args else None
            return isinstance(first, cst.Name) and first.value == "False"
        return bool(names & (_NO_GRAD - {"torch.set_grad_enabled"}))

    def _record_return(self, value: Value) -> None:
        if self._returns is not None and self._no_grad_depth == 0:
            self._returns.append(value)

    # ----------------------------------------------------------------- facts
    def _record_loss(self, spec: cat.LossSpec, loss: str, node: cst.Call, arguments: list[Value]) -> None:
        input_node = argument(node, spec.input_position, spec.input_keyword)
        if input_node is None or not self._emitting:
            return
        value = tensor_part(
            resolved(argument_value(node, arguments, spec.input_position, spec.input_keyword))
        )
        made = frozenset(p for p in value if isinstance(p, TensorOf))
        if made:
            self._add_loss_input(spec, loss, node, input_node, self._origins(made), rewrites=True)

    def _add_loss_input(
        self,
        spec: cat.LossSpec,
        loss: str,
        node: cst.Call,
        input_node: cst.BaseExpression,
        origins: tuple[Origin, ...],
        *,
        rewrites: bool,
    ) -> None:
        unwrap = to_log_softmax = None
        producer_dim = None
        site = self._producer_sites.get(id(input_node)) if rewrites else None
        input_span = self.span(input_node)
        # Dropping the producer call must not drop a comment or an argument (``dtype=``) with it.
        if site is not None and site.tensor is not None and _comments(site.call) == _comments(site.tensor):
            unwrap = Rewrite(input_span, self._code(site.tensor))
            if site.dim is not None and not site.other_arguments:
                producer_dim = self._code(site.dim)
        if site is not None and site.softmax_name is not None:
            to_log_softmax = Rewrite(self.span(site.softmax_name), "log_softmax")
        span = self.span(node)
        previous = self._loss_inputs.get(span)
        if previous is not None:
            # One call, several possible losses (a registry read): the first by name, whatever the order.
            if previous.loss < loss:
                loss, spec = previous.loss, cat.LossSpec(previous.expects)
            origins = tuple(sorted(set(previous.origins) | set(origins)))
            unwrap = previous.unwrap or unwrap
            to_log_softmax = previous.to_log_softmax or to_log_softmax
            producer_dim = previous.producer_dim or producer_dim
        self._loss_inputs[span] = LossInput(
            loss, spec.expects, span, input_span, origins, unwrap, to_log_softmax, producer_dim
        )

    def _record_log_of_softmax(self, node: cst.Call, made: Value, operand: cst.BaseExpression | None) -> None:
        if not self._emitting:
            return
        span = self.span(node)
        rewrite = None
        site = self._producer_sites.get(id(operand)) if operand is not None else None
        if (
            site is not None
            and site.softmax_name is not None
            and isinstance(operand, cst.Call)
            and _comments(node) == _comments(operand)
        ):
            func = operand.func
            assert isinstance(func, cst.Attribute)
            renamed = operand.with_changes(func=func.with_changes(attr=cst.Name("log_softmax")))
            rewrite = Rewrite(span, self._code(renamed))
        origins = self._origins(made)
        previous = self._logs.get(span)
        if previous is not None:
            origins = tuple(sorted(set(previous.origins) | set(origins)))
            rewrite = previous.to_log_softmax or rewrite
        self._logs[span] = LogOfSoftmax(span, origins, rewrite)

    def _run_contexts(self) -> None:
        """Run each function of this module again for each call site that passes it a tensor of a known
        kind, a model, a loss or a container of them: ``train(UNet(), loader, nn.CrossEntropyLoss())``
        makes ``criterion(model(x), y)`` inside ``train`` a loss call on what ``UNet`` returns. Contexts
        met while running contexts (``train`` calling ``train_step``) run too, within the caps."""
        ran: set[tuple] = set()
        seen: set[int] = set()
        while len(ran) < MAX_CONTEXT_RUNS:
            todo = [
                (function, site)
                for function, sites in list(self._call_sites.items())
                for site in sites[:MAX_CONTEXTS]
                if id(site) not in seen
            ]
            if not todo:
                return
            for function, site in todo:
                seen.add(id(site))
                built_with = site.instance is not None and site.instance.built_with
                if len(ran) >= MAX_CONTEXT_RUNS or not (
                    built_with or worth_a_context(site.arguments, self._scanned(_called_names, function))
                ):
                    continue
                # Arguments that carry nothing change nothing: ``trainer.fit(loader)`` is the context
                # its instance already made where it was built.
                arguments = tuple(sorted((k, v) for k, v in site.arguments.items() if carries(v)))
                key = (function, site.cls, site.instance, arguments)
                if key in ran:
                    continue
                ran.add(key)
                names = set(site.arguments)
                if built_with and site.instance is not None and function.params.params:
                    self_name = function.params.params[0].name.value
                    names |= {f"{self_name}.{name}" for name in self._instance_attributes(site.instance)}
                context, self._context = (
                    self._context,
                    (site.call, _called(site), frozenset(names), site.caller or self),
                )
                try:
                    self._run_function(
                        self._functions[function],
                        site.cls,
                        emitting=True,
                        bindings=self._passed(function, site),
                        instance=site.instance,
                    )
                finally:
                    self._context = context

    def _passed(self, function: cst.FunctionDef, site: _CallSite) -> dict[str, Value]:
        """The call site's arguments, each tensor marked with the call that passed it (for messages);
        parameters the call leaves out take their defaults."""
        name = function.name.value

        caller = site.caller or self

        def mark(p: TensorOf) -> TensorOf:
            if p.passed_by is not None:
                return p
            return replace(p, passed_by=site.call, passed_to=name, passed_in=caller)

        bound = dict(self._param_defaults.get(function, {}))
        for parameter, value in site.arguments.items():
            bound[parameter] = contents.mapped(value, mark, ("passed", id(site.call)))
        return bound

    # ----------------------------------------------------------------- functions
    def _stmt_FunctionDef(self, node: cst.FunctionDef, env: Env) -> Env:
        for decorator in node.decorators:
            self._eval(decorator.decorator, env)
        defaults = self._param_defaults.setdefault(node, {})
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            if param.default is not None:
                defaults[param.name.value] = self._eval(param.default, env)
        info = FunctionInfo(node, self._defining_env(env), self._scope)
        self._functions[node] = info
        if self._scope.is_class:
            env[node.name.value] = UNKNOWN  # methods are reached through ``self`` and instances
            return env
        env[node.name.value] = frozenset({FunctionRef(node, self)})
        if self._emitting:
            self._deferred.append(lambda: self._run_function(info, None, emitting=True))
        return env

    def _run_function(
        self,
        info: FunctionInfo,
        cls: ClassRef | None,
        *,
        emitting: bool,
        collect: dict[str, Value] | None = None,
        returns: list[Value] | None = None,
        bindings: Mapping[str, Value] | None = None,
        instance: InstanceOf | None = None,
        eval_mode: bool = False,
    ) -> None:
        node = info.node
        params = parameter_names(node.params)
        enclosing = info.enclosing
        defining_env = info.defining_env
        scope = Scope(
            local=local_names(node.body.body, params),
            outer=lambda name: self._outer_lookup(name, defining_env(), enclosing),
            function=node,
        )
        env: Env = {name: frozenset({Param(node, name)}) for name in params}
        if cls is not None and params and not _is_static(node):
            scope.self_name, scope.cls, scope.collect_attributes = params[0], cls, collect
            scope.instance = instance
            env[params[0]] = frozenset({instance or InstanceOf(cls)})
        elif enclosing.self_name is not None and enclosing.self_name not in params:
            # A closure inside a method still reaches ``self``'s attributes.
            scope.self_name, scope.cls, scope.instance = (
                enclosing.self_name,
                enclosing.cls,
                enclosing.instance,
            )
        if bindings:
            env.update(bindings)
        saved = (
            self._scope,
            self._loops,
            self._emitting,
            self._returns,
            self._no_grad_depth,
            self._eval_mode,
        )
        self._scope, self._loops, self._emitting, self._returns, self._no_grad_depth = (
            scope,
            [],
            emitting,
            returns,
            0,
        )
        # A linted body is in eval mode where a framework runs it so (``validation_step``); a summary
        # in the mode of the call it was made for.
        self._eval_mode = node.name.value in _EVAL_HOOKS if emitting else eval_mode
        try:
            self._suite(node.body, env)
        finally:
            (
                self._scope,
                self._loops,
                self._emitting,
                self._returns,
                self._no_grad_depth,
                self._eval_mode,
            ) = saved

    def _summary(
        self,
        info: FunctionInfo,
        cls: ClassRef | None,
        instance: InstanceOf | None = None,
        *,
        constants: tuple = (),
        eval_mode: bool = False,
    ) -> Value:
        """What calling the function returns on the training path (or in eval mode), memoised;
        recursion gives unknown."""
        key = (info.node, cls.node if cls is not None else None, instance, constants, eval_mode)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = UNKNOWN
        if any(self._is_no_grad(d.decorator, info.defining_env()) for d in info.node.decorators):
            return UNKNOWN
        returns: list[Value] = []
        deferred = self._deferred
        self._deferred = []  # nested functions met while summarising are not linted from here
        try:
            self._run_function(
                info,
                cls,
                emitting=False,
                returns=returns,
                instance=instance,
                bindings=dict(constants),
                eval_mode=eval_mode,
            )
        finally:
            self._deferred = deferred
        summary = frozenset().union(*returns) if returns else UNKNOWN
        self._summaries[key] = summary
        return summary

    def _note_call_site(self, function: FunctionRef, node: cst.Call, arguments: list[Value]) -> None:
        if not self._emitting:
            return
        self._add_site(
            function.owner, function.node, _CallSite(node, _bind(function.node, node, arguments), caller=self)
        )

    def _add_site(self, owner: ModuleInterpreter, function: cst.FunctionDef, site: _CallSite) -> None:
        """A context to run: here, within ``MAX_CONTEXTS`` per function, or in the callee's module."""
        if owner is not self:
            self._note_foreign(owner, function, site)
            return
        sites = self._call_sites.setdefault(function, [])
        if len(sites) < MAX_CONTEXTS:
            sites.append(site)

    def _note_foreign(self, owner: ModuleInterpreter, function: cst.FunctionDef, site: _CallSite) -> None:
        """A call site of another module's function (or method) that passes it something known."""
        if len(self._foreign_sites) < MAX_FOREIGN_SITES and (
            worth_a_context(site.arguments, owner._scanned(_called_names, function))
            or (site.instance and site.instance.built_with)
        ):
            self._foreign_sites.append((owner, function, site))

    def _note_method_call(self, method: BoundMethod, node: cst.Call, arguments: list[Value]) -> None:
        """``self.auxiliary_loss(probs, y)``, ``MyLoss()(torch.sigmoid(x), y)``: a context for the method."""
        if not self._emitting:
            return
        found = self._find_method(method.cls, method.name) or (
            self._find_method(method.cls, "__call__") if method.name == "forward" else None
        )
        if found is None:
            return
        owner, function = found
        params = _positional_names(function)[0 if _is_static(function) else 1 :]
        site = _CallSite(node, bind_arguments(params, node, arguments), method.cls, method.instance, self)
        self._add_site(owner, function, site)

    def _function_summary(
        self, function: FunctionRef, node: cst.Call, arguments: list[Value], eval_mode: bool = False
    ) -> Value:
        owner: ModuleInterpreter = function.owner
        info = owner._functions.get(function.node)
        if info is None:
            return UNKNOWN
        constants = owner._tested_constants(function.node, node, arguments, 0)
        return owner._summary(info, None, constants=constants, eval_mode=eval_mode)

    def _tested_constants(
        self,
        function: cst.FunctionDef,
        node: cst.Call | None,
        arguments: list[Value],
        skip: int,
        tested: frozenset[str] | None = None,
    ) -> tuple:
        """The constants a call gives the parameters its callee tests in a condition (``return_probs``
        passed as ``True``, or left at its default ``False``): summaries differ by them."""
        params = _positional_names(function)[skip:]
        params += [p.name.value for p in function.params.kwonly_params]
        bound = bind_arguments(params, node, arguments) if node is not None else {}
        defaults = self._param_defaults.get(function, {})
        constants = []
        for name in params:
            value = bound[name] if name in bound else defaults.get(name, UNKNOWN)
            if value and all(isinstance(p, Constant) for p in value):
                constants.append((name, value))
        if not constants:  # most calls pass tensors: no need to read the callee's conditions
            return ()
        tested = self._scanned(_tested_names, function) if tested is None else tested
        return tuple((name, value) for name, value in constants if name in tested)

    def _note_pending_call(self, callee: Pending, node: cst.Call, arguments: list[Value]) -> None:
        """``criterion = build_loss(); criterion(x, y)``: checked once the module is done."""
        if self._emitting:
            self._pending_calls[(id(callee), id(node), *arguments)] = (callee, node, arguments)

    def _check_pending_calls(self) -> None:
        checked: set[tuple] = set()
        # Resolving one call can run code that meets more of them: go on until none is new.
        while unchecked := [(key, call) for key, call in self._pending_calls.items() if key not in checked]:
            for key, (callee, node, arguments) in unchecked:
                checked.add(key)
                self._check_pending_call(callee, node, arguments)

    def _check_pending_call(self, callee: Pending, node: cst.Call, arguments: list[Value]) -> None:
        # Resolving the callee can mean parsing other modules: only when its input holds a kind.
        inputs = [
            value
            for position, (arg, value) in enumerate(zip(node.args, arguments))
            if (arg.keyword is None and position == 0)
            or (arg.keyword is not None and arg.keyword.value in _INPUT_KEYWORDS)
        ]
        if not any(isinstance(p, TensorOf) for value in inputs for p in resolved(value)):
            return
        for possibility in resolved(frozenset({callee})):
            if isinstance(possibility, LossObject):
                spec = self.catalogue.loss_modules.get(possibility.loss, cat.LossSpec(possibility.expects))
                self._record_loss(spec, possibility.loss, node, arguments)

    # ----------------------------------------------------------------- classes
    def _stmt_ClassDef(self, node: cst.ClassDef, env: Env) -> Env:
        for decorator in node.decorators:
            self._eval(decorator.decorator, env)
        bases: Value = frozenset().union(*(self._eval(base.value, env) for base in node.bases))
        for keyword in node.keywords:
            self._eval(keyword.value, env)
        enclosing = self._scope
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        self._scope = Scope(
            local=local_names(body),
            # The class body runs at definition time: it sees the bindings made so far.
            outer=lambda name: self._outer_lookup(name, env, enclosing),
            is_class=True,
        )
        try:
            body_env = self._suite(node.body, {}) or {}
        finally:
            self._scope = enclosing
        methods = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
        defining_env = self._defining_env(env)
        for method in methods.values():
            # Method bodies do not see the class body's names: their outer scope is the class's.
            self._functions[method] = FunctionInfo(method, defining_env, enclosing)
        info = ClassInfo(node, body_env, defining_env, enclosing, bases, methods)
        self._classes[node] = info
        cls = ClassRef(node, self)
        env[node.name.value] = frozenset({cls})
        if self._emitting:
            self._deferred.append(lambda: self._lint_methods(info, cls))
        return env

    def _lint_methods(self, info: ClassInfo, cls: ClassRef) -> None:
        self._class_attributes(info.node)
        for method in list(info.methods.values()):
            self._run_function(self._functions[method], cls, emitting=True)

    def _record_fields(self, node: cst.ClassDef) -> tuple[str, ...] | None:
        """A record class's fields in order (a dataclass, a ``NamedTuple``, a ``ModelOutput``): its
        instances are contents read by field. ``None`` for other classes, models among them."""
        info = self._classes.get(node)
        if info is None or "forward" in info.methods or "__call__" in info.methods:
            return None
        decorated = any(_last_name(d.decorator) == "dataclass" for d in node.decorators)
        based = any(
            isinstance(p, Ref) and p.qualified.rsplit(".", 1)[-1] in _RECORD_BASES for p in info.bases
        )
        if not (decorated or based):
            return None
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        return tuple(
            line.body[0].target.value
            for line in body
            if isinstance(line, cst.SimpleStatementLine)
            and isinstance(line.body[0], cst.AnnAssign)
            and isinstance(line.body[0].target, cst.Name)
        )

    def _class_attributes(self, node: cst.ClassDef) -> dict[str, Value]:
        """The class's own attributes: class-level bindings, its methods, every ``self.x = ...`` in them.

        Inherited ones are looked up only when an attribute is missing here (see ``_inherited``).
        """
        info = self._classes[node]
        if info.attributes is not None:
            return info.attributes
        cls = ClassRef(node, self)
        attributes: dict[str, Value] = dict(info.body_env)
        for name in info.methods:
            attributes[name] = frozenset({BoundMethod(cls, name)})
        info.attributes = attributes  # visible (partial) while the collection pass runs
        collected: dict[str, Value] = {}
        deferred = self._deferred
        self._deferred = []
        try:
            for method in list(info.methods.values()):
                self._run_function(self._functions[method], cls, emitting=False, collect=collected)
        finally:
            self._deferred = deferred
        for name, value in collected.items():
            attributes[name] = attributes.get(name, UNKNOWN) | value
        return attributes

    def _bases(self, node: cst.ClassDef) -> list[ClassRef]:
        """The project classes ``node`` derives from, in order (torch's and unknown ones are skipped)."""
        info = self._classes[node]
        found: list[ClassRef] = []
        for possibility in info.bases:
            candidates = (
                self._resolve(possibility.qualified) if isinstance(possibility, Ref) else {possibility}
            )
            found.extend(p for p in resolved(frozenset(candidates)) if isinstance(p, ClassRef))
        return found

    def _attribute(self, cls: ClassRef, name: str, seen: frozenset[cst.ClassDef] = frozenset()) -> Value:
        """``self.name`` for an instance of ``cls``: its own attribute, else the first base's."""
        owner: ModuleInterpreter = cls.owner
        own = owner._class_attributes(cls.node).get(name)
        if own is not None:
            return own
        if cls.node in seen:
            return UNKNOWN
        for base in owner._bases(cls.node):
            found = self._attribute(base, name, seen | {cls.node})
            if found:
                # A method found in a base still runs with the instance's attributes.
                return frozenset(BoundMethod(cls, p.name) if isinstance(p, BoundMethod) else p for p in found)
        return UNKNOWN

    def _inherited(self, cls: ClassRef, name: str) -> Value:
        """A missing ``self.name``: inherited, or unknown. Deferred, since bases may live in other
        modules and most attributes (``self.config``) never matter."""
        info = cls.owner._classes[cls.node]
        if not any(not (isinstance(p, Ref) and p.qualified.startswith("torch")) for p in info.bases):
            return UNKNOWN
        return self._later(("inherited", cls, name), lambda: self._attribute(cls, name))

    def _call_method(
        self,
        method: BoundMethod,
        node: cst.Call | None = None,
        arguments: Sequence[Value] = (),
        eval_mode: bool = False,
    ) -> Value:
        return self._method_summary(method.cls, method.name, method.instance, node, arguments, eval_mode)

    def _method_summary(
        self,
        cls: ClassRef,
        name: str,
        instance: InstanceOf | None = None,
        node: cst.Call | None = None,
        arguments: Sequence[Value] = (),
        eval_mode: bool = False,
    ) -> Value:
        """What calling ``name`` on an instance of ``cls`` returns on the training path (or in eval
        mode)."""
        if _NOT_TRAINING_METHODS.fullmatch(name):
            return UNKNOWN
        found = (
            self._find_method(cls, name)
            or (self._find_method(cls, "__call__") if name == "forward" else None)
            or (self._find_method(cls, "forward") if name == "__call__" else None)
        )
        if found is None:
            return UNKNOWN
        owner, method = found
        skip = 0 if _is_static(method) else 1
        constants = owner._tested_constants(method, node, arguments, skip)
        return owner._summary(
            owner._functions[method], cls, instance, constants=constants, eval_mode=eval_mode
        )

    def _scanned(self, scan: Callable[[Any, str], Any], node: cst.CSTNode) -> Any:
        """``scan(node, its text)`` for a function or class of this module, once per node for this
        interpreter's life (not the process's: a cache of syntax trees across files would keep every
        parsed module alive)."""
        key = (scan, node)
        if key not in self._scans:
            self._scans[key] = scan(node, self._text_of(node))
        return self._scans[key]

    def _text_of(self, node: cst.CSTNode) -> str:
        """A function's or class's source text: sliced from the file, else generated from the tree.
        (Only line ranges are kept: the texts of a class and of each of its methods would hold the
        module's text several times over.)"""
        while node not in self._definition_ranges and self._ranges_read < len(self._modules):
            index = self._ranges_read
            ranges = self._definitions[index].ranges(self._modules[index])
            self._definition_ranges.update((n, (index, *lines)) for n, lines in ranges.items())
            self._ranges_read += 1
        if node not in self._definition_ranges:
            return _EMPTY_MODULE.code_for_node(node)
        index, first, last = self._definition_ranges[node]
        return self._definitions[index].text(first, last)

    # ----------------------------------------------------------------- synthetic self
    def _init_constants(self, cls: ClassRef, node: cst.Call, arguments: list[Value]) -> tuple:
        """The constants ``cls(...)`` gives ``__init__`` parameters that the class tests (``deploy``,
        set to ``self.deploy`` and tested in ``forward``), passed or left at their defaults."""
        found = self._find_method(cls, "__init__")
        if found is None:
            return ()
        owner, init = found
        return owner._tested_constants(
            init, node, arguments, 1, tested=cls.owner._scanned(_tested_names, cls.node)
        )

    def _init_bindings(self, cls: ClassRef, node: cst.Call, arguments: list[Value]) -> tuple:
        """What ``cls(...)`` passes to ``__init__``'s parameters, kept only when some argument is a
        model, a loss or a tensor of a known kind (else the instance is the class's plain one)."""
        if not any(carries(value) for value in arguments):
            return ()
        found = self._find_method(cls, "__init__")
        if found is None:
            return ()
        init = found[1]
        params = _positional_names(init)[1:]
        bound = bind_arguments(params, node, arguments)
        called = cls.owner._scanned(_called_names, cls.node)
        return tuple(
            sorted(
                (name, value)
                for name, value in bound.items()
                if carries(value, pending=False) or (name in called and carries(value))
            )
        )

    def _instance_attributes(self, instance: InstanceOf) -> dict[str, Value]:
        """The attributes ``__init__`` sets on this instance, run with what it was built with."""
        memo = self._instance_attributes_memo
        if instance in memo:
            return memo[instance]
        memo[instance] = {}  # while ``__init__`` runs, its own reads see the class's attributes
        found = self._find_method(instance.cls, "__init__")
        if found is None:
            return memo[instance]
        collected: dict[str, Value] = {}
        runs = [(found, {**dict(instance.constants), **dict(instance.init)})]
        for name, bound in instance.updates:  # then each setter, in the order they were called
            runs.append((self._find_method(instance.cls, name), dict(bound)))
        for method, bound in runs:
            if method is None:
                continue
            owner, function = method
            bindings = dict(owner._param_defaults.get(function, {}))
            bindings.update(bound)
            deferred = owner._deferred
            owner._deferred = []
            try:
                owner._run_function(
                    owner._functions[function],
                    instance.cls,
                    emitting=False,
                    collect=collected,
                    bindings=bindings,
                    instance=instance,
                )
            finally:
                owner._deferred = deferred
        memo[instance] = collected
        return collected

    def _apply_setter(
        self, method: str, receiver: Value, key: str, node: cst.Call, arguments: list[Value], env: Env
    ) -> None:
        """``model.add_loss_op(nn.NLLLoss())``: a method given a model, a loss or a kind that sets
        attributes of ``self`` makes the name hold the instance as updated, for the methods called on it
        afterwards."""
        if not any(carries(value, pending=False) for value in arguments):
            return
        if any(isinstance(p, Pending) for p in receiver):
            # An instance of a class of another module (``Trainer(...)``) is resolved now, for the setter
            # needs it; other values from elsewhere are not (resolving costs parsing that module: on
            # transformers, 33 of the 61 such receivers were no instance, and none of them was updated).
            built = frozenset(p for p in receiver if isinstance(p, Pending) and p.constructed)
            receiver = (receiver - built) | resolved(built)
            if not any(isinstance(p, InstanceOf) for p in receiver):
                return
        updated: set = set()
        for p in receiver:
            found = self._find_method(p.cls, method) if isinstance(p, InstanceOf) else None
            if found is None or not found[0]._scanned(_sets_attributes, found[1]):
                updated.add(p)
                continue
            function = found[1]
            params = _positional_names(function)[1:]
            bound = bind_arguments(params, node, arguments)
            called = p.cls.owner._scanned(_called_names, p.cls.node)
            kept = tuple(
                sorted(
                    (name, value)
                    for name, value in bound.items()
                    if carries(value, pending=False) or (name in called and carries(value))
                )
            )
            if not kept:
                updated.add(p)
                continue
            updated.add(replace(p, updates=(*p.updates, (method, kept))))
        env[key] = (env.get(key, receiver) - receiver) | frozenset(updated)

    def _note_instance(self, instance: InstanceOf, node: cst.Call) -> None:
        """An instance built here with a model or a loss: each of its methods is a context (the
        framework may call ``training_step``; the code calls ``trainer.fit()``)."""
        if not self._emitting:
            return
        owner: ModuleInterpreter = instance.cls.owner
        info = owner._classes.get(instance.cls.node)
        if info is None:
            return
        for method in info.methods.values():
            if method.name.value != "__init__":
                self._add_site(owner, method, _CallSite(node, {}, instance.cls, instance, self))

    def _find_method(
        self, cls: ClassRef, name: str, seen: frozenset[cst.ClassDef] = frozenset()
    ) -> tuple[ModuleInterpreter, cst.FunctionDef] | None:
        owner: ModuleInterpreter = cls.owner
        info = owner._classes.get(cls.node)
        if info is None or cls.node in seen:
            return None
        if name in info.methods:
            return owner, info.methods[name]
        for base in owner._bases(cls.node):
            found = self._find_method(base, name, seen | {cls.node})
            if found is not None:
                return found
        return None


# Base classes whose subclasses are records: fields declared by annotation, read by attribute.
_RECORD_BASES = frozenset({"NamedTuple", "ModelOutput"})


def _last_name(node: cst.BaseExpression) -> str:
    """``dataclass`` for ``@dataclass``, ``@dataclasses.dataclass`` and ``@dataclass(frozen=True)``."""
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return node.value if isinstance(node, cst.Name) else ""


_EMPTY_MODULE = cst.Module([])
_CALLED = re.compile(r"([A-Za-z_]\w*)\s*(?:\.\s*(?:forward|__call__)\s*)?\(")
_CONDITION_LINE = re.compile(r"^.*\b(?:if|elif|while)\b.*$", re.MULTILINE)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def _called_names(node: cst.CSTNode, text: str) -> frozenset[str]:
    """Names a function or class calls: ``criterion(...)``, ``self.model(...)``, ``model.forward(...)``
    give ``criterion``, ``model``: the parameters (and attributes) a model or a loss acts through. A
    text scan: a name too many costs a context, never a finding."""
    return frozenset(_CALLED.findall(text))


def _tested_names(node: cst.CSTNode, text: str) -> frozenset[str]:
    """Names and ``self.x`` attributes on the lines of a function or class that test a condition
    (``if``, ``elif``, ``while``, conditional expressions): their constant values decide branches. A
    text scan, as ``_called_names``."""
    return frozenset(name for line in _CONDITION_LINE.findall(text) for name in _IDENTIFIER.findall(line))


_LITERAL_NAMES = {"True": True, "False": False, "None": None}
# Methods a framework (Lightning) runs with the model in eval mode.
_EVAL_HOOKS = frozenset({"validation_step", "test_step", "predict_step"})
# Names that are true only for type checkers.
_NEVER_AT_RUN_TIME = frozenset({"typing.TYPE_CHECKING", "typing_extensions.TYPE_CHECKING"})


def _sets_attributes(function: cst.FunctionDef, text: str) -> bool:
    """Whether a method assigns an attribute of its first parameter (``self.loss_op = loss``); its
    signature never does."""
    params = function.params.params
    if not params:
        return False
    self_name = re.escape(params[0].name.value)
    return re.search(rf"\b{self_name}\.\w+\s*(?::[^=\n]*)?=(?!=)", text) is not None


def _merged(path: str, found: list[ModuleFacts]) -> ModuleFacts:
    """One module's facts from several contexts: one fact per call, the first of each."""
    inputs: dict = {}
    logs: dict = {}
    for facts in found:
        for fact in facts.loss_inputs:
            inputs.setdefault(fact.call, fact)
        for log in facts.logs_of_softmax:
            logs.setdefault(log.call, log)
    return ModuleFacts(
        path, tuple(inputs[call] for call in sorted(inputs)), tuple(logs[call] for call in sorted(logs))
    )


def _positional_names(function: cst.FunctionDef) -> list[str]:
    """The names of a function's parameters that a call can bind by position, in order."""
    return [p.name.value for p in (*function.params.posonly_params, *function.params.params)]


def _called(site: _CallSite) -> str:
    """How messages name what a call site called: the function, or the class built there."""
    func = site.call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _comments(node: cst.CSTNode) -> int:
    """How many comments ``node`` holds (a rewrite must keep every one)."""
    count = 0

    class _Counter(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            nonlocal count
            count += 1

    node.visit(_Counter())
    return count


def _is_static(node: cst.FunctionDef) -> bool:
    return any(
        isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
    )


def _bind(function: cst.FunctionDef, call: cst.Call, arguments: list[Value]) -> dict[str, Value]:
    """Which value each parameter receives at ``call`` (positional, then keywords); unknown after ``*``."""
    params = _positional_names(function)
    return bind_arguments(params, call, arguments)
