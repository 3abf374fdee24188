"""Retention KPIs: which customers and how much MRR a period kept, lost and regained.

Read from the MRR book like the MRR KPIs (see salesmetrics.kpis.mrr for the months of a period,
the cut at the last month of data, and the dimensions of a customer in a breakdown). The
customers "at the start" are those paying in the month before the period's first month; "at
the end", those paying in its end month.

Choices where definitions differ:
- customer_churn_rate counts the customers paying at the start that churned in the period: a
  customer new in the period is not in the denominator, so its churn is not in the numerator
  either; the `stripe` variant (churn_variant: stripe) adds the customers new in the period to
  the denominator, and every customer that churned in the period to the numerator.
- The rates (churn, retention, nrr, grr) compare the month before the period's first month
  with its end month: a period in which no month starts (most weeks) has no value, with a
  note, since MRR is monthly and nothing can have moved.
- customer_retention_rate is (end − new) / start with "new" meaning every customer paying at
  the end that was not paying at the start (new or reactivated): the customers paying at both
  the start and the end over those paying at the start. A customer new in the period that left
  again within it is then not subtracted, so the rate never exceeds 100%.
- nrr and grr follow the customers paying at the start (the cohort) to the end month: (start
  + expansion − contraction − churned) / start. A cohort customer that churned in the period
  counts 0 even if it came back later in the period. A reactivated customer was, by definition,
  not paying in the month before it came back; so in a one-month period no cohort customer can
  reactivate, and `nrr_reactivation: true` counts the MRR at the end of the customers who came
  back in the period (former customers outside the cohort, and cohort customers who left and
  returned within a longer period) in the numerator, never in the denominator.
- grr counts each cohort customer at the lower of its start and end MRR (0 when it churned):
  expansion never offsets a loss, so it is at most 100%. Over one month this equals (start −
  contraction − churned) / start; over longer periods it is the only definition (a customer
  that shrank then grew back counts at its start MRR).
- revenue_churn_rate and net_mrr_churn_rate take every movement of the period (also those of
  customers new in it) over the MRR at the start.
- Cohorts: a customer's cohort is its first paying month; a customer paying in month k after
  it counts as retained in month k whether or not it left in between; its dimensions are those
  of its first month (the plan it started on). The customers of the opening month of monthly
  data are the opening book, not a cohort: their cells have no value (None, with the note).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import SMALL_SAMPLE, Aggregate, Aggregation, Context, Kpi, Rows, Unit
from salesmetrics.kpis.mrr import (
    DATED,
    DATED_OR_SNAPSHOT,
    END,
    FLAGS,
    IN_MONTHS,
    MONTH_STARTS,
    MOVED,
    SNAPSHOT_NOTE,
    START,
    SUBSCRIPTIONS,
    customers_rows,
    monthly_edge,
    monthly_rows,
    moved,
    moved_sql,
    noted,
    opening_note,
    snapshot,
    window,
)
from salesmetrics.kpis.subscriptions import (
    book,
    horizon,
    is_snapshot,
    month_start,
    opening,
)
from salesmetrics.periods import Period

STAGE = "retention"
CHURN_VARIANTS = ("standard", "stripe")
COHORT = "cohort"  # the cohort tables' category column: the first paying month, YYYY-MM
MONTH_NUMBER = "month_number"  # their subcategory column: months since the cohort's month
OPENING_BOOK = "opening_book"  # their column: True for the opening month's customers
NO_START = "no customer paying at the start of the period"
NO_START_MRR = "no MRR at the start of the period"
NO_MONTH = "no month starts in the period: MRR is monthly, so there is no rate"
STRIPE = "{churn_variant} = 'stripe'"  # SQL: the stripe churn variant is chosen


def _flag(table: pd.DataFrame, kind: str) -> np.ndarray:
    return table[FLAGS[kind]].to_numpy(dtype=bool)


def _start(table: pd.DataFrame) -> np.ndarray:
    return table[START].to_numpy(dtype=float)


def _end(table: pd.DataFrame) -> np.ndarray:
    return table[END].to_numpy(dtype=float)


def _rated(ctx: Context, period: Period) -> pd.DataFrame:
    """The period's per-customer table for a rate; none, with a note, when no month starts in
    the period (the start and end would be the same month: 100% retained, 0% churned)."""
    return monthly_rows(ctx, period, NO_MONTH)


# new_customers, churned_customers


def _new(ctx: Context, period: Period) -> pd.DataFrame:
    table = monthly_rows(ctx, period)
    found = table[_flag(table, "new")]
    return found.assign(key=found["customer_id"])


def _churned(ctx: Context, period: Period) -> pd.DataFrame:
    """Customers with a churn movement in the period; in a snapshot, those flagged churned."""
    if is_snapshot(ctx):
        rows = snapshot(ctx)
        return rows[rows["churned"].to_numpy(dtype=bool)]
    table = monthly_rows(ctx, period)
    found = table[_flag(table, "churned")]
    return found.assign(key=found["customer_id"])


# customer_churn_rate, customer_retention_rate


def _churn_rate(ctx: Context, period: Period) -> pd.DataFrame:
    """One row per customer: denominator when it was paying at the start (stripe variant: or
    new in the period), numerator when it is in the denominator and churned in the period
    (stripe: any customer that churned in it); in a snapshot, every customer is in the
    denominator and the churned ones in the numerator.
    """
    variant = _variant(ctx)
    if is_snapshot(ctx):
        rows = snapshot(ctx)
        return rows.assign(numerator=rows["churned"], denominator=True)
    table = _rated(ctx, period)
    counted = _start(table) > 0
    churned = _flag(table, "churned")
    if variant == "stripe":
        counted |= _flag(table, "new")
    else:
        churned = churned & counted
    return table.assign(numerator=churned, denominator=counted, key=table["customer_id"])


def _variant(ctx: Context) -> str:
    """The churn variant the settings give, or an error when it is not known."""
    variant = ctx.settings.churn_variant
    if variant not in CHURN_VARIANTS:
        raise SalesmetricsError(
            f"churn_variant {variant!r} is not known; use {' or '.join(CHURN_VARIANTS)}"
        )
    return variant


def _churn_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """The note on a churn rate: a snapshot ignores the period; else as every rate's."""
    _variant(ctx)
    if is_snapshot(ctx):
        return SNAPSHOT_NOTE, True
    return _rate_edge(ctx, period)


def _rate_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    return monthly_edge(ctx, period, NO_MONTH)


def _churned_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    if is_snapshot(ctx):
        return SNAPSHOT_NOTE, True
    return monthly_edge(ctx, period)


def _retention(ctx: Context, period: Period) -> pd.DataFrame:
    """One row per customer: denominator when paying at the start, numerator when paying at
    both the start and the end.
    """
    table = _rated(ctx, period)
    at_start = _start(table) > 0
    return table.assign(
        numerator=at_start & (_end(table) > 0), denominator=at_start, key=table["customer_id"]
    )


# revenue_churn_rate, net_mrr_churn_rate


def _lost(table: pd.DataFrame, kinds: tuple[str, ...]) -> np.ndarray:
    """Minus the sum of the customer's signed movements of `kinds`: what the period lost."""
    return -table[[MOVED[k] for k in kinds]].to_numpy(dtype=float).sum(axis=1)


def _revenue_churn(ctx: Context, period: Period) -> pd.DataFrame:
    """One row per customer: contraction and churned MRR in the period (positive) over its MRR
    at the start.
    """
    table = _rated(ctx, period)
    return table.assign(
        numerator=_lost(table, ("contraction", "churned")), denominator=_start(table)
    )


def _net_churn(ctx: Context, period: Period) -> pd.DataFrame:
    """One row per customer: contraction + churned − expansion − reactivation MRR in the
    period over its MRR at the start.
    """
    table = _rated(ctx, period)
    lost = _lost(table, ("contraction", "churned", "expansion", "reactivation"))
    return table.assign(numerator=lost, denominator=_start(table))


# nrr, grr


def _nrr(ctx: Context, period: Period) -> pd.DataFrame:
    """Customers paying at the start with numerator their MRR at the end (0 when they churned
    in the period, unless nrr_reactivation) and denominator their MRR at the start; with
    nrr_reactivation, also the customers who came back in the period, numerator their MRR at
    the end and denominator 0.
    """
    table = _rated(ctx, period)
    back = ctx.settings.nrr_reactivation
    cohort = _start(table) > 0
    gone = _flag(table, "churned") & (not back)
    keep = cohort | (_flag(table, "reactivation") & back)
    kept = np.where(gone, 0.0, _end(table))
    return table.assign(numerator=kept, denominator=_start(table))[keep]


def _grr(ctx: Context, period: Period) -> pd.DataFrame:
    """Customers paying at the start: numerator the lower of their MRR at the start and at the
    end (0 when they churned in the period), denominator their MRR at the start.
    """
    table = _rated(ctx, period)
    start = _start(table)
    kept = np.where(_flag(table, "churned"), 0.0, np.minimum(start, _end(table)))
    return table.assign(numerator=kept, denominator=start)[start > 0]


# cohort_retention, cohort_revenue_retention


def _cohort_grid(ctx: Context) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per customer and month k = 0, 1, … from its first paying month to the last
    month of data: `cohort` (YYYY-MM), `month_number` k, `paying` (1 when its MRR in month k
    is > 0, else 0), `mrr` (its MRR in month k, 0 when not paying), `mrr_first` (its MRR in
    its first month), and its dimensions of its first month; with each row's cohort month.
    """

    def build() -> tuple[pd.DataFrame, np.ndarray]:
        months = book(ctx)  # sorted by customer and month
        first_rows = np.flatnonzero(~months["customer_id"].duplicated().to_numpy(dtype=bool))
        start = months["month"].to_numpy(dtype="int64")[first_rows]
        counts = np.maximum(horizon(ctx) - start + 1, 0)
        position = np.repeat(np.arange(len(first_rows)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        cohort = start[position]
        # every customer-month of the book as one increasing number, to look month k up
        codes = pd.factorize(months["customer_id"])[0]
        lowest = int(start.min()) if len(start) else 0
        width = horizon(ctx) - lowest + 2
        keys = codes * width + (months["month"].to_numpy(dtype="int64") - lowest)
        wanted = codes[first_rows][position] * width + (cohort + offsets - lowest)
        paid = months["mrr"].to_numpy(dtype=float)
        mrr = np.zeros(len(wanted))
        if len(keys):
            found = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            hit = keys[found] == wanted
            mrr[hit] = paid[found[hit]]
        grid = months.iloc[first_rows[position]].reset_index(drop=True)
        rows = grid.drop(columns=["month", "mrr"]).assign(
            **{COHORT: month_start(cohort).dt.strftime("%Y-%m").to_numpy()},
            **{MONTH_NUMBER: offsets},
            cohort_month=cohort,
            paying=(mrr > 0).astype(float),
            mrr=mrr,
            mrr_first=paid[first_rows][position],
        )
        return rows.copy(), cohort

    found: tuple[pd.DataFrame, np.ndarray] = ctx.memo("retention.cohorts", build)
    return found


def _cohort_rows(ctx: Context, period: Period) -> pd.DataFrame:
    """The cohort grid's rows of the customers whose first paying month is in the period
    (every customer for period "all"), those of the opening month flagged OPENING_BOOK.
    """
    grid, cohort = _cohort_grid(ctx)
    start = opening(ctx)
    book_of = cohort == start if start is not None else np.zeros(len(cohort), dtype=bool)
    if period.label == "all":
        return noted(grid.assign(**{OPENING_BOOK: book_of}), None)
    span = window(ctx, period)
    first = span.opening if span.opening is not None else span.first
    inside = (cohort >= first) & (cohort <= span.last)
    rows = grid[inside].assign(**{OPENING_BOOK: book_of[inside]})
    return noted(rows, span.end_note(ctx), known=span.known)


def _cohort_summary(empty: str) -> Callable[[Mapping[str, float | None], int], Aggregate]:
    """A cell's value from its measures (both engines): sum(numerator) / sum(denominator),
    None with `empty` as the note when the denominator is 0; no value for a cell of the
    opening month's cohort, the opening book, with the note naming that month (every row of
    a cell is of one cohort: `opening` counts them all or none). The period's note is the
    engine's (`kpis.base.at_edge`, `Rows.edge`)."""

    def summarise(m: Mapping[str, float | None], _threshold: int) -> Aggregate:
        if m["opening"] and m["cohort_month"] is not None:  # blank: a group with no rows
            month = int(m["cohort_month"])
            return Aggregate(None, note=opening_note(month, month))
        top, bottom = m["numerator"] or 0.0, m["denominator"] or 0.0
        if bottom == 0:
            return Aggregate(None, top, bottom, empty)
        return Aggregate(top / bottom, top, bottom)

    return summarise


def _cohort_ratio(
    summarise: Callable[[Mapping[str, float | None], int], Aggregate],
) -> Callable[[pd.DataFrame], Aggregate]:
    """`summarise` of the pandas rows' measures (as the SQL declaration's, `_cohort_sql`)."""

    def combine(rows: pd.DataFrame) -> Aggregate:
        measures = {
            "numerator": float(rows["numerator"].sum()) if len(rows) else None,
            "denominator": float(rows["denominator"].sum()) if len(rows) else None,
            "opening": float(rows[OPENING_BOOK].to_numpy(dtype=bool).sum()) if len(rows) else None,
            "cohort_month": float(rows["cohort_month"].min()) if len(rows) else None,
        }
        return summarise(measures, SMALL_SAMPLE)

    return combine


def _logo_retention(ctx: Context, period: Period) -> pd.DataFrame:
    """The cohort grid with numerator 1 where the customer pays in month k, denominator 1."""
    rows = _cohort_rows(ctx, period)
    return rows.assign(numerator=rows["paying"], denominator=1.0)


def _revenue_retention(ctx: Context, period: Period) -> pd.DataFrame:
    rows = _cohort_rows(ctx, period)
    return rows.assign(numerator=rows["mrr"], denominator=rows["mrr_first"])


def _cohort_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """The note on a cohort table: period all has none (every cohort); another period's is
    the cut at the horizon, and it is known when the data speaks for it (`window`)."""
    if period.label == "all":
        return None, True
    span = window(ctx, period)
    return span.end_note(ctx), span.known


def _cohort_sql(numerator: str, denominator: str) -> Rows:
    """The cells of the cohorts of each period (`kpis.views` cohort_cells), by cohort and
    month number, with `numerator` and `denominator` per row.

    Custom, not a ratio: a cell of the opening month's cohort has no value and a note naming
    that month, a note per category that a ratio's notes, per KPI, cannot give; the measures
    carry the cohort's month index for `_cohort_summary` to name it."""
    return replace(
        customers_rows((), _cohort_edge, "cohort_cells"),
        numerator=numerator,
        denominator=denominator,
        category=COHORT,
        subcategory=MONTH_NUMBER,
        measures=(
            ("numerator", f"fsum({numerator})"),
            ("denominator", f"fsum({denominator})"),
            ("opening", "count(*) FILTER (WHERE opening_book)"),
            ("cohort_month", "min(cohort_month)"),
        ),
    )


LOGO_SUMMARY = _cohort_summary("no customer in the cohort")
REVENUE_SUMMARY = _cohort_summary("no MRR in the cohort's month")


RATES = (
    "months whose first day is in the period; start: the month before the first of them "
    "(no month starts in it: no value)"
)
COHORTS = (
    "the cohort's first paying month, in the period (period all: every cohort); then each "
    "month after it up to the last month of data"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "new_customers",
        "New customers",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "count of distinct customers whose first paying month is in the period (reactivated "
        "customers are not new)",
        _new,
        relation=customers_rows(
            (MONTH_STARTS, ("is_new", "new in the period")), monthly_edge, key="customer_id"
        ),
    ),
    Kpi(
        "churned_customers",
        "Churned customers",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        f"{IN_MONTHS}; a snapshot ignores the period",
        "count of distinct customers at zero MRR in a month of the period after paying the "
        "month before; snapshot: distinct customers flagged churned",
        _churned,
        higher_is_better=False,
        relation=customers_rows(
            (MONTH_STARTS, ("is_churned", "churned in the period")),
            _churned_edge,
            key="customer_id",
        ),
    ),
    Kpi(
        "customer_churn_rate",
        "Customer churn rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        f"{RATES}; a snapshot ignores the period",
        "distinct customers paying at the period's start that churned in it / distinct customers "
        "paying at its start (churn_variant stripe: any churned / those plus the customers new "
        "in the period); snapshot: customers flagged churned / all its customers",
        _churn_rate,
        higher_is_better=False,
        benchmark="5-7% annually",
        no_denominator=NO_START,
        relation=customers_rows(
            (MONTH_STARTS,),
            _churn_edge,
            key="customer_id",
            numerator=f"CASE WHEN is_churned AND (snapshot_row OR {STRIPE} OR mrr_start > 0) "
            "THEN 1.0 ELSE 0.0 END",
            denominator=f"CASE WHEN snapshot_row OR mrr_start > 0 OR ({STRIPE} AND is_new) "
            "THEN 1.0 ELSE 0.0 END",
        ),
    ),
    Kpi(
        "customer_retention_rate",
        "Customer retention rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED),
        RATES,
        "(customers paying at the end − those of them not paying at the start, new or "
        "reactivated) / customers paying at the start: paying at both / paying at the start",
        _retention,
        benchmark="85% or higher",
        no_denominator=NO_START,
        relation=customers_rows(
            (MONTH_STARTS,),
            _rate_edge,
            key="customer_id",
            numerator="CASE WHEN mrr_start > 0 AND mrr_end > 0 THEN 1.0 ELSE 0.0 END",
            denominator="CASE WHEN mrr_start > 0 THEN 1.0 ELSE 0.0 END",
        ),
    ),
    Kpi(
        "revenue_churn_rate",
        "Revenue churn rate (gross MRR churn)",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED),
        RATES,
        "(churned + contraction MRR in the period, any customer) / MRR of the month before the "
        "period's first month",
        _revenue_churn,
        higher_is_better=False,
        no_denominator=NO_START_MRR,
        relation=customers_rows(
            (MONTH_STARTS,),
            _rate_edge,
            numerator="-(mrr_contraction + mrr_churned)",
            denominator="mrr_start",
        ),
        sample_size="rows",
    ),
    Kpi(
        "net_mrr_churn_rate",
        "Net MRR churn rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED),
        RATES,
        "(churned + contraction − expansion − reactivation MRR in the period, any customer) / "
        "MRR of the month before the period's first month; negative when expansion wins",
        _net_churn,
        higher_is_better=False,
        no_denominator=NO_START_MRR,
        relation=customers_rows(
            (MONTH_STARTS,),
            _rate_edge,
            numerator="-(mrr_contraction + mrr_churned + mrr_expansion + mrr_reactivation)",
            denominator="mrr_start",
        ),
        sample_size="rows",
    ),
    Kpi(
        "nrr",
        "Net revenue retention",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED),
        RATES,
        "(start + expansion − contraction − churned) / start over customers paying at the start: "
        "their MRR at the end month, 0 if they churned in the period / their start MRR "
        "(nrr_reactivation: customers who came back in the period add their end MRR above)",
        _nrr,
        no_denominator=NO_START_MRR,
        relation=customers_rows(
            (
                MONTH_STARTS,
                (
                    "mrr_start > 0 OR (is_reactivation AND {nrr_reactivation})",
                    "paying at the start (or, with nrr_reactivation, back in the period)",
                ),
            ),
            _rate_edge,
            numerator="CASE WHEN is_churned AND NOT {nrr_reactivation} THEN 0.0 ELSE mrr_end END",
            denominator="mrr_start",
        ),
        sample_size="rows",
    ),
    Kpi(
        "grr",
        "Gross revenue retention",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED),
        RATES,
        "over customers paying at the start: sum of the lower of each one's start and end MRR (0 "
        "if it churned in the period) / sum of their start MRR",
        _grr,
        no_denominator=NO_START_MRR,
        relation=customers_rows(
            (MONTH_STARTS, ("mrr_start > 0", "paying at the start")),
            _rate_edge,
            numerator="CASE WHEN is_churned THEN 0.0 ELSE least(mrr_start, mrr_end) END",
            denominator="mrr_start",
        ),
        sample_size="rows",
    ),
    Kpi(
        "expansion_revenue",
        "Expansion revenue",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of increases of MRR of customers paying the month before, over months in the "
        "period (the same amount as mrr_expansion, with the retention KPIs)",
        moved("expansion"),
        relation=moved_sql("expansion"),
    ),
    Kpi(
        "cohort_retention",
        "Cohort retention (logo)",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        (*SUBSCRIPTIONS, DATED),
        COHORTS,
        "per cohort (first paying month) and month k since it: customers of the cohort paying "
        "in month k / customers of the cohort",
        _logo_retention,
        category=COHORT,
        subcategory=MONTH_NUMBER,
        combine=_cohort_ratio(LOGO_SUMMARY),
        relation=_cohort_sql("paying", "1.0"),
        summarise=LOGO_SUMMARY,
    ),
    Kpi(
        "cohort_revenue_retention",
        "Cohort retention (revenue)",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        (*SUBSCRIPTIONS, DATED),
        COHORTS,
        "per cohort (first paying month) and month k since it: MRR of the cohort's customers in "
        "month k / their MRR in the cohort's month",
        _revenue_retention,
        category=COHORT,
        subcategory=MONTH_NUMBER,
        combine=_cohort_ratio(REVENUE_SUMMARY),
        sample_size="rows",
        relation=_cohort_sql("mrr", "mrr_first"),
        summarise=REVENUE_SUMMARY,
    ),
)
