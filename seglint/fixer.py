"""Apply fixes to source text, and write fixed files safely.

A pass applies, in diagnostic order, every applicable fix whose edits do not overlap an edit already
taken (safe fixes only, unless ``unsafe_fixes``); the source is then linted again and fixed again, up
to ten passes, until no fix applies. A pass whose result would not parse is retried fix by fix, and
any fix that breaks the parse is dropped: seglint never writes code that does not parse.

Spans are 1-based lines and columns in code points, end exclusive; lines end at ``\\n``, ``\\r\\n`` or
``\\r``, as in Python's tokenizer. Text the edits do not touch is kept exactly, newlines included.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import itertools
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from seglint.diagnostics import Applicability, Diagnostic, Edit, FileResult, Fix, is_applicable
from seglint.notebook import is_notebook
from seglint.sources import Source, encode_source, read_source

MAX_PASSES = 10
_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class FixOutcome:
    """The fixed text, how many findings the fixes resolved, and the lint of the fixed text."""

    source: str
    fixed: int
    result: FileResult


def line_starts(text: str) -> list[int]:
    """Offset of the first character of each line (index 0 is line 1)."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _offset(text: str, starts: Sequence[int], line: int, column: int) -> int:
    if not 1 <= line <= len(starts):
        raise ValueError(f"line {line} is outside the file (1..{len(starts)})")
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    offset = start + column - 1
    if not start <= offset <= end:
        raise ValueError(f"column {column} is outside line {line} (1..{end - start + 1})")
    return offset


def _edit_ranges(text: str, starts: Sequence[int], fix: Fix) -> list[tuple[int, int, str]] | None:
    """Character ranges of a fix's edits, or None when they are out of range or overlap each other."""
    try:
        ranges = sorted(
            (
                _offset(text, starts, e.span.line, e.span.column),
                _offset(text, starts, e.span.end_line, e.span.end_column),
                e.content,
            )
            for e in fix.edits
        )
    except ValueError:
        return None
    if any(start > end for start, end, _ in ranges):
        return None
    if any(_overlap(a, b) for a, b in itertools.pairwise(ranges)):
        return None
    return ranges


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether two edits touch the same text (two insertions at one point count as overlapping)."""
    if a[0] == a[1] == b[0] == b[1]:
        return True
    return a[0] < b[1] and b[0] < a[1]


def _apply(text: str, ranges: Iterable[tuple[int, int, str]]) -> str:
    pieces: list[str] = []
    position = 0
    for start, end, content in sorted(ranges):
        pieces.append(text[position:start])
        pieces.append(content)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping ``edits`` to ``text``; raises ValueError if they overlap or are out of range."""
    ranges = _edit_ranges(text, line_starts(text), Fix("", Applicability.SAFE, tuple(edits)))
    if ranges is None:
        raise ValueError("edits overlap or lie outside the text")
    return _apply(text, ranges)


def libcst_parses(text: str) -> bool:
    """Whether ``text`` would be analysed: Python and libcst parse it (imported here, so only fixing
    pays for libcst)."""
    from seglint.parse import parses

    return parses(text)


def apply_fixes(
    text: str,
    diagnostics: Iterable[Diagnostic],
    *,
    unsafe_fixes: bool = False,
    parses: Callable[[str], bool] = libcst_parses,
) -> tuple[str, int]:
    """One pass: the text with every compatible applicable fix applied, and how many were applied."""
    starts = line_starts(text)
    chosen: list[list[tuple[int, int, str]]] = []
    taken: list[tuple[int, int, str]] = []
    for diagnostic in sorted(diagnostics, key=lambda d: d.sort_key):
        if not is_applicable(diagnostic.fix, unsafe_fixes=unsafe_fixes):
            continue
        assert diagnostic.fix is not None
        ranges = _edit_ranges(text, starts, diagnostic.fix)
        if ranges is None or any(_overlap(r, t) for r in ranges for t in taken):
            continue
        chosen.append(ranges)
        taken.extend(ranges)
    if not chosen:
        return text, 0
    fixed = _apply(text, taken)
    if parses(fixed):
        return fixed, len(chosen)
    # Some fix breaks the parse: keep only the fixes that, added one at a time, still parse.
    kept: list[tuple[int, int, str]] = []
    count = 0
    for ranges in chosen:
        candidate = _apply(text, [*kept, *ranges])
        if parses(candidate):
            kept.extend(ranges)
            count += 1
    return (_apply(text, kept), count) if count else (text, 0)


def fix_source(
    text: str,
    lint: Callable[[str], FileResult],
    *,
    unsafe_fixes: bool = False,
    parses: Callable[[str], bool] = libcst_parses,
    max_passes: int = MAX_PASSES,
    apply: Callable[[str, Sequence[Diagnostic]], tuple[str, int]] | None = None,
) -> FixOutcome:
    """Lint and fix ``text`` repeatedly until no fix applies (at most ``max_passes`` passes).

    ``apply(text, diagnostics)`` makes one pass, returning the new text and how many fixes it applied;
    by default :func:`apply_fixes` with ``unsafe_fixes`` and ``parses`` (a notebook applies them cell
    by cell, see ``seglint.notebook.fixes``)."""

    def one_pass(text: str, diagnostics: Sequence[Diagnostic]) -> tuple[str, int]:
        return apply_fixes(text, diagnostics, unsafe_fixes=unsafe_fixes, parses=parses)

    step = apply if apply is not None else one_pass
    result = lint(text)
    fixed = 0
    for _ in range(max_passes):
        if result.error is not None:
            break
        new_text, count = step(text, result.diagnostics)
        if count == 0 or new_text == text:
            break
        text, fixed = new_text, fixed + count
        result = lint(text)
    return FixOutcome(text, fixed, result)


def fix_file_text(
    text: str, lint: Callable[[str], FileResult], *, path: str, unsafe_fixes: bool = False
) -> FixOutcome:
    """:func:`fix_source` for the text of the file ``path``: a notebook's JSON is fixed cell by cell
    and its changed cells spliced into it (see ``seglint.notebook.fixes``)."""
    if is_notebook(path):
        from seglint.notebook.fixes import fix_notebook

        return fix_notebook(text, lint, path=path, unsafe_fixes=unsafe_fixes)
    return fix_source(text, lint, unsafe_fixes=unsafe_fixes)


def file_diff(before: str, after: str, path: str) -> str:
    """The change from ``before`` to ``after`` in the file ``path``: a unified diff, one per changed
    cell for a notebook."""
    if is_notebook(path):
        from seglint.notebook.fixes import notebook_diff

        return notebook_diff(before, after, path)
    return unified_diff(before, after, path)


def unified_diff(before: str, after: str, path: str) -> str:
    """A unified diff from ``before`` to ``after``, labelled with ``path``; empty when equal."""
    if before == after:
        return ""

    def lines(text: str) -> list[str]:
        starts = line_starts(text)
        ends = [*starts[1:], len(text)]
        return [text[s:e] for s, e in zip(starts, ends) if s < e]

    out: list[str] = []
    for line in difflib.unified_diff(lines(before), lines(after), fromfile=path, tofile=path):
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def write_source(
    path: str, text: str, encoding: str, *, inside: Path | None = None, original: str | None = None
) -> None:
    """Replace the file at ``path`` with ``text`` encoded as ``encoding``, atomically.

    The new content goes to a temporary file in the same directory, gets the original file's
    permission bits (and owner, where allowed), and then replaces the original with
    :func:`os.replace`: a run killed at any moment leaves the old file or the new one, never a mix (at
    worst a hidden ``.NAME.*.seglint-tmp`` file next to it). A failure leaves the original untouched
    and no temporary file behind.

    A symbolic link is followed only to a file below ``inside`` (the project's root): its target is
    rewritten. A file this process may not write (read-only) is refused, as an in-place write would
    be, though replacing it would succeed. ``original``: the text the fix was made from; if the file
    no longer holds it, it changed meanwhile and is left alone. Raises OSError, or UnicodeEncodeError
    when the text cannot be expressed in ``encoding``.
    """
    data = encode_source(text, encoding)
    target = os.path.realpath(path)
    if inside is not None and os.path.islink(path) and not Path(target).is_relative_to(inside.resolve()):
        raise OSError(
            errno.EPERM,
            f"it is a symbolic link to {target}, outside the project ({inside}); fix that file itself",
        )
    status = os.stat(target)
    if not stat.S_ISREG(status.st_mode):
        raise OSError(errno.EINVAL, "it is not a regular file")
    os.close(os.open(target, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0)))  # PermissionError if read-only
    if original is not None:
        current = read_source(target)
        if not isinstance(current, Source) or current.text != original:
            raise OSError(errno.EAGAIN, "the file changed while it was being fixed; run seglint again")
    directory, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(dir=directory or ".", prefix=f".{name}.", suffix=".seglint-tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        if (status.st_uid, status.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(OSError):  # only root may give a file away
                os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
