"""The `validate` report: what happened to every row of every input.

Paths, values and column names come from the files: they reach rich as Text, never as markup,
without control characters or escape sequences (see render/safe.py)."""

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
from salesmetrics.render.safe import plain
from salesmetrics.report import Feeds
from salesmetrics.schema import HISTORY


def render_json(
    qualities: Sequence[InputQuality],
    stream: TextIO,
    feeds: Sequence[Feeds] = (),
    *,
    unusable: Sequence[str] = (),
) -> None:
    """One document: each input's account (with `feeds`, one per input, the KPIs it can feed),
    and a line for each input that could not be used."""
    inputs = [q.to_dict() for q in qualities]
    for item, fed in zip(inputs, feeds, strict=False):
        item["kpis"] = {
            "can_feed": list(fed.can),
            "cannot_feed": [{"id": s.id, "reason": s.reason} for s in fed.cannot],
        }
    document = {
        "schema_version": "1",
        "tool": {"name": "salesmetrics", "version": __version__},
        "inputs": inputs,
        "unusable": list(unusable),
    }
    json.dump(document, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def render_table(
    qualities: Sequence[InputQuality], console: Console, feeds: Sequence[Feeds] = ()
) -> None:
    for i, q in enumerate(qualities):
        _render_one(q, console, feeds[i] if i < len(feeds) else None)


def _render_one(q: InputQuality, console: Console, fed: Feeds | None) -> None:
    how = [f"mapping {q.mapping}"]
    if q.sheet is not None:
        how.append(f"sheet {q.sheet!r}")
    if q.encoding is not None:
        how.append(q.encoding)
    if q.delimiter is not None:
        how.append(f"delimiter {q.delimiter!r}")
    how.append(f"header on row {q.header_row}" if q.header_row else "no header")
    status = [("clean", "green")] if q.clean else _status(q)
    console.print(
        Text.assemble(
            (plain(q.path), "bold"), plain(f" -> {q.entity} ({', '.join(how)}): "), *status
        )
    )
    for warning in q.warnings:
        console.print(Text(plain(f"warning: {warning}")))

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
        lines = q.footer_first_line
        where = (
            "" if lines is None else f" (lines {lines:,}–{lines + q.footer_lines_dropped - 1:,})"
        )
        counts.add_row("footer lines dropped", f"{q.footer_lines_dropped:,}{where}")
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
        console.print(
            Text(plain("Mapped columns missing from the file: " + ", ".join(q.missing_columns)))
        )
    if q.dedupe_missing:
        console.print(
            Text(
                plain(
                    "Not de-duplicated (a row exported twice counts twice): the file lacks "
                    + ", ".join(q.dedupe_missing)
                )
            )
        )
    if q.unused_columns:
        console.print(Text(plain("Columns present but unused: " + ", ".join(q.unused_columns))))
    if fed is not None:
        _feeds(console, fed)
    console.print()


def _feeds(console: Console, fed: Feeds) -> None:
    if fed.can:
        console.print(f"KPIs it can feed ({len(fed.can)}): " + ", ".join(fed.can))
    _titled(
        console,
        f"KPIs it cannot feed ({len(fed.cannot)})",
        ("KPI", "why"),
        [(s.id, s.reason) for s in fed.cannot],
    )


def _status(q: InputQuality) -> list[str | tuple[str, str]]:
    """What keeps an input from being clean: rejected rows, anomalies, or both (styled parts
    for Text.assemble)."""
    said: list[str | tuple[str, str]] = []
    if q.rows_rejected:
        said.append((f"{q.rows_rejected:,} rejected", "red"))
    if q.anomalies:
        count = sum(a.count for a in q.anomalies)
        said += [", "] if said else []
        said.append((f"{count:,} anomal{'ies' if count != 1 else 'y'}", "yellow"))
    return said


def _titled(
    console: Console, title: str, headers: tuple[str, ...], rows: list[tuple[str, ...]]
) -> None:
    """A titled table, or nothing when there are no rows."""
    if not rows:
        return
    table = Table(*headers, title=title, box=table_box(console), title_justify="left")
    for row in rows:
        table.add_row(*(Text(plain(cell)) for cell in row))
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
