#!/usr/bin/env python3
"""Generate the sample company "Northwind Analytics": CRM, billing and finance exports.

Run `python sample_data/generate.py`; it writes the files next to itself. The data is
fictional and seeded, so every run writes byte-identical files (see README.md here).

Northwind Analytics is a B2B SaaS company (a data-analytics platform) with two sales teams,
Enterprise and Mid-Market. The story runs from 2025-01-01 to 2026-10-31 and the exports were
taken on 2026-11-01. The simulation, in order:

1. the rep roster (one rep leaves in Aug 2025 and is replaced, one leaves in May 2026);
2. 520 customers who were already paying before 2025, when Northwind moved to HubSpot;
3. 5,000 inbound leads; those that convert become `newbusiness` deals, joined by 150 open
   deals imported from the old CRM on 2025-01-02;
4. each customer month by month: expansion deals, renewals, contraction, churn, win-backs;
5. activities (emails, calls, meetings, demos, LinkedIn, research) around leads and deals;
6. service orders, sales and marketing costs, quotas and forecasts, NPS answers;
7. the files, in the formats the source systems export, with a few warts (see README.md).

Only the standard library and openpyxl are used.
"""

from __future__ import annotations

import csv
import io
import math
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

SEED = 20261101
OUT = Path(__file__).resolve().parent

START = date(2025, 1, 1)
END = date(2026, 10, 31)
START_DT = datetime(2025, 1, 1)
END_DT = datetime(2026, 10, 31, 23, 59)
EXPORTED_AT = datetime(2026, 11, 1, 7, 30)
FIXED_ZIP_TIME = (2026, 11, 1, 0, 0, 0)

N_LEADS = 5000
N_EXISTING_CUSTOMERS = 520
N_MIGRATED = 150  # open deals imported from the old CRM when HubSpot went live
IMPORTED_AT = datetime(2025, 1, 2, 9, 12)

FX_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27}  # fixed rates used for MRR, costs, quotas


def rng_for(part: str) -> random.Random:
    """One random stream per part, so a change in one part leaves the others as they were."""
    return random.Random(f"{SEED}-{part}")


# --------------------------------------------------------------------------- calendar helpers


def months_between(first: date, last: date) -> list[date]:
    """First days of the months from `first` to `last`, both included."""
    out, m = [], date(first.year, first.month, 1)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


MONTHS = months_between(START, END)  # 22 months


def month_end(m: date) -> date:
    return add_months(m, 1) - timedelta(days=1)


def month_index(d: date) -> int:
    """0 for 2025-01, 21 for 2026-10 (may be outside that range)."""
    return (d.year - START.year) * 12 + d.month - START.month


def quarter_of(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def workdays(first: date, last: date) -> list[date]:
    out, d = [], first
    while d <= last:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def at_work_time(rng: random.Random, d: date) -> datetime:
    """A time on day `d` in office hours, busiest late morning."""
    minute = int(rng.triangular(8 * 60, 18 * 60 + 30, 11 * 60))
    return datetime(d.year, d.month, d.day) + timedelta(minutes=minute)


def snap_to_work(rng: random.Random, dt: datetime) -> datetime:
    """Move a timestamp that falls at night or at a weekend to the next working morning."""
    if dt.hour >= 19:
        dt = datetime(dt.year, dt.month, dt.day) + timedelta(days=1, hours=8)
    elif dt.hour < 8:
        dt = datetime(dt.year, dt.month, dt.day, 8)
    while dt.weekday() >= 5:
        dt = datetime(dt.year, dt.month, dt.day) + timedelta(days=1, hours=8)
    if dt.hour == 8 and dt.minute == 0:
        dt += timedelta(minutes=rng.randint(0, 90))
    return dt


def add_work_hours(dt: datetime, hours: float) -> datetime:
    """The moment `hours` of office time (8:00-18:00, Monday to Friday) after `dt`."""
    if dt.weekday() >= 5 or dt.hour >= 18:
        dt = datetime(dt.year, dt.month, dt.day, 8) + timedelta(days=1)
    elif dt.hour < 8:
        dt = datetime(dt.year, dt.month, dt.day, 8)
    while dt.weekday() >= 5:
        dt += timedelta(days=1)
    left = timedelta(hours=hours)
    while True:
        closing = datetime(dt.year, dt.month, dt.day, 18)
        if dt + left <= closing:
            return (dt + left).replace(second=0, microsecond=0)
        left -= closing - dt
        dt = datetime(dt.year, dt.month, dt.day, 8) + timedelta(days=1)
        while dt.weekday() >= 5:
            dt += timedelta(days=1)


def random_day_in(rng: random.Random, m: date, weekend_share: float = 0.04) -> date:
    days = [m + timedelta(days=i) for i in range((month_end(m) - m).days + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    if rng.random() < weekend_share:
        return rng.choice(days)
    return rng.choice(weekdays)


def lognormal_between(rng: random.Random, median: float, sigma: float, lo: float, hi: float):
    return min(hi, max(lo, rng.lognormvariate(math.log(median), sigma)))


def weighted(rng: random.Random, table: dict):
    return rng.choices(list(table), weights=list(table.values()))[0]


# --------------------------------------------------------------------------- reps


@dataclass
class Rep:
    name: str
    team: str
    manager: str
    started: date
    ended: date | None = None

    def active_on(self, d: date) -> bool:
        return self.started <= d and (self.ended is None or d <= self.ended)


REPS = [
    Rep("Marcus Chen", "Enterprise", "Rachel Okafor", date(2022, 3, 14)),
    Rep("Priya Raman", "Enterprise", "Rachel Okafor", date(2023, 1, 9)),
    Rep("Tom Gallagher", "Enterprise", "Rachel Okafor", date(2021, 6, 1), date(2025, 8, 15)),
    Rep("Sofia Marquez", "Enterprise", "Rachel Okafor", date(2023, 9, 18)),
    Rep("Olivia Hart", "Enterprise", "Rachel Okafor", date(2025, 8, 18)),
    Rep("Aisha Bello", "Mid-Market", "Daniel Brooks", date(2022, 11, 7)),
    Rep("Lukas Novak", "Mid-Market", "Daniel Brooks", date(2024, 2, 12)),
    Rep("Hannah Lindqvist", "Mid-Market", "Daniel Brooks", date(2023, 5, 22)),
    Rep("Jamal Carter", "Mid-Market", "Daniel Brooks", date(2022, 8, 1), date(2026, 5, 29)),
]
REP = {r.name: r for r in REPS}
SUCCESSOR = {"Tom Gallagher": "Olivia Hart", "Jamal Carter": "Aisha Bello"}
TEAMS = ("Enterprise", "Mid-Market")


def owner_of_record(owner: str, closed: date | None) -> str:
    """The owner an export shows: records closed before their rep left keep that rep."""
    ended = REP[owner].ended
    if ended is None or (closed is not None and closed <= ended):
        return owner
    return owner_on(owner, EXPORTED_AT.date())


def owner_on(owner: str, d: date) -> str:
    """Who holds a record owned by `owner` on day `d` (a leaver's book goes to a successor)."""
    while owner in SUCCESSOR and not REP[owner].active_on(d):
        ended = REP[owner].ended
        if ended is None or d <= ended:
            break
        owner = SUCCESSOR[owner]
    return owner


class RoundRobin:
    """Hands records to the active reps of a team in turn, as a CRM assignment rule does."""

    def __init__(self) -> None:
        self.turn = {team: 0 for team in TEAMS}

    def next(self, team: str, d: date) -> str:
        reps = [r.name for r in REPS if r.team == team and r.active_on(d)]
        self.turn[team] += 1
        return reps[self.turn[team] % len(reps)]


# --------------------------------------------------------------------------- companies

NAME_HEADS = """Alder Amber Apex Arbor Ash Aspen Atlas Azure Bay Beacon Birch Blue Bold Bright Brook
Cedar Clear Cobalt Copper Coral Crest Crown Cypress Delta Eagle Elm Ember Evergreen Falcon Fern
Fox Frost Glen Gold Granite Green Harbor Hazel Heron High Iron Ivy Juniper Lake Lark Linden
Maple Marble Meadow Mill North Oak Olive Onyx Orchid Pine Prairie Quarry Raven Red Ridge River
Rock Sage Silver Sky Slate Spruce Stone Summit Swift Timber True Velvet West Willow Wren""".split()  # noqa: SIM905
NAME_TAILS = """bridge brook field gate haven hill hurst land line mark mont point port ridge rock
side stone vale view water way well wood works""".split()  # noqa: SIM905
INDUSTRIES = """Analytics Apparel Biotech Brands Builders Capital Logistics Health Foods Freight
Insurance Labs Learning Legal Media Medical Mobility Motors Networks Outdoor Packaging Partners
Pharma Properties Retail Robotics Security Software Solar Staffing Supply Systems Telecom
Travel Ventures Wellness Energy Materials Marine Dental Hospitality Fintech Payments
""".split()  # noqa: SIM905

COUNTRIES = {  # country: (share of companies, billing currency, legal suffixes)
    "US": (0.62, "USD", ["Inc.", "LLC", "Corp.", "Co.", ""]),
    "CA": (0.06, "USD", ["Inc.", "Ltd.", ""]),
    "GB": (0.09, "GBP", ["Ltd", "plc", "Group", ""]),
    "DE": (0.08, "EUR", ["GmbH", "AG", ""]),
    "NL": (0.05, "EUR", ["B.V.", ""]),
    "FR": (0.04, "EUR", ["SAS", "SA", ""]),
    "AU": (0.03, "USD", ["Pty Ltd", ""]),
    "IE": (0.03, "EUR", ["Ltd", "DAC", ""]),
}


@dataclass
class Company:
    name: str
    country: str
    currency: str
    segment: str  # the team that sells to it: Enterprise or Mid-Market
    source: str  # HubSpot "Original Source" of its first contact
    id: str = ""  # HubSpot company ID, given when it first gets a deal
    lead_id: str = ""  # the lead it came in through (blank for pre-2025 customers)


class CompanyNames:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def new(self, country: str) -> str:
        suffixes = COUNTRIES[country][2]
        while True:
            head = self.rng.choice(NAME_HEADS) + self.rng.choice(NAME_TAILS)
            name = f"{head} {self.rng.choice(INDUSTRIES)} {self.rng.choice(suffixes)}".strip()
            if name not in self.used:
                self.used.add(name)
                return name


def new_company(rng: random.Random, names: CompanyNames, segment: str, source: str) -> Company:
    country = weighted(rng, {c: v[0] for c, v in COUNTRIES.items()})
    return Company(names.new(country), country, COUNTRIES[country][1], segment, source)


class IdCounter:
    """Increasing numeric IDs with random gaps, as a shared CRM database hands them out."""

    def __init__(self, rng: random.Random, start: int, lo: int, hi: int) -> None:
        self.rng, self.value, self.lo, self.hi = rng, start, lo, hi

    def next(self) -> int:
        self.value += self.rng.randint(self.lo, self.hi)
        return self.value


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def salesforce_id(prefix: str, n: int) -> str:
    """A 15-character Salesforce record ID (as reports show them): key prefix + base-62 number."""
    digits = ""
    for _ in range(5):
        n, r = divmod(n, 62)
        digits = BASE62[r] + digits
    return f"{prefix}Dn00000{digits}"


# --------------------------------------------------------------------------- leads

# HubSpot "Original Source" label -> the Salesforce "Lead Source" picklist value for it
SOURCES = {
    "Organic Search": "Web - Organic",
    "Paid Search": "Google Ads",
    "Referral": "Partner Referral",
    "Direct Traffic": "Website",
    "Offline Sources": "Trade Show",
    "Social Media": "LinkedIn",
}
SOURCE_SHARE = {
    "Organic Search": 0.27,
    "Paid Search": 0.22,
    "Referral": 0.11,
    "Direct Traffic": 0.14,
    "Offline Sources": 0.10,
    "Social Media": 0.16,
}
EVENT_MONTHS = (3, 6, 10)  # trade-show season: offline leads come in bursts
RATING_BY_SOURCE = {  # Hot, Warm, Cold
    "Organic Search": (0.25, 0.50, 0.25),
    "Paid Search": (0.18, 0.45, 0.37),
    "Referral": (0.45, 0.40, 0.15),
    "Direct Traffic": (0.30, 0.45, 0.25),
    "Offline Sources": (0.22, 0.45, 0.33),
    "Social Media": (0.15, 0.40, 0.45),
}
CONVERSION_BY_RATING = {"Hot": 0.70, "Warm": 0.47, "Cold": 0.17}
SEASON = {
    1: 0.95,
    2: 1.0,
    3: 1.1,
    4: 1.05,
    5: 1.05,
    6: 0.95,
    7: 0.85,
    8: 0.8,
    9: 1.1,
    10: 1.15,
    11: 1.0,
    12: 0.75,
}


@dataclass
class Lead:
    id: str
    created: datetime
    source: str  # HubSpot label; written as the Salesforce picklist value
    owner: str  # the owner it was assigned to
    rating: str
    company: Company
    status: str = "Open - Not Contacted"
    first_response: datetime | None = None
    mql: date | None = None
    sql: date | None = None
    converted: date | None = None


def leads_per_month(rng: random.Random) -> list[int]:
    """5,000 leads over 22 months: growing, seasonal, a little noisy; sums exactly."""
    weights = [
        (1 + 0.022 * i) * SEASON[m.month] * rng.uniform(0.93, 1.07) for i, m in enumerate(MONTHS)
    ]
    raw = [N_LEADS * w / sum(weights) for w in weights]
    counts = [int(x) for x in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: N_LEADS - sum(counts)]:
        counts[i] += 1
    return counts


def make_leads(names: CompanyNames) -> list[Lead]:
    rng = rng_for("leads")
    ids = IdCounter(rng, 3 * 62**4 + 1_234_567, 1, 40)
    robin = RoundRobin()
    leads = []
    for m, count in zip(MONTHS, leads_per_month(rng), strict=True):
        shares = dict(SOURCE_SHARE)
        shares["Offline Sources"] *= 2.6 if m.month in EVENT_MONTHS else 0.45
        days = sorted(random_day_in(rng, m) for _ in range(count))
        for d in days:
            source = weighted(rng, shares)
            segment = "Enterprise" if rng.random() < 0.24 else "Mid-Market"
            rating = rng.choices(("Hot", "Warm", "Cold"), weights=RATING_BY_SOURCE[source])[0]
            company = new_company(rng, names, segment, source)
            lead = Lead(
                id=salesforce_id("00Q", ids.next()),
                created=at_work_time(rng, d),
                source=source,
                owner=robin.next(segment, d),
                rating=rating,
                company=company,
            )
            company.lead_id = lead.id
            progress_lead(rng, lead)
            leads.append(lead)
    return leads


def progress_lead(rng: random.Random, lead: Lead) -> None:
    """First response, MQL, SQL and conversion dates, and the status as of the export."""
    created = lead.created
    age_days = (END_DT - created).days
    never_contacted = 0.015 + (0.5 if age_days < 3 else 0.0)
    if rng.random() < never_contacted:
        return  # "Open - Not Contacted", no first response
    hours = rng.lognormvariate(math.log(1.5 if lead.rating == "Hot" else 4), 1.0)
    lead.first_response = add_work_hours(created, min(hours, 50))
    if lead.first_response > END_DT:
        lead.first_response = None
        return
    lead.status = "Working - Contacted"
    converts = rng.random() < CONVERSION_BY_RATING[lead.rating]
    mql = created.date() + timedelta(days=rng.randint(0, 5))
    sql = mql + timedelta(days=rng.randint(1, 12))
    conv = sql + timedelta(days=rng.randint(0, 7))
    reach = 3 if converts else rng.choices((0, 1, 2), weights=(0.45, 0.35, 0.2))[0]
    lead.mql = mql if reach >= 1 and mql <= END else None
    lead.sql = sql if reach >= 2 and lead.mql and sql <= END else None
    if reach == 3 and lead.sql and conv <= END:
        lead.converted = conv
        lead.status = "Closed - Converted"
    elif age_days > 35 or (not converts and age_days > 14 and rng.random() < 0.5):
        lead.status = "Closed - Not Converted"


# --------------------------------------------------------------------------- deals

STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
)
STAGE_LABELS = {
    "appointmentscheduled": "Appointment Scheduled",
    "qualifiedtobuy": "Qualified To Buy",
    "presentationscheduled": "Presentation Scheduled",
    "decisionmakerboughtin": "Decision Maker Bought-In",
    "contractsent": "Contract Sent",
    "closedwon": "Closed Won",
    "closedlost": "Closed Lost",
}
PROBABILITY = {
    "appointmentscheduled": "0.2",
    "qualifiedtobuy": "0.4",
    "presentationscheduled": "0.6",
    "decisionmakerboughtin": "0.8",
    "contractsent": "0.9",
    "closedwon": "1",
    "closedlost": "0",
}
LOST_REASONS = {
    "Price too high": 0.22,
    "Chose a competitor": 0.20,
    "No decision / went dark": 0.24,
    "Timing - revisit next quarter": 0.12,
    "Missing feature": 0.09,
    "No budget": 0.08,
    "Built in-house": 0.05,
}
WIN_RATE_BY_RATING = {"Hot": 0.33, "Warm": 0.245, "Cold": 0.16}


@dataclass
class Deal:
    company: Company
    owner: str  # owner when created
    deal_type: str  # newbusiness | existingbusiness | renewal
    name: str
    amount: float  # in the company's currency
    created: datetime
    planned_close: datetime
    will_win: bool
    lost_at_stage: int  # index in STAGES of the last stage a lost deal reaches
    first_stage: int = 0  # index in STAGES of the stage it was created in
    entered: dict[str, datetime] = field(default_factory=dict)
    stage: str = ""
    close: datetime | None = None  # actual close (won or lost)
    lost_reason: str = ""
    modified: datetime = START_DT
    id: str = ""

    @property
    def currency(self) -> str:
        return self.company.currency

    @property
    def amount_usd(self) -> float:
        return self.amount * FX_TO_USD[self.currency]

    @property
    def won(self) -> bool:
        return self.stage == "closedwon"

    @property
    def lost(self) -> bool:
        return self.stage == "closedlost"

    @property
    def is_open(self) -> bool:
        return self.stage in STAGES

    @property
    def end(self) -> datetime:
        """When work on the deal stops: its close, or the end of the data."""
        return self.close or END_DT


def round_amount(rng: random.Random, usd: float, currency: str, step: int) -> float:
    """A quoted price: rounded to `step`, sometimes with a discount that leaves cents."""
    local = usd / FX_TO_USD[currency]
    amount: float = max(step, round(local / step) * step)
    if rng.random() < 0.12:
        amount = round(amount * rng.choice((0.9, 0.925, 0.95, 0.9675, 0.985)), 2)
    return float(amount)


def simulate_deal(rng: random.Random, deal: Deal, skip_share: float = 0.05) -> None:
    """Stage entry times, the outcome (or the open stage on 2026-10-31) and Last Modified."""
    close = deal.planned_close
    n = len(STAGES) if deal.will_win else deal.lost_at_stage + 1
    stages = STAGES[deal.first_stage : n]
    cuts = sorted(rng.uniform(0.03, 0.92) for _ in range(len(stages) - 1))
    times = sorted(snap_to_work(rng, deal.created + (close - deal.created) * c) for c in cuts)
    times = [deal.created, *times]
    close = max(close, times[-1] + timedelta(hours=2))
    deal.entered = dict(zip(stages, times, strict=True))
    skippable = [s for s in STAGES[1:4] if s in deal.entered and s != stages[0]]
    if deal.will_win and skippable and rng.random() < skip_share:  # the rep jumped a stage
        del deal.entered[rng.choice(skippable)]
    if close <= END_DT:
        deal.stage = "closedwon" if deal.will_win else "closedlost"
        deal.close = close
        deal.entered[deal.stage] = close
        if deal.lost and rng.random() > 0.07:  # 7% of reps leave the reason blank
            deal.lost_reason = weighted(rng, LOST_REASONS)
        touched = close + timedelta(days=rng.choice((0, 0, 0, 1, 2, 5, 12, 30)))
        deal.modified = min(touched + timedelta(minutes=rng.randint(0, 600)), END_DT)
    else:
        deal.entered = {s: t for s, t in deal.entered.items() if t <= END_DT}
        deal.stage = max(deal.entered, key=lambda s: deal.entered[s])
        last = max(deal.entered.values())
        touched = last + (END_DT - last) * rng.uniform(0.0, 1.0)
        if not 8 <= touched.hour < 19:
            touched = touched.replace(hour=rng.randint(8, 18))
        deal.modified = min(max(touched, last + timedelta(minutes=5)), END_DT)
    deal.modified = deal.modified.replace(second=0, microsecond=0)


def force_lost(deal: Deal, when: datetime, reason: str) -> None:
    """A deal still open when its customer churns is closed lost at that moment."""
    when = max(when, deal.created + timedelta(hours=1))
    deal.entered = {s: t for s, t in deal.entered.items() if t < when and s in STAGES}
    deal.stage = "closedlost"
    deal.close = when
    deal.entered["closedlost"] = when
    deal.lost_reason = reason
    deal.modified = when


def new_business_deal(rng: random.Random, lead: Lead) -> Deal:
    company, converted = lead.company, lead.converted
    assert converted is not None
    created = at_work_time(rng, converted)
    if company.segment == "Enterprise":
        usd = lognormal_between(rng, 52_000, 0.5, 20_000, 260_000)
        cycle = rng.triangular(40, 120, 70)
        amount = round_amount(rng, usd, company.currency, 500)
    else:
        usd = lognormal_between(rng, 12_000, 0.5, 3_600, 48_000)
        cycle = rng.triangular(20, 80, 35)
        amount = round_amount(rng, usd, company.currency, 100)
    will_win = rng.random() < WIN_RATE_BY_RATING[lead.rating]
    lost_at = rng.choices(range(5), weights=(0.30, 0.26, 0.2, 0.14, 0.10))[0]
    if not will_win:
        cycle *= rng.uniform(0.25, 0.6) + 0.1 * lost_at
    if rng.random() < 0.13:  # a deal that stalls: it drags on for months, then goes dark
        will_win, cycle = False, rng.uniform(150, 360)
    deal = Deal(
        company=company,
        owner=owner_on(lead.owner, converted),
        deal_type="newbusiness",
        name=f"{company.name} - New Deal",
        amount=amount,
        created=created,
        planned_close=snap_to_work(rng, created + timedelta(days=cycle)),
        will_win=will_win,
        lost_at_stage=lost_at,
    )
    simulate_deal(rng, deal)
    return deal


def migrated_deals(names: CompanyNames) -> list[Deal]:
    """The open pipeline imported from the old CRM on 2025-01-02, when Northwind moved to
    HubSpot: Create Date is the import time and the stage history starts at the stage the
    deal was in then. Their companies came in before the lead report starts: no contact."""
    rng = rng_for("migration")
    deals, at = [], IMPORTED_AT
    for _ in range(N_MIGRATED):
        at += timedelta(seconds=rng.randint(5, 50))
        segment = "Enterprise" if rng.random() < 0.3 else "Mid-Market"
        company = new_company(rng, names, segment, weighted(rng, SOURCE_SHARE))
        stage = rng.choices(range(5), weights=(0.3, 0.25, 0.2, 0.15, 0.1))[0]
        if segment == "Enterprise":
            usd = lognormal_between(rng, 52_000, 0.5, 20_000, 260_000)
            amount, remaining = round_amount(rng, usd, company.currency, 500), rng.uniform(10, 100)
        else:
            usd = lognormal_between(rng, 12_000, 0.5, 3_600, 48_000)
            amount, remaining = round_amount(rng, usd, company.currency, 100), rng.uniform(7, 50)
        owners = [r.name for r in REPS if r.team == segment and r.active_on(START)]
        deal = Deal(
            company=company,
            owner=rng.choice(owners),
            deal_type="newbusiness",
            name=f"{company.name} - New Deal",
            amount=amount,
            created=at.replace(second=0),
            planned_close=snap_to_work(rng, at + timedelta(days=remaining)),
            will_win=rng.random() < (0.12, 0.2, 0.3, 0.45, 0.6)[stage],
            lost_at_stage=rng.randint(stage, 4),
            first_stage=stage,
        )
        simulate_deal(rng, deal)
        deals.append(deal)
    return deals


def existing_business_deal(
    rng: random.Random,
    customer: Customer,
    created: datetime,
    kind: str,
    close_by: datetime | None = None,
) -> Deal:
    """An expansion, renewal or win-back deal for a customer (`existingbusiness`/`renewal`)."""
    company = customer.company
    acv_usd = customer.mrr * 12
    if kind == "renewal":
        usd, cycle, p_win, name = acv_usd, rng.uniform(45, 75), 0.86, "Renewal"
    elif kind == "winback":
        usd, cycle, p_win, name = acv_usd, rng.uniform(20, 40), 1.0, "Win-back"
    else:
        usd = acv_usd * rng.uniform(0.15, 0.6)
        cycle, p_win = rng.triangular(12, 70, 28), 0.41
        name = rng.choice(("Seat expansion", "Plan upgrade", "Additional team", "Expansion"))
    will_win = rng.random() < p_win
    lost_at = rng.choices(range(5), weights=(0.2, 0.25, 0.25, 0.15, 0.15))[0]
    if not will_win:
        cycle *= rng.uniform(0.4, 1.0)
    deal = Deal(
        company=company,
        owner=owner_on(customer.owner, created.date()),
        deal_type="renewal" if kind == "renewal" else "existingbusiness",
        name=f"{company.name} - {name}",
        amount=round_amount(rng, max(usd, 1200), company.currency, 100),
        created=created,
        planned_close=snap_to_work(rng, created + timedelta(days=cycle)),
        will_win=will_win,
        lost_at_stage=lost_at,
    )
    if close_by is not None:
        deal.planned_close = min(deal.planned_close, close_by)
    simulate_deal(rng, deal, skip_share=0.25)
    return deal


# --------------------------------------------------------------------------- customers

PLANS = ((600, "Starter"), (2000, "Growth"), (6000, "Business"), (math.inf, "Enterprise"))
ADDON_PLAN = "Data Connectors Add-on"


def plan_for(mrr: float) -> str:
    return next(name for limit, name in PLANS if mrr < limit)


@dataclass
class Customer:
    company: Company
    owner: str
    mrr: float  # USD
    anniversary_month: int  # 1-12: contract start month, for annual renewals
    first_month: date  # first month with a subscription row inside the window
    new: bool  # won during the window (False: paying before 2025)
    rows: list[tuple[date, str, float]] = field(default_factory=list)
    churned_in: list[date] = field(default_factory=list)  # first months without a row
    reactivated_in: list[date] = field(default_factory=list)


def billing_start(close: datetime) -> date:
    """Billing starts the month the deal closed, or the next month if it closed late."""
    m = date(close.year, close.month, 1)
    return m if close.day <= 20 else add_months(m, 1)


def make_existing_customers(names: CompanyNames) -> list[Customer]:
    rng = rng_for("existing-customers")
    customers = []
    for _ in range(N_EXISTING_CUSTOMERS):
        segment = "Enterprise" if rng.random() < 0.3 else "Mid-Market"
        source = weighted(rng, SOURCE_SHARE)
        company = new_company(rng, names, segment, source)
        if segment == "Enterprise":
            mrr = lognormal_between(rng, 4_300, 0.55, 1_500, 22_000)
        else:
            mrr = lognormal_between(rng, 950, 0.55, 300, 4_000)
        team_reps = [r.name for r in REPS if r.team == segment and r.active_on(START)]
        customers.append(
            Customer(
                company=company,
                owner=rng.choice(team_reps),
                mrr=round(mrr, 2),
                anniversary_month=rng.randint(1, 12),
                first_month=MONTHS[0],
                new=False,
            )
        )
    return customers


def simulate_customer(rng: random.Random, c: Customer, deals: list[Deal]) -> None:
    """Month by month: apply won deals, churn, contract, expand, renew, come back."""
    pending: list[Deal] = []  # existing-business deals whose outcome is still ahead
    changes: dict[date, float] = {}  # month -> MRR added by a won expansion deal
    active = True
    comeback: date | None = None
    months_active = 0
    annual = c.company.segment == "Enterprise" and c.mrr >= 6000
    m = c.first_month
    while m <= MONTHS[-1]:
        if not active:
            if comeback == m:
                active, months_active = True, 0
                c.reactivated_in.append(m)
            else:
                m = add_months(m, 1)
                continue
        c.mrr = round(c.mrr + changes.pop(m, 0.0), 2)
        months_active += 1
        churn = False
        renewal_month = (
            annual and m.month == c.anniversary_month and (not c.new or months_active > 1)
        )
        if renewal_month:
            created = at_work_time(rng, random_day_in(rng, add_months(m, -2), 0))
            if created.date() >= START:
                due = snap_to_work(rng, datetime(m.year, m.month, 1, 10))
                deal = existing_business_deal(rng, c, created, "renewal", close_by=due)
                deals.append(deal)
                churn = deal.lost
        elif not annual and months_active > 2:
            hazard = {"Starter": 0.030, "Growth": 0.016, "Business": 0.009}.get(
                plan_for(c.mrr), 0.006
            )
            churn = rng.random() < hazard
        if churn:
            churn_at = datetime(m.year, m.month, 1, 9) - timedelta(days=1)
            for deal in pending:
                if deal.is_open or (deal.close and deal.close > churn_at):
                    force_lost(deal, churn_at, "Customer churned")
            pending.clear()
            changes.clear()
            c.churned_in.append(m)
            active = False
            if not annual and rng.random() < 0.06:
                comeback = add_months(m, rng.randint(2, 8))
                if comeback <= MONTHS[-1]:
                    c.mrr = round(c.mrr * rng.uniform(0.7, 1.1), 2)
                    created = at_work_time(rng, random_day_in(rng, add_months(comeback, -1), 0))
                    created -= timedelta(days=rng.randint(18, 35))
                    due = snap_to_work(rng, created + timedelta(days=rng.randint(14, 28)))
                    deal = existing_business_deal(rng, c, created, "winback", close_by=due)
                    deals.append(deal)
                    comeback = billing_start(deal.close) if deal.close else None
                    if comeback is not None and comeback <= add_months(m, 1):
                        comeback = add_months(m, 2)  # at least one month without a row
            m = add_months(m, 1)
            continue
        # seats come and go through the billing system, without a deal
        roll = rng.random()
        if roll < 0.011:
            c.mrr = round(c.mrr * rng.uniform(0.6, 0.9), 2)
        elif roll < 0.025:
            c.mrr = round(c.mrr * rng.uniform(1.05, 1.25), 2)
        if not renewal_month and rng.random() < 0.055:
            created = at_work_time(rng, random_day_in(rng, m, 0))
            deal = existing_business_deal(rng, c, created, "expansion")
            deals.append(deal)
            pending.append(deal)
            if deal.won:
                effective = billing_start(deal.end)
                changes[effective] = changes.get(effective, 0.0) + deal.amount_usd / 12
        pending = [d for d in pending if d.close is None or d.close >= datetime(m.year, m.month, 1)]
        c.rows.append((m, plan_for(c.mrr), c.mrr))
        m = add_months(m, 1)


def add_addon_plans(customers: list[Customer]) -> None:
    """A handful of customers also pay for an add-on plan: two rows in those months."""
    rng = rng_for("addons")
    candidates = [c for c in customers if len(c.rows) >= 10 and not c.churned_in]
    for c in rng.sample(candidates, 6):
        first = rng.randint(0, len(c.rows) - 6)
        span = c.rows[first : first + rng.randint(3, 8)]
        fee = rng.choice((250.0, 400.0))
        c.rows.extend((m, ADDON_PLAN, fee) for m, _, _ in span)
        c.rows.sort(key=lambda row: (row[0], row[1] == ADDON_PLAN))


# --------------------------------------------------------------------------- activities


@dataclass
class Activity:
    at: datetime
    type: str
    direction: str
    owner: str
    lead_id: str = ""
    deal_id: str = ""
    opened: str = ""
    replied: str = ""
    bounced: str = ""
    duration: int | None = None
    outcome: str = ""


class ActivityLog:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.items: list[Activity] = []

    def add(
        self, at: datetime, kind: str, owner: str, lead_id: str = "", deal_id: str = ""
    ) -> Activity | None:
        """Log an outbound activity (None if it falls outside the data's window)."""
        if at > END_DT or at.date() < START:
            return None
        owner = owner_on(owner, at.date())
        if kind == "Email":
            return self.email(at, owner, lead_id, deal_id, depth=0)
        activity = Activity(at, kind, "Outbound", owner, lead_id, deal_id, **self.details(kind))
        self.items.append(activity)
        return activity

    def email(self, at: datetime, owner: str, lead_id: str, deal_id: str, depth: int) -> Activity:
        """An outbound email; a reply comes back as an inbound email that the rep answers."""
        rng = self.rng
        bounced = depth == 0 and rng.random() < 0.03
        opened = not bounced and rng.random() < 0.45
        replied = opened and depth < 2 and rng.random() < 0.08 / 0.45
        yn = {True: "Yes", False: "No"}
        sent = Activity(
            at,
            "Email",
            "Outbound",
            owner,
            lead_id,
            deal_id,
            opened=yn[opened],
            replied=yn[replied],
            bounced=yn[bounced],
            outcome="Bounced" if bounced else "",
        )
        self.items.append(sent)
        if replied:
            reply_at = snap_to_work(rng, at + timedelta(hours=rng.lognormvariate(1.5, 1.0)))
            if reply_at > END_DT:
                return sent
            self.items.append(
                Activity(
                    reply_at,
                    "Email",
                    "Inbound",
                    owner_on(owner, reply_at.date()),
                    lead_id,
                    deal_id,
                    outcome="Reply received",
                )
            )
            answer_at = add_work_hours(reply_at, rng.uniform(0.2, 5))
            if answer_at <= END_DT:
                self.email(
                    answer_at, owner_on(owner, answer_at.date()), lead_id, deal_id, depth + 1
                )
        return sent

    def details(self, kind: str) -> dict:
        rng = self.rng
        if kind == "Call":
            outcome = weighted(
                rng,
                {
                    "Connected": 0.32,
                    "Left voicemail": 0.33,
                    "No answer": 0.30,
                    "Wrong number": 0.05,
                },
            )
            minutes = rng.randint(4, 32) if outcome == "Connected" else rng.randint(1, 2)
            return {"duration": minutes, "outcome": outcome}
        if kind == "Meeting":
            outcome = weighted(rng, {"Completed": 0.86, "Rescheduled": 0.08, "No show": 0.06})
            minutes = rng.choice((30, 30, 45, 60)) if outcome == "Completed" else 0
            return {"duration": minutes, "outcome": outcome}
        if kind == "Demo":
            outcome = weighted(rng, {"Completed": 0.92, "No show": 0.08})
            return {
                "duration": rng.choice((45, 60, 60, 75)) if outcome == "Completed" else 0,
                "outcome": outcome,
            }
        if kind == "LinkedIn":
            return {"outcome": rng.choice(("Connection request sent", "InMail sent"))}
        if kind == "Research":
            return {"duration": rng.choice((10, 15, 15, 20, 30, 30, 45, 60))}
        return {}


def touches_between(rng: random.Random, first: datetime, last: datetime, n: int):
    """`n` working-hour timestamps between two moments, in order."""
    if last <= first:
        return []
    span = (last - first).total_seconds()
    return sorted(
        snap_to_work(rng, first + timedelta(seconds=rng.uniform(0, span))) for _ in range(n)
    )


def make_activities(leads: list[Lead], deals: list[Deal]) -> list[Activity]:
    rng = rng_for("activities")
    log = ActivityLog(rng)
    for lead in leads:
        if lead.first_response is None:
            continue
        first_kind = "Call" if rng.random() < 0.4 else "Email"
        log.add(lead.first_response, first_kind, lead.owner, lead.id)
        if lead.converted:
            until, n = datetime.combine(lead.converted, datetime.min.time()), rng.randint(1, 5)
        elif lead.mql:
            until, n = lead.created + timedelta(days=rng.randint(14, 40)), rng.randint(1, 5)
        else:
            until, n = lead.created + timedelta(days=rng.randint(7, 25)), rng.randint(1, 3)
        for at in touches_between(rng, lead.first_response, until, n):
            kind = weighted(rng, {"Email": 0.72, "Call": 0.17, "LinkedIn": 0.11})
            activity = log.add(at, kind, lead.owner, lead.id)
            if activity and kind == "LinkedIn" and rng.random() < 0.12:
                activity.direction, activity.outcome = "Inbound", "Message received"
        if lead.sql:  # the discovery call that made it an SQL
            day_start = datetime.combine(lead.sql, datetime.min.time())
            when = add_work_hours(day_start, rng.uniform(0, 9))
            call = log.add(when, "Call", lead.owner, lead.id)
            if call:
                call.outcome, call.duration = "Connected", rng.randint(15, 35)
    for deal in deals:
        lead_id = deal.company.lead_id if deal.deal_type == "newbusiness" else ""
        owner = deal.owner
        for stage, kind in (
            ("qualifiedtobuy", "Meeting"),
            ("presentationscheduled", "Demo"),
            ("decisionmakerboughtin", "Meeting"),
        ):
            entered = deal.entered.get(stage)
            if entered is None:
                continue
            if deal.deal_type != "newbusiness" and kind == "Demo" and rng.random() < 0.6:
                continue
            meeting = log.add(entered, kind, owner, lead_id, deal.id)
            if meeting and meeting.outcome == "No show":
                log.add(
                    snap_to_work(rng, entered + timedelta(days=rng.randint(2, 6))),
                    kind,
                    owner,
                    lead_id,
                    deal.id,
                )
        days = min(120, max(1, (deal.end - deal.created).days))  # stalled deals go quiet
        scale = 1.0 if deal.deal_type == "newbusiness" else 0.5
        n_email = int(scale * (1 + days / 10))
        n_call = int(scale * (0.5 + days / 24))
        for at in touches_between(rng, deal.created, deal.end, n_email):
            log.add(at, "Email", owner, lead_id, deal.id)
        for at in touches_between(rng, deal.created, deal.end, n_call):
            log.add(at, "Call", owner, lead_id, deal.id)
    # research time each rep logs on a working day, on a recent lead or open deal of theirs
    recent: dict[str, list[Lead]] = {r.name: [] for r in REPS}
    lead_iter = iter(leads)
    upcoming = next(lead_iter, None)
    for d in workdays(START, END):
        while upcoming is not None and upcoming.created.date() <= d:
            recent[upcoming.owner].append(upcoming)
            upcoming = next(lead_iter, None)
        for rep in REPS:
            if not rep.active_on(d):
                continue
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
                pool = recent[rep.name][-25:]
                lead_id = rng.choice(pool).id if pool and rng.random() < 0.6 else ""
                research = log.add(at_work_time(rng, d), "Research", rep.name, lead_id)
                if research:
                    research.direction = ""  # internal work: no direction
    return sorted(log.items, key=lambda a: (a.at, a.owner, a.type, a.lead_id, a.deal_id))


# --------------------------------------------------------------------------- orders

PRODUCTS = {  # product: (price USD, EUR, GBP), delivery cost share
    "Onboarding Package - Standard": ((1500, 1400, 1200), 0.55),
    "Onboarding Package - Enterprise": ((5000, 4600, 3950), 0.5),
    "Training Session": ((450, 420, 360), 0.4),
    "Custom Dashboard": ((1200, 1100, 950), 0.6),
    "Data Migration": ((2500, 2300, 1950), 0.65),
    "Premium Support (annual)": ((3600, 3300, 2850), 0.45),
    "API Overage (1M calls)": ((40, 37, 32), 0.2),
}
CURRENCY_COLUMN = {"USD": 0, "EUR": 1, "GBP": 2}


@dataclass
class Order:
    customer: Customer
    day: date
    product: str
    quantity: int
    unit_price: float = 0.0
    cost: float = 0.0
    id: str = ""


def make_orders(customers: list[Customer]) -> list[Order]:
    rng = rng_for("orders")
    orders = []

    def order(c: Customer, day: date, product: str, quantity: int = 1) -> None:
        if START <= day <= END:
            orders.append(Order(c, day, product, quantity))

    for c in customers:
        active = [m for m, plan, _ in c.rows if plan != ADDON_PLAN]
        if not active:
            continue
        enterprise = c.company.segment == "Enterprise"
        if c.new:
            kickoff = active[0] + timedelta(days=rng.randint(2, 20))
            if rng.random() < 0.85:
                tier = "Enterprise" if enterprise else "Standard"
                order(c, kickoff, f"Onboarding Package - {tier}")
            if rng.random() < (0.45 if enterprise else 0.2):
                order(c, kickoff + timedelta(days=rng.randint(0, 10)), "Data Migration")
        support = rng.random() < (0.35 if enterprise else 0.12)
        for m in active:
            if support and m.month == c.anniversary_month:
                order(c, random_day_in(rng, m, 0), "Premium Support (annual)")
            if rng.random() < (0.06 if enterprise else 0.035):
                order(c, random_day_in(rng, m, 0), "Training Session", rng.randint(1, 4))
            if rng.random() < (0.04 if enterprise else 0.02):
                order(c, random_day_in(rng, m, 0), "Custom Dashboard", rng.randint(1, 3))
            if plan_for(c.mrr) in ("Business", "Enterprise") and rng.random() < 0.12:
                order(c, month_end(m), "API Overage (1M calls)", rng.randint(1, 25))
    orders.sort(key=lambda o: (o.day, o.customer.company.id, o.product))
    for n, o in enumerate(orders, start=10001):
        prices, cost_share = PRODUCTS[o.product]
        o.id = f"SO-{n}"
        o.unit_price = float(prices[CURRENCY_COLUMN[o.customer.company.currency]])
        amount = o.quantity * o.unit_price
        o.cost = round(amount * cost_share * rng.uniform(0.85, 1.2), 2)
    return orders


# --------------------------------------------------------------------------- costs, targets, NPS


def bookings_by(deals: list[Deal], key) -> dict:
    """Won ACV in USD grouped by key(deal)."""
    out: dict = {}
    for d in deals:
        if d.won:
            k = key(d)
            out[k] = out.get(k, 0.0) + d.amount_usd
    return out


def make_costs(leads: list[Lead], deals: list[Deal]) -> list[list[str]]:
    rng = rng_for("costs")
    lead_count: dict[tuple[date, str], int] = {}
    for lead in leads:
        k = (date(lead.created.year, lead.created.month, 1), lead.source)
        lead_count[k] = lead_count.get(k, 0) + 1
    bookings = bookings_by(
        deals, lambda d: (date(d.close.year, d.close.month, 1), REP[d.owner].team)
    )
    referral = bookings_by(
        [d for d in deals if d.company.source == "Referral"],
        lambda d: date(d.close.year, d.close.month, 1),
    )
    cost_per_lead = {
        "Organic Search": 55,
        "Paid Search": 185,
        "Direct Traffic": 35,
        "Offline Sources": 340,
        "Social Media": 210,
    }
    rows = []
    for i, m in enumerate(MONTHS):
        days = workdays(m, month_end(m))
        for team in TEAMS:
            rep_months = sum(
                sum(REP[r.name].active_on(d) for d in days) / len(days)
                for r in REPS
                if r.team == team
            )
            salary = 9_200 if team == "Enterprise" else 7_400
            commission = 0.09 * bookings.get((m, team), 0.0)
            amount = rep_months * salary * (1 + 0.002 * i) + 13_500 + commission
            rows.append([m, "Sales", team, "", amount])
        for source in SOURCES:
            if source == "Referral":  # partner commissions on referred bookings
                amount = 1_500 + 0.1 * referral.get(m, 0.0)
            else:
                amount = lead_count.get((m, source), 0) * cost_per_lead[source]
                amount *= rng.uniform(0.85, 1.15)
            rows.append([m, "Marketing", "", source, amount])
        rows.append([m, "Marketing", "", "", 31_000 * (1 + 0.004 * i)])  # marketing team pay
        rows.append([m, "Other", "", "", 6_800 + rng.uniform(-400, 900)])  # CRM & sales tools
    return [
        [m.strftime("%Y-%m"), cat, team, src, f"{amount:.2f}"] for m, cat, team, src, amount in rows
    ]


def make_targets(deals: list[Deal]) -> list[list[str]]:
    rng = rng_for("targets")
    quarters = sorted({quarter_of(m) for m in MONTHS} | {"2026-Q4"})
    team_bookings = bookings_by(deals, lambda d: (quarter_of(d.close), REP[d.owner].team))
    total = bookings_by(deals, lambda d: quarter_of(d.close))
    full = [q for q in quarters if q != "2026-Q4"]
    rows = []
    for qi, q in enumerate(quarters):
        year, qn = int(q[:4]), int(q[-1])
        q_start = date(year, 3 * qn - 2, 1)
        q_days = workdays(q_start, month_end(add_months(q_start, 2)))
        for team in TEAMS:
            avg = sum(team_bookings.get((x, team), 0.0) for x in full) / len(full)
            reps_per_quarter = 4.0 if team == "Enterprise" else 3.9
            per_rep = avg / reps_per_quarter * (0.86 + 0.045 * qi)
            for r in REPS:
                if r.team != team:
                    continue
                share = sum(r.active_on(d) for d in q_days) / len(q_days)
                if share > 0:
                    rows.append([q, r.name, team, "quota", round(per_rep * share, -3)])
        if q == "2026-Q4":
            forecast = total["2026-Q3"] * 1.07
        else:
            forecast = total.get(q, 0.0) * rng.uniform(0.88, 1.12)
        rows.append([q, "", "", "forecast", round(forecast, -3)])
    return [[q, owner, team, metric, f"{amount:.0f}"] for q, owner, team, metric, amount in rows]


def make_nps(customers: list[Customer]) -> list[list[str]]:
    rng = rng_for("nps")
    happy = (2, 1, 1, 2, 2, 4, 6, 12, 19, 24, 27)
    unhappy = (8, 5, 6, 8, 8, 10, 12, 14, 12, 9, 8)
    answers = []
    for m in MONTHS:
        if m.month not in (3, 6, 9, 12):
            continue
        for c in customers:
            if not any(row[0] == m for row in c.rows) or rng.random() > 0.28:
                continue
            churns_soon = any(0 < month_index(x) - month_index(m) <= 6 for x in c.churned_in)
            score = rng.choices(range(11), weights=unhappy if churns_soon else happy)[0]
            day = m + timedelta(days=4 + int(rng.expovariate(1 / 4)) % 20)
            at = at_work_time(rng, day) + timedelta(seconds=rng.randint(0, 59))
            answers.append((at, c.company.id, score))
    answers.sort()
    return [[at.strftime("%Y-%m-%d %H:%M:%S"), cid, str(s)] for at, cid, s in answers]


# --------------------------------------------------------------------------- writing files


def fmt_dt(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def fmt_us_date(d: date | None) -> str:
    return f"{d.month}/{d.day}/{d.year}" if d else ""


def fmt_us_datetime(dt: datetime | None) -> str:
    if dt is None:
        return ""
    hour = dt.hour % 12 or 12
    return f"{fmt_us_date(dt.date())} {hour}:{dt.minute:02d} {'AM' if dt.hour < 12 else 'PM'}"


def fmt_money(x: float) -> str:
    return f"{x:.0f}" if x == int(x) else f"{x:.2f}"


def write_csv(name: str, header: list[str], rows: list[list], bom: bool = False) -> int:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if bom else "\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + buf.getvalue()
    (OUT / name).write_bytes(text.encode("utf-8"))
    return len(rows)


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
    *[
        f'Date entered "{STAGE_LABELS[s]} (Sales Pipeline)"'
        for s in (*STAGES, "closedwon", "closedlost")
    ],
]


def deal_row(d: Deal) -> list[str]:
    close = d.close or d.planned_close  # HubSpot shows the expected close date on open deals
    return [
        d.id,
        d.name,
        d.stage,
        "Sales Pipeline",
        fmt_money(d.amount),
        d.currency,
        fmt_dt(d.created),
        fmt_dt(close),
        owner_of_record(d.owner, d.close and d.close.date()),
        d.deal_type,
        PROBABILITY[d.stage],
        d.company.source,
        d.lost_reason,
        fmt_dt(d.modified),
        d.company.id,
        d.company.lead_id,
        *[fmt_dt(d.entered.get(s)) for s in (*STAGES, "closedwon", "closedlost")],
    ]


def write_deals(deals: list[Deal]) -> dict:
    """deals.csv with its warts: 5 rows without a Create Date, 3 rows exported twice."""
    rng = rng_for("deal-warts")
    rows = [deal_row(d) for d in deals]
    closed_lost = [i for i, d in enumerate(deals) if d.lost]
    blank_create = sorted(rng.sample(closed_lost, 5))
    for i in blank_create:
        rows[i][6] = ""
    others = [i for i in range(len(deals)) if i not in blank_create and deals[i].close]
    twice = sorted(rng.sample(others, 3))
    for i in twice:  # the export was re-run and appended: same row, later Last Modified Date
        again = list(rows[i])
        later = deals[i].modified + timedelta(days=rng.randint(1, 9), minutes=rng.randint(1, 600))
        again[13] = fmt_dt(min(later, END_DT))
        rows.append(again)
    write_csv("deals.csv", DEAL_HEADER, rows, bom=True)
    return {
        "blank_create": [deals[i].id for i in blank_create],
        "duplicated": [deals[i].id for i in twice],
        "rows": len(rows),
    }


def write_orders_xlsx(orders: list[Order]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Orders"
    ws.append(["Northwind Analytics — Orders export"])
    ws.append(["Generated 2026-11-01"])
    ws["A1"].font = Font(bold=True, size=14)
    header = [
        "Order ID",
        "Customer ID",
        "Order Date",
        "Product",
        "Quantity",
        "Unit Price",
        "Amount",
        "Cost",
        "Currency",
    ]
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for o in orders:
        amount = o.quantity * o.unit_price
        ws.append(
            [
                o.id,
                o.customer.company.id,
                o.day,
                o.product,
                o.quantity,
                o.unit_price,
                amount,
                o.cost,
                o.customer.company.currency,
            ]
        )
    for row in ws.iter_rows(min_row=4):
        row[2].number_format = "yyyy-mm-dd"
        for cell in row[5:8]:
            cell.number_format = "#,##0.00"
    for col, width in zip("ABCDEFGHI", (11, 13, 12, 32, 9, 11, 12, 12, 9), strict=True):
        ws.column_dimensions[col].width = width
    fixed = datetime(2026, 11, 1, 6, 0)
    wb.properties.creator = "Northwind Analytics ERP"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()  # not wb.save(): that stamps "modified" with now
    # rewrite the zip with fixed entry timestamps so that every run writes the same bytes
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    (OUT / "orders.xlsx").write_bytes(out.getvalue())


# --------------------------------------------------------------------------- main


SNAPSHOT_AT = datetime(2026, 10, 1)  # the deals export a month earlier, for `salesmetrics diff`


def write_deals_snapshot(deals: list[Deal]) -> dict:
    """snapshots/deals-2026-09-30.csv: the deals export as it stood when September ended, for
    `salesmetrics diff`. Each deal is shown as it was then: its stage, the stage dates reached,
    the close date planned then. Some deals were re-priced in October (their old amount
    differs), some had an earlier planned close (they slipped), and a few open deals were
    deleted in October (they are only in this export)."""
    rng = rng_for("deals-snapshot")
    rows, repriced, slipped = [], 0, 0
    for d in deals:
        if d.created >= SNAPSHOT_AT:
            continue
        entered = {s: t for s, t in d.entered.items() if t < SNAPSHOT_AT}
        stage = max(entered, key=lambda s: entered[s]) if entered else STAGES[d.first_stage]
        closed = d.close if d.close is not None and d.close < SNAPSHOT_AT else None
        amount, close = d.amount, closed or d.planned_close
        if closed is None and rng.random() < 0.15:
            amount = round(amount * rng.choice((0.8, 0.9, 1.1, 1.25)), 2)
            repriced += 1
        later = closed is None and (d.close or d.planned_close) >= datetime(2026, 11, 1)
        if later and rng.random() < 0.3:  # planned for October then, later now
            close = datetime(2026, 10, rng.randint(5, 30), 17, 0)
            slipped += 1
        was = Deal(**{**d.__dict__, "entered": entered, "stage": stage, "close": closed})
        was.amount, was.modified = amount, min(d.modified, SNAPSHOT_AT - timedelta(minutes=1))
        row = deal_row(was)
        row[7] = fmt_dt(close)
        rows.append(row)
    open_then = [r for r in rows if r[2] in STAGES]
    deleted = []
    for n, row in enumerate(rng.sample(open_then, 4)):
        gone = list(row)
        gone[0] = str(14_299_990_001 + n)
        gone[1] = row[1].replace(" - ", " - Duplicate of ", 1)
        deleted.append(gone[0])
        rows.append(gone)
    (OUT / "snapshots").mkdir(exist_ok=True)
    write_csv("snapshots/deals-2026-09-30.csv", DEAL_HEADER, rows, bom=True)
    return {"rows": len(rows), "repriced": repriced, "slipped": slipped, "deleted": deleted}


def main() -> None:
    names = CompanyNames(rng_for("company-names"))
    leads = make_leads(names)

    rng = rng_for("deals")
    deals = [new_business_deal(rng, lead) for lead in leads if lead.converted]
    deals += migrated_deals(names)

    customers = make_existing_customers(names)
    for deal in list(deals):
        if deal.won and billing_start(deal.end) <= MONTHS[-1]:
            acv_usd = deal.amount_usd
            customers.append(
                Customer(
                    company=deal.company,
                    owner=deal.owner,
                    mrr=round(acv_usd / 12, 2),
                    anniversary_month=billing_start(deal.end).month,
                    first_month=billing_start(deal.end),
                    new=True,
                )
            )
    rng = rng_for("customers")
    for c in customers:
        simulate_customer(rng, c, deals)
    customers = [c for c in customers if c.rows]

    # IDs: deals numbered in order of creation, companies when they first matter
    deals.sort(key=lambda d: (d.created, d.company.name))
    ids = IdCounter(rng_for("ids"), 14_203_118_000, 40_000, 900_000)
    company_ids = IdCounter(rng_for("company-ids"), 9_011_204_000, 1, 60_000)
    for c in customers:
        if not c.new:
            c.company.id = str(company_ids.next())
    for d in deals:
        d.id = str(ids.next())
        if not d.company.id:
            d.company.id = str(company_ids.next())
    add_addon_plans(customers)
    customers.sort(key=lambda c: c.company.id)

    counts = {}
    warts = write_deals(deals)
    counts["deals.csv"] = warts["rows"]
    snapshot = write_deals_snapshot(deals)
    counts["snapshots/deals-2026-09-30.csv"] = snapshot["rows"]
    counts["leads.csv"] = write_csv(
        "leads.csv",
        [
            "Lead ID",
            "Created Date",
            "Lead Source",
            "Lead Owner",
            "Lead Status",
            "Rating",
            "MQL Date",
            "SQL Date",
            "Converted Date",
            "Converted",
            "First Response",
            "Company",
        ],
        [
            [
                lead.id,
                fmt_us_datetime(lead.created),
                SOURCES[lead.source],
                owner_of_record(
                    lead.owner,
                    lead.converted
                    or (
                        lead.created.date() + timedelta(30)
                        if lead.status == "Closed - Not Converted"
                        else None
                    ),
                ),
                lead.status,
                lead.rating,
                fmt_us_date(lead.mql),
                fmt_us_date(lead.sql),
                fmt_us_date(lead.converted),
                "1" if lead.converted else "0",
                fmt_us_datetime(lead.first_response),
                lead.company.name,
            ]
            for lead in leads
        ],
    )

    activities = make_activities(leads, deals)
    counts["activities.csv"] = write_csv(
        "activities.csv",
        [
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
        ],
        [
            [
                f"A{n:07d}",
                a.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                a.type,
                a.direction,
                a.owner,
                a.lead_id,
                a.deal_id,
                a.opened,
                a.replied,
                a.bounced,
                "" if a.duration is None else str(a.duration),
                a.outcome,
            ]
            for n, a in enumerate(activities, start=1)
        ],
    )

    counts["subscriptions.csv"] = write_csv(
        "subscriptions.csv",
        ["Customer ID", "Month", "MRR", "Plan"],
        [
            [c.company.id, m.strftime("%Y-%m"), f"{mrr:.2f}", plan]
            for c in customers
            for m, plan, mrr in c.rows
        ],
    )

    orders = make_orders(customers)
    write_orders_xlsx(orders)
    counts["orders.xlsx"] = len(orders)

    counts["costs.csv"] = write_csv(
        "costs.csv", ["Month", "Category", "Team", "Source", "Amount"], make_costs(leads, deals)
    )
    counts["targets.csv"] = write_csv(
        "targets.csv", ["Period", "Owner", "Team", "Metric", "Amount"], make_targets(deals)
    )
    counts["nps.csv"] = write_csv(
        "nps.csv", ["Responded At", "Customer ID", "Score"], make_nps(customers)
    )
    counts["reps.csv"] = write_csv(
        "reps.csv",
        ["Rep", "Team", "Manager", "Start Date", "End Date"],
        [
            [
                r.name,
                r.team,
                r.manager,
                r.started.isoformat(),
                r.ended.isoformat() if r.ended else "",
            ]
            for r in REPS
        ],
    )

    for name, n in counts.items():
        print(f"{name:18} {n:>6} rows")
    print(f"deals.csv: blank Create Date on {', '.join(warts['blank_create'])}")
    print(f"deals.csv: exported twice: {', '.join(warts['duplicated'])}")
    print(
        f"snapshots/deals-2026-09-30.csv: {snapshot['repriced']} re-priced and "
        f"{snapshot['slipped']} slipped since; deleted in October: {', '.join(snapshot['deleted'])}"
    )


if __name__ == "__main__":
    main()
