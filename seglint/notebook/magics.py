"""The Python a code cell runs: IPython's own syntax taken out, every line kept where it is.

At the start of a logical line (not inside brackets, a string or a backslash continuation), IPython
reads these as commands rather than Python, and so does this module:

- line magics ``%time x``, shell escapes ``!ls`` and ``!!ls``, help ``?x``, ``x?``, ``x??``, and
  the autocall escapes ``/f x``, ``,f x``, ``;f x``;
- their assigning forms ``files = !ls`` and ``t = %timeit -o f()``.

Each becomes a blank line (``pass`` at its indentation where it sits inside a block, which would
otherwise be empty), so every other line and column stays the cell's own. A cell whose first line is a
cell magic (``%%bash``, ``%%writefile``...) is not Python and is left out whole, except
:data:`PYTHON_CELL_MAGICS`, whose body is Python that runs in the notebook and is checked.
"""

from __future__ import annotations

import re

#: Cell magics whose body is Python run in the notebook's namespace.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun"})

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_ESCAPES = ("%", "!", "?", "/", ",", ";")
_ASSIGNED_ESCAPE = re.compile(r"[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")
_CELL_MAGIC = re.compile(r"[ \t]*%%(\w*)")
_STRING_START = re.compile(r"'''|\"\"\"|'|\"")


def split_lines(text: str) -> list[str]:
    """``text``'s lines with their endings (``\\n``, ``\\r\\n`` or ``\\r``, as Python's tokenizer)."""
    return _LINE.findall(text)


def python_source(source: str) -> str:
    """The Python of a code cell's ``source``, with as many lines, each code line unchanged."""
    lines = split_lines(source)
    first = next((index for index, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return source
    magic = _CELL_MAGIC.match(lines[first])
    if magic is not None:
        if magic[1] not in PYTHON_CELL_MAGICS:
            return "".join(_ending(line) for line in lines)
        lines[first] = _ending(lines[first])
    return "".join(_without_escapes(lines))


def is_escape(line: str) -> bool:
    """Whether ``line``, at the start of a logical line, is an IPython command rather than Python."""
    stripped = line.strip()
    if not stripped:
        return False
    if stripped.startswith(_ESCAPES) or _ASSIGNED_ESCAPE.match(stripped):
        return True
    return _ends_with_help(stripped)


def _without_escapes(lines: list[str]) -> list[str]:
    scanner = _LogicalLines()
    out: list[str] = []
    for line in lines:
        if scanner.at_start() and is_escape(line):
            indent = line[: len(line) - len(line.lstrip(" \t"))]
            out.append((f"{indent}pass" if indent else "") + _ending(line))
            continue
        scanner.feed(line)
        out.append(line)
    return out


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")) :]


def _ends_with_help(stripped: str) -> bool:
    """``obj?`` / ``obj??``: the line's code (outside strings and comments) ends with ``?``, which is
    never Python."""
    scanner = _LogicalLines()
    scanner.feed(stripped)
    return scanner.last_code == "?"


class _LogicalLines:
    """Enough of Python's tokenizer to know whether the next line starts a logical line: bracket depth,
    open (triple-quoted or continued) strings and backslash continuations."""

    def __init__(self) -> None:
        self.depth = 0
        self.string: str | None = None  # the open string's quote
        self.continued = False
        self.last_code = ""

    def at_start(self) -> bool:
        return self.depth == 0 and self.string is None and not self.continued

    def feed(self, line: str) -> None:
        text = line.rstrip("\r\n")
        self.continued = False
        position = 0
        while position < len(text):
            if self.string is not None:
                position = self._in_string(text, position)
                continue
            char = text[position]
            if char == "#":
                break
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(0, self.depth - 1)
            elif char in "'\"":
                self.string = _STRING_START.match(text, position)[0]  # type: ignore[index]
                position += len(self.string)
                continue
            elif char == "\\" and position == len(text) - 1:
                self.continued = True
            if not char.isspace():
                self.last_code = char
            position += 1
        if self.string is not None and len(self.string) == 1 and not text.endswith("\\"):
            self.string = None  # an unterminated string: Python reports it, the next line starts afresh

    def _in_string(self, text: str, position: int) -> int:
        assert self.string is not None
        while position < len(text):
            if text[position] == "\\":
                position += 2
            elif text.startswith(self.string, position):
                end = position + len(self.string)
                self.string = None
                self.last_code = '"'
                return end
            else:
                position += 1
        return position
