"""The MQTT topic scheme and payloads (no broker needed)."""

from __future__ import annotations

import json

import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import RawReading
from shuixiao.ingest._messages import MAX_PAYLOAD, MAX_READINGS, Malformed, decode
from shuixiao.ingest.mqtt import batch_topic, reading_topic

pytestmark = pytest.mark.unit


def test_topics() -> None:
    assert reading_topic("xg-steel", "FT-101") == "shuixiao/v1/xg-steel/FT-101/reading"
    assert batch_topic("xg-steel", "site-a/shuixiao/v1") == "site-a/shuixiao/v1/xg-steel/batch"
    for bad in ("", "a/b", "a+", "#"):
        with pytest.raises(InvalidInputError, match="cannot be a topic level"):
            reading_topic("xg-steel", bad)


def test_one_reading_and_a_list_on_a_meter_topic() -> None:
    one = decode("shuixiao/v1/xg-steel/FT-101/reading", b'{"ts": "2025-01-01T08:00+08:00", "value": 1.5}')
    assert one.enterprise == "xg-steel"
    assert one.columns.records() == [RawReading("FT-101", "2025-01-01T08:00+08:00", 1.5, None, None, 1)]
    payload = json.dumps([{"ts": 1, "value": 2, "unit": "L", "quality": "suspect"}, {"ts": 2, "value": 3}])
    many = decode("shuixiao/v1/xg-steel/FT-101/reading", payload.encode())
    assert list(many.columns.units) == ["L", None]
    assert list(many.columns.qualities) == ["suspect", None]


def test_a_batch() -> None:
    payload = json.dumps(
        [{"meter": "FT-101", "ts": 1, "value": 2}, {"ts": 2, "value": 3, "extra": "kept out"}]
    )
    batch = decode("shuixiao/v1/xg-steel/batch", payload.encode("utf-8"))
    records = batch.columns.records()
    assert [(r.meter, r.ts, r.value, r.row) for r in records] == [("FT-101", 1, 2, 1), (None, 2, 3, 2)]


@pytest.mark.parametrize(
    ("topic", "payload", "fragment", "enterprise", "meter"),
    [
        (
            "shuixiao/v1/xg-steel/FT-101/value",
            b"{}",
            "is not shuixiao/v1/<enterprise>/<meter>/reading",
            "xg-steel",
            None,
        ),
        ("other/xg-steel/batch", b"[]", "is not shuixiao/v1", None, None),
        ("shuixiao/v1/xg-steel/batch", b"\xff\xfe", "not UTF-8", "xg-steel", None),
        ("shuixiao/v1/xg-steel/batch", b"{ts: 1}", "not JSON", "xg-steel", None),
        ("shuixiao/v1/xg-steel/batch", b'{"meter": "FT-101"}', "a batch is a JSON array", "xg-steel", None),
        ("shuixiao/v1/xg-steel/batch", b"[1]", "item 1 is a number", "xg-steel", None),
        ("shuixiao/v1/xg-steel/FT-101/reading", b"[null]", "item 1 is null", "xg-steel", "FT-101"),
        (
            "shuixiao/v1/xg-steel/FT-101/reading",
            b'{"meter": "FT-102", "ts": 1, "value": 1}',
            "names meter 'FT-102', but the topic names 'FT-101'",
            "xg-steel",
            "FT-101",
        ),
        (
            "shuixiao/v1/xg-steel/batch",
            b"[" + b"{}," * MAX_READINGS + b"{}]",
            "over the limit of 10,000",
            "xg-steel",
            None,
        ),
        (
            "shuixiao/v1/xg-steel/batch",
            b" " * (MAX_PAYLOAD + 1),
            "over the limit of 1,048,576",
            "xg-steel",
            None,
        ),
    ],
)
def test_malformed_messages(
    topic: str, payload: bytes, fragment: str, enterprise: str | None, meter: str | None
) -> None:
    with pytest.raises(Malformed) as caught:
        decode(topic, payload)
    assert fragment in caught.value.message
    assert (caught.value.enterprise, caught.value.meter) == (enterprise, meter)
