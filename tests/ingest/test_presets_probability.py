"""Default stage probabilities of the Zoho and Pipedrive presets: a deal's blank probability is
taken from its stage's CRM default, after the deal's own and the config's stage_probabilities.

Each book is a small export in the CRM's own headers; every weighted pipeline is worked out by
hand in the test.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from salesmetrics.engine import compute
from salesmetrics.ingest import load_input
from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.quality import ValueCount
from salesmetrics.kpis.base import Settings
from salesmetrics.periods import resolve_period

AS_OF = date(2026, 4, 1)
MARCH = resolve_period("2026-03", AS_OF)

ZOHO_HEADER = (
    '"Record Id","Deal Owner","Amount","Deal Name","Closing Date","Stage","Probability (%)",'
    '"Created Time","Modified Time","Currency"'
)
ZOHO_ROWS = [
    '"zcrm_1","Ana Lopez","10000","Z1","2026-05-31","Qualification","","2026-01-05 09:00:00",'
    '"2026-01-05 09:00:00","USD"',
    '"zcrm_2","Ana Lopez","5000","Z2","2026-05-31","Needs Analysis","35","2026-01-12 09:00:00",'
    '"2026-02-01 09:00:00","USD"',
    '"zcrm_3","Ben Okafor","8000","Z3","2026-04-30","Proposal/Price Quote","",'
    '"2026-02-02 09:00:00","2026-03-01 09:00:00","USD"',
    '"zcrm_5","Ben Okafor","20000","Z5","2026-03-10","Closed Won","100","2026-01-20 09:00:00",'
    '"2026-03-10 09:00:00","USD"',
    '"zcrm_6","Cara Diaz","4000","Z6","2026-04-15","Negotiation/Review","",'
    '"2026-02-10 09:00:00","2026-03-02 09:00:00","USD"',
]
PILOT = (
    '"zcrm_4","Cara Diaz","2000","Z4","2026-06-30","Pilot Running","","2026-02-20 09:00:00",'
    '"2026-02-20 09:00:00","USD"'
)

PIPEDRIVE_HEADER = (
    "Deal - ID,Deal - Title,Deal - Owner,Deal - Value,Deal - Currency,Deal - Probability,"
    "Deal - Pipeline,Deal - Stage,Deal - Status,Deal - Deal created,Deal - Won time,"
    "Deal - Deal closed on"
)
PIPEDRIVE_ROWS = [
    "1,P1,Ana Lopez,1000,EUR,,Pipeline,Lead In,open,2026-01-10 09:00:00,,",
    "2,P2,Ana Lopez,3000,EUR,40,Pipeline,Proposal Made,open,2026-02-01 09:00:00,,",
    "4,P4,Ben Okafor,7000,EUR,,Pipeline,Negotiations Started,won,2026-01-15 09:00:00,"
    "2026-03-05 10:00:00,2026-03-05 10:00:00",
]
PIPEDRIVE_PILOT = "3,P3,Ben Okafor,2000,EUR,,Pipeline,Pilot Running,open,2026-02-15 09:00:00,,"


def write(tmp_path: Path, name: str, header: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def mapping(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def values(loaded: LoadedInput, field: str) -> list:
    return [None if pd.isna(v) else v for v in loaded.frame[field].tolist()]


def weighted(loaded: LoadedInput, **chances: float):
    report = compute(
        {"deals": loaded.frame},
        period=MARCH,
        as_of=AS_OF,
        kpis=["weighted_pipeline"],
        settings=Settings(stage_probabilities=chances),
    )
    return report.value("weighted_pipeline")


def test_zoho_blank_probability_takes_its_stages_default(tmp_path):
    loaded = load_input(write(tmp_path, "deals.csv", ZOHO_HEADER, ZOHO_ROWS), "zoho_deals")
    assert values(loaded, "probability") == [None, 0.35, None, 1.0, None]
    # Zoho's defaults: Qualification 10, Needs Analysis 20, Proposal/Price Quote 75,
    # Closed Won 100, Negotiation/Review 90
    assert values(loaded, "stage_probability") == [0.1, 0.2, 0.75, 1.0, 0.9]
    assert loaded.quality.defaulted == ()
    found = weighted(loaded)
    # open at the end of March: Z1 10000 x 0.1 (its stage's) = 1000, Z2 5000 x its own
    # 0.35 = 1750, Z3 8000 x 0.75 = 6000, Z6 4000 x 0.9 = 3600; Z5 was won on 10 March
    assert (found.value, found.note) == (pytest.approx(12350.0), None)


def test_zoho_config_stage_probabilities_come_before_the_presets_defaults(tmp_path):
    loaded = load_input(write(tmp_path, "deals.csv", ZOHO_HEADER, ZOHO_ROWS), "zoho_deals")
    found = weighted(loaded, qualification=0.25)
    # Z1 (Qualification) 10000 x the config's 0.25 = 2500; Z2 (Needs Analysis, also
    # qualification) keeps its own 0.35: 1750; Z3 6000 and Z6 3600 take their stages' defaults
    assert found.value == pytest.approx(2500 + 1750 + 6000 + 3600)


def test_zoho_extends_file_sets_its_own_stages_defaults(tmp_path):
    deals = write(tmp_path, "deals.csv", ZOHO_HEADER, [*ZOHO_ROWS, PILOT])
    own = mapping(
        tmp_path,
        "extends: zoho_deals\n"
        "values:\n"
        "  stage: {map: {Pilot Running: demo}}\n"
        "  stage_probability: {map: {Pilot Running: 50, Proposal/Price Quote: 60}}\n",
    )
    loaded = load_input(deals, own)
    assert values(loaded, "stage_probability") == [0.1, 0.2, 0.6, 1.0, 0.9, 0.5]
    found = weighted(loaded)
    # Z1 1000, Z2 1750, Z3 8000 x 0.6 = 4800, Z6 3600, Z4 2000 x 0.5 = 1000
    assert found.value == pytest.approx(1000 + 1750 + 4800 + 3600 + 1000)


def test_zoho_custom_stage_has_no_default_and_validate_says_so(tmp_path):
    deals = write(tmp_path, "deals.csv", ZOHO_HEADER, [*ZOHO_ROWS, PILOT])
    own = mapping(tmp_path, "extends: zoho_deals\nvalues:\n  stage: {map: {Pilot Running: demo}}\n")
    loaded = load_input(deals, own)
    assert values(loaded, "stage_probability")[5] is None
    assert loaded.quality.defaulted == (ValueCount("stage_probability", "Pilot Running", 1),)
    found = weighted(loaded)
    assert (found.value, found.note) == (
        pytest.approx(12350.0),
        "1 open deals without a probability left out",
    )


def test_pipedrive_stages_weigh_100_percent_as_in_pipedrive(tmp_path):
    deals = write(tmp_path, "deals.csv", PIPEDRIVE_HEADER, PIPEDRIVE_ROWS)
    loaded = load_input(deals, "pipedrive_deals")
    assert values(loaded, "probability") == [None, 0.4, None]
    assert values(loaded, "stage_probability") == [1.0, 1.0, 1.0]
    # P1 1000 x 1.0 (no probability of its own: its stage's 100 %) + P2 3000 x its own 0.4;
    # P4 was won on 5 March
    assert weighted(loaded).value == pytest.approx(1000 + 1200)
    # the report config's odds for a stage come first: P1 in prospecting 1000 x 0.1
    assert weighted(loaded, prospecting=0.1).value == pytest.approx(100 + 1200)


def test_pipedrive_stage_of_your_own_is_100_percent_too(tmp_path):
    deals = write(tmp_path, "deals.csv", PIPEDRIVE_HEADER, [*PIPEDRIVE_ROWS, PIPEDRIVE_PILOT])
    own = mapping(
        tmp_path, "extends: pipedrive_deals\nvalues:\n  stage: {map: {Pilot Running: demo}}\n"
    )
    loaded = load_input(deals, own)
    assert values(loaded, "stage_probability") == [1.0, 1.0, 1.0, 1.0]
    assert loaded.quality.defaulted == (ValueCount("stage_probability", "Pilot Running", 1),)
    # P1 1000 + P2 1200 + P3 2000 x 1.0
    assert weighted(loaded).value == pytest.approx(4200.0)
