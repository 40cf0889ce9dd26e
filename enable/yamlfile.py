"""Reading YAML content files with line numbers, so a malformed file is reported where it is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from enable.errors import UserError


class ContentError(UserError):
    """A content file is malformed; the message names the file, the line and the reason."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path, self.line, self.why = str(path), line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


class Node(dict[Any, Any]):
    """A YAML mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class NodeList(list[Any]):
    """A YAML sequence that remembers its line and the line of each item."""

    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Node:
        mapping = Node(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> NodeList:
        seq = NodeList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_sequence)


def load_yaml_text(text: str, path: Path | str) -> Any:
    """Parse YAML text into Node/NodeList values; raise ContentError with the line on a syntax error."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506  (a SafeLoader subclass)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ContentError(path, mark.line + 1 if mark else None, e.problem or str(e)) from e
    except yaml.YAMLError as e:
        raise ContentError(path, None, str(e)) from e


def load_yaml(path: Path) -> Any:
    """Read and parse a YAML file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ContentError(path, None, "the file is not UTF-8 text") from e
    return load_yaml_text(text, path)


def require(node: Any, key: str, path: Path | str, kind: type | tuple[type, ...] = str) -> Any:
    """Return node[key], raising ContentError (with the line) when it is missing or of the wrong type."""
    if not isinstance(node, dict):
        raise ContentError(path, getattr(node, "line", None), "expected a mapping of keys and values here")
    if key not in node or node[key] is None:
        raise ContentError(path, getattr(node, "line", None), f"'{key}' is missing")
    value = node[key]
    if not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        line = node.line_of(key) if isinstance(node, Node) else None
        raise ContentError(path, line, f"'{key}' should be a {expected.replace('str', 'text')}")
    return value
