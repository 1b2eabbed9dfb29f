"""Source text without its string literals and comments: what trigger checks read.

A loss named in a docstring or a comment is not a call of it. Kept apart from the parser so that the
prefilter, which runs before libcst is imported, can use it.
"""

from __future__ import annotations

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
    present = [word for word in words if word in text]
    return any(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) for word in present)
