"""Real notebooks for the tests, written as Jupyter writes them (nbformat 4) or in other layouts.

``notebook(...)`` takes cells as ``("code", source)`` / ``("markdown", source)`` / ``("raw", source)``
and returns the JSON text. ``layout="jupyter"`` is nbformat's own writer (``nbformat.writes``: one
space of indentation, sorted keys, sources as lists of lines, non-ASCII characters kept, a final
newline); ``layout="string"`` stores each source as one string, indented by two, ASCII-escaped, with
no final newline, as some other tools write them.
"""

from __future__ import annotations

import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

_MAKERS = {"code": new_code_cell, "markdown": new_markdown_cell, "raw": new_raw_cell}


def notebook(*cells: tuple[str, str], layout: str = "jupyter", language: str = "python") -> str:
    made = new_notebook(
        cells=[_MAKERS[kind](source, id=f"cell-{n}") for n, (kind, source) in enumerate(cells, start=1)],
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": language, "name": "python3"},
            "language_info": {"name": language},
        },
    )
    if layout == "jupyter":
        return nbformat.writes(made)
    if layout == "string":
        data = json.loads(nbformat.writes(made))
        for cell in data["cells"]:
            cell["source"] = "".join(cell["source"])
        return json.dumps(data, indent=2, ensure_ascii=True)
    raise ValueError(layout)


def sources(text: str) -> list[str]:
    """The cells' sources, read back by nbformat (which also validates the notebook)."""
    read = nbformat.reads(text, as_version=4)
    nbformat.validate(read)
    return [cell.source for cell in read.cells]
