"""The report for a person at a terminal: one section per funnel stage, then the details.

Colour and arrows only where the console allows them; plain ASCII tables when piped. Every
text reaches rich as a Text, never as markup (an owner named "[red]" stays "[red]"), without
control characters or escape sequences (see render/safe.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from salesmetrics.engine import is_money as _is_money
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.kpis.base import Aggregation, Kpi
from salesmetrics.kpis.catalogue import CATALOGUE, STAGES
from salesmetrics.render import format as fmt
from salesmetrics.render.console import table_box
from salesmetrics.render.safe import plain
from salesmetrics.report import KpiValue, Report
from salesmetrics.schema import HISTORY

STATUS_STYLE = {"on_track": "green", "at_risk": "yellow", "off_track": "red"}
COLUMNS_PER_TABLE = 5  # KPIs side by side in a breakdown table
BAR_WIDTH = 30


def render(
    report: Report, inputs: Sequence[InputQuality], console: Console, *, limit: int = 20
) -> None:
    """The whole report; breakdown tables are capped at `limit` rows (0: no cap)."""
    _header(report, console)
    _warnings(report, console)
    stages = [s for s in _stages(report) if any(v.stage == s for v in report.values)]
    for stage in stages:
        values = [v for v in report.values if v.stage == stage]
        console.print()
        plain = console.no_color or not console.is_terminal
        console.rule(
            Text(stage.capitalize(), style="bold"), align="left", characters="-" if plain else "─"
        )
        _totals(report, [v for v in values if not v.group and v.category is None], console)
        for kpi_id in dict.fromkeys(v.id for v in values if v.category is not None):
            _categories(report, kpi_id, [v for v in values if v.id == kpi_id], console, limit)
        if report.group_by:
            _breakdown(
                report, [v for v in values if v.group and v.category is None], console, limit
            )
            _totals_only(report, values, console)
    _footer(report, inputs, console)


def _stages(report: Report) -> list[str]:
    extra = [v.stage for v in report.values if v.stage not in STAGES]
    return [*STAGES, *dict.fromkeys(extra)]


def _text(text: str, style: str = "") -> Text:
    """A cell or line from data: shown as it is, never as markup or escape sequences."""
    return Text(plain(text), style=style)


def _add_row(table: Table, cells: Sequence[str | Text]) -> None:
    table.add_row(*(c if isinstance(c, Text) else _text(c) for c in cells))


def _header(report: Report, console: Console) -> None:
    p = report.period
    line = f" {p.label} ({p.start} to {p.end})"
    if report.comparison is not None:
        line += f", compared with {report.comparison.label}"
    if report.currency:
        line += f", in {report.currency}"
    if report.group_by:
        line += f", by {', '.join(report.group_by)}"
    console.print(
        Text.assemble(("salesmetrics report", "bold"), _text(line + f"; as of {report.as_of}"))
    )


def _warnings(report: Report, console: Console) -> None:
    """Inputs that do not cover the period, first: the numbers below are not measurements."""
    for warning in report.warnings:
        console.print(Text(f"warning: {warning.message}", style="bold yellow"), soft_wrap=True)


def _totals_only(report: Report, values: list[KpiValue], console: Console) -> None:
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
        console.print(
            Text(f"{', '.join(labels)}: total only, {reason}", style="dim"), soft_wrap=True
        )


def _note(v: KpiValue, report: Report) -> str:
    """The value's note without why it is not split (said once below the stage)."""
    reason = next((s.reason for s in report.unsplit if s.id == v.id), None)
    note = v.note or ""
    return note.removesuffix(reason).removesuffix("; ") if reason else note


def _totals(report: Report, values: list[KpiValue], console: Console) -> None:
    if not values:
        return
    compared = report.comparison is not None
    trended = any(v.trend for v in values)
    targeted = any(v.target is not None for v in values)
    table = Table(box=table_box(console))
    table.add_column("KPI")
    table.add_column("value", justify="right")
    if compared:
        table.add_column("previous", justify="right")
        table.add_column("change", justify="right")
    if targeted:
        table.add_column("target", justify="right")
        table.add_column("status")
    if trended:
        table.add_column(f"last {len(report.trend)}")
    noted = any(_note(v, report) for v in values)
    if noted:
        table.add_column("note", overflow="fold")
    for v in values:
        row: list[str | Text] = [_label(v), _value(v, report)]
        if compared:
            row += [fmt.value(v.unit, v.previous, report.currency), _change(v, report, console)]
        if targeted:
            row += [fmt.value(v.unit, v.target, report.currency), _status(v.status)]
        if trended:
            row.append(fmt.sparkline([p.value for p in v.trend]))
        if noted:
            row.append(_text(_note(v, report), style="dim"))
        _add_row(table, row)
    console.print(table)


def _label(v: KpiValue) -> str:
    return v.label + (" *" if v.small_sample else "") + (" ~" if v.maturing else "")


def _value(v: KpiValue, report: Report) -> str:
    return fmt.value(v.unit, v.value, report.currency)


def _change(v: KpiValue, report: Report, console: Console) -> Text:
    text = fmt.change(v.unit, v.change, v.change_pct, report.currency)
    if not text or not v.change:
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
    report: Report, kpi_id: str, values: list[KpiValue], console: Console, limit: int
) -> None:
    """A distribution or per-stage KPI's total, one row per category with a bar."""
    totals = [v for v in values if not v.group]
    if not totals:
        return
    kpi = CATALOGUE.get(kpi_id)
    dimension = kpi.category if kpi is not None and kpi.category else "category"
    funnel = kpi_id == "stage_conversion"
    weight, money = _weight(kpi, totals)
    table = Table(title=totals[0].label, title_justify="left", box=table_box(console))
    table.add_column(_text(dimension))
    if funnel:
        table.add_column("reached", justify="right")
        table.add_column("", no_wrap=True)
        table.add_column("to next", justify="right")
    else:
        unit = totals[0].unit
        table.add_column({"ratio": "share", "currency": "amount"}.get(unit, unit), justify="right")
        table.add_column("", no_wrap=True)
        table.add_column(weight, justify="right")
    widest = max((v.denominator or 0) for v in totals) or 1
    largest = max((abs(v.value or 0.0) for v in totals), default=0.0) or 1.0  # bars of non-shares
    shown = totals if not limit else totals[:limit]
    for v in shown:
        if funnel:
            reached = v.denominator or 0
            bar = fmt.bar(reached / widest, BAR_WIDTH)
            _add_row(table, [_category(v), f"{reached:,.0f}", bar, _value(v, report)])
        else:
            share = (v.value or 0.0) / (1.0 if v.unit == "ratio" else largest)
            count = v.numerator if v.numerator is not None else float(v.n)
            weight = fmt.money(count, report.currency) if money else f"{count:,.0f}"
            _add_row(table, [_category(v), _value(v, report), fmt.bar(share, BAR_WIDTH), weight])
    console.print(table)
    _left_out(len(totals) - len(shown), console)


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


def _breakdown(report: Report, values: list[KpiValue], console: Console, limit: int) -> None:
    """Groups as rows, KPIs as columns (a few per table), the total row last."""
    if not values:
        return
    ids = list(dict.fromkeys(v.id for v in values))
    by_key = {(v.id, v.group): v for v in values}
    totals = {v.id: v for v in report.values if not v.group and v.category is None}
    groups = list(dict.fromkeys(v.group for v in values))
    dimensions = list(dict.fromkeys(d for g in groups for d, _ in g))
    shown = groups if not limit else groups[:limit]
    for start in range(0, len(ids), COLUMNS_PER_TABLE):
        chunk = ids[start : start + COLUMNS_PER_TABLE]
        table = Table(box=table_box(console), show_footer=True)
        for d in dimensions:
            table.add_column(_text(d), footer="total" if d == dimensions[0] else "")
        for kpi_id in chunk:
            total = totals.get(kpi_id)
            table.add_column(
                CATALOGUE[kpi_id].label if kpi_id in CATALOGUE else kpi_id,
                justify="right",
                footer=_value(total, report) if total else "",
            )
        for group in shown:
            labels = dict(group)
            cells = [labels.get(d, "") for d in dimensions]
            for kpi_id in chunk:
                found = by_key.get((kpi_id, group))
                cells.append(
                    _value(found, report)
                    + (" *" if found.small_sample else "")
                    + (" ~" if found.maturing else "")
                    if found
                    else ""
                )
            _add_row(table, cells)
        console.print(table)
    _left_out(len(groups) - len(shown), console)


def _left_out(count: int, console: Console) -> None:
    if count > 0:
        console.print(
            f"… {count:,} more rows not shown; --limit 0 shows all, --format csv gives every row"
        )


def _unmatched(q: InputQuality) -> str:
    """A stage history's rows joined to no deal, and why; nothing for other inputs."""
    if q.entity != HISTORY:
        return ""
    why = "".join(f" ({r.reason})" for r in q.unmatched)
    return f", {q.rows_unmatched:,} joined to no deal{why}"


def _footer(report: Report, inputs: Sequence[InputQuality], console: Console) -> None:
    console.print()
    if any(v.small_sample for v in report.values):
        console.print(f"* {fmt.SMALL_SAMPLE_MARK}")
    if any(v.maturing for v in report.values):
        console.print(f"~ {fmt.MATURING_MARK}", soft_wrap=True)
    for q in inputs:
        console.print(
            Text.assemble(
                plain(f"{q.path} -> {q.entity}: ")
                + f"{q.rows_read:,} rows read, {q.rows_used:,} used, "
                f"{q.rows_filtered:,} filtered, ",
                (f"{q.rows_rejected:,} rejected", "red" if q.rows_rejected else ""),
                f", {q.duplicates_dropped:,} duplicates",
                _unmatched(q),
            ),
            soft_wrap=True,
        )
    if report.skipped:
        console.print(f"Skipped {len(report.skipped)} KPIs:")
        for s in report.skipped:
            console.print(_text(f"  {s.id}: {s.reason}"), soft_wrap=True)
