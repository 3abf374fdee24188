"""What a KPI is: a declaration the engine computes, never a computed number.

A KPI (`Kpi`) names its inputs, unit, kind and formula in words, and declares its rows as SQL
over all time (`Rows`): the source they come from, the date that puts a row in a period, and
the columns its kind reads:
- count: any rows (the value is how many there are);
- sum, mean, median: a `value`;
- ratio: a `numerator` and a `denominator`, summed per group before dividing, so a ratio is
  always a sum over a sum; or a `numerator` and a `key`, a sum over the group's number of
  distinct keys (activities per rep: the reps are counted once each, not per activity); or
  all three, the distinct keys of the rows where each is nonzero (a lead exported twice, or
  stacked from two exports, counts once); or a `key` and a `per`, the number of distinct
  keys over the number of distinct `per` values (purchases per customer);
- count distinct: a `key` (the value is how many distinct non-blank keys there are);
- distribution: a `value` weight (1 per row to count) and a `category`; each category's
  share is its weight over the group's total weight;
- custom: named SQL aggregates (`Rows.measures`) that `Kpi.summarise` turns into one value,
  for the few KPIs no one kind fits (CLV, CAC payback, sales velocity).
With a `category`, count/sum/ratio/mean/median values are given per category too (the median
days in each stage, the conversion from each funnel stage to the next). Rows of any kind may
be left out (`Rows.left_out`): the value is made of the others, and its note says how many.

The engine (salesmetrics.engine, salesmetrics.duck) places the rows in every period and group
of a report at once. A KPI whose value for a period can still change as later data arrives
declares how with `Kpi.matures` (a `Maturing`): a cohort's outcome column, or a snapshot of an
open period.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pandas as pd

from salesmetrics.periods import Period, comparison

if TYPE_CHECKING:
    from salesmetrics.tables import Table

SMALL_SAMPLE = 20  # fewer records than this behind a value: a small sample (report: small_sample)
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
    CUSTOM = "custom"  # Kpi.summarise(the group's Rows.measures)


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
    whether they are known at all, for what no row can tell.

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
    """What a KPI's rows may read: the normalised frames (a large event log read in place:
    salesmetrics.tables), today, the options, the comparison."""

    frames: Mapping[str, Table]
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

    def __getitem__(self, entity: str) -> Table:
        return self.frames[entity]

    def frame(self, entity: str) -> pd.DataFrame:
        """An input that is always loaded (not one of salesmetrics.canonical.LAZY)."""
        found = self.frames[entity]
        assert isinstance(found, pd.DataFrame), f"{entity} is read in place"
        return found

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
    higher_is_better: bool = True
    benchmark: str | None = None
    category: str | None = None  # the name of what `Rows.category` splits the KPI by
    category_order: tuple[str, ...] = ()  # fixed order of categories (funnel stages)
    subcategory: str | None = None  # of a second split of each category (cohort month)
    # what the small-sample threshold is held against for ratios: "denominator" when it counts
    # records (closed deals), "rows" when it is an amount (a quota, last period's revenue)
    sample_size: str = "denominator"
    # a sum already divided by the days its period covers (reach outs per week): not a total
    # that grows with the days, so not cut at the data's end by the engine (it cuts itself)
    per_day: bool = False
    # the note on rows left out (`Rows.left_out`); {n}: their count, {s}: "s" unless one
    left_out: str = "{n} rows left out"
    matures: Maturing | None = None  # a value that later data can still change (a cohort)
    no_denominator: str = NO_DENOMINATOR  # a ratio's note when its denominator is 0
    below_zero: str | None = None  # a ratio's note, and no value, when its denominator is < 0
    relation: Rows = field(kw_only=True)  # its rows, as SQL the DuckDB engine computes
    # a custom KPI: its value from its `Rows.measures` by name, and the report's small-sample
    # threshold
    summarise: Callable[[Mapping[str, float | None], int], Aggregate] | None = None
    # the name of this definition among the KPI's named variants (salesmetrics.variants): set
    # on the default declaration of a KPI that has others, and on each of those (same id)
    variant: str | None = None

    def __post_init__(self) -> None:
        custom = self.aggregation is Aggregation.CUSTOM
        if (self.summarise is not None, bool(self.relation.measures)) != (custom, custom):
            raise ValueError(
                f"{self.id}: a custom KPI, and only one, gives `measures` and `summarise`"
            )
        if self.aggregation is Aggregation.DISTRIBUTION and not (
            self.category and self.relation.category
        ):
            raise ValueError(f"{self.id}: a distribution needs a `category`")


def has(table: Table, column: str) -> bool:
    """The column exists and holds at least one value: an optional input that is present."""
    from salesmetrics import tables  # which reads this module

    return column in table.columns and not tables.blank(table, column)


def datetimes(values: pd.Series) -> pd.Series:
    """Timestamps as numpy datetime64[us], index kept, for arithmetic across frames.

    An Arrow timestamp column casts directly (a `pd.to_datetime` on it goes through Python
    objects and is ~500 times slower on a million rows).
    """
    if isinstance(values.dtype, pd.ArrowDtype) or pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[us]")
    return pd.to_datetime(values).astype("datetime64[us]")
