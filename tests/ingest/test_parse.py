"""Value parsers: every form the README lists, blanks, invalid cells and column-level errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesmetrics.ingest.parse import (
    ColumnError,
    Parsed,
    as_text,
    parse_bool,
    parse_dates,
    parse_money,
    parse_number,
    parse_percent,
)

NA = pd.NA
STRING = pd.ArrowDtype(pa.string())


def text(values: Sequence[str | None], index: list[int] | None = None) -> pd.Series:
    return pd.Series(values, dtype=STRING, index=index)


def values_of(parsed: Parsed) -> list[object]:
    """Values with NA as None, so lists compare with ==."""
    return [None if v is NA else v for v in parsed.values.tolist()]


def check_shape(parsed: Parsed, raw: pd.Series, dtype: pd.ArrowDtype) -> None:
    assert parsed.values.dtype == dtype
    assert parsed.invalid.dtype == np.dtype(bool)
    assert parsed.values.index.equals(raw.index)
    assert parsed.invalid.index.equals(raw.index)


# ----------------------------------------------------------------------------------- dates

TIMESTAMP = pd.ArrowDtype(pa.timestamp("us"))


def dates(values: Sequence[str | None], **options: str) -> Parsed:
    raw = text(values)
    parsed = parse_dates(raw, "Close Date", **options)
    check_shape(parsed, raw, TIMESTAMP)
    return parsed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-31", datetime(2026, 10, 31)),
        ("2026-10-31 23:59:00", datetime(2026, 10, 31, 23, 59)),
        ("2026-10-31T23:59:00.123", datetime(2026, 10, 31, 23, 59, 0, 123000)),
        ("2026-10-31T23:59:00.123456789", datetime(2026, 10, 31, 23, 59, 0, 123456)),
        ("2026-10-31T23:59:00Z", datetime(2026, 10, 31, 23, 59)),
        ("2026-10-31 23:59:00+02:00", datetime(2026, 10, 31, 21, 59)),
        ("2026-10-31T23:59:00+0200", datetime(2026, 10, 31, 21, 59)),
        ("2026-10-31T01:00:00-05:00", datetime(2026, 10, 31, 6, 0)),
        ("2026-10-31 23:59", datetime(2026, 10, 31, 23, 59)),
        ("2026-1-5", datetime(2026, 1, 5)),
        ("31/10/2026", datetime(2026, 10, 31)),
        ("31.10.2026", datetime(2026, 10, 31)),
        ("31-10-2026", datetime(2026, 10, 31)),
        ("31/10/26", datetime(2026, 10, 31)),
        ("31-10-26", datetime(2026, 10, 31)),
        ("31/10/68", datetime(2068, 10, 31)),
        ("31/10/69", datetime(1969, 10, 31)),
        ("31/10/99", datetime(1999, 10, 31)),
        ("13 Jul 2022", datetime(2022, 7, 13)),
        ("13 July 2022", datetime(2022, 7, 13)),
        ("13 JULY 2022", datetime(2022, 7, 13)),
        ("13 sept 2022", datetime(2022, 9, 13)),
        ("Jul 13, 2022", datetime(2022, 7, 13)),
        ("July 13 2022", datetime(2022, 7, 13)),
        ("jul 13, 2022", datetime(2022, 7, 13)),
        ("13-Jul-2022", datetime(2022, 7, 13)),
        ("13-Jul-22", datetime(2022, 7, 13)),
        ("Mon, 13 Jul 2022 10:00:00 +0000", datetime(2022, 7, 13, 10, 0)),
        ("2026/10/31", datetime(2026, 10, 31)),
        ("2026.10.31", datetime(2026, 10, 31)),
        ("20261031", datetime(2026, 10, 31)),
        ("20261031 08:15", datetime(2026, 10, 31, 8, 15)),
        # Excel: 45961 days after 1899-12-30 is 2025-10-31; .75 of a day is 18:00.
        ("45961", datetime(2025, 10, 31)),
        ("45961.75", datetime(2025, 10, 31, 18, 0)),
        ("31/10/2026 23:59", datetime(2026, 10, 31, 23, 59)),
        ("31/10/2026 23:59:30.5", datetime(2026, 10, 31, 23, 59, 30, 500000)),
        ("31/10/2026 11:30 PM", datetime(2026, 10, 31, 23, 30)),
        ("31/10/2026 11:30:15 pm", datetime(2026, 10, 31, 23, 30, 15)),
        ("31/10/2026 12:05 AM", datetime(2026, 10, 31, 0, 5)),
        ("31/10/2026 12:05 PM", datetime(2026, 10, 31, 12, 5)),
        ("Jul 13, 2022 9:05 a.m.", datetime(2022, 7, 13, 9, 5)),
        ("13 Jul 2022 10:00 +01:00", datetime(2022, 7, 13, 9, 0)),
        ("31/10/2026 10:00Z", datetime(2026, 10, 31, 10, 0)),
        ("2026/10/31 10:00 -0130", datetime(2026, 10, 31, 11, 30)),
        ("2024-02-29", datetime(2024, 2, 29)),
        ("29/02/2024", datetime(2024, 2, 29)),
    ],
)
def test_date_forms(value: str, expected: datetime) -> None:
    parsed = dates([value])
    assert values_of(parsed) == [expected]
    assert parsed.invalid.tolist() == [False]


def test_dates_blank_stays_missing_and_unreadable_is_flagged() -> None:
    parsed = dates(
        ["2026-10-31", None, "", "abc", "31/02/2026", "2026-02-31", "2025-02-29", "31/13/2026"]
    )
    assert values_of(parsed) == [datetime(2026, 10, 31), None, None, None, None, None, None, None]
    assert parsed.invalid.tolist() == [False, False, False, True, True, True, True, True]


@pytest.mark.parametrize(
    "value",
    [
        "2026-10-31 24:00",
        "2026-10-31 23:60",
        "2026-10-31 23:59:60",
        "31/10/2026 13:00 PM",
        "31/10/2026 0:30 AM",
        "19999",  # a number, but too small for an Excel date
        "80001",
        "31/10-2026",  # mixed separators
        "2026-10-31 10:00 +25:00",
        "Foo 13, 2022",
        "12345678",  # 8 digits, month 56
        "1.5",
    ],
)
def test_unreadable_dates(value: str) -> None:
    parsed = dates([value])
    assert values_of(parsed) == [None]
    assert parsed.invalid.tolist() == [True]


def test_dates_outside_years_1_to_9999_are_invalid() -> None:
    parsed = dates(
        ["9999-12-31", "0001-01-01", "0000-01-01", "9999-12-31T23:00:00-05:00"],
        timezone="America/New_York",
    )
    assert values_of(parsed) == [datetime(9999, 12, 31), datetime(1, 1, 1), None, None]
    assert parsed.invalid.tolist() == [False, False, True, True]


def test_iso_fast_path_falls_back_when_one_value_is_impossible() -> None:
    parsed = dates(["2026-10-31 10:00:00", "2026-02-30 10:00:00", "2026-11-01 00:00:00"])
    assert values_of(parsed) == [datetime(2026, 10, 31, 10), None, datetime(2026, 11, 1)]
    assert parsed.invalid.tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            ["2026-10-31T22:30:00Z", None, "2026-07-01T12:00:00+02:00"],
            [datetime(2026, 11, 1, 8, 30), None, datetime(2026, 7, 1, 20)],
        ),
        (
            ["2026-10-31", "2026-10-31 09:30", None],
            [datetime(2026, 10, 31), datetime(2026, 10, 31, 9, 30), None],
        ),
        (["2026-10-31 09", "2026-10-31T10Z"], [None, None]),  # hours alone: no ISO form here
    ],
)
def test_iso_columns_read_whole_as_value_by_value(values, expected) -> None:
    whole = dates(values, timezone="Australia/Brisbane")  # UTC+10, no daylight saving
    assert values_of(whole) == expected
    assert whole.invalid.tolist() == [
        v is not None and e is None for v, e in zip(values, expected, strict=True)
    ]
    # a day-first value sends the column down the regex path, value by value
    by_value = dates([*values, "31/10/2026"], timezone="Australia/Brisbane")
    assert values_of(by_value)[:-1] == expected


def test_two_digit_year_pivot_in_month_name_form() -> None:
    assert values_of(dates(["1-Jan-68", "1-Jan-69"])) == [
        datetime(2068, 1, 1),
        datetime(1969, 1, 1),
    ]


def test_timezone_converts_offsets_and_keeps_local_values() -> None:
    parsed = dates(
        [
            "2026-07-01T12:00:00Z",  # summer: Berlin is UTC+2
            "2026-12-01T12:00:00Z",  # winter: UTC+1
            "2026-07-01 12:00:00+02:00",
            "2026-07-01 12:00:00",  # no offset: already Berlin time
            "01/07/2026 12:00 -04:00",
            "15/07/2026",
        ],
        timezone="Europe/Berlin",
    )
    assert values_of(parsed) == [
        datetime(2026, 7, 1, 14),
        datetime(2026, 12, 1, 13),
        datetime(2026, 7, 1, 12),
        datetime(2026, 7, 1, 12),
        datetime(2026, 7, 1, 18),
        datetime(2026, 7, 15),
    ]


def test_order_decided_day_first_by_a_value_above_12() -> None:
    parsed = dates(["03/04/2024", "31/10/2024"])
    assert values_of(parsed) == [datetime(2024, 4, 3), datetime(2024, 10, 31)]


def test_order_decided_month_first_by_a_value_above_12() -> None:
    parsed = dates(["03/04/2024", "10/31/2024", "12/25/24 3:00 PM"])
    assert values_of(parsed) == [
        datetime(2024, 3, 4),
        datetime(2024, 10, 31),
        datetime(2024, 12, 25, 15),
    ]


def test_month_first_column_reads_impossible_day_as_invalid() -> None:
    parsed = dates(["10/31/2024", "02/30/2024"])
    assert values_of(parsed) == [datetime(2024, 10, 31), None]
    assert parsed.invalid.tolist() == [False, True]


def test_order_irrelevant_when_day_equals_month() -> None:
    parsed = dates(["04/04/2024", "11.11.2025", "2026-10-31"])
    assert values_of(parsed) == [
        datetime(2024, 4, 4),
        datetime(2025, 11, 11),
        datetime(2026, 10, 31),
    ]


def test_undecidable_order_is_a_column_error() -> None:
    with pytest.raises(ColumnError) as caught:
        dates(["2024-01-01", "03/04/2024", "03/04/2024", "05/06/2024", "07/08/2024"])
    message = str(caught.value)
    assert message == (
        "column 'Close Date': cannot tell day-first from month-first dates "
        "(e.g. '03/04/2024', '05/06/2024'); set parse.date_order: dmy or mdy in the mapping"
    )
    assert "\n" not in message


def test_mixed_order_is_a_column_error() -> None:
    with pytest.raises(ColumnError) as caught:
        dates(["31/10/2026", "01/01/2026", "10/31/2026"])
    message = str(caught.value)
    assert "'Close Date'" in message
    assert "'31/10/2026'" in message and "'10/31/2026'" in message
    assert "parse.date_order" in message


def test_column_error_is_a_value_error() -> None:
    assert issubclass(ColumnError, ValueError)


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("dmy", [datetime(2024, 4, 3), datetime(2024, 6, 5)]),
        ("mdy", [datetime(2024, 3, 4), datetime(2024, 5, 6)]),
    ],
)
def test_explicit_order(order: str, expected: list[datetime]) -> None:
    assert values_of(dates(["03/04/2024", "05/06/2024"], order=order)) == expected


def test_explicit_order_marks_the_other_order_invalid() -> None:
    parsed = dates(["31/10/2026", "10/31/2026"], order="dmy")
    assert values_of(parsed) == [datetime(2026, 10, 31), None]
    assert parsed.invalid.tolist() == [False, True]


def test_ymd_order_reads_two_digit_year_first() -> None:
    parsed = dates(["24/04/03", "2024/04/03", "03/04/2024"], order="ymd")
    assert values_of(parsed) == [datetime(2024, 4, 3), datetime(2024, 4, 3), None]
    assert parsed.invalid.tolist() == [False, False, True]


def test_explicit_format() -> None:
    parsed = dates(
        ["31.10.2026 23:59", "01.11.2026 00:00", "2026-10-31", None], fmt="%d.%m.%Y %H:%M"
    )
    assert values_of(parsed) == [datetime(2026, 10, 31, 23, 59), datetime(2026, 11, 1), None, None]
    assert parsed.invalid.tolist() == [False, False, True, False]


@pytest.mark.parametrize(
    "fmt", ["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"]
)
def test_iso_shaped_format_reads_as_strptime_does(fmt: str) -> None:
    values = [
        "2026-10-31",
        "2026-10-31 09:30",
        "2026-10-31T09:30",
        "2026-10-31 09:30:15",
        "2026-10-31T09:30:15",
        "2026-1-5 9:30",
        "2026-02-30 09:30",
        None,
    ]
    expected = [datetime.strptime(v, fmt) if _fits(v, fmt) else None for v in values]
    assert values_of(dates(values, fmt=fmt)) == expected
    # a column all of the format's shape (zero-padded) takes Arrow's cast
    width = len(datetime(2026, 10, 31).strftime(fmt))
    shaped = [v for v, e in zip(values, expected, strict=True) if e and len(v) == width]
    assert shaped
    assert values_of(dates(shaped, fmt=fmt)) == [datetime.strptime(v, fmt) for v in shaped]


def _fits(value: str | None, fmt: str) -> bool:
    try:
        datetime.strptime(value or "", fmt)
    except ValueError:
        return False
    return True


def test_explicit_format_with_offset_converts_to_timezone() -> None:
    parsed = dates(
        ["2026-07-01 12:00 +0000", "2026-07-01 12:00 +0200"],
        fmt="%Y-%m-%d %H:%M %z",
        timezone="Europe/Berlin",
    )
    assert values_of(parsed) == [datetime(2026, 7, 1, 14), datetime(2026, 7, 1, 12)]


def test_bad_format_is_a_column_error() -> None:
    with pytest.raises(ColumnError, match=r"column 'Close Date'.*parse\.date_format"):
        dates(["2026-10-31"], fmt="%Q")


def test_bad_options_are_value_errors() -> None:
    with pytest.raises(ValueError, match="order"):
        dates(["2026-10-31"], order="ydm")
    with pytest.raises(ValueError, match="timezone"):
        dates(["2026-10-31"], timezone="Mars/Olympus_Mons")


def test_dates_keep_the_index() -> None:
    raw = text(["2026-10-31", "31/10/2026", None], index=[10, 5, 7])
    parsed = parse_dates(raw, "d")
    assert parsed.values.index.tolist() == [10, 5, 7]
    assert values_of(parsed) == [datetime(2026, 10, 31), datetime(2026, 10, 31), None]


def test_dates_many_repeats_and_empty_column() -> None:
    parsed = dates(["31/10/2026", "01/11/2026", None] * 3000)
    assert values_of(parsed)[:3] == [datetime(2026, 10, 31), datetime(2026, 11, 1), None]
    assert parsed.invalid.sum() == 0
    assert values_of(dates([])) == []
    assert values_of(dates([None, None])) == [None, None]


# ----------------------------------------------------------------------------------- money

FLOAT = pd.ArrowDtype(pa.float64())


def money(values: Sequence[str | None], **options: str) -> tuple[Parsed, list[object]]:
    raw = text(values)
    parsed, currency = parse_money(raw, "Amount", **options)
    check_shape(parsed, raw, FLOAT)
    assert currency.dtype == STRING
    assert currency.index.equals(raw.index)
    return parsed, [None if v is NA else v for v in currency.tolist()]


@pytest.mark.parametrize(
    ("value", "amount", "currency"),
    [
        ("1234.5", 1234.5, None),
        ("$1,234,567", 1234567.0, "USD"),
        ("(1,234.00)", -1234.0, None),
        ("-1,234", -1234.0, None),
        ("-$1,234", -1234.0, "USD"),
        ("$-1,234", -1234.0, "USD"),
        ("$ 1,234.50", 1234.5, "USD"),
        ("($5.25)", -5.25, "USD"),
        ("$(5.25)", -5.25, "USD"),
        ("(5) USD", -5.0, "USD"),
        ("(5 USD)", -5.0, "USD"),
        ("USD 1,234", 1234.0, "USD"),
        ("1,234 USD", 1234.0, "USD"),
        ("1,234USD", 1234.0, "USD"),
        ("£99", 99.0, "GBP"),
        ("¥500", 500.0, "JPY"),
        ("₹1,23,456", 123456.0, "INR"),  # Indian lakh grouping
        ("CHF 12.50", 12.5, "CHF"),
        ("1'234.50", 1234.5, None),
        ("+3", 3.0, None),
        (".5", 0.5, None),
        ("0.05", 0.05, None),
        ("1.5E+06", 1500000.0, None),
        ("\u22125", -5.0, None),  # Unicode minus sign
        ("1,234,567.891", 1234567.891, None),
        ("0", 0.0, None),
    ],
)
def test_money_forms_with_dot_decimal(value: str, amount: float, currency: str | None) -> None:
    parsed, currencies = money([value])
    assert values_of(parsed) == [amount]
    assert parsed.invalid.tolist() == [False]
    assert currencies == [currency]


@pytest.mark.parametrize(
    ("value", "amount", "currency"),
    [
        ("1.234,56 €", 1234.56, "EUR"),
        ("EUR 1 234,56", 1234.56, "EUR"),
        ("1\u00a0234,56", 1234.56, None),  # no-break space
        ("1\u202f234,56", 1234.56, None),  # narrow no-break space
        ("-1.234,5", -1234.5, None),
        ("12,5", 12.5, None),
        ("€ 1.234.567", 1234567.0, "EUR"),
        ("0,99 EUR", 0.99, "EUR"),
    ],
)
def test_money_forms_with_comma_decimal(value: str, amount: float, currency: str | None) -> None:
    parsed, currencies = money([value])
    assert values_of(parsed) == [amount]
    assert currencies == [currency]


def test_money_blank_is_missing_not_zero_and_junk_is_invalid() -> None:
    parsed, currencies = money(
        ["$10", None, "", "n/a", "abc", "1.2.3,4,5", "-(5)", "5 $ USD", "12 34", "$", "(5", "1234."]
    )
    assert values_of(parsed) == [10.0] + [None] * 11
    assert parsed.invalid.tolist() == [False, False, False] + [True] * 9
    assert currencies == ["USD"] + [None] * 11


def test_money_decimal_decided_by_a_value_with_both_separators() -> None:
    parsed, _ = money(["1,234", "1.234,5"])
    assert values_of(parsed) == [1.234, 1234.5]


def test_money_decimal_decided_by_digits_after_the_only_separator() -> None:
    parsed, _ = money(["1,234", "1234,56"])
    assert values_of(parsed) == [1.234, 1234.56]
    parsed, _ = money(["1.234", "3.5"])
    assert values_of(parsed) == [1.234, 3.5]
    parsed, _ = money(["1,234", "0,123"])  # "0,123" cannot be thousands
    assert values_of(parsed) == [1.234, 0.123]


def test_money_nothing_decides_so_dot_is_decimal() -> None:
    parsed, _ = money(["1,234", "1.234", "2,000,000"])
    assert values_of(parsed) == [1234.0, 1.234, 2000000.0]


def test_money_repeated_groups_decide_only_without_other_evidence() -> None:
    parsed, _ = money(["1.234.567", "1.234"])  # only grouping evidence: comma decimal
    assert values_of(parsed) == [1234567.0, 1234.0]
    parsed, _ = money(["1.234.567", "12.5"])  # 12.5 decides: 1.234.567 cannot be read
    assert values_of(parsed) == [None, 12.5]
    assert parsed.invalid.tolist() == [True, False]


def test_money_mixed_decimal_separators_is_a_column_error() -> None:
    with pytest.raises(ColumnError) as caught:
        money(["$1,234.56", "7", "12,5"])
    message = str(caught.value)
    assert message == (
        "column 'Amount': mixed decimal separators (e.g. '$1,234.56' reads with '.' but "
        "'12,5' with ','); set parse.decimal: '.' or ',' in the mapping"
    )


def test_money_explicit_separators() -> None:
    parsed, _ = money(["1.234", "1.234,5", "12,5"], decimal=",", thousands=".")
    assert values_of(parsed) == [1234.0, 1234.5, 12.5]
    parsed, _ = money(["1,234", "1,234.5", "1 234.5"], decimal=".", thousands=",")
    assert values_of(parsed) == [1234.0, 1234.5, None]
    assert parsed.invalid.tolist() == [False, False, True]
    parsed, _ = money(["1234.5", "1,234.5"], decimal=".", thousands="")
    assert values_of(parsed) == [1234.5, None]
    parsed, _ = money(["1 234,5", "1'234,5"], decimal=",", thousands=" ")
    assert values_of(parsed) == [1234.5, None]
    parsed, _ = money(["1'234,5"], thousands="'")
    assert values_of(parsed) == [1234.5]


def test_money_explicit_decimal_reads_the_otherwise_ambiguous() -> None:
    parsed, _ = money(["1,234", "1.234"], decimal=",")
    assert values_of(parsed) == [1.234, 1234.0]


def test_money_bad_options_are_value_errors() -> None:
    with pytest.raises(ValueError, match="decimal"):
        money(["1"], decimal=";")
    with pytest.raises(ValueError, match="differ"):
        money(["1"], decimal=",", thousands=",")


def test_money_overflow_is_invalid() -> None:
    parsed, _ = money(["9" * 400])
    assert values_of(parsed) == [None]
    assert parsed.invalid.tolist() == [True]


def test_money_many_repeats_keep_order_and_index() -> None:
    raw = text(["$1", "(2)", None, "EUR 3"] * 2000, index=list(range(8000, 0, -1)))
    parsed, currency = parse_money(raw, "Amount")
    assert parsed.values.index.equals(raw.index)
    assert values_of(parsed)[:4] == [1.0, -2.0, None, 3.0]
    assert currency.tolist()[:4] == ["USD", NA, NA, "EUR"]
    assert not parsed.invalid.any()


# ---------------------------------------------------------------------------------- number


def test_number_reads_money_rules_and_ignores_currency() -> None:
    raw = text(["1,234.5", "(3)", "$7", "12 EUR", None, "x", "1e3"])
    parsed = parse_number(raw, "Quantity")
    check_shape(parsed, raw, FLOAT)
    assert values_of(parsed) == [1234.5, -3.0, 7.0, 12.0, None, None, 1000.0]
    assert parsed.invalid.tolist() == [False, False, False, False, False, True, False]


def test_number_decimal_options_and_errors() -> None:
    raw = text(["1.234", "2,5"])
    assert values_of(parse_number(raw, "Quantity")) == [1234.0, 2.5]
    assert values_of(parse_number(raw, "Quantity", decimal=".")) == [1.234, None]
    with pytest.raises(ColumnError, match=r"column 'Quantity'.*'1,5'.*'1\.5'|'1\.5'.*'1,5'"):
        parse_number(text(["1,5", "1.5"]), "Quantity")


# --------------------------------------------------------------------------------- percent


def percent(values: Sequence[str | None], **options: str) -> Parsed:
    raw = text(values)
    parsed = parse_percent(raw, "Probability (%)", **options)
    check_shape(parsed, raw, FLOAT)
    return parsed


def test_percent_sign_always_means_hundredths() -> None:
    parsed = percent(["35%", "35 %", "100%", "0%", "12.5%", None, "", "abc", "%", "$5%"])
    assert values_of(parsed) == [0.35, 0.35, 1.0, 0.0, 0.125] + [None] * 5
    assert parsed.invalid.tolist() == [False] * 7 + [True] * 3


def test_percent_auto_fraction_column() -> None:
    assert values_of(percent(["0.35", "1", "0", "50%"])) == [0.35, 1.0, 0.0, 0.5]


def test_percent_auto_percent_column() -> None:
    assert values_of(percent(["35", "0.5", "100", "50%"])) == [0.35, 0.005, 1.0, 0.5]


def test_percent_auto_keeps_a_fraction_column_with_a_stray_value_above_one() -> None:
    # more distinct values between 0 and 1 than above 1: fractions, and the stray value stays
    # as it is (outside 0-1, for the caller to report), not every value / 100
    assert values_of(percent(["0.2", "0.5", "1.5"])) == [0.2, 0.5, 1.5]
    assert values_of(percent(["0.2", "0.5", "0.8", "150", "0.5"])) == [0.2, 0.5, 0.8, 150.0, 0.5]
    assert values_of(percent(["0.5", "50"])) == [0.5, 50.0]  # as many of each: fractions
    # 0 and 1 are no evidence either way: one value above 1 makes a percent column
    assert values_of(percent(["0", "1", "40"])) == [0.0, 0.01, 0.4]
    cells = values_of(parse_percent(typed([0.2, 0.5, 1.5], pa.float64()), "p"))
    assert cells == pytest.approx([0.2, 0.5, 1.5])


def test_percent_auto_ignores_percent_marked_values_above_one() -> None:
    assert values_of(percent(["0.35", "80%"])) == [0.35, 0.8]


def test_percent_explicit_scale() -> None:
    assert values_of(percent(["35", "0.5"], scale="fraction")) == [35.0, 0.5]
    assert values_of(percent(["0.5", "35%"], scale="percent")) == [0.005, 0.35]


def test_percent_decimal_comma() -> None:
    assert values_of(percent(["12,5 %", "0,5"])) == [0.125, 0.5]
    assert values_of(percent(["12,5", "7"], decimal=",")) == [0.125, 0.07]


def test_percent_mixed_decimals_is_a_column_error() -> None:
    with pytest.raises(ColumnError, match=r"column 'Probability \(%\)'.*'12,5%'.*parse\.decimal"):
        percent(["0.35", "12,5%"])


def test_percent_bad_scale() -> None:
    with pytest.raises(ValueError, match="scale"):
        percent(["1"], scale="permille")


# ------------------------------------------------------------------------------------ bool

BOOL = pd.ArrowDtype(pa.bool_())


def flags(values: Sequence[str | None]) -> Parsed:
    raw = text(values)
    parsed = parse_bool(raw, "Is Won")
    check_shape(parsed, raw, BOOL)
    return parsed


def test_bool_words() -> None:
    truthy = ["yes", "Y", "TRUE", "t", "1", "1.0", "x", "On", "checked", "✓", "✔", "X"]
    falsy = ["No", "n", "false", "F", "0", "0.0", "off", "Unchecked"]
    parsed = flags(truthy + falsy)
    assert values_of(parsed) == [True] * len(truthy) + [False] * len(falsy)
    assert not parsed.invalid.any()


def test_bool_blank_stays_missing_and_junk_is_invalid() -> None:
    parsed = flags(["yes", None, "", "maybe", "2", "-"])
    assert values_of(parsed) == [True, None, None, None, None, None]
    assert parsed.invalid.tolist() == [False, False, False, True, True, True]


def test_bool_mark_column_reads_blank_as_false() -> None:
    parsed = flags(["x", None, "X", "", "✓", "✔"])
    assert values_of(parsed) == [True, False, True, False, True, True]
    assert not parsed.invalid.any()


def test_bool_blank_stays_missing_when_not_only_marks() -> None:
    assert values_of(flags(["x", None, "no"])) == [True, None, False]
    assert values_of(flags([None, ""])) == [None, None]


# ------------------------------------------------------------------------ property tests

cells = st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=30)
# Text made of the characters the parsers look at, so they get past the first regex often.
number_like = st.lists(
    st.one_of(st.none(), st.text(alphabet="0123456789.,'- ()$€%USDE\u00a0", max_size=14)),
    max_size=30,
)
date_like = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet="0123456789/-.: TZ+apmJulOct", max_size=24),
        st.sampled_from(["0000-01-01", "9999-12-31T23:59:59-05:00", "0001-01-01 00:00+05:00"]),
    ),
    max_size=30,
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def never_crashes(parse: Callable[[pd.Series], Parsed], values: Sequence[str | None]) -> None:
    """Either a Parsed shaped like the input, or a one-line ColumnError; nothing else."""
    raw = text(values, index=list(range(100, 100 + len(values))))
    try:
        parsed = parse(raw)
    except ColumnError as error:
        assert "\n" not in str(error)
        return
    assert isinstance(parsed, Parsed)
    assert isinstance(parsed.values.dtype, pd.ArrowDtype)
    assert parsed.values.index.equals(raw.index)
    assert parsed.invalid.index.equals(raw.index)
    assert parsed.invalid.dtype == np.dtype(bool)
    assert len(parsed.values.tolist()) == len(raw)  # every value converts to Python
    blank = raw.isna().to_numpy()
    assert not parsed.invalid.to_numpy()[blank].any()
    assert not (parsed.invalid.to_numpy() & parsed.values.notna().to_numpy()).any()


@PROPERTY
@given(st.one_of(cells, date_like), st.sampled_from(["auto", "dmy", "mdy", "ymd"]))
def test_dates_never_crash(values: Sequence[str | None], order: str) -> None:
    never_crashes(lambda raw: parse_dates(raw, "d", order=order, timezone="Europe/Berlin"), values)


@PROPERTY
@given(st.one_of(cells, number_like))
def test_money_never_crashes(values: Sequence[str | None]) -> None:
    def parse(raw: pd.Series) -> Parsed:
        parsed, currency = parse_money(raw, "m")
        assert currency.index.equals(raw.index)
        return parsed

    never_crashes(parse, values)


@PROPERTY
@given(st.one_of(cells, number_like), st.sampled_from(["auto", ".", ","]))
def test_number_never_crashes(values: Sequence[str | None], decimal: str) -> None:
    never_crashes(lambda raw: parse_number(raw, "n", decimal=decimal), values)


@PROPERTY
@given(st.one_of(cells, number_like), st.sampled_from(["auto", "fraction", "percent"]))
def test_percent_never_crashes(values: Sequence[str | None], scale: str) -> None:
    never_crashes(lambda raw: parse_percent(raw, "p", scale=scale), values)


@PROPERTY
@given(cells)
def test_bool_never_crashes(values: Sequence[str | None]) -> None:
    never_crashes(lambda raw: parse_bool(raw, "b"), values)


PARSERS: dict[str, Callable[[pd.Series], Parsed]] = {
    "dates": lambda raw: parse_dates(raw, "d"),
    "money": lambda raw: parse_money(raw, "m")[0],
    "percent": lambda raw: parse_percent(raw, "p"),
    "bool": lambda raw: parse_bool(raw, "b"),
}


@PROPERTY
@given(st.one_of(date_like, number_like), st.sampled_from(sorted(PARSERS)))
def test_repeated_values_parse_the_same(values: Sequence[str | None], kind: str) -> None:
    """Many repeats take the parse-each-distinct-value path; it must agree with the direct one."""
    parse = PARSERS[kind]
    try:
        once = parse(text(values))
        repeated = parse(text(list(values) * 20))
    except ColumnError:
        return
    n = len(values)
    assert repeated.values.iloc[:n].reset_index(drop=True).equals(once.values)
    assert repeated.invalid.iloc[:n].tolist() == once.invalid.tolist()


def test_numbers_with_a_trailing_carriage_return_read_as_numbers():
    # found by the property test: '0\r' was judged readable but then failed to convert
    values = pd.Series(["0\r", "12\n", "4\x0c"], dtype=pd.ArrowDtype(pa.string()))
    assert parse_number(values, "Amount").values.tolist() == [0.0, 12.0, 4.0]


# ---------------------------------------------------------------------- typed (Excel) cells


def typed(values: Sequence[object], kind: pa.DataType) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, kind)))


def test_typed_dates_are_taken_as_they_are_whatever_format_order_and_zone() -> None:
    raw = typed([datetime(2026, 10, 20), datetime(2026, 10, 2, 17, 45), None], pa.timestamp("ms"))
    parsed = parse_dates(raw, "Closed", fmt="%d.%m.%Y %H:%M", order="mdy", timezone="Asia/Tokyo")
    check_shape(parsed, raw, TIMESTAMP)
    assert values_of(parsed) == [datetime(2026, 10, 20), datetime(2026, 10, 2, 17, 45), None]
    assert parsed.invalid.tolist() == [False, False, False]


def test_typed_numbers_are_amounts_with_no_currency() -> None:
    raw = typed([1200.0, -0.5, None], pa.float64())
    parsed, currency = parse_money(raw, "Amount")
    check_shape(parsed, raw, FLOAT)
    assert values_of(parsed) == [1200.0, -0.5, None]
    assert currency.isna().all()
    assert values_of(parse_number(typed([3, None], pa.int64()), "n")) == [3.0, None]


@pytest.mark.parametrize(
    ("values", "scale", "expected"),
    [
        ([0.35, 1.0], "auto", [0.35, 1.0]),
        ([35.0, 50.0], "auto", [0.35, 0.5]),
        ([0.5, 20.0], "fraction", [0.5, 20.0]),
        ([0.5, 20.0], "percent", [0.005, 0.2]),
    ],
)
def test_typed_percents_scale_as_unmarked_text_does(values, scale, expected) -> None:
    as_cells = values_of(parse_percent(typed(values, pa.float64()), "p", scale=scale))
    as_text_values = values_of(parse_percent(text([str(v) for v in values]), "p", scale=scale))
    assert as_cells == pytest.approx(expected) == as_text_values


def test_typed_flags_are_taken_as_they_are() -> None:
    parsed = parse_bool(typed([True, False, None], pa.bool_()), "Won")
    assert values_of(parsed) == [True, False, None]
    assert not parsed.invalid.any()


def test_typed_cells_of_another_kind_are_read_as_their_text() -> None:
    serials = parse_dates(typed([46298.0, 20261031.0, 1.5], pa.float64()), "Created")
    assert values_of(serials) == [datetime(2026, 10, 3), datetime(2026, 10, 31), None]
    assert serials.invalid.tolist() == [False, False, True]
    flags = parse_bool(typed([1.0, 0.0, 2.0], pa.float64()), "Won")
    assert values_of(flags) == [True, False, None]
    assert flags.invalid.tolist() == [False, False, True]


def test_as_text_writes_cells_as_a_person_reads_them() -> None:
    stamps = typed(
        [
            datetime(2026, 10, 1, 9, 30),
            datetime(2026, 10, 2),
            datetime(2026, 10, 2, 1, 2, 3, 456000),
            datetime(1899, 12, 31, 9, 30),  # Excel's time of day
            None,
        ],
        pa.timestamp("ms"),
    )
    assert as_text(stamps).tolist() == [
        "2026-10-01 09:30:00",
        "2026-10-02",
        "2026-10-02 01:02:03.456000",
        "09:30:00",
        NA,
    ]
    numbers = typed([1200.0, 800.5, 14200003820.0, 1e20, None], pa.float64())
    assert as_text(numbers).tolist() == ["1200", "800.5", "14200003820", "1e+20", NA]
    assert as_text(typed([True, False, None], pa.bool_())).tolist() == ["True", "False", NA]
    assert as_text(typed([7, None], pa.int64())).tolist() == ["7", NA]
    words = text(["a", None])
    assert as_text(words) is words


@pytest.mark.parametrize(
    ("parse", "values"),
    [
        (parse_dates, ["2026-10-31T09:30:00Z", "2026-10-31 10:00", "31/10/2026", None, "x"]),
        (parse_dates, ["2026-10-31T09:30:00Z", "2026-11-01T09:30:00+01:00", None]),
        (parse_dates, ["2026-10-31 09:30", None, "2026-10-31 09:31", "2026-02-30 00:00"]),
        (parse_number, ["$1,234.50", None, "EUR 5", "abc", "(12)"] * 3),
        (parse_percent, ["35%", "0.5", None, "x"] * 3),
        (parse_bool, ["yes", "no", None, "x", "maybe"] * 3),
        (parse_bool, ["x", None, "✓"] * 3),
    ],
)
def test_parsers_read_a_column_in_chunks_as_in_one(parse, values) -> None:
    # a large CSV's columns come in chunks, one per block the reader parsed
    chunks = pa.chunked_array(
        [pa.array(values[:2], pa.string()), pa.array(values[2:], pa.string())]
    )
    parsed = parse(pd.Series(pd.arrays.ArrowExtensionArray(chunks)), "c")
    whole = parse(text(values), "c")
    assert values_of(parsed) == values_of(whole)
    assert parsed.invalid.tolist() == whole.invalid.tolist()


@pytest.mark.parametrize(
    ("values", "amounts", "numbers"),
    [
        # a German export's whole amounts: the dots group thousands
        (["1.500", "800", "12.000 €", "EUR 2.000"], [1500, 800, 12000, 2000], [1.5, 800, 12, 2]),
        (["1.500", "2.750,50"], [1500, 2750.5], [1500, 2750.5]),  # a comma decimal decides
        (["1.500", "12.5"], [1.5, 12.5], [1.5, 12.5]),  # a dot decimal decides
        (["0.500", "800"], [0.5, 800], [0.5, 800]),  # 0.500 is no thousands group
        (["1.500", "1,500"], [1.5, 1500], [1.5, 1500]),  # both shapes: nothing to go by
    ],
)
def test_amounts_whose_dots_all_group_thousands_read_as_thousands(values, amounts, numbers):
    assert values_of(parse_money(text(values), "Betrag")[0]) == amounts
    assert values_of(parse_number(text(values), "Anzahl")) == numbers  # not money: 1.5
    assert values_of(parse_money(text(values), "Betrag", decimal=".")[0])[0] == (
        1.5 if values[0] == "1.500" else 0.5
    )  # parse.decimal overrides
