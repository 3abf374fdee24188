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

from collections.abc import Mapping
from dataclasses import replace

from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Maturing,
    Rows,
    Unit,
    has,
)
from salesmetrics.kpis.close import IS_CLOSED, IS_WON, WON_SQL
from salesmetrics.kpis.edges import after_first_month
from salesmetrics.periods import Period

STAGE = "purchase"
UPSELL_TYPES = ("upsell", "expansion")
RENEWAL_TYPES = ("renewal",)
DAY_NOTE = "purchases without an order_id are distinct customer-days"


def _notes(*notes: str | None) -> str | None:
    found = [n for n in notes if n]
    return "; ".join(found) if found else None


# repurchase_rate


def _repurchase_of(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """Customers who bought again over customers who bought, within the group's rows.

    Custom, not a declared kind: its numerator counts the customers whose distinct purchases
    in the group number two or more (a count over a count, per group and period), and with a
    window it follows each customer from their own first purchase in the period to later ones
    after it; no one kind says either."""
    customers = m["customers"] or 0.0
    if customers == 0:
        return Aggregate(None, 0.0, 0.0, "no customers with a purchase in the period")
    window = m["window"]
    if window is None:
        again = m["again"] or 0.0
        return Aggregate(again / customers, again, customers, DAY_NOTE if m["day_inside"] else None)
    again, still_open = m["again_within"] or 0.0, int(m["waiting"] or 0)
    waiting = None
    if still_open:
        who = "1 customer has" if still_open == 1 else f"{still_open:,} customers have"
        waiting = (
            f"{who} no second purchase yet and days of the {int(window)}-day window after as_of"
        )
    note = _notes(DAY_NOTE if m["day_all"] else None, waiting)
    return Aggregate(again / customers, again, customers, note)


CUTOFF_SQL = "({as_of} + INTERVAL 1 DAY)"  # the instant after as_of
WINDOW_SQL = "{repurchase_window_days}"


def _first_and_again() -> str:
    """SQL: the group's rows (customer, purchase, ordered_at, after the period or not) in order
    of customer, then date, then listing, folded into how many customers made a purchase other
    than their first one in the period (`_again_within`) by the deadline its day and the
    window set, and on or before as_of (`again`), and how many others have a window that runs
    past as_of (`waiting`, but for the last customer's: `_waiting`)."""
    deadline = f"date_trunc('day', x.t) + to_days(CAST({WINDOW_SQL} AS INTEGER) + 1)"
    waited = f"CASE WHEN NOT acc.done AND acc.d > {CUTOFF_SQL} THEN 1 ELSE 0 END"
    fresh = (
        "struct_pack(c := x.c, p := CASE WHEN x.later THEN NULL ELSE x.p END, "
        f"d := CASE WHEN x.later THEN NULL ELSE {deadline} END, done := x.later, "
        f"again := acc.again, waiting := acc.waiting + {waited})"
    )
    hit = f"NOT acc.done AND x.p <> acc.p AND x.t < acc.d AND x.t < {CUTOFF_SQL}"
    found = (
        "struct_pack(c := acc.c, p := acc.p, d := acc.d, done := TRUE, "
        "again := acc.again + 1, waiting := acc.waiting)"
    )
    rows = (
        "list(struct_pack(c := customer_key, p := purchase_key, t := ordered_at, "
        "later := side = 'later') ORDER BY customer_key, ordered_at, _row_)"
    )
    start = (
        "struct_pack(c := NULL::VARCHAR, p := NULL::VARCHAR, d := NULL::TIMESTAMP, "
        "done := TRUE, again := 0::BIGINT, waiting := 0::BIGINT)"
    )
    step = (
        f"lambda acc, x: CASE WHEN x.c IS DISTINCT FROM acc.c THEN {fresh} "
        f"WHEN {hit} THEN {found} ELSE acc END"
    )
    return f"list_reduce({rows}, {step}, {start})"


FOLD = _first_and_again()
REPURCHASE_ROWS = Rows(
    "order_repurchases",
    f"CASE WHEN side = 'later' THEN ordered_at - to_days(CAST({WINDOW_SQL} AS INTEGER)) "
    "ELSE ordered_at END",
    (
        (
            f"side = 'inside' OR {WINDOW_SQL} IS NOT NULL",
            "after the period, without repurchase_window_days",
        ),
    ),
    spans="ordered_at",
    whole=True,
    during="CASE WHEN side = 'inside' THEN ordered_at >= kpi_start "
    f"ELSE ordered_at >= kpi_stop AND ordered_at < {CUTOFF_SQL} AND EXISTS (SELECT 1 FROM "
    "(SELECT customer_key AS buyer, ordered_at AS bought_at FROM order_lines) AS b "
    "WHERE b.buyer = customer_key AND b.bought_at >= kpi_start AND b.bought_at < kpi_stop) END",
    outcome="ordered_at",
    measures=(
        ("customers", "count(DISTINCT customer_key) FILTER (WHERE side = 'inside')"),
        (
            "again",
            "len(list_filter(map_values(list_aggr(list_transform(list(DISTINCT struct_pack("
            "c := customer_key, p := purchase_key)) FILTER (WHERE side = 'inside'), "
            "lambda x: x.c), 'histogram')), lambda n: n >= 2))",
        ),
        ("day_inside", "count(*) FILTER (WHERE side = 'inside' AND day_keyed)"),
        ("day_all", "count(*) FILTER (WHERE day_keyed)"),
        ("again_within", f"({FOLD}).again"),
        (
            "waiting",
            f"({FOLD}).waiting + CASE WHEN NOT ({FOLD}).done AND ({FOLD}).d > {CUTOFF_SQL} "
            "THEN 1 ELSE 0 END",
        ),
    ),
    given=lambda ctx: {"window": ctx.settings.repurchase_window_days},
)
"""`_repurchase`'s rows: orders rows of identified customers in each period (`side` inside)
and, with repurchase_window_days N, their rows after it (`side` later, placed in the period
when dated less than N days after its end, on or before as_of, of a customer who bought in
it), and what `_repurchase_of` makes the rate of."""


# gross_margin


def _margin_source(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """Where the margin comes from when the orders carry no cost at all: the gross_margin
    setting, said in a note, or nowhere (no value)."""
    if has(ctx["orders"], "cost"):
        return None, True
    margin = ctx.settings.gross_margin
    if margin is None:
        return "needs orders.cost or gross_margin in the report config", False
    return f"gross_margin {margin:g} from the report config: the orders carry no cost", True


COSTED_SQL = "EXISTS (SELECT 1 FROM orders WHERE cost IS NOT NULL)"


# new_customers_won


def _first_month_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """In the deals' first month an account may have been won before: no value."""
    within, note = after_first_month(ctx, "deals", period)
    return note, within is not None


AFTER_FIRST_MONTH = (
    "closed_at >= (SELECT date_trunc('month', least(min(created_at), min(closed_at))) "
    "+ INTERVAL 1 MONTH FROM deals)",
    "closed in the deals' first month, when the account may have been won before",
)


ORDERED = "ordered_at"
NO_CUSTOMER = "{n:,} order row{s} without a customer_id left out"
IN_ORDERS = Rows("order_lines", "ordered_at")
BY_DAY = ("day_keyed", DAY_NOTE)  # a purchase told apart by its customer and day, and its note
ORDERS = ("orders.ordered_at",)
AMOUNTS = ("orders.ordered_at", "orders.amount")
CUSTOMERS = ("orders.ordered_at", "orders.customer_id")
A_PURCHASE = (
    "a purchase is a distinct order_id, or without one a distinct customer_id and day of ordered_at"
)
CLOSED_TYPED = ("deals.status", "deals.closed_at", "deals.deal_type")


def _typed(types: tuple[str, ...]) -> tuple[str, str]:
    """The condition that a deal is of one of `types`, and what a deal failing it is."""
    listed = ", ".join(f"'{t}'" for t in types)
    return f"deal_type IN ({listed})", f"deal_type not {' or '.join(types)}"


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "orders",
        "Orders",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        ORDERS,
        ORDERED,
        f"count of distinct purchases with ordered_at in the period; {A_PURCHASE}",
        relation=replace(IN_ORDERS, key="purchase_key", flagged=BY_DAY),
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
        relation=replace(IN_ORDERS, value="amount"),
    ),
    Kpi(
        "customers_purchasing",
        "Customers purchasing",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        CUSTOMERS,
        ORDERED,
        "count of distinct non-blank customer_id over orders rows with ordered_at in the period",
        left_out=NO_CUSTOMER,
        relation=replace(IN_ORDERS, key="customer_key", left_out="customer_key IS NULL"),
    ),
    Kpi(
        "avg_purchase_value",
        "Average purchase value",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        AMOUNTS,
        ORDERED,
        "sum of amount over orders rows with ordered_at in the period / count of distinct "
        f"purchases among them; {A_PURCHASE}",
        no_denominator="no purchases in the period",
        relation=replace(IN_ORDERS, numerator="amount", key="purchase_key", flagged=BY_DAY),
    ),
    Kpi(
        "purchase_frequency",
        "Purchase frequency",
        STAGE,
        Unit.COUNT,
        Aggregation.RATIO,
        CUSTOMERS,
        ORDERED,
        "distinct purchases of customers with a customer_id, ordered_at in the period / "
        "distinct customer_id among them",
        left_out=NO_CUSTOMER,
        no_denominator="no customers in the period",
        relation=replace(
            IN_ORDERS,
            key="purchase_key",
            per="customer_key",
            flagged=BY_DAY,
            left_out="customer_key IS NULL",
        ),
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
        matures=Maturing(None, "ordered_at", setting="repurchase_window_days"),
        relation=REPURCHASE_ROWS,
        summarise=_repurchase_of,
    ),
    Kpi(
        "gross_margin",
        "Gross margin",
        STAGE,
        Unit.RATIO,
        Aggregation.RATIO,
        AMOUNTS,
        ORDERED,
        "(sum of amount − sum of cost) / sum of amount over orders rows in the period that "
        "have a cost; if no order has a cost, gross_margin from the report config",
        benchmark="software often over 70%, retail around 20-30%",
        sample_size="rows",
        left_out="{n:,} order row{s} without a cost left out",
        no_denominator="no revenue in the period",
        below_zero="revenue in the period is below 0",
        relation=replace(
            IN_ORDERS,
            numerator=f"CASE WHEN {COSTED_SQL} THEN coalesce(amount, 0.0) - cost "
            "ELSE amount * {gross_margin} END",
            denominator="amount",
            left_out=f"{COSTED_SQL} AND cost IS NULL",
            edge=_margin_source,
        ),
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
        benchmark="20-30% (upsell/cross-sell success rate)",
        relation=Rows(
            "deals",
            "closed_at",
            (IS_CLOSED, _typed(UPSELL_TYPES)),
            numerator=WON_SQL,
            denominator="1.0",
        ),
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
        relation=Rows(
            "deals",
            "closed_at",
            (IS_CLOSED, _typed(RENEWAL_TYPES)),
            numerator=WON_SQL,
            denominator="1.0",
        ),
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
        relation=Rows("deals", "closed_at", (IS_WON, _typed(UPSELL_TYPES)), value="amount"),
    ),
    Kpi(
        "new_customers_won",
        "New customers won",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        ("deals.status", "deals.closed_at", "deals.account_id"),
        "closed_at of the account's first won deal",
        "count of distinct account_id whose earliest won deal (by closed_at, over all won deals) "
        "closed in the period",
        relation=Rows(
            "first_wins",
            "closed_at",
            (AFTER_FIRST_MONTH,),
            key="account_id",
            edge=_first_month_edge,
        ),
    ),
)
