"""Notarised ingestion: verify a device-signed batch, commit its readings, append it to the log.

For each signed batch :func:`ingest_signed_batches`

1. rebuilds the batch from its JSON transport form (:mod:`shuixiao.notary.transport`);
2. checks that the device is registered to the enterprise and that every
   reading's meter is bound to the device (``shuixiao ledger keys add``);
3. places the batch against the device's chain as logged
   (:func:`shuixiao.ledger.check_batch`): the signature with the keys valid
   at the batch's ``created`` (and not revoked before it was received), the
   sequence number and the link to the previous batch's hash;
4. commits the readings of every acceptable batch through the ingestion
   :class:`~shuixiao.ingest.Pipeline` (the same checks, aggregates and
   quarantine as any reading);
5. then appends the batches to the log, in one transaction, with their
   readings grouped by meter (positions and times) and the readings that
   were not accepted (duplicate, or rejected with their quarantine id).

Crash safety
------------
The readings are committed (step 4) *before* the batch is logged (step 5).
A crash between the two leaves readings stored and the batch not logged; the
device was not acknowledged, so it sends the batch again, the chain check
finds the sequence free and accepts it, the pipeline finds its readings
stored (duplicates, nothing written twice) and the batch is logged. Nothing
is lost and nothing is logged that was not stored first. In the other order
a crash would log a batch whose readings were never stored. Until the
retransmission, ``shuixiao ledger verify`` names those readings as not yet
covered by the log.

Outcomes
--------
* ``accepted``: logged at ``leaf_index``. A batch that arrives with earlier
  sequence numbers missing is accepted too (its signature makes its readings
  trustworthy) and raises a ``missing_batch`` incident that is resolved when
  the missing batches arrive and link up.
* ``replay``: the identical batch is logged already; nothing is written.
* ``refused``: nothing is written; ``reason`` says why. A bad or revoked
  signature, a fork and a changed past batch also raise an incident with the
  refused batch as evidence.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from shuixiao.errors import InvalidInputError, LedgerVerificationError, NotFoundError
from shuixiao.ingest import BatchResult, ColumnBatch, Columns, Pipeline, Source, Status, results_json
from shuixiao.ledger import (
    BatchColumns,
    ChainHead,
    ChainStatus,
    DeviceKey,
    check_batch,
    verify_batch_signature,
)
from shuixiao.model import Origin
from shuixiao.notary.incidents import record_incident, resolve_incident
from shuixiao.notary.transport import batch_columns_from_json, batch_to_json, parse_payload
from shuixiao.storage import Store
from shuixiao.storage.ledger import (
    BatchReadingRow,
    ChainLink,
    DeviceKeyRecord,
    Incident,
    LedgerStore,
    NewBatch,
    Outcome,
    group_batch_readings,
)

__all__ = [
    "RefusalReason",
    "SignedBatchResult",
    "SignedStatus",
    "ingest_signed_batch",
    "ingest_signed_batches",
]

_MAX_SEQUENCE: Final = 2**63 - 1  # stored as a signed 64-bit integer
_OUTCOMES: Final = {Status.ACCEPTED: Outcome.ACCEPTED, Status.DUPLICATE: Outcome.DUPLICATE}


class SignedStatus(StrEnum):
    """What happened to a signed batch."""

    ACCEPTED = "accepted"  #: readings committed, batch logged
    REPLAY = "replay"  #: already logged identically; nothing written
    REFUSED = "refused"  #: nothing written; see the reason


class RefusalReason(StrEnum):
    """Why a signed batch was refused (stable codes)."""

    MALFORMED = "malformed"  #: not a batch in the transport form
    UNKNOWN_DEVICE = "unknown_device"  #: no key registered for the device
    WRONG_ENTERPRISE = "wrong_enterprise"  #: the device belongs to another enterprise
    METER_NOT_BOUND = "meter_not_bound"  #: a reading of a meter the device is not bound to
    BAD_SIGNATURE = "bad_signature"  #: no key valid at the batch's time signed it
    REVOKED_KEY = "revoked_key"  #: signed with a key revoked before the batch was made or received
    FORK = "fork"  #: the next batch does not link to the one accepted before it
    TAMPER = "tamper"  #: a different batch for a sequence already logged


@dataclass(frozen=True)
class SignedBatchResult:
    """The outcome of one signed batch (what ``POST /api/v1/ingest/batches`` answers).

    Parameters
    ----------
    status : SignedStatus
    reason : RefusalReason or None
        Set when refused.
    message : str
        What happened, for a person.
    device : str or None
        From the batch (None when it could not be read).
    sequence : int or None
    batch_hash : str or None
        Hex SHA-256 of the batch encoding.
    leaf_index : int or None
        Where the batch is in the log (accepted, replay).
    missing : tuple of (int, int) or None
        First and last sequence numbers still missing before this batch.
    incident : int or None
        Id of the incident raised.
    readings : BatchResult or None
        The pipeline's result per reading (accepted).
    """

    status: SignedStatus
    reason: RefusalReason | None = None
    message: str = ""
    device: str | None = None
    sequence: int | None = None
    batch_hash: str | None = None
    leaf_index: int | None = None
    missing: tuple[int, int] | None = None
    incident: int | None = None
    readings: BatchResult | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data (the HTTP answer body).

        Examples
        --------
        >>> SignedBatchResult(SignedStatus.REPLAY, device="gw-1", sequence=3, leaf_index=7).to_dict()["status"]
        'replay'
        """
        document = json.loads(self.to_json())
        assert isinstance(document, dict)
        return document

    def to_json(self) -> str:
        """Return :meth:`to_dict` as compact JSON text (the HTTP answer body), in the same order.

        The readings' results are written by :func:`shuixiao.ingest.results_json`, each distinct
        result once: a batch of many accepted readings makes no object per reading.
        """
        head = json.dumps(self._head(), ensure_ascii=False, separators=(",", ":"))[:-1]
        if self.readings is None:
            return f'{head},"readings":null}}'
        counts = {
            "accepted": self.readings.accepted,
            "duplicate": self.readings.duplicate,
            "rejected": self.readings.rejected,
        }
        tally = json.dumps(counts, separators=(",", ":"))[:-1]
        return f'{head},"readings":{tally},"results":{results_json(self.readings.results)}}}}}'

    def _head(self) -> dict[str, Any]:
        """The members of :meth:`to_dict` but ``readings``."""
        return {
            "status": self.status.value,
            "reason": None if self.reason is None else self.reason.value,
            "message": self.message,
            "device": self.device,
            "sequence": self.sequence,
            "batch_hash": self.batch_hash,
            "leaf_index": self.leaf_index,
            "missing": None if self.missing is None else list(self.missing),
            "incident": self.incident,
        }


@dataclass
class _Link:
    """A device's batch as far as the chain check needs it (logged, or accepted earlier in this call)."""

    sequence: int
    hash: bytes
    previous_hash: bytes
    leaf_index: int | None = None


@dataclass
class _Pending:
    """An acceptable batch waiting for its readings' commit and its leaf."""

    position: int
    batch: BatchColumns
    encoding: bytes
    signature: bytes
    digest: bytes
    key: DeviceKeyRecord
    missing: tuple[int, int] | None
    incident: int | None


def _refused(
    reason: RefusalReason, message: str, batch: BatchColumns | None = None, **extra: Any
) -> SignedBatchResult:
    return SignedBatchResult(
        SignedStatus.REFUSED,
        reason,
        message,
        device=None if batch is None else batch.device,
        sequence=None if batch is None else batch.sequence,
        batch_hash=None if batch is None else batch.hash().hex(),
        **extra,
    )


class _Chains:
    """Chain state per device: what the log holds (read once per device and call), overlaid with
    the batches accepted earlier in the call."""

    def __init__(self, ledger: LedgerStore, log_id: int) -> None:
        self._ledger = ledger
        self._log_id = log_id
        self._logged: dict[str, dict[int, ChainLink]] = {}
        self._queued: dict[str, dict[int, _Link]] = {}

    def load(self, batches: Sequence[BatchColumns]) -> None:
        """Read the logged neighbourhood of the sequences of ``batches``, one query per device."""
        ranges: dict[str, tuple[int, int]] = {}
        for b in batches:
            low, high = ranges.get(b.device, (b.sequence, b.sequence))
            ranges[b.device] = (min(low, b.sequence), max(high, b.sequence))
        for device, (low, high) in ranges.items():
            links = self._ledger.chain_links(
                self._log_id, device, max(0, low - 1), min(high + 1, _MAX_SEQUENCE)
            )
            self._logged[device] = {link.sequence: link for link in links}

    def logged(self, device: str, sequence: int) -> ChainLink | None:
        """The logged batch of ``device`` at ``sequence``, if it was read by :meth:`load`."""
        return self._logged.get(device, {}).get(sequence)

    def around(self, device: str, sequence: int) -> tuple[_Link | None, _Link | None, _Link | None]:
        links = [
            _Link(link.sequence, link.hash, link.previous_hash, link.leaf_index)
            for link in self._logged.get(device, {}).values()
        ]
        links += self._queued.get(device, {}).values()
        same = before = after = None
        for link in links:
            if link.sequence == sequence:
                same = link if same is None or link.leaf_index is not None else same
            elif link.sequence < sequence and (before is None or link.sequence > before.sequence):
                before = link
            elif link.sequence > sequence and (after is None or link.sequence < after.sequence):
                after = link
        return same, before, after

    def queue(self, batch: BatchColumns, digest: bytes) -> None:
        self._queued.setdefault(batch.device, {})[batch.sequence] = _Link(
            batch.sequence, digest, batch.previous_hash
        )


def _bad_signature(
    batch: BatchColumns, signature: bytes, history: Sequence[DeviceKeyRecord], received: int
) -> tuple[RefusalReason, str]:
    """Tell a revoked key from a signature no key explains."""
    for record in history:
        if record.revoked_at is None:
            continue
        key = record.to_device_key()
        unrevoked = DeviceKey(key.public_key, key.valid_from, key.valid_to)
        if not unrevoked.valid_at(batch.created):
            continue
        try:
            verify_batch_signature(batch.encode(), signature, record.public_key)
        except LedgerVerificationError:
            continue
        return (
            RefusalReason.REVOKED_KEY,
            f"batch {batch.sequence} of {batch.device} is signed with key {record.public_key.hex()[:16]}…, revoked at "
            f"{record.revoked_at.isoformat()} ({record.reason or 'no reason given'}); it was created at "
            f"{batch.created} and received at {received} (s since epoch); register a new key with "
            "`shuixiao ledger keys rotate` and have the device re-sign",
        )
    return (
        RefusalReason.BAD_SIGNATURE,
        f"batch {batch.sequence} of {batch.device} is not signed by any key of the device valid at its time "
        f"({batch.created} s since epoch): check the device's key and clock, or register its key",
    )


class _Ingestion:
    """One call of :func:`ingest_signed_batches`."""

    def __init__(
        self, store: Store, pipeline: Pipeline, enterprise: str, origin: Origin, detail: str, received: int
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.enterprise = enterprise
        self.origin = origin
        self.detail = detail
        self.received = received
        self.ledger = LedgerStore(store)
        self.log = self.ledger.local_log()
        self.chains = _Chains(self.ledger, self.log.id)
        self._histories: dict[str, list[DeviceKeyRecord]] = {}
        self._keys: dict[str, list[DeviceKey]] = {}  # the engine's form of each history, made once
        self._bound: dict[str, str | None] | None = None
        self._meter_keys: dict[str, int] | None = None
        self._gaps: dict[str, list[Incident]] = {}

    def history(self, device: str) -> list[DeviceKeyRecord]:
        if device not in self._histories:
            self._histories[device] = self.ledger.device_keys(device=device)
        return self._histories[device]

    def keys(self, device: str) -> list[DeviceKey]:
        if device not in self._keys:
            self._keys[device] = [k.to_device_key() for k in self.history(device)]
        return self._keys[device]

    def bound(self) -> dict[str, str | None]:
        if self._bound is None:
            self._bound = {p.meter: p.device for p in self.ledger.meter_policies(self.enterprise)}
        return self._bound

    def meter_keys(self) -> dict[str, int]:
        if self._meter_keys is None:
            self._meter_keys = self.store.meter_keys(self.enterprise)
        return self._meter_keys

    def incident(self, kind: str, message: str, batch: BatchColumns, signature: bytes, **detail: Any) -> int:
        evidence = {
            "device": batch.device,
            "sequence": batch.sequence,
            "batch_hash": batch.hash().hex(),
            "received": self.received,
            "batch": batch_to_json(batch.to_batch(), signature),
            **detail,
        }
        found = record_incident(
            self.ledger,
            kind,
            message,
            evidence,
            log_id=self.log.id,
            enterprise=self.enterprise,
            device=batch.device,
        )
        return found.id

    def place(self, position: int, batch: BatchColumns, signature: bytes) -> SignedBatchResult | _Pending:
        """Check one batch against keys, bindings and chain: a result, or a batch to commit."""
        history = self.history(batch.device)
        if not history:
            return _refused(
                RefusalReason.UNKNOWN_DEVICE,
                f"device {batch.device!r} has no registered key; register it with `shuixiao ledger keys add`",
                batch,
            )
        owners = {k.enterprise for k in history}
        if self.enterprise not in owners:
            return _refused(
                RefusalReason.WRONG_ENTERPRISE,
                f"device {batch.device!r} belongs to enterprise {sorted(owners)[0]!r}, not {self.enterprise!r}",
                batch,
            )
        if batch.sequence > _MAX_SEQUENCE:
            return _refused(RefusalReason.MALFORMED, f"sequence {batch.sequence} is above 2**63 - 1", batch)
        try:
            meters = self.meter_keys()
        except NotFoundError as err:
            return _refused(RefusalReason.WRONG_ENTERPRISE, str(err), batch)
        bound = self.bound()
        unbound = sorted(m for m in set(batch.meters) if m not in meters or bound.get(m) != batch.device)
        if unbound:
            return _refused(
                RefusalReason.METER_NOT_BOUND,
                f"device {batch.device!r} is not bound to meter(s) {', '.join(unbound)} of {self.enterprise!r}; "
                "bind them with `shuixiao ledger keys add --meters` (or check the meter ids)",
                batch,
            )
        keys = self.keys(batch.device)
        same, before, after = self.chains.around(batch.device, batch.sequence)
        if same is not None:
            head: ChainHead | None = ChainHead(same.sequence, same.hash)
        elif before is not None:
            head = ChainHead(before.sequence, before.hash)
        else:
            head = None
        encoding = batch.encode()
        check = check_batch(batch, signature, keys, head, received_at=self.received, encoding=encoding)
        if check.status is ChainStatus.BAD_SIGNATURE:
            reason, message = _bad_signature(batch, signature, history, self.received)
            incident = self.incident("bad_signature", message, batch, signature, reason=reason.value)
            return _refused(reason, message, batch, incident=incident)
        if check.status is ChainStatus.REPLAY:
            assert same is not None
            return SignedBatchResult(
                SignedStatus.REPLAY,
                message=f"batch {batch.sequence} of {batch.device} is logged already (leaf {same.leaf_index})",
                device=batch.device,
                sequence=batch.sequence,
                batch_hash=check.batch_hash.hex(),
                leaf_index=same.leaf_index,
            )
        if check.status is ChainStatus.FORK and same is not None:
            message = (
                f"batch {batch.sequence} of {batch.device} differs from the batch logged for that sequence "
                f"({same.hash.hex()[:16]}…): a changed past batch, or the device was reset or cloned"
            )
            incident = self.incident("tamper", message, batch, signature, logged_hash=same.hash.hex())
            return _refused(RefusalReason.TAMPER, message, batch, incident=incident)
        if check.status is ChainStatus.FORK:
            assert before is not None
            message = (
                f"batch {batch.sequence} of {batch.device} does not link to the logged batch {before.sequence} "
                f"({before.hash.hex()[:16]}…): the device was reset or cloned, or its data was altered"
            )
            incident = self.incident("fork", message, batch, signature, previous_logged=before.hash.hex())
            return _refused(RefusalReason.FORK, message, batch, incident=incident)
        if (
            after is not None
            and after.sequence == batch.sequence + 1
            and after.previous_hash != check.batch_hash
        ):
            message = (
                f"batch {batch.sequence} of {batch.device} is not the batch that the logged batch "
                f"{after.sequence} links to: a forged or altered batch"
            )
            incident = self.incident(
                "tamper", message, batch, signature, next_links_to=after.previous_hash.hex()
            )
            return _refused(RefusalReason.TAMPER, message, batch, incident=incident)
        assert check.key is not None
        record = next(r for r in history if r.public_key == check.key.public_key)
        missing = check.missing if check.status is ChainStatus.GAP else None
        gap_incident: int | None = None
        if missing is not None:
            message = (
                f"batches {missing[0]}..{missing[1]} of {batch.device} are missing before batch {batch.sequence}; "
                "the device should send them again"
            )
            found = record_incident(
                self.ledger,
                "missing_batch",
                message,
                {"device": batch.device, "first": missing[0], "last": missing[1]},
                log_id=self.log.id,
                enterprise=self.enterprise,
                device=batch.device,
            )
            gap_incident = found.id
        self.chains.queue(batch, check.batch_hash)
        return _Pending(position, batch, encoding, signature, check.batch_hash, record, missing, gap_incident)

    def commit(self, pending: Sequence[_Pending], results: list[SignedBatchResult | None]) -> None:
        """Readings first, then the batches into the log (see the module notes)."""
        if not pending:
            return
        work = [self._readings(p.batch) for p in pending]
        committed = self.pipeline.ingest_columns(work, signed=True)
        keys = self.meter_keys()
        new = []
        for p, outcome in zip(pending, committed, strict=True):
            meter_keys = list(map(keys.__getitem__, p.batch.meters))
            times = p.batch.ts
            exceptions = (
                []
                if outcome.accepted == len(times)  # the usual case: nothing but accepted readings
                else [
                    BatchReadingRow(
                        n,
                        meter_keys[n],
                        times[n],
                        _OUTCOMES.get(result.status, Outcome.REJECTED),
                        result.quarantine_id,
                    )
                    for n, result in enumerate(outcome.results)
                    if result.status is not Status.ACCEPTED
                ]
            )
            new.append(
                NewBatch(
                    enterprise=self.enterprise,
                    device=p.batch.device,
                    sequence=p.batch.sequence,
                    previous_hash=p.batch.previous_hash,
                    batch_hash=p.digest,
                    created=p.batch.created,
                    received=self.received,
                    signature=p.signature,
                    key_id=p.key.id,
                    status="gap" if p.missing is not None else "linked",
                    encoding=p.encoding,
                    count=len(times),
                    meters=group_batch_readings(meter_keys, times),
                    exceptions=exceptions,
                )
            )
        leaves = self.ledger.commit_batches(self.log.id, new)
        for p, outcome, leaf in zip(pending, committed, leaves, strict=True):
            if leaf is None:  # another worker logged this sequence meanwhile
                same = self.ledger.chain(self.log.id, p.batch.device, p.batch.sequence)[0]
                identical = same is not None and same.batch_hash == p.digest
                results[p.position] = (
                    SignedBatchResult(
                        SignedStatus.REPLAY,
                        message=f"batch {p.batch.sequence} of {p.batch.device} was logged meanwhile",
                        device=p.batch.device,
                        sequence=p.batch.sequence,
                        batch_hash=p.digest.hex(),
                        leaf_index=None if same is None else same.leaf_index,
                        readings=outcome,
                    )
                    if identical
                    else _refused(
                        RefusalReason.TAMPER,
                        f"a different batch {p.batch.sequence} of {p.batch.device} was logged meanwhile",
                        p.batch,
                        incident=self.incident(
                            "tamper", "a different batch was logged meanwhile", p.batch, p.signature
                        ),
                    )
                )
                continue
            self._fill_gaps(p)
            gap = "" if p.missing is None else f"; batches {p.missing[0]}..{p.missing[1]} are still missing"
            results[p.position] = SignedBatchResult(
                SignedStatus.ACCEPTED,
                message=f"batch {p.batch.sequence} of {p.batch.device} logged at leaf {leaf}{gap}",
                device=p.batch.device,
                sequence=p.batch.sequence,
                batch_hash=p.digest.hex(),
                leaf_index=leaf,
                missing=p.missing,
                incident=p.incident,
                readings=outcome,
            )

    def _readings(self, batch: BatchColumns) -> ColumnBatch:
        """The batch's readings as the pipeline takes them: its columns, no record per reading.

        A batch whose readings all carry one unit (the usual gateway) hands it over as the source's
        default unit and its readings without one: the same conversion, and the pipeline checks such
        batches column by column (and keeps the unit with any reading it quarantines). Each
        reading's row is its position in the batch, from 1.
        """
        detail = f"{self.detail} " if self.detail else ""
        units = set(batch.units)
        shared = len(units) == 1
        count = len(batch)
        return ColumnBatch(
            self.enterprise,
            Columns(
                batch.meters,
                batch.ts,
                batch.values,
                [None] * count if shared else batch.units,
                batch.qualities,
                range(1, count + 1),
            ),
            Source(
                self.origin,
                f"{detail}batch {batch.device}#{batch.sequence}",
                unit=units.pop() if shared else None,
            ),
        )

    def _fill_gaps(self, p: _Pending) -> None:
        """Resolve the device's missing-batch incidents that are now filled; relink the next batch."""
        device = p.batch.device
        after = self.chains.logged(device, p.batch.sequence + 1)
        if after is not None and after.status == "gap":
            self.ledger.set_batch_status(after.id, "linked")
        if device not in self._gaps:
            self._gaps[device] = self.ledger.incidents(kind="missing_batch", open_only=True, device=device)
        for incident in self._gaps[device]:
            first, last = int(incident.detail["first"]), int(incident.detail["last"])
            if not first <= p.batch.sequence <= last:
                continue
            if self.ledger.count_sequences(self.log.id, device, first, last) == last - first + 1:
                resolve_incident(self.ledger, incident, f"batches {first}..{last} of {device} arrived")


def ingest_signed_batches(
    store: Store,
    pipeline: Pipeline,
    enterprise: str,
    payloads: Sequence[Mapping[str, Any] | str | bytes],
    *,
    origin: Origin = Origin.HTTP,
    detail: str = "",
    received_at: int | None = None,
) -> list[SignedBatchResult]:
    """Verify signed batches of one enterprise, commit their readings and log them (see the module notes).

    Parameters
    ----------
    store : Store
        A migrated store.
    pipeline : Pipeline
        The ingestion pipeline that commits the readings.
    enterprise : str
        The enterprise the batches are sent for (from the URL or topic).
    payloads : sequence
        Each a signed batch in the JSON transport form: a parsed object, or JSON text or bytes.
    origin : Origin, default Origin.HTTP
        Stored with the readings.
    detail : str, optional
        Where the batches came from (topic, request), kept in the quarantine.
    received_at : int, optional
        Time of receipt [s since epoch]; now when omitted.

    Returns
    -------
    list of SignedBatchResult
        One per payload, in order; returned after the commits.

    Raises
    ------
    StorageError
        If the database fails. Readings committed before the failure stay
        committed; their batches are logged when the device sends them again.
    """
    received = int(time.time()) if received_at is None else int(received_at)
    run = _Ingestion(store, pipeline, enterprise, origin, detail, received)
    results: list[SignedBatchResult | None] = [None] * len(payloads)
    pending: list[_Pending] = []
    parsed: list[tuple[int, BatchColumns, bytes]] = []
    for position, payload in enumerate(payloads):
        try:
            batch, signature = batch_columns_from_json(parse_payload(payload))
        except InvalidInputError as err:
            results[position] = _refused(RefusalReason.MALFORMED, str(err))
            continue
        parsed.append((position, batch, signature))
    run.chains.load([b for _, b, _ in parsed if b.sequence <= _MAX_SEQUENCE])
    for position, batch, signature in parsed:
        placed = run.place(position, batch, signature)
        if isinstance(placed, SignedBatchResult):
            results[position] = placed
        else:
            pending.append(placed)
    run.commit(pending, results)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def ingest_signed_batch(
    store: Store,
    pipeline: Pipeline,
    enterprise: str,
    payload: Mapping[str, Any] | str | bytes,
    *,
    origin: Origin = Origin.HTTP,
    detail: str = "",
    received_at: int | None = None,
) -> SignedBatchResult:
    """Verify one signed batch, commit its readings and log it; see :func:`ingest_signed_batches`.

    ``POST /api/v1/ingest/batches`` hands its batches, one or several, to :func:`ingest_signed_batches`.

    Returns
    -------
    SignedBatchResult
        :meth:`SignedBatchResult.to_dict` is the answer body; ``accepted`` and
        ``replay`` are successes, ``refused`` is the device's error to fix.
    """
    return ingest_signed_batches(
        store, pipeline, enterprise, [payload], origin=origin, detail=detail, received_at=received_at
    )[0]
