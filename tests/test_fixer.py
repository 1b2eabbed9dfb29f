"""The fixer: byte-exact edits, overlap handling, repeated passes, parse safety and atomic writes."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from seglint.diagnostics import Applicability, Diagnostic, Edit, FileResult, Fix, Span
from seglint.fixer import apply_edits, apply_fixes, fix_source, unified_diff, write_source
from seglint.sources import read_source


def edit(line: int, column: int, end_line: int, end_column: int, content: str) -> Edit:
    return Edit(Span(line, column, end_line, end_column), content)


def diag(line: int, column: int, fix: Fix | None, code: str = "SEG004") -> Diagnostic:
    return Diagnostic("m.py", Span(line, column, line, column + 1), code, "n", "m", "warning", fix)


def safe(*edits: Edit) -> Fix:
    return Fix("Fix it", Applicability.SAFE, edits)


def unsafe(*edits: Edit) -> Fix:
    return Fix("Fix it", Applicability.UNSAFE, edits)


# --- applying edits -------------------------------------------------------------------------------


def test_edits_keep_every_untouched_character() -> None:
    source = "a = F.log_softmax(x)\r\nb = 'é'  \r\n\tc = F.log_softmax(y)\n"
    fixed = apply_edits(source, [edit(1, 5, 1, 21, "x"), edit(3, 6, 3, 22, "y")])
    assert fixed == "a = x\r\nb = 'é'  \r\n\tc = y\n"


def test_columns_count_code_points_and_lone_cr_ends_a_line() -> None:
    source = "s = 'ééé'; t = f(x)\ru = g(y)"
    assert apply_edits(source, [edit(1, 16, 1, 20, "x"), edit(2, 5, 2, 9, "y")]) == "s = 'ééé'; t = x\ru = y"


def test_multi_line_edits_and_insertions() -> None:
    source = "loss = f(\n    g(x),\n)\n"
    assert apply_edits(source, [edit(1, 8, 3, 2, "f(x)")]) == "loss = f(x)\n"
    assert apply_edits(source, [edit(4, 1, 4, 1, "# end\n")]) == source + "# end\n"


def test_out_of_range_or_overlapping_edits_are_rejected() -> None:
    with pytest.raises(ValueError):
        apply_edits("x = 1\n", [edit(3, 1, 3, 2, "")])
    with pytest.raises(ValueError):
        apply_edits("x = 1\n", [edit(1, 9, 1, 10, "")])
    with pytest.raises(ValueError):
        apply_edits("x = 1\n", [edit(1, 1, 1, 3, "a"), edit(1, 2, 1, 4, "b")])


# --- choosing fixes -------------------------------------------------------------------------------


def test_only_safe_fixes_unless_unsafe_fixes() -> None:
    source = "a = 1\nb = 2\n"
    diagnostics = [diag(1, 5, safe(edit(1, 5, 1, 6, "10"))), diag(2, 5, unsafe(edit(2, 5, 2, 6, "20")))]
    assert apply_fixes(source, diagnostics) == ("a = 10\nb = 2\n", 1)
    assert apply_fixes(source, diagnostics, unsafe_fixes=True) == ("a = 10\nb = 20\n", 2)
    assert apply_fixes(source, [diag(1, 5, None)]) == (source, 0)


def test_a_fix_overlapping_an_earlier_one_is_skipped() -> None:
    source = "v = f(g(x))\n"
    outer = diag(1, 5, safe(edit(1, 5, 1, 12, "x")))
    inner = diag(1, 7, safe(edit(1, 7, 1, 11, "x")))
    assert apply_fixes(source, [inner, outer]) == ("v = x\n", 1)  # ordered by position: outer first


def test_adjacent_edits_both_apply() -> None:
    source = "ab\n"
    first = diag(1, 1, safe(edit(1, 1, 1, 2, "A")))
    second = diag(1, 2, safe(edit(1, 2, 1, 3, "B")))
    assert apply_fixes(source, [first, second]) == ("AB\n", 2)


def test_a_fix_that_breaks_the_parse_is_dropped_and_others_kept() -> None:
    source = "a = f(x)\nb = f(y)\n"
    breaking = diag(1, 5, safe(edit(1, 5, 1, 9, "(")))
    good = diag(2, 5, safe(edit(2, 5, 2, 9, "y")))
    assert apply_fixes(source, [breaking, good]) == ("a = f(x)\nb = y\n", 1)
    assert apply_fixes(source, [breaking]) == (source, 0)


# --- repeated passes ------------------------------------------------------------------------------

_NESTED = re.compile(r"wrap\((\w+)\)")


def wrap_linter(source: str) -> FileResult:
    """Reports each innermost ``wrap(name)`` with a safe fix that unwraps it, like a nested finding."""
    diagnostics = []
    for number, line in enumerate(source.split("\n"), start=1):
        for match in _NESTED.finditer(line):
            fix = safe(edit(number, match.start() + 1, number, match.end() + 1, match.group(1)))
            diagnostics.append(diag(number, match.start() + 1, fix))
    return FileResult("m.py", tuple(diagnostics))


def test_fixes_repeat_until_nothing_applies() -> None:
    outcome = fix_source("v = wrap(wrap(wrap(x)))\n", wrap_linter)
    assert outcome.source == "v = x\n"
    assert outcome.fixed == 3
    assert outcome.result == FileResult("m.py")


def test_passes_are_bounded() -> None:
    outcome = fix_source("v = " + "wrap(" * 15 + "x" + ")" * 15 + "\n", wrap_linter)
    assert outcome.fixed == 10
    assert len(outcome.result.diagnostics) == 1


def test_a_file_error_stops_fixing() -> None:
    from seglint.diagnostics import FileError

    broken = FileResult("m.py", error=FileError("m.py", 1, 1, "syntax error"))
    outcome = fix_source("def f(:\n", lambda text: broken)
    assert (outcome.source, outcome.fixed, outcome.result) == ("def f(:\n", 0, broken)


# --- diff -----------------------------------------------------------------------------------------


def test_unified_diff() -> None:
    assert unified_diff("a\nb\n", "a\nb\n", "m.py") == ""
    assert unified_diff("a\nb = f(x)\n", "a\nb = x\n", "m.py") == (
        "--- m.py\n+++ m.py\n@@ -1,2 +1,2 @@\n a\n-b = f(x)\n+b = x\n"
    )
    assert unified_diff("a = f(x)", "a = x", "m.py") == (
        "--- m.py\n+++ m.py\n@@ -1 +1 @@\n-a = f(x)\n\\ No newline at end of file\n+a = x\n\\ No newline at end of file\n"
    )


# --- writing --------------------------------------------------------------------------------------


def test_write_is_atomic_preserves_mode_encoding_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbf# caf\xc3\xa9\r\nloss = f(g(x))\r\n")
    path.chmod(0o751)
    source = read_source(path)
    assert not isinstance(source, Exception) and hasattr(source, "text")
    fixed = apply_edits(source.text, [edit(2, 10, 2, 14, "x")])
    write_source(str(path), fixed, source.encoding)
    assert path.read_bytes() == b"\xef\xbb\xbf# caf\xc3\xa9\r\nloss = f(x)\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o751
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]  # no temporary file left


def test_write_keeps_a_legacy_encoding(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: latin-1\nname = 'caf\xe9'; v = f(x)\n")
    source = read_source(path)
    write_source(str(path), source.text.replace("f(x)", "x"), source.encoding)  # type: ignore[union-attr]
    assert path.read_bytes() == b"# coding: latin-1\nname = 'caf\xe9'; v = x\n"


def test_a_failed_write_leaves_the_original_and_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: latin-1\nx = 1\n")
    with pytest.raises(UnicodeEncodeError):
        write_source(str(path), "# coding: latin-1\nx = '\u2603'\n", "iso-8859-1")
    assert path.read_bytes() == b"# coding: latin-1\nx = 1\n"

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    original = os.replace
    os.replace = fail  # type: ignore[assignment]
    try:
        with pytest.raises(OSError):
            write_source(str(path), "x = 2\n", "utf-8")
    finally:
        os.replace = original  # type: ignore[assignment]
    assert path.read_bytes() == b"# coding: latin-1\nx = 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_a_symlink_is_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_text("x = f(1)\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_source(str(link), "x = 1\n", "utf-8")
    assert link.is_symlink()
    assert target.read_text() == "x = 1\n"
