"""Computes KPIs for a period and breakdown: aggregation of KPI rows happens here, once.

A KPI is evaluated on slices of time: the period itself and, with a month/week/quarter
breakdown, each bucket of it. In each slice there is a total and, with dimension breakdowns,
one value per group: every combination of the dimensions found in the KPI's entity, so a group
with no rows in the period still appears (a count of 0, a ratio with no value). The comparison
period and the trend periods are evaluated the same way and matched to each value by group.

A value that later data can still change (a cohort KPI, `Kpi.matures`, whose period ended
fewer days before the cutoff than its conversion window; a snapshot of a period not over) is
`maturing`: it gets no status, and a maturing cohort's comparison and trend periods are
counted at the same age, with only the outcomes that happened within as many days after
their own end as the report period has had (`_aged`).

At the data's edges: a count or sum of a slice that runs past its inputs' end (or `as_of`) is
taken up to it, compared on the same days of the earlier periods, and maturing too (`_plan`);
a slice wholly after an input the KPI reads, or a comparison slice wholly before it, has no
values, only the reason (`_outside`): whatever engine found them, they are not measurements.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics import tables
from salesmetrics.breakdowns import arrange, by_value, natural
from salesmetrics.coverage import SPAN_DATES, Cover, calendar_warning, covers, outside, uncovered
from salesmetrics.currency import Rates, convert
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis import forecast
from salesmetrics.kpis.base import (
    SMALL_SAMPLE,
    Aggregate,
    Aggregation,
    Context,
    Kpi,
    Settings,
)
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES, VARIANTS
from salesmetrics.kpis.close import SNAPSHOT
from salesmetrics.kpis.edges import joined, reach, same_part
from salesmetrics.kpis.quotas import allocated
from salesmetrics.periods import Period, buckets, comparison, trend
from salesmetrics.report import (
    DataWarning,
    Feeds,
    KpiValue,
    Report,
    Skipped,
    TrendPoint,
    finite,
)
from salesmetrics.schema import ENTITIES, Kind
from salesmetrics.tables import InPlace, Table
from salesmetrics.targets import KpiTargets, Target, status

if TYPE_CHECKING:
    from salesmetrics import duck

TIME_DIMENSIONS = ("month", "week", "quarter")
QUOTA_WARN = 0.9  # at risk from 90% of quota, unless the report config says otherwise
QUOTA_KPIS = ("revenue_won", *forecast.IDS)  # held against the quotas when no target is given
Key = tuple[tuple[tuple[str, str], ...], str | None, str | None]  # group, category, subcategory


def compute(
    frames: Mapping[str, Table],
    *,
    period: Period,
    as_of: date,
    group_by: Iterable[str] = (),
    kpis: Iterable[str] | None = None,
    stages: Iterable[str] | None = None,
    compare: str = "none",
    trend_periods: int = 0,
    settings: Settings | None = None,
    targets: Mapping[str, KpiTargets] | None = None,
    rates: Rates | None = None,
    small_sample: int = SMALL_SAMPLE,
    strict: bool = False,
    fiscal_start_month: int = 1,
    hints: Mapping[str, str] | None = None,
    all_groups: bool = True,
    variants: Mapping[str, str] | None = None,
) -> Report:
    """Every selected KPI, in total and per group of `group_by`, for `period`. `hints` gives,
    for an `entity.field` an input lacks, the header(s) that would bring it ("Create Date"):
    a KPI skipped for want of it says what to add to the export. Groups and categories come
    in the order of `salesmetrics.breakdowns`; `all_groups` False leaves out of each stage the
    groups with no rows in the period or the comparison, as the report does by default
    (`pipeline.compute_report`); a caller of this function gets every group unless it asks.
    `variants` chooses, by KPI id, which of its named
    variants is computed under the id (salesmetrics.variants); the default one otherwise."""
    by = tuple(group_by)
    time = [d for d in by if d in TIME_DIMENSIONS]
    if len(time) > 1:
        raise SalesmetricsError(f"break down by one of month, week, quarter, not {time}")
    attrs = tuple(d for d in by if d not in TIME_DIMENSIONS)
    data = prepare(frames, rates)
    _check_dimensions(attrs, data)
    ctx = Context(
        data, as_of, settings or Settings(), compare, fiscal_start_month, attrs, small_sample
    )
    bucketed = buckets(period, time[0], fiscal_start_month=fiscal_start_month) if time else []
    current: list[tuple[Period, tuple[tuple[str, str], ...]]] = [(period, ())] + [
        (b, ((time[0], b.label),)) for b in bucketed
    ]
    earlier = comparison(period, compare)
    before: list[tuple[Period, tuple[tuple[str, str], ...]]] = []
    if earlier is not None:
        before = [(earlier, ())] + [(_earlier(b, compare), ((time[0], b.label),)) for b in bucketed]
    history = trend(period, trend_periods) if trend_periods else []
    chosen = select(kpis, stages, variants)
    missing = {kpi.id: reason for kpi in chosen if (reason := _missing(kpi.needs, data, hints))}
    able = [kpi for kpi in chosen if kpi.id not in missing]
    ages = {kpi.id: _ages(kpi, ctx, current) for kpi in able}
    plans = {
        kpi.id: _plan(kpi, current, before, history, ages[kpi.id], period, _edges(kpi, ctx))
        for kpi in able
    }
    found, unsplit = _evaluate_all(able, ctx, plans, attrs, small_sample)
    covered = covers(data, as_of, fiscal_start_month)
    values: list[KpiValue] = []
    skipped = [Skipped(kpi.id, missing[kpi.id]) for kpi in chosen if kpi.id in missing]
    totals_only = [
        Skipped(kpi.id, _not_split(kpi, attrs, unsplit[kpi.id], data))
        for kpi in able
        if kpi.id in unsplit
    ]
    why = {s.id: s.reason for s in totals_only}
    active: dict[tuple[str, tuple[tuple[str, str], ...]], bool] = {}
    for kpi in able:
        plan = plans[kpi.id]
        later = {e: last for e, (_, last) in _counted_days(kpi, ctx).items()}
        unknown = _outside(kpi, found[kpi.id], plan, covered, _reads(kpi, data), as_of, later)
        now = _merged(found[kpi.id], plan.current, {*ages[kpi.id], *plan.notes})
        previous = _merged(found[kpi.id], plan.before)
        series = [found[kpi.id][each] for each in plan.history]
        goals = _targets(kpi, ctx, period, attrs, (targets or {}).get(kpi.id))
        gone = {
            each[1]: f"no comparison: {unknown[each]}" for each in plan.before if each in unknown
        }
        for key, value in now.items():
            outer = tuple(pair for pair in value.group if pair[0] in TIME_DIMENSIONS)
            said = (plan.notes.get(outer), gone.get(outer) if value.value is not None else None)
            if kpi.id in why or any(said):
                value = replace(value, note=joined(value.note, *said, why.get(kpi.id)))
            prior = previous.get(key)
            rows = value.n > 0 or (prior is not None and prior.n > 0)
            active[(kpi.stage, value.group)] = active.get((kpi.stage, value.group), False) or rows
            values.append(_complete(kpi, value, key, previous, history, series, goals))
    values, left_out = arrange(values, attrs, active, all_groups)
    if strict and skipped:
        listed = "; ".join(f"{s.id}: {s.reason}" for s in skipped)
        raise SalesmetricsError(f"strict mode: {len(skipped)} KPIs cannot be computed: {listed}")
    return Report(
        period,
        as_of,
        by,
        tuple(values),
        tuple(skipped),
        earlier,
        _currency(data, rates),
        tuple(history),
        warnings=_warnings(able, data, period, as_of, fiscal_start_month, targets),
        unsplit=tuple(totals_only),
        groups_left_out=tuple(left_out.items()),
    )


def _reads(kpi: Kpi, frames: Mapping[str, Table]) -> list[str]:
    """The inputs a computable KPI reads: of "a.x|b.y", the first that the data has."""
    found = []
    for need in kpi.needs:
        options = need.split("|")
        used = next((o for o in options if not _lacks(o, frames)), options[0])
        found.append(used.split(".")[0])
    return list(dict.fromkeys(found))


def _not_split(
    kpi: Kpi, attrs: tuple[str, ...], absent: list[str], frames: Mapping[str, Table]
) -> str:
    """Why a KPI is given in total only: the inputs it reads that lack the dimension."""
    reads = _reads(kpi, frames)
    reasons = []
    for dimension in absent:
        lacking = [e for e in reads if e in frames and dimension not in frames[e].columns]
        holder = " and ".join(lacking) if lacking else f"{kpi.id}'s rows"
        reasons.append(f"{holder} carry no {dimension}")
    return f"not split by {', '.join(attrs)}: {'; '.join(reasons)}"


def _warnings(
    kpis: list[Kpi],
    frames: Mapping[str, Table],
    period: Period,
    as_of: date,
    fiscal_start_month: int,
    targets: Mapping[str, KpiTargets] | None,
) -> tuple[DataWarning, ...]:
    """The inputs the KPIs read that have no row in the period (coverage.uncovered)."""
    read: dict[str, list[str]] = {}
    for kpi in kpis:
        for entity in _reads(kpi, frames):
            read.setdefault(entity, []).append(kpi.id)
    for kpi in kpis:
        if kpi.id in QUOTA_KPIS and "targets" in frames and not (targets or {}).get(kpi.id):
            read.setdefault("targets", []).append(kpi.id)  # its target: the quotas
    ordered = {e: read[e] for e in frames if e in read}
    named = {e: ids if e == "targets" else [] for e, ids in ordered.items()}
    covered = covers({e: frames[e] for e in named}, as_of, fiscal_start_month)
    found = uncovered(covered, period, named)
    quotas = frames.get("targets")
    if "targets" in named and isinstance(quotas, pd.DataFrame):
        labels = calendar_warning(quotas, covered.get("targets"), as_of, fiscal_start_month)
        found += (labels,) if labels is not None else ()
    return found


def _check_dimensions(attrs: tuple[str, ...], data: Mapping[str, Table]) -> None:
    """A breakdown no input can give (`--by regoin`) is a mistake, not a report of totals
    each noted "not split by regoin"."""
    known = {c for frame in data.values() for c in frame.columns if not c.startswith("_")}
    for dimension in attrs:
        if dimension not in known:
            close = difflib.get_close_matches(dimension, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SalesmetricsError(
                f"no input has a `{dimension}` to break down by{hint} (a dimension is a "
                "canonical field or a column a mapping keeps, e.g. owner, team, source, region)"
            )


def _earlier(period: Period, mode: str) -> Period:
    found = comparison(period, mode)
    assert found is not None  # mode is not "none" here
    return found


def select(
    kpis: Iterable[str] | None = None,
    stages: Iterable[str] | None = None,
    variants: Mapping[str, str] | None = None,
) -> list[Kpi]:
    """The KPIs named by id or by stage, in catalogue order; all of them when neither is given;
    each KPI `variants` names a variant of as that variant (names checked by the config)."""
    ids, wanted = list(kpis or ()), list(stages or ())
    if not ids and not wanted:
        return [_chosen(k, variants) for k in CATALOGUE.values()]
    for kpi_id in ids:
        if kpi_id not in CATALOGUE:
            close = difflib.get_close_matches(kpi_id, CATALOGUE, n=1)
            hint = f"; did you mean {close[0]}?" if close else "; `salesmetrics kpis` lists them"
            raise SalesmetricsError(f"unknown KPI {kpi_id!r}{hint}")
    for stage in wanted:
        if stage not in STAGES:
            raise SalesmetricsError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
    return [_chosen(k, variants) for k in CATALOGUE.values() if k.id in ids or k.stage in wanted]


def _chosen(kpi: Kpi, variants: Mapping[str, str] | None) -> Kpi:
    """The KPI's declaration, or the variant of it that `variants` names."""
    name = (variants or {}).get(kpi.id)
    return VARIANTS[kpi.id][name] if name is not None else kpi


def prepare(frames: Mapping[str, Table], rates: Rates | None) -> dict[str, Table]:
    """Frames ready for KPIs: amounts in the reporting currency, each owner's team from reps.
    An input read in place (salesmetrics.tables) carries no currency (canonical.read): it is
    given its teams as DuckDB reads it."""
    data: dict[str, Table] = dict(frames)
    if rates is not None:
        data |= convert({n: f for n, f in frames.items() if isinstance(f, pd.DataFrame)}, rates)
    reps = data.get("reps")
    if isinstance(reps, pd.DataFrame) and "team" in reps.columns:
        latest = reps.sort_values("started_at") if "started_at" in reps.columns else reps
        team = latest.dropna(subset=["team"]).drop_duplicates("owner", keep="last")
        for name, frame in data.items():
            lacks = "team" not in frame.columns or tables.blank(frame, "team")
            if name == "reps" or "owner" not in frame.columns or not lacks:
                continue
            if isinstance(frame, InPlace):  # looked up as DuckDB reads its rows
                data[name] = frame.with_teams(pa.array(team["owner"]), pa.array(team["team"]))
            else:
                data[name] = frame.assign(
                    team=_looked_up(frame["owner"], team["owner"], team["team"])
                )
    return data


def _looked_up(keys: pd.Series, known: pd.Series, values: pd.Series) -> pd.Series:
    """`values` by `known` key for each of `keys` (blank where unknown): a hash lookup in the
    few known keys (a roster's owners), not an index built over every row's key."""
    text = pa.string()
    found = pc.take(
        pa.array(values).cast(text),
        pc.index_in(pa.array(keys).cast(text), value_set=pa.array(known).cast(text)),
    )
    return pd.Series(found, index=keys.index, dtype=pd.ArrowDtype(text)).astype(values.dtype)


def span(frames: Mapping[str, Table]) -> tuple[date, date] | None:
    """The first and last event date in the data, for `--period all`."""
    found: list[pd.Timestamp] = []
    for name, columns in SPAN_DATES.items():
        frame = frames.get(name)
        if frame is None:
            continue
        for column in columns:
            found += tables.bounds(frame, column) or ()
    if not found:
        return None
    return min(found).date(), max(found).date()


def _currency(data: Mapping[str, Table], rates: Rates | None) -> str | None:
    if rates is not None:
        return rates.currency
    codes = {str(c) for frame in data.values() for c in tables.values(frame, "currency")}
    return codes.pop() if len(codes) == 1 else None


def _missing(
    needs: Iterable[str], frames: Mapping[str, Table], hints: Mapping[str, str] | None
) -> str | None:
    """Why the first need that no input meets is not met, with the headers that would meet
    it: `needs deals.created_at: add Create Date to the export`; None when all are met."""
    known = hints or {}
    for need in needs:
        options = need.split("|")
        reasons = [_lacks(option, frames) for option in options]
        if all(reasons):
            reason = str(reasons[0]) if len(options) == 1 else "needs " + " or ".join(options)
            wanted = [known[o.rstrip("?")] for o in options if o.rstrip("?") in known]
            return reason + (f": add {' or '.join(wanted)} to the export" if wanted else "")
    return None


def feeds(entity: str, frame: pd.DataFrame, hints: Mapping[str, str] | None = None) -> Feeds:
    """Which KPIs that read `entity` this one input of it can feed. A KPI it cannot feed lacks
    a need of this entity alone (deals.created_at); a need another input may meet instead
    ("activities.lead_id|deals.lead_id") is left to it, and a KPI whose only needs of this
    entity are such, none met here, does not read this input and is not listed."""
    frames = {entity: frame}
    can: list[str] = []
    cannot: list[Skipped] = []
    for kpi in CATALOGUE.values():
        here = [n for n in kpi.needs if any(o.startswith(f"{entity}.") for o in n.split("|"))]
        alone = [n for n in here if all(o.startswith(f"{entity}.") for o in n.split("|"))]
        shared = [n for n in here if n not in alone]
        reason = _missing(alone, frames, hints)
        if reason is not None:
            cannot.append(Skipped(kpi.id, reason))
        elif alone or any(_missing((n,), frames, None) is None for n in shared):
            can.append(kpi.id)
    return Feeds(tuple(can), tuple(cannot))


def _lacks(need: str, frames: Mapping[str, Table]) -> str | None:
    entity, column = need.rstrip("?").split(".")
    frame = frames.get(entity)
    if frame is None:
        return f"needs {entity} (no {entity} input)"
    if column not in frame.columns:
        return f"needs {entity}.{column}"
    if not need.endswith("?") and tables.blank(frame, column):
        return f"needs {entity}.{column} (the column is blank)"
    return None


Outer = tuple[tuple[str, str], ...]  # a time bucket's label, () for the whole period
Slice = tuple[Period, Outer, date | None]
"""A period, its bucket's label if any, and the cutoff of a same-age view (None: all data)."""


@dataclass(frozen=True)
class Plan:
    """The slices one KPI is evaluated in: the report period and its buckets, the comparison
    periods matched to them, and the trend periods; aged where the current value matures. A
    count or sum cut at the data's edge has, for its slice, a note saying so (`notes`)."""

    current: list[Slice]
    before: list[Slice]
    history: list[Slice]
    notes: Mapping[Outer, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Edges:
    """The days a count or sum is known on (`_edges`), each end with what sets it ("deals start
    2025-01-01", "leads end 2026-10-31", "as of 2026-10-20")."""

    since: date
    until: date
    start: str
    end: str


def _grows(kpi: Kpi) -> bool:
    """Whether the KPI is a total that grows with the days of its period (leads created,
    revenue won): not a snapshot at the period's end, a cohort, a rate per day, or rows made
    per slice, which cut the slice themselves (`Rows.of_slice`)."""
    counted = kpi.aggregation in (Aggregation.COUNT, Aggregation.SUM)
    sliced = kpi.relation.of_slice is not None
    return counted and kpi.matures is None and not kpi.per_day and not sliced


def _edges(kpi: Kpi, ctx: Context) -> Edges | None:
    """Where a growing total's data starts and stops: the days its inputs reach
    (`kpis.edges.reach`), stretched to the dates it counts by (`_counted_days`), from the
    earliest first day to the latest last day (a count of demos held, from the activities or
    else the deals, has data as long as either has); None for other KPIs, or without a dated
    input."""
    if not _grows(kpi):
        return None
    reached = {e: r for e in _reads(kpi, ctx.frames) if (r := reach(ctx, e)) is not None}
    for entity, (earliest, latest) in _counted_days(kpi, ctx).items():
        since, until = reached.get(entity, (earliest, latest))
        reached[entity] = (min(since, earliest), max(until, latest))
    if not reached:
        return None
    opens = min(reached, key=lambda e: reached[e][0])
    closes = max(reached, key=lambda e: reached[e][1])
    since, until = reached[opens][0], reached[closes][1]
    end = f"{closes} end {until}"
    if ctx.as_of < until:
        until, end = ctx.as_of, f"as of {ctx.as_of}"
    return Edges(since, until, f"{opens} start {since}", end)


PLANNED = ("deals.expected_close_at", "subscriptions.ended_at")
"""Dates a plan or a schedule sets, which may lie ahead: not how far an input's data reaches."""


def _counted_days(kpi: Kpi, ctx: Context) -> dict[str, tuple[date, date]]:
    """By input, the first and last day of the date columns the KPI needs (not PLANNED ones):
    a date it counts by that is not one of the input's event dates (a lead's sql_at, a deal's
    entered_demo) may run past them, and the input reaches as far as it does for this KPI."""
    found: dict[str, tuple[date, date]] = {}
    for need in kpi.needs:
        for option in need.split("|"):
            if option.rstrip("?") in PLANNED:
                continue
            entity, column = option.rstrip("?").split(".")
            spec = ENTITIES[entity].field(column) if entity in ENTITIES else None
            frame = ctx.frames.get(entity)
            if spec is None or spec.kind is not Kind.DATETIME or frame is None:
                continue
            days = _days_of(frame, column)
            if days is not None:
                first, last = found.get(entity, days)
                found[entity] = (min(first, days[0]), max(last, days[1]))
    return found


def _days_of(frame: Table, column: str) -> tuple[date, date] | None:
    """The first and last day of a date column; None when it is absent or blank."""
    found = tables.bounds(frame, column)
    return None if found is None else (found[0].date(), found[1].date())


def _outside(
    kpi: Kpi,
    found: dict[Slice, dict[Key, KpiValue]],
    plan: Plan,
    covered: Mapping[str, Cover],
    reads: list[str],
    as_of: date,
    later: Mapping[str, date],
) -> dict[Slice, str]:
    """The slices wholly after an input the KPI reads, or (comparison and trend slices) wholly
    before it (`coverage.outside`), their values made unknown in `found` with the reason as
    their note; the reason of each. A report slice before the data keeps its values: its
    warning says it has no rows. A slice that starts after `as_of` is the future, not data
    gone stale, and a forecast of a period not over reads the deals open now."""
    unknown = {}
    mine = set(plan.current)
    for each, values in found.items():
        period = each[0]
        if period.start > as_of or (kpi.id in forecast.IDS and period.end >= as_of):
            continue
        reason = outside(covered, period, reads, before=each not in mine, later=later)
        if reason is None:
            continue
        unknown[each] = reason
        found[each] = {
            key: replace(
                v, value=None, numerator=None, denominator=None, n=0, small_sample=False,
                note=reason, maturing=False,
            )
            for key, v in values.items()
        }  # fmt: skip
    return unknown


def _ages(kpi: Kpi, ctx: Context, current: list[tuple[Period, Outer]]) -> dict[Outer, int]:
    """For each slice of the report period whose value is maturing, its age: the days from the
    slice's last day to the cutoff (`as_of`, or the last day of the data the KPI reads if
    earlier); negative while the slice is not over. None maturing: an empty mapping. A slice
    that starts after the cutoff has no data to mature (its inputs are stale, and the report
    warns of that): compared at a negative age, an earlier cohort would read as 0."""
    window = _window(kpi, ctx.settings)
    if window is None:
        return {}
    cutoff = _cutoff(kpi, ctx)
    found = {}
    for period, outer in current:
        age = (cutoff - period.end).days
        if age < window and cutoff >= period.start:
            found[outer] = age
    return found


def _window(kpi: Kpi, settings: Settings) -> int | None:
    """The KPI's conversion window in days: the config's for it, else its own setting's
    (conversion_window_days for lead_conversion_rate), else its declared default."""
    if kpi.matures is None:
        return None
    if kpi.id in settings.conversion_windows:
        return settings.conversion_windows[kpi.id]
    own = getattr(settings, kpi.matures.setting) if kpi.matures.setting else None
    return own if own is not None else kpi.matures.days


def _cutoff(kpi: Kpi, ctx: Context) -> date:
    """The last day later data could have reached: as_of, or the data's end when it is earlier
    (an export taken before as_of): the last event date in the inputs the KPI reads. The
    latest of them, as an input with no event near the end (no lead created in the last days)
    still reaches it."""
    ends = [day for e in _reads(kpi, ctx.frames) if (day := _last_day(ctx, e)) is not None]
    return min(ctx.as_of, max(ends)) if ends else ctx.as_of


def _last_day(ctx: Context, entity: str) -> date | None:
    """The last event date of an input (the dates `--period all` spans); None if it has none."""

    def build() -> date | None:
        frame = ctx.frames.get(entity)
        if frame is None:
            return None
        days = [found[1] for c in SPAN_DATES.get(entity, ()) if (found := tables.bounds(frame, c))]
        return max(days).date() if days else None

    found: date | None = ctx.memo(f"last_day:{entity}", build)
    return found


def _plan(
    kpi: Kpi,
    current: list[tuple[Period, Outer]],
    before: list[tuple[Period, Outer]],
    history: list[Period],
    ages: Mapping[Outer, int],
    period: Period,
    edges: Edges | None = None,
) -> Plan:
    """The KPI's slices. A comparison or trend period of a maturing cohort is cut at the same
    age: at its last day + the age, or, while the report slice is not over (a negative age),
    after as many days from its start as the report slice has had, and its records created
    after that day are left out: they did not exist yet at that age. The report period itself
    (the last trend period) is not cut.

    A growing total (`_grows`) whose slice runs past `edges.until` (an input's end, or as_of)
    is taken up to it, and its comparison and trend periods over the same days of theirs
    (`kpis.edges.same_part`, the same-length view): a quarter with one month of data against
    the first month of the quarter before, not all of it. A comparison period that starts
    before the data (`edges.since`) is counted on the days it covers; both are noted."""
    aged = kpi.matures is not None and kpi.matures.outcome is not None
    whole = {outer: p for p, outer in current}
    parts = {outer: _part(p, edges) for p, outer in current}
    notes: dict[Outer, str] = {}

    def earlier(p: Period, outer: Outer) -> Slice:
        mine, part = whole.get(outer, period), parts.get(outer, period)
        if part != mine:
            return (same_part(part, mine, p), outer, None)
        if not aged or outer not in ages:
            return (p, outer, None)
        if ages[outer] >= 0:
            return (p, outer, p.end + timedelta(days=ages[outer]))
        limit = min(p.end, p.start + (mine.end + timedelta(days=ages[outer]) - mine.start))
        return (replace(p, end=limit), outer, limit)

    compared = [earlier(p, outer) for p, outer in before]
    for p, outer in before:
        mine, part = whole[outer], parts[outer]
        if part != mine and edges is not None:
            notes[outer] = (
                f"{edges.end}: {part.days} of {mine.days} days; "
                f"compared with the same days of {p.label}"
            )
        elif edges is not None and p.start < edges.since <= p.end:
            notes[outer] = (
                f"{p.label}: {edges.start}: {(p.end - edges.since).days + 1} of {p.days} days"
            )
    for outer, part in parts.items():
        if part != whole[outer] and edges is not None and outer not in notes:
            notes[outer] = f"{edges.end}: {part.days} of {whole[outer].days} days"
    return Plan(
        [(parts[outer], outer, None) for _, outer in current],
        compared,
        [(parts[()], (), None) if p == period else earlier(p, ()) for p in history],
        notes,
    )


def _part(p: Period, edges: Edges | None) -> Period:
    """The days of a report slice up to where a growing total's data stops (the slice itself
    when it does not run past it, or starts after it: after the data, or in the future)."""
    if edges is None or not p.start <= edges.until < p.end:
        return p
    return replace(p, end=edges.until)


def _evaluate_all(
    kpis: list[Kpi],
    ctx: Context,
    plans: Mapping[str, Plan],
    attrs: tuple[str, ...],
    small_sample: int,
) -> tuple[dict[str, dict[Slice, dict[Key, KpiValue]]], dict[str, list[str]]]:
    """Every KPI's values in each distinct slice of its plan (the report period is also the
    last trend period, and the comparison period often another), and the KPIs whose rows lack
    some of `attrs` (given in total only) with those dimensions. Each KPI gets all its slices
    from one query, shared with the KPIs that read the same source placed the same way
    (`duck.measure_all`)."""
    found: dict[str, dict[Slice, dict[Key, KpiValue]]] = {}
    unsplit: dict[str, list[str]] = {}
    universes = {kpi.id: _universe(kpi, ctx, attrs) for kpi in kpis}
    slices = {
        k: list(dict.fromkeys([*plan.current, *plan.before, *plan.history]))
        for k, plan in plans.items()
    }
    asked = {kpi.id: _asked(kpi, ctx, slices[kpi.id], attrs) for kpi in kpis}
    measured = _measured_all(ctx, asked)
    for kpi in kpis:
        found[kpi.id] = _declared(
            kpi, ctx, slices[kpi.id], small_sample, universes[kpi.id], asked[kpi.id], measured
        )
        if asked[kpi.id].absent:
            unsplit[kpi.id] = asked[kpi.id].absent
    return found, unsplit


@dataclass(frozen=True)
class Asked:
    """What a declared KPI is measured in (`_asked`): its query (salesmetrics.duck), the part
    of each slice's period its rows are counted over and the note when that is not all of it
    (`Rows.within`), and the report's dimensions its inputs lack (then the total only)."""

    query: duck.Query
    cuts: list[tuple[Period | None, str | None]]
    absent: list[str]


def _asked(kpi: Kpi, ctx: Context, slices: list[Slice], attrs: tuple[str, ...]) -> Asked:
    """A KPI declared in SQL: the query that measures it in every slice, grouped by `attrs`
    unless its inputs lack one of them. Each slice's rows are counted over the part of its
    period `Rows.within` gives, if any. Amounts in several currencies in one slice are an
    error, before anything is measured."""
    from salesmetrics import duck

    rows = kpi.relation
    absent = [d for d in attrs if d not in _dimensions(kpi, ctx)] if attrs else []
    cuts = [
        rows.within(ctx, period) if rows.within is not None else (period, None)
        for period, _, _ in slices
    ]
    periods = tuple(
        (cut or period, cutoff) for (cut, _), (period, _, cutoff) in zip(cuts, slices, strict=True)
    )
    against = (
        tuple(rows.against(ctx, p) for p, _, _ in slices) if rows.against is not None else None
    )
    if any(is_money(n) for n in kpi.needs):
        for listed in duck.currencies(kpi, ctx, periods, against).values():
            shown = ", ".join(f"{c} ({n:,} rows)" for c, n in listed)
            raise SalesmetricsError(
                f"{kpi.id}: amounts are in several currencies: {shown}; "
                "give a reporting currency and rates in the report config"
            )
    split = () if absent else attrs
    return Asked(duck.Query(kpi, periods, split, against), cuts, absent)


def _dimensions(kpi: Kpi, ctx: Context) -> set[str]:
    """The dimensions a declared KPI's rows can be broken down by: those its inputs and its
    source both have (`Rows.inputs`; by default, the input of its first need), or those
    `Rows.dimensions` says."""
    from salesmetrics import duck

    rows = kpi.relation
    if rows.dimensions is not None:
        return set(rows.dimensions(ctx))
    default = (_reads(kpi, ctx.frames)[0],)  # of "a.x|b.y", the input the data has
    frames = [set(ctx.frames[e].columns) for e in rows.inputs or default if e in ctx.frames]
    return set.intersection(*frames, duck.columns(ctx, rows.source))


def _measured_all(ctx: Context, asked: Mapping[str, Asked]) -> dict[str, duck.Measured]:
    """Every declared KPI's Stats, by id: the KPIs that can share a query share it
    (`duck.measure_all`)."""
    from salesmetrics import duck

    found = duck.measure_all(ctx, [each.query for each in asked.values()])
    return dict(zip(asked, found, strict=True))


def _declared(
    kpi: Kpi,
    ctx: Context,
    slices: list[Slice],
    small_sample: int,
    universe: set[tuple[str, ...]],
    asked: Asked,
    measured: Mapping[str, duck.Measured],
) -> dict[Slice, dict[Key, KpiValue]]:
    """A KPI declared in SQL: its values in every slice, from its Stats (`_measured_all`)."""
    rows = kpi.relation
    split = asked.query.attrs
    given = dict(rows.given(ctx)) if rows.given is not None else {}
    found: dict[Slice, dict[Key, KpiValue]] = {}
    for at, (period, outer, _) in enumerate(slices):
        groups = measured[kpi.id][at]
        if rows.scale is not None:
            groups = _scaled(groups, rows.scale(ctx, period))
        values: dict[Key, KpiValue] = {}
        named = {labels for labels in groups if labels is not None}
        labelled = [None, *sorted(named | (universe if split else set()))]
        for labels in labelled:
            pairs = outer + (() if labels is None else tuple(zip(split, labels, strict=True)))
            found_here = groups.get(labels, {})
            for value in _declared_values(kpi, found_here, pairs, small_sample, given):
                values[(value.group, value.category, value.subcategory)] = value
        note, known = rows.edge(ctx, period) if rows.edge is not None else (None, True)
        cut, said = asked.cuts[at]
        note, known = joined(said, note), known and cut is not None
        found[slices[at]] = _at_edge(values, note, known)
    return found


def _scaled(groups, factor: float):
    """The Stats of a slice's groups (salesmetrics.duck.measure) with their values multiplied
    by `factor` (`Rows.scale`)."""
    return {
        labels: {
            split: replace(each, value=None if each.value is None else each.value * factor)
            for split, each in found.items()
        }
        for labels, found in groups.items()
    }


def _declared_values(
    kpi: Kpi, stats, pairs, small_sample: int, given: Mapping[str, float | None] | None = None
) -> list[KpiValue]:
    """One group's values from the Stats of its categories (salesmetrics.duck.measure);
    `given`: a custom KPI's measures the report gives (`Rows.given`)."""
    from salesmetrics.duck import Stats

    if kpi.category is None:
        found = stats.get((None, None), Stats(0, 0, 0, None, 0.0, 0.0))
        agg, n = _of_stats(kpi, found, 0.0, small_sample, given)
        return [_value(kpi, agg, n, pairs, None, None, small_sample)]
    total = math.fsum(s.value or 0.0 for s in stats.values())  # in any order, the same sum
    measured = {key: _of_stats(kpi, each, total, small_sample) for key, each in stats.items()}
    empty = _of_stats(kpi, Stats(0, 0, 0, None, 0.0, 0.0), total, small_sample)
    return _categorised(kpi, measured, empty, pairs, small_sample)


def _of_stats(
    kpi: Kpi,
    stats,
    total: float,
    small_sample: int,
    given: Mapping[str, float | None] | None = None,
) -> tuple[Aggregate, int]:
    """The Aggregate of a declared KPI's kind from its Stats, with the rows left out noted;
    `total` is a distribution's weight over the whole group. A custom KPI's value is its
    `summarise` of its measures (a group with no rows: every measure blank) and of those
    the report gives (`given`)."""
    match kpi.aggregation:
        case Aggregation.COUNT:
            agg = Aggregate(float(stats.n))
        case Aggregation.COUNT_DISTINCT:
            agg = Aggregate(stats.value or 0.0)
        case Aggregation.SUM:
            agg = Aggregate(stats.value or 0.0)
        case Aggregation.RATIO:
            agg = _ratio(kpi, float(stats.numerator), float(stats.denominator))
        case Aggregation.DISTRIBUTION:
            weight = stats.value or 0.0
            agg = Aggregate(weight / total if total else None, weight, total)
        case Aggregation.CUSTOM:
            assert kpi.summarise is not None
            measures = {name: stats.measures.get(name) for name, _ in kpi.relation.measures}
            measures.update(given or {})
            agg = kpi.summarise(measures, small_sample)
        case _:  # mean, median
            agg = (
                Aggregate(_number(stats.value))
                if stats.present
                else Aggregate(None, note="no rows with a value")
            )
    agg = _told(kpi, agg, stats.n, stats.flagged, stats.tallies)
    return _noted(kpi, agg, stats.left_out, stats.n, stats.also), stats.n


def _merged(
    found: Mapping[Slice, dict[Key, KpiValue]],
    slices: list[Slice],
    maturing: Collection[Outer] = (),
) -> dict[Key, KpiValue]:
    """The values of several slices (a period and its buckets) as one mapping, in order; those
    of the slices `maturing` holds marked so."""
    merged: dict[Key, KpiValue] = {}
    for each in slices:
        if each[1] in maturing:
            merged.update((k, replace(v, maturing=True)) for k, v in found[each].items())
        else:
            merged.update(found[each])
    return merged


def _at_edge(found: dict[Key, KpiValue], note: str | None, known: bool) -> dict[Key, KpiValue]:
    """The values of a slice at the data's edge (`Rows.edge`, `Rows.within`): none when not
    known, and the edge's note on each."""
    if note is None and known:
        return found
    if not known:
        return {
            k: replace(v, value=None, numerator=None, denominator=None, note=note)
            for k, v in found.items()
        }
    return {k: replace(v, note=f"{v.note}; {note}" if v.note else note) for k, v in found.items()}


def _universe(kpi: Kpi, ctx: Context, attrs: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The groups that exist in the KPI's entity, whether or not they have rows in a period;
    for a pipeline KPI (a snapshot of open deals) by stage, the open stages only."""
    entity = kpi.needs[0].split("|")[0].split(".")[0]
    frame = ctx.frames.get(entity)
    if not attrs or frame is None or any(d not in frame.columns for d in attrs):
        return set()
    found = {tuple(_label(v) for v in row) for row in tables.distinct(frame, attrs)}
    if kpi.matures == SNAPSHOT and "stage" in attrs:  # the pipeline: open stages only
        at = attrs.index("stage")
        found = {labels for labels in found if labels[at] not in ("won", "lost")}
    return found


def _label(value: object) -> str:
    """A group's label; blanks get a visible one (NaN and NaT are not equal to themselves)."""
    return "(blank)" if value is None or value is pd.NA or value != value else str(value)


def is_money(need: str) -> bool:
    """Whether a KPI input such as "deals.amount" is an amount of money."""
    for option in need.split("|"):
        entity, column = option.rstrip("?").split(".")
        found = ENTITIES[entity].field(column) if entity in ENTITIES else None
        if found is not None and found.kind is Kind.MONEY:
            return True
    return False


def _categorised(
    kpi: Kpi,
    measured: Mapping[tuple[str, str | None], tuple[Aggregate, int]],
    empty: tuple[Aggregate, int],
    pairs,
    small_sample: int,
) -> list[KpiValue]:
    """The values of one group per category (and subcategory), from each one's Aggregate and
    number of rows: the fixed categories in their order (a fixed category with no rows gets
    `empty`), then the others, largest value first (by subcategory when split by one)."""
    categories = {key[0] for key in measured}
    fixed = [*kpi.category_order]
    order = [*fixed, *sorted(categories - set(fixed), key=natural)]
    result: list[KpiValue] = []
    for category in order:
        inner = sorted(
            (k for k in measured if k[0] == category), key=lambda k: natural(k[-1] or k[0])
        )
        if not inner and kpi.subcategory:
            continue  # a fixed category with no rows has no subcategories to show
        for key in inner or [(category, None)]:
            agg, n = measured.get(key, empty)
            result.append(_value(kpi, agg, n, pairs, category, key[1], small_sample))
    if not kpi.subcategory:  # the categories no fixed order places: largest value first
        free = [v for v in result if v.category not in fixed]
        result = [v for v in result if v.category in fixed]
        result += sorted(free, key=lambda v: by_value(v.value, str(v.category)))
    if not result:  # nothing to split: one value that says so, rather than silence
        none = Aggregate(None, note="no rows in the period")
        result.append(_value(kpi, none, 0, pairs, None, None, small_sample))
    return result


def _told(kpi: Kpi, agg: Aggregate, kept: int, flagged: int, tallies: tuple[int, ...]) -> Aggregate:
    """The Aggregate with its declaration's notes on the kept rows after its own: `flagged`'s
    when a kept row is flagged, `tally`'s counts (`tallies`) when it has kept rows."""
    rows = kpi.relation
    if rows is None:
        return agg
    said = [rows.flagged[1]] if rows.flagged is not None and flagged else []
    if rows.tally and kept:
        counted = zip(rows.tally, tallies, strict=True)
        said.append(", ".join(note.format(n=c, s=_plural(c)) for (_, note), c in counted))
    if not said:
        return agg
    return replace(agg, note="; ".join([agg.note, *said] if agg.note else said))


def _plural(n: int) -> str:
    """{s} in a note: "s" unless there is one."""
    return "" if n == 1 else "s"


def _noted(
    kpi: Kpi, agg: Aggregate, left_out: int, kept: int = 1, also: tuple[int, ...] = ()
) -> Aggregate:
    """The Aggregate with `left_out` rows counted in its note, after any note of its own, and
    those of them meeting each of the declaration's `also` conditions (`also`: their counts);
    no value, only the declaration's `none_kept` note, when it has one and none was `kept`."""
    if not left_out:
        return agg
    rows = kpi.relation
    also_said = zip(rows.also, also, strict=False) if rows else ()
    extra = [t.format(n=c, s=_plural(c)) for (_, t), c in also_said if c]
    if rows is not None and rows.none_kept and not kept:
        none_kept = rows.none_kept.format(n=left_out, s=_plural(left_out))
        return Aggregate(None, note="; ".join([none_kept, *extra]))
    said = "; ".join([kpi.left_out.format(n=left_out, s=_plural(left_out)), *extra])
    return replace(agg, note=f"{agg.note}; {said}" if agg.note else said)


def _ratio(kpi: Kpi, numerator: float, denominator: float) -> Aggregate:
    """A ratio's Aggregate: no value, with a note, when its denominator is 0, or below 0 where
    the KPI says a negative one means nothing (`Kpi.below_zero`: a margin of negative revenue).
    """
    if denominator == 0:
        return Aggregate(None, numerator, denominator, kpi.no_denominator)
    if denominator < 0 and kpi.below_zero is not None:
        return Aggregate(None, numerator, denominator, kpi.below_zero)
    return Aggregate(numerator / denominator, numerator, denominator)


def _number(x: object) -> float | None:
    if x is None or x is pd.NA:
        return None
    number = float(x)  # type: ignore[arg-type]
    return None if math.isnan(number) or math.isinf(number) else number


def _small(kpi: Kpi, agg: Aggregate, n: int, threshold: int) -> bool:
    """Whether too few records stand behind a value to trust it: the denominator of a ratio
    (or its rows, when the denominator is money), the rows of a mean or median. Counts and
    sums, and custom KPIs without a denominator (distinct counts), are never small samples."""
    if kpi.sample_size == "rows":
        return n < threshold
    if kpi.aggregation in (Aggregation.MEAN, Aggregation.MEDIAN):
        return n < threshold
    if kpi.aggregation in (Aggregation.RATIO, Aggregation.DISTRIBUTION) or (
        kpi.aggregation is Aggregation.CUSTOM and agg.denominator is not None
    ):
        return (agg.denominator or 0) < threshold
    return False


def _value(
    kpi: Kpi, agg: Aggregate, n: int, pairs, category, subcategory, small_sample: int
) -> KpiValue:
    small = _small(kpi, agg, n, small_sample)
    return KpiValue(
        kpi.id,
        kpi.label,
        kpi.stage,
        str(kpi.unit),
        tuple(pairs),
        _number(agg.value),
        agg.numerator,
        agg.denominator,
        n,
        small,
        agg.note,
        category,
        subcategory,
    )


def _targets(
    kpi: Kpi, ctx: Context, period: Period, attrs: tuple[str, ...], spec: KpiTargets | None
) -> dict[tuple[tuple[str, str], ...], Target]:
    """Targets by group for the period's values: from the config, else quotas for revenue
    and the forecast roll-up (QUOTA_KPIS)."""
    goals: dict[tuple[tuple[str, str], ...], Target] = {}
    if spec is not None:
        if spec.overall is not None:
            goals[()] = spec.overall
        for pair, target in spec.groups.items():
            goals[(pair,)] = target
        return goals
    if kpi.id == "quota_attainment":
        return {(): Target(1.0, QUOTA_WARN)} | {
            ((d, v),): Target(1.0, QUOTA_WARN) for d, v in _quota_groups(ctx, period, attrs)
        }
    if kpi.id in QUOTA_KPIS and "targets" in ctx.frames:
        quotas = allocated(ctx, period)
        if len(quotas):
            total = float(quotas["amount"].sum())
            goals[()] = Target(total, total * QUOTA_WARN)
            for dimension in ("owner", "team"):
                if dimension in attrs and attrs == (dimension,):
                    for name, amount in quotas.groupby(dimension)["amount"].sum().items():
                        goals[((dimension, str(name)),)] = Target(amount, amount * QUOTA_WARN)
    return goals


def _quota_groups(ctx: Context, period: Period, attrs: tuple[str, ...]):
    if "targets" not in ctx.frames or len(attrs) != 1 or attrs[0] not in ("owner", "team"):
        return []
    quotas = allocated(ctx, period)
    return [(attrs[0], str(v)) for v in quotas[attrs[0]].dropna().unique()]


def _complete(kpi, value: KpiValue, key: Key, previous, history, series, goals) -> KpiValue:
    """The value with its comparison, trend and target attached."""
    before = previous.get(key)
    prior = before.value if before is not None else None
    change = change_pct = None
    if prior is not None and value.value is not None:
        change = value.value - prior
        if abs(change) <= 1e-12 * max(abs(value.value), abs(prior)):
            change = 0.0  # float noise of sums taken in another order, not a change
        change_pct = change / abs(prior) if prior else None
    points: tuple[TrendPoint, ...] = ()
    if series and not any(d in TIME_DIMENSIONS for d, _ in value.group):
        points = tuple(
            TrendPoint(p.label, found.value if (found := s.get(key)) is not None else None)
            for p, s in zip(history, series, strict=True)
        )
    target = goals.get(value.group) if value.category is None else None
    if any(d in TIME_DIMENSIONS for d, _ in value.group):
        target = None
    return finite(
        replace(
            value,
            previous=prior,
            change=change,
            change_pct=change_pct,
            target=target.target if target else None,
            status=status(value.value, target, kpi.higher_is_better)
            if target and not value.maturing
            else None,
            trend=points,
            variant=kpi.variant,
        )
    )
