"""A log and two witnesses with separate stores: consistency, cosignatures k of n, mirrors, split views."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shuixiao.alarms import Alarm
from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import SIGNATURE_TYPE_COSIGNATURE, NoteSigner, open_checkpoint
from shuixiao.model import Enterprise, Park, Region
from shuixiao.notary import (
    HttpSource,
    Witness,
    collect_cosignatures,
    full_note,
    open_source,
    witness_signer,
)
from shuixiao.storage import AlarmStore, Store
from shuixiao.storage.ledger import LedgerStore

from ._helpers import Device, E, LogNode, Node

pytestmark = pytest.mark.integration


@dataclasses.dataclass
class WitnessNode:
    """A witness with its own SQLite store, key and output directory."""

    store: Store
    signer: NoteSigner
    output: Path

    def follow(
        self,
        log: LogNode | Path | str,
        vkey: object,
        peers: tuple[str, ...] = (),
        enterprises: tuple[str, ...] = (),
    ) -> Witness:
        location = str(log.directory if isinstance(log, LogNode) else log)
        return Witness(
            self.store,
            self.signer,
            vkey,  # type: ignore[arg-type]
            open_source(location),
            output=self.output,
            peers=[open_source(p) for p in peers],
            enterprises=enterprises,
        )

    def alarms(self, kind: str, enterprise: str = E) -> list[Alarm]:
        return AlarmStore(self.store).open_alarms(enterprise, [f"ledger.{kind}"])

    @property
    def ledger(self) -> LedgerStore:
        return LedgerStore(self.store)


@pytest.fixture
def log(node: Node, device: Device, tmp_path: Path) -> LogNode:
    return LogNode(node, device, tmp_path / "log-data", tmp_path / "published")


@pytest.fixture
def witnesses(tmp_path: Path) -> Iterator[Callable[[str], WitnessNode]]:
    made: list[Store] = []

    def make(name: str) -> WitnessNode:
        short = name.rsplit("/", 1)[-1]
        store = Store.open(f"sqlite:///{tmp_path}/witness-{short}/shuixiao.db")
        store.upgrade()
        made.append(store)
        return WitnessNode(
            store, witness_signer(tmp_path / f"witness-{short}", name), tmp_path / f"out-{short}"
        )

    yield make
    for store in made:
        store.close()


def test_two_witnesses_cosign_and_a_verifier_needs_k_of_n(
    log: LogNode, witnesses: Callable[[str], WitnessNode]
) -> None:
    park, regulator, absent = (
        witnesses(f"witness.example.org/{n}") for n in ("park", "regulator", "enterprise")
    )
    log.grow(5)
    for w in (park, regulator):
        report = w.follow(log, log.vkey).run_once()
        assert (report.status, report.size, report.mirrored) == ("cosigned", 5, 5)
    keys = [park.signer.verifier_key, regulator.signer.verifier_key, absent.signer.verifier_key]
    collect_cosignatures(
        log.node.store, [open_source(str(w.output)) for w in (park, regulator)], keys, log.vkey
    )
    note = full_note(log.grow(0))
    assert len(open_checkpoint(note, log.vkey, witnesses=keys, quorum=2).cosignatures) == 2
    with pytest.raises(LedgerVerificationError, match="2 valid witness cosignatures .* 3 required"):
        open_checkpoint(note, log.vkey, witnesses=keys, quorum=3)
    assert (
        open_checkpoint(note, log.vkey, witnesses=[keys[2], keys[0]], quorum=1)
        .cosignatures[0]
        .name.endswith("park")
    )
    with pytest.raises(InvalidInputError):
        open_checkpoint(note, log.vkey, witnesses=keys[:1], quorum=2)
    assert all(k.signature_type == SIGNATURE_TYPE_COSIGNATURE for k in keys)


def test_witnesses_follow_growth_mirror_and_catch_up_after_being_down(
    log: LogNode, witnesses: Callable[[str], WitnessNode]
) -> None:
    park, regulator = witnesses("witness.example.org/park"), witnesses("witness.example.org/regulator")
    log.grow(3)
    assert park.follow(log, log.vkey).run_once().status == "cosigned"
    assert regulator.follow(log, log.vkey).run_once().size == 3
    log.grow(300)  # the regulator's witness is down for two rounds
    assert park.follow(log, log.vkey).run_once().previous == 3
    log.grow(20)
    assert park.follow(log, log.vkey).run_once().mirrored == 20
    report = regulator.follow(log, log.vkey).run_once()  # back: consistency 3 -> 323 from the tiles
    assert (report.status, report.previous, report.size, report.mirrored) == ("cosigned", 3, 323, 320)
    again = regulator.follow(log, log.vkey).run_once()
    assert (again.status, again.mirrored) == ("cosigned", 0)  # unchanged: cosigned again, fresh time
    mirror = regulator.ledger.logs()[0]
    assert (mirror.kind, mirror.origin, mirror.size) == ("mirror", log.signer.name, 323)
    logged = list(log.node.ledger.iter_batches(1))
    mirrored = list(regulator.ledger.iter_batches(mirror.id))
    assert [(b.batch_hash, b.signature, b.encoding) for b in mirrored] == [
        (b.batch_hash, b.signature, b.encoding) for b in logged
    ]
    assert regulator.ledger.tile_hasher(mirror.id).root(323) == log.node.ledger.tile_hasher(1).root(323)
    assert not park.ledger.incidents() and not regulator.ledger.incidents()


def _second_view(
    tmp_path: Path,
    log: LogNode,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
    batches: int,
    start: int = 100,
) -> LogNode:
    """The same log key and device on another store, logging other batches: a second view of the log."""
    store = Store.open(f"sqlite:///{tmp_path}/fork/shuixiao.db")
    store.upgrade()
    store.save_model(regions, parks, [make_enterprise()])
    node = Node(store)
    device = Device(log.device.name, log.device.private_key, log.device.public_key)
    node.register(device)
    fork = LogNode(node, device, tmp_path / "log-data", tmp_path / "published-fork", log.signer.name)
    fork.interval = start
    fork.grow(batches)
    return fork


def test_two_different_trees_of_one_size_are_a_split_view(
    log: LogNode,
    witnesses: Callable[[str], WitnessNode],
    tmp_path: Path,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
) -> None:
    park, regulator = witnesses("witness.example.org/park"), witnesses("witness.example.org/regulator")
    log.grow(4)
    fork = _second_view(tmp_path, log, regions, parks, make_enterprise, 4)
    assert fork.vkey == log.vkey
    assert park.follow(log, log.vkey, enterprises=(E,)).run_once().status == "cosigned"
    report = regulator.follow(fork, log.vkey, peers=(str(park.output),)).run_once()
    assert report.incidents, "the regulator's witness compares with the park's output"
    incident = regulator.ledger.incidents(kind="split_view")[0]
    assert incident.detail["size"] == 4 and "park" in incident.detail["peer"]
    assert not regulator.alarms("split_view"), "told no enterprise, the regulator only records the incident"
    report = park.follow(log, log.vkey, peers=(str(regulator.output),), enterprises=(E,)).run_once()
    assert park.ledger.incidents(kind="split_view"), "and the park's with the regulator's"
    [alarm] = park.alarms("split_view")
    assert alarm.severity.value == "critical" and alarm.key == f"log:{log.signer.name}"
    assert alarm.detail["log"] == log.signer.name and "two different trees" in alarm.title_en
    shutil.rmtree(log.directory)
    shutil.copytree(fork.directory, log.directory)  # the log now shows the park another tree of size 4
    report = park.follow(log, log.vkey, enterprises=(E,)).run_once()
    assert report.status == "refused"
    assert len(park.ledger.incidents(kind="split_view")) == 2
    assert [a.id for a in park.alarms("split_view")] == [alarm.id], "a second sighting is the same alarm"
    assert park.alarms("split_view")[0].last_seen >= alarm.last_seen
    fork.node.store.close()


def test_a_rewritten_history_is_inconsistent(
    log: LogNode,
    witnesses: Callable[[str], WitnessNode],
    tmp_path: Path,
    regions: list[Region],
    parks: list[Park],
    make_enterprise: Callable[..., Enterprise],
) -> None:
    park = witnesses("witness.example.org/park")
    log.grow(5)
    park.follow(log, log.vkey).run_once()
    fork = _second_view(tmp_path, log, regions, parks, make_enterprise, 9)
    report = park.follow(fork, log.vkey, enterprises=(E, "other-works")).run_once()
    assert report.status == "refused"
    incident = park.ledger.incidents(kind="inconsistent")[0]
    assert incident.detail["old_size"] == 5 and "not an extension" in incident.message
    for enterprise in (E, "other-works"):  # each enterprise named gets its critical alarm
        [alarm] = park.alarms("inconsistent", enterprise)
        assert alarm.severity.value == "critical" and alarm.detail["incident"] == incident.id
    assert park.ledger.logs()[0].size == 5  # nothing of the other tree was mirrored or cosigned
    fork.node.store.close()


def test_a_bad_checkpoint_and_tampered_entries_are_incidents(
    log: LogNode, witnesses: Callable[[str], WitnessNode]
) -> None:
    park = witnesses("witness.example.org/park")
    log.grow(3)
    checkpoint = log.directory / "checkpoint"
    good = checkpoint.read_text()
    checkpoint.write_text(good.replace("\n3\n", "\n4\n"))
    assert park.follow(log, log.vkey).run_once().status == "refused"
    assert park.ledger.incidents(kind="bad_checkpoint")
    checkpoint.write_text(good)
    entries = log.directory / "tile" / "entries" / "000.p" / "3"
    data = bytearray(entries.read_bytes())
    data[-1] ^= 1
    entries.write_bytes(bytes(data))
    assert park.follow(log, log.vkey).run_once().status == "refused"
    assert park.ledger.incidents(kind="mirror_mismatch")
    assert park.ledger.logs()[0].size == 0
    assert not (park.output / "checkpoint").exists()


def test_an_unreachable_log_is_reported_not_an_incident(
    witnesses: Callable[[str], WitnessNode], tmp_path: Path
) -> None:
    park = witnesses("witness.example.org/park")
    key = NoteSigner.generate("ledger.example.org/xt").verifier_key
    assert park.follow(tmp_path / "nothing-here", key).run_once().status == "unavailable"
    (tmp_path / "empty").mkdir()
    assert park.follow(tmp_path / "empty", key).run_once().status == "unavailable"
    assert not park.ledger.incidents()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A static web server on a free loopback port, serving a directory."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/log", root / "log"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        return None


def test_a_witness_follows_a_log_served_over_http(
    log: LogNode, witnesses: Callable[[str], WitnessNode], served: tuple[str, Path]
) -> None:
    url, root = served
    log.directory = root
    log.grow(260)
    park = witnesses("witness.example.org/park")
    witness = Witness(park.store, park.signer, log.vkey, HttpSource(url), output=park.output)
    assert (witness.run_once().status, park.ledger.logs()[0].size) == ("cosigned", 260)
    log.grow(5)
    report = witness.run_once()
    assert (report.previous, report.size) == (260, 265)
    assert HttpSource(url).read("no/such/file") is None
