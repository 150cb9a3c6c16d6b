"""Helpers of the ledger-node tests: a device that signs batches, and a node holding the steel works."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from shuixiao.ingest import Pipeline
from shuixiao.ledger import GENESIS_HASH, Batch, Reading, generate_ed25519_key, sign_batch
from shuixiao.notary import SignedBatchResult, batch_to_json, ingest_signed_batches
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore

T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
E = "xg-steel"
METERS = ("FT-101", "PT-201")


def readings(i: int) -> tuple[Reading, ...]:
    """Readings of interval ``i``: the intake totaliser (m3) and a pressure (MPa), every 15 minutes."""
    return (
        Reading("FT-101", T0 + 900 * i, 18_000.0 + 12.5 * i, "m3"),
        Reading("PT-201", T0 + 900 * i, 0.40 + 0.01 * (i % 3), "MPa"),
    )


@dataclasses.dataclass
class Device:
    """A meter gateway with an Ed25519 key that numbers, links and signs its batches."""

    name: str
    private_key: bytes
    public_key: bytes
    sequence: int = 0
    previous: bytes = GENESIS_HASH

    @classmethod
    def new(cls, name: str = "gw-01") -> Device:
        private_key, public_key = generate_ed25519_key()
        return cls(name, private_key, public_key)

    def batch(self, items: Sequence[Reading], *, created: int | None = None) -> Batch:
        """The next batch of the chain (the chain advances)."""
        created = created if created is not None else max(r.ts for r in items) + 60
        batch = Batch(self.name, self.sequence, self.previous, tuple(items), created)
        self.sequence += 1
        self.previous = batch.hash()
        return batch

    def payload(self, batch: Batch, private_key: bytes | None = None) -> dict[str, Any]:
        """The JSON transport form of ``batch`` signed by this device (or by ``private_key``)."""
        return batch_to_json(batch, sign_batch(batch, private_key or self.private_key))

    def next(self, i: int) -> dict[str, Any]:
        """The signed payload of the next batch, holding the readings of interval ``i``."""
        return self.payload(self.batch(readings(i)))


class Node:
    """A store holding the steel works, with a pipeline whose clock is 60 days after T0."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.ledger = LedgerStore(store)
        self.pipeline = Pipeline(store, clock=lambda: T0 + 60 * 86_400)

    def register(self, device: Device, meters: Sequence[str] = METERS, valid_from: int = T0 - 86_400) -> None:
        import datetime as dt

        self.ledger.add_device_key(
            E, device.name, device.public_key, dt.datetime.fromtimestamp(valid_from, dt.UTC)
        )
        self.ledger.set_meters(E, list(meters), device=device.name)

    def ingest(
        self, *payloads: Any, received_at: int = T0 + 86_400, enterprise: str = E
    ) -> list[SignedBatchResult]:
        return ingest_signed_batches(
            self.store, self.pipeline, enterprise, list(payloads), received_at=received_at
        )


class LogNode:
    """A node with a log key that publishes its log to a directory."""

    def __init__(
        self, node: Node, device: Device, data_dir: Any, directory: Any, origin: str = "ledger.example.org/xt"
    ) -> None:
        from shuixiao.notary import log_signer

        self.node = node
        self.device = device
        self.signer = log_signer(data_dir, origin)
        self.directory = directory
        self.interval = 0

    @property
    def vkey(self) -> Any:
        return self.signer.verifier_key

    def grow(self, batches: int) -> Any:
        """Ingest ``batches`` more batches, sign a checkpoint and publish; return the checkpoint."""
        from shuixiao.notary import publish_checkpoint, write_log

        payloads = []
        for _ in range(batches):
            payloads.append(self.device.next(self.interval))
            self.interval += 1
        if payloads:
            self.node.ingest(*payloads)
        checkpoint = publish_checkpoint(self.node.store, self.signer)
        write_log(self.node.store, self.directory, checkpoint)
        return checkpoint
