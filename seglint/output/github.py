"""``--format github``: GitHub Actions workflow commands, which become annotations on the diff.

https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions

An annotation in a notebook points at the line of the ``.ipynb`` file that stores the flagged source
line (GitHub shows it on the JSON), and its message names the cell and the line in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from seglint.diagnostics import FileError, FileResult, Span
from seglint.output._shared import entries, file_span, in_cell


def escape_data(text: str) -> str:
    """Escape a command's message (after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=...``), where ``:`` and ``,`` separate the command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(level: str, properties: list[tuple[str, object]], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{level} {props}::{escape_data(message)}"


def render(results: Sequence[FileResult]) -> str:
    lines: list[str] = []
    for item in entries(results):
        if isinstance(item, FileError):
            where: list[tuple[str, object]] = [("file", item.path)]
            point = Span(item.line, item.column, item.line, item.column) if item.line else None
            if point is not None:
                in_file = file_span(point, item.notebook)
                where += [("line", in_file.line), ("col", in_file.column if item.column else 0)]
            message = in_cell(item.reason, point, item.notebook)
            lines.append(_command("error", [*where, ("title", "seglint")], message))
            continue
        span = file_span(item.span, item.notebook)
        properties: list[tuple[str, object]] = [
            ("file", item.path),
            ("line", span.line),
            ("col", span.column),
            ("endLine", span.end_line),
            ("endColumn", span.end_column),
            ("title", f"seglint ({item.code})"),
        ]
        level = "error" if item.severity == "error" else "warning"
        message = in_cell(item.message, item.span, item.notebook)
        lines.append(_command(level, properties, f"{item.code} {message}"))
    return "".join(line + "\n" for line in lines)
