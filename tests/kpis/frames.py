"""Tiny canonical frames for KPI tests, typed exactly as the ingest step types them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from salesmetrics.kpis.base import Context, Settings
from salesmetrics.periods import resolve_period
from salesmetrics.schema import ENTITIES, Kind

AS_OF = date(2026, 11, 23)
# the months and quarter the tests' books are dated in (and June, a month they leave empty)
OCTOBER = resolve_period("2026-10", AS_OF)
SEPTEMBER = resolve_period("2026-09", AS_OF)
NOVEMBER = resolve_period("2026-11", AS_OF)
JUNE = resolve_period("2026-06", AS_OF)
Q4 = resolve_period("2026-Q4", AS_OF)
DTYPES = {
    Kind.DATETIME: pd.ArrowDtype(pa.timestamp("us")),
    Kind.MONTH: pd.ArrowDtype(pa.timestamp("us")),
    Kind.MONEY: pd.ArrowDtype(pa.float64()),
    Kind.NUMBER: pd.ArrowDtype(pa.float64()),
    Kind.PERCENT: pd.ArrowDtype(pa.float64()),
    Kind.BOOL: pd.ArrowDtype(pa.bool_()),
}
TEXT = pd.ArrowDtype(pa.string())


def frame(entity: str, columns: str, rows: list[tuple]) -> pd.DataFrame:
    """A frame of `entity` from literal rows; `columns` is space-separated field names.

    Dates are ISO strings ("2026-10-31 23:59"), blanks are None.
    """
    names = columns.split()
    raw = pd.DataFrame(rows, columns=names, dtype=object)
    typed = {}
    for name in names:
        spec = ENTITIES[entity].field(name)
        kind = spec.kind if spec is not None else Kind.TEXT
        values = raw[name]
        if kind in (Kind.DATETIME, Kind.MONTH):
            parsed = pd.to_datetime(values, format="ISO8601").astype("datetime64[us]")
            typed[name] = parsed.astype(DTYPES[kind])
        else:
            typed[name] = values.astype(DTYPES.get(kind, TEXT))
    return pd.DataFrame(typed)


def context(frames: dict[str, pd.DataFrame], **settings) -> Context:
    """A context for the shared views and the duck helpers, on the test frames."""
    return Context(frames, AS_OF, Settings(**settings))
