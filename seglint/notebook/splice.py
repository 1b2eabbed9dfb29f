"""Write changed cells back into a notebook's JSON text, changing nothing else.

The notebook is never re-serialised: each changed cell's ``source`` is replaced where it lies in the
text, in the form it had. A source stored as one string keeps every character outside the part that
changed, escapes included; one stored as a list of lines keeps the lines that did not change as they
were, and new lines are written in the list's own layout. Key order, indentation, the other cells,
outputs and the final newline are untouched, so a notebook with no changed cell is byte-identical.
"""

from __future__ import annotations

from collections.abc import Mapping

from seglint.notebook.jsontext import encode_string
from seglint.notebook.reader import Cell, Notebook


def splice_sources(notebook: Notebook, sources: Mapping[int, str]) -> str:
    """``notebook``'s text with the source of each cell numbered in ``sources`` replaced."""
    ensure_ascii = notebook.text.isascii() and "\\u" in notebook.text  # the notebook's own style
    replacements: list[tuple[int, int, str]] = []
    for cell in notebook.cells:
        new = sources.get(cell.number)
        if new is None or new == cell.source:
            continue
        if cell.is_list:
            replacements.append(_list_replacement(notebook.text, cell, new, ensure_ascii))
        elif cell.pieces:
            replacements.append(_string_replacement(notebook.text, cell, new, ensure_ascii))
        else:
            raise ValueError(f"cell {cell.number} has no source to replace")
    text = notebook.text
    for start, end, content in sorted(replacements, reverse=True):
        text = text[:start] + content + text[end:]
    return text


def _string_replacement(text: str, cell: Cell, new: str, ensure_ascii: bool) -> tuple[int, int, str]:
    """Replace only the changed middle of a source stored as one string."""
    (token,) = cell.pieces
    old = cell.source
    prefix = _common_prefix(old, new)
    suffix = _common_prefix(old[prefix:][::-1], new[prefix:][::-1])
    middle = new[prefix : len(new) - suffix]
    start = token.raw_offset(text, prefix)
    end = token.raw_offset(text, len(old) - suffix)
    return start, end, encode_string(middle, ensure_ascii=ensure_ascii)[1:-1]


def _list_replacement(text: str, cell: Cell, new: str, ensure_ascii: bool) -> tuple[int, int, str]:
    """Replace the changed lines of a source stored as a list, in the list's layout."""
    pieces = cell.pieces
    old_lines = [piece.value for piece in pieces]
    new_lines = new.splitlines(keepends=True)  # how nbformat splits a source into lines
    if not pieces:
        items = ", ".join(encode_string(line, ensure_ascii=ensure_ascii) for line in new_lines)
        return cell.value_start, cell.value_end, f"[{items}]"
    prefix = _common_prefix(old_lines, new_lines)
    suffix = _common_prefix(old_lines[prefix:][::-1], new_lines[prefix:][::-1])
    removed = range(prefix, len(old_lines) - suffix)
    added = [
        encode_string(line, ensure_ascii=ensure_ascii) for line in new_lines[prefix : len(new_lines) - suffix]
    ]
    separator = _separator(text, cell)
    if not new_lines:
        return cell.value_start, cell.value_end, "[]"
    if removed and added:
        return pieces[removed.start].start, pieces[removed.stop - 1].end, separator.join(added)
    if removed:  # lines only removed: take the separator before them (or after, at the start)
        if prefix:
            return pieces[prefix - 1].end, pieces[removed.stop - 1].end, ""
        return pieces[0].start, pieces[removed.stop].start, ""
    # lines only added: after the line before them (or before the first)
    if prefix:
        at = pieces[prefix - 1].end
        return at, at, separator + separator.join(added)
    at = pieces[0].start
    return at, at, separator.join(added) + separator


def _separator(text: str, cell: Cell) -> str:
    """What stands between two lines of the list: the list's own, else a comma and the layout before
    its first line."""
    pieces = cell.pieces
    if len(pieces) >= 2:
        return text[pieces[0].end : pieces[1].start]
    return "," + text[cell.value_start + 1 : pieces[0].start]


def _common_prefix(a: str | list[str], b: str | list[str]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count
