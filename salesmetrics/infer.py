"""Helping a new user: a commented mapping for an unknown export (`salesmetrics mappings
infer`), and a commented report config for a folder of exports (`salesmetrics init`).

Inferring reads the whole file once. Each column gets a profile from its values (dates and
their day/month order, numbers, flags, months, periods, distinct values, and what its text is:
place names, e-mail addresses, free text), then the canonical fields are matched to headers by
name (the aliases of every preset plus common words, an exact name before one inside a longer
header) wherever the values agree: a column of US states is never a status, a "last activity"
date never the creation date, a nearly empty column never the amount when a filled one exists.
Required fields that no header names fall back to a column of the right type. Value maps list
every raw value of the closed sets (stage, status, channel, ...) with a guess; a stage is won or
lost only when its name says so, in any of several languages.

Whatever is not certain is marked `# check`: a column that is not an exact name of its field,
a value the presets do not know, a constant, the entity when guessed. The entity is the one
whose fields the headers name best, and the mapping says which columns made it so; a file of
one row per stage change, or one a preset already reads, is pointed at the way to read it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import textwrap
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from salesmetrics.errors import MappingError, SalesmetricsError
from salesmetrics.ingest.mapping import ReadOptions, fold, list_presets, load_mapping
from salesmetrics.places import PLACES, fold_place
from salesmetrics.schema import DEAL_STAGES, ENTITIES, STAGE_DATE_PREFIX, Entity, Field, Kind

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
LOOKS_SHARE = 0.8
"""A column's text is place names (or e-mail addresses, ...) when this share of its distinct
values are."""
NEARLY_EMPTY = 0.05
"""A column filled on fewer than this share of rows loses a field to one filled on at least
WELL_FILLED of them (an `Amount` set on 1 deal of 40 beside a full `Total contract value`)."""
WELL_FILLED = 0.5
WEAK_ENTITY = 3.0
"""An entity guessed on less evidence than this (about two of its own fields) is a weak guess."""
NEAR_PRESET = 0.5
"""A preset that scores this much on a file but lacks a column it needs is named as nearly
fitting (detect's own scoring)."""
CHECK = "check"
"""The word that marks every guess in a written mapping (`# check: ...`)."""

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
    "assigned_at": (
        *("owner assigned date", "assigned date", "assigned at", "date assigned"),
        "assignment date",
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

LOCALISED: dict[str, tuple[str, ...]] = {
    "deal_id": ("id de l opportunite", "id de oportunidad", "id da oportunidade"),
    "created_at": (
        *("date de creation", "erstelldatum", "erstellt am", "fecha de creacion"),
        *("data de criacao", "data di creazione", "aanmaakdatum"),
    ),
    "closed_at": (
        *("date de cloture", "schlusstermin", "abschlussdatum", "fecha de cierre"),
        *("data de fechamento", "data di chiusura", "sluitingsdatum"),
    ),
    "stage": ("etape", "phase", "etapa", "fase", "fase di vendita"),
    "amount": ("montant", "betrag", "importe", "valor", "importo", "bedrag"),
    "owner": (
        *("proprietaire de l opportunite", "proprietaire", "verkaufschancen inhaber"),
        *("propietario de oportunidad", "propietario", "proprietario", "eigenaar"),
    ),
    "probability": (
        *("probabilite %", "wahrscheinlichkeit %", "probabilidad %", "probabilidade %"),
        *("probabilita %", "probabilite", "wahrscheinlichkeit", "probabilidad"),
    ),
    "source": ("origine de la piste", "leadquelle", "origen del prospecto", "origem do lead"),
    "account_id": (
        *("nom du compte", "accountname", "nombre de la cuenta", "nome da conta"),
        "nome account",
    ),
}
"""The headers of the fields most exports carry as French, German, Spanish, Portuguese, Italian
and Dutch reports write them (accents dropped: headers are compared without them)."""

STRONG = frozenset(
    ("amount", "owner", "stage", "currency", "probability", "quantity", "pipeline", "mrr", "qty")
)
"""Single words that name their field even inside a longer header (`Deal owner`); other
single words (date, id, type, ...) must be the whole header."""

SIGNATURE: dict[str, frozenset[str]] = {
    "deals": frozenset(
        (
            *("deal_id", "stage", "probability", "expected_close_at", "deal_type"),
            *("lost_reason", "pipeline", "closed_at"),
        )
    ),
    "leads": frozenset(
        (
            *("lead_id", "converted", "converted_at", "mql_at", "sql_at", "quality"),
            "first_response_at",
        )
    ),
    "activities": frozenset(
        (
            *("activity_id", "occurred_at", "channel", "direction", "opened", "replied"),
            *("bounced", "duration_minutes", "outcome"),
        )
    ),
    "orders": frozenset(("order_id", "ordered_at", "quantity", "unit_price", "cost")),
    "subscriptions": frozenset(("mrr", "churned", "plan", "month")),
    "costs": frozenset(("incurred_at", "category")),
    "targets": frozenset(("period", "metric")),
    "surveys": frozenset(("score", "responded_at")),
    "reps": frozenset(("manager",)),
}
"""The fields that say what a file's rows are: a stage makes a deal, a score a survey answer.
They count twice when the entity is guessed; GENERIC fields, which any export may carry, half."""
GENERIC = frozenset(
    (
        *("owner", "team", "currency", "source", "account_id", "customer_id", "product"),
        *("modified_at", "lead_id", "deal_id"),
    )
)
NOUNS: dict[str, tuple[str, ...]] = {
    "deals": ("deal", "deals", "opportunity", "opportunities", "opp"),
    "leads": ("lead", "leads", "contact", "contacts", "prospect", "mql", "lifecycle"),
    "activities": ("activity", "activities", "task", "call", "event", "engagement"),
    "orders": ("order", "invoice", "purchase", "transaction"),
    "subscriptions": ("subscription", "subscriptions"),
    "costs": ("cost", "costs", "expense", "spend"),
    "targets": ("quota", "target", "targets"),
    "surveys": ("survey", "nps", "response"),
    "reps": ("rep", "reps", "employee", "hire"),
}
"""Words a header starts with when it describes the entity's rows (`Opportunity Owner`)."""
SHARED_HEADERS = frozenset(("lead source", "lead id", "deal id", "contact id"))
"""Headers that start with another entity's noun in any export (a deal's lead source)."""

DATE_ROLES: tuple[tuple[str, str], ...] = (
    ("a last-change", r"\b(last|modified|modification|updated?|edited|edit|changed?)\b"),
    (
        "an activity",
        r"\b(activity|activities|contacted|touch\w*|next|follow\w*|seen|visit\w*|meeting)\b",
    ),
    (
        "a closing",
        r"\b(close|closed|closing|won|lost|signed|expected|forecast|due|end|ended|expir\w*"
        r"|cloture|schlusstermin|abschluss\w*|cierre|fechamento|chiusura)\b",
    ),
    ("a stage", r"\b(entered|moved|became)\b"),
)
"""What a date column's header says it dates, for the fields it must not fill."""
DATE_FIELD_ROLES: dict[str, tuple[str, ...]] = {
    "created_at": ("a last-change", "an activity", "a closing", "a stage"),
    "closed_at": ("a last-change", "an activity", "a stage"),
    "expected_close_at": ("a last-change", "an activity", "a stage"),
    "occurred_at": ("a last-change",),
    "ordered_at": ("a last-change",),
    "responded_at": ("a last-change",),
    "incurred_at": ("a last-change",),
    "started_at": ("a last-change", "an activity"),
}
"""The roles that keep a date column out of a field (a last-activity date is never created_at)."""

CATEGORICAL = frozenset(
    (
        *("stage", "status", "deal_type", "channel", "direction", "category", "source"),
        *("quality", "pipeline", "plan", "outcome", "metric", "currency", "team"),
    )
)
"""Fields whose values are a small set of labels: never places (but a team may be a region),
e-mail addresses, phone numbers, dates or free text."""

# ------------------------------------------------------------------------ value guesses

WON = (
    r"\bwon\b(?![ '’]t\b)|closedwon|\bgagne|\bgewonnen|\bganad[oa]|\bganh[oa]\b|\bvint[oa]\b"
    r"|\bvunnen\b|\bvunnet\b|\bvundet\b|\bwygran|受注|成立"
)
"""A stage or status that says closed-won: English, French (gagnée), German and Dutch
(gewonnen), Spanish (ganada), Portuguese (ganho), Italian (vinta), Nordic, Polish, Japanese."""
LOST = (
    r"\blost\b|closedlost|\bperdu|\bverloren|\bperdid[oa]|\bpers[oa]\b|\bforlorad|\btabt\b"
    r"|\btapt\b|\bprzegran|失注|不成立"
)
"""A stage or status that says closed-lost, in the same languages (perdue, verloren, perdida,
perdido, persa, ...). Tried before WON (`不成立` holds `成立`)."""
STOPPED = (
    r"\bclos|\bferme|\bgeschlossen|\babgeschlossen|\bcerrad|\bfechad|\bchius|\bgesloten"
    r"|\bdead\b|disqualif|unqualif|\bnot qualified|\brejected|\bcancel|\babandon|\bwon t\b"
    r"|\bno decision|\bnot interested|\bon hold|\bchurn"
)
"""Names that sound closed or stopped but say neither won nor lost: never guessed."""
OPEN_STAGES: tuple[tuple[str, str], ...] = (
    (
        "negotiation",
        r"negoti|negoci|negozi|verhandl|onderhandel|contract|contrat|vertrag|review|revision"
        r"|\blegal|procurement|\bcommit|\bverbal",
    ),
    (
        "proposal",
        r"propos|propuest|quote|quotation|devis|angebot|offert|presupuest|cotiza|cotac"
        r"|orcamento|preventivo|pricing|estimate",
    ),
    ("demo", r"demo|\bpresent|\bprasent|apresenta|\btrial|evaluat|\bproof|\bpoc\b|\bpilot"),
    (
        "qualification",
        r"qualif|cualific|calific|kwalific|discover|\bneeds|analys|analis|bedarf|besoin|engag",
    ),
    (
        "prospecting",
        r"prospect|\blead|\bnew\b|nouveau|nouvelle|\bneu\b|\bnuev|\bnovo\b|\bnuovo|inquir"
        r"|enquir|inbound|appointment|meeting|rendez|\btermin|reuni|contact|\bintro|initial"
        r"|outreach|\bopen\b|ouvert|offen\b|abiert|aberto|aperto",
    ),
)
"""Funnel words per open stage, the latest stage first (`Proposal/Negotiation` negotiates)."""
OPEN_STATUS = r"\bopen|ouvert|offen|abiert|aberto|aperto|active|progress|pending|\bnew\b|working"

VALUE_GUESSES: dict[str, tuple[tuple[str, str], ...]] = {
    "deal_type": (
        ("renewal", r"renew|renouvel|renovac|rinnov|verlanger|erneuer|verleng"),
        ("upsell", r"up.?sell|cross.?sell|upgrade|mise a niveau"),
        ("expansion", r"expan|existing|add.?on|extension|existant|bestand|existente"),
        ("new", r"\bnew|\bfirst|nouveau|\bneu|nuevo|novo|nuovo"),
    ),
    "channel": (
        ("social", r"linkedin|social|twitter|facebook|inmail|whatsapp"),
        ("email", r"e.?mail|\bmail"),
        ("call", r"call|phone|dial"),
        ("meeting", r"meet|visit|appointment|lunch"),
        ("demo", r"demo|presentation"),
        ("research", r"research"),
        ("other", r"task|note|other|deadline"),
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
"""Keywords that suggest a canonical value for a raw one, tried in order."""

CANONICAL = "already canonical"
KNOWN = "as in the presets"
GUESSED = "guessed from the name"
STOPPED_NOTE = "closed or stopped, but its name says neither won nor lost"
SURE = frozenset((CANONICAL, KNOWN))
"""How a value was placed when its line needs no check."""

_QUOTES = "\"'“”‘’"
_ENTERED = re.compile(
    rf"^date entered\s*[{_QUOTES}]?\s*(.+?)\s*\((.*)\)\s*[{_QUOTES}]?\s*$", re.IGNORECASE
)
_EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
_URL = r"(https?://|www\.)\S+"
_PHONE = r"\+?[\d ().-]{7,}"
_CURRENCY = r"[A-Za-z]{3}|[$€£¥₹]|US\$"


def _plain(text: str) -> str:
    """`text` without accents: `Étape` -> `Etape` (other scripts kept)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(header: str) -> str:
    """A header as lower-case words: `InvoiceNo` -> `invoice no`, `Deal - Owner` -> `deal owner`,
    `Étape` -> `etape`."""
    text = _plain(header.replace("\ufeff", ""))
    text = re.sub(r"\b([A-Z]{2,})s\b", r"\1S", text)  # `IDs` is one word
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    text = re.sub(r"[^\w%]+|_", " ", text)
    return " ".join(text.casefold().split())


def snake(header: str) -> str:
    """A header as a field name: lower_snake_case ASCII, starting with a letter."""
    ascii_words = _plain(words(header)).encode("ascii", "ignore").decode("ascii")
    name = "_".join(ascii_words.replace("%", "pct").split())
    return name if re.match(r"^[a-z]", name) else f"column_{name}".rstrip("_")


@dataclass(frozen=True)
class Knowledge:
    """What the presets teach: header words per entity and field, and raw values' maps."""

    synonyms: dict[str, dict[str, set[str]]]  # entity -> field -> header words
    values: dict[str, dict[str, Counter[str]]]  # field -> folded raw value -> canonical votes
    exact: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """entity -> field -> the header words that name it for sure: a preset's alias, the field's
    own name, a common name no other field shares (`close value`, not `date` or `type`)."""


READ_THROUGH_MAPS = frozenset({"stage_probability"})
"""Fields a preset reads from another field's column through a value map (the stage's default
probability, from the stage column): their headers name the other field, not them."""


def knowledge() -> Knowledge:
    """The presets' aliases and value maps, with COMMON and LOCALISED words for every entity."""
    synonyms: dict[str, dict[str, set[str]]] = {}
    exact: dict[str, dict[str, set[str]]] = {}
    values: dict[str, dict[str, Counter[str]]] = {}
    owners: dict[str, set[str]] = {}
    for table in (COMMON, LOCALISED):
        for name, names in table.items():
            for n in names:
                owners.setdefault(n, set()).add(name)
    for name, entity in ENTITIES.items():
        per = synonyms.setdefault(name, {})
        sure = exact.setdefault(name, {})
        for f in entity.fields:
            common = {*COMMON.get(f.name, ()), *LOCALISED.get(f.name, ())}
            per.setdefault(f.name, set()).update(common)
            own = {n for n in common if " " in n and owners[n] == {f.name}}
            sure.setdefault(f.name, set()).update({*own, words(f.name)})
    for preset in list_presets():
        try:
            mapping = load_mapping(preset)
        except MappingError:
            continue  # a broken preset teaches nothing; `mappings list` shows it
        per = synonyms[mapping.entity.name]
        sure = exact[mapping.entity.name]
        for field_name, aliases in mapping.columns.items():
            if mapping.entity.field(field_name) is None or field_name in READ_THROUGH_MAPS:
                continue  # a preset's own dimension, or a second reading of another column
            per.setdefault(field_name, set()).update(words(a) for a in aliases)
            sure.setdefault(field_name, set()).update(words(a) for a in aliases)
        for field_name, vmap in mapping.values.items():
            for raw, canonical in vmap.pairs.items():
                if canonical is not None:
                    values.setdefault(field_name, {}).setdefault(raw, Counter())[canonical] += 1
    return Knowledge(synonyms, values, exact)


# ------------------------------------------------------------------------------ profiles


@dataclass
class Profile:
    """What a column's values look like."""

    header: str
    position: int
    values: pd.Series  # as read: text, <NA> for blanks
    rows: int = 0
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
    looks: str = ""  # what its text is, when that rules fields out: "place names", ...
    spaced: bool = False  # most values hold a space (names, sentences), unlike codes and ids
    _counts: list[tuple[str, int]] | None = None

    @property
    def words(self) -> str:
        return words(self.header)

    @property
    def fill(self) -> float:
        """The share of rows with a value."""
        return self.filled / self.rows if self.rows else 0.0

    @property
    def nearly_empty(self) -> bool:
        return self.filled > 0 and self.fill < NEARLY_EMPTY

    def counts(self) -> list[tuple[str, int]]:
        """Distinct values (trimmed) with their row counts, most frequent first."""
        if self._counts is None:
            found = self.values.dropna().astype(str).str.strip().value_counts(sort=False)
            self._counts = sorted(
                ((str(k), int(v)) for k, v in found.items() if str(k)),
                key=lambda kv: (-kv[1], kv[0]),
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

    p = Profile(header, position, values, rows=len(values))
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
    p.spaced = share(sample.str.strip().str.contains(r"\s")) >= 0.5
    if not (p.is_number or p.is_date or p.is_bool):
        p.looks = _looks(p, sample.str.strip().drop_duplicates().head(1000))
    return p


def _looks(p: Profile, distinct: pd.Series) -> str:
    """What a text column holds when that rules out categorical fields, else ''."""

    def most(pattern: str) -> bool:
        return bool(distinct.str.fullmatch(pattern).mean() >= LOOKS_SHARE)

    if most(_EMAIL):
        return "e-mail addresses"
    if most(_URL):
        return "web addresses"
    if most(_PHONE) and bool(distinct.str.count(r"\d").min() >= 7):
        return "phone numbers"
    if len(distinct) >= 2 and distinct.map(fold_place).isin(PLACES).mean() >= LOOKS_SHARE:
        return "place names (states, provinces or countries)"
    mean_words = float(distinct.str.count(r"\S+").mean())
    if p.distinct >= 5 and p.distinct >= 0.5 * p.filled and mean_words >= 3:
        return f"free text ({p.distinct:,} distinct values)"
    return ""


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


def date_role(header_words: str) -> str:
    """What a date header says it dates (`a last-change`, `a closing`, ...), or ''."""
    for role, pattern in DATE_ROLES:
        if re.search(pattern, header_words):
            return role
    return ""


# ----------------------------------------------------------------------------- matching


@dataclass
class Choice:
    """One canonical field and where its values come from."""

    field: str
    header: str | None = None  # the column, or None for a constant
    constant: str | None = None
    how: str = "name"  # name | type | constant
    note: str = ""
    exact: bool = False  # the header is a sure name of the field: no `# check`


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
    reason: str = ""  # why this entity, when guessed


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


def refusal(
    entity: Entity, f: Field, p: Profile, know: Knowledge | None = None, exact: bool = False
) -> str:
    """Why the values of `p` cannot be field `f` whatever the header says, or '' if they can."""
    if not p.fits(f.kind):
        return f"its values are not {f.kind.value} values"
    if p.filled == 0:
        return ""
    name = f.name
    if name in CATEGORICAL:
        if p.is_date:
            return "its values are dates"
        allowed = {"team": "place names", "source": "web addresses"}.get(name, "")
        if p.looks and not (allowed and p.looks.startswith(allowed)):
            return f"its values are {p.looks}"
        if p.is_number and not p.is_bool and p.distinct > 4:
            return "its values are numbers"
    if entity.name == "deals" and name in ("stage", "status"):
        guesses = {guess_value(name, raw, know)[0] for raw, _ in p.counts()}
        if name == "status" and not ({"won", "lost"} & guesses or guesses == {"open"}):
            return "no value reads as won, lost or open"
        if name == "stage" and not exact and guesses <= {None}:
            return "no value reads as a stage"
    if f.kind is Kind.ID:
        if p.is_date:
            return "its values are dates"
        if p.is_number and p.has_fraction:
            return "its values are amounts"
        row_id = {"deals": "deal_id", "leads": "lead_id", "activities": "activity_id"}
        if row_id.get(entity.name) == name and p.filled >= 10 and p.distinct < 0.5 * p.filled:
            return f"it repeats ({p.filled:,} rows, {p.distinct:,} values): not one per row"
    if name in ("owner", "manager"):
        if p.is_date or (p.is_number and p.has_fraction):
            return "its values are not names"
        if p.looks.startswith("place"):
            return f"its values are {p.looks}"
    if name == "amount" and re.search(WEIGHTED, p.words):
        return "its header names an amount weighted by probability"
    if name == "probability" and p.number_range is not None:
        low, high = p.number_range
        if low < 0 or high > 100:
            return "its values are not between 0 and 100"
    if name == "currency":
        codes = pd.Series([raw for raw, _ in p.counts()], dtype="string")
        if float(codes.str.fullmatch(_CURRENCY).mean()) < TYPE_SHARE:
            return "its values are not currency codes"
    if f.kind is Kind.DATETIME and not exact:
        role = date_role(p.words)
        if role and role in DATE_FIELD_ROLES.get(name, ()):
            return f"its header names {role} date"
    return ""


def _entered_columns(
    entity: Entity, profiles: Sequence[Profile], taken: set[str], know: Knowledge
) -> list[Choice]:
    """HubSpot's `Date entered "<Stage> (<Pipeline>)"` columns as entered_<stage> fields."""
    if entity.name != "deals":
        return []
    found: dict[str, Choice] = {}
    for p in profiles:
        m = _ENTERED.match(p.header)
        if not m or p.header in taken or not p.fits(Kind.DATETIME):
            continue
        stage, how = guess_value("stage", m.group(1), know)
        name = f"{STAGE_DATE_PREFIX}{stage}" if stage else None
        if name and name not in found:
            note = f"entered {m.group(1)}" + ("" if how in SURE else f", {stage} {GUESSED}")
            found[name] = Choice(name, p.header, note=note, exact=how in SURE)
    return list(found.values())


def assign(entity: Entity, profiles: Sequence[Profile], know: Knowledge) -> dict[str, Choice]:
    """Fields matched to headers by name where the values agree (best match first; one column
    per field; a nearly empty column only where no well-filled one is named like the field)."""
    synonyms = know.synonyms.get(entity.name, {})
    sure = know.exact.get(entity.name, {})
    order = {f.name: i for i, f in enumerate(entity.fields)}
    pairs = []
    for f in entity.fields:
        if f.name.startswith(STAGE_DATE_PREFIX) or f.name == "stage_raw":
            continue
        for p in profiles:
            strength = _match(p.words, synonyms.get(f.name, set()))
            if not strength:
                continue
            exact = strength == 3.0 and p.words in sure.get(f.name, set())
            if refusal(entity, f, p, know, exact):
                continue
            rank = (
                p.nearly_empty,
                -strength,
                not (f.required or f.reject_blank),
                order[f.name],
                p.position,
            )
            pairs.append((rank, f.name, p, exact))
    pairs.sort(key=lambda t: t[0])
    chosen: dict[str, Choice] = {}
    taken: set[str] = set()
    for rank, name, p, exact in pairs:
        if name in chosen or p.header in taken:
            continue
        note = "" if exact else _loose(name, -rank[1])
        chosen[name] = Choice(name, p.header, note=note, exact=exact)
        taken.add(p.header)
    for choice in _entered_columns(entity, profiles, taken, know):
        chosen[choice.field] = choice
    return chosen


def _loose(name: str, strength: float) -> str:
    """Why a header that names a field is still a guess."""
    if strength == 3.0:
        return f"a common name of {name}, not a sure one"
    return f"the header only contains a name of {name}"


def _prefer_filled(entity: Entity, profiles: Sequence[Profile], chosen: dict[str, Choice]) -> None:
    """A money field on a nearly empty column moves to a well-filled money column, if one
    is free (an `Amount` set on 2% of rows beside a full `Total Contract Value`)."""
    by_header = {p.header: p for p in profiles}
    taken = {c.header for c in chosen.values() if c.header}
    for name, c in list(chosen.items()):
        spec = entity.field(name)
        if spec is None or spec.kind is not Kind.MONEY or c.header is None:
            continue
        p = by_header[c.header]
        if not p.nearly_empty:
            continue
        filled = [
            o
            for o in _money_columns(profiles, taken)
            if o.fill >= WELL_FILLED and not refusal(entity, spec, o)
        ]
        if filled:
            o = max(filled, key=lambda o: o.fill)
            chosen[name] = Choice(
                name,
                o.header,
                how="type",
                note=f"{c.header!r} is filled on {p.fill:.0%} of rows only; this one on "
                f"{o.fill:.0%}",
            )
            taken.add(o.header)


WEIGHTED = r"\b(forecast|weighted|expected|projected)\b"
"""Amounts that are the deal's amount times its probability (`Forecast amount`, `Deal - Weighted
value`, `Expected Revenue`): never the amount."""
MONEY_WORDS = r"value|amount|revenue|price|charge|total|sales|spend|mrr|cost|montant|betrag|importe"
NOT_MONEY_WORDS = (
    r"\b(id|number|no|zip|postal|phone|age|days?|duration|probability|percent|%|quantity|qty"
    r"|count|score|year|rank)\b"
)


def _money_columns(profiles: Sequence[Profile], taken: set[str]) -> list[Profile]:
    """Free number columns that can be money, money-named first, then with decimals."""
    numbers = [
        p
        for p in profiles
        if p.header not in taken
        and p.filled
        and p.is_number
        and not p.is_bool
        and (re.search(MONEY_WORDS, p.words) or not re.search(NOT_MONEY_WORDS, p.words))
        and not re.search(WEIGHTED, p.words)
    ]
    return sorted(
        numbers,
        key=lambda p: (
            not re.search(MONEY_WORDS, p.words),
            p.nearly_empty,
            not p.has_fraction,
            p.position,
        ),
    )


def _fallbacks(
    entity: Entity,
    profiles: Sequence[Profile],
    chosen: dict[str, Choice],
    notes: list[str],
    know: Knowledge,
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
        picked = _by_type(f, profiles, taken, entity, know)
        if picked is not None:
            chosen[f.name] = Choice(f.name, picked.header, how="type", note=_type_note(picked))
            taken.add(picked.header)
            provided.add(f.name)
            continue
        constant = _constant_for(entity, f.name, chosen, profiles)
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
            picked = _by_type(spec, profiles, taken, entity, know)
            if picked is not None:
                chosen[name] = Choice(name, picked.header, how="type", note=_type_note(picked))
                taken.add(picked.header)
                break
        else:
            notes.append(f"needs one of {', '.join(group)}: map one of them under columns")


def _type_note(p: Profile) -> str:
    what = "dates" if p.is_date else "numbers" if p.is_number else "values"
    return f"no header names it; taken for its {what}"


def _by_type(
    f: Field, profiles: Sequence[Profile], taken: set[str], entity: Entity, know: Knowledge
) -> Profile | None:
    """The most likely column for a required field, by its values: None when no column's
    values can be that field (a close date is never taken as the creation date)."""
    free = [
        p
        for p in profiles
        if p.header not in taken and p.filled and not refusal(entity, f, p, know)
    ]
    kind = f.kind
    if kind is Kind.ID:
        # an id: one value per row, named like an id or a name, with no spaces, leftmost
        nouns = NOUNS.get(entity.name, ())
        ids = [p for p in free if not p.is_bool and not (p.is_number and not p.unique)]
        ids = [p for p in ids if not p.looks or p.looks.startswith(("e-mail", "free text"))]
        ranked = sorted(
            ids,
            key=lambda p: (
                not (p.unique or p.distinct >= 0.9 * p.filled),
                not re.search(r"\b(id|number|no|key|code|email|name|title)\b", p.words),
                p.words.split()[0] not in nouns if p.words else True,
                p.spaced,
                p.position,
            ),
        )
        return ranked[0] if ranked else None
    if kind is Kind.DATETIME:
        return next((p for p in free if p.is_date), None)
    if kind is Kind.MONTH:
        return next((p for p in free if p.is_month), None)
    if kind is Kind.PERIOD:
        return next((p for p in free if p.is_period), None)
    if kind in (Kind.MONEY, Kind.NUMBER):
        numbers = [p for p in _money_columns(free, taken) if not p.nearly_empty]
        if f.name == "score":
            numbers = [
                p
                for p in numbers
                if p.number_range and p.number_range[0] >= 0 and p.number_range[1] <= 10
            ]
        return numbers[0] if numbers else None
    if kind is Kind.TEXT:  # a rep's name
        texts = [p for p in free if not (p.is_number or p.is_date or p.is_bool or p.looks)]
        texts.sort(key=lambda p: (not p.unique, p.position))
        return texts[0] if texts else None
    return None


def _constant_for(
    entity: Entity, name: str, chosen: dict[str, Choice], profiles: Sequence[Profile]
) -> tuple[str, str] | None:
    """A stand-in value, and why, for a required field the file has no column for."""
    spec = entity.field(name)
    if spec is not None and spec.kind is Kind.DATETIME:
        dated = [p.header for p in profiles if p.is_date]
        why = (
            f"none of its date columns ({', '.join(dated)}) is a {name.split('_')[0]} date"
            if dated
            else "the file has no date column"
        )
        return (
            PLACEHOLDER_DATE,
            f"{why}: every row lands on this day, so counts and rates are right but nothing "
            "over time is",
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
    """A canonical value for a raw one, and how it was found (CANONICAL and KNOWN are sure; a
    guess is GUESSED; '' or STOPPED_NOTE when there is none). A stage or status is won or lost
    only when its name says so (`Closed Won`, `Fermée gagnée`, `Gewonnen`, `Cerrada perdida`);
    a name that sounds closed without saying which (`Closed`, `Dead`) gets no guess."""
    spec_choices = {
        c for e in ENTITIES.values() for f in e.fields if f.name == field_name for c in f.choices
    }
    key = fold(raw)
    if key in spec_choices:
        return key, CANONICAL
    if know is not None and key in know.values.get(field_name, {}):
        return know.values[field_name][key].most_common(1)[0][0], KNOWN
    spaced = words(raw)
    if field_name in ("stage", "status"):
        for canonical, pattern in (("lost", LOST), ("won", WON)):
            if re.search(pattern, spaced) or re.search(pattern, key):
                return canonical, GUESSED
        if re.search(STOPPED, spaced):
            return None, STOPPED_NOTE
        table = OPEN_STAGES if field_name == "stage" else (("open", OPEN_STATUS),)
        for canonical, pattern in table:
            if re.search(pattern, spaced):
                return canonical, GUESSED
        return None, ""
    for canonical, pattern in VALUE_GUESSES.get(field_name, ()):
        if re.search(pattern, spaced) or re.search(pattern, key):
            return canonical, GUESSED
    return None, ""


# ------------------------------------------------------------------------------- reading


def _layout(path: str) -> ReadOptions:
    """Read options for an unknown file: whitespace-delimited and headerless files found."""
    from salesmetrics.ingest.decode import decode_head
    from salesmetrics.ingest.detect import HeaderReader
    from salesmetrics.ingest.read import _sniff_delimiter

    reader = HeaderReader(path)
    if reader._is_excel():
        first = reader.headers(ReadOptions())
        return ReadOptions(header=not _looks_like_data(first))
    _, _, head = decode_head(path, reader._bytes(), "auto")
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


# ------------------------------------------------------------------- what the file is

HISTORY_HEADERS = (
    *("from stage", "to stage", "moved to", "old value", "new value", "field event"),
    *("previous stage", "stage changed", "stage history"),
)
"""Headers of exports that hold one row per stage change (Zoho's Stage History, Salesforce's
Opportunity History and Opportunity Field History), never of a deals export."""
HISTORY_SUPPORT = ("stage duration", "edit date", "time in stage", "days in stage")
"""Headers a stage history has, but a deals report may carry too (Salesforce's `Stage
Duration`: the days in the current stage): signs only beside a repeating deal id."""
HISTORY_HINT = (
    "looks like a stage history export (one row per stage change{why}): read it with a "
    "stage-history mapping, see the README's Stage history section"
)
_DEAL_KEY = r"^(deal|opportunity|opp) (name id|name|id)$"
_CHANGE_DATE = r"\b(modified|modification|edit|edited|changed?|moved|entered|last modified)\b"
CRMS = ("HubSpot", "Salesforce", "Pipedrive", "Zoho")


def stage_history_signs(profiles: Sequence[Profile]) -> list[str]:
    """Why the file looks like one row per stage change, or [] when it does not: its headers
    (`From Stage`, `Moved To`, ...), or a deal id that repeats beside a stage and a date of
    change or a `Stage Duration`."""
    staged = [p for p in profiles if "stage" in p.words.split() or p.words == "new value"]
    if not staged:
        return []

    def named(headers: Sequence[str]) -> list[str]:
        return [
            p.header
            for p in profiles
            if any(p.words == h or p.words.startswith(h + " ") for h in headers)
        ]

    signs, support = named(HISTORY_HEADERS), named(HISTORY_SUPPORT)
    keys = sorted(
        (
            p
            for p in profiles
            if re.search(_DEAL_KEY, p.words) and p.filled >= 4 and p.filled >= 1.5 * p.distinct
        ),
        key=lambda p: (not p.words.endswith("id"), p.position),
    )
    changed = [p for p in profiles if p.is_date and re.search(_CHANGE_DATE, p.words)]
    if not (signs or (keys and (changed or support))):
        return []
    shown = named((*HISTORY_HEADERS, *HISTORY_SUPPORT))  # in the file's order
    reasons = [", ".join(shown)] if shown else []
    if keys:
        k = keys[0]
        beside = f", with {changed[0].header}" if changed else ""
        reasons.append(f"{k.header} repeats: {k.filled:,} rows for {k.distinct:,} deals{beside}")
    return reasons


@dataclass(frozen=True)
class PresetHint:
    """A preset that reads the file (`fits`), or would with the columns it lacks, and what to
    tell the user."""

    name: str
    entity: str
    fits: bool
    text: str


def preset_hint(path: str) -> PresetHint | None:
    """The preset that detect's scoring finds for `path`, if one fits or nearly fits."""
    from salesmetrics.ingest.detect import candidates, score_file

    try:
        scores = score_file(path, candidates())
    except SalesmetricsError:
        return None
    if not scores:
        return None
    best = next((s for s in scores if s.fits), None)
    if best is not None:
        name = best.candidate.name
        return PresetHint(
            name,
            best.candidate.mapping.entity.name,
            True,
            f"this looks like {_described(best.candidate.mapping.description)}: try --mapping "
            f"{name} (a file it reads is recognised with no mapping at all; one of your own is "
            f"needed only to change it: start it with `extends: {name}`)",
        )
    near = scores[0]
    if near.value < NEAR_PRESET or near.loadable:
        return None
    name = near.candidate.name
    lacks = "; ".join(near.missing_required)
    return PresetHint(
        name,
        near.candidate.mapping.entity.name,
        False,
        f"this looks like {_described(near.candidate.mapping.description)} without {lacks}: "
        f"add those to the export and use --mapping {name}, or use this mapping",
    )


def _described(description: str) -> str:
    """A preset's description as a phrase: `a Salesforce opportunity report`."""
    text = re.sub(r"\s*\([^)]*\)\s*$", "", description).strip() or "a known export"
    first = text.split()[0]
    if first not in CRMS:
        text = text[0].lower() + text[1:]
    return ("an " if text[0].lower() in "aeiou" else "a ") + text


@dataclass(frozen=True)
class Evidence:
    """Why a file may hold an entity's rows: the fields its headers name, and the headers that
    name the entity itself."""

    entity: str
    score: float
    fields: tuple[tuple[str, str], ...]  # (header, field)
    nouns: tuple[str, ...]
    preset: str = ""

    def summary(self, most: int = 8) -> str:
        """`9 columns named like its fields (Stage -> stage, ...); 2 headers name ...`."""
        pairs = [f"{h} -> {f}" for h, f in self.fields]
        shown = ", ".join(pairs[:most]) + (
            f" and {len(pairs) - most} more" if len(pairs) > most else ""
        )
        n = len(pairs)
        parts = [f"{n} column{'' if n == 1 else 's'} named like its fields ({shown})"]
        if self.nouns:
            parts.append(f"{len(self.nouns)} header(s) name its rows ({', '.join(self.nouns)})")
        if self.preset:
            parts.append(f"the preset {self.preset} fits the file")
        return "; ".join(parts)


def _shared_names(know: Knowledge) -> set[str]:
    """Names of SIGNATURE fields in two or more entities (`record id`, `date`, `type`): a
    header that holds one says nothing about which of them the file is."""
    seen: dict[str, set[str]] = {}
    for entity, fields in know.synonyms.items():
        for name in SIGNATURE.get(entity, ()):
            for w in fields.get(name, ()):
                seen.setdefault(w, set()).add(entity)
    return {w for w, entities in seen.items() if len(entities) > 1}


def _evidence(
    entity: Entity,
    chosen: dict[str, Choice],
    profiles: Sequence[Profile],
    preset: PresetHint | None,
    shared: set[str],
) -> Evidence:
    """How strongly the headers say the rows are `entity`'s: each field named by a header (its
    SIGNATURE fields twice unless the header names a signature field of another entity too,
    GENERIC ones half, all of them half again when the name is not a sure one), headers that
    start with its nouns (half each, up to 2), half the share of its required fields named,
    and 3 when a preset of it fits the file."""
    signature = SIGNATURE.get(entity.name, frozenset())
    named = [c for c in chosen.values() if c.how == "name" and c.header is not None]
    score = 0.0
    for c in named:
        weight = 1.0
        if c.field in signature or c.field.startswith(STAGE_DATE_PREFIX):
            weight = 0.5 if words(c.header or "") in shared else 2.0
        elif c.field in GENERIC:
            weight = 0.5
        score += weight if c.exact else weight / 2
    nouns = tuple(
        p.header
        for p in profiles
        if p.words
        and p.words.split()[0] in NOUNS.get(entity.name, ())
        and p.words not in SHARED_HEADERS
    )
    score += min(2.0, 0.5 * len(nouns))
    required = [f.name for f in entity.fields if f.required or f.reject_blank] + [
        g[0] for g in entity.one_of
    ]
    have = set(chosen)
    if entity.name == "deals" and "stage" in have:
        have.add("status")
    if entity.name == "orders" and {"quantity", "unit_price"} <= have:
        have.add("amount")
    for group in entity.one_of:
        if have & set(group):
            have.add(group[0])
    if required:
        score += 0.5 * sum(1 for r in required if r in have) / len(required)
    fitting = preset is not None and preset.fits and preset.entity == entity.name
    if fitting:
        score += 3.0
    return Evidence(
        entity.name,
        round(score, 2),
        tuple((c.header or "", c.field) for c in named),
        nouns,
        preset.name if fitting and preset else "",
    )


# ------------------------------------------------------------------------------ inferring


def infer_mapping(path: str, entity: str | None = None) -> Inferred:
    """A commented mapping for `path`; `entity` is guessed (the most evidence) when not given.
    A file that looks like a stage history is refused unless `entity` is given."""
    if entity is not None and entity not in ENTITIES:
        raise MappingError(f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}")
    know = knowledge()
    options, profiles, rows, sheet = read_profiles(path)
    if not profiles:
        raise MappingError(f"{path}: no columns to infer a mapping from")
    notes: list[str] = []
    history = stage_history_signs(profiles) if options.header else []
    preset = preset_hint(path) if options.header else None
    if preset is not None and history and not preset.fits:
        preset = None  # a deals preset that nearly fits a history file would mislead
    if history:
        hint = HISTORY_HINT.format(why=": " + "; ".join(history))
        if entity is None:
            fits = f"; {preset.text}" if preset is not None else ""
            raise MappingError(
                f"{path}: {hint}{fits}; to read it as deals all the same, give --entity deals"
            )
        notes.append(hint)
    if preset is not None:
        notes.append(preset.text)
    evidence: dict[str, Evidence] = {}
    if entity is None:
        if not options.header:
            raise MappingError(
                f"{path}: the file has no header row, so what it holds cannot be told from "
                f"its column names; give --entity ({', '.join(ENTITIES)})"
            )
        shared = _shared_names(know)
        for name, spec in ENTITIES.items():
            chosen = assign(spec, profiles, know)
            evidence[name] = _evidence(spec, chosen, profiles, preset, shared)
        ranked = sorted(evidence.values(), key=lambda e: -e.score)  # stable: ENTITIES order
        entity = ranked[0].entity
        if ranked[0].score < 1.0:
            raise MappingError(
                f"{path}: no column is named like a field of any entity, so what the file "
                f"holds cannot be told (closest: {entity}); give --entity "
                f"({', '.join(ENTITIES)})"
            )
        if ranked[0].score < WEAK_ENTITY or ranked[1].score >= ranked[0].score - 1:
            notes.append(
                f"the entity is a weak guess ({entity} {ranked[0].score:.1f}, "
                f"{ranked[1].entity} {ranked[1].score:.1f}): few columns are named like its "
                "fields; if the file holds something else, run again with --entity"
            )
    spec = ENTITIES[entity]
    chosen = assign(spec, profiles, know)
    _prefer_filled(spec, profiles, chosen)
    _fallbacks(spec, profiles, chosen, notes, know)
    reason = _reason(entity, evidence)
    text = _write_mapping(path, spec, options, sheet, profiles, rows, chosen, know, reason, notes)
    scores = {name: e.score for name, e in evidence.items()}
    return Inferred(path, entity, bool(evidence), chosen, text, notes, scores, reason)


def _reason(entity: str, evidence: dict[str, Evidence]) -> str:
    """Why the guessed entity, and the next best: '' when the entity was given."""
    if not evidence:
        return ""
    ranked = sorted(evidence.values(), key=lambda e: -e.score)
    best = evidence[entity]
    text = f"Why {entity}: {best.summary()}."
    runner = next((e for e in ranked if e.entity != entity), None)
    if runner is not None and runner.fields:
        text += f" Next best, {runner.entity}: {runner.summary(4)}."
    return text


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


def _check(text: str) -> str:
    """A comment that marks a guess: `check: <text>`."""
    return f"{CHECK}: {text}"


def _comments(text: str) -> list[str]:
    return textwrap.wrap(text, LINE - 2, initial_indent="# ", subsequent_indent="#   ")


def _write_mapping(
    path: str,
    entity: Entity,
    options: ReadOptions,
    sheet: str | None,
    profiles: Sequence[Profile],
    rows: int,
    chosen: dict[str, Choice],
    know: Knowledge,
    reason: str,
    notes: list[str],
) -> str:
    by_header = {p.header: p for p in profiles}
    name = Path(path).name
    out = [
        f"# Mapping inferred by `salesmetrics mappings infer` from {name}",
        f"# ({rows:,} rows, {len(profiles)} columns) on {date.today().isoformat()}.",
        f"# Every guess is marked `# {CHECK}`: check those lines, then try it:",
        f"#   salesmetrics validate {name} --mapping THIS_FILE.yaml",
    ]
    for n in notes:
        out += _comments(f"NOTE: {n}")
    if reason:
        out += _comments(reason)
        out.append(
            _line(f"entity: {entity.name}", _check("guessed from the columns: see why above"))
        )
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
            out.append(_line(f"  {c.field}: {q(c.constant or '')}", _check(c.note)))
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
    if not c.exact:
        parts.append(_check(c.note or f"named like {c.field}"))
    elif c.note:
        parts.append(c.note)
    if spec is not None and (spec.required or spec.reject_blank):
        parts.append("required")
    if p.filled == 0:
        parts.append("empty in this file")
    elif p.nearly_empty:
        parts.append(f"filled on {p.fill:.0%} of rows")
    if p.is_date and p.date_example:
        order = {"dmy": "day first", "mdy": "month first"}.get(p.date_order or "", "")
        if p.ambiguous:
            order = "day or month first cannot be told: see parse.date_order"
        parts.append(f"e.g. {p.date_example}" + (f" ({order})" if order else ""))
    return "; ".join(parts)


def _spare_comment(p: Profile) -> str:
    if p.filled == 0:
        return "empty"
    if p.looks:
        return p.looks
    if p.nearly_empty:
        return f"filled on {p.fill:.0%} of rows"
    if p.is_date:
        return f"dates, e.g. {p.date_example}"
    if p.is_number:
        return "numbers"
    if p.unique:
        return "unique per row"
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
            comment = _check(f"{comment}; the columns marked ? could be read either way")
        lines.append(_line(f"  date_order: {order}", comment))
    elif len(orders) > 1:
        lines.append(
            _line("  date_order: auto", f"the columns differ: each decides itself ({detected})")
        )
    elif ambiguous:
        lines.append(
            _line(
                "  date_order: dmy",
                _check(
                    f"{', '.join(ambiguous)}: day or month first cannot be told: dmy is a guess"
                ),
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
            staged = entity.name == "deals" and f == "status" and "stage" in chosen
            for raw, n in counts:
                lines.append(_value_line(f, spec, raw, n, know, staged))
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


def _value_line(
    name: str, spec: Field, raw: str, n: int, know: Knowledge, staged: bool = False
) -> str:
    """One raw value's line of a value map: sure, a guess to check, or null to choose
    (`staged`: a deal status whose null leaves it to the mapped stage)."""
    canonical, how = guess_value(name, raw, know)
    if canonical is not None and how in SURE:
        return _line(f"      {q(raw)}: {canonical}", f"{_rows(n)}; {how}", 52)
    if canonical is not None:
        return _line(f"      {q(raw)}: {canonical}", _check(f"{how}; {_rows(n)}"), 52)
    choices = ", ".join(spec.choices)
    why = f"{how}: choose" if how else "no guess, choose"
    if staged:
        why = f"{how or 'no guess'}: null leaves it to the stage, or choose"
    return _line(f"      {q(raw)}: null", _check(f"{why} {choices}; {_rows(n)}"), 52)


def _dedupe_section(entity: Entity, chosen: dict[str, Choice], by_header: dict) -> list[str]:
    key = {"deals": "deal_id", "leads": "lead_id"}.get(entity.name)
    c = chosen.get(key or "")
    if c is None or c.header is None:
        return []
    p = by_header[c.header]
    latest = "the latest modified_at wins" if "modified_at" in chosen else "the last row wins"
    if p.unique and c.exact:
        return ["", "dedupe:", _line(f"  key: [{key}]", f"a re-exported row is dropped; {latest}")]
    if p.unique:
        return [
            "",
            f"# dedupe: {c.header} is a guess for {key}; once checked, uncomment to drop "
            "re-exported rows:",
            f"# dedupe:\n#   key: [{key}]",
        ]
    repeats = p.filled - p.distinct
    return [
        "",
        f"# dedupe: {key} repeats on {repeats:,} row(s); if those are re-exports, uncomment:",
        f"# dedupe:\n#   key: [{key}]",
    ]


# ---------------------------------------------------------------------------------- init


@dataclass(frozen=True)
class ExtendsFile:
    """An extends file `init` writes for a preset that nearly fits an export."""

    extension: Any  # nearfit.Extension
    path: Path  # beside the config
    text: str


@dataclass
class InitResult:
    text: str
    recognised: list = field(default_factory=list)  # detect.Recognition: read as they are
    extended: list[ExtendsFile] = field(default_factory=list)  # a preset nearly fits them
    unrecognised: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    currencies: list[str] = field(default_factory=list)


def init_config(
    folder: str | Path, output: str | Path, mapping_dirs: Iterable[Path] = ()
) -> InitResult:
    """A commented report config for the exports in `folder`, to be written at `output`; for
    each export a preset nearly fits, an extends file to write beside it (see nearfit)."""
    from salesmetrics.errors import InputError
    from salesmetrics.ingest.detect import candidates, files_in, recognise
    from salesmetrics.nearfit import near_fit

    folder, output = Path(folder), Path(output)
    here = output.parent if str(output.parent) else Path(".")
    mapping_dirs = [Path(d).resolve() for d in mapping_dirs]
    pool = candidates(mapping_dirs)
    know = knowledge()
    result = InitResult("")
    taken = {output.resolve()}
    today = date.today().isoformat()
    for path in files_in(folder):
        try:
            found = recognise(path, pool)
        except InputError as exc:
            found, why = None, str(exc)
        extension = near_fit(path, pool, know, found)
        if extension is not None:
            target = _beside(here, path, taken)
            text = extension.yaml(target.name, _relative(path, here), today)
            result.extended.append(ExtendsFile(extension, target, text))
        elif found is not None:
            result.recognised.append(found)
        else:
            result.unrecognised.append((path, why))
    readers = [(r.path, r.chosen.candidate.mapping) for r in result.recognised]
    readers += [(e.extension.path, e.extension.mapping) for e in result.extended]
    result.currencies = _currencies(readers)
    result.text = _write_config(folder, output, result, mapping_dirs, taken)
    return result


def _beside(here: Path, export: str, taken: set[Path]) -> Path:
    """A mapping file for `export` in the folder `here`, named after it and unlike any other."""
    stem = Path(export).name.split(".")[0]
    path, n = here / f"{stem}.yaml", 1
    while path.resolve() in taken:
        n += 1
        path = here / f"{stem}_{n}.yaml"
    taken.add(path.resolve())
    return path


def _currencies(readers: Sequence[tuple[str, Any]]) -> list[str]:
    """Currency codes in the inputs (each a path and the mapping read it), the most used first."""
    from salesmetrics.errors import SalesmetricsError
    from salesmetrics.ingest.read import read_table

    seen: Counter[str] = Counter()
    for path, mapping in readers:
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
            table = read_table(path, mapping.read, pick)
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
    folder: Path,
    output: Path,
    result: InitResult,
    mapping_dirs: Sequence[Path],
    taken: set[Path],
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
    if not result.recognised and not result.extended:
        out[-1] = "# inputs: (no file was recognised: add {path, mapping} items here)"
    entries = []
    for found in result.recognised:
        s = found.chosen
        mapping = s.candidate.name
        if s.candidate.own:
            mapping = _relative(s.candidate.mapping.path, here)
        why = f"recognised: {s.used} of {s.headers} columns, score {s.value:.2f}"
        entries.append((found.path, mapping, why))
    for written in result.extended:
        ext = written.extension
        how = "recognised as" if ext.recognised else "nearly fits"
        why = f"{how} {ext.preset}: check {_relative(written.path, here)}"
        entries.append((ext.path, _relative(written.path, here), why))
    for path, mapping, why in sorted(entries):
        out.append(f"  - path: {q(_relative(path, here))}")
        out.append(_line(f"    mapping: {q(mapping)}", why))
    if result.unrecognised:
        out.append("# Not recognised: write a mapping for each, check it, then add it above:")
        for path, _ in result.unrecognised:
            rel = _relative(path, here)
            name = _relative(_beside(here, path, taken), here)
            out.append(f"#   - path: {q(rel)}")
            out.append(f"#     mapping: {name}")
            out.append(f"#     (salesmetrics mappings infer {rel} --output {name})")
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
