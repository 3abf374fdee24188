"""`salesmetrics diff OLD NEW`: the pipeline movement between two exports of the same deals."""

from __future__ import annotations

import io
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


def diff(
    old: Annotated[str, typer.Argument(help="The earlier deals export (last month's).")],
    new: Annotated[str, typer.Argument(help="The later deals export of the same deals.")],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Mapping preset or .yaml path: one for both exports, or one each (old, new); "
            "none to recognise them.",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="The period between the exports, which `slipped` and `pulled in` are about "
            "(2026-10, 2026-Q3...; default: the month before --as-of).",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="The day of the later export (YYYY-MM-DD; default today)."),
    ] = None,
    by_owner: Annotated[
        bool, typer.Option("--by-owner", help="Add one line per owner (deals).")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="A report config whose currency and rates convert amounts."
        ),
    ] = None,
    output_format: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="table, json, csv or xlsx (a waterfall chart)."),
    ] = DiffFormat.table,
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="Write here instead of stdout (- is stdout)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour.")] = False,
) -> None:
    """Compare two exports of the same deals: what was created, advanced, moved back,
    slipped, pulled in, re-priced, won, lost or removed, and how it took the open pipeline
    from its old value to its new one (the moves add up exactly). Two subscriptions exports
    that carry each customer's current MRR give the MRR's movement the same way.

    Example: salesmetrics diff deals-2026-10-01.csv deals-2026-11-01.csv --as-of 2026-11-01
    """
    from datetime import date

    from salesmetrics.atomic import write_text_atomic
    from salesmetrics.cli import (
        EXIT_INPUT,
        _day,
        _load,
        _pair_inputs,
        _refuse_writing_an_input,
        _sources,
        _unusable,
    )
    from salesmetrics.config import load_config
    from salesmetrics.currency import convert
    from salesmetrics.diff import diff as movement
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.periods import PeriodError, resolve_period
    from salesmetrics.render import diff as render
    from salesmetrics.render.console import make_console

    if output_format is DiffFormat.xlsx and output in (None, "-"):
        raise typer.BadParameter("--format xlsx needs --output FILE.xlsx", param_hint="--output")
    if mapping is not None and len(mapping) not in (1, 2):
        raise typer.BadParameter("give one --mapping for both exports, or two (old, new)")
    today = _day(as_of, "--as-of") or date.today()
    try:
        span = resolve_period(period or "last-month", today)
    except PeriodError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None
    rates = load_config(config).rates if config is not None else None
    mappings = (mapping * 2)[:2] if mapping else []
    specs = _pair_inputs([old, new], mappings, None, None)
    loaded, unusable = _load(specs, None, [], quiet=quiet, no_color=no_color, as_of=today)
    if _unusable(unusable, 2, len(loaded), False, computing=True):
        raise typer.Exit(EXIT_INPUT)
    kinds = {"deals": "pipeline", "subscriptions": "mrr"}
    for item in loaded:
        if item.entity not in kinds or item.entity != loaded[0].entity:
            raise SalesmetricsError(
                f"{item.path}: read as {item.entity}, but diff compares two deals exports "
                f"or two subscriptions exports (here: {loaded[0].entity} and "
                f"{loaded[1].entity}); give each its mapping with --mapping"
            )
    entity = loaded[0].entity
    frames = [item.frame for item in loaded]
    if rates is not None:
        frames = [convert({entity: f}, rates)[entity] for f in frames]
    codes = {str(c) for f in frames if "currency" in f for c in f["currency"].dropna().unique()}
    if rates is None and len(codes) > 1:
        raise SalesmetricsError(
            f"the exports hold amounts in several currencies ({', '.join(sorted(codes))}): "
            "give a report config with a reporting currency and rates (--config)"
        )
    currency = rates.currency if rates is not None else (codes.pop() if codes else None)
    by = "owner" if by_owner else None
    rejected = (_rejected_ids(loaded[0]), _rejected_ids(loaded[1]))
    result = movement(
        frames[0], frames[1], span, kind=kinds[entity], by=by, currency=currency, rejected=rejected
    )
    target = output or "-"
    _refuse_writing_an_input("--output", target, _sources(specs, config))
    if output_format is DiffFormat.xlsx:
        from salesmetrics.render.xlsx import write_movement_workbook

        write_movement_workbook(result, Path(target), old=old, new=new)
        return
    buffer = io.StringIO() if target != "-" else sys.stdout
    if output_format is DiffFormat.table:
        console = make_console(buffer, no_color=no_color or target != "-")
        render.render_table(result, console, old=old, new=new)
    elif output_format is DiffFormat.json:
        render.render_json(result, buffer, old=old, new=new)
    else:
        render.render_csv(result, buffer)
    if isinstance(buffer, io.StringIO):
        write_text_atomic(Path(target), buffer.getvalue())


def _rejected_ids(item) -> set[str]:
    """The ids of the rows an export rejected, as its id column holds them."""
    key = "deal_id" if item.entity == "deals" else "customer_id"
    for header in item.mapping.columns.get(key, ()):
        if header in item.rejects.columns:
            return set(item.rejects[header].dropna().astype(str))
    return set()
