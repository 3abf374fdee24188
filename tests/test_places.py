"""Place names: the states, provinces and countries a location column holds."""

from __future__ import annotations

import pytest

from salesmetrics.places import PLACES, fold_place


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Québec", "quebec"), ("N.Y.", "ny"), ("New  York", "new york"), ("Pays-Bas", "pays bas")],
)
def test_names_are_compared_folded(text, folded):
    assert fold_place(text) == folded


@pytest.mark.parametrize(
    "name",
    ["California", "CA", "tx", "District of Columbia", "Ontario", "QC", "Germany", "DE",
     "United States", "USA", "Deutschland", "España", "Ivory Coast"],
)  # fmt: skip
def test_states_provinces_and_countries_are_places(name):
    assert fold_place(name) in PLACES


@pytest.mark.parametrize("value", ["Closed Won", "Open", "Lost", "Web", "Partner", "USD", "Q1"])
def test_stage_and_status_values_are_not(value):
    assert fold_place(value) not in PLACES
