"""HTTP ingestion: readings (JSON or CSV, gzip allowed) and device-signed batches, device-authenticated."""

from __future__ import annotations

import json
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from shuixiao.errors import PermissionDeniedError
from shuixiao.ingest import (
    ColumnBatch,
    RawReading,
    Reason,
    RecordResult,
    Source,
    Status,
    payload_of,
    results_json,
)
from shuixiao.model import Origin
from shuixiao.notary import SignedBatchResult, SignedStatus, ingest_signed_batches
from shuixiao.service._ingest import (
    Body,
    Malformed,
    decode_body,
    decode_json,
    pipeline,
    read_limited,
    signed_batches,
)
from shuixiao.service._policy import load_policy
from shuixiao.service.deps import DevicePrincipal, get_settings, get_store
from shuixiao.service.problems import ProblemDetail, problem_response
from shuixiao.service.routes._common import audit
from shuixiao.service.schemas import IngestResult
from shuixiao.storage import DeviceToken, QuarantineEntry, Store

__all__ = ["router"]

router = APIRouter(tags=["ingestion"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["readings"],
                    "properties": {
                        "enterprise": {"type": "string"},
                        "readings": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["meter", "ts", "value"],
                                "properties": {
                                    "meter": {"type": "string"},
                                    "ts": {"oneOf": [{"type": "string"}, {"type": "number"}]},
                                    "value": {"type": "number"},
                                    "unit": {"type": "string"},
                                    "quality": {
                                        "type": "string",
                                        "enum": ["good", "estimated", "suspect", "bad"],
                                    },
                                },
                            },
                        },
                    },
                }
            },
            "text/csv": {
                "schema": {"type": "string", "description": "header meter,ts,value[,unit][,quality]"}
            },
        },
    }
}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ProblemDetail, "description": "no valid device token"},
    403: {"model": ProblemDetail, "description": "another enterprise than the token's"},
    413: {"model": ProblemDetail, "description": "body or record count over the limit; nothing stored"},
    415: {"model": ProblemDetail, "description": "not JSON or CSV, or an encoding other than gzip"},
    422: {"model": ProblemDetail, "description": "malformed body: quarantined whole (quarantine_id)"},
}


def _source(request: Request, device: DeviceToken, timezone: str | None) -> Source:
    return Source(Origin.HTTP, f"{request.url.path} device:{device.name}", timezone)


def _unbound(device: DeviceToken, record: RawReading) -> bool:
    return device.meters is not None and str(record.meter).strip() not in device.meters


def _commit(
    request: Request, store: Store, device: DeviceToken, enterprise: str, body: Body, source: Source
) -> list[RecordResult]:
    """Run the bound records through the pipeline and quarantine the unbound ones; results in order."""
    work = pipeline(request.app.state, store, get_settings(request))
    allowed = None if device.meters is None else frozenset(device.meters)
    if allowed is None or all(str(m).strip() in allowed for m in body.columns.meters):
        (committed,) = work.ingest_columns([ColumnBatch(enterprise, body.columns, source)])
        return list(committed.results)
    records = body.columns.records()
    bound = [r for r in records if not _unbound(device, r)]
    results = list(work.ingest(enterprise, bound, source).results)
    outsiders = [r for r in records if _unbound(device, r)]
    message = (
        f"device token {device.name!r} may send meters {', '.join(device.meters or ())} only; issue a token "
        "for this meter's device, or replay this record once the binding is corrected"
    )
    entries = [
        QuarantineEntry(
            enterprise,
            str(r.meter),
            Origin.HTTP,
            source.detail,
            payload_of(r, source),
            Reason.UNKNOWN_METER.value,
            message,
        )
        for r in outsiders
    ]
    ids = iter(store.add_quarantine(entries))
    done = iter(results)
    return [
        RecordResult(Status.REJECTED, Reason.UNKNOWN_METER, message, next(ids))
        if _unbound(device, r)
        else next(done)
        for r in records
    ]


@router.post(
    "/ingest/readings",
    response_model=IngestResult,
    responses=_ERRORS,
    openapi_extra=_BODY_DOC,
)
async def create_readings(
    request: Request,
    device: DevicePrincipal,
    enterprise: Annotated[
        str | None, Query(description="the enterprise (CSV bodies; default: the token's)")
    ] = None,
    timezone: Annotated[
        str | None,
        Query(max_length=64, description="IANA zone of timestamps without an offset, e.g. Asia/Shanghai"),
    ] = None,
) -> Response:
    """Ingest readings of the token's enterprise; answer, after the commit, with one result per reading.

    Accepted and duplicate readings are stored; rejected ones are quarantined with a reason. Readings
    of meters outside the token's binding are rejected (``unknown_meter``) and quarantined.
    """
    store, policy = get_store(request), load_policy()
    source = _source(request, device, timezone)
    raw = await read_limited(request.stream(), request.headers.get("content-length"), policy)
    claimed = enterprise
    try:
        body = await run_in_threadpool(
            decode_body,
            raw,
            request.headers.get("content-type", ""),
            request.headers.get("content-encoding", ""),
            policy,
        )
    except Malformed as err:
        message = err.message
        entry = QuarantineEntry(
            claimed or device.enterprise,
            None,
            Origin.HTTP,
            source.detail,
            raw.decode("utf-8", errors="backslashreplace"),
            Reason.MALFORMED_PAYLOAD.value,
            message,
        )
        (quarantine_id,) = await run_in_threadpool(store.add_quarantine, [entry])
        await run_in_threadpool(
            audit,
            request,
            f"device:{device.name}",
            "ingest.readings",
            device.enterprise,
            {"malformed": message, "quarantine_id": quarantine_id},
            outcome="failure",
            enterprise=device.enterprise,
        )
        detail = f"the body cannot be read as readings: {message}; it was quarantined (malformed_payload)"
        return problem_response(request, 422, "malformed_payload", detail, quarantine_id=quarantine_id)
    target = body.enterprise or claimed or device.enterprise
    if target != device.enterprise or (claimed is not None and claimed != target):
        await run_in_threadpool(
            audit,
            request,
            f"device:{device.name}",
            "ingest.readings",
            target,
            {"token_enterprise": device.enterprise},
            outcome="denied",
            enterprise=device.enterprise,
        )
        raise PermissionDeniedError(
            f"device token {device.name!r} ingests into enterprise {device.enterprise!r} only, not {target!r}"
        )
    answer = await run_in_threadpool(_answer, request, store, device, target, body, source)
    return answer


def _answer(
    request: Request, store: Store, device: DeviceToken, target: str, body: Body, source: Source
) -> Response:
    """Commit, audit and build the answer (in a worker thread: thousands of records take milliseconds)."""
    results = _commit(request, store, device, target, body, source)
    tally = Counter(r.status for r in results)
    counts = {s.value: tally[s] for s in Status}
    audit(request, f"device:{device.name}", "ingest.readings", target, counts, enterprise=target)
    return Response(_document(counts, results), media_type="application/json")


def _document(counts: dict[str, int], results: list[RecordResult]) -> bytes:
    """The answer as compact JSON (as ``json_response`` writes it), each distinct result written once."""
    head = json.dumps(counts, separators=(",", ":"))[:-1]
    return f'{head},"results":{results_json(results)}}}'.encode()


_READING_DOC: dict[str, Any] = {
    "type": "object",
    "required": ["meter", "ts", "value"],
    "properties": {
        "meter": {"type": "string"},
        "ts": {"type": "integer", "description": "seconds since the Unix epoch (UTC)"},
        "value": {"type": "number"},
        "unit": {"type": ["string", "null"]},
        "quality": {"type": "string", "enum": ["good", "estimated", "suspect", "bad"]},
    },
}
_SIGNED_DOC: dict[str, Any] = {
    "type": "object",
    "description": "a device-signed batch in the transport form of shuixiao.notary.transport",
    "required": ["schema", "device", "sequence", "previous_hash", "created", "readings", "signature"],
    "properties": {
        "schema": {"type": "string", "enum": ["shuixiao.batch/2", "shuixiao.batch/1"]},
        "device": {"type": "string"},
        "sequence": {"type": "integer", "minimum": 0},
        "previous_hash": {"type": "string", "description": "64 hex digits"},
        "created": {"type": "integer", "description": "seconds since the Unix epoch (UTC)"},
        "readings": {"type": "array", "items": _READING_DOC},
        "signature": {"type": "string", "description": "base64 of the 64-byte Ed25519 signature"},
    },
}
_BATCHES_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        _SIGNED_DOC,
                        {
                            "type": "object",
                            "description": "several signed batches (at most ingest_http.max_batches)",
                            "required": ["batches"],
                            "additionalProperties": False,
                            "properties": {"batches": {"type": "array", "items": _SIGNED_DOC}},
                        },
                    ]
                }
            }
        },
    }
}
_BATCH_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "one batch: its result (accepted or replay); several: "
        '{"accepted", "replay", "refused", "results": [<result per batch, in order>]}'
    },
    401: {"model": ProblemDetail, "description": "no valid device token"},
    403: {
        "model": ProblemDetail,
        "description": "a batch of another device than the token's; nothing stored",
    },
    413: {"model": ProblemDetail, "description": "body or batch count over the limit; nothing stored"},
    415: {"model": ProblemDetail, "description": "not JSON, or an encoding other than gzip"},
    422: {
        "description": "one batch refused (its result, status refused), or a body that is not a batch or "
        "a list of them (a problem; not kept)"
    },
}


@router.post("/ingest/batches", responses=_BATCH_ERRORS, openapi_extra=_BATCHES_DOC)
async def create_batch(request: Request, device: DevicePrincipal) -> Response:
    """Ingest device-signed batches (``shuixiao.notary.transport``): verify, commit, log.

    The body is one batch, or several as ``{"batches": [...]}`` (verified in order, their readings
    committed and the batches logged together). One batch answers 200 with its result when it is
    ``accepted`` or a ``replay``, and 422 with the same body (``status`` ``refused``, ``reason``,
    ``message``) when it is refused. Several answer 200 with the counts and one result per batch in
    order; a refused batch does not stop the others. A token bound to a device refuses (403, nothing
    stored) a request with any batch of another device.
    """
    store, policy = get_store(request), load_policy()
    raw = await read_limited(request.stream(), request.headers.get("content-length"), policy)
    try:
        body = decode_json(
            raw, request.headers.get("content-type", ""), request.headers.get("content-encoding", ""), policy
        )
        batches = signed_batches(body, policy)
    except Malformed as err:
        return problem_response(
            request,
            422,
            "malformed_payload",
            f"the body is not a signed batch or a list of them: {err.message}",
        )
    payloads = [body] if batches is None else batches
    if device.device is not None:
        for n, payload in enumerate(payloads, start=1):
            if payload.get("device") != device.device:
                which = "the batch" if batches is None else f"batch {n}"
                raise PermissionDeniedError(
                    f"device token {device.name!r} is bound to device {device.device!r}; {which} names "
                    f"{payload.get('device')!r} (nothing was stored)"
                )
    work = pipeline(request.app.state, store, get_settings(request))
    detail = f"{request.url.path} device:{device.name}"
    results = await run_in_threadpool(
        ingest_signed_batches, store, work, device.enterprise, payloads, detail=detail
    )
    if batches is None:
        return await run_in_threadpool(_answer_one, request, device, results[0])
    return await run_in_threadpool(_answer_many, request, device, results)


def _answer_one(request: Request, device: DeviceToken, result: SignedBatchResult) -> Response:
    """Audit one batch's result and answer it (422 when refused)."""
    refused = result.status is SignedStatus.REFUSED
    outcome = "failure" if refused else "success"
    summary = {
        "status": result.status.value,
        "reason": None if result.reason is None else result.reason.value,
        "device": result.device,
        "sequence": result.sequence,
        "leaf_index": result.leaf_index,
    }
    audit(
        request,
        f"device:{device.name}",
        "ingest.batch",
        device.enterprise,
        summary,
        outcome=outcome,
        enterprise=device.enterprise,
    )
    return Response(result.to_json(), status_code=422 if refused else 200, media_type="application/json")


def _answer_many(request: Request, device: DeviceToken, results: list[SignedBatchResult]) -> Response:
    """Audit a list of batches once, with its counts, and answer 200 with one result per batch."""
    tally = Counter(r.status for r in results)
    counts = {s.value: tally[s] for s in SignedStatus}
    audit(
        request,
        f"device:{device.name}",
        "ingest.batches",
        device.enterprise,
        {"batches": len(results), **counts},
        outcome="failure" if counts[SignedStatus.REFUSED.value] else "success",
        enterprise=device.enterprise,
    )
    head = json.dumps(counts, separators=(",", ":"))[:-1]
    items = ",".join(r.to_json() for r in results)
    return Response(f'{head},"results":[{items}]}}', media_type="application/json")
