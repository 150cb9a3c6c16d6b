"""Reading an HTTP ingestion body: size limits, gzip, JSON or CSV, into raw records.

JSON::

    {"enterprise": "ronghu-steel",
     "readings": [{"meter": "FT-101", "ts": "2025-03-01T08:15:00+08:00", "value": 18564588.61,
                   "unit": "m3", "quality": "good"}]}

CSV (header required; ``unit`` and ``quality`` optional; the enterprise in ``?enterprise=``)::

    meter,ts,value,unit,quality
    FT-101,2025-03-01T08:15:00+08:00,18564588.61,m3,good

A body that cannot be read as readings raises :class:`Malformed` (it is
quarantined whole with reason ``malformed_payload``); one over a size or count
limit raises :class:`~shuixiao.service.problems.ProblemError` 413 (nothing is
kept: the client still has it and splits it).

A signed-batch body (``POST /api/v1/ingest/batches``) is one batch in the transport form of
:mod:`shuixiao.notary.transport`, or several as ``{"batches": [<batch>, ...]}`` (:func:`signed_batches`);
one that cannot be read as either is answered 422 and not kept.
"""

from __future__ import annotations

import csv
import io
import threading
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final

from shuixiao.config import Settings
from shuixiao.ingest import Columns, Pipeline, RawReading, first_not_object, json_kind, parse_json
from shuixiao.service._policy import Policy
from shuixiao.service.problems import ProblemError
from shuixiao.storage import Store

__all__ = ["Body", "Malformed", "decode_body", "decode_json", "pipeline", "read_limited", "signed_batches"]

_FIELDS: Final = ("meter", "ts", "value", "unit", "quality")
_REQUIRED: Final = ("meter", "ts", "value")
_MAKING: Final = threading.Lock()  # one thread makes an application's pipeline


class Malformed(Exception):
    """A body that cannot be read as readings (quarantined whole)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Body:
    """A decoded body: the enterprise it names (None when it names none) and its records in order.

    The records are held as columns (:class:`~shuixiao.ingest.Columns`): the pipeline checks a
    usual batch column by column, so a JSON body of ten thousand readings makes no record object.
    """

    enterprise: str | None
    columns: Columns


def pipeline(state: Any, store: Store, settings: Settings) -> Pipeline:
    """Return the application's ingestion pipeline (``state.ingest_pipeline``), made on first use.

    Every request thread shares it, so its cache of enterprise models stays warm;
    a pipeline is thread-safe and runs one commit at a time while other requests decode and check theirs.
    """
    found: Pipeline | None = getattr(state, "ingest_pipeline", None)
    if found is None:
        with _MAKING:
            found = getattr(state, "ingest_pipeline", None)
            if found is None:
                found = state.ingest_pipeline = Pipeline(store, timezone=settings.timezone)
    return found


def _too_large(what: str, limit: int) -> ProblemError:
    return ProblemError(
        413,
        "payload_too_large",
        f"{what} is over the limit of {limit:,}; split the batch into smaller requests (nothing was stored)",
        limit=limit,
    )


async def read_limited(stream: AsyncIterator[bytes], declared: str | None, policy: Policy) -> bytes:
    """Read a request body, refusing (413) one over ``ingest_max_body`` without reading it all."""
    limit = policy.ingest_max_body
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(f"the body of {int(declared):,} bytes", limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise _too_large("the body", limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _inflate(raw: bytes, encoding: str, policy: Policy) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip"):
        raise ProblemError(
            415, "unsupported_encoding", f"Content-Encoding {encoding!r} is not supported; use gzip"
        )
    limit = policy.ingest_max_decompressed
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as err:
        raise Malformed(f"the body is not valid gzip ({err})") from err
    if len(data) > limit:
        raise _too_large("the decompressed body", limit)
    if not inflater.eof:
        raise Malformed("the gzip stream is truncated")
    return data


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Malformed(f"the body is not UTF-8 text ({err.reason} at byte {err.start})") from err


def _count(n: int, policy: Policy) -> None:
    if n > policy.ingest_max_records:
        raise _too_large(f"{n:,} readings in one request", policy.ingest_max_records)


def signed_batches(document: Any, policy: Policy) -> list[dict[str, Any]] | None:
    """Return the batches of a ``{"batches": [...]}`` body in order, or None for a bare signed batch.

    Raises
    ------
    Malformed
        If the body is not an object, or has ``batches`` but is not ``{"batches": [<object>, ...]}``.
    ProblemError
        413 when it holds more than ``ingest_max_batches`` batches.
    """
    if not isinstance(document, dict):
        raise Malformed(
            f'the body is {json_kind(document)}; send a signed batch (an object) or {{"batches": [<batch>, ...]}}'
        )
    if "batches" not in document:
        return None
    items = document["batches"]
    if not isinstance(items, list) or len(document) != 1:
        raise Malformed(
            'a body of several signed batches is {"batches": [<batch>, ...]} with no other member; '
            "send one batch as the object itself"
        )
    if len(items) > policy.ingest_max_batches:
        raise _too_large(f"{len(items):,} signed batches in one request", policy.ingest_max_batches)
    odd = first_not_object(items)
    if odd is not None:
        raise Malformed(
            f"batch {odd[0]} is {json_kind(odd[1])}; each batch is an object in the transport form"
        )
    return items


def _parse_json(data: bytes) -> Any:
    try:
        return parse_json(data)
    except UnicodeDecodeError as err:
        raise Malformed(f"the body is not UTF-8 text ({err.reason} at byte {err.start})") from err
    except ValueError as err:
        raise Malformed(f"the body is not JSON: {err}") from err


def _json(data: bytes, policy: Policy) -> Body:
    document = _parse_json(data)
    if not isinstance(document, dict) or not isinstance(document.get("readings"), list):
        raise Malformed(
            'the body must be a JSON object {"enterprise": ..., "readings": [{"meter", "ts", "value"}, ...]}'
        )
    unknown = set(document) - {"enterprise", "readings"}
    if unknown:
        raise Malformed(
            f"unknown member(s) {', '.join(sorted(unknown))}; the body has enterprise and readings"
        )
    enterprise = document.get("enterprise")
    if enterprise is not None and (not isinstance(enterprise, str) or not enterprise):
        raise Malformed("enterprise must be the enterprise's id (text)")
    items: list[Any] = document["readings"]
    _count(len(items), policy)
    odd = first_not_object(items)
    if odd is not None:
        raise Malformed(
            f"reading {odd[0]} is {json_kind(odd[1])}; each reading is an object with meter, ts and value"
        )
    return Body(enterprise, Columns.of_objects(items))


def _csv(text: str, policy: Policy) -> Body:
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(rows)]
    except StopIteration:
        raise Malformed(
            "the CSV body is empty; the first line is the header meter,ts,value[,unit][,quality]"
        ) from None
    except csv.Error as err:
        raise Malformed(f"the CSV header cannot be read: {err}") from err
    missing = [name for name in _REQUIRED if name not in header]
    unknown = [name for name in header if name not in _FIELDS]
    if missing or unknown or len(set(header)) != len(header):
        raise Malformed(
            f"the CSV header is {','.join(header)!r}; it must name meter, ts and value, optionally unit and "
            "quality, each once"
        )
    position = {name: header.index(name) for name in header}
    records: list[RawReading] = []
    try:
        for n, row in enumerate(rows, start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise Malformed(f"CSV row {n} has {len(row)} fields, the header {len(header)}")
            meter, ts, value, unit, quality = (
                row[position[k]].strip() or None if k in position else None for k in _FIELDS
            )
            records.append(RawReading(meter, ts, value, unit, quality, n))
            _count(len(records), policy)
    except csv.Error as err:
        raise Malformed(f"CSV row {len(records) + 1} cannot be read: {err}") from err
    return Body(None, Columns.of(records))


def decode_body(raw: bytes, content_type: str, content_encoding: str, policy: Policy) -> Body:
    """Decode an ingestion body (JSON or CSV, optionally gzip) into records.

    Raises
    ------
    Malformed
        If it cannot be read as readings.
    ProblemError
        415 for another media type or encoding, 413 when decompressed or counted over a limit.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ("application/json", "text/csv") and not media.endswith("+json"):
        raise ProblemError(
            415,
            "unsupported_media_type",
            f"Content-Type {media or '(none)'!r} is not accepted; send application/json or text/csv",
        )
    data = _inflate(raw, content_encoding, policy)
    return _csv(_text(data), policy) if media == "text/csv" else _json(data, policy)


def decode_json(raw: bytes, content_type: str, content_encoding: str, policy: Policy) -> Any:
    """Decode a JSON body (optionally gzip), such as a signed batch, into its document.

    Raises
    ------
    Malformed
        If it is not UTF-8 JSON.
    ProblemError
        415 for another media type or encoding, 413 when decompressed over the limit.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise ProblemError(415, "unsupported_media_type", f"send application/json, not {media or '(none)'!r}")
    return _parse_json(_inflate(raw, content_encoding, policy))
