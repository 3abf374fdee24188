"""Mapping files: one YAML file describes one export format and the entity it produces.

Validated on load, so a mistake is reported with its file, key and line before any data is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from salesmetrics.errors import MappingError
from salesmetrics.schema import ENTITIES, Entity, Kind
from salesmetrics.yamlfile import Node, YamlError, load_yaml

PRESETS_DIR = Path(str(resources.files("salesmetrics") / "presets"))
"""Where the CRM presets live: package data, `salesmetrics/presets/NAME.yaml`, named by NAME
(e.g. `hubspot_deals`). Found through importlib.resources so a wheel or pipx install has them."""

TOP_KEYS = (
    "entity",
    "description",
    "extends",
    "read",
    "parse",
    "columns",
    "constants",
    "values",
    "filters",
    "derive",
    "dedupe",
    "lines_of",
)
LINE_ENTITIES = ("deals",)
"""Entities whose exports may be line items (`lines_of`): a deal's product lines."""
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|", "whitespace": "whitespace"}
FILTER_TESTS = ("equals", "not_equals", "in", "not_in", "starts_with", "matches", "blank")
CONDITION_TESTS = ("is", "equals", "in")
TEXT_KINDS = (Kind.ID, Kind.TEXT, Kind.ENUM)
"""The kinds of field a filter's `matches` or `starts_with` can test."""
MAX_EXTENDS = 20
"""How many files an `extends` chain may hold (a user's file extends a preset: 2)."""


@dataclass(frozen=True)
class ReadOptions:
    encoding: str = "auto"
    delimiter: str = "auto"
    header: bool = True
    header_row: int | None = None  # None: found automatically
    sheet: str | int | None = None
    footer: str | int = "auto"


@dataclass(frozen=True)
class ParseOptions:
    decimal: str = "auto"
    thousands: str = "auto"
    date_order: str = "auto"
    date_format: str | None = None
    timezone: str = "UTC"
    percent: str = "auto"
    earliest: date | None = None  # parse.date_range: the plausible dates (salesmetrics.anomalies)
    latest: date | None = None


@dataclass(frozen=True)
class ValueMap:
    """Raw value (case-folded, trimmed) -> canonical value; `default` applies to the rest."""

    pairs: dict[str, str | None]
    has_default: bool = False
    default: str | None = None
    keep_unmapped: bool = False  # text fields only: values not listed pass through unchanged


@dataclass(frozen=True)
class Condition:
    """A test on a source column (raw text) or a canonical field (typed value)."""

    column: str | None
    field: str | None
    test: str
    value: Any


@dataclass(frozen=True)
class Filter:
    condition: Condition
    reason: str


@dataclass(frozen=True)
class Rule:
    when: Condition | None
    value: Any


@dataclass(frozen=True)
class Derivation:
    kind: str  # multiply | first_of | rules
    fields: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    entity: Entity
    description: str = ""
    read: ReadOptions = ReadOptions()
    parse: ParseOptions = ParseOptions()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    constants: dict[str, Any] = field(default_factory=dict)
    values: dict[str, ValueMap] = field(default_factory=dict)
    filters: tuple[Filter, ...] = ()
    derive: dict[str, Derivation] = field(default_factory=dict)
    dedupe_key: tuple[str, ...] = ()
    lines_of: tuple[str, ...] = ()  # rows are lines of one record, joined by these fields

    def kind_of(self, name: str) -> Kind:
        """A canonical field's kind; any other mapped name is a text dimension."""
        f = self.entity.field(name)
        return f.kind if f else Kind.TEXT

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if self.entity.field(c) is None)


def resolve_mapping(ref: str, base_dir: Path | None = None) -> Path:
    """A path for a mapping given by preset name (`hubspot_deals`) or by `.yaml` path."""
    if ref.endswith((".yaml", ".yml")):
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return path
    path = PRESETS_DIR / f"{ref}.yaml"
    if "/" in ref or "\\" in ref or not path.is_file():
        known = ", ".join(list_presets()) or "none"
        raise MappingError(
            f"no mapping preset named {ref!r} (looked for {path}); known presets: {known}; "
            "or give a path ending in .yaml"
        )
    return path


def list_presets() -> list[str]:
    """Every preset name: the `.yaml` files in the package's presets folder, without suffix."""
    return sorted(p.stem for p in PRESETS_DIR.glob("*.yaml"))


def load_mapping(ref: str, base_dir: Path | None = None) -> Mapping:
    """Load, merge (`extends`) and validate a mapping."""
    path = resolve_mapping(ref, base_dir)
    raw = _load_merged(path, seen=())
    return _Validator(path, ref).build(raw)


def _load_merged(path: Path, seen: tuple[Path, ...]) -> Node:
    if path.resolve() in seen:
        chain = " -> ".join(str(p) for p in (*seen, path.resolve()))
        raise MappingError(f"{path}: `extends` goes round in a circle: {chain}")
    if len(seen) == MAX_EXTENDS:
        raise MappingError(
            f"{path}: `extends` chains more than {MAX_EXTENDS} files, from {seen[0]}; "
            "let a mapping extend a preset or another mapping directly"
        )
    try:
        raw = load_yaml(path)
    except YamlError as exc:
        raise MappingError(str(exc)) from None
    if not isinstance(raw, Node):
        raise MappingError(
            f"{path}: expected a mapping file with keys such as entity and columns, "
            "found something else"
        )
    parent_ref = raw.get("extends")
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise MappingError(_where(raw, "extends", "expected a preset name or a .yaml path"))
    parent = _load_merged(resolve_mapping(parent_ref, path.parent), (*seen, path.resolve()))
    return _merge(_passed_on(parent, raw.get("entity")), raw)


def _passed_on(parent: Node, entity: Any) -> Node:
    """What a mapping gives one that extends it: everything, or, to a mapping of another entity,
    only the value maps of the fields that entity has too (a stage history takes its CRM's deal
    stage map, and the stages a user's extension of it adds)."""
    if not isinstance(entity, str) or entity == parent.get("entity") or entity not in ENTITIES:
        return parent
    kept = Node()
    kept.source, kept.line, kept.lines = parent.source, parent.line, {}
    values = parent.get("values")
    if isinstance(values, Node):
        shared = Node({k: v for k, v in values.items() if ENTITIES[entity].field(k) is not None})
        shared.source, shared.line = values.source, values.line
        shared.lines = {k: line for k, line in values.lines.items() if k in shared}
        kept["values"] = shared
        kept.lines["values"] = parent.line_of("values")
    return kept


def _merge(parent: Node, child: Node) -> Node:
    """Child keys override the parent's; sections merge key by key, filters add up."""
    merged = Node(parent)
    merged.source, merged.line = child.source, child.line
    merged.lines = dict(parent.lines)
    for key, value in child.items():
        if key == "extends":
            continue
        old = parent.get(key)
        if key == "filters" and isinstance(old, list) and isinstance(value, list):
            merged[key] = old + value
        elif isinstance(old, Node) and isinstance(value, Node) and key != "dedupe":
            section = Node(old)
            section.source, section.line = value.source, value.line
            section.lines = {**old.lines, **value.lines}
            section.update(value)
            if key == "values":
                _merge_value_maps(section, old, value)
            merged[key] = section
        else:
            merged[key] = value
        merged.lines[key] = child.line_of(key)
    _child_wins(merged, child, "constants", "columns")
    _child_wins(merged, child, "columns", "constants")
    return merged


def _merge_value_maps(section: Node, parent: Node, child: Node) -> None:
    """A field's value map in a child adds to the parent's, raw value by raw value."""
    for name, spec in child.items():
        base = parent.get(name)
        if not (isinstance(base, Node) and isinstance(spec, Node)):
            continue
        combined = Node(base)
        combined.source, combined.line = spec.source, spec.line
        combined.lines = {**base.lines, **spec.lines}
        combined.update(spec)
        if isinstance(base.get("map"), Node) and isinstance(spec.get("map"), Node):
            pairs = Node(base["map"])
            pairs.source, pairs.line = spec["map"].source, spec["map"].line
            pairs.lines = {**base["map"].lines, **spec["map"].lines}
            pairs.update(spec["map"])
            combined["map"] = pairs
        section[name] = combined


def _child_wins(merged: Node, child: Node, child_section: str, parent_section: str) -> None:
    """A field the child sets one way (a column, a constant) drops the parent's other way."""
    own = child.get(child_section)
    inherited = merged.get(parent_section)
    if not isinstance(own, Node) or not isinstance(inherited, Node):
        return
    also_own = child.get(parent_section) or {}  # the child setting both is its own mistake
    kept = Node({k: v for k, v in inherited.items() if k not in own or k in also_own})
    kept.source, kept.line, kept.lines = inherited.source, inherited.line, inherited.lines
    merged[parent_section] = kept


def _where(node: Node, key: Any, problem: str, path: str | None = None) -> str:
    return f"{node.source}, line {node.line_of(key)}: {path or key}: {problem}"


class _Validator:
    """Turns a merged YAML tree into a `Mapping`, or a MappingError naming file, key and line."""

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name

    def fail(self, node: Node, key: Any, problem: str, keypath: str | None = None) -> MappingError:
        return MappingError(_where(node, key, problem, keypath))

    def build(self, raw: Node) -> Mapping:
        for key in raw:
            if key not in TOP_KEYS:
                raise self.fail(raw, key, f"unknown key; expected one of {', '.join(TOP_KEYS)}")
        entity_name = raw.get("entity")
        if not isinstance(entity_name, str) or entity_name not in ENTITIES:
            raise self.fail(raw, "entity", f"expected one of {', '.join(ENTITIES)}")
        entity = ENTITIES[entity_name]
        columns = self._columns(raw, entity)
        constants = self._constants(raw, entity, columns)
        mapping = Mapping(
            name=self.name,
            path=self.path,
            entity=entity,
            description=self._text(raw, "description", "description") or "",
            read=self._read(raw),
            parse=self._parse(raw),
            columns=columns,
            constants=constants,
            values=self._values(raw, entity),
            filters=self._filters(raw, entity),
            derive=self._derive(raw, entity),
            dedupe_key=self._dedupe(raw),
            lines_of=self._lines_of(raw, entity),
        )
        self._check_fields_known(raw, mapping)
        return mapping

    def _section(self, raw: Node, key: str) -> Node:
        value = raw.get(key)
        if value is None:
            empty = Node()
            empty.source, empty.line, empty.lines = raw.source, raw.line_of(key), {}
            return empty
        if not isinstance(value, Node):
            raise self.fail(raw, key, "expected a mapping of keys to values")
        return value

    def _text(self, node: Node, key: Any, keypath: str) -> str | None:
        """A key that holds one value, as text; a list or mapping there is a mistake."""
        value = node.get(key)
        if isinstance(value, list | dict):
            kind = "list" if isinstance(value, list) else "mapping"
            raise self.fail(node, key, f"expected a single value, got a {kind}", keypath)
        return _scalar_text(value)

    def _read(self, raw: Node) -> ReadOptions:
        sec = self._section(raw, "read")
        known = ("encoding", "delimiter", "header", "header_row", "sheet", "footer")
        self._only(sec, "read", known)
        delimiter = self._text(sec, "delimiter", "read.delimiter") or "auto"
        if delimiter != "auto" and delimiter not in DELIMITERS:
            raise self.fail(sec, "delimiter", 'expected auto, ",", ";", "\\t", "|" or whitespace')
        header = sec.get("header", True)
        if not isinstance(header, bool):
            raise self.fail(sec, "header", "expected true or false", "read.header")
        header_row = sec.get("header_row")
        if header_row is not None and (not _is_whole(header_row) or header_row < 1):
            raise self.fail(sec, "header_row", "expected a row number from 1", "read.header_row")
        sheet = sec.get("sheet")
        if sheet is not None and not (isinstance(sheet, str) or _is_whole(sheet)):
            raise self.fail(sec, "sheet", "expected a sheet name or a 0-based index", "read.sheet")
        footer = sec.get("footer", "auto")
        if footer != "auto" and not (_is_whole(footer) and footer >= 0):
            raise self.fail(sec, "footer", "expected auto or a number of lines", "read.footer")
        return ReadOptions(
            encoding=self._text(sec, "encoding", "read.encoding") or "auto",
            delimiter=DELIMITERS.get(delimiter, delimiter),
            header=header,
            header_row=header_row,
            sheet=sheet,
            footer=footer,
        )

    def _parse(self, raw: Node) -> ParseOptions:
        sec = self._section(raw, "parse")
        known = (
            *("decimal", "thousands", "date_order", "date_format", "timezone", "percent"),
            "date_range",
        )
        self._only(sec, "parse", known)
        choices = {
            "decimal": ("auto", ".", ","),
            "thousands": ("auto", ",", ".", " ", "'", ""),
            "date_order": ("auto", "dmy", "mdy", "ymd"),
            "percent": ("auto", "fraction", "percent"),
        }
        for key, allowed in choices.items():
            if key in sec and self._text(sec, key, f"parse.{key}") not in allowed:
                shown = ", ".join(repr(a) for a in allowed)
                raise self.fail(sec, key, f"expected one of {shown}", f"parse.{key}")
        timezone = self._text(sec, "timezone", "parse.timezone") or "UTC"
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(timezone)
        except (ValueError, KeyError, OSError):
            raise self.fail(
                sec, "timezone", "unknown time zone; use an IANA name such as Europe/Berlin"
            ) from None
        fmt = self._text(sec, "date_format", "parse.date_format")
        earliest, latest = self._date_range(sec)
        return ParseOptions(
            decimal=str(sec.get("decimal", "auto")),
            thousands=str(sec.get("thousands", "auto")),
            date_order=str(sec.get("date_order", "auto")),
            date_format=fmt,
            timezone=timezone,
            percent=str(sec.get("percent", "auto")),
            earliest=earliest,
            latest=latest,
        )

    def _date_range(self, sec: Node) -> tuple[date | None, date | None]:
        """`date_range: {earliest: 1900-01-01, latest: 2099-12-31}`: dates the data may hold
        outside the default plausible range (1990 to as_of + 10 years); either end may be left
        out."""
        if sec.get("date_range") is None:
            return None, None
        node = self._section(sec, "date_range")
        self._only(node, "parse.date_range", ("earliest", "latest"))
        ends: list[date | None] = []
        for key in ("earliest", "latest"):
            value = node.get(key)
            if isinstance(value, datetime):  # YAML reads `2099-12-31 23:59` as a timestamp
                value = value.date()
            if value is None or isinstance(value, date):
                ends.append(value)
                continue
            try:
                ends.append(date.fromisoformat(str(value)))
            except ValueError:
                raise self.fail(node, key, "expected a date, YYYY-MM-DD") from None
        if ends[0] is not None and ends[1] is not None and ends[0] > ends[1]:
            raise self.fail(node, "earliest", "earliest is after latest")
        return ends[0], ends[1]

    def _only(self, sec: Node, name: str, known: tuple[str, ...]) -> None:
        for key in sec:
            if key not in known:
                raise self.fail(sec, key, f"unknown option; expected one of {', '.join(known)}")

    def _columns(self, raw: Node, entity: Entity) -> dict[str, tuple[str, ...]]:
        sec = self._section(raw, "columns")
        columns: dict[str, tuple[str, ...]] = {}
        for name, source in sec.items():
            keypath = f"columns.{name}"
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise self.fail(sec, name, "field names are lower_snake_case", keypath)
            aliases = source if isinstance(source, list) else [source]
            if not aliases or not all(isinstance(a, (str, int)) for a in aliases):
                raise self.fail(sec, name, "expected a column header or a list of them", keypath)
            columns[name] = tuple(str(a) for a in aliases)
        if not columns and not raw.get("constants"):
            raise self.fail(raw, "columns", "a mapping needs at least one column")
        return columns

    def _constants(
        self, raw: Node, entity: Entity, columns: dict[str, tuple[str, ...]]
    ) -> dict[str, Any]:
        sec = self._section(raw, "constants")
        for name, value in sec.items():
            if name in columns:
                raise self.fail(sec, name, "is both a column and a constant; keep one")
            if isinstance(value, (list, dict)):
                raise self.fail(sec, name, "expected a single value", f"constants.{name}")
        return {name: (str(v) if v is not None else None) for name, v in sec.items()}

    def _values(self, raw: Node, entity: Entity) -> dict[str, ValueMap]:
        sec = self._section(raw, "values")
        result: dict[str, ValueMap] = {}
        for name, spec in sec.items():
            keypath = f"values.{name}"
            if not isinstance(spec, Node) or "map" not in spec:
                raise self.fail(sec, name, "expected `map:` (and optionally `default:`)", keypath)
            for key in spec:
                if key not in ("map", "default", "keep_unmapped"):
                    raise self.fail(
                        spec, key, "expected map, default or keep_unmapped", f"{keypath}.{key}"
                    )
            pairs = spec["map"]
            if not isinstance(pairs, Node):
                raise self.fail(spec, "map", "expected raw value: canonical value", keypath)
            f = entity.field(name)
            choices = f.choices if f else ()
            normalised: dict[str, str | None] = {}
            for raw_value in pairs:
                target = self._text(pairs, raw_value, f"{keypath}.map.{raw_value}")
                if choices and target is not None and target not in choices:
                    raise self.fail(
                        pairs,
                        raw_value,
                        f"{target!r} is not a {name}; expected one of {', '.join(choices)}",
                        f"{keypath}.map",
                    )
                normalised[fold(_scalar_text(raw_value) or "")] = target
            default = self._text(spec, "default", f"{keypath}.default")
            if choices and default is not None and default not in choices:
                raise self.fail(spec, "default", f"expected one of {', '.join(choices)}", keypath)
            keep = spec.get("keep_unmapped", False)
            if not isinstance(keep, bool):
                raise self.fail(spec, "keep_unmapped", "expected true or false", keypath)
            if keep and (choices or "default" in spec):
                raise self.fail(
                    spec,
                    "keep_unmapped",
                    "only for free-text fields, and not together with default",
                    keypath,
                )
            result[name] = ValueMap(normalised, "default" in spec, default, keep)
        return result

    def _condition(self, node: Node, keypath: str, tests: tuple[str, ...]) -> Condition:
        target_keys = [k for k in ("column", "field") if k in node]
        if len(target_keys) != 1:
            raise self.fail(node, next(iter(node), ""), "name one `column:` or `field:`", keypath)
        found = [t for t in tests if t in node]
        if len(found) != 1:
            raise self.fail(
                node, target_keys[0], f"give exactly one test of {', '.join(tests)}", keypath
            )
        test = found[0]
        value = node[test]
        if test in ("in", "not_in") and not isinstance(value, list):
            raise self.fail(node, test, "expected a list of values", keypath)
        if test in ("in", "not_in") and any(isinstance(v, list | dict) for v in value):
            raise self.fail(node, test, "expected a list of single values", keypath)
        if test not in ("in", "not_in"):
            self._text(node, test, f"{keypath}.{test}")
        if test in ("is", "blank") and not isinstance(value, bool):
            raise self.fail(node, test, "expected true or false", keypath)
        if test == "matches":
            problem = regex_problem(str(value))
            if problem:
                raise self.fail(node, test, problem, f"{keypath}.matches")
        if isinstance(value, list):
            value = tuple(_scalar_text(v) for v in value)
        elif test not in ("is", "blank"):
            value = _scalar_text(value)
        return Condition(
            column=self._text(node, "column", f"{keypath}.column"),
            field=self._text(node, "field", f"{keypath}.field"),
            test=test,
            value=value,
        )

    def _filters(self, raw: Node, entity: Entity) -> tuple[Filter, ...]:
        items = raw.get("filters") or []
        if not isinstance(items, list):
            raise self.fail(raw, "filters", "expected a list of filters")
        filters = []
        for i, item in enumerate(items):
            keypath = f"filters[{i}]"
            if not isinstance(item, Node):
                raise self.fail(raw, "filters", "each filter is a mapping", keypath)
            for key in item:
                if key not in ("column", "field", "reason", *FILTER_TESTS):
                    raise self.fail(item, key, "unknown key in a filter", keypath)
            reason = item.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                raise self.fail(item, "reason", "every filter needs a `reason:`", keypath)
            condition = self._condition(item, keypath, FILTER_TESTS)
            self._on_text(item, keypath, condition, entity)
            filters.append(Filter(condition, reason.strip()))
        return tuple(filters)

    def _on_text(self, item: Node, keypath: str, condition: Condition, entity: Entity) -> None:
        """`matches` and `starts_with` test text: a number or date field has none to test."""
        f = entity.field(condition.field) if condition.field is not None else None
        if condition.test in ("matches", "starts_with") and f and f.kind not in TEXT_KINDS:
            raise self.fail(
                item,
                condition.test,
                f"tests text, and {f.name} is a {f.kind} field; test its source column "
                "(`column:` and the header) instead",
                f"{keypath}.{condition.test}",
            )

    def _derive(self, raw: Node, entity: Entity) -> dict[str, Derivation]:
        sec = self._section(raw, "derive")
        result: dict[str, Derivation] = {}
        for name, spec in sec.items():
            keypath = f"derive.{name}"
            if isinstance(spec, Node) and len(spec) == 1 and "multiply" in spec:
                args = spec["multiply"]
                if not (isinstance(args, list) and len(args) == 2 and _all_names(args)):
                    raise self.fail(spec, "multiply", "expected two field names", keypath)
                result[name] = Derivation("multiply", tuple(str(a) for a in args))
            elif isinstance(spec, Node) and len(spec) == 1 and "first_of" in spec:
                args = spec["first_of"]
                if not (isinstance(args, list) and args and _all_names(args)):
                    raise self.fail(spec, "first_of", "expected a list of field names", keypath)
                result[name] = Derivation("first_of", tuple(str(a) for a in args))
            elif isinstance(spec, list) and spec:
                rules = []
                for j, rule in enumerate(spec):
                    rpath = f"{keypath}[{j}]"
                    if not isinstance(rule, Node) or "value" not in rule:
                        raise self.fail(sec, name, "each rule needs `value:`", rpath)
                    for key in rule:
                        if key not in ("when", "value"):
                            raise self.fail(rule, key, "expected when or value", rpath)
                    when = rule.get("when")
                    if when is not None and not isinstance(when, Node):
                        raise self.fail(rule, "when", "expected column/field and a test", rpath)
                    condition = self._condition(when, rpath, CONDITION_TESTS) if when else None
                    rules.append(Rule(condition, self._text(rule, "value", f"{rpath}.value")))
                result[name] = Derivation("rules", rules=tuple(rules))
            else:
                raise self.fail(
                    sec, name, "expected {multiply: [a, b]}, {first_of: [...]} or a list of rules"
                )
        return result

    def _dedupe(self, raw: Node) -> tuple[str, ...]:
        sec = raw.get("dedupe")
        if sec is None:
            return ()
        if not isinstance(sec, Node) or "key" not in sec:
            raise self.fail(raw, "dedupe", "expected `key: [field, ...]`")
        key = sec["key"]
        key = key if isinstance(key, list) else [key]
        if not key or not all(isinstance(k, str) for k in key):
            raise self.fail(sec, "key", "expected a list of field names", "dedupe.key")
        return tuple(key)

    def _lines_of(self, raw: Node, entity: Entity) -> tuple[str, ...]:
        """The fields that tie the lines of one record together; null or absent: none (a
        file of your own can turn off the `lines_of` of the preset it extends with null)."""
        value = raw.get("lines_of")
        if value is None:
            return ()
        if entity.name not in LINE_ENTITIES:
            raise self.fail(
                raw, "lines_of", f"is for {', '.join(LINE_ENTITIES)} exports with a row per line"
            )
        key = value if isinstance(value, list) else [value]
        if not key or not all(isinstance(k, str) for k in key):
            raise self.fail(raw, "lines_of", "expected a field name or a list of them")
        return tuple(key)

    def _check_fields_known(self, raw: Node, mapping: Mapping) -> None:
        """Fields named in values, derive, filters and dedupe must exist in the mapping."""
        available = set(mapping.columns) | set(mapping.constants) | set(mapping.derive)
        if mapping.entity.name == "deals":
            available |= {"status", "stage_raw"}
        if mapping.entity.name == "orders":
            available.add("amount")
        for section in ("values", "derive"):
            sec = self._section(raw, section)
            for name in sec:
                if mapping.entity.field(name) is None and name not in mapping.columns:
                    raise self.fail(sec, name, f"not a field of {mapping.entity.name}")
        for name, derivation in mapping.derive.items():
            for source in derivation.fields:
                if source not in available:
                    raise self.fail(
                        self._section(raw, "derive"), name, f"uses {source!r}, which is not mapped"
                    )
        for key in mapping.dedupe_key:
            if key not in available:
                raise self.fail(raw, "dedupe", f"key field {key!r} is not mapped", "dedupe.key")
        for key in mapping.lines_of:
            if key not in set(mapping.columns) | set(mapping.derive):
                raise self.fail(raw, "lines_of", f"{key!r} is not mapped to a column (or derived)")


def fold(text: str) -> str:
    """How raw values and headers are compared: case-folded, trimmed, BOM removed."""
    return text.replace("\ufeff", "").strip().casefold()


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _all_names(values: list[Any]) -> bool:
    return all(isinstance(v, str) for v in values)


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a filter's `matches`, or None. Filters run on Arrow strings,
    so the pattern is compiled by the engine that runs them (RE2): look-behind and
    back-references, which RE2 refuses in order to run in linear time, are found on load."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        pc.match_substring_regex(pa.array([""], pa.string()), pattern=pattern)
    except pa.ArrowInvalid as exc:
        reason = str(exc).removeprefix("Invalid regular expression: ")
        return (
            f"not a valid regular expression in RE2 syntax, the one filters use ({reason}); "
            "RE2 has no look-behind, look-ahead or back-references"
        )
    return None


def _scalar_text(value: Any) -> str | None:
    """YAML scalars as the text a CSV would hold (True -> 'true', 1.0 -> '1.0')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
