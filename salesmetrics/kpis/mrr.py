"""MRR KPIs: the recurring revenue at the end of a period and how it moved during it.

Everything is read from the MRR book (salesmetrics.kpis.subscriptions): customer-months with
MRR > 0, and movements dated by the month in which they show. A period covers the months whose
first day falls in it (`months_in`); its start is the month before the first of them, its end
the month of its last day (`end_month`). So October's start is September's MRR, and a quarter's
movements are those of its three months.

- The data speaks up to its horizon (the last month of monthly rows; the month of as_of for
  intervals). A period that runs past the horizon is cut to it and each value says so in its
  note; a period that starts after it has no value (None, with the note).
- Monthly rows also have an opening month (their first): its customers were paying before
  it, the opening book, so no movement is known in it. A period that holds it counts
  movements from the month after, starting from the opening book, and says so; when that
  month is the period's only one, the movements and rates have no value (None, with the
  note) while the MRR at its end has one; a period that ends before it has no value.
- In a breakdown, a customer's rows carry the dimensions of its last paying month up to the
  period's end (of its largest row in a month). A customer that changes plan during a period
  then has its start, movements and end in one group, so each group's bridge adds up.
- The MRR levels at the end (mrr, arr, customers_active, arpa) split a customer's month across
  the plans (dimensions) it pays: an add-on paid beside the main plan counts in its own plan,
  and the customer once in the total. The bridge's end for a plan is then the MRR of the
  customers whose largest plan it is, which can differ from that plan's mrr.
- Subscriptions given as a snapshot (one row per customer with a churned flag and no dates):
  mrr, arr, customers_active and arpa read the customers not churned, whatever the period (the
  note says so); the KPIs that need months are skipped for want of subscriptions.month or
  subscriptions.started_at.
- Movement amounts: new, expansion and reactivation are increases; contraction and churned
  are reported as positive amounts of decrease, except in mrr_bridge, whose values are signed
  so that start + new + expansion + contraction + churned + reactivation = end.

Each KPI is declared in SQL (`relation`) over the book as shared views (kpis.views: mrr_book,
mrr_movements, and made per report slice, `Rows.of_slice`: mrr_customers, mrr_levels,
mrr_bridge_lines); each period's note and whether its values are known come from its months'
`window` (`monthly_edge`, `end_edge`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from salesmetrics.kpis.base import Aggregation, Context, Kpi, Rows, Unit
from salesmetrics.kpis.subscriptions import (
    MOVEMENTS,
    NOT_DIMENSIONS,
    horizon,
    index_of,
    is_snapshot,
    month_label,
    months_in,
    one_currency,
    opening,
)
from salesmetrics.periods import Period

STAGE = "mrr"
MOVEMENT = "movement"  # mrr_bridge's category column
BRIDGE = ("start", *MOVEMENTS, "end")
DECREASES = ("contraction", "churned")
SNAPSHOT_NOTE = "subscriptions are a snapshot without dates: the period is ignored"
NO_MOVEMENT = "no month starts in the period: MRR is monthly, so no movement is dated in it"
NO_ACCOUNT = "no customer paying at the end of the period"
START, END = "mrr_start", "mrr_end"  # a customer's MRR in the month before the period, at its end


@dataclass(frozen=True)
class Window:
    """The months of a period that the data speaks for."""

    first: int  # the first month of movements: whose first day is in the period, after the opening
    last: int  # the end month (last < first when the period holds no first of a month)
    note: str | None  # set when the period is cut at, or lies outside, the data
    known: bool  # False when the period starts after the horizon or ends before the opening
    moved: bool = True  # False when the opening month is the period's only month
    opening: int | None = None  # the opening month, when the period holds it
    within: Period | None = None  # the days of the period that are inside first..last
    cut: bool = False  # whether the period runs past the horizon

    def end_note(self, ctx: Context) -> str | None:
        """The note on a value read at the period's end: the cut at the horizon, if any."""
        return ends_note(ctx) if self.cut else None


def window(ctx: Context, period: Period) -> Window:
    """The period's months, cut at the opening month and at the horizon."""
    first, last = months_in(period)  # the end month is `last`: end_month(period)
    limit, start = horizon(ctx), opening(ctx)
    ends = f"the subscription data ends with {month_label(limit)}"
    if index_of(period.start) > limit:
        return Window(first, last, ends, False)
    if start is not None and last < start:
        return Window(first, last, f"the subscription data starts {month_label(start)}", False)
    notes, held, since, until = [], None, period.start, period.end
    if last > limit:
        last = limit
        until = first_day(limit + 1) - timedelta(days=1)
    if start is not None and first <= start:
        held, first = start, start + 1
        since = max(period.start, first_day(first))
        notes.append(opening_note(start, last))
    if until != period.end:
        notes.append(ends_note(ctx))
    within = None
    if (since, until) == (period.start, period.end):
        within = period
    elif since <= until:
        within = Period(period.label, since, until)
    moved = held is None or first <= last
    cut = until != period.end
    return Window(first, last, "; ".join(notes) or None, True, moved, held, within, cut)


def first_day(month: int) -> date:
    """The first day of a month index."""
    year, month0 = divmod(int(month), 12)
    return date(year, month0 + 1, 1)


def ends_note(ctx: Context) -> str:
    """What a period running past the horizon says: it is cut there."""
    return f"the subscription data ends with {month_label(horizon(ctx))}: values up to its end"


def opening_note(start: int, last: int) -> str:
    """What a period holding the opening month says about its movements."""
    said = f"the subscription data starts {month_label(start)}: customers paying then are the "
    said += "opening book"
    if last > start:
        said += f"; new business and other movements are counted from {month_label(start + 1)}"
    return said


def monthly_edge(ctx: Context, period: Period, said: str = NO_MOVEMENT) -> tuple[str | None, bool]:
    """The note on what happens between months in the period (a movement, a rate), and
    whether it is known: not when the period lies outside the data or holds only the opening
    month, nor, with `said` as the note, when no month starts in it: MRR is monthly, so a week
    without a first of the month would show no movement at all (0 new customers, 100%
    retained) three weeks in four."""
    span = window(ctx, period)
    first, last = months_in(period)
    if first > last:  # not the data's edge (its opening month says so on its own)
        return (said if span.note is None else f"{said}; {span.note}"), False
    return span.note, span.known and span.moved


def end_edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """The note on what is read at the period's end (the MRR then), known whenever the end
    month is: the opening book is a book, only its movements are unknown. A snapshot ignores
    the period."""
    if is_snapshot(ctx):
        return SNAPSHOT_NOTE, True
    span = window(ctx, period)
    if not span.known:
        return span.note, False
    return span.end_note(ctx), True


def book_dimensions(ctx: Context) -> list[str]:
    """The dimensions a breakdown of the MRR book can use: the subscriptions' text columns
    (`Rows.dimensions`)."""
    return [c for c in ctx["subscriptions"].columns if c not in NOT_DIMENSIONS]


# the same rows as SQL over the shared views (kpis.views): each period's customers


def customers_rows(
    where: tuple[tuple[str, str], ...],
    edge: Callable[[Context, Period], tuple[str | None, bool]],
    source: str = "mrr_customers",
    *,
    value: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    key: str | None = None,
    category: str | None = None,
) -> Rows:
    """Rows of a view made per slice of the report (`mrr_customers`, `mrr_levels`, …), with
    the note and known-ness of each period from `edge`."""

    def checked(ctx: Context, period: Period) -> tuple[str | None, bool]:
        ctx.memo("mrr.one_currency", lambda: _one_currency(ctx))
        return edge(ctx, period)

    return Rows(
        source,
        "NULL",
        where,
        of_slice="mrr_slice",
        edge=checked,
        dimensions=book_dimensions,
        value=value,
        numerator=numerator,
        denominator=denominator,
        key=key,
        category=category,
    )


def _one_currency(ctx: Context) -> bool:
    """Whether the paying rows of the book are in one currency (or none); an error if not
    (`subscriptions.one_currency`)."""
    from salesmetrics import duck

    sql = (
        f"SELECT currency, count(*) FROM {duck.source(ctx, 'mrr_paying')} "
        "WHERE currency IS NOT NULL GROUP BY currency ORDER BY 2 DESC, min(_row_)"
    )
    one_currency([(str(c), int(n)) for c, n in duck.connection(ctx).execute(sql).fetchall()])
    return True


MONTH_STARTS = ("month_starts", "a first of a month is in the period")


def moved_sql(kind: str) -> Rows:
    """The customers with a movement of `kind` in the period, `value` its amount (a positive
    decrease for contraction and churned)."""
    sign = "-" if kind in DECREASES else ""
    flag = (f"is_{kind}", f"a {kind} movement in the period")
    return customers_rows((MONTH_STARTS, flag), monthly_edge, value=f"{sign}mrr_{kind}")


LEVELS = customers_rows((), end_edge, "mrr_levels", value="mrr")
ANY_MOVE = " OR ".join(f"is_{k}" for k in MOVEMENTS)


SUBSCRIPTIONS = ("subscriptions.customer_id", "subscriptions.mrr")
DATED = "subscriptions.month|subscriptions.started_at"
DATED_OR_SNAPSHOT = f"{DATED}|subscriptions.churned"
AT_END = (
    "the period's end month, the month of its last day (cut at the last month of data); "
    "a snapshot ignores the period"
)
IN_MONTHS = (
    "the month a movement shows in: months whose first day is in the period (churn shows the "
    "month after the last paying month)"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "mrr",
        "MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        AT_END,
        "sum of MRR (several rows of a customer in a month summed) over customers paying in the "
        "period's end month; snapshot: sum of mrr over customers not churned",
        relation=LEVELS,
    ),
    Kpi(
        "arr",
        "ARR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        AT_END,
        "12 × mrr: 12 × the sum of MRR over customers paying in the period's end month "
        "(snapshot: customers not churned)",
        relation=replace(LEVELS, value="mrr * 12.0"),
    ),
    Kpi(
        "customers_active",
        "Active customers",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT_DISTINCT,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        AT_END,
        "count of distinct customers with MRR > 0 in the period's end month; snapshot: "
        "distinct customers not churned",
        relation=replace(LEVELS, value=None, key="customer_id"),
    ),
    Kpi(
        "arpa",
        "ARPA (MRR per active customer)",
        STAGE,
        Unit.CURRENCY,
        Aggregation.RATIO,
        (*SUBSCRIPTIONS, DATED_OR_SNAPSHOT),
        AT_END,
        "mrr / customers_active: sum of MRR in the period's end month / distinct customers "
        "paying in it (snapshot: over customers not churned)",
        no_denominator=NO_ACCOUNT,
        relation=replace(LEVELS, value=None, numerator="mrr", key="customer_id"),
    ),
    Kpi(
        "mrr_new",
        "New MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of MRR in their first paying month over customers whose first paying month is in "
        "the period",
        relation=moved_sql("new"),
    ),
    Kpi(
        "mrr_expansion",
        "Expansion MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of increases of MRR from one month to the next (paying in both) over months in the "
        "period",
        relation=moved_sql("expansion"),
    ),
    Kpi(
        "mrr_contraction",
        "Contraction MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of decreases of MRR, not to zero, from one month to the next over months in the "
        "period, as a positive amount",
        relation=moved_sql("contraction"),
        higher_is_better=False,
    ),
    Kpi(
        "mrr_churned",
        "Churned MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of the last paying month's MRR over customers at zero the month after, that month "
        "in the period and not after the last month of data, as a positive amount",
        relation=moved_sql("churned"),
        higher_is_better=False,
    ),
    Kpi(
        "mrr_reactivation",
        "Reactivation MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "sum of MRR over customers paying in a month of the period after at least one month "
        "at zero since an earlier paying month",
        relation=moved_sql("reactivation"),
    ),
    Kpi(
        "net_new_mrr",
        "Net new MRR",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        IN_MONTHS,
        "mrr_new + mrr_expansion + mrr_reactivation − mrr_contraction − mrr_churned in the "
        "period (= MRR at its end − MRR in the month before its first month)",
        relation=customers_rows(
            (MONTH_STARTS, (ANY_MOVE, "a movement in the period")),
            monthly_edge,
            value=" + ".join(f"mrr_{k}" for k in MOVEMENTS),
        ),
    ),
    Kpi(
        "mrr_bridge",
        "MRR bridge",
        STAGE,
        Unit.CURRENCY,
        Aggregation.SUM,
        (*SUBSCRIPTIONS, DATED),
        f"start: the month before the period's first month; end: its end month; {IN_MONTHS}",
        "per movement: start (MRR of the month before the period's first month), new, "
        "expansion, contraction, churned, reactivation (signed sums in the period, decreases "
        "negative), end (MRR at the end month); start + movements = end, checked",
        category=MOVEMENT,
        category_order=BRIDGE,
        relation=customers_rows(
            (), monthly_edge, "mrr_bridge_lines", value="bridge_amount", category="bridge_line"
        ),
    ),
)
