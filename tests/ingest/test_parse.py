"""Reading raw fields: timestamps, values, quality flags; the quarantine payload round trip."""

from __future__ import annotations

import codecs
import datetime as dt
import json
import math
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from shuixiao.ingest import RawReading, Reason, Source
from shuixiao.ingest._parse import (
    Rejected,
    parse_json,
    parse_quality,
    parse_timestamp,
    parse_value,
    payload_of,
    reading_of,
)
from shuixiao.model import Origin

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
EIGHT = 1_735_689_600  # 2025-01-01T08:00:00+08:00 = 2025-01-01T00:00:00Z


@pytest.mark.parametrize(
    ("raw", "zone"),
    [
        ("2025-01-01T08:00:00+08:00", None),
        ("2025-01-01T00:00:00Z", None),
        ("2025-01-01 00:00:00.999Z", None),
        ("2025-01-01 08:00", SHANGHAI),
        ("2025/1/1 8:00", SHANGHAI),
        ("2025/01/01 08:00:00", SHANGHAI),
        ("2025.1.1T0:00+0000", None),
        ("2025-01-01T09:00+09", None),
        (" 1735689600 ", None),
        ("1735689600.9", None),
        (1735689600, None),
        (1735689600.5, None),
        (np.int64(1735689600), None),
        (Decimal("1735689600"), None),
        (dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None),
        (dt.datetime(2025, 1, 1, 8), SHANGHAI),
        (dt.datetime(2025, 1, 1, 8, tzinfo=SHANGHAI), None),
    ],
)
def test_timestamps_that_are_read(raw: Any, zone: ZoneInfo | None) -> None:
    assert parse_timestamp(raw, zone) == EIGHT


def test_a_date_is_local_midnight() -> None:
    assert parse_timestamp(dt.date(2025, 1, 2), SHANGHAI) == EIGHT + 86_400 - 8 * 3600


@pytest.mark.parametrize(
    ("raw", "zone", "reason", "fragment"),
    [
        ("", SHANGHAI, Reason.BAD_TIMESTAMP, "the timestamp is empty"),
        (None, SHANGHAI, Reason.BAD_TIMESTAMP, "the timestamp is missing"),
        (True, SHANGHAI, Reason.BAD_TIMESTAMP, "True, not a time"),
        ("yesterday", SHANGHAI, Reason.BAD_TIMESTAMP, "'yesterday' is not a date and time"),
        ("2025-02-30 08:00", SHANGHAI, Reason.BAD_TIMESTAMP, "is not a date and time"),
        ([2025, 1, 1], SHANGHAI, Reason.BAD_TIMESTAMP, "(list) is not a time"),
        (EIGHT * 1000, None, Reason.BAD_TIMESTAMP, "looks like milliseconds"),
        (str(EIGHT * 1000), None, Reason.BAD_TIMESTAMP, "looks like milliseconds"),
        (-5, None, Reason.BAD_TIMESTAMP, "outside 1970–2199"),
        (math.inf, None, Reason.BAD_TIMESTAMP, "is not a time"),
        ("1960-01-01T00:00Z", None, Reason.BAD_TIMESTAMP, "outside 1970–2199"),
        ("2025-01-01 08:00", None, Reason.NAIVE_TIMESTAMP, "has no time zone and the source declares none"),
        (dt.datetime(2025, 1, 1), None, Reason.NAIVE_TIMESTAMP, "add the offset"),
    ],
)
def test_timestamps_that_are_refused(raw: Any, zone: ZoneInfo | None, reason: Reason, fragment: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_timestamp(raw, zone)
    assert caught.value.reason is reason
    assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1.5, 1.5),
        (" 1.5 ", 1.5),
        ("-2e3", -2000.0),
        (7, 7.0),
        (np.float32(0.5), 0.5),
        (Decimal("0.25"), 0.25),
    ],
)
def test_values_that_are_read(raw: Any, expected: float) -> None:
    assert parse_value(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason", "fragment"),
    [
        ("", Reason.NOT_A_NUMBER, "the value is empty"),
        (None, Reason.NOT_A_NUMBER, "the value is missing"),
        ("1,234.5", Reason.NOT_A_NUMBER, "no thousands separators"),
        ("12 m³", Reason.NOT_A_NUMBER, "is not a number"),
        (True, Reason.NOT_A_NUMBER, "(bool) is not a number"),
        ({"v": 1}, Reason.NOT_A_NUMBER, "(dict) is not a number"),
        (math.nan, Reason.NOT_FINITE, "is not finite"),
        ("inf", Reason.NOT_FINITE, "quality 'estimated'"),
        ("-Infinity", Reason.NOT_FINITE, "is not finite"),
    ],
)
def test_values_that_are_refused(raw: Any, reason: Reason, fragment: str) -> None:
    with pytest.raises(Rejected) as caught:
        parse_value(raw)
    assert (caught.value.reason, fragment in caught.value.message) == (reason, True)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, 0),
        ("", 0),
        ("good", 0),
        ("Estimated", 1),
        (" SUSPECT ", 2),
        ("bad", 3),
        ("2", 2),
        (3, 3),
        (1.0, 1),
    ],
)
def test_quality_flags(raw: Any, expected: int) -> None:
    assert parse_quality(raw) == expected


@pytest.mark.parametrize("raw", ["great", 4, -1, 1.5, True, [0]])
def test_unknown_quality_flags(raw: Any) -> None:
    with pytest.raises(
        Rejected, match="is not one of good \\(0\\), estimated \\(1\\), suspect \\(2\\), bad \\(3\\)"
    ):
        parse_quality(raw)


def test_payload_round_trip_keeps_what_parsing_needs() -> None:
    source = Source(Origin.FILE, "plant.xlsx", "Asia/Shanghai", "L")
    record = RawReading(101, dt.datetime(2025, 1, 1, 8), math.nan, "m3", np.int8(2), row=12)
    payload = payload_of(record, source)
    decoded = reading_of(payload)
    assert decoded is not None
    again, zone, unit = decoded
    assert (zone, unit) == ("Asia/Shanghai", "L")
    assert again == RawReading(101, "2025-01-01T08:00:00", "nan", "m3", 2, 12)
    assert parse_timestamp(again.ts, SHANGHAI) == parse_timestamp(record.ts, SHANGHAI)
    with pytest.raises(Rejected) as caught:
        parse_value(again.value)
    assert caught.value.reason is Reason.NOT_FINITE


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", '{"meter": "FT-1", "ts": 1}'])
def test_payloads_that_are_no_record(payload: str) -> None:
    assert reading_of(payload) is None


def test_source_refuses_unknown_zones() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        Source(Origin.FILE, "a.csv", "Mars/Olympus")


def test_json_is_read_as_json_loads_reads_it() -> None:
    body = '{"readings": [{"meter": "FT-101", "ts": 1735689600, "value": NaN, "unit": "m³"}], "n": 1e400}'
    assert repr(parse_json(body.encode())) == repr(json.loads(body))
    assert parse_json(codecs.BOM_UTF8 + b"[1, 2.5]") == [1, 2.5]  # a byte order mark is allowed
    assert type(parse_json(b"[1735689600]")[0]) is int  # epoch seconds stay integers


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"\xff\xfe[1]", UnicodeDecodeError), (b'{"a": "\xc3"}', UnicodeDecodeError), (b"[1,", ValueError)],
)
def test_unreadable_json_says_whether_it_is_the_text_or_the_json(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        parse_json(data)
    assert (caught.type is UnicodeDecodeError) == (error is UnicodeDecodeError)
