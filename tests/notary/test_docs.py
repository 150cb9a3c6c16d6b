"""docs/ledger-bundle.md: its example bundle is what the code makes today, and it verifies with the doc's keys.

The example is built from the worked example of docs/ledger.md (the three batches of ``gw-0001``,
signed with the RFC 8032 TEST 1 key), logged, published under the example log key and cosigned by
the enterprise and park example witnesses at the times the docs show.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuixiao.ledger import (
    SIGNATURE_TYPE_COSIGNATURE,
    NoteSigner,
    ed25519_public_key,
    sign_batch,
)
from shuixiao.model import Enterprise, Park, Region
from shuixiao.notary import (
    Witness,
    batch_to_json,
    check_bundle,
    collect_cosignatures,
    make_bundle,
    open_source,
    publish_checkpoint,
    write_log,
)
from shuixiao.storage import Store
from tests.ledger.worked_example import DEVICE_KEY, example_batches, seed

from ._helpers import Node

pytestmark = pytest.mark.integration

PAGE = (Path(__file__).parents[2] / "docs" / "ledger-bundle.md").read_text(encoding="utf-8")


LOG = NoteSigner("ledger.example.org/xiangtan-jiuhua", seed("example log key"))
WITNESSES = [
    NoteSigner(f"witness.example.org/{who}", seed(f"example witness key {who}"), SIGNATURE_TYPE_COSIGNATURE)
    for who in ("enterprise", "park", "regulator")
]


def example_bundle(store: Store, tmp_path: Path) -> dict[str, Any]:
    """Log the worked example, publish it, have two witnesses cosign, and prove PT-201 at 1717201800."""
    node = Node(store)
    start = dt.datetime.fromtimestamp(1717113600, dt.UTC)
    node.ledger.add_device_key("xg-steel", "gw-0001", ed25519_public_key(DEVICE_KEY), start)
    node.ledger.set_meters("xg-steel", ["FT-101", "PT-201"], device="gw-0001")
    node.ingest(
        *(batch_to_json(b, sign_batch(b, DEVICE_KEY)) for b in example_batches()), received_at=1717202800
    )
    publish_checkpoint(store, LOG)
    write_log(store, tmp_path / "log")
    outputs = []
    for offset, witness in enumerate(WITNESSES[:2]):
        witness_store = Store.open(f"sqlite:///{tmp_path}/w{offset}/shuixiao.db")
        witness_store.upgrade()
        Witness(
            witness_store,
            witness,
            LOG.verifier_key,
            open_source(str(tmp_path / "log")),
            output=tmp_path / f"out{offset}",
            clock=lambda offset=offset: 1717203000 + offset,  # type: ignore[misc]
        ).run_once()
        witness_store.close()
        outputs.append(open_source(str(tmp_path / f"out{offset}")))
    collect_cosignatures(store, outputs, [w.verifier_key for w in WITNESSES], LOG.verifier_key)
    return make_bundle(store, "xg-steel", "PT-201", dt.datetime.fromtimestamp(1717201800, dt.UTC))


def _documented() -> dict[str, Any]:
    found = re.search(r"## A complete example\n.*?```json\n(.*?)```", PAGE, re.S)
    assert found is not None
    document: dict[str, Any] = json.loads(found.group(1))
    return document


def test_the_example_bundle_is_current(
    store: Store,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
    tmp_path: Path,
) -> None:
    store.save_model(regions, parks, [make_enterprise()])
    made = json.loads(json.dumps(example_bundle(store, tmp_path)))
    assert made == _documented()


@pytest.mark.unit
def test_the_example_bundle_verifies_with_the_keys_of_the_page() -> None:
    bundle = _documented()
    keys = re.findall(r"`(witness\.example\.org/[a-z]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+)`", PAGE)
    assert [str(w.verifier_key) for w in WITNESSES] == keys
    assert f"`{LOG.verifier_key}`" in PAGE
    from shuixiao.ledger import VerifierKey

    witnesses = [VerifierKey.parse(k) for k in keys]
    assert check_bundle(bundle, LOG.verifier_key, witnesses=witnesses, quorum=2).ok
    assert not check_bundle(bundle, LOG.verifier_key, witnesses=witnesses, quorum=3).ok
    assert check_bundle(bundle, LOG.verifier_key, device_key=ed25519_public_key(DEVICE_KEY)).ok


def test_the_check_transcript_is_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from shuixiao.cli import main

    monkeypatch.setenv("SHUIXIAO_DATA_DIR", str(tmp_path / "data"))
    transcript = re.search(r"```text\n\$ (shuixiao .*?)\n(✓.*?)```", PAGE, re.S)
    assert transcript is not None
    argv = transcript.group(1).replace("\\\n", " ").split()[1:]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(_documented()), encoding="utf-8")
    argv[argv.index("bundle.json")] = str(bundle)
    assert main(argv) == 0
    assert capsys.readouterr().out == transcript.group(2)
