"""`salesmetrics kpis`: the catalogue as a table for people or JSON for tools."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table

from salesmetrics import __version__
from salesmetrics.kpis.base import Kpi
from salesmetrics.render.console import table_box


def kpi_dict(kpi: Kpi) -> dict:
    return {
        "id": kpi.id,
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
            title=stage.capitalize(), title_justify="left", box=table_box(console), expand=True
        )
        table.add_column("id", style="bold", no_wrap=True)
        table.add_column("unit")
        table.add_column("formula", ratio=3)
        table.add_column("inputs", ratio=1, overflow="fold")
        table.add_column("benchmark", ratio=1)
        for k in kpis:
            if k.stage == stage:
                inputs = ", ".join(n.replace("|", " or ") for n in k.needs)
                table.add_row(k.id, str(k.unit), k.formula, inputs, k.benchmark or "")
        console.print(table)
