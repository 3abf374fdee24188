"""The result of a computation: immutable, and everything a renderer needs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from salesmetrics.errors import SalesmetricsError
from salesmetrics.periods import Period

NUMBERS = ("value", "numerator", "denominator", "previous", "change", "change_pct", "target")


@dataclass(frozen=True)
class TrendPoint:
    period: str  # the period's label
    value: float | None


@dataclass(frozen=True)
class KpiValue:
    id: str
    label: str
    stage: str
    unit: str
    group: tuple[tuple[str, str], ...]  # (dimension, value) pairs; () for the total
    value: float | None
    numerator: float | None
    denominator: float | None
    n: int  # rows behind the value
    small_sample: bool
    note: str | None = None
    category: str | None = None  # the category of a distribution or per-stage KPI
    subcategory: str | None = None  # a second split, e.g. the month number within a cohort
    previous: float | None = None  # the value in the comparison period
    change: float | None = None  # value − previous
    change_pct: float | None = None  # change / |previous|
    target: float | None = None
    status: str | None = None  # on_track | at_risk | off_track, when there is a target
    trend: tuple[TrendPoint, ...] = ()  # oldest first, ending with this period
    maturing: bool = False  # later data can still change it: no status, same-age comparison
    variant: str | None = None  # which named variant of the KPI it is (None: it has one)


def finite(value: KpiValue) -> KpiValue:
    """`value`, when every number it holds is finite: no NaN or infinity reaches a report, as
    JSON cannot hold them and a CSV or a table would show `inf` as if measured. Sums of
    amounts too large to add are stopped where the amounts are read or converted, naming the
    column; this is the last guard, where the engine finishes each value."""
    found = [(name, getattr(value, name)) for name in NUMBERS]
    found += [(f"trend {p.period}", p.value) for p in value.trend]
    for name, number in found:
        if number is not None and not math.isfinite(number):
            group = "".join(f", {d} {v}" for d, v in value.group)
            raise SalesmetricsError(
                f"{value.id}{group}: the {name} is {number}, not a number a report can hold; "
                "an amount in the data is too large to add up (check the amount columns for "
                "values near 1e308)"
            )
    return value


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str
    variant: str | None = None  # a named variant shown beside the KPI (`--variants`) skipped


@dataclass(frozen=True)
class DataWarning:
    """An input that does not cover the report period, so its KPIs read as zeros that are
    not measurements: a forgotten export looks like a collapse unless it is said."""

    code: str  # stale_input (the period starts after the input's last date) | empty_period
    # | targets_calendar (a fiscal-year report read undeclared quarter/year target labels)
    entity: str
    first: date  # the first and last day the input's rows cover
    last: date
    message: str


@dataclass(frozen=True)
class Feeds:
    """The KPIs one input can feed, and those it cannot with the reason (`validate`)."""

    can: tuple[str, ...]
    cannot: tuple[Skipped, ...]


@dataclass(frozen=True)
class Report:
    period: Period
    as_of: date
    group_by: tuple[str, ...]
    values: tuple[KpiValue, ...]
    skipped: tuple[Skipped, ...]
    comparison: Period | None = None
    currency: str | None = None
    trend: tuple[Period, ...] = ()
    warnings: tuple[DataWarning, ...] = ()
    unsplit: tuple[Skipped, ...] = ()  # KPIs given in total only: why they are not split
    # per stage, the breakdown groups left out: no rows in the period or the comparison for
    # any of its KPIs (salesmetrics.breakdowns); none with --all-groups
    groups_left_out: tuple[tuple[str, int], ...] = ()

    def left_out(self, stage: str) -> int:
        """How many breakdown groups of `stage` were left out for having no rows."""
        return dict(self.groups_left_out).get(stage, 0)

    def value(
        self,
        kpi_id: str,
        category: str | None = None,
        subcategory: str | None = None,
        **group: str,
    ) -> KpiValue:
        """The value of `kpi_id` for one group (no keywords: the total) and category."""
        wanted = tuple(sorted(group.items()))
        for v in self.values:
            if (
                v.id == kpi_id
                and (v.category, v.subcategory) == (category, subcategory)
                and tuple(sorted(v.group)) == wanted
            ):
                return v
        raise KeyError(f"no value for {kpi_id} {dict(group)} {category or ''}".rstrip())

    def categories(self, kpi_id: str, **group: str) -> dict[str, KpiValue]:
        """A distribution's or per-stage KPI's values for one group, by category, in order."""
        wanted = tuple(sorted(group.items()))
        return {
            v.category: v
            for v in self.values
            if v.id == kpi_id and v.category is not None and tuple(sorted(v.group)) == wanted
        }
