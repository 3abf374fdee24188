"""NPS and survey responses on tiny survey files whose answers are worked out by hand."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from salesmetrics.config import load_config
from salesmetrics.engine import compute
from salesmetrics.explain import COUNTED, explain
from salesmetrics.kpis.catalogue import MODULES
from salesmetrics.kpis.loyalty import KPIS
from salesmetrics.periods import resolve_period
from salesmetrics.pipeline import frames_of, load_inputs
from tests.kpis.frames import AS_OF, OCTOBER, frame

JUNE = resolve_period("2026-06", AS_OF)  # no responses in June
IDS = ["nps", "nps_groups", "survey_responses"]

# fmt: off
SURVEYS = frame("surveys", "responded_at score customer_id segment", [
    # one answer for each score 0..10 in October, the first at its first minute, the last at its last
    ("2026-10-01 00:00", 0.0, "A", "SMB"),
    ("2026-10-02", 1.0, "B", "SMB"),
    ("2026-10-03", 2.0, "C", "SMB"),
    ("2026-10-04", 3.0, "D", "SMB"),
    ("2026-10-05", 4.0, "E", "SMB"),
    ("2026-10-06", 5.0, "F", "SMB"),
    ("2026-10-07", 6.0, "G", "Enterprise"),
    ("2026-10-08", 7.0, "H", "Enterprise"),
    ("2026-10-09", 8.0, "I", "Enterprise"),
    ("2026-10-10", 9.0, "J", "Enterprise"),
    ("2026-10-31 23:59", 10.0, "K", "SMB"),
    # outside October: the first minute of November, the last of September
    ("2026-11-01 00:00", 10.0, "L", "SMB"),
    ("2026-09-30 23:59", 0.0, "M", "SMB"),
    ("2026-09-15", 9.0, "N", "Partner"),  # Partner answered in September only
])
# fmt: on
# October: promoters 9, 10 (2), passives 7, 8 (2), detractors 0..6 (7) of 11.
# SMB: scores 0..5 and 10 = 1 promoter, 6 detractors of 7; Enterprise: 6, 7, 8, 9 = 1, 2 passives, 1.


def run(*ids: str, period=OCTOBER, book=None, **options):
    frames = {"surveys": SURVEYS} if book is None else book
    return compute(frames, period=period, as_of=AS_OF, kpis=list(ids), **options)


def test_declared_in_the_catalogue_after_retention():
    assert [k.id for k in KPIS] == IDS
    assert {k.stage for k in KPIS} == {"retention"}
    names = [m.__name__.rsplit(".", 1)[-1] for m in MODULES]
    assert names.index("loyalty") == names.index("retention") + 1


def test_responses_in_the_period_include_its_last_minute_only():
    found = explain({"surveys": SURVEYS}, "survey_responses", period=OCTOBER, as_of=AS_OF)
    counted = found.rows[found.rows[COUNTED]]
    assert sorted(counted["customer_id"]) == list("ABCDEFGHIJK")  # L at 00:00 of 1 Nov is out


def test_nps_with_every_score_from_0_to_10():
    report = run(*IDS)
    nps = report.value("nps")
    # (2 promoters − 7 detractors) / 11 × 100 = −45.45...
    assert nps.value == pytest.approx((2 - 7) / 11 * 100)
    assert (nps.numerator, nps.denominator, nps.n) == (-500.0, 11.0, 11)
    assert nps.note == "2 promoters, 2 passives, 7 detractors"
    assert nps.small_sample  # 11 responses, under 20
    assert report.value("survey_responses").value == 11.0
    groups = report.categories("nps_groups")
    assert list(groups) == ["promoter", "passive", "detractor"]  # in this order, always
    assert [g.value for g in groups.values()] == pytest.approx([2 / 11, 2 / 11, 7 / 11])
    assert report.skipped == ()


def test_nps_by_segment_is_a_sum_over_sums():
    report = run(*IDS, group_by=["segment"])
    smb = report.value("nps", segment="SMB")  # (1 − 6) / 7 × 100
    assert (smb.numerator, smb.denominator) == (-500.0, 7.0)
    assert smb.value == pytest.approx(-500 / 7)
    enterprise = report.value("nps", segment="Enterprise")  # (1 − 1) / 4 × 100
    assert (enterprise.numerator, enterprise.denominator, enterprise.value) == (0.0, 4.0, 0.0)
    assert enterprise.note == "1 promoter, 2 passives, 1 detractor"
    total = report.value("nps")
    assert smb.numerator + enterprise.numerator == total.numerator  # −500 + 0
    assert smb.denominator + enterprise.denominator == total.denominator  # 7 + 4
    partner = report.value("nps", segment="Partner")  # answered in September only
    assert (partner.value, partner.note) == (None, "no survey responses in the period")
    assert report.value("survey_responses", segment="Partner").value == 0.0


def test_no_responses_in_the_period():
    report = run(*IDS, period=JUNE)
    nps = report.value("nps")
    assert (nps.value, nps.denominator, nps.note) == (
        None,
        0.0,
        "no survey responses in the period",
    )
    assert report.value("survey_responses").value == 0.0
    promoters = report.value("nps_groups", category="promoter")
    assert (promoters.value, promoters.numerator, promoters.denominator) == (None, 0.0, 0.0)
    assert isinstance(promoters.denominator, float)  # a weight, written 0.0 in JSON, not 0


def test_all_promoters_and_all_detractors_are_the_ends_of_the_scale():
    happy = frame("surveys", "responded_at score", [("2026-10-05", 9.0), ("2026-10-06", 10.0)])
    sad = frame("surveys", "responded_at score", [("2026-10-05", 6.0), ("2026-10-06", 0.0)])
    assert run("nps", book={"surveys": happy}).value("nps").value == 100.0
    assert run("nps", book={"surveys": sad}).value("nps").value == -100.0
    between = frame("surveys", "responded_at score", [("2026-10-05", 8.5), ("2026-10-06", 6.5)])
    report = run("nps", book={"surveys": between})
    assert (report.value("nps").value, report.value("nps").note) == (
        0.0,
        "0 promoters, 2 passives, 0 detractors",
    )


def test_skipped_without_surveys():
    report = run(*IDS, book={"deals": frame("deals", "deal_id status created_at", [])})
    assert [(s.id, s.reason) for s in report.skipped] == [
        (kpi, "needs surveys (no surveys input)") for kpi in IDS
    ]


def test_sample_company_nps_matches_plain_python_over_the_csv():
    """September 2025 (the survey is quarterly): the pipeline against a count over nps.csv."""
    root = Path(__file__).parents[2]
    config = load_config(root / "sample_data" / "report.yaml")
    frames = frames_of(load_inputs([i for i in config.inputs if "nps" in str(i.path)]))
    report = run(*IDS, book=frames, period=resolve_period("2025-09", AS_OF))
    with open(root / "sample_data" / "nps.csv", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Responded At"].startswith("2025-09")]
    scores = [float(r["Score"]) for r in rows]
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    assert report.value("survey_responses").value == len(scores) == 181
    assert report.value("nps").value == pytest.approx((promoters - detractors) / len(scores) * 100)
    assert (
        report.value("nps").note == f"{promoters} promoters, 51 passives, {detractors} detractors"
    )
