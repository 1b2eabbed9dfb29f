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


# --- edits next to each other, in both orders -----------------------------------------------------

BOTH_APPLY = [
    # (first edit, second edit, result) on "abc = d\n"
    pytest.param(
        edit(1, 1, 1, 1, "X"), edit(1, 1, 1, 4, "v"), "Xv = d\n", id="insertion before a replacement"
    ),
    pytest.param(
        edit(1, 1, 1, 4, "v"), edit(1, 4, 1, 4, "X"), "vX = d\n", id="insertion after a replacement"
    ),
    pytest.param(edit(1, 1, 1, 1, "X"), edit(1, 2, 1, 2, "Y"), "XaYbc = d\n", id="insertions at two points"),
    pytest.param(edit(1, 1, 1, 2, "A"), edit(1, 2, 1, 3, "B"), "ABc = d\n", id="adjacent replacements"),
]
CONFLICT = [
    pytest.param(edit(1, 2, 1, 2, "X"), edit(1, 2, 1, 2, "Y"), id="two insertions at one point"),
    pytest.param(edit(1, 1, 1, 8, "v"), edit(1, 3, 1, 4, "w"), id="one edit inside another"),
    pytest.param(edit(1, 1, 1, 3, "v"), edit(1, 2, 1, 4, "w"), id="crossing edits"),
    pytest.param(edit(1, 1, 1, 4, "v"), edit(1, 2, 1, 2, "X"), id="insertion inside a replacement"),
]
TEXT = "abc = d\n"


@pytest.mark.parametrize(("first", "second", "result"), BOTH_APPLY)
def test_edits_that_only_touch_both_apply_in_either_order(first: Edit, second: Edit, result: str) -> None:
    assert apply_edits(TEXT, [first, second]) == apply_edits(TEXT, [second, first]) == result
    # As two fixes, whichever is considered first (diagnostics sort by their own position).
    for a, b in ((first, second), (second, first)):
        assert apply_fixes(TEXT, [diag(1, 1, safe(a)), diag(1, 2, safe(b))], parses=lambda text: True) == (
            result,
            2,
        )


@pytest.mark.parametrize(("first", "second"), CONFLICT)
def test_conflicting_edits_are_rejected_in_either_order(first: Edit, second: Edit) -> None:
    for a, b in ((first, second), (second, first)):
        with pytest.raises(ValueError, match=r"^edits overlap or lie outside the text$"):
            apply_edits(TEXT, [a, b])
        # As two fixes, the first one considered wins, even when the parse would accept both.
        alone = apply_edits(TEXT, [a])
        assert apply_fixes(TEXT, [diag(1, 1, safe(a)), diag(1, 2, safe(b))], parses=lambda text: True) == (
            alone,
            1,
        )


def test_a_column_past_the_end_of_a_line_is_rejected_not_wrapped() -> None:
    with pytest.raises(ValueError, match=r"^edits overlap or lie outside the text$"):
        apply_edits("x = 1\ny = 2\n", [edit(1, 9, 1, 10, "")])
    assert apply_fixes("x = 1\ny = 2\n", [diag(1, 1, safe(edit(1, 9, 1, 10, "")))]) == ("x = 1\ny = 2\n", 0)


def test_an_edit_on_the_last_line_without_a_newline() -> None:
    assert apply_fixes("a = f(x)", [diag(1, 5, safe(edit(1, 5, 1, 9, "x")))]) == ("a = x", 1)


def test_a_skipped_fix_does_not_stop_the_fixes_after_it() -> None:
    source = "v = f(g(x))\nw = f(y)\n"
    outer = diag(1, 5, safe(edit(1, 5, 1, 12, "x")))
    inner = diag(1, 7, safe(edit(1, 7, 1, 11, "x")))
    later = diag(2, 5, safe(edit(2, 5, 2, 9, "y")))
    assert apply_fixes(source, [outer, inner, later]) == ("v = x\nw = y\n", 2)


def test_when_one_fix_breaks_the_parse_every_other_fix_is_counted() -> None:
    source = "a = f(x)\nb = f(y)\nc = f(z)\n"
    fixes = [
        diag(1, 5, safe(edit(1, 5, 1, 9, "x"))),
        diag(2, 5, safe(edit(2, 5, 2, 9, "("))),
        diag(3, 5, safe(edit(3, 5, 3, 9, "z"))),
    ]
    assert apply_fixes(source, fixes) == ("a = x\nb = f(y)\nc = z\n", 2)


def test_fix_source_applies_safe_fixes_only_by_default_and_asks_the_given_parser() -> None:
    def linter(text: str) -> FileResult:
        if "f(x)" not in text:
            return FileResult("m.py")
        return FileResult("m.py", (diag(1, 5, unsafe(edit(1, 5, 1, 9, "x"))),))

    assert fix_source("a = f(x)\n", linter).source == "a = f(x)\n"
    assert fix_source("a = f(x)\n", linter, unsafe_fixes=True).source == "a = x\n"
    refused = fix_source("a = f(x)\n", linter, unsafe_fixes=True, parses=lambda text: False)
    assert (refused.source, refused.fixed) == ("a = f(x)\n", 0)


def test_a_fix_that_changes_nothing_ends_the_passes_uncounted() -> None:
    def linter(text: str) -> FileResult:
        return FileResult("m.py", (diag(1, 5, safe(edit(1, 5, 1, 6, "x"))),))

    outcome = fix_source("a = x\n", linter)
    assert (outcome.source, outcome.fixed) == ("a = x\n", 0)


def test_unified_diff_of_a_file_with_lone_carriage_returns() -> None:
    assert unified_diff("a\rb = f(x)\r", "a\rb = x\r", "m.py") == (
        "--- m.py\n+++ m.py\n@@ -1,2 +1,2 @@\n a\r-b = f(x)\r+b = x\r"
    )


def test_the_temporary_file_lies_next_to_the_file_it_replaces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same directory, so the rename is atomic (one filesystem); a recognisable dot-name if left behind."""
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "m.py"
    path.write_text("x = f(1)\n")
    monkeypatch.chdir(tmp_path)
    replaced = []
    real_replace = os.replace

    def record(source: str, target: str) -> None:
        replaced.append((source, target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", record)
    write_source("sub/m.py", "x = 1\n", "utf-8")
    ((temporary, target),) = replaced
    assert target == os.path.realpath(path)
    assert os.path.dirname(temporary) == os.path.dirname(target)
    assert os.path.basename(temporary).startswith(".m.py.") and temporary.endswith(".seglint-tmp")
    assert path.read_text() == "x = 1\n"
