"""The movement between two exports as a table for people, JSON or CSV for tools.

The table starts with the answer (the open pipeline then and now, and what moved it), then the
counts beside the waterfall, then one line per owner. JSON and CSV keep every move.
"""

from __future__ import annotations

import csv
import json
from typing import TextIO

from rich.console import Console
from rich.table import Table

from salesmetrics.diff import Diff, Waterfall
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
    "new": "New",
    "reactivation": "Reactivation",
    "expansion": "Expansion",
    "contraction": "Contraction",
    "churn": "Churn",
}
WHAT = {"pipeline": ("Open pipeline", "Open"), "mrr": ("MRR", "MRR")}


def render_table(result: Diff, console: Console, *, old: str, new: str) -> None:
    """The waterfall, the movements and the owners, with the period and the files named."""
    total = result.total
    cur = result.currency
    delta = total.end_value - total.start_value
    what, short_name = WHAT[result.kind]
    records = result.records
    console.print(
        f"{what} {money(total.start_value, cur)} -> {money(total.end_value, cur)} "
        f"({'+' if delta >= 0 else ''}{money(delta, cur)}), {total.start_count:,} -> "
        f"{total.end_count:,} {records}, period {result.period.label}",
        markup=False,
    )
    console.print(
        plain(
            f"from {old} ({result.old_rows:,} rows) to {new} ({result.new_rows:,} rows), "
            f"{result.matched:,} {records} in both"
        ),
        markup=False,
    )
    box = table_box(console)
    count = records.capitalize()
    waterfall = Table(box=box, title=f"{what} movement", title_justify="left")
    for name, justify in (("Step", "left"), (count, "right"), ("Value", "right")):
        waterfall.add_column(name, justify=justify)  # type: ignore[arg-type]
    waterfall.add_row(
        f"{short_name} at start", f"{total.start_count:,}", money(total.start_value, cur)
    )
    for move in total.moves:
        if move.id == "rejected" and not move.count:
            continue  # a step only when a row was rejected
        waterfall.add_row(TITLES[move.id], f"{move.count:,}", _signed(move.value, cur))
    waterfall.add_row(f"{short_name} at end", f"{total.end_count:,}", money(total.end_value, cur))
    console.print(waterfall)
    if total.movements:
        movements = Table(
            box=box, title="Other movements (value: new amount)", title_justify="left"
        )
        for name, justify in (("Movement", "left"), (count, "right"), ("Value", "right")):
            movements.add_column(name, justify=justify)  # type: ignore[arg-type]
        for move in total.movements:
            movements.add_row(TITLES[move.id], f"{move.count:,}", money(move.value, cur))
        console.print(movements)
    if result.groups:
        short = console.width < OWNERS_FULL_WIDTH
        console.print(_owners(result.groups, box, cur, short=short))
    for note in result.notes:
        console.print(f"note: {plain(note)}", markup=False)


def _owners(groups: tuple[Waterfall, ...], box, currency: str | None, *, short: bool) -> Table:
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
        "kind": result.kind,
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


def _movement(m: Waterfall) -> dict:
    return {
        "group": m.group,
        "start": {"count": m.start_count, "value": m.start_value},
        "moves": [{"id": x.id, "count": x.count, "value": x.value} for x in m.moves],
        "end": {"count": m.end_count, "value": m.end_value},
        "movements": [{"id": x.id, "count": x.count, "value": x.value} for x in m.movements],
    }


def render_csv(result: Diff, stream: TextIO, *, escape_formulas: bool = True) -> None:
    """One line per group and step: group, step kind (start, move, end, movement), id, count
    (deals or customers), value."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["period", "group", "step", "id", "count", "value", "currency"])
    for m in (result.total, *result.groups):
        group = m.group or ""
        group = formula(group) if escape_formulas else group
        steps = [("start", "start", m.start_count, m.start_value)]
        steps += [("move", x.id, x.count, x.value) for x in m.moves]
        steps += [("end", "end", m.end_count, m.end_value)]
        steps += [("movement", x.id, x.count, x.value) for x in m.movements]
        for step, step_id, count, value in steps:
            writer.writerow(
                [result.period.label, group, step, step_id, count, value, result.currency or ""]
            )
