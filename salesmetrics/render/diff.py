"""The pipeline movement between two exports as a table for people, JSON or CSV for tools.

The table starts with the answer (the open pipeline then and now, and what moved it), then the
counts beside the waterfall, then one line per owner. JSON and CSV keep every move.
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from rich.console import Console
from rich.table import Table

from salesmetrics.diff import Diff, PipelineMovement
from salesmetrics.render.console import table_box
from salesmetrics.render.format import SYMBOLS, money
from salesmetrics.render.safe import formula, plain

OWNERS_FULL_WIDTH = 96  # the by-owner table with whole amounts in seven figures

TITLES = {
    "created": "Created",
    "reopened": "Reopened",
    "increased": "Amount up",
    "decreased": "Amount down",
    "won": "Won",
    "lost": "Lost",
    "disappeared": "Gone from export",
    "rejected": "In a rejected row",
    "advanced": "Advanced a stage",
    "moved_back": "Moved back a stage",
    "slipped": "Slipped past period end",
    "pulled_in": "Pulled into period",
    "created_closed": "Created and closed",
}


def render_table(result: Diff, console: Console, *, old: str, new: str) -> None:
    """The waterfall, the movements and the owners, with the period and the files named."""
    total = result.total
    cur = result.currency
    delta = total.end_value - total.start_value
    console.print(
        f"Open pipeline {money(total.start_value, cur)} -> {money(total.end_value, cur)} "
        f"({'+' if delta >= 0 else ''}{money(delta, cur)}), {total.start_deals:,} -> "
        f"{total.end_deals:,} deals, period {result.period.label}",
        markup=False,
    )
    console.print(
        plain(
            f"from {old} ({result.old_rows:,} deals) to {new} ({result.new_rows:,} deals), "
            f"{result.matched:,} in both"
        ),
        markup=False,
    )
    box = table_box(console)
    waterfall = Table(box=box, title="Open pipeline movement", title_justify="left")
    for name, justify in (("Step", "left"), ("Deals", "right"), ("Value", "right")):
        waterfall.add_column(name, justify=justify)  # type: ignore[arg-type]
    waterfall.add_row("Open at start", f"{total.start_deals:,}", money(total.start_value, cur))
    for move in total.moves:
        if move.id == "rejected" and not move.deals:
            continue  # a step only when a row was rejected
        waterfall.add_row(TITLES[move.id], f"{move.deals:,}", _signed(move.value, cur))
    waterfall.add_row("Open at end", f"{total.end_deals:,}", money(total.end_value, cur))
    console.print(waterfall)
    movements = Table(box=box, title="Other movements (value: new amount)", title_justify="left")
    for name, justify in (("Movement", "left"), ("Deals", "right"), ("Value", "right")):
        movements.add_column(name, justify=justify)  # type: ignore[arg-type]
    for move in total.movements:
        movements.add_row(TITLES[move.id], f"{move.deals:,}", money(move.value, cur))
    console.print(movements)
    if result.groups:
        short = console.width < OWNERS_FULL_WIDTH
        console.print(_owners(result.groups, box, cur, short=short))
    for note in result.notes:
        console.print(f"note: {plain(note)}", markup=False)


def _owners(
    groups: tuple[PipelineMovement, ...], box, currency: str | None, *, short: bool
) -> Table:
    """One line per owner: start, the three moves people ask about first, the rest, end.
    On a narrow terminal the amounts are rounded ($1.2M, $938k) rather than cut."""
    table = Table(box=box, title="By owner", title_justify="left")
    table.add_column("Owner", overflow="fold")
    for name in ("Start", "Created", "Won", "Lost", "Other", "End"):
        table.add_column(name, justify="right", no_wrap=True)
    show = _compact if short else money
    for g in groups:
        main = {m.id: m.value for m in g.moves}
        other = sum(v for k, v in main.items() if k not in ("created", "won", "lost"))
        table.add_row(
            plain(g.group or "(blank)"),
            show(g.start_value, currency),
            *(
                _signed(v, currency, show)
                for v in (main["created"], main["won"], main["lost"], other)
            ),
            show(g.end_value, currency),
        )
    return table


def _signed(number: float, currency: str | None, show=money) -> str:
    return ("+" if number > 0 else "") + show(number, currency)


def _compact(number: float, currency: str | None) -> str:
    """$1.2M, $938k, $950: for a narrow table, amounts rounded rather than cut."""
    size = abs(number)
    if size < 1_000:
        return money(number, currency)
    text = f"{size / 1e6:.1f}M" if size >= 999_500 else f"{size / 1e3:.0f}k"
    sign = "-" if number < 0 else ""
    symbol = SYMBOLS.get(currency or "")
    if symbol:
        return f"{sign}{symbol}{text}"
    return f"{sign}{text} {currency}" if currency else f"{sign}{text}"


def render_json(result: Diff, stream: TextIO, *, old: str, new: str) -> None:
    document = {
        "period": {
            "label": result.period.label,
            "start": result.period.start.isoformat(),
            "end": result.period.end.isoformat(),
        },
        "currency": result.currency,
        "old": {"path": old, "rows": result.old_rows},
        "new": {"path": new, "rows": result.new_rows},
        "matched": result.matched,
        "total": _movement(result.total),
        "by": result.by,
        "groups": [_movement(g) for g in result.groups],
        "notes": list(result.notes),
    }
    json.dump(document, stream, indent=2, ensure_ascii=False, allow_nan=False)
    stream.write("\n")


def _movement(m: PipelineMovement) -> dict:
    return {
        "group": m.group,
        "start": {"deals": m.start_deals, "value": m.start_value},
        "moves": [{"id": x.id, "deals": x.deals, "value": x.value} for x in m.moves],
        "end": {"deals": m.end_deals, "value": m.end_value},
        "movements": [{"id": x.id, "deals": x.deals, "value": x.value} for x in m.movements],
    }


def render_csv(result: Diff, stream: TextIO, *, escape_formulas: bool = True) -> None:
    """One line per group and step: group, kind (start, move, end, movement), id, deals, value."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["period", "group", "kind", "id", "deals", "value", "currency"])
    for m in (result.total, *result.groups):
        group = m.group or ""
        group = formula(group) if escape_formulas else group
        steps = [("start", "open_at_start", m.start_deals, m.start_value)]
        steps += [("move", x.id, x.deals, x.value) for x in m.moves]
        steps += [("end", "open_at_end", m.end_deals, m.end_value)]
        steps += [("movement", x.id, x.deals, x.value) for x in m.movements]
        for kind, step, deals, value in steps:
            writer.writerow(
                [result.period.label, group, kind, step, deals, value, result.currency or ""]
            )
