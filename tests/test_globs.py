"""The pattern semantics of ``exclude``, ``extend-exclude`` and ``per-file-ignores``, as one table.

The table was first run against the hand-written glob translator, then against the pathspec-based
matcher that replaced it: the documented semantics (seglint/globs.py's docstring, the README) did not
change. Paths are relative to the project root ``/project``; ``abs:`` paths lie outside it.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seglint.globs import compile_globs, matches_entry, matches_path_or_parent
from seglint.pathtext import relative_posix

ROOT = PurePosixPath("/project")

# (pattern, path, matches)
CASES: list[tuple[str, str, bool]] = [
    # A pattern without a slash matches a name anywhere below the root, and everything inside it.
    ("build", "build", True),
    ("build", "build/gen.py", True),
    ("build", "src/build/gen.py", True),
    ("build", "src/builder/gen.py", False),
    ("build", "rebuild/gen.py", False),
    ("test_*.py", "test_a.py", True),
    ("test_*.py", "tests/unit/test_a.py", True),
    ("test_*.py", "tests/unit/a_test.py", False),
    ("*.pyi", "pkg/stubs.pyi", True),
    ("*.pyi", "pkg/stubs.py", False),
    ("?.py", "a.py", True),
    ("?.py", "ab.py", False),
    ("[ab].py", "b.py", True),
    ("[ab].py", "c.py", False),
    ("[!ab].py", "c.py", True),
    ("[!ab].py", "a.py", False),
    ("conftest.py", "conftest.py", True),
    ("conftest.py", "tests/conftest.py", True),
    # A trailing slash changes nothing for directories.
    ("build/", "build/gen.py", True),
    ("build/", "src/build/gen.py", True),
    ("src/", "src", True),
    # A pattern with a slash matches the path relative to the root.
    ("tests/fixtures", "tests/fixtures/case.py", True),
    ("tests/fixtures", "src/tests/fixtures/case.py", False),
    ("tests/fixtures/*", "tests/fixtures/case.py", True),
    ("tests/fixtures/*", "tests/fixtures/deep/case.py", True),
    ("tests/fixtures/*", "tests/fixtures", False),
    ("tests/*.py", "tests/a.py", True),
    ("tests/*.py", "tests/unit/a.py", False),
    ("scripts/*", "scripts/run.py", True),
    ("scripts/*", "other/scripts/run.py", False),
    ("src/**/gen_*.py", "src/gen_a.py", True),
    ("src/**/gen_*.py", "src/a/b/gen_a.py", True),
    ("src/**/gen_*.py", "lib/a/gen_a.py", False),
    ("**/gen_*.py", "gen_a.py", True),
    ("**/gen_*.py", "a/b/gen_a.py", True),
    ("src/**", "src/a/b.py", True),
    ("src/**", "lib/a.py", False),
    ("a/?.py", "a/b.py", True),
    ("a/?.py", "a/bc.py", False),
    ("a/[xy]/m.py", "a/x/m.py", True),
    ("a/[!xy]/m.py", "a/x/m.py", False),
    ("src/gen_[!0-9].py", "src/gen_1.py", False),
    ("src/gen_[!0-9].py", "src/gen_a.py", True),
    # Not a comment, not a negation: ordinary characters.
    ("#notes.py", "#notes.py", True),
    ("!keep.py", "!keep.py", True),
    ("!keep.py", "keep.py", False),
    # * and ? never cross a slash.
    ("src/*.py", "src/a/b.py", False),
    ("src/?", "src/a/b", True),  # src/a matches, and covers what is inside it
    ("src/?/b.py", "src/ab/b.py", False),
    # Outside the root: slash patterns never match; a name pattern matches the file's own name.
    ("tests/fixtures/*", "abs:/elsewhere/tests/fixtures/case.py", False),
    ("case.py", "abs:/elsewhere/case.py", True),
    ("build", "abs:/build/elsewhere/case.py", False),
    # An absolute pattern matches the absolute path.
    ("/project/vendored", "vendored/x.py", True),
    ("/elsewhere/*.py", "abs:/elsewhere/case.py", True),
    ("/elsewhere/*.py", "abs:/other/case.py", False),
]


def _path(written: str) -> PurePosixPath:
    return PurePosixPath(written[4:]) if written.startswith("abs:") else ROOT / written


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES, ids=[f"{p}|{q}" for p, q, _ in CASES])
def test_pattern_semantics(pattern: str, path: str, expected: bool) -> None:
    assert matches_path_or_parent(compile_globs((pattern,)), _path(path), ROOT) is expected


# (pattern, path, matches the entry itself)
ENTRY_CASES: list[tuple[str, str, bool]] = [
    ("build", "build", True),
    ("build", "src/build", True),
    ("build", "build/gen.py", False),  # through its directory only
    ("tests/fixtures/*", "tests/fixtures/case.py", True),
    ("tests/fixtures/*", "tests/fixtures/deep/case.py", False),
    ("src/**", "src/a", True),
    ("src/**", "src/a/b.py", False),
    ("*.py", "a/b.py", True),
    ("/project/vendored", "vendored", True),
    ("/project/vendored", "vendored/x.py", False),
    ("case.py", "abs:/elsewhere/case.py", True),
]


@pytest.mark.parametrize(
    ("pattern", "path", "expected"), ENTRY_CASES, ids=[f"{p}|{q}" for p, q, _ in ENTRY_CASES]
)
def test_entry_matches(pattern: str, path: str, expected: bool) -> None:
    assert matches_entry(compile_globs((pattern,)), _path(path), ROOT) is expected


_PARTS = st.lists(st.sampled_from(["a", "b", "ab", "..", "x.py", "a b"]), max_size=4)


@given(
    path=st.tuples(st.booleans(), _PARTS),
    root=st.tuples(st.booleans(), _PARTS),
)
def test_the_text_prefix_test_agrees_with_relative_to(path, root):
    """``relative_posix`` reads the path's text instead of calling ``relative_to``: the same answer for
    absolute and relative paths, the root itself, ``.`` and ``..``."""
    made = [PurePosixPath("/" if absolute else ".", *parts) for absolute, parts in (path, root)]
    try:
        expected = made[0].relative_to(made[1]).as_posix()
    except ValueError:
        expected = None
    assert relative_posix(made[0], made[1]) == expected
