"""``WordSet.present`` finds exactly the words a search per word finds, in fewer searches."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from seglint.runner import CatalogueSpec
from seglint.wordsets import MIN_PART, present_words, word_set

_LETTERS = st.text(alphabet="abLos_sE", min_size=1, max_size=12)


@given(words=st.frozensets(_LETTERS, max_size=12), text=st.text(alphabet="abLos_sE \n", max_size=80))
def test_the_words_present_are_those_a_search_per_word_finds(words, text):
    assert present_words(text, words) == sorted(word for word in words if word in text)


@given(words=st.frozensets(_LETTERS, max_size=12))
def test_every_word_is_in_one_group_under_a_part_it_contains(words):
    grouped = [(part, word) for part, members in word_set(words).groups for word in members]
    assert sorted(word for _, word in grouped) == sorted(words)
    assert all(part in word for part, word in grouped)


def test_the_catalogue_s_loss_names_share_few_parts():
    """The point of the grouping: forty loss names are ruled out by a handful of searches."""
    words = CatalogueSpec().build().loss_words()
    groups = word_set(words).groups
    assert len(groups) <= len(words) // 3
    assert all(len(part) >= MIN_PART for part, _ in groups)
    text = "import torch\n\ndef f(x):\n    return nn.CrossEntropyLoss()(x, y) + F.kl_div(a, b)\n"
    assert present_words(text, words) == ["CrossEntropyLoss", "kl_div"]
