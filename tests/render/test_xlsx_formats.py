"""Excel number formats by unit: money by the currency's symbol, percentage points, units."""

from __future__ import annotations

import math

import pytest

from salesmetrics.render import xlsx_formats


@pytest.mark.parametrize(
    ("currency", "values", "expected"),
    [
        ("USD", (808508.0, 1311319.5), '"$"#,##0'),
        ("GBP", (12.5, 3.0), '"£"#,##0.00'),  # cents below 1,000
        ("EUR", (0.0, 12.0), '"€"#,##0'),  # whole amounts have none
        ("SEK", (1500.0,), '#,##0 "SEK"'),
        ("=X1", (1500.0,), '#,##0 "X"'),  # only letters of a code reach the format
        (None, (1500.25,), "#,##0"),
    ],
)
def test_money_formats(currency, values, expected) -> None:
    assert xlsx_formats.money(currency, *values) == expected


@pytest.mark.parametrize(
    ("unit", "expected_value", "expected_change"),
    [
        ("count", "#,##0", "+#,##0;-#,##0;#,##0"),
        ("ratio", "0.0%", '+0.0" pp";-0.0" pp";0.0" pp"'),
        ("days", '0.0" days"', '+0.0" days";-0.0" days";0.0" days"'),
        ("months", '0.0" months"', '+0.0" months";-0.0" months";0.0" months"'),
        ("hours", '0.0" h"', '+0.0" h";-0.0" h";0.0" h"'),
        ("multiple", '0.0"x"', '+0.0"x";-0.0"x";0.0"x"'),
        ("widgets", "General", "General"),
    ],
)
def test_formats_by_unit(unit, expected_value, expected_change) -> None:
    assert xlsx_formats.value_format(unit, "USD", 3.0) == expected_value
    assert xlsx_formats.change_format(unit, "USD", 3.0) == expected_change


def test_a_ratio_change_is_in_points_and_other_changes_as_they_are() -> None:
    assert xlsx_formats.ratio_change("ratio", 0.012) == pytest.approx(1.2)
    assert xlsx_formats.ratio_change("currency", 0.012) == 0.012
    assert xlsx_formats.ratio_change("ratio", math.nan) is None


def test_flags_mark_small_samples_and_maturing_values() -> None:
    assert xlsx_formats.flags(True, False) == "*"
    assert xlsx_formats.flags(False, True) == "~"
    assert xlsx_formats.flags(True, True) == "*~"
    assert xlsx_formats.flags(False, False) is None
