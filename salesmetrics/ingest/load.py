"""One input from file to canonical frame: the library's entry point for reading."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from salesmetrics.ingest.encode import encode_repeated
from salesmetrics.ingest.mapping import Mapping, load_mapping
from salesmetrics.ingest.normalise import normalise, plan_columns
from salesmetrics.ingest.quality import InputQuality
from salesmetrics.ingest.read import read_table


@dataclass(frozen=True)
class LoadedInput:
    path: str
    mapping: Mapping
    frame: pd.DataFrame  # canonical fields and dimensions, plus `_row` (source row number)
    quality: InputQuality
    rejects: pd.DataFrame  # every rejected row: row, reason, and its values as read
    absent: dict[str, str] = field(default_factory=dict)  # field the file lacks -> header(s)

    @property
    def entity(self) -> str:
        return self.mapping.entity.name


def load_input(
    path: str | Path,
    mapping: Mapping | str,
    *,
    base_dir: Path | None = None,
    keep_all_columns: bool = False,
    strict: bool = False,
) -> LoadedInput:
    """Read `path` through `mapping` (a Mapping, a preset name or a .yaml path).

    Only the mapped columns are read unless `keep_all_columns`, which the rejects file needs
    to show rejected rows whole. `strict` turns what is otherwise a warning about the file
    into an error; the warnings are in `quality.warnings`. Repeated text comes
    dictionary-encoded (ingest.encode).
    """
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping, base_dir)
    name = str(path)
    plans = []

    def wanted(headers: list[str]) -> list[str] | None:
        plans.append(plan_columns(mapping, headers, name))
        return None if keep_all_columns else plans[-1].headers

    raw = read_table(name, mapping.read, wanted, strict=strict)
    frame, quality, rejects = normalise(raw, mapping, plans[-1], name, strict=strict)
    if raw.notices:
        quality = replace(quality, warnings=(*raw.notices, *quality.warnings))
    frame = encode_repeated(frame, mapping.entity.name)
    return LoadedInput(name, mapping, frame, quality, rejects, plans[-1].absent)
