"""Pipeline movement: how the open pipeline went from an earlier deals export to the current one.

A deals export is a snapshot; the report config's `previous_snapshot:` gives an earlier one
(read under the entity `previous_snapshot`) and the day it was exported (`Settings.
snapshot_day`); the current deals input is taken on the report's `as_of`. The two are matched
deal by deal by `salesmetrics.diff.classify`, which puts each deal in one move, so
`pipeline_start` + the moves = `pipeline_end`, to the cent, in total and per owner. These KPIs
read two snapshots at once, which no row-per-record relation of one input can say: their rows
are a table made here in Python once per report (`moves`, the table `pipeline_moves` of
`kpis.views.TABLES`: one row per deal, with what its move adds to the open pipeline) and each
KPI is the deals of one move (or movement), summed, with their number as the numerator.

The movement covers the days from the earlier export's day to the day before `as_of`, and
belongs to the one period that holds that last day: the report period, or the trend or time
bucket that holds it, gets the values (with a note when that period is not exactly the span
between the exports); every other period has no value, as no snapshot pair covers it. Like
`salesmetrics diff`, `slipped` and `pulled_in` are about the span's end. A deal whose row
one export rejected counts here as created or gone (`salesmetrics diff` sets it apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import numpy as np
import pandas as pd

from salesmetrics.diff import PIPELINE_MOVES, classify
from salesmetrics.kpis.base import (
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Rows,
    Unit,
)
from salesmetrics.periods import Period, between

STAGE = "movement"
ENTITY = "previous_snapshot"
TABLE = "pipeline_moves"  # the name of `moves` for the DuckDB engine (kpis.views.TABLES)
MOVED_AT = "moved_at"  # the column of `moves` that places every deal in a period
NEEDS = ("deals.deal_id", "deals.status", "deals.amount", f"{ENTITY}.deal_id", f"{ENTITY}.status")
PERIOD_DATE = "the span between the two exports (previous_snapshot's as_of to the report's)"


def span(ctx: Context) -> Period | None:
    """The days the movement covers: from the earlier export's day to the day before as_of
    (None without the earlier day, or when it is not before as_of)."""
    day = ctx.settings.snapshot_day
    if day is None or day >= ctx.as_of:
        return None
    return between(day, ctx.as_of - timedelta(days=1))


def moves(ctx: Context) -> pd.DataFrame:
    """Each deal in either export with its move and movements (`salesmetrics.diff.classify`),
    the report's breakdown dimensions and currency (the current export's, else the
    earlier's; the currency blank when neither has one), and `moved_at`, the last day of the
    span (blank without a span: no deal is in any period). Once per report (`views.TABLES`).
    """

    def build() -> pd.DataFrame:
        old, new = ctx.frame(ENTITY), ctx.frame("deals")
        covered = span(ctx)
        last = ctx.as_of - timedelta(days=1)
        # classify reads only the period's end: slipped and pulled_in are about as_of
        rows = classify(old, new, covered or between(last, last))
        ids = rows["deal_id"].astype("string")
        for column in dict.fromkeys([*ctx.dimensions, "currency"]):
            present = column in new.columns or column in old.columns
            if column == "owner" or (column != "currency" and not present):
                continue
            rows[column] = _by_id(new, column, ids).fillna(_by_id(old, column, ids))
        day = np.datetime64(covered.end, "us") if covered else np.datetime64("NaT", "us")
        return rows.assign(**{MOVED_AT: np.full(len(rows), day)})

    found: pd.DataFrame = ctx.memo("movement.pipeline", build)
    return found


def _by_id(frame: pd.DataFrame, column: str, ids: pd.Series) -> pd.Series:
    """`column` of each of `ids` in `frame` (its last row of the id), blank where absent."""
    if column not in frame.columns:
        return pd.Series(pd.NA, index=ids.index, dtype="object")
    last = frame.dropna(subset=["deal_id"]).drop_duplicates("deal_id", keep="last")
    values = pd.Series(last[column].to_numpy(), index=last["deal_id"].astype("string"))
    return ids.map(values).astype("object")


def _dimensions(ctx: Context) -> set[str]:
    """The report's dimensions `moves` carries: the owner, and those either export has."""
    old, new = ctx.frame(ENTITY), ctx.frame("deals")
    return {"owner", *(d for d in ctx.dimensions if d in new.columns or d in old.columns)}


def _edge(ctx: Context, period: Period) -> tuple[str | None, bool]:
    """No value without the earlier export's day, nor in a period that does not hold the
    span's last day; a note on the period that holds it without being the span."""
    covered = span(ctx)
    if covered is None:
        return _no_day(ctx), False
    if not period.start <= covered.end <= period.end:
        return f"no snapshot pair for {period.label}: the exports span {_days(covered)}", False
    if (period.start, period.end) == (covered.start, covered.end):
        return None, True
    return f"movement over {_days(covered)}, not the whole of {period.label}", True


def _no_day(ctx: Context) -> str:
    day = ctx.settings.snapshot_day
    if day is None:
        return "no day for the previous snapshot (previous_snapshot.as_of in the config)"
    return f"the previous snapshot ({day}) is not before as_of ({ctx.as_of})"


def _days(covered: Period) -> str:
    return f"{covered.start} to {covered.end}"


def _summary(m: Mapping[str, float | None], threshold: int) -> Aggregate:
    """The deals' value summed, and their number as the numerator (blank: no deals).

    Custom, not a sum: the report gives each step of the waterfall its number of deals beside
    its value, as `salesmetrics diff` does, and a sum carries no count."""
    return Aggregate(m["value"] or 0.0, m["deals"] or 0.0)


def _kpi(
    kpi_id: str,
    label: str,
    pick: str,
    value: str,
    formula: str,
    fails: str,
    better: bool = True,
):
    """A movement KPI: the deals of `moves` where `pick` holds (a move's id, or a boolean
    column; `fails`: why a deal where it does not is left out), each worth its `value`
    column, summed (`_summary`)."""
    where = f"move = '{pick}'" if pick in dict(PIPELINE_MOVES) else pick
    return Kpi(
        kpi_id,
        label,
        STAGE,
        Unit.CURRENCY,
        Aggregation.CUSTOM,
        NEEDS,
        PERIOD_DATE,
        formula,
        higher_is_better=better,
        relation=Rows(
            TABLE,
            MOVED_AT,
            ((where, fails),),
            value=value,
            edge=_edge,
            dimensions=_dimensions,
            measures=(("value", f"fsum({value})"), ("deals", "count(*)")),
        ),
        summarise=_summary,
    )


KPIS = (
    _kpi(
        "pipeline_start",
        "Open pipeline at start",
        "counted_old",
        "value_old",
        "sum of amount over deals open in the previous snapshot (numerator: their number)",
        "not open in the previous snapshot",
    ),
    _kpi(
        "pipeline_created",
        "Pipeline created",
        "created",
        "change",
        "sum of amount over deals open in the current export and absent from the previous one",
        "not new in the current export and open there",
    ),
    _kpi(
        "pipeline_reopened",
        "Pipeline reopened",
        "reopened",
        "change",
        "sum of amount over deals closed in the previous snapshot and open now",
        "not closed then and open now",
    ),
    _kpi(
        "pipeline_increased",
        "Pipeline amount up",
        "increased",
        "change",
        "sum of (amount now - amount then) over deals open in both with a larger amount now",
        "not open in both with a larger amount now",
    ),
    _kpi(
        "pipeline_decreased",
        "Pipeline amount down",
        "decreased",
        "change",
        "sum of (amount now - amount then) over deals open in both with a smaller amount now "
        "(negative)",
        "not open in both with a smaller amount now",
    ),
    _kpi(
        "pipeline_won",
        "Pipeline won",
        "won",
        "change",
        "- sum of the previous amount over deals open then and won now (negative: it leaves "
        "the open pipeline)",
        "not open then and won now",
        better=False,
    ),
    _kpi(
        "pipeline_lost",
        "Pipeline lost",
        "lost",
        "change",
        "- sum of the previous amount over deals open then and lost now (negative)",
        "not open then and lost now",
    ),
    _kpi(
        "pipeline_disappeared",
        "Pipeline gone from export",
        "disappeared",
        "change",
        "- sum of the previous amount over deals open then and absent from the current export "
        "(deleted, merged or filtered out; negative)",
        "not open then and absent now",
    ),
    _kpi(
        "pipeline_end",
        "Open pipeline at end",
        "counted_new",
        "value_new",
        "sum of amount over deals open in the current export (numerator: their number); "
        "pipeline_start plus the seven moves above",
        "not open in the current export",
    ),
    _kpi(
        "pipeline_advanced",
        "Pipeline advanced a stage",
        "advanced",
        "value_new",
        "sum of the current amount over deals open in both whose stage moved forward in the funnel",
        "not open in both at a later stage now",
    ),
    _kpi(
        "pipeline_moved_back",
        "Pipeline moved back a stage",
        "moved_back",
        "value_new",
        "sum of the current amount over deals open in both whose stage moved back",
        "not open in both at an earlier stage now",
        better=False,
    ),
    _kpi(
        "pipeline_slipped",
        "Pipeline slipped",
        "slipped",
        "value_new",
        "sum of the current amount over deals open in both whose expected close moved from "
        "before the current export's day to on or after it",
        "not open in both with its expected close moved past the export's day",
        better=False,
    ),
    _kpi(
        "pipeline_pulled_in",
        "Pipeline pulled in",
        "pulled_in",
        "value_new",
        "sum of the current amount over deals open in both whose expected close moved from on "
        "or after the current export's day to before it",
        "not open in both with its expected close moved before the export's day",
    ),
)
ENDS = ("pipeline_start", "pipeline_end")
MOVES = {k.id: k.id.removeprefix("pipeline_") for k in KPIS if k.id not in ENDS}
"""Each movement KPI and the step of the diff's waterfall (salesmetrics.diff) it is."""
