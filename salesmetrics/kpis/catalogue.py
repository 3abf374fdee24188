"""Every KPI, by id, in funnel order. Ids are a public contract: JSON consumers depend on them."""

from __future__ import annotations

from salesmetrics.kpis import (
    close,
    demo,
    efficiency,
    forecast,
    loyalty,
    movement,
    mrr,
    outreach,
    prospecting,
    purchase,
    qualification,
    retention,
    team,
)
from salesmetrics.kpis.base import Kpi

STAGES = (
    "prospecting",
    "outreach",
    "qualification",
    "demo",
    "close",
    "movement",
    "team",
    "purchase",
    "mrr",
    "retention",
    "efficiency",
)
MODULES = (
    prospecting,
    outreach,
    qualification,
    demo,
    close,
    forecast,
    movement,
    team,
    purchase,
    mrr,
    retention,
    loyalty,
    efficiency,
)

CATALOGUE: dict[str, Kpi] = {k.id: k for module in MODULES for k in module.KPIS}
