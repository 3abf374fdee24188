"""Repeated text dictionary-encoded at load; ids, unique text and typed columns left alone."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from salesmetrics.ingest import encode
from salesmetrics.ingest.encode import encode_repeated
from tests.kpis.frames import frame

TEXT = pd.ArrowDtype(pa.string())


def _is_dictionary(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.ArrowDtype) and pa.types.is_dictionary(
        values.dtype.pyarrow_dtype
    )


def test_repeated_text_is_encoded_and_reads_the_same():
    rows = [
        ("A1", "2026-10-01", "email", "Ana", f"note {i}", "Acme" if i % 2 else None)
        for i in range(8)
    ]
    given = frame("activities", "activity_id occurred_at channel owner note segment", rows)
    encoded = encode_repeated(given, "activities")
    assert [c for c in encoded if _is_dictionary(encoded[c])] == ["channel", "owner", "segment"]
    for name in given:  # the same values, blanks included, whatever the type
        assert encoded[name].astype(object).tolist() == given[name].astype(object).tolist()
    assert encoded["activity_id"].dtype == TEXT  # an id, though it repeats: text
    assert encoded["note"].dtype == TEXT  # every value differs
    assert encoded["occurred_at"].dtype == given["occurred_at"].dtype


def test_only_the_first_rows_judge_a_column(monkeypatch):
    monkeypatch.setattr(encode, "SAMPLE", 4)
    owners = ["Ana", "Ana", "Ana", "Ana", "Ben", "Cy", "Di", "Ed"]
    given = pd.DataFrame({"owner": pd.Series(owners, dtype=TEXT)})
    assert _is_dictionary(encode_repeated(given, "deals")["owner"])  # 1 distinct of 4
    monkeypatch.setattr(encode, "MOST_DISTINCT", 0.2)
    assert encode_repeated(given, "deals") is given  # 1 of 4 is above a share of 0.2
