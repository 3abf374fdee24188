"""Normalising: typed canonical frames, and an account of every row that is not used."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesmetrics.errors import InputError
from salesmetrics.ingest import load_input
from salesmetrics.ingest.normalise import _clean, looks_closed
from tests.conftest import FIXTURE_MAPPING, FIXTURES
from tests.ingest.workbooks import write_workbook


def load(name: str, mapping: str = FIXTURE_MAPPING, **kw):
    return load_input(FIXTURES / name, mapping, **kw)


def load_text(tmp_path: Path, csv: str, mapping: str, **kw):
    data = tmp_path / "data.csv"
    data.write_text(csv, encoding="utf-8")
    yaml_path = tmp_path / "mapping.yaml"
    yaml_path.write_text(mapping, encoding="utf-8")
    return load_input(data, str(yaml_path), **kw)


def test_plain_deals_are_typed_and_status_follows_stage():
    loaded = load("plain.csv")
    frame = loaded.frame
    assert frame["deal_id"].tolist() == ["D1", "D2", "D3"]
    assert frame["status"].tolist() == ["won", "lost", "open"]
    assert frame["stage"].tolist() == ["won", "lost", "demo"]
    assert frame["stage_raw"].tolist() == ["Won", "Lost", "Demo"]
    assert frame["amount"].tolist() == [1200.0, 800.0, 500.0]
    assert frame["created_at"].tolist()[0] == pd.Timestamp("2026-10-01")
    assert frame["_row"].tolist() == [2, 3, 4]
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (3, 3, 0)
    assert q.date_ranges[0].field == "created_at"


def test_european_file_reads_decimal_commas_and_day_first_dates():
    frame = load("semicolon_decimal_comma.csv").frame
    assert frame["amount"].tolist() == [1200.5, 800.25, 1234567.0]
    assert frame["created_at"].dt.day.tolist() == [1, 2, 13]
    assert frame["created_at"].dt.month.tolist() == [10, 10, 10]


def test_xlsx_dates_serials_and_numbers():
    frame = load("title_rows.xlsx").frame
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2026-10-01 09:30"),
        pd.Timestamp("2026-10-02"),
        pd.Timestamp("2026-10-03"),  # serial 46298
    ]
    assert frame["amount"].tolist() == [1200.0, 800.5, 500.0]


def test_bad_rows_are_rejected_with_reason_row_and_value():
    loaded = load("bad_rows.csv")
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (5, 2, 3)
    reasons = {r.reason: (r.count, [(e.row, e.value) for e in r.examples]) for r in q.rejected}
    assert reasons == {
        "deal_id: blank": (1, [(3, "")]),
        "created_at: cannot read the value": (1, [(4, "not a date")]),
        "closed_at: blank on a won or lost deal": (1, [(5, "won")]),
    }
    assert loaded.rejects["row"].tolist() == [3, 4, 5]
    assert loaded.rejects["reason"].tolist()[1] == "created_at: cannot read the value"


def test_rejects_keep_every_original_column_when_asked():
    loaded = load("bad_rows.csv", keep_all_columns=True)
    assert list(loaded.rejects.columns) == [
        "row",
        "reason",
        "Deal ID",
        "Created",
        "Stage",
        "Amount",
        "Owner",
        "Closed",
    ]
    assert loaded.rejects["Created"].tolist()[1] == "not a date"


def test_ragged_rows_count_as_rejected():
    q = load("ragged.csv").quality
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (4, 2, 2)
    assert [r.reason for r in q.rejected] == [
        "row has 4 fields, the header 6",
        "row has 7 fields, the header 6",
    ]


def test_duplicates_keep_the_last_row_in_the_file():
    loaded = load("duplicates.csv")
    assert loaded.quality.duplicates_dropped == 1
    assert loaded.frame["deal_id"].tolist() == ["D2", "D1", "D3"]
    assert loaded.frame.set_index("deal_id").loc["D1", "amount"] == 1500.0


def test_duplicates_keep_the_latest_modified(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Status,Closed,Modified\n"
        "D1,2026-01-01,won,2026-01-05,2026-02-01\n"
        "D1,2026-01-01,lost,2026-01-05,2026-01-15\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, status: Status, "
        "closed_at: Closed, modified_at: Modified}\ndedupe: {key: [deal_id]}\n",
    )
    assert loaded.frame["status"].tolist() == ["won"]
    assert loaded.quality.duplicates_dropped == 1


def test_money_forms_and_unreadable_optional_amount_is_reported_not_rejected():
    loaded = load("money_forms.csv")
    amounts = loaded.frame["amount"].tolist()
    assert amounts[:2] == [1234567.0, -1234.0]
    assert pd.isna(amounts[2]) and pd.isna(amounts[3])  # blank is missing, not zero
    currencies = loaded.frame["currency"].tolist()
    assert currencies[0] == "USD"  # from the $ sign, as the mapping maps no currency
    assert all(pd.isna(c) for c in currencies[1:])
    (unreadable,) = loaded.quality.unreadable
    assert (unreadable.count, unreadable.examples[0].row, unreadable.examples[0].value) == (
        1,
        5,
        "abc",
    )
    assert loaded.quality.rows_used == 4


def test_strict_makes_unmapped_stages_an_error_listing_each_with_its_count(tmp_path):
    with pytest.raises(InputError) as err:
        load_text(
            tmp_path,
            "ID,Created,Stage\nD1,2026-01-01,Pitch\nD2,2026-01-01,Pitch\nD3,2026-01-01,Trial\n",
            "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n",
            strict=True,
        )
    message = str(err.value)
    assert "2 value(s) of `stage` have no mapping: 'Pitch' (2 rows), 'Trial' (1 rows)" in message
    # the user's own file: the values block to add to it, no `extends:`
    assert message.endswith(
        ". Map each to one of prospecting, qualification, demo, proposal, negotiation, won, "
        f"lost under values.stage.map in {tmp_path / 'mapping.yaml'}, or set a default: "
        '{values: {stage: {map: {"Pitch": <stage>, "Trial": <stage>}}}}'
    )


UNPLACED_CSV = (
    "ID,Created,Stage,Closed\n"
    "D1,2026-01-01,Pitch,\n"
    "D2,2026-01-02,Won,2026-02-01\n"
    "D3,2026-01-03, pitch ,\n"
    "D4,2026-01-04,Trial,2026-03-01\n"
)
UNPLACED_MAPPING = (
    "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage, closed_at: Closed}\n"
    "values: {stage: {map: {Won: won}}}\n"
)


def test_unmapped_stages_are_open_deals_at_an_unknown_stage(tmp_path):
    loaded = load_text(tmp_path, UNPLACED_CSV, UNPLACED_MAPPING)
    frame = loaded.frame
    assert frame["deal_id"].tolist() == ["D1", "D2", "D3", "D4"]  # none rejected
    assert frame["stage"].tolist() == [pd.NA, "won", pd.NA, pd.NA]
    assert frame["stage_raw"].tolist() == ["Pitch", "Won", "pitch", "Trial"]
    assert frame["status"].tolist() == ["open", "won", "open", "open"]
    assert frame["closed_at"].isna().tolist() == [True, False, True, True]  # open: not closed
    q = loaded.quality
    assert [(u.field, u.value, u.count) for u in q.unplaced] == [
        ("stage", "Pitch", 2),  # as first written; ` pitch ` is the same value
        ("stage", "Trial", 1),
    ]
    assert q.placing_yaml == (
        f"# add to {tmp_path / 'mapping.yaml'}\n"
        "values:\n"
        "  stage:\n"
        "    map:  # each to prospecting, qualification, demo, proposal, negotiation, won or lost\n"
        '      "Pitch": <stage>  # 2 rows\n'
        '      "Trial": <stage>  # 1 rows\n'
    )
    assert q.to_dict()["unplaced"][0] == {"field": "stage", "value": "Pitch", "count": 2}


def test_the_placing_yaml_filled_in_places_the_values(tmp_path):
    q = load_text(tmp_path, UNPLACED_CSV, UNPLACED_MAPPING).quality
    assert q.placing_yaml is not None
    own = tmp_path / "mapping.yaml"
    added = q.placing_yaml.replace("<stage>", "demo", 1).replace("<stage>", "proposal")
    own.write_text(
        own.read_text(encoding="utf-8").replace("values: {stage: {map: {Won: won}}}\n", "")
        + added.replace('"Pitch"', 'Won: won\n      "Pitch"'),
        encoding="utf-8",
    )
    loaded = load_input(tmp_path / "data.csv", str(own))
    assert loaded.frame["stage"].tolist() == ["demo", "won", "demo", "proposal"]
    assert loaded.quality.unplaced == () and loaded.quality.placing_yaml is None


def test_a_status_column_still_closes_a_deal_at_an_unplaced_stage(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage,Status,Closed\n"
        "D1,2026-01-01,Pilot,lost,2026-02-01\n"
        "D2,2026-01-02,Pilot,,\n"
        "D3,2026-01-03,Demo,won,2026-02-03\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage, "
        "status: Status, closed_at: Closed}\nvalues: {stage: {map: {Demo: demo}}}\n",
    )
    assert loaded.frame["status"].tolist() == ["lost", "open", "won"]
    assert loaded.frame["stage"].tolist() == [pd.NA, pd.NA, "demo"]
    assert [(u.value, u.count) for u in loaded.quality.unplaced] == [("Pilot", 2)]


@pytest.mark.parametrize(
    "value",
    [
        "Closed Won",
        "closed - lost to competitor",
        "Deal won",  # "won" alone is canonical: it maps to itself
        "Fermée gagnée",
        "FERMEE PERDUE",
        "Clôturée/Gagnée",
        "Geschlossen und gewonnen",
        "Abgeschlossen",
        "Cerrada perdida",
        "Ganado",
        "Fechado ganho",
        "Chiusa persa",
        "Gesloten",
    ],
)
def test_unmapped_stages_that_look_closed_stay_an_error(tmp_path, value):
    with pytest.raises(InputError) as err:
        load_text(
            tmp_path,
            f"ID,Created,Stage\nD1,2026-01-01,{value}\nD2,2026-01-01,Pilot\n",
            "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n",
        )
    message = str(err.value)
    assert (
        f"1 value(s) of `stage` look closed (won or lost) but have no mapping: {value!r} (1 rows); "
        "unplaced, a closed deal would count as open. Map each to one of prospecting, "
    ) in message
    assert "Pilot" not in message  # an open-looking value waits to be placed


@pytest.mark.parametrize(
    "value",
    ["Pilot Running", "Legal Review", "Closing", "Ready to close", "Proposition/Devis", "Won't"],
)
def test_looks_closed_only_on_a_closing_word(value):
    assert looks_closed(value) is (value == "Won't")  # "won" is a word of "Won't"


def test_unmapped_text_values_say_how_to_rename_or_keep_them(tmp_path):
    with pytest.raises(InputError) as err:
        load_text(
            tmp_path,
            'ID,Created,Source\nD1,2026-01-01,Web\nD2,2026-01-01,"Fair ""2026"""\n',
            "entity: deals\nconstants: {status: open}\n"
            "columns: {deal_id: ID, created_at: Created, source: Source}\n"
            "values:\n  source:\n    map: {Web: Website}\n",
        )
    message = str(err.value)
    assert "1 value(s) of `source` have no mapping: 'Fair \"2026\"' (1 rows)" in message
    assert "Map each to the text to use (null for none) under values.source.map" in message
    assert message.endswith(
        'or set a default, or keep_unmapped: true: {values: {source: {map: {"Fair \\"2026\\"": '
        "<source>}}}}"
    )


def test_default_value_is_used_and_reported(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage\nD1,2026-01-01,Pitch\nD2,2026-01-01,Pitch\nD3,2026-01-01,demo\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n"
        "values:\n  stage:\n    map: {}\n    default: qualification\n",
    )
    assert loaded.frame["stage"].tolist() == ["qualification", "qualification", "demo"]
    (fell,) = loaded.quality.defaulted
    assert (fell.field, fell.value, fell.count) == ("stage", "Pitch", 2)


def test_a_file_without_what_identifies_the_entity_lists_close_matches(tmp_path):
    # a deal is known by its stage or its status: a file with neither is not deals
    with pytest.raises(InputError) as err:
        load_text(
            tmp_path,
            "Deal Id,Create Date,Deal Stage\nD1,2026-01-01,demo\n",
            "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created Date, "
            "stage: Stage, status: Won}\n",
        )
    message = str(err.value)
    assert "column for `stage` or `status` 'Stage' / 'Won'" in message
    assert "closest: 'Deal Stage'" in message
    assert "the file has: 'Deal Id', 'Create Date', 'Deal Stage'" in message


def test_a_deals_file_without_an_id_or_a_creation_date_loads(tmp_path):
    # the file lacks deal_id and created_at: every row is used, none is de-duplicated (D1
    # twice stays twice), and what the file lacks is named with the header that would give it
    loaded = load_text(
        tmp_path,
        "Stage,Amount\nwon,100\nopen,50\nopen,50\n",
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: [Created Date, Create Date], "
        "stage: Stage, amount: Amount}\nvalues: {stage: {map: {won: won, open: demo}}}\n"
        "dedupe: {key: [deal_id]}\n",
    )
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_rejected, q.duplicates_dropped) == (3, 3, 0, 0)
    assert (q.dedupe_key, q.dedupe_missing) == ((), ("deal_id (Deal ID)",))
    assert loaded.absent == {"deal_id": "Deal ID", "created_at": "Created Date"}
    assert {"deal_id", "created_at"}.isdisjoint(loaded.frame.columns)
    assert loaded.frame["status"].tolist() == ["won", "open", "open"]  # no close date: kept


def test_a_blank_value_of_a_column_the_file_has_still_rejects_its_row(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage\nD1,2026-01-01,demo\nD2,,demo\n,2026-01-03,demo\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n"
        "dedupe: {key: [deal_id]}\n",
    )
    assert {r.reason: r.count for r in loaded.quality.rejected} == {
        "created_at: blank": 1,
        "deal_id: blank": 1,
    }
    assert loaded.quality.dedupe_key == ("deal_id",)


def test_leads_are_known_by_a_creation_date_or_a_status(tmp_path):
    loaded = load_text(
        tmp_path,
        "Status,Owner\nNew,Ana\nWorking,Ben\n",
        "entity: leads\ncolumns: {lead_id: Lead ID, created_at: Created, status: Status, "
        "owner: Owner}\n",
    )
    assert loaded.quality.rows_used == 2
    assert loaded.absent == {"lead_id": "Lead ID", "created_at": "Created"}
    with pytest.raises(InputError, match="column for `created_at` or `status` 'Created' / "):
        load_text(
            tmp_path,
            "Owner\nAna\n",
            "entity: leads\ncolumns: {created_at: Created, status: Status, owner: Owner}\n",
        )


def test_header_matching_ignores_case_and_spaces(tmp_path):
    loaded = load_text(
        tmp_path,
        " deal id ,CREATED,stage\nD1,2026-01-01,Demo\n",
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage}\n",
    )
    assert loaded.frame["deal_id"].tolist() == ["D1"]


def test_missing_optional_and_unused_columns_are_reported(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage,Notes\nD1,2026-01-01,demo,hi\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage, "
        "owner: [Owner, Deal owner]}\n",
    )
    assert loaded.quality.missing_columns == ("owner (Owner / Deal owner)",)
    assert loaded.quality.unused_columns == ("Notes",)
    assert "owner" not in loaded.frame.columns


def test_deals_need_a_status_or_a_stage(tmp_path):
    with pytest.raises(InputError, match="gives no `stage` or `status` for deals; add one"):
        load_text(
            tmp_path,
            "ID,Created\nD1,2026-01-01\n",
            "entity: deals\ncolumns: {deal_id: ID, created_at: Created}\n",
        )


def test_filters_on_columns_and_fields_are_counted_apart_from_rejects(tmp_path):
    loaded = load_text(
        tmp_path,
        "InvoiceNo,Date,Qty,Price,Country\n"
        "536365,2010-12-01 08:26:00,6,2.55,United Kingdom\n"
        "C536379,2010-12-01 09:41:00,-1,27.50,United Kingdom\n"
        "536366,2010-12-01 08:28:00,6,1.85,France\n"
        "536367,,6,1.85,United Kingdom\n",
        """
entity: orders
columns: {order_id: InvoiceNo, ordered_at: Date, quantity: Qty, unit_price: Price, country: Country}
filters:
  - {column: InvoiceNo, starts_with: c, reason: cancellation}
  - {field: country, equals: france, reason: not our market}
""",
    )
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_filtered, q.rows_rejected) == (4, 1, 2, 1)
    assert {r.reason: r.count for r in q.filtered} == {"cancellation": 1, "not our market": 1}
    assert [(r.reason, r.examples[0].row) for r in q.rejected] == [("ordered_at: blank", 5)]
    assert loaded.frame["amount"].tolist() == [pytest.approx(6 * 2.55)]
    assert loaded.frame["country"].tolist() == ["United Kingdom"]


def test_derive_rules_from_flag_columns(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Closed,Is Won,Is Closed\n"
        "O1,2026-01-01,2026-02-01,true,true\n"
        "O2,2026-01-01,2026-02-01,false,true\n"
        "O3,2026-01-01,,false,false\n",
        """
entity: deals
columns: {deal_id: ID, created_at: Created, closed_at: Closed}
derive:
  status:
    - when: {column: Is Won, is: true}
      value: won
    - when: {column: Is Closed, is: true}
      value: lost
    - value: open
""",
    )
    assert loaded.frame["status"].tolist() == ["won", "lost", "open"]


def test_constant_date_and_first_of(tmp_path):
    loaded = load_text(
        tmp_path,
        "Lead,Converted,Converted On,Won On\nL1,1,,2026-03-04\nL2,0,,\nL3,yes,2026-02-01,2026-03-01\n",
        """
entity: leads
columns: {lead_id: Lead, converted: Converted, converted_on: Converted On, won_on: Won On}
constants: {created_at: "2026-01-01"}
derive:
  converted_at: {first_of: [converted_on, won_on]}
""",
    )
    frame = loaded.frame
    assert frame["created_at"].tolist() == [pd.Timestamp("2026-01-01")] * 3
    assert frame["converted"].tolist() == [True, False, True]
    assert frame["converted_at"].tolist()[0] == pd.Timestamp("2026-03-04")
    assert pd.isna(frame["converted_at"].tolist()[1])
    assert frame["converted_at"].tolist()[2] == pd.Timestamp("2026-02-01")


def test_activity_defaults_and_channel_map(tmp_path):
    loaded = load_text(
        tmp_path,
        "When,Type,Dir\n2026-01-01,Email,\n2026-01-02,LinkedIn,Inbound\n",
        "entity: activities\ncolumns: {occurred_at: When, channel: Type, direction: Dir}\n"
        "values:\n  channel:\n    map: {LinkedIn: social}\n",
    )
    assert loaded.frame["channel"].tolist() == ["email", "social"]
    assert loaded.frame["direction"].tolist() == ["outbound", "inbound"]


def test_survey_scores_outside_0_to_10_are_rejected(tmp_path):
    loaded = load_text(
        tmp_path,
        "At,Score\n2026-01-01,10\n2026-01-02,11\n2026-01-03,-1\n2026-01-04,0\n",
        "entity: surveys\ncolumns: {responded_at: At, score: Score}\n",
    )
    assert loaded.frame["score"].tolist() == [10.0, 0.0]
    assert [(r.reason, r.count) for r in loaded.quality.rejected] == [("score: outside 0–10", 2)]


def test_months_and_periods(tmp_path):
    loaded = load_text(
        tmp_path,
        'Customer,Month,MRR\nC1,2026-01,100\nC1,2026/2,100\nC1,Mar 2026,"$1,000"\nC1,2026-04-17,90\n',
        "entity: subscriptions\ncolumns: {customer_id: Customer, month: Month, mrr: MRR}\n",
    )
    assert loaded.frame["month"].tolist() == [
        pd.Timestamp(f"2026-{m:02d}-01") for m in (1, 2, 3, 4)
    ]
    assert loaded.frame["mrr"].tolist() == [100.0, 100.0, 1000.0, 90.0]
    targets = load_text(
        tmp_path,
        "Period,Quota\n2026-Q3,100\nQ4 2026,100\n2026-7,5\n2026,9\nsoon,1\n",
        "entity: targets\ncolumns: {period: Period, amount: Quota}\n",
    )
    assert targets.frame["period"].tolist() == ["2026-Q3", "2026-Q4", "2026-07", "2026"]
    assert targets.frame["metric"].tolist() == ["quota"] * 4
    assert targets.quality.rows_rejected == 1


def test_probability_outside_0_to_1_is_an_anomaly_left_blank_on_a_deal_kept(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage,Prob\nD1,2026-01-01,demo,40%\nD2,2026-01-01,demo,0.2\nD3,2026-01-01,demo,140%\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage, probability: Prob}\n",
    )
    probs = loaded.frame["probability"].tolist()
    assert probs[:2] == [pytest.approx(0.4), pytest.approx(0.2)]
    assert pd.isna(probs[2])
    q = loaded.quality
    assert (q.rows_used, q.rows_rejected, q.unreadable) == (3, 0, ())
    (anomaly,) = q.anomalies
    assert anomaly.reason == "probability: outside 0–1, left blank"
    assert anomaly.count == 1
    assert anomaly.examples[0].row == 4 and anomaly.examples[0].value.startswith("probability 1.4")
    assert not q.clean


def test_a_stray_probability_above_1_among_fractions_is_an_anomaly_not_a_rescale(tmp_path):
    # parse.percent auto: 0.2 and 0.5 make a fraction column, so 1.5 is 1.5 (not 1.5%, and
    # the others not 0.2% and 0.5%): outside 0-1, left blank and reported
    loaded = load_text(
        tmp_path,
        "ID,Created,Stage,Prob\nD1,2026-01-01,demo,0.2\nD2,2026-01-01,demo,1.5\n"
        "D3,2026-01-01,demo,0.5\nD4,2026-01-01,demo,150\n",
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage, probability: Prob}\n",
    )
    probs = loaded.frame["probability"].tolist()
    assert [probs[0], probs[2]] == [pytest.approx(0.2), pytest.approx(0.5)]
    assert pd.isna(probs[1]) and pd.isna(probs[3])
    (anomaly,) = loaded.quality.anomalies
    assert (anomaly.reason, anomaly.count) == ("probability: outside 0–1, left blank", 2)
    assert [(e.row, e.value) for e in anomaly.examples] == [
        (3, "probability 1.5"),
        (5, "probability 150"),
    ]


def test_ambiguous_day_month_order_is_an_error_naming_the_column(tmp_path):
    with pytest.raises(InputError, match=r"data\.csv: .*'Created'.*set parse\.date_order"):
        load_text(
            tmp_path,
            "ID,Created,Stage\nD1,03/04/2026,demo\nD2,05/06/2026,demo\n",
            "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n",
        )


def test_every_row_is_accounted_for():
    for name in ("plain.csv", "bad_rows.csv", "ragged.csv", "duplicates.csv", "footer.csv"):
        q = load(name).quality
        assert q.rows_used + q.rows_filtered + q.rows_rejected + q.duplicates_dropped == q.rows_read


def test_keep_unmapped_renames_listed_text_values_and_keeps_the_rest(tmp_path):
    loaded = load_text(
        tmp_path,
        "Lead,Source\nL1,google\nL2,Google\nL3,Referral\nL4,Select\n",
        "entity: leads\ncolumns: {lead_id: Lead, source: Source}\n"
        "constants: {created_at: '2026-01-01'}\n"
        "values:\n  source:\n    map: {google: Google Ads, select: null}\n    keep_unmapped: true\n",
    )
    sources = loaded.frame["source"].tolist()
    assert sources[:3] == ["Google Ads", "Google Ads", "Referral"]
    assert pd.isna(sources[3])


def test_headerless_whitespace_file_reports_how_it_was_read(tmp_path):
    loaded = load_text(
        tmp_path,
        " 00001 19970101  1   11.77\n 00002 19970112  2   89.00\n",
        "entity: orders\nread: {header: false, delimiter: whitespace}\n"
        "columns: {customer_id: 1, ordered_at: 2, quantity: 3, amount: 4}\n",
    )
    q = loaded.quality
    assert (q.delimiter, q.header_row) == ("whitespace", None)
    assert loaded.frame["customer_id"].tolist() == ["00001", "00002"]
    assert loaded.frame["ordered_at"].tolist() == [
        pd.Timestamp("1997-01-01"),
        pd.Timestamp("1997-01-12"),
    ]
    assert loaded.frame["amount"].tolist() == [11.77, 89.0]
    assert loaded.frame["_row"].tolist() == [1, 2]


# -------------------------------------------------------------------------- Excel cell types


def load_workbook(tmp_path: Path, rows, mapping: str, **kw):
    path = write_workbook(tmp_path / "data.xlsx", rows)
    yaml_path = tmp_path / "mapping.yaml"
    yaml_path.write_text(mapping, encoding="utf-8")
    return load_input(path, str(yaml_path), **kw)


def test_xlsx_date_cells_are_dates_whatever_date_format_says(tmp_path):
    # a date cell at midnight used to become a bare date text, which this format rejected
    loaded = load_workbook(
        tmp_path,
        [
            ["Deal ID", "Created", "Closed", "Stage"],
            ["D1", datetime(2026, 10, 1), datetime(2026, 10, 20, 0, 0), "won"],
            ["D2", datetime(2026, 10, 2, 9, 30), datetime(2026, 10, 21, 17, 45, 30), "lost"],
            ["D3", datetime(2026, 10, 3, 0, 0, 1), None, "demo"],
        ],
        "entity: deals\nparse: {date_format: '%Y-%m-%d %H:%M'}\n"
        "columns: {deal_id: Deal ID, created_at: Created, closed_at: Closed, stage: Stage}\n",
    )
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_rejected, q.unreadable) == (3, 3, 0, ())
    assert loaded.frame["created_at"].tolist() == [
        pd.Timestamp("2026-10-01"),
        pd.Timestamp("2026-10-02 09:30"),
        pd.Timestamp("2026-10-03 00:00:01"),
    ]
    assert loaded.frame["closed_at"].tolist()[:2] == [
        pd.Timestamp("2026-10-20"),
        pd.Timestamp("2026-10-21 17:45:30"),
    ]
    assert [r.field for r in q.date_ranges] == ["created_at", "closed_at"]


def test_xlsx_date_format_still_reads_dates_written_as_text(tmp_path):
    loaded = load_workbook(
        tmp_path,
        [
            ["Deal ID", "Created", "Stage"],
            ["D1", "01.10.2026 09:30", "demo"],
            ["D2", "2026-10-02", "demo"],
        ],
        "entity: deals\nparse: {date_format: '%d.%m.%Y %H:%M'}\n"
        "columns: {deal_id: Deal ID, created_at: Created, stage: Stage}\n",
    )
    assert loaded.frame["created_at"].tolist() == [pd.Timestamp("2026-10-01 09:30")]
    (reason,) = loaded.quality.rejected
    assert (reason.reason, reason.examples[0].row, reason.examples[0].value) == (
        "created_at: cannot read the value",
        3,
        "2026-10-02",
    )


def test_xlsx_numbers_ids_and_flags(tmp_path):
    loaded = load_workbook(
        tmp_path,
        [
            ["Record ID", "Created", "Stage", "Amount", "Probability", "Won", "Company", "Closed"],
            [
                14200003820,
                datetime(2026, 10, 1),
                1,
                1200,
                0.35,
                True,
                9063842151,
                datetime(2026, 10, 9),
            ],
            [14200006642, datetime(2026, 10, 2), 2, 800.5, 1, False, None],
        ],
        "entity: deals\n"
        "columns: {deal_id: Record ID, created_at: Created, stage: Stage, amount: Amount,\n"
        "  probability: Probability, account_id: Company, closed_at: Closed}\n"
        "values: {stage: {map: {'1': demo, '2': proposal}}}\n"
        "derive: {status: [{when: {column: Won, is: true}, value: won}, {value: open}]}\n",
    )
    frame = loaded.frame
    assert frame["deal_id"].tolist() == ["14200003820", "14200006642"]  # not 1.42e+10
    assert frame["account_id"].tolist() == ["9063842151", pd.NA]
    assert frame["stage"].tolist() == ["demo", "proposal"]  # number cells through the map
    assert frame["amount"].tolist() == [1200.0, 800.5]
    assert frame["probability"].tolist() == [0.35, 1.0]  # fractions: none is above 1
    assert frame["status"].tolist() == ["won", "open"]


def test_xlsx_placeholder_in_a_number_column_is_reported_as_in_a_csv(tmp_path):
    loaded = load_workbook(
        tmp_path,
        [
            ["Deal ID", "Created", "Stage", "Amount"],
            ["D1", datetime(2026, 10, 1), "demo", 1200],
            ["D2", datetime(2026, 10, 2), "demo", "N/A"],
        ],
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage, "
        "amount: Amount}\n",
    )
    assert loaded.frame["amount"].tolist() == [1200.0, pd.NA]
    (unreadable,) = loaded.quality.unreadable
    assert (unreadable.count, unreadable.examples[0].row, unreadable.examples[0].value) == (
        1,
        3,
        "N/A",
    )


def test_xlsx_rejected_rows_show_their_cells_as_text(tmp_path):
    loaded = load_workbook(
        tmp_path,
        [
            ["Deal ID", "Created", "Stage", "Amount"],
            [None, datetime(2026, 10, 1), "demo", 1200],
            ["D2", datetime(2026, 10, 2, 9, 30), "demo", 800.5],
        ],
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage, "
        "amount: Amount}\n",
        keep_all_columns=True,
    )
    rejects = loaded.rejects
    assert rejects["row"].tolist() == [2]
    assert rejects["reason"].tolist() == ["deal_id: blank"]
    assert rejects[["Created", "Amount"]].iloc[0].tolist() == ["2026-10-01", "1200"]


def test_blank_stage_leaves_the_status_blank_and_the_row_rejected(tmp_path):
    loaded = load_text(
        tmp_path,
        "Deal ID,Created,Stage,Closed\nD1,2026-10-01,Won,\nD2,2026-10-02,,\nD3,2026-10-03,Demo,\n",
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage, "
        "closed_at: Closed}\nvalues: {stage: {map: {Won: won, Demo: demo}}}\n",
    )
    assert loaded.frame["status"].tolist() == ["open"]  # D1: won, but with no closed_at
    assert {r.reason: r.count for r in loaded.quality.rejected} == {
        "status: blank": 1,
        "closed_at: blank on a won or lost deal": 1,
    }


def test_won_deals_of_a_file_without_a_close_date_column_are_kept(tmp_path):
    # the column is not there at all: the deals load, and KPIs that need closed_at skip
    loaded = load_text(
        tmp_path,
        "Deal ID,Created,Stage\nD1,2026-10-01,Won\nD2,2026-10-02,Demo\n",
        "entity: deals\ncolumns: {deal_id: Deal ID, created_at: Created, stage: Stage, "
        "closed_at: Close Date}\nvalues: {stage: {map: {Won: won, Demo: demo}}}\n",
    )
    assert loaded.frame["status"].tolist() == ["won", "open"]
    assert loaded.absent == {"closed_at": "Close Date"}


# Whitespace of every kind Arrow trims, the C0 separators it keeps, and letters whose UTF-8
# bytes look like a space's at one end (é is C3 A9, as U+2029's last byte).
EDGES = " \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000éa€"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(alphabet=EDGES, max_size=4)), min_size=1, max_size=12),
    st.integers(0, 3),
)
def test_clean_trims_as_arrow_and_blanks_empties_in_any_chunking(values, cut):
    cut = min(cut, len(values))
    chunks = pa.chunked_array(
        [
            pa.array(["pad", *values[:cut]], pa.string()).slice(1),
            pa.array(values[cut:], pa.string()),
        ]
    )
    cleaned = _clean(pd.Series(pd.arrays.ArrowExtensionArray(chunks)))
    trimmed = pc.utf8_trim_whitespace(pa.array(values, pa.string())).to_pylist()
    assert [None if v is pd.NA else v for v in cleaned] == [v or None for v in trimmed]


def test_duplicates_by_a_two_column_key_blank_keys_alike(tmp_path):
    loaded = load_text(
        tmp_path,
        "ID,Pipeline,Created,Status,Modified\n"
        "D1,Sales,2026-01-01,open,2026-02-01\n"
        "D1,Sales,2026-01-01,open,2026-01-15\n"
        "D1,Renewals,2026-01-01,open,2026-01-10\n"
        "D2,,2026-01-02,open,2026-01-04\n"
        "D2,,2026-01-02,open,2026-01-03\n",
        "entity: deals\ncolumns: {deal_id: ID, pipeline: Pipeline, created_at: Created, "
        "status: Status, modified_at: Modified}\ndedupe: {key: [deal_id, pipeline]}\n",
    )
    assert loaded.quality.duplicates_dropped == 2
    assert loaded.frame["_row"].tolist() == [2, 4, 5]  # each key's latest modified_at
    assert loaded.frame["pipeline"].tolist() == ["Sales", "Renewals", pd.NA]


def test_a_filtered_rows_values_need_no_mapping_nor_a_readable_date(tmp_path):
    # a field history: only the Stage rows are stage changes; an amount in New Value, or a
    # date no order fits, on the rows filtered out never reaches the value map or the parser
    loaded = load_text(
        tmp_path,
        "Id,Field,New Value,Edited\n"
        "1,Stage,Demo,2025-01-02\n"
        '1,Amount,"$24,000.00",31/31/2025\n'
        "2,Stage,Won,2025-01-03\n",
        """
entity: stage_history
columns: {deal_id: Id, stage: New Value, changed_at: Edited}
values:
  stage: {map: {Won: won}}
filters:
  - {column: Field, not_equals: Stage, reason: not a stage change}
""",
    )
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_filtered, q.unreadable) == (3, 2, 1, ())
    assert loaded.frame["stage"].tolist() == ["demo", "won"]
    assert loaded.frame["stage_raw"].tolist() == ["Demo", "Won"]  # the CRM's own names kept


LINES_CSV = (
    "Opp ID,Name,Created,Stage,Closed,Product,Total,Currency\n"
    "O1,Acme,2026-01-05,Won,2026-02-10,Widget,1000.50,EUR\n"  # row 2
    "O2,Globex,2026-01-06,Demo,,Widget,300,EUR\n"
    "O1,Acme,2026-01-05,Won,2026-02-10,Gadget,250,EUR\n"
    "O1,Acme,2026-01-05,Won,2026-02-10,Service,,EUR\n"  # no price: adds nothing
    "O3,Initech,2026-01-07,Won,2026-02-11,Widget,500,EUR\n"  # row 6
    "O3,Initech,2026-01-07,Won,2026-02-11,Gadget,700,USD\n"
    "O4,Umbrella,,Demo,,Widget,100,EUR\n"  # row 8: no created date
    "O4,Umbrella,2026-01-08,Demo,,Gadget,50,EUR\n"
    "O5,Hooli,2026-01-09,Demo,,TEST item,999,\n"  # row 10: filtered out
    "O5,Hooli,2026-01-09,Demo,,Widget,20,EUR\n"
    ",Nobody,2026-01-09,Demo,,Widget,5,EUR\n"  # row 12
)
LINES_MAPPING = (
    "entity: deals\n"
    "columns: {deal_id: Opp ID, deal_name: Name, created_at: Created, stage: Stage, "
    "closed_at: Closed, product: Product, amount: Total, currency: Currency}\n"
    "values: {stage: {map: {Won: won, Demo: demo}}}\n"
    "filters: [{column: Product, starts_with: TEST, reason: test products}]\n"
    "dedupe: {key: [deal_id]}\n"
    "lines_of: deal_id\n"
)


def test_lines_of_one_deal_make_one_deal_with_their_amounts_summed(tmp_path):
    loaded = load_text(tmp_path, LINES_CSV, LINES_MAPPING)
    frame = loaded.frame
    assert frame["deal_id"].tolist() == ["O1", "O2", "O5"]
    assert frame["amount"].tolist() == [1250.5, 300.0, 20.0]  # 1000.50 + 250 (+ no price)
    assert frame["product"].tolist() == ["Widget; Gadget; Service", "Widget", "Widget"]
    assert frame["currency"].tolist() == ["EUR", "EUR", "EUR"]  # O5's filtered line had none
    assert frame["status"].tolist() == ["won", "open", "open"]
    assert frame["_row"].tolist() == [2, 3, 11]  # each deal's first line in use
    q = loaded.quality
    assert (q.rows_read, q.rows_used, q.rows_filtered, q.rows_rejected) == (11, 5, 1, 5)
    assert q.duplicates_dropped == 0
    assert (q.lines_of.key, q.lines_of.lines, q.lines_of.records) == (("deal_id",), 5, 3)
    assert q.to_dict()["lines_of"] == {"key": ("deal_id",), "lines": 5, "records": 3}
    reasons = {r.reason: [(e.row, e.value) for e in r.examples] for r in q.rejected}
    assert reasons == {
        # a deal whose lines are in two currencies: no sum of them means anything
        "currency: lines of one deal in several currencies": [(6, "O3"), (7, "O3")],
        "created_at: blank": [(8, "")],
        # a deal with a rejected line would be short of its amount: rejected whole
        "another line of the same deal was rejected": [(9, "O4")],
        "deal_id: blank": [(12, "")],
    }


def test_lines_of_without_a_price_on_any_line_leave_the_amount_blank(tmp_path):
    loaded = load_text(
        tmp_path,
        "Opp ID,Created,Stage,Total\nO1,2026-01-05,Demo,\nO1,2026-01-05,Demo,\n",
        "entity: deals\ncolumns: {deal_id: Opp ID, created_at: Created, stage: Stage, "
        "amount: Total}\nvalues: {stage: {map: {Demo: demo}}}\nlines_of: deal_id\n",
    )
    assert loaded.frame["amount"].isna().tolist() == [True]  # unknown, not 0
    assert loaded.quality.lines_of.lines == 2


def test_dedupe_keeps_the_latest_deal_after_its_lines_are_joined(tmp_path):
    # two snapshots of one deal in a file: each snapshot's lines make one deal, the later wins
    loaded = load_text(
        tmp_path,
        "Opp ID,Created,Stage,Total,Modified\n"
        "O1,2026-01-05,Demo,100,2026-01-10\n"
        "O1,2026-01-05,Demo,50,2026-01-10\n"
        "O1,2026-01-05,Demo,100,2026-01-20\n"
        "O1,2026-01-05,Demo,70,2026-01-20\n",
        "entity: deals\ncolumns: {deal_id: Opp ID, created_at: Created, stage: Stage, "
        "amount: Total, modified_at: Modified}\nvalues: {stage: {map: {Demo: demo}}}\n"
        "dedupe: {key: [deal_id]}\nlines_of: [deal_id, modified_at]\n",
    )
    assert loaded.frame["amount"].tolist() == [170.0]
    q = loaded.quality
    assert (q.rows_used, q.duplicates_dropped) == (2, 2)  # lines: those of the older snapshot
    assert (q.lines_of.lines, q.lines_of.records) == (2, 1)


def test_lines_of_a_column_the_file_lacks_is_an_error(tmp_path):
    with pytest.raises(InputError) as err:
        load_text(
            tmp_path,
            "Opp ID,Created,Stage,Total\nO1,2026-01-05,Demo,100\n",
            "entity: deals\ncolumns: {deal_id: Opp ID, deal_name: Opportunity Name, "
            "created_at: Created, stage: Stage, amount: Total}\n"
            "values: {stage: {map: {Demo: demo}}}\nlines_of: deal_name\n",
        )
    assert str(err.value).endswith(
        "lines_of joins the lines of one deal by `deal_name`, but its column ('Opportunity "
        "Name') is not in the file; add it to the export, or list fields the lines of one deal "
        f"share under lines_of in a mapping of your own (mapping {tmp_path / 'mapping.yaml'})"
    )


def test_a_plain_export_has_no_lines_account():
    loaded = load("plain.csv")
    assert loaded.quality.lines_of is None
    assert loaded.quality.to_dict()["lines_of"] is None


def test_dates_no_period_can_hold_are_blank_and_reported_or_rejected():
    """tests/fixtures/crm/make_sentinel_dates.py says what each row holds."""
    loaded = load_input(FIXTURES / "crm" / "hubspot_deals_sentinel_dates.csv", "hubspot_deals")
    frame = loaded.frame.set_index("deal_id")
    assert list(frame.index) == ["9201", "9202", "9204"]
    assert frame["expected_close_at"].isna().tolist() == [False, True, False]
    assert frame.loc["9204", "created_at"] == pd.Timestamp("1900-01-01")  # in the span: kept
    span = "outside 1900-01-01 – 2200-12-31, the dates salesmetrics reports on"
    q = loaded.quality
    assert [(r.reason, r.count, [e.row for e in r.examples]) for r in q.rejected] == [
        (f"closed_at: {span}", 1, [4]),
        (f"created_at: {span}", 1, [6]),
    ]
    assert [(r.reason, r.examples[0].value) for r in q.anomalies] == [
        (f"expected_close_at: {span}, left blank", "expected_close_at 9999-12-31 00:00")
    ]
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (5, 3, 2)


def test_a_target_for_a_year_no_period_can_hold_is_rejected(tmp_path):
    mapping = "entity: targets\ncolumns: {period: Period, amount: Amount}\n"
    loaded = load_text(tmp_path, "Period,Amount\n2026-Q4,100\n9999-Q4,50\n1900,10\n", mapping)
    assert loaded.frame["period"].tolist() == ["2026-Q4"]
    assert [(r.reason, r.count) for r in loaded.quality.rejected] == [
        ("period: outside 1901–2200, the years reported on", 2)
    ]


def test_a_currency_symbol_that_disagrees_with_the_currency_column_is_an_anomaly(tmp_path):
    data = tmp_path / "deals.csv"
    data.write_text(
        "Record ID,Deal Stage,Amount,Currency,Close Date,Create Date\n"
        "1,closedwon,€100,USD,2026-10-05,2026-09-01\n"
        "2,closedwon,$200,USD,2026-10-06,2026-09-01\n"
        "3,closedwon,300 EUR,USD,2026-10-06,2026-09-01\n"
        "4,closedwon,400,EUR,2026-10-06,2026-09-01\n",
        encoding="utf-8",
    )
    loaded = load_input(data, "hubspot_deals")
    assert loaded.frame["currency"].tolist() == ["USD", "USD", "USD", "EUR"]  # as the column says
    assert loaded.frame["amount"].tolist() == [100.0, 200.0, 300.0, 400.0]
    [found] = loaded.quality.anomalies
    assert found.reason == (
        "amount: the currency in 'Amount' disagrees with 'Currency'; summed in the currency "
        "'Currency' gives"
    )
    assert found.count == 2
    assert [(e.row, e.value) for e in found.examples] == [
        (2, "amount €100 with Currency USD"),
        (4, "amount 300 EUR with Currency USD"),
    ]


def test_a_german_report_of_whole_amounts_reads_1_500_as_fifteen_hundred(tmp_path):
    """A German Salesforce opportunity report (header of tests/fixtures/locale's) whose
    amounts have no decimals: `EUR 1.500` is 1500, not 1.5; `parse.decimal: "."` says 1.5."""
    header = '"Opportunity-Name","Opportunity-ID","Phase","Betrag","Schlusstermin","Erstelldatum"'
    rows = [
        '"Nord","0065g00000DeB01","Geschlossen und gewonnen","EUR 1.500","23.03.2025","14.02.2025"',
        '"Süd","0065g00000DeB02","Geschlossen und gewonnen","EUR 12.000","24.03.2025","05.02.2025"',
        '"Ost","0065g00000DeB03","Geschlossen und gewonnen","EUR 800","25.03.2025","06.02.2025"',
    ]
    data = tmp_path / "opportunities_de.csv"
    data.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    loaded = load_input(data, "salesforce_opportunities")
    assert loaded.frame["amount"].tolist() == [1500.0, 12000.0, 800.0]
    own = tmp_path / "dot.yaml"
    own.write_text('extends: salesforce_opportunities\nparse: {decimal: "."}\n', encoding="utf-8")
    assert load_input(data, str(own)).frame["amount"].tolist() == [1.5, 12.0, 800.0]
