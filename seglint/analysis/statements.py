"""Statements of the abstract interpreter: flow-sensitive environments, branches, loops, imports.

Each statement handler takes the environment flowing in and returns the one flowing out, or ``None``
when control cannot continue (``return``, ``raise``, ``break``). Branches run on copies and are joined.
Expressions, calls and scopes live in the subclasses (``expressions``, ``module``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst

from seglint.analysis.bindings import target_names
from seglint.analysis.budget import counted
from seglint.analysis.values import UNKNOWN, Env, Ref, Value, join


@dataclass
class Loop:
    breaks: list[Env] = field(default_factory=list)
    continues: list[Env] = field(default_factory=list)


class StatementInterpreter:
    _loops: list[Loop]

    # Provided by subclasses.
    def _eval(self, node: cst.BaseExpression, env: Env) -> Value:
        raise NotImplementedError

    def _assign(self, target: cst.BaseExpression, value: Value, env: Env) -> None:
        raise NotImplementedError

    def _import_bindings(self, node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
        raise NotImplementedError

    def _iterated(self, value: Value) -> Value:
        raise NotImplementedError

    def _unrolled(self, value: Value) -> Sequence[Value] | None:
        raise NotImplementedError

    def _record_return(self, value: Value) -> None:
        raise NotImplementedError

    def _training_branch(self, test: cst.BaseExpression, env: Env) -> bool | None:
        raise NotImplementedError

    def _enter_with(self, node: cst.With, env: Env) -> bool:
        raise NotImplementedError

    def _exit_with(self, entered: bool) -> None:
        raise NotImplementedError

    def _stmt_FunctionDef(self, node: cst.FunctionDef, env: Env) -> Env:
        raise NotImplementedError

    def _stmt_ClassDef(self, node: cst.ClassDef, env: Env) -> Env:
        raise NotImplementedError

    # ----------------------------------------------------------------- blocks
    def _block(self, statements: Sequence[cst.CSTNode], env: Env | None) -> Env | None:
        for statement in statements:
            if env is None:
                return None
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite, env: Env | None) -> Env | None:
        return self._block(suite.body, env)

    @counted
    def _statement(self, node: cst.CSTNode, env: Env) -> Env | None:
        if isinstance(node, cst.SimpleStatementLine):
            return self._block(node.body, env)
        handler = getattr(self, "_stmt_" + type(node).__name__, None)
        if handler is not None:
            return handler(node, env)
        self._generic(node, env)
        return env

    def _generic(self, node: cst.CSTNode, env: Env) -> None:
        """Evaluate every expression inside a node this interpreter has no special rule for."""
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self._eval(child, env)
            elif not isinstance(child, (cst.BaseCompoundStatement, cst.SimpleStatementLine, cst.BaseSuite)):
                self._generic(child, env)

    # ----------------------------------------------------------------- simple statements
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
        self._record_return(self._eval(node.value, env) if node.value is not None else UNKNOWN)

    def _stmt_Raise(self, node: cst.Raise, env: Env) -> None:
        self._generic(node, env)

    def _stmt_Break(self, node: cst.Break, env: Env) -> None:
        if self._loops:
            self._loops[-1].breaks.append(dict(env))

    def _stmt_Continue(self, node: cst.Continue, env: Env) -> None:
        if self._loops:
            self._loops[-1].continues.append(dict(env))

    def _stmt_Import(self, node: cst.Import, env: Env) -> Env:
        env.update(self._import_bindings(node))
        return env

    _stmt_ImportFrom = _stmt_Import

    # ----------------------------------------------------------------- compound statements
    def _stmt_If(self, node: cst.If, env: Env) -> Env | None:
        self._eval(node.test, env)
        taken_only = self._training_branch(node.test, env)
        taken = self._suite(node.body, dict(env)) if taken_only is not False else None
        if taken_only is True:
            return taken
        if node.orelse is None:
            not_taken: Env | None = env
        elif isinstance(node.orelse, cst.If):
            not_taken = self._stmt_If(node.orelse, dict(env))
        else:
            not_taken = self._suite(node.orelse.body, dict(env))
        return join(taken, not_taken)

    def _loop(
        self, body: cst.BaseSuite, orelse: cst.Else | None, env: Env, before_body: Callable[[Env], None]
    ) -> Env | None:
        """Loops are taken to run at least once (``for layer in layers: out = layer(out)`` ends the kind
        ``out`` had before), and twice, so the second pass sees kinds carried around by the first."""
        loop = Loop()
        self._loops.append(loop)
        try:
            state: Env | None = None
            first_entry: Env | None = None
            for _ in range(2):
                entry = join(env, state)
                assert entry is not None
                if entry == first_entry:
                    break  # nothing new carried around: a second pass would repeat the first (and
                    # loops nested k deep would cost 2**k passes)
                first_entry = dict(entry)
                before_body(entry)
                state = self._suite(body, entry)
                for carried in loop.continues:
                    state = join(state, carried)
            # A body that always leaves the loop (return, raise) says nothing of the state after it.
            exit_state = state if state is not None else (None if loop.breaks else dict(env))
        finally:
            self._loops.pop()
        if orelse is not None:
            exit_state = self._suite(orelse.body, exit_state)
        for broken in loop.breaks:
            exit_state = join(exit_state, broken)
        return exit_state

    def _stmt_For(self, node: cst.For, env: Env) -> Env | None:
        iterated = self._eval(node.iter, env)
        unrolled = self._unrolled(iterated)
        if unrolled is not None:
            return self._loop_over(node, unrolled, env)
        elements = self._iterated(iterated)
        return self._loop(
            node.body, node.orelse, env, lambda entry: self._assign(node.target, elements, entry)
        )

    def _loop_over(self, node: cst.For, elements: Sequence[Value], env: Env) -> Env | None:
        """A loop over a sequence whose elements are all known (``for layer in self.layers``) runs its
        body once per element, in order: after it, ``x = layer(x)`` holds what the last layer made."""
        loop = Loop()
        self._loops.append(loop)
        try:
            state: Env | None = env
            for element in elements:
                if state is None:
                    break
                self._assign(node.target, element, state)
                state = self._suite(node.body, state)
                for carried in loop.continues:
                    state = join(state, carried)
                loop.continues.clear()
        finally:
            self._loops.pop()
        if node.orelse is not None:
            state = self._suite(node.orelse.body, state)
        for broken in loop.breaks:
            state = join(state, broken)
        return state

    def _stmt_While(self, node: cst.While, env: Env) -> Env | None:
        return self._loop(node.body, node.orelse, env, lambda entry: self._eval(node.test, entry))

    def _stmt_With(self, node: cst.With, env: Env) -> Env | None:
        entered = self._enter_with(node, env)
        try:
            return self._suite(node.body, env)
        finally:
            self._exit_with(entered)

    def _stmt_Try(self, node: cst.Try | cst.TryStar, env: Env) -> Env | None:
        body_out = self._suite(node.body, dict(env))
        # A handler may start anywhere in the body: approximate with before-or-after.
        handler_entry = join(env, body_out)
        assert handler_entry is not None
        outs: list[Env | None] = [
            self._suite(node.orelse.body, body_out) if node.orelse is not None else body_out
        ]
        for handler in node.handlers:
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


def _same_arity(target: cst.BaseExpression, value: cst.BaseExpression) -> bool:
    if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, (cst.Tuple, cst.List)):
        return False
    elements = (*target.elements, *value.elements)
    return len(target.elements) == len(value.elements) and not any(
        isinstance(element, cst.StarredElement) for element in elements
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


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    raise TypeError(f"not a dotted name: {type(node).__name__}")


def import_bindings(
    node: cst.Import | cst.ImportFrom, star_names: Callable[[str], dict[str, str]]
) -> list[tuple[str, Value]]:
    """What an import binds, as ``Ref`` values; ``star_names`` expands ``from m import *``."""
    bindings: list[tuple[str, Value]] = []
    if isinstance(node, cst.Import):
        for alias in node.names:
            name = dotted(alias.name)
            if alias.asname is not None:
                bindings.extend((bound, frozenset({Ref(name)})) for bound in target_names(alias.asname.name))
            else:
                root = name.split(".", 1)[0]
                bindings.append((root, frozenset({Ref(root)})))
        return bindings
    module = "." * len(node.relative) + (dotted(node.module) if node.module is not None else "")
    if isinstance(node.names, cst.ImportStar):
        return [(name, frozenset({Ref(qualified)})) for name, qualified in star_names(module).items()]
    for alias in node.names:
        imported = dotted(alias.name)
        qualified = f"{module}.{imported}" if module and not module.endswith(".") else module + imported
        bound = target_names(alias.asname.name) if alias.asname is not None else [imported]
        bindings.extend((name, frozenset({Ref(qualified)})) for name in bound)
    return bindings
