"""Named variants: the other meanings people give a KPI's name, side by side (issue 18).

A KPI id may have named variants (`kpis.catalogue.VARIANTS`), each a full declaration with
its own label, formula and test: win rate as won / (won + lost), its default, or as won / the
period's SQLs. The report config's `variants:` chooses per KPI which one the report shows
under the id (`engine.compute(variants=...)`); with `--variants` the others come too, each
value right after the chosen one's of the same group, saying its `variant`. They are
computed as further reports over the same frames, one per round of variants (the second
variant of every KPI that has one, then the third...), so that no report holds an id twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from salesmetrics.kpis.catalogue import VARIANTS
from salesmetrics.report import KpiValue, Report, Skipped

Compute = Callable[[Sequence[str], Mapping[str, str]], Report]
"""Computes the report for the KPI ids given (all, with none), with these variants chosen."""


def rounds(ids: Sequence[str], chosen: Mapping[str, str]) -> list[dict[str, str]]:
    """The variants not `chosen` of the KPIs `ids`, as rounds of one variant per KPI each."""
    found: list[dict[str, str]] = []
    for kpi_id in ids:
        names = VARIANTS.get(kpi_id, {})
        own = chosen.get(kpi_id, next(iter(names), None))
        for i, name in enumerate(n for n in names if n != own):
            if i == len(found):
                found.append({})
            found[i][kpi_id] = name
    return found


def side_by_side(report: Report, compute: Compute, chosen: Mapping[str, str]) -> Report:
    """`report` with every other variant of its KPIs: each variant's values after those of
    the chosen one of the same KPI, group and category, without a target (the config's is
    for the chosen definition); its skipped reasons and its data warnings added (once)."""
    ids = list(dict.fromkeys([*(v.id for v in report.values), *(s.id for s in report.skipped)]))
    extra: dict[tuple, list[KpiValue]] = {}
    skipped = list(report.skipped)
    unsplit = list(report.unsplit)
    warnings = list(report.warnings)
    for each in rounds(ids, chosen):
        found = compute(list(each), {**chosen, **each})
        for v in found.values:  # a target is set for the definition the report chose
            extra.setdefault(_key(v), []).append(replace(v, target=None, status=None))
        skipped += [
            Skipped(s.id, f"variant {each[s.id]}: {s.reason}", each[s.id]) for s in found.skipped
        ]
        unsplit += [s for s in found.unsplit if s not in unsplit]
        warnings += [w for w in found.warnings if w not in warnings]
    values: list[KpiValue] = []
    for v in report.values:
        values.append(v)
        values += extra.pop(_key(v), [])
    for v in (v for rest in extra.values() for v in rest):  # a group only a variant has
        last = max((i for i, w in enumerate(values) if w.id == v.id), default=len(values) - 1)
        values.insert(last + 1, v)
    return replace(
        report,
        values=tuple(values),
        skipped=tuple(skipped),
        unsplit=tuple(unsplit),
        warnings=tuple(warnings),
    )


def _key(v: KpiValue) -> tuple:
    return (v.id, v.group, v.category, v.subcategory)


def check(chosen: Mapping[str, str]) -> str | None:
    """What is wrong with a choice of variants (one line), or None."""
    for kpi_id, name in chosen.items():
        names = VARIANTS.get(kpi_id)
        if names is None:
            having = ", ".join(VARIANTS)
            return f"variants.{kpi_id}: not a KPI with variants; expected one of {having}"
        if name not in names:
            listed = ", ".join(names)
            return f"variants.{kpi_id}: unknown variant {name!r}; expected one of {listed}"
    return None
