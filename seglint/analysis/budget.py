"""How much work the interpreter may do on one module: counted in units of work, never in seconds.

A file past a limit is reported as ``too complex to analyse (limit ...)``, the same on every run and
machine, instead of taking minutes or overflowing the Python stack. The wall-clock timeout in the
runner (``analysis-timeout``) is only the safety net behind these limits.

The counting is one decorator, ``counted``, on the interpreter's ``_eval`` and ``_statement``: every
expression or statement interpreted is one node (``max-nodes``, per module interpreter, so a module
analysed for its summaries counts its own work), and the nesting of those being interpreted (an
expression inside a call followed into a helper inside ...) is the depth (``max-depth``, over the
whole stack, since that is what a Python stack overflow measures).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

#: Statements and expressions interpreted by one module interpreter: about 3 s of work on the project's
#: 2-core machine. MONAI's files need under 6,000, transformers' under 40,000 (its modeling_utils.py,
#: followed for the summaries of hundreds of models, the most).
DEFAULT_MAX_NODES = 500_000
#: Expressions, statements and followed calls nested inside each other. Each level costs about four
#: Python frames; CPython's default recursion limit is 1,000 and libcst's own passes need some of it.
DEFAULT_MAX_DEPTH = 150


@dataclass(frozen=True)
class AnalysisLimits:
    max_nodes: int = DEFAULT_MAX_NODES
    max_depth: int = DEFAULT_MAX_DEPTH


class TooComplex(Exception):
    """The analysis of a module went past one of its limits."""

    def __init__(self, limit: str, value: int, what: str, module: str) -> None:
        super().__init__(f"{limit}={value}")
        self.limit = limit
        self.value = value
        self.what = what
        self.module = module

    def reason(self, path: str) -> str:
        """The file error's text for the linted file ``path``."""
        where = "" if self.module in ("", path) else f", reached in {self.module}"
        return f"too complex to analyse (limit {self.limit}={self.value:,}: {self.what}{where})"


_limits = AnalysisLimits()
_depth = 0


@contextmanager
def limits_in_force(limits: AnalysisLimits) -> Iterator[None]:
    """Analyse with ``limits`` instead of the defaults (interpreters created inside count against them)."""
    global _limits
    saved = _limits
    _limits = limits
    try:
        yield
    finally:
        _limits = saved


class Budget:
    """One module interpreter's count of nodes interpreted."""

    __slots__ = ("limits", "module", "nodes")

    def __init__(self, module: str) -> None:
        self.limits = _limits
        self.module = module
        self.nodes = 0


_Method = TypeVar("_Method", bound=Callable)


def counted(method: _Method) -> _Method:
    """Count one node per call of an interpreter method ``(self, node, env)`` and track the nesting."""

    @functools.wraps(method)
    def counting(self, node, env):  # type: ignore[no-untyped-def]
        global _depth
        budget = self.__dict__.get("_budget")
        if budget is None:
            budget = self.__dict__["_budget"] = Budget(getattr(self, "path", ""))
        budget.nodes += 1
        limits = budget.limits
        if budget.nodes > limits.max_nodes:
            raise TooComplex(
                "max-nodes", limits.max_nodes, "statements and expressions interpreted", budget.module
            )
        if _depth >= limits.max_depth:
            raise TooComplex("max-depth", limits.max_depth, "code and calls nested", budget.module)
        _depth += 1
        try:
            return method(self, node, env)
        finally:
            _depth -= 1

    return counting  # type: ignore[return-value]
