"""What a rule is: a code, a name, its documentation and a pure function over a module's facts."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from seglint.analysis.catalogue import short_name
from seglint.analysis.facts import ModuleFacts, Origin, Rewrite
from seglint.diagnostics import Applicability, Diagnostic, Edit, Fix, RelatedLocation, Span


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: str  # "error" or "warning"
    fix_availability: str  # "none" or "sometimes"
    doc: str
    check: Callable[[ModuleFacts], Iterable[Diagnostic]]
    help: str = ""  # what to do, one imperative sentence (the `help:` line of the full output)


def describe_origins(origins: tuple[Origin, ...]) -> str:
    """How messages name where a kind was made, e.g. ```softmax` (line 7)`` or, through a summary,
    ```model`, which returns the output of `softmax` (models.py:42)``."""
    return " or ".join(_describe(origin) for origin in origins)


def _describe(origin: Origin) -> str:
    where = f"{origin.path}:{origin.span.line}" if origin.path else f"line {origin.span.line}"
    if origin.caller_line and origin.caller_path:
        where += f", passed to `{origin.caller}` at {origin.caller_path}:{origin.caller_line}"
    elif origin.caller_line:
        where += f", passed to `{origin.caller}` at line {origin.caller_line}"
    if origin.via and origin.step:
        return f"{origin.step} of what `{origin.via}` returns, the output of `{origin.producer}` ({where})"
    if origin.via:
        return f"`{origin.via}`, which returns the output of `{origin.producer}` ({where})"
    return f"`{origin.producer}` ({where})"


def related_locations(path: str, call: Span, origins: tuple[Origin, ...]) -> tuple[RelatedLocation, ...]:
    """The places where the probabilities were made, when they are not inside the reported call, and
    the calls that passed them (or the model making them) into the function holding the loss."""
    related = []
    for origin in origins:
        inside = not origin.path and call.line <= origin.span.line <= call.end_line and not origin.caller_line
        if not inside:
            related.append(
                RelatedLocation(
                    origin.path or path,
                    origin.span,
                    f"`{origin.producer}` makes the {origin.kind.value} here",
                )
            )
        if origin.caller_line:
            at = Span(origin.caller_line, origin.caller_column, origin.caller_line, origin.caller_column)
            called = RelatedLocation(
                origin.caller_path or path, at, f"`{origin.caller}` is called with it here"
            )
            if called not in related:
                related.append(called)
    return tuple(related)


def loss_name(qualified: str) -> str:
    return short_name(qualified)


def rewrite_fix(title: str, applicability: Applicability, rewrite: Rewrite | None) -> Fix | None:
    """A one-edit fix from a rewrite the analysis prepared, if it prepared one."""
    return None if rewrite is None else Fix(title, applicability, (Edit(rewrite.span, rewrite.content),))


def finding(
    facts: ModuleFacts,
    call: Span,
    origins: tuple[Origin, ...],
    *,
    code: str,
    name: str,
    severity: str,
    message: str,
    fix: Fix | None = None,
) -> Diagnostic:
    """A finding at ``call`` whose evidence is ``origins`` (shown as related locations)."""
    return Diagnostic(
        path=facts.path,
        span=call,
        code=code,
        name=name,
        message=message,
        severity=severity,
        fix=fix,
        related=related_locations(facts.path, call, origins),
    )
