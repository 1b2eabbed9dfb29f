"""Human-readable output: one ``path:line:col: CODE message`` line per finding, then a summary.

``[*]`` after the code marks a finding that ``--fix`` would fix (as in ruff). A file that could not be
read or parsed is a ``path:line:col: error: reason`` line.
"""

from __future__ import annotations

from collections.abc import Sequence

from seglint.diagnostics import Applicability, FileError, FileResult
from seglint.output._shared import diagnostics_of, entries, errors_of, is_applicable, plural

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_RESET = "\x1b[0m"


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text


def _location(path: str, line: int, column: int, color: bool) -> str:
    where = f"{path}:{line}:{column}:" if line else f"{path}:"
    return _paint(where, _BOLD, color)


def render(
    results: Sequence[FileResult],
    *,
    color: bool = False,
    unsafe_fixes: bool = False,
    summary: bool = True,
    fixed: int = 0,
) -> str:
    """Render ``results``; ``fixed`` is how many findings ``--fix`` already fixed (for the summary)."""
    lines: list[str] = []
    for item in entries(results):
        if isinstance(item, FileError):
            where = _location(item.path, item.line, item.column, color)
            lines.append(f"{where} {_paint('error', _RED + _BOLD, color)}: {item.reason}")
            continue
        marker = (
            " " + _paint("[*]", _CYAN, color) if is_applicable(item.fix, unsafe_fixes=unsafe_fixes) else ""
        )
        where = _location(item.path, item.span.line, item.span.column, color)
        lines.append(f"{where} {_paint(item.code, _RED + _BOLD, color)}{marker} {item.message}")
    if summary:
        lines.extend(_summary(results, unsafe_fixes=unsafe_fixes, fixed=fixed))
    return "".join(line + "\n" for line in lines)


def _summary(results: Sequence[FileResult], *, unsafe_fixes: bool, fixed: int) -> list[str]:
    diagnostics = diagnostics_of(results)
    errors = errors_of(results)
    remaining = len(diagnostics)
    lines: list[str] = []
    if fixed:
        lines.append(f"Found {plural(remaining + fixed, 'error')} ({fixed} fixed, {remaining} remaining).")
    elif remaining:
        lines.append(f"Found {plural(remaining, 'error')}.")
    if errors:
        lines.append(f"{plural(len(errors), 'file')} could not be checked.")
    if not lines:
        return ["All checks passed!"]
    fixable = sum(is_applicable(d.fix, unsafe_fixes=unsafe_fixes) for d in diagnostics)
    hidden = sum(
        d.fix is not None and d.fix.applicability == Applicability.UNSAFE and not unsafe_fixes
        for d in diagnostics
    )
    hint = (
        f" ({plural(hidden, 'hidden fix', 'es')} can be enabled with the `--unsafe-fixes` option)"
        if hidden
        else ""
    )
    if fixable:
        lines.append(f"[*] {fixable} fixable with the `--fix` option{hint}.")
    elif hidden:
        lines.append(f"No fixes available{hint}.")
    return lines
