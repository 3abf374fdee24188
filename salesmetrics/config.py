"""Report configs: which files to read with which mappings (more options join as they land)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from salesmetrics.errors import ConfigError
from salesmetrics.yamlfile import Node, YamlError, load_yaml

TOP_KEYS = ("inputs",)


@dataclass(frozen=True)
class InputSpec:
    path: str  # as resolved against the data folder; `-` is standard input
    mapping: str  # preset name or .yaml path
    mapping_base: Path | None  # where a relative mapping path is resolved


@dataclass(frozen=True)
class ReportConfig:
    path: Path | None
    inputs: tuple[InputSpec, ...]


def load_config(path: Path, data_dir: Path | None = None) -> ReportConfig:
    """Load a report config; input paths resolve against `data_dir`, else the config's folder."""
    try:
        raw = load_yaml(path)
    except YamlError as exc:
        raise ConfigError(str(exc)) from None
    if not isinstance(raw, Node):
        raise ConfigError(f"{path}: expected a report config with an `inputs:` list")
    for key in raw:
        if key not in TOP_KEYS:
            raise ConfigError(
                f"{path}, line {raw.line_of(key)}: {key}: unknown key; "
                f"expected one of {', '.join(TOP_KEYS)}"
            )
    items = raw.get("inputs")
    if not isinstance(items, list) or not items:
        raise ConfigError(
            f"{path}, line {raw.line_of('inputs')}: inputs: expected a list of "
            "{path: FILE, mapping: NAME_OR_PATH}"
        )
    base = data_dir if data_dir is not None else path.parent
    inputs = []
    for i, item in enumerate(items):
        where = f"{path}, line {raw.line_of('inputs')}: inputs[{i}]"
        if not isinstance(item, Node):
            raise ConfigError(f"{where}: expected {{path: FILE, mapping: NAME_OR_PATH}}")
        where = f"{path}, line {item.line}: inputs[{i}]"
        file, mapping = item.get("path"), item.get("mapping")
        if not isinstance(file, str) or not isinstance(mapping, str):
            raise ConfigError(f"{where}: needs both `path:` and `mapping:`")
        extra = set(item) - {"path", "mapping"}
        if extra:
            raise ConfigError(f"{where}: unknown key {sorted(extra)[0]!r}; expected path, mapping")
        resolved = file if file == "-" or Path(file).is_absolute() else str(base / file)
        inputs.append(InputSpec(resolved, mapping, path.parent))
    return ReportConfig(path, tuple(inputs))
