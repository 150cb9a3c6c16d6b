"""Notarised ingestion on SQLite and PostgreSQL: accept, replay, gap, fork, tamper, keys, crash safety."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shuixiao.ingest import Batch as IngestBatch
from shuixiao.ingest import RawReading, Source
from shuixiao.ledger import Reading, generate_ed25519_key
from shuixiao.model import Origin
from shuixiao.notary import RefusalReason, SignedStatus, audit_store
from shuixiao.notary.ingest import ingest_signed_batch
from shuixiao.storage import AlarmStore
from shuixiao.units import to_canonical

from ._helpers import T0, Device, E, Node, readings

pytestmark = pytest.mark.integration


def _at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def test_signed_batches_are_verified_committed_and_logged(node: Node, device: Device) -> None:
    results = node.ingest(*(device.next(i) for i in range(3)))
    assert [r.status for r in results] == [SignedStatus.ACCEPTED] * 3
    assert [r.leaf_index for r in results] == [0, 1, 2]
    assert [r.readings.accepted for r in results if r.readings] == [2, 2, 2]
    assert node.ledger.local_log().size == 3
    stored = node.store.read_readings(E, "PT-201")
    assert stored["value"].tolist() == pytest.approx(
        [to_canonical(v, "MPa", "pressure") for v in (0.40, 0.41, 0.42)]
    )
    document = results[0].to_dict()
    assert document["status"] == "accepted" and document["readings"]["accepted"] == 2
    assert json.loads(json.dumps(document)) == document
    assert audit_store(node.store).ok


def test_a_replay_is_idempotent(node: Node, device: Device) -> None:
    payload = device.next(0)
    first = node.ingest(payload)[0]
    again = node.ingest(payload, json.dumps(payload), json.dumps(payload).encode())
    assert [r.status for r in again] == [SignedStatus.REPLAY] * 3
    assert {r.leaf_index for r in again} == {first.leaf_index}
    assert node.ledger.local_log().size == 1
    assert node.store.count_readings(E) == 2


def test_a_gap_is_accepted_with_an_incident_resolved_when_the_batches_come(
    node: Node, device: Device
) -> None:
    payloads = [device.next(i) for i in range(4)]
    results = node.ingest(payloads[0], payloads[3])
    assert results[1].status is SignedStatus.ACCEPTED and results[1].missing == (1, 2)
    incident = node.ledger.incidents(kind="missing_batch", open_only=True)
    assert [(i.id, i.detail["first"], i.detail["last"]) for i in incident] == [(results[1].incident, 1, 2)]
    assert node.ledger.chain(node.ledger.local_log().id, device.name, 3)[0].status == "gap"  # type: ignore[union-attr]
    alarm = AlarmStore(node.store).open_alarms(E, ["ledger.missing_batch"])
    assert [(a.severity.value, a.title_en) for a in alarm] == [
        ("warning", "Device gw-01: batches 1..2 missing")
    ]
    node.ingest(payloads[1])
    assert node.ledger.incidents(kind="missing_batch", open_only=True)  # batch 2 still missing
    node.ingest(payloads[2])
    assert not node.ledger.incidents(kind="missing_batch", open_only=True)
    assert not AlarmStore(node.store).open_alarms(E)  # the alarm cleared with its incident
    assert node.ledger.chain(node.ledger.local_log().id, device.name, 3)[0].status == "linked"  # type: ignore[union-attr]
    assert audit_store(node.store).ok


def test_a_fork_is_refused_with_an_incident(node: Node, device: Device) -> None:
    node.ingest(device.next(0))
    other = Device(
        device.name, device.private_key, device.public_key, 1, bytes(32)
    )  # reset device, wrong link
    result = node.ingest(other.next(1))[0]
    assert result.status is SignedStatus.REFUSED and result.reason is RefusalReason.FORK
    incident = node.ledger.incidents(kind="fork")[0]
    assert incident.id == result.incident and incident.device == device.name
    assert incident.detail["batch"]["sequence"] == 1  # the refused batch is kept as evidence
    alarm = AlarmStore(node.store).open_alarms(E, ["ledger.fork"])[0]
    assert (alarm.severity.value, alarm.key, alarm.detail["incident"]) == (
        "critical",
        f"incident-{incident.id}",
        incident.id,
    )
    assert node.store.count_readings(E) == 2 and node.ledger.local_log().size == 1


def test_a_changed_past_batch_is_refused_as_tamper(node: Node, device: Device) -> None:
    node.ingest(device.next(0), device.next(1))
    forged = Device(device.name, device.private_key, device.public_key)  # same key, sequence 0 again
    changed = forged.batch((Reading("FT-101", T0, 17_000.0, "m3"),))
    result = node.ingest(forged.payload(changed))[0]
    assert result.reason is RefusalReason.TAMPER
    assert node.ledger.incidents(kind="tamper")[0].detail["logged_hash"] != changed.hash().hex()
    assert node.store.read_readings(E, "FT-101")["value"].tolist()[0] == 18_000.0


def test_filling_a_gap_with_a_batch_the_next_does_not_link_to_is_tamper(node: Node, device: Device) -> None:
    payloads = [device.next(i) for i in range(3)]
    node.ingest(payloads[0], payloads[2])
    impostor = Device(device.name, device.private_key, device.public_key, 1, device.previous)
    impostor.previous = node.ledger.chain(node.ledger.local_log().id, device.name, 0)[0].batch_hash  # type: ignore[union-attr]
    result = node.ingest(impostor.payload(impostor.batch(readings(7))))[0]
    assert result.reason is RefusalReason.TAMPER


def test_a_bad_signature_is_refused_with_an_incident(node: Node, device: Device) -> None:
    stranger, _ = generate_ed25519_key()
    result = node.ingest(device.payload(device.batch(readings(0)), stranger))[0]
    assert result.reason is RefusalReason.BAD_SIGNATURE
    assert "not signed by any key of the device valid at its time" in result.message
    assert node.ledger.incidents(kind="bad_signature")[0].detail["reason"] == "bad_signature"
    assert node.store.count_readings(E) == 0


def test_a_revoked_key_is_refused_with_the_reason(node: Node, device: Device) -> None:
    node.ingest(device.next(0), received_at=T0 + 120)
    node.ledger.revoke_device_key(device.name, _at(T0 + 3_600), "gateway stolen")
    late = node.ingest(device.next(8))[0]  # created after the revocation
    assert late.reason is RefusalReason.REVOKED_KEY
    assert "revoked" in late.message and "gateway stolen" in late.message
    backdated = node.ingest(device.next(1), received_at=T0 + 7_200)[0]  # created before, received after
    assert backdated.reason is RefusalReason.REVOKED_KEY
    assert audit_store(node.store).ok  # what was logged before the revocation stays valid


def test_a_rotated_key_keeps_old_batches_valid(node: Node, device: Device) -> None:
    node.ingest(device.next(0), device.next(1))
    new_private, new_public = generate_ed25519_key()
    node.ledger.rotate_device_key(device.name, new_public, _at(T0 + 3_000))
    old_key_late = device.batch(readings(4))
    assert node.ingest(device.payload(old_key_late))[0].reason is RefusalReason.BAD_SIGNATURE
    device.sequence, device.previous = old_key_late.sequence, old_key_late.previous_hash
    result = node.ingest(device.payload(device.batch(readings(4)), new_private))[0]
    assert result.status is SignedStatus.ACCEPTED
    report = audit_store(node.store)
    assert report.ok and report.batches == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("device", RefusalReason.UNKNOWN_DEVICE),
        ("meter", RefusalReason.METER_NOT_BOUND),
        ("missing_meter", RefusalReason.METER_NOT_BOUND),
        ("enterprise", RefusalReason.WRONG_ENTERPRISE),
    ],
)
def test_refusals_name_what_to_fix(node: Node, device: Device, change: str, reason: RefusalReason) -> None:
    if change == "device":
        device.name = "gw-99"
        payload = device.next(0)
    elif change == "meter":
        payload = device.payload(device.batch((Reading("FT-103", T0, 5.0, "m3/h"),)))
    elif change == "missing_meter":
        payload = device.payload(device.batch((Reading("FT-999", T0, 5.0, "m3"),)))
    else:
        payload = device.next(0)
    result = node.ingest(payload, enterprise="other-works" if change == "enterprise" else E)[0]
    assert result.status is SignedStatus.REFUSED and result.reason is reason
    assert node.ledger.local_log().size == 0 and not node.ledger.incidents()


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        b"\xff\xfe",
        "[1, 2]",
        {"schema": "shuixiao.batch/2"},
        {"schema": "shuixiao.batch/1", "device": "gw-01"},
    ],
)
@pytest.mark.usefixtures("device")
def test_malformed_payloads_are_refused(node: Node, payload: object) -> None:
    result = ingest_signed_batch(node.store, node.pipeline, E, payload, received_at=T0)  # type: ignore[arg-type]
    assert result.status is SignedStatus.REFUSED and result.reason is RefusalReason.MALFORMED
    assert result.message


def test_a_crash_between_the_commits_loses_nothing_and_a_retransmission_repairs_it(
    node: Node, device: Device
) -> None:
    payload = device.next(0)
    batch_readings = readings(0)
    # step 4 ran (the readings were committed), then the process died before the batch was logged
    node.pipeline.ingest_many(
        [
            IngestBatch(
                E,
                [RawReading(r.meter, r.ts, r.value, r.unit) for r in batch_readings],
                Source(Origin.HTTP, "crashed"),
            )
        ],
        signed=True,  # as the notarised ingestion commits them, after checking the signature
    )
    report = audit_store(node.store)
    assert {p.kind for p in report.problems} == {"reading_unnotarised"}  # named until the device re-sends
    result = node.ingest(payload)[0]
    assert result.status is SignedStatus.ACCEPTED and result.readings is not None
    assert result.readings.duplicate == 2
    assert audit_store(node.store).ok


def test_readings_the_pipeline_rejects_are_logged_with_their_quarantine(node: Node, device: Device) -> None:
    future = Reading("PT-201", T0 + 400 * 86_400, 0.4, "MPa")  # beyond the pipeline's clock
    result = node.ingest(device.payload(device.batch((*readings(0)[:1], future), created=T0 + 60)))[0]
    assert result.status is SignedStatus.ACCEPTED and result.readings is not None
    assert [r.status.value for r in result.readings.results] == ["accepted", "rejected"]
    quarantine_id = result.readings.results[1].quarantine_id
    batch_id = node.ledger.chain(node.ledger.local_log().id, device.name, 0)[0].id  # type: ignore[union-attr]
    rows = node.ledger.batch_readings([batch_id])[batch_id]
    assert [(r.outcome, r.quarantine_id) for r in rows] == [(0, None), (2, quarantine_id)]
    assert audit_store(node.store).ok


def test_many_batches_of_one_device_chain_within_one_call(node: Node, device: Device) -> None:
    payloads = [device.next(i) for i in range(50)]
    results = node.ingest(*payloads, payloads[10])
    assert [r.status for r in results[:50]] == [SignedStatus.ACCEPTED] * 50
    assert results[50].status is SignedStatus.REPLAY
    assert [r.leaf_index for r in results[:50]] == list(range(50))
    assert node.store.count_readings(E) == 100
    assert audit_store(node.store).ok


def test_a_batch_in_one_unit_is_converted_and_its_quarantined_readings_keep_the_unit(
    node: Node, device: Device
) -> None:
    kpa = [Reading("PT-201", T0 + 900 * i, 400.0 + 10 * i, "kPa") for i in range(3)]
    future = Reading("PT-201", T0 + 400 * 86_400, 420.0, "kPa")  # beyond the pipeline's clock
    result = node.ingest(device.payload(device.batch((*kpa, future), created=T0 + 3_600)))[0]
    assert result.status is SignedStatus.ACCEPTED and result.readings is not None
    assert [r.status.value for r in result.readings.results] == ["accepted"] * 3 + ["rejected"]
    stored = node.store.read_readings(E, "PT-201")
    assert stored["value"].tolist() == pytest.approx([to_canonical(r.value, "kPa", "pressure") for r in kpa])
    assert audit_store(node.store).ok
    (entry,) = node.store.list_quarantine(E)
    document = json.loads(entry.payload)
    assert (document["value"], document.get("unit") or document.get("default_unit")) == (420.0, "kPa")


def test_a_large_batch_goes_in_as_columns_and_a_quarantined_reading_keeps_its_place(
    node: Node, device: Device
) -> None:
    mpa = [Reading("PT-201", T0 + 900 * i, 0.4, "MPa") for i in range(69)]  # checked column by column
    future = Reading("PT-201", T0 + 400 * 86_400, 0.5, "MPa")  # beyond the pipeline's clock
    result = node.ingest(device.payload(device.batch((*mpa, future), created=T0 + 86_000)))[0]
    assert result.status is SignedStatus.ACCEPTED and result.readings is not None
    assert (result.readings.accepted, result.readings.rejected) == (69, 1)
    (entry,) = node.store.list_quarantine(E)
    assert entry.reason == "future_timestamp" and entry.source == "batch gw-01#0"
    assert json.loads(entry.payload) == {
        "meter": "PT-201", "ts": future.ts, "value": 0.5, "quality": 0, "default_unit": "MPa", "row": 70
    }  # fmt: skip
    assert audit_store(node.store).ok


def test_a_batch_in_one_unit_that_is_not_the_meters_is_rejected_reading_by_reading(
    node: Node, device: Device
) -> None:
    wrong = [Reading("PT-201", T0 + 900 * i, 0.4, "m3") for i in range(2)]
    result = node.ingest(device.payload(device.batch(wrong)))[0]
    assert result.status is SignedStatus.ACCEPTED and result.readings is not None
    assert [(r.status.value, r.reason.value if r.reason else None) for r in result.readings.results] == [
        ("rejected", "wrong_unit")
    ] * 2
    assert all("'m3'" in r.message and "pressure" in r.message for r in result.readings.results)
    assert node.store.count_readings(E) == 0
    assert audit_store(node.store).ok
