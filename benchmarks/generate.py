"""Seeded synthetic CRM exports in the sample company's formats, for the benchmarks.

    python benchmarks/generate.py small            # 100k deals, 1M activities
    python benchmarks/generate.py large --seed 7   # 1M deals, 5M activities
    python benchmarks/generate.py xlsx             # a 100k-row deals.xlsx
    python benchmarks/generate.py scaling-10m      # 1M deals, 10M activities (also -1m, -2.5m)
    python benchmarks/generate.py --canonical 50000000   # a canonical dataset, straight to Parquet

Files match `sample_data/` and its mappings (`sample_data/mappings/deals.yaml`, `activities.yaml`,
`reps.yaml`): a HubSpot deals export (UTF-8 with a BOM, CRLF, `YYYY-MM-DD HH:MM`, stage
history, USD/EUR/GBP), the activity log (ISO UTC timestamps, Yes/No email flags) and the rep
roster. Every column is drawn with numpy and written by pyarrow's CSV writer, so a million
deals take seconds; only the xlsx is written row by row (openpyxl's write-only mode).

Output goes to `benchmarks/data/<size>-s<seed>/` (git-ignored) and is reused while its
`params.json` matches: a size and seed are generated once.

For the out-of-core series, `canonical(n)` writes a canonical dataset (the layout of
`salesmetrics validate --export`) of large's million deals, the roster and n activities,
the activities straight to Parquet in their canonical types, `CHUNK` rows at a time: 50M
activities are never a CSV, nor in memory at once. Up to `CHUNK` rows they are the rows of the
CSV size with as many (`CSV_TWIN`), so the DuckDB reference can check the report there.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
GENERATOR_VERSION = 1  # bump when the output changes, so cached files are rewritten


@dataclass(frozen=True)
class Size:
    name: str
    deals: int
    activities: int
    xlsx: bool = False  # write deals.xlsx (and no activities) instead of CSVs


SIZES = {
    "tiny": Size("tiny", 2_000, 20_000),  # for a smoke test of the harness itself
    "small": Size("small", 100_000, 1_000_000),
    "large": Size("large", 1_000_000, 5_000_000),
    "xlsx": Size("xlsx", 100_000, 0, xlsx=True),
    # the scaling series: large's million deals (the same ones: deals depend on the seed and
    # their number only) with 1M, 2.5M, large's 5M and 10M activities
    "scaling-1m": Size("scaling-1m", 1_000_000, 1_000_000),
    "scaling-2.5m": Size("scaling-2.5m", 1_000_000, 2_500_000),
    "scaling-10m": Size("scaling-10m", 1_000_000, 10_000_000),
}
SCALING = ("scaling-1m", "scaling-2.5m", "large", "scaling-10m")
"""The sizes of the scaling series, by number of activities."""
OUT_OF_CORE = (1_000_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000)
"""The activities of the out-of-core series (`canonical`), with large's million deals."""
CSV_TWIN = {1_000_000: "scaling-1m", 5_000_000: "large", 10_000_000: "scaling-10m"}
"""The CSV size whose activities are those of `canonical(n)`: the rows are the same."""
CHUNK = 10_000_000  # activities drawn and written at a time (about 3 GB at the peak)
AS_OF = "2026-11-01"  # the day the exports were taken, as the manifest says

# The story runs over 22 months, like the sample company's; exports taken on 2026-11-01.
MINUTE = 60
START = np.datetime64("2025-01-01T00:00", "s")
END = np.datetime64("2026-11-01T00:00", "s")  # first instant after the data
EXPORTED = np.datetime64("2026-11-01T06:00", "s")
SPAN_DAYS = int((END - START) // np.timedelta64(1, "D"))

# The rep roster: (name, team, start, end); each team's manager in MANAGERS.
REPS = [
    ("Marcus Chen", "Enterprise", "2022-03-14", None),
    ("Priya Raman", "Enterprise", "2023-01-09", None),
    ("Tom Gallagher", "Enterprise", "2021-06-01", "2025-08-15"),
    ("Sofia Marquez", "Enterprise", "2023-09-18", None),
    ("Olivia Hart", "Enterprise", "2025-08-18", None),
    ("Kenji Watanabe", "Enterprise", "2022-05-02", None),
    ("Grace Mensah", "Enterprise", "2024-01-15", None),
    ("Aisha Bello", "Mid-Market", "2022-11-07", None),
    ("Lukas Novak", "Mid-Market", "2024-02-12", None),
    ("Hannah Lindqvist", "Mid-Market", "2023-05-22", None),
    ("Jamal Carter", "Mid-Market", "2022-08-01", "2026-05-29"),
    ("Elena Petrova", "Mid-Market", "2023-03-06", None),
    ("Diego Alvarez", "Mid-Market", "2024-06-03", None),
    ("Fatima Zahra", "Mid-Market", "2026-06-01", None),
    ("Noah Fischer", "SMB", "2023-10-02", None),
    ("Chloe Dubois", "SMB", "2024-04-08", None),
    ("Samuel Okoye", "SMB", "2022-09-12", None),
    ("Mia Rossi", "SMB", "2025-02-03", None),
    ("Arjun Mehta", "SMB", "2023-07-17", "2026-01-30"),
    ("Lucy Bennett", "SMB", "2026-02-02", None),
]
MANAGERS = {"Enterprise": "Rachel Okafor", "Mid-Market": "Daniel Brooks", "SMB": "Ines Moreau"}
SUCCESSOR = {"Tom Gallagher": "Olivia Hart", "Jamal Carter": "Fatima Zahra"}
SUCCESSOR |= {"Arjun Mehta": "Lucy Bennett"}

STAGES = ["prospecting", "qualification", "demo", "proposal", "negotiation", "won", "lost"]
HUBSPOT_STAGE = {
    "prospecting": ("appointmentscheduled", "Appointment Scheduled"),
    "qualification": ("qualifiedtobuy", "Qualified To Buy"),
    "demo": ("presentationscheduled", "Presentation Scheduled"),
    "proposal": ("decisionmakerboughtin", "Decision Maker Bought-In"),
    "negotiation": ("contractsent", "Contract Sent"),
    "won": ("closedwon", "Closed Won"),
    "lost": ("closedlost", "Closed Lost"),
}
PROBABILITY = ["0.2", "0.4", "0.6", "0.8", "0.9", "1", "0"]
DEAL_HEADER = [
    "Record ID",
    "Deal Name",
    "Deal Stage",
    "Pipeline",
    "Amount",
    "Currency",
    "Create Date",
    "Close Date",
    "Deal owner",
    "Deal Type",
    "Deal probability",
    "Original Source",
    "Closed Lost Reason",
    "Last Modified Date",
    "Associated Company ID",
    "Associated Contact ID",
    *[f'Date entered "{HUBSPOT_STAGE[s][1]} (Sales Pipeline)"' for s in STAGES],
]
ACTIVITY_HEADER = [
    "Activity ID",
    "Date",
    "Type",
    "Direction",
    "Owner",
    "Lead ID",
    "Deal ID",
    "Opened",
    "Replied",
    "Bounced",
    "Duration (min)",
    "Outcome",
]
SOURCES = ["Organic Search", "Paid Search", "Direct Traffic", "Social Media", "Referral"]
SOURCES += ["Offline Sources"]
SOURCE_WEIGHTS = [0.28, 0.22, 0.15, 0.13, 0.12, 0.10]
LOST_REASONS = [
    "No decision / went dark",
    "Price too high",
    "Chose a competitor",
    "Timing - revisit next quarter",
    "No budget",
    "Missing feature",
    "Built in-house",
]
LOST_WEIGHTS = [0.27, 0.23, 0.2, 0.13, 0.08, 0.06, 0.03]
# deal types: (HubSpot value, name suffix, share, win probability, median cycle days, amount)
DEAL_TYPES = [
    ("newbusiness", "New Deal", 0.72, 0.24, 45.0, 15_000.0),
    ("existingbusiness", "Additional team", 0.25, 0.40, 25.0, 8_000.0),
    ("renewal", "Renewal", 0.03, 0.88, 20.0, 40_000.0),
]
CURRENCIES = ["USD", "EUR", "GBP"]
CURRENCY_WEIGHTS = [0.70, 0.20, 0.10]
NAME_FIRST = [
    "Bluebridge", "Falconport", "Ashrock", "Prairieview", "Greenhill", "Truestone",
    "Ridgewater", "Cobaltpoint", "Elmway", "Skymark", "Northgate", "Silverlake", "Ironwood",
    "Brightfield", "Oakhaven", "Redcliff", "Stonebrook", "Westmere", "Harborline", "Copperleaf",
]  # fmt: skip
NAME_MIDDLE = [
    "Hospitality", "Foods", "Logistics", "Ventures", "Wellness", "Capital", "Partners",
    "Analytics", "Retail", "Health", "Energy", "Media", "Systems", "Labs", "Freight",
]  # fmt: skip
NAME_LAST = ["Co.", "B.V.", "LLC", "Corp.", "Pty Ltd", "GmbH", "Ltd", "Inc.", "SAS", ""]
BASE62 = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))


# ------------------------------------------------------------------------------ helpers


def _choice(rng: np.random.Generator, n: int, weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _texts(values: list[str], index: np.ndarray) -> pa.Array:
    """values[index] as an Arrow string array (index -1: null)."""
    table = pa.array(values, pa.string())
    return table.take(pa.array(index, mask=index < 0))


def _stamps(seconds: np.ndarray, fmt: str, missing: np.ndarray | None = None) -> pa.Array:
    """Seconds since START formatted with strftime; `missing` rows are null."""
    values = START + seconds.astype("timedelta64[s]")
    arr = pa.array(values, type=pa.timestamp("s"), mask=missing)
    return pc.strftime(arr, format=fmt)


def _ints(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(values.astype(np.int64), mask=missing), pa.string())


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(_ints(numbers), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _lead_ids(numbers: np.ndarray, missing: np.ndarray) -> pa.Array:
    """15-character Salesforce-style lead ids, 00QDn + 10 base-62 digits of the number."""
    digits = np.empty((len(numbers), 10), dtype="<U1")
    rest = numbers.astype(np.int64) + 1_234_567_890
    for position in range(9, -1, -1):
        digits[:, position] = BASE62[rest % 62]
        rest //= 62
    text = pa.array(digits.view("<U10").ravel(), pa.string())
    return pc.if_else(pa.array(missing), None, pc.binary_join_element_wise("00QDn", text, ""))


def _office_time(rng: np.random.Generator, n: int, growth: float) -> np.ndarray:
    """Seconds since START: more activity later on (growth), working days, 07:00-19:00 UTC."""
    day = np.floor(SPAN_DAYS * rng.power(growth, n)).astype(np.int64)
    weekday = (day + 2) % 7  # 2025-01-01 was a Wednesday: 0 = Monday
    day = day - np.where(weekday == 5, 1, 0) + np.where(weekday == 6, 1, 0)
    day = np.clip(day, 0, SPAN_DAYS - 1)
    return day * 86_400 + 7 * 3_600 + rng.integers(0, 12 * 3_600, n)


def _owners(rng: np.random.Generator, when: np.ndarray) -> np.ndarray:
    """A rep for each timestamp (seconds since START): one on the roster at that time."""
    owner = rng.integers(0, len(REPS), len(when))
    names = [r[0] for r in REPS]
    for i, (name, _team, started, ended) in enumerate(REPS):
        start = (np.datetime64(started, "s") - START).astype(np.int64)
        if ended is not None:
            end = (np.datetime64(ended, "s") - START).astype(np.int64) + 86_400
            owner = np.where((owner == i) & (when >= end), names.index(SUCCESSOR[name]), owner)
        if start > 0:
            # before a rep joined, their draws go to the first rep of the same team
            first = next(j for j, r in enumerate(REPS) if r[1] == REPS[i][1])
            owner = np.where((owner == i) & (when < start), first, owner)
    return owner


def _write_csv(path: Path, header: list[str], columns: list[pa.Array], *, bom: bool) -> None:
    """The header written by hand (quoted like HubSpot's), the rows by pyarrow, unquoted: no
    value holds a comma or a quote (pyarrow would raise if one did)."""
    eol = "\r\n" if bom else "\n"

    def quote(name: str) -> str:
        return '"' + name.replace('"', '""') + '"' if any(c in name for c in ',"') else name

    table = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as out:
        out.write(
            ("\ufeff" if bom else "").encode() + (",".join(map(quote, header)) + eol).encode()
        )
        options = pacsv.WriteOptions(include_header=False, eol=eol, quoting_style="none")
        pacsv.write_csv(table, out, write_options=options)
    tmp.replace(path)


# -------------------------------------------------------------------------------- deals


def deal_columns(n: int, seed: int) -> tuple[list[pa.Array], np.ndarray]:
    """The deals export's columns (in DEAL_HEADER order) and the deals' Record IDs."""
    rng = np.random.default_rng([seed, 1])
    created = np.sort(_office_time(rng, n, 1.4))
    created -= created % MINUTE
    kind = _choice(rng, n, [t[2] for t in DEAL_TYPES])
    win_p = np.array([t[3] for t in DEAL_TYPES])[kind]
    median = np.array([t[4] for t in DEAL_TYPES])[kind]
    cycle_days = median * rng.lognormal(0.0, 0.55, n)
    stalls = (kind == 0) & (rng.random(n) < 1 / 8)  # one new deal in eight goes dark
    cycle_days = np.where(stalls, rng.uniform(150, 365, n), cycle_days)
    cycle = np.maximum((cycle_days * 86_400).astype(np.int64) // MINUTE * MINUTE, MINUTE)
    end = int((END - START) // np.timedelta64(1, "s"))
    closes = created + cycle
    is_open = closes >= end
    won = ~is_open & (rng.random(n) < np.where(stalls, 0.05, win_p))
    lost = ~is_open & ~won

    # the furthest open stage reached (0 prospecting .. 4 negotiation)
    furthest = np.where(won, 4, 0)
    furthest = np.where(lost, _choice(rng, n, [0.35, 0.25, 0.2, 0.12, 0.08]), furthest)
    furthest = np.where(is_open, _choice(rng, n, [0.45, 0.2, 0.15, 0.1, 0.1]), furthest)
    # stage entries at sorted fractions of the time from creation to the close (or export)
    horizon = np.where(is_open, (end - created) * 9 // 10, cycle)
    fractions = np.sort(rng.random((n, 4)), axis=1)
    entered = np.empty((n, 7), dtype=np.int64)
    entered[:, 0] = created
    entered[:, 1:5] = created[:, None] + (fractions * horizon[:, None]).astype(np.int64)
    entered[:, 1:5] -= entered[:, 1:5] % MINUTE
    entered[:, 5] = np.where(won, closes, -1)
    entered[:, 6] = np.where(lost, closes, -1)
    stage_no = np.arange(5)[None, :]
    reached = stage_no <= furthest[:, None]
    # about 5% of won deals skipped a stage; imported-style deals start mid-funnel
    skip = won & (rng.random(n) < 0.05)
    skipped = rng.integers(1, 5, n)
    reached &= ~(skip[:, None] & (stage_no == skipped[:, None]))
    midway = rng.random(n) < 0.03
    reached &= ~(midway[:, None] & (stage_no < np.minimum(furthest, 2)[:, None]))
    entered[:, :5] = np.where(reached, entered[:, :5], -1)

    stage = np.where(won, 5, np.where(lost, 6, furthest))
    hubspot = [HUBSPOT_STAGE[s][0] for s in STAGES]
    last_touch = np.max(entered, axis=1)
    modified = np.minimum(last_touch + rng.integers(0, 20 * 86_400, n), end + 5 * 3_600)
    modified -= modified % MINUTE
    # HubSpot's Close Date: the close, else the expected close (30% of open deals overdue)
    overdue = is_open & (rng.random(n) < 0.3)
    expected = np.where(
        overdue, np.maximum(end - rng.integers(1, 60, n) * 86_400, created + 86_400), closes
    )
    expected -= expected % MINUTE

    dollars = np.array([t[5] for t in DEAL_TYPES])[kind] * rng.lognormal(0.0, 0.6, n)
    whole = rng.random(n) < 0.9  # most amounts are round; some have cents (8400.50)
    cents = np.where(whole, np.round(dollars / 10) * 1000, np.round(dollars * 4) * 25)
    cents = np.maximum(cents, 100).astype(np.int64)
    no_amount = rng.random(n) < 0.005
    amount_int = pc.cast(pa.array(cents // 100), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(cents % 100), pa.string()), width=2, padding="0")
    amount = pc.if_else(
        pa.array(cents % 100 == 0),
        amount_int,
        pc.binary_join_element_wise(amount_int, fraction, "."),
    )
    amount = pc.if_else(pa.array(no_amount), pa.scalar(None, pa.string()), amount)

    ids = 14_200_000_000 + np.cumsum(rng.integers(1, 4_000, n))
    company = 9_000_000_000 + rng.integers(0, 99_999_999, n)
    name_parts = [
        _texts(NAME_FIRST, company % len(NAME_FIRST)),
        _texts(NAME_MIDDLE, (company // 20) % len(NAME_MIDDLE)),
        _texts(NAME_LAST, (company // 300) % len(NAME_LAST)),
    ]
    company_name = pc.utf8_rtrim_whitespace(pc.binary_join_element_wise(*name_parts, " "))
    deal_name = pc.binary_join_element_wise(
        company_name, _texts([t[1] for t in DEAL_TYPES], kind), " - "
    )
    contact = (kind == 0) & (rng.random(n) < 0.85)
    owner = _owners(rng, created)
    reason = np.where(lost, _choice(rng, n, LOST_WEIGHTS), -1)
    reason = np.where(lost & (rng.random(n) < 0.07), -1, reason)

    # warts as in the sample: a few lost deals without a Create Date (rejected)
    blank_created = lost & (rng.random(n) < 0.0001)
    minutes = "%Y-%m-%d %H:%M"
    columns = [
        _ints(ids),
        deal_name,
        _texts(hubspot, stage),
        pa.array(np.full(n, "Sales Pipeline")),
        amount,
        _texts(CURRENCIES, _choice(rng, n, CURRENCY_WEIGHTS)),
        _stamps(created, minutes, blank_created),
        _stamps(expected, minutes),
        _texts([r[0] for r in REPS], owner),
        _texts([t[0] for t in DEAL_TYPES], kind),
        _texts(PROBABILITY, stage),
        _texts(SOURCES, _choice(rng, n, SOURCE_WEIGHTS)),
        _texts(LOST_REASONS, reason),
        _stamps(modified, minutes),
        _ints(company),
        _lead_ids(np.arange(n), ~contact),
        *[_stamps(np.maximum(entered[:, i], 0), minutes, entered[:, i] < 0) for i in range(7)],
    ]
    return columns, ids


def _with_duplicates(columns: list[pa.Array], seed: int) -> list[pa.Array]:
    """A re-run export appended a few rows again, with a later Last Modified Date."""
    n = len(columns[0])
    rng = np.random.default_rng([seed, 2])
    again = np.sort(rng.choice(n, size=max(1, n // 20_000), replace=False))
    again = again[pc.is_valid(columns[6].take(pa.array(again))).to_numpy(zero_copy_only=False)]
    extra = [c.take(pa.array(again)) for c in columns]
    modified = pc.strptime(extra[13], format="%Y-%m-%d %H:%M", unit="s")
    later = pc.add(modified, pa.scalar(3 * 3_600, pa.duration("s")))
    extra[13] = pc.strftime(later, format="%Y-%m-%d %H:%M")
    return [pa.concat_arrays([c, e]) for c, e in zip(columns, extra, strict=True)]


# --------------------------------------------------------------------------- activities

# row kinds: (Type, Direction, share)
KINDS = [
    ("Email", "Outbound", 0.55),
    ("Email", "Inbound", 0.04),
    ("Call", "Outbound", 0.20),
    ("Meeting", "Outbound", 0.06),
    ("Demo", "Outbound", 0.025),
    ("LinkedIn", "Outbound", 0.025),
    ("LinkedIn", "Inbound", 0.005),
    ("Research", None, 0.075),
]


def activity_columns(n: int, seed: int, deal_ids: np.ndarray) -> list[pa.Array]:
    rng = np.random.default_rng([seed, 3])
    when = np.sort(_office_time(rng, n, 1.3))
    on_minute = rng.random(n) < 0.7
    when -= np.where(on_minute, when % MINUTE, 0)
    kind = _choice(rng, n, [k[2] for k in KINDS])
    email_out, email_in = kind == 0, kind == 1
    call, meeting, demo = kind == 2, kind == 3, kind == 4
    li_out, li_in, research = kind == 5, kind == 6, kind == 7

    bounced = email_out & (rng.random(n) < 0.03)
    delivered = email_out & ~bounced
    opened = delivered & (rng.random(n) < 0.45)
    replied = opened & (rng.random(n) < 0.17)
    replied |= delivered & ~opened & (rng.random(n) < 0.01)  # images blocked: no open tracked
    opened |= bounced & (rng.random(n) < 0.05)  # a bounce notice fired the tracking pixel
    replied |= bounced & (rng.random(n) < 0.02)  # an auto-reply logged against a bounce

    def yes_no(flag: np.ndarray) -> pa.Array:
        return _texts(["No", "Yes"], np.where(email_out, flag.astype(np.int64), -1))

    duration = np.full(n, -1, dtype=np.int64)
    duration = np.where(call, rng.integers(1, 31, n), duration)
    duration = np.where(meeting, rng.choice([30, 45, 60], n), duration)
    duration = np.where(demo, rng.choice([45, 60, 75], n), duration)
    duration = np.where(research, rng.choice([15, 30, 45, 60], n), duration)
    outcomes = [
        "Connected", "Left voicemail", "No answer", "Wrong number", "Completed", "No show",
        "Rescheduled", "Connection request sent", "InMail sent", "Message received",
        "Reply received", "Bounced",
    ]  # fmt: skip
    outcome = np.full(n, -1, dtype=np.int64)
    outcome = np.where(call, _choice(rng, n, [0.48, 0.25, 0.23, 0.04]), outcome)
    meet = _choice(rng, n, [0.85, 0.08, 0.07]) + 4
    outcome = np.where(meeting | demo, meet, outcome)
    duration = np.where((meeting | demo) & (meet == 5), 0, duration)
    duration = np.where(call & (outcome == 2), 0, duration)
    outcome = np.where(li_out, rng.integers(7, 9, n), outcome)
    outcome = np.where(li_in, 9, outcome)
    outcome = np.where(email_in, 10, outcome)
    outcome = np.where(bounced, 11, outcome)

    has_lead = rng.random(n) < 0.88
    has_deal = ~research & (rng.random(n) < 0.48)
    lead = rng.integers(0, max(1, len(deal_ids) * 3 // 2), n)
    deal = deal_ids[rng.integers(0, len(deal_ids), n)]
    width = max(7, len(str(n)))
    return [
        _ids("A", np.arange(1, n + 1), width),
        _stamps(when, "%Y-%m-%dT%H:%M:%SZ"),
        _texts([k[0] for k in KINDS], kind),
        _texts(["Outbound", "Inbound"], np.where(research, -1, np.where(email_in | li_in, 1, 0))),
        _texts([r[0] for r in REPS], _owners(rng, when)),
        _lead_ids(lead, ~has_lead),
        _ints(deal, ~has_deal),
        yes_no(opened),
        yes_no(replied),
        yes_no(bounced),
        _ints(np.maximum(duration, 0), duration < 0),
        _texts(outcomes, outcome),
    ]


# -------------------------------------------------------------------------------- files


def write_reps(path: Path) -> None:
    lines = ["Rep,Team,Manager,Start Date,End Date"]
    lines += [f"{n},{t},{MANAGERS[t]},{s},{e or ''}" for n, t, s, e in REPS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_xlsx(path: Path, columns: list[pa.Array]) -> None:
    """The deals export as HubSpot writes it to Excel: real dates, numbers as numbers."""
    from openpyxl import Workbook

    dates = {6, 7, 13, *range(16, 23)}
    values = []
    for i, column in enumerate(columns):
        if i in dates:
            parsed = pc.strptime(column, format="%Y-%m-%d %H:%M", unit="s", error_is_null=True)
            values.append(parsed.to_pylist())
        elif i in (0, 14):  # Record ID, Associated Company ID
            values.append(pc.cast(column, pa.int64()).to_pylist())
        elif i in (4, 10):  # Amount, Deal probability
            values.append(pc.cast(column, pa.float64()).to_pylist())
        else:
            values.append(column.to_pylist())
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Deals")
    sheet.append(DEAL_HEADER)
    for row in zip(*values, strict=True):
        sheet.append(row)
    tmp = path.with_suffix(".tmp.xlsx")
    book.save(tmp)
    tmp.replace(path)


def folder(size: str, seed: int) -> Path:
    return DATA / f"{size}-s{seed}"


def generate(size: str, seed: int = 1, *, force: bool = False, quiet: bool = False) -> Path:
    """The folder holding `size`'s files for `seed`, generating them unless cached."""
    spec = SIZES[size]
    out = folder(size, seed)
    params = {"version": GENERATOR_VERSION, "seed": seed, **asdict(spec)}
    marker = out / "params.json"
    if not force and marker.exists() and json.loads(marker.read_text()) == params:
        return out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    began = time.perf_counter()
    columns, ids = deal_columns(spec.deals, seed)
    columns = _with_duplicates(columns, seed)
    if spec.xlsx:
        write_xlsx(out / "deals.xlsx", columns)
    else:
        _write_csv(out / "deals.csv", DEAL_HEADER, columns, bom=True)
        del columns
        acts = activity_columns(spec.activities, seed, ids)
        _write_csv(out / "activities.csv", ACTIVITY_HEADER, acts, bom=False)
        del acts
        write_reps(out / "reps.csv")
    marker.write_text(json.dumps(params, indent=2) + "\n")
    if not quiet:
        took = time.perf_counter() - began
        files = ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:,.0f} MB" for p in sorted(out.iterdir())
        )
        print(f"generated {size} (seed {seed}) in {took:.1f} s: {files}", file=sys.stderr)
    return out


# ---------------------------------------------------------------------- canonical Parquet

CHANNELS = {"Email": "email", "Call": "call", "Meeting": "meeting", "Demo": "demo"}
CHANNELS |= {"LinkedIn": "social", "Research": "research"}
"""The activities mapping's (sample_data/mappings/activities.yaml) channel values."""


def canonical(activities: int, seed: int = 1, *, quiet: bool = False) -> Path:
    """The folder of a canonical dataset with large's deals and roster, loaded through their
    mappings, and `activities` activities written straight to Parquet (see the module
    docstring); generated unless cached."""
    out = DATA / f"outofcore-{activities // 1_000_000}m-s{seed}"
    params = {"version": GENERATOR_VERSION, "seed": seed, "activities": activities}
    marker = out / "params.json"
    if marker.exists() and json.loads(marker.read_text()) == params:
        return out
    began = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    ids = _deals_and_roster(out / "dataset", seed)
    chunks = range(0, activities, CHUNK)
    first, last = None, None
    for at, start in enumerate(chunks):
        size = min(CHUNK, activities - start)
        columns = activity_columns(size, seed if at == 0 else seed * 1_000 + at, ids)
        columns[0] = _ids("A", np.arange(start + 1, start + size + 1), max(7, len(str(activities))))
        table = _canonical_activities(columns, start)
        del columns
        stamps = table["occurred_at"]
        first = min(filter(None, [first, pc.min(stamps).as_py()]))
        last = max(filter(None, [last, pc.max(stamps).as_py()]))
        _write_months(table, out / "dataset" / "activities", f"part-{at:03d}.parquet")
        if not quiet:
            print(f"  activities {start + size:,} of {activities:,}", file=sys.stderr)
    manifest_path = out / "dataset" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    assert first is not None and last is not None
    manifest["entities"]["activities"] = {
        "rows": activities,
        "partitioned_by": "occurred_at",
        "span": [first.date().isoformat(), last.date().isoformat()],
    }
    manifest["sources"].append(
        {
            "path": "(benchmarks/generate.py: straight to Parquet)",
            "entity": "activities",
            "mapping": "sample_data/mappings/activities.yaml",
            "sha256": "",
            "rows_read": activities,
            "rows_used": activities,
            "rows_filtered": 0,
            "rows_rejected": 0,
            "duplicates_dropped": 0,
            "rows_unmatched": 0,
        }
    )
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    marker.write_text(json.dumps(params, indent=2) + "\n")
    if not quiet:
        took = time.perf_counter() - began
        size_mb = sum(p.stat().st_size for p in out.rglob("*.parquet")) / 1e6
        print(
            f"generated {out.name} in {took:.1f} s: {size_mb:,.0f} MB of Parquet", file=sys.stderr
        )
    return out


def _deals_and_roster(dataset: Path, seed: int) -> np.ndarray:
    """Large's deals and the roster as `salesmetrics validate --export` writes them (through
    the sample mappings, stage history and checks included) into `dataset`; the deal ids."""
    from salesmetrics.canonical import export
    from salesmetrics.config import load_config
    from salesmetrics.pipeline import frames_of, load_inputs

    files = dataset.parent / "exports"
    files.mkdir(parents=True)
    columns, ids = deal_columns(SIZES["large"].deals, seed)
    _write_csv(files / "deals.csv", DEAL_HEADER, _with_duplicates(columns, seed), bom=True)
    del columns
    write_reps(files / "reps.csv")
    config = load_config(HERE / "report.yaml", data_dir=files)
    specs = [spec for spec in config.inputs if Path(spec.path).name != "activities.csv"]
    as_of = datetime.date.fromisoformat(AS_OF)
    loaded = load_inputs(specs, as_of=as_of)
    export(frames_of(loaded), [item.quality for item in loaded], dataset, as_of)
    shutil.rmtree(files)
    return ids


def _canonical_activities(columns: list[pa.Array], start: int) -> pa.Table:
    """`activity_columns`' CSV text as the activities mapping types it: timestamps, the
    channel's and direction's canonical values (no direction: outbound), Yes/No as booleans,
    durations as numbers; `_row` the source line, `_order` the row's place in the whole."""
    (
        activity_id, occurred, channel, direction, owner, lead_id, deal_id,
        opened, replied, bounced, duration, outcome,
    ) = columns  # fmt: skip
    rows = len(activity_id)

    def mapped(values: pa.Array, mapping: dict[str, str]) -> pa.Array:
        at = pc.index_in(values, value_set=pa.array(list(mapping)))
        return pa.array(list(mapping.values())).take(at).dictionary_encode()

    def flag(values: pa.Array) -> pa.Array:
        return pc.equal(values, "Yes")

    position = np.arange(start, start + rows, dtype=np.int64)
    return pa.table(
        {
            "activity_id": activity_id,
            "occurred_at": pc.strptime(occurred, format="%Y-%m-%dT%H:%M:%SZ", unit="us"),
            "channel": mapped(channel, CHANNELS),
            "direction": pc.fill_null(
                mapped(direction, {"Outbound": "outbound", "Inbound": "inbound"}).cast(pa.string()),
                "outbound",
            ).dictionary_encode(),
            "owner": owner.dictionary_encode(),
            "lead_id": lead_id,
            "deal_id": deal_id,
            "opened": flag(opened),
            "replied": flag(replied),
            "bounced": flag(bounced),
            "duration_minutes": pc.cast(duration, pa.float64()),
            "outcome": outcome.dictionary_encode(),
            "_row": pa.array(position + 2),  # the line of a CSV with a header row
            "_order": pa.array(position),
        }
    )


def _write_months(table: pa.Table, folder: Path, name: str) -> None:
    """The rows under `partition_month=YYYY-MM/` by their occurred_at, one file `name` each."""
    months = pc.strftime(table["occurred_at"], format="%Y-%m").to_numpy(zero_copy_only=False)
    order = np.argsort(months, kind="stable")
    keys, starts = np.unique(months[order], return_index=True)
    table = table.take(pa.array(order))
    for key, begin, end in zip(keys, starts, [*starts[1:], len(order)], strict=True):
        month = folder / f"partition_month={key}"
        month.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.slice(begin, end - begin), month / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="regenerate even when cached")
    parser.add_argument(
        "--canonical", type=int, action="append", default=[], help="N activities, as Parquet"
    )
    args = parser.parse_args()
    for size in args.sizes:
        print(generate(size, args.seed, force=args.force))
    for activities in args.canonical:
        print(canonical(activities, args.seed))


if __name__ == "__main__":
    main()
