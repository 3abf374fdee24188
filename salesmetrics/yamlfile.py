"""YAML loading that remembers where each key was written, so errors can point at a line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class Node(dict):
    """A YAML mapping that knows its file and the line of each key (1-based)."""

    source: Path
    line: int
    lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    source: Path


def _construct_node(loader: _Loader, node: yaml.MappingNode) -> Node:
    result = Node()
    result.source = loader.source
    result.line = node.start_mark.line + 1
    result.lines = {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_node)

# YAML 1.1 reads yes/no/on/off as booleans, which would turn a value map's `Yes: won` into
# `True: won`; like YAML 1.2, only true/false are booleans here.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlError(ValueError):
    """The file is not readable YAML; the message names file and line."""


def load_yaml(path: Path) -> Any:
    """Parse `path`; mappings come back as `Node`s carrying their line numbers."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise YamlError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlError(f"{path}: cannot read it ({exc})") from None
    loader = _Loader(text)
    loader.source = path
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise YamlError(f"{path}{where}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
