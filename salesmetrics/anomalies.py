"""Values a row can hold but no real record can: impossible for the KPIs, yet no reason to
reject the row.

- A negative duration between two of a row's dates (`DATE_ORDER`): a deal closed before it
  was created, or that entered a stage before it was created, a lead qualified before it was
  created.
- A date before 1990 or more than ten years after `as_of` (a placeholder such as 1900-01-01 or
  2099-12-31), unless the mapping's `parse.date_range` allows it.
- A probability outside 0–1 (found, and left blank, by salesmetrics.ingest.normalise).
- Across inputs (`ACROSS`): a deal closed before the lead it came from was created (Olist's
  deals won before the lead's first contact), found on the deals input, naming the leads'.

Such a row stays in the data: a deal closed before it was created still counts as won. Its
input's quality account lists the anomalies, counted, with examples (`validate`), and the
duration KPIs leave the row out with a note (`negative`, `entered_before_created`,
`implausible`).

Dates are compared by calendar day: a closing date without a time of day (Salesforce's
CloseDate) on the day a deal was created is not before its creation, and the time between
them counts as 0 (`duration`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

import numpy as np
import pandas as pd

from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.quality import Example, Reason
from salesmetrics.kpis.base import datetimes
from salesmetrics.schema import DEAL_STAGES, STAGE_DATE_PREFIX, Kind

EARLIEST = date(1990, 1, 1)  # the earliest plausible date, unless the mapping says otherwise
YEARS_AHEAD = 10  # the latest plausible date: as_of + this many years
MAX_EXAMPLES = 3
DATE_ORDER: dict[str, tuple[tuple[str, str, str], ...]] = {
    "deals": (("created_at", "closed_at", "closed before it was created"),),
    "leads": (
        ("created_at", "mql_at", "an MQL before it was created"),
        ("created_at", "sql_at", "an SQL before it was created"),
        ("mql_at", "sql_at", "an SQL before it was an MQL"),
        ("created_at", "converted_at", "converted before it was created"),
        ("created_at", "first_response_at", "responded to before it was created"),
    ),
    "subscriptions": (("started_at", "ended_at", "ended before it started"),),
    "reps": (("started_at", "ended_at", "left before they started"),),
}
"""Per entity: (earlier, later, what it means) for each pair of dates that cannot run backwards."""
ACROSS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("deals", "closed_at", "lead_id", "leads", "created_at", "closed before its lead was created"),
)
"""(entity, later, key, other entity, earlier, what it means): a row of `entity` whose `later`
falls on a day before the earliest `earlier` of the `other` rows with the same `key`."""
STAGE_DATES = tuple(STAGE_DATE_PREFIX + s for s in DEAL_STAGES)  # entered_prospecting ..
FLAGGED = ("deals", "leads")  # the inputs the duration KPIs read: their frames carry the flags
IMPLAUSIBLE = "_implausible_"
"""Prefix of a flag column (`_implausible_closed_at`) a deals or leads frame carries when one
of its dates is outside the plausible range; the range depends on the mapping and `as_of`,
which the KPIs do not see."""


def days(values: pd.Series) -> np.ndarray:
    """The calendar day of each timestamp (NaT where blank)."""
    return datetimes(values).to_numpy().astype("datetime64[D]")


def negative(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Where `later` falls on a calendar day before `earlier`'s (never where either is blank)."""
    return days(later) < days(earlier)


def duration(later: pd.Series, earlier: pd.Series, seconds: float) -> np.ndarray:
    """`later` − `earlier` in units of `seconds`, NaN where either is blank; 0 where `later` is
    earlier on the same day (a date without a time of day). Negative where it is `negative`."""
    delta = datetimes(later).to_numpy() - datetimes(earlier).to_numpy()
    value = delta / np.timedelta64(1, "s") / seconds
    same_day = days(later) == days(earlier)
    return np.where(same_day & (value < 0), 0.0, value)


def entered_before_created(deals: pd.DataFrame) -> np.ndarray:
    """Where a deal entered a stage (an entered_<stage> date, the stage history's included) on
    a day before it was created. Stages entered in another order than the funnel's are not
    impossible: a deal that skipped demo and was sent back to it entered demo after proposal
    (time_in_stage_days runs each stay to the first later stage entered after it)."""
    found = np.zeros(len(deals), dtype=bool)
    if "created_at" not in deals.columns:
        return found
    for column in stage_dates(deals):
        found |= negative(deals[column], deals["created_at"])
    return found


def implausible(frame: pd.DataFrame, *fields: str) -> np.ndarray:
    """Where any of `fields` holds a date outside the plausible range (`check` flags them)."""
    found = np.zeros(len(frame), dtype=bool)
    for name in fields:
        column = IMPLAUSIBLE + name
        if column in frame.columns:
            found |= frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return found


def stage_dates(frame: pd.DataFrame) -> list[str]:
    """The entered_<stage> columns of a deals frame, in stage order."""
    return [c for c in STAGE_DATES if c in frame.columns]


def latest(as_of: date) -> date:
    """`as_of` + YEARS_AHEAD years (28 February for 29 February)."""
    year = as_of.year + YEARS_AHEAD
    return as_of.replace(year=year) if (as_of.month, as_of.day) != (2, 29) else date(year, 2, 28)


def check(loaded: Sequence[LoadedInput], as_of: date) -> list[LoadedInput]:
    """The inputs with their anomalies added to their quality accounts; deals and leads frames
    carry an IMPLAUSIBLE flag column for each date field with a date out of range. Run after
    the stage history is joined, so that the stage dates it gives are checked too. Then the
    rules across inputs (`ACROSS`), on the rows of all inputs of each entity."""
    checked = [_checked(item, as_of) for item in loaded]
    for rule in ACROSS:
        checked = _across(checked, *rule)
    return checked


def _across(
    loaded: list[LoadedInput],
    entity: str,
    later: str,
    key: str,
    other: str,
    earlier: str,
    words: str,
) -> list[LoadedInput]:
    """The inputs with rows of `entity` whose `later` is on a day before the earliest `earlier`
    of the `other` rows sharing their `key` counted among their anomalies."""
    sources = [i for i in loaded if i.entity == other and {key, earlier} <= set(i.frame.columns)]
    if not sources:
        return loaded
    stacked = pd.concat([i.frame[[key, earlier]] for i in sources], ignore_index=True)
    first = stacked.dropna().groupby(key, observed=True, sort=False)[earlier].min()
    named = ", ".join(dict.fromkeys(i.path for i in sources))
    found = []
    for item in loaded:
        frame = item.frame
        if item.entity != entity or not {key, later} <= set(frame.columns):
            found.append(item)
            continue
        at = first.index.get_indexer(pd.Index(frame[key].astype(first.index.dtype)))
        theirs = pd.Series(first.to_numpy()[at], index=frame.index).where(at >= 0)
        mask = negative(frame[later], theirs)
        rows = frame["_row"].to_numpy() if "_row" in frame.columns else np.full(len(frame), -1)
        shown = frame[[later, key]].assign(**{f"{other} {earlier}": theirs})
        reason = _reason(
            f"{later} before {other}.{earlier} of its {key} in {named} ({words})",
            mask,
            shown,
            rows,
            later,
            key,
            f"{other} {earlier}",
        )
        if reason:
            quality = replace(item.quality, anomalies=(*item.quality.anomalies, *reason))
            item = replace(item, quality=quality)
        found.append(item)
    return found


def _checked(item: LoadedInput, as_of: date) -> LoadedInput:
    frame = item.frame
    rows = frame["_row"].to_numpy() if "_row" in frame.columns else np.full(len(frame), -1)
    found: list[Reason] = []
    for earlier, later, words in DATE_ORDER.get(item.entity, ()):
        if earlier in frame.columns and later in frame.columns:
            mask = negative(frame[later], frame[earlier])
            found += _reason(
                f"{later} before {earlier} ({words})", mask, frame, rows, earlier, later
            )
    if item.entity == "deals":
        mask = entered_before_created(frame)
        words = "entered_<stage> before created_at (a stage entered before it was created)"
        found += _reason(words, mask, frame, rows, "created_at", *stage_dates(frame))
    parse = item.mapping.parse
    first = parse.earliest or EARLIEST
    last = parse.latest or latest(as_of)
    flags = {}
    for name in frame.columns:
        spec = item.mapping.entity.field(name)
        if spec is None or spec.kind not in (Kind.DATETIME, Kind.MONTH):
            continue
        day = days(frame[name])
        mask = (day < np.datetime64(first, "D")) | (day > np.datetime64(last, "D"))
        words = f"{name}: outside {first} – {last} (parse.date_range sets the range)"
        found += _reason(words, mask, frame, rows, name)
        if mask.any() and item.entity in FLAGGED:
            flags[IMPLAUSIBLE + name] = mask
    if not found:
        return item
    quality = replace(item.quality, anomalies=(*item.quality.anomalies, *found))
    return replace(item, frame=frame.assign(**flags) if flags else frame, quality=quality)


def _reason(
    words: str, mask: np.ndarray, frame: pd.DataFrame, rows: np.ndarray, *columns: str
) -> list[Reason]:
    """The anomaly with its count and first examples (row: the dates behind it), or none."""
    count = int(mask.sum())
    if not count:
        return []
    at = np.flatnonzero(mask)[:MAX_EXAMPLES]
    examples = []
    for i in at:  # a few examples, not every row
        shown = [f"{c} {_text(frame[c].iloc[i])}" for c in columns if pd.notna(frame[c].iloc[i])]
        examples.append(Example(int(rows[i]) if rows[i] >= 0 else None, ", ".join(shown)))
    return [Reason(words, count, tuple(examples))]


def _text(value: object) -> str:
    """A date as ISO text, without the time when it is midnight, as date-only exports are;
    anything else (an id) as it is."""
    if not isinstance(value, (pd.Timestamp, datetime, np.datetime64)):
        return str(value)
    stamp = pd.Timestamp(value)
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
