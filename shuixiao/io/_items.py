"""One model item at a time: plain data to dataclass with pydantic, and back.

Every item (a meter, a flow, an enterprise's own fields) is validated on its
own, so one bad item never hides the problems of the others.  Validation runs
pydantic's strict JSON rules over the existing dataclasses: enums from their
string values, dates from ``YYYY-MM-DD``, integers accepted where a float is
expected, but no booleans for numbers, no numbers for text and no integers
for dates.  YAML values (which may already be dates) are turned into JSON
first, so both file formats obey the same rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import typing
from collections.abc import Collection, Iterable, Mapping
from enum import Enum
from functools import cache
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from shuixiao.errors import Problem, UnitError
from shuixiao.io._locate import join_path
from shuixiao.model import (
    EnergyRecord,
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Park,
    Product,
    ProductionRecord,
    Region,
    Site,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
)
from shuixiao.units import canonical_unit, to_canonical

__all__ = [
    "UNIT_KEYS",
    "ItemResult",
    "collections_of",
    "describe",
    "json_default",
    "read_item",
    "stand_in",
    "suggest",
    "to_plain",
]

T = TypeVar("T")

UNIT_KEYS: dict[type, tuple[str, str, str]] = {
    ValueAddedRecord: ("unit", "value", "money"),
    EnergyRecord: ("electricity_unit", "electricity", "energy"),
}
"""Optional unit keys: item type → (unit key, field it qualifies, quantity)."""

_DAY = dt.date(2000, 1, 1)
# Type-correct placeholders for items that failed to validate; see stand_in().
_TEMPLATES: dict[type, object] = {
    Region: Region(id="", name="", admin_code="000000"),
    Park: Park(id="", name="", region=""),
    Site: Site(id="", name=""),
    WaterUnit: WaterUnit(id="", name="", kind=UnitKind.WORKSHOP, level=2),
    Flow: Flow(id="", from_unit="", to_unit=None, category=FlowCategory.CONSUMPTION),
    Meter: Meter(id="", kind=MeterKind.QUALITY, quantity="ph", unit="pH", level=3, water_unit=""),
    Product: Product(id="", name="", unit="t"),
    ProductionRecord: ProductionRecord(product="", start=_DAY, end=_DAY, quantity=0.0),
    ValueAddedRecord: ValueAddedRecord(start=_DAY, end=_DAY, value=0.0),
    EnergyRecord: EnergyRecord(water_unit="", start=_DAY, end=_DAY),
    Enterprise: Enterprise(id="", name="", credit_code="", industry_code="", region=""),
}


@dataclasses.dataclass(frozen=True)
class ItemResult(Generic[T]):
    """The outcome of reading one item.

    Parameters
    ----------
    item : object or None
        The validated item; None when it had any problem.
    failed : frozenset of str
        Keys with problems (``"*"`` when the item was not a mapping at all).
    problems : list of Problem
        What is wrong, with paths into the document.
    """

    item: T | None
    failed: frozenset[str]
    problems: list[Problem]


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(cls: type[T]) -> TypeAdapter[T]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _enum_of(cls: type, field: str) -> type[Enum] | None:
    hint = _hints(cls).get(field)
    for candidate in (hint, *typing.get_args(hint)):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            return candidate
    return None


def collections_of(cls: type) -> dict[str, type]:
    """Return the tuple-of-items fields of ``cls`` and their item types, in field order."""
    out: dict[str, type] = {}
    for name in _field_names(cls):
        hint = _hints(cls)[name]
        if typing.get_origin(hint) is tuple:
            out[name] = typing.get_args(hint)[0]
    return out


def json_default(value: object) -> object:
    """Serialise what :func:`json.dumps` cannot: dates as ISO text, anything else as a non-value."""
    if isinstance(value, dt.date):
        return value.isoformat()
    # A mapping is accepted by no scalar field, so the item fails with a type problem.
    return {"unsupported": type(value).__name__}


def describe(value: object) -> str:
    """Spell ``value`` as a person would see it in the file."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def suggest(key: object, allowed: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest allowed name, or the list of names."""
    allowed = list(allowed)
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; use one of: {', '.join(allowed)}"


def _message(cls: type, error: ErrorDetails, field: str, value: object) -> str:
    kind = error["type"]
    if kind == "missing":
        msg = f"missing required field {field!r}"
        if cls is Flow and field == "to_unit":
            msg += "; write 'to_unit: null' for consumption and leakage, which leave the system"
        return msg
    if kind == "enum":
        enum = _enum_of(cls, field)
        values = [str(m.value) for m in enum] if enum is not None else []
        if isinstance(value, str):
            return f"unknown {field} {value!r}{suggest(value, values)}"
        return f"{field} must be one of {', '.join(values)}, not {describe(value)}"
    if kind == "string_type":
        if isinstance(value, bool):
            return (
                f"expected text, not {describe(value)} (YAML reads yes/no/on/off/true/false as "
                "booleans); put the value in quotes"
            )
        if isinstance(value, int | float):
            return f"expected text, not the number {value!r}; put it in quotes, e.g. '{value}'"
        return f"expected text, not {describe(value)}"
    if kind.startswith("int_"):
        return f"expected a whole number, not {describe(value)}"
    if kind.startswith("float_"):
        return f"expected a number, not {describe(value)}"
    if kind.startswith("date_"):
        return f"expected a date written YYYY-MM-DD, not {describe(value)}"
    return f"{error['msg']}, not {describe(value)}"  # pragma: no cover - every field type is handled above


def read_item(cls: type[T], raw: object, path: str, *, nested: Collection[str] = ()) -> ItemResult[T]:
    """Validate one item of type ``cls`` from plain data.

    Parameters
    ----------
    cls : type
        A model dataclass.
    raw : object
        The item as loaded from the file.
    path : str
        Where the item is in the document, e.g. ``enterprises[0].meters[3]``.
    nested : collection of str
        Fields validated elsewhere (an enterprise's collections); they are
        validated here as empty.

    Returns
    -------
    ItemResult
    """
    if not isinstance(raw, Mapping):
        message = f"expected a mapping of {cls.__name__} fields, not {describe(raw)}"
        return ItemResult(None, frozenset({"*"}), [Problem(path, message)])
    names = _field_names(cls)
    unit_key = UNIT_KEYS.get(cls)
    allowed = [*names, unit_key[0]] if unit_key else list(names)
    problems: list[Problem] = []
    failed: set[str] = set()
    data: dict[str, object] = {}
    for key, value in raw.items():
        if key in nested:
            continue
        if key in names:
            data[key] = value
        elif not (unit_key and key == unit_key[0]):
            message = f"unknown field {key!r}{suggest(key, allowed)}"
            problems.append(Problem(join_path(path, str(key)), message))
            failed.add(str(key))
    if unit_key and unit_key[0] in raw:
        problem = _convert(data, raw[unit_key[0]], unit_key, path)
        if problem is not None:
            problems.append(problem)
            failed.add(unit_key[0])
    data.update(dict.fromkeys(nested, []))
    item: T | None = None
    try:
        item = _adapter(cls).validate_json(_dumps(data), strict=True)
    except ValidationError as err:
        for error in err.errors():
            loc = error["loc"]
            field = str(loc[0]) if loc else ""
            value = raw.get(field) if len(loc) == 1 else error["input"]
            where = path
            for part in loc:
                where = join_path(where, part if isinstance(part, int) else str(part))
            problems.append(Problem(where, _message(cls, error, field, value)))
            failed.add(field)
    return ItemResult(None if problems else item, frozenset(failed), problems)


def _convert(data: dict[str, object], unit: object, spec: tuple[str, str, str], path: str) -> Problem | None:
    unit_key, field, quantity = spec
    where = join_path(path, unit_key)
    if not isinstance(unit, str):
        example = canonical_unit(quantity)
        return Problem(where, f"expected a unit as text, e.g. '{example}', not {describe(unit)}")
    value = data.get(field)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            data[field] = to_canonical(float(value), unit, quantity)
        else:
            to_canonical(0.0, unit, quantity)  # check the unit even when the value is bad
    except UnitError as err:
        return Problem(where, str(err))
    return None


def _dumps(data: object) -> str:
    return json.dumps(data, default=json_default, skipkeys=True, ensure_ascii=False)


def stand_in(
    cls: type[T], raw: object, failed: Collection[str], synthetic_id: str, *, nested: Collection[str] = ()
) -> T:
    """Return a placeholder for an item that failed, keeping its fields that were valid.

    Semantic validation then runs on the whole collection with indices as in
    the file, and references to the failed item (by its id) still resolve.
    Fields with problems take a template value; a failed id becomes
    ``synthetic_id``, which nothing references.
    """
    template = _TEMPLATES[cls]
    data = to_plain(template, omit_defaults=False)
    if isinstance(raw, Mapping) and "*" not in failed:
        names = _field_names(cls)
        data.update({k: v for k, v in raw.items() if k in names and k not in failed and k not in nested})
    if "id" in data and (not isinstance(raw, Mapping) or "id" in failed or "id" not in raw):
        data["id"] = synthetic_id
    data.update(dict.fromkeys(nested, []))
    try:
        return _adapter(cls).validate_json(_dumps(data), strict=True)
    except ValidationError:  # pragma: no cover - fields are validated independently of each other
        return typing.cast(T, template)


def to_plain(item: object, *, omit_defaults: bool = True) -> dict[str, Any]:
    """Return a dataclass item as plain data in field order (enums as values, dates kept).

    Parameters
    ----------
    item : dataclass instance
    omit_defaults : bool
        Leave out fields equal to their default, so files stay short.
    """
    out: dict[str, Any] = {}
    for f in dataclasses.fields(typing.cast(Any, item)):
        value = getattr(item, f.name)
        if omit_defaults and f.default is not dataclasses.MISSING and value == f.default:
            continue
        out[f.name] = _plain_value(value)
    return out


def _plain_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [to_plain(v) if dataclasses.is_dataclass(v) else _plain_value(v) for v in value]
    if isinstance(value, float):
        return float(value)
    return value
