"""The `validate` report: what happened to every row of every input."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesmetrics import __version__
from salesmetrics.ingest.quality import InputQuality, Reason
from salesmetrics.render.console import table_box
from salesmetrics.schema import HISTORY


def render_json(qualities: Sequence[InputQuality], stream: TextIO) -> None:
    document = {
        "schema_version": "1",
        "tool": {"name": "salesmetrics", "version": __version__},
        "inputs": [q.to_dict() for q in qualities],
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_table(qualities: Sequence[InputQuality], console: Console) -> None:
    for q in qualities:
        _render_one(q, console)


def _render_one(q: InputQuality, console: Console) -> None:
    how = [f"mapping {q.mapping}"]
    if q.sheet is not None:
        how.append(f"sheet {q.sheet!r}")
    if q.encoding is not None:
        how.append(q.encoding)
    if q.delimiter is not None:
        how.append(f"delimiter {q.delimiter!r}")
    how.append(f"header on row {q.header_row}" if q.header_row else "no header")
    status = "[green]clean[/]" if q.clean else _status(q)
    console.print(f"[bold]{q.path}[/] -> {q.entity} ({', '.join(how)}): {status}")

    counts = Table(box=table_box(console), show_header=False, pad_edge=False)
    counts.add_column("what")
    counts.add_column("rows", justify="right")
    counts.add_row("rows read", f"{q.rows_read:,}")
    counts.add_row("used", f"{q.rows_used:,}")
    counts.add_row("filtered", f"{q.rows_filtered:,}")
    counts.add_row("rejected", f"{q.rows_rejected:,} ({q.reject_rate:.2%})")
    counts.add_row("duplicates dropped", f"{q.duplicates_dropped:,}")
    if q.entity == HISTORY:
        counts.add_row("joined to no deal", f"{q.rows_unmatched:,}")
    if q.footer_lines_dropped:
        counts.add_row("footer lines dropped", f"{q.footer_lines_dropped:,}")
    if q.lines_of is not None:
        counts.add_row(
            f"lines joined (lines_of: {', '.join(q.lines_of.key)})",
            f"{q.lines_of.lines:,} lines → {q.lines_of.records:,} {q.entity}",
        )
    console.print(counts)

    _reasons(console, "Filtered", q.filtered)
    _reasons(console, "Rejected", q.rejected)
    _reasons(console, "Unreadable optional values (left blank)", q.unreadable)
    _reasons(console, "Anomalies: impossible values, rows kept (row: values)", q.anomalies)
    _reasons(console, "Joined to no deal (row: deal id)", q.unmatched)
    _titled(
        console,
        "Values given the mapping's default",
        ("field", "value", "rows"),
        [(d.field, d.value, f"{d.count:,}") for d in q.defaulted],
    )
    _titled(
        console,
        "Stage values not placed",
        ("field", "value", "rows"),
        [(u.field, u.value, f"{u.count:,}") for u in q.unplaced],
    )
    if q.placing_yaml:
        console.print(
            "Deals at these stages count as open, at an unknown stage. To place them, fill in "
            "each <stage> (the first line says where):"
        )
        console.print(Text(q.placing_yaml.rstrip("\n")), soft_wrap=True)
    _titled(
        console,
        "Date ranges",
        ("date field", "first", "last"),
        [(r.field, r.first, r.last) for r in q.date_ranges],
    )
    if q.missing_columns:
        console.print("Mapped columns missing from the file: " + ", ".join(q.missing_columns))
    if q.unused_columns:
        console.print("Columns present but unused: " + ", ".join(q.unused_columns))
    console.print()


def _status(q: InputQuality) -> str:
    """What keeps an input from being clean: rejected rows, anomalies, or both."""
    said = [f"[red]{q.rows_rejected:,} rejected[/]"] if q.rows_rejected else []
    if q.anomalies:
        count = sum(a.count for a in q.anomalies)
        said.append(f"[yellow]{count:,} anomal{'ies' if count != 1 else 'y'}[/]")
    return ", ".join(said)


def _titled(
    console: Console, title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]
) -> None:
    """A titled table, or nothing when there are no rows."""
    if not rows:
        return
    table = Table(*headers, title=title, box=table_box(console), title_justify="left")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _reasons(console: Console, title: str, reasons: Sequence[Reason]) -> None:
    def examples(r: Reason) -> str:
        return "; ".join(
            f"{e.row if e.row is not None else '?'}: {e.value}" if e.value else f"{e.row}"
            for e in r.examples
        )

    _titled(
        console,
        title,
        ("reason", "rows", "examples (row: value)"),
        [(r.reason, f"{r.count:,}", examples(r)) for r in reasons],
    )
