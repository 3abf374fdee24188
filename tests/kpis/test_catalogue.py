"""The catalogue as a whole: ids are a public contract, so each is declared exactly once."""

from __future__ import annotations

from collections import Counter

from salesmetrics.kpis.catalogue import CATALOGUE, MODULES, STAGES


def test_every_id_is_declared_once_across_all_modules():
    declared = Counter(k.id for module in MODULES for k in module.KPIS)
    assert [kpi_id for kpi_id, n in declared.items() if n > 1] == []
    assert len(CATALOGUE) == sum(declared.values())  # the dict dropped nothing


def test_every_kpi_belongs_to_a_known_stage_in_funnel_order():
    stages = [k.stage for k in CATALOGUE.values()]
    assert set(stages) <= set(STAGES)
    firsts = list(dict.fromkeys(stages))
    assert firsts == [s for s in STAGES if s in firsts]  # the catalogue runs stage by stage


def test_each_module_declares_the_catalogue_entry_itself_with_one_line_texts():
    # the KPI table and `salesmetrics kpis` print the formula and period date on one line
    for module in MODULES:
        for kpi in module.KPIS:
            assert CATALOGUE[kpi.id] is kpi
            assert "\n" not in kpi.formula and "\n" not in kpi.period_date, kpi.id
