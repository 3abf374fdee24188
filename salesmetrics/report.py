"""The result of a computation: immutable, and everything a renderer needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from salesmetrics.periods import Period


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


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


@dataclass(frozen=True)
class Report:
    period: Period
    as_of: date
    group_by: tuple[str, ...]
    values: tuple[KpiValue, ...]
    skipped: tuple[Skipped, ...]

    def value(self, kpi_id: str, **group: str) -> KpiValue:
        """The value of `kpi_id` for one group (no keywords: the total)."""
        wanted = tuple(sorted(group.items()))
        for v in self.values:
            if v.id == kpi_id and tuple(sorted(v.group)) == wanted:
                return v
        raise KeyError(f"no value for {kpi_id} {dict(group)}")
