"""Reading sources: encodings (BOM, PEP 263 cookie), exact newlines, and unreadable files as FileErrors."""

from __future__ import annotations

from pathlib import Path

import pytest

from seglint.diagnostics import FileError
from seglint.sources import Source, decode_source, encode_source, read_source


def test_utf8_with_crlf_is_kept_exactly(tmp_path: Path) -> None:
    data = "a = 'é'\r\nb = 2\rc = 3\n".encode()
    (tmp_path / "m.py").write_bytes(data)
    source = read_source(tmp_path / "m.py")
    assert source == Source("a = 'é'\r\nb = 2\rc = 3\n", "utf-8")
    assert encode_source(source.text, source.encoding) == data


def test_a_bom_is_remembered_and_restored() -> None:
    data = b"\xef\xbb\xbfx = 1\r\n"
    source = decode_source(data, "m.py")
    assert source == Source("x = 1\r\n", "utf-8-sig")
    assert encode_source(source.text, source.encoding) == data


def test_a_coding_cookie_is_honoured() -> None:
    data = b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n"
    source = decode_source(data, "m.py")
    assert isinstance(source, Source)
    assert source.text == "# -*- coding: latin-1 -*-\nname = 'café'\n"
    assert encode_source(source.text, source.encoding) == data


def test_invalid_utf8_names_the_line_column_and_byte() -> None:
    data = b"a = 1\nb = '\xff'\n"
    assert decode_source(data, "bad.py") == FileError(
        "bad.py", 2, 6, "invalid UTF-8 at byte 11; add a coding cookie or re-encode the file"
    )


def test_invalid_utf8_on_the_first_line_and_after_a_bom() -> None:
    assert decode_source(b"x = '\xff'\n", "m.py") == FileError(
        "m.py", 1, 6, "invalid UTF-8 at byte 5; add a coding cookie or re-encode the file"
    )
    assert decode_source(b"\xef\xbb\xbfx = '\xff'\n", "m.py") == FileError(
        "m.py", 1, 6, "invalid UTF-8 at byte 8; add a coding cookie or re-encode the file"
    )


def test_columns_count_characters_not_bytes() -> None:
    error = decode_source("s = 'éé'".encode() + b"\xff\n", "m.py")
    assert isinstance(error, FileError)
    assert (error.line, error.column) == (1, 9)


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"# coding: no-such-codec\nx = 1\n", 1, "bad encoding declaration: unknown encoding: no-such-codec"),
        (
            b"#!/usr/bin/env python\n# coding: klingon\n",
            2,
            "bad encoding declaration: unknown encoding: klingon",
        ),
        (b"\xef\xbb\xbf# coding: latin-1\n", 1, "bad encoding declaration: encoding problem: utf-8"),
    ],
)
def test_bad_coding_cookies(data: bytes, line: int, reason: str) -> None:
    assert decode_source(data, "m.py") == FileError("m.py", line, 1, reason)


def test_an_unreadable_file_is_a_file_error(tmp_path: Path) -> None:
    error = read_source(tmp_path / "missing.py")
    assert isinstance(error, FileError)
    assert error.path == str(tmp_path / "missing.py")
    assert (error.line, error.column) == (0, 0)
    assert error.reason == "could not read: No such file or directory"
    assert isinstance(read_source(tmp_path), FileError)  # a directory
