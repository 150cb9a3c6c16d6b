"""Reading and validating the reference tables shipped in ``shuixiao/data/reference/``."""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import ValidationError

from shuixiao.errors import NotFoundError, Problem, ReferenceDataError
from shuixiao.reference._schema import (
    CriterionEntry,
    ParameterEntry,
    QuotaEntry,
    ReferenceEntry,
    SectorEntry,
    TargetEntry,
    VariantEntry,
)

__all__ = ["ReferenceDataError", "ReferenceTable", "load_table", "read_table", "table_names"]

SCHEMAS: dict[str, type[ReferenceEntry]] = {
    "targets": TargetEntry,
    "quotas": QuotaEntry,
    "parameters": ParameterEntry,
    "criteria": CriterionEntry,
    "sectors": SectorEntry,
    "variants": VariantEntry,
}
"""The kinds of table and the schema of their entries."""

_HEADER = {"table", "version", "title", "description", "defaults", "entries"}

_Entry = TypeVar("_Entry", bound=ReferenceEntry)


@dataclass(frozen=True)
class ReferenceTable(Generic[_Entry]):
    """A validated reference table.

    Parameters
    ----------
    name : str
        File name without ``.yaml``.
    table : str
        Kind of table (``targets``, ``quotas``, ``parameters``, ``criteria``, ``sectors``, ``variants``).
    version : int
        Version of the file; raised by one whenever a value changes.
    title : str
        What the table holds.
    entries : tuple
        The entries, in file order.
    """

    name: str
    table: str
    version: int
    title: str
    entries: tuple[_Entry, ...]

    def get(self, entry_id: str) -> _Entry:
        """Return the entry ``entry_id``.

        Raises
        ------
        NotFoundError
            If the table has no such entry.
        """
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise NotFoundError(f"reference table {self.name!r} has no entry {entry_id!r}")


def _directory() -> Path:
    """The directory of the packaged reference tables."""
    return Path(str(importlib.resources.files("shuixiao.data"))) / "reference"


def table_names() -> list[str]:
    """Return the names of the packaged reference tables, sorted.

    Examples
    --------
    >>> "product_targets_national" in table_names()
    True
    """
    return sorted(p.stem for p in _directory().glob("*.yaml"))


@functools.cache
def load_table(name: str) -> ReferenceTable[Any]:
    """Return the packaged reference table ``name`` (validated once, then cached).

    Parameters
    ----------
    name : str
        File name without ``.yaml``, e.g. ``product_targets_national``.

    Raises
    ------
    NotFoundError
        If there is no such table.
    ReferenceDataError
        If the file does not validate.

    Examples
    --------
    >>> load_table("product_targets_national").get("crude_steel.intake_2020").value
    2.5
    """
    path = _directory() / f"{name}.yaml"
    if not path.is_file():
        raise NotFoundError(f"no reference table {name!r}; tables: {', '.join(table_names())}")
    return read_table(path)


def read_table(path: str | Path) -> ReferenceTable[Any]:
    """Read and validate a reference table from any file (for corrections before they are packaged).

    Parameters
    ----------
    path : str or pathlib.Path
        A YAML file in the reference-table format (``docs/reference-data.md``).

    Raises
    ------
    ReferenceDataError
        Listing every problem with its line and entry.
    """
    path = Path(path)
    source = path.name
    text = path.read_text(encoding="utf-8")
    try:
        document = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ReferenceDataError([Problem("", f"not valid YAML: {err}", line)], source) from err
    problems: list[Problem] = []
    if not isinstance(document, dict):
        raise ReferenceDataError(
            [Problem("", "the file must be a mapping with table, version and entries")], source
        )
    for key in sorted(set(document) - _HEADER):
        problems.append(Problem(key, f"unknown key; use {', '.join(sorted(_HEADER))}", _line(root, (key,))))
    table = document.get("table")
    schema = SCHEMAS.get(table) if isinstance(table, str) else None
    if schema is None:
        problems.append(
            Problem("table", f"must be one of {', '.join(SCHEMAS)}, not {table!r}", _line(root, ("table",)))
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(Problem("version", "must be a whole number ≥ 1", _line(root, ("version",))))
    title = document.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("title", "give the table a title", _line(root, ("title",))))
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append(Problem("defaults", "must be a mapping of field: value", _line(root, ("defaults",))))
        defaults = {}
    raw_entries = document.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        problems.append(Problem("entries", "must be a non-empty list", _line(root, ("entries",))))
        raw_entries = []
    entries: list[ReferenceEntry] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_entries):
        where = f"entries[{i}]"
        if not isinstance(raw, dict):
            problems.append(Problem(where, "must be a mapping", _line(root, ("entries", i))))
            continue
        label = f"{raw.get('id')!s}: " if raw.get("id") else ""
        if raw.get("id") in seen:
            problems.append(
                Problem(
                    f"{where}.id",
                    f"duplicate id {raw['id']!r} (first at entries[{seen[raw['id']]}])",
                    _line(root, ("entries", i, "id")),
                )
            )
        elif isinstance(raw.get("id"), str):
            seen[raw["id"]] = i
        if schema is None:
            continue
        try:
            entries.append(schema.model_validate({**defaults, **raw}))
        except ValidationError as err:
            for e in err.errors():
                field = ".".join(str(p) for p in e["loc"])
                path_keys: tuple[str | int, ...] = (
                    ("entries", i, *e["loc"][:1]) if e["loc"] else ("entries", i)
                )
                problems.append(
                    Problem(
                        f"{where}.{field}" if field else where, f"{label}{e['msg']}", _line(root, path_keys)
                    )
                )
    if problems:
        raise ReferenceDataError(problems, source)
    assert isinstance(table, str) and isinstance(version, int) and isinstance(title, str)
    return ReferenceTable(path.stem, table, version, title.strip(), tuple(entries))


def _line(root: yaml.Node | None, keys: tuple[str | int, ...]) -> int | None:
    """1-based line of the node at ``keys`` (or of its nearest existing ancestor)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in keys:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    child = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
