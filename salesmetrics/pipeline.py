"""From a report config to a Report: load every input, then compute with the config's options.

Command-line options arrive as overrides, so the CLI and library users share one path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from salesmetrics.config import InputSpec, ReportConfig
from salesmetrics.engine import SMALL_SAMPLE, compute, span
from salesmetrics.errors import ConfigError
from salesmetrics.ingest.load import LoadedInput, load_input
from salesmetrics.periods import Period, PeriodError, between, resolve_period
from salesmetrics.report import Report

DEFAULT_PERIOD = "last-month"


def load_inputs(
    specs: Iterable[InputSpec],
    *,
    each: Callable[[InputSpec], Any] | None = None,
    mapping_dirs: Iterable[Path] = (),
    strict: bool = False,
) -> list[LoadedInput]:
    """Every input through its mapping; an `auto` mapping is first recognised from the file's
    headers among the presets and `mapping_dirs`. A stage history is then joined to the deals
    (salesmetrics.ingest.history). `each(spec)` may return a context manager (the CLI's
    progress spinner)."""
    from salesmetrics.ingest.detect import recognise_inputs
    from salesmetrics.ingest.history import join_history

    specs = recognise_inputs(specs, mapping_dirs)
    loaded = []
    for spec in specs:
        if each is None:
            loaded.append(
                load_input(spec.path, spec.mapping, base_dir=spec.mapping_base, strict=strict)
            )
            continue
        with each(spec):
            loaded.append(
                load_input(spec.path, spec.mapping, base_dir=spec.mapping_base, strict=strict)
            )
    return join_history(loaded)


def frames_of(loaded: Iterable[LoadedInput]) -> dict[str, pd.DataFrame]:
    """One frame per entity; several files of one entity (two deal exports) are stacked."""
    by_entity: dict[str, list[pd.DataFrame]] = {}
    for item in loaded:
        by_entity.setdefault(item.entity, []).append(item.frame)
    return {
        name: parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        for name, parts in by_entity.items()
    }


def with_overrides(config: ReportConfig, **overrides: Any) -> ReportConfig:
    """The config with every override that is not None (or empty) applied. A period and
    from/to dates are two ways to say one thing: overriding either replaces the config's other
    (`--from/--to` over a config's `period:`); both given at one level are still an error."""
    known = {f.name for f in fields(ReportConfig)}
    given = {k: v for k, v in overrides.items() if v not in (None, (), [])}
    unknown = set(given) - known
    if unknown:
        raise TypeError(f"unknown report options: {sorted(unknown)}")
    dates = "date_from" in given or "date_to" in given
    if dates and "period" not in given:
        given["period"] = None
    elif "period" in given and not dates:
        given.update(date_from=None, date_to=None)
    return replace(config, **given)


def resolve(config: ReportConfig, frames: dict[str, pd.DataFrame]) -> tuple[Period, date]:
    """The report period and `as_of` (today unless fixed) from the config."""
    as_of = config.as_of or date.today()
    if (config.date_from is None) != (config.date_to is None):
        raise ConfigError("give both a from and a to date, or neither")
    try:
        if config.date_from is not None and config.date_to is not None:
            if config.period is not None:
                raise ConfigError("give either a period or from/to dates, not both")
            return between(config.date_from, config.date_to), as_of
        return (
            resolve_period(
                config.period or DEFAULT_PERIOD,
                as_of,
                fiscal_start_month=config.fiscal_year_start,
                data_span=span(frames) or (as_of, as_of),  # undated data: a snapshot
            ),
            as_of,
        )
    except PeriodError as exc:
        raise ConfigError(str(exc)) from None


def compute_report(
    config: ReportConfig, frames: dict[str, pd.DataFrame], **overrides: Any
) -> Report:
    """The Report a config asks for, over already loaded frames; keyword arguments override
    the config's options (period="2026-10", by=("owner",), as_of=date(2026, 11, 23), ...)."""
    config = with_overrides(config, **overrides)
    period, as_of = resolve(config, frames)
    return compute(
        frames,
        period=period,
        as_of=as_of,
        group_by=config.by,
        kpis=config.kpis or None,
        stages=config.stages or None,
        compare=config.compare or ("none" if period.label == "all" else "previous"),
        trend_periods=config.trend or 0,
        settings=config.settings,
        targets=config.targets,
        rates=config.rates,
        small_sample=config.small_sample if config.small_sample is not None else SMALL_SAMPLE,
        strict=config.strict,
        fiscal_start_month=config.fiscal_year_start,
    )
