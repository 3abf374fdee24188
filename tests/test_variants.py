"""Named variants side by side (salesmetrics.variants), on the close tests' hand-worked book."""

from __future__ import annotations

from salesmetrics.config import ReportConfig
from salesmetrics.pipeline import compute_report
from salesmetrics.targets import KpiTargets, Target
from salesmetrics.variants import check, rounds
from tests.kpis.frames import AS_OF
from tests.kpis.test_close import BOOK, VARIANT_BOOK


def _report(book, **options):
    config = ReportConfig(None, (), period="2026-10", as_of=AS_OF, compare="none", **options)
    return compute_report(config, book, all_groups=True)


def test_rounds_give_each_kpi_one_other_variant_at_a_time():
    assert rounds(["deals_won", "win_rate", "sales_cycle_days"], {}) == [
        {"win_rate": "per_sql", "sales_cycle_days": "from_first_contact"}
    ]
    assert rounds(["win_rate"], {"win_rate": "per_sql"}) == [{"win_rate": "won_lost"}]
    assert rounds(["deals_won"], {}) == []


def test_check_names_the_key_and_the_valid_names():
    assert check({"win_rate": "per_sql"}) is None
    assert check({"win_rate": "x"}) == (
        "variants.win_rate: unknown variant 'x'; expected one of won_lost, per_sql"
    )


def test_every_variant_comes_after_the_chosen_one_of_its_group_without_a_target():
    targets = {"win_rate": KpiTargets(Target(0.5), {})}
    report = _report(
        VARIANT_BOOK,
        kpis=("deals_won", "win_rate"),
        by=("owner",),
        all_variants=True,
        targets=targets,
    )
    rows = [(v.id, v.variant, dict(v.group).get("owner")) for v in report.values]
    # each group's per-SQL win rate right after its won / (won + lost) one
    assert rows[5:] == [
        ("win_rate", variant, owner)
        for owner in (None, "Ben", "Ana", "Cy", "Dee")
        for variant in ("won_lost", "per_sql")
    ]
    assert {v.variant for v in report.values if v.id == "deals_won"} == {None}
    total = [v for v in report.values if v.id == "win_rate" and not v.group]
    assert [(v.value, v.target, v.status) for v in total] == [
        (4 / 7, 0.5, "on_track"),  # D1, D2, D5, D10 won of 7 closed
        (0.8, None, None),  # 4 won / 5 SQLs: the target is the chosen definition's
    ]


def test_a_variant_the_data_cannot_feed_is_skipped_with_its_name():
    report = _report(BOOK, kpis=("sales_cycle_days",), all_variants=True)
    assert [v.variant for v in report.values] == ["from_creation"]
    assert [(s.id, s.reason) for s in report.skipped] == [
        ("sales_cycle_days", "variant from_first_contact: needs deals.lead_id")
    ]


def test_the_config_chooses_the_variant_shown_under_the_id():
    report = _report(VARIANT_BOOK, kpis=("win_rate",), variants={"win_rate": "per_sql"})
    assert [(v.id, v.variant, v.value) for v in report.values] == [("win_rate", "per_sql", 0.8)]


def test_strict_refuses_a_kpi_but_not_a_variant_shown_beside_it():
    report = _report(BOOK, kpis=("sales_cycle_days",), all_variants=True, strict=True)
    assert [s.variant for s in report.skipped] == ["from_first_contact"]
