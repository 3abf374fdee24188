"""Report configs: inputs, relative paths, and mistakes named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from salesmetrics.config import load_config
from salesmetrics.errors import ConfigError


def test_inputs_resolve_against_the_config_folder_or_data_dir(tmp_path: Path):
    path = tmp_path / "report.yaml"
    path.write_text("inputs:\n  - {path: deals.csv, mapping: sample/deals}\n", encoding="utf-8")
    config = load_config(path)
    assert config.inputs[0].path == str(tmp_path / "deals.csv")
    assert config.inputs[0].mapping == "sample/deals"
    assert config.inputs[0].mapping_base == tmp_path
    other = tmp_path / "2026-10"
    assert load_config(path, other).inputs[0].path == str(other / "deals.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inputs: []\n", r"line 1: inputs: expected a list"),
        ("inputs:\n  - {path: a.csv}\n", r"line 2: inputs\[0\]: needs both `path:` and `mapping:`"),
        ("input:\n  - {path: a.csv}\n", r"line 1: input: unknown key"),
        ("inputs: [\n", r"not valid YAML"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, message: str):
    path = tmp_path / "report.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)
