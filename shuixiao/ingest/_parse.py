"""Reading the fields of a raw record: timestamps, values, quality flags; and writing one back as JSON."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np
import pydantic_core

from shuixiao.ingest._records import RawReading, Reason, Source
from shuixiao.model import Quality
from shuixiao.storage.schema import EPOCH_MAX

__all__ = [
    "Rejected",
    "first_not_object",
    "json_kind",
    "parse_json",
    "parse_quality",
    "parse_timestamp",
    "parse_value",
    "payload_of",
    "reading_of",
]

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_NUMBER: Final = re.compile(r"^[0-9]+(?:\.[0-9]*)?$")
# 2025-1-1 8:00, 2025/01/01 08:00:00.5, 2025.01.01T08:00+08:00: forms fromisoformat does not take.
_LOOSE: Final = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_QUALITY_NAMES: Final = {q.name.lower(): q for q in Quality} | {str(int(q)): q for q in Quality}
_EXAMPLE: Final = "write e.g. 2025-03-01T08:15:00+08:00 or epoch seconds"


class Rejected(Exception):
    """A field that fails its check (internal: turned into a rejected RecordResult)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def _epoch(seconds: float, raw: object) -> int:
    if not math.isfinite(seconds):
        raise Rejected(Reason.BAD_TIMESTAMP, f"timestamp {raw!r} is not a time; {_EXAMPLE}")
    whole = math.floor(seconds)
    if not 0 <= whole < EPOCH_MAX:
        hint = (
            ": it looks like milliseconds; send seconds since 1970-01-01T00:00:00Z"
            if EPOCH_MAX <= whole < EPOCH_MAX * 1000
            else f"; {_EXAMPLE}"
        )
        raise Rejected(Reason.BAD_TIMESTAMP, f"timestamp {raw!r} is outside 1970–2199{hint}")
    return whole


def _loose(text: str) -> dt.datetime | None:
    match = _LOOSE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    tz: dt.tzinfo | None = None
    if offset == "Z":
        tz = dt.UTC
    elif offset:
        digits = offset[1:].replace(":", "").ljust(4, "0")
        delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = dt.timezone(delta if offset[0] == "+" else -delta)
    try:
        return dt.datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError:
        return None


def parse_timestamp(raw: Any, zone: ZoneInfo | None) -> int:
    """Return ``raw`` as whole seconds since the epoch (UTC), or raise :class:`Rejected`.

    Parameters
    ----------
    raw : object
        ISO 8601 text (``T`` or a space; ``/`` and unpadded fields are
        accepted too), epoch seconds as a number or digits, a ``datetime``
        or a ``date`` (local midnight).
    zone : zoneinfo.ZoneInfo or None
        Zone of times without an offset; None rejects them.

    Examples
    --------
    >>> from zoneinfo import ZoneInfo
    >>> parse_timestamp("2025-01-01 08:00", ZoneInfo("Asia/Shanghai"))
    1735689600
    >>> parse_timestamp("2025/1/1 0:00:00Z", None), parse_timestamp(1735689600.7, None)
    (1735689600, 1735689600)
    """
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise Rejected(Reason.BAD_TIMESTAMP, f"the timestamp is empty; {_EXAMPLE}")
        if _NUMBER.match(text):
            return _epoch(float(text), raw)
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            loose = _loose(text)
            if loose is None:
                raise Rejected(
                    Reason.BAD_TIMESTAMP, f"timestamp {raw!r} is not a date and time; {_EXAMPLE}"
                ) from None
            moment = loose
    elif isinstance(raw, bool) or raw is None:
        what = "missing" if raw is None else f"{raw!r}, not a time"
        raise Rejected(Reason.BAD_TIMESTAMP, f"the timestamp is {what}; {_EXAMPLE}")
    elif isinstance(raw, int | float | np.integer | np.floating | Decimal):
        return _epoch(float(raw), raw)
    elif isinstance(raw, dt.datetime):
        moment = raw
    elif isinstance(raw, dt.date):
        moment = dt.datetime(raw.year, raw.month, raw.day)
    else:
        raise Rejected(
            Reason.BAD_TIMESTAMP, f"timestamp {raw!r} ({type(raw).__name__}) is not a time; {_EXAMPLE}"
        )
    if moment.tzinfo is None or moment.utcoffset() is None:
        if zone is None:
            raise Rejected(
                Reason.NAIVE_TIMESTAMP,
                f"timestamp {raw!s} has no time zone and the source declares none; add the offset "
                "(e.g. +08:00 or Z) or declare the zone of the source (e.g. --timezone Asia/Shanghai)",
            )
        moment = moment.replace(tzinfo=zone)
    delta = moment - _EPOCH
    return _epoch(delta.days * 86_400 + delta.seconds, raw)


def parse_value(raw: Any) -> float:
    """Return ``raw`` as a finite float, or raise :class:`Rejected`.

    Examples
    --------
    >>> parse_value(" 12.5 "), parse_value(3)
    (12.5, 3.0)
    """
    if type(raw) is float:
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise Rejected(Reason.NOT_A_NUMBER, "the value is empty; send a number, or leave the row out")
        try:
            value = float(text)
        except ValueError:
            raise Rejected(
                Reason.NOT_A_NUMBER,
                f"value {raw!r} is not a number; write digits with a decimal point and no thousands "
                "separators or units, e.g. 1234.5",
            ) from None
    elif raw is None:
        raise Rejected(Reason.NOT_A_NUMBER, "the value is missing; send a number")
    elif isinstance(raw, bool) or not isinstance(raw, int | float | np.integer | np.floating | Decimal):
        raise Rejected(
            Reason.NOT_A_NUMBER, f"value {raw!r} ({type(raw).__name__}) is not a number; send a number"
        )
    else:
        value = float(raw)
    if not math.isfinite(value):
        raise Rejected(
            Reason.NOT_FINITE,
            f"value {raw!r} is not finite; a missing reading is left out, an estimate is sent with "
            "quality 'estimated'",
        )
    return value


def parse_quality(raw: Any) -> int:
    """Return ``raw`` as a :class:`~shuixiao.model.Quality` code (good when empty), or raise :class:`Rejected`.

    Examples
    --------
    >>> parse_quality(None), parse_quality("Suspect"), parse_quality(3)
    (0, 2, 3)
    """
    if raw is None:
        return int(Quality.GOOD)
    if isinstance(raw, int | np.integer) and not isinstance(raw, bool) and 0 <= raw <= max(Quality):
        return int(raw)
    if isinstance(raw, float) and raw.is_integer() and 0 <= raw <= max(Quality):
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if not text:
            return int(Quality.GOOD)
        found = _QUALITY_NAMES.get(text)
        if found is not None:
            return int(found)
    names = ", ".join(f"{q.name.lower()} ({int(q)})" for q in Quality)
    raise Rejected(Reason.BAD_QUALITY, f"quality {raw!r} is not one of {names}")


def _json_value(value: Any) -> Any:
    """A JSON-compatible stand-in for a raw field that parses back the same way."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, np.generic):
        return _json_value(value.item())
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def parse_json(data: bytes) -> Any:
    """Parse a UTF-8 JSON document (a byte order mark allowed), as HTTP bodies and MQTT payloads come.

    pydantic's parser (``pydantic_core.from_json``) reads a gateway's batch in about half the time
    :func:`json.loads` takes.  Like :func:`json.loads` it reads ``NaN`` and ``Infinity``, so such a
    value is rejected on its own (``not_finite``) rather than its whole message as unreadable.

    Raises
    ------
    UnicodeDecodeError
        If the data is not UTF-8 (catch it before ``ValueError``, of which it is one).
    ValueError
        If it is not JSON.

    Examples
    --------
    >>> parse_json(b'[{"meter": "FT-101", "ts": 1735689600, "value": NaN}]')
    [{'meter': 'FT-101', 'ts': 1735689600, 'value': nan}]
    """
    try:
        return pydantic_core.from_json(data.removeprefix(codecs.BOM_UTF8), allow_inf_nan=True)
    except ValueError:
        data.decode("utf-8-sig")  # raises UnicodeDecodeError when that is what is wrong
        raise


def json_kind(value: Any) -> str:
    """What a parsed JSON value is, in JSON's words, for a message to the sender.

    Examples
    --------
    >>> [json_kind(v) for v in (None, True, 3, 2.5, "x", [], {})]
    ['null', 'a boolean', 'a number', 'a number', 'a string', 'an array', 'an object']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def first_not_object(items: Sequence[Any]) -> tuple[int, Any] | None:
    """The position (from 1) and value of the first item that is not a JSON object, or None.

    Examples
    --------
    >>> first_not_object([{}, {}]) is None
    True
    >>> first_not_object([{}, 42])
    (2, 42)
    """
    if all(type(item) is dict for item in items):
        return None
    return next((n, item) for n, item in enumerate(items, start=1) if type(item) is not dict)


def payload_of(record: RawReading, source: Source) -> str:
    """Return the quarantine payload of a record: JSON that :func:`reading_of` reads back.

    Examples
    --------
    >>> from shuixiao.model import Origin
    >>> payload_of(RawReading("FT-1", "2025-01-01 08:00", "1.5", row=7), Source(Origin.FILE, "a.csv", "Asia/Shanghai"))
    '{"meter": "FT-1", "ts": "2025-01-01 08:00", "value": "1.5", "timezone": "Asia/Shanghai", "row": 7}'
    """
    document: dict[str, Any] = {
        "meter": _json_value(record.meter),
        "ts": _json_value(record.ts),
        "value": _json_value(record.value),
    }
    if record.unit is not None:
        document["unit"] = _json_value(record.unit)
    if record.quality is not None:
        document["quality"] = _json_value(record.quality)
    if source.timezone is not None:
        document["timezone"] = source.timezone
    if source.unit is not None:
        document["default_unit"] = source.unit
    if record.row is not None:
        document["row"] = record.row
    return json.dumps(document, ensure_ascii=False, allow_nan=False)


def reading_of(payload: str) -> tuple[RawReading, str | None, str | None] | None:
    """Read a quarantine payload back: the record, its declared zone and default unit; None if it is no record."""
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(document, dict) or not {"meter", "ts", "value"} <= document.keys():
        return None
    row = document.get("row")
    record = RawReading(
        document["meter"],
        document["ts"],
        document["value"],
        document.get("unit"),
        document.get("quality"),
        row if isinstance(row, int) else None,
    )
    timezone = document.get("timezone")
    unit = document.get("default_unit")
    return (
        record,
        timezone if isinstance(timezone, str) else None,
        unit if isinstance(unit, str) else None,
    )
