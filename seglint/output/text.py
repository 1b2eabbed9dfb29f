"""Human-readable output, ``concise`` (the default): one ``path:line:col: CODE message`` line per
finding, then a summary.

``[*]`` after the code marks a finding that ``--fix`` would fix (as in ruff). A file that could not be
read or parsed is a ``path:line:col: error: reason`` line. With colour, error codes are red and
warning codes yellow. The summary counts by severity: ``Found 2 errors and 1 warning.``
"""

from __future__ import annotations

from collections.abc import Sequence

from seglint.diagnostics import Applicability, Diagnostic, FileError, FileResult, Span
from seglint.output._shared import (
    diagnostics_of,
    entries,
    errors_of,
    is_applicable,
    plural,
    severity_counts,
    where,
)

BOLD = "\x1b[1m"
RED = "\x1b[31m"
YELLOW = "\x1b[33m"
CYAN = "\x1b[36m"
BLUE = "\x1b[34m"
RESET = "\x1b[0m"


def paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{RESET}" if color else text


def severity_style(severity: str) -> str:
    return RED + BOLD if severity == "error" else YELLOW + BOLD


def error_line(error: FileError, color: bool) -> str:
    span = Span(error.line, error.column, error.line, error.column) if error.line else None
    position = where(error.path, span, error.notebook)
    return f"{paint(position + ':', BOLD, color)} {paint('error', RED + BOLD, color)}: {error.reason}"


def fix_marker(diagnostic: Diagnostic, *, unsafe_fixes: bool, color: bool) -> str:
    return " " + paint("[*]", CYAN, color) if is_applicable(diagnostic.fix, unsafe_fixes=unsafe_fixes) else ""


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
            lines.append(error_line(item, color))
            continue
        marker = fix_marker(item, unsafe_fixes=unsafe_fixes, color=color)
        position = paint(where(item.path, item.span, item.notebook) + ":", BOLD, color)
        lines.append(
            f"{position} {paint(item.code, severity_style(item.severity), color)}{marker} {item.message}"
        )
    if summary:
        lines.extend(summary_lines(results, unsafe_fixes=unsafe_fixes, fixed=fixed))
    return "".join(line + "\n" for line in lines)


def summary_lines(results: Sequence[FileResult], *, unsafe_fixes: bool, fixed: int) -> list[str]:
    diagnostics = diagnostics_of(results)
    errors = errors_of(results)
    lines: list[str] = []
    if fixed:
        remaining = severity_counts(diagnostics) if diagnostics else "none"
        lines.append(f"Fixed {plural(fixed, 'finding')}; {remaining} remaining.")
    elif diagnostics:
        lines.append(f"Found {severity_counts(diagnostics)}.")
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
