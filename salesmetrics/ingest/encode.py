"""Repeated text held once: a loaded frame's categories as Arrow dictionary columns.

An owner, stage, channel or currency repeats on every row; as a dictionary column each row
holds a 4-byte code into one list of the distinct values, which shrinks an activity log by
about a third, and the KPI code reads it as it reads text. Ids are left as text: the KPI code
casts them to text to hash them into join codes, so encoding them here would hash them twice.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from salesmetrics.schema import ENTITIES, Kind

TEXT = pd.ArrowDtype(pa.string())
SAMPLE = 1 << 16  # rows looked at to judge a column
MOST_DISTINCT = 0.25  # encoded when at most this share of the sample's values differ


def encode_repeated(frame: pd.DataFrame, entity: str) -> pd.DataFrame:
    """`frame` with each text column that is no id and repeats its values (judged on its
    first SAMPLE rows) dictionary-encoded; the other columns as they are, not copied."""
    fields = ENTITIES[entity]
    encoded = {}
    for name in frame.columns:
        values = frame[name]
        spec = fields.field(name)
        if values.dtype != TEXT or (spec is not None and spec.kind is Kind.ID):
            continue
        text = pa.chunked_array(pa.array(values.array))
        sample = text.slice(0, SAMPLE)
        if pc.count_distinct(sample, mode="all").as_py() > MOST_DISTINCT * len(sample):
            continue
        codes = pc.dictionary_encode(text)
        encoded[name] = pd.Series(
            pd.arrays.ArrowExtensionArray(codes), index=frame.index, name=name
        )
    if not encoded:
        return frame
    return frame.assign(**encoded)
