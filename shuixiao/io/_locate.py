"""Line numbers for document paths, from the node tree PyYAML composes.

A model file is parsed twice over the same text: once into plain data, and
once into PyYAML's node tree, whose nodes keep their position in the text.
:class:`Locator` walks a problem's path (``enterprises[0].meters[3].unit``)
down that tree to the line that holds it.  JSON is read with :mod:`json`, and
located through the same tree, since a JSON text is YAML flow style.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from shuixiao.errors import Problem

__all__ = ["Locator", "compose", "duplicate_key_problems", "join_path", "split_path"]

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """Split ``a[0].b`` into ``["a", 0, "b"]``."""
    return [int(index) if index else key for key, index in _SEGMENT.findall(path)]


def join_path(base: str, key: str | int) -> str:
    """Append a key or a list index to a path."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def compose(text: str) -> yaml.Node | None:
    """Return the node tree of ``text``, or None when it is empty.

    Raises
    ------
    yaml.YAMLError
        If the text is not a single YAML document.
    """
    return yaml.compose(text, Loader=yaml.SafeLoader)


class Locator:
    """Map document paths to 1-based line numbers.

    Parameters
    ----------
    root : yaml.Node or None
        The composed document; None gives no lines at all.
    """

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def line(self, path: str) -> int | None:
        """Return the line of ``path``, or of the deepest part of it that exists."""
        node = self._root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for segment in split_path(path):
            found = _child(node, segment)
            if found is None:
                break
            key_node, node = found
            line = (key_node or node).start_mark.line + 1
        return line


def _child(node: yaml.Node, segment: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(segment, int):
        items: list[yaml.Node] = node.value
        return (None, items[segment]) if segment < len(items) else None
    if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        for key, value in reversed(pairs):  # the last of duplicate keys wins, as when loading
            if isinstance(key, yaml.ScalarNode) and key.value == segment:
                return key, value
    return None


def duplicate_key_problems(root: yaml.Node | None, path: str = "") -> Iterator[Problem]:
    """Yield a problem for every key repeated in a mapping (loading keeps the last silently)."""
    if isinstance(root, yaml.SequenceNode):
        for index, item in enumerate(root.value):
            yield from duplicate_key_problems(item, join_path(path, index))
    elif isinstance(root, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    yield Problem(
                        join_path(path, key.value),
                        f"key {key.value!r} appears twice in this mapping; keep one",
                        key.start_mark.line + 1,
                    )
                seen.add(key.value)
                yield from duplicate_key_problems(value, join_path(path, key.value))
