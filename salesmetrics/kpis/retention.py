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

from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import Aggregate, Aggregation, Context, Kpi, Rows, Unit
from salesmetrics.kpis.mrr import (
    DATED,
    DATED_OR_SNAPSHOT,
    IN_MONTHS,
    MONTH_STARTS,
    SNAPSHOT_NOTE,
    SUBSCRIPTIONS,
    customers_rows,
    monthly_edge,
    moved_sql,
    opening_note,
    window,
)
from salesmetrics.kpis.subscriptions import (
    is_snapshot,
)
from salesmetrics.periods import Period

STAGE = "retention"
CHURN_VARIANTS = ("standard", "stripe")
COHORT = "cohort"  # the cohort tables' category column: the first paying month, YYYY-MM
MONTH_NUMBER = "month_number"  # their subcategory column: months since the cohort's month
NO_START = "no customer paying at the start of the period"
NO_START_MRR = "no MRR at the start of the period"
NO_MONTH = "no month starts in the period: MRR is monthly, so there is no rate"
STRIPE = "{churn_variant} = 'stripe'"  # SQL: the stripe churn variant is chosen


# customer_churn_rate, customer_retention_rate


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


# cohort_retention, cohort_revenue_retention


def _cohort_summary(empty: str) -> Callable[[Mapping[str, float | None], int], Aggregate]:
    """A cell's value from its measures: sum(numerator) / sum(denominator),
    None with `empty` as the note when the denominator is 0; no value for a cell of the
    opening month's cohort, the opening book, with the note naming that month (every row of
    a cell is of one cohort: `opening` counts them all or none). The period's note is the
    engine's (`Rows.edge`)."""

    def summarise(m: Mapping[str, float | None], _threshold: int) -> Aggregate:
        if m["opening"] and m["cohort_month"] is not None:  # blank: a group with no rows
            month = int(m["cohort_month"])
            return Aggregate(None, note=opening_note(month, month))
        top, bottom = m["numerator"] or 0.0, m["denominator"] or 0.0
        if bottom == 0:
            return Aggregate(None, top, bottom, empty)
        return Aggregate(top / bottom, top, bottom)

    return summarise


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
        category=COHORT,
        subcategory=MONTH_NUMBER,
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
        category=COHORT,
        subcategory=MONTH_NUMBER,
        sample_size="rows",
        relation=_cohort_sql("mrr", "mrr_first"),
        summarise=REVENUE_SUMMARY,
    ),
)
