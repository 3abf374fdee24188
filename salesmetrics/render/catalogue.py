"""`salesmetrics kpis`: the catalogue as a table for people or JSON for tools, each KPI's
named variants under it (`id: variant`), and with `--missing` the KPIs a report's inputs
cannot feed."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesmetrics import __version__
from salesmetrics.kpis.base import Kpi
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES, VARIANTS
from salesmetrics.render.console import table_box
from salesmetrics.render.safe import plain
from salesmetrics.render.words import stage_title
from salesmetrics.report import Skipped


def kpi_dict(kpi: Kpi) -> dict:
    """The KPI's declaration; with its other named variants (`variants`) if it has any."""
    found: dict[str, Any] = {
        "id": kpi.id,
        "variant": kpi.variant,
        "label": kpi.label,
        "stage": kpi.stage,
        "unit": str(kpi.unit),
        "kind": str(kpi.aggregation),
        "category": kpi.category,
        "formula": kpi.formula,
        "period_date": kpi.period_date,
        "inputs": [need.replace("|", " or ") for need in kpi.needs],
        "higher_is_better": kpi.higher_is_better,
        "benchmark": kpi.benchmark,
    }
    if kpi is CATALOGUE.get(kpi.id) and kpi.id in VARIANTS:
        found["variants"] = [kpi_dict(v) for v in VARIANTS[kpi.id].values() if v is not kpi]
    return found


def render_json(kpis: Sequence[Kpi], stream: TextIO) -> None:
    document = {
        "schema_version": "1",
        "tool": {"name": "salesmetrics", "version": __version__},
        "kpis": [kpi_dict(k) for k in kpis],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_table(kpis: Sequence[Kpi], console: Console) -> None:
    for stage in dict.fromkeys(k.stage for k in kpis):
        table = Table(
            title=stage_title(stage),
            title_justify="left",
            box=table_box(console),
            expand=True,
        )
        table.add_column("id", style="bold", no_wrap=True)
        table.add_column("unit")
        table.add_column("formula", ratio=3)
        table.add_column("inputs", ratio=1, overflow="fold")
        table.add_column("benchmark", ratio=1)
        for k in kpis:
            if k.stage == stage:
                for each in VARIANTS.get(k.id, {k.variant: k}).values():
                    inputs = ", ".join(n.replace("|", " or ") for n in each.needs)
                    name = k.id if each is k else f"{k.id}:\n  {each.variant}"
                    table.add_row(name, str(each.unit), each.formula, inputs, each.benchmark or "")
        console.print(table)


def render_missing_json(skipped: Sequence[Skipped], stream: TextIO) -> None:
    """`kpis --missing --format json`: each KPI the inputs cannot feed, its stage and why."""
    document = {
        "schema_version": "1",
        "tool": {"name": "salesmetrics", "version": __version__},
        "missing": [
            {"id": s.id, "stage": CATALOGUE[s.id].stage, "reason": s.reason} for s in skipped
        ],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_missing_table(skipped: Sequence[Skipped], console: Console) -> None:
    """`kpis --missing`: the KPIs the inputs cannot feed, by stage, each with what it needs."""
    if not skipped:
        console.print("Every KPI can be computed from these inputs.")
        return
    table = Table(box=table_box(console))
    table.add_column("stage", no_wrap=True)
    table.add_column("KPI", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for s in sorted(skipped, key=lambda s: STAGES.index(CATALOGUE[s.id].stage)):
        table.add_row(CATALOGUE[s.id].stage, s.id, Text(plain(s.reason)))
    console.print(table)
    console.print(f"{len(skipped)} KPIs cannot be computed from these inputs.")
