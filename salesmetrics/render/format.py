"""Numbers as people read them: by unit, with the currency's symbol, changes with their sign.

Used by the terminal and Markdown views; JSON, CSV and Excel keep the raw numbers.
"""

from __future__ import annotations

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "BRL": "R$"}
SPARKS = "▁▂▃▄▅▆▇█"
SMALL_SAMPLE_MARK = "small sample: fewer rows behind the value than the small-sample threshold"
MATURING_MARK = (
    "maturing: later data can still change the value (a cohort still converting, a snapshot "
    "of a period not over); no status and no colour on its change, and a cohort is compared "
    "with earlier cohorts at the same age"
)


def value(unit: str, number: float | None, currency: str | None = None) -> str:
    """`number` in `unit`: $1,234,567; 63.2%; 12.5 d; 1.5 h; 7.5 mo; 3.2x; 1,234."""
    if number is None:
        return "—"
    if unit == "currency":
        return money(number, currency)
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
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.2f}"


def money(number: float, currency: str | None) -> str:
    whole = abs(number) >= 100 or float(number).is_integer()
    digits = f"{abs(number):,.0f}" if whole else f"{abs(number):,.2f}"
    sign = "-" if number < 0 else ""
    symbol = SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{digits}"
    return f"{sign}{digits} {currency}" if currency else f"{sign}{digits}"


def change(unit: str, delta: float | None, pct: float | None, currency: str | None) -> str:
    """The change: percentage points for ratios, else the relative change (or the difference)."""
    if delta is None:
        return ""
    if unit == "ratio":
        return f"{delta * 100:+.1f} pp"
    if pct is not None:
        return f"{pct:+.1%}"
    return ("+" if delta >= 0 else "") + value(unit, delta, currency)  # from zero


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


def bar(share: float, width: int) -> str:
    """A horizontal bar `share` (0..1) of `width` characters long."""
    filled = max(0.0, min(1.0, share)) * width
    whole = int(filled)
    return "█" * whole + ("▌" if filled - whole >= 0.5 else "")
