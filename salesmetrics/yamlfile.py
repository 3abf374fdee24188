"""YAML loading that remembers where each key was written, so errors can point at a line.

A YAML file is read within bounds, as a hostile one must not exhaust memory or time: its size,
how deep it nests, and how much its aliases (`*name`) repeat are limited, and a device such as
/dev/zero is refused before it is read. libyaml parses when it is installed (three times
faster than PyYAML's pure-Python parser); both give the same documents.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAPPING_MAX_BYTES = 1_000_000
"""The largest mapping file read: presets are under 10 KB."""
CONFIG_MAX_BYTES = 2_000_000
"""The largest report config read: room for some 40,000 per-owner targets."""
MAX_DEPTH = 50
"""How deeply mappings and lists may nest (a report config nests 5 levels)."""
MAX_ALIAS_NODES = 100_000
"""How many values aliases may add, counted as if each `*name` were written out: reusing a
block of targets is fine, a "billion laughs" file is refused before it is built."""


class Node(dict):
    """A YAML mapping that knows its file and the line of each key (1-based)."""

    source: Path
    line: int
    lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.lines.get(key, self.line)


class _Loader(_SafeLoader):
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


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """A date, or, for one that looks like a date but is none (`2026-13-01`), its text: the
    reader of the key then names it, its file and line, instead of YAML failing."""
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

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


def load_yaml(path: Path, *, max_bytes: int = MAPPING_MAX_BYTES, what: str = "mapping file") -> Any:
    """Parse `path`; mappings come back as `Node`s carrying their line numbers.

    `what` names the kind of file in the error of one larger than `max_bytes`."""
    text = _read(path, max_bytes, what)
    loader = _Loader(text)
    loader.source = path
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(path, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise YamlError(f"{path}{where}: not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read(path: Path, max_bytes: int, what: str) -> str:
    """The file's text, read no further than one byte past the limit (a pipe has no size)."""
    try:
        with path.open("rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise YamlError(
                    f"{path}: not a regular file (a device or socket); give a .yaml file"
                )
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise YamlError(f"{path}: file not found") from None
    except OSError as exc:
        raise YamlError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise YamlError(
            f"{path}: larger than {max_bytes:,} bytes, the most a {what} may be; "
            "is it the right file?"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise YamlError(
            f"{path}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"
        ) from None


def _check_size(path: Path, root: yaml.Node) -> None:
    """Refuse a document nested too deeply, or whose aliases would expand it too much.

    Each list's and mapping's size and depth written out (aliases repeated) are worked out once,
    children before parents, so a billion laughs costs no more than it is long."""
    size: dict[int, int] = {}  # per list or mapping; a scalar is 1 long and 1 deep
    depth: dict[int, tuple[int, int]] = {}  # levels under it, and the line of the deepest
    scalars = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            children = _children(node)
            inner = [c for c in children if not isinstance(c, yaml.ScalarNode)]
            size[key] = 1 + len(children) - len(inner) + sum(size[id(c)] for c in inner)
            levels, line = max(
                [depth[id(c)] for c in inner] + [(1, c.start_mark.line + 1) for c in children],
                default=(0, node.start_mark.line + 1),
            )
            depth[key] = (levels + 1, line)
            if levels + 1 > MAX_DEPTH:
                raise YamlError(f"{path}, line {line}: nested more than {MAX_DEPTH} levels deep")
        elif key in on_path:
            raise YamlError(f"{path}, line {node.start_mark.line + 1}: an alias refers to itself")
        elif key not in size:
            on_path.add(key)
            stack.append((node, True))
            for child in _children(node):
                if isinstance(child, yaml.ScalarNode):
                    scalars += 1
                else:
                    stack.append((child, False))
    if size.get(id(root), 1) - len(size) - scalars > MAX_ALIAS_NODES:
        raise YamlError(
            f"{path}: its aliases (*name) would repeat more than {MAX_ALIAS_NODES:,} values; "
            "write them out, or repeat fewer"
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
