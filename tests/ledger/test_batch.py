"""Tests of shuixiao.ledger.batch: canonical encoding, device signatures, key history, chain checks.

The device key of the known-answer vector is the secret key of RFC 8032 §7.1, TEST 1, so the
signature below can be reproduced with any Ed25519 implementation.
"""

from __future__ import annotations

import math
import struct

import pytest

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import (
    BATCH_LABELS,
    BATCH_VERSION,
    GENESIS_HASH,
    Batch,
    BatchColumns,
    ChainHead,
    ChainStatus,
    DeviceKey,
    MemoryTree,
    Reading,
    check_batch,
    ed25519_public_key,
    generate_ed25519_key,
    keys_valid_at,
    leaf_hash,
    sign_batch,
    verify_batch_signature,
    verify_inclusion,
)
from shuixiao.model import Quality

pytestmark = pytest.mark.unit

# RFC 8032 §7.1 TEST 1
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")

# encoding version 1: signed before the quality flag was part of the encoding, still verifiable
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
EXAMPLE_V1_ENCODING = bytes.fromhex(
    "736875697869616f2f62617463682f76310a"  # label "shuixiao/batch/v1\n"
    "0767772d30303031"  # device: length 7, "gw-0001"
    "0000000000000000"  # sequence 0
    "0000000000000000000000000000000000000000000000000000000000000000"  # previous_hash (genesis)
    "00000000665a6840"  # created 1717200960
    "00000003"  # 3 readings
    "0646542d31303100000000665a648040934a0000000000026d33"  # FT-101 1717200000 1234.5 m3
    "0646542d31303100000000665a68044093510000000000026d33"  # FT-101 1717200900 1236.25 m3
    "0650542d32303100000000665a64803fdae147ae147ae1034d5061"  # PT-201 1717200000 0.42 MPa
)
EXAMPLE_V1_HASH = "c7851367189498c2eb628d27e50ba325634e317bf801a418a354264a6419361c"
EXAMPLE_V1_SIGNATURE = (
    "db965b8c83ccbda1a0ecadafcd40f2f82c572d85fdb32d22393c74f581b79013"
    "53a8db20a0c81cb6aacd49101a006b9db167d375a42fa172df1ef115c55cd907"
)

# encoding version 2 (the current one): the same readings, the pressure flagged suspect
EXAMPLE = Batch(
    "gw-0001",
    0,
    GENESIS_HASH,
    (
        Reading("FT-101", 1717200000, 1234.5, "m3"),
        Reading("FT-101", 1717200900, 1236.25, "m3"),
        Reading("PT-201", 1717200000, 0.42, "MPa", quality=2),
    ),
    created=1717200960,
)
EXAMPLE_ENCODING = bytes.fromhex(
    "736875697869616f2f62617463682f76320a"  # label "shuixiao/batch/v2\n"
    "0767772d30303031"  # device: length 7, "gw-0001"
    "0000000000000000"  # sequence 0
    "0000000000000000000000000000000000000000000000000000000000000000"  # previous_hash (genesis)
    "00000000665a6840"  # created 1717200960
    "00000003"  # 3 readings
    "0646542d31303100000000665a648040934a000000000000026d33"  # FT-101 1717200000 1234.5 good m3
    "0646542d31303100000000665a6804409351000000000000026d33"  # FT-101 1717200900 1236.25 good m3
    "0650542d32303100000000665a64803fdae147ae147ae102034d5061"  # PT-201 1717200000 0.42 suspect MPa
)
EXAMPLE_HASH = "bce55b55cb2aa96f1fd4550343b529303fd454435fa70a801022804fba99ce42"
EXAMPLE_SIGNATURE = (
    "e7f142aebc1b393c30780cefd9e94acfca3d52803c649ea6ad763e041dd4eee5"
    "cc57c0f3b4a992cd0595d49785a308b1004af27d19c0a6170c637cc1af382608"
)


# --------------------------------------------------------------- encoding


def test_the_known_answer_vector() -> None:
    assert ed25519_public_key(RFC8032_SECRET) == RFC8032_PUBLIC
    assert EXAMPLE.version == BATCH_VERSION == 2
    assert EXAMPLE.encode() == EXAMPLE_ENCODING
    assert EXAMPLE.hash().hex() == EXAMPLE_HASH
    assert sign_batch(EXAMPLE, RFC8032_SECRET).hex() == EXAMPLE_SIGNATURE
    verify_batch_signature(EXAMPLE, bytes.fromhex(EXAMPLE_SIGNATURE), RFC8032_PUBLIC)
    assert (
        leaf_hash(EXAMPLE.hash()).hex() == "99cc4cb78ffc75ef93a078a031e67909f366d5f9919157efd0dd897a2cc0d214"
    )


def test_the_version_1_vector_stays_verifiable() -> None:
    assert EXAMPLE_V1.encode() == EXAMPLE_V1_ENCODING
    assert EXAMPLE_V1.hash().hex() == EXAMPLE_V1_HASH
    assert sign_batch(EXAMPLE_V1, RFC8032_SECRET).hex() == EXAMPLE_V1_SIGNATURE
    decoded = Batch.decode(EXAMPLE_V1_ENCODING)
    assert decoded == EXAMPLE_V1 and decoded.version == 1
    assert [r.quality for r in decoded.readings] == [0, 0, 0]
    verify_batch_signature(decoded, bytes.fromhex(EXAMPLE_V1_SIGNATURE), RFC8032_PUBLIC)
    assert (
        leaf_hash(EXAMPLE_V1.hash()).hex()
        == "4f4462a7d265457be54e5e9cd60812b1c413dd5a25ebf7d1670a478d0131901d"
    )


def test_version_1_carries_good_readings_only() -> None:
    with pytest.raises(InvalidInputError, match="version 2"):
        Batch("d", 0, GENESIS_HASH, (Reading("m", 1, 1.0, quality=1),), 2, version=1)
    with pytest.raises(InvalidInputError, match="version 3 is unknown"):
        Batch("d", 0, GENESIS_HASH, (), 2, version=3)


@pytest.mark.parametrize("quality", [-1, 4, 255, 1.5])
def test_unknown_quality_codes_are_refused(quality: int) -> None:
    with pytest.raises(InvalidInputError, match="quality code"):
        Reading("m", 1, 1.0, quality=quality)


def test_a_quality_flag_is_stored_as_its_code() -> None:
    reading = Reading("m", 1, 1.0, quality=Quality.BAD)
    assert reading.quality == 3 and type(reading.quality) is int
    assert Batch.decode(Batch("d", 0, GENESIS_HASH, (reading,), 2).encode()).readings[0] == reading


def test_values_are_stored_as_their_ieee_754_bits() -> None:
    assert struct.pack(">d", 0.42).hex() == "3fdae147ae147ae1"
    zero = Batch("d", 0, GENESIS_HASH, (Reading("m", 1, -0.0),), 2)
    assert zero.readings[0].value == 0.0 and math.copysign(1, zero.readings[0].value) == 1
    assert zero.encode().endswith(bytes(8) + b"\x00\x00")  # value +0.0, quality good, no unit
    assert Reading("m", 1, 7).value == 7.0


def test_decoding_inverts_encoding() -> None:
    assert Batch.decode(EXAMPLE_ENCODING) == EXAMPLE
    assert Batch.decode(EXAMPLE_V1_ENCODING) == EXAMPLE_V1
    empty = Batch("d", 2**64 - 1, bytes(range(32)), (), 0)
    assert Batch.decode(bytearray(empty.encode())) == empty
    assert (
        Batch.decode(Batch("d", 0, GENESIS_HASH, (Reading("m", 0, 1.0, None),), 0).encode()).readings[0].unit
        is None
    )


def _replace(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1
    return data.replace(old, new, 1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"shuixiao/batch/v3\n" + EXAMPLE_V1_ENCODING[18:],
        b"shuixiao/batch/v2\n" + EXAMPLE_V1_ENCODING[18:],
        b"shuixiao/batch/v1\n" + EXAMPLE_ENCODING[18:],
        _replace(EXAMPLE_ENCODING, bytes.fromhex("ae147ae102"), bytes.fromhex("ae147ae104")),
        EXAMPLE_ENCODING[:-1],
        EXAMPLE_V1_ENCODING[:-1],
        EXAMPLE_V1_ENCODING + b"\x00",
        EXAMPLE_V1_ENCODING[:50],
        _replace(EXAMPLE_V1_ENCODING, b"\x07gw-0001", b"\x07gw-\xff001"),
        _replace(EXAMPLE_V1_ENCODING, b"\x07gw-0001", b"\x00"),
        _replace(EXAMPLE_V1_ENCODING, bytes.fromhex("40934a0000000000"), struct.pack(">d", math.nan)),
        _replace(EXAMPLE_V1_ENCODING, bytes.fromhex("40934a0000000000"), struct.pack(">d", -0.0)),
        _replace(EXAMPLE_V1_ENCODING, bytes.fromhex("665a6804"), bytes.fromhex("665a6480")),
        _replace(EXAMPLE_V1_ENCODING, b"\x06FT-101", b"\x00"),
        _replace(EXAMPLE_V1_ENCODING, bytes.fromhex("00000003"), bytes.fromhex("00000004")),
    ],
    ids=[
        "empty",
        "unknown-version",
        "version-1-read-as-2",
        "version-2-read-as-1",
        "unknown-quality",
        "truncated-v2",
        "truncated",
        "trailing-byte",
        "cut-in-header",
        "invalid-utf8",
        "empty-device",
        "nan",
        "negative-zero",
        "repeated-reading",
        "empty-meter",
        "count-too-high",
    ],
)
def test_malformed_encodings_are_refused(data: bytes) -> None:
    with pytest.raises(LedgerVerificationError):
        Batch.decode(data)


@pytest.mark.parametrize(
    ("meter", "ts", "value", "unit"),
    [
        ("", 1, 1.0, None),
        ("m" * 256, 1, 1.0, None),
        ("a\nb", 1, 1.0, None),
        ("m", -1, 1.0, None),
        ("m", 2**64, 1.0, None),
        ("m", 1, math.nan, None),
        ("m", 1, math.inf, None),
        ("m", 1, 1.0, ""),
        ("m", 1, 1.0, "\x00"),
    ],
)
def test_bad_readings_are_refused(meter: str, ts: int, value: float, unit: str | None) -> None:
    with pytest.raises(InvalidInputError):
        Reading(meter, ts, value, unit)


def test_identifiers_count_utf8_bytes() -> None:
    assert Reading("水" * 85, 1, 1.0).meter == "水" * 85  # 255 bytes
    with pytest.raises(InvalidInputError):
        Reading("水" * 86, 1, 1.0)


@pytest.mark.parametrize(
    ("device", "sequence", "previous", "readings", "created"),
    [
        ("", 0, GENESIS_HASH, (), 0),
        ("d", -1, GENESIS_HASH, (), 0),
        ("d", 0, bytes(31), (), 0),
        ("d", 0, GENESIS_HASH, (), 2**64),
        ("d", 0, GENESIS_HASH, (Reading("m", 1, 1.0), Reading("m", 1, 2.0)), 0),
    ],
)
def test_bad_batches_are_refused(
    device: str, sequence: int, previous: bytes, readings: tuple[Reading, ...], created: int
) -> None:
    with pytest.raises(InvalidInputError):
        Batch(device, sequence, previous, readings, created)


@pytest.mark.parametrize(
    "readings",
    [
        (),
        (Reading("FT-101", 1, -0.0, "m3"), Reading("PT-201", 1, 0.42, None, quality=2)),
        tuple(Reading(f"FT-{i % 10:03d}", 900 * (i // 10), i / 3, "m3/h") for i in range(100)),
    ],
)
def test_columns_encode_as_the_batch_of_their_readings(readings: tuple[Reading, ...]) -> None:
    batch = Batch("gw-01", 7, bytes([3]) * 32, readings, 1_717_200_000)
    columns = BatchColumns.from_batch(batch)
    assert columns.encode() == batch.encode() and columns.hash() == batch.hash()
    assert columns.to_batch() == batch and len(columns) == len(readings)
    raw = BatchColumns("gw-01", 7, bytes([3]) * 32, 1_717_200_000, ["m"], [1], [-0.0], [None], [0])
    assert math.copysign(1.0, raw.values[0]) == 1.0  # -0.0 is kept as +0.0, as a Reading keeps it


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ((["m", "m"], [1, 1], [1.0, 2.0], [None, None], [0, 0]), "reading of m at 1 appears twice"),
        ((["m", ""], [1, 1], [1.0, 2.0], [None, None], [0, 0]), "meter ''"),
        ((["m"], [1], [math.inf], [None], [0]), "only finite values"),
        ((["m"], [-1], [1.0], [None], [0]), "outside 0"),
        ((["m"], [1], [1.0], ["a\nb"], [0]), "must be 1 to 255 bytes"),
        ((["m"], [1], [1.0], [None], [4]), "quality code 4"),
        ((["m"], [1], [1.0, 2.0], [None], [0]), "one entry per reading"),
    ],
)
def test_columns_are_refused_as_their_readings_are(columns: tuple[list[object], ...], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        BatchColumns("d", 0, GENESIS_HASH, 0, *columns)  # type: ignore[arg-type]


def test_columns_keep_the_batch_rules() -> None:
    with pytest.raises(InvalidInputError, match="version 1 cannot carry"):
        BatchColumns("d", 0, GENESIS_HASH, 0, ["m"], [1], [1.0], [None], [2], version=1)
    with pytest.raises(InvalidInputError, match="previous_hash is 32 bytes"):
        BatchColumns("d", 0, bytes(31), 0, ["m"], [1], [1.0], [None], [0])


def test_a_signature_covers_every_field() -> None:
    signature = bytes.fromhex(EXAMPLE_SIGNATURE)
    changed = [
        Batch("gw-0002", 0, GENESIS_HASH, EXAMPLE.readings, EXAMPLE.created),
        Batch("gw-0001", 1, GENESIS_HASH, EXAMPLE.readings, EXAMPLE.created),
        Batch("gw-0001", 0, b"\x01" * 32, EXAMPLE.readings, EXAMPLE.created),
        Batch("gw-0001", 0, GENESIS_HASH, EXAMPLE.readings[:2], EXAMPLE.created),
        Batch("gw-0001", 0, GENESIS_HASH, EXAMPLE.readings[::-1], EXAMPLE.created),
        Batch(
            "gw-0001",
            0,
            GENESIS_HASH,
            (Reading("FT-101", 1717200000, 1234.5000001, "m3"),) + EXAMPLE.readings[1:],
            EXAMPLE.created,
        ),
        Batch(
            "gw-0001",
            0,
            GENESIS_HASH,
            (Reading("FT-101", 1717200000, 1234.5, "m³"),) + EXAMPLE.readings[1:],
            EXAMPLE.created,
        ),
        Batch("gw-0001", 0, GENESIS_HASH, EXAMPLE.readings, EXAMPLE.created + 1),
        Batch(
            "gw-0001",
            0,
            GENESIS_HASH,
            EXAMPLE.readings[:2] + (Reading("PT-201", 1717200000, 0.42, "MPa"),),
            EXAMPLE.created,
        ),
        Batch("gw-0001", 0, GENESIS_HASH, EXAMPLE_V1.readings, EXAMPLE.created),  # quality good, version 2
    ]
    for batch in changed:
        with pytest.raises(LedgerVerificationError, match="does not verify"):
            verify_batch_signature(batch, signature, RFC8032_PUBLIC)
    with pytest.raises(LedgerVerificationError):
        verify_batch_signature(EXAMPLE, signature[:-1], RFC8032_PUBLIC)
    with pytest.raises(InvalidInputError):
        sign_batch(EXAMPLE, RFC8032_SECRET[:16])


# --------------------------------------------------------------- key history

OLD = DeviceKey(b"\x01" * 32, valid_from=1000, valid_to=2000)
NEW = DeviceKey(b"\x02" * 32, valid_from=1900)
REVOKED = DeviceKey(b"\x03" * 32, valid_from=0, revoked_at=1500)


@pytest.mark.parametrize(
    ("at", "received_at", "expected"),
    [
        (999, None, [REVOKED]),
        (1000, None, [OLD, REVOKED]),
        (1499, None, [OLD, REVOKED]),
        (1499, 1499, [OLD, REVOKED]),
        (1499, 1500, [OLD]),
        (1500, None, [OLD]),
        (1900, None, [OLD, NEW]),
        (1999, None, [OLD, NEW]),
        (2000, None, [NEW]),
    ],
)
def test_keys_valid_at_a_time(at: int, received_at: int | None, expected: list[DeviceKey]) -> None:
    assert keys_valid_at([OLD, NEW, REVOKED], at, received_at=received_at) == expected


@pytest.mark.parametrize(
    ("public_key", "valid_from", "valid_to"), [(bytes(31), 0, None), (bytes(32), 5, 5), (bytes(32), 5, 4)]
)
def test_bad_device_keys_are_refused(public_key: bytes, valid_from: int, valid_to: int | None) -> None:
    with pytest.raises(InvalidInputError):
        DeviceKey(public_key, valid_from, valid_to)


# --------------------------------------------------------------- chain classification


@pytest.fixture(scope="module")
def device() -> tuple[bytes, list[DeviceKey]]:
    private_key, public_key = generate_ed25519_key()
    return private_key, [DeviceKey(public_key, valid_from=0)]


def _chain(private_key: bytes, n: int) -> list[tuple[Batch, bytes]]:
    batches = []
    previous = GENESIS_HASH
    for sequence in range(n):
        batch = Batch(
            "gw-7", sequence, previous, (Reading("FT-1", 60 * sequence, float(sequence)),), 60 * sequence + 30
        )
        batches.append((batch, sign_batch(batch, private_key)))
        previous = batch.hash()
    return batches


def test_a_chain_is_accepted_in_order_and_logged(device: tuple[bytes, list[DeviceKey]]) -> None:
    private_key, keys = device
    head = None
    tree = MemoryTree()
    for batch, signature in _chain(private_key, 6):
        result = check_batch(batch, signature, keys, head)
        assert result.status is ChainStatus.OK and result.accepted
        assert result.key == keys[0]
        tree.append(result.batch_hash)
        head = ChainHead(batch.sequence, result.batch_hash)
    batch, _ = _chain(private_key, 6)[3]
    verify_inclusion(3, tree.size, leaf_hash(batch.hash()), tree.inclusion_proof(3), tree.root())


def test_every_status(device: tuple[bytes, list[DeviceKey]]) -> None:
    private_key, keys = device
    chain = _chain(private_key, 6)
    head = ChainHead(3, chain[3][0].hash())

    def status(batch: Batch, signature: bytes, head: ChainHead | None, **kw: bytes) -> ChainStatus:
        return check_batch(batch, signature, keys, head, **kw).status

    assert status(*chain[4], head) is ChainStatus.OK
    assert status(*chain[3], head) is ChainStatus.REPLAY
    assert status(*chain[1], head) is ChainStatus.STALE
    assert status(*chain[1], head, accepted_hash=chain[1][0].hash()) is ChainStatus.REPLAY
    assert status(*chain[1], head, accepted_hash=chain[2][0].hash()) is ChainStatus.FORK
    gap = check_batch(*chain[5], keys, head)
    assert (gap.status, gap.missing, gap.accepted) == (ChainStatus.GAP, (4, 4), False)
    assert check_batch(*chain[2], keys, None).missing == (0, 1)

    other = Batch("gw-7", 3, chain[2][0].hash(), (Reading("FT-1", 180, 99.0),), 210)
    assert status(other, sign_batch(other, private_key), head) is ChainStatus.FORK
    unlinked = Batch("gw-7", 4, bytes(32), (), 270)
    assert status(unlinked, sign_batch(unlinked, private_key), head) is ChainStatus.FORK
    bad_genesis = Batch("gw-7", 0, b"\x01" * 32, (), 30)
    assert status(bad_genesis, sign_batch(bad_genesis, private_key), None) is ChainStatus.FORK

    forged = check_batch(chain[4][0], sign_batch(chain[4][0], generate_ed25519_key()[0]), keys, head)
    assert (forged.status, forged.key) == (ChainStatus.BAD_SIGNATURE, None)
    assert "does not verify" in forged.message
    assert status(chain[4][0], chain[3][1], head) is ChainStatus.BAD_SIGNATURE


def test_the_key_must_be_valid_at_the_batch_time(device: tuple[bytes, list[DeviceKey]]) -> None:
    private_key, keys = device
    batch, signature = _chain(private_key, 1)[0]
    later = [DeviceKey(keys[0].public_key, valid_from=batch.created + 1)]
    result = check_batch(batch, signature, later, None)
    assert result.status is ChainStatus.BAD_SIGNATURE
    assert "no device key valid" in result.message
    revoked = [DeviceKey(keys[0].public_key, valid_from=0, revoked_at=batch.created + 100)]
    assert check_batch(batch, signature, revoked, None).status is ChainStatus.OK
    late = check_batch(batch, signature, revoked, None, received_at=batch.created + 100)
    assert late.status is ChainStatus.BAD_SIGNATURE


def test_a_rotated_key_signs_from_its_start(device: tuple[bytes, list[DeviceKey]]) -> None:
    old_private, keys = device
    new_private, new_public = generate_ed25519_key()
    history = [DeviceKey(keys[0].public_key, 0, valid_to=100), DeviceKey(new_public, 100)]
    before = Batch("gw-7", 0, GENESIS_HASH, (), 99)
    after = Batch("gw-7", 1, before.hash(), (), 100)
    assert check_batch(before, sign_batch(before, old_private), history, None).status is ChainStatus.OK
    head = ChainHead(0, before.hash())
    assert check_batch(after, sign_batch(after, new_private), history, head).key == history[1]
    assert (
        check_batch(after, sign_batch(after, old_private), history, head).status is ChainStatus.BAD_SIGNATURE
    )


@pytest.mark.parametrize(("sequence", "digest"), [(-1, bytes(32)), (0, bytes(31))])
def test_bad_heads_are_refused(sequence: int, digest: bytes) -> None:
    with pytest.raises(InvalidInputError):
        ChainHead(sequence, digest)


def test_the_label_opens_every_encoding() -> None:
    assert EXAMPLE.encode().startswith(BATCH_LABELS[2]) and EXAMPLE_V1.encode().startswith(BATCH_LABELS[1])
    assert {len(label) for label in BATCH_LABELS.values()} == {18}
