"""Device-signed batches of meter readings: canonical encoding, hash, signature, chain checks.

A meter (or its gateway) groups readings into *batches*, numbers them
0, 1, 2, … per device, links each to the hash of the one before, and signs
it with its Ed25519 device key. The batch hash is the leaf data of the log,
so a batch in a checkpointed tree can no longer change unnoticed.

Canonical encoding
------------------
A fixed binary layout, in the notation of RFC 8446 §3 (all integers unsigned
and big-endian; ``opaque x<a..b>`` is a byte string preceded by its length in
one byte, as every maximum here is 255). Version 2, written by default::

    struct {
        opaque  label[18] = "shuixiao/batch/v2\\n";
        opaque  device<1..255>;        /* UTF-8 device identifier        */
        uint64  sequence;              /* 0 for a device's first batch   */
        opaque  previous_hash[32];     /* batch hash of sequence - 1;
                                          32 zero bytes for sequence 0   */
        uint64  created;               /* s since 1970-01-01T00:00:00Z   */
        uint32  count;                 /* number of readings (not bytes) */
        Reading readings[count];
    } Batch;

    struct {
        opaque  meter<1..255>;         /* UTF-8 meter identifier         */
        uint64  ts;                    /* s since epoch, UTC             */
        uint64  value;                 /* IEEE 754 binary64 bit pattern  */
        uint8   quality;               /* 0 good, 1 estimated, 2 suspect,
                                          3 bad (shuixiao.model.Quality) */
        opaque  unit<0..255>;          /* UTF-8 unit; empty = not given  */
    } Reading;

Version 1 (label ``"shuixiao/batch/v1\\n"``) is the same without the
``quality`` byte; it carries only readings of quality good. Batches signed in
version 1 stay verifiable: :meth:`Batch.decode` reads both and
:meth:`Batch.encode` writes a batch in the version it was made in.

Identifiers and units hold no control characters and are compared byte for
byte. Values are finite; ``-0.0`` is stored as ``+0.0``; a quality is one of
the four codes. Readings keep the
order the device gave them, and a (meter, ts) pair appears once.

* **batch hash** = ``SHA-256(encoding)``; it is the data of the batch's leaf
  in the log (leaf hash ``SHA-256(0x00 || batch hash)``).
* **signature** = Ed25519 (RFC 8032) over the encoding, by the device key.

Why binary rather than canonical JSON (RFC 8785): the encoding is what gets
hashed and signed, so it must be reproducible byte for byte by anyone. A
fixed layout needs only length prefixes and big-endian integers, which every
language and most meter firmware have; canonical JSON needs the ECMAScript
number-to-text algorithm and string escaping rules, and floats round-trip
through text only if every implementation gets them exactly right. Storing
the IEEE 754 bit pattern makes the value exact. JSON remains fine as a
transport format; verifiers re-encode.

Chain classification
--------------------
:func:`check_batch` places a new batch against the device's last accepted
batch (:class:`ChainHead`): see :class:`ChainStatus`.

Key history
-----------
A device has a list of :class:`DeviceKey` records. The key that signs a
batch must be *valid at the batch's time*, ``created``:
``valid_from <= created`` and (``valid_to`` is None or ``created <
valid_to``) and (``revoked_at`` is None or ``created < revoked_at``).
Rotation is a new record whose ``valid_from`` is the old one's ``valid_to``
(or earlier, for an overlap during which both keys are accepted).
Revocation marks a key as compromised from ``revoked_at`` on: batches that
claim a later time are refused. A thief can back-date ``created``, so when
the receiving side passes ``received_at``, a revoked key is also refused for
any batch *received* at or after ``revoked_at``; batches already in a
witnessed checkpoint before the revocation stay trusted through their
inclusion proofs.

References
----------
.. [1] E. Rescorla, "The Transport Layer Security (TLS) Protocol Version
   1.3", RFC 8446, §3 (presentation language), Aug. 2018. :doi:`10.17487/RFC8446`
.. [2] RFC 8032 (Ed25519). :doi:`10.17487/RFC8032`
.. [3] IEEE 754-2019, binary64. :doi:`10.1109/IEEESTD.2019.8766229`
"""

from __future__ import annotations

import enum
import functools
import hashlib
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import _ed25519

__all__ = [
    "BATCH_LABELS",
    "BATCH_VERSION",
    "GENESIS_HASH",
    "Batch",
    "BatchColumns",
    "ChainCheck",
    "ChainHead",
    "ChainStatus",
    "DeviceKey",
    "Reading",
    "check_batch",
    "keys_valid_at",
    "sign_batch",
    "verify_batch_signature",
]

BATCH_VERSION = 2
"""The encoding version :class:`Batch` writes unless told otherwise."""

BATCH_LABELS = {1: b"shuixiao/batch/v1\n", 2: b"shuixiao/batch/v2\n"}
"""The first 18 bytes of a batch encoding by version (domain separation and version)."""

_VERSIONS = {label: version for version, label in BATCH_LABELS.items()}
_LABEL_SIZE = 18
_QUALITIES = range(4)  # the codes of shuixiao.model.Quality: good, estimated, suspect, bad

GENESIS_HASH = bytes(32)
"""The ``previous_hash`` of a device's first batch (sequence 0): 32 zero bytes."""

_U64 = 2**64
_HEADER = struct.Struct(">Q32sQI")
_READING = {  # big-endian binary64 is the IEEE 754 bit pattern as a uint64
    1: struct.Struct(">Qd"),
    2: struct.Struct(">QdB"),  # then the quality code
}


_CONTROL = re.compile(rb"[\x00-\x1f]")
_set = object.__setattr__  # frozen dataclasses normalise their fields in __post_init__


@functools.lru_cache(maxsize=65_536)
def _identifier(value: str, what: str, *, empty: bool = False) -> bytes:
    """Return the UTF-8 of an identifier or unit, checked (cached: a fleet repeats a few thousand ids)."""
    raw = value.encode("utf-8")
    if not (0 if empty else 1) <= len(raw) <= 255 or _CONTROL.search(raw):
        raise InvalidInputError(
            f"{what} {value!r} must be 1 to 255 bytes of UTF-8 without control characters"
        )
    return raw


@functools.lru_cache(maxsize=65_536)
def _prefixed(value: str | None) -> bytes:
    """Return ``opaque x<0..255>`` of an identifier or unit: its length in one byte, then its UTF-8."""
    raw = b"" if value is None else value.encode("utf-8")
    return bytes([len(raw)]) + raw


def _uint64(value: int, what: str) -> int:
    if not 0 <= value < _U64:
        raise InvalidInputError(f"{what} {value} is outside 0..2**64 - 1")
    return value


@dataclass(frozen=True, slots=True)
class Reading:
    """One meter reading in a batch.

    Parameters
    ----------
    meter : str
        Meter identifier, 1–255 bytes of UTF-8.
    ts : int
        Time of the reading. [s since epoch, UTC]
    value : float
        The reading, finite; ``-0.0`` becomes ``0.0``. [unit]
    unit : str or None, default None
        Unit of ``value`` as the meter reports it, e.g. ``"m3"``.
    quality : int, default 0
        Quality code of :class:`shuixiao.model.Quality`: 0 good, 1 estimated,
        2 suspect, 3 bad.

    Raises
    ------
    InvalidInputError
        If a field is out of range or ``value`` is not finite.
    """

    meter: str
    ts: int
    value: float
    unit: str | None = None
    quality: int = 0

    def __post_init__(self) -> None:
        _identifier(self.meter, "meter")
        if not 0 <= self.ts < _U64:
            _uint64(self.ts, "reading time")  # raises
        value = float(self.value)
        if not math.isfinite(value):
            raise InvalidInputError(
                f"reading of {self.meter} at {self.ts} is {value}; only finite values are signed"
            )
        _set(self, "value", value + 0.0)  # -0.0 + 0.0 == +0.0
        if self.unit is not None:
            _identifier(self.unit, "unit")
        if self.quality not in _QUALITIES:
            raise InvalidInputError(
                f"reading of {self.meter} at {self.ts} has quality code {self.quality!r}; "
                "use 0 (good), 1 (estimated), 2 (suspect) or 3 (bad)"
            )
        _set(self, "quality", int(self.quality))  # a shuixiao.model.Quality becomes its code


@dataclass(frozen=True)
class Batch:
    """A device's batch of readings, the unit that is signed and logged.

    Parameters
    ----------
    device : str
        Device identifier, 1–255 bytes of UTF-8.
    sequence : int
        0 for the device's first batch, then 1, 2, …
    previous_hash : bytes
        :meth:`hash` of the batch with ``sequence - 1``;
        :data:`GENESIS_HASH` for sequence 0. [32 bytes]
    readings : tuple of Reading
        The readings, in the device's order; no (meter, ts) twice.
    created : int
        When the device closed the batch. [s since epoch, UTC]
    version : int, default BATCH_VERSION
        Encoding version (a key of :data:`BATCH_LABELS`); version 1 carries
        readings of quality good only.

    Raises
    ------
    InvalidInputError
        If a field is out of range, the version is unknown, or a version 1
        batch holds a reading that is not good.

    Examples
    --------
    >>> batch = Batch("gw-01", 0, GENESIS_HASH, (Reading("FT-101", 1717200000, 12.5, "m3"),), 1717200060)
    >>> len(batch.encode()), batch.hash().hex()[:16]
    (103, '68e3f2bcb8a9dea9')
    >>> Batch.decode(batch.encode()) == batch
    True
    """

    device: str
    sequence: int
    previous_hash: bytes
    readings: tuple[Reading, ...]
    created: int
    version: int = BATCH_VERSION

    def __post_init__(self) -> None:
        if self.version not in BATCH_LABELS:
            raise InvalidInputError(
                f"batch encoding version {self.version!r} is unknown; use one of {sorted(BATCH_LABELS)}"
            )
        _identifier(self.device, "device")
        _uint64(self.sequence, "sequence")
        _uint64(self.created, "created")
        if len(self.previous_hash) != 32:
            raise InvalidInputError(f"previous_hash is 32 bytes, got {len(self.previous_hash)}")
        readings = tuple(self.readings)
        seen = set()
        for r in readings:
            if (r.meter, r.ts) in seen:
                raise InvalidInputError(
                    f"reading of {r.meter} at {r.ts} appears twice in batch {self.sequence}"
                )
            seen.add((r.meter, r.ts))
            if r.quality and self.version == 1:
                raise InvalidInputError(
                    f"reading of {r.meter} at {r.ts} has quality {r.quality}, which encoding version 1 "
                    "cannot carry; sign the batch in version 2"
                )
        object.__setattr__(self, "previous_hash", bytes(self.previous_hash))
        object.__setattr__(self, "readings", readings)

    def encode(self) -> bytes:
        """Return the canonical encoding (see the module documentation)."""
        return _encode(
            self.version,
            self.device,
            self.sequence,
            self.previous_hash,
            self.created,
            *_columns(self.readings),
        )

    def hash(self) -> bytes:
        """Return the batch hash, ``SHA-256(encode())``: the leaf data of the log. [32 bytes]"""
        return hashlib.sha256(self.encode()).digest()

    @classmethod
    def decode(cls, data: bytes) -> Batch:
        """Parse a canonical encoding; the inverse of :meth:`encode`.

        Raises
        ------
        LedgerVerificationError
            If ``data`` is not exactly a canonical batch encoding (wrong
            label, truncated, trailing bytes, invalid UTF-8, a value that is
            not finite or is ``-0.0``, an unknown quality code, a repeated
            reading).
        """
        reader = _Reader(bytes(data))
        try:
            version = _VERSIONS.get(reader.take(_LABEL_SIZE))
            if version is None:
                raise LedgerVerificationError(
                    "not a batch encoding: the label is none of " + ", ".join(map(repr, _VERSIONS))
                )
            device = reader.text()
            sequence, previous, created, count = _HEADER.unpack(reader.take(_HEADER.size))
            record = _READING[version]
            readings = []
            for _ in range(count):
                meter = reader.text()
                ts, value, *quality = record.unpack(reader.take(record.size))
                unit = reader.text()
                readings.append(Reading(meter, ts, value, unit or None, *quality))
            if not reader.at_end():
                raise LedgerVerificationError("malformed batch encoding: trailing bytes")
            batch = cls(device, sequence, previous, tuple(readings), created, version)
        except (InvalidInputError, UnicodeDecodeError) as err:
            raise LedgerVerificationError(f"malformed batch encoding: {err}") from None
        if batch.encode() != reader.data:
            raise LedgerVerificationError("malformed batch encoding: not canonical")
        return batch


def _columns(
    readings: Sequence[Reading],
) -> tuple[list[str], list[int], list[float], list[str | None], list[int]]:
    """Meters, times, values, units and quality flags of ``readings``, a list each."""
    return (
        [r.meter for r in readings],
        [r.ts for r in readings],
        [r.value for r in readings],
        [r.unit for r in readings],
        [r.quality for r in readings],
    )


def _encode(
    version: int,
    device: str,
    sequence: int,
    previous_hash: bytes,
    created: int,
    meters: Sequence[str],
    ts: Sequence[int],
    values: Sequence[float],
    units: Sequence[str | None],
    qualities: Sequence[int],
) -> bytes:
    """The canonical encoding of a batch given as columns (checked by the caller)."""
    raw = device.encode("utf-8")
    parts = [
        BATCH_LABELS[version],
        bytes([len(raw)]),
        raw,
        _HEADER.pack(sequence, previous_hash, created, len(meters)),
    ]
    pack = _READING[version].pack
    prefixed = _prefixed
    if version == 1:
        fields = zip(map(prefixed, meters), map(pack, ts, values), map(prefixed, units), strict=True)
    else:
        fields = zip(
            map(prefixed, meters), map(pack, ts, values, qualities), map(prefixed, units), strict=True
        )
    return b"".join(chain(parts, chain.from_iterable(fields)))


@dataclass(frozen=True)
class BatchColumns:
    """A device's batch held column by column: a :class:`Batch` without a :class:`Reading` per reading.

    What notarised ingestion checks and commits: it encodes to the same bytes
    as the :class:`Batch` of the same readings (:meth:`to_batch`), and is
    checked the same way, a column at a time.

    Parameters
    ----------
    device : str
    sequence : int
    previous_hash : bytes
        [32 bytes]
    created : int
        [s since epoch, UTC]
    meters : sequence of str
        The meter of each reading, in the device's order.
    ts : sequence of int
        Their times. [s since epoch, UTC]
    values : sequence of float
        Their values, finite; ``-0.0`` becomes ``0.0``. [unit]
    units : sequence of str or None
        Their units.
    qualities : sequence of int
        Their quality codes (0 good, 1 estimated, 2 suspect, 3 bad).
    version : int, default BATCH_VERSION

    Raises
    ------
    InvalidInputError
        For what :class:`Batch` and :class:`Reading` refuse; the message names the first reading at fault.

    Examples
    --------
    >>> batch = Batch("gw-01", 0, GENESIS_HASH, (Reading("FT-101", 1717200000, 12.5, "m3"),), 1717200060)
    >>> columns = BatchColumns.from_batch(batch)
    >>> columns.encode() == batch.encode(), columns.to_batch() == batch, len(columns)
    (True, True, 1)
    """

    device: str
    sequence: int
    previous_hash: bytes
    created: int
    meters: Sequence[str]
    ts: Sequence[int]
    values: Sequence[float]
    units: Sequence[str | None]
    qualities: Sequence[int]
    version: int = BATCH_VERSION

    def __post_init__(self) -> None:
        count = len(self.meters)
        if not len(self.ts) == len(self.values) == len(self.units) == len(self.qualities) == count:
            raise InvalidInputError("the columns of a batch have one entry per reading each")
        if not (
            all(map(_ok_identifier, set(self.meters)))
            and all(u is None or _ok_identifier(u) for u in set(self.units))
            and (not count or (0 <= min(self.ts) and max(self.ts) < _U64))
            and all(map(math.isfinite, self.values))
            and set(self.qualities) <= set(_QUALITIES if self.version > 1 else (0,))
            and len(set(zip(self.meters, self.ts, strict=True))) == count
        ):
            self.to_batch()  # raises, naming the reading at fault
        _set(self, "values", [v + 0.0 for v in self.values])  # -0.0 + 0.0 == +0.0
        Batch(self.device, self.sequence, self.previous_hash, (), self.created, self.version)  # the header
        _set(self, "previous_hash", bytes(self.previous_hash))

    def __len__(self) -> int:
        return len(self.meters)

    @classmethod
    def from_batch(cls, batch: Batch) -> BatchColumns:
        """Return the columns of ``batch``."""
        return cls(
            batch.device,
            batch.sequence,
            batch.previous_hash,
            batch.created,
            *_columns(batch.readings),
            batch.version,
        )

    def to_batch(self) -> Batch:
        """Return the :class:`Batch` of these readings (a :class:`Reading` each)."""
        readings = tuple(map(Reading, self.meters, self.ts, self.values, self.units, self.qualities))
        return Batch(self.device, self.sequence, self.previous_hash, readings, self.created, self.version)

    def encode(self) -> bytes:
        """Return the canonical encoding, the same as :meth:`Batch.encode` of :meth:`to_batch`."""
        return _encode(
            self.version,
            self.device,
            self.sequence,
            self.previous_hash,
            self.created,
            self.meters,
            self.ts,
            self.values,
            self.units,
            self.qualities,
        )

    def hash(self) -> bytes:
        """Return the batch hash, ``SHA-256(encode())``. [32 bytes]"""
        return hashlib.sha256(self.encode()).digest()


def _ok_identifier(value: object) -> bool:
    """Whether ``value`` is an identifier :class:`Reading` accepts."""
    if type(value) is not str:  # noqa: E721
        return False
    try:
        _identifier(value, "identifier")
    except InvalidInputError:
        return False
    return True


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.position : self.position + n]
        if len(chunk) != n:
            raise LedgerVerificationError("malformed batch encoding: truncated")
        self.position += n
        return chunk

    def text(self) -> str:
        return self.take(self.take(1)[0]).decode("utf-8")

    def at_end(self) -> bool:
        return self.position == len(self.data)


def sign_batch(batch: Batch, private_key: bytes) -> bytes:
    """Return the device's Ed25519 signature of the batch encoding. [64 bytes]

    Raises
    ------
    InvalidInputError
        If ``private_key`` is not a 32-byte Ed25519 seed.
    """
    return _ed25519.sign(private_key, batch.encode())


def verify_batch_signature(batch: Batch | bytes, signature: bytes, public_key: bytes) -> None:
    """Verify a device signature of ``batch``.

    Parameters
    ----------
    batch : Batch or bytes
        The batch, or its canonical encoding as stored (saves encoding it again).
    signature : bytes
        The device signature. [64 bytes]
    public_key : bytes
        The device key. [32 bytes]

    Raises
    ------
    LedgerVerificationError
        If the signature is not a valid Ed25519 signature of the batch
        encoding by ``public_key``.
    """
    message = batch if isinstance(batch, bytes | bytearray) else batch.encode()
    if not _ed25519.verify(public_key, bytes(message), signature):
        what = (
            "the batch encoding"
            if isinstance(batch, bytes | bytearray)
            else f"batch {batch.sequence} of {batch.device}"
        )
        raise LedgerVerificationError(f"signature of {what} does not verify with the given key")


@dataclass(frozen=True)
class DeviceKey:
    """One entry of a device's key history.

    Parameters
    ----------
    public_key : bytes
        The device's Ed25519 public key. [32 bytes]
    valid_from : int
        First time the key may sign. [s since epoch, UTC]
    valid_to : int or None, default None
        End of validity, exclusive (the next key's ``valid_from`` on a
        rotation); ``None`` while current. [s since epoch, UTC]
    revoked_at : int or None, default None
        Time from which the key is considered compromised. [s since epoch, UTC]

    Raises
    ------
    InvalidInputError
        If the key is not 32 bytes or ``valid_to <= valid_from``.
    """

    public_key: bytes
    valid_from: int
    valid_to: int | None = None
    revoked_at: int | None = None

    def __post_init__(self) -> None:
        if len(self.public_key) != _ed25519.KEY_SIZE:
            raise InvalidInputError(f"a device key is a {_ed25519.KEY_SIZE}-byte Ed25519 public key")
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise InvalidInputError(f"key validity [{self.valid_from}, {self.valid_to}) is empty")
        object.__setattr__(self, "public_key", bytes(self.public_key))

    def valid_at(self, at: int, *, received_at: int | None = None) -> bool:
        """Return whether the key may have signed a batch created at ``at`` (and received at ``received_at``)."""
        if at < self.valid_from or (self.valid_to is not None and at >= self.valid_to):
            return False
        if self.revoked_at is None:
            return True
        return at < self.revoked_at and (received_at is None or received_at < self.revoked_at)


def keys_valid_at(
    history: Sequence[DeviceKey], at: int, *, received_at: int | None = None
) -> list[DeviceKey]:
    """Return the keys of ``history`` valid at time ``at``, in history order (see the module notes).

    Examples
    --------
    >>> old, new = DeviceKey(bytes(32), 0, valid_to=100), DeviceKey(bytes([1]) * 32, 100)
    >>> [k.valid_from for k in keys_valid_at([old, new], 99)], [k.valid_from for k in keys_valid_at([old, new], 100)]
    ([0], [100])
    """
    return [k for k in history if k.valid_at(at, received_at=received_at)]


@dataclass(frozen=True)
class ChainHead:
    """A device's last accepted batch: its sequence and hash.

    Parameters
    ----------
    sequence : int
        Sequence number of the last accepted batch.
    hash : bytes
        Its batch hash. [32 bytes]
    """

    sequence: int
    hash: bytes

    def __post_init__(self) -> None:
        _uint64(self.sequence, "head sequence")
        if len(self.hash) != 32:
            raise InvalidInputError(f"a batch hash is 32 bytes, got {len(self.hash)}")
        object.__setattr__(self, "hash", bytes(self.hash))


class ChainStatus(enum.Enum):
    """Where a new batch stands against the device's chain.

    * ``OK``: the next batch (sequence + 1, linked to the head's hash; or the
      first batch, sequence 0 linked to :data:`GENESIS_HASH`) — accept it.
    * ``REPLAY``: identical to a batch already accepted — drop it, nothing to do.
    * ``GAP``: later than the next one; batches ``missing`` are not here yet.
    * ``FORK``: a second, different batch for a sequence already taken, or a
      next batch not linked to the head's hash — the device or its data was
      tampered with, or it was reset: raise an alarm.
    * ``STALE``: older than the head and no accepted hash for its sequence was
      given, so replay and fork cannot be told apart.
    * ``BAD_SIGNATURE``: no key valid at the batch's time signed it — refuse it.
    """

    OK = "ok"
    REPLAY = "replay"
    GAP = "gap"
    FORK = "fork"
    STALE = "stale"
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`check_batch`.

    Parameters
    ----------
    status : ChainStatus
        The classification.
    batch_hash : bytes
        Hash of the checked batch (the log leaf data, when accepted).
    message : str
        What was found, for logs and alarms.
    missing : tuple of (int, int) or None
        For ``GAP``, the first and last missing sequence numbers.
    key : DeviceKey or None
        The key whose signature verified (None for ``BAD_SIGNATURE``).
    """

    status: ChainStatus
    batch_hash: bytes
    message: str
    missing: tuple[int, int] | None = field(default=None)
    key: DeviceKey | None = field(default=None)

    @property
    def accepted(self) -> bool:
        """True only for ``OK``: the batch extends the chain and goes into the log."""
        return self.status is ChainStatus.OK


def check_batch(
    batch: Batch | BatchColumns,
    signature: bytes,
    keys: Sequence[DeviceKey],
    head: ChainHead | None,
    *,
    accepted_hash: bytes | None = None,
    received_at: int | None = None,
    encoding: bytes | None = None,
) -> ChainCheck:
    """Classify a new signed batch against the device's chain.

    The signature is checked first, with every key valid at ``batch.created``
    (:func:`keys_valid_at`); then the sequence and the link.

    Parameters
    ----------
    batch : Batch or BatchColumns
        The new batch.
    signature : bytes
        Its device signature. [64 bytes]
    keys : sequence of DeviceKey
        The device's key history.
    head : ChainHead or None
        The device's last accepted batch; ``None`` if none was accepted yet.
    accepted_hash : bytes, optional
        For a batch older than ``head``: the hash accepted earlier for
        ``batch.sequence``, if the caller has it (else ``STALE``).
    received_at : int, optional
        When the batch arrived [s since epoch, UTC]; refuses keys revoked
        before then (see the module notes).
    encoding : bytes, optional
        ``batch.encode()``, when the caller has it already (it is not encoded again).

    Returns
    -------
    ChainCheck

    Examples
    --------
    >>> from shuixiao.ledger import generate_ed25519_key
    >>> private_key, public_key = generate_ed25519_key()
    >>> keys = [DeviceKey(public_key, valid_from=0)]
    >>> first = Batch("gw-01", 0, GENESIS_HASH, (), created=60)
    >>> check_batch(first, sign_batch(first, private_key), keys, None).status
    <ChainStatus.OK: 'ok'>
    >>> head = ChainHead(0, first.hash())
    >>> check_batch(first, sign_batch(first, private_key), keys, head).status
    <ChainStatus.REPLAY: 'replay'>
    >>> third = Batch("gw-01", 2, bytes(32), (), created=180)
    >>> check_batch(third, sign_batch(third, private_key), keys, head).missing
    (1, 1)
    """
    message = batch.encode() if encoding is None else bytes(encoding)
    digest = hashlib.sha256(message).digest()
    name = f"batch {batch.sequence} of {batch.device}"
    valid = keys_valid_at(keys, batch.created, received_at=received_at)
    key = next((k for k in valid if _ed25519.verify(k.public_key, message, signature)), None)
    if key is None:
        why = "does not verify with any key" if valid else "has no device key valid at its time"
        return ChainCheck(ChainStatus.BAD_SIGNATURE, digest, f"{name} {why} (created {batch.created})")
    next_sequence = 0 if head is None else head.sequence + 1
    link = GENESIS_HASH if head is None else head.hash
    if batch.sequence == next_sequence:
        if batch.previous_hash == link:
            return ChainCheck(ChainStatus.OK, digest, f"{name} extends the chain", key=key)
        return ChainCheck(
            ChainStatus.FORK, digest, f"{name} does not link to the accepted batch before it", key=key
        )
    if batch.sequence > next_sequence:
        missing = (next_sequence, batch.sequence - 1)
        return ChainCheck(
            ChainStatus.GAP, digest, f"{name} arrived before batches {missing[0]}..{missing[1]}", missing, key
        )
    assert head is not None  # sequence < next_sequence is impossible without a head
    known = head.hash if batch.sequence == head.sequence else accepted_hash
    if known is None:
        return ChainCheck(
            ChainStatus.STALE, digest, f"{name} is older than the head ({head.sequence})", key=key
        )
    if digest == bytes(known):
        return ChainCheck(ChainStatus.REPLAY, digest, f"{name} was already accepted", key=key)
    return ChainCheck(
        ChainStatus.FORK, digest, f"{name} differs from the batch accepted for its sequence", key=key
    )
