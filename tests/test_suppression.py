"""Suppression comments: noqa, noqa with codes, seglint: ignore, and look-alikes that must not count."""

from __future__ import annotations

import pytest

from seglint.diagnostics import Diagnostic, Span
from seglint.suppression import LineSuppression, filter_suppressed, parse_comment


def finding(line: int, code: str = "SEG001") -> Diagnostic:
    return Diagnostic("m.py", Span(line, 1, line, 5), code, "name", "message", "error")


def kept(source: str, *diagnostics: Diagnostic) -> tuple[tuple[int, str], ...]:
    return tuple((d.span.line, d.code) for d in filter_suppressed(diagnostics, source))


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# NOQA",
        "#noqa",
        "# noqa: SEG001",
        "# noqa:SEG001",
        "# noqa: E501, SEG001",
        "# noqa: E501 SEG001",
        "# noqa: seg001",
        "# type: ignore  # noqa: SEG001",
        "# noqa: SEG001 -- softmax targets are fine here",
        "# seglint: ignore",
        "# seglint: ignore[SEG001]",
        "# seglint: ignore[SEG003, SEG001]",
        "#seglint:ignore[SEG001]",
    ],
)
def test_comments_that_suppress_seg001(comment: str) -> None:
    source = f"loss = f(x)  {comment}\nother = 1\n"
    assert kept(source, finding(1), finding(2)) == ((2, "SEG001"),)


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: E501",
        "# noqa: SEG002",
        "# noqa:",
        "# noqanything",
        "# seglint: ignore[SEG002]",
        "# seglint: ignore[]",
        "# seglint: ignored",
        "# seglint ignore",
        "# no qa",
    ],
)
def test_comments_that_do_not_suppress_seg001(comment: str) -> None:
    source = f"loss = f(x)  {comment}\n"
    assert kept(source, finding(1)) == ((1, "SEG001"),)


def test_only_the_listed_codes_are_suppressed() -> None:
    source = "loss = f(x)  # noqa: SEG001, SEG003\n"
    assert kept(source, finding(1, "SEG001"), finding(1, "SEG002"), finding(1, "SEG003")) == ((1, "SEG002"),)


def test_a_noqa_inside_a_string_does_not_count() -> None:
    source = 'loss = f("# noqa")\nmsg = """\n# noqa\n"""\nx = g()  # seglint: ignore\n'
    assert kept(source, finding(1), finding(3), finding(5)) == ((1, "SEG001"), (3, "SEG001"))


def test_only_the_first_line_of_a_finding_counts() -> None:
    source = "loss = f(\n    x,  # noqa\n)\n"
    multi_line = Diagnostic("m.py", Span(1, 8, 3, 2), "SEG001", "n", "m", "error")
    assert kept(source, multi_line) == ((1, "SEG001"),)


def test_crlf_sources() -> None:
    source = "a = 1\r\nloss = f(x)  # noqa\r\nb = 2\r\n"
    assert kept(source, finding(2), finding(3)) == ((3, "SEG001"),)


def test_nothing_to_filter_returns_the_input_untouched() -> None:
    assert filter_suppressed([], "x = 1  # noqa\n") == ()
    diagnostics = (finding(1), finding(2))
    assert filter_suppressed(diagnostics, "a = 1\nb = 2\n") == diagnostics


def test_the_tokenizer_only_runs_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    from seglint import suppression

    def explode(source: str) -> None:
        raise AssertionError("tokenized")

    monkeypatch.setattr(suppression, "scan_comments", explode)
    assert filter_suppressed([], "x = 1  # noqa\n") == ()
    assert filter_suppressed([finding(1)], "x = 1\n") == (finding(1),)


def test_a_source_the_tokenizer_rejects_keeps_what_it_found() -> None:
    source = "x = 1  # noqa\ny = (\n"
    assert kept(source, finding(1), finding(2)) == ((2, "SEG001"),)


def test_parse_comment_reads_codes_case_insensitively() -> None:
    found = parse_comment("# NoQa: seg001,SEG002 SEG003")
    assert not found.all_codes
    assert found.codes == {"SEG001", "SEG002", "SEG003"}


def test_an_ordinary_comment_before_a_suppression_does_not_end_the_search() -> None:
    source = "# a comment that suppresses nothing\nx = 1  # noqa: E501\nloss = f(x)  # noqa: SEG001\n"
    assert kept(source, finding(2), finding(3)) == ((2, "SEG001"),)


def test_lone_carriage_returns_end_lines() -> None:
    source = "a = 1\rloss = f(x)  # noqa\rb = 2\r"
    assert kept(source, finding(2), finding(3)) == ((3, "SEG001"),)


def test_a_comment_that_suppresses_nothing_parses_to_the_empty_suppression() -> None:
    for comment in ("# a comment", "# noqa:", "# seglint: ignore[]", "# noqa-ish"):
        assert parse_comment(comment) == LineSuppression(False, frozenset()), comment
    assert parse_comment("# noqa") == LineSuppression(True, frozenset())


def test_a_line_that_continues_takes_its_comment_at_the_end_of_the_continuation() -> None:
    backslash = "loss = f(a, \\\n    b)  # noqa: SEG001\n"
    assert kept(backslash, finding(1)) == ()
    string = 'loss = f(a, """x\ny""")  # noqa: SEG001\n'
    assert kept(string, finding(1)) == ()
    # Inside brackets each line can hold its own comment: the next line's does not count.
    brackets = "loss = f(a,\n    b)  # noqa: SEG001\n"
    assert kept(brackets, finding(1)) == ((1, "SEG001"),)
