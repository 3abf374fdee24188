"""The two engines agree, value by value, on the real datasets' example reports (while the
KPIs move onto DuckDB: tests/test_duck.py holds the comparison)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from salesmetrics.config import load_config
from salesmetrics.engine import compute
from salesmetrics.pipeline import compute_report, frames_of, load_inputs
from tests.conftest import realdata_dir
from tests.test_duck import DECLARED, assert_same

EXAMPLES = Path(__file__).parents[1] / "configs/examples"
DATASETS = realdata_dir()


# the examples with an input a declared KPI reads
READ = ("maven_crm", "olist_funnel", "telco_churn", "xeducation_leads", "online_retail", "cdnow")


@pytest.mark.parametrize("name", READ)
def test_both_engines_agree_on_each_example_report(name, monkeypatch):
    import salesmetrics.pipeline as pipeline

    config = load_config(EXAMPLES / f"{name}.yaml", data_dir=DATASETS / name)
    frames = frames_of(load_inputs(config.inputs))
    reports = {}
    for engine in ("pandas", "duckdb"):
        monkeypatch.setattr(
            pipeline, "compute", lambda *a, engine=engine, **k: compute(*a, engine=engine, **k)
        )
        reports[engine] = compute_report(
            config,
            frames,
            kpis=DECLARED,
            all_groups=True,
            as_of=date(2026, 11, 23),
            period="all",
            by=("owner",) if name == "maven_crm" else (),
        )
    computed = {v.id for v in reports["duckdb"].values}
    assert assert_same(reports["pandas"], reports["duckdb"]) >= len(computed) >= 1
