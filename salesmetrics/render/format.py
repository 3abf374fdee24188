"""Numbers as people read them: by unit, with the currency's symbol, changes with their sign.

Used by the terminal and Markdown views; JSON, CSV and Excel keep the raw numbers. The numbers
of one row (value, previous, target) share their decimals (`decimals`), so `588` never sits
beside `561.40`. With `ascii`, for pipes and terminals without colour, every mark is ASCII: a
null is `-`, a currency without an ASCII symbol is written with its code.
"""

from __future__ import annotations

from collections.abc import Iterable

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$"}
SPARKS = "▁▂▃▄▅▆▇█"
NULL, ASCII_NULL = "—", "-"
SMALL_SAMPLE_MARK = "small sample: fewer rows behind the value than the small-sample threshold"
MATURING_MARK = (
    "maturing: later data can still change the value (a cohort still converting, a snapshot "
    "or a total of a period not over); no status and no colour on its change, and it is "
    "compared with earlier periods at the same age, or on the same days"
)
FREE_DECIMALS = ("count", "currency")  # units whose decimals depend on the numbers
TYPOGRAPHY = str.maketrans(
    {"—": "-", "–": "-", "−": "-", "…": "...", "×": "x", "→": "->", "≥": ">=", "≤": "<="}
)


def decimals(unit: str, numbers: Iterable[float | None]) -> int | None:
    """The decimals every number of one row is shown with: none when all are whole or any is
    100 or more (588 and 561, not 588 and 561.40), else 2 (20.29 and 21.57). None for units
    with fixed decimals (ratios, days, multiples)."""
    if unit not in FREE_DECIMALS:
        return None
    known = [abs(float(n)) for n in numbers if n is not None]
    if all(n.is_integer() for n in known) or any(n >= 100 for n in known):
        return 0
    return 2


def value(
    unit: str,
    number: float | None,
    currency: str | None = None,
    *,
    places: int | None = None,
    ascii: bool = False,
) -> str:
    """`number` in `unit`: $1,234,567; 63.2%; 12.5 d; 1.5 h; 7.5 mo; 3.2x; 1,234. `places`
    (from `decimals`) fixes the decimals of a count or an amount."""
    if number is None:
        return ASCII_NULL if ascii else NULL
    if unit == "currency":
        return money(number, currency, places=places, ascii=ascii)
    if unit == "ratio":
        return f"{number:.1%}"
    if unit == "days":
        return f"{number:,.1f} d"
    if unit == "hours":
        return f"{number:,.1f} h"
    if unit == "months":
        return f"{number:,.1f} mo"
    if unit == "multiple":
        return f"{number:,.2f}x"
    if unit == "score":
        return f"{number:,.1f}"
    if places is None:
        places = decimals(unit, [number])
    return f"{number:,.{places}f}"


def money(
    number: float, currency: str | None, *, places: int | None = None, ascii: bool = False
) -> str:
    if places is None:
        places = decimals("currency", [number])
    digits = f"{abs(number):,.{places}f}"
    sign = "-" if number < 0 and float(digits.replace(",", "")) != 0 else ""
    symbol = SYMBOLS.get(currency or "")
    if symbol and (symbol.isascii() or not ascii):
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits} {currency}" if currency else f"{sign}{digits}"


def change(
    unit: str,
    delta: float | None,
    pct: float | None,
    currency: str | None,
    *,
    places: int | None = None,
    ascii: bool = False,
) -> str:
    """The change: percentage points for ratios, else the relative change (or the difference).
    A change that rounds to zero is `+0.0%` (`+0.0 pp`), never `-0.0`."""
    if delta is None:
        return ""
    if unit == "ratio":
        text = f"{delta * 100:+.1f} pp"
    elif pct is not None:
        text = f"{pct:+.1%}"
    else:  # from zero: the difference
        shown = value(unit, abs(delta), currency, places=places, ascii=ascii)
        text = ("-" if delta < 0 else "+") + shown
    return "+" + text[1:] if rounds_to_zero(text) else text


def rounds_to_zero(text: str) -> bool:
    """Whether a shown change has no digit but 0: no arrow, no colour, no verdict on it."""
    digits = [c for c in text if c.isdigit()]
    return bool(digits) and set(digits) == {"0"}


def sparkline(points: list[float | None]) -> str:
    """One block character per point, scaled between the lowest and highest; blank if none."""
    known = [p for p in points if p is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    marks = []
    for p in points:
        if p is None:
            marks.append(" ")
        else:
            index = round((p - low) / span * (len(SPARKS) - 1)) if span else len(SPARKS) // 2
            marks.append(SPARKS[index])
    return "".join(marks)


def bar(share: float, width: int, *, ascii: bool = False) -> str:
    """A horizontal bar `share` (0..1) of `width` characters long; `#` and `=` in ASCII."""
    filled = max(0.0, min(1.0, share)) * width
    whole = int(filled)
    full, half = ("#", "=") if ascii else ("█", "▌")
    return full * whole + (half if filled - whole >= 0.5 else "")


def plain_text(text: str, ascii: bool) -> str:
    """The tool's own wording with ASCII dashes, arrows and ellipses when `ascii`."""
    return text.translate(TYPOGRAPHY) if ascii else text
