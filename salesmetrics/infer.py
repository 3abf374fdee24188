"""Helping a new user: a commented mapping for an unknown export (`salesmetrics mappings
infer`), and a commented report config for a folder of exports (`salesmetrics init`).

Inferring reads the whole file once. Each column gets a profile from a sample of its values
(dates and their day/month order, numbers, flags, months, periods, distinct values), then the
canonical fields are matched to headers by name: the aliases of every preset plus common
words (SYNONYMS), an exact match before a match inside a longer header, and only where the
values fit the field's type. Required fields that no header names fall back to a column of
the right type. Value maps are written for the closed sets (stage, status, channel, ...) with
a guess for each raw value, and everything that is a guess says so in a comment.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from salesmetrics.errors import MappingError
from salesmetrics.ingest.mapping import ReadOptions, fold, list_presets, load_mapping
from salesmetrics.schema import DEAL_STAGES, ENTITIES, STAGE_DATE_PREFIX, Entity, Kind

SAMPLE = 5000
"""Values per column used to tell its type (the first ones, blanks left out)."""
TYPE_SHARE = 0.9
"""A column is of a type when at least this share of its sampled values read as that type."""
MAX_VALUES = 60
"""A closed-set field (stage, channel, ...) is only matched to a column with at most this many
distinct values; a value map lists them all."""
SHOWN_VALUES = 25
"""Distinct values listed (as a comment) for free-text fields such as a lead's status."""
PLACEHOLDER_DATE = "1970-01-01"
LINE = 100
"""Written lines are kept to this width where a value allows it."""
WEAK_ENTITY = 0.5
"""An entity guessed with a lower score is said to be a weak guess."""

# ------------------------------------------------------------------------------ synonyms

COMMON: dict[str, tuple[str, ...]] = {
    "deal_id": ("deal id", "opportunity id", "record id", "deal number", "opportunity number"),
    "lead_id": ("lead id", "prospect id", "mql id", "contact id", "lead number", "record id"),
    "activity_id": ("activity id", "task id", "event id", "engagement id"),
    "order_id": (
        *("order id", "order number", "order no", "invoice no", "invoice number"),
        *("invoice id", "invoice", "transaction id", "order"),
    ),
    "customer_id": (
        *("customer id", "customer number", "customer no", "client id", "customer"),
        "account id",
    ),
    "account_id": (
        *("account id", "company id", "account", "account name", "company", "company name"),
        *("organization", "organisation", "organization id", "organization name"),
    ),
    "created_at": (
        *("created at", "created", "create date", "created date", "creation date"),
        *("created on", "date created", "created time", "first contact date", "date added"),
        "date",
    ),
    "closed_at": (
        *("closed at", "close date", "closed date", "closed on", "date closed", "won date"),
        *("won time", "closing date", "deal closed on", "close time"),
    ),
    "expected_close_at": (
        *("expected close date", "expected close", "expected closing date"),
        "forecast close date",
    ),
    "modified_at": (
        *("modified at", "last modified date", "last modified", "modified", "updated at"),
        *("update time", "last updated", "modified date", "last modified time"),
    ),
    "occurred_at": (
        *("date", "activity date", "occurred at", "timestamp", "date time", "datetime"),
        *("sent at", "start time", "activity time", "due date", "time"),
    ),
    "ordered_at": (
        *("order date", "ordered at", "invoice date", "purchase date", "date"),
        "transaction date",
    ),
    "responded_at": (
        *("responded at", "response date", "submitted at", "survey date", "date"),
        "completed at",
    ),
    "incurred_at": ("date", "incurred at", "spend date", "expense date"),
    "started_at": (
        *("start date", "started at", "start", "hire date", "subscription start"),
        "start time",
    ),
    "ended_at": (
        *("end date", "ended at", "end", "termination date", "cancel date", "churn date"),
        *("cancelled at", "canceled at", "subscription end"),
    ),
    "mql_at": ("mql date", "became mql", "marketing qualified date", "mql at"),
    "sql_at": ("sql date", "became sql", "sales qualified date", "sql at"),
    "converted_at": ("converted date", "conversion date", "converted at", "converted on"),
    "first_response_at": (
        *("first response", "first response date", "first response at", "first contacted"),
        *("date of first engagement", "first engagement date", "first activity date"),
    ),
    "month": ("month", "billing month"),
    "period": ("period", "quarter", "quota period", "fiscal period"),
    "amount": (
        *("amount", "value", "deal value", "total", "revenue", "sales", "deal amount"),
        *("total amount", "opportunity amount", "close value", "spend", "quota", "target"),
    ),
    "mrr": (
        *("mrr", "monthly recurring revenue", "monthly charges", "monthly charge"),
        *("monthly fee", "monthly revenue", "monthly amount"),
    ),
    "quantity": ("quantity", "qty", "units", "number of items"),
    "unit_price": ("unit price", "price", "price each", "unit cost"),
    "cost": ("cost", "cogs", "cost of goods"),
    "probability": ("probability", "win probability", "deal probability", "probability %"),
    "duration_minutes": ("duration", "duration min", "duration minutes", "minutes"),
    "score": ("score", "nps", "nps score", "rating", "likelihood to recommend"),
    "stage": ("stage", "deal stage", "opportunity stage", "pipeline stage", "sales stage"),
    "status": ("status", "deal status", "lead status", "state"),
    "owner": (
        *("owner", "deal owner", "lead owner", "opportunity owner", "contact owner"),
        *("sales rep", "rep", "sales agent", "agent", "salesperson", "assigned to"),
        *("account owner", "user", "employee", "owner name"),
    ),
    "team": ("team", "sales team", "region", "regional office", "office", "territory"),
    "manager": ("manager", "sales manager", "reports to", "supervisor"),
    "source": (
        *("source", "lead source", "origin", "original source", "original traffic source"),
        *("utm source", "marketing channel", "acquisition channel"),
    ),
    "pipeline": ("pipeline", "sales pipeline"),
    "product": ("product", "product name", "item", "sku", "stock code"),
    "plan": ("plan", "subscription plan", "tier", "package"),
    "deal_type": ("deal type", "type", "opportunity type"),
    "lost_reason": ("lost reason", "closed lost reason", "loss reason", "reason lost"),
    "currency": ("currency", "currency code", "amount currency"),
    "quality": ("quality", "lead quality", "rating", "lead rating", "grade", "lead grade"),
    "converted": ("converted", "is converted"),
    "channel": ("type", "activity type", "channel", "activity", "medium", "task type"),
    "direction": ("direction", "inbound outbound"),
    "opened": ("opened", "email opened", "was opened"),
    "replied": ("replied", "email replied", "was replied"),
    "bounced": ("bounced", "email bounced", "hard bounce"),
    "outcome": ("outcome", "result", "disposition", "call outcome"),
    "churned": ("churn", "churned", "is churned"),
    "category": ("category", "cost category", "expense type", "type"),
    "metric": ("metric", "target type"),
}
"""Common header words per canonical field, on top of the presets' own aliases."""

STRONG = frozenset(
    ("amount", "owner", "stage", "currency", "probability", "quantity", "pipeline", "mrr", "qty")
)
"""Single words that name their field even inside a longer header (`Deal owner`); other
single words (date, id, type, ...) must be the whole header."""

VALUE_GUESSES: dict[str, tuple[tuple[str, str], ...]] = {
    "stage": (
        ("lost", r"lost|dead|disqualif|unqualif|no decision|rejected|closed.?no"),
        ("won", r"\bwon\b|closedwon|closed.?won|\bwin\b|signed|booked"),
        ("negotiation", r"negotiat|contract|review|commit|verbal|legal|procurement"),
        ("proposal", r"proposal|quote|pricing|bought.?in|perception"),
        ("demo", r"demo|presentation|trial|evaluation|proof|poc\b"),
        ("qualification", r"qualif|engag|discovery|needs|analysis|decision.?maker|contacted"),
        ("prospecting", r"prospect|new|lead|appointment|initial|intro|outreach|open"),
    ),
    "status": (
        ("lost", r"lost|dead|disqualif"),
        ("won", r"\bwon\b|closedwon|\bwin\b"),
        ("open", r"open|active|progress|pending|new|working"),
    ),
    "deal_type": (
        ("renewal", r"renew"),
        ("upsell", r"up.?sell|cross.?sell|upgrade"),
        ("expansion", r"expan|existing|add.?on|extension"),
        ("new", r"new|first"),
    ),
    "channel": (
        ("social", r"linkedin|social|twitter|facebook|inmail|whatsapp"),
        ("email", r"e.?mail|\bmail"),
        ("call", r"call|phone|dial"),
        ("meeting", r"meet|visit|appointment"),
        ("demo", r"demo|presentation"),
        ("research", r"research"),
        ("other", r"task|note|other"),
    ),
    "direction": (
        ("inbound", r"^in|incoming|received"),
        ("outbound", r"^out|outgoing|sent"),
    ),
    "category": (
        ("marketing", r"market|advert|\bads?\b|campaign|event|sponsor"),
        ("sales", r"sales|salar|commission|payroll"),
        ("other", r"other|misc"),
    ),
}
"""Keywords that suggest a canonical value for a raw one, tried in order (lost before won)."""

_QUOTES = "\"'“”‘’"
_STAGE_HISTORY = re.compile(
    rf"^date entered\s*[{_QUOTES}]?\s*(.+?)\s*\((.*)\)\s*[{_QUOTES}]?\s*$", re.IGNORECASE
)


def words(header: str) -> str:
    """A header as lower-case words: `InvoiceNo` -> `invoice no`, `Deal - Owner` -> `deal owner`."""
    text = header.replace("\ufeff", "")
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"[^0-9A-Za-z%]+", " ", text)
    return " ".join(text.casefold().split())


def snake(header: str) -> str:
    """A header as a field name: lower_snake_case, starting with a letter."""
    name = "_".join(words(header).replace("%", "pct").split())
    return name if re.match(r"^[a-z]", name) else f"column_{name}".rstrip("_")


@dataclass(frozen=True)
class Knowledge:
    """What the presets teach: header words per entity and field, and raw values' maps."""

    synonyms: dict[str, dict[str, set[str]]]  # entity -> field -> header words
    values: dict[str, dict[str, Counter[str]]]  # field -> folded raw value -> canonical votes


def knowledge() -> Knowledge:
    """The presets' aliases and value maps, with COMMON words added for every entity."""
    synonyms: dict[str, dict[str, set[str]]] = {}
    values: dict[str, dict[str, Counter[str]]] = {}
    for name, entity in ENTITIES.items():
        per = synonyms.setdefault(name, {})
        for f in entity.fields:
            per.setdefault(f.name, set()).update(COMMON.get(f.name, ()))
    for preset in list_presets():
        try:
            mapping = load_mapping(preset)
        except MappingError:
            continue  # a broken preset teaches nothing; `mappings list` shows it
        per = synonyms[mapping.entity.name]
        for field_name, aliases in mapping.columns.items():
            if mapping.entity.field(field_name) is None:
                continue  # a preset's own dimension
            per.setdefault(field_name, set()).update(words(a) for a in aliases)
        for field_name, vmap in mapping.values.items():
            for raw, canonical in vmap.pairs.items():
                if canonical is not None:
                    values.setdefault(field_name, {}).setdefault(raw, Counter())[canonical] += 1
    return Knowledge(synonyms, values)


# ------------------------------------------------------------------------------ profiles


@dataclass
class Profile:
    """What a column's values look like."""

    header: str
    position: int
    values: pd.Series  # as read: text, <NA> for blanks
    filled: int = 0
    distinct: int = 0
    unique: bool = False
    is_date: bool = False
    date_order: str | None = None  # dmy | mdy; None when the order does not matter
    ambiguous: bool = False  # day-first and month-first both read every value
    date_example: str = ""
    is_number: bool = False
    has_fraction: bool = False
    number_range: tuple[float, float] | None = None
    is_bool: bool = False
    is_month: bool = False
    is_period: bool = False
    _counts: list[tuple[str, int]] | None = None

    @property
    def words(self) -> str:
        return words(self.header)

    def counts(self) -> list[tuple[str, int]]:
        """Distinct values (trimmed) with their row counts, most frequent first."""
        if self._counts is None:
            found = self.values.dropna().astype(str).str.strip().value_counts(sort=False)
            self._counts = sorted(
                ((str(k), int(v)) for k, v in found.items()), key=lambda kv: (-kv[1], kv[0])
            )
        return self._counts

    def fits(self, kind: Kind) -> bool:
        """Whether the values can be read as `kind` (an empty column fits anything)."""
        if self.filled == 0:
            return True
        if kind is Kind.DATETIME:
            return self.is_date
        if kind is Kind.MONTH:
            return self.is_month or self.is_date
        if kind is Kind.PERIOD:
            return self.is_period or self.is_month
        if kind in (Kind.MONEY, Kind.NUMBER, Kind.PERCENT):
            return self.is_number
        if kind is Kind.BOOL:
            return self.is_bool
        if kind is Kind.ENUM:
            return self.distinct <= MAX_VALUES
        return True


def profile(header: str, position: int, values: pd.Series) -> Profile:
    from salesmetrics.ingest import parse

    p = Profile(header, position, values)
    present = values.dropna()
    present = present[present.str.strip() != ""]
    p.filled = len(present)
    if not p.filled:
        return p
    p.distinct = int(present.nunique())
    p.unique = p.distinct == p.filled
    sample = present.head(SAMPLE).reset_index(drop=True)
    n = len(sample)

    def share(mask) -> float:
        return float(pd.Series(mask).fillna(False).astype(bool).sum()) / n

    p.is_month = share(sample.str.fullmatch(r"\d{4}-(0?[1-9]|1[0-2])")) >= TYPE_SHARE
    period = sample.str.fullmatch(
        r"(\d{4}(-?Q[1-4]|-(0?[1-9]|1[0-2]))?|Q[1-4][-/ ]?\d{4})", case=False
    )
    p.is_period = share(period) >= TYPE_SHARE and share(sample.str.contains("Q", case=False)) > 0
    # a reader that fails on a column (mixed separators, odd values) means: not that type
    with contextlib.suppress(ValueError):
        bools = parse.parse_bool(sample, header)
        p.is_bool = share(bools.values.notna()) >= TYPE_SHARE and p.distinct <= 4
    with contextlib.suppress(ValueError):
        number = parse.parse_number(sample, header)
        p.is_number = share(number.values.notna()) >= TYPE_SHARE
        if p.is_number:
            numbers = number.values.dropna().astype(float)
            p.has_fraction = bool(((numbers % 1) != 0).any())
            p.number_range = (float(numbers.min()), float(numbers.max()))
    with contextlib.suppress(ValueError):
        _profile_dates(p, sample, share)
    return p


def _profile_dates(p: Profile, sample: pd.Series, share) -> None:
    """Dates, and whether they are day-first or month-first (parse.py's own readers decide)."""
    from salesmetrics.ingest import parse

    plain_number = sample.str.fullmatch(r"[-+]?\d+([.,]\d+)?") & ~sample.str.fullmatch(r"\d{8}")
    candidates = sample[~plain_number.fillna(False).astype(bool)]
    if len(candidates) < TYPE_SHARE * len(sample) or p.is_month:
        return

    def read(order: str):
        return parse.parse_dates(candidates, p.header, order=order).values

    try:
        auto = read("auto")
    except parse.ColumnError:
        auto = None
    day_first, month_first = read("dmy"), read("mdy")
    best = auto if auto is not None else day_first
    if share(best.notna()) < TYPE_SHARE and share(month_first.notna()) < TYPE_SHARE:
        return
    p.is_date = True
    p.date_example = str(candidates.iloc[0])
    if day_first.equals(month_first):
        return  # ISO dates, month names, ...: the order does not matter
    if auto is None:
        p.ambiguous = (
            share(day_first.notna()) >= TYPE_SHARE and share(month_first.notna()) >= TYPE_SHARE
        )
        if not p.ambiguous:
            p.date_order = "dmy" if share(day_first.notna()) >= TYPE_SHARE else "mdy"
        return
    p.date_order = "dmy" if auto.equals(day_first) else "mdy"


# ----------------------------------------------------------------------------- matching


@dataclass
class Choice:
    """One canonical field and where its values come from."""

    field: str
    header: str | None = None  # the column, or None for a constant
    constant: str | None = None
    how: str = "name"  # name | type | constant
    note: str = ""


@dataclass
class Inferred:
    """A mapping inferred for one file: its YAML text and what was decided."""

    path: str
    entity: str
    entity_guessed: bool
    choices: dict[str, Choice]
    text: str
    notes: list[str] = field(default_factory=list)
    entity_scores: dict[str, float] = field(default_factory=dict)


def _match(header_words: str, synonyms: set[str]) -> float:
    """How well a header names a field: 3 an exact synonym, 2+ a synonym inside it, else 0."""
    if not header_words:
        return 0.0
    if header_words in synonyms:
        return 3.0
    best = 0.0
    padded = f" {header_words} "
    for synonym in synonyms:
        if (" " in synonym or synonym in STRONG) and f" {synonym} " in padded:
            best = max(best, 2.0 + 0.1 * len(synonym.split()))
    return best


def _stage_history(entity: Entity, profiles: Sequence[Profile], taken: set[str]) -> list[Choice]:
    """HubSpot's `Date entered "<Stage> (<Pipeline>)"` columns as entered_<stage> fields."""
    if entity.name != "deals":
        return []
    found: dict[str, Choice] = {}
    for p in profiles:
        m = _STAGE_HISTORY.match(p.header)
        if not m or p.header in taken or not p.fits(Kind.DATETIME):
            continue
        stage, _ = guess_value("stage", m.group(1))
        name = f"{STAGE_DATE_PREFIX}{stage}" if stage else None
        if name and name not in found:
            found[name] = Choice(name, p.header, note=f"entered {m.group(1)}")
    return list(found.values())


def assign(entity: Entity, profiles: Sequence[Profile], know: Knowledge) -> dict[str, Choice]:
    """Fields matched to headers by name (best match first; one column per field)."""
    synonyms = know.synonyms.get(entity.name, {})
    order = {f.name: i for i, f in enumerate(entity.fields)}
    pairs = []
    for f in entity.fields:
        if f.name.startswith(STAGE_DATE_PREFIX) or f.name == "stage_raw":
            continue
        for p in profiles:
            strength = _match(p.words, synonyms.get(f.name, set()))
            if strength and p.fits(f.kind):
                pairs.append(
                    (
                        -strength,
                        not (f.required or f.reject_blank),
                        order[f.name],
                        p.position,
                        f.name,
                        p,
                    )
                )
    pairs.sort(key=lambda t: t[:4])
    chosen: dict[str, Choice] = {}
    taken: set[str] = set()
    for _, _, _, _, name, p in pairs:
        if name in chosen or p.header in taken:
            continue
        chosen[name] = Choice(name, p.header)
        taken.add(p.header)
    for choice in _stage_history(entity, profiles, taken):
        chosen[choice.field] = choice
    return chosen


def _fallbacks(
    entity: Entity, profiles: Sequence[Profile], chosen: dict[str, Choice], notes: list[str]
) -> None:
    """Required fields no header names: a column of the right type, else a constant."""
    taken = {c.header for c in chosen.values() if c.header}
    provided = set(chosen)
    for f in entity.fields:
        if not (f.required or f.reject_blank) or f.name in chosen:
            continue
        if entity.name == "deals" and f.name == "status" and "stage" in chosen:
            continue  # derived from the stage
        if (
            entity.name == "orders"
            and f.name == "amount"
            and {"quantity", "unit_price"} <= provided
        ):
            continue  # derived as quantity x unit_price
        picked = _by_type(f.name, f.kind, profiles, taken, entity)
        if picked is not None:
            chosen[f.name] = Choice(
                f.name, picked.header, how="type", note="guessed from its values: check"
            )
            taken.add(picked.header)
            provided.add(f.name)
            continue
        constant = _constant_for(entity, f.name, chosen)
        if constant is not None:
            value, why = constant
            chosen[f.name] = Choice(f.name, constant=value, how="constant", note=why)
            notes.append(f"{f.name}: no column for it; the constant {value!r} stands in ({why})")
        else:
            notes.append(
                f"{f.name}: no column for it and no safe default: map it under columns "
                "before using this mapping"
            )
    for group in entity.one_of:
        if provided & set(group):
            continue
        for name in group:
            spec = entity.field(name)
            assert spec is not None
            picked = _by_type(name, spec.kind, profiles, taken, entity)
            if picked is not None:
                chosen[name] = Choice(name, picked.header, how="type", note="guessed: check")
                taken.add(picked.header)
                break
        else:
            notes.append(f"needs one of {', '.join(group)}: map one of them under columns")


def _by_type(
    name: str, kind: Kind, profiles: Sequence[Profile], taken: set[str], entity: Entity
) -> Profile | None:
    """The most likely column for a required field, by the type of its values."""
    free = [p for p in profiles if p.header not in taken and p.filled]
    if kind is Kind.ID:
        # an id: unique values when it identifies the row, `id` in the name, leftmost first
        row_ids = {"deal_id", "lead_id", "activity_id", "order_id"}
        ranked = sorted(
            free,
            key=lambda p: (
                not (p.unique or name not in row_ids),
                "id" not in p.words.split() and "number" not in p.words.split(),
                p.position,
            ),
        )
        return ranked[0] if ranked else None
    if kind is Kind.DATETIME:
        dates = [p for p in profiles if p.is_date and p.filled]
        unused = [p for p in dates if p.header not in taken]
        return (unused or dates)[0] if dates else None
    if kind is Kind.MONTH:
        return next((p for p in free if p.is_month), None)
    if kind is Kind.PERIOD:
        return next((p for p in free if p.is_period), None)
    if kind in (Kind.MONEY, Kind.NUMBER):
        numbers = [p for p in free if p.is_number and not p.is_bool]
        if name == "score":
            numbers = [
                p
                for p in numbers
                if p.number_range and p.number_range[0] >= 0 and p.number_range[1] <= 10
            ]
        money = r"value|amount|revenue|price|charge|total|sales|spend|mrr|cost"
        numbers.sort(key=lambda p: (not re.search(money, p.words), not p.has_fraction, p.position))
        return numbers[0] if numbers else None
    if kind is Kind.TEXT:  # a rep's name
        texts = [p for p in free if not (p.is_number or p.is_date or p.is_bool)]
        texts.sort(key=lambda p: (not p.unique, p.position))
        return texts[0] if texts else None
    return None


def _constant_for(entity: Entity, name: str, chosen: dict[str, Choice]) -> tuple[str, str] | None:
    """A stand-in value, and why, for a required field the file has no column for."""
    spec = entity.field(name)
    if spec is not None and spec.kind is Kind.DATETIME:
        return (
            PLACEHOLDER_DATE,
            "the file has no date column: every row lands on this day, so counts and rates "
            "are right but nothing over time is",
        )
    if entity.name == "deals" and name == "status":
        closed = chosen.get("closed_at")
        if closed is not None and closed.header and "won" in words(closed.header).split():
            return "won", f"no stage or status column, and {closed.header!r} is a won date"
        return "open", "no stage or status column: every deal is taken as open; change it"
    if entity.name == "activities" and name == "channel":
        return "other", "no activity type column: every activity is `other`; change it"
    return None


def guess_value(field_name: str, raw: str, know: Knowledge | None = None) -> tuple[str | None, str]:
    """A canonical value for a raw one, and how it was found."""
    spec_choices = {
        c for e in ENTITIES.values() for f in e.fields if f.name == field_name for c in f.choices
    }
    key = fold(raw)
    if key in spec_choices:
        return key, "already canonical"
    if know is not None and key in know.values.get(field_name, {}):
        return know.values[field_name][key].most_common(1)[0][0], "as in the presets"
    spaced = words(raw)
    for canonical, pattern in VALUE_GUESSES.get(field_name, ()):
        if re.search(pattern, spaced) or re.search(pattern, key):
            return canonical, "guessed from the name: check"
    return None, ""


# ------------------------------------------------------------------------------- reading


def _layout(path: str) -> ReadOptions:
    """Read options for an unknown file: whitespace-delimited and headerless files found."""
    from salesmetrics.ingest.detect import HeaderReader
    from salesmetrics.ingest.read import _decode_head, _sniff_delimiter

    reader = HeaderReader(path)
    if reader._is_excel():
        first = reader.headers(ReadOptions())
        return ReadOptions(header=not _looks_like_data(first))
    _, _, head = _decode_head(path, reader._bytes(), "auto")
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    delimiter = _sniff_delimiter(lines)
    import csv

    widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
    spaced = [len(ln.split()) for ln in lines]
    options = ReadOptions(delimiter=delimiter)
    if widths and max(widths) == 1 and spaced and min(spaced) > 1 and len(set(spaced)) == 1:
        options = ReadOptions(delimiter="whitespace")
    first = reader.headers(options)
    if _looks_like_data(first):
        options = ReadOptions(delimiter=options.delimiter, header=False)
    return options


def _looks_like_data(cells: Sequence[str]) -> bool:
    """A first row of numbers and dates only is data, not a header."""
    filled = [c.strip() for c in cells if c.strip() and not c.startswith("(column ")]
    return bool(filled) and all(re.fullmatch(r"[-+]?[\d.,/: -]+", c) for c in filled)


def read_profiles(path: str) -> tuple[ReadOptions, list[Profile], int, str | None]:
    """The read options, a profile per column, the row count and the sheet name."""
    from salesmetrics.ingest.read import read_table

    options = _layout(path)
    table = read_table(path, options, lambda headers: None)
    profiles = [
        profile(h, i, table.frame[h])
        for i, h in enumerate(table.frame.columns)
        if not (h.startswith("(column ") and table.frame[h].isna().all())
    ]
    return options, profiles, len(table.frame), table.sheet


# ------------------------------------------------------------------------------ inferring


def _entity_score(entity: Entity, chosen: dict[str, Choice], headers: int) -> float:
    """Required fields named by a header (a derived status counts), and the share of columns."""
    required = [f.name for f in entity.fields if f.required or f.reject_blank]
    named = set(chosen)
    if entity.name == "deals" and "stage" in named:
        named.add("status")
    if entity.name == "orders" and {"quantity", "unit_price"} <= named:
        named.add("amount")
    for group in entity.one_of:
        if named & set(group):
            required.append(group[0])
            named.add(group[0])
        else:
            required.append(group[0])
    req = sum(1 for r in required if r in named) / len(required) if required else 0.0
    return req / 2 + (len(chosen) / headers if headers else 0.0) / 2


def _names_required(entity: Entity, chosen: dict[str, Choice]) -> bool:
    """Whether any required field (or a derived one's source) is named by a header."""
    required = {f.name for f in entity.fields if f.required or f.reject_blank}
    required |= {name for group in entity.one_of for name in group}
    if entity.name == "deals":
        required.add("stage")
    if entity.name == "orders":
        required |= {"quantity", "unit_price"}
    return bool(required & set(chosen))


def infer_mapping(path: str, entity: str | None = None) -> Inferred:
    """A commented mapping for `path`; `entity` is guessed (best score) when not given."""
    if entity is not None and entity not in ENTITIES:
        raise MappingError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    know = knowledge()
    options, profiles, rows, sheet = read_profiles(path)
    if not profiles:
        raise MappingError(f"{path}: no columns to infer a mapping from")
    headerless = not options.header
    scores: dict[str, float] = {}
    if entity is None:
        if headerless:
            raise MappingError(
                f"{path}: the file has no header row, so what it holds cannot be told from "
                f"its column names; give --entity ({', '.join(ENTITIES)})"
            )
        for name, spec in ENTITIES.items():
            scores[name] = _entity_score(spec, assign(spec, profiles, know), len(profiles))
        entity = max(ENTITIES, key=lambda n: (scores[n], -list(ENTITIES).index(n)))
        if not _names_required(ENTITIES[entity], assign(ENTITIES[entity], profiles, know)):
            raise MappingError(
                f"{path}: no column is named like a required field of any entity, so what the "
                f"file holds cannot be told (closest: {entity}, score {scores[entity]:.2f}); "
                f"give --entity ({', '.join(ENTITIES)})"
            )
    spec = ENTITIES[entity]
    notes: list[str] = []
    if scores and scores[entity] < WEAK_ENTITY:
        notes.append(
            f"the entity is a weak guess (score {scores[entity]:.2f}): few columns are named "
            "like its fields; if the file holds something else, run again with --entity"
        )
    chosen = assign(spec, profiles, know)
    _fallbacks(spec, profiles, chosen, notes)
    text = _write_mapping(path, spec, options, sheet, profiles, rows, chosen, know, scores, notes)
    return Inferred(path, entity, bool(scores), chosen, text, notes, scores)


# -------------------------------------------------------------------------------- writing


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9 _()./%+&-]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def q(text: str) -> str:
    """`text` as a YAML scalar: plain when that reads back as the same string, else quoted."""
    if (
        _PLAIN.match(text)
        and text == text.strip()
        and text.casefold() not in _RESERVED
        and " #" not in text
    ):
        return text
    return json.dumps(text, ensure_ascii=False)


def _line(text: str, comment: str = "", width: int = 44) -> str:
    """`text` with a comment beside it, or above it (wrapped) when that line would be long."""
    if not comment:
        return text
    beside = f"{text.ljust(width - 1)} # {comment}"
    if len(beside) <= LINE:
        return beside
    indent = " " * (len(text) - len(text.lstrip()))
    if text.lstrip().startswith("#"):
        indent += "# "
    above = textwrap.wrap(comment, LINE - len(indent) - 2)
    return "\n".join([*(f"{indent}# {part}" for part in above), text])


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


def _write_mapping(
    path: str,
    entity: Entity,
    options: ReadOptions,
    sheet: str | None,
    profiles: Sequence[Profile],
    rows: int,
    chosen: dict[str, Choice],
    know: Knowledge,
    scores: dict[str, float],
    notes: list[str],
) -> str:
    by_header = {p.header: p for p in profiles}
    name = Path(path).name
    out = [
        f"# Mapping inferred by `salesmetrics mappings infer` from {name}",
        f"# ({rows:,} rows, {len(profiles)} columns) on {date.today().isoformat()}.",
        "# Every guess says so in a comment: check those lines, then try it:",
        f"#   salesmetrics validate {name} --mapping THIS_FILE.yaml",
    ]
    for n in notes:
        out += textwrap.wrap(f"NOTE: {n}", LINE - 2, initial_indent="# ", subsequent_indent="#   ")
    if scores:
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        others = ", ".join(f"{n} {s:.2f}" for n, s in ranked[1:3])
        out.append(_line(f"entity: {entity.name}", f"guessed, score {ranked[0][1]:.2f} ({others})"))
    else:
        out.append(f"entity: {entity.name}")
    out.append(f"description: {q(f'{name} (inferred mapping)')}")
    out += ["", "read:"]
    delimiter = options.delimiter
    if delimiter != "auto":
        shown = {"\t": '"\\t"', "whitespace": "whitespace"}.get(delimiter, json.dumps(delimiter))
        out.append(f"  delimiter: {shown}")
    if not options.header:
        out.append(_line("  header: false", "no header row: columns are named 1, 2, 3 ... below"))
    if sheet is not None:
        out.append(f"  sheet: {q(sheet)}")
    if out[-1] == "read:":
        out.append("  encoding: auto")
    out += _parse_section(entity, chosen, by_header)
    out += ["", "columns:"]
    constants = {c.field: c for c in chosen.values() if c.constant is not None}
    for f in _ordered(entity, chosen):
        c = chosen[f]
        if c.header is None:
            continue
        p = by_header[c.header]
        out.append(_line(f"  {f}: {q(c.header)}", _column_comment(entity, c, p)))
    used = {c.header for c in chosen.values()}
    spare = [p for p in profiles if p.header not in used]
    if spare:
        out.append("  # Not mapped: uncomment a line to keep that column as a dimension (text")
        out.append("  # for breakdowns, e.g. --by region):")
        taken_names = {f.name for f in entity.fields} | set(chosen)
        for p in spare:
            dim = snake(p.header)
            dim = dim if dim not in taken_names else f"{dim}_text"
            taken_names.add(dim)
            out.append(_line(f"  # {dim}: {q(p.header)}", _spare_comment(p)))
    if constants:
        out += ["", "constants:"]
        for c in constants.values():
            out.append(_line(f"  {c.field}: {q(c.constant or '')}", c.note))
    out += _values_section(entity, chosen, by_header, know)
    out += _dedupe_section(entity, chosen, by_header)
    return "\n".join(out) + "\n"


def _ordered(entity: Entity, chosen: dict[str, Choice]) -> list[str]:
    """Fields in the entity's order, then the stage history in funnel order."""
    order = [f.name for f in entity.fields]
    order += [f"{STAGE_DATE_PREFIX}{stage}" for stage in DEAL_STAGES]
    return sorted(chosen, key=lambda n: (order.index(n) if n in order else len(order), n))


def _column_comment(entity: Entity, c: Choice, p: Profile) -> str:
    parts = []
    spec = entity.field(c.field)
    if c.note:
        parts.append(c.note)
    if spec is not None and (spec.required or spec.reject_blank):
        parts.insert(0, "required")
    if p.filled == 0:
        parts.append("empty in this file")
    elif p.is_date and p.date_example:
        order = {"dmy": "day first", "mdy": "month first"}.get(p.date_order or "", "")
        if p.ambiguous:
            order = "day or month first cannot be told: see parse.date_order"
        parts.append(f"e.g. {p.date_example}" + (f" ({order})" if order else ""))
    return "; ".join(parts)


def _spare_comment(p: Profile) -> str:
    if p.filled == 0:
        return "empty"
    if p.unique:
        return "unique per row"
    if p.is_date:
        return f"dates, e.g. {p.date_example}"
    if p.is_number:
        return "numbers"
    return f"{p.distinct:,} distinct value" + ("" if p.distinct == 1 else "s")


def _parse_section(entity: Entity, chosen: dict[str, Choice], by_header: dict) -> list[str]:
    dated = [
        by_header[c.header]
        for c in chosen.values()
        if c.header is not None and by_header[c.header].is_date
    ]
    orders = {p.date_order for p in dated if p.date_order}
    ambiguous = [p.header for p in dated if p.ambiguous]
    lines: list[str] = []
    detected = ", ".join(
        f"{p.header}: {p.date_order or ('?' if p.ambiguous else 'any')}" for p in dated
    )
    if len(orders) == 1:
        order = orders.pop()
        comment = f"{'day' if order == 'dmy' else 'month'} first, from the values ({detected})"
        if ambiguous:
            comment += "; the columns marked ? could be read either way: check"
        lines.append(_line(f"  date_order: {order}", comment))
    elif len(orders) > 1:
        lines.append(
            _line("  date_order: auto", f"the columns differ: each decides itself ({detected})")
        )
    elif ambiguous:
        lines.append(
            _line(
                "  date_order: dmy",
                f"{', '.join(ambiguous)}: day or month first cannot be told: dmy is a guess, check",
            )
        )
    return ["", "parse:", *lines] if lines else []


def _values_section(
    entity: Entity, chosen: dict[str, Choice], by_header: dict, know: Knowledge
) -> list[str]:
    lines: list[str] = []
    for f in _ordered(entity, chosen):
        c = chosen[f]
        spec = entity.field(f)
        if c.header is None or spec is None:
            continue
        p = by_header[c.header]
        counts = p.counts()
        if spec.kind is Kind.ENUM and counts:
            lines.append(
                _line(f"  {f}:", f"{c.header}: {len(counts)} distinct value(s), with their rows")
            )
            lines.append("    map:")
            for raw, n in counts:
                canonical, how = guess_value(f, raw, know)
                if canonical is None:
                    comment = f"{_rows(n)}; no guess, choose: {', '.join(spec.choices)}"
                    lines.append(_line(f"      {q(raw)}: null", comment, 52))
                else:
                    lines.append(_line(f"      {q(raw)}: {canonical}", f"{_rows(n)}; {how}", 52))
        elif spec.kind is Kind.TEXT and f in ("status", "source", "quality", "lost_reason"):
            if not counts or len(counts) > 200:
                continue
            intro = (
                f"{f} ({c.header}) is text and needs no map; its {len(counts)} value(s) and "
                "rows, to rename any with `map: {raw: new}` and `keep_unmapped: true`:"
            )
            shown = ", ".join(f"{raw} ({n:,})" for raw, n in counts[:SHOWN_VALUES])
            more = f" and {len(counts) - SHOWN_VALUES} more" if len(counts) > SHOWN_VALUES else ""
            lines += [f"  # {part}" for part in textwrap.wrap(intro, LINE - 4)]
            lines += [f"  #   {part}" for part in textwrap.wrap(shown + more, LINE - 6)]
    return ["", "values:", *lines] if lines else []


def _dedupe_section(entity: Entity, chosen: dict[str, Choice], by_header: dict) -> list[str]:
    key = {"deals": "deal_id", "leads": "lead_id"}.get(entity.name)
    c = chosen.get(key or "")
    if c is None or c.header is None:
        return []
    p = by_header[c.header]
    latest = "the latest modified_at wins" if "modified_at" in chosen else "the last row wins"
    if p.unique:
        return ["", "dedupe:", _line(f"  key: [{key}]", f"a re-exported row is dropped; {latest}")]
    repeats = p.filled - p.distinct
    return [
        "",
        f"# dedupe: {key} repeats on {repeats:,} row(s); if those are re-exports, uncomment:",
        f"# dedupe:\n#   key: [{key}]",
    ]


# ---------------------------------------------------------------------------------- init


@dataclass
class InitResult:
    text: str
    recognised: list = field(default_factory=list)  # detect.Recognition
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    currencies: list[str] = field(default_factory=list)


def init_config(
    folder: str | Path, output: str | Path, mapping_dirs: Iterable[Path] = ()
) -> InitResult:
    """A commented report config for the exports in `folder`, to be written at `output`."""
    from salesmetrics.errors import InputError
    from salesmetrics.ingest.detect import candidates, files_in, recognise

    folder, output = Path(folder), Path(output)
    mapping_dirs = [Path(d).resolve() for d in mapping_dirs]
    pool = candidates(mapping_dirs)
    result = InitResult("")
    for path in files_in(folder):
        try:
            result.recognised.append(recognise(path, pool))
        except InputError as exc:
            result.unrecognised.append((path, str(exc)))
    result.currencies = _currencies(result.recognised)
    result.text = _write_config(folder, output, result, mapping_dirs)
    return result


def _currencies(recognised: Sequence) -> list[str]:
    """Currency codes in the recognised inputs, the most used first."""
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.ingest.read import read_table

    seen: Counter[str] = Counter()
    for found in recognised:
        mapping = found.chosen.candidate.mapping
        constant = mapping.constants.get("currency")
        if constant:
            seen[str(constant).upper()] += 1
        aliases = mapping.columns.get("currency")
        if not aliases:
            continue
        wanted = {fold(a) for a in aliases}

        def pick(headers: list[str], wanted=wanted) -> list[str]:
            return [h for h in headers if fold(h) in wanted][:1]

        try:
            table = read_table(found.path, mapping.read, pick)
        except SalesmetricsError:
            continue
        for column in table.frame.columns:
            codes = table.frame[column].dropna().str.strip().str.upper()
            for code, n in codes[codes.str.fullmatch(r"[A-Z]{3}")].value_counts().items():
                seen[str(code)] += int(n)
    return [code for code, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))]


def _relative(path: str | Path, start: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), start.resolve())).as_posix()


def _write_config(
    folder: Path, output: Path, result: InitResult, mapping_dirs: Sequence[Path]
) -> str:
    here = output.parent if str(output.parent) else Path(".")
    config_name = output.name
    out = [
        f"# Report config written by `salesmetrics init` for the exports in {folder} "
        f"on {date.today().isoformat()}.",
        f"#   salesmetrics validate --config {config_name}",
        f"#   salesmetrics report --config {config_name}                 # last month",
        f"#   salesmetrics report --config {config_name} --period all --by owner",
        "# Input paths are relative to this file's folder, or to --data-dir: point it at next",
        "# month's folder of exports and the same config reads them.",
        "inputs:",
    ]
    if not result.recognised:
        out[-1] = "# inputs: (no file was recognised: add {path, mapping} items here)"
    for found in result.recognised:
        s = found.chosen
        mapping = s.candidate.name
        if s.candidate.own:
            mapping = _relative(s.candidate.mapping.path, here)
        out.append(f"  - path: {q(_relative(found.path, here))}")
        why = f"recognised: {s.used} of {s.headers} columns, score {s.value:.2f}"
        out.append(_line(f"    mapping: {q(mapping)}", why))
    if result.unrecognised:
        out.append("# Not recognised: write a mapping for each, check it, then add it above:")
        for path, _ in result.unrecognised:
            rel = _relative(path, here)
            stem = Path(path).name.split(".")[0]
            out.append(f"#   - path: {q(rel)}")
            out.append(f"#     mapping: {stem}.yaml")
            out.append(f"#     (salesmetrics mappings infer {rel} --output {stem}.yaml)")
    if mapping_dirs:
        shown = ", ".join(q(_relative(d, here)) for d in mapping_dirs)
        out += ["", f"mappings: [{shown}]         # your own mappings, tried when recognising"]
    out += [
        "",
        "period: last-month            # 2026-10, 2026-Q3, 2026, 2026-W14, last-quarter, "
        "this-month, ytd, all",
        "compare: previous             # previous | year | none",
        "trend: 6                      # values for the last 6 periods, oldest first",
        "# by: [owner]                 # breakdowns: owner, team, source, ..., month, week",
        "# kpis: [win_rate]            # only these KPI ids (see `salesmetrics kpis`)",
        "# fiscal_year_start: 1        # the month the fiscal year starts",
    ]
    out += _currency_lines(result.currencies)
    out += [
        "",
        "# targets:                    # a status (on_track, at_risk, off_track) for these KPIs",
        "#   win_rate: {target: 0.25, warn: 0.20}",
        "# stage_probabilities:        # for weighted_pipeline when a deal has none of its own",
        "#   prospecting: 0.2",
        "#   negotiation: 0.9",
    ]
    return "\n".join(out) + "\n"


def _currency_lines(currencies: Sequence[str]) -> list[str]:
    if not currencies:
        return ["", "# currency: USD               # the reporting currency, when amounts have one"]
    main = currencies[0]
    lines = [
        "",
        _line(f"currency: {main}", "the reporting currency (the most used in your files)", 30),
    ]
    others = currencies[1:]
    if others:
        lines.append(_line("rates:", f"how many {main} one unit is worth: fill in each", 30))
        for code in others:
            # null until filled in: the report stops with the line to fix, never sums wrongly
            lines.append(_line(f"  {code}: null", f"one {code} is worth ? {main}", 30))
    return lines


def default_config_path(folder: str | Path) -> Path:
    return Path(folder) / "report.yaml"


__all__ = [
    "Inferred",
    "InitResult",
    "default_config_path",
    "infer_mapping",
    "init_config",
    "knowledge",
    "q",
    "words",
]
