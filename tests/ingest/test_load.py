"""One input from file to frame: the example mappings on files re-saved another way, and what
reading learnt reaching the quality account as warnings."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from salesmetrics.errors import InputError
from salesmetrics.ingest.load import load_input

MAVEN = Path(__file__).parents[2] / "configs" / "examples" / "maven_crm" / "deals.yaml"
PIPELINE = [  # sales_pipeline.csv's header, and rows in its format (not the dataset's own)
    ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
     "close_date", "close_value"],
    ["1C1I7A6R", "Moses Frase", "GTX Plus Basic", "Cancity", "Won", "2016-10-20", "2017-03-01",
     "1054"],
    ["Z063OYW0", "Darcel Schlecht", "GTXPro", "Isdom", "Lost", "2016-10-25", "2017-03-14", "0"],
    ["HAXMC4IX", "James Ascencio", "MG Advanced", "", "Engaging", "2017-03-13", "", ""],
    ["6Y1KWNWX", "Vicki Laflamme", "GTK 500", "", "Prospecting", "", "", ""],
]  # fmt: skip


def european(rows: list[list[str]]) -> bytes:
    """The rows as a European Excel re-saves them: BOM, `;`, CRLF, every value quoted, dates
    day-first, and a totals line at the end."""

    def cell(value: str) -> str:
        if len(value) == 10 and value[4] == "-":  # an ISO date, shown the local way
            value = f"{value[8:]}/{value[5:7]}/{value[:4]}"
        return '"' + value.replace('"', '""') + '"'

    lines = [";".join(cell(v) for v in row) for row in rows]
    lines.append(";".join(['"Total"', *['""'] * 6, '"1054"']))
    return codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n"


def test_the_maven_pipeline_resaved_the_european_way_loads_through_the_example_mapping(
    tmp_path: Path,
):
    path = tmp_path / "sales_pipeline.csv"
    path.write_bytes(european(PIPELINE))
    loaded = load_input(path, str(MAVEN))
    q = loaded.quality
    assert (q.encoding, q.delimiter, q.footer_lines_dropped, q.warnings) == ("utf-8", ";", 1, ())
    # the Prospecting row has no engage date: rejected, as in the published file
    assert (q.rows_read, q.rows_used, q.rows_rejected) == (4, 3, 1)
    frame = loaded.frame.set_index("deal_id")
    assert frame["stage"].to_dict() == {
        "1C1I7A6R": "won",
        "Z063OYW0": "lost",
        "HAXMC4IX": "qualification",
    }
    assert frame["amount"].tolist()[:2] == [1054.0, 0.0]
    assert [str(d.date()) for d in frame["created_at"]] == [
        "2016-10-20",
        "2016-10-25",
        "2017-03-13",
    ]
    assert str(frame.loc["Z063OYW0", "closed_at"].date()) == "2017-03-14"


def test_a_read_option_the_file_disagrees_with_is_a_warning_of_the_input(tmp_path: Path):
    path = tmp_path / "sales_pipeline.csv"
    path.write_bytes(european(PIPELINE))
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(f'extends: {MAVEN}\nread:\n  delimiter: ","\n', encoding="utf-8")
    q = load_input(path, str(pinned)).quality
    assert q.delimiter == ";" and q.rows_used == 3
    (warning,) = q.warnings
    assert warning.startswith(f"{path}: the mapping says delimiter ',' but the file uses ';'")
    with pytest.raises(InputError, match="the mapping says delimiter ',' but the file uses ';'"):
        load_input(path, str(pinned), strict=True)
