"""Vectorised parsers that turn the raw text columns of CRM exports into typed values.

Every parser takes a ``pd.Series`` of ``pd.ArrowDtype(pa.string())`` (trimmed, ``<NA>`` for
blank cells) and the source column's name, and returns a :class:`Parsed`. The work is done with
``pyarrow.compute`` regexes and numpy arithmetic, never a Python loop over values. Columns with
many repeats are parsed once per distinct value and taken back to the rows.

An Excel column whose cells all hold one type arrives typed instead: :func:`parse_dates` takes
timestamps as they are, the number parsers numbers and :func:`parse_bool` flags; any other
typed column is read from :func:`as_text`, the text a person sees in its cells.

A cell that cannot be read is NA and flagged in ``Parsed.invalid``; a problem with the whole
column (dates that could be day-first or month-first, mixed decimal separators) raises
:class:`ColumnError`, whose message names the column, shows examples and the mapping key to set.
"""

from __future__ import annotations

import contextlib
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "ColumnError",
    "Parsed",
    "as_text",
    "parse_bool",
    "parse_dates",
    "parse_money",
    "parse_number",
    "parse_percent",
]

TIMESTAMP = pd.ArrowDtype(pa.timestamp("us"))
FLOAT = pd.ArrowDtype(pa.float64())
BOOL = pd.ArrowDtype(pa.bool_())
STRING = pd.ArrowDtype(pa.string())

DATE_ORDERS = ("auto", "dmy", "mdy", "ymd")
SEPARATORS = ("auto", ".", ",", " ", "'", "")
PERCENT_SCALES = ("auto", "fraction", "percent")


class ColumnError(ValueError):
    """A problem with a whole column (not one cell); the message names the column and the fix."""


@dataclass(frozen=True)
class Parsed:
    """Typed values (NA where blank or unreadable) and where a non-blank cell was unreadable."""

    values: pd.Series
    invalid: pd.Series


# --------------------------------------------------------------------------- shared plumbing

_NULL_STRING = pa.scalar(None, pa.string())
_NULL_FLOAT = pa.scalar(None, pa.float64())

# Parsing each distinct value once pays for the hashing unless nearly all values differ. Even
# a column of 50,000 distinct values over a million rows shows repeats in a sample this size.
_DISTINCT_SHARE = 0.9
_SAMPLE = 16384

Outputs = tuple[pa.Array, ...]


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """Bad options are a mapping-validation bug, not a data problem: plain ValueError."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, not {value!r}")


def _as_strings(raw: pd.Series) -> pa.Array | pa.ChunkedArray:
    """The column as Arrow strings, whatever string or typed column the caller handed in; left
    in its chunks, as a large CSV's are, since joining them would copy it."""
    return pa.array(as_text(raw).array)


def _arrow_type(values: pd.Series) -> pa.DataType | None:
    return values.dtype.pyarrow_dtype if isinstance(values.dtype, pd.ArrowDtype) else None


def _is_stamp(kind: pa.DataType | None) -> bool:
    return kind is not None and (
        (pa.types.is_timestamp(kind) and kind.tz is None) or pa.types.is_date(kind)
    )


def _is_number(kind: pa.DataType | None) -> bool:
    return kind is not None and (pa.types.is_floating(kind) or pa.types.is_integer(kind))


def as_text(values: pd.Series) -> pd.Series:
    """A column as text, as a person reads its cells: a typed (Excel) column's dates in ISO form
    (the date alone at midnight, the time alone before 1900, where Excel keeps times of day),
    whole numbers without a fraction, flags as True/False. Text columns pass unchanged."""
    if values.dtype == STRING:
        return values
    kind = _arrow_type(values)
    arr = pa.array(values.array) if kind is not None else None
    if _is_stamp(kind):
        stamps = pc.cast(arr, pa.timestamp("us"))
        full = pc.strftime(stamps, "%Y-%m-%d %H:%M:%S")  # seconds with six fraction digits
        full = pc.replace_substring_regex(full, r"\.0+$", "")
        time_of_day = pc.less(stamps, EXCEL_DAY_ONE)
        text = pc.if_else(
            time_of_day,
            pc.utf8_slice_codeunits(full, 11),
            pc.replace_substring_regex(full, r" 00:00:00$", ""),
        )
    elif kind is not None and pa.types.is_floating(kind):
        # whole numbers through int64: Arrow writes 123456789012.0 as 1.23456789012e+11
        whole = pc.and_(pc.equal(pc.floor(arr), arr), pc.less(pc.abs(arr), 2.0**53))
        as_int = pc.cast(pc.if_else(whole, arr, 0.0), pa.int64()).cast(pa.string())
        text = pc.if_else(whole, as_int, pc.cast(arr, pa.string()))
    elif kind is not None and pa.types.is_integer(kind):
        text = pc.cast(arr, pa.string())
    elif kind is not None and pa.types.is_boolean(kind):
        text = pc.if_else(arr, "True", "False")  # as Python writes them
    else:
        return values.astype("string").astype(STRING)
    return pd.Series(pd.arrays.ArrowExtensionArray(text), index=values.index, name=values.name)


def _mask(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean Arrow array as a numpy mask, null read as False."""
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _per_distinct(
    arr: pa.Array | pa.ChunkedArray, parse: Callable[[pa.Array], Outputs]
) -> tuple[list[pa.Array], np.ndarray]:
    """Run ``parse`` on the distinct values (or on all, when nearly all differ) and map back.

    ``parse`` returns arrays aligned with its input, the first being the values; it must cope
    with nulls. Also returns the invalid mask: non-blank (after trimming) but no value.
    """
    sample = arr.slice(0, _SAMPLE)
    if len(pc.unique(sample)) > _DISTINCT_SHARE * len(sample):
        if isinstance(arr, pa.ChunkedArray):  # the parsers take one array
            arr = arr.combine_chunks()
        outputs = parse(arr)
        return list(outputs), _mask(_unreadable(arr, outputs[0]))
    encoded = pc.dictionary_encode(arr)
    if isinstance(encoded, pa.ChunkedArray):  # its chunks share one dictionary: join indices
        encoded = encoded.combine_chunks()
    outputs = parse(encoded.dictionary)
    unreadable = _unreadable(encoded.dictionary, outputs[0])
    if pc.any(unreadable).as_py():
        invalid = _mask(pc.take(unreadable, encoded.indices))
    else:  # the usual case: no need to take a mask of False back to every row
        invalid = np.zeros(len(arr), dtype=bool)
    return [pc.take(out, encoded.indices) for out in outputs], invalid


def _unreadable(text: pa.Array, values: pa.Array) -> pa.Array:
    return pc.and_(pc.is_null(values), pc.not_equal(pc.utf8_trim_whitespace(text), ""))


def _series(raw: pd.Series, values: pa.Array) -> pd.Series:
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=raw.index, name=raw.name)


def _result(raw: pd.Series, values: pa.Array, invalid: np.ndarray) -> Parsed:
    return Parsed(
        values=_series(raw, values),
        invalid=pd.Series(invalid, index=raw.index, name=raw.name, dtype=bool),
    )


def _examples(values: pa.Array, mask: np.ndarray, n: int = 2) -> str:
    """The first ``n`` distinct values where ``mask`` holds, quoted, for one-line messages."""
    picked = pc.unique(values.filter(pa.array(mask))).slice(0, n).to_pylist()
    return ", ".join(repr(v) for v in picked)


# --------------------------------------------------------------------------------- dates

# The common case (ISO 8601) goes straight through Arrow's own cast: much faster than splitting
# values into parts. More than six fraction digits would fail that cast, so they go the slow way.
_ISO_NAIVE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$"
_ISO_OFFSET = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
)

# Everything else is matched lower-cased, one regex per date form, each followed by the same
# optional time and offset.
_TIME = (
    r"(?:(?:t|\s+)(?P<hh>\d{1,2}):(?P<mi>\d{2})"
    r"(?::(?P<ss>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?)?"
    r"(?:\s*(?P<tz>z|utc|gmt|(?P<osign>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?))?$"
)
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTHS3 = pa.array(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
)
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"

_YEAR_FIRST = r"^(?P<y>\d{4})(?P<s1>[-/.])(?P<m>\d{1,2})(?P<s2>[-/.])(?P<d>\d{1,2})" + _TIME
_NUMERIC = r"^(?P<a>\d{1,2})(?P<s1>[-/.])(?P<b>\d{1,2})(?P<s2>[-/.])(?P<c>\d{4}|\d{2})" + _TIME
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})" + _TIME
_DAY_MONTH = (
    r"^" + _WEEKDAY + r"(?P<d>\d{1,2})" + _ORDINAL + r"[\s-]+" + _MONTH
    + r"\.?,?[\s-]+(?P<y>\d{4}|\d{2})" + _TIME
)  # fmt: skip
_MONTH_DAY = (
    r"^" + _WEEKDAY + _MONTH + r"\.?[\s-]+(?P<d>\d{1,2})" + _ORDINAL
    + r",?[\s-]+(?P<y>\d{4})" + _TIME
)  # fmt: skip
_SERIAL = r"^\d{5}(?:\.\d+)?$"

# Excel holds no date before 1900: a cell of a time of day alone reads as one on 1899-12-31
EXCEL_DAY_ONE = pa.scalar(datetime(1900, 1, 1), pa.timestamp("us"))
# Excel's day 0 is 1899-12-30 (it counts 1900 as a leap year); the Unix epoch is serial 25569.
_EXCEL_EPOCH = 25569
_EXCEL_RANGE = (20000, 80000)
_US_PER_DAY = 86_400_000_000
_FIRST_STAMP = pa.scalar(datetime(1, 1, 1), pa.timestamp("us"))
_LAST_STAMP = pa.scalar(datetime(9999, 12, 31, 23, 59, 59, 999999), pa.timestamp("us"))
_SAFE_US = (_FIRST_STAMP.value + _US_PER_DAY, _LAST_STAMP.value - _US_PER_DAY)
_OUT_OF_RANGE = np.iinfo(np.int64).min


def _check_timezone(timezone: str) -> None:
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {timezone!r}; use an IANA name such as 'UTC'") from exc


def _utc_to_local(us: np.ndarray, timezone: str) -> np.ndarray:
    """UTC microseconds to naive wall-clock microseconds in ``timezone``.

    Instants within a day of year 1 or 9999 come back as ``_OUT_OF_RANGE``: the time-zone
    database cannot place them, and :func:`_in_range` then drops them.
    """
    if timezone == "UTC" or len(us) == 0:
        return us
    safe = (us >= _SAFE_US[0]) & (us <= _SAFE_US[1])
    index = pd.DatetimeIndex(np.where(safe, us, 0).astype("datetime64[us]")).tz_localize("UTC")
    local = np.asarray(index.tz_convert(timezone).tz_localize(None).as_unit("us").asi8)
    return np.where(safe, local, _OUT_OF_RANGE)


def _in_range(stamps: pa.Array) -> pa.Array:
    """Null for timestamps outside years 1-9999, which Python's datetime cannot hold."""
    low, high = pc.min_max(stamps).values()
    if low.is_valid and low.value >= _FIRST_STAMP.value and high.value <= _LAST_STAMP.value:
        return stamps  # all inside, as they usually are: no copy
    inside = pc.and_(pc.greater_equal(stamps, _FIRST_STAMP), pc.less_equal(stamps, _LAST_STAMP))
    return pc.if_else(inside, stamps, pa.scalar(None, pa.timestamp("us")))


def _iso_fast(arr: pa.Array, timezone: str) -> pa.Array:
    """Timestamps of the plain ISO values through Arrow's cast; null for everything else.

    A column all of one ISO form, with offsets or without (the usual case), is cast whole, with
    no regex: Arrow's cast reads exactly the regexes' forms, bar a time of hours alone, ruled
    out first by where the first ':' is. A sample is cast first, as a failing cast is slow."""
    first_colon = pc.find_substring(arr, ":")  # 13 in 2026-10-31T09:30, none in a date alone
    if pc.all(pc.or_(pc.equal(first_colon, 13), pc.equal(pc.binary_length(arr), 10))).as_py():
        for zone in (None, "UTC"):
            stamps = _cast_stamps(arr, zone)
            if stamps is not None:
                return stamps if zone is None else _to_local(stamps, timezone)
    out = pa.nulls(len(arr), pa.timestamp("us"))
    naive = pc.match_substring_regex(arr, _ISO_NAIVE)
    if pc.any(naive).as_py():
        # An impossible date such as 2026-02-31 fails the cast: then all take the slow path.
        with contextlib.suppress(pa.ArrowInvalid):
            out = pc.cast(pc.if_else(naive, arr, _NULL_STRING), pa.timestamp("us"))
    if pc.all(pc.fill_null(naive, True)).as_py():
        return out
    offset = pc.match_substring_regex(arr, _ISO_OFFSET)
    if not pc.any(offset).as_py():
        return out
    try:
        utc = pc.cast(pc.if_else(offset, arr, _NULL_STRING), pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        return out
    return pc.coalesce(out, _to_local(utc, timezone))


def _to_local(utc: pa.Array, timezone: str) -> pa.Array:
    """UTC timestamps as naive wall-clock timestamps in ``timezone``."""
    if timezone == "UTC":
        return pc.cast(utc, pa.timestamp("us"))
    valid = _mask(utc.is_valid())
    us = np.asarray(utc.cast(pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)).copy()
    us[valid] = _utc_to_local(us[valid], timezone)
    return pa.array(us, type=pa.timestamp("us"), mask=~valid)


def _two_digit_year(year: np.ndarray) -> np.ndarray:
    """00-68 are 2000-2068 and 69-99 are 1969-1999, as strptime's ``%y`` reads them."""
    return np.where(year < 69, year + 2000, year + 1900)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    lengths = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0])
    return lengths[np.clip(m, 0, 13)] + ((m == 2) & leap)


def _extract(s: pa.Array, pattern: str) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Rows of ``s`` matching ``pattern``, and its named groups for those rows only.

    A quick match first: submatch extraction is several times slower, and most columns hold
    one form, so the other forms cost only the quick match.
    """
    idx = np.flatnonzero(_mask(pc.match_substring_regex(s, pattern)))
    if len(idx) == 0:
        return idx, {}
    match = pc.extract_regex(s.take(pa.array(idx)), pattern)
    names = [match.type.field(i).name for i in range(match.type.num_fields)]
    return idx, {name: match.field(name) for name in names}


def _ints(a: pa.Array, missing: int = -1) -> np.ndarray:
    """Digit strings to int64; empty (an optional group that took no part) to ``missing``."""
    a = pc.if_else(pc.equal(a, ""), _NULL_STRING, a)
    return np.asarray(pc.cast(a, pa.int64()).fill_null(missing).to_numpy(zero_copy_only=False))


def _is(a: pa.Array, value: str) -> np.ndarray:
    return _mask(pc.equal(a, value))


class _DateParts:
    """Calendar and clock parts of each value, filled form by form, then turned to timestamps."""

    def __init__(self, n: int) -> None:
        self.ok = np.zeros(n, dtype=bool)
        self.year, self.month, self.day = (np.ones(n, dtype=np.int64) for _ in range(3))
        self.hour, self.minute, self.second, self.micros, self.offset_min = (
            np.zeros(n, dtype=np.int64) for _ in range(5)
        )
        self.ampm = np.zeros(n, dtype=np.int64)  # 0: 24-hour clock, 1: am, 2: pm
        self.zoned = np.zeros(n, dtype=bool)

    def set_date(
        self, idx: np.ndarray, ok: np.ndarray | bool, y: np.ndarray, m: np.ndarray, d: np.ndarray
    ) -> None:
        self.year[idx], self.month[idx], self.day[idx] = y, m, d
        self.ok[idx] = ok

    def set_time(self, idx: np.ndarray, g: dict[str, pa.Array]) -> None:
        self.hour[idx], self.minute[idx] = _ints(g["hh"], 0), _ints(g["mi"], 0)
        self.second[idx] = _ints(g["ss"], 0)
        self.micros[idx] = _ints(pc.utf8_slice_codeunits(pc.utf8_rpad(g["frac"], 6, "0"), 0, 6))
        self.ampm[idx] = np.where(_is(g["ampm"], "a"), 1, np.where(_is(g["ampm"], "p"), 2, 0))
        oh, om = _ints(g["oh"], 0), _ints(g["om"], 0)
        self.zoned[idx] = _mask(pc.not_equal(g["tz"], ""))
        self.offset_min[idx] = np.where(_is(g["osign"], "-"), -1, 1) * (oh * 60 + om)
        self.ok[idx] &= (oh <= 18) & (om <= 59)

    def timestamps(self, timezone: str) -> tuple[np.ndarray, np.ndarray]:
        """Microseconds since the epoch in ``timezone`` wall-clock time, and which are valid."""
        twelve = self.ampm > 0
        ok = self.ok & (self.year >= 1) & (self.year <= 9999)
        ok &= (self.month >= 1) & (self.month <= 12)
        ok &= (self.day >= 1) & (self.day <= _days_in_month(self.year, self.month))
        ok &= (self.minute <= 59) & (self.second <= 59)
        ok &= np.where(twelve, (self.hour >= 1) & (self.hour <= 12), self.hour <= 23)
        hour = np.where(twelve, self.hour % 12 + np.where(self.ampm == 2, 12, 0), self.hour)
        days = _days_from_civil(
            np.where(ok, self.year, 1970), np.where(ok, self.month, 1), np.where(ok, self.day, 1)
        )
        us = days * _US_PER_DAY + ((hour * 60 + self.minute) * 60 + self.second) * 1_000_000
        us += self.micros - np.where(self.zoned, self.offset_min * 60_000_000, 0)
        zoned = ok & self.zoned
        us[zoned] = _utc_to_local(us[zoned], timezone)
        return us, ok


def _decide_order(
    order: str, originals: pa.Array, a: np.ndarray, b: np.ndarray, column: str
) -> str:
    """Day-first or month-first for a column's d/m/y-style values, from what they hold."""
    if order != "auto":
        return order
    plausible = (a >= 1) & (a <= 31) & (b >= 1) & (b <= 31)
    day_first = plausible & (a > 12) & (b <= 12)
    month_first = plausible & (b > 12) & (a <= 12)
    fix = "set parse.date_order: dmy or mdy in the mapping"
    if day_first.any() and month_first.any():
        raise ColumnError(
            f"column {column!r}: mixes day-first and month-first dates "
            f"(e.g. {_examples(originals, day_first, 1)} is day-first, "
            f"{_examples(originals, month_first, 1)} is month-first); {fix}"
        )
    if month_first.any():
        return "mdy"
    if day_first.any():
        return "dmy"
    differ = (a != b) & (a >= 1) & (a <= 12) & (b >= 1) & (b <= 12)
    if differ.any():
        raise ColumnError(
            f"column {column!r}: cannot tell day-first from month-first dates "
            f"(e.g. {_examples(originals, differ)}); {fix}"
        )
    return "dmy"  # every such value has day == month: both orders read the same date


def _dates_slow(u: pa.Array, column: str, order: str, timezone: str) -> Outputs:
    """Read every non-ISO form: split values into parts, then do the calendar arithmetic."""
    s = pc.utf8_lower(pc.utf8_trim_whitespace(u))
    parts = _DateParts(len(s))

    for pattern in (_YEAR_FIRST, _COMPACT):
        idx, g = _extract(s, pattern)
        if len(idx):
            same_sep = _mask(pc.equal(g["s1"], g["s2"])) if "s1" in g else True
            parts.set_date(idx, same_sep, _ints(g["y"]), _ints(g["m"]), _ints(g["d"]))
            parts.set_time(idx, g)

    for pattern in (_DAY_MONTH, _MONTH_DAY):
        idx, g = _extract(s, pattern)
        if len(idx):
            mon = pc.index_in(pc.utf8_slice_codeunits(g["mon"], 0, 3), value_set=_MONTHS3)
            y = _ints(g["y"])
            y = np.where(_mask(pc.equal(pc.utf8_length(g["y"]), 2)), _two_digit_year(y), y)
            m = np.asarray(mon.fill_null(-1).to_numpy(zero_copy_only=False)) + 1
            parts.set_date(idx, True, y, m, _ints(g["d"]))
            parts.set_time(idx, g)

    idx, g = _extract(s, _NUMERIC)
    if len(idx):
        same_sep = _mask(pc.equal(g["s1"], g["s2"]))
        a, b, c = _ints(g["a"]), _ints(g["b"]), _ints(g["c"])
        c_short = _mask(pc.equal(pc.utf8_length(g["c"]), 2))
        resolved = _decide_order(
            order, u.take(pa.array(idx[same_sep])), a[same_sep], b[same_sep], column
        )
        if resolved == "ymd":  # yy/mm/dd: the last part is a day, never a four-digit year
            parts.set_date(idx, same_sep & c_short, _two_digit_year(a), b, c)
        else:
            d, m = (a, b) if resolved == "dmy" else (b, a)
            parts.set_date(idx, same_sep, np.where(c_short, _two_digit_year(c), c), m, d)
        parts.set_time(idx, g)

    us, ok = parts.timestamps(timezone)
    serial = pc.cast(
        pc.if_else(pc.match_substring_regex(s, _SERIAL), s, _NULL_STRING), pa.float64()
    )
    days = np.asarray(serial.fill_null(0).to_numpy(zero_copy_only=False))
    is_serial = (days >= _EXCEL_RANGE[0]) & (days <= _EXCEL_RANGE[1])
    millis = np.rint((days - _EXCEL_EPOCH) * 86_400_000).astype(np.int64)  # Excel keeps ms
    us = np.where(is_serial, millis * 1000, us)
    return (pa.array(us, type=pa.timestamp("us"), mask=~(ok | is_serial)),)


# Formats of ISO fields in ISO order, with the length of their values and the character after
# the date: for values of that length and with that character, Arrow's ISO cast reads exactly
# what the format does, and much faster than a strptime.
_ISO_FORMATS = {
    "%Y-%m-%d": (10, None),
    "%Y-%m-%d %H:%M": (16, " "),
    "%Y-%m-%dT%H:%M": (16, "T"),
    "%Y-%m-%d %H:%M:%S": (19, " "),
    "%Y-%m-%dT%H:%M:%S": (19, "T"),
}


def _iso_format(arr: pa.Array, fmt: str) -> pa.Array | None:
    """Timestamps of a column all written in an ISO-shaped format (HubSpot's %Y-%m-%d %H:%M)
    through Arrow's cast; None when the format is another, or some value is not of its shape."""
    if fmt not in _ISO_FORMATS:
        return None
    length, separator = _ISO_FORMATS[fmt]
    fits = pc.equal(pc.binary_length(arr), length)
    if separator is not None:
        fits = pc.and_(fits, pc.equal(pc.find_substring(arr, separator), 10))
    if not pc.all(fits).as_py():
        return None
    return _cast_stamps(arr, None)


def _cast_stamps(arr: pa.Array, zone: str | None) -> pa.Array | None:
    """Arrow's ISO cast of every value, or None if one fails; a sample is cast first, as a
    failing cast of a whole column is slow."""
    with contextlib.suppress(pa.ArrowInvalid):
        pc.cast(arr.slice(0, _SAMPLE), pa.timestamp("us", tz=zone))
        return pc.cast(arr, pa.timestamp("us", tz=zone))
    return None


def _dates_with_format(u: pa.Array, column: str, fmt: str, timezone: str) -> Outputs:
    """An explicit strptime format: pandas' C parser knows ``%f``, ``%p``, ``%b`` and ``%z``."""
    text = pc.utf8_trim_whitespace(u).to_numpy(zero_copy_only=False)
    zoned = "%z" in fmt or "%Z" in fmt
    try:
        stamps = pd.to_datetime(text, format=fmt, errors="coerce", utc=zoned)
    except ValueError as exc:
        raise ColumnError(
            f"column {column!r}: date format {fmt!r} is not valid ({exc}); "
            "fix parse.date_format in the mapping"
        ) from exc
    index = pd.DatetimeIndex(stamps)
    if zoned:
        index = index.tz_convert(timezone).tz_localize(None)
    return (pa.array(index.as_unit("us"), type=pa.timestamp("us")),)


def parse_dates(
    raw: pd.Series,
    column: str,
    *,
    order: str = "auto",
    fmt: str | None = None,
    timezone: str = "UTC",
) -> Parsed:
    """Read dates and timestamps as naive ``timestamp[us]`` wall-clock times in ``timezone``.

    Values with an offset (``Z``, ``+02:00``) are converted to ``timezone``; values without one
    are taken as already in it. ``order`` says how to read ``01/02/2026``-style values; with
    ``auto`` the column's values decide, and :class:`ColumnError` is raised when they are mixed
    or none decides. ``fmt`` is a strptime format for every text value instead of recognising
    forms. Timestamps (Excel's date cells) are taken as they are: ``fmt`` and ``order`` are for
    text, and a date cell at midnight is as much a date as any other.
    """
    _check_choice("order", order, DATE_ORDERS)
    _check_timezone(timezone)
    if _is_stamp(_arrow_type(raw)):  # Excel date cells: already dates, whatever fmt says
        stamps = pc.cast(pa.array(raw.array), pa.timestamp("us"))
        return _result(raw, _in_range(stamps), np.zeros(len(raw), dtype=bool))
    arr = _as_strings(raw)
    fast = _iso_format(arr, fmt) if fmt is not None else None
    if fast is not None:
        stamps, invalid = fast, np.zeros(len(arr), dtype=bool)
    elif fmt is not None:
        [stamps], invalid = _per_distinct(
            arr, lambda u: _dates_with_format(u, column, fmt, timezone)
        )
    else:
        stamps = _iso_fast(arr, timezone)
        invalid = np.zeros(len(arr), dtype=bool)
        rest = pc.if_else(pc.is_null(stamps), arr, _NULL_STRING)
        if rest.null_count < len(rest):
            [slow], invalid = _per_distinct(rest, lambda u: _dates_slow(u, column, order, timezone))
            stamps = pc.coalesce(stamps, slow)
    values = _in_range(stamps)
    return _result(raw, values, invalid | _mask(pc.and_(stamps.is_valid(), values.is_null())))


# ------------------------------------------------------------------------- money, numbers

_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_SYMBOL_KEYS = pa.array(list(_SYMBOLS))
_SYMBOL_CODES = pa.array(list(_SYMBOLS.values()))
_SPACES = "\u00a0\u202f\u2009"  # no-break, narrow no-break and thin spaces group digits too
_WS = r"[\s\x{00a0}\x{202f}\x{2009}]*"
_CUR = r"(?:[$€£¥₹]|[A-Z]{3})"
_SIGN = r"[-+\x{2212}]"
_AFFIXES = "$€£¥₹()+-\u2212 \t\r\n\v\f" + _SPACES + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NUMBER_CHARS = "0123456789.,'()+-\u2212 \t\r\n\v\f" + _SPACES
_GROUPING = (",", ".", " ", "'")


def _number_pattern(decimal: str, thousands: str) -> str | None:
    """The regex (unanchored) of a number with this decimal separator and thousands grouping.

    Groups are of three digits (one to three in front), or Indian lakh grouping with commas
    (``1,23,45,678``); one value uses one grouping character. None when both are the same.
    """
    if decimal and decimal == thousands:
        return None
    grouping = [t for t in _GROUPING if t != decimal] if thousands == "auto" else [thousands]
    integers = [r"\d+"]
    for t in filter(None, grouping):
        sep = r"[ \x{00a0}\x{202f}\x{2009}]" if t == " " else re.escape(t)
        integers.append(rf"[1-9]\d{{0,2}}(?:{sep}\d{{3}})+")
        if t == ",":
            integers.append(r"[1-9]\d?(?:,\d{2})+,\d{3}")
    integer = "(?:" + "|".join(integers) + ")"
    if not decimal:
        return integer
    d = re.escape(decimal)
    return rf"(?:{integer}(?:{d}\d+)?|{d}\d+)"


def _money_pattern(decimal: str, thousands: str) -> str | None:
    """The whole value: a number with at most one sign or pair of parentheses and currency."""
    num = _number_pattern(decimal, thousands)
    if num is None:
        return None
    w, c, s = _WS, _CUR, _SIGN
    d = re.escape(decimal) if decimal else "$^"  # no decimal separator: nothing matches
    scientific = rf"(?:\d+(?:{d}\d*)?|{d}\d+)[eE][-+]?\d+"  # Excel's 1.5E+06
    forms = [
        f"{s}?{w}(?:{scientific})",
        f"{s}?{w}{num}(?:{w}{c})?",  # 1234.5  -1,234  1,234 USD  1.234,56 €
        f"{s}?{w}{c}{w}{num}",  # $1,234,567  -$1,234  EUR 1 234,56
        f"{c}{w}{s}{w}{num}",  # $-1,234
        rf"\({w}{num}{w}\)(?:{w}{c})?",  # (1,234.00)  (5) USD
        rf"\({w}{c}{w}{num}{w}\)",  # ($5)
        rf"\({w}{num}{w}{c}{w}\)",  # (5 USD)
        rf"{c}{w}\({w}{num}{w}\)",  # $(5)
    ]
    return f"^{w}(?:" + "|".join(forms) + f"){w}$"


def _readable(s: pa.Array, decimal: str, thousands: str) -> np.ndarray:
    pattern = _money_pattern(decimal, thousands)
    if pattern is None:
        return np.zeros(len(s), dtype=bool)
    return _mask(pc.match_substring_regex(s, pattern))


def _decide_decimal(
    originals: pa.Array, s: pa.Array, thousands: str, column: str, amounts: bool = False
) -> tuple[str, np.ndarray]:
    """The decimal separator of a column: the one its values can only be read with.

    ``1,234.5``, ``12,5`` and ``1 234,56`` each read one way only and decide; ``1,234`` reads
    either way and decides nothing. ``1.234.567`` also reads one way only but, being thousands
    groups alone, decides only when no value of the first kind does. When nothing decides,
    ``.`` is the decimal separator, but for `amounts` whose only dots each stand before three
    digits (``1.500``, ``12.000 €``, as a German export writes whole amounts): no currency has
    amounts with three decimals written so, so the dots group thousands and ``,`` is the
    decimal separator. Returns it and which values read with it.
    """
    dot, comma = _readable(s, ".", thousands), _readable(s, ",", thousands)
    n_dot = np.asarray(pc.count_substring(s, ".").fill_null(0).to_numpy(zero_copy_only=False))
    n_comma = np.asarray(pc.count_substring(s, ",").fill_null(0).to_numpy(zero_copy_only=False))
    groups_only = ((n_dot >= 2) & (n_comma == 0)) | ((n_comma >= 2) & (n_dot == 0))
    for weak in (False, True):
        by_dot = dot & ~comma & (groups_only == weak)
        by_comma = comma & ~dot & (groups_only == weak)
        if by_dot.any() and by_comma.any():
            raise ColumnError(
                f"column {column!r}: mixed decimal separators "
                f"(e.g. {_examples(originals, by_dot, 1)} reads with '.' but "
                f"{_examples(originals, by_comma, 1)} with ','); "
                "set parse.decimal: '.' or ',' in the mapping"
            )
        if by_comma.any():
            return ",", comma
        if by_dot.any():
            return ".", dot
    if amounts and not (n_comma > 0).any():
        grouped = _mask(pc.match_substring_regex(s, r"^[^\d.]*[1-9]\d{0,2}\.\d{3}[^\d.]*$"))
        if grouped.any() and not ((n_dot > 0) & ~grouped).any():
            return ",", comma
    return ".", dot


def _numbers(
    s: pa.Array,
    column: str,
    decimal: str,
    thousands: str,
    originals: pa.Array | None = None,
    amounts: bool = False,
) -> Outputs:
    """Amounts and ISO currency codes (null where unreadable or no currency). `amounts`: the
    values are money, whose decimal separator is decided as `_decide_decimal` says.

    The shape of each value is checked by one regex; its number and currency are then cut out
    by trimming, which is much faster than extracting regex groups.
    ``originals`` are the values to quote in errors when ``s`` is a cut-down form of them.
    """
    if decimal == "auto":
        decimal, readable = _decide_decimal(
            s if originals is None else originals, s, thousands, column, amounts
        )
    else:
        readable = _readable(s, decimal, thousands)

    digits = pc.utf8_trim(s, characters=_AFFIXES)
    for t in (*_GROUPING, *_SPACES):  # checking first is cheaper than replacing nothing
        if t != decimal and pc.any(pc.match_substring(digits, t)).as_py():
            digits = pc.replace_substring(digits, t, "")
    if decimal not in ("", "."):
        digits = pc.replace_substring(digits, decimal, ".")
    amount = pc.cast(pc.if_else(pa.array(readable), digits, _NULL_STRING), pa.float64())
    negative = pc.match_substring_regex(s, r"^[^\d.,]*[-(\x{2212}]")  # before the first digit
    amount = pc.if_else(negative, pc.negate(amount), amount)
    amount = pc.if_else(pc.is_finite(amount), amount, _NULL_FLOAT)

    token = pc.utf8_trim(s, characters=_NUMBER_CHARS)
    symbol = pc.index_in(token, value_set=_SYMBOL_KEYS)
    code = pc.if_else(pc.is_null(symbol), token, pc.take(_SYMBOL_CODES, symbol))
    found = pc.and_(pc.is_valid(amount), pc.match_substring_regex(code, r"^[A-Z]{3}$"))
    return amount, pc.if_else(found, code, _NULL_STRING)


def _check_separators(decimal: str, thousands: str) -> None:
    _check_choice("decimal", decimal, SEPARATORS)
    _check_choice("thousands", thousands, SEPARATORS)
    if decimal not in ("auto", "") and decimal == thousands:
        raise ValueError(f"decimal and thousands separators must differ (both {decimal!r})")


def parse_money(
    raw: pd.Series,
    column: str,
    *,
    decimal: str = "auto",
    thousands: str = "auto",
    amounts: bool = True,
) -> tuple[Parsed, pd.Series]:
    """Read amounts as float64, and the currency each value names as an ISO code (else NA).

    Reads ``1234.5``, ``$1,234,567``, ``1.234,56 €``, ``(1,234.00)`` (negative), ``-$1,234``,
    ``$-1,234``, ``EUR 1 234,56``, ``1'234.50``; symbols $ € £ ¥ ₹ are USD EUR GBP JPY INR and
    any three capitals are a code. With ``decimal="auto"`` the column's values that read only
    one way (``1,234.5``, ``12,5``) decide the decimal separator, and mixed evidence raises
    :class:`ColumnError`. When nothing decides, ``.`` is the decimal separator: ``1,234`` is
    1234 but ``1.234`` is 1.234 — unless every dotted value is ``1.234``-shaped: then, as
    no amount has three decimals, the dots group thousands (``1.500`` is 1500). ``amounts``
    False (:func:`parse_number`) keeps ``.`` then. ``thousands="auto"`` takes any one grouping
    character per value (comma, dot, space or apostrophe; not the decimal one).
    """
    _check_separators(decimal, thousands)
    if _is_number(_arrow_type(raw)):  # Excel number cells: nothing to read, no currency named
        values = pc.cast(pa.array(raw.array), pa.float64())
        no_currency = pa.nulls(len(raw), pa.string())
        return _result(raw, values, np.zeros(len(raw), dtype=bool)), _series(raw, no_currency)
    [values, currency], invalid = _per_distinct(
        _as_strings(raw), lambda u: _numbers(u, column, decimal, thousands, amounts=amounts)
    )
    return _result(raw, values, invalid), _series(raw, currency)


def parse_number(
    raw: pd.Series, column: str, *, decimal: str = "auto", thousands: str = "auto"
) -> Parsed:
    """Read numbers as float64 by the money rules; a currency mark is accepted and ignored."""
    return parse_money(raw, column, decimal=decimal, thousands=thousands, amounts=False)[0]


def _percents(u: pa.Array, column: str, scale: str, decimal: str) -> Outputs:
    text = pc.utf8_trim_whitespace(u)
    marked = pc.ends_with(text, "%")
    body = pc.if_else(marked, pc.utf8_slice_codeunits(text, 0, -1), text)
    amount, currency = _numbers(body, column, decimal, "auto", originals=u)
    amount = pc.if_else(pc.is_null(currency), amount, _NULL_FLOAT)  # no currency in a percent
    if scale == "auto":
        scale = _auto_scale(pc.filter(amount, pc.invert(marked)))
    hundredths = pc.divide(amount, 100.0)
    return (hundredths if scale == "percent" else pc.if_else(marked, hundredths, amount),)


def _auto_scale(unmarked: pa.Array) -> str:
    """`percent` when more distinct values without ``%`` are above 1 in size than strictly
    between 0 and 1, else `fraction`: a fraction column with a stray 150 (or 1.5) stays a
    fraction column, and the stray value, outside 0–1, is reported rather than turning the
    others into hundredths of themselves (0 and 1 read the same either way)."""
    sizes = pc.unique(pc.abs(unmarked))
    above = pc.sum(pc.greater(sizes, 1.0)).as_py() or 0
    inside = pc.sum(pc.and_(pc.greater(sizes, 0.0), pc.less(sizes, 1.0))).as_py() or 0
    return "percent" if above > inside else "fraction"


def parse_percent(
    raw: pd.Series, column: str, *, scale: str = "auto", decimal: str = "auto"
) -> Parsed:
    """Read percentages as float64 fractions: ``35%`` is 0.35.

    Values without ``%`` are fractions (``scale="fraction"``) or percents (``"percent"``); with
    ``"auto"`` the whole column is percents when more of its distinct such values are above 1
    in size than between 0 and 1 (`_auto_scale`).
    """
    _check_choice("scale", scale, PERCENT_SCALES)
    _check_separators(decimal, "auto")
    if _is_number(_arrow_type(raw)):  # Excel number cells: unmarked values, scaled as text is
        amount = pc.cast(pa.array(raw.array), pa.float64())
        if scale == "auto":
            scale = _auto_scale(amount)
        values = pc.divide(amount, 100.0) if scale == "percent" else amount
        return _result(raw, values, np.zeros(len(raw), dtype=bool))
    [values], invalid = _per_distinct(
        _as_strings(raw), lambda u: _percents(u, column, scale, decimal)
    )
    return _result(raw, values, invalid)


# ---------------------------------------------------------------------------------- flags

_TRUE = pa.array(["yes", "y", "true", "t", "on", "checked", "x", "✓", "✔"])
_FALSE = pa.array(["no", "n", "false", "f", "off", "unchecked"])
_MARKS = pa.array(["x", "✓", "✔"])


def _flags(u: pa.Array) -> Outputs:
    """Flags (null where blank or unreadable)."""
    s = pc.utf8_lower(pc.utf8_trim_whitespace(u))
    true = pc.or_(pc.is_in(s, value_set=_TRUE), pc.match_substring_regex(s, r"^1(?:\.0+)?$"))
    false = pc.or_(pc.is_in(s, value_set=_FALSE), pc.match_substring_regex(s, r"^0(?:\.0+)?$"))
    return (pc.if_else(true, True, pc.if_else(false, False, pa.scalar(None, pa.bool_()))),)


def _only_marks(arr: pa.Array) -> bool:
    """Whether every non-blank value is a check mark."""
    s = pc.utf8_lower(pc.utf8_trim_whitespace(arr.drop_null()))
    s = s.filter(pc.not_equal(s, ""))
    return len(s) > 0 and pc.all(pc.is_in(s, value_set=_MARKS)).as_py()


def parse_bool(raw: pd.Series, column: str) -> Parsed:
    """Read flags: yes/no, y/n, true/false, t/f, 1/0, on/off, checked/unchecked, x and ✓.

    A column holding nothing but marks (``x``, ``✓``, ``✔``) means blank is no, so its blanks
    read False; elsewhere blank stays NA. ``column`` names no column-level problem here (there
    is none) but keeps every parser's call the same.
    """
    kind = _arrow_type(raw)
    if kind is not None and pa.types.is_boolean(kind):  # Excel TRUE/FALSE cells
        return _result(raw, pa.array(raw.array), np.zeros(len(raw), dtype=bool))
    only_marks = False

    def read(u: pa.Array) -> Outputs:  # u: the distinct values, judged for marks once
        nonlocal only_marks
        only_marks = _only_marks(u)
        return _flags(u)

    [values], invalid = _per_distinct(_as_strings(raw), read)
    return _result(raw, values.fill_null(False) if only_marks else values, invalid)


def sum_overflows(values: pd.Series) -> bool:
    """Whether the numbers' sum is past the largest float (amounts near 1e308): every total
    made of them would be infinite."""
    with np.errstate(over="ignore"):
        total = np.abs(values.to_numpy(dtype=float, na_value=0.0)).sum()
    return not np.isfinite(total)
