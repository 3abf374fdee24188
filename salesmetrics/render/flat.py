"""Row-per-value formats: NDJSON for streaming, CSV for spreadsheets and scripts, Markdown for
pasting into a chat or an email.

CSV texts that a spreadsheet would run as a formula get a leading `'` (unless the caller asks
to keep them); numbers are written as numbers, a negative one too. Markdown escapes every data
text (see render/safe.py)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.catalogue import STAGES
from salesmetrics.kpis.movement import STAGE as MOVEMENT_STAGE
from salesmetrics.render import format as fmt
from salesmetrics.render.format import MATURING_MARK
from salesmetrics.render.json_report import group_dict, value_dict
from salesmetrics.render.safe import formula, markdown
from salesmetrics.render.words import (
    groups_left_out,
    panel_label,
    same_line,
    skipped_line,
    stage_title,
    summary_lines,
)
from salesmetrics.report import KpiValue, Report
from salesmetrics.schema import HISTORY
from salesmetrics.summary import View, has_data, same_value, summarise

VALUE_COLUMNS = (
    "value",
    "numerator",
    "denominator",
    "n",
    "previous",
    "change",
    "change_pct",
    "target",
    "status",
    "small_sample",
    "maturing",
    "note",
)


def render_ndjson(report: Report, stream: TextIO) -> None:
    """One JSON object per value: the fields of a JSON `kpis` item plus `period` and `as_of`."""
    for v in report.values:
        item = {"period": report.period.label, "as_of": report.as_of.isoformat(), **value_dict(v)}
        stream.write(json.dumps(item, ensure_ascii=False, allow_nan=False) + "\n")


def render_csv(report: Report, stream: TextIO, *, escape_formulas: bool = True) -> None:
    """The same rows, flat: one column per group dimension (blank where a row has none), and
    last the value's `variant` (blank for a KPI with one definition).

    With `escape_formulas`, a text starting with = + - @ tab or CR is written with a leading
    `'`, so a spreadsheet shows it instead of running it (a plain number such as `-5` is left
    as it is); numbers are never touched."""
    dimensions = list(dict.fromkeys(d for v in report.values for d in group_dict(v)))
    head = ["period", "as_of", "id", "label", "stage", "unit", *dimensions, *VALUE_COLUMNS]
    head.append("variant")  # last: the columns before it keep their places
    writer = csv_writer(stream.write)
    writer.writerow(head)
    for v in report.values:
        group = group_dict(v)
        item = value_dict(v)
        row = (
            [report.period.label, report.as_of.isoformat(), v.id, v.label, v.stage, v.unit]
            + [group.get(d, "") for d in dimensions]
            + [_cell(item[c]) for c in VALUE_COLUMNS]
            + [v.variant or ""]
        )
        writer.writerow([formula(x) if escape_formulas and isinstance(x, str) else x for x in row])


def csv_writer(write: Callable[[str], object]) -> Any:
    """A csv writer that gives each row to `write`, ending in "\n"; it quotes a value holding
    a lone CR, as it quotes one holding a line break."""
    return csv.writer(_RowEnds(write), lineterminator="\r\n")


class _RowEnds:
    """The csv module quotes a value that holds any character of its line terminator: with
    "\n" a lone CR is left bare, and a reader splits the row there; with "\r\n" it is quoted.
    The writer writes each row in one call, whose "\r\n" becomes "\n" here."""

    def __init__(self, write: Callable[[str], object]) -> None:
        self._write = write

    def write(self, row: str) -> None:
        self._write(row[:-2] + "\n" if row.endswith("\r\n") else row)


def _cell(x: Any) -> Any:
    """A value for the CSV; a number stays a number, which the csv module writes with repr
    (every digit) and which is never escaped as a formula."""
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    return float(x) if isinstance(x, float) else x


def render_markdown(
    report: Report,
    inputs: Sequence[InputQuality],
    stream: TextIO,
    *,
    view: View = View.default,
    show_skipped: bool = False,
) -> None:
    """The report for a chat or an email: the summary first, then (with `view` default) the
    stages whose KPIs have data, or (all) every stage and skipped KPI."""
    p = report.period
    lines = [f"# Sales report {p.label}", ""]
    about = f"{p.start} to {p.end}"
    if report.comparison is not None:
        about += f", compared with {report.comparison.label}"
    if report.currency:
        about += f"; amounts in {markdown(report.currency)}"
    lines += [f"_{about}; as of {report.as_of}._", ""]
    if report.warnings:  # first: the numbers below are not measurements
        lines += ["**Warnings**", ""] + [f"- {markdown(w.message)}" for w in report.warnings]
        lines.append("")
    lines += _summary(report)
    copies = same_value(report) if view is not View.summary else {}
    stages = [*STAGES, *dict.fromkeys(v.stage for v in report.values if v.stage not in STAGES)]
    for stage in stages if view is not View.summary else ():
        values = [v for v in report.values if v.stage == stage and v.id not in copies]
        if not values or (view is View.default and not has_data(report, stage)):
            continue
        lines += [f"## {stage_title(stage)}", ""]
        lines += _table(report, values, counts=stage == MOVEMENT_STAGE)
        if stage == MOVEMENT_STAGE:  # the span of the snapshots, when it is not the period's
            notes = dict.fromkeys(v.note for v in values if v.note and not v.group)
            lines += [f"_{markdown(note)}_\n" for note in notes]
        left_out = groups_left_out(report, stage)
        lines += [f"_{markdown(left_out)}_", ""] if left_out else []
        shown = {v.id for v in values}
        lines += [f"_{markdown(same_line(k, c))}_\n" for c, k in copies.items() if k in shown]
        lines += _totals_only(report, values)
    lines += _legend(report) if view is not View.summary else []
    if report.skipped and (show_skipped or view is View.all):
        lines += ["## Skipped", ""] + [f"- `{s.id}`: {markdown(s.reason)}" for s in report.skipped]
        lines.append("")
    elif report.skipped:
        lines += [_skipped(report, inputs), ""]
    if inputs:
        lines += ["## Inputs", "", "| file | entity | read | used | filtered | rejected |"]
        lines.append("|---|---|--:|--:|--:|--:|")
        for q in inputs:
            lines.append(
                f"| {markdown(q.path)} | {q.entity} | {q.rows_read:,} | {q.rows_used:,} | "
                f"{q.rows_filtered:,} | {q.rows_rejected:,} |"
            )
        lines.append("")
        for q in inputs:
            if q.entity == HISTORY:
                why = "".join(f" ({markdown(r.reason)})" for r in q.unmatched)
                lines.append(
                    f"{markdown(q.path)}: {q.rows_unmatched:,} stage history rows joined to no "
                    f"deal{why}."
                )
                lines.append("")
    stream.write("\n".join(lines))


def _skipped(report: Report, inputs: Sequence[InputQuality]) -> str:
    """The skipped KPIs' line, its command in code."""
    text = markdown(skipped_line(report, inputs))
    return text.replace("\\`salesmetrics kpis --missing\\`", "`salesmetrics kpis --missing`")


def _summary(report: Report) -> list[str]:
    """The summary panel: its KPIs, the pace, coverage and forecast, the largest moves."""
    summary = summarise(report)
    if not summary.panel and summary.forecast is None:
        return []
    lines = ["## Summary", ""]
    if summary.panel:
        lines += _table(report, list(summary.panel), panel=True, targets=True)
    lines += [markdown(line) + "  " for line in summary_lines(summary, report.currency)]
    if summary.moves and report.comparison is not None:
        lines += ["", f"**Largest moves against {report.comparison.label}**", ""]
        lines += _table(report, list(summary.moves), panel=True)
    elif lines[-1] != "":
        lines.append("")
    return lines


def _table(
    report: Report,
    values: list[KpiValue],
    *,
    panel: bool = False,
    targets: bool = False,
    counts: bool = False,
) -> list[str]:
    """KPIs as rows; the numbers of a row share their decimals. The summary's `panel` has its
    own labels and no group column; with `counts` (the pipeline movement) each value's deals
    (its numerator) come before it, and no comparison (one snapshot pair spans one period)."""
    compared = report.comparison is not None and not counts
    targeted = targets and any(v.target is not None for v in values)
    head = ["KPI", *([] if panel else ["group"]), *(["deals"] if counts else []), "value"]
    head += (["previous", "change"] if compared else []) + (["target"] if targeted else [])
    rows = ["| " + " | ".join([*head, "status"]) + " |", "|" + "|".join("---" for _ in head)]
    rows[1] += "|---|"
    for v in values:
        places = fmt.decimals(v.unit, (v.value, v.previous, v.target, v.change))
        group = ", ".join(f"{k}: {val}" for k, val in group_dict(v).items())
        cells = [panel_label(v) if panel else v.label]
        cells += [] if panel else [group]
        cells += [fmt.value("count", v.numerator, None)] if counts else []
        cells.append(fmt.value(v.unit, v.value, report.currency, places=places))
        if compared:
            cells += [
                fmt.value(v.unit, v.previous, report.currency, places=places),
                fmt.change(v.unit, v.change, v.change_pct, report.currency, places=places),
            ]
        if targeted:
            cells.append(fmt.value(v.unit, v.target, report.currency, places=places))
        cells.append((v.status or "").replace("_", " "))
        escaped = [markdown(c) for c in cells]
        escaped[0] += (" \\*" if v.small_sample else "") + (" ~" if v.maturing else "")
        rows.append("| " + " | ".join(escaped) + " |")
    return [*rows, ""]


def _legend(report: Report) -> list[str]:
    """What the maturing mark after a KPI's label means, when a table uses it."""
    if not any(v.maturing for v in report.values):
        return []
    return [f"~ {MATURING_MARK}", ""]


def _totals_only(report: Report, values: list[KpiValue]) -> list[str]:
    """The stage's KPIs given in total only under the breakdown, once per reason."""
    stage = {v.id for v in values}
    reasons: dict[str, list[str]] = {}
    for s in report.unsplit:
        if s.id in stage:
            reasons.setdefault(s.reason, []).append(f"`{s.id}`")
    if not reasons:
        return []
    return [f"_Total only, {markdown(r)}:_ {', '.join(ids)}" for r, ids in reasons.items()] + [""]
