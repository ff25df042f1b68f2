"""Sizes and counts are read in every notation students use, and compared layout-blind."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.answers.shapes import Shape, explain_shape_difference, normalise_text, shape_matches
from grader.answers.tokens import _TOKEN
from grader.answers.values import find_counts, find_shapes


@pytest.mark.parametrize(
    "written, dims",
    [
        ("(1, 32, 16, 16)", (1, 32, 16, 16)),
        ("[1, 32, 16, 16]", (1, 32, 16, 16)),
        ("torch.Size([1, 32, 16, 16])", (1, 32, 16, 16)),
        ("1x32x16x16", (1, 32, 16, 16)),
        ("1 × 32 × 16 × 16", (1, 32, 16, 16)),
        ("1*32*16*16", (1, 32, 16, 16)),
        ("16x16x32", (16, 16, 32)),
        ("32@16x16", (32, 16, 16)),
        ("[-1, 32, 16, 16]", (None, 32, 16, 16)),
        ("(N, 32, 16, 16)", (None, 32, 16, 16)),
        ("(batch, 128)", (None, 128)),
        ("(128,)", (128,)),
        ("（1，32，16，16）", (1, 32, 16, 16)),
        ("1 ⋅ 32 ⋅ 16 ⋅ 16", (1, 32, 16, 16)),
        ("$1 \\times 32 \\times 16 \\times 16$", (1, 32, 16, 16)),
    ],
)
def test_every_size_notation_is_read(written, dims):
    found = find_shapes(normalise_text(written))
    assert [located.value.dims for located in found] == [dims]


def test_a_bare_number_is_a_size_only_where_the_caller_expects_an_answer():
    assert find_shapes("fc1 has 128 units") == []
    assert [located.value.dims for located in find_shapes(" 128", allow_bare_integer=True)] == [(128,)]


def test_symbols_other_than_the_batch_are_not_sizes():
    assert find_shapes("(1, C, H, W)") == []
    assert find_shapes("nn.Conv2d(3, 32, kernel_size=5)") == []


@pytest.mark.parametrize(
    "written", ["(1, 32, 16, 16)", "(32, 16, 16)", "(-1, 32, 16, 16)", "(16, 16, 32)", "(1, 16, 16, 32)"]
)
def test_feature_map_sizes_match_with_or_without_batch_in_either_layout(written):
    shape = find_shapes(written)[0].value
    assert shape_matches(shape, (1, 32, 16, 16))


@pytest.mark.parametrize("written", ["(1, 32, 8, 8)", "(1, 16, 16, 16)", "(2, 32, 16, 16)", "(32, 16)", "(16, 32, 16)"])
def test_wrong_feature_map_sizes_do_not_match(written):
    assert not shape_matches(find_shapes(written)[0].value, (1, 32, 16, 16))


@pytest.mark.parametrize("dims", [(1, 128), (128,), (None, 128)])
def test_linear_sizes_match_with_or_without_batch(dims):
    assert shape_matches(Shape(dims, ""), (1, 128))


def test_a_flattened_size_is_not_a_one_by_one_feature_map():
    assert not shape_matches(Shape((1, 64), ""), (1, 64, 1, 1))


def test_the_difference_is_explained_without_giving_the_answer():
    hint = explain_shape_difference(Shape((1, 32, 8, 8), ""), (1, 32, 16, 16))
    assert "channels is right" in hint and "16" not in hint
    assert "channels is not" in explain_shape_difference(Shape((1, 64, 16, 16), ""), (1, 32, 16, 16))
    assert "batch" in explain_shape_difference(Shape((4, 32, 16, 16), ""), (1, 32, 16, 16))


@pytest.mark.parametrize("written", ["134186", "134,186", "134 186", "134_186", "１３４１８６"])
def test_exact_counts_are_read_with_any_digit_grouping(written):
    (count,) = find_counts(normalise_text(written))
    assert count.value.exact and count.value.value == 134186


@pytest.mark.parametrize("written, value", [("0.13M", 130000), ("134K", 134000), ("13.4萬", 134000), ("1.34e5", 134000)])
def test_rounded_counts_are_read_but_marked_inexact(written, value):
    (count,) = find_counts(written)
    assert not count.value.exact and count.value.value == pytest.approx(value)


@pytest.mark.parametrize(
    "written, dims",
    [
        ("conv1的輸入是1x3x32x32，輸出是", (1, 3, 32, 32)),
        ("輸出為1x32x16x16。", (1, 32, 16, 16)),
        ("input is 1x3x32x32. Output", (1, 3, 32, 32)),
        ("output: 32@16x16.", (32, 16, 16)),
    ],
)
def test_sizes_against_chinese_words_or_before_a_full_stop_are_read(written, dims):
    found = find_shapes(normalise_text(written))
    assert [located.value.dims for located in found] == [dims]


@pytest.mark.parametrize("written", ["總參數量為134,186", "總參數量：134186個", "is 134186.", "共134186個參數"])
def test_counts_against_chinese_words_or_before_a_full_stop_are_exact(written):
    (count,) = find_counts(normalise_text(written))
    assert count.value.exact and count.value.value == 134186


def test_a_digit_after_a_full_stop_still_makes_a_decimal_not_a_size_or_an_exact_count():
    assert find_shapes("1x3x32x32.5") == []
    (count,) = find_counts("134186.5")
    assert not count.value.exact


def test_integers_separated_by_commas_are_one_size_only_where_one_size_is_expected():
    text = " 1, 32, 16, 16   "
    assert [located.value.dims for located in find_shapes(text, allow_bare_integer=True, allow_bare_list=True)] == [
        (1, 32, 16, 16)
    ]
    assert [located.value.dims for located in find_shapes(text, allow_bare_integer=True)] == [(1,), (32,), (16,), (16,)]
    assert find_shapes(text) == []
    assert [located.value.dims for located in find_shapes(
        normalise_text("-1，64，8，8"), allow_bare_integer=True, allow_bare_list=True)] == [(None, 64, 8, 8)]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 x×*,.()[]@eE+_a-N>:")), max_size=30))
def test_the_lexer_finds_what_the_same_patterns_find_when_they_may_backtrack(text):
    """Atomic groups only make lexing linear; they must not change what is found (Python 3.11.2's
    possessive quantifiers did: it read "(59,,)" as a size)."""
    plain = _TOKEN.pattern.replace("(?>", "(?:").replace("*+", "*").replace("++", "+").replace("?+", "?")
    backtracking = re.compile(plain, _TOKEN.flags)
    text = text.rstrip()  # as ``tokenize_line`` reads a line
    assert [(match.lastgroup, match.span()) for match in _TOKEN.finditer(text)] == [
        (match.lastgroup, match.span()) for match in backtracking.finditer(text)]
