"""HTTP ingestion: JSON, CSV, gzip, limits, malformed bodies, device-token scope; nothing is lost."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

from shuixiao.ledger import GENESIS_HASH, Batch, Reading, generate_ed25519_key, sign_batch
from shuixiao.notary import batch_to_json
from shuixiao.service import load_policy
from shuixiao.storage.ledger import LedgerStore

pytestmark = pytest.mark.integration

URL = "/api/v1/ingest/readings"
DAY2 = 1735776000  # 2025-01-02T00:00:00Z, after the stored day


def _state(world: Any) -> tuple[int, int]:
    """(readings stored for xg-steel, records quarantined)."""
    return world.store.count_readings("xg-steel"), sum(world.store.count_quarantine(replayed=None).values())


def _bound_client(world: Any, device: str) -> Any:
    """A client with a new device token of the steel works bound to ``device``."""
    issued = (
        world.client("admin")
        .post("/api/v1/device-tokens", json={"name": "bound", "enterprise": "xg-steel", "device": device})
        .json()["token"]
    )
    bound = world.client()
    bound.headers["Authorization"] = f"Bearer {issued}"
    return bound


def _quarantined(world: Any) -> list[Any]:
    return world.store.list_quarantine(replayed=None)


def test_json_batch_is_committed_and_acknowledged_per_record(world: Any) -> None:
    device = world.client("device")
    before = _state(world)
    body = {
        "enterprise": "xg-steel",
        "readings": [
            {"meter": "FT-101", "ts": DAY2, "value": 5000.0},
            {
                "meter": "FT-101",
                "ts": "2025-01-02T08:15:00+08:00",
                "value": "5010.5",
                "unit": "m3",
                "quality": "good",
            },
            {"meter": "FT-201", "ts": DAY2, "value": 3.0, "unit": "L/s", "quality": "suspect"},
        ],
    }
    answer = device.post(URL, json=body)
    assert answer.status_code == 200
    assert answer.json() == {
        "accepted": 3,
        "duplicate": 0,
        "rejected": 0,
        "results": [{"status": "accepted", "reason": None, "message": "", "quarantine_id": None}] * 3,
    }
    assert _state(world) == (before[0] + 3, before[1])
    series = world.store.read_readings("xg-steel", "FT-201", dt.datetime(2025, 1, 2, tzinfo=dt.UTC))
    assert series["value"].tolist() == [pytest.approx(10.8)] and series["quality"].tolist() == [2]
    assert series["origin"].tolist() == [1]  # Origin.HTTP
    again = device.post(URL, json=body).json()
    assert (again["accepted"], again["duplicate"]) == (0, 3)
    audited = world.client("admin").get("/api/v1/audit", params={"action": "ingest.readings"}).json()["items"]
    assert audited[0]["actor"] == "device:device" and audited[0]["detail"] == {
        "accepted": 0,
        "duplicate": 3,
        "rejected": 0,
    }


BAD = [
    ({"meter": "NOPE", "ts": DAY2, "value": 1.0}, "unknown_meter"),
    ({"meter": "FT-101", "ts": DAY2 + 60, "value": 1.0, "unit": "kg"}, "wrong_unit"),
    ({"meter": "FT-101", "ts": DAY2 + 120, "value": "twelve"}, "not_a_number"),
    ({"meter": "FT-101", "ts": DAY2 + 180, "value": "NaN"}, "not_finite"),
    ({"meter": "FT-101", "ts": "yesterday", "value": 1.0}, "bad_timestamp"),
    ({"meter": "FT-101", "ts": "2025-01-02 08:00", "value": 1.0}, "naive_timestamp"),
    ({"meter": "FT-101", "ts": 4_000_000_000, "value": 1.0}, "future_timestamp"),
    ({"meter": "FT-101", "ts": "2020-01-01T00:00:00Z", "value": 1.0}, "before_installed"),
    ({"meter": "FT-101", "ts": DAY2 + 240, "value": 1.0, "quality": "great"}, "bad_quality"),
    ({"meter": "FT-101", "ts": DAY2 + 300, "value": -5.0}, "implausible_value"),
    ({"meter": "FT-101", "ts": 1735689600, "value": 999.0}, "conflict"),
    ({"meter": "FT-101", "ts": DAY2 + 360, "value": 10.0}, "totalizer_backwards"),
]


def test_every_bad_record_is_rejected_with_its_reason_and_quarantined(world: Any) -> None:
    good = {"meter": "FT-101", "ts": DAY2, "value": 1000.0 + 10.25 * 96}
    before = _state(world)
    answer = world.client("device").post(URL, json={"readings": [good, *(record for record, _ in BAD)]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert results[0]["status"] == "accepted"
    assert [(r["status"], r["reason"]) for r in results[1:]] == [("rejected", reason) for _, reason in BAD]
    assert all(r["message"] and r["quarantine_id"] for r in results[1:])
    assert _state(world) == (before[0] + 1, before[1] + len(BAD))  # the good part is committed; nothing lost
    waiting = {q.id: q for q in _quarantined(world)}
    for (record, _), result in zip(BAD, results[1:], strict=True):
        assert json.loads(waiting[result["quarantine_id"]].payload)["ts"] == record["ts"]
        assert waiting[result["quarantine_id"]].source.endswith("device:device")


def test_timezone_parameter_reads_local_timestamps(world: Any) -> None:
    body = {"readings": [{"meter": "FT-201", "ts": "2025-01-02 08:00", "value": 1.0}]}
    answer = world.client("device").post(URL, json=body, params={"timezone": "Asia/Shanghai"})
    assert answer.json()["accepted"] == 1
    assert world.client("device").post(URL, json=body, params={"timezone": "Mars/Olympus"}).status_code == 422


def test_csv_and_gzip_bodies(world: Any) -> None:
    device = world.client("device")
    text = "meter,ts,value,unit,quality\nFT-201,2025-01-03T00:00:00Z,2,L/s,good\nFT-201,2025-01-03T00:15:00Z,2.5,,\n"
    answer = device.post(
        URL, content=text.encode(), headers={"Content-Type": "text/csv"}, params={"enterprise": "xg-steel"}
    )
    assert answer.status_code == 200 and answer.json()["accepted"] == 2
    packed = gzip.compress("\ufeffmeter,ts,value\nFT-201,2025-01-03T00:30:00Z,3\n".encode())
    zipped = device.post(
        URL, content=packed, headers={"Content-Type": "text/csv; charset=utf-8", "Content-Encoding": "gzip"}
    )
    assert zipped.json()["accepted"] == 1
    document = {"readings": [{"meter": "FT-201", "ts": "2025-01-03T00:45:00Z", "value": 4}]}
    assert (
        device.post(
            URL,
            content=gzip.compress(json.dumps(document).encode()),
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ).json()["accepted"]
        == 1
    )
    short = device.post(
        URL, content=b"meter,ts,value\nFT-201,2025-01-03T01:00:00Z\n", headers={"Content-Type": "text/csv"}
    )
    assert short.status_code == 422 and "row 1 has 2 fields" in short.json()["detail"]


MALFORMED = [
    (b'{"readings": [', "application/json", None, "not JSON"),
    (b'[{"meter": "FT-101"}]', "application/json", None, "must be a JSON object"),
    (b'{"readings": [42]}', "application/json", None, "reading 1 is a number"),
    (b'{"readings": [], "extra": 1}', "application/json", None, "unknown member"),
    (b"\xff\xfe\x00bad", "application/json", None, "not UTF-8"),
    (b"ts,value\n1,2\n", "text/csv", None, "must name meter, ts and value"),
    (b"", "text/csv", None, "CSV body is empty"),
    (b"not gzip at all", "application/json", "gzip", "not valid gzip"),
    (gzip.compress(b'{"readings": []}')[:-6], "application/json", "gzip", "truncated"),
]


@pytest.mark.parametrize(("body", "media", "encoding", "message"), MALFORMED, ids=[m[3] for m in MALFORMED])
def test_malformed_bodies_are_quarantined_whole(
    world: Any, body: bytes, media: str, encoding: str | None, message: str
) -> None:
    before = _state(world)
    headers = {"Content-Type": media} | ({"Content-Encoding": encoding} if encoding else {})
    answer = world.client("device").post(URL, content=body, headers=headers)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:shuixiao:problem:malformed_payload" and message in problem["detail"]
    assert _state(world) == (before[0], before[1] + 1)
    entry = next(q for q in _quarantined(world) if q.id == problem["quarantine_id"])
    assert (entry.reason, entry.enterprise) == ("malformed_payload", "xg-steel")
    assert entry.payload == body.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")


def test_limits_refuse_without_storing(world: Any) -> None:
    policy = load_policy()
    device = world.client("device")
    before = _state(world)
    big = b" " * (policy.ingest_max_body + 1)
    answer = device.post(URL, content=big, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["limit"] == policy.ingest_max_body

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server stops reading at the limit
        for _ in range(policy.ingest_max_body // 65536 + 2):
            yield b" " * 65536

    streamed = device.post(URL, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    many = {"readings": [{"meter": "FT-201", "ts": DAY2, "value": 1}] * (policy.ingest_max_records + 1)}
    counted = device.post(URL, json=many)
    assert (
        counted.status_code == 413
        and f"{policy.ingest_max_records + 1:,} readings" in counted.json()["detail"]
    )
    bomb = gzip.compress(b" " * (policy.ingest_max_decompressed + 10))
    assert len(bomb) < policy.ingest_max_body
    inflated = device.post(
        URL, content=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}
    )
    assert inflated.status_code == 413 and "decompressed" in inflated.json()["detail"]
    assert device.post(URL, content=b"a", headers={"Content-Type": "text/plain"}).status_code == 415
    assert (
        device.post(
            URL, content=b"{}", headers={"Content-Type": "application/json", "Content-Encoding": "br"}
        ).status_code
        == 415
    )
    assert _state(world) == before


def test_device_tokens_and_their_scope(world: Any) -> None:
    body = {"enterprise": "xg-steel", "readings": [{"meter": "FT-201", "ts": DAY2, "value": 1.0}]}
    before = _state(world)
    assert world.client().post(URL, json=body).status_code == 401
    stranger = world.client()
    stranger.headers["Authorization"] = "Bearer sxd_not-a-token"
    assert stranger.post(URL, json=body).status_code == 401
    user = world.client("enterprise_manager").post(URL, json=body)
    assert user.status_code == 403 and "takes a device token" in user.json()["detail"]
    other = world.client("b_device").post(URL, json=body)
    assert other.status_code == 403 and "ingests into enterprise 'sz-steel' only" in other.json()["detail"]
    csv_other = world.client("device").post(
        URL,
        content=b"meter,ts,value\nFT-201,1735776000,1\n",
        headers={"Content-Type": "text/csv"},
        params={"enterprise": "sz-steel"},
    )
    assert csv_other.status_code == 403
    assert _state(world) == before
    denied = world.client("admin").get("/api/v1/audit", params={"outcome": "denied"}).json()["items"]
    assert [e["actor"] for e in denied] == ["device:device", "device:b_device"]


def test_a_device_bound_to_meters_sends_only_those(world: Any) -> None:
    manager = world.client("enterprise_manager")
    issued = manager.post(
        "/api/v1/device-tokens", json={"name": "gw-101", "enterprise": "xg-steel", "meters": ["FT-201"]}
    )
    device = world.client()
    device.headers["Authorization"] = f"Bearer {issued.json()['token']}"
    before = _state(world)
    body = {
        "readings": [
            {"meter": "FT-201", "ts": DAY2, "value": 1.0},
            {"meter": "FT-101", "ts": DAY2, "value": 5000.0},
            {"meter": "FT-201", "ts": DAY2 + 900, "value": 1.5},
        ]
    }
    results = device.post(URL, json=body).json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("accepted", None),
        ("rejected", "unknown_meter"),
        ("accepted", None),
    ]
    assert "may send meters FT-201 only" in results[1]["message"]
    assert _state(world) == (before[0] + 2, before[1] + 1)
    kept = next(q for q in _quarantined(world) if q.id == results[1]["quarantine_id"])
    assert json.loads(kept.payload)["value"] == 5000.0 and kept.meter == "FT-101"


def test_signed_batches_go_to_the_notary(world: Any) -> None:
    private_key, public_key = generate_ed25519_key()
    ledger = LedgerStore(world.store)
    ledger.add_device_key("xg-steel", "gw-sig", public_key, dt.datetime(2024, 12, 1, tzinfo=dt.UTC))
    ledger.set_meters("xg-steel", ["FT-201"], device="gw-sig")
    batch = Batch("gw-sig", 0, GENESIS_HASH, (Reading("FT-201", DAY2, 1.25, "m3/h"),), DAY2 + 60)
    payload = batch_to_json(batch, sign_batch(batch, private_key))
    device = world.client("device")
    accepted = device.post("/api/v1/ingest/batches", json=payload)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["readings"]["accepted"] == 1
    assert device.post("/api/v1/ingest/batches", json=payload).json()["status"] == "replay"
    forged = dict(payload, signature=payload["signature"][:-4] + "AAA=")
    refused = device.post("/api/v1/ingest/batches", json=forged | {"sequence": 1})
    assert refused.status_code == 422 and refused.json()["status"] == "refused"
    malformed = device.post(
        "/api/v1/ingest/batches", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert (
        malformed.status_code == 422 and malformed.json()["type"] == "urn:shuixiao:problem:malformed_payload"
    )
    bound = _bound_client(world, "gw-other")
    assert bound.post("/api/v1/ingest/batches", json=payload).status_code == 403
    actions = world.client("admin").get("/api/v1/audit", params={"action": "ingest.batch"}).json()["items"]
    assert [e["outcome"] for e in actions] == ["failure", "success", "success"]


def test_unsigned_readings_of_a_notarised_meter_are_refused(world: Any) -> None:
    LedgerStore(world.store).set_meters("xg-steel", ["FT-201"], device="gw-9")  # signed batches only
    before = _state(world)
    body = {
        "readings": [
            {"meter": "FT-201", "ts": DAY2, "value": 3.0, "unit": "L/s"},
            {"meter": "FT-101", "ts": DAY2, "value": 5000.0},
        ]
    }
    answer = world.client("device").post(URL, json=body)
    assert answer.status_code == 200
    refused, accepted = answer.json()["results"]
    assert (refused["status"], refused["reason"]) == ("rejected", "unsigned")
    assert "takes device-signed batches only" in refused["message"] and refused["quarantine_id"]
    assert accepted["status"] == "accepted"
    assert _state(world)[0] == before[0] + 1


BATCHES = "/api/v1/ingest/batches"


def _signing_device(world: Any) -> bytes:
    """Register the key of device gw-sig for xg-steel, bind FT-201 to it, and return the private key."""
    private_key, public_key = generate_ed25519_key()
    ledger = LedgerStore(world.store)
    ledger.add_device_key("xg-steel", "gw-sig", public_key, dt.datetime(2024, 12, 1, tzinfo=dt.UTC))
    ledger.set_meters("xg-steel", ["FT-201"], device="gw-sig")
    return private_key


def _chain(private_key: bytes, n: int, device: str = "gw-sig") -> list[dict[str, Any]]:
    """The first ``n`` signed batches of a device's chain, one FT-201 reading each, 15 minutes apart."""
    payloads, previous = [], GENESIS_HASH
    for sequence in range(n):
        ts = DAY2 + 900 * sequence
        batch = Batch(device, sequence, previous, (Reading("FT-201", ts, 1.0 + sequence, "m3/h"),), ts + 60)
        payloads.append(batch_to_json(batch, sign_batch(batch, private_key)))
        previous = batch.hash()
    return payloads


def _logged(world: Any, device: str = "gw-sig") -> list[int]:
    ledger = LedgerStore(world.store)
    return [b.sequence for b in ledger.batches(ledger.local_log().id, device=device)]


def test_several_signed_batches_in_one_request(world: Any) -> None:
    chain = _chain(_signing_device(world), 4)
    device = world.client("device")
    before = _state(world)
    answer = device.post(BATCHES, json={"batches": chain[:3]})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert (document["accepted"], document["replay"], document["refused"]) == (3, 0, 0)
    assert [(r["status"], r["sequence"]) for r in document["results"]] == [("accepted", s) for s in range(3)]
    assert len({r["leaf_index"] for r in document["results"]}) == 3
    assert all(r["readings"]["accepted"] == 1 for r in document["results"])
    assert _state(world) == (before[0] + 3, before[1]) and _logged(world) == [0, 1, 2]
    # a replay, a forged batch, an object that is no batch and a new batch: each has its own result
    forged = dict(chain[3], signature=chain[1]["signature"])
    unreadable = {"schema": "shuixiao.batch/2", "device": "gw-sig"}
    mixed = device.post(BATCHES, json={"batches": [chain[0], forged, unreadable, chain[3]]})
    assert mixed.status_code == 200, mixed.text
    results = mixed.json()["results"]
    assert [(r["status"], r["reason"]) for r in results] == [
        ("replay", None),
        ("refused", "bad_signature"),
        ("refused", "malformed"),
        ("accepted", None),
    ]
    assert results[0]["leaf_index"] == document["results"][0]["leaf_index"] and results[2]["message"]
    assert {k: mixed.json()[k] for k in ("accepted", "replay", "refused")} == {
        "accepted": 1,
        "replay": 1,
        "refused": 2,
    }
    assert _state(world) == (before[0] + 4, before[1]) and _logged(world) == [0, 1, 2, 3]
    empty = device.post(BATCHES, json={"batches": []})
    assert empty.json() == {"accepted": 0, "replay": 0, "refused": 0, "results": []}
    audited = world.client("admin").get("/api/v1/audit", params={"action": "ingest.batches"}).json()["items"]
    assert [(e["outcome"], e["detail"]) for e in audited] == [
        ("success", {"batches": 0, "accepted": 0, "replay": 0, "refused": 0}),
        ("failure", {"batches": 4, "accepted": 1, "replay": 1, "refused": 2}),
        ("success", {"batches": 3, "accepted": 3, "replay": 0, "refused": 0}),
    ]
    single = world.client("admin").get("/api/v1/audit", params={"action": "ingest.batch"}).json()["items"]
    assert single == []


def test_a_list_over_the_batch_limit_stores_nothing(world: Any) -> None:
    chain = _chain(_signing_device(world), 1)
    limit = load_policy().ingest_max_batches
    before = _state(world)
    answer = world.client("device").post(BATCHES, json={"batches": chain * (limit + 1)})
    assert answer.status_code == 413 and answer.json()["limit"] == limit
    assert f"{limit + 1:,} signed batches" in answer.json()["detail"]
    assert _state(world) == before and _logged(world) == []


def test_a_list_with_a_batch_of_another_device_stores_nothing(world: Any) -> None:
    chain = _chain(_signing_device(world), 2)
    stranger = _chain(generate_ed25519_key()[0], 1, device="gw-other")
    bound = _bound_client(world, "gw-sig")
    before = _state(world)
    answer = bound.post(BATCHES, json={"batches": [chain[0], stranger[0], chain[1]]})
    assert answer.status_code == 403
    assert "batch 2 names 'gw-other'" in answer.json()["detail"]
    assert _state(world) == before and _logged(world) == [] and _logged(world, "gw-other") == []
    accepted = bound.post(BATCHES, json={"batches": chain})  # its own device's batches go through
    assert accepted.status_code == 200 and accepted.json()["accepted"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"batches": ["valid", 5]}, "batch 2 is a number"),  # a valid batch first: it is not stored either
        ({"batches": [None]}, "batch 1 is null"),
        ({"batches": {"device": "gw-sig"}}, 'is {"batches": [<batch>, ...]} with no other member'),
        ({"batches": [], "device": "gw-sig"}, "with no other member"),
        ([{"device": "gw-sig"}], "the body is an array"),
    ],
)
def test_a_malformed_list_is_refused_whole(world: Any, body: Any, message: str) -> None:
    chain = _chain(_signing_device(world), 1)
    if isinstance(body, dict) and isinstance(body["batches"], list):
        body = {**body, "batches": [chain[0] if b == "valid" else b for b in body["batches"]]}
    before = _state(world)
    answer = world.client("device").post(BATCHES, json=body)
    assert answer.status_code == 422 and answer.json()["type"] == "urn:shuixiao:problem:malformed_payload"
    assert message in answer.json()["detail"]
    assert _state(world) == before and _logged(world) == []
