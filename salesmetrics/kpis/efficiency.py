"""Efficiency KPIs: what acquiring and serving customers costs against what they bring in.

Costs. A cost counts in a period by its `incurred_at` when it has one (whole, when that instant
is in the period), else by its `month`: the share of the month's days that fall inside the
period, so a monthly cost counts fully in its month, quarter and year, and 7/31 of it in a week
of a 31-day month. Where the customers it is spread over come from the MRR book, which counts
whole months (CAC and what is built on it, with dated subscriptions), a monthly cost counts
whole in the period that holds its first day instead, as the book's movements do; the two
agree on months, quarters and years. Acquisition costs are those with category sales or
marketing.

New customers (CAC) are taken from the first of these that the data has:
1. dated subscriptions: customers with a `new` movement (their first paying month) in a month
   whose first day is in the period, from the MRR book (a reactivation is not a new customer);
2. deals with an account_id: accounts whose first won deal (over all time, by closed_at)
   closed in the period;
3. orders with a customer_id: customers whose first order (over all time) is in the period.

A customer's dimensions (owner, team, source) are those of their first won deal (its account_id
is the customer id), a blank source filled from the deal's lead; for a customer with no won
deal, those of their earliest lead with that account_id; each only where the row naming the
customer (a book month, an order) has none of its own. Rows that mix costs with customers,
leads or deals keep only the dimensions that costs and the other kind both have, so a breakdown
by source puts the source's costs over the source's customers (sums over sums), and under a
breakdown by a dimension that costs lack they give their total only ("not split by ...").

The cost grid (cost_per_lead … cost_per_negotiation) sets acquisition costs against the
funnel steps taken in the period: leads created or qualified, demos held, deals created or
reaching a stage. Its SQL is one view of costs and steps (kpis.views costs_and_steps); a deal
takes a step on the date kpis.views.reached_on gives.

Gross margin is `gross_margin` in the report config when set, else (Σ amount − Σ cost) /
Σ amount over orders ordered in the period that have a cost.

The custom KPIs (cac_payback_months, clv, clv_to_cac, rosi) are named aggregates of their rows
(`CUSTOMER_MEASURES`: costs, distinct customers of each kind, MRR, the settings and the gross
margin of the period; rosi's revenue now and before) and a small function of them
(`Kpi.summarise`). The `denominator` of the first three is the
count of customers the value is built on, for the small-sample flag, and their `numerator` is
left blank: the value is not one quotient. All of them read kpis.views
efficiency_rows (costs, new customers, the MRR book's customers, orders) or
costs_and_revenue (costs and won deals).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from salesmetrics.coverage import first_day
from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Rows,
    Unit,
    has,
)
from salesmetrics.kpis.demo import _from_activities as from_activities
from salesmetrics.kpis.edges import after_first_month, covered, joined, reach, same_part
from salesmetrics.kpis.mrr import NO_MOVEMENT, book_dimensions, window
from salesmetrics.kpis.subscriptions import (
    is_snapshot,
    months_in,
)
from salesmetrics.periods import Period

STAGE = "efficiency"
DIMENSIONS = ("owner", "team", "source")  # what costs can carry and customers are given
ACQUISITION = ("sales", "marketing")
SALES = ("sales",)
ORDER_DIMENSIONS = ("product",)  # what transactional clv can be broken down by besides DIMENSIONS
NOW, BEFORE = "now", "before"  # rosi's won deals in the period and in the comparison period
NO_MARGIN = "needs gross_margin in the report config or orders with a cost in the period"
NO_CUSTOMERS = (
    "no customers to measure (clv_variant subscription reads subscriptions, transactional "
    "reads orders)"
)


# customers: their dimensions, the new ones, the active ones


def _dated_subscriptions(ctx: Context) -> bool:
    """Subscriptions that tell months apart (not a snapshot, not all blank dates)."""
    if "subscriptions" not in ctx:
        return False
    subs = ctx["subscriptions"]
    dated = any(has(subs, column) for column in ("month", "started_at"))
    return dated and not is_snapshot(ctx)


def _new_source(ctx: Context) -> str | None:
    """The input new customers come from, by the module docstring's order of preference."""
    if _dated_subscriptions(ctx):
        return "subscriptions"
    if "deals" in ctx and has(ctx["deals"], "account_id") and "closed_at" in ctx["deals"].columns:
        return "deals"
    if "orders" in ctx and has(ctx["orders"], "customer_id"):
        return "orders"
    return None


def acquired_within(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The part of the period whose new customers the data can tell (None when no part), and
    the note when it is not the whole period: with dated subscriptions, the months after the
    opening month up to the horizon (salesmetrics.kpis.mrr.window); with deals or orders, the
    days after their first month up to their last day (salesmetrics.kpis.edges). The book
    dates a new customer by month: in a period in which no month starts, none."""
    source = _new_source(ctx)
    if source == "subscriptions":
        span = window(ctx, period)
        first, last = months_in(period)
        if first > last:
            return None, joined(NO_MOVEMENT, span.note)
        return (span.within if span.known and span.moved else None), span.note
    if source is not None:
        within, note = after_first_month(ctx, source, period)
        within, said = covered(ctx, within, source)
        return within, joined(note, said)
    return period, None


def _acquiring(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The part of the period whose new customers and acquisition costs the data both has:
    `acquired_within`, cut at the costs' edges too (costs of months the deals do not reach
    yet, over the customers they give, would make a dearer CAC)."""
    within, note = acquired_within(ctx, period)
    within, said = covered(ctx, within, "costs")
    return within, joined(note, said)


# rows that mix costs with something else


def _shared(ctx: Context, *entities: str) -> list[str]:
    """The dimensions that costs and each of `entities` (or customers, always given all) have."""
    frames = [ctx["costs"], *(ctx[e] for e in entities)]
    return [d for d in DIMENSIONS if all(d in f.columns for f in frames)]


# cac_payback_months, clv, clv_to_cac (custom)


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _transactional(ctx: Context) -> bool:
    return ctx.settings.clv_variant == "transactional"


def _clv_dimensions(ctx: Context) -> list[str]:
    """What clv can be broken down by: owner, team, source and the book's dimensions (plan),
    or, transactional, the orders' product."""
    own: list[str] = []
    if _transactional(ctx) and "orders" in ctx:
        own = [c for c in ORDER_DIMENSIONS if c in ctx["orders"].columns]
    elif "subscriptions" in ctx and _dated_subscriptions(ctx):
        own = book_dimensions(ctx)
    return list(dict.fromkeys([*DIMENSIONS, *own]))


def _clv_within(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The months subscription clv can measure: after the opening month, up to the horizon;
    transactional clv reads the year of orders up to the period's end, or up to the orders'
    last day when the period runs past it (`_year_of_orders`)."""
    if _transactional(ctx):
        return _year_of_orders(ctx, period)
    if not _dated_subscriptions(ctx):
        return period, None
    span = window(ctx, period)
    return (span.within if span.known and span.moved else None), span.note


def _year_of_orders(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The period cut at the orders' last day (the 12 months of transactional clv end there),
    with the note; None when the orders do not hold those whole 12 months: revenue per
    customer over fewer months is not a year's."""
    found = reach(ctx, "orders")
    if found is None or found[1] < period.start:
        return covered(ctx, period, "orders")
    first, last = found
    end = min(period.end, last)
    note = f"the orders data ends {last}: values up to its end" if end < period.end else None
    if first > _year_before(end + timedelta(days=1)):
        said = f"the orders data starts {first}: the 12 months up to {end} are not all in it"
        return None, joined(note, said)
    return Period(period.label, period.start, end), note


def _both_within(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The part of the period both cac (`_acquiring`) and clv (`_clv_within`) can measure."""
    within, note = _acquiring(ctx, period)
    measured, said = _clv_within(ctx, within or period)
    return (measured if within is not None else None), joined(note, said)


Measures = Mapping[str, float | None]


def _cac_of(m: Measures) -> tuple[float | None, float, str | None]:
    """CAC, the new customers it is spread over, and why there is none."""
    new = m["new"] or 0.0
    if new == 0:
        return None, new, "no new customers in the period"
    return (m["cost"] or 0.0) / new, new, None


def _arpa_of(m: Measures) -> tuple[float | None, float, str | None]:
    """MRR over the distinct customers active at the end, and why there is none."""
    active = m["active"] or 0.0
    if active == 0:
        return None, active, "no customers paying at the end of the period"
    return (m["active_mrr"] or 0.0) / active, active, None


def _payback_summary(m: Measures, threshold: int) -> Aggregate:
    """CAC / (ARPA × gross margin): months of a new customer's gross margin to repay CAC.

    Custom, not a declared kind: a quotient of two quotients (costs per new customer, MRR
    per paying customer) times a margin, which no one sum over a sum is."""
    if not m["rows"]:
        return Aggregate(None, note="no costs or customers in the period")
    cac, new, why = _cac_of(m)
    if cac is None:
        return Aggregate(None, None, new, why)
    arpa, active, why = _arpa_of(m)
    margin = m["margin"]
    customers = min(new, active)
    if arpa is None:
        return Aggregate(None, None, customers, why)
    if margin is None:
        return Aggregate(None, None, customers, NO_MARGIN)
    if arpa * margin <= 0:
        return Aggregate(None, None, customers, "ARPA × gross margin is not above 0")
    return Aggregate(cac / (arpa * margin), None, customers)


def _subscription_clv(m: Measures) -> Aggregate:
    """ARPA × gross margin / monthly customer churn rate."""
    if m["snapshot"]:
        return Aggregate(None, note="subscriptions are a snapshot: no churn rate per month")
    months = int(m["months"] or 0)
    if months == 0:
        return Aggregate(None, note="no month starts in the period: no monthly churn rate")
    base = m["start"] or 0.0
    if m["stripe"]:
        base += m["new"] or 0.0
    if base == 0:
        return Aggregate(None, None, base, "no customers paying at the start of the period")
    churned = m["churned"] or 0.0
    if churned == 0:
        return Aggregate(None, None, base, "no customer churned in the period: CLV is unbounded")
    arpa, _, why = _arpa_of(m)
    margin = m["margin"]
    if arpa is None:
        return Aggregate(None, None, base, why)
    if margin is None:
        return Aggregate(None, None, base, NO_MARGIN)
    return Aggregate(arpa * margin / (churned / base / months), None, base)


def _transactional_clv(m: Measures) -> Aggregate:
    """Average purchase value × purchases per customer per year × lifespan in years; the
    purchases cancel out: revenue per customer over 12 months × lifespan."""
    customers = m["customers"] or 0.0
    if customers == 0:
        return Aggregate(None, None, 0.0, "no orders with a customer in the 12 months")
    lifespan = m["lifespan"]
    if lifespan is None:
        return Aggregate(None, None, customers, "needs customer_lifespan_years in the config")
    return Aggregate((m["revenue"] or 0.0) / customers * lifespan, None, customers)


def _clv_summary(m: Measures, threshold: int) -> Aggregate:
    """CLV of the configured variant.

    Custom, not a declared kind: ARPA × margin over a churn rate (three quotients of distinct
    customers and MRR), or revenue per customer × a lifespan, no one sum over a sum."""
    if not m["rows"]:
        return Aggregate(None, note=NO_CUSTOMERS)
    if m["transactional"]:
        return _transactional_clv(m)
    return _subscription_clv(m)


def _clv_to_cac_summary(m: Measures, threshold: int) -> Aggregate:
    """CLV / CAC, on the smaller of the two customer counts.

    Custom, not a declared kind: a quotient of clv and cac (each custom or a ratio of its
    own rows)."""
    if not m["rows"]:
        return Aggregate(None, note="no costs or customers in the period")
    cac, new, why = _cac_of(m)
    if cac is None:
        return Aggregate(None, None, new, why)
    clv = _clv_summary(m, threshold)
    customers = min(new, clv.denominator if clv.denominator is not None else 0.0)
    if clv.value is None:
        return Aggregate(None, None, customers, clv.note)
    if cac <= 0:
        return Aggregate(None, None, customers, "no acquisition costs in the period")
    return Aggregate(clv.value / cac, None, customers)


# roi, rosi, sales_productivity, cost_per_lead, cost_per_opportunity


def _spent(ctx: Context, period: Period, entity: str) -> tuple[Period | None, str | None]:
    """The days of the period that both the costs and `entity` (what they are set against)
    cover, and the note when that is not the whole period (salesmetrics.kpis.edges)."""
    return covered(ctx, period, "costs", entity)


def _rosi_within(ctx: Context, period: Period) -> tuple[Period | None, str | None]:
    """The days the costs and deals both cover, the note saying which days of the comparison
    period they are set against (`_rosi_compared`) when not all of the period."""
    days, note = _spent(ctx, period, "deals")
    if days is not None and note is not None:
        earlier = _rosi_compared(ctx, period)
        note = f"{note}, against {earlier.start} to {earlier.end}"
    return days, note


def _rosi_compared(ctx: Context, period: Period) -> Period:
    """The comparison period rosi's revenue is set against: the same days of it as the days
    of the period the costs and deals both cover (as sales_growth)."""
    days, note = _spent(ctx, period, "deals")
    earlier = ctx.earlier(period)
    return same_part(days, period, earlier) if days is not None and note is not None else earlier


def _rosi_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """No value when the comparison period starts before the deals: its revenue is unknown,
    not 0."""
    earlier = _rosi_compared(ctx, period)
    first = ctx.memo("first_day:deals", lambda: first_day(ctx.frames, "deals", ctx.as_of))
    if first is not None and earlier.start < first:
        said = f"the deals start {first}: the comparison period {earlier.label} is before them"
        return said, False
    return None, True


def _rosi_summary(m: Measures, threshold: int) -> Aggregate:
    """(Revenue won now − revenue won before) / sales costs now; null when fewer won deals
    than the small-sample threshold stand behind either revenue: a change between two sums
    of a few deals swings by hundreds of percent on one deal more or less.

    Custom, not a declared kind: a ratio whose value also needs two counts of rows of two
    periods against the small-sample threshold."""
    numerator = (m["now"] or 0.0) - (m["before"] or 0.0)
    denominator = m["cost"] or 0.0
    won_now, won_before = int(m["won_now"] or 0), int(m["won_before"] or 0)
    if denominator == 0:
        return Aggregate(None, numerator, denominator, "no rows in the denominator")
    if min(won_now, won_before) < threshold:
        why = (
            f"{won_now} won deals in the period and {won_before} in the comparison period, "
            f"fewer than the small-sample threshold ({threshold}): the change is noise"
        )
        return Aggregate(None, numerator, denominator, why)
    return Aggregate(numerator / denominator, numerator, denominator)


# the DuckDB declarations of cac, roi, rosi, sales_productivity and the custom KPIs: their
# rows are those of kpis.views efficiency_rows and costs_and_revenue


def facts(ctx: Context) -> pd.DataFrame:
    """What the efficiency views (kpis.views) need to know of the inputs that SQL over the
    canonical tables cannot tell (a column the export lacks is there, blank): one row with
    `dated_subscriptions`, `snapshot` (subscriptions without months), `new_source` (where new
    customers come from) and `deal_accounts` (won deals give customers their dimensions)."""
    dated = _dated_subscriptions(ctx)
    deals = ctx.frames.get("deals")
    accounts = deals is not None and has(deals, "account_id") and "closed_at" in deals.columns
    return pd.DataFrame(
        {
            "dated_subscriptions": [dated],
            "snapshot": ["subscriptions" in ctx and not dated],
            "new_source": pd.Series([_new_source(ctx)], dtype="string"),
            "deal_accounts": [accounts],
        }
    )


ACQUIRING = "kind <> 'cost' OR category IN ('sales', 'marketing')"
MONTHS_SQL = (
    "greatest(year(kpi_stop - INTERVAL 1 DAY) * 12 + month(kpi_stop - INTERVAL 1 DAY) "
    "- year(kpi_start) * 12 - month(kpi_start) + CASE WHEN day(kpi_start) = 1 THEN 1 ELSE 0 "
    "END, 0)"
)
"""The number of months whose first day is in the slice (`months_in`)."""
MARGIN_SQL = (
    "coalesce({gross_margin}, "
    "(SELECT max(m.margin) FROM slice_margins m WHERE m.kpi_slice = j.kpi_slice))"
)
"""`gross_margin` over the slice: the config's, else that of the orders ordered in it."""
CUSTOMER_KINDS = ("new", "active", "start", "churned")
CUSTOMER_MEASURES = (
    ("rows", "count(*)"),
    ("cost", "fsum(amount * kpi_share) FILTER (WHERE kind = 'cost')"),
    *(
        (kind, f"count(DISTINCT customer_id) FILTER (WHERE kind = '{kind}')")
        for kind in CUSTOMER_KINDS
    ),
    ("active_mrr", "fsum(mrr) FILTER (WHERE kind = 'active')"),
    ("customers", "count(DISTINCT customer_id) FILTER (WHERE kind = 'order')"),
    ("revenue", "fsum(amount) FILTER (WHERE kind = 'order')"),
    ("margin", f"max({MARGIN_SQL})"),
    ("months", f"max({MONTHS_SQL})"),
    ("transactional", "max(CASE WHEN {clv_variant} = 'transactional' THEN 1.0 ELSE 0.0 END)"),
    ("stripe", "max(CASE WHEN {churn_variant} = 'stripe' THEN 1.0 ELSE 0.0 END)"),
    ("lifespan", "max({customer_lifespan_years})"),
    ("snapshot", "max(CASE WHEN snapshot THEN 1.0 ELSE 0.0 END)"),
)
"""What cac_payback_months, clv and clv_to_cac are made of: the
costs (by their share in the slice), the distinct customers of each kind, the MRR at the end,
the orders' distinct customers and revenue, and the settings and facts of the slice."""
CLV_VARIANT = "(kind = 'order') = ({clv_variant} = 'transactional')"
CUSTOMER_ROWS = Rows(
    "efficiency_rows",
    "happened_at",
    spans="ends_at",
    during=(
        "CASE kind WHEN 'start' THEN month_at < kpi_start "
        "AND month_at + INTERVAL 1 MONTH >= kpi_start "
        "WHEN 'active' THEN month_at IS NULL OR month_at + INTERVAL 1 MONTH >= kpi_stop "
        "WHEN 'order' THEN happened_at >= kpi_stop - INTERVAL 1 YEAR ELSE TRUE END"
    ),
    dimensions=_shared,
    measures=CUSTOMER_MEASURES,
)
"""The custom KPIs' rows (kpis.views efficiency_rows): costs and new customers placed by
their dates; customers paying in the month before each period (`start`) and in the month of
its last day (`active`), and orders in the 12 months up to its end, placed by `during`."""


def _cac_rows(categories: tuple[str, ...]) -> Rows:
    """cac's rows: costs of `categories` (numerator) and new customers (denominator, 1 each)."""
    listed = ", ".join(f"'{c}'" for c in categories)
    return Rows(
        "efficiency_rows",
        "happened_at",
        (
            ("side = 'acquisition'", "a customer row of clv"),
            (f"kind <> 'cost' OR category IN ({listed})", "a cost of another category"),
        ),
        spans="ends_at",
        numerator="CASE WHEN kind = 'cost' THEN amount ELSE 0.0 END",
        denominator="CASE WHEN kind = 'new' THEN 1.0 ELSE 0.0 END",
        within=_acquiring,
        dimensions=_shared,
    )


def _money_rows(numerator: str, denominator: str, *where: tuple[str, str]) -> Rows:
    """Won deals and costs (kpis.views costs_and_revenue) over the days both cover."""
    return Rows(
        "costs_and_revenue",
        "happened_at",
        (("part IN ('won', 'cost')", "a won deal of the comparison period"), *where),
        spans="ends_at",
        numerator=numerator,
        denominator=denominator,
        within=lambda ctx, period: _spent(ctx, period, "deals"),
        inputs=("costs", "deals"),
    )


SALES_COSTS = ("part <> 'cost' OR category = 'sales'", "a cost of another category")
ROSI_ROWS = Rows(
    "costs_and_revenue",
    "happened_at",
    (SALES_COSTS,),
    spans="ends_at",
    within=_rosi_within,
    edge=_rosi_edge,
    inputs=("costs", "deals"),
    against=_rosi_compared,
    earlier="part = 'before'",
    measures=(
        ("won_now", "count(*) FILTER (WHERE part = 'won')"),
        ("won_before", "count(*) FILTER (WHERE part = 'before')"),
        ("now", "fsum(amount) FILTER (WHERE part = 'won')"),
        ("before", "fsum(amount) FILTER (WHERE part = 'before')"),
        ("cost", "fsum(amount * kpi_share) FILTER (WHERE part = 'cost')"),
    ),
)
"""rosi's rows: won deals of the period, of its comparison period (`_rosi_compared`, placed
by `against`), and sales costs."""


# the cost grid: acquisition costs per lead, opportunity, SQL, demo, POC and negotiation


def _demo_source(ctx: Context) -> str:
    """Where demos come from, as demos_held counts them: activities with any demo, else deals."""
    return "activities" if from_activities(ctx) else "deals"


def _cost_grid(step: str, entity: str) -> Rows:
    """Acquisition costs over the `step` rows of the costs_and_steps view (kpis.views), over
    the days costs and `entity` both cover; split by what both carry."""
    return Rows(
        "costs_and_steps",
        "happened_at",
        ((f"step IN ('cost', '{step}')", f"neither an acquisition cost nor step {step}"),),
        spans="ends_at",
        numerator="coalesce(cost, 0.0)",
        denominator=f"CASE WHEN step = '{step}' THEN 1.0 ELSE 0.0 END",
        within=lambda ctx, period: _spent(ctx, period, entity),
        inputs=("costs", entity),
    )


def _demo_grid() -> Rows:
    """cost_per_demo's rows: as `_cost_grid`, over the days costs and the demos' input cover."""
    return replace(
        _cost_grid("demo", "activities"),
        within=lambda ctx, period: _spent(ctx, period, _demo_source(ctx)),
        inputs=("costs", "activities", "deals"),
    )


COSTS = ("costs.amount", "costs.incurred_at|costs.month")
ACQUIRED = (*COSTS, "costs.category")
CUSTOMERS = "subscriptions.mrr|deals.account_id|orders.customer_id"
WON = ("deals.status", "deals.closed_at", "deals.amount")
COST_DATE = "incurred_at of the cost, else the share of its month's days in the period"
ACQUISITION_COSTS = "sum of sales and marketing costs in the period"
PROPOSAL = "deals.entered_proposal|deals.entered_negotiation"
REACHED_PROPOSAL = (
    "reached proposal (the earliest of entered_proposal, a later stage's date, and closed_at if "
    "won)"
)
NEW = (
    "new customers: from dated subscriptions, customers whose first paying month starts in the "
    "period; else accounts whose first won deal closed in it; else customers whose first order "
    "is in it"
)
SUBSCRIPTION_CLV = (
    "subscription variant: ARPA (MRR / customers paying at the period's end) × gross margin / "
    "monthly churn (customers churned in the months starting in the period / customers paying "
    "in the month before, plus those new in the period with churn_variant stripe, / the number "
    "of those months)"
)
TRANSACTIONAL_CLV = (
    "transactional variant (clv_variant: transactional): average purchase value × purchases per "
    "customer per year × customer_lifespan_years, over orders with a customer in the 12 months "
    "up to the period's end (= revenue / distinct customers × lifespan)"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "cac",
        "Customer acquisition cost",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, CUSTOMERS),
        f"{COST_DATE}; {NEW}",
        "sum of sales and marketing costs in the period / new customers in the period (first "
        "paying month from subscriptions, else first won deal of an account, else first order)",
        higher_is_better=False,
        benchmark="$100-$400 common for tech startups; judge it against CLV",
        variant="sales_and_marketing",
        relation=_cac_rows(ACQUISITION),
    ),
    Kpi(
        "cac_payback_months",
        "CAC payback (months)",
        STAGE,
        Unit.MONTHS,
        Aggregation.CUSTOM,
        (*ACQUIRED, "subscriptions.mrr"),
        f"{COST_DATE}; {NEW}; MRR of the month the period ends in",
        "cac / (ARPA × gross margin), ARPA = MRR / customers paying in the month the period ends "
        "in; gross margin from the config, else (revenue − cost) / revenue of orders in the period",
        higher_is_better=False,
        relation=replace(
            CUSTOMER_ROWS,
            where=(
                ("side = 'acquisition' OR kind = 'active'", "a customer row of clv"),
                (ACQUIRING, "a cost of another category"),
            ),
            within=_acquiring,
        ),
        summarise=_payback_summary,
    ),
    Kpi(
        "clv",
        "Customer lifetime value",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        ("subscriptions.mrr|orders.customer_id",),
        "the MRR book's months starting in the period and the month before (subscription); "
        "ordered_at in the 12 months up to the period's end (transactional)",
        f"{SUBSCRIPTION_CLV}; {TRANSACTIONAL_CLV}",
        relation=replace(
            CUSTOMER_ROWS,
            where=(
                ("side = 'clv'", "an acquisition row of cac"),
                (CLV_VARIANT, "a row of the other clv_variant"),
            ),
            within=_clv_within,
            dimensions=_clv_dimensions,
        ),
        summarise=_clv_summary,
    ),
    Kpi(
        "clv_to_cac",
        "CLV to CAC",
        STAGE,
        Unit.MULTIPLE,
        Aggregation.CUSTOM,
        (*ACQUIRED, CUSTOMERS, "subscriptions.mrr|orders.customer_id"),
        f"{COST_DATE}; {NEW}; clv's dates",
        "clv / cac, each as defined for those KPIs (clv of the configured clv_variant)",
        benchmark="at least 3x",
        relation=replace(
            CUSTOMER_ROWS,
            where=(
                (f"side = 'acquisition' OR ({CLV_VARIANT})", "a row of the other clv_variant"),
                (ACQUIRING, "a cost of another category"),
            ),
            within=_both_within,
        ),
        summarise=_clv_to_cac_summary,
    ),
    Kpi(
        "roi",
        "Return on investment",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*COSTS, *WON),
        f"closed_at (deals won); {COST_DATE}",
        "(sum of amount over won deals closed in the period − sum of all costs in the period, "
        "any category) / sum of all costs in the period",
        sample_size="rows",
        relation=_money_rows(
            "CASE WHEN part = 'won' THEN amount ELSE -amount END",
            "CASE WHEN part = 'cost' THEN amount ELSE 0.0 END",
        ),
    ),
    Kpi(
        "rosi",
        "Return on sales investment",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        (*ACQUIRED, *WON),
        f"closed_at (deals won), in the period and the comparison period; {COST_DATE}",
        "(revenue won in the period − revenue won in the comparison period) / sum of sales "
        "costs in the period; revenue won = sum of amount over won deals closed in it; null "
        "when either period has fewer won deals than small_sample, or the comparison period "
        "starts before the deals",
        benchmark="positive",
        sample_size="rows",
        variant="incremental",
        relation=ROSI_ROWS,
        summarise=_rosi_summary,
    ),
    Kpi(
        "cost_per_lead",
        "Cost per lead",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "leads.created_at"),
        f"{COST_DATE}; created_at of the lead",
        "sum of sales and marketing costs in the period / leads with created_at in the period",
        higher_is_better=False,
        relation=_cost_grid("lead", "leads"),
    ),
    Kpi(
        "cost_per_opportunity",
        "Cost per opportunity",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "deals.created_at"),
        f"{COST_DATE}; created_at of the deal",
        "sum of sales and marketing costs in the period / deals with created_at in the period",
        higher_is_better=False,
        relation=_cost_grid("opportunity", "deals"),
    ),
    Kpi(
        "cost_per_sql",
        "Cost per SQL",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "leads.sql_at"),
        f"{COST_DATE}; sql_at of the lead",
        f"{ACQUISITION_COSTS} / leads with sql_at in the period",
        higher_is_better=False,
        relation=_cost_grid("sql", "leads"),
    ),
    Kpi(
        "cost_per_demo",
        "Cost per demo (POC) held",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "activities.channel|deals.entered_demo"),
        f"{COST_DATE}; occurred_at of the demo activity, else entered_demo of the deal",
        f"{ACQUISITION_COSTS} / demos held in the period, as demos_held counts them (demo "
        "activities whose outcome is not a no-show, cancellation or reschedule; without any "
        "demo activity, deals with entered_demo)",
        higher_is_better=False,
        relation=_demo_grid(),
    ),
    Kpi(
        "cost_per_accomplished_poc",
        "Cost per accomplished POC",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "deals.status", "deals.closed_at", f"deals.entered_demo|{PROPOSAL}"),
        f"{COST_DATE}; the date the deal's POC was accomplished",
        f"{ACQUISITION_COSTS} / deals whose demo (POC) was accomplished in the period: they "
        f"{REACHED_PROPOSAL}, or were lost (closed_at) after reaching the demo stage",
        higher_is_better=False,
        relation=_cost_grid("poc_accomplished", "deals"),
    ),
    Kpi(
        "cost_per_successful_poc",
        "Cost per successful POC",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "deals.status", PROPOSAL),
        f"{COST_DATE}; the date the deal reached proposal",
        f"{ACQUISITION_COSTS} / deals that {REACHED_PROPOSAL} in the period: a POC evaluated "
        "as successful",
        higher_is_better=False,
        relation=_cost_grid("poc_successful", "deals"),
    ),
    Kpi(
        "cost_per_negotiation",
        "Cost per negotiation initiated",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, "deals.status", "deals.entered_negotiation"),
        f"{COST_DATE}; the date the deal reached negotiation",
        f"{ACQUISITION_COSTS} / deals that reached negotiation in the period (the earliest of "
        "entered_negotiation, entered_won and closed_at if won)",
        higher_is_better=False,
        relation=_cost_grid("negotiation", "deals"),
    ),
    Kpi(
        "sales_productivity",
        "Sales productivity (revenue / sales cost)",
        STAGE,
        Unit.MULTIPLE,
        Aggregation.RATIO,
        (*ACQUIRED, *WON),
        f"closed_at (deals won); {COST_DATE}",
        "sum of amount over won deals closed in the period / sum of sales costs in the period "
        "(revenue per rep is sales_per_rep in the team stage)",
        sample_size="rows",
        relation=_money_rows(
            "CASE WHEN part = 'won' THEN amount ELSE 0.0 END",
            "CASE WHEN part = 'cost' THEN amount ELSE 0.0 END",
            SALES_COSTS,
        ),
    ),
)


# named variants (issue 18; salesmetrics.variants)

VARIANTS: tuple[Kpi, ...] = (
    Kpi(
        "cac",
        "Sales CAC",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*ACQUIRED, CUSTOMERS),
        f"{COST_DATE}; {NEW}",
        "sum of sales costs (category sales only) in the period / new customers in the period "
        "(first paying month from subscriptions, else first won deal of an account, else "
        "first order)",
        higher_is_better=False,
        variant="sales_only",
        relation=_cac_rows(SALES),
    ),
    Kpi(
        "rosi",
        "Return on sales investment (net)",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        (*ACQUIRED, *WON),
        f"closed_at (deals won); {COST_DATE}",
        "(sum of amount over won deals closed in the period − sum of sales costs in the "
        "period) / sum of sales costs in the period",
        benchmark="positive",
        sample_size="rows",
        variant="net",
        relation=_money_rows(
            "CASE WHEN part = 'won' THEN amount ELSE -amount END",
            "CASE WHEN part = 'cost' THEN amount ELSE 0.0 END",
            SALES_COSTS,
        ),
    ),
)
