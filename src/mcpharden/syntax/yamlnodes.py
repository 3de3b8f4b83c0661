"""YAML with line numbers: libyaml composes a node tree; we turn it into dicts and lists
that remember where each key and item stood.

Composing (not constructing) leaves custom tags such as compose's `!reset` alone, and
aliases are expanded under a node budget so a "billion laughs" file fails fast.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from mcpharden.errors import ParseError

MAX_NODES = 200_000


class YamlError(ParseError):
    """Broken YAML, or YAML that expands past the node budget."""


class HelmTemplate(ValueError):
    """A Helm template: `{{ }}` makes it invalid YAML until rendered."""


class YamlMap(dict):
    """A mapping that knows its own line and each key's line (1-based)."""

    line: int = 0
    tag: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class YamlScalar(str):
    """A scalar with a custom tag (compose's `!reset null`, `!override`): the tag is kept."""

    tag: str = ""


class YamlList(list):
    line: int = 0
    tag: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


def load_documents(text: str) -> list[Any]:
    """All documents of a YAML stream, as YamlMap / YamlList / scalars."""
    import yaml  # loaded on first use

    try:
        nodes = list(yaml.compose_all(text, Loader=_loader()))
    except yaml.YAMLError as error:
        raise YamlError(f"invalid YAML: {_short(error)}") from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply") from None
    budget = _Budget()
    return [_convert(node, budget, 0) for node in nodes if node is not None]


# YAML 1.1's plain-scalar spellings of null and booleans, as PyYAML's resolver reads them.
_NULL_SPELLINGS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL_SPELLINGS = frozenset({"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                             "on", "On", "ON", "off", "Off", "OFF"})


@cache
def _loader() -> type:
    """libyaml's parser with a resolver for the only implicit types `_scalar` reads: null,
    booleans and merge keys. Everything else stays a string, as it would after `_scalar`;
    PyYAML's resolver tries regular expressions on every scalar in Python."""
    import yaml

    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml
        return yaml.SafeLoader
    from yaml.nodes import ScalarNode, SequenceNode

    class ComposingParser(CParser):
        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            pass  # no path resolvers

        def ascend_resolver(self) -> None:
            pass

        def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
            if kind is ScalarNode:
                if implicit[0] and value in _NULL_SPELLINGS:
                    return "tag:yaml.org,2002:null"
                if implicit[0] and value in _BOOL_SPELLINGS:
                    return "tag:yaml.org,2002:bool"
                if implicit[0] and value == "<<":
                    return "tag:yaml.org,2002:merge"
                return "tag:yaml.org,2002:str"
            return "tag:yaml.org,2002:seq" if kind is SequenceNode else "tag:yaml.org,2002:map"

    return ComposingParser


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_NODES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise YamlError(f"YAML expands to more than {MAX_NODES} nodes (alias bomb?)")


def _convert(node: Any, budget: _Budget, depth: int) -> Any:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    budget.spend()
    if depth > 200:
        raise YamlError("YAML nested too deeply")
    if isinstance(node, MappingNode):
        result = YamlMap()
        result.line, result.tag = node.start_mark.line + 1, node.tag
        key_lines = result.key_lines
        merged: list[YamlMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.extend(_merge_sources(_convert(value_node, budget, depth + 1)))
                continue
            key = _scalar(key_node) if isinstance(key_node, ScalarNode) else str(key_node.start_mark)
            if type(value_node) is ScalarNode and depth < 200:  # most values: no call, the same checks
                budget.spend()
                result[key] = _scalar(value_node)
            else:
                result[key] = _convert(value_node, budget, depth + 1)
            key_lines[key] = key_node.start_mark.line + 1
        for source in merged:  # explicit keys win; earlier merge sources win over later ones
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    key_lines[key] = source.line_of(key)
        return result
    if isinstance(node, SequenceNode):
        result = YamlList()
        result.line, result.tag = node.start_mark.line + 1, node.tag
        item_lines = result.item_lines
        for item in node.value:
            if type(item) is ScalarNode and depth < 200:
                budget.spend()
                result.append(_scalar(item))
            else:
                result.append(_convert(item, budget, depth + 1))
            item_lines.append(item.start_mark.line + 1)
        return result
    return _scalar(node)


def _merge_sources(value: Any) -> list[YamlMap]:
    if isinstance(value, YamlMap):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, YamlMap)]
    return []


_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}


def _scalar(node: Any) -> Any:
    """Scalars stay strings except null and booleans, which CI and compose files test for."""
    tag, value = node.tag, node.value
    if tag.startswith("!"):
        tagged = YamlScalar(value)
        tagged.tag = tag
        return tagged
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return _BOOLEANS.get(value.lower(), value)
    return value


def _short(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:300]
