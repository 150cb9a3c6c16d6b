"""Proof bundles: one reading with everything needed to verify it offline, and their verification.

A bundle (format ``shuixiao.proof/1``, specified in ``docs/ledger-bundle.md``)
carries a reading, the signed batch that holds it, the device key, the
batch's leaf index with an RFC 9162 inclusion proof, the signed and cosigned
checkpoint the proof is against, and optionally a consistency proof to a
newer checkpoint. :func:`make_bundle` builds one from a store;
:func:`check_bundle` verifies one with nothing but the log's and the
witnesses' public keys (no store, no network).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from shuixiao.errors import InvalidInputError, LedgerVerificationError, NotFoundError
from shuixiao.ledger import (
    Batch,
    DeviceKey,
    VerifiedCheckpoint,
    VerifierKey,
    leaf_hash,
    open_checkpoint,
    verify_batch_signature,
    verify_consistency,
    verify_inclusion,
)
from shuixiao.model import Quality
from shuixiao.notary.publish import full_note
from shuixiao.notary.transport import batch_from_json, batch_to_json
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, StoredCheckpoint
from shuixiao.units import canonical_unit

__all__ = ["FORMAT", "BundleCheck", "BundleReport", "check_bundle", "make_bundle"]

FORMAT: Final = "shuixiao.proof/1"
"""Value of the ``format`` field of a proof bundle."""

_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _choose(checkpoints: Sequence[StoredCheckpoint]) -> StoredCheckpoint:
    """The checkpoint with the most cosignatures; among equals the newest."""
    return max(checkpoints, key=lambda c: (len(c.cosignatures), c.size, c.id))


def make_bundle(
    store: Store, enterprise: str, meter: str, at: dt.datetime, *, consistency: bool = True
) -> dict[str, Any]:
    """Return the proof bundle of a meter's reading at ``at`` (or the last one before it).

    Parameters
    ----------
    store : Store
    enterprise, meter : str
        The meter.
    at : datetime.datetime
        Aware time of the reading; when no reading is stored at that second,
        the last one before it is taken.
    consistency : bool, default True
        Add a consistency proof to the newest checkpoint when the one the
        inclusion proof uses is older.

    Returns
    -------
    dict
        The bundle, JSON-ready (``docs/ledger-bundle.md``).

    Raises
    ------
    NotFoundError
        If there is no such meter, no reading at or before ``at``, the reading
        is not notarised (no signed batch carries it), or no published
        checkpoint covers its batch yet.
    """
    ledger = LedgerStore(store)
    keys = store.meter_keys(enterprise)
    if meter not in keys:
        raise NotFoundError(f"enterprise {enterprise!r} has no meter {meter!r}")
    limit = int((at - _EPOCH).total_seconds())
    for days in (1, 31, 3660):  # look back a day first: the reading asked for is usually right there
        stored = store.read_readings(
            enterprise, meter, at - dt.timedelta(days=days), at + dt.timedelta(seconds=1)
        )
        if not stored.empty:
            break
    if stored.empty:
        raise NotFoundError(f"meter {meter!r} of {enterprise!r} has no reading at or before {at.isoformat()}")
    last = stored.iloc[-1]
    ts = int((last["ts"].to_pydatetime() - _EPOCH).total_seconds())
    carriers = [(b, p) for b, p in ledger.batches_with_reading(keys[meter], ts) if b.enterprise == enterprise]
    if not carriers:
        when = "at" if ts == limit else "before"
        raise NotFoundError(
            f"the reading of {meter!r} at {last['ts'].isoformat()} (the last {when} {at.isoformat()}) is not "
            "notarised: no signed batch carries it (it was ingested unsigned)"
        )
    batch_row, position = carriers[0]
    log = ledger.local_log()
    covering = ledger.checkpoints(log.id, min_size=batch_row.leaf_index + 1)
    if not covering:
        raise NotFoundError(
            f"batch {batch_row.sequence} of {batch_row.device} (leaf {batch_row.leaf_index}) is in no published "
            "checkpoint yet; run `shuixiao ledger publish`"
        )
    checkpoint = _choose(covering)
    hasher = ledger.tile_hasher(log.id)
    proof = hasher.inclusion_proof(batch_row.leaf_index, checkpoint.size)
    batch = Batch.decode(batch_row.encoding)
    reading = batch.readings[position]
    key = next(k for k in ledger.device_keys(device=batch.device) if k.id == batch_row.key_id)
    quantity = store.load_enterprise(enterprise)
    quantities = {m.id: m.quantity for m in quantity.meters}
    device_key = key.to_device_key()
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "log": {"origin": log.origin, "vkey": log.vkey},
        "reading": {
            "enterprise": enterprise,
            "meter": reading.meter,
            "ts": reading.ts,
            "time": dt.datetime.fromtimestamp(reading.ts, dt.UTC).isoformat(),
            "value": reading.value,
            "unit": reading.unit,
            "quality": Quality(reading.quality).name.lower(),
            "position": position,
            "stored_value": float(last["value"]),
            "stored_unit": canonical_unit(quantities[meter]),
        },
        "batch": {
            **batch_to_json(batch, batch_row.signature),
            "encoding": base64.b64encode(batch_row.encoding).decode("ascii"),
            "hash": batch_row.batch_hash.hex(),
        },
        "device_key": {
            "public_key": base64.b64encode(device_key.public_key).decode("ascii"),
            "valid_from": device_key.valid_from,
            "valid_to": device_key.valid_to,
            "revoked_at": device_key.revoked_at,
        },
        "inclusion": {
            "leaf_index": batch_row.leaf_index,
            "tree_size": checkpoint.size,
            "leaf_hash": leaf_hash(batch_row.batch_hash).hex(),
            "proof": [h.hex() for h in proof],
        },
        "checkpoint": full_note(checkpoint),
        "consistency": None,
    }
    latest = ledger.latest_checkpoint(log.id)
    if consistency and latest is not None and latest.size > checkpoint.size:
        bundle["consistency"] = {
            "checkpoint": full_note(latest),
            "proof": [h.hex() for h in hasher.consistency_proof(checkpoint.size, latest.size)],
        }
    return bundle


@dataclass(frozen=True)
class BundleCheck:
    """One step of :func:`check_bundle`.

    Parameters
    ----------
    step : str
        ``format``, ``checkpoint``, ``batch``, ``reading``, ``signature``,
        ``inclusion`` or ``consistency``.
    ok : bool or None
        True if it passed, False if it failed, None if it was not checked
        (an earlier step failed, or there was nothing to check).
    message : str
        What was checked and found.
    """

    step: str
    ok: bool | None
    message: str


@dataclass(frozen=True)
class BundleReport:
    """The verdict on a bundle: every step, in order.

    Parameters
    ----------
    checks : tuple of BundleCheck
    """

    checks: tuple[BundleCheck, ...]

    @property
    def ok(self) -> bool:
        """True when no step failed and the essential ones passed."""
        passed = {c.step for c in self.checks if c.ok}
        return (
            not any(c.ok is False for c in self.checks)
            and {
                "format",
                "checkpoint",
                "batch",
                "reading",
                "signature",
                "inclusion",
            }
            <= passed
        )


def _hashes(items: Any, what: str) -> list[bytes]:
    if not isinstance(items, list):
        raise InvalidInputError(f"{what} must be a list of hex hashes")
    try:
        return [bytes.fromhex(h) for h in items]
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be a list of hex hashes") from None


def _b64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError(f"{what} is not base64") from None


class _Steps:
    def __init__(self) -> None:
        self.checks: list[BundleCheck] = []

    def add(self, step: str, ok: bool | None, message: str) -> bool:
        self.checks.append(BundleCheck(step, ok, message))
        return bool(ok)


def _open(
    note: Any, log_key: VerifierKey, witnesses: Sequence[VerifierKey], quorum: int
) -> VerifiedCheckpoint:
    if not isinstance(note, str):
        raise InvalidInputError("a checkpoint is the text of a signed note")
    return open_checkpoint(note, log_key, witnesses=witnesses, quorum=quorum)


def check_bundle(
    bundle: Mapping[str, Any],
    log_key: VerifierKey,
    *,
    witnesses: Sequence[VerifierKey] = (),
    quorum: int = 0,
    device_key: bytes | None = None,
) -> BundleReport:
    """Verify a proof bundle offline (``docs/ledger-bundle.md``, "Verifying a bundle").

    Parameters
    ----------
    bundle : mapping
        The parsed bundle.
    log_key : VerifierKey
        The log's verifier key (trusted, from outside the bundle).
    witnesses : sequence of VerifierKey, optional
        Trusted witness keys.
    quorum : int, default 0
        How many of them must have cosigned the checkpoint (k of n).
    device_key : bytes, optional
        The device's public key as known from outside the bundle; the
        bundled key must equal it.

    Returns
    -------
    BundleReport
        Every step; ``report.ok`` is the verdict. Nothing is raised for a bad bundle.

    Raises
    ------
    InvalidInputError
        If ``quorum`` does not fit the witnesses (a caller error).
    """
    if not 0 <= quorum <= len(witnesses):
        raise InvalidInputError(
            f"quorum {quorum} must be between 0 and the number of witnesses ({len(witnesses)})"
        )
    steps = _Steps()
    if not isinstance(bundle, Mapping) or bundle.get("format") != FORMAT:
        steps.add("format", False, f"not a proof bundle of format {FORMAT}")
        return BundleReport(tuple(steps.checks))
    steps.add("format", True, FORMAT)
    try:
        verified = _open(bundle.get("checkpoint"), log_key, witnesses, quorum)
        names = ", ".join(c.name for c in verified.cosignatures) or "no witness"
        steps.add(
            "checkpoint",
            True,
            f"signed by {log_key.name} at size {verified.checkpoint.size}, cosigned by {names} "
            f"({len(verified.cosignatures)} of {quorum} required)",
        )
    except (LedgerVerificationError, InvalidInputError) as err:
        steps.add("checkpoint", False, str(err))
        verified = None
    batch: Batch | None = None
    digest = b""
    try:
        document = dict(bundle["batch"])
        encoding = _b64(document.pop("encoding", None), "batch.encoding")
        claimed = bytes.fromhex(str(document.pop("hash", "")))
        batch, signature = batch_from_json(document)
        digest = hashlib.sha256(batch.encode()).digest()
        if batch.encode() != encoding:
            steps.add("batch", False, "the batch fields do not re-encode to the bundled encoding")
            batch = None
        elif claimed != digest:
            steps.add("batch", False, f"the batch hashes to {digest.hex()}, the bundle says {claimed.hex()}")
            batch = None
        else:
            steps.add("batch", True, f"batch {batch.sequence} of {batch.device}, hash {digest.hex()}")
    except (KeyError, TypeError, ValueError, LedgerVerificationError) as err:
        steps.add("batch", False, f"malformed batch: {err}")
    reading = bundle.get("reading")
    if batch is None or not isinstance(reading, Mapping):
        steps.add(
            "reading", None if batch is None else False, "not checked" if batch is None else "no reading"
        )
    else:
        position = reading.get("position")
        item = (
            batch.readings[position]
            if isinstance(position, int) and 0 <= position < len(batch.readings)
            else None
        )
        same = item is not None and (
            item.meter,
            item.ts,
            item.value,
            item.unit,
            Quality(item.quality).name.lower(),
        ) == (
            reading.get("meter"),
            reading.get("ts"),
            reading.get("value"),
            reading.get("unit"),
            reading.get("quality"),
        )
        steps.add(
            "reading",
            same,
            f"{reading.get('meter')} at {reading.get('ts')} = {reading.get('value')} {reading.get('unit') or ''} "
            + (f"is reading {position} of the batch" if same else "is not in the batch as stated"),
        )
    if batch is None:
        steps.add("signature", None, "not checked")
    else:
        try:
            key_document = bundle["device_key"]
            key = DeviceKey(
                _b64(key_document["public_key"], "device_key.public_key"),
                int(key_document["valid_from"]),
                None if key_document.get("valid_to") is None else int(key_document["valid_to"]),
                None if key_document.get("revoked_at") is None else int(key_document["revoked_at"]),
            )
            if device_key is not None and key.public_key != bytes(device_key):
                steps.add("signature", False, "the bundled device key is not the key given")
            elif not key.valid_at(batch.created):
                steps.add(
                    "signature", False, f"the device key was not valid at the batch's time {batch.created}"
                )
            else:
                verify_batch_signature(batch, signature, key.public_key)
                steps.add("signature", True, f"Ed25519 signature by device key {key.public_key.hex()}")
        except (KeyError, TypeError, ValueError, LedgerVerificationError) as err:
            steps.add("signature", False, str(err))
    try:
        inclusion = bundle["inclusion"]
        index, size = int(inclusion["leaf_index"]), int(inclusion["tree_size"])
        proof = _hashes(inclusion["proof"], "inclusion.proof")
        if verified is None or batch is None:
            steps.add("inclusion", None, "not checked")
        elif size != verified.checkpoint.size:
            steps.add(
                "inclusion",
                False,
                f"the proof is for size {size}, the checkpoint is {verified.checkpoint.size}",
            )
        else:
            verify_inclusion(index, size, leaf_hash(digest), proof, verified.checkpoint.root_hash)
            steps.add("inclusion", True, f"leaf {index} of {size} leads to the checkpoint's root")
    except (KeyError, TypeError, ValueError, LedgerVerificationError) as err:
        steps.add("inclusion", False, str(err))
    consistency = bundle.get("consistency")
    if consistency is None:
        steps.add("consistency", None, "no newer checkpoint in the bundle")
    elif verified is None:
        steps.add("consistency", None, "not checked")
    else:
        try:
            # the newer checkpoint needs the log's signature; its cosignatures are reported, not required
            newer = _open(consistency["checkpoint"], log_key, witnesses, 0)
            old, new = verified.checkpoint, newer.checkpoint
            verify_consistency(
                old.size,
                new.size,
                _hashes(consistency["proof"], "consistency.proof"),
                old.root_hash,
                new.root_hash,
            )
            steps.add(
                "consistency",
                True,
                f"the log's tree of size {new.size} extends the tree of size {old.size} "
                f"({len(newer.cosignatures)} trusted cosignatures on the newer checkpoint)",
            )
        except (KeyError, TypeError, ValueError, LedgerVerificationError) as err:
            steps.add("consistency", False, str(err))
    return BundleReport(tuple(steps.checks))
