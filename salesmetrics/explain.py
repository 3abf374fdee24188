"""The rows behind a KPI's value (`salesmetrics explain`): each row the KPI reads, whether it
counted and, when not, why, so that the counted rows give the number and a finance user can
audit any figure.

Every KPI is declared in SQL (`Kpi.relation`) and explained from its declaration, whatever
its kind: every row of its source (table or view) over all time, with the first of its
`where` conditions the row fails (its declared reason), else whether its date places it in
the period ("closed_at outside 2026-10", "no closed_at"; for a snapshot, open at the period's
end), the declaration's condition on the period, the same-age cutoff of a maturing
comparison, and its `left_out` condition (the Kpi's note); a row that passes all is counted.
The KPI's columns (numerator, denominator, value, key, category) are given on the counted
rows only, so their sums are the value's parts.

The value itself comes from the engine (`engine.compute`), as the report gives it, and the
counted rows are checked to give it again (`recompute`): a difference is said in a note.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from salesmetrics import tables
from salesmetrics.config import InputSpec
from salesmetrics.engine import TIME_DIMENSIONS, compute, prepare, select
from salesmetrics.errors import SalesmetricsError
from salesmetrics.kpis.base import (
    SMALL_SAMPLE,
    Aggregation,
    Context,
    Kpi,
    Settings,
)
from salesmetrics.periods import Period
from salesmetrics.report import KpiValue, Report
from salesmetrics.schema import ENTITIES, Kind

FILE = "_file"  # the source file of each row, added to the frames by `sourced`
ROW = "_row"  # the source row number, as the loader gives it
COUNTED, REASON = "counted", "reason"
BLANK = "(blank)"
ROLES = ("numerator", "denominator", "value", "key", "per", "category", "subcategory")
CUSTOM_NOTE = "the value comes from a custom combination of these rows: {formula}"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUOTED = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Explanation:
    """The rows behind one value of a KPI: for a group, in a period (the report's, or the
    comparison's), with the engine's values for it (one per category for a split KPI)."""

    kpi: Kpi
    period: Period
    as_of: date
    group: tuple[tuple[str, str], ...]
    compared: bool  # the value explained is the comparison value (`previous`)
    values: tuple[KpiValue, ...]
    rows: pd.DataFrame  # counted, reason, _row, _file, the id, the date, the KPI's columns, ...
    roles: Mapping[str, str]  # numerator, value, category, ... -> the column of `rows` holding it
    when: str | None  # the column of the date that places a row in the period
    entity: str  # what a row is: deals, leads, ...
    cutoff: date | None  # the same-age cutoff of a maturing comparison
    currency: str | None
    notes: tuple[str, ...]
    scale: float = 1.0  # the factor the value is the rows' times (reach outs per week: 7 / days)

    @property
    def counted(self) -> int:
        return int(self.rows[COUNTED].sum())

    def reasons(self) -> list[tuple[str, int]]:
        """The rows left out by reason, most first (ties in the reasons' order)."""
        left = self.rows.loc[~self.rows[COUNTED].to_numpy(dtype=bool), REASON]
        counts = left.value_counts(sort=False)
        return sorted(((str(r), int(n)) for r, n in counts.items()), key=lambda x: (-x[1], x[0]))

    def shown(self, value: KpiValue) -> float | None:
        """The number explained: the value, or its comparison value."""
        return value.previous if self.compared else value.value


def sourced(loaded: Iterable, snapshot: InputSpec | None = None) -> dict[str, pd.DataFrame]:
    """One frame per entity, as `pipeline.frames_of` stacks them (the input read from
    `snapshot`, the config's previous_snapshot, apart), with each row's file in `_file` (a
    category: one copy of each path)."""
    from salesmetrics.pipeline import held_as

    by_entity: dict[str, list] = {}
    for item in loaded:
        by_entity.setdefault(held_as(item, snapshot), []).append(item)
    frames = {}
    for name, items in by_entity.items():
        parts = [item.frame for item in items]
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        codes = np.repeat(np.arange(len(items)), [len(p) for p in parts])
        paths = list(dict.fromkeys(str(item.path) for item in items))
        index = [paths.index(str(item.path)) for item in items]
        files = pd.Categorical.from_codes(
            np.asarray(index, dtype=np.int64)[codes], categories=pd.Index(paths)
        )
        frames[name] = frame.assign(**{FILE: files})
    return frames


def explain(
    frames: Mapping[str, pd.DataFrame],
    kpi_id: str,
    *,
    period: Period,
    as_of: date,
    group: Sequence[tuple[str, str]] = (),
    compare: str = "previous",
    compared: bool = False,
    settings=None,
    rates=None,
    fiscal_start_month: int = 1,
    small_sample: int | None = None,
    hints: Mapping[str, str] | None = None,
) -> Explanation:
    """The rows behind `kpi_id`'s value for `group` ((dimension, label) pairs; none: the
    total) in `period`, or, with `compared`, behind its comparison value (`compare`:
    previous or year) as the report gives it (a maturing cohort at the same age)."""
    (kpi,) = select([kpi_id])
    dims = tuple(d for d, _ in group)
    timed = [d for d in dims if d in TIME_DIMENSIONS]
    if timed:
        raise SalesmetricsError(
            f"--group {timed[0]}=...: a {timed[0]} is a period; give it with --period instead"
        )
    if len(set(dims)) != len(dims):
        raise SalesmetricsError("give each dimension of --group once")
    threshold = SMALL_SAMPLE if small_sample is None else small_sample
    report = compute(
        frames,
        period=period,
        as_of=as_of,
        group_by=dims,
        kpis=[kpi_id],
        compare=compare,
        settings=settings,
        rates=rates,
        fiscal_start_month=fiscal_start_month,
        hints=hints,
        small_sample=threshold,
    )
    if report.skipped:
        raise SalesmetricsError(
            f"{kpi_id} cannot be computed from these inputs: {report.skipped[0].reason}"
        )
    if report.unsplit:
        raise SalesmetricsError(f"{kpi_id} is given in total only, {report.unsplit[0].reason}")
    values = _values_of(report, kpi, tuple(group))
    target = period
    if compared:
        if report.comparison is None:
            raise SalesmetricsError("no comparison period: give --compare previous or year")
        target = report.comparison
    data = prepare(frames, rates)
    ctx = Context(data, as_of, settings or Settings(), compare, fiscal_start_month, dims, threshold)
    target, cutoff, cut = _slice(kpi, ctx, period, target, compared)
    entity = _entity(kpi)
    notes: list[str] = [cut] if cut else []
    rows, roles, when, scale, said = _declared(kpi, ctx, target, cutoff, entity)
    notes += said
    if group:
        rows = rows[_in_group(rows, group)]
    rows = _ordered(rows, when)
    if kpi.aggregation is Aggregation.CUSTOM:
        notes.append(CUSTOM_NOTE.format(formula=kpi.formula))
    found = Explanation(
        kpi,
        target,
        as_of,
        tuple(group),
        compared,
        values,
        rows,
        roles,
        when,
        entity,
        cutoff,
        report.currency,
        tuple(notes),
        scale,
    )
    return _checked(found)


def _values_of(report: Report, kpi: Kpi, group: tuple[tuple[str, str], ...]) -> tuple:
    """The KPI's values for `group`; a group no row has is an error naming the labels there
    are (the closest first)."""
    found = tuple(v for v in report.values if v.id == kpi.id and v.group == group)
    if found:
        return found
    for at, (dimension, label) in enumerate(group):
        known = sorted({v.group[at][1] for v in report.values if len(v.group) > at})
        if label not in known:
            close = difflib.get_close_matches(label, known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"there are {_listed(known)}"
            raise SalesmetricsError(f"no {kpi.id} group has {dimension} {label!r}; {hint}")
    raise SalesmetricsError(f"no {kpi.id} group has {_pairs(group)}")


def _listed(labels: list[str], most: int = 5) -> str:
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def _pairs(group: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{d}={v}" for d, v in group)


def _slice(
    kpi: Kpi, ctx: Context, period: Period, earlier: Period, compared: bool
) -> tuple[Period, date | None, str | None]:
    """The days the value explained is counted over, its same-age cutoff and the engine's
    note on the days, as the engine's plan sets them: the report period up to where the KPI's
    data stops, the comparison over the same days of its own and, for a maturing cohort, cut
    at the same age. Days that are not the whole period are labelled by their dates, so a
    row's reason ("closed outside …") names the days it was counted over."""
    from salesmetrics.engine import _ages, _edges, _plan

    ages = _ages(kpi, ctx, [(period, ())])
    plan = _plan(kpi, [(period, ())], [(earlier, ())], [], ages, period, _edges(kpi, ctx))
    days, _, cutoff = plan.before[0] if compared else plan.current[0]
    whole = earlier if compared else period
    if (days.start, days.end) != (whole.start, whole.end) and cutoff is None:
        days = replace(days, label=f"{whole.label} ({days.start} to {days.end})")
    return days, cutoff, plan.notes.get(())


def _in_group(rows: pd.DataFrame, group: Sequence[tuple[str, str]]) -> np.ndarray:
    """The rows whose dimensions carry the group's labels (a blank as "(blank)")."""
    keep = np.ones(len(rows), dtype=bool)
    for dimension, label in group:
        text = rows[dimension].astype("string").fillna(BLANK)
        keep &= (text == label).fillna(False).to_numpy(dtype=bool)
    return keep


def _ordered(rows: pd.DataFrame, when: str | None) -> pd.DataFrame:
    """Counted rows first, then the rows left out by reason (the commonest first), each in
    date order, then by file and row, then (a row counted in several cells) by category and
    subcategory, numbers as numbers (a cohort's month 10 after its month 2)."""
    rows = rows.reset_index(drop=True)  # a KPI's rows may repeat a source row (one per stage)
    counted = rows[COUNTED].to_numpy(dtype=bool)
    sizes = rows[REASON].map(rows.loc[~counted, REASON].value_counts()).fillna(0)
    keys = pd.DataFrame(
        {
            "left": ~counted,
            "size": -sizes.to_numpy(dtype=float),
            "reason": rows[REASON].astype("string").fillna(""),
        },
        index=rows.index,
    )
    by = ["left", "size", "reason"]
    for column in (when, FILE, ROW):
        if column is not None and column in rows.columns:
            keys[column] = rows[column]
            by.append(column)
    for role in ("category", "subcategory"):
        if role in rows.columns:
            keys[f"{role}_number"] = pd.to_numeric(rows[role], errors="coerce")
            keys[role] = rows[role].astype("string")
            by += [f"{role}_number", role]
    order = keys.sort_values(by, kind="stable", na_position="last").index
    return rows.loc[order].reset_index(drop=True)


# KPIs declared in SQL


def _declared(
    kpi: Kpi, ctx: Context, period: Period, cutoff: date | None, entity: str
) -> tuple[pd.DataFrame, dict[str, str], str | None, float, list[str]]:
    """Every source row of the declaration with whether it counted in `period` and why not;
    the factor the value is scaled by (`Rows.scale`) and the notes on the days counted
    (`Rows.within`: the part of the period both inputs cover)."""
    from salesmetrics import duck

    rows = kpi.relation
    notes: list[str] = []
    if rows.within is not None:
        part, said = rows.within(ctx, period)
        notes += [said] if said else []
        period = part or period  # no part: no value, and the rows still say where they fall
    scale = rows.scale(ctx, period) if rows.scale is not None else 1.0
    against = [rows.against(ctx, period)] if rows.against is not None else None
    with duck.sliced(ctx, [(period, cutoff)], against):
        found, exprs, ident = _queried(kpi, ctx, entity)
    where = [r for _, r in rows.where]
    other = against[0] if against is not None else None
    out, roles, when = _reasoned(kpi, found, period, cutoff, ident, where, exprs, other)
    return out, roles, when, scale, notes


def _queried(
    kpi: Kpi, ctx: Context, entity: str
) -> tuple[pd.DataFrame, dict[str, str], str | None]:
    """Every source row of the declaration, computed beside the one slice registered (so a
    source made per slice, `Rows.of_slice`, is made for it), with the codes `_reasoned` reads;
    the declaration's expressions with the settings filled in, and the identifier of `at`."""
    from salesmetrics import duck

    rows = kpi.relation
    con = duck.connection(ctx)
    have = duck.columns(ctx, rows.source)
    spoken = {
        "kpi_at": rows.at,
        "kpi_until": rows.until,
        "kpi_spans": rows.spans,
        "kpi_during": rows.during,
        "kpi_left_out": rows.left_out,
        "kpi_outcome": rows.outcome,
        "kpi_entered": rows.entered,
        **{f"kpi_{role}": getattr(rows, role) for role in ROLES},
    }
    exprs = {name: duck.with_settings(sql, ctx) for name, sql in spoken.items() if sql}
    conditions = [duck.with_settings(c, ctx) for c, _ in rows.where]
    passes = " AND ".join(f"coalesce(({c}), FALSE)" for c in conditions) or "TRUE"
    failed = (
        "CASE "
        + " ".join(f"WHEN NOT coalesce(({c}), FALSE) THEN {i}" for i, c in enumerate(conditions))
        + " END"
        if conditions
        else "NULL::INTEGER"
    )
    measured = [duck.with_settings(sql, ctx) for _, sql in rows.measures]  # a custom KPI's
    used = _referenced([*conditions, *exprs.values(), *measured], have)  # at, until, during…
    ident = identifier(rows.at)
    kept = [c for c in (ROW, FILE) if c in have]
    kept += [c for c in _id_columns(entity, have) if c not in kept]
    kept += [c for c in ctx.dimensions if c in have and c not in kept]
    kept += [c for c in used if c not in kept]
    kept += [rows.of_slice] if rows.of_slice is not None and rows.of_slice not in kept else []
    dated = ("kpi_at", "kpi_until", "kpi_spans")
    table = duck.source(ctx, rows.source)
    # the row's expressions are computed with the slice beside it: they may read its
    # kpi_start and kpi_stop (a deal's stage at the period's end), as the engine's do
    inner = ", ".join(
        [f'"{table}".{tables.identifier(c)}' for c in kept]
        + [f"({failed}) AS kpi_failed"]
        + [
            f"({sql}) AS {name}"
            if name in dated
            else f"CASE WHEN {passes} THEN ({sql}) END AS {name}"
            for name, sql in exprs.items()
            if name != "kpi_during"
        ]
    )
    if rows.until is None:
        inside = duck.in_slice(replace(rows, during=None))
        # a whole span's blank end is open; a row made for a slice has no date of its own
        blank = "FALSE" if rows.whole or rows.of_slice else "r.kpi_at IS NULL"
        place = f"CASE WHEN {blank} THEN 1 WHEN NOT ({inside}) THEN 2"
    else:
        place = (
            "CASE WHEN r.kpi_at IS NULL THEN 1 WHEN r.kpi_at >= s.kpi_stop THEN 2 "
            "WHEN r.kpi_until IS NOT NULL AND r.kpi_until < s.kpi_stop THEN 3"
        )
    during = ""
    if "kpi_during" in exprs:
        during = f", coalesce(({exprs['kpi_during']}), FALSE) AS kpi_during"
        place += " WHEN NOT r.kpi_during THEN 4"
    place += " ELSE 0 END"
    aged = kpi.matures is not None and rows.outcome is not None
    late = "coalesce(r.kpi_outcome >= s.kpi_cutoff, FALSE)" if aged else "FALSE"
    entered = "coalesce(r.kpi_entered >= s.kpi_cutoff, FALSE)" if aged and rows.entered else "FALSE"
    sql = (
        f"SELECT r.*, {place} AS kpi_place, {late} AS kpi_late, "
        f"{entered} AS kpi_late_entered, {duck.share(rows)} AS kpi_share "
        f'FROM (SELECT {inner}{during} FROM "{table}" CROSS JOIN {duck.SLICES} s) r '
        f"CROSS JOIN {duck.SLICES} s"
    )
    found = con.sql(duck.ready(ctx, sql)).to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)
    return found, exprs, ident


def _reasoned(
    kpi: Kpi,
    found: pd.DataFrame,
    period: Period,
    cutoff: date | None,
    ident: str | None,
    where: list[str],
    exprs: Mapping[str, str],
    other: Period | None = None,
) -> tuple[pd.DataFrame, dict[str, str], str | None]:
    """The declared rows with `counted` and `reason` from the codes of the query, and the
    KPI's columns given on the counted rows only; `other`: the period the rows are also
    placed in (`Rows.against`)."""
    rows = kpi.relation
    label = period.label if other is None else f"{period.label} and {other.label}"
    at_name = ident or "its date"
    word = _word(at_name)
    failed = found["kpi_failed"].to_numpy(dtype=float, na_value=np.nan)
    place = found["kpi_place"].to_numpy(dtype=np.int64)
    late = found["kpi_late"].to_numpy(dtype=bool)
    late_entered = found["kpi_late_entered"].to_numpy(dtype=bool)
    has_numerator = rows.numerator is not None
    left = (
        found["kpi_left_out"].fillna(False).to_numpy(dtype=bool)
        if "kpi_left_out" in found
        else np.zeros(len(found), dtype=bool)
    )
    outside = f"{word} after {label}" if rows.until is not None else f"{word} outside {label}"
    during = exprs.get("kpi_during", "")
    during = re.sub(r"\bkpi_stop\b", f"'{period.end_exclusive}'", during)
    during = re.sub(r"\bkpi_start\b", f"'{period.start}'", during)
    if other is not None:
        during = re.sub(r"\bkpi_against_stop\b", f"'{other.end_exclusive}'", during)
        during = re.sub(r"\bkpi_against_start\b", f"'{other.start}'", during)
    cut = f"the same-age cutoff {cutoff}" if cutoff is not None else ""
    ok = np.isnan(failed)
    conditions = [~ok & (failed == i) for i in range(len(where))]
    choices = list(where)
    conditions += [
        ok & (place == 1),
        ok & (place == 2),
        ok & (place == 3),
        ok & (place == 4),
    ]
    choices += [
        f"no {at_name}",
        outside,
        f"ended by the end of {label}",
        f"fails {during}",
    ]
    inside = ok & (place == 0)
    conditions += [inside & late_entered, inside & late & (not has_numerator), inside & left]
    choices += [
        f"entered after {cut}",
        f"outcome after {cut}",
        _left_out_reason(kpi),
    ]
    reason = np.select(conditions, choices, default="")
    counted = reason == ""
    remark = counted & late & has_numerator
    reason = np.where(remark, f"counted; its outcome came after {cut}: numerator 0", reason)
    out = found.drop(
        columns=[c for c in found.columns if c.startswith("kpi_")] + [], errors="ignore"
    )
    when = (
        ident
        if ident in out.columns
        else ("at" if "kpi_at" in found and rows.of_slice is None else None)
    )
    if when == "at":
        out["at"] = found["kpi_at"]
    if rows.until is not None:
        out["until"] = found["kpi_until"]
    roles: dict[str, str] = {}
    for role in ROLES:
        column = f"kpi_{role}"
        if column not in found:
            continue
        data = found[column]
        if role in ("category", "subcategory"):
            data = data.astype("string").fillna(BLANK)
        elif role not in ("key", "per"):
            data = data.astype("double[pyarrow]")  # SQL's 1.0 is a decimal
        if role == "numerator":
            data = data.mask(late, 0.0)
        if rows.spans is not None and role in ("value", "numerator", "denominator"):
            data = data * found["kpi_share"].astype("double[pyarrow]")
        out[role] = data.where(counted)
        roles[role] = role
    if rows.spans is not None:  # the part of each row's span inside the period counts
        out["until"] = found["kpi_spans"]
        out["share"] = found["kpi_share"].astype("double[pyarrow]").where(counted)
    out.insert(0, REASON, pd.Series(reason, index=out.index, dtype="string[pyarrow]"))
    out.insert(0, COUNTED, counted)
    ids = _id_columns(_entity(kpi), out.columns)
    dated = [c for c in (when, "until") if c is not None and c in out.columns]
    out = _front(out, [COUNTED, REASON, ROW, FILE, *ids, *dated, "share", *roles.values()])
    return out, roles, when


def _left_out_reason(kpi: Kpi) -> str:
    """The Kpi's note on rows left out as the reason of one row: without its count ({n},
    however formatted), in the singular ({s})."""
    return re.sub(r"\{n(:[^}]*)?\}", "", kpi.left_out).format(s="").strip(" :")


def _entity(kpi: Kpi) -> str:
    """The input a KPI reads first, as the engine takes it (deals for win_rate)."""
    return kpi.needs[0].split("|")[0].split(".")[0]


def _word(column: str) -> str:
    """`closed_at` as `closed` (a date named by what happened), else the column's name."""
    stem = column.removesuffix("_at")
    return stem if column.endswith("_at") and stem.endswith("ed") else column


def identifier(sql: str) -> str | None:
    """The column an expression is, when it is a bare column name."""
    text = sql.strip().strip('"')
    return text if IDENTIFIER.fullmatch(text) else None


def _referenced(sqls: Iterable[str], columns: set[str]) -> list[str]:
    """The source columns the SQL expressions name (quoted texts are not names), in the
    order they are first named: the conditions' columns first."""
    found = [n for sql in sqls for n in IDENTIFIER.findall(QUOTED.sub("", sql)) if n in columns]
    return list(dict.fromkeys(found))


def _id_columns(entity: str, have: Iterable[str]) -> list[str]:
    """The entity's first id field that the rows have (deal_id for deals)."""
    present = set(have)
    spec = ENTITIES.get(entity)
    ids = [f.name for f in spec.fields if f.kind is Kind.ID] if spec is not None else []
    return [next(i for i in ids if i in present)] if any(i in present for i in ids) else []


def _front(frame: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    columns = [c for c in first if c in frame.columns]
    return frame[columns + [c for c in frame.columns if c not in columns]]


def recompute(found: Explanation) -> dict[tuple[str | None, str | None], float | None]:
    """The KPI's value by category (None, None for an unsplit KPI) from the counted rows alone,
    by its kind; custom KPIs are combined by their own code and are not recomputed here."""
    kind = found.kpi.aggregation
    rows = found.rows[found.rows[COUNTED].to_numpy(dtype=bool)]
    roles = found.roles
    split = [roles[r] for r in ("category", "subcategory") if r in roles]
    scale = found.scale if kind not in (Aggregation.RATIO, Aggregation.DISTRIBUTION) else 1.0
    if scale != 1.0:
        return {
            k: None if v is None else v * scale
            for k, v in recompute(replace(found, scale=1.0)).items()
        }
    if not split:
        return {(None, None): _of(kind, rows, roles, len(rows))}
    total = math.fsum(_numbers(rows[roles["value"]])) if kind is Aggregation.DISTRIBUTION else 0
    result: dict[tuple[str | None, str | None], float | None] = {}
    for key, part in rows.groupby(split, sort=False, dropna=False):
        labels = key if isinstance(key, tuple) else (key,)
        result[(str(labels[0]), str(labels[1]) if len(labels) > 1 else None)] = _of(
            kind, part, roles, total
        )
    return result


def _of(kind: Aggregation, rows: pd.DataFrame, roles: Mapping[str, str], total) -> float | None:
    match kind:
        case Aggregation.COUNT:
            return float(len(rows))
        case Aggregation.COUNT_DISTINCT:
            return float(rows[roles["key"]].dropna().nunique())
        case Aggregation.SUM:
            return math.fsum(_numbers(rows[roles["value"]]))
        case Aggregation.DISTRIBUTION:
            weight = math.fsum(_numbers(rows[roles["value"]]))
            return weight / total if total else None
        case Aggregation.RATIO if "per" in roles:  # distinct keys per distinct `per`
            per = rows[roles["per"]].dropna().nunique()
            return rows[roles["key"]].dropna().nunique() / per if per else None
        case Aggregation.RATIO if "denominator" not in roles:  # over the distinct keys
            keys = rows[roles["key"]].dropna().nunique()
            return math.fsum(_numbers(rows[roles["numerator"]])) / keys if keys else None
        case Aggregation.RATIO if "key" in roles:  # distinct keys where each is nonzero
            key = rows[roles["key"]]
            numerator = key[rows[roles["numerator"]].fillna(0).to_numpy(dtype=float) != 0]
            denominator = key[rows[roles["denominator"]].fillna(0).to_numpy(dtype=float) != 0]
            keys = denominator.dropna().nunique()
            return numerator.dropna().nunique() / keys if keys else None
        case Aggregation.RATIO:
            numerator = math.fsum(_numbers(rows[roles["numerator"]]))
            denominator = math.fsum(_numbers(rows[roles["denominator"]]))
            return numerator / denominator if denominator else None
        case Aggregation.MEAN | Aggregation.MEDIAN:
            present = _numbers(rows[roles["value"]])
            if not len(present):
                return None
            return float(np.median(present) if kind is Aggregation.MEDIAN else np.mean(present))
    return None


def _numbers(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=float, na_value=np.nan)
    return values[~np.isnan(values)]


def _checked(found: Explanation) -> Explanation:
    """The explanation with a note where its counted rows do not give the engine's value."""
    if found.kpi.aggregation is Aggregation.CUSTOM:
        return found
    again = recompute(found)
    wrong = []
    for value in found.values:
        want = found.shown(value)
        if want is None:
            continue  # unknown (no rows, an edge of the data): nothing to give again
        got = again.get((value.category, value.subcategory))
        if got is None or not math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9):
            wrong.append(f"{value.category or 'the value'}: {got} from the rows, {want} reported")
    if not wrong:
        return found
    note = "the counted rows do not give the value (" + "; ".join(wrong) + "): please report it"
    return replace(found, notes=(*found.notes, note))


def group_of(pairs: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`owner=Ann` options as (dimension, label) pairs; a malformed one is an error."""
    found = []
    for pair in pairs:
        dimension, sep, label = pair.partition("=")
        if not sep or not dimension.strip():
            raise SalesmetricsError(f"--group {pair!r}: expected DIMENSION=VALUE, e.g. owner=Ann")
        found.append((dimension.strip(), label))
    return tuple(found)
