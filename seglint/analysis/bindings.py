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


class _LocalNames(cst.CSTVisitor):
    """Collects names bound in one scope without entering nested scopes."""

    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.declared_outer: set[str] = set()

    # Nested scopes bind their own names; only their own name lands here.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound.update(target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound.update(target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound.update(target_names(node.target))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound.update(target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.bound.update(target_names(node.target))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        pass  # comprehension variables live in the comprehension's own scope

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self.bound.update(target_names(node.asname.name))

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self.bound.update(target_names(node.name.name))

    def visit_Import(self, node: cst.Import) -> None:
        self.bound.update(import_bound_names(node))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self.bound.update(import_bound_names(node))

    def visit_Del(self, node: cst.Del) -> None:
        self.bound.update(target_names(node.target))

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_outer.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_outer.update(item.name.value for item in node.names)


def local_names(body: Iterable[cst.CSTNode], parameters: Iterable[str] = ()) -> frozenset[str]:
    collector = _LocalNames()
    for statement in body:
        statement.visit(collector)
    return frozenset((collector.bound | set(parameters)) - collector.declared_outer)


def parameter_names(params: cst.Parameters) -> list[str]:
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return names
