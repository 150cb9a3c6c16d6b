"""The JSON transport form of signed batches: exact round trips, strict parsing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.ledger import GENESIS_HASH, Batch, BatchColumns, Reading
from shuixiao.notary import SCHEMAS, batch_from_json, batch_to_json
from shuixiao.notary.transport import batch_columns_from_json, parse_payload

pytestmark = pytest.mark.unit

# docs/ledger.md, worked example: the first batch of gw-0001 (encoding version 1)
EXAMPLE_V1 = Batch(
    "gw-0001",
    0,
    GENESIS_HASH,
    (
        Reading("FT-101", 1717200000, 1234.5, "m3"),
        Reading("FT-101", 1717200900, 1236.25, "m3"),
        Reading("PT-201", 1717200000, 0.42, "MPa"),
    ),
    created=1717200960,
    version=1,
)
# tests/ledger/test_batch.py, the version 2 vector: the pressure flagged suspect
EXAMPLE = Batch(
    "gw-0001",
    0,
    GENESIS_HASH,
    EXAMPLE_V1.readings[:2] + (Reading("PT-201", 1717200000, 0.42, "MPa", quality=2),),
    created=1717200960,
)


def test_the_worked_example_survives_json_text_exactly() -> None:
    document = json.loads(json.dumps(batch_to_json(EXAMPLE_V1, bytes(range(64)))))
    batch, signature = batch_from_json(document)
    assert batch == EXAMPLE_V1 and signature == bytes(range(64))
    assert batch.hash().hex() == "c7851367189498c2eb628d27e50ba325634e317bf801a418a354264a6419361c"
    assert document["schema"] == SCHEMAS[1] == "shuixiao.batch/1" and document["previous_hash"] == "00" * 32
    assert all("quality" not in r for r in document["readings"])


def test_version_2_carries_the_quality_by_name() -> None:
    document = json.loads(json.dumps(batch_to_json(EXAMPLE, bytes(64))))
    assert document["schema"] == SCHEMAS[2] == "shuixiao.batch/2"
    assert [r["quality"] for r in document["readings"]] == ["good", "good", "suspect"]
    batch, _ = batch_from_json(document)
    assert batch == EXAMPLE
    assert batch.hash().hex() == "bce55b55cb2aa96f1fd4550343b529303fd454435fa70a801022804fba99ce42"
    for reading in document["readings"][:2]:
        del reading["quality"]  # left out: good
    assert batch_from_json(document)[0] == EXAMPLE


def test_values_that_do_not_print_short_keep_their_bits() -> None:
    awkward = Batch("d", 1, bytes([7]) * 32, (Reading("m", 1, 0.1 + 0.2, None), Reading("n", 2, 1e-300)), 3)
    batch, _ = batch_from_json(json.loads(json.dumps(batch_to_json(awkward, bytes(64)))))
    assert batch.encode() == awkward.encode()


def _valid() -> dict[str, Any]:
    return batch_to_json(EXAMPLE, bytes(64))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"schema": "shuixiao.batch/3"}, "schema must be"),
        ({"schema": ["shuixiao.batch/2"]}, "schema must be"),
        ({"schema": "shuixiao.batch/1"}, "quality needs schema"),
        ({"readings": [{"meter": "m", "ts": 1, "value": 1, "quality": "fine"}]}, "quality must be one of"),
        ({"readings": [{"meter": "m", "ts": 1, "value": 1, "quality": 2}]}, "quality must be one of"),
        ({"readings": [{"meter": "m", "ts": 1, "value": 1, "quality": ["bad"]}]}, "quality must be one of"),
        ({"extra": 1}, "unknown extra"),
        ({"device": 5}, "device must be text"),
        ({"sequence": "1"}, "sequence must be a whole number"),
        ({"sequence": True}, "sequence must be a whole number"),
        ({"previous_hash": "zz"}, "previous_hash must be 64 hexadecimal digits"),
        ({"previous_hash": "00"}, "previous_hash must be 64 hexadecimal digits"),
        ({"signature": "AAAA"}, "64-byte Ed25519 signature"),
        ({"signature": "not base64!"}, "64-byte Ed25519 signature"),
        ({"readings": {}}, "readings must be a JSON list"),
        ({"readings": [{"meter": "m", "ts": 1}]}, "reading 1 must be an object"),
        ({"readings": [{"meter": "m", "ts": 1, "value": "1"}]}, "value must be a number"),
        ({"readings": [{"meter": 1, "ts": 1, "value": 1}]}, "meter and unit must be text"),
        ({"readings": [{"meter": "m", "ts": 1.5, "value": 1}]}, "ts must be a whole number"),
        ({"readings": [{"meter": "", "ts": 1, "value": 1}]}, "meter ''"),
        ({"created": -1}, "outside 0"),
    ],
)
@pytest.mark.parametrize("parse", [batch_from_json, batch_columns_from_json])
def test_malformed_documents_are_refused(change: dict[str, Any], message: str, parse: Any) -> None:
    document = {**_valid(), **change}
    with pytest.raises(InvalidInputError, match=message):
        parse(document)


@pytest.mark.parametrize(
    "readings",
    [
        [{"meter": "m", "ts": 1, "value": 2}],  # an integer value
        [{"meter": "m", "ts": 1, "value": -0.0, "unit": None}],
        [{"meter": "m", "ts": 1, "value": 1.5, "quality": "bad"}, {"ts": 2, "value": 1.0, "meter": "n"}],
        [{"meter": "m", "ts": 1, "value": 1.5}, [1, 2]],  # a reading that is no object
        [{"meter": "m", "ts": True, "value": 1.5}],
        [{"meter": "m", "ts": 1, "value": 1.5, "quality": None}],
    ],
)
def test_columns_are_parsed_as_the_readings_are(readings: list[Any]) -> None:
    document = {**_valid(), "readings": readings}
    try:
        expected: Any = batch_from_json(document)
    except InvalidInputError as err:
        with pytest.raises(InvalidInputError, match=re.escape(str(err))):
            batch_columns_from_json(document)
        return
    columns, signature = batch_columns_from_json(document)
    assert (columns.to_batch(), signature) == expected
    assert columns.encode() == expected[0].encode()


def test_every_example_parses_to_the_same_columns() -> None:
    for example in (EXAMPLE_V1, EXAMPLE):
        columns, _ = batch_columns_from_json(json.loads(json.dumps(batch_to_json(example, bytes(64)))))
        assert columns == BatchColumns.from_batch(example) and columns.hash() == example.hash()


def test_missing_fields_and_payload_forms() -> None:
    document = _valid()
    del document["created"]
    with pytest.raises(InvalidInputError, match="missing created"):
        batch_from_json(document)
    with pytest.raises(InvalidInputError, match="JSON object"):
        batch_from_json([])  # type: ignore[arg-type]
    text = json.dumps(_valid())
    assert parse_payload(text) == parse_payload(text.encode()) == _valid()
    for bad in ("[]", "{", b"\xff"):
        with pytest.raises(InvalidInputError):
            parse_payload(bad)
