"""The canonical entities every export is mapped onto, and the type of each field.

KPI code only ever sees these names, so a new CRM needs a mapping, never new KPI code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a field's raw text is read."""

    ID = "id"  # text, compared exactly
    TEXT = "text"  # free text or a category
    ENUM = "enum"  # one of a closed set of canonical values, through a value map
    DATETIME = "datetime"  # a naive timestamp in the mapping's time zone
    MONTH = "month"  # a calendar month, stored as its first day
    PERIOD = "period"  # a month, quarter or year label: 2026-10, 2026-Q3, 2026
    MONEY = "money"
    NUMBER = "number"
    PERCENT = "percent"  # a fraction, 0.35 for 35 %
    BOOL = "bool"


FORECAST_CATEGORIES = ("closed", "commit", "best_case", "pipeline", "omitted")
"""Canonical forecast categories, surest first: Salesforce's Closed, Commit, Best Case,
Pipeline and Omitted, HubSpot's Closed won, Commit, Best case, Pipeline and Not forecasted."""

DEAL_STAGES = ("prospecting", "qualification", "demo", "proposal", "negotiation", "won", "lost")
"""Canonical deal stages in funnel order; `won` and `lost` close a deal."""

STAGE_DATE_PREFIX = "entered_"
"""A deals field `entered_<stage>` holds the date the deal entered that canonical stage."""

HISTORY = "stage_history"
"""One row per stage change of a deal (a CRM's stage history export): joined to the deals by
deal_id into their `entered_<stage>` dates (salesmetrics.ingest.history), read by no KPI itself."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    required: bool = False  # a file must give it, and a row without it is rejected
    choices: tuple[str, ...] = ()
    default: str | None = None  # the value of an enum field that no mapping sets
    reject_blank: bool = False  # a file may lack it; where it has it, a row without it is rejected


@dataclass(frozen=True)
class Entity:
    """A canonical table. What identifies a file's rows as this entity is its `required`
    fields and `one_of` groups (at least one field of each must be mapped); every other field
    is optional. `important` lists the fields recognising a file looks for ("a|b": either),
    those most KPIs of the entity read; the identity is looked for too (ingest/fields.py)."""

    name: str
    fields: tuple[Field, ...]
    one_of: tuple[tuple[str, ...], ...] = ()
    important: tuple[str, ...] = ()

    def field(self, name: str) -> Field | None:
        """The field called `name`, including the deals stage-history fields."""
        for f in self.fields:
            if f.name == name:
                return f
        stage = name.removeprefix(STAGE_DATE_PREFIX)
        if self.name == "deals" and name.startswith(STAGE_DATE_PREFIX) and stage in DEAL_STAGES:
            return Field(name, Kind.DATETIME)
        return None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def _f(
    name: str,
    kind: Kind,
    *choices: str,
    required: bool = False,
    default: str | None = None,
    reject_blank: bool = False,
):
    return Field(name, kind, required, tuple(choices), default, reject_blank)


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity(
            "deals",
            (
                _f("deal_id", Kind.ID, reject_blank=True),
                _f("created_at", Kind.DATETIME, reject_blank=True),
                _f("status", Kind.ENUM, "open", "won", "lost", reject_blank=True),
                _f("stage", Kind.ENUM, *DEAL_STAGES),
                _f("stage_raw", Kind.TEXT),
                _f("amount", Kind.MONEY),
                _f("currency", Kind.TEXT),
                _f("closed_at", Kind.DATETIME),
                _f("expected_close_at", Kind.DATETIME),
                _f("probability", Kind.PERCENT),
                _f("stage_probability", Kind.PERCENT),  # the CRM's default for the stage
                _f("forecast_category", Kind.ENUM, *FORECAST_CATEGORIES),
                _f("owner", Kind.TEXT),
                _f("team", Kind.TEXT),
                _f("source", Kind.TEXT),
                _f("pipeline", Kind.TEXT),
                _f("product", Kind.TEXT),
                _f("deal_type", Kind.ENUM, "new", "renewal", "upsell", "expansion", "other"),
                _f("account_id", Kind.ID),
                _f("lead_id", Kind.ID),
                _f("lost_reason", Kind.TEXT),
                _f("modified_at", Kind.DATETIME),
                _f("collaborators", Kind.NUMBER),  # reps who worked the deal together
            ),
            one_of=(("stage", "status"),),
            important=("deal_id", "created_at", "stage|status", "amount", "closed_at", "owner"),
        ),
        Entity(
            "leads",
            (
                _f("lead_id", Kind.ID, reject_blank=True),
                _f("created_at", Kind.DATETIME, reject_blank=True),
                _f("source", Kind.TEXT),
                _f("owner", Kind.TEXT),
                _f("status", Kind.TEXT),
                _f("quality", Kind.TEXT),
                _f("lead_type", Kind.TEXT),  # what qualified it: MQL, PQL (product), IQL…
                _f("mql_at", Kind.DATETIME),
                _f("sql_at", Kind.DATETIME),
                _f("converted_at", Kind.DATETIME),
                _f("converted", Kind.BOOL),
                _f("conversion", Kind.ENUM, "customer", "opportunity"),
                _f("first_response_at", Kind.DATETIME),
                _f("assigned_at", Kind.DATETIME),  # to its owner (lead response time)
                _f("account_id", Kind.ID),
                _f("modified_at", Kind.DATETIME),
            ),
            one_of=(("created_at", "status"),),
            important=("lead_id", "created_at", "status", "source", "owner"),
        ),
        Entity(
            "activities",
            (
                _f("activity_id", Kind.ID),
                _f("occurred_at", Kind.DATETIME, required=True),
                _f(
                    "channel",
                    Kind.ENUM,
                    *("email", "call", "meeting", "demo", "social", "research", "other"),
                    required=True,
                ),
                _f("direction", Kind.ENUM, "outbound", "inbound", default="outbound"),
                _f("owner", Kind.TEXT),
                _f("lead_id", Kind.ID),
                _f("deal_id", Kind.ID),
                _f("account_id", Kind.ID),
                _f("opened", Kind.BOOL),
                _f("replied", Kind.BOOL),
                _f("bounced", Kind.BOOL),
                _f("duration_minutes", Kind.NUMBER),
                _f("outcome", Kind.TEXT),
                _f("modified_at", Kind.DATETIME),
                _f("engagement_score", Kind.NUMBER),  # an engagement tool's score of it
                _f("poc_goals_met", Kind.PERCENT),  # of a demo (POC): the share of its goals met
            ),
        ),
        Entity(
            "orders",
            (
                _f("order_id", Kind.ID),
                _f("customer_id", Kind.ID),
                _f("ordered_at", Kind.DATETIME, required=True),
                _f("amount", Kind.MONEY, required=True),
                _f("quantity", Kind.NUMBER),
                _f("unit_price", Kind.MONEY),
                _f("cost", Kind.MONEY),
                _f("currency", Kind.TEXT),
                _f("product", Kind.TEXT),
                _f("modified_at", Kind.DATETIME),
            ),
        ),
        Entity(
            "subscriptions",
            (
                _f("customer_id", Kind.ID, required=True),
                _f("mrr", Kind.MONEY, required=True),
                _f("month", Kind.MONTH),
                _f("started_at", Kind.DATETIME),
                _f("ended_at", Kind.DATETIME),
                _f("churned", Kind.BOOL),
                _f("plan", Kind.TEXT),
                _f("currency", Kind.TEXT),
                _f("modified_at", Kind.DATETIME),
            ),
            one_of=(("month", "started_at", "churned"),),
        ),
        Entity(
            "costs",
            (
                _f("incurred_at", Kind.DATETIME),
                _f("month", Kind.MONTH),
                _f("amount", Kind.MONEY, required=True),
                _f("category", Kind.ENUM, "sales", "marketing", "other", default="other"),
                _f("owner", Kind.TEXT),
                _f("team", Kind.TEXT),
                _f("source", Kind.TEXT),
                _f("currency", Kind.TEXT),
            ),
            one_of=(("incurred_at", "month"),),
        ),
        Entity(
            "targets",
            (
                _f("period", Kind.PERIOD, required=True),
                _f("amount", Kind.MONEY, required=True),
                _f("owner", Kind.TEXT),
                _f("team", Kind.TEXT),
                _f("metric", Kind.TEXT, default="quota"),
                _f("currency", Kind.TEXT),
                _f("calendar", Kind.ENUM, "fiscal", "calendar"),
            ),
        ),
        Entity(
            "surveys",
            (
                _f("responded_at", Kind.DATETIME, required=True),
                _f("score", Kind.NUMBER, required=True),
                _f("customer_id", Kind.ID),
            ),
        ),
        Entity(
            HISTORY,
            (
                _f("deal_id", Kind.ID, required=True),
                _f("stage", Kind.ENUM, *DEAL_STAGES, required=True),
                _f("stage_raw", Kind.TEXT),
                _f("changed_at", Kind.DATETIME, required=True),
                _f("from_stage", Kind.TEXT),
                _f("duration_days", Kind.NUMBER),
                _f("changed_by", Kind.TEXT),
            ),
        ),
        Entity(
            "reps",
            (
                _f("owner", Kind.TEXT, required=True),
                _f("team", Kind.TEXT),
                _f("manager", Kind.TEXT),
                _f("started_at", Kind.DATETIME),
                _f("ended_at", Kind.DATETIME),
                _f("coached_at", Kind.DATETIME),  # the rep's latest coaching
                _f("satisfaction", Kind.NUMBER),  # the rep's latest satisfaction survey score
                _f("tool_adopted_at", Kind.DATETIME),  # when the rep took up the new tool
                _f("weekly_hours", Kind.NUMBER),  # the rep's contracted hours a week
            ),
        ),
    )
}


def entity(name: str) -> Entity:
    """The entity called `name`; KeyError names the known ones."""
    try:
        return ENTITIES[name]
    except KeyError:
        raise KeyError(f"unknown entity {name!r}; expected one of {', '.join(ENTITIES)}") from None
