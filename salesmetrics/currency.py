"""Converting amounts to the reporting currency before anything is summed.

A rate says how much one unit of a currency is worth in the reporting currency (EUR: 1.08 with
USD reporting). A currency may have one rate, or one per month (`{2026-01: 1.09, ...}`); a month
without its own rate takes the latest earlier one, and a month before the first is an error.
Targets (plans, not transactions) take a currency's latest monthly rate. A blank currency is
the reporting currency. An amount in a currency with no rate is an error
listing every such currency and its row count: amounts are never summed across currencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.ingest.parse import sum_overflows
from salesmetrics.schema import ENTITIES, Kind

RATE_DATES = {
    "deals": ("closed_at", "expected_close_at", "created_at"),
    "orders": ("ordered_at",),
    "subscriptions": ("month", "started_at"),
    "costs": ("month", "incurred_at"),
}
"""Which date picks a row's monthly rate: the first of these that the row has."""
READ_AS = {"previous_snapshot": "deals"}
"""Inputs held under another name than their entity's (an earlier deals export, for the
pipeline movement): converted as that entity is."""


@dataclass(frozen=True)
class Rates:
    currency: str  # the reporting currency
    fixed: Mapping[str, float] = field(default_factory=dict)
    monthly: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # "2026-01" keys

    def known(self) -> set[str]:
        return {self.currency, *self.fixed, *self.monthly}


def convert(frames: Mapping[str, pd.DataFrame], rates: Rates) -> dict[str, pd.DataFrame]:
    """Every money field in the reporting currency; `currency` then names it on every row."""
    unknown: dict[str, list[str]] = {}
    for name, frame in frames.items():
        if "currency" not in frame.columns:
            continue
        counts = frame["currency"].dropna().value_counts()
        for code, n in counts.items():
            if str(code) not in rates.known():
                unknown.setdefault(str(code), []).append(f"{n:,} rows in {name}")
    if unknown:
        listed = "; ".join(
            f"{code} ({', '.join(where)})" for code, where in sorted(unknown.items())
        )
        raise SalesmetricsError(
            f"no {rates.currency} rate for {listed}; add each under `rates:` in the report config"
        )
    return {name: _convert_frame(name, frame, rates) for name, frame in frames.items()}


def _convert_frame(held: str, frame: pd.DataFrame, rates: Rates) -> pd.DataFrame:
    name = READ_AS.get(held, held)
    money = (
        [f.name for f in ENTITIES[name].fields if f.kind is Kind.MONEY and f.name in frame.columns]
        if name in ENTITIES
        else []
    )
    if "currency" not in frame.columns:
        return frame
    if not money:  # a currency without amounts (a deals export without Amount): nothing to sum
        return frame.assign(currency=rates.currency)
    factor = pd.Series(1.0, index=frame.index)
    codes = frame["currency"]
    for code, rate in rates.fixed.items():
        factor = factor.mask((codes == code).fillna(False).to_numpy(), rate)
    for code, by_month in rates.monthly.items():
        rows = (codes == code).fillna(False).to_numpy()
        if rows.any():
            factor[rows] = _monthly(name, frame[rows], code, by_month)
    converted = {column: frame[column] * factor for column in money}
    for column, values in converted.items():
        if sum_overflows(values):
            raise SalesmetricsError(
                f"{name}.{column}: in {rates.currency} the amounts add up to more than "
                f"{np.finfo(float).max:.4g}, the largest number a sum can hold; check the "
                "export for values such as 1e308 and the rates for a mistyped one"
            )
    return frame.assign(**converted, currency=rates.currency)


def _monthly(name: str, rows: pd.DataFrame, code: str, by_month: Mapping[str, float]) -> np.ndarray:
    months = sorted(by_month)
    values = np.array([by_month[m] for m in months], dtype=float)
    if name == "targets":
        return np.full(len(rows), values[-1])
    dates = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[us]")
    for column in RATE_DATES.get(name, ()):
        if column in rows.columns:
            dates = dates.fillna(rows[column].astype("datetime64[us]"))
    keys = np.array([np.datetime64(m + "-01", "us") for m in months])
    position = np.searchsorted(keys, dates.to_numpy(), side="right") - 1
    undated = dates.isna().to_numpy()
    early = (position < 0) & ~undated
    if early.any() or undated.any():
        first = dates[early].min()
        what = (
            f"{int(early.sum()):,} {name} rows in {code} dated before {months[0]} "
            f"(the first, {first:%Y-%m-%d}); add a rate for {first:%Y-%m}"
            if early.any()
            else f"{int(undated.sum()):,} {name} rows in {code} have no date to pick a monthly rate"
        )
        raise SalesmetricsError(f"rates.{code}: {what}")
    return values[position]


def rebase(rates: Rates, currency: str) -> Rates:
    """The same rates, reporting in `currency` instead (cross rates through the old one)."""
    if currency == rates.currency:
        return rates
    if currency not in rates.fixed:
        hint = "a fixed rate" if currency in rates.monthly else "a rate"
        raise SalesmetricsError(
            f"cannot report in {currency}: the report config gives it no {hint} to "
            f"{rates.currency}; add `{currency}: RATE` under `rates:`"
        )
    worth = rates.fixed[currency]
    fixed = {c: r / worth for c, r in rates.fixed.items() if c != currency}
    fixed[rates.currency] = 1 / worth
    monthly = {c: {m: r / worth for m, r in by.items()} for c, by in rates.monthly.items()}
    return Rates(currency, fixed, monthly)
