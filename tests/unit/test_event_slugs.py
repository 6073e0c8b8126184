"""Slugs: lower-case ASCII words joined by hyphens, at most 80 characters, transliterated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lectern.events.slugs import MAX_LENGTH, is_valid, slugify, with_suffix


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Éthique", "ethique"),
        ("Ethics in Practice", "ethics-in-practice"),
        ("  Risk -- & -- Law!  ", "risk-and-law"),
        ("Straße über Ærø", "strasse-uber-aero"),
        ("Łódź 2030: CPD", "lodz-2030-cpd"),
        ("Crème brûlée, naïve café", "creme-brulee-naive-cafe"),
        ("日本語", "event"),
        ("!!!", "event"),
        ("", "event"),
        ("ﬁnance", "finance"),  # compatibility ligature
    ],
)
def test_examples(title, slug):
    assert slugify(title) == slug


def test_long_titles_are_cut_at_a_word_boundary():
    slug = slugify("word " * 40)
    assert len(slug) <= MAX_LENGTH and not slug.endswith("-") and slug.startswith("word-word")
    assert len(slugify("x" * 200)) == MAX_LENGTH


@given(st.text(max_size=300))
def test_any_title_gives_a_valid_slug(title):
    assert is_valid(slugify(title))


@given(st.text(max_size=300), st.integers(min_value=1, max_value=10_000))
def test_suffixed_candidates_stay_valid_and_distinct(title, n):
    base = slugify(title)
    candidate = with_suffix(base, n)
    assert is_valid(candidate)
    if n > 1:
        assert candidate.endswith(f"-{n}") and candidate != base


def test_suffixes_are_sequential():
    assert [with_suffix("ethics", n) for n in (1, 2, 3)] == ["ethics", "ethics-2", "ethics-3"]
    assert with_suffix("a" * 80, 12) == "a" * 77 + "-12"


@pytest.mark.parametrize("slug", ["Upper", "trailing-", "-leading", "double--hyphen", "space here", "é", ""])
def test_invalid_explicit_slugs(slug):
    assert not is_valid(slug)
