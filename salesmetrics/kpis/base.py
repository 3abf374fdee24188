"""What a KPI is: a declared object whose rows the engine aggregates, never a computed number.

A KPI's `rows` function returns one row per contributing record, with the dimensions it can be
broken down by and either `value` (count, sum, mean, median kinds) or `numerator` and
`denominator` (ratio kind). The engine sums numerators and denominators per group before
dividing, so a ratio is always a sum over a sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from salesmetrics.periods import Period


class Unit(StrEnum):
    COUNT = "count"
    CURRENCY = "currency"
    RATIO = "ratio"
    DAYS = "days"
    HOURS = "hours"
    SCORE = "score"
    MULTIPLE = "multiple"


class Aggregation(StrEnum):
    COUNT = "count"  # the number of rows
    SUM = "sum"  # the sum of `value`
    RATIO = "ratio"  # sum(numerator) / sum(denominator)
    MEAN = "mean"
    MEDIAN = "median"


@dataclass(frozen=True)
class Kpi:
    id: str
    label: str
    stage: str
    unit: Unit
    aggregation: Aggregation
    needs: tuple[str, ...]  # "entity.field", e.g. "deals.closed_at"
    period_date: str  # the field whose date puts a row in the period
    formula: str
    rows: Callable[[dict[str, pd.DataFrame], Period], pd.DataFrame]
    higher_is_better: bool = True
    benchmark: str | None = None
