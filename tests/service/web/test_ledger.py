"""The notarisation panel, from the ledger tables written by the ledger node's own functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shuixiao.ingest import Pipeline
from shuixiao.ledger import GENESIS_HASH, Batch, Reading, generate_ed25519_key, sign_batch
from shuixiao.model import Enterprise, Park, Region
from shuixiao.notary import batch_to_json, ingest_signed_batches, log_signer, publish_checkpoint
from shuixiao.service.web._i18n import Translator
from shuixiao.service.web._ledger import notarisation
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, StoredCosignature

pytestmark = pytest.mark.integration

T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
ZONE = ZoneInfo("Asia/Shanghai")


def test_not_notarised_until_a_signed_batch_is_logged(
    store: Store,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
    tmp_path: Path,
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    t = Translator("zh")
    assert notarisation(store, "xg-steel", t, ZONE).notarised is False

    private_key, public_key = generate_ed25519_key()
    ledger = LedgerStore(store)
    ledger.add_device_key("xg-steel", "gw-01", public_key, dt.datetime.fromtimestamp(T0 - 86_400, dt.UTC))
    ledger.set_meters("xg-steel", ["FT-101"], device="gw-01")
    assert notarisation(store, "xg-steel", t, ZONE).notarised is False  # a key alone notarises nothing

    batch = Batch("gw-01", 0, GENESIS_HASH, (Reading("FT-101", T0, 18_000.0, "m3"),), T0 + 60)
    pipeline = Pipeline(store, clock=lambda: T0 + 86_400)
    results = ingest_signed_batches(
        store,
        pipeline,
        "xg-steel",
        [batch_to_json(batch, sign_batch(batch, private_key))],
        received_at=T0 + 120,
    )
    assert [r.status.value for r in results] == ["accepted"]
    logged = notarisation(store, "xg-steel", t, ZONE)
    assert logged.notarised and logged.root == "–" and logged.entries == "1 台设备，1 个计量器具"

    checkpoint = publish_checkpoint(
        store, log_signer(tmp_path, "ledger.example.org/yy"), now=dt.datetime(2024, 6, 1, 4, tzinfo=dt.UTC)
    )
    ledger.add_cosignatures(
        checkpoint.id, [StoredCosignature("witness.park.example", 7, T0 + 600, bytes(72))]
    )
    shown = notarisation(store, "xg-steel", Translator("en"), ZONE)
    assert shown.notarised and shown.size == checkpoint.size == 1
    assert shown.root == checkpoint.root.hex() and shown.origin == "ledger.example.org/yy"
    assert shown.time == "2024-06-01 12:00"
    assert shown.witnesses == ["witness.park.example · 2024-06-01 00:10"]
    assert shown.entries == "1 devices, 1 meters"
    # Another enterprise of the same store is not notarised by this one's batches.
    other = make_enterprise("xg-other", credit_code=make_enterprise().credit_code)
    store.save_enterprise(other)
    assert notarisation(store, "xg-other", t, ZONE).notarised is False
