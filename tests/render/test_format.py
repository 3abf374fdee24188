"""Numbers by unit, as the terminal and Markdown views print them."""

from __future__ import annotations

import pytest

from salesmetrics.render import format as fmt


@pytest.mark.parametrize(
    ("unit", "number", "currency", "text"),
    [
        ("currency", 1234567.4, "USD", "$1,234,567"),
        ("currency", -2500.0, "EUR", "-€2,500"),
        ("currency", 12.5, "SEK", "12.50 SEK"),
        ("currency", 0.0, "GBP", "£0"),
        ("currency", 99.0, None, "99"),
        ("ratio", 0.63157, None, "63.2%"),
        ("days", 12.34, None, "12.3 d"),
        ("hours", 1.25, None, "1.2 h"),
        ("months", 7.46, None, "7.5 mo"),
        ("multiple", 3.456, None, "3.46x"),
        ("count", 1234.0, None, "1,234"),
        ("count", 20.2857, None, "20.29"),
        ("score", 42.04, None, "42.0"),
        ("ratio", None, None, "—"),
    ],
)
def test_values_by_unit(unit, number, currency, text):
    assert fmt.value(unit, number, currency) == text


def test_changes_are_points_for_ratios_and_percent_otherwise():
    assert fmt.change("ratio", -0.046, -0.17, None) == "-4.6 pp"
    assert fmt.change("currency", -300.0, -0.2, "USD") == "-20.0%"
    assert fmt.change("count", 2.0, None, None) == "+2"  # from zero: the difference
    assert fmt.change("count", None, None, None) == ""


def test_sparkline_scales_between_lowest_and_highest():
    assert fmt.sparkline([0.0, 5.0, 10.0]) == "▁▅█"  # 5 is half way: index round(3.5) = 4
    assert fmt.sparkline([2.0, None, 2.0]) == "▅ ▅"  # flat: the middle mark
    assert fmt.sparkline([None]) == ""


def test_bar_length_follows_the_share():
    assert fmt.bar(0.5, 10) == "█████"
    assert fmt.bar(0.25, 10) == "██▌"
    assert fmt.bar(1.7, 4) == "████"  # clipped


@pytest.mark.parametrize(
    ("unit", "numbers", "places"),
    [
        ("count", [588.0, 561.4], 0),  # one of them 100 or more: whole numbers
        ("count", [20.29, 21.57], 2),
        ("count", [3.0, 2.0, None], 0),  # all whole
        ("currency", [99.5, 1461.0], 0),
        ("currency", [12.5, 9.0], 2),
        ("ratio", [0.5, 0.25], None),  # fixed decimals
    ],
)
def test_the_numbers_of_a_row_share_their_decimals(unit, numbers, places):
    assert fmt.decimals(unit, numbers) == places


def test_a_row_s_decimals_apply_to_each_number():
    assert fmt.value("count", 561.4, places=0) == "561"
    assert fmt.value("count", 20.0, places=2) == "20.00"
    assert fmt.value("currency", 9.0, "USD", places=2) == "$9.00"


def test_a_change_that_rounds_to_zero_is_plus_zero():
    assert fmt.change("ratio", -0.00003, -0.003, None) == "+0.0 pp"
    assert fmt.change("count", -10.0, -0.0001, None) == "+0.0%"
    assert fmt.rounds_to_zero("+0.0 pp") and not fmt.rounds_to_zero("-0.1 pp")
    assert not fmt.rounds_to_zero("")


def test_ascii_marks():
    assert fmt.value("ratio", None, ascii=True) == "-"
    assert fmt.value("currency", -2500.0, "EUR", ascii=True) == "-2,500 EUR"
    assert fmt.value("currency", 2500.0, "USD", ascii=True) == "$2,500"
    assert fmt.bar(0.25, 10, ascii=True) == "##="
    assert fmt.plain_text("… 3 — 4 × 2 −1", ascii=True) == "... 3 - 4 x 2 -1"
    assert fmt.plain_text("…", ascii=False) == "…"
