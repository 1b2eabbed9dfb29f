"""Read Python source files into text, honouring a BOM or a PEP 263 coding cookie.

Newlines are kept exactly as they are in the file (no universal-newline translation), so a fix that
re-encodes the text with :attr:`Source.encoding` reproduces every byte it did not touch.

Only regular files are ever opened (:func:`read_file`): a named pipe, a socket or a device, even
behind a symbolic link, is an error before anything is opened, since reading one can block forever
(a FIFO with no writer) or never end (``/dev/zero``).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import re
import stat
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
    """Decode ``data`` (the bytes of ``path``) or explain, with a position, why it cannot be. A
    notebook (``.ipynb``) is JSON, hence UTF-8 (with or without a byte order mark)."""
    if path.endswith(".ipynb"):
        return _decode_json(data, path)
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


def _decode_json(data: bytes, path: str) -> Source | FileError:
    encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        return Source(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, "utf-8")
        return FileError(path, line, column, f"not a notebook: invalid UTF-8 at byte {exc.start}")


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str:
    """What a ``st_mode`` names, in words: ``"a named pipe (FIFO)"``, ``"a regular file"``..."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def not_a_regular_file(path: str | Path, mode: int) -> OSError:
    """The error for a path that is something other than a regular file (named, or behind a link)."""
    kind = file_kind(mode)
    if os.path.islink(path):
        target = os.path.realpath(path)
        return OSError(errno.EINVAL, f"it is a symbolic link to {kind} ({target}), not a regular file")
    return OSError(errno.EINVAL, f"it is {kind}, not a regular file")


def read_file(path: str | Path, *, max_size: int | None = None) -> bytes:
    """The bytes of the regular file at ``path`` (a symbolic link is followed).

    Raises OSError for anything else without reading from it: a FIFO, socket or device is never
    opened, and one swapped in after the check is opened without blocking and refused. So is a file
    larger than ``max_size`` bytes, when given.
    """
    status = os.stat(path)
    if not stat.S_ISREG(status.st_mode):
        raise not_a_regular_file(path, status.st_mode)
    if max_size is not None and status.st_size > max_size:
        raise OSError(errno.EFBIG, f"it is larger than {max_size:,} bytes")
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(descriptor, "rb") as stream:
        opened = os.fstat(stream.fileno()).st_mode
        if not stat.S_ISREG(opened):
            raise not_a_regular_file(path, opened)
        return stream.read()


def read_error(path: str | Path, error: OSError, *, shown: str | None = None) -> FileError:
    """The FileError for a file that could not be read (``shown``: its name in output)."""
    reason = error.strerror or str(error)
    if error.errno == errno.ENOENT and os.path.islink(path):
        with contextlib.suppress(OSError):
            reason = f"{reason} (a broken symbolic link to {os.readlink(path)})"
    return FileError(shown or str(path), 0, 0, f"could not read: {reason}")


def read_source(path: str | Path) -> Source | FileError:
    """Read and decode the file at ``path``; a missing, unreadable or irregular file is a FileError."""
    try:
        data = read_file(path)
    except OSError as exc:
        return read_error(path, exc)
    return decode_source(data, str(path))


def read_text(path: Path, *, max_size: int | None = None) -> str | None:
    """The decoded text of a module read for context (another module of the project), or ``None``
    if it cannot be read or decoded, or is larger than ``max_size``: only the files being checked
    report such problems."""
    try:
        data = read_file(path, max_size=max_size)
    except OSError:
        return None
    source = decode_source(data, str(path))
    return source.text if isinstance(source, Source) else None


def encode_source(text: str, encoding: str) -> bytes:
    """The bytes of ``text`` in the file's own encoding (restoring a UTF-8 BOM)."""
    return text.encode(encoding)
