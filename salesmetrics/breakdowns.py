"""The order and the choice of a report's breakdown groups and categories, decided once here so
that every output (JSON, CSV, table, workbook) lists them the same way.

- Groups (an owner, a source, a month and an owner...) are ordered within each funnel stage by
  the value of the stage's first KPI that is split by them, largest first, so a stage's table
  reads top down by its first column; a `stage` dimension keeps the funnel order, time buckets
  keep their calendar order, and "other" and `(blank)` come last.
- A category of a KPI (a lost reason, a lead source) is ordered by its own value, largest first,
  "other" and `(blank)` last, unless the KPI fixes an order (funnel stages, the MRR bridge's
  movements) or splits it again (a cohort's months: calendar order).
- A group with no rows in the period or the comparison period for any KPI of a stage is left
  out of that stage (a rep who left, a source no longer used) unless all groups are asked for;
  the report counts them per stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from salesmetrics.report import KpiValue
from salesmetrics.schema import DEAL_STAGES

Group = tuple[tuple[str, str], ...]
LAST = ("other", "(blank)")  # labels that go after every other, whatever their value


def last(label: str) -> int:
    """0 for most labels; 1 for a catch-all "other", 2 for the blank group: they sort last."""
    folded = label.strip().casefold()
    return LAST.index(folded) + 1 if folded in LAST else 0


def by_value(value: float | None, label: str) -> tuple:
    """Largest value first, no value after any, "other" then `(blank)` last, then by label."""
    return (last(label), value is None, -(value or 0.0), natural(label))


def natural(label: str) -> tuple[int, float | str]:
    """Numbers in numeric order (month 2 before month 10), then text in text order."""
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def arrange(
    values: Sequence[KpiValue],
    attrs: tuple[str, ...],
    active: Mapping[tuple[str, Group], bool],
    all_groups: bool = False,
) -> tuple[list[KpiValue], dict[str, int]]:
    """The values in order, without the groups `active` says have no rows in either period
    (unless `all_groups`), and how many groups were left out per stage.

    `values` are in catalogue order, each KPI's together; `attrs` are the report's non-time
    dimensions; `active[(stage, group)]` is whether any KPI of the stage has rows for the group
    in the period or the comparison period.
    """
    kept = [v for v in values if all_groups or not _split(v, attrs) or active[(v.stage, v.group)]]
    dropped: dict[str, set[Group]] = {}
    for v in values:
        if _split(v, attrs) and not all_groups and not active[(v.stage, v.group)]:
            dropped.setdefault(v.stage, set()).add(v.group)
    ranks = {stage: _ranks(kept, stage, attrs) for stage in dict.fromkeys(v.stage for v in kept)}
    ordered: list[KpiValue] = []
    for chunk in _by_kpi(kept):
        rank = ranks[chunk[0].stage]
        times = {t: i for i, t in enumerate(dict.fromkeys(_time_part(v, attrs) for v in chunk))}
        ordered += sorted(chunk, key=lambda v: _position(v, attrs, rank, times))
    return ordered, {stage: len(groups) for stage, groups in dropped.items()}


def _split(value: KpiValue, attrs: tuple[str, ...]) -> bool:
    """Whether the value is of a group of the non-time dimensions (not a total or a bucket)."""
    return any(d in attrs for d, _ in value.group)


def _by_kpi(values: Iterable[KpiValue]) -> list[list[KpiValue]]:
    chunks: list[list[KpiValue]] = []
    for v in values:
        if chunks and chunks[-1][0].id == v.id:
            chunks[-1].append(v)
        else:
            chunks.append([v])
    return chunks


def _ranks(values: Sequence[KpiValue], stage: str, attrs: tuple[str, ...]) -> dict[Group, tuple]:
    """Each non-time group's sort key in the stage: the value of the stage's first KPI split by
    the groups (its whole-period values), with funnel order first for a `stage` dimension."""
    whole = [
        v
        for v in values
        if v.stage == stage and v.category is None and _split(v, attrs) and _attrs_only(v, attrs)
    ]
    lead = whole[0].id if whole else None
    found = {v.group: v.value for v in whole if v.id == lead}
    groups = dict.fromkeys(_attr_part(v, attrs) for v in values if v.stage == stage)
    return {g: _key(g, found.get(g)) for g in groups}


def _attrs_only(value: KpiValue, attrs: tuple[str, ...]) -> bool:
    return all(d in attrs for d, _ in value.group)


def _attr_part(value: KpiValue, attrs: tuple[str, ...]) -> Group:
    return tuple((d, label) for d, label in value.group if d in attrs)


def _key(group: Group, value: float | None) -> tuple:
    labels = [label for _, label in group]
    funnel = tuple(
        DEAL_STAGES.index(label) if label in DEAL_STAGES else len(DEAL_STAGES)
        for d, label in group
        if d == "stage"
    )
    return (
        max((last(label) for label in labels), default=0),
        funnel,
        value is None,
        -(value or 0.0),
        tuple(natural(label) for label in labels),
    )


def _time_part(value: KpiValue, attrs: tuple[str, ...]) -> Group:
    return tuple((d, label) for d, label in value.group if d not in attrs)


def _position(
    value: KpiValue,
    attrs: tuple[str, ...],
    rank: Mapping[Group, tuple],
    times: Mapping[Group, int],
) -> tuple:
    """A value's place within its KPI: the whole period, then each time bucket in the order
    computed (calendar order), each total first and its groups in rank order; categories keep
    their order (the sort is stable)."""
    part = _attr_part(value, attrs)
    return (times[_time_part(value, attrs)], (1, rank[part]) if part else (0,))
