"""Validate a whole model document and collect every problem at once.

Order of work: the top level (``schema``, known keys), then every item on its
own (:mod:`shuixiao.io._items`), then the semantic rules of
:func:`shuixiao.model.enterprise_problems` on each enterprise.  Items that
failed their type checks are replaced by stand-ins in their original places,
so semantic paths keep the file's indices and references to a failed item
(a flow into a unit whose ``kind`` is misspelled) do not show up as dangling.
Problems that would only repeat or follow from a type problem are dropped.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from shuixiao.errors import Problem
from shuixiao.io._items import ItemResult, collections_of, describe, read_item, stand_in, suggest
from shuixiao.io._locate import join_path, split_path
from shuixiao.model import (
    Enterprise,
    Park,
    Region,
    UnitKind,
    enterprise_problems,
    park_problems,
    region_problems,
)

__all__ = ["SCHEMA", "TOP_KEYS", "Contents", "check"]

SCHEMA = "shuixiao.model/1"
TOP_KEYS = ("schema", "regions", "parks", "enterprises")

Contents = tuple[tuple[Region, ...], tuple[Park, ...], tuple[Enterprise, ...]]

_COLLECTIONS = collections_of(Enterprise)


def check(data: object) -> tuple[Contents | None, list[Problem]]:
    """Validate a loaded model document.

    Parameters
    ----------
    data : object
        The document as plain data (what :func:`yaml.safe_load` or
        :func:`json.loads` returns).

    Returns
    -------
    contents : tuple or None
        Regions, parks and enterprises; None when there are problems.
    problems : list of Problem
        Every problem found, without line numbers.
    """
    if not isinstance(data, Mapping):
        return None, [
            Problem("", f"a model file is a mapping starting with 'schema: {SCHEMA}', not {describe(data)}")
        ]
    problems: list[Problem] = []
    if "schema" not in data:
        problems.append(Problem("schema", f"missing 'schema: {SCHEMA}' at the top of the file"))
    elif data["schema"] != SCHEMA:
        found = data["schema"]
        return None, [
            Problem("schema", f"unknown schema {describe(found)}; this version of shuixiao reads {SCHEMA}")
        ]
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem(str(key), f"unknown top-level key {key!r}{suggest(key, TOP_KEYS)}"))

    lists = {key: _list(data, key, "", problems) for key in TOP_KEYS[1:]}
    regions = _read_all(Region, lists["regions"], "regions", problems)
    parks = _read_all(Park, lists["parks"], "parks", problems)
    region_ids = [key for key in _raw_ids(lists["regions"]) if key is not None]
    park_ids = [key for key in _raw_ids(lists["parks"]) if key is not None]
    problems += _duplicates("regions", _raw_ids(lists["regions"]))
    problems += _duplicates("parks", _raw_ids(lists["parks"]))
    for index, region in regions.items():
        problems += region_problems(region, f"regions[{index}]")
    for index, park in parks.items():
        problems += park_problems(park, f"parks[{index}]")
        if region_ids and park.region not in region_ids:
            problems.append(
                Problem(
                    f"parks[{index}].region",
                    f"region {park.region!r} is not among the regions of this file; add it or fix the id",
                )
            )
    enterprises: list[Enterprise] = []
    for index, raw in enumerate(lists["enterprises"]):
        enterprise, more = _check_enterprise(
            raw,
            f"enterprises[{index}]",
            regions=region_ids or None,
            parks=park_ids or None,
        )
        problems += more
        if enterprise is not None:
            enterprises.append(enterprise)
    problems += _duplicates("enterprises", _raw_ids(lists["enterprises"]))
    if problems:
        return None, problems
    return (tuple(regions.values()), tuple(parks.values()), tuple(enterprises)), []


def _list(data: Mapping[Any, Any], key: str, path: str, problems: list[Problem]) -> list[object]:
    value = data.get(key, [])
    if isinstance(value, list):
        return value
    message = f"expected a list of {key}, not {describe(value)}; write [] for none"
    problems.append(Problem(join_path(path, key), message))
    return []


def _read_all(cls: type[Any], raws: Sequence[object], path: str, problems: list[Problem]) -> dict[int, Any]:
    valid: dict[int, Any] = {}
    for index, raw in enumerate(raws):
        result = read_item(cls, raw, f"{path}[{index}]")
        problems += result.problems
        if result.item is not None:
            valid[index] = result.item
    return valid


def _raw_ids(raws: Iterable[object]) -> list[str | None]:
    """Return the ``id`` of every raw item, read before any validation (None when it is not text)."""
    ids: list[str | None] = []
    for raw in raws:
        key = raw.get("id") if isinstance(raw, Mapping) else None
        ids.append(key if isinstance(key, str) else None)
    return ids


def _duplicates(collection: str, ids: Sequence[str | None]) -> list[Problem]:
    seen: Counter[str] = Counter()
    out: list[Problem] = []
    for index, key in enumerate(ids):
        if key is None:
            continue
        seen[key] += 1
        if seen[key] > 1:
            out.append(
                Problem(
                    f"{collection}[{index}].id",
                    f"duplicate id {key!r}; every id in {collection} must be unique",
                )
            )
    return out


def _check_enterprise(
    raw: object, path: str, *, regions: Iterable[str] | None, parks: Iterable[str] | None
) -> tuple[Enterprise | None, list[Problem]]:
    header = read_item(Enterprise, raw, path, nested=_COLLECTIONS)
    problems = list(header.problems)
    if not isinstance(raw, Mapping):
        return None, problems

    failed_header = set(header.failed)
    stand_ins: dict[str, dict[int, frozenset[str]]] = {name: {} for name in _COLLECTIONS}
    collections: dict[str, tuple[Any, ...]] = {}
    for name, cls in _COLLECTIONS.items():
        raws = _list(raw, name, path, problems)
        if name in raw and not isinstance(raw[name], list):
            failed_header.add(name)
        items: list[Any] = []
        for index, item_raw in enumerate(raws):
            where = f"{path}.{name}[{index}]"
            result: ItemResult[Any] = read_item(cls, item_raw, where)
            problems += result.problems
            if result.item is None:
                stand_ins[name][index] = result.failed
                items.append(stand_in(cls, item_raw, result.failed, f"\0{where}"))
            else:
                items.append(result.item)
        collections[name] = tuple(items)

    base = header.item
    if base is None:
        base = stand_in(Enterprise, raw, header.failed, "", nested=_COLLECTIONS)
    enterprise: Enterprise = dataclasses.replace(cast(Any, base), **collections)
    independent = _independent(enterprise, stand_ins, failed_header)
    problems += [
        dataclasses.replace(p, path=f"{path}.{p.path}")
        for p in enterprise_problems(enterprise, regions=regions, parks=parks)
        if independent(p)
    ]
    return (None if problems else enterprise), problems


def _independent(
    enterprise: Enterprise,
    stand_ins: dict[str, dict[int, frozenset[str]]],
    failed_header: set[str],
) -> Callable[[Problem], bool]:
    """Return a test of whether a semantic problem stands on its own, rather than following a type problem.

    Dropped: every problem of a stand-in (except a duplicate of an id it
    really has), problems of the enterprise's own fields that failed, and the
    problems whose rule depends on something a failed item left unknown: the
    kind of a unit (flow categories, level-1 meters, "no source").
    """
    units = stand_ins["units"]
    unknown_kind = {
        enterprise.units[i].id
        for i, failed in units.items()
        if {"*", "kind"} & failed or (enterprise.units[i].kind is UnitKind.SOURCE and "source_type" in failed)
    }
    unknown_ends = {
        f.id
        for i, f in enumerate(enterprise.flows)
        if f.from_unit in unknown_kind
        or f.to_unit in unknown_kind
        or {"*", "from_unit", "to_unit"} & stand_ins["flows"].get(i, frozenset())
    }
    any_unknown_kind = any({"*", "kind"} & failed for failed in units.values())

    def independent(problem: Problem) -> bool:
        segments = split_path(problem.path)
        if len(segments) >= 2 and isinstance(segments[0], str) and isinstance(segments[1], int):
            name, index = segments[0], segments[1]
            field = segments[2] if len(segments) > 2 else None
            failed = stand_ins[name].get(index)
            if failed is not None:
                return field == "id" and not {"*", "id"} & failed
            if name == "flows" and field == "category":
                flow = enterprise.flows[index]
                return flow.from_unit not in unknown_kind and flow.to_unit not in unknown_kind
            if name == "meters" and field == "level":
                meter = enterprise.meters[index]
                return not (meter.level == 1 and meter.flow in unknown_ends)
            return True
        head = segments[0] if segments else ""
        if head in failed_header:
            return False
        return not (head == "units" and any_unknown_kind)

    return independent
