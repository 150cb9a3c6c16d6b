"""YAML documents of the field package (agent configuration, register maps), checked with line numbers."""

from __future__ import annotations

from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from shuixiao.errors import ConfigurationError, Problem

__all__ = ["FieldConfigError", "line_of", "read_document", "validate"]

M = TypeVar("M", bound=BaseModel)


class FieldConfigError(ConfigurationError):
    """A configuration or register-map document with problems; lists every one with its line.

    Parameters
    ----------
    problems : list of Problem
    source : str
        The file (or text) the problems were found in.
    """

    def __init__(self, problems: list[Problem], source: str) -> None:
        self.problems = problems
        self.source = source
        n = len(problems)
        lines = "".join(f"\n  - {p}" for p in problems)
        super().__init__(f"{source}: {n} problem{'s' if n != 1 else ''}{lines}")


def read_document(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML ``text`` into plain data and its node tree (for line numbers).

    Raises
    ------
    FieldConfigError
        If the text is not YAML.
    """
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(err, "problem", None) or str(err)
        raise FieldConfigError([Problem("", f"not valid YAML: {reason}", line)], source) from None


def validate(model: type[M], data: Any, root: yaml.Node | None, source: str) -> M:
    """Validate ``data`` against ``model``; raise every problem at once, with its line.

    Raises
    ------
    FieldConfigError
        If ``data`` does not fit ``model``.
    """
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = []
        for error in err.errors(include_url=False):
            location = [part for part in error["loc"] if not _is_tag(part)]
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check its spelling and level)"
            problems.append(Problem(_path(location), message, line_of(root, location)))
        raise FieldConfigError(problems, source) from None


def _is_tag(part: int | str) -> bool:
    """Pydantic adds the tag of a union member (``function-after[...]``, ``tuple[...]``) to locations."""
    return isinstance(part, str) and ("[" in part or "(" in part)


def _path(location: list[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def line_of(root: yaml.Node | None, location: list[int | str]) -> int | None:
    """1-based line of the deepest node of ``location`` present in the tree."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in location:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
