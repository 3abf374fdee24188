"""The report for a person at a terminal: the executive summary, one section per funnel stage,
then the details.

It fits the console's width (80 columns when unknown): no number is ever cut. Notes go below
the table when they would make a label wrap; labels wrap; when a table is still too wide its
columns drop in a fixed order (the sparkline, then the target, then the previous value); a
breakdown puts fewer KPIs side by side, down to one table per KPI; bars shorten. Colour and
arrows only where the console allows them; piped, under NO_COLOR or TERM=dumb, every mark is
ASCII (no arrows, the change's sign says it; no sparklines; bars of `#`). Every text reaches
rich as a Text, never as markup (an owner named "[red]" stays "[red]"), without control
characters or escape sequences (see render/safe.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesmetrics.engine import is_money as _is_money
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.base import Aggregation, Kpi
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES
from salesmetrics.kpis.movement import STAGE as MOVEMENT_STAGE
from salesmetrics.render import format as fmt
from salesmetrics.render.console import is_ascii, table_box
from salesmetrics.render.safe import plain
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
from salesmetrics.summary import Summary, View, has_data, same_value, summarise

STATUS_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "red"}
COLUMNS_PER_TABLE = 5  # at most this many KPIs side by side in a breakdown table
BAR_WIDTH = 30
BAR_MIN = 8  # a narrower bar says nothing: the column goes
LABEL_MIN = 18  # a label narrower than this wraps over too many lines: columns drop first
NOTE_MIN = 24
GROUP_MIN = 24  # a group's name (an owner) up to this wide stays on one line
DROP_ORDER = ("spark", "target", "previous")
"""The columns a too-wide KPI table gives up, first to last (the note column goes below the
table first, as soon as it would make a label wrap)."""
PANEL_DROP_ORDER = ("target", "spark")
"""The summary panel's: its target first, as the sentence below the panel gives the quota and
the status the verdict, and each panel KPI keeps its trend."""


@dataclass(frozen=True)
class _Look:
    """What the output can show: its width, and whether only ASCII."""

    console: Console
    ascii: bool
    width: int
    currency: str | None

    def text(self, text: str, style: str = "") -> Text:
        """A cell or line: never markup or escape sequences; ASCII marks when asked."""
        return Text(fmt.plain_text(plain(text), self.ascii), style=style)


@dataclass
class _Column:
    header: str
    kind: str  # label | number | status | spark | note | previous | target | group
    cells: list[Text] = field(default_factory=list)

    @property
    def number(self) -> bool:
        return self.kind in ("number", "previous", "target")

    def natural(self) -> int:
        return max([cell_len(self.header), *(c.cell_len for c in self.cells)])

    def least(self) -> int:
        """The narrowest it may be: numbers whole, labels and notes wrapped."""
        if self.kind == "label":
            longest_word = max((len(w) for c in self.cells for w in c.plain.split()), default=0)
            return min(self.natural(), max(LABEL_MIN, longest_word))
        if self.kind == "note":
            return min(self.natural(), NOTE_MIN)
        if self.kind == "group":
            return min(self.natural(), GROUP_MIN)
        return self.natural()


def render(
    report: Report,
    inputs: Sequence[InputQuality],
    console: Console,
    *,
    limit: int = 20,
    view: View = View.default,
    show_skipped: bool = False,
) -> None:
    """The report: the summary panel; with `view` default the stages whose KPIs have data, with
    all every stage and skipped KPI. Breakdown tables are capped at `limit` rows (0: no cap)."""
    look = _Look(console, is_ascii(console), console.width, report.currency)
    _header(report, look)
    _warnings(report, look)
    summary = summarise(report)
    _panel(report, summary, look)
    if view is View.summary:
        _legend([*summary.panel, *summary.moves], look)
        return
    copies = same_value(report)
    shown = [*summary.panel, *summary.moves]
    for stage in _stages(report):
        if view is View.default and not has_data(report, stage):
            continue
        values = [v for v in report.values if v.stage == stage and v.id not in copies]
        if values:
            _stage(report, stage, values, look, limit, copies)
            shown += values
    _footer(report, inputs, shown, look, listed=show_skipped or view is View.all)


def _stages(report: Report) -> list[str]:
    extra = [v.stage for v in report.values if v.stage not in STAGES]
    present = {v.stage for v in report.values}
    return [s for s in (*STAGES, *dict.fromkeys(extra)) if s in present]


def _rule(title: str, look: _Look) -> None:
    look.console.print()
    look.console.rule(
        Text(title, style="bold"), align="left", characters="-" if look.ascii else "─"
    )


def _stage(
    report: Report,
    stage: str,
    values: list[KpiValue],
    look: _Look,
    limit: int,
    copies: dict[str, str],
) -> None:
    _rule(stage_title(stage), look)
    totals = [v for v in values if not v.group and v.category is None]
    if stage == MOVEMENT_STAGE:
        _movement(report, totals, look)
    else:
        _totals(report, totals, look)
    _same(values, copies, look)
    for kpi_id in dict.fromkeys(v.id for v in values if v.category is not None):
        _categories(report, kpi_id, [v for v in values if v.id == kpi_id], look, limit)
    if report.group_by:
        _breakdown(report, [v for v in values if v.group and v.category is None], look, limit)
        left_out = groups_left_out(report, stage)
        if left_out:
            look.console.print(look.text(left_out))
        _totals_only(report, values, look)


def _add_row(table: Table, cells: Sequence[Text]) -> None:
    table.add_row(*cells)


def _header(report: Report, look: _Look) -> None:
    p = report.period
    line = f" {p.label} ({p.start} to {p.end})"
    if report.comparison is not None:
        line += f", compared with {report.comparison.label}"
    if report.currency:
        line += f", in {report.currency}"
    if report.group_by:
        line += f", by {', '.join(report.group_by)}"
    look.console.print(
        Text.assemble(("salesmetrics report", "bold"), look.text(line + f"; as of {report.as_of}"))
    )


def _warnings(report: Report, look: _Look) -> None:
    """Inputs that do not cover the period, first: the numbers below are not measurements.
    Then why comparison values are missing, once for all the KPIs (the first month of the data
    has none for most of them), not under each."""
    for warning in report.warnings:
        look.console.print(look.text(f"warning: {warning.message}", style="bold yellow"))
    for line in _before_the_data(_no_comparison(report)):
        look.console.print(look.text(line, style="dim"))


NO_COMPARISON = "no comparison: "


def _panel(report: Report, summary: Summary, look: _Look) -> None:
    """The executive summary: the panel's KPIs with change, status and trend, the pace, the
    coverage and the forecast in words, then the largest moves."""
    if not summary.panel and summary.forecast is None:
        return
    _rule("Summary", look)
    if summary.panel:
        labels = [panel_label(v) for v in summary.panel]
        _kpi_table(
            report,
            list(summary.panel),
            look,
            labels=labels,
            previous=False,
            notes=False,
            drop=PANEL_DROP_ORDER,
        )
    for line in summary_lines(summary, look.currency, ascii=look.ascii):
        look.console.print(look.text(line))
    if summary.moves and report.comparison is not None:
        look.console.print(look.text(f"Largest moves against {report.comparison.label}:"))
        _kpi_table(report, list(summary.moves), look, targets=False, notes=False)


def _totals_only(report: Report, values: list[KpiValue], look: _Look) -> None:
    """The stage's KPIs that the breakdown leaves out, given in total only, and why: once per
    reason, rather than in the note of each."""
    ids = {v.id for v in values}
    reasons: dict[str, list[str]] = {}
    for s in report.unsplit:
        if s.id in ids:
            reasons.setdefault(s.reason, []).append(
                CATALOGUE[s.id].label if s.id in CATALOGUE else s.id
            )
    for reason, labels in reasons.items():
        look.console.print(look.text(f"{', '.join(labels)}: total only, {reason}", style="dim"))


def _same(values: list[KpiValue], copies: dict[str, str], look: _Look) -> None:
    """A KPI shown once for two ids that are the same formula: both ids, under its table."""
    shown = {v.id for v in values if not v.group and v.category is None}
    for copy, kept in copies.items():
        if kept in shown:
            look.console.print(look.text(same_line(kept, copy), style="dim"))


def _no_comparison(report: Report) -> dict[str, int]:
    """The engine's notes that a comparison value is unknown ("no comparison: activities start
    2025-01-01; period 2024-12 has no activities") on the KPIs' totals, with how many have
    each: said once above the tables, and left out of each KPI's note (`_note`)."""
    counts: dict[str, int] = {}
    for v in report.values:
        note = _unsplit_left_out(v, report)
        if v.group or v.category is not None or NO_COMPARISON not in note:
            continue
        said = NO_COMPARISON + note.split(NO_COMPARISON, 1)[1]
        counts[said] = counts.get(said, 0) + 1
    return counts


STARTS = re.compile(r"no comparison: (\w+) start (\S+); period (\S+) has no \1")


def _before_the_data(counts: dict[str, int]) -> list[str]:
    """The lines of `_no_comparison`: one for a comparison period before the start of the
    inputs ("no comparison with 2024-12, before the data: leads, activities start 2025-01-01;
    deals start 2025-01-02 (49 KPIs)"), then one for each other reason."""
    lines: list[str] = []
    starts: dict[str, dict[str, list[str]]] = {}
    kpis: dict[str, int] = {}
    for said, count in counts.items():
        found = STARTS.fullmatch(said)
        if found is None:
            lines.append(f"{said} ({_kpis(count)})")
            continue
        entity, first, label = found.groups()
        starts.setdefault(label, {}).setdefault(first, []).append(entity)
        kpis[label] = kpis.get(label, 0) + count
    for label, by_day in starts.items():
        listed = "; ".join(f"{', '.join(e)} start {day}" for day, e in sorted(by_day.items()))
        said = f"no comparison with {label}, before the data: {listed}"
        lines.insert(0, f"{said} ({_kpis(kpis[label])})")
    return lines


def _kpis(count: int) -> str:
    return "1 KPI" if count == 1 else f"{count} KPIs"


def _unsplit_left_out(v: KpiValue, report: Report) -> str:
    """The value's note without why it is not split (said once below the stage)."""
    reason = next((s.reason for s in report.unsplit if s.id == v.id), None)
    note = v.note or ""
    return note.removesuffix(reason).removesuffix("; ") if reason else note


def _note(v: KpiValue, report: Report) -> str:
    """The value's note without why it is not split (said once below the stage), nor why its
    comparison is missing (said once above, `_no_comparison`)."""
    note = _unsplit_left_out(v, report)
    if NO_COMPARISON in note:
        note = note.split(NO_COMPARISON, 1)[0].removesuffix("; ")
    return note


def _movement(report: Report, values: list[KpiValue], look: _Look) -> None:
    """The pipeline movement (kpis.movement): each step's deals (its numerator) and value, as
    `salesmetrics diff` shows them; no comparison, as one pair of snapshots spans one period.
    A note shared by the values (the span is not the period's) is said once, below."""
    if not values:
        return
    table = Table(box=table_box(look.console))
    table.add_column("KPI", overflow="fold")
    for name in ("deals", "value"):
        table.add_column(name, justify="right", no_wrap=True)
    for v in values:
        deals = fmt.value("count", v.numerator, None, ascii=look.ascii)
        _add_row(
            table,
            [look.text(_marked(v.label, v)), Text(deals), _number(v.unit, v.value, 0, look)],
        )
    look.console.print(table)
    for note in dict.fromkeys(_note(v, report) for v in values):
        if note:
            look.console.print(look.text(note, style="dim"))


def _totals(report: Report, values: list[KpiValue], look: _Look) -> None:
    if values:
        _kpi_table(report, values, look)


def _kpi_table(
    report: Report,
    values: list[KpiValue],
    look: _Look,
    *,
    labels: list[str] | None = None,
    previous: bool = True,
    targets: bool = True,
    notes: bool = True,
    drop: tuple[str, ...] = DROP_ORDER,
) -> None:
    """KPIs as rows: value, previous, change, target, status, sparkline and note, as many as
    the width holds, giving up columns in `drop` order; the notes of a table without its note
    column follow it."""
    compared = report.comparison is not None
    columns = [_Column("KPI", "label"), _Column("value", "number")]
    if compared and previous:
        columns.append(_Column("previous", "previous"))
    if compared:
        columns.append(_Column("change", "number"))
    if targets and any(v.target is not None for v in values):
        columns += [_Column("target", "target"), _Column("status", "status")]
    elif any(v.status for v in values):
        columns.append(_Column("status", "status"))
    if any(v.trend for v in values) and not look.ascii:
        columns.append(_Column(f"last {len(report.trend)}", "spark"))
    noted = notes and any(_note(v, report) for v in values)
    if noted:
        columns.append(_Column("note", "note"))
    for i, v in enumerate(values):
        places = fmt.decimals(v.unit, (v.value, v.previous, v.target, v.change))
        cells = {
            "label": look.text(_marked(labels[i] if labels else v.label, v)),
            "value": _number(v.unit, v.value, places, look),
            "previous": _number(v.unit, v.previous, places, look),
            "change": _change(v, report, look, places),
            "target": _number(v.unit, v.target, places, look),
            "status": _status(v.status),
            "spark": Text(fmt.sparkline([p.value for p in v.trend])),
            "note": look.text(_note(v, report), style="dim"),
        }
        for column in columns:
            column.cells.append(cells[_key(column)])
    kept = _fit(columns, look.width, drop)
    widths = _text_widths(kept, look.width)
    table = Table(box=table_box(look.console))
    for column in kept:
        table.add_column(
            column.header,
            justify="right" if column.number else "left",
            no_wrap=column.kind not in ("label", "note"),
            overflow="fold",
            width=widths.get(column.kind),
        )
    for row in zip(*(c.cells for c in kept), strict=True):
        _add_row(table, row)
    look.console.print(table)
    if noted and not any(c.kind == "note" for c in kept):
        for v in values:
            if note := _note(v, report):
                look.console.print(look.text(f"{v.label}: {note}", style="dim"))


def _key(column: _Column) -> str:
    """Which cell of a row a column shows."""
    if column.kind == "number":
        return "value" if column.header == "value" else "change"
    return column.kind


def _fit(columns: list[_Column], width: int, drop: tuple[str, ...]) -> list[_Column]:
    """The columns that fit `width` with every number whole. The note column stays only where
    the labels beside it stay whole (else the notes go below the table); then columns drop in
    `drop` order, the label wrapping down to its least width, until the rest fit."""
    kept = list(columns)
    whole = sum(c.natural() if c.kind == "label" else c.least() for c in kept)
    if any(c.kind == "note" for c in kept) and whole + 3 * len(kept) + 1 > width:
        kept = [c for c in kept if c.kind != "note"]
    for kind in drop:
        if _needed(kept) <= width:
            break
        kept = [c for c in kept if c.kind != kind]
    return kept


def _text_widths(columns: list[_Column], width: int) -> dict[str, int]:
    """The widths of the label and the note: the label whole where the width allows it, the
    note wrapping first; the numbers keep their own."""
    fixed = sum(c.natural() for c in columns if c.kind not in ("label", "note"))
    room = width - fixed - 3 * len(columns) - 1
    label = next(c for c in columns if c.kind == "label")
    note = next((c for c in columns if c.kind == "note"), None)
    left = note.least() if note is not None else 0
    sizes = {"label": max(label.least(), min(label.natural(), room - left))}
    if note is not None:
        sizes["note"] = max(note.least(), min(note.natural(), room - sizes["label"]))
    return sizes


def _needed(columns: list[_Column]) -> int:
    """The width of a table of these columns at their least: each cell padded by one space on
    either side, and a border between and around them."""
    return sum(c.least() for c in columns) + 3 * len(columns) + 1


def _marked(label: str, v: KpiValue) -> str:
    return label + (" *" if v.small_sample else "") + (" ~" if v.maturing else "")


def _number(unit: str, number: float | None, places: int | None, look: _Look) -> Text:
    return Text(fmt.value(unit, number, look.currency, places=places, ascii=look.ascii))


def _change(v: KpiValue, report: Report, look: _Look, places: int | None = None) -> Text:
    """The change, with an arrow coloured by whether it is good for the KPI; none for a change
    that rounds to zero or is maturing (no verdict), nor in ASCII, where the sign says it."""
    text = fmt.change(
        v.unit, v.change, v.change_pct, report.currency, places=places, ascii=look.ascii
    )
    if not text or not v.change or fmt.rounds_to_zero(text) or look.ascii:
        return Text(text)
    up = v.change > 0
    known = v.id in CATALOGUE and not v.maturing  # a maturing value earns no verdict
    good = up == CATALOGUE[v.id].higher_is_better if known else None
    arrow = "▲ " if up else "▼ "
    style = "" if good is None else ("green" if good else "red")
    return Text(arrow + text, style=style)


def _status(status: str | None) -> Text:
    if status is None:
        return Text("")
    return Text(status.replace("_", " "), style=STATUS_STYLE[status])


def _categories(
    report: Report, kpi_id: str, values: list[KpiValue], look: _Look, limit: int
) -> None:
    """A distribution or per-stage KPI's total, one row per category with a bar (as wide as
    the width leaves, none when under BAR_MIN)."""
    totals = [v for v in values if not v.group]
    if not totals:
        return
    kpi = CATALOGUE.get(kpi_id)
    dimension = kpi.category if kpi is not None and kpi.category else "category"
    funnel = kpi_id == "stage_conversion"
    weight, money = _weight(kpi, totals)
    unit = totals[0].unit
    heads = (
        (dimension, "reached", "to next")
        if funnel
        else (dimension, {"ratio": "share", "currency": "amount"}.get(unit, unit), weight)
    )
    widest = max((v.denominator or 0) for v in totals) or 1
    largest = max((abs(v.value or 0.0) for v in totals), default=0.0) or 1.0  # bars of non-shares
    shown = totals if not limit else totals[:limit]
    counts = [v.numerator if v.numerator is not None else float(v.n) for v in shown]
    places = fmt.decimals(unit, [v.value for v in shown])
    count_places = fmt.decimals("currency" if money else "count", counts)
    rows: list[tuple[Text, Text, float, Text]] = []
    for v, count in zip(shown, counts, strict=True):
        label = look.text(_category(v))
        if funnel:
            reached = v.denominator or 0
            rows.append((label, Text(f"{reached:,.0f}"), reached / widest, _value(v, look)))
        else:
            share = (v.value or 0.0) / (1.0 if v.unit == "ratio" else largest)
            amount = (
                fmt.money(count, report.currency, places=count_places, ascii=look.ascii)
                if money
                else fmt.value("count", count, places=count_places)
            )
            rows.append((label, _number(unit, v.value, places, look), share, Text(amount)))
    texts = [(label, number, last) for label, number, _, last in rows]
    sizes = [
        max([cell_len(head), *(row[i].cell_len for row in texts)]) for i, head in enumerate(heads)
    ]
    bar_width = min(BAR_WIDTH, look.width - sum(sizes) - 3 * 4 - 1)
    table = Table(title=totals[0].label, title_justify="left", box=table_box(look.console))
    table.add_column(look.text(heads[0]), overflow="fold")
    table.add_column(heads[1], justify="right", no_wrap=True)
    if bar_width >= BAR_MIN:
        table.add_column("", no_wrap=True)
    table.add_column(heads[2], justify="right", no_wrap=True)
    for label, number, share, last in rows:
        bar = [Text(fmt.bar(share, bar_width, ascii=look.ascii))] if bar_width >= BAR_MIN else []
        _add_row(table, [label, number, *bar, last])
    look.console.print(table)
    _left_out(len(totals) - len(shown), look)


def _value(v: KpiValue, look: _Look) -> Text:
    return _number(v.unit, v.value, None, look)


def _weight(kpi: Kpi | None, totals: list[KpiValue]) -> tuple[str, bool]:
    """What a category table's last column counts, and whether it is money. It is each
    category's numerator where there is one, else its number of rows; a numerator is an amount
    for a money KPI's distribution (revenue by source) or a ratio of amounts (sample_size
    "rows": revenue retention), a count otherwise (customers still paying in a cohort). Rows
    of the subscription book are customers (the MRR bridge)."""
    if kpi is None:
        return "n", False
    money = any(_is_money(n) for n in kpi.needs)
    if any(v.numerator is not None for v in totals):
        amounts = kpi.aggregation is Aggregation.DISTRIBUTION or kpi.sample_size == "rows"
        if money and amounts:
            return "amount", True
    book = kpi.needs[0].startswith("subscriptions.")
    return ("customers" if book else "n"), False


def _category(v: KpiValue) -> str:
    return (v.category or "") + (" *" if v.small_sample else "") + (" ~" if v.maturing else "")


def _breakdown(report: Report, values: list[KpiValue], look: _Look, limit: int) -> None:
    """Groups as rows, KPIs as columns, the total row last: as many KPIs side by side as the
    width holds (at most COLUMNS_PER_TABLE), down to one table per KPI."""
    if not values:
        return
    key = column_key(report.values)
    ids = list(dict.fromkeys(key(v) for v in values))
    labels = {key(v): v.label for v in values}
    by_key = {(key(v), v.group): v for v in values}
    totals = {key(v): v for v in report.values if not v.group and v.category is None}
    groups = list(dict.fromkeys(v.group for v in values))
    dimensions = list(dict.fromkeys(d for g in groups for d, _ in g))
    shown = groups if not limit else groups[:limit]
    columns: dict[str, _Column] = {}
    for kpi_id in ids:
        total = totals.get(kpi_id)
        found = [by_key.get((kpi_id, g)) for g in shown]
        places = fmt.decimals(
            (total or next(f for f in found if f)).unit,
            [f.value for f in found if f] + ([total.value] if total else []),
        )
        column = _Column(labels[kpi_id], "number")
        column.cells = [
            Text(
                fmt.value(f.unit, f.value, report.currency, places=places, ascii=look.ascii)
                + _marks(f)
            )
            if f
            else Text("")
            for f in found
        ]
        column.cells.append(_number(total.unit, total.value, places, look) if total else Text(""))
        columns[kpi_id] = column
    group_columns = [
        _Column(d, "group", [look.text(dict(g).get(d, "")) for g in shown]) for d in dimensions
    ]
    for chunk in _chunks(ids, columns, group_columns, look.width):
        table = Table(box=table_box(look.console), show_footer=True)
        kpi_columns = [columns[k] for k in chunk]
        least = [c.least() for c in group_columns] + [_least_number(c) for c in kpi_columns]
        natural = [c.natural() for c in (*group_columns, *kpi_columns)]
        widths = _spread(least, natural, look.width)
        for d, size in zip(dimensions, widths, strict=False):
            table.add_column(
                look.text(d),
                footer="total" if d == dimensions[0] else "",
                overflow="fold",
                width=size,
            )
        for column, size in zip(kpi_columns, widths[len(dimensions) :], strict=True):
            table.add_column(
                look.text(column.header), justify="right", footer=column.cells[-1], width=size
            )
        for i in range(len(shown)):
            _add_row(
                table,
                [c.cells[i] for c in group_columns] + [columns[k].cells[i] for k in chunk],
            )
        look.console.print(table)
    _left_out(len(groups) - len(shown), look)


def column_key(values: Sequence[KpiValue]) -> Callable[[KpiValue], str]:
    """A value's KPI column: its id, or for a variant shown beside the one the report chose
    (`--variants`), `id:variant`."""
    chosen: dict[str, str | None] = {}
    for v in values:
        chosen.setdefault(v.id, v.variant)
    return lambda v: v.id if v.variant == chosen.get(v.id, v.variant) else f"{v.id}:{v.variant}"


def _marks(v: KpiValue) -> str:
    return (" *" if v.small_sample else "") + (" ~" if v.maturing else "")


def _chunks(
    ids: list[str], columns: dict[str, _Column], groups: list[_Column], width: int
) -> list[list[str]]:
    """KPI ids in tables that fit `width`: each column as wide as its widest number or the
    longest word of its label, beside the group columns; one KPI alone when none fits more."""
    least = {k: _least_number(column) for k, column in columns.items()}
    base = sum(c.least() for c in groups)
    chunks: list[list[str]] = []
    for kpi_id in ids:
        if chunks and len(chunks[-1]) < COLUMNS_PER_TABLE:
            trial = [*chunks[-1], kpi_id]
            if base + sum(least[k] for k in trial) + 3 * (len(groups) + len(trial)) + 1 <= width:
                chunks[-1] = trial
                continue
        chunks.append([kpi_id])
    return chunks


def _least_number(column: _Column) -> int:
    """A breakdown's KPI column at its narrowest: its widest number, its label's longest word."""
    return max([c.cell_len for c in column.cells] + [cell_len(w) for w in column.header.split()])


def _spread(least: list[int], natural: list[int], width: int) -> list[int]:
    """Column widths from their least, growing one by one towards their natural width, while
    the table (a space either side of each, a border between and around) fits `width`."""
    widths = list(least)
    spare = width - (sum(widths) + 3 * len(widths) + 1)
    while spare > 0 and any(w < n for w, n in zip(widths, natural, strict=True)):
        for i, n in enumerate(natural):
            if widths[i] < n and spare > 0:
                widths[i] += 1
                spare -= 1
    return widths


def _left_out(count: int, look: _Look) -> None:
    if count > 0:
        look.console.print(
            look.text(
                f"… {count:,} more rows not shown; --limit 0 shows all, --format csv gives "
                "every row"
            )
        )


def _unmatched(q: InputQuality) -> str:
    """A stage history's rows joined to no deal, and why; nothing for other inputs."""
    if q.entity != HISTORY:
        return ""
    why = "".join(f" ({r.reason})" for r in q.unmatched)
    return f", {q.rows_unmatched:,} joined to no deal{why}"


def _legend(values: list[KpiValue], look: _Look) -> None:
    """What the marks after a label mean, for those the shown values carry."""
    look.console.print()
    if any(v.small_sample for v in values):
        look.console.print(look.text(f"* {fmt.SMALL_SAMPLE_MARK}"))
    if any(v.maturing for v in values):
        look.console.print(look.text(f"~ {fmt.MATURING_MARK}"))


def _footer(
    report: Report,
    inputs: Sequence[InputQuality],
    shown: list[KpiValue],
    look: _Look,
    *,
    listed: bool,
) -> None:
    """The marks' legend (of the `shown` values' marks alone), each input's row account, and
    the skipped KPIs."""
    console = look.console
    _legend(shown, look)
    for q in inputs:
        console.print(
            Text.assemble(
                look.text(
                    f"{q.path} -> {q.entity}: {q.rows_read:,} rows read, {q.rows_used:,} used, "
                    f"{q.rows_filtered:,} filtered, "
                ),
                (f"{q.rows_rejected:,} rejected", "red" if q.rows_rejected else ""),
                look.text(f", {q.duplicates_dropped:,} duplicates" + _unmatched(q)),
            ),
        )
    if not report.skipped:
        return
    if listed:
        console.print(f"Skipped {len(report.skipped)} KPIs:")
        for s in report.skipped:
            console.print(look.text(f"  {s.id}: {s.reason}"))
    else:
        console.print(look.text(skipped_line(report, inputs)))
