"""Read a Jupyter notebook (nbformat 4) from its JSON text with the standard library's ``json``.

A notebook that is not valid JSON, not a notebook, or not nbformat 4 is a :class:`FileError` naming
what is wrong and where. Each cell keeps the JSON strings its ``source`` is stored in (one string,
or a list of strings, usually one a line), so positions can be given in the ``.ipynb`` file itself
and a fixed cell can be written back without re-serialising the notebook.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass

from seglint.diagnostics import FileError
from seglint.notebook.jsontext import StringToken, array_items, object_members, string_at

SUPPORTED_NBFORMAT = 4
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Cell:
    """One cell. ``number`` counts every cell from 1 (markdown and raw cells too), as Jupyter shows
    them; ``pieces`` are the JSON strings that store ``source``, which ``is_list`` says were a list."""

    number: int
    kind: str
    source: str
    pieces: tuple[StringToken, ...]
    is_list: bool
    # Where the ``source`` value lies in the notebook's text (the list's brackets, or the string).
    value_start: int
    value_end: int

    @property
    def is_code(self) -> bool:
        return self.kind == "code"


@dataclass(frozen=True)
class Notebook:
    """A notebook's JSON ``text``, its cells in document order, and its kernel's language (``None``
    when the notebook does not say)."""

    text: str
    cells: tuple[Cell, ...]
    language: str | None = None

    @property
    def is_python(self) -> bool:
        return self.language is None or self.language.lower() in ("python", "python3", "ipython")

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        return [0, *(match.end() for match in _NEWLINE.finditer(self.text))]

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column (in characters) of ``offset`` in the notebook's text."""
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1


def read_notebook(text: str, path: str) -> Notebook | FileError:
    """The notebook in ``text`` (the JSON text of ``path``), or a FileError for that file."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        return FileError(path, error.lineno, error.colno, f"not a notebook: invalid JSON: {error.msg}")
    except RecursionError:
        return FileError(path, 0, 0, "not a notebook: invalid JSON: nested too deeply")
    if not isinstance(document, dict):
        return FileError(path, 1, 1, f"not a notebook: the JSON is {_kind(document)}, not an object")
    start = _skip_to_value(text)
    members = object_members(text, start)
    notebook = Notebook(text, ())

    def error(reason: str, offset: int | None) -> FileError:
        line, column = notebook.position(offset) if offset is not None else (0, 0)
        return FileError(path, line, column, reason)

    version = document.get("nbformat")
    if version is None:
        return error('not a notebook: it has no "nbformat" key', start)
    if version != SUPPORTED_NBFORMAT:
        return error(
            f"nbformat {json.dumps(version)} is not supported: seglint reads nbformat 4 notebooks "
            "(convert it with `jupyter nbconvert --to notebook --nbformat 4`)",
            members["nbformat"],
        )
    cells = document.get("cells")
    if not isinstance(cells, list):
        where = members.get("cells", start)
        return error(f'not a notebook: "cells" is {_kind(cells)}, not an array', where)
    found: list[Cell] = []
    for number, (cell, offset) in enumerate(zip(cells, array_items(text, members["cells"])), start=1):
        read = _cell(text, number, cell, offset)
        if isinstance(read, str):
            return error(f"cell {number}: {read}", offset)
        found.append(read)
    return Notebook(text, tuple(found), _language(document.get("metadata")))


def cell_sources(text: str, path: str) -> dict[int, str]:
    """The source of each cell of the notebook in ``text``, by number; empty if it is not one (any
    more: it changed since it was checked)."""
    notebook = read_notebook(text, path)
    if isinstance(notebook, FileError):
        return {}
    return {cell.number: cell.source for cell in notebook.cells}


def _cell(text: str, number: int, cell: object, offset: int) -> Cell | str:
    """The cell stored at ``offset``, or what is wrong with it."""
    if not isinstance(cell, dict):
        return f"the cell is {_kind(cell)}, not an object"
    kind = cell.get("cell_type")
    if not isinstance(kind, str):
        return 'it has no "cell_type"' if kind is None else f'"cell_type" is {_kind(kind)}, not a string'
    members = object_members(text, offset)
    if "source" not in members:
        return Cell(number, kind, "", (), False, offset, offset)
    start = members["source"]
    source = cell["source"]
    if isinstance(source, str):
        token = string_at(text, start)
        return Cell(number, kind, source, (token,), False, start, token.end)
    if isinstance(source, list) and all(isinstance(piece, str) for piece in source):
        pieces = tuple(string_at(text, item) for item in array_items(text, start))
        end = _array_end(text, pieces[-1].end if pieces else start + 1)
        return Cell(number, kind, "".join(source), pieces, True, start, end)
    return f'"source" is {_kind(source)}, not a string or an array of strings'


def _array_end(text: str, position: int) -> int:
    """The offset just after the ``]`` that closes an array whose last item ends at ``position``."""
    return text.index("]", position) + 1


def _skip_to_value(text: str) -> int:
    """Where the top-level value starts (past leading whitespace)."""
    return len(text) - len(text.lstrip(" \t\n\r"))


def _language(metadata: object) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key, field in (("language_info", "name"), ("kernelspec", "language")):
        section = metadata.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return section[field]
    return None


def _kind(value: object) -> str:
    """How JSON names the type of ``value``, with an article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
