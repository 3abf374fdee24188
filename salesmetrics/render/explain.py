"""The rows behind a value (salesmetrics.explain) as a table for people, CSV or a workbook for a
spreadsheet, JSON for tools.

The table starts with the answer: the value, then how many rows counted and how many were left
out by reason (always, whatever `limit` shows), then the counted rows and the rows left out,
each with the columns that tell most first (the row, the id, the date, the KPI's columns, the
reason) as many as the width takes. CSV, JSON and the workbook keep every row and column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from salesmetrics.explain import COUNTED, FILE, REASON, ROW, Explanation, identifier, recompute
from salesmetrics.kpis.base import Aggregation
from salesmetrics.render.console import is_ascii, table_box
from salesmetrics.render.format import value as shown_value
from salesmetrics.render.safe import formulas, plain

BORDER = 3  # the characters a column adds to a table: its padding and a rule
MOST_VALUES = 12  # the values of a split KPI named in the first line
FOLDED = 20  # the reason's narrowest width: wider when the other columns leave room
HEADERS = {ROW: "row", FILE: "file"}
DATE_FORMAT = "yyyy-mm-dd hh:mm"


def summary_lines(found: Explanation, *, ascii: bool = False) -> list[str]:
    """The value explained, the rows counted and left out by reason, the notes."""
    kpi = found.kpi
    period = found.period.label + (" (the comparison period)" if found.compared else "")
    group = "".join(f", {d} {v}" for d, v in found.group)
    lines = [f"{kpi.label} ({kpi.id}), {period}{group}: {_values(found, ascii)}"]
    source = kpi.relation.source if kpi.relation is not None else None
    rows = found.entity if source == found.entity else "rows"  # a view's rows are not records
    left = len(found.rows) - found.counted
    reasons = ", ".join(f"{n:,} {reason}" for reason, n in found.reasons())
    line = f"{found.counted:,} {rows} counted, {left:,} left out"
    lines.append(line + (f": {reasons}" if reasons else ""))
    parts = _parts(found)
    if parts:
        lines.append(f"the counted rows give {parts}")
    lines += [f"note: {note}" for note in _notes(found)]
    files = list(found.rows[FILE].dropna().unique()) if FILE in found.rows else []
    if len(files) == 1:
        lines.append(f"rows of {files[0]}")
    return [plain(line) for line in lines]


def _values(found: Explanation, ascii: bool) -> str:
    unit, currency = found.kpi.unit, found.currency
    shown = []
    for v in found.values:
        text = shown_value(unit, found.shown(v), currency, ascii=ascii)
        if v.maturing and not found.compared:
            text += " ~"
        name = " ".join(x for x in (v.category, v.subcategory) if x)
        shown.append(f"{name} {text}" if name else text)
    if len(shown) > MOST_VALUES:  # a cohort matrix: -f json has them all
        return ", ".join(shown[:MOST_VALUES]) + f", ... ({len(shown):,} values)"
    return ", ".join(shown)


def _parts(found: Explanation) -> str:
    """The counted rows' sums behind the value, by kind: numerator / denominator, a sum."""
    rows = found.rows[found.rows[COUNTED].to_numpy(dtype=bool)]
    roles = found.roles
    if "category" in roles or found.kpi.aggregation is Aggregation.CUSTOM:
        return ""  # a value per category; a custom combination of its own
    again = recompute(found).get((None, None))
    declared = found.kpi.relation
    key = declared.key
    keys_of = f"distinct {identifier(key) or 'keys'}" if key else ""
    if "per" in roles:  # distinct keys per distinct `per`
        per = declared.per or ""
        keys, pers = (rows[roles[r]].dropna().nunique() for r in ("key", "per"))
        shown = shown_value(found.kpi.unit, again, found.currency)
        return f"{keys:,} {keys_of} / {pers:,} distinct {identifier(per) or 'values'} = {shown}"
    if "numerator" in roles and "denominator" not in roles:  # over the distinct keys
        top = _number(_sum(rows[roles["numerator"]]))
        keys = rows[roles["key"]].dropna().nunique()
        shown = shown_value(found.kpi.unit, again, found.currency)
        return f"numerator {top} / {keys:,} {keys_of} = {shown}"
    if "numerator" in roles and "key" in roles:  # distinct keys where each is nonzero
        keyed = rows[roles["key"]]
        top, bottom = (
            keyed[rows[roles[r]].fillna(0).to_numpy(dtype=float) != 0].dropna().nunique()
            for r in ("numerator", "denominator")
        )
        shown = shown_value(found.kpi.unit, again, found.currency)
        return f"{top:,} / {bottom:,} {keys_of} = {shown}"
    if "numerator" in roles:
        top = _number(_sum(rows[roles["numerator"]]))
        bottom = _number(_sum(rows[roles["denominator"]]))
        shown = shown_value(found.kpi.unit, again, found.currency)
        return f"numerator {top} / denominator {bottom} = {shown}"
    if "key" in roles:
        return f"{rows[roles['key']].dropna().nunique():,} {keys_of}"
    if "value" in roles:
        kind = found.kpi.aggregation.value
        present = int(rows[roles["value"]].notna().sum())
        if found.scale != 1.0:  # a value per length of time (reach outs per week)
            base = recompute(replace(found, scale=1.0)).get((None, None))
            return (
                f"{kind} {_number(base)} over {present:,} values, "
                f"x {found.scale:.4g} for the period's length = {_number(again)}"
            )
        return f"{kind} {_number(again)} over {present:,} values"
    return ""


def _sum(column: pd.Series) -> float:
    return float(column.to_numpy(dtype=float, na_value=np.nan)[~column.isna().to_numpy()].sum())


def _notes(found: Explanation) -> list[str]:
    notes = [n for v in found.values if not found.compared and (n := v.note)]
    notes = list(dict.fromkeys(notes))
    if any(v.maturing for v in found.values) and not found.compared:
        notes.append("~ maturing: later data can still change the value")
    if found.cutoff is not None:
        notes.append(
            f"a maturing cohort is compared at the same age: outcomes after {found.cutoff} "
            "are not counted"
        )
    return notes + list(found.notes)


def _number(x: float | None) -> str:
    if x is None or x != x:
        return "-"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


# the table


def render_table(found: Explanation, console: Console, *, limit: int = 20) -> None:
    """The summary, then the counted rows and the rows left out, `limit` of each (0: all)."""
    ascii = is_ascii(console)
    for line in summary_lines(found, ascii=ascii):
        console.print(line, markup=False, highlight=False)
    rows = found.rows
    counted = rows[COUNTED].to_numpy(dtype=bool)
    multiple = FILE in rows and rows[FILE].nunique() > 1
    first = _columns(found, multiple)
    for title, part, columns in (
        ("Counted", rows[counted], first),
        ("Left out", rows[~counted], [c for c in first if c not in found.roles.values()]),
    ):
        if not len(part):
            continue
        shown = part if limit == 0 else part.head(limit)
        table = _table(console, f"{title} ({len(part):,})", shown, columns)
        console.print(table)
        if len(shown) < len(part):
            console.print(
                f"... and {len(part) - len(shown):,} more {title.lower()}: --limit 0 shows "
                "them all; -f csv or -f xlsx writes every row and column",
                markup=False,
            )


def _columns(found: Explanation, multiple: bool) -> list[str]:
    """The columns that tell most, in order: the row (and file), the id, the date, the KPI's
    columns, the reason, then the rest (the columns its SQL reads) but the group's own."""
    rows = found.rows
    ids = [c for c in rows.columns if c.endswith("_id")][:1]
    dated = [c for c in (found.when, "until") if c is not None and c in rows.columns]
    first = [ROW, *([FILE] if multiple else []), *ids, *dated, *found.roles.values(), REASON]
    same = [COUNTED, FILE, *(d for d, _ in found.group)]  # the group's labels: in the title
    rest = [c for c in rows.columns if c not in first and c not in same]
    return [c for c in dict.fromkeys([*first, *rest]) if c in rows.columns]


def _table(console: Console, title: str, rows: pd.DataFrame, columns: list[str]) -> Table:
    """As many of `columns` as the width takes, in order; the reason folds, nothing is cut."""
    cells = {c: _cells(rows[c]) for c in columns}
    cells = {c: v for c, v in cells.items() if c != REASON or (v != "").any()}
    needs = {
        c: max([len(HEADERS.get(c, c)), *(len(v) for v in values)]) + BORDER
        for c, values in cells.items()
    }
    order = list(cells)
    at = order.index(REASON) if REASON in order else len(order)
    reason = min(needs.get(REASON, 0), FOLDED + BORDER)  # kept whatever else must go
    width, chosen = 1 + reason, []
    for column in order[:at]:  # the columns before the reason, as the width takes
        if width + needs[column] <= console.width:
            width += needs[column]
            chosen.append(column)
    if REASON in cells:  # then the reason, as wide as it needs if there is room
        chosen.append(REASON)
        grown = max(reason, min(needs[REASON], console.width - width + reason))
        width, reason = width + grown - reason, grown
    for column in order[at + 1 :]:  # then the others that still fit
        if width + needs[column] <= console.width:
            width += needs[column]
            chosen.append(column)
    table = Table(box=table_box(console), title=title, title_justify="left")
    chosen = [c for c in cells if c in chosen]
    for column in chosen:
        folds = column == REASON
        table.add_column(
            HEADERS.get(column, column),
            justify="right" if pd.api.types.is_numeric_dtype(rows[column]) else "left",
            no_wrap=not folds,
            overflow="fold",
            min_width=reason - BORDER if folds else None,
        )
    for values in zip(*(cells[c] for c in chosen), strict=True):
        table.add_row(*values)
    return table


def _cells(column: pd.Series) -> np.ndarray:
    """A column as the table shows it: dates as days, numbers with separators, blanks as -."""
    if pd.api.types.is_bool_dtype(column):
        return np.where(column.fillna(False).to_numpy(dtype=bool), "yes", "no")
    if pd.api.types.is_datetime64_any_dtype(column) or "timestamp" in str(column.dtype):
        days = column.astype("datetime64[us]").dt.strftime("%Y-%m-%d")
        return days.fillna("-").to_numpy(dtype=object).astype(str)
    if column.name == ROW:
        return column.astype("string").fillna("-").to_numpy(dtype=object).astype(str)
    if pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        return np.array([_number(x) for x in values], dtype=object).astype(str)
    text = column.astype("string").fillna("-").to_numpy(dtype=object).astype(str)
    return np.array([plain(t) for t in text], dtype=object).astype(str) if len(text) else text


# CSV, JSON, workbook


def render_csv(found: Explanation, stream: TextIO, *, escape_formulas: bool = True) -> None:
    """Every row and column; true/false for `counted`; a text a spreadsheet would run as a
    formula gets a leading ' unless `escape_formulas` is False."""
    from salesmetrics.render.flat import csv_writer

    frame = _flat(found.rows)
    if escape_formulas:
        frame = frame.apply(formulas)
    cells = frame.astype("string").fillna("")
    writer = csv_writer(stream.write)
    writer.writerow(cells.columns)
    writer.writerows(cells.itertuples(index=False, name=None))


def _flat(rows: pd.DataFrame, *, flags: bool = True) -> pd.DataFrame:
    """The rows with times in ISO form and, with `flags`, flags as the texts true/false."""
    out = {}
    for name in rows.columns:
        column = rows[name]
        if flags and pd.api.types.is_bool_dtype(column):
            out[name] = column.map({True: "true", False: "false"}).astype("string")
        elif pd.api.types.is_datetime64_any_dtype(column) or "timestamp" in str(column.dtype):
            out[name] = column.astype("datetime64[us]").dt.strftime("%Y-%m-%dT%H:%M:%S")
        else:
            out[name] = column
    return pd.DataFrame(out, index=rows.index)


def render_json(found: Explanation, stream: TextIO) -> None:
    """One document: the value, the counts by reason, the notes and every row."""
    flat = _flat(found.rows, flags=False).astype(object)
    records = flat.where(flat.notna(), None).to_dict("records")
    document = {
        "kpi": found.kpi.id,
        "label": found.kpi.label,
        "unit": str(found.kpi.unit),
        "kind": found.kpi.aggregation.value,
        "period": {
            "label": found.period.label,
            "from": found.period.start.isoformat(),
            "to": found.period.end.isoformat(),
        },
        "comparison": found.compared,
        "as_of": found.as_of.isoformat(),
        "group": dict(found.group),
        "currency": found.currency,
        "values": [
            {
                "category": v.category,
                "subcategory": v.subcategory,
                "value": found.shown(v),
                "note": None if found.compared else v.note,
            }
            for v in found.values
        ],
        "counted": found.counted,
        "left_out": len(found.rows) - found.counted,
        "reasons": [{"reason": r, "rows": n} for r, n in found.reasons()],
        "notes": _notes(found),
        "rows": [{k: _plain(v) for k, v in r.items()} for r in records],
    }
    stream.write(json.dumps(document, ensure_ascii=False, allow_nan=False, indent=2) + "\n")


def _plain(value: Any) -> Any:
    """A cell as JSON holds it: numbers as numbers, NaN as null."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if value != value else float(value)
    return value if value is None or isinstance(value, str) else str(value)


def write_workbook(found: Explanation, path: Path) -> None:
    """A workbook, atomically: a Summary sheet (the value, the counts by reason, the notes)
    and a Rows sheet with every row; no cell is ever a formula (render.xlsx's cells)."""
    from openpyxl import Workbook

    from salesmetrics.atomic import write_atomic
    from salesmetrics.render.xlsx import (
        HEADER_FONT,
        MAX_ROWS,
        SECTION_FONT,
        TITLE_FONT,
        _save,
        _Sheet,
        human,
    )

    if len(found.rows) + 1 > MAX_ROWS:
        from salesmetrics.errors import SalesmetricsError

        raise SalesmetricsError(
            f"{len(found.rows):,} rows do not fit on a worksheet ({MAX_ROWS:,} rows): use -f csv"
        )
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    top = _Sheet(summary)
    lines = summary_lines(found)
    top.styled(1, 1, lines[0], TITLE_FONT)
    row = 2
    for line in lines[1:]:
        top.styled(row, 1, line, SECTION_FONT if row == 2 else HEADER_FONT)
        row += 1
    row += 1
    header = row
    top.header(row, ("Reason left out", "Rows"))
    top.put(row + 1, 1, "counted")
    top.put(row + 1, 2, found.counted, "#,##0")
    row += 2
    for reason, n in found.reasons():
        top.put(row, 1, reason)
        top.put(row, 2, n, "#,##0")
        row += 1
    top.finish(header, row - 1, 2, None, table=False)
    sheet = _Sheet(book.create_sheet("Rows"))
    columns = list(found.rows.columns)
    sheet.header(1, [human(c) for c in columns])
    for at, name in enumerate(columns, start=1):
        _column(sheet, at, found.rows[name])
    sheet.finish(1, len(found.rows) + 1, len(columns), "A2")
    write_atomic(Path(path), lambda stream: _save(book, stream))


def _column(sheet: Any, at: int, column: pd.Series) -> None:
    """One column of the Rows sheet: times as Excel dates, numbers as numbers, flags as
    yes/no, texts as string cells (never formulas)."""
    if pd.api.types.is_datetime64_any_dtype(column) or "timestamp" in str(column.dtype):
        stamps = column.astype("datetime64[us]")
        values: Sequence[Any] = [None if pd.isna(x) else x.to_pydatetime() for x in stamps]
        for row, value in enumerate(values, start=2):
            if isinstance(value, datetime):
                cell = sheet.ws.cell(row=row, column=at, value=value)
                cell.number_format = DATE_FORMAT
        sheet._width(at, 17.0)
        return
    if pd.api.types.is_bool_dtype(column):
        values = column.fillna(False).to_numpy(dtype=bool).tolist()
    elif pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=float, na_value=np.nan).tolist()
    else:
        text = column.astype("string").astype(object)
        values = text.where(column.notna(), None).tolist()
    for row, value in enumerate(values, start=2):
        number = isinstance(value, float)
        whole = number and float(value).is_integer()
        sheet.put(row, at, value, ("#,##0" if whole else "#,##0.00") if number else None)
