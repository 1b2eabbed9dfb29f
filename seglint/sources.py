"""Read Python source files into text, honouring a BOM or a PEP 263 coding cookie.

Newlines are kept exactly as they are in the file (no universal-newline translation), so a fix that
re-encodes the text with :attr:`Source.encoding` reproduces every byte it did not touch.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

from seglint.diagnostics import FileError


@dataclass(frozen=True)
class Source:
    """Decoded source text and the codec that turns it back into the file's bytes.

    ``encoding`` is what :func:`tokenize.detect_encoding` reports; ``"utf-8-sig"`` means the file starts
    with a UTF-8 byte order mark, which encoding the text with it restores.
    """

    text: str
    encoding: str = "utf-8"


_NEWLINE = re.compile(rb"\r\n|\r|\n")


def _position(data: bytes, offset: int, encoding: str) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset``."""
    breaks = list(_NEWLINE.finditer(data, 0, offset))
    start = breaks[-1].end() if breaks else 0
    prefix = data[start:offset].decode(encoding, errors="replace")
    if start == 0 and prefix.startswith("\ufeff"):
        prefix = prefix[1:]
    return len(breaks) + 1, len(prefix) + 1


def decode_source(data: bytes, path: str) -> Source | FileError:
    """Decode ``data`` (the bytes of ``path``) or explain, with a position, why it cannot be."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        message = exc.msg if isinstance(exc.msg, str) else str(exc)
        if message.startswith("invalid or missing encoding declaration"):
            encoding = "utf-8"  # not UTF-8 and no cookie: decoding below says where
        else:  # an unknown codec in the cookie, or a cookie that contradicts the BOM
            line = next((n for n, text in enumerate(data.splitlines()[:2], start=1) if b"coding" in text), 1)
            return FileError(path, line, 1, f"bad encoding declaration: {message}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, "utf-8" if encoding == "utf-8-sig" else encoding)
        name = "UTF-8" if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig") else encoding
        return FileError(
            path,
            line,
            column,
            f"invalid {name} at byte {exc.start}; add a coding cookie or re-encode the file",
        )
    return Source(text, encoding)


def read_source(path: str | Path) -> Source | FileError:
    """Read and decode the file at ``path``; a missing or unreadable file is a FileError."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return FileError(shown, 0, 0, f"could not read: {exc.strerror or exc}")
    return decode_source(data, shown)


def encode_source(text: str, encoding: str) -> bytes:
    """The bytes of ``text`` in the file's own encoding (restoring a UTF-8 BOM)."""
    return text.encode(encoding)
