"""Parse only what can hold a finding: the top-level blocks that mention a trigger word, plus imports.

libcst parses about 20 times slower than Python's own parser, and large files (a transformers
modeling file, a test-suite module) hold their losses in one or two classes. So a file is first split
with ``ast`` (exact line ranges, C speed) into top-level statements. What cannot matter is blanked out,
line for line, with a comment marking where it was, so every position in what libcst parses is the
file's own. (Methods of a kept class are never blanked: a loss object reaches a method through
``self`` in too many ways for text to tell.) A blanked
block stays available: the names it binds are looked up, and the block parsed, only if a value from it
reaches a loss (see ``MaskedChunk``).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from seglint.codetext import calls_or_aliases, code_text

# Below this size a whole parse is cheap enough that splitting does not pay.
PARTIAL_PARSE_MIN_BYTES = 4_000
# Left on the first line of a blanked block, so the interpreter binds its names at that point of the
# module's flow (libcst keeps a comment with the statement that follows it, or in a footer).
MASK_COMMENT = "# seglint:masked-block "


@dataclass(frozen=True)
class Chunk:
    """One top-level statement (with its decorators), or several sharing a line."""

    first_line: int
    last_line: int
    names: frozenset[str]
    is_import: bool
    node: ast.stmt | None = None  # the statement, when the chunk is exactly one


@dataclass(frozen=True)
class MaskedChunk:
    """A blanked-out block: the names it binds and its text, padded so positions stay the file's own."""

    names: frozenset[str]
    padded_text: str

    def parse(self) -> cst.Module | None:
        try:
            return cst.parse_module(self.padded_text)
        except (cst.ParserSyntaxError, RecursionError, ValueError):
            return None


@dataclass(frozen=True)
class ParsedSource:
    module: cst.Module
    masked: tuple[MaskedChunk, ...] = ()


def parse(
    source: str, *, triggered: Callable[[str], bool] | None, partial: bool | None = None
) -> ParsedSource:
    """Parse ``source``; raises libcst's ``ParserSyntaxError`` for invalid code.

    ``triggered(text)`` says whether a block's text can hold a finding. ``partial=None`` splits only
    large sources. ``triggered=None`` keeps nothing but the imports (a module read only for the
    summaries of its names).
    """
    if partial is None:
        partial = len(source) >= PARTIAL_PARSE_MIN_BYTES or triggered is None
    chunks = top_level_chunks(source) if partial else None
    if chunks is None:
        return ParsedSource(cst.parse_module(source))
    lines = source.splitlines(keepends=True)
    kept, _ = select_chunks(lines, chunks, triggered)
    masked_lines = list(lines)
    masked: list[MaskedChunk] = []

    for index, chunk in enumerate(chunks):
        if index in kept:
            continue
        text = "".join(lines[chunk.first_line - 1 : chunk.last_line])
        for number in range(chunk.first_line - 1, chunk.last_line):
            masked_lines[number] = _line_ending(lines[number])
        ending = _line_ending(lines[chunk.first_line - 1])
        masked_lines[chunk.first_line - 1] = f"{MASK_COMMENT}{len(masked)}{ending}"
        masked.append(MaskedChunk(chunk.names, "\n" * (chunk.first_line - 1) + text))
    if not masked:
        return ParsedSource(cst.parse_module(source))
    return ParsedSource(cst.parse_module("".join(masked_lines)), tuple(masked))


def top_level_chunks(source: str) -> list[Chunk] | None:
    """The top-level statements' line ranges and bound names, or ``None`` when ``ast`` cannot parse it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    chunks: list[Chunk] = []
    for statement in tree.body:
        first, last = _line_range(statement)
        names = frozenset(_bound_names(statement))
        is_import = isinstance(statement, (ast.Import, ast.ImportFrom))
        if chunks and first <= chunks[-1].last_line:  # ``a = 1; b = 2`` or a shared continuation line
            previous = chunks.pop()
            chunks.append(
                Chunk(
                    previous.first_line,
                    max(last, previous.last_line),
                    previous.names | names,
                    previous.is_import or is_import,
                )
            )
        else:
            chunks.append(Chunk(first, last, names, is_import, statement))
    return chunks


def select_chunks(
    lines: list[str], chunks: list[Chunk], triggered: Callable[[str], bool] | None
) -> tuple[set[int], frozenset[str]]:
    """Imports, triggered blocks, and, to a fixed point, blocks that call or alias a name bound by a
    kept function or assignment: ``ce = F.cross_entropy`` makes ``ce(...)`` count, and the callers of
    a loss helper stay visible. Returns the kept chunks and those names."""
    kept = {index for index, chunk in enumerate(chunks) if chunk.is_import}
    if triggered is None:
        return kept, frozenset()
    texts = [code_text(lines, chunk.first_line, chunk.last_line) for chunk in chunks]
    words: set[str] = set()
    for index, chunk in enumerate(chunks):
        if triggered(texts[index]):
            kept.add(index)
            words |= _closure_names(chunk)
    changed = True
    while changed:
        changed = False
        kept_classes = {
            chunk.node.name
            for index, chunk in enumerate(chunks)
            if index in kept and isinstance(chunk.node, ast.ClassDef)
        }
        for index, chunk in enumerate(chunks):
            if index in kept:
                continue
            # A subclass of a kept class inherits the loss objects its methods may call through ``self``.
            if calls_or_aliases(texts[index], words) or _derives_from(chunk, kept_classes):
                kept.add(index)
                words |= _closure_names(chunk)
                changed = True
    return kept, frozenset(words)


def _derives_from(chunk: Chunk, classes: set[str]) -> bool:
    if not isinstance(chunk.node, ast.ClassDef) or not classes:
        return False
    return any(
        isinstance(node, ast.Name) and node.id in classes
        for base in chunk.node.bases
        for node in ast.walk(base)
    )


def _closure_names(chunk: Chunk) -> frozenset[str]:
    """The names whose users must stay visible: aliases of losses and loss helpers (whose callers decide
    a finding). A class is reached through its instances' summaries, which are parsed on demand."""
    return frozenset() if isinstance(chunk.node, ast.ClassDef) else chunk.names


def _line_range(statement: ast.stmt) -> tuple[int, int]:
    decorators = getattr(statement, "decorator_list", [])
    first = min([statement.lineno, *(d.lineno for d in decorators)])
    return first, statement.end_lineno or statement.lineno


def _line_ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith(("\n", "\r")) else ""


def _bound_names(statement: ast.stmt) -> Iterator[str]:
    """Names a top-level statement binds in the module namespace (not inside nested scopes)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield statement.name
        return
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        for alias in statement.names:
            yield (alias.asname or alias.name).split(".")[0]
        return
    for node in ast.walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            yield node.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                yield (alias.asname or alias.name).split(".")[0]
        elif isinstance(node, ast.ExceptHandler) and node.name:
            yield node.name
