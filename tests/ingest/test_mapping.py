"""Mapping files: what they can say, and how their mistakes are reported."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from salesmetrics.cli import app
from salesmetrics.errors import MappingError
from salesmetrics.ingest.mapping import list_presets, load_mapping, resolve_mapping
from tests.conftest import FIXTURE_MAPPING, FIXTURES


def write(tmp_path: Path, text: str, name: str = "m.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_fixture_mapping_loads():
    mapping = load_mapping(FIXTURE_MAPPING)
    assert mapping.entity.name == "deals"
    assert mapping.columns["created_at"] == ("Created",)
    assert mapping.values["stage"].pairs == {"demo": "demo"}
    assert mapping.dedupe_key == ("deal_id",)


def test_broken_yaml_names_file_and_line():
    with pytest.raises(MappingError, match=r"broken\.yaml, line \d+: not valid YAML"):
        load_mapping(str(FIXTURES / "broken.yaml"))


def test_unknown_top_key_names_line(tmp_path):
    path = write(tmp_path, "entity: deals\ncolumns:\n  deal_id: ID\ncolumn:\n  x: y\n")
    with pytest.raises(MappingError, match=r"m\.yaml, line 4: column: unknown key"):
        load_mapping(path)


def test_unknown_entity(tmp_path):
    path = write(tmp_path, "entity: opportunities\ncolumns: {deal_id: ID}\n")
    with pytest.raises(MappingError, match=r"line 1: entity: expected one of deals, leads"):
        load_mapping(path)


def test_value_map_target_must_be_canonical(tmp_path):
    path = write(
        tmp_path,
        "entity: deals\ncolumns:\n  stage: Stage\nvalues:\n  stage:\n    map:\n"
        "      Closed Won: closed_won\n",
    )
    with pytest.raises(
        MappingError, match=r"line 7: values\.stage\.map: 'closed_won' is not a stage"
    ):
        load_mapping(path)


def test_yes_and_no_stay_text_in_value_maps(tmp_path):
    path = write(
        tmp_path,
        "entity: deals\ncolumns:\n  status: Won?\nvalues:\n  status:\n    map: {Yes: won, No: lost}\n",
    )
    assert load_mapping(path).values["status"].pairs == {"yes": "won", "no": "lost"}


def test_aliases_constants_filters_derive(tmp_path):
    path = write(
        tmp_path,
        """
entity: orders
columns:
  order_id: [Invoice, InvoiceNo]
  quantity: Quantity
  unit_price: UnitPrice
  ordered_at: InvoiceDate
constants:
  currency: GBP
filters:
  - column: InvoiceNo
    starts_with: C
    reason: cancellation
derive:
  amount: {multiply: [quantity, unit_price]}
""",
    )
    mapping = load_mapping(path)
    assert mapping.columns["order_id"] == ("Invoice", "InvoiceNo")
    assert mapping.constants == {"currency": "GBP"}
    assert mapping.filters[0].reason == "cancellation"
    assert mapping.filters[0].condition.test == "starts_with"
    assert mapping.derive["amount"].fields == ("quantity", "unit_price")


def test_filter_needs_a_reason(tmp_path):
    path = write(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: D}\nfilters:\n  - column: X\n    equals: y\n",
    )
    with pytest.raises(MappingError, match=r"line 4: filters\[0\]: every filter needs a `reason:`"):
        load_mapping(path)


def test_filter_with_two_tests_is_refused(tmp_path):
    path = write(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: D}\nfilters:\n"
        "  - {column: X, equals: y, starts_with: z, reason: r}\n",
    )
    with pytest.raises(MappingError, match="give exactly one test"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("(", r"missing \)"),
        ("(?<=Acme )Corp", r"invalid perl operator: \(\?<"),  # look-behind
        ("(?!Test)", r"invalid perl operator: \(\?!"),  # negative look-ahead
        (r"(\w)\1", r"invalid escape sequence: \\1"),  # back-reference
        ("a{1001}", r"invalid repetition size"),
    ],
)
def test_a_filter_regex_that_re2_cannot_run_is_refused_on_load(tmp_path, pattern, reason):
    """Filters run on Arrow strings, whose engine is RE2: a pattern it cannot compile is a
    mapping error naming the file, line and key, before any data is read."""
    path = write(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: D}\nfilters:\n"
        f"  - {{column: X, matches: '{pattern}', reason: r}}\n",
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 4: filters[0].matches: not a valid regular ")
    assert "RE2" in message
    assert re.search(reason, message), message


def test_a_filter_regex_in_re2_syntax_loads_where_python_would_refuse_it(tmp_path):
    path = write(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: D}\nfilters:\n"
        "  - {column: X, matches: '^\\pN+$', reason: a number and not a name}\n",
    )
    (only,) = load_mapping(path).filters
    assert only.condition.value == "^\\pN+$"


def test_derive_from_unmapped_field(tmp_path):
    path = write(
        tmp_path,
        "entity: orders\ncolumns: {ordered_at: D, quantity: Q}\n"
        "derive:\n  amount: {multiply: [quantity, unit_price]}\n",
    )
    with pytest.raises(
        MappingError, match=r"line 4: amount: uses 'unit_price', which is not mapped"
    ):
        load_mapping(path)


def test_bad_parse_option_and_timezone(tmp_path):
    path = write(tmp_path, "entity: deals\ncolumns: {deal_id: ID}\nparse:\n  date_order: ydm\n")
    with pytest.raises(MappingError, match=r"line 4: parse\.date_order: expected one of"):
        load_mapping(path)
    path = write(tmp_path, "entity: deals\ncolumns: {deal_id: ID}\nparse:\n  timezone: Mars/Base\n")
    with pytest.raises(MappingError, match=r"line 4: timezone: unknown time zone"):
        load_mapping(path)


def test_extends_overrides_key_by_key(tmp_path):
    write(
        tmp_path,
        "entity: deals\ncolumns:\n  deal_id: ID\n  created_at: Created\n"
        "values:\n  stage:\n    map: {A: demo}\nfilters:\n  - {column: ID, equals: x, reason: one}\n",
        "base.yaml",
    )
    child = write(
        tmp_path,
        "extends: base.yaml\ncolumns:\n  created_at: Create Date\n"
        "filters:\n  - {column: ID, equals: y, reason: two}\n",
    )
    mapping = load_mapping(child)
    assert mapping.columns == {"deal_id": ("ID",), "created_at": ("Create Date",)}
    assert mapping.values["stage"].pairs == {"a": "demo"}
    assert [f.reason for f in mapping.filters] == ["one", "two"]


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path, "extends: b.yaml\nentity: deals\n", "a.yaml")
    write(tmp_path, "extends: a.yaml\nentity: deals\n", "b.yaml")
    with pytest.raises(MappingError, match="goes round in a circle"):
        load_mapping(str(tmp_path / "a.yaml"))


def test_unknown_preset_lists_known_ones():
    with pytest.raises(MappingError, match=r"no mapping preset named 'hubspot_nope'"):
        resolve_mapping("hubspot_nope")


def test_presets_are_listed_by_name_and_are_package_data():
    assert "hubspot_deals" in list_presets()
    assert not any("/" in name for name in list_presets())  # the sample company's are not presets
    path = resolve_mapping("hubspot_deals")
    assert path.name == "hubspot_deals.yaml" and path.parent.name == "presets"
    assert path.parent.parent.name == "salesmetrics"


def test_extends_a_constant_replaces_the_parents_column(tmp_path):
    write(tmp_path, "entity: deals\ncolumns: {deal_id: ID, pipeline: Pipeline}\n", "base.yaml")
    child = write(tmp_path, "extends: base.yaml\nconstants: {pipeline: Enterprise}\n")
    mapping = load_mapping(child)
    assert mapping.columns == {"deal_id": ("ID",)}
    assert mapping.constants == {"pipeline": "Enterprise"}


def test_extending_a_mapping_of_another_entity_takes_only_its_shared_value_maps(tmp_path):
    write(
        tmp_path,
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, stage: Stage}\n"
        "values:\n  stage: {map: {Pilot: demo}}\n  deal_type: {map: {New: new}}\n"
        "derive:\n  status:\n    - value: null\ndedupe: {key: [deal_id]}\n",
        "deals.yaml",
    )
    history = write(
        tmp_path,
        "extends: deals.yaml\nentity: stage_history\n"
        "columns: {deal_id: Deal, stage: Stage, changed_at: When}\n"
        "values:\n  stage: {map: {Trial: qualification}}\n",
    )
    mapping = load_mapping(history)
    assert mapping.entity.name == "stage_history"
    assert mapping.columns == {"deal_id": ("Deal",), "stage": ("Stage",), "changed_at": ("When",)}
    assert mapping.values["stage"].pairs == {"pilot": "demo", "trial": "qualification"}
    assert set(mapping.values) == {"stage"}  # no deal_type: a stage history has none
    assert (mapping.derive, mapping.dedupe_key) == ({}, ())
    # a file of the user's own that extends the history mapping keeps everything of it
    own = write(tmp_path, "extends: m.yaml\nvalues:\n  stage: {map: {Pitch: demo}}\n", "own.yaml")
    assert load_mapping(own).values["stage"].pairs == {
        "pilot": "demo",
        "trial": "qualification",
        "pitch": "demo",
    }
    assert load_mapping(own).columns == mapping.columns


def test_history_presets_take_their_crms_deal_stage_map():
    for history, deals in (
        ("zoho_stage_history", "zoho_deals"),
        ("salesforce_opportunity_history", "salesforce_opportunities"),
        ("salesforce_opportunity_field_history", "salesforce_opportunities"),
    ):
        assert load_mapping(history).values["stage"] == load_mapping(deals).values["stage"]


def test_lines_of_names_mapped_fields_one_or_several(tmp_path):
    one = write(
        tmp_path, "entity: deals\ncolumns: {deal_id: ID, stage: Stage}\nlines_of: deal_id\n"
    )
    assert load_mapping(one).lines_of == ("deal_id",)
    several = write(
        tmp_path,
        "entity: deals\ncolumns: {deal_id: ID, stage: Stage, deal_name: Name}\n"
        "lines_of: [deal_name, deal_id]\n",
        "several.yaml",
    )
    assert load_mapping(several).lines_of == ("deal_name", "deal_id")
    assert load_mapping(FIXTURE_MAPPING).lines_of == ()  # rows are records unless it is said


def test_lines_of_a_field_not_mapped_to_a_column_is_refused(tmp_path):
    path = write(
        tmp_path,
        "entity: deals\ncolumns: {deal_id: ID, stage: Stage}\nconstants: {pipeline: Main}\n"
        "lines_of: pipeline\n",
    )
    with pytest.raises(
        MappingError, match=r"m\.yaml, line 4: lines_of: 'pipeline' is not mapped to a column"
    ):
        load_mapping(path)


def test_lines_of_is_for_deals(tmp_path):
    path = write(
        tmp_path, "entity: leads\ncolumns: {lead_id: ID, created_at: Created}\nlines_of: lead_id\n"
    )
    with pytest.raises(MappingError, match=r"line 3: lines_of: is for deals exports"):
        load_mapping(path)


def test_lines_of_is_inherited_and_null_turns_it_off(tmp_path):
    write(
        tmp_path,
        "entity: deals\ncolumns: {deal_id: ID, stage: Stage}\nlines_of: deal_id\n",
        "p.yaml",
    )
    child = write(tmp_path, "extends: p.yaml\ncolumns: {owner: Owner}\n", "child.yaml")
    assert load_mapping(child).lines_of == ("deal_id",)
    off = write(tmp_path, "extends: p.yaml\nlines_of: null\n", "off.yaml")
    assert load_mapping(off).lines_of == ()


def test_date_range_sets_the_plausible_dates_and_is_checked(tmp_path):
    good = tmp_path / "old.yaml"
    good.write_text(
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, status: Status}\n"
        "parse:\n  date_range: {earliest: 1900-01-01}\n",
        encoding="utf-8",
    )
    options = load_mapping(str(good)).parse
    assert (options.earliest, options.latest) == (date(1900, 1, 1), None)
    good.write_text(
        "entity: deals\ncolumns: {deal_id: ID, created_at: Created, status: Status}\n"
        "parse:\n  date_range: {earliest: '1900-01-01', latest: 2099-12-31 23:59:00}\n",
        encoding="utf-8",
    )
    options = load_mapping(str(good)).parse
    assert (options.earliest, options.latest) == (date(1900, 1, 1), date(2099, 12, 31))
    for bad, message in (
        ("{earliest: soon}", r"old\.yaml, line 4: earliest: expected a date"),
        ("{earliest: 2030-01-01, latest: 2020-01-01}", "earliest is after latest"),
        ("{first: 1900-01-01}", "unknown option; expected one of earliest, latest"),
        ("1900", "expected a mapping"),
    ):
        good.write_text(
            "entity: deals\ncolumns: {deal_id: ID, created_at: Created, status: Status}\n"
            f"parse:\n  date_range: {bad}\n",
            encoding="utf-8",
        )
        with pytest.raises(MappingError, match=message):
            load_mapping(str(good))


def test_an_extends_chain_is_bounded(tmp_path):
    """A chain 3,000 files long hit Python's recursion limit; past 20 it is one line."""
    write(tmp_path, "entity: deals\ncolumns: {deal_id: ID}\n", "m0.yaml")
    for i in range(1, 21):
        write(tmp_path, f"extends: m{i - 1}.yaml\ncolumns: {{owner: Owner {i}}}\n", f"m{i}.yaml")
    assert load_mapping(str(tmp_path / "m19.yaml")).columns["owner"] == ("Owner 19",)
    with pytest.raises(MappingError) as caught:
        load_mapping(str(tmp_path / "m20.yaml"))
    assert str(caught.value) == (
        f"{tmp_path / 'm0.yaml'}: `extends` chains more than 20 files, from {tmp_path / 'm20.yaml'}; "
        "let a mapping extend a preset or another mapping directly"
    )


EVERY_KEY = """\
entity: deals
description: every key a mapping may hold
read:
  encoding: utf-8
  delimiter: ","
  header: true
  header_row: 1
  sheet: Deals
  footer: 0
parse:
  decimal: "."
  thousands: ","
  date_order: dmy
  date_format: "%d.%m.%Y"
  timezone: Europe/Berlin
  percent: fraction
  date_range: {earliest: 2000-01-01, latest: 2030-12-31}
columns:
  deal_id: Deal ID
  stage: [Stage, Deal Stage]
  amount: Amount
  created_at: Created
  owner: Owner
  product: Product
  source: Lead Source
constants:
  currency: EUR
values:
  stage:
    map: {Won: won, Lost: lost}
    default: prospecting
  source:
    map: {web: Website}
    keep_unmapped: true
filters:
  - {column: Deal Name, matches: "^Test", reason: test deals}
  - {field: owner, in: [Bot, Import], reason: robots}
  - {column: Deal Name, blank: true, reason: no name}
derive:
  team:
    - when: {field: owner, equals: Ana}
      value: North
    - value: South
  pipeline: {first_of: [product, source]}
dedupe:
  key: [deal_id]
lines_of: [deal_id]
"""


def _leaves(node, path=()):
    """(key path, value) of every single value in a YAML tree."""
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        if isinstance(value, dict | list):
            yield from _leaves(value, (*path, key))
        else:
            yield (*path, key), value


def _replaced(tree, path, value):
    copy = yaml.safe_load(yaml.safe_dump(tree))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return copy


def test_the_every_key_mapping_loads(tmp_path):
    mapping = load_mapping(write(tmp_path, EVERY_KEY))
    assert mapping.description == "every key a mapping may hold"
    assert len(mapping.filters) == 3 and set(mapping.derive) == {"team", "pipeline"}


@pytest.mark.parametrize(
    "path", [path for path, _ in _leaves(yaml.safe_load(EVERY_KEY))], ids=lambda p: str(p)
)
@pytest.mark.parametrize("wrong", [{"x": 1}, [["x"]]], ids=["mapping", "list of lists"])
def test_a_wrong_type_anywhere_is_a_mapping_error_with_file_and_line(tmp_path, path, wrong):
    """A mapping or a list of lists where one value (or a list of values) belongs is never an
    internal error: every key is checked, and named with its file and line."""
    text = yaml.safe_dump(_replaced(yaml.safe_load(EVERY_KEY), path, wrong), sort_keys=False)
    file = write(tmp_path, text)
    with pytest.raises(MappingError, match=rf"^{re.escape(file)}, line \d+: "):
        load_mapping(file)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("entity: [deals]\ncolumns: {deal_id: ID}\n", "line 1: entity: expected one of"),
        (
            "extends: hubspot_deals\nentity: [deals]\n",
            "line 2: entity: expected one of",
        ),
        (
            "entity: deals\ncolumns: {deal_id: ID}\nread: {footer: true}\n",
            r"line 3: read.footer: expected auto or a number of lines",
        ),
        (
            "entity: deals\ncolumns: {deal_id: ID}\nread: {header_row: true}\n",
            r"line 3: read.header_row: expected a row number from 1",
        ),
        (
            "entity: deals\ncolumns: {deal_id: ID}\nparse:\n  date_format: ['%d.%m.%Y']\n",
            r"line 4: parse.date_format: expected a single value, got a list",
        ),
        (
            "entity: deals\ncolumns: {deal_id: ID, owner: O}\nfilters:\n"
            "  - {field: [owner], equals: Bot, reason: r}\n",
            r"line 4: filters\[0\].field: expected a single value, got a list",
        ),
        (
            "entity: deals\ncolumns: {deal_id: ID, owner: O}\nderive:\n"
            "  team: {first_of: [owner, [owner]]}\n",
            r"line 4: derive.team: expected a list of field names",
        ),
    ],
)
def test_wrong_types_are_named(tmp_path, text, message):
    with pytest.raises(MappingError, match=message):
        load_mapping(write(tmp_path, text))


def _chain(tmp_path: Path, length: int) -> str:
    write(tmp_path, "entity: deals\ncolumns: {deal_id: Deal ID}\n", "c0.yaml")
    for i in range(1, length):
        write(tmp_path, f"extends: c{i - 1}.yaml\n", f"c{i}.yaml")
    return f"c{length - 1}.yaml"


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda d: write(d, "entity: [deals]\ncolumns: {deal_id: ID}\n"), "line 1: entity: expec"),
        (
            lambda d: write(
                d,
                "entity: deals\ncolumns: {deal_id: Deal ID}\nfilters:\n"
                "  - {column: Deal ID, matches: '(?<=D)1', reason: r}\n",
            ),
            "line 4: filters[0].matches: not a valid regular expression in RE2 syntax",
        ),
        (lambda d: _chain(d, 3000), "`extends` chains more than 20 files"),
        (
            lambda d: write(d, "a: &a [x, x]\n" + "b: [" + ", ".join(["*a"] * 60_000) + "]\n"),
            "alias",
        ),
        (lambda d: (d / "zero.yaml").symlink_to("/dev/zero") or "zero.yaml", "not a regular file"),
    ],
)
def test_a_hostile_mapping_is_one_line_and_exit_1_through_the_cli(runner, tmp_path, make, said):
    name = Path(make(tmp_path)).name
    result = runner.invoke(
        app, ["validate", str(FIXTURES / "plain.csv"), "--mapping", str(tmp_path / name)]
    )
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"error: {tmp_path}"), result.stderr
    assert said in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(("field", "kind"), [("amount", "money"), ("created_at", "datetime")])
@pytest.mark.parametrize("test", ["matches", "starts_with"])
def test_a_text_test_on_a_number_or_date_field_is_refused(tmp_path, field, kind, test):
    """`field: amount, matches: '^1'` was an internal error at run time, and `starts_with: '1'`
    silently compared the amount with 1."""
    path = write(
        tmp_path,
        "entity: deals\ncolumns: {deal_id: ID, amount: Amount, created_at: Created}\n"
        f"filters:\n  - {{field: {field}, {test}: '1', reason: r}}\n",
    )
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value) == (
        f"{path}, line 4: filters[0].{test}: tests text, and {field} is a {kind} field; "
        "test its source column (`column:` and the header) instead"
    )
