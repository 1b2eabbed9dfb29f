"""Source text without its string literals and comments: what trigger checks read.

A loss named in a docstring or a comment is not a call of it. Kept apart from the parser so that the
prefilter, which runs before libcst is imported, can use it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

# String literals and comments: a loss named there is not a call of it.
_NOT_CODE = re.compile(
    r"'''(?:\\.|[^\\])*?'''"
    r'|"""(?:\\.|[^\\])*?"""'
    r"|'(?:\\.|[^'\\\n])*'"
    r'|"(?:\\.|[^"\\\n])*"'
    r"|#[^\n]*"
)


def code_text(lines: list[str], first: int, last: int) -> str:
    """Lines ``first``..``last`` without string literals and comments (what trigger checks read)."""
    return _NOT_CODE.sub(" ", "".join(lines[first - 1 : last]))


def mentions(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` uses one of ``words`` as a name or an attribute (not as part of a longer name)."""
    return any(word in text and _whole_word(word).search(text) is not None for word in words)


@functools.lru_cache(maxsize=1024)
def _whole_word(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


def calls_or_aliases(text: str, words: Iterable[str]) -> bool:
    """Whether ``text`` calls one of ``words`` (``name(``) or makes an alias of it (``x = name``)."""
    return any(word in text and _call_or_alias(word).search(text) is not None for word in words)


@functools.lru_cache(maxsize=1024)
def _call_or_alias(word: str) -> re.Pattern[str]:
    name = re.escape(word)
    return re.compile(rf"(?<![\w.]){name}\s*\(|=\s*{name}[ \t]*(?:$|#|;)", re.MULTILINE)
