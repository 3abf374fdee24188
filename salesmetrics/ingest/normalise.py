"""From the columns read to a canonical, typed frame, accounting for every row on the way.

Text columns are parsed; an Excel column already typed (dates, numbers, flags) is taken as it
is where its field has that type, and read as text where it does not (an id, a value map).

A row leaves for one reason only, the first that applies: filtered by a mapping rule, rejected
(a required value blank or unreadable, or an entity rule broken), or dropped as a duplicate.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.errors import InputError
from salesmetrics.ingest import fields, parse
from salesmetrics.ingest.mapping import Condition, Mapping, ValueMap, fold
from salesmetrics.ingest.quality import (
    DateRange,
    Example,
    InputQuality,
    Lines,
    Reason,
    ValueCount,
)
from salesmetrics.ingest.read import RawTable, shown_name
from salesmetrics.periods import FIRST_DAY, LAST_DAY, SPAN
from salesmetrics.schema import Kind

TEXT = pd.ArrowDtype(pa.string())
FLOAT = pd.ArrowDtype(pa.float64())
BOOL = pd.ArrowDtype(pa.bool_())
TIMESTAMP = pd.ArrowDtype(pa.timestamp("us"))
MAX_EXAMPLES = 3
PERIOD_FORMS: tuple[tuple[re.Pattern[str], Callable[[pd.DataFrame], pd.Series]], ...] = (
    (re.compile(r"^(\d{4})$"), lambda p: p[0]),
    (re.compile(r"^(\d{4})[-/ ]?Q([1-4])$", re.IGNORECASE), lambda p: p[0] + "-Q" + p[1]),
    (re.compile(r"^Q([1-4])[-/ ]?(\d{4})$", re.IGNORECASE), lambda p: p[1] + "-Q" + p[0]),
    (re.compile(r"^(\d{4})[-/](0?[1-9]|1[0-2])$"), lambda p: p[0] + "-" + p[1].str.zfill(2)),
)
CLOSED_WORDS = frozenset(
    (
        *("closed", "won", "lost"),
        # French: fermé, clôturé, clos; gagné, perdu, in every gender and number
        *("ferme", "fermee", "fermes", "fermees", "clos"),
        *("cloture", "cloturee", "clotures", "cloturees"),
        *("gagne", "gagnee", "gagnes", "gagnees", "perdu", "perdue", "perdus", "perdues"),
        *("geschlossen", "abgeschlossen", "gewonnen", "verloren"),  # German
        *("cerrado", "cerrada", "cerrados", "cerradas", "ganado", "ganada", "ganados"),  # Spanish
        *("ganadas", "perdido", "perdida", "perdidos", "perdidas"),
        *("fechado", "fechada", "ganho", "ganha"),  # Portuguese (perdido, perdida: above)
        *("chiuso", "chiusa", "vinto", "vinta", "perso", "persa", "gesloten"),  # Italian, Dutch
    )
)
"""Words (folded, accents removed) that say a stage closes a deal. A stage value with one of
them must be mapped: left unplaced, a won or lost deal would count as open."""
SUMMED_OVER_LINES = {"deals": ("amount",)}
"""The fields a record's lines add up to (`lines_of`); the others come from its lines as they
are (see `_join_lines`)."""
LINE_SEPARATOR = "; "  # between the distinct values of a text field over a record's lines


@dataclass
class ColumnPlan:
    """Which header feeds each field, found before any data is read."""

    sources: dict[str, str]  # field -> header in the file
    conditions: dict[str, str]  # header named by a filter or derive rule, folded -> header
    missing: list[str]  # optional fields none of whose headers is in the file
    unused: list[str]
    given: set[str] = field(default_factory=set)  # the fields the file gives (fields.given)
    absent: dict[str, str] = field(default_factory=dict)  # field the file lacks -> header(s)

    @property
    def headers(self) -> list[str]:
        return list(dict.fromkeys([*self.sources.values(), *self.conditions.values()]))


def plan_columns(mapping: Mapping, headers: list[str], path: str) -> ColumnPlan:
    """Match the mapping's headers to the file's. Only what identifies the entity must be
    there (a deal's stage or status, ...); a file that lacks it is refused, naming the columns
    that would give it and the file's closest headers."""
    by_fold = fields.by_fold(headers)
    sources: dict[str, str] = {}
    missing: list[str] = []
    for name, aliases in mapping.columns.items():
        found = fields.source(aliases, by_fold)
        if found is not None:
            sources[name] = found
        else:
            missing.append(f"{name} ({' / '.join(aliases)})")
    given = fields.given(mapping, by_fold)
    for group in fields.unmet(mapping, given):
        raise InputError(_unmet_message(path, mapping, group, headers))
    conditions: dict[str, str] = {}
    rule_columns = {
        fold(r.when.column)
        for d in mapping.derive.values()
        for r in d.rules
        if r.when is not None and r.when.column is not None
    }
    filter_columns = {fold(f.condition.column) for f in mapping.filters if f.condition.column}
    for condition in _conditions(mapping):
        if condition.column is None:
            continue
        header = by_fold.get(fold(condition.column))
        if header is None:
            key = fold(condition.column)
            if key in rule_columns and key not in filter_columns:
                missing.append(f"(a derive rule's column {condition.column})")
                continue  # a derive rule on a column the file lacks never matches
            raise InputError(_missing_message(path, mapping, None, (condition.column,), headers))
        conditions[fold(condition.column)] = header
    used = set(sources.values()) | set(conditions.values())
    unused = [h for h in headers if h not in used and not h.startswith("(column ")]
    return ColumnPlan(sources, conditions, missing, unused, given, fields.absent(mapping, given))


def _unmet_message(path: str, mapping: Mapping, group: fields.Group, headers: list[str]) -> str:
    """Why a file cannot be this entity: the columns that would say what its rows are."""
    wanted = tuple(h for name in group for h in fields.headers_for(mapping, name))
    named = " or ".join(f"`{name}`" for name in group)
    if wanted:
        return _missing_message(path, mapping, named, wanted, headers)
    return (
        f"{path}: mapping {mapping.name} gives no {named} for {mapping.entity.name}; "
        f"add {'one' if len(group) > 1 else 'it'} under columns (a header), constants or derive"
    )


def _conditions(mapping: Mapping) -> list[Condition]:
    found = [f.condition for f in mapping.filters]
    for derivation in mapping.derive.values():
        found += [r.when for r in derivation.rules if r.when is not None]
    return found


def _missing_message(
    path: str, mapping: Mapping, name: str | None, aliases: tuple[str, ...], headers: list[str]
) -> str:
    wanted = " / ".join(repr(a) for a in aliases)
    folded = {fold(h): h for h in headers}
    close: list[str] = []
    for alias in aliases:
        close += [folded[c] for c in difflib.get_close_matches(fold(alias), folded, n=3)]
    closest = ", ".join(repr(shown_name(c)) for c in dict.fromkeys(close))
    hint = f"closest: {closest}; " if close else ""
    what = f"column for {name}" if name else "column"
    shown = ", ".join(repr(shown_name(h)) for h in headers[:40]) + (
        " …" if len(headers) > 40 else ""
    )
    return (
        f"{path}: {what} {wanted} (mapping {mapping.name}) is not in the file; {hint}"
        f"the file has: {shown}"
    )


@dataclass
class _Rows:
    """Per-row bookkeeping: the first reason a row is left out, with the value behind it.
    A reason is kept as a code into `reasons`, two bytes a row rather than an object."""

    numbers: np.ndarray
    reasons: list[str] = field(init=False)  # the text of each code
    filtered: np.ndarray = field(init=False)  # the code a row is filtered for, -1: none
    rejected: np.ndarray = field(init=False)  # the code a row is rejected for, -1: none
    detail: np.ndarray = field(init=False)  # the value behind a rejection (None elsewhere)
    open: np.ndarray = field(init=False)  # neither filtered nor rejected (yet)

    def __post_init__(self) -> None:
        n = len(self.numbers)
        self.reasons = []
        self.filtered = np.full(n, -1, dtype=np.int16)
        self.rejected = np.full(n, -1, dtype=np.int16)
        self.detail = np.empty(n, dtype=object)
        self.open = np.ones(n, dtype=bool)

    def filter(self, mask: np.ndarray, reason: str) -> None:
        target = mask & self.open
        self.filtered[target] = self._code(reason)
        self.open &= ~target

    def reject(self, mask: np.ndarray, reason: str, values: pd.Series | None = None) -> None:
        target = mask & self.open
        self.rejected[target] = self._code(reason)
        self.open &= ~target
        if values is not None and target.any():
            self.detail[target] = values[target].to_numpy(dtype=object, na_value="")

    def _code(self, reason: str) -> int:
        if reason not in self.reasons:
            self.reasons.append(reason)
        return self.reasons.index(reason)


def normalise(
    raw: RawTable, mapping: Mapping, plan: ColumnPlan, path: str, *, strict: bool = False
) -> tuple[pd.DataFrame, InputQuality, pd.DataFrame]:
    """The canonical frame, its quality account, and the rejected rows as read. `strict`:
    what is otherwise a warning about the data is an error."""
    cells = {h: _clean(raw.cells[h]) for h in plan.headers}
    n = len(raw.cells)
    rows = _Rows(raw.row_numbers)
    for flt in mapping.filters:
        if flt.condition.column is not None:
            source = cells[plan.conditions[fold(flt.condition.column)]]
            rows.filter(_test(parse.as_text(source), flt.condition), flt.reason)
    if not rows.open.all():  # a filtered row is left out whole: its values need no mapping
        cells = {h: values.where(rows.open) for h, values in cells.items()}

    out: dict[str, pd.Series] = {}
    unreadable: dict[str, pd.Series] = {}
    outside: dict[str, pd.Series] = {}  # dates no period can hold, as read: blanked
    defaulted: list[tuple[str, str, int]] = []
    unplaced: list[tuple[str, str, int]] = []
    unplaced_rows = np.zeros(n, dtype=bool)  # rows whose stage value the mapping does not place
    found_currency: pd.Series | None = None
    money_field: str | None = None  # the field whose values named found_currency
    opts = mapping.parse

    def read_field(name: str, values: pd.Series) -> pd.Series:
        nonlocal found_currency, money_field, unplaced_rows
        kind = mapping.kind_of(name)
        spec = mapping.entity.field(name)
        vmap = mapping.values.get(name)
        if vmap is not None or kind is Kind.ENUM:
            choices = spec.choices if spec else ()
            later = not strict and mapping.entity.name == "deals" and name == "stage"
            mapped = _map_values(
                parse.as_text(values), vmap, choices, name, path, mapping, place_later=later
            )
            values = mapped.values
            defaulted.extend((name, v, c) for v, c in mapped.defaulted)
            unplaced.extend((name, v, c) for v, c in mapped.unplaced)
            unplaced_rows = unplaced_rows | mapped.unplaced_rows
            if kind in (Kind.ENUM, Kind.TEXT, Kind.ID):
                return values
        try:
            parsed, currency = _parse_kind(kind, values, name, plan.sources.get(name, name), opts)
        except parse.ColumnError as exc:
            raise InputError(f"{path}: {exc}") from None
        if currency is not None and found_currency is None:
            found_currency, money_field = currency, name
        if parsed.invalid.any():
            unreadable[name] = parse.as_text(values).where(parsed.invalid.to_numpy())
        if kind in (Kind.MONEY, Kind.NUMBER):
            _check_sum(parsed.values, path, plan.sources.get(name, name))
        beyond = _outside_span(kind, parsed.values)
        if beyond is None:
            return parsed.values
        outside[name] = parse.as_text(values).where(beyond)
        return parsed.values.mask(beyond)

    for name, header in plan.sources.items():
        out[name] = read_field(name, cells[header])
    for name, value in mapping.constants.items():
        out[name] = read_field(name, pd.Series([value] * n, dtype=TEXT))
    for name, derivation in mapping.derive.items():
        out[name] = _derive(name, derivation, out, cells, plan, n, read_field)

    _entity_rules(mapping, plan, cells, out, n, found_currency, unplaced_rows)
    for flt in mapping.filters:
        if flt.condition.field is not None:
            values = out.get(flt.condition.field, pd.Series([pd.NA] * n, dtype=TEXT))
            rows.filter(_test(values, flt.condition), flt.reason)
    anomalous: dict[str, tuple[str, pd.Series]] = {}
    if money_field is not None and found_currency is not None and "currency" in plan.sources:
        as_read = parse.as_text(cells[plan.sources[money_field]])
        anomalous.update(_currency_disagrees(plan, out, money_field, found_currency, as_read))
    _reject(mapping, plan, out, unreadable, outside, anomalous, rows)
    if mapping.lines_of:  # a row stands for each record: its first line, with the lines' sums
        records, line_counts = _join_lines(mapping, out, rows, path)
    else:
        records, line_counts = rows.open.copy(), np.ones(n, dtype=np.int64)
    keep = rows.open.copy()  # the rows in use before de-duplication (lines, with lines_of)

    out["_row"] = pd.Series(raw.row_numbers, dtype=pd.ArrowDtype(pa.int64()))
    key_missing = [k for k in mapping.dedupe_key if k not in plan.given]
    dedupe_key = () if key_missing else mapping.dedupe_key
    used_rows = _dedupe(out, records, dedupe_key)
    # one filter per column, each full column let go as soon as its rows are picked
    used = pd.DataFrame({name: _rows_of(out.pop(name), used_rows) for name in list(out)})
    lines_used = int(line_counts[used_rows].sum())

    rejects = _rejects_frame(raw, rows)
    quality = InputQuality(
        path=path,
        entity=mapping.entity.name,
        mapping=mapping.name,
        sha256=raw.sha256,
        rows_read=n + len(raw.ragged),
        rows_used=lines_used,
        rows_filtered=int((rows.filtered >= 0).sum()),
        rows_rejected=int((rows.rejected >= 0).sum()) + len(raw.ragged),
        duplicates_dropped=int(keep.sum()) - lines_used,
        filtered=_reasons(rows, rows.filtered, None),
        rejected=_ragged_reasons(raw) + _reasons(rows, rows.rejected, rows.detail),
        unreadable=tuple(
            _unreadable_reason(name, values, rows.numbers, keep)
            for name, values in unreadable.items()
            if (values.notna().to_numpy() & keep).any()
        ),
        anomalies=tuple(
            _anomaly_reason(name, words, values, rows.numbers, keep)
            for name, (words, values) in anomalous.items()
            if (values.notna().to_numpy() & keep).any()
        ),
        defaulted=tuple(ValueCount(*d) for d in defaulted),
        unplaced=tuple(ValueCount(*u) for u in unplaced),
        placing_yaml=_placing_yaml(mapping, unplaced) if unplaced else None,
        lines_of=Lines(mapping.lines_of, lines_used, len(used)) if mapping.lines_of else None,
        date_ranges=_date_ranges(used),
        unused_columns=tuple(plan.unused),
        missing_columns=tuple(plan.missing),
        dedupe_key=dedupe_key,
        dedupe_missing=tuple(
            f"{k} ({plan.absent[k]})" if k in plan.absent else k for k in key_missing
        ),
        footer_lines_dropped=raw.footer_lines,
        footer_first_line=raw.footer_at,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        header_row=raw.header_row,
    )
    return used, quality, rejects


def _clean(values: pd.Series) -> pd.Series:
    """Text trimmed, blank as <NA>; a typed column as it is. A column with nothing to trim, as
    most are, is returned as read rather than copied (the raw table keeps it for the rejects)."""
    if values.dtype != TEXT:
        return values
    text = _arrow(values)
    if not _may_need_trimming(text):
        return values
    trimmed = pc.utf8_trim_whitespace(text)
    cleaned = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
    return pd.Series(pd.arrays.ArrowExtensionArray(cleaned), index=values.index)


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    return pa.chunked_array(pa.array(values.array))


# Bytes that can begin or end a whitespace character in UTF-8: ASCII blanks and controls, and
# the lead and last bytes of the Unicode spaces (U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028,
# U+2029, U+202F, U+205F, U+3000). A letter such as é (C3 A9) may match too: then it is trimmed.
_EDGE_FIRST = np.isin(np.arange(256), [*range(0x21), 0xC2, 0xE1, 0xE2, 0xE3])
_EDGE_LAST = np.isin(
    np.arange(256), [*range(0x21), *range(0x80, 0x8B), 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]
)


def _may_need_trimming(text: pa.ChunkedArray) -> bool:
    """Whether some value is empty or may start or end with whitespace, judged from the bytes
    at the ends of each value in Arrow's buffers, without trimming (copying) the column. The
    bytes read for an empty or null value belong to a neighbour: at worst a needless trim."""
    for chunk in text.chunks:
        _, offsets_buffer, data_buffer = chunk.buffers()
        if data_buffer is None or data_buffer.size == 0 or len(chunk) == 0:
            continue
        wide = pa.types.is_large_string(chunk.type)
        offsets: np.ndarray = np.frombuffer(offsets_buffer, dtype=np.int64 if wide else np.int32)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(data_buffer, dtype=np.uint8)
        first = data[np.minimum(offsets[:-1], len(data) - 1)]
        last = data[np.maximum(offsets[1:], 1) - 1]
        if _EDGE_FIRST[first].any() or _EDGE_LAST[last].any():
            return True
    return bool(pc.any(pc.equal(text, "")).as_py())


def _parse_kind(kind: Kind, values: pd.Series, name: str, column: str, opts):
    """Typed values for one field, and the currencies found in money values. The parsers take
    an Excel column of their own type as it is; the other kinds read text."""
    if kind is Kind.DATETIME:
        return (
            parse.parse_dates(
                values,
                column,
                order=opts.date_order,
                fmt=opts.date_format,
                timezone=opts.timezone,
            ),
            None,
        )
    if kind is Kind.MONTH:
        return _parse_month(parse.as_text(values), column, opts), None
    if kind is Kind.PERIOD:
        return _parse_period(parse.as_text(values)), None
    if kind is Kind.MONEY:
        parsed, currency = parse.parse_money(
            values, column, decimal=opts.decimal, thousands=opts.thousands
        )
        return parsed, currency
    if kind is Kind.NUMBER:
        return parse.parse_number(
            values, column, decimal=opts.decimal, thousands=opts.thousands
        ), None
    if kind is Kind.PERCENT:
        return parse.parse_percent(values, column, scale=opts.percent, decimal=opts.decimal), None
    if kind is Kind.BOOL:
        return parse.parse_bool(values, column), None
    return parse.Parsed(
        parse.as_text(values), pd.Series(np.zeros(len(values), dtype=bool), index=values.index)
    ), None


def _parse_month(values: pd.Series, column: str, opts) -> parse.Parsed:
    """`2026-10`, `2026/10`, `10/2026`, `Oct 2026`, or any date (its month)."""
    parts = values.str.extract(r"^(\d{4})[-/.](\d{1,2})$|^(\d{1,2})[-/.](\d{4})$")
    year = parts[0].fillna(parts[3])
    month = parts[1].fillna(parts[2])
    short = year.notna()
    as_dates = values.where(~short)
    as_dates = as_dates.str.replace(r"^([A-Za-z]{3,9})[ -](\d{4})$", r"1 \1 \2", regex=True)
    dated = parse.parse_dates(
        as_dates, column, order=opts.date_order, fmt=None, timezone=opts.timezone
    )
    ok_short = short & pd.to_numeric(month, errors="coerce").between(1, 12)
    y = pd.to_numeric(year, errors="coerce").where(ok_short, dated.values.dt.year.astype(float))
    m = pd.to_numeric(month, errors="coerce").where(ok_short, dated.values.dt.month.astype(float))
    known = y.notna() & m.notna() & ~(short & ~ok_short)
    stamps = pd.to_datetime(
        pd.DataFrame({"year": y.where(known, 2000), "month": m.where(known, 1), "day": 1}),
    )
    result = stamps.astype("datetime64[us]").astype(TIMESTAMP).where(known.to_numpy())
    invalid = (values.notna() & result.isna()).astype(bool).to_numpy()
    return parse.Parsed(result, pd.Series(invalid, index=values.index))


def _parse_period(values: pd.Series) -> parse.Parsed:
    """Month, quarter or year labels, written the one way the engine reads them."""
    result = pd.Series(pd.NA, index=values.index, dtype=TEXT)
    for pattern, build in PERIOD_FORMS:
        parts = values.str.extract(pattern)
        hit = parts.notna().all(axis=1) & result.isna()
        if hit.any():
            result[hit] = build(parts[hit]).astype(TEXT)
    invalid = (values.notna() & result.isna()).astype(bool).to_numpy()
    return parse.Parsed(result, pd.Series(invalid, index=values.index))


@dataclass
class _Mapped:
    values: pd.Series
    defaulted: list[tuple[str, int]]  # raw values that fell to the map's default, with counts
    unplaced: list[tuple[str, int]]  # raw values left for later placing, with counts
    unplaced_rows: np.ndarray  # the rows holding one of them


def _map_values(
    values: pd.Series,
    vmap: ValueMap | None,
    choices: tuple[str, ...],
    name: str,
    path: str,
    mapping: Mapping,
    *,
    place_later: bool = False,
) -> _Mapped:
    """Raw values through the value map; unmapped ones are an error listing each with its count.

    With `place_later` (a deal's stage, unless --strict), an unmapped value becomes null and
    is listed for the quality account instead, unless it looks closed (`looks_closed`).

    Each distinct raw value is folded (trimmed, casefolded) and looked up once, in Python, as
    casefold has no Arrow kernel; the rows then take their result with an Arrow take."""
    encoded = pc.dictionary_encode(_arrow(values)).combine_chunks()
    codes = encoded.indices
    group: dict[str, int] = {}  # folded value -> its number, in the order first seen
    group_of: list[int] = []  # the number of each distinct raw value's folded value
    first_raw: list[str] = []  # each folded value as first written in the file
    for raw in encoded.dictionary.to_pylist():  # distinct values, in the order first seen
        folded = raw.strip().casefold()
        if folded not in group:
            group[folded] = len(group)
            first_raw.append(raw)
        group_of.append(group[folded])
    raw_counts = np.bincount(codes.drop_null().to_numpy(), minlength=len(group_of))
    counts = np.bincount(group_of, weights=raw_counts, minlength=len(group)).astype(np.int64)
    pairs = vmap.pairs if vmap else {}
    targets: list[str | None] = []
    unmapped: list[int] = []
    fell: list[int] = []
    for i, u in enumerate(group):  # one step per distinct value, not per row
        if u in pairs:
            targets.append(pairs[u])
        elif u in choices:
            targets.append(u)
        elif vmap is not None and vmap.keep_unmapped:
            targets.append(first_raw[i])
        elif vmap is not None and vmap.has_default:
            targets.append(vmap.default)
            fell.append(i)
        elif not choices and vmap is None:
            targets.append(first_raw[i])
        else:
            targets.append(None)
            unmapped.append(i)
    closed = [i for i in unmapped if looks_closed(first_raw[i])] if place_later else unmapped
    if closed:
        listed = ", ".join(f"{first_raw[i]!r} ({counts[i]} rows)" for i in closed[:20])
        more = f" and {len(closed) - 20} more" if len(closed) > 20 else ""
        what = " look closed (won or lost) but" if place_later else ""
        why = "; unplaced, a closed deal would count as open" if place_later else ""
        raise InputError(
            f"{path}: {len(closed)} value(s) of `{name}`{what} have no mapping: "
            f"{listed}{more}{why}"
            + _unmapped_help(mapping, name, choices, [first_raw[i] for i in closed])
        )
    by_raw = pa.array([targets[g] for g in group_of], pa.string())
    mapped = pc.take(by_raw, codes)
    later = np.zeros(len(group), dtype=bool)
    later[unmapped] = True
    at_rows = pc.fill_null(pc.take(pa.array(later[group_of], pa.bool_()), codes), False)
    return _Mapped(
        pd.Series(pd.arrays.ArrowExtensionArray(mapped), index=values.index),
        [(first_raw[i], int(counts[i])) for i in fell],
        [(first_raw[i], int(counts[i])) for i in unmapped],
        at_rows.to_numpy(zero_copy_only=False),
    )


def looks_closed(value: str) -> bool:
    """Whether a stage value says the deal is closed, won or lost, in English, French, German,
    Spanish, Portuguese, Italian or Dutch (`Closed Won`, `Fermée gagnée`, `Geschlossen und
    verloren`, `Cerrada perdida`): one of its words, accents aside, is in CLOSED_WORDS."""
    plain = unicodedata.normalize("NFKD", value.casefold())
    letters = "".join(c for c in plain if not unicodedata.combining(c))
    return any(word in CLOSED_WORDS for word in re.findall(r"[^\W\d_]+", letters))


def _unmapped_help(mapping: Mapping, name: str, choices: tuple[str, ...], raw: list[str]) -> str:
    """How to map unknown values: where, to what, and the YAML to write.

    A preset is shared, so its values are mapped in a file of the user's own that extends it;
    a mapping file of the user's own takes them in its own `values` block.
    """
    target = f"one of {', '.join(choices)}" if choices else "the text to use (null for none)"
    keep = "" if choices else ", or keep_unmapped: true"
    placeholder = f"<{name}>"
    pairs = ", ".join(f"{json.dumps(v, ensure_ascii=False)}: {placeholder}" for v in raw[:5])
    snippet = f"values: {{{name}: {{map: {{{pairs}}}}}}}"
    if _is_own_file(mapping):
        where = f"in {mapping.name}"
    else:
        where = (
            f"in a mapping file of your own that extends the preset {mapping.name} "
            "(use that file as the mapping)"
        )
        snippet = f"extends: {mapping.name}, {snippet}"
    # one line, as every error is: YAML's flow style says it all in braces
    return (
        f". Map each to {target} under values.{name}.map {where}, or set a default{keep}: "
        f"{{{snippet}}}"
    )


def _is_own_file(mapping: Mapping) -> bool:
    """A mapping the user wrote (named by its path) rather than a preset (named by name)."""
    return mapping.name.endswith((".yaml", ".yml"))


def _placing_yaml(mapping: Mapping, unplaced: list[tuple[str, str, int]]) -> str:
    """The YAML that places unplaced values, one line a value with its row count: a file of
    the user's own that extends the preset, or the lines to add to the user's own mapping."""
    lines = []
    if _is_own_file(mapping):
        lines.append(f"# add to {mapping.name}")
    else:
        own = f"my_{mapping.name}.yaml"
        lines += [f"# {own}: use it as the mapping (--mapping {own})", f"extends: {mapping.name}"]
    lines.append("values:")
    for name in dict.fromkeys(u[0] for u in unplaced):
        spec = mapping.entity.field(name)
        choices = spec.choices if spec else ()
        keys = [json.dumps(v, ensure_ascii=False) for f, v, _ in unplaced if f == name]
        width = max(len(k) for k in keys)
        counts = [c for f, _, c in unplaced if f == name]
        lines += [f"  {name}:", f"    map:  # each to {', '.join(choices[:-1])} or {choices[-1]}"]
        lines += [
            f"      {key + ':':<{width + 1}} <{name}>  # {count:,} rows"
            for key, count in zip(keys, counts, strict=True)
        ]
    return "\n".join(lines) + "\n"


def _test(values: pd.Series, cond: Condition) -> np.ndarray:
    """Where a filter or rule condition holds (text compared case-insensitively)."""
    if cond.test == "blank":
        return (values.isna() == cond.value).to_numpy()
    if cond.test == "is":
        if values.dtype != BOOL:
            values = parse.parse_bool(values, cond.column or cond.field or "").values
        return (values == cond.value).fillna(False).to_numpy(dtype=bool)
    if values.dtype == TEXT:
        folded = values.str.casefold()
        if cond.test == "matches":
            with warnings.catch_warnings():  # a group in the pattern only groups: no noise
                warnings.filterwarnings("ignore", "This pattern is interpreted as a regular")
                hit = values.str.contains(cond.value, regex=True)
        elif cond.test == "starts_with":
            hit = folded.str.startswith(cond.value.casefold())
        elif cond.test in ("equals", "not_equals"):
            hit = folded == cond.value.casefold()
        else:
            hit = folded.isin([str(v).casefold() for v in cond.value])
    else:
        wanted = cond.value if isinstance(cond.value, tuple) else (cond.value,)
        typed = pd.Series(wanted, dtype=object).astype(values.dtype)
        hit = values.isin(list(typed)) if cond.test in ("in", "not_in") else values == typed.iloc[0]
    holds = hit.fillna(False).to_numpy(dtype=bool)
    return ~holds if cond.test in ("not_equals", "not_in") else holds


def _derive(name, derivation, out, cells, plan, n, read_field) -> pd.Series:
    blank = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=TEXT)
    if derivation.kind == "multiply":
        if not all(f in out for f in derivation.fields):  # an optional column the file lacks
            return out[name] if name in out else read_field(name, blank)
        a, b = (out[f].astype(FLOAT) for f in derivation.fields)
        product = a * b
        return out[name].fillna(product) if name in out else product
    if derivation.kind == "first_of":
        sources = [out[f] for f in derivation.fields if f in out]  # present ones only
        if not sources:
            return read_field(name, blank)
        if any(s.dtype == TEXT for s in sources):  # text dimensions: read as the target's kind
            return read_field(name, _first_non_blank([s.astype(TEXT) for s in sources]))
        return _first_non_blank(sources)
    chosen = blank.copy()
    for rule in derivation.rules:
        if rule.when is None:
            hit = np.ones(n, dtype=bool)
        elif rule.when.column is not None:
            header = plan.conditions.get(fold(rule.when.column))
            if header is None:
                hit = np.zeros(n, dtype=bool)
            else:
                hit = _test(parse.as_text(cells[header]), rule.when)
        elif rule.when.field not in out:
            hit = np.zeros(n, dtype=bool)  # an optional field the file lacks: never matches
        else:
            hit = _test(out[rule.when.field], rule.when)
        chosen = chosen.mask(chosen.isna() & hit, rule.value)
    derived = read_field(name, chosen)
    return out[name].fillna(derived) if name in out else derived


def _first_non_blank(sources: list[pd.Series]) -> pd.Series:
    result = sources[0]
    for other in sources[1:]:
        result = result.fillna(other)
    return result


def _entity_rules(mapping, plan, cells, out, n, found_currency, unplaced_rows) -> None:
    """Fields that follow from others: deal status from stage (open at a stage value the
    mapping does not place), order amount, defaults."""
    entity = mapping.entity
    has_raw = entity.field("stage_raw") is not None  # deals and stage history
    if has_raw and "stage" in out and "stage_raw" not in out and "stage" in plan.sources:
        out["stage_raw"] = parse.as_text(cells[plan.sources["stage"]])
    if entity.name == "deals":
        if "stage" in out:
            stage = _arrow(out["stage"])
            closed = pc.or_(pc.equal(stage, "won"), pc.equal(stage, "lost"))
            from_stage = pd.Series(
                pd.arrays.ArrowExtensionArray(pc.if_else(closed, stage, "open")),
                index=out["stage"].index,
            )  # null where the stage is: if_else keeps a null condition's null
            if unplaced_rows.any():
                from_stage = from_stage.mask(unplaced_rows & from_stage.isna().to_numpy(), "open")
            out["status"] = out["status"].fillna(from_stage) if "status" in out else from_stage
        if "closed_at" in out and "status" in out:  # an open deal has not closed (yet)
            out["closed_at"] = out["closed_at"].mask((out["status"] == "open").fillna(False))
    if entity.name == "orders" and {"quantity", "unit_price"} <= set(out):
        product = out["quantity"].astype(FLOAT) * out["unit_price"].astype(FLOAT)
        out["amount"] = out["amount"].fillna(product) if "amount" in out else product
    if "currency" not in out and found_currency is not None and found_currency.notna().any():
        out["currency"] = found_currency
    if "currency" in out:
        out["currency"] = out["currency"].str.upper()
    for spec in entity.fields:
        if spec.default is not None:
            current = out.get(spec.name, pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=TEXT))
            out[spec.name] = current.fillna(spec.default)


def _reject(
    mapping: Mapping, plan: ColumnPlan, out, unreadable, outside, anomalous, rows: _Rows
) -> None:
    """Rows missing a value they must have (a required field, or a `reject_blank` one the file
    gives), or breaking a rule of their entity; `anomalous` gets the values that are impossible
    but cost the row nothing else (a probability outside 0–1, a date `outside` the span)."""
    entity = mapping.entity
    closed = np.zeros(len(rows.numbers), dtype=bool)
    if entity.name == "deals" and "status" in out:
        closed = out["status"].isin(["won", "lost"]).fillna(False).to_numpy(dtype=bool)
    for name, values in outside.items():  # before `blank`, to say why the value is gone
        spec = entity.field(name)
        beyond = values.notna().to_numpy()
        if spec is not None and (spec.required or (spec.reject_blank and name in plan.given)):
            must = beyond
        elif name == "closed_at":  # an open deal's close date is dropped whatever it holds
            must = beyond & closed
            beyond = must
        else:
            must = np.zeros_like(beyond)
        words = f"outside {SPAN}, the dates salesmetrics reports on"
        if name == "period":
            words = f"outside {FIRST_DAY.year + 1}–{LAST_DAY.year}, the years reported on"
        if must.any():
            rows.reject(must, f"{name}: {words}", values)
        anomalous[name] = (f"{words}, left blank", values.where(beyond & ~must))
    for spec in entity.fields:
        if not (spec.required or (spec.reject_blank and spec.name in plan.given)):
            continue
        values = out.get(spec.name)
        if values is None:
            continue
        bad = unreadable.get(spec.name)
        if bad is not None:
            mask = bad.notna().to_numpy()
            rows.reject(mask, f"{spec.name}: cannot read the value", bad)
            unreadable.pop(spec.name)
        rows.reject(values.isna().to_numpy(), f"{spec.name}: blank")
    if entity.name == "deals" and "status" in out and "closed_at" in plan.given:
        # a file without a close date loads: the KPIs that need one are skipped, saying so
        closed = out["status"].isin(["won", "lost"]).fillna(False).to_numpy(dtype=bool)
        no_date = out["closed_at"].isna().to_numpy()
        rows.reject(closed & no_date, "closed_at: blank on a won or lost deal", out["status"])
    if entity.name == "surveys" and "score" in out:
        score = out["score"]
        outside = (~score.between(0, 10)).fillna(False).to_numpy(dtype=bool)
        rows.reject(outside, "score: outside 0–10", score.astype(TEXT))
    if "probability" in out:  # an anomaly, not a reject: the deal stays, its probability is blank
        p = out["probability"]
        outside = (~p.between(0, 1)).fillna(False).to_numpy(dtype=bool)
        out["probability"] = p.mask(outside)
        if outside.any():
            anomalous["probability"] = ("outside 0–1, left blank", p.astype(TEXT).where(outside))
    if entity.name == "subscriptions" and "mrr" in out:
        negative = (out["mrr"] < 0).fillna(False).to_numpy(dtype=bool)
        rows.reject(negative, "mrr: negative", out["mrr"].astype(TEXT))


def _dedupe(out: dict[str, pd.Series], keep: np.ndarray, key: tuple[str, ...]) -> np.ndarray:
    """`keep` less the rows a duplicate replaces: one row per key, the latest modified_at, else
    the last in the file. Keys are compared as Arrow dictionary codes; only the rows whose key
    repeats (none, usually) are sorted. No key (the file lacks a field of the mapping's): no
    de-duplication, never one on part of the key."""
    if not key:
        return keep
    group = _group_codes([out[name] for name in key])
    repeated = keep & (np.bincount(group[keep], minlength=group.max(initial=0) + 1)[group] > 1)
    if not repeated.any():
        return keep
    at = np.flatnonzero(repeated)
    rows = pd.DataFrame({"group": group[at]}, index=at)
    if "modified_at" in out:
        rows["modified"] = out["modified_at"].take(at).to_numpy()
        rows = rows.sort_values("modified", kind="stable", na_position="first")
    losers = rows.index[rows.duplicated(subset="group", keep="last").to_numpy()]
    keep = keep.copy()
    keep[losers] = False
    return keep


def _join_lines(
    mapping: Mapping, out: dict[str, pd.Series], rows: _Rows, path: str
) -> tuple[np.ndarray, np.ndarray]:
    """Lines of one record (`lines_of`) made into one row: the first line of each record, and
    the number of lines behind each such row.

    Lines are filtered and rejected one by one before. Then a line whose key is blank is
    rejected, and so is every line of a record with a rejected line, or with lines in two
    currencies: its sum would be short, or mix currencies. On each record's first line, the
    SUMMED_OVER_LINES fields become the sum over its lines (blank when no line has a value), a
    text field the distinct values of its lines in line order, joined by LINE_SEPARATOR (a
    deal of two products is `Widget; Gadget`), and every other field stays the first line's.
    """
    for name in mapping.lines_of:
        if name not in out:
            aliases = " / ".join(repr(a) for a in mapping.columns.get(name, ()))
            raise InputError(
                f"{path}: lines_of joins the lines of one deal by `{name}`, but its column "
                f"({aliases}) is not in the file; add it to the export, or list fields the "
                f"lines of one deal share under lines_of in a mapping of your own (mapping "
                f"{mapping.name})"
            )
        rows.reject(out[name].isna().to_numpy(), f"{name}: blank (lines_of joins lines by it)")
    key = mapping.lines_of[0]
    group = _group_codes([out[name] for name in mapping.lines_of])
    size = group.max(initial=0) + 1
    if "currency" in out:
        code = _key_codes(out["currency"])  # 0: blank, which says nothing against the others
        named = rows.open & (code > 0)
        pairs = np.unique(np.stack([group[named], code[named]]), axis=1)
        mixed = np.bincount(pairs[0], minlength=size) > 1
        rows.reject(mixed[group], "currency: lines of one deal in several currencies", out[key])
    spoilt = np.zeros(size, dtype=bool)
    spoilt[group[rows.rejected >= 0]] = True
    rows.reject(spoilt[group], "another line of the same deal was rejected", out[key])

    at = np.flatnonzero(rows.open)
    firsts = at[np.unique(group[at], return_index=True)[1]]
    records = np.zeros(len(group), dtype=bool)
    records[firsts] = True
    counts = np.zeros(len(group), dtype=np.int64)
    counts[firsts] = np.bincount(group[at], minlength=size)[group[firsts]]
    for name in SUMMED_OVER_LINES[mapping.entity.name]:
        if name in out:
            out[name] = _sum_over(out[name], group, rows.open, size)
    for name in list(out):
        if mapping.kind_of(name) is Kind.TEXT:
            out[name] = _distinct_over(out[name], group, at, size)
    return records, counts


def _sum_over(values: pd.Series, group: np.ndarray, lines: np.ndarray, size: int) -> pd.Series:
    """Each row's group's sum over `lines`, blank where none of them has a value."""
    amount = values.to_numpy(dtype=float, na_value=np.nan)
    present = lines & ~np.isnan(amount)
    sums = np.bincount(group[present], weights=amount[present], minlength=size)
    known = np.bincount(group[present], minlength=size) > 0
    total = np.where(known[group], sums[group], np.nan)
    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(total, from_pandas=True)))


def _distinct_over(values: pd.Series, group: np.ndarray, at: np.ndarray, size: int) -> pd.Series:
    """Each row's group's distinct values over the rows `at`, in their order, joined by
    LINE_SEPARATOR; blank where they are all blank. The distinct (group, value) pairs come
    from one sort of integer codes, and are joined by one Arrow kernel: no loop over rows."""
    encoded = pc.dictionary_encode(_arrow(values.astype(TEXT))).combine_chunks()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)[at]
    width = len(encoded.dictionary) + 1
    pairs, first = np.unique(group[at] * width + codes + 1, return_index=True)
    present = pairs % width > 0  # a blank value joins nothing
    pairs, first = pairs[present], first[present]
    owner = pairs // width
    order = np.lexsort((first, owner))  # by group, then by the line a value first shows on
    owner, code = owner[order], pairs[order] % width - 1
    offsets = np.searchsorted(owner, np.arange(size + 1)).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), encoded.dictionary.take(pa.array(code)))
    joined = pc.binary_join(lists, LINE_SEPARATOR)
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
    return pd.Series(pd.arrays.ArrowExtensionArray(pc.take(joined, pa.array(group))))


def _group_codes(keys: list[pd.Series]) -> np.ndarray:
    """One code per distinct combination of the keys' values (blanks alike)."""
    group, *others = [_key_codes(values) for values in keys]
    for codes in others:
        group = pd.factorize(group * (codes.max(initial=0) + 1) + codes)[0]
    return group


def _key_codes(values: pd.Series) -> np.ndarray:
    """A code per distinct value, 0 for blank: blank keys are alike, as in pandas' duplicated."""
    encoded = pc.dictionary_encode(_arrow(values)).combine_chunks()
    return np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)) + 1


def _rows_of(values: pd.Series, keep: np.ndarray) -> pd.Series:
    """The kept rows of `values` with a fresh index; the column itself when all are kept."""
    if keep.all():
        return values
    return pd.Series(values.array[keep])


def _reasons(rows: _Rows, codes: np.ndarray, detail: np.ndarray | None) -> tuple[Reason, ...]:
    """Each reason with its count and first examples, the most frequent first (a tie: the one
    met first in the file)."""
    left_out = np.flatnonzero(codes >= 0)
    present, first = np.unique(codes[left_out], return_index=True)
    counts = np.bincount(codes[left_out], minlength=len(rows.reasons))
    result = []
    for code, _ in sorted(zip(present, first, strict=True), key=lambda c: (-counts[c[0]], c[1])):
        where = left_out[codes[left_out] == code][:MAX_EXAMPLES]
        examples = tuple(
            Example(int(rows.numbers[i]), "" if detail is None else str(detail[i] or ""))
            for i in where
        )
        result.append(Reason(rows.reasons[code], int(counts[code]), examples))
    return tuple(result)


def _ragged_reasons(raw: RawTable) -> tuple[Reason, ...]:
    if not raw.ragged:
        return ()
    by_reason: dict[str, list] = {}
    for r in raw.ragged:
        by_reason.setdefault(r.reason, []).append(r)
    return tuple(
        Reason(reason, len(found), tuple(Example(r.row, r.text[:80]) for r in found[:MAX_EXAMPLES]))
        for reason, found in by_reason.items()
    )


def _unreadable_reason(name: str, values: pd.Series, numbers: np.ndarray, keep) -> Reason:
    mask = values.notna().to_numpy() & keep
    where = np.flatnonzero(mask)
    examples = tuple(Example(int(numbers[i]), str(values.iloc[i])) for i in where[:MAX_EXAMPLES])
    return Reason(f"{name}: cannot read the value, left blank", int(mask.sum()), examples)


def _anomaly_reason(name: str, words: str, values: pd.Series, numbers: np.ndarray, keep) -> Reason:
    """A value left blank as impossible (a probability outside 0–1, a date outside the span
    periods are computed in), with examples as the date anomalies give them: row: field
    value (salesmetrics.anomalies)."""
    found = _unreadable_reason(name, values, numbers, keep)
    examples = tuple(replace(e, value=f"{name} {e.value}") for e in found.examples)
    return replace(found, reason=f"{name}: {words}", examples=examples)


def _currency_disagrees(
    plan: ColumnPlan, out: dict[str, pd.Series], field: str, named: pd.Series, raw: pd.Series
) -> dict[str, tuple[str, pd.Series]]:
    """Where an amount names a currency (`€100`, `100 EUR`) that the currency column does
    not (it says USD): the row is summed as the currency column says, which may be wrong, so
    it is an anomaly, with examples of both values."""
    column = plan.sources["currency"]
    given = out["currency"]
    differ = (named.notna() & given.notna() & (named != given)).fillna(False).to_numpy(bool)
    if not differ.any():
        return {}
    shown = raw.astype(TEXT) + f" with {column} " + given
    words = (
        f"the currency in {plan.sources[field]!r} disagrees with {column!r}; summed in the "
        f"currency {column!r} gives"
    )
    return {field: (words, shown.where(differ))}


def _check_sum(values: pd.Series, path: str, column: str) -> None:
    """Numbers whose sum overflows (amounts near 1e308) would make every total infinite: an
    error naming the column, rather than `inf` in a report or a JSON that cannot be written."""
    if parse.sum_overflows(values):
        raise InputError(
            f"{path}: column {column!r}: its values add up to more than "
            f"{np.finfo(float).max:.4g}, the largest number a sum can hold; check it for "
            "values such as 1e308 (a placeholder or a mistyped amount)"
        )


def _outside_span(kind: Kind, values: pd.Series) -> np.ndarray | None:
    """Where a date (or a target's period label) lies outside FIRST_DAY – LAST_DAY, which no
    period can hold (salesmetrics.periods); None where none does, as is usual. A label's
    year is kept within the span's inner years, as a fiscal year may start a year before."""
    if kind is Kind.PERIOD:
        year = pd.to_numeric(values.str.slice(0, 4), errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        found = (year <= FIRST_DAY.year) | (year > LAST_DAY.year)
    elif kind in (Kind.DATETIME, Kind.MONTH):
        day = values.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT")).astype(
            "datetime64[D]"
        )
        found = (day < np.datetime64(FIRST_DAY)) | (day > np.datetime64(LAST_DAY))
    else:
        return None
    return found if found.any() else None


def _date_ranges(frame: pd.DataFrame) -> tuple[DateRange, ...]:
    ranges = []
    for name in frame.columns:
        if frame[name].dtype == TIMESTAMP and frame[name].notna().any():
            first, last = frame[name].min(), frame[name].max()
            ranges.append(DateRange(name, _stamp_text(first), _stamp_text(last)))
    return tuple(ranges)


def _stamp_text(stamp: pd.Timestamp) -> str:
    """ISO text; a date alone when the time is midnight, as date-only exports are."""
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()


def _rejects_frame(raw: RawTable, rows: _Rows) -> pd.DataFrame:
    """Every rejected row: its number, the reason, then its values as read (as text)."""
    mask = rows.rejected >= 0
    at = np.flatnonzero(mask)
    rejected = pd.DataFrame(  # a filter, not a take, which would join each column's chunks
        {c: parse.as_text(pd.Series(raw.cells[c].array[mask])) for c in raw.cells},
        index=pd.RangeIndex(len(at)),
    )
    reasons = np.array(rows.reasons, dtype=object)[rows.rejected[at]] if len(at) else []
    rejected.insert(0, "reason", pd.Series(reasons, index=rejected.index, dtype=TEXT))
    rejected.insert(0, "row", rows.numbers[at])
    if raw.ragged:
        extra = pd.DataFrame(
            {
                "row": [r.row for r in raw.ragged],
                "reason": [r.reason for r in raw.ragged],
                "raw_line": [r.text for r in raw.ragged],
            }
        )
        rejected = pd.concat([extra, rejected], ignore_index=True).sort_values("row", kind="stable")
    return rejected.reset_index(drop=True)
