"""The JSON transport form of a signed batch (HTTP body, MQTT payload).

Devices send a batch and its signature as one JSON object::

    {"schema": "shuixiao.batch/2",
     "device": "gw-0001",
     "sequence": 0,
     "previous_hash": "<64 hex digits>",
     "created": 1717200960,
     "readings": [{"meter": "FT-101", "ts": 1717200000, "value": 1234.5, "unit": "m3",
                   "quality": "good"}, ...],
     "signature": "<base64 of the 64-byte Ed25519 signature>"}

Times are whole seconds since the Unix epoch (UTC); ``unit`` may be left out
or null; ``quality`` is ``good``, ``estimated``, ``suspect`` or ``bad`` and may
be left out for good. The schema names the encoding version of the batch:
``shuixiao.batch/2`` for version 2, ``shuixiao.batch/1`` for version 1, whose
readings have no ``quality`` field (all are good). The signature is over the *canonical binary encoding* of the batch
(``docs/ledger.md``, "Batches"), not over this JSON: the receiver rebuilds the
batch from these fields and re-encodes it, so whitespace, key order and
number formatting of the JSON do not matter, but every value must be exactly
what the device signed (a value is a binary64 number; JSON numbers written
with the shortest round-trip digits, as Python and JavaScript do, keep it exact).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import parse_json
from shuixiao.ledger import Batch, BatchColumns, Reading
from shuixiao.model import Quality

__all__ = ["SCHEMAS", "batch_columns_from_json", "batch_from_json", "batch_to_json", "parse_payload"]

SCHEMAS: Final = {1: "shuixiao.batch/1", 2: "shuixiao.batch/2"}
"""Value of the ``schema`` field of the transport form, by batch encoding version."""

_VERSIONS: Final = {schema: version for version, schema in SCHEMAS.items()}
_FIELDS: Final = {"schema", "device", "sequence", "previous_hash", "created", "readings", "signature"}
_READING_FIELDS: Final = {1: frozenset({"meter", "ts", "value", "unit"})}
_READING_FIELDS[2] = _READING_FIELDS[1] | {"quality"}
_REQUIRED: Final = frozenset({"meter", "ts", "value"})
_NUMBERS: Final = (float, int)
_QUALITY_NAMES: Final = [q.name.lower() for q in sorted(Quality)]
_QUALITY_CODES: Final = {name: code for code, name in enumerate(_QUALITY_NAMES)}


def batch_to_json(batch: Batch, signature: bytes) -> dict[str, Any]:
    """Return the JSON transport form of a signed batch.

    Parameters
    ----------
    batch : Batch
        The batch.
    signature : bytes
        Its device signature. [64 bytes]

    Returns
    -------
    dict
        Ready for :func:`json.dumps`.

    Examples
    --------
    >>> from shuixiao.ledger import GENESIS_HASH
    >>> b = Batch("gw-01", 0, GENESIS_HASH, (Reading("FT-101", 1717200000, 12.5, "m3"),), 1717200060)
    >>> doc = batch_to_json(b, bytes(64))
    >>> doc["schema"], doc["readings"], doc["previous_hash"][:8]
    ('shuixiao.batch/2', [{'meter': 'FT-101', 'ts': 1717200000, 'value': 12.5, 'unit': 'm3', 'quality': 'good'}], '00000000')
    >>> batch_from_json(doc) == (b, bytes(64))
    True
    """
    if batch.version == 1:
        readings = [{"meter": r.meter, "ts": r.ts, "value": r.value, "unit": r.unit} for r in batch.readings]
    else:
        readings = [
            {
                "meter": r.meter,
                "ts": r.ts,
                "value": r.value,
                "unit": r.unit,
                "quality": _QUALITY_NAMES[r.quality],
            }
            for r in batch.readings
        ]
    return {
        "schema": SCHEMAS[batch.version],
        "device": batch.device,
        "sequence": batch.sequence,
        "previous_hash": batch.previous_hash.hex(),
        "created": batch.created,
        "readings": readings,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def _quality(name: Any) -> int | None:
    """The code of a quality name, None if ``name`` is not one."""
    return _QUALITY_CODES.get(name) if isinstance(name, str) else None


def _integer(document: Mapping[str, Any], name: str) -> int:
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be a whole number, not {value!r}")
    return value


def _header(document: Mapping[str, Any]) -> tuple[int, str, bytes, bytes, list[Any]]:
    """The version, device, previous hash, signature and reading items of a batch document, checked."""
    if not isinstance(document, Mapping):
        raise InvalidInputError(f"a signed batch is a JSON object, not {type(document).__name__}")
    schema = document.get("schema")
    version = _VERSIONS.get(schema) if isinstance(schema, str) else None
    if version is None:
        raise InvalidInputError(
            f"schema must be one of {', '.join(map(repr, _VERSIONS))}, not {document.get('schema')!r}"
        )
    unknown = set(document) - _FIELDS
    missing = _FIELDS - set(document)
    if unknown or missing:
        raise InvalidInputError(
            f"a signed batch has exactly the fields {', '.join(sorted(_FIELDS))}"
            + (f"; missing {', '.join(sorted(missing))}" if missing else "")
            + (f"; unknown {', '.join(sorted(unknown))}" if unknown else "")
        )
    device = document["device"]
    if not isinstance(device, str):
        raise InvalidInputError(f"device must be text, not {device!r}")
    try:
        previous = (
            bytes.fromhex(document["previous_hash"]) if isinstance(document["previous_hash"], str) else b""
        )
    except ValueError:
        previous = b""
    if len(previous) != 32:
        raise InvalidInputError("previous_hash must be 64 hexadecimal digits (32 bytes)")
    try:
        signature = base64.b64decode(str(document["signature"]), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if len(signature) != 64:
        raise InvalidInputError("signature must be the base64 of a 64-byte Ed25519 signature")
    items = document["readings"]
    if not isinstance(items, list):
        raise InvalidInputError("readings must be a JSON list")
    return version, device, previous, signature, items


def _columns(items: list[Any], version: int) -> tuple[list[Any], ...] | None:
    """The readings as columns, when every one is usual (parsed JSON, right fields and types); else None."""
    allowed = _READING_FIELDS[version]
    try:
        layouts = set(map(tuple, items)) if all(type(i) is dict for i in items) else None  # noqa: E721
        if layouts is None or not all(_REQUIRED <= set(keys) <= allowed for keys in layouts):
            return None
        meters = [i["meter"] for i in items]
        ts = [i["ts"] for i in items]
        values = [i["value"] for i in items]
        units = [i.get("unit") for i in items]
        names = [i.get("quality", "good") for i in items]
        codes = {name: _quality(name) for name in set(names)}
    except TypeError:  # an unhashable quality (a list or object from JSON)
        return None
    value_types = set(map(type, values))
    if (
        not set(map(type, meters)) <= {str}
        or not set(map(type, ts)) <= {int}
        or not value_types <= {float, int}
        or not set(map(type, units)) <= {str, type(None)}
        or None in codes.values()
    ):
        return None
    if int in value_types:
        values = list(map(float, values))
    return meters, ts, values, units, [codes[n] for n in names]


def batch_columns_from_json(document: Mapping[str, Any]) -> tuple[BatchColumns, bytes]:
    """Rebuild a signed batch from its JSON transport form, as columns (what notarised ingestion takes).

    The same as :func:`batch_from_json` with the batch as a
    :class:`~shuixiao.ledger.BatchColumns`: no :class:`~shuixiao.ledger.Reading`
    is made for a usual batch.

    Raises
    ------
    InvalidInputError
        As :func:`batch_from_json`, with the same messages.

    Examples
    --------
    >>> from shuixiao.ledger import GENESIS_HASH
    >>> b = Batch("gw-01", 0, GENESIS_HASH, (Reading("FT-101", 1717200000, 12.5, "m3"),), 1717200060)
    >>> columns, signature = batch_columns_from_json(batch_to_json(b, bytes(64)))
    >>> columns.meters, columns.encode() == b.encode()
    (['FT-101'], True)
    """
    version, device, previous, signature, items = _header(document)
    columns = _columns(items, version)
    if columns is None:  # an unusual reading: the reading-by-reading path accepts it or says what is wrong
        batch, signature = batch_from_json(document)
        return BatchColumns.from_batch(batch), signature
    meters, ts, values, units, qualities = columns
    sequence, created = _integer(document, "sequence"), _integer(document, "created")
    return BatchColumns(
        device, sequence, previous, created, meters, ts, values, units, qualities, version
    ), signature


def batch_from_json(document: Mapping[str, Any]) -> tuple[Batch, bytes]:
    """Rebuild a signed batch from its JSON transport form.

    Parameters
    ----------
    document : mapping
        The parsed JSON object.

    Returns
    -------
    tuple of (Batch, bytes)
        The batch and its signature (not verified here).

    Raises
    ------
    InvalidInputError
        If the document is not a batch of a schema of :data:`SCHEMAS`: a
        field missing, unknown or of the wrong type, a hash or signature that
        is not hex or base64 of the right length, an unknown quality, or a
        batch the encoding refuses (empty identifier, non-finite value, a
        reading twice).
    """
    version, device, previous, signature, items = _header(document)
    allowed = _READING_FIELDS[version]
    readings = []
    for n, item in enumerate(items, start=1):
        if type(item) is dict and len(item) <= len(allowed):  # noqa: E721 (the usual case, parsed JSON: a fast path)
            meter, ts, unit = item.get("meter"), item.get("ts"), item.get("unit")
            value: Any = item.get("value")
            quality = _quality(item.get("quality", "good"))
            if (
                type(meter) is str  # noqa: E721
                and type(ts) is int  # noqa: E721
                and type(value) in _NUMBERS
                and (unit is None or type(unit) is str)  # noqa: E721
                and quality is not None
                and len(item) == 3 + ("unit" in item) + ("quality" in item)
                and (version > 1 or "quality" not in item)
            ):
                readings.append(Reading(meter, ts, float(value), unit, quality))
                continue
        if not isinstance(item, Mapping) or not (_REQUIRED <= item.keys() <= allowed):
            raise InvalidInputError(
                f"reading {n} must be an object with meter, ts, value and optionally "
                + ("unit and quality" if version > 1 else f"unit (quality needs schema {SCHEMAS[2]!r})")
            )
        meter, unit, value = item["meter"], item.get("unit"), item["value"]
        if not isinstance(meter, str) or (unit is not None and not isinstance(unit, str)):
            raise InvalidInputError(f"reading {n}: meter and unit must be text")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError(f"reading {n}: value must be a number, not {value!r}")
        quality = _quality(item.get("quality", "good"))
        if quality is None:
            raise InvalidInputError(
                f"reading {n}: quality must be one of {', '.join(_QUALITY_NAMES)}, not {item['quality']!r}"
            )
        readings.append(Reading(meter, _integer(item, "ts"), float(value), unit, quality))
    batch = Batch(
        device,
        _integer(document, "sequence"),
        previous,
        tuple(readings),
        _integer(document, "created"),
        version,
    )
    return batch, signature


def parse_payload(payload: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    """Return the JSON object of a payload given as a mapping, text or UTF-8 bytes.

    Text and bytes are read as the service reads HTTP bodies and MQTT payloads
    (:func:`shuixiao.ingest.parse_json`).

    Raises
    ------
    InvalidInputError
        If the payload is not UTF-8 JSON holding an object.
    """
    if isinstance(payload, Mapping):
        return payload
    try:
        document = parse_json(bytes(payload) if isinstance(payload, bytes | bytearray) else payload.encode())
    except ValueError as err:  # UnicodeDecodeError is one
        raise InvalidInputError(f"a signed batch is UTF-8 JSON: {err}") from None
    if not isinstance(document, dict):
        raise InvalidInputError(f"a signed batch is a JSON object, not {type(document).__name__}")
    return document
