"""Proof bundles: built from a store, checked offline with only public keys; every change is caught."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.ledger import SIGNATURE_TYPE_COSIGNATURE, NoteSigner, generate_ed25519_key
from shuixiao.model import Origin
from shuixiao.notary import check_bundle, collect_cosignatures, make_bundle, open_source, witness_signer
from shuixiao.notary.witness import Witness
from shuixiao.storage import Store

from ._helpers import T0, Device, E, LogNode, Node

pytestmark = pytest.mark.integration


@pytest.fixture
def witnessed(node: Node, device: Device, tmp_path: Path) -> tuple[LogNode, list[Any]]:
    """A log of 8 batches cosigned by two witnesses, then grown to 12 (a newer, uncosigned checkpoint)."""
    log = LogNode(node, device, tmp_path / "log-data", tmp_path / "published")
    log.grow(8)
    keys, outputs = [], []
    for name in ("park", "regulator"):
        store = Store.open(f"sqlite:///{tmp_path}/w-{name}/shuixiao.db")
        store.upgrade()
        signer = witness_signer(tmp_path / f"w-{name}", f"witness.example.org/{name}")
        Witness(
            store, signer, log.vkey, open_source(str(log.directory)), output=tmp_path / f"o-{name}"
        ).run_once()
        store.close()
        keys.append(signer.verifier_key)
        outputs.append(open_source(str(tmp_path / f"o-{name}")))
    collect_cosignatures(node.store, outputs, keys, log.vkey)
    log.grow(4)
    return log, keys


def _bundle(log: LogNode, meter: str = "FT-101", at: int = T0 + 3 * 900) -> dict[str, Any]:
    return json.loads(
        json.dumps(make_bundle(log.node.store, E, meter, dt.datetime.fromtimestamp(at, dt.UTC)))
    )


def test_a_reading_verifies_offline_with_two_of_two_witnesses(witnessed: tuple[LogNode, list[Any]]) -> None:
    log, keys = witnessed
    bundle = _bundle(log)
    assert bundle["reading"] | {"time": None} == {
        "enterprise": E,
        "meter": "FT-101",
        "ts": T0 + 2700,
        "time": None,
        "value": 18_037.5,
        "unit": "m3",
        "quality": "good",
        "position": 0,
        "stored_value": 18_037.5,
        "stored_unit": "m³",
    }
    assert bundle["inclusion"]["tree_size"] == 8  # the cosigned checkpoint, not the newer bare one
    assert bundle["consistency"] is not None
    report = check_bundle(bundle, log.vkey, witnesses=keys, quorum=2)
    assert report.ok, report.checks
    assert [c.ok for c in report.checks] == [True] * 7
    device_key = base64.b64decode(bundle["device_key"]["public_key"])
    assert check_bundle(bundle, log.vkey, witnesses=keys, quorum=2, device_key=device_key).ok


def test_the_last_reading_before_a_time_is_proved(witnessed: tuple[LogNode, list[Any]]) -> None:
    log, _ = witnessed
    assert _bundle(log, "PT-201", T0 + 5 * 900 + 17)["reading"]["ts"] == T0 + 5 * 900


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(bundle: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = bundle
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _flip_proof(bundle: dict[str, Any]) -> None:
    first = bundle["inclusion"]["proof"][0]
    bundle["inclusion"]["proof"][0] = ("0" if first[0] != "0" else "1") + first[1:]


@pytest.mark.parametrize(
    ("change", "step"),
    [
        (_set("format", "shuixiao.proof/0"), "format"),
        (_set("reading.value", 18_037.6), "reading"),
        (_set("reading.position", 1), "reading"),
        (_set("reading.quality", "suspect"), "reading"),
        (_set("batch.readings.0.quality", "suspect"), "batch"),
        (_set("batch.readings.0.value", 18_037.6), "batch"),
        (_set("batch.hash", "00" * 32), "batch"),
        (_set("batch.signature", base64.b64encode(bytes(64)).decode()), "signature"),
        (_set("device_key.public_key", base64.b64encode(generate_ed25519_key()[1]).decode()), "signature"),
        (_set("device_key.valid_from", T0 + 10**6), "signature"),
        (_set("inclusion.leaf_index", 4), "inclusion"),
        (_set("inclusion.tree_size", 12), "inclusion"),
        (_flip_proof, "inclusion"),
        (_set("consistency.proof", []), "consistency"),
        (_set("checkpoint", "not a note\n"), "checkpoint"),
    ],
)
def test_any_change_is_caught_at_its_step(
    witnessed: tuple[LogNode, list[Any]], change: Callable[[dict[str, Any]], None], step: str
) -> None:
    log, keys = witnessed
    bundle = _bundle(log)
    change(bundle)
    report = check_bundle(bundle, log.vkey, witnesses=keys, quorum=2)
    assert not report.ok
    assert [c.step for c in report.checks if c.ok is False] == [step]


def test_keys_and_quorum_are_the_verifiers(witnessed: tuple[LogNode, list[Any]]) -> None:
    log, keys = witnessed
    bundle = _bundle(log)
    stranger = NoteSigner.generate(log.signer.name).verifier_key
    assert not check_bundle(bundle, stranger).ok
    third = NoteSigner.generate("witness.example.org/enterprise", SIGNATURE_TYPE_COSIGNATURE)
    report = check_bundle(bundle, log.vkey, witnesses=[*keys, third.verifier_key], quorum=3)
    assert [(c.step, c.ok) for c in report.checks if c.ok is not True] == [
        ("checkpoint", False),
        ("inclusion", None),
        ("consistency", None),
    ]
    assert check_bundle(bundle, log.vkey, witnesses=[*keys, third.verifier_key], quorum=2).ok
    assert not check_bundle(bundle, log.vkey, device_key=bytes(32)).ok
    with pytest.raises(InvalidInputError, match="quorum 3"):
        check_bundle(bundle, log.vkey, witnesses=keys, quorum=3)
    assert not check_bundle(copy.deepcopy({"format": "x"}), log.vkey).ok


def test_what_cannot_be_proved_says_why(node: Node, device: Device, tmp_path: Path) -> None:
    log = LogNode(node, device, tmp_path / "log-data", tmp_path / "published")
    node.ingest(device.next(0))
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    with pytest.raises(NotFoundError, match="no published checkpoint yet|in no published checkpoint"):
        make_bundle(node.store, E, "FT-101", at)
    log.grow(0)
    assert make_bundle(node.store, E, "FT-101", at)["consistency"] is None
    with pytest.raises(NotFoundError, match="no meter 'FT-999'"):
        make_bundle(node.store, E, "FT-999", at)
    with pytest.raises(NotFoundError, match="no reading at or before"):
        make_bundle(node.store, E, "FT-101", at - dt.timedelta(seconds=1))
    keys = node.store.meter_keys(E)
    node.store.write_readings(keys["FT-103"], [T0], [5.0], [0], int(Origin.MANUAL))
    with pytest.raises(NotFoundError, match="is not notarised"):
        make_bundle(node.store, E, "FT-103", at)
