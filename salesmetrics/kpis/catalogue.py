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


def _variants() -> dict[str, dict[str, Kpi]]:
    """KPI id -> its named variants (the default first), from each module's `VARIANTS`: the
    declarations of other meanings of a catalogue KPI's name, each with the KPI's id and a
    `variant` name of its own; the catalogue's declaration is the default and names itself."""
    found: dict[str, dict[str, Kpi]] = {}
    for module in MODULES:
        for kpi in getattr(module, "VARIANTS", ()):
            default = CATALOGUE.get(kpi.id)
            if default is None or default.variant is None or kpi.variant is None:
                raise ValueError(f"{kpi.id}: a variant of a catalogue KPI that names its default")
            named = found.setdefault(kpi.id, {default.variant: default})
            if kpi.variant in named or kpi.stage != default.stage:
                raise ValueError(f"{kpi.id}: variant {kpi.variant} twice, or in another stage")
            named[kpi.variant] = kpi
    alone = [k.id for k in CATALOGUE.values() if k.variant is not None and k.id not in found]
    if alone:
        raise ValueError(f"{alone[0]}: names its variant, but has no other")
    return found


VARIANTS: dict[str, dict[str, Kpi]] = _variants()
"""KPI id -> variant name -> declaration, the default first; KPIs with one definition absent."""
