"""Loyalty KPIs from surveys: the Net Promoter Score and how many answered.

A response is in a period by its responded_at. Scores are 0-10 (others are rejected at ingest):
9 and above are promoters, 6 and below detractors, those between passives (a 7.5 is a passive).
NPS = % promoters − % detractors, on a −100…100 scale, over every response in the period; each
response counts once, so a customer who answers twice counts twice.
"""

from __future__ import annotations

from salesmetrics.kpis.base import Aggregation, Kpi, Rows, Unit

STAGE = "retention"
GROUP = "group"  # nps_groups' category column
GROUPS = ("promoter", "passive", "detractor")
PROMOTER = 9.0  # this score and above
DETRACTOR = 6.0  # this score and below


RESPONDED = "responded_at"
SCORED = ("score IS NOT NULL", "no score")
GROUP_SQL = (
    f"CASE WHEN score >= {PROMOTER} THEN 'promoter' WHEN score <= {DETRACTOR} THEN 'detractor' "
    "ELSE 'passive' END"
)
KPIS: tuple[Kpi, ...] = (
    Kpi(
        "nps",
        "Net Promoter Score",
        STAGE,
        Unit.SCORE,
        Aggregation.RATIO,
        ("surveys.responded_at", "surveys.score"),
        RESPONDED,
        "100 × (responses scoring 9-10 − responses scoring 0-6) / all responses with responded_at "
        "in the period (numerator 100 × the difference, denominator the responses; the note "
        "counts promoters, passives and detractors)",
        benchmark="above 0 is good, +50 excellent",
        no_denominator="no survey responses in the period",
        relation=Rows(
            "surveys",
            RESPONDED,
            (SCORED,),
            numerator=f"CASE WHEN score >= {PROMOTER} THEN 100.0 "
            f"WHEN score <= {DETRACTOR} THEN -100.0 ELSE 0.0 END",
            denominator="1.0",
            tally=tuple((f"{GROUP_SQL} = '{name}'", f"{{n}} {name}{{s}}") for name in GROUPS),
        ),
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
        category=GROUP,
        category_order=GROUPS,
        relation=Rows("surveys", RESPONDED, (SCORED,), value="1.0", category=GROUP_SQL),
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
        relation=Rows("surveys", RESPONDED),
    ),
)
