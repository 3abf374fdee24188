"""From config to report: period resolution, overrides, and the sample company's golden report."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from salesmetrics.config import AUTO_MAPPING, InputSpec, ReportConfig, load_config
from salesmetrics.errors import ConfigError, InputError
from salesmetrics.ingest.detect import NotRecognised
from salesmetrics.pipeline import (
    compute_report,
    frames_of,
    hints_of,
    load_each,
    load_inputs,
    resolve,
    with_overrides,
)
from salesmetrics.render.json_report import document
from tests.conftest import FIXTURE_MAPPING, FIXTURES
from tests.golden import check_json
from tests.kpis.frames import frame

ROOT = Path(__file__).parents[1]
DEALS = frame(
    "deals",
    "deal_id status created_at closed_at",
    [("D1", "won", "2025-03-02", "2025-04-01"), ("D2", "open", "2026-01-15", None)],
)


def test_period_from_the_config_or_today():
    config = ReportConfig(None, (), as_of=date(2026, 11, 23))
    period, as_of = resolve(config, {"deals": DEALS})
    assert (period.label, as_of) == ("2026-10", date(2026, 11, 23))  # last-month by default
    fiscal = with_overrides(config, period="2027-Q1", fiscal_year_start=4)
    assert resolve(fiscal, {})[0].start == date(2026, 4, 1)
    everything = resolve(with_overrides(config, period="all"), {"deals": DEALS})[0]
    assert (everything.start, everything.end) == (date(2025, 3, 2), date(2026, 1, 15))
    explicit = with_overrides(config, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    assert resolve(explicit, {})[0].days == 31
    assert resolve(ReportConfig(None, ()), {})[1] == date.today()
    undated = resolve(with_overrides(config, period="all"), {})[0]  # a snapshot: no dates
    assert (undated.start, undated.end) == (date(2026, 11, 23), date(2026, 11, 23))


def test_latest_month_follows_the_data_where_last_month_warns():
    config = ReportConfig(None, (), as_of=date(2026, 11, 23))
    frames = {"deals": DEALS}  # the last event: D2 created on 15 January 2026
    latest = with_overrides(config, period="latest-month", kpis=("deals_won",))
    assert resolve(latest, frames)[0].label == "2026-01"
    assert compute_report(latest, frames).warnings == ()
    stale = compute_report(config, frames, kpis=("deals_won",))  # last-month: 2026-10
    won = stale.value("deals_won")  # not 0: the deals stop before October
    assert (won.value, won.note) == (None, "deals end 2026-01-15; period 2026-10 has no deals")
    assert [(w.code, w.message) for w in stale.warnings] == [
        ("stale_input", "deals end 2026-01-15; period 2026-10 has no deals")
    ]


def test_from_to_override_a_configs_period_and_a_period_its_from_to():
    config = ReportConfig(None, (), period="2026-10", as_of=date(2026, 11, 23))
    explicit = with_overrides(config, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    assert resolve(explicit, {})[0].label == "2026-01-01 to 2026-01-31"
    dated = replace(config, period=None, date_from=date(2026, 1, 1), date_to=date(2026, 1, 31))
    assert resolve(with_overrides(dated, period="2026-Q3"), {})[0].label == "2026-Q3"
    # other overrides keep the config's period
    assert resolve(with_overrides(config, trend=3), {})[0].label == "2026-10"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"period": "2026-13"}, "month 13 does not exist"),
        ({"date_from": date(2026, 1, 1)}, "both a from and a to date"),
        (
            {"period": "2026-10", "date_from": date(2026, 1, 1), "date_to": date(2026, 2, 1)},
            "either a period or from/to",
        ),
    ],
)
def test_period_mistakes_are_config_errors(options, message):
    config = with_overrides(ReportConfig(None, (), as_of=date(2026, 11, 23)), **options)
    with pytest.raises(ConfigError, match=message):
        resolve(config, {})


def test_overrides_replace_only_what_is_given():
    config = ReportConfig(None, (), period="2026-10", by=("owner",))
    changed = with_overrides(config, period=None, by=("team",), trend=3)
    assert (changed.period, changed.by, changed.trend) == ("2026-10", ("team",), 3)
    with pytest.raises(TypeError, match="unknown report options"):
        with_overrides(config, colour=True)


def test_two_exports_of_one_entity_are_stacked(tmp_path: Path):
    plain = tmp_path / "plain.csv"  # three deals, D1..D3
    plain.write_bytes((FIXTURES / "plain.csv").read_bytes())
    other = tmp_path / "other.csv"  # another export of them (the same file twice: an error)
    other.write_bytes(plain.read_bytes())
    config_path = tmp_path / "report.yaml"
    config_path.write_text(
        f"inputs:\n  - {{path: plain.csv, mapping: {FIXTURE_MAPPING}}}\n"
        f"  - {{path: other.csv, mapping: {FIXTURE_MAPPING}}}\n",
        encoding="utf-8",
    )
    frames = frames_of(load_inputs(load_config(config_path).inputs))
    assert list(frames) == ["deals"]
    assert frames["deals"]["deal_id"].tolist() == ["D1", "D2", "D3"] * 2


def test_sample_company_report_matches_the_reviewed_golden_file(sample_company):
    """The full default computation on the sample company, reviewed by hand once.

    Regenerate on purpose with `make golden`, and review the diff before committing it.
    """
    report, qualities = sample_company
    stamp = datetime(2026, 11, 23, tzinfo=UTC)
    actual = document(report, qualities, stamp)
    check_json("sample_report.json", actual)


def test_library_callers_get_files_recognised(tmp_path: Path):
    config_path = tmp_path / "report.yaml"
    deals = ROOT / "sample_data" / "reps.csv"
    mappings = ROOT / "sample_data" / "mappings"
    config_path.write_text(
        f"mappings: {mappings}\ninputs:\n  - {{path: {deals}}}\n", encoding="utf-8"
    )
    config = load_config(config_path, deals.parent)
    loaded = load_inputs(config.inputs, mapping_dirs=config.mapping_dirs)
    assert [(item.entity, item.mapping.name) for item in loaded] == [
        ("reps", "sample_data/mappings/reps.yaml")
    ]


def test_every_input_is_tried_and_those_that_cannot_be_used_say_why(tmp_path: Path):
    mystery = tmp_path / "mystery.csv"
    mystery.write_text("foo,bar\n1,2\n", encoding="utf-8")
    team = tmp_path / "team.csv"  # recognised, but its dates read day-first and month-first
    team.write_text("Rep,Joined\nAna,03/04/2022\nBen,05/06/2023\n", encoding="utf-8")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "team.yaml").write_text(
        "entity: reps\ncolumns:\n  owner: Rep\n  started_at: Joined\n", encoding="utf-8"
    )
    specs = [
        InputSpec(str(mystery), AUTO_MAPPING, tmp_path),
        InputSpec(str(ROOT / "sample_data" / "reps.csv"), "sample_data/mappings/reps.yaml", ROOT),
        InputSpec(str(team), AUTO_MAPPING, tmp_path),
        InputSpec(str(ROOT / "sample_data" / "nps.csv"), AUTO_MAPPING, tmp_path),
    ]
    dirs = [ROOT / "sample_data" / "mappings", mine]
    loaded, unusable = load_each(specs, mapping_dirs=dirs)
    assert [item.entity for item in loaded] == ["reps", "surveys"]
    assert [u.spec.path for u in unusable] == [str(mystery), str(team)]
    assert isinstance(unusable[0].error, NotRecognised)
    assert unusable[0].line == unusable[0].error.brief()
    assert unusable[1].line == (
        f"{team}: column 'Joined': cannot tell day-first from month-first dates "
        "(e.g. '03/04/2022', '05/06/2023'); set parse.date_order: dmy or mdy in the mapping"
    )
    with pytest.raises(InputError) as first:  # the library's one-call form: the first problem
        load_inputs(specs, mapping_dirs=dirs)
    assert str(first.value).startswith(f"{mystery}: not recognised")


def test_inputs_are_read_at_once_but_taken_in_their_order(tmp_path, monkeypatch):
    """Two loads meet at a barrier, which only threads reading at once can pass; the first
    input finishes last, yet `each`, the results and the errors keep the inputs' order."""
    import threading
    import time

    from salesmetrics import pipeline

    met = threading.Barrier(2, timeout=20)
    real = pipeline.load_input

    def meeting(path, *args, **kwargs):
        if Path(path).name in ("reps.csv", "nps.csv"):
            met.wait()
        if Path(path).name == "reps.csv":
            time.sleep(0.2)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "load_input", meeting)
    broken = tmp_path / "broken.csv"
    broken.write_text("\n", encoding="utf-8")
    reps = "sample_data/mappings/reps.yaml"
    specs = [
        InputSpec(str(ROOT / "sample_data" / "reps.csv"), reps, ROOT),
        InputSpec(str(broken), reps, ROOT),
        InputSpec(str(ROOT / "sample_data" / "nps.csv"), AUTO_MAPPING, tmp_path),
    ]
    said = []
    loaded, unusable = load_each(
        specs,
        mapping_dirs=[ROOT / "sample_data" / "mappings"],
        each=lambda spec: said.append(Path(spec.path).name) or contextlib.nullcontext(),
    )
    assert said == ["reps.csv", "broken.csv", "nps.csv"]
    assert [item.entity for item in loaded] == ["reps", "surveys"]
    assert [Path(u.spec.path).name for u in unusable] == ["broken.csv"]
    monkeypatch.setenv("SALESMETRICS_LOAD_THREADS", "1")  # one at a time: the same
    monkeypatch.setattr(pipeline, "load_input", real)
    one, none = load_each(specs, mapping_dirs=[ROOT / "sample_data" / "mappings"])
    assert [i.frame.equals(j.frame) for i, j in zip(one, loaded, strict=True)] == [True, True]
    assert [str(u.error) for u in none] == [str(u.error) for u in unusable]
    monkeypatch.setenv("SALESMETRICS_LOAD_THREADS", "two")
    with pytest.raises(ConfigError, match="SALESMETRICS_LOAD_THREADS='two': expected a whole"):
        load_each(specs)


def test_a_deals_export_without_a_creation_date_skips_what_needs_it_naming_the_header():
    # a HubSpot view without Create Date: 2 deals won and 1 lost in March 2026; what counts
    # deals by their creation (opportunities created, cycle time, the pipeline) is skipped
    from salesmetrics.config import AUTO_MAPPING, InputSpec

    path = FIXTURES / "crm" / "hubspot_deals_view_no_create_date.csv"
    loaded = load_inputs([InputSpec(str(path), AUTO_MAPPING, ROOT)])
    kpis = ("win_rate", "revenue_won", "opportunities_created", "sales_cycle_days")
    config = ReportConfig(None, (), as_of=date(2026, 4, 2), kpis=kpis)
    report = compute_report(config, frames_of(loaded), hints=hints_of(loaded), period="2026-03")
    values = {v.id: v.value for v in report.values}
    assert values == {"win_rate": 2 / 3, "revenue_won": 4200.0 + 1500.0}
    reason = "needs deals.created_at: add Create Date to the export"
    assert {s.id: s.reason for s in report.skipped} == {
        "opportunities_created": reason,
        "sales_cycle_days": reason,
    }


def test_loaded_inputs_are_checked_for_anomalies_against_as_of(tmp_path: Path):
    """The latest plausible date is as_of + 10 years: a report dated 2016-06-30 finds the
    deals of October 2026 more than ten years ahead; one dated today does not."""
    plain = str(FIXTURES / "plain.csv")  # created 2026-10-01..03, closed 2026-10-20 and 21
    config_path = tmp_path / "report.yaml"
    config_path.write_text(
        f"inputs:\n  - {{path: {plain}, mapping: {FIXTURE_MAPPING}}}\n", encoding="utf-8"
    )
    inputs = load_config(config_path, FIXTURES).inputs
    (early,) = load_inputs(inputs, as_of=date(2016, 6, 30))
    reasons = {a.reason: a.count for a in early.quality.anomalies}
    assert reasons == {
        "created_at: outside 1990-01-01 – 2026-06-30 (parse.date_range sets the range)": 3,
        "closed_at: outside 1990-01-01 – 2026-06-30 (parse.date_range sets the range)": 2,
    }
    assert early.frame["_implausible_created_at"].tolist() == [True, True, True]
    (today,) = load_inputs(inputs, as_of=date(2026, 11, 23))
    assert today.quality.anomalies == () and today.quality.clean


def test_an_as_of_or_dates_in_a_config_outside_the_span_are_config_errors():
    spec = InputSpec(str(FIXTURES / "plain.csv"), FIXTURE_MAPPING, None)
    with pytest.raises(ConfigError, match=r"^as_of 0001-01-15 is outside 1900-01-01"):
        load_inputs([spec], as_of=date(1, 1, 15))
    frames = frames_of(load_inputs([spec], as_of=date(2026, 11, 23)))
    config = ReportConfig(None, (spec,))
    with pytest.raises(ConfigError, match=r"^to 9999-12-31 is outside"):
        compute_report(config, frames, date_from=date(2026, 1, 1), date_to=date(9999, 12, 31))
    with pytest.raises(ConfigError, match="trend of 2,000 periods ending 2026-10 starts before"):
        compute_report(config, frames, period="2026-10", trend=2000, as_of=date(2026, 11, 23))


def test_a_memory_limit_on_the_spark_engine_is_a_config_error():
    """DuckDB's memory limit means nothing to Spark: refused before anything runs."""
    config = ReportConfig(None, (), engine="spark", memory_limit="1GB")
    with pytest.raises(ConfigError, match=r"^memory_limit: DuckDB's memory limit, not Spark's"):
        compute_report(config, {})
