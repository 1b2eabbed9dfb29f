"""Parse only what can hold a finding: the top-level blocks that mention a trigger word, plus imports.

libcst parses about 20 times slower than Python's own parser, and large files (a transformers
modeling file, a test-suite module) hold their losses in one or two classes. So a file is first split
with ``ast`` (exact line ranges, C speed) into top-level statements. What cannot matter is blanked out,
line for line, with a comment marking where it was, so every position in what libcst parses is the
file's own. (Methods of a kept class are never blanked: a loss object reaches a method through
``self`` in too many ways for text to tell.) A blanked
block stays available: the names it binds are looked up, and the block parsed, only if a value from it
reaches a loss (see ``MaskedChunk``).

Python's parser is also the judge of what is valid: a syntax error is reported with the line, column
and message of the interpreter running seglint, and libcst only ever sees code that Python accepts and
that is nested less than ``MAX_NESTING`` deep. (libcst's native parser crashes the process on nesting
a few thousand deep, and the analysis recurses; CPython itself gives up near 3,000.) Where the two
parsers disagree, the message says which one rejects the code.
"""

from __future__ import annotations

import ast
import functools
import io
import re
import sys
import tokenize
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from seglint.codetext import calls_or_aliases, code_text

# Below this size a whole parse is cheap enough that splitting does not pay.
PARTIAL_PARSE_MIN_BYTES = 4_000
# Left on the first line of a blanked block, so the interpreter binds its names at that point of the
# module's flow (libcst keeps a comment with the statement that follows it, or in a footer).
MASK_COMMENT = "# seglint:masked-block "
# The deepest syntax tree (in ``ast`` nodes, the module being 1) handed to libcst and the analysis.
# Hand-written code stays under 100 (torch, sympy, transformers); the analysis itself recurses out
# near 300 on a chain of method calls.
MAX_NESTING = 200


class UnparsableSource(ValueError):
    """Source that is not analysed: Python rejects it, it is nested too deeply, or libcst cannot parse
    what Python accepts. ``reason`` is the whole message; ``line`` and ``column`` are 1-based (0 when
    unknown), columns in characters."""

    def __init__(self, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Chunk:
    """One top-level statement (with its decorators), or several sharing a line."""

    first_line: int
    last_line: int
    names: frozenset[str]
    is_import: bool
    node: ast.stmt | None = None  # the statement, when the chunk is exactly one
    statements: tuple[ast.stmt, ...] = ()


@dataclass(frozen=True)
class MaskedChunk:
    """A blanked-out block: the names it binds, its text, and the file's line it starts on.

    The text is parsed on its own, not padded to its place in the file: libcst keeps every blank
    line before the first statement as a node, so padding made forcing the blocks of a long file
    quadratic. Positions in the parsed block are shifted by ``first_line - 1``."""

    names: frozenset[str]
    text: str
    first_line: int

    def parse(self) -> ParsedSource | None:
        try:
            tree = python_tree(self.text)
            check_nesting(self.text, tree.body)
            return ParsedSource(libcst_module(self.text), definitions=Definitions.of(self.text, tree.body))
        except UnparsableSource:
            return None


@dataclass(frozen=True)
class Definitions:
    """Where each function and class of a parsed text lies, in source order (name, first and last line,
    decorators included): the analysis's text scans read a definition's own text, which generating it
    from libcst's tree would cost more than the scan."""

    source: str = ""
    lines: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def of(cls, source: str, statements: Iterable[ast.stmt]) -> Definitions:
        found: list[tuple[str, int, int]] = []
        stack = list(statements)[::-1]
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found.append((node.name, *_line_range(node)))
            inner: list[ast.AST] = []
            for field in _BLOCK_FIELDS:
                for part in getattr(node, field, None) or ():
                    # ``except`` and ``case`` clauses hold statements; elif is an ``If`` in ``orelse``.
                    inner.extend(
                        part.body if isinstance(part, (ast.ExceptHandler, ast.match_case)) else [part]
                    )
            stack.extend(part for part in reversed(inner) if isinstance(part, ast.stmt))
        return cls(source, tuple(found)) if found else NO_DEFINITIONS  # nothing to hold the text for

    def ranges(self, module: cst.Module) -> dict[cst.CSTNode, tuple[int, int]]:
        """Each function and class node of ``module`` (parsed from this text) with its first and last
        line; empty where the two parsers' trees do not list the same definitions."""
        nodes = list(_cst_definitions(module))
        if [node.name.value for node in nodes] != [name for name, _, _ in self.lines]:
            return {}
        return {node: (first, last) for node, (_, first, last) in zip(nodes, self.lines)}

    def text(self, first: int, last: int) -> str:
        """Lines ``first``..``last`` of the text, with their endings."""
        return self.source[self._line_starts[first - 1] : self._line_starts[last]]

    @functools.cached_property
    def _line_starts(self) -> array[int]:
        """Where each line starts, and where the text ends (lines as ``python_lines`` counts them; the
        last may lack an ending)."""
        starts = array("L", [0, *(match.end() for match in _LINE_END.finditer(self.source))])
        if starts[-1] != len(self.source):
            starts.append(len(self.source))
        return starts


NO_DEFINITIONS = Definitions()  # text scans then generate each definition's text from the tree

# The fields of a compound statement that hold statements or clauses, in source order, in both trees.
_BLOCK_FIELDS = ("body", "handlers", "orelse", "finalbody", "cases")
_CST_CLAUSES = (cst.Else, cst.Finally, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)


def _cst_definitions(module: cst.Module) -> Iterator[cst.FunctionDef | cst.ClassDef]:
    """The functions and classes of ``module`` in source order (as ``Definitions.of`` lists them)."""
    stack: list[cst.CSTNode] = list(module.body)[::-1]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            yield node
        inner: list[cst.CSTNode] = []
        for field in _BLOCK_FIELDS:
            value = getattr(node, field, None)
            for part in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(part, _CST_CLAUSES):
                    part = part.body
                if isinstance(part, cst.IndentedBlock):
                    inner.extend(part.body)
                elif isinstance(part, cst.BaseCompoundStatement):  # elif
                    inner.append(part)
        stack.extend(part for part in reversed(inner) if isinstance(part, cst.BaseCompoundStatement))


@dataclass(frozen=True)
class ParsedSource:
    module: cst.Module
    masked: tuple[MaskedChunk, ...] = ()
    definitions: Definitions = NO_DEFINITIONS


def parse(
    source: str, *, triggered: Callable[[str], bool] | None, partial: bool | None = None
) -> ParsedSource:
    """Parse ``source``; raises :class:`UnparsableSource` for code that is not analysed.

    ``triggered(text)`` says whether a block's text can hold a finding. ``partial=None`` splits only
    large sources. ``triggered=None`` keeps nothing but the imports (a module read only for the
    summaries of its names).
    """
    tree = python_tree(source)
    if partial is None:
        partial = len(source) >= PARTIAL_PARSE_MIN_BYTES or triggered is None
    if not partial:
        check_nesting(source, tree.body)
        return ParsedSource(libcst_module(source), definitions=Definitions.of(source, tree.body))
    chunks = top_level_chunks(tree)
    lines = python_lines(source)
    kept, _ = select_chunks(lines, chunks, triggered)
    kept_statements = [node for index in sorted(kept) for node in chunks[index].statements]
    check_nesting(source, kept_statements)
    definitions = Definitions.of(source, kept_statements)
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
        masked.append(MaskedChunk(chunk.names, text, chunk.first_line))
    if not masked:
        return ParsedSource(libcst_module(source), definitions=definitions)
    return ParsedSource(libcst_module("".join(masked_lines)), tuple(masked), definitions)


def parses(source: str) -> bool:
    """Whether ``source`` would be analysed: Python and libcst accept it, within the nesting bound."""
    try:
        check_nesting(source, python_tree(source).body)
        libcst_module(source)
    except UnparsableSource:
        return False
    return True


# --- the judges -----------------------------------------------------------------------------------


def python_tree(source: str) -> ast.Module:
    """``ast.parse(source)``, or :class:`UnparsableSource` with Python's own message and position."""
    null = source.find("\0")
    if null >= 0:  # ValueError or SyntaxError, with no position, depending on the Python version
        line = source.count("\n", 0, null) + 1
        column = null - (source.rfind("\n", 0, null) + 1) + 1
        raise UnparsableSource("syntax error: source code cannot contain null bytes", line, column)
    try:
        return ast.parse(source)
    except SyntaxError as error:
        line, column = error.lineno or 0, error.offset or 0
        raise UnparsableSource(f"syntax error: {error.msg}{_libcst_accepts(source)}", line, column) from None
    except (RecursionError, MemoryError):
        raise UnparsableSource(
            f"could not analyse: the code is nested too deeply for Python's own parser "
            f"(seglint analyses at most {MAX_NESTING} levels)"
        ) from None


def check_nesting(source: str, statements: Iterable[ast.AST]) -> None:
    """Raise :class:`UnparsableSource` where the tree under ``statements`` (each at depth 2, below
    the module) is deeper than :data:`MAX_NESTING`."""
    stack: list[tuple[ast.AST, int, ast.AST]] = [(node, 2, node) for node in statements][::-1]
    while stack:
        node, depth, placed = stack.pop()
        placed = node if hasattr(node, "lineno") else placed  # operators and contexts have no position
        if depth > MAX_NESTING:
            line, column = _node_position(source, placed)
            raise UnparsableSource(
                f"could not analyse: the code is nested too deeply (more than {MAX_NESTING} levels)",
                line,
                column,
            )
        # ``a and b and c`` is one node here, a chain of nested ones in libcst.
        step = len(node.values) if isinstance(node, ast.BoolOp) else 1
        children = [(child, depth + step, placed) for child in ast.iter_child_nodes(node)]
        stack.extend(reversed(children))  # in source order: the first too deep is the leftmost


def libcst_module(source: str) -> cst.Module:
    """libcst's tree of code that Python accepts (see :func:`python_tree`)."""
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        line, column = _libcst_position(error)
        detail = error.message.removeprefix("parser error: ")
        detail = re.sub(r"^error at \d+:\d+: ", "", detail).splitlines()[0]
        raise UnparsableSource(
            f"syntax error: libcst {_libcst_version()} cannot parse this, though {_python()} accepts it "
            f"(syntax newer than libcst supports?): {detail}",
            line,
            column,
        ) from None
    except RecursionError:
        raise UnparsableSource("could not analyse: the code is nested too deeply") from None


def _libcst_accepts(source: str) -> str:
    """For code Python rejects: a note when libcst parses it (syntax newer than this Python?). libcst
    is asked only when the code is shallow enough not to crash it."""
    depth = _token_nesting(source)
    if depth is None or depth > MAX_NESTING:
        return ""
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        return ""
    return (
        f" ({_python()} rejects this and libcst {_libcst_version()} accepts it: if it is syntax of a "
        "newer Python, run seglint with that Python)"
    )


_PREFIX_TOKENS = frozenset({"-", "+", "~", "not", "await", "lambda", ":"})


def _token_nesting(source: str) -> int | None:
    """How deep libcst would nest parsing ``source``, estimated from its tokens (brackets, indentation,
    runs of unary operators and lambdas), or ``None`` when it cannot be tokenized."""
    depth = deepest = run = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in (tokenize.INDENT, tokenize.DEDENT):
                depth += 1 if token.type == tokenize.INDENT else -1
            elif token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}":
                depth -= 1
            run = run + 1 if token.string in _PREFIX_TOKENS else 0
            deepest = max(deepest, depth + run)
    except (tokenize.TokenError, SyntaxError):
        return None
    return deepest


def _node_position(source: str, node: ast.AST) -> tuple[int, int]:
    """1-based line and character column of ``node`` (``ast`` counts columns in UTF-8 bytes)."""
    line = getattr(node, "lineno", 0)
    offset = getattr(node, "col_offset", 0)
    if not line:
        return 0, 0
    lines = python_lines(source)
    text = lines[line - 1].rstrip("\r\n") if 1 <= line <= len(lines) else ""
    return line, len(text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "replace")) + 1


def _libcst_position(error: cst.ParserSyntaxError) -> tuple[int, int]:
    """Where libcst failed: its message's ``error at L:C`` (1-based) when present; its ``raw_line``
    is off by one on some errors."""
    match = re.search(r"error at (\d+):(\d+)", error.message)
    if match:
        return int(match[1]), int(match[2])
    return error.editor_line, error.editor_column


def _python() -> str:
    return f"Python {sys.version_info.major}.{sys.version_info.minor}"


@functools.lru_cache(maxsize=1)
def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:  # pragma: no cover - a vendored libcst
        return "(unknown version)"


def top_level_chunks(tree: ast.Module) -> list[Chunk]:
    """The top-level statements' line ranges and bound names."""
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
                    statements=(*previous.statements, statement),
                )
            )
        else:
            chunks.append(Chunk(first, last, names, is_import, statement, (statement,)))
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


_LINE_END = re.compile(r"\r\n|\r|\n")
_PYTHON_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def python_lines(source: str) -> list[str]:
    """The lines of ``source`` as Python's tokenizer counts them, with their endings: only ``\\n``,
    ``\\r\\n`` and ``\\r`` end a line (``str.splitlines`` also breaks at ``\\x85``, ``\\x0c``,
    ``\\u2028`` and others, which may stand in a comment or a string)."""
    return _PYTHON_LINE.findall(source)


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
