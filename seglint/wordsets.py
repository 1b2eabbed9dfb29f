"""Which of many words a text contains, in fewer substring searches than one per word.

The provider scan and the prefilter test every file of a tree for some forty loss names, and most
files hold none of them. The names share parts (``Loss``, ``ross`` of ``CrossEntropy`` and
``cross_entropy``): a text without a part holds none of the names that contain it. The words are
grouped under such parts, chosen greedily (the part most of the remaining words contain, the longer
one on a tie), and a group's words are searched for only in a text that contains its part. On
transformers' 54 million characters this takes 0.37 s where a search per word took 0.87 s.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

#: The lengths of the parts tried: shorter parts are in too many texts to rule any out.
MIN_PART, MAX_PART = 4, 8


@dataclass(frozen=True)
class WordSet:
    """``words`` grouped under parts they contain; see the module docstring."""

    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (part, the words containing it)

    def present(self, text: str) -> list[str]:
        """The words that occur in ``text`` (as substrings), sorted."""
        found = [
            word
            for part, words in self.groups
            if part in text
            for word in words
            if word == part or word in text
        ]
        return sorted(found)


@functools.lru_cache(maxsize=64)
def word_set(words: frozenset[str]) -> WordSet:
    """The grouping of ``words`` (computed once per set of words)."""
    left = set(words)
    groups: list[tuple[str, tuple[str, ...]]] = []
    while left:
        counts: dict[str, int] = {}
        for word in left:
            for part in _parts(word):
                counts[part] = counts.get(part, 0) + 1
        best = max(counts, key=lambda part: (counts[part], len(part), part), default=None)
        if best is None or counts[best] == 1:
            # No part is shared any more: each remaining word is its own search.
            groups.extend((word, (word,)) for word in sorted(left))
            break
        members = tuple(sorted(word for word in left if best in word))
        groups.append((best, members))
        left.difference_update(members)
    return WordSet(tuple(groups))


def _parts(word: str) -> set[str]:
    return {
        word[start : start + length]
        for length in range(MIN_PART, min(MAX_PART, len(word)) + 1)
        for start in range(len(word) - length + 1)
    }


def present_words(text: str, words: Iterable[str]) -> list[str]:
    """The ``words`` that occur in ``text``, sorted."""
    return word_set(frozenset(words)).present(text)
