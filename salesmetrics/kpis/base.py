"""What a KPI is: a declared object whose rows the engine aggregates, never a computed number.

A KPI's `rows(ctx, period)` returns one row per contributing record, with the dimensions it can
be broken down by and, by kind:
- count: any rows (the value is how many there are);
- sum, mean, median: a `value` column;
- ratio: `numerator` and `denominator` columns, summed per group before dividing, so a ratio
  is always a sum over a sum; or `numerator` and `key`, a sum over the group's number of
  distinct keys (activities per rep: the reps are counted once each, not per activity); or
  `numerator`, `denominator` and `key`, the distinct keys of the rows where each is nonzero
  (a lead exported twice, or stacked from two exports, counts once); or `key` and `per`, the
  number of distinct keys over the number of distinct `per` values (purchases per customer);
- count distinct: a `key` column (the value is how many distinct non-blank keys there are);
- distribution: a `value` weight (1 per row to count) and the category column named by
  `Kpi.category`; each category's share is its weight over the group's total weight;
- custom: whatever columns `Kpi.combine` reads, which turns a group's rows into one Aggregate.
With `Kpi.category` set, count/sum/ratio/mean/median values are given per category too (the
median days in each stage, the conversion from each funnel stage to the next). Rows of any kind
may be flagged LEFT_OUT: the value is made of the others, and its note says how many. Kept
rows flagged FLAGGED put the declaration's `Rows.flagged` note on the value, and `tally_<i>`
columns are counted for its `Rows.tally` note.

A KPI whose value for a period can still change as later data arrives declares how with
`Kpi.matures` (a `Maturing`): a cohort's outcome column, or a snapshot of an open period.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from salesmetrics.periods import Period, comparison

PERIODS_HELD = 3  # Context.for_period keeps rows of this many periods
SMALL_SAMPLE = 20  # fewer records than this behind a value: a small sample (report: small_sample)
LEFT_OUT = "left_out"
"""A column KPI rows may carry: True on a row left out of the value, as what it would add is
unknown (a deal at a stage the mapping does not place). The engine aggregates the other rows
and counts these in the value's note, worded by `Kpi.left_out`."""
KEY = "key"
"""The column of a count-distinct KPI's rows whose distinct values it counts; of a ratio's
rows without a `denominator` column, whose distinct values are the denominator; and of a
ratio's rows with both, whose distinct values where each is nonzero are the numerator and the
denominator (a lead exported twice, or stacked from two exports, counts once)."""
PER = "per"
"""The column of a ratio's rows whose distinct values are its denominator, its numerator being
the number of distinct keys (`Rows.per`)."""
FLAGGED = "flagged"
"""A column KPI rows may carry: True on a kept row that puts `Rows.flagged`'s note on the value
(a purchase told apart by its customer and day, for want of an order id)."""
NO_DENOMINATOR = "no rows in the denominator"
ROW = "_row_"
"""A column of every table a declaration's SQL reads (salesmetrics.duck): the row's position
in its input, for a rule that takes the first listed of several rows (a lead's account from
its first listing that has one)."""


class Unit(StrEnum):
    COUNT = "count"
    CURRENCY = "currency"
    RATIO = "ratio"
    DAYS = "days"
    HOURS = "hours"
    MONTHS = "months"
    SCORE = "score"
    MULTIPLE = "multiple"


class Aggregation(StrEnum):
    COUNT = "count"  # the number of rows
    SUM = "sum"  # the sum of `value`
    RATIO = "ratio"  # sum(numerator) / sum(denominator), or / the number of distinct `key`s
    MEAN = "mean"
    MEDIAN = "median"
    DISTRIBUTION = "distribution"  # per category: sum(value) in it / sum(value) in the group
    COUNT_DISTINCT = "count_distinct"  # the number of distinct `key`s
    CUSTOM = "custom"  # Kpi.combine(rows)


@dataclass(frozen=True)
class Settings:
    """KPI options from the report config; each documented where the KPI that reads it is."""

    stage_probabilities: Mapping[str, float] = field(default_factory=dict)  # stage -> 0..1
    addressable_market: float | None = None  # accounts in the market, for market_penetration
    market_sales_volume: float | None = None  # the market's sales, market_penetration: sales
    conversion_window_days: int | None = None  # lead_conversion_rate counts only within it
    response_within_hours: float = 1.0  # leads_responded_within_1h's threshold
    churn_variant: str = "standard"  # customer_churn_rate: standard | stripe
    nrr_reactivation: bool = False  # nrr counts MRR of customers who came back
    repurchase_window_days: int | None = None  # repurchase_rate: 2nd purchase within N days
    gross_margin: float | None = None  # 0..1, when orders carry no cost
    clv_variant: str = "subscription"  # clv: subscription | transactional
    customer_lifespan_years: float | None = None  # transactional clv's expected lifespan
    conversion_windows: Mapping[str, int] = field(default_factory=dict)  # kpi id -> days
    snapshot_day: date | None = None  # the day previous_snapshot was exported (movement KPIs)


@dataclass(frozen=True)
class Maturing:
    """How a KPI's value for a period keeps changing after the period ends.

    A cohort KPI follows records that enter it in the period (leads created, leads qualified)
    to an outcome that comes later (a deal, a demo): its value is maturing while fewer than
    `days` (its conversion window; the config's `conversion_windows` overrides it) have passed
    between the period's last day and the cutoff (`as_of`, or the last day of the data it
    reads if earlier). `outcome` names the column of its rows that holds the date each row's
    outcome happened (blank when it has not, or when no date is known): the engine counts
    earlier cohorts with only the outcomes that happened within the same number of days (the
    same-age view). Without `outcome` (a snapshot at the period's end, a flag with no date)
    the value is marked maturing but not re-aged; `days=0` is a snapshot: maturing while the
    period's last day is after the cutoff. A KPI whose window is a setting of its own
    (`setting`: lead_conversion_rate counts conversions within conversion_window_days) matures
    with it. Rows may carry an `entered` column, the date the
    row joined the denominator when that is later than its period date (a deal reaching a
    stage): the same-age view leaves out rows that joined after its cutoff.
    """

    days: int | None  # None: only with `setting` set (else not maturing at all)
    outcome: str | None = None
    entered: str | None = None
    setting: str | None = None  # a Settings field that, when set, is the window instead


@dataclass(frozen=True)
class Rows:
    """A KPI's rows declared as SQL over all time, for the DuckDB engine (salesmetrics.duck),
    which places them in every period and group of a report at once.

    `source` is a canonical table (deals, leads, …: every canonical field is there, blank
    where the input lacks it) or a shared view of `kpis.views`. `where` keeps the rows the
    KPI reads, each condition with what a row failing it is ("open: neither won nor lost"),
    so the rows left out can be told apart. `at` is the date that puts a row in a period;
    with `until`, the KPI is a snapshot: a row counts in a period when `at` is before the
    period's end and `until` is blank or not before it (a deal open at the end). `during`
    is a further condition on a row in a period, which may read the period's first instant
    `kpi_start` and the instant after its last, `kpi_stop` (due before the period's end).

    The other fields are SQL expressions over the source's columns, by kind: `value` (sum,
    mean, median; a distribution's weight), `numerator` and `denominator` (ratio), `key`
    (count distinct; a ratio with a `key` instead of a `denominator` is divided by the
    number of distinct keys; with both, its numerator and denominator count the distinct keys
    of the rows where each is nonzero); `category` and `subcategory` split the value as
    `Kpi.category` does; `left_out` is true for a row in the period that the value leaves
    out (counted in its note, worded by `Kpi.left_out`). For a maturing KPI, `outcome` is
    the date its outcome happened and `entered` the date the row joined the denominator
    (`Maturing`). `{name}` in any of them is the report's KPI setting of that name
    (`Settings`), as a literal; `{as_of}` the report's as_of day, as a timestamp.

    A group of a period whose rows are all left out has no value when `none_kept` is given,
    only that note ({n}: the rows). `also` counts, among the rows left out, those meeting each
    condition, for the note ("{n} at a stage the mapping does not place"). The values and
    conditions may read the period's `kpi_start` and `kpi_stop`, and a mapping setting as a
    table `setting_<name>(key, value)`. `edge` says, for a period, a note on its values and
    whether they are known at all, for what no row can tell (`at_edge`).

    A row may last: with `spans`, the instant its span ends (its start being `at`; blank, or
    not after `at`, for a row of one instant), a row counts in every period its span overlaps,
    its value, numerator and denominator by the share of the span inside the period (a
    monthly cost counts 7/31 in a week of a 31-day month). `within` gives, for a period, the
    part of it the rows are counted over and the note when that is not all of it (None: no
    part, no value; or another period: pipeline_coverage counts the next one's): a ratio of
    two inputs counts only the days both cover (`kpis.edges.covered`). `inputs` names the
    inputs a view mixes (costs and leads): a breakdown by a dimension one of them lacks
    gives the total only (default: the input of the KPI's first need). `scale` gives, for a
    period, a factor its values (sums, means, medians) are multiplied by, for a value per
    length of time whose length no row can tell (reach outs per week: 7 / the days of the
    period the activities cover). `dimensions` gives the report's dimensions the rows can be
    broken down by, for rows made of several inputs (instead of `inputs`).

    `per` makes a ratio of distinct counts: the number of distinct non-blank `key`s over that
    of distinct non-blank `per` values (purchases per customer). `flagged` is a condition on
    the kept rows and the note a value gets when any meets it; `tally` counts, among the kept
    rows, those meeting each condition, the notes ({n}, {s}: "s" unless one) joined by ", "
    as the note of a value with rows ("2 promoters, 1 passive, 0 detractors"). With `whole`,
    a row that lasts (`spans`) counts whole, not by a share, in every period its span meets,
    its ends included and a blank one open (a rep employed from started_at to ended_at,
    either blank: since ever, still).

    A custom KPI names `measures`: (name, SQL aggregate) pairs computed over each group's
    rows in a slice (the source's columns, `kpi_left_out`, the slice's `kpi_start`, …;
    `{name}` settings too), which `Kpi.summarise` makes its value from (deals open × win
    rate × deal size / cycle: four aggregates of two kinds of row, which no one kind is).
    `given` names further measures that the report gives rather than the rows (a setting:
    the addressable market), in every group, with rows or none.

    `against` gives, for a period, another period (the comparison period a growth is
    measured against; None: none) in which the rows meeting `earlier` are placed by `at`,
    instead of in the period itself (a deal won then, listed a second time as `side`
    before); its first instant and the instant after its last are `kpi_against_start` and
    `kpi_against_stop`.

    `of_slice` is for a source whose rows are made for each slice of the report (its SQL
    reads the slices table, `report_slices`: the MRR book's customers of a period, with their
    MRR at its start and end and their movements in its months): the column naming the
    slice (`kpi_slice`) a row was made for. A row then counts in that slice only (`at` is not
    read), and the slice is not cut at the data's end by the engine: the source sees the
    whole slice and cuts it itself.
    """

    source: str
    at: str
    where: tuple[tuple[str, str], ...] = ()
    until: str | None = None
    during: str | None = None
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    key: str | None = None
    category: str | None = None
    subcategory: str | None = None
    left_out: str | None = None
    outcome: str | None = None
    entered: str | None = None
    none_kept: str | None = None  # a group whose rows are all left out: no value, this note
    also: tuple[tuple[str, str], ...] = ()  # (condition, note with {n}) on rows left out
    edge: Callable[[Context, Period], tuple[str | None, bool]] | None = None
    spans: str | None = None
    within: Callable[[Context, Period], tuple[Period | None, str | None]] | None = None
    inputs: tuple[str, ...] = ()
    scale: Callable[[Context, Period], float] | None = None
    dimensions: Callable[[Context], Collection[str]] | None = None
    per: str | None = None
    flagged: tuple[str, str] | None = None  # (condition, note) on the kept rows
    tally: tuple[tuple[str, str], ...] = ()  # (condition, note with {n}, {s}) on the kept rows
    whole: bool = False
    measures: tuple[tuple[str, str], ...] = ()
    of_slice: str | None = None
    given: Callable[[Context], Mapping[str, float | None]] | None = None
    against: Callable[[Context, Period], Period | None] | None = None
    earlier: str = "FALSE"  # the rows placed in the period `against` gives


@dataclass(frozen=True)
class Context:
    """What a KPI's rows may read: the normalised frames, today, the options, the comparison."""

    frames: Mapping[str, pd.DataFrame]
    as_of: date
    settings: Settings = Settings()
    compare: str = "previous"  # previous | year | none, from the report
    fiscal_start_month: int = 1  # quarters and years in the targets entity follow it
    dimensions: tuple[str, ...] = ()  # the report's breakdown (owner, team): rows carry them
    small_sample: int = SMALL_SAMPLE  # KPIs null below it read it (sales_velocity, rosi)
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """`build()` once per report: derived tables (the MRR book) shared by many KPIs."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    def for_period(self, period: Period, key: str, build: Callable[[], Any]) -> Any:
        """`build()` once per period: rows several KPIs read in the same period (the deals open
        at its end). The engine takes the periods one after the other, so only the last few
        periods' are kept (a KPI may also look at the period before or after): the memory of
        a few periods' rows, not of every period's.
        """
        held: dict[Period, dict[str, Any]] = self.cache.setdefault("for_period", {})
        if period not in held:
            if len(held) >= PERIODS_HELD:
                del held[next(iter(held))]  # the oldest
            held[period] = {}
        rows = held[period]
        if key not in rows:
            rows[key] = build()
        return rows[key]

    def __getitem__(self, entity: str) -> pd.DataFrame:
        return self.frames[entity]

    def __contains__(self, entity: object) -> bool:
        return entity in self.frames

    def earlier(self, period: Period) -> Period:
        """The period a KPI that is itself a change (sales_growth) compares against."""
        mode = self.compare if self.compare != "none" else "previous"
        found = comparison(period, mode)
        assert found is not None
        return found


@dataclass(frozen=True)
class Aggregate:
    """One value of a custom KPI for one group."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    stage: str
    unit: Unit
    aggregation: Aggregation
    # "entity.field" each, e.g. "deals.closed_at"; "a.x|b.y" is satisfied by either; a trailing
    # "?" ("reps.ended_at?") needs the column mapped but lets it be all blank (nobody left yet)
    needs: tuple[str, ...]
    period_date: str  # which date puts a row in the period, in words for the docs
    formula: str
    rows: Callable[[Context, Period], pd.DataFrame] | None  # None: declared in SQL only
    higher_is_better: bool = True
    benchmark: str | None = None
    category: str | None = None  # a column of `rows` whose values split the KPI
    category_order: tuple[str, ...] = ()  # fixed order of categories (funnel stages)
    subcategory: str | None = None  # a second column splitting each category (cohort month)
    combine: Callable[[pd.DataFrame], Aggregate] | None = None  # custom kind only
    # what the small-sample threshold is held against for ratios: "denominator" when it counts
    # records (closed deals), "rows" when it is an amount (a quota, last period's revenue)
    sample_size: str = "denominator"
    # a sum already divided by the days its period covers (reach outs per week): not a total
    # that grows with the days, so not cut at the data's end by the engine (it cuts itself)
    per_day: bool = False
    # the note on rows flagged LEFT_OUT; {n}: their count, {s}: "s" unless there is one
    left_out: str = "{n} rows left out"
    matures: Maturing | None = None  # a value that later data can still change (a cohort)
    no_denominator: str = NO_DENOMINATOR  # a ratio's note when its denominator is 0
    below_zero: str | None = None  # a ratio's note, and no value, when its denominator is < 0
    relation: Rows | None = None  # the rows as SQL: computed by the DuckDB engine
    # a custom KPI declared in SQL: its value from its `Rows.measures` by name, and the
    # report's small-sample threshold
    summarise: Callable[[Mapping[str, float | None], int], Aggregate] | None = None
    # the name of this definition among the KPI's named variants (salesmetrics.variants): set
    # on the default declaration of a KPI that has others, and on each of those (same id)
    variant: str | None = None

    def __post_init__(self) -> None:
        if self.rows is None and self.relation is None:
            raise ValueError(f"{self.id}: give its rows, as SQL (`relation`) or in pandas")
        custom = self.aggregation is Aggregation.CUSTOM
        if self.rows is not None and custom != (self.combine is not None):
            raise ValueError(f"{self.id}: `combine` is given for, and only for, custom KPIs")
        measured = self.summarise is not None and bool(self.relation and self.relation.measures)
        if self.relation is not None and custom != measured:
            raise ValueError(f"{self.id}: a custom KPI in SQL gives `measures` and `summarise`")
        if self.aggregation is Aggregation.DISTRIBUTION and not self.category:
            raise ValueError(f"{self.id}: a distribution needs a `category` column")


def in_period(dates: pd.Series, period: Period) -> pd.Series:
    """True where the timestamp is on or after the first day and before the day after the last."""
    start = pd.Timestamp(period.start)
    end = pd.Timestamp(period.end_exclusive)
    return ((dates >= start) & (dates < end)).fillna(False).astype(bool)


def before_end(dates: pd.Series, period: Period) -> pd.Series:
    """True where the timestamp is before the end of the period (for snapshots at its end)."""
    return (dates < pd.Timestamp(period.end_exclusive)).fillna(False).astype(bool)


def has(frame: pd.DataFrame, column: str) -> bool:
    """The column exists and holds at least one value: an optional input that is present."""
    return column in frame.columns and bool(frame[column].notna().any())


def period_rows(
    ctx: Context,
    key: str,
    build: Callable[[], pd.DataFrame],
    column: str,
    period: Period,
    where: Callable[[pd.DataFrame], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The rows of `build()` (those `where` is true for, if given) whose `column` falls in the
    period, in date order (input order on ties).

    `build()` runs once per report (memoised under `key`), and so does an index of its rows
    by `column`; a period is then a binary search, and the take of its own rows once per
    period (`Context.for_period`), or a slice shared without copying where they are already
    together. KPIs are computed for many periods (comparison, trend, buckets), and a month
    is a small part of a long export: neither a filter over every row per KPI and period,
    nor a sorted copy of the whole table. `where` selects rows without copying the table.
    """

    def indexed() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        frame = build()
        stamps = datetimes(frame[column]).to_numpy()
        usable = ~np.isnat(stamps)
        if where is not None:
            usable &= where(frame)
        dated = np.flatnonzero(usable)
        order = dated[np.argsort(stamps[dated], kind="stable")]
        return frame, order, stamps[order]

    name = f"period_rows:{key}:{column}"
    frame, order, dates = ctx.memo(name, indexed)

    def take() -> pd.DataFrame:
        start = np.datetime64(period.start, "us")
        end = np.datetime64(period.end_exclusive, "us")
        first, last = np.searchsorted(dates, [start, end], side="left")
        rows = order[first:last]
        if len(rows) and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) > 0).all():
            return frame.iloc[rows[0] : rows[-1] + 1]  # together and in order: a slice
        return frame.iloc[rows]

    return ctx.for_period(period, name, take)


def id_codes(ctx: Context, entity: str, column: str, rows: pd.DataFrame) -> np.ndarray:
    """`rows[column]` as integer codes, for `rows` a selection of the `entity` input (its index
    kept): the same id has the same code in every input that has the column (a lead_id in
    activities and in leads), -1 where blank or where the input has no such column. Hashing
    text ids is the costly part of a join or a group-by on them, so each input's column is
    coded once per report.
    """
    if column not in rows.columns:
        return np.full(len(rows), -1, dtype=np.int64)

    def build() -> dict[str, np.ndarray]:
        holders = [n for n, f in ctx.frames.items() if column in f.columns]
        stacked = pd.concat([ctx.frames[n][column].astype("string[pyarrow]") for n in holders])
        codes = pd.factorize(stacked, use_na_sentinel=True)[0].astype(np.int64)
        ends = np.cumsum([len(ctx.frames[n]) for n in holders])
        return dict(zip(holders, np.split(codes, ends[:-1]), strict=True))

    codes = ctx.memo(f"id_codes:{column}", build)[entity]
    index = ctx.frames[entity].index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return codes[rows.index.to_numpy()]
    return codes[index.get_indexer(rows.index)]


def datetimes(values: pd.Series) -> pd.Series:
    """Timestamps as numpy datetime64[us], index kept, for arithmetic across frames.

    An Arrow timestamp column casts directly (a `pd.to_datetime` on it goes through Python
    objects and is ~500 times slower on a million rows).
    """
    if isinstance(values.dtype, pd.ArrowDtype) or pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    return pd.to_datetime(values).astype("datetime64[us]")


def carrying(ctx: Context, frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Only `columns` of `frame` and the report's breakdown dimensions: a table built once for
    every period of a report (and stacked, for stage KPIs) holds nothing its KPI does not read.
    """
    wanted = dict.fromkeys([*columns, *ctx.dimensions])
    return frame[[c for c in wanted if c in frame.columns]]


def with_facts(rows: pd.DataFrame, **facts: Any) -> pd.DataFrame:
    """The rows carrying facts about the whole computation (a setting, a note on the period)
    for a custom KPI's `combine`, which sees only a group's rows. The engine's splits by group
    and category keep them (pandas carries `attrs` through slicing), so an empty group sees
    them too. The data is shared, not copied."""
    rows = rows.copy(deep=False)
    rows.attrs = {**rows.attrs}
    rows.attrs.update(facts)
    return rows


def fact(rows: pd.DataFrame, name: str, default: Any = None) -> Any:
    """A fact `with_facts` put on the rows."""
    return rows.attrs.get(name, default)


EDGE_NOTE = "salesmetrics.edge_note"
EDGE_UNKNOWN = "salesmetrics.edge_unknown"


def at_edge(rows: pd.DataFrame, note: str | None, known: bool = True) -> pd.DataFrame:
    """The rows of a period that the data covers only in part (or not at all, `known` False):
    the engine adds `note` to each of their values, and gives none when not `known`. For a
    KPI of any kind whose rows' own builder cuts the period at an input's first or last month.
    """
    return with_facts(rows, **{EDGE_NOTE: note, EDGE_UNKNOWN: not known})


def edge_of(rows: pd.DataFrame) -> tuple[str | None, bool]:
    """The note `at_edge` put on the rows, and whether their values are known."""
    return fact(rows, EDGE_NOTE), not fact(rows, EDGE_UNKNOWN, False)
