"""Stage history joined to the deals: first entries, blanks filled, unmatched rows counted.

The CRM fixtures in tests/fixtures/crm/ are written by make_history.py beside them, which lists
each book's stage paths; the dates expected here are read off those paths.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from salesmetrics.config import AUTO_MAPPING, InputSpec
from salesmetrics.ingest import load_input
from salesmetrics.ingest.detect import MARGIN, candidates, recognise, score_file
from salesmetrics.ingest.history import (
    NO_DEALS,
    NO_IDS,
    NO_SUCH_DEAL,
    fill_entered,
    first_entries,
    join_history,
)
from salesmetrics.ingest.load import LoadedInput
from salesmetrics.ingest.mapping import load_mapping
from salesmetrics.pipeline import frames_of, load_inputs
from tests.conftest import FIXTURES

CRM = FIXTURES / "crm"
ZOHO = ("zoho_history_deals.csv", "zoho_stage_history.csv")
SALESFORCE = ("salesforce_history_opportunities.csv", "salesforce_opportunity_history.csv")
FIELD_HISTORY = ("salesforce_history_opportunities.csv", "salesforce_opportunity_field_history.csv")
STAGES = ("prospecting", "qualification", "demo", "proposal", "negotiation", "won", "lost")
TIMESTAMP = "timestamp[us][pyarrow]"


def loaded(*files: str) -> list[LoadedInput]:
    """The files recognised with no mapping, loaded and joined as a report loads them."""
    return load_inputs([InputSpec(str(CRM / f), AUTO_MAPPING, None) for f in files])


def entered(deals: pd.DataFrame) -> dict[str, dict[str, str]]:
    """deal_id -> {stage: entered date as ISO text}, blanks left out."""
    result: dict[str, dict[str, str]] = {}
    for stage in STAGES:
        column = f"entered_{stage}"
        if column not in deals.columns:
            continue
        for deal, when in zip(deals["deal_id"], deals[column], strict=True):
            if not pd.isna(when):
                result.setdefault(deal, {})[stage] = when.isoformat(sep=" ")
    return result


def texts(values) -> list[str | None]:
    """Timestamps as ISO text, None for blank."""
    return [None if pd.isna(v) else pd.Timestamp(v).isoformat(sep=" ") for v in values]


def stamps(values: list[str | None]) -> pd.Series:
    return pd.Series(pd.to_datetime(values)).astype(TIMESTAMP)


def history(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    deal, stage, changed = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "deal_id": pd.Series(deal, dtype="string[pyarrow]"),
            "stage": pd.Series(stage, dtype="string[pyarrow]"),
            "changed_at": stamps(list(changed)),
        }
    )


# ------------------------------------------------------------------------- the join itself


def test_a_deal_keeps_the_date_it_first_entered_each_stage():
    # D1 went qualification -> demo -> back to qualification -> demo -> proposal
    rows = [
        ("D1", "qualification", "2025-01-13 12:00"),
        ("D1", "demo", "2025-01-17 12:00"),
        ("D1", "qualification", "2025-01-24 12:00"),
        ("D1", "demo", "2025-01-31 12:00"),
        ("D1", "proposal", "2025-02-14 12:00"),
        ("D2", "won", "2025-03-01 09:00"),  # listed before its earlier row: order is no matter
        ("D2", "demo", "2025-02-01 09:00"),
    ]
    wide = first_entries(history(rows))
    assert list(wide.columns) == ["qualification", "demo", "proposal", "won"]  # funnel order
    assert texts(wide.loc["D1"]) == [
        "2025-01-13 12:00:00",
        "2025-01-17 12:00:00",
        "2025-02-14 12:00:00",
        None,
    ]
    assert wide.loc["D2", "demo"] == pd.Timestamp("2025-02-01 09:00")


def test_history_fills_only_the_blanks_of_the_deals_own_dates():
    deals = pd.DataFrame(
        {
            "deal_id": pd.Series(["D1", "D2", "D3"], dtype="string[pyarrow]"),
            "entered_demo": stamps(["2025-01-05", None, None]),  # D1's own date wins
        }
    )
    wide = first_entries(
        history(
            [
                ("D1", "demo", "2025-01-20"),
                ("D2", "demo", "2025-01-21"),
                ("D2", "proposal", "2025-02-01"),
                ("D9", "demo", "2025-01-22"),  # a deal not among these deals
            ]
        )
    )
    filled = fill_entered(deals, wide)
    assert texts(filled["entered_demo"]) == ["2025-01-05 00:00:00", "2025-01-21 00:00:00", None]
    assert texts(filled["entered_proposal"]) == [None, "2025-02-01 00:00:00", None]
    assert str(filled["entered_proposal"].dtype) == TIMESTAMP
    assert fill_entered(deals.drop(columns="deal_id"), wide).equals(deals.drop(columns="deal_id"))


# --------------------------------------------------------------------- the CRM fixtures


@pytest.mark.parametrize(
    ("file", "preset"),
    [
        ("zoho_history_deals.csv", "zoho_deals"),
        ("zoho_stage_history.csv", "zoho_stage_history"),
        ("salesforce_history_opportunities.csv", "salesforce_opportunities"),
        ("salesforce_opportunity_history.csv", "salesforce_opportunity_history"),
        ("salesforce_opportunity_field_history.csv", "salesforce_opportunity_field_history"),
    ],
)
def test_each_export_is_recognised_as_its_preset_with_no_mapping(file, preset):
    pool = candidates()
    found = recognise(str(CRM / file), pool)
    assert found.name == preset
    # neither kind steals the other's files: a mapping of the other kind that could read the
    # file (a deals preset reads a stage column; deals need no more) is never near enough to
    # tie, so the choice is never ambiguous nor settled by a signature
    is_history = load_mapping(preset).entity.name == "stage_history"
    for s in score_file(str(CRM / file), pool):
        if s.loadable and (s.candidate.mapping.entity.name == "stage_history") != is_history:
            assert s.value < found.chosen.value - MARGIN, s.summary()


def test_crm_preset_fixtures_are_not_taken_for_stage_history():
    pool = candidates()
    history_presets = [c for c in pool if c.mapping.entity.name == "stage_history"]
    for path in sorted((FIXTURES / "presets").glob("*.csv")):
        for s in score_file(str(path), history_presets):
            assert not s.loadable, (path.name, s.summary())


def test_zoho_stage_history_joined_into_entered_dates():
    deals, stage_history = loaded(*ZOHO)
    assert (deals.mapping.name, stage_history.mapping.name) == ("zoho_deals", "zoho_stage_history")
    d = "zcrm_57257670000004000{}"
    assert entered(deals.frame) == {
        d.format("01"): {
            "qualification": "2025-01-06 09:00:00",
            "demo": "2025-01-10 09:00:00",  # Value Proposition
            "proposal": "2025-01-20 09:00:00",
            "negotiation": "2025-02-03 09:00:00",
            "won": "2025-02-10 09:00:00",
        },
        d.format("02"): {
            "qualification": "2025-01-08 09:00:00",
            "demo": "2025-01-15 09:00:00",
            "lost": "2025-02-05 09:00:00",
        },
        d.format("03"): {  # sent back to Qualification on 01-24: the first entries stand
            "qualification": "2025-01-13 12:00:00",
            "demo": "2025-01-17 12:00:00",
            "proposal": "2025-02-14 12:00:00",
            "won": "2025-02-28 12:00:00",
        },
        d.format("04"): {  # Identify Decision Makers is demo too
            "qualification": "2025-02-03 09:00:00",
            "demo": "2025-02-10 09:00:00",
        },
        d.format("05"): {  # Closed Lost to Competition is lost
            "qualification": "2025-02-05 09:00:00",
            "proposal": "2025-02-12 09:00:00",
            "lost": "2025-03-05 09:00:00",
        },
        d.format("06"): {"qualification": "2025-02-17 09:00:00"},  # Needs Analysis
    }
    frame = stage_history.frame
    assert frame["stage_raw"].iloc[1] == "Value Proposition" and frame["stage"].iloc[1] == "demo"
    assert frame["duration_days"].head(5).fillna(-1).tolist() == [4, 10, 14, 7, -1]  # -1: blank
    assert frame["changed_by"].iloc[0] == "Ana Lopez"


def test_zoho_ids_join_with_or_without_the_zcrm_prefix(tmp_path):
    # a list-view deals export writes 57257670000004000NN, the data backup zcrm_57257670000004000NN
    text = (CRM / ZOHO[0]).read_text(encoding="utf-8-sig").replace("zcrm_", "")
    (tmp_path / "deals.csv").write_text(text, encoding="utf-8")
    specs = [
        InputSpec(str(tmp_path / "deals.csv"), "zoho_deals", None),
        InputSpec(str(CRM / ZOHO[1]), "zoho_stage_history", None),
    ]
    deals, stage_history = load_inputs(specs)
    assert stage_history.quality.rows_unmatched == 2  # only the two rows of the absent deal
    won = entered(deals.frame)["57257670000004000" + "01"]
    assert won["qualification"] == "2025-01-06 09:00:00" and won["won"] == "2025-02-10 09:00:00"


def test_an_orphan_history_row_is_counted_and_named_not_dropped():
    _, stage_history = loaded(*ZOHO)
    q = stage_history.quality
    # 22 rows: 20 of the six deals, 2 of zcrm_...400099, a deal the deals export lacks
    assert (q.rows_read, q.rows_used, q.rows_unmatched, q.rows_rejected) == (22, 20, 2, 0)
    (reason,) = q.unmatched
    assert reason.reason == f"{NO_SUCH_DEAL} (1 deal)"
    assert [(e.row, e.value) for e in reason.examples] == [
        (22, "zcrm_5725767000000400099"),
        (23, "zcrm_5725767000000400099"),
    ]
    assert len(stage_history.frame) == q.rows_used  # the frame holds the joined rows only
    assert q.to_dict()["rows_unmatched"] == 2


def test_salesforce_opportunity_history_joined_amount_changes_and_footer_aside():
    deals, stage_history = loaded(*SALESFORCE)
    assert stage_history.mapping.name == "salesforce_opportunity_history"
    q = stage_history.quality
    assert (q.rows_read, q.rows_used, q.rows_unmatched, q.footer_lines_dropped) == (24, 22, 2, 5)
    assert q.unmatched[0].reason == f"{NO_SUCH_DEAL} (1 deal)"
    o = "0065g00000AbX0{}"
    assert entered(deals.frame) == {
        o.format(1): {  # the amount change of 1/23 repeats Value Proposition: no new entry
            "prospecting": "2025-01-06 00:00:00",
            "qualification": "2025-01-09 00:00:00",
            "demo": "2025-01-16 00:00:00",
            "proposal": "2025-02-03 00:00:00",
            "negotiation": "2025-02-17 00:00:00",
            "won": "2025-03-03 00:00:00",
        },
        o.format(2): {
            "prospecting": "2025-01-13 00:00:00",
            "qualification": "2025-01-20 00:00:00",
            "lost": "2025-02-10 00:00:00",
        },
        o.format(3): {  # back to Id. Decision Makers on 2/12, proposal again on 2/19
            "prospecting": "2025-01-15 00:00:00",
            "demo": "2025-01-22 00:00:00",
            "proposal": "2025-02-05 00:00:00",
            "won": "2025-03-12 00:00:00",
        },
        o.format(4): {"qualification": "2025-02-03 00:00:00", "demo": "2025-02-24 00:00:00"},
        o.format(5): {
            "prospecting": "2025-02-04 00:00:00",
            "negotiation": "2025-02-14 00:00:00",
            "lost": "2025-03-14 00:00:00",
        },
        o.format(6): {"prospecting": "2025-03-03 00:00:00"},
    }
    first = stage_history.frame.iloc[1]
    assert (first["from_stage"], first["stage_raw"], first["stage"]) == (
        "Prospecting",
        "Qualification",
        "qualification",
    )


def test_salesforce_field_history_reads_only_the_stage_rows():
    deals, stage_history = loaded(*FIELD_HISTORY)
    q = stage_history.quality
    # 25 rows: 7 Created., 1 Amount and 1 Close Date change filtered; 16 Stage rows, one of
    # them of the deal the opportunity report lacks. An amount ("$24,000.00") in New Value
    # needs no stage mapping: its row is filtered first.
    assert (q.rows_read, q.rows_filtered, q.rows_used, q.rows_unmatched) == (25, 9, 15, 1)
    assert [(r.reason, r.count) for r in q.filtered] == [("not a stage change", 9)]
    got = entered(deals.frame)
    assert got["0065g00000AbX01"] == {  # no creation row: prospecting stays blank
        "qualification": "2025-01-09 10:15:00",
        "demo": "2025-01-16 11:30:00",
        "proposal": "2025-02-03 10:00:00",
        "negotiation": "2025-02-17 11:15:00",
        "won": "2025-03-03 09:30:00",
    }
    assert got["0065g00000AbX04"] == {"demo": "2025-02-24 10:15:00"}
    assert "0065g00000AbX06" not in got  # created, never moved


def test_a_stage_history_alone_joins_nothing_and_says_why():
    (stage_history,) = loaded("zoho_stage_history.csv")
    q = stage_history.quality
    assert (q.rows_used, q.rows_unmatched) == (0, 22)
    assert q.unmatched[0].reason == f"{NO_DEALS} (7 deals)"
    assert set(frames_of([stage_history])) == {"stage_history"}


def test_deals_without_an_id_column_cannot_be_joined():
    deals = load_input(CRM / ZOHO[0], "zoho_deals")
    stage_history = load_input(CRM / ZOHO[1], "zoho_stage_history")
    no_ids = replace(deals, frame=deals.frame.drop(columns="deal_id"))
    joined_deals, joined = join_history([no_ids, stage_history])
    assert joined.quality.rows_unmatched == 22
    assert joined.quality.unmatched[0].reason == f"{NO_IDS} (7 deals)"
    assert joined_deals.frame.equals(no_ids.frame)


def test_joining_again_changes_nothing_and_other_inputs_pass_unchanged():
    first = loaded(*ZOHO)
    again = join_history(first)
    assert again[0].frame.equals(first[0].frame)
    assert again[1].quality == first[1].quality
    deals = load_input(CRM / ZOHO[0], "zoho_deals")
    assert join_history([deals]) == [deals]


def test_several_deals_inputs_and_histories_join_across_each_other():
    # the Zoho history with both books' deals: the Salesforce deals gain nothing, the Zoho
    # ones their dates, and the Salesforce history joins its own deals only
    inputs = loaded(ZOHO[0], SALESFORCE[0], ZOHO[1], SALESFORCE[1])
    zoho_deals, salesforce_deals, zoho_history, salesforce_history = inputs
    assert zoho_deals.frame["entered_won"].notna().sum() == 2
    assert salesforce_deals.frame["entered_won"].notna().sum() == 2
    assert "entered_prospecting" not in zoho_deals.frame.columns  # Zoho has no such stage
    assert (zoho_history.quality.rows_unmatched, salesforce_history.quality.rows_unmatched) == (
        2,
        2,
    )
