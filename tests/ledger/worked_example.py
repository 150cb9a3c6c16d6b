"""The worked example of docs/ledger.md and docs/ledger-bundle.md: a device key and three batches.

The batches are in encoding version 1, as signed before version 2 existed: they stay verifiable.
"""

import hashlib

from shuixiao.ledger import GENESIS_HASH, Batch, Reading

DEVICE_KEY = bytes.fromhex(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
)  # RFC 8032 TEST 1


def seed(phrase: str) -> bytes:
    return hashlib.sha256(phrase.encode()).digest()


def example_batches() -> list[Batch]:
    first = Batch(
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
    second = Batch(
        "gw-0001",
        1,
        first.hash(),
        (Reading("FT-101", 1717201800, 1238.0, "m3"), Reading("PT-201", 1717201800, 0.41, "MPa")),
        created=1717201860,
        version=1,
    )
    third = Batch(
        "gw-0001",
        2,
        second.hash(),
        (Reading("FT-101", 1717202700, 1239.75, "m3"),),
        created=1717202760,
        version=1,
    )
    return [first, second, third]
