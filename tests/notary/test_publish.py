"""Signing checkpoints, publishing the log as C2SP tlog-tiles, collecting cosignatures."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from shuixiao.errors import ConfigurationError
from shuixiao.ledger import (
    Checkpoint,
    NoteSigner,
    TileHasher,
    decode_entry_bundle,
    entries_path,
    open_checkpoint,
    sign_checkpoint,
    tile_path,
)
from shuixiao.notary import (
    DirectorySource,
    collect_cosignatures,
    full_note,
    open_source,
    publish_checkpoint,
    witness_signer,
    write_log,
)
from shuixiao.notary.publish import batches_path, decode_batch_bundle, encode_batch_bundle
from shuixiao.notary.source import tile_reader
from shuixiao.notary.witness import Witness
from shuixiao.storage import AlarmStore, Store

from ._helpers import Device, E, LogNode, Node

pytestmark = pytest.mark.integration


@pytest.fixture
def log(node: Node, device: Device, tmp_path: Path) -> LogNode:
    return LogNode(node, device, tmp_path / "log-data", tmp_path / "published")


def test_checkpoints_are_signed_when_the_tree_grew(log: LogNode) -> None:
    first = log.grow(3)
    assert first.size == 3
    verified = open_checkpoint(first.note, log.vkey)
    assert verified.checkpoint.root_hash == first.root == log.node.ledger.tile_hasher(1).root(3)
    assert publish_checkpoint(log.node.store, log.signer).id == first.id  # nothing new: the same one
    assert log.grow(2).size == 5
    other = NoteSigner.generate(log.signer.name)
    with pytest.raises(ConfigurationError, match="a log keeps one key for life"):
        publish_checkpoint(log.node.store, other)


def test_the_published_directory_is_the_tlog_tiles_layout(log: LogNode) -> None:
    checkpoint = log.grow(300)
    root = log.directory
    assert (root / tile_path(0, 0)).stat().st_size == 8192
    assert (root / tile_path(0, 1, 44)).stat().st_size == 44 * 32
    assert (root / tile_path(1, 0, 1)).read_bytes() == log.node.ledger.read_tiles(1, [(1, 0)])[(1, 0)]
    entries = decode_entry_bundle((root / entries_path(1, 44)).read_bytes())
    batches = decode_batch_bundle((root / batches_path(1, 44)).read_bytes())
    assert [hashlib.sha256(encoding).digest() for encoding, _ in batches] == entries
    assert (root / "checkpoint").read_text() == full_note(checkpoint)
    hasher = TileHasher(tile_reader(DirectorySource(root), 300))
    assert hasher.root(300) == checkpoint.root
    assert hasher.inclusion_proof(257, 300) == log.node.ledger.tile_hasher(1).inclusion_proof(257, 300)


def test_publishing_again_writes_only_what_changed(log: LogNode) -> None:
    log.grow(300)
    later = log.grow(10)
    assert later.size == 310
    assert (log.directory / tile_path(0, 1, 44)).exists()  # readers of the older checkpoint still find theirs
    assert (log.directory / tile_path(0, 1, 54)).exists()
    written = write_log(log.node.store, log.directory, later)
    assert written == 1 + 1 + 2 + 1  # the edge only: level 0 and 1 tiles, entry and batch bundles, checkpoint


def test_publishing_refuses_another_log_and_an_empty_one(log: LogNode, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no checkpoint yet"):
        write_log(log.node.store, log.directory)
    log.grow(1)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "checkpoint").write_text(
        sign_checkpoint(Checkpoint("other/log", 0, bytes(32)), NoteSigner.generate("other/log"))
    )
    with pytest.raises(ConfigurationError, match="holds the log 'other/log'"):
        write_log(log.node.store, foreign)


def test_batch_bundles_round_trip() -> None:
    pairs = [(b"abc", bytes(64)), (b"", bytes([1]) * 64)]
    assert decode_batch_bundle(encode_batch_bundle(pairs)) == pairs
    assert batches_path(1234, 5) == "batches/x001/234.p/5"


def test_cosignatures_are_collected_from_trusted_witnesses_only(log: LogNode, tmp_path: Path) -> None:
    log.grow(4)
    outputs = []
    keys = []
    for name in ("witness.example.org/park", "witness.example.org/rogue"):
        store = Store.open(f"sqlite:///{tmp_path}/{name.rsplit('/', 1)[1]}.db")
        store.upgrade()
        signer = witness_signer(tmp_path / name.rsplit("/", 1)[1], name)
        out = tmp_path / "out" / name.rsplit("/", 1)[1]
        Witness(store, signer, log.vkey, open_source(str(log.directory)), output=out).run_once()
        store.close()
        outputs.append(open_source(str(out)))
        keys.append(signer.verifier_key)
    missing = open_source(str(tmp_path / "nowhere"))
    report = collect_cosignatures(log.node.store, [*outputs, missing], keys[:1], log.vkey)
    assert (report.read, report.kept) == (2, 1)
    assert any("nowhere" in p for p in report.problems)
    latest = log.grow(0)
    assert [c.witness for c in latest.cosignatures] == ["witness.example.org/park"]
    verified = open_checkpoint(full_note(latest), log.vkey, witnesses=keys[:1], quorum=1)
    assert [c.name for c in verified.cosignatures] == ["witness.example.org/park"]
    assert open_checkpoint((log.directory / "checkpoint").read_text(), log.vkey, witnesses=keys[:1], quorum=1)


def test_a_witness_holding_a_tree_the_log_did_not_sign_is_a_split_view(log: LogNode, tmp_path: Path) -> None:
    log.grow(4)
    forged = tmp_path / "forged"
    forged.mkdir()
    (forged / "checkpoint").write_text(sign_checkpoint(Checkpoint(log.signer.name, 4, bytes(32)), log.signer))
    report = collect_cosignatures(log.node.store, [open_source(str(forged))], [], log.vkey)
    assert len(report.incidents) == 1
    incident = log.node.ledger.incidents(kind="split_view")[0]
    assert incident.detail["size"] == 4 and "two trees" in incident.message
    # a split view compromises every enterprise the log notarises: a critical alarm for each, one however often
    # it is seen again (its last_seen moves on)
    alarms = AlarmStore(log.node.store)
    [alarm] = alarms.open_alarms(E, ["ledger.split_view"])
    assert alarm.severity.value == "critical" and alarm.key == f"log:{log.signer.name}"
    assert alarm.detail["incident"] == incident.id and alarm.detail["log"] == log.signer.name
    again = collect_cosignatures(log.node.store, [open_source(str(forged))], [], log.vkey)
    assert again.incidents == report.incidents
    assert [a.id for a in alarms.open_alarms(E, ["ledger.split_view"])] == [alarm.id]
