"""Run the DuckDB SQL reference (reference.sql) over one folder of exports; write its values.

    python benchmarks/reference.py benchmarks/data/small-s1 --from 2025-01-01 --to 2026-10-31 \
        --output /tmp/reference.json

The output is a JSON list of {"kpi", "group", "value"}, with `group` as salesmetrics' JSON
report writes it ({} for the total, {"month": "2025-03", "owner": "..."}, ...), so run.py
can compare the two value by value. The benchmark times this whole process.
"""

from __future__ import annotations

import argparse
import json
import math
from datetime import date, timedelta
from pathlib import Path
from string import Template

import duckdb

SQL = Path(__file__).resolve().parent / "reference.sql"


def compute(data_dir: Path, first: date, last: date) -> list[dict]:
    """Every (kpi, group, value) the reference computes for the period first..last."""
    sql = Template(SQL.read_text(encoding="utf-8")).substitute(
        deals=(data_dir / "deals.csv").as_posix(),
        activities=(data_dir / "activities.csv").as_posix(),
        start=first.isoformat(),
        end=(last + timedelta(days=1)).isoformat(),
    )
    con = duckdb.connect()
    con.execute(sql)
    rows = con.execute("SELECT kpi, dimension, bucket, owner, value FROM result").fetchall()
    found = []
    for kpi, dimension, bucket, owner, value in rows:
        group = {}
        if bucket is not None:
            group[dimension] = bucket
        if owner is not None:
            group["owner"] = owner
        number = None if value is None or math.isnan(value) else float(value)
        found.append({"kpi": kpi, "group": group, "value": number})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    parser.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    values = compute(args.data_dir, args.first, args.last)
    args.output.write_text(json.dumps(values), encoding="utf-8")


if __name__ == "__main__":
    main()
