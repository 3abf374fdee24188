"""Report configs: which files to read with which mappings, and how to compute the report.

Every key is optional except that a report needs inputs from somewhere (the config or the
command line). Mistakes are reported with the file, the line and what was expected.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from salesmetrics.backend import ENGINES, Spark
from salesmetrics.currency import Rates
from salesmetrics.errors import ConfigError
from salesmetrics.kpis.base import Settings
from salesmetrics.targets import KpiTargets, Target
from salesmetrics.yamlfile import CONFIG_MAX_BYTES, Node, YamlError, load_yaml

TOP_KEYS = (
    "inputs",
    "canonical",
    "mappings",
    "period",
    "from",
    "to",
    "as_of",
    "compare",
    "trend",
    "by",
    "kpis",
    "stages",
    "strict",
    "fiscal_year_start",
    "small_sample",
    "currency",
    "rates",
    "targets",
    "stage_probabilities",
    "addressable_market",
    "market_sales_volume",
    "conversion_window_days",
    "conversion_windows",
    "response_within_hours",
    "max_reject_rate",
    "churn_variant",
    "nrr_reactivation",
    "repurchase_window_days",
    "gross_margin",
    "clv_variant",
    "customer_lifespan_years",
    "previous_snapshot",
    "variants",
    "engine",
    "spark",
)
CHURN_VARIANTS = ("standard", "stripe")
CLV_VARIANTS = ("subscription", "transactional")
COMPARE = ("previous", "year", "none")
MAX_TREND = 120
"""The most periods a trend may hold: ten years of months, over two years of weeks."""
MAX_WINDOW_DAYS = 3660
"""The longest conversion or repurchase window, ten years: dates stay in the calendar."""
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_SPARK = (
    "expected {remote: sc://HOST:PORT, conf: {KEY: VALUE, ...}, tables: {ENTITY: DB.TABLE, ...}} "
    "(each optional)"
)
_TABLE = re.compile(r"\A[A-Za-z0-9_]+(\.[A-Za-z0-9_]+){0,2}\Z")
"""A table of Spark's catalog: `table`, `db.table` or `catalog.db.table`, each part a word."""


AUTO_MAPPING = "auto"
"""An input's mapping when it is to be recognised from the file's headers."""


@dataclass(frozen=True)
class InputSpec:
    path: str  # as resolved against the data folder; `-` is standard input
    mapping: str  # preset name, .yaml path, or AUTO_MAPPING (recognised from the headers)
    mapping_base: Path | None  # where a relative mapping path is resolved


@dataclass(frozen=True)
class Snapshot:
    """An earlier export of the deals and the day it was taken: the report's pipeline movement
    (salesmetrics.kpis.movement) runs from it to the deals input, taken on the report's as_of."""

    spec: InputSpec
    as_of: date


@dataclass(frozen=True)
class ReportConfig:
    path: Path | None
    inputs: tuple[InputSpec, ...]
    canonical: Path | None = None  # a canonical dataset to compute from instead of inputs
    period: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    as_of: date | None = None
    compare: str | None = None
    trend: int | None = None
    by: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    strict: bool = False
    max_reject_rate: float | None = None  # the report stops when an input rejects more
    fiscal_year_start: int = 1
    small_sample: int | None = None
    rates: Rates | None = None
    targets: dict[str, KpiTargets] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    mapping_dirs: tuple[Path, ...] = ()  # folders of the user's own mappings, for recognition
    previous_snapshot: Snapshot | None = None
    variants: dict[str, str] = field(default_factory=dict)  # KPI id -> its variant shown
    all_variants: bool = False  # every variant of each KPI side by side (`--variants`)
    memory_limit: str | None = None  # DuckDB's (`--memory-limit`; salesmetrics.memory)
    engine: str = ENGINES[0]  # the SQL engine of the KPI queries (salesmetrics.backend)
    spark: Spark = field(default_factory=Spark)  # its options when it is "spark"

    @property
    def snapshot_inputs(self) -> tuple[InputSpec, ...]:
        """The previous snapshot's input, if any: read with the others, kept apart from them."""
        return (self.previous_snapshot.spec,) if self.previous_snapshot is not None else ()


def load_config(path: str | Path, data_dir: str | Path | None = None) -> ReportConfig:
    """Load a report config; input paths resolve against `data_dir`, else the config's folder."""
    path = Path(path)
    data_dir = Path(data_dir) if data_dir is not None else None
    try:
        raw = load_yaml(path, max_bytes=CONFIG_MAX_BYTES, what="report config")
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(raw, Node):
        raise ConfigError(
            f"{path}: expected a report config (a mapping with `inputs:` and options)"
        )
    for key in raw:
        if key not in TOP_KEYS:
            hint = _closest(key, TOP_KEYS, f"expected one of {', '.join(TOP_KEYS)}")
            raise ConfigError(f"{path}, line {raw.line_of(key)}: {key}: unknown key; {hint}")
    read = _Reader(path, raw)
    snapshot = _snapshot(path, raw, data_dir)
    settings = Settings(
        stage_probabilities=read.stage_probabilities(),
        addressable_market=read.number("addressable_market", positive=True),
        market_sales_volume=read.number("market_sales_volume", positive=True),
        conversion_window_days=read.whole("conversion_window_days", least=1, most=MAX_WINDOW_DAYS),
        response_within_hours=read.number("response_within_hours", positive=True) or 1.0,
        churn_variant=read.choice("churn_variant", CHURN_VARIANTS),
        nrr_reactivation=read.flag("nrr_reactivation"),
        repurchase_window_days=read.whole("repurchase_window_days", least=1, most=MAX_WINDOW_DAYS),
        gross_margin=read.fraction("gross_margin"),
        clv_variant=read.choice("clv_variant", CLV_VARIANTS),
        customer_lifespan_years=read.number("customer_lifespan_years", positive=True),
        conversion_windows=read.conversion_windows(),
        snapshot_day=snapshot.as_of if snapshot is not None else None,
    )
    compare = read.text("compare")
    if compare is not None and compare not in COMPARE:
        read.fail("compare", f"expected one of {', '.join(COMPARE)}")
    return ReportConfig(
        path=path,
        inputs=_inputs(path, raw, data_dir),
        canonical=_canonical(path, raw, data_dir),
        mapping_dirs=read.folders("mappings"),
        period=read.text("period"),
        date_from=read.day("from"),
        date_to=read.day("to"),
        as_of=read.day("as_of"),
        compare=compare,
        trend=read.whole("trend", least=1, most=MAX_TREND),
        by=read.names("by"),
        kpis=read.names("kpis"),
        stages=read.names("stages"),
        strict=read.flag("strict"),
        max_reject_rate=read.fraction("max_reject_rate"),
        fiscal_year_start=read.whole("fiscal_year_start", least=1, most=12) or 1,
        small_sample=read.whole("small_sample", least=0),
        rates=read.rates(),
        targets=read.targets(),
        settings=settings,
        previous_snapshot=snapshot,
        variants=read.variants(),
        engine=read.choice("engine", ENGINES),
        spark=read.spark(),
    )


def _inputs(path: Path, raw: Node, data_dir: Path | None) -> tuple[InputSpec, ...]:
    if "inputs" not in raw:
        return ()
    items = raw["inputs"]
    if not isinstance(items, list) or not items:
        raise ConfigError(
            f"{path}, line {raw.line_of('inputs')}: inputs: expected a list of "
            "{path: FILE, mapping: NAME_OR_PATH} (mapping optional: recognised when left out)"
        )
    inputs = []
    for i, item in enumerate(items):
        where = f"{path}, line {raw.line_of('inputs')}: inputs[{i}]"
        if not isinstance(item, Node):
            raise ConfigError(f"{where}: expected {{path: FILE, mapping: NAME_OR_PATH}}")
        inputs.append(_input(path, item, f"inputs[{i}]", data_dir))
    return tuple(inputs)


def _input(path: Path, item: Node, key: str, data_dir: Path | None, extra=()) -> InputSpec:
    """One `{path, mapping}` (and the `extra` keys the caller reads): the file resolved
    against the data folder and inside it, the mapping `auto` when left out."""
    base = data_dir if data_dir is not None else path.parent
    where = f"{path}, line {item.line}: {key}"
    file, mapping = item.get("path"), item.get("mapping")
    if mapping is None:  # left out (or left empty): recognised from the file's headers
        mapping = AUTO_MAPPING
    if not isinstance(file, str):
        raise ConfigError(f"{where}: needs `path:` (and `mapping:`, or it is recognised)")
    if not isinstance(mapping, str):
        raise ConfigError(
            f"{where}: mapping: expected a preset name or a .yaml path, got {mapping!r}"
        )
    known = ("path", "mapping", *extra)
    unknown = set(item) - set(known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {sorted(unknown)[0]!r}; expected {', '.join(known)}"
        )
    if file != "-":
        _check_inside(
            base, file, base.resolve(), f"{path}, line {item.line_of('path')}: {key}.path"
        )
    resolved = file if file == "-" else str(base / file)
    return InputSpec(resolved, mapping, path.parent)


def _snapshot(path: Path, raw: Node, data_dir: Path | None) -> Snapshot | None:
    """`previous_snapshot: {path, mapping, as_of}`: an earlier deals export, read like an
    input, and the day it was exported (the movement runs from that day to the report's
    as_of)."""
    item = raw.get("previous_snapshot")
    if item is None:
        return None
    where = f"{path}, line {raw.line_of('previous_snapshot')}: previous_snapshot"
    if not isinstance(item, Node):
        raise ConfigError(
            f"{where}: expected {{path: FILE, mapping: NAME_OR_PATH, as_of: YYYY-MM-DD}}, the "
            "deals export of an earlier day and the day it was taken"
        )
    spec = _input(path, item, "previous_snapshot", data_dir, extra=("as_of",))
    if spec.path == "-":
        raise ConfigError(f"{where}.path: a snapshot is a file, not standard input")
    day = item.get("as_of")
    if isinstance(day, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(day)
    if not isinstance(day, date):
        line = item.line_of("as_of") if "as_of" in item else item.line
        raise ConfigError(
            f"{path}, line {line}: previous_snapshot.as_of: expected the day the snapshot was "
            f"exported as YYYY-MM-DD, got {day!r}"
        )
    return Snapshot(spec, day)


def _canonical(path: Path, raw: Node, data_dir: Path | None) -> Path | None:
    """The canonical dataset (`validate --export DIR`) the report computes from instead of
    `inputs:`, found as the inputs are: inside `data_dir`, else the config's folder. A folder
    with neither a manifest nor an entity folder is refused here, before anything is read."""
    from salesmetrics.canonical import MANIFEST
    from salesmetrics.schema import ENTITIES

    if "canonical" not in raw:
        return None
    where = f"{path}, line {raw.line_of('canonical')}: canonical"
    if "inputs" in raw:
        raise ConfigError(
            f"{where}: give either inputs: (exports) or canonical: (a dataset `validate "
            "--export` wrote), not both"
        )
    name = raw["canonical"]
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{where}: expected a folder, got {name!r}")
    base = data_dir if data_dir is not None else path.parent
    _check_inside(base, name, base.resolve(), where)
    folder = base / name
    if not folder.is_dir():
        raise ConfigError(
            f"{where}: {name}: no such folder in {base} (write one with `salesmetrics validate "
            "--export DIR`)"
        )
    if not (folder / MANIFEST).is_file() and not any((folder / e).is_dir() for e in ENTITIES):
        raise ConfigError(
            f"{where}: {name} is not a canonical dataset (no {MANIFEST} and no entity folder: "
            f"{', '.join(ENTITIES)}); write one with `salesmetrics validate --export DIR`"
        )
    return folder


def _closest(given: object, known: Iterable[str], otherwise: str) -> str:
    """The hint after an unknown name: the known one closest to it, else `otherwise`."""
    close = difflib.get_close_matches(str(given), list(known), n=1)
    return f"did you mean {close[0]}?" if close else otherwise


def check_spark_tables(config: ReportConfig) -> None:
    """A config's `spark: tables:` are read from Spark's catalog: the report must run on Spark
    (the config's `engine: spark`, or --engine spark)."""
    if config.spark.tables and config.engine != "spark":
        where = f"{config.path}: " if config.path is not None else ""
        raise ConfigError(
            f"{where}spark.tables: the entities are read from Spark's catalog, so the report "
            "runs on Spark: add `engine: spark` to the config, or give --engine spark"
        )


def _check_inside(base: Path, file: str, folder: Path, where: str) -> None:
    """A config names files in its data folder and nothing else, once every `..` and symbolic
    link is followed: a config from elsewhere cannot have any file on the machine read (and
    its first line quoted in an error)."""
    try:
        real = (base / file).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symbolic link loop, a NUL byte
        raise ConfigError(f"{where}: {file!r} cannot be followed ({exc})") from None
    if not real.is_relative_to(folder):
        raise ConfigError(
            f"{where}: {file} is outside {folder}, the folder a config's inputs are read "
            "from (--data-dir, else the config's folder); move the file there, or give it on "
            "the command line"
        )


class _Reader:
    """Typed access to the top-level keys, failing with the file, line and expectation."""

    def __init__(self, path: Path, raw: Node) -> None:
        self.path, self.raw = path, raw

    def fail(self, key: str, problem: str, node: Node | None = None, sub: Any = None) -> None:
        where = node if node is not None else self.raw
        line = where.line_of(sub if sub is not None else key)
        raise ConfigError(f"{self.path}, line {line}: {key}: {problem}")

    def text(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(key, "expected a single value")
        return str(value)

    def day(self, key: str) -> date | None:
        value = self.raw.get(key)
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(key, f"expected a date as YYYY-MM-DD, got {value!r}")
        return None

    def number(self, key: str, *, positive: bool = False) -> float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if not _is_number(value):
            self.fail(key, f"expected a number, got {value!r}")
        self.finite(key, value)
        if positive and value <= 0:
            self.fail(key, f"expected a number above 0, got {value!r}")
        return float(value)

    def finite(self, key: str, value: float, node: Node | None = None, sub: Any = None) -> None:
        """Infinity or NaN would drop rows from sums, or break the JSON report."""
        if not math.isfinite(value):
            self.fail(key, f"expected a finite number, got {value!r}", node, sub)

    def choice(self, key: str, choices: tuple[str, ...]) -> str:
        value = self.text(key)
        if value is None:
            return choices[0]
        if value not in choices:
            self.fail(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def fraction(self, key: str) -> float | None:
        value = self.number(key)
        if value is not None and not 0 <= value <= 1:
            self.fail(key, f"expected a fraction from 0 to 1 (0.62 for 62%), got {value!r}")
        return value

    def whole(self, key: str, *, least: int = 0, most: int | None = None) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            self.fail(key, f"expected a whole number from {least}, got {value!r}")
        if most is not None and value > most:
            self.fail(key, f"expected a whole number from {least} to {most}, got {value!r}")
        return int(value)

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self.fail(key, f"expected true or false, got {value!r}")
        return bool(value)

    def names(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "expected a name or a list of names")
        return tuple(value)

    def folders(self, key: str) -> tuple[Path, ...]:
        """Folders named relative to the config file; each must exist."""
        found = []
        for name in self.names(key):
            folder = Path(name).expanduser()
            folder = folder if folder.is_absolute() else self.path.parent / folder
            if not folder.is_dir():
                self.fail(key, f"{name}: no such folder (paths are relative to this file)")
            found.append(folder.resolve())
        return tuple(found)

    def rates(self) -> Rates | None:
        currency = self.text("currency")
        if currency is not None and not _CURRENCY.match(currency):
            self.fail(
                "currency", f"expected a 3-letter currency code such as USD, got {currency!r}"
            )
        given = self.raw.get("rates")
        if given is None:
            return Rates(currency) if currency else None
        if currency is None:
            self.fail("rates", "needs `currency:`, the reporting currency the rates convert to")
        if not isinstance(given, Node):
            self.fail("rates", "expected CODE: RATE (or CODE: {YYYY-MM: RATE, ...}) lines")
        fixed: dict[str, float] = {}
        monthly: dict[str, dict[str, float]] = {}
        for code, rate in given.items():
            if not isinstance(code, str) or not _CURRENCY.match(code):
                self.fail("rates", f"{code!r} is not a 3-letter currency code", given, code)
            if isinstance(rate, Node):
                monthly[code] = {}
                for month, value in rate.items():
                    if not _MONTH.match(str(month)):
                        self.fail(
                            f"rates.{code}", f"{month!r} is not a month (YYYY-MM)", rate, month
                        )
                    monthly[code][str(month)] = self._rate(
                        f"rates.{code}.{month}", value, rate, month
                    )
            else:
                fixed[code] = self._rate(f"rates.{code}", rate, given, code)
        assert currency is not None
        return Rates(currency, fixed, monthly)

    def _rate(self, key: str, value: Any, node: Node, sub: Any) -> float:
        if not _is_number(value) or value <= 0:
            self.fail(key, f"expected a rate above 0, got {value!r}", node, sub)
        self.finite(key, value, node, sub)
        return float(value)

    def targets(self) -> dict[str, KpiTargets]:
        given = self.raw.get("targets")
        if given is None:
            return {}
        if not isinstance(given, Node):
            self.fail("targets", "expected KPI_ID: {target: N, warn: N, owner: {...}, team: {...}}")
        from salesmetrics.kpis.catalogue import CATALOGUE

        found = {}
        for kpi_id, spec in given.items():
            key = f"targets.{kpi_id}"
            if kpi_id not in CATALOGUE:
                hint = _closest(kpi_id, CATALOGUE, "`salesmetrics kpis` lists the ids")
                self.fail(key, f"unknown KPI; {hint}", given, kpi_id)
            if not isinstance(spec, Node):
                self.fail(key, "expected {target: N, warn: N}", given, kpi_id)
            groups = {}
            for dimension in ("owner", "team"):
                per = spec.get(dimension)
                if per is None:
                    continue
                if not isinstance(per, Node):
                    self.fail(
                        f"{key}.{dimension}", "expected NAME: {target: N, warn: N}", spec, dimension
                    )
                for name, level in per.items():
                    target = self._target(f"{key}.{dimension}.{name}", level, per, name)
                    groups[(dimension, str(name))] = target
            extra = set(spec) - {"target", "warn", "owner", "team"}
            if extra:
                self.fail(
                    key,
                    f"unknown key {sorted(extra)[0]!r}; expected target, warn, owner, team",
                    spec,
                    sorted(extra)[0],
                )
            overall = self._target(key, spec, given, kpi_id) if "target" in spec else None
            found[str(kpi_id)] = KpiTargets(overall, groups)
        return found

    def _target(self, key: str, spec: Any, node: Node, sub: Any) -> Target:
        if not isinstance(spec, Node) or not _is_number(spec.get("target")):
            self.fail(key, "expected {target: N} with an optional warn: N", node, sub)
        self.finite(f"{key}.target", spec["target"], spec, "target")
        warn = spec.get("warn")
        if warn is not None and not _is_number(warn):
            self.fail(f"{key}.warn", f"expected a number, got {warn!r}", spec, "warn")
        if warn is not None:
            self.finite(f"{key}.warn", warn, spec, "warn")
        return Target(float(spec["target"]), float(warn) if warn is not None else None)

    def stage_probabilities(self) -> dict[str, float]:
        from salesmetrics.schema import DEAL_STAGES

        given = self.raw.get("stage_probabilities")
        if given is None:
            return {}
        if not isinstance(given, Node):
            self.fail("stage_probabilities", "expected STAGE: PROBABILITY lines (0 to 1)")
        found = {}
        for stage, value in given.items():
            key = f"stage_probabilities.{stage}"
            if stage not in DEAL_STAGES:
                self.fail(
                    key, f"unknown stage; expected one of {', '.join(DEAL_STAGES)}", given, stage
                )
            if not _is_number(value) or not 0 <= value <= 1:
                self.fail(key, f"expected a probability from 0 to 1, got {value!r}", given, stage)
            found[str(stage)] = float(value)
        return found

    def variants(self) -> dict[str, str]:
        """KPI id -> the name of the variant the report shows under it (salesmetrics.variants)."""
        from salesmetrics.variants import check

        given = self.raw.get("variants")
        if given is None:
            return {}
        if not isinstance(given, Node):
            self.fail("variants", "expected KPI_ID: VARIANT lines (salesmetrics kpis lists them)")
        found = {str(k): str(v) for k, v in given.items()}
        for kpi_id in given:
            problem = check({str(kpi_id): found[str(kpi_id)]})
            if problem is not None:
                key, _, said = problem.partition(": ")
                self.fail(key, said, given, kpi_id)
        return found

    def spark(self) -> Spark:
        """`spark: {remote: sc://HOST:PORT, conf: {KEY: VALUE}}`: where the spark engine
        runs (local mode when left out) and its settings, each value as text."""
        given = self.raw.get("spark")
        if given is None:
            return Spark()
        if not isinstance(given, Node):
            self.fail("spark", _SPARK)
        for key in given:
            if key not in ("remote", "conf", "tables"):
                self.fail(f"spark.{key}", f"unknown key; {_SPARK}", given, key)
        remote = given.get("remote")
        if remote is not None and (not isinstance(remote, str) or not remote.startswith("sc://")):
            self.fail(
                "spark.remote",
                f"expected a Spark Connect URL such as sc://host:15002, got {remote!r}",
                given,
                "remote",
            )
        tables = self.spark_tables(given)
        conf = given.get("conf")
        if conf is None:
            return Spark(remote, tables=tables)
        if not isinstance(conf, Node):
            self.fail(
                "spark.conf", "expected KEY: VALUE lines (spark.driver.memory: 4g)", given, "conf"
            )
        found = []
        for key, value in conf.items():
            if not isinstance(key, str) or isinstance(value, dict | list) or value is None:
                self.fail(
                    f"spark.conf.{key}",
                    f"expected a text, number or true/false, got {value!r}",
                    conf,
                    key,
                )
            text = str(value).lower() if isinstance(value, bool) else str(value)
            found.append((key, text))
        return Spark(remote, tuple(found), tables)

    def spark_tables(self, given: Node) -> tuple[tuple[str, str], ...]:
        """`spark: tables: {ENTITY: [catalog.]db.table}`: the entities read from Spark's
        catalog instead of inputs (canonical.read_spark); only on the spark engine."""
        from salesmetrics.schema import ENTITIES

        tables = given.get("tables")
        if tables is None:
            return ()
        if not isinstance(tables, Node) or not tables:
            self.fail(
                "spark.tables",
                "expected ENTITY: TABLE lines (activities: lake.crm.activities)",
                given,
                "tables",
            )
        for other in ("inputs", "canonical"):
            if other in self.raw:
                self.fail(
                    "spark.tables",
                    f"give either {other}: or spark: tables: (entities read from Spark's "
                    "catalog), not both",
                    given,
                    "tables",
                )
        found = []
        for entity, name in tables.items():
            key = f"spark.tables.{entity}"
            if entity not in ENTITIES:
                hint = _closest(entity, ENTITIES, f"expected one of {', '.join(ENTITIES)}")
                self.fail(key, f"unknown entity; {hint}", tables, entity)
            if not isinstance(name, str) or not _TABLE.match(name):
                self.fail(
                    key,
                    f"expected a Spark table name, db.table or catalog.db.table (letters, "
                    f"digits and underscores, parts joined by dots), got {name!r}",
                    tables,
                    entity,
                )
            found.append((str(entity), name))
        return tuple(found)

    def conversion_windows(self) -> dict[str, int]:
        """KPI id -> days its cohorts are given to convert (maturing until then)."""
        from salesmetrics.kpis.catalogue import CATALOGUE

        given = self.raw.get("conversion_windows")
        if given is None:
            return {}
        if not isinstance(given, Node):
            self.fail("conversion_windows", "expected KPI_ID: DAYS lines")
        found = {}
        for kpi_id, value in given.items():
            key = f"conversion_windows.{kpi_id}"
            kpi = CATALOGUE.get(str(kpi_id))
            if kpi is None or kpi.matures is None:
                maturing = ", ".join(k.id for k in CATALOGUE.values() if k.matures is not None)
                self.fail(key, f"not a KPI that matures; expected one of {maturing}", given, kpi_id)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                self.fail(
                    key, f"expected a whole number of days from 0, got {value!r}", given, kpi_id
                )
            if value > MAX_WINDOW_DAYS:
                self.fail(
                    key, f"expected at most {MAX_WINDOW_DAYS} days, got {value}", given, kpi_id
                )
            found[str(kpi_id)] = int(value)
        return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
