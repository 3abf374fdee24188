"""The Report's values: no NaN or infinity gets into one."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from salesmetrics.errors import SalesmetricsError
from salesmetrics.report import KpiValue, TrendPoint, finite

VALUE = KpiValue("revenue_won", "Revenue won", "close", "money", (), 10.0, None, None, 2, False)


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("field", ["value", "numerator", "previous", "change_pct", "target"])
def test_a_value_that_is_not_finite_is_an_error_naming_the_kpi(field, number):
    with pytest.raises(SalesmetricsError, match=f"^revenue_won: the {field} is "):
        finite(replace(VALUE, **{field: number}))


def test_a_trend_point_or_a_group_is_named_too():
    grouped = replace(VALUE, group=(("owner", "Ana"),))
    points = (TrendPoint("2026-09", math.inf), TrendPoint("2026-10", 1.0))
    with pytest.raises(SalesmetricsError, match=r"^revenue_won, owner Ana: the trend 2026-09 is"):
        finite(replace(grouped, trend=points))
    blank = replace(VALUE, value=None, trend=(TrendPoint("2026-10", None),))
    assert finite(blank) is blank
