"""Which names a function or class body binds (Python's rule: assigned anywhere means local)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst


def target_names(target: cst.BaseExpression) -> Iterator[str]:
    """Plain names bound by an assignment target (``a``, ``a, (b, *c)``); attributes are not names."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)


def import_bound_names(node: cst.Import | cst.ImportFrom) -> Iterator[str]:
    if isinstance(node.names, cst.ImportStar):
        return
    for alias in node.names:
        if alias.asname is not None:
            yield from target_names(alias.asname.name)
        elif isinstance(node, cst.Import):
            yield _root_name(alias.name)
        else:
            yield alias.name.value  # type: ignore[union-attr]


def _root_name(dotted: cst.BaseExpression) -> str:
    while isinstance(dotted, cst.Attribute):
        dotted = dotted.value
    assert isinstance(dotted, cst.Name)
    return dotted.value


def _bound_by_statement(statement: cst.CSTNode, bound: set[str], declared_outer: set[str]) -> None:
    """Add the names ``statement`` binds in its own scope, descending into blocks, not nested scopes."""
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            _bound_by_small_statement(small, bound, declared_outer)
        return
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        bound.add(statement.name.value)
        return
    if isinstance(statement, cst.For):
        bound.update(target_names(statement.target))
    elif isinstance(statement, cst.With):
        for item in statement.items:
            if item.asname is not None:
                bound.update(target_names(item.asname.name))
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        for handler in statement.handlers:
            if handler.name is not None:
                bound.update(target_names(handler.name.name))
            _bound_by_suite(handler.body, bound, declared_outer)
        for block in (statement.orelse, statement.finalbody):
            if block is not None:
                _bound_by_suite(block.body, bound, declared_outer)
    elif isinstance(statement, cst.Match):
        for case in statement.cases:
            _bound_by_suite(case.body, bound, declared_outer)
    elif isinstance(statement, cst.If):
        if statement.orelse is not None:
            _bound_by_statement(statement.orelse, bound, declared_outer)
    elif isinstance(statement, cst.Else):
        _bound_by_suite(statement.body, bound, declared_outer)
        return
    body = getattr(statement, "body", None)
    if isinstance(body, cst.BaseSuite):
        _bound_by_suite(body, bound, declared_outer)
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.Else) and not isinstance(statement, (cst.If, cst.Try, cst.TryStar)):
        _bound_by_suite(orelse.body, bound, declared_outer)


def _bound_by_suite(suite: cst.BaseSuite, bound: set[str], declared_outer: set[str]) -> None:
    for statement in suite.body:
        _bound_by_statement(statement, bound, declared_outer)


def _bound_by_small_statement(node: cst.CSTNode, bound: set[str], declared_outer: set[str]) -> None:
    if isinstance(node, cst.Assign):
        for target in node.targets:
            bound.update(target_names(target.target))
    elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
        bound.update(target_names(node.target))
    elif isinstance(node, (cst.Import, cst.ImportFrom)):
        bound.update(import_bound_names(node))
    elif isinstance(node, cst.Del):
        bound.update(target_names(node.target))
    elif isinstance(node, (cst.Global, cst.Nonlocal)):
        declared_outer.update(item.name.value for item in node.names)


def local_names(body: Iterable[cst.CSTNode], parameters: Iterable[str] = ()) -> frozenset[str]:
    """Names local to a scope. Walrus targets are left out: they are bound in flow as they happen."""
    bound: set[str] = set(parameters)
    declared_outer: set[str] = set()
    for statement in body:
        _bound_by_statement(statement, bound, declared_outer)
    return frozenset(bound - declared_outer)


def parameter_names(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names
