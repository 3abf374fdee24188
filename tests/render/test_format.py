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
