"""Excel number formats by unit, for the workbook: what a finance team would set by hand.

Money in the reporting currency's symbol ($, €, £; another currency by its code), whole for
large sums and with cents below 1,000; percentages with one decimal; changes of a ratio in
percentage points (`+1.2 pp`); days, hours and months with one decimal and their unit.

Excel has no format that scales by 100 without a `%` sign, so a change in percentage points is
written as points (1.2 for +1.2 pp): `ratio_change` converts it, and the cell says "pp".
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
WHOLE_FROM = 1_000.0  # money at or above this (in absolute value) has no cents

GENERAL = "General"
COUNT = "#,##0"
FRACTIONAL_COUNT = "#,##0.0"  # a count that is not whole: deals per rep
PERCENT = "0.0%"
PERCENT_CHANGE = "+0.0%;-0.0%;0.0%"
POINTS = '+0.0" pp";-0.0" pp";0.0" pp"'
FIXED = {  # one decimal and the unit, so a Value column of mixed units reads right
    "days": '0.0" days"',
    "hours": '0.0" h"',
    "months": '0.0" months"',
    "score": "0.0",
    "multiple": '0.0"x"',
}


def number(value: object) -> float | int | None:
    """A finite number, or None for a missing one (NaN, infinity, pandas NA, a bool)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    result = float(value)
    return result if math.isfinite(result) else None


def money(currency: str | None, *values: object) -> str:
    """$#,##0 for large sums and whole ones, $#,##0.00 when every value is below 1,000 and one
    has cents: `$808,509`, `$0`, `$12.50`."""
    known = [abs(n) for n in map(number, values) if n is not None]
    whole = any(n >= WHOLE_FROM for n in known) or all(float(n).is_integer() for n in known)
    digits = "#,##0" if whole else "#,##0.00"
    code = re.sub(r"[^A-Za-z]", "", currency or "").upper()[:3]
    if not code:
        return digits
    symbol = SYMBOLS.get(code)
    if symbol is None:
        return f'{digits} "{code}"'
    return f'"{symbol}"{digits}'


def plain(*values: object) -> str:
    """A count: whole, or with one decimal if any value is not whole."""
    whole = all(n is None or float(n).is_integer() for n in map(number, values))
    return COUNT if whole else FRACTIONAL_COUNT


def value_format(unit: str, currency: str | None, *values: object) -> str:
    """The format of values in `unit` (a value, its previous value and target share one)."""
    if unit == "currency":
        return money(currency, *values)
    if unit == "count":
        return plain(*values)
    if unit == "ratio":
        return PERCENT
    return FIXED.get(unit, GENERAL)


def change_format(unit: str, currency: str | None, *values: object) -> str:
    """The format of a change: signed, and in percentage points for a ratio."""
    if unit == "ratio":
        return POINTS
    fmt = value_format(unit, currency, *values)
    if fmt == GENERAL:
        return fmt
    if fmt.startswith('"'):  # the sign before the symbol: +$1,234 / -$1,234
        close = fmt.index('"', 1)
        symbol, digits = fmt[1:close], fmt[close + 1 :]
        return f'"+{symbol}"{digits};"-{symbol}"{digits};"{symbol}"{digits}'
    return f"+{fmt};-{fmt};{fmt}"


def ratio_change(unit: str, change: object) -> float | int | None:
    """A change as the Change column holds it: a ratio's change in percentage points."""
    found = number(change)
    if found is None or unit != "ratio":
        return found
    return found * 100


def flags(small_sample: bool, maturing: bool) -> str | None:
    """`*` for a small sample, `~` for a value later data can still change."""
    mark = ("*" if small_sample else "") + ("~" if maturing else "")
    return mark or None


FLAGS_NOTE = (
    "* small sample: too few rows behind the value to trust it; "
    "~ maturing: later data can still change it (compared at the same age or on the same "
    "days, no status)"
)
