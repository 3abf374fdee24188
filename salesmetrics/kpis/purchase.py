"""Purchase KPIs: what customers bought (orders) and what existing accounts added (deals).

From orders:
- A purchase is one distinct order_id: an order exported as several rows (one per invoice
  line) is one purchase, and its amount is the sum of its lines. A row without an order_id is
  a purchase of its customer on the calendar day of ordered_at, so two such rows of one
  customer on one day are one purchase (the "customer-day"); a row with neither an order_id
  nor a customer_id is a purchase of its own.
- A customer is a non-blank customer_id, compared as text exactly as exported (a float-like
  "17850.0" stays that). Rows without one count in orders, revenue and the average purchase
  value (their order ids tell their purchases apart) but in no customer KPI: blank ids cannot
  be told to be one customer or many, nor to be the same buyer again.
- Rows with a zero or negative amount are kept: they add their amount to revenue and belong
  to their order. Cancellations are a mapping's business (a filter), not this module's.
- Distinct counts (purchases, customers) are counted within each group, never summed over
  groups: with a breakdown by product, an order with lines of two products is one purchase of
  each product and one purchase in total.

From deals: closed upsell, expansion and renewal deals, their revenue, and accounts won for
the first time.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Unit,
    at_edge,
    fact,
    has,
    in_period,
    with_facts,
)
from salesmetrics.kpis.close import closed_deals, won_deals
from salesmetrics.kpis.edges import after_first_month
from salesmetrics.periods import Period

STAGE = "purchase"
PURCHASE = "purchase"  # column: the purchase a row belongs to ("o:<order_id>", "c:<cust>|<day>")
CUSTOMER = "customer"  # column: the row's customer_id, blank when it has none
DAY_KEYED = "day_keyed"  # column: True where the purchase is a customer-day (no order_id)
LATER = "later"  # column: repurchase_rate's rows after the period, inside the window
WINDOW = "repurchase_window_days"  # facts (base.with_facts) for the combine functions
AS_OF = "as_of"
MARGIN = "gross_margin"
COSTED = "orders_have_cost"
UPSELL_TYPES = ("upsell", "expansion")
RENEWAL_TYPES = ("renewal",)
DAY_NOTE = "purchases without an order_id are distinct customer-days"


def order_lines(ctx: Context) -> pd.DataFrame:
    """Every orders row with its `purchase`, `customer` and `day_keyed` (once per report)."""
    return ctx.memo("purchase.order_lines", lambda: _keyed(ctx["orders"]))


def lines_in(ctx: Context, period: Period) -> pd.DataFrame:
    """The orders rows with ordered_at in the period, keyed as `order_lines`."""
    lines = order_lines(ctx)
    return lines[in_period(lines["ordered_at"], period).to_numpy()]


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """The column as text with blanks (and empty strings) missing; all missing when absent."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string[pyarrow]")
    values = frame[column].astype("string[pyarrow]").str.strip()
    return values.mask(values == "")


def _keyed(orders: pd.DataFrame) -> pd.DataFrame:
    customer = _text(orders, "customer_id")
    day = orders["ordered_at"].dt.strftime("%Y-%m-%d").astype("string[pyarrow]")
    by_day = "c:" + customer + "|" + day
    position = pd.Series(np.arange(len(orders)), index=orders.index).astype("string[pyarrow]")
    own = "r:" + position
    by_order = "o:" + _text(orders, "order_id")
    key = by_order.fillna(by_day).fillna(own)
    day_keyed = by_order.isna() & by_day.notna()
    return orders.assign(
        **{PURCHASE: key, CUSTOMER: customer, DAY_KEYED: day_keyed.to_numpy(dtype=bool)}
    )


def _rows(count: int) -> str:
    return f"{count:,} order row" + ("" if count == 1 else "s")


def _notes(*notes: str | None) -> str | None:
    found = [n for n in notes if n]
    return "; ".join(found) if found else None


def _day_note(rows: pd.DataFrame) -> str | None:
    return DAY_NOTE if len(rows) and bool(rows[DAY_KEYED].to_numpy(dtype=bool).any()) else None


def _blank_note(rows: pd.DataFrame) -> str | None:
    blank = int(rows[CUSTOMER].isna().sum()) if len(rows) else 0
    return f"{_rows(blank)} without a customer_id left out" if blank else None


def _known(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows of identified customers."""
    return rows[rows[CUSTOMER].notna().to_numpy(dtype=bool)] if len(rows) else rows


def _revenue_of(rows: pd.DataFrame) -> float:
    if not len(rows):
        return 0.0
    return float(np.nansum(rows["amount"].to_numpy(dtype=float, na_value=np.nan)))


# orders, revenue, customers_purchasing, avg_purchase_value, purchase_frequency


def _revenue(ctx: Context, period: Period) -> pd.DataFrame:
    lines = lines_in(ctx, period)
    return lines.assign(value=lines["amount"])


def _purchase_count(rows: pd.DataFrame) -> Aggregate:
    """The distinct purchases among the group's rows."""
    count = float(rows[PURCHASE].nunique()) if len(rows) else 0.0
    return Aggregate(count, note=_day_note(rows))


def _customer_count(rows: pd.DataFrame) -> Aggregate:
    """The distinct non-blank customer_ids among the group's rows."""
    count = float(rows[CUSTOMER].nunique()) if len(rows) else 0.0
    return Aggregate(count, note=_blank_note(rows))


def _avg_purchase(rows: pd.DataFrame) -> Aggregate:
    """The group's revenue over its distinct purchases."""
    purchases = float(rows[PURCHASE].nunique()) if len(rows) else 0.0
    revenue = _revenue_of(rows)
    if purchases == 0:
        return Aggregate(None, revenue, 0.0, "no purchases in the period")
    return Aggregate(revenue / purchases, revenue, purchases, _day_note(rows))


def _frequency(rows: pd.DataFrame) -> Aggregate:
    """Distinct purchases of identified customers over those distinct customers."""
    known = _known(rows)
    purchases = float(known[PURCHASE].nunique()) if len(known) else 0.0
    customers = float(known[CUSTOMER].nunique()) if len(known) else 0.0
    if customers == 0:
        return Aggregate(
            None, purchases, 0.0, _notes("no customers in the period", _blank_note(rows))
        )
    return Aggregate(
        purchases / customers, purchases, customers, _notes(_day_note(known), _blank_note(rows))
    )


# repurchase_rate


def _repurchase(ctx: Context, period: Period) -> pd.DataFrame:
    """Rows of identified customers with ordered_at in the period; with the window variant
    (repurchase_window_days: N) also their rows after the period, up to as_of and no later
    than N days after the period's last day (`later` True), where a second purchase may fall.

    """
    inside = _known(lines_in(ctx, period))
    window = ctx.settings.repurchase_window_days
    rows = inside.assign(**{LATER: False})
    if window is not None:
        lines = order_lines(ctx)
        after = pd.Timestamp(period.end_exclusive)
        until = min(after + pd.Timedelta(days=window), pd.Timestamp(ctx.as_of + timedelta(days=1)))
        stamp = lines["ordered_at"]
        later = ((stamp >= after) & (stamp < until)).fillna(False).to_numpy(dtype=bool)
        buyers = lines[CUSTOMER].isin(inside[CUSTOMER].unique()).fillna(False)
        later = later & buyers.to_numpy(dtype=bool)
        rows = pd.concat([rows, lines[later].assign(**{LATER: True})])
    return with_facts(rows, **{WINDOW: window, AS_OF: ctx.as_of})


def _repurchase_rate(rows: pd.DataFrame) -> Aggregate:
    """Customers who bought again over customers who bought, within the group's rows."""
    inside = rows[~rows[LATER].to_numpy(dtype=bool)] if len(rows) else rows
    customers = float(inside[CUSTOMER].nunique()) if len(inside) else 0.0
    if customers == 0:
        return Aggregate(None, 0.0, 0.0, "no customers with a purchase in the period")
    window = fact(rows, WINDOW)
    if window is None:
        per_customer = inside.groupby(CUSTOMER, observed=True)[PURCHASE].nunique()
        again = float((per_customer >= 2).sum())
        return Aggregate(again / customers, again, customers, _day_note(inside))
    again, still_open = _again_within(rows, inside, int(window), fact(rows, AS_OF))
    waiting = None
    if still_open:
        who = "1 customer has" if still_open == 1 else f"{still_open:,} customers have"
        waiting = f"{who} no second purchase yet and days of the {window}-day window after as_of"
    note = _notes(_day_note(rows), waiting)
    return Aggregate(again / customers, again, customers, note)


def _again_within(
    rows: pd.DataFrame, inside: pd.DataFrame, window: int, as_of
) -> tuple[float, int]:
    """How many customers made a purchase other than their first one in the period on or
    before the `window`-th day after that first purchase's day (and on or before as_of), and
    how many of the others have a window that ends after as_of.
    """
    ordered = inside.sort_values("ordered_at", kind="stable")
    first = ordered.drop_duplicates(CUSTOMER)[[CUSTOMER, PURCHASE, "ordered_at"]]
    first = first.rename(columns={PURCHASE: "first_purchase", "ordered_at": "first_at"})
    first_day = first["first_at"].astype("datetime64[us]").dt.floor("D")
    first = first.assign(deadline=first_day + pd.Timedelta(days=window + 1))
    candidates = rows[[CUSTOMER, PURCHASE, "ordered_at"]].merge(first, on=CUSTOMER)
    stamp = candidates["ordered_at"].astype("datetime64[us]")
    cutoff = pd.Timestamp(as_of + timedelta(days=1))
    hit = (
        (candidates[PURCHASE] != candidates["first_purchase"]).fillna(False).to_numpy(bool)
        & (stamp < candidates["deadline"]).to_numpy(dtype=bool)
        & (stamp < cutoff).to_numpy(dtype=bool)
    )
    again = candidates.loc[hit, CUSTOMER].unique()
    waiting = (first["deadline"] > cutoff).to_numpy(dtype=bool)
    open_window = waiting & ~first[CUSTOMER].isin(again).to_numpy(dtype=bool)
    return float(len(again)), int(open_window.sum())


# gross_margin


def _margin_rows(ctx: Context, period: Period) -> pd.DataFrame:
    """Orders rows in the period, with whether the orders input carries costs at all and the
    gross_margin setting (the fallback when it does not), as facts for the combine function.
    """
    facts = {COSTED: has(ctx["orders"], "cost"), MARGIN: ctx.settings.gross_margin}
    return with_facts(lines_in(ctx, period), **facts)


def _gross_margin(rows: pd.DataFrame) -> Aggregate:
    """(revenue − cost) / revenue over the rows that have a cost; without any cost in the
    orders input, the gross_margin setting over the period's revenue.
    """
    if fact(rows, COSTED):
        costed = rows["cost"].notna().to_numpy(dtype=bool) if len(rows) else np.array([], bool)
        revenue = _revenue_of(rows[costed])
        cost = float(np.nansum(rows["cost"].to_numpy(dtype=float, na_value=np.nan)[costed]))
        left_out = int((~costed).sum())
        note = f"{_rows(left_out)} without a cost left out" if left_out else None
        return _margin_of(revenue, revenue - cost, note)
    margin = fact(rows, MARGIN)
    if margin is None:
        return Aggregate(None, note="needs orders.cost or gross_margin in the report config")
    revenue = _revenue_of(rows)
    source = f"gross_margin {margin:g} from the report config: the orders carry no cost"
    return _margin_of(revenue, revenue * margin, source)


def _margin_of(revenue: float, profit: float, note: str | None) -> Aggregate:
    if revenue == 0:
        return Aggregate(None, profit, revenue, _notes("no revenue in the period", note))
    if revenue < 0:
        return Aggregate(None, profit, revenue, _notes("revenue in the period is below 0", note))
    return Aggregate(profit / revenue, profit, revenue, note)


# upsell_rate, renewal_rate, expansion_revenue_won


def _of_types(deals: pd.DataFrame, types: tuple[str, ...]) -> pd.DataFrame:
    return deals[deals["deal_type"].isin(types).fillna(False).to_numpy(dtype=bool)]


def _success(types: tuple[str, ...]):
    def rows(ctx: Context, period: Period) -> pd.DataFrame:
        deals = _of_types(closed_deals(ctx, period), types)
        won = (deals["status"] == "won").fillna(False).to_numpy(dtype=float)
        return deals.assign(numerator=won, denominator=1.0)

    return rows


def _expansion_revenue(ctx: Context, period: Period) -> pd.DataFrame:
    deals = _of_types(won_deals(ctx, period), UPSELL_TYPES)
    return deals.assign(value=deals["amount"])


# new_customers_won


def _first_won(ctx: Context) -> pd.Series:
    """Each account's earliest closed_at over its won deals (all of them, not one period's)."""
    deals = ctx["deals"]
    won = (deals["status"] == "won").fillna(False).to_numpy(dtype=bool)
    won = won & deals["account_id"].notna().to_numpy(dtype=bool)
    won = won & deals["closed_at"].notna().to_numpy(dtype=bool)
    return deals[won].groupby("account_id", observed=True)["closed_at"].min()


def _first_wins(ctx: Context, period: Period) -> pd.DataFrame:
    """Won deals closed in the period that are their account's first won deal (several when
    an account's first wins share the earliest closed_at); deals without account_id left out;
    none known in the deals' first month (salesmetrics.kpis.edges).
    """
    first = ctx.memo("purchase.first_won", lambda: _first_won(ctx))
    within, note = after_first_month(ctx, "deals", period)
    deals = won_deals(ctx, within or period)
    deals = deals[deals["account_id"].notna().to_numpy(dtype=bool)]
    earliest = deals["account_id"].map(first)
    found = deals[(deals["closed_at"] == earliest).fillna(False).to_numpy(dtype=bool)]
    return at_edge(found, note, within is not None)


def _accounts(rows: pd.DataFrame) -> Aggregate:
    return Aggregate(float(rows["account_id"].nunique()) if len(rows) else 0.0)


ORDERED = "ordered_at"
ORDERS = ("orders.ordered_at",)
AMOUNTS = ("orders.ordered_at", "orders.amount")
CUSTOMERS = ("orders.ordered_at", "orders.customer_id")
A_PURCHASE = (
    "a purchase is a distinct order_id, or without one a distinct customer_id and day of ordered_at"
)
CLOSED_TYPED = ("deals.status", "deals.closed_at", "deals.deal_type")
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "orders",
        "Orders",
        STAGE,
        Unit.COUNT,
        Aggregation.CUSTOM,
        ORDERS,
        ORDERED,
        f"count of distinct purchases with ordered_at in the period; {A_PURCHASE}",
        lines_in,
        combine=_purchase_count,
    ),
    Kpi(
        "revenue",
        "Revenue (orders)",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        AMOUNTS,
        ORDERED,
        "sum of amount over orders rows with ordered_at in the period (zero and negative "
        "amounts included)",
        _revenue,
    ),
    Kpi(
        "customers_purchasing",
        "Customers purchasing",
        STAGE,
        Unit.COUNT,
        Aggregation.CUSTOM,
        CUSTOMERS,
        ORDERED,
        "count of distinct non-blank customer_id over orders rows with ordered_at in the period",
        lines_in,
        combine=_customer_count,
    ),
    Kpi(
        "avg_purchase_value",
        "Average purchase value",
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        AMOUNTS,
        ORDERED,
        "sum of amount over orders rows with ordered_at in the period / count of distinct "
        f"purchases among them; {A_PURCHASE}",
        lines_in,
        combine=_avg_purchase,
    ),
    Kpi(
        "purchase_frequency",
        "Purchase frequency",
        STAGE,
        Unit.COUNT,
        Aggregation.CUSTOM,
        CUSTOMERS,
        ORDERED,
        "distinct purchases of customers with a customer_id, ordered_at in the period / "
        "distinct customer_id among them",
        lines_in,
        combine=_frequency,
    ),
    Kpi(
        "repurchase_rate",
        "Repurchase rate",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        CUSTOMERS,
        "ordered_at (with repurchase_window_days: the first purchase in the period; the second "
        "up to N days later, even after the period, and on or before as_of)",
        "customers (distinct customer_id) with 2 or more distinct purchases in the period / "
        "customers with 1 or more; with repurchase_window_days N: customers whose first "
        "purchase in the period is followed by another on or before the Nth day after its day "
        "(and as_of) / customers with 1 or more",
        _repurchase,
        combine=_repurchase_rate,
        matures=Maturing(None, "ordered_at", setting="repurchase_window_days"),
    ),
    Kpi(
        "gross_margin",
        "Gross margin",
        STAGE,
        Unit.RATIO,
        Aggregation.CUSTOM,
        AMOUNTS,
        ORDERED,
        "(sum of amount − sum of cost) / sum of amount over orders rows in the period that "
        "have a cost; if no order has a cost, gross_margin from the report config",
        _margin_rows,
        benchmark="software often over 70%, retail around 20-30%",
        combine=_gross_margin,
        sample_size="rows",
    ),
    Kpi(
        "upsell_rate",
        "Upsell rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        CLOSED_TYPED,
        "closed_at (deals won or lost)",
        "deals with deal_type upsell or expansion won with closed_at in the period / those "
        "won or lost with closed_at in the period",
        _success(UPSELL_TYPES),
        benchmark="20-30% (upsell/cross-sell success rate)",
    ),
    Kpi(
        "renewal_rate",
        "Renewal rate",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        CLOSED_TYPED,
        "closed_at (deals won or lost)",
        "deals with deal_type renewal won with closed_at in the period / those won or lost "
        "with closed_at in the period",
        _success(RENEWAL_TYPES),
    ),
    Kpi(
        "expansion_revenue_won",
        "Expansion revenue won",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*CLOSED_TYPED, "deals.amount"),
        "closed_at (deals won)",
        "sum of amount over won deals with deal_type upsell or expansion and closed_at in the "
        "period",
        _expansion_revenue,
    ),
    Kpi(
        "new_customers_won",
        "New customers won",
        STAGE,
        Unit.COUNT,
        Aggregation.CUSTOM,
        ("deals.status", "deals.closed_at", "deals.account_id"),
        "closed_at of the account's first won deal",
        "count of distinct account_id whose earliest won deal (by closed_at, over all won deals) "
        "closed in the period",
        _first_wins,
        combine=_accounts,
    ),
)
