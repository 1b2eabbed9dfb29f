"""Inline expectations for fixture files: ``# expect: SEG001[, SEG005]`` on the offending line."""

from __future__ import annotations

import io
import re
import tokenize

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>SEG\d{3}(?:\s*,\s*SEG\d{3})*)")


def expected_findings(source: str) -> list[tuple[int, str]]:
    """(line, code) pairs named by ``# expect:`` comments, sorted."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            match = _EXPECT.search(token.string)
            if match:
                found.extend((token.start[0], code.strip()) for code in match["codes"].split(","))
    return sorted(found)
