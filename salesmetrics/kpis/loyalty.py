"""Loyalty KPIs from surveys: the Net Promoter Score and how many answered.

A response is in a period by its responded_at. Scores are 0-10 (others are rejected at ingest):
9 and above are promoters, 6 and below detractors, those between passives (a 7.5 is a passive).
NPS = % promoters − % detractors, on a −100…100 scale, over every response in the period; each
response counts once, so a customer who answers twice counts twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesmetrics.kpis.base import Aggregate, Aggregation, Context, Kpi, Unit, in_period
from salesmetrics.periods import Period

STAGE = "retention"
GROUP = "group"  # nps_groups' category column
GROUPS = ("promoter", "passive", "detractor")
PROMOTER = 9.0  # this score and above
DETRACTOR = 6.0  # this score and below


def responses(ctx: Context, period: Period) -> pd.DataFrame:
    """Survey responses with responded_at in the period."""
    surveys = ctx["surveys"]
    return surveys[in_period(surveys["responded_at"], period).to_numpy()]


def _grouped(ctx: Context, period: Period) -> pd.DataFrame:
    """Responses in the period with a score, each with its group and weight 1."""
    found = responses(ctx, period)
    found = found[found["score"].notna().to_numpy(dtype=bool)]
    score = found["score"].to_numpy(dtype=float)
    group = np.select([score >= PROMOTER, score <= DETRACTOR], ["promoter", "detractor"], "passive")
    return found.assign(**{GROUP: pd.Series(group, index=found.index)}).assign(value=1.0)


def _nps(rows: pd.DataFrame) -> Aggregate:
    """100 × (promoters − detractors) / responses, with each group's count in the note."""
    if not len(rows):
        return Aggregate(None, 0.0, 0.0, "no survey responses in the period")
    group = rows[GROUP].to_numpy(dtype=object)
    counts = {name: int((group == name).sum()) for name in GROUPS}
    total = float(len(rows))
    net = 100.0 * (counts["promoter"] - counts["detractor"])
    note = ", ".join(f"{n} {name}{'' if n == 1 else 's'}" for name, n in counts.items())
    return Aggregate(net / total, net, total, note)


RESPONDED = "responded_at"
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "nps",
        "Net Promoter Score",
        STAGE,
        Unit.SCORE,
        Aggregation.CUSTOM,
        ("surveys.responded_at", "surveys.score"),
        RESPONDED,
        "100 × (responses scoring 9-10 − responses scoring 0-6) / all responses with responded_at "
        "in the period (numerator 100 × the difference, denominator the responses; the note "
        "counts promoters, passives and detractors)",
        _grouped,
        benchmark="above 0 is good, +50 excellent",
        combine=_nps,
    ),
    Kpi(
        "nps_groups",
        "NPS groups",
        STAGE,
        Unit.RATIO,
        Aggregation.DISTRIBUTION,
        ("surveys.responded_at", "surveys.score"),
        RESPONDED,
        "per group (promoter 9-10, passive 7-8, detractor 0-6): responses in the period in it / "
        "all responses in the period",
        _grouped,
        category=GROUP,
        category_order=GROUPS,
    ),
    Kpi(
        "survey_responses",
        "Survey responses",
        STAGE,
        Unit.COUNT,
        Aggregation.COUNT,
        ("surveys.responded_at",),
        RESPONDED,
        "count of survey responses with responded_at in the period",
        responses,
    ),
)
