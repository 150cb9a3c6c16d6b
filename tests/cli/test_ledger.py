"""``shuixiao ledger``: keys, signed batches, publish, witnesses (one as a separate process), prove, check, verify."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from shuixiao.ledger import GENESIS_HASH, Batch, Reading, sign_batch
from shuixiao.notary import batch_to_json
from shuixiao.storage import Store, schema

pytestmark = pytest.mark.integration

MODELS = Path(__file__).parents[1] / "data" / "models"
E = "xt-paper"
T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00


@pytest.fixture
def run(run):  # type: ignore[no-untyped-def]
    """The shared ``run`` in English, against a data directory holding the paper mill."""

    def _run(*argv: str) -> tuple[int, str, str]:
        return run("--lang", "en", *argv)  # type: ignore[no-any-return]

    assert _run("db", "upgrade")[0] == 0
    assert _run("model", "import", str(MODELS / "paper_mill.yaml"))[0] == 0
    return _run


def _batches(key: bytes, count: int, device: str = "gw-1", start: int = 0) -> list[dict[str, Any]]:
    previous, out = GENESIS_HASH, []
    for s in range(start + count):
        readings = (
            Reading("FT-001", T0 + 900 * s, 5_000.0 + 20.0 * s, "m3"),
            Reading("FT-101", T0 + 900 * s, 3_000.0 + 15.5 * s, "m3"),
        )
        batch = Batch(device, s, previous, readings, T0 + 900 * s + 30)
        previous = batch.hash()
        out.append(batch_to_json(batch, sign_batch(batch, key)))
    return out[start:]


def _jsonl(path: Path, documents: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def _registered(run: Any, tmp_path: Path) -> bytes:
    status, out, _ = run(
        "ledger", "keys", "add", "--enterprise", E, "--device", "gw-1", "--meters", "FT-001,FT-101",
        "--generate", str(tmp_path / "gw-1.key"), "--valid-from", "2024-05-01",
    )  # fmt: skip
    assert status == 0, out
    assert "Registered key" in out and "meters: FT-001, FT-101" in out
    assert oct((tmp_path / "gw-1.key").stat().st_mode & 0o777) == "0o600"
    return bytes.fromhex((tmp_path / "gw-1.key").read_text().strip())


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a separate process."""
    code = "import sys; from shuixiao.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "--lang", "en", *argv], capture_output=True, text=True, timeout=120
    )


def test_the_whole_trust_chain_from_the_command_line(run: Any, tmp_path: Path) -> None:
    key = _registered(run, tmp_path)
    batches = _jsonl(tmp_path / "b.jsonl", _batches(key, 6))
    status, out, _ = run("ledger", "ingest", str(batches), "--enterprise", E)
    assert (status, "Processed 6 signed batches: 6 accepted, 0 replayed, 0 refused" in out) == (0, True)
    assert "0 accepted, 6 replayed" in run("ledger", "ingest", str(batches), "--enterprise", E)[1]

    status, out, _ = run("ledger", "publish", "--origin", "ledger.example.org/xt-paper")
    assert status == 0 and "Checkpoint: size 6" in out
    vkey = (tmp_path / "data" / "ledger" / "log.vkey").read_text().strip()
    assert f"Log verifier key: {vkey}" in out
    log_dir = tmp_path / "data" / "ledger" / "log"
    assert (log_dir / "checkpoint").exists() and (log_dir / "tile" / "0" / "000.p" / "6").exists()

    # two witnesses, each with its own data directory and store; the regulator's runs as a separate process
    witness_keys = []
    for name in ("park", "regulator"):
        home = tmp_path / f"witness-{name}"
        base = ["--data-dir", str(home), "--database-url", f"sqlite:///{home}/shuixiao.db"]
        argv = [*base, "ledger", "witness", "--log", str(log_dir), "--log-key", vkey,
                "--name", f"witness.example.org/{name}", "--out", str(tmp_path / f"out-{name}")]  # fmt: skip
        if name == "park":
            assert run(*base, "db", "upgrade")[0] == 0
            status, out, _ = run(*argv)
        else:
            assert _cli(*base, "db", "upgrade").returncode == 0
            done = _cli(*argv)
            status, out = done.returncode, done.stdout
        assert status == 0, out
        assert "[cosigned] ledger.example.org/xt-paper grew from 0 to 6" in out
        witness_keys.append(
            (home / "ledger" / "witness" / f"witness.example.org_{name}.vkey").read_text().strip()
        )

    collect = ["--collect", str(tmp_path / "out-park"), "--collect", str(tmp_path / "out-regulator")]
    trust = [a for k in witness_keys for a in ("--witness-key", k)]
    status, out, _ = run("ledger", "publish", *collect, *trust)
    assert status == 0 and "Read 2 witness checkpoints; 2 cosignatures new or updated" in out
    assert "2 cosignatures" in out

    bundle = tmp_path / "bundle.json"
    status, out, _ = run(
        "ledger", "prove", "--meter", "FT-101", "--at", "2024-06-01T01:00:00+08:00", "--out", str(bundle)
    )
    assert status == 0 and "FT-101" in out and "with 2 cosignatures" in out
    assert json.loads(bundle.read_text())["reading"]["ts"] == T0 + 3600

    # the offline check: a fresh process, no data directory, only public keys
    offline = _cli(
        "--data-dir",
        str(tmp_path / "nothing"),
        "ledger",
        "check",
        str(bundle),
        "--log-key",
        vkey,
        *trust,
        "--quorum",
        "2",
    )
    assert offline.returncode == 0, offline.stdout
    assert "✓ inclusion proof: leaf 4 of 6" in offline.stdout and "The bundle verifies." in offline.stdout
    assert not (tmp_path / "nothing").exists()
    status, out, _ = run(
        "ledger",
        "check",
        str(bundle),
        "--log-key",
        vkey,
        "--witness-key",
        witness_keys[0],
        "--quorum",
        "1",
        "--json",
    )
    assert status == 0 and json.loads(out)["ok"] is True
    status, out, _ = run("ledger", "check", str(bundle), "--log-key", witness_keys[0])
    assert status == 1 and "✗ checkpoint signature and witnesses" in out

    status, out, _ = run("ledger", "verify")
    assert status == 0 and "Audit passed: 6 batches, 12 notarised readings, 1 checkpoints" in out
    with (
        Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db") as store,
        store.transaction("tamper", write=True) as c,
    ):
        meter = store.meter_keys(E)["FT-001"]
        r = schema.readings
        c.execute(sa.update(r).where(r.c.meter_key == meter).values(value=r.c.value + 1.0))
    status, out, _ = run("ledger", "verify")
    assert status == 1 and "The audit found 6 mismatches" in out
    assert f"[reading_changed] reading {E}/FT-001 at {T0}: stored" in out
    status, out, _ = run("ledger", "verify", "--json")
    assert status == 1 and {p["kind"] for p in json.loads(out)["problems"]} == {"reading_changed"}
    status, two, _ = run("ledger", "verify", "--json", "--workers", "2")
    assert status == 1 and json.loads(two)["problems"] == json.loads(out)["problems"]
    status, _, err = run("ledger", "verify", "--workers", "0")
    assert status != 0 and "workers must be a whole number of processes ≥ 1" in err


def test_keys_meters_incidents_and_refusals(run: Any, tmp_path: Path) -> None:
    key = _registered(run, tmp_path)
    documents = _batches(key, 4)
    status, out, _ = run(
        "ledger",
        "ingest",
        str(_jsonl(tmp_path / "gap.jsonl", [documents[0], documents[3]])),
        "--enterprise",
        E,
    )
    assert status == 0 and "batches 1..2 are still missing" in out
    forged = dict(documents[1], signature=documents[0]["signature"])
    status, out, _ = run("ledger", "ingest", str(_jsonl(tmp_path / "bad.jsonl", [forged])), "--enterprise", E)
    assert status == 1 and "bad_signature: batch 1 of gw-1 is not signed" in out
    status, out, _ = run("ledger", "incidents", "--json")
    assert [i["kind"] for i in json.loads(out)] == ["bad_signature", "missing_batch"]
    status, out, _ = run("ledger", "incidents", "--open", "--kind", "missing_batch")
    assert "Ledger incidents" in out and "missing" in out
    status, out, _ = run(
        "ledger", "ingest", str(_jsonl(tmp_path / "fill.jsonl", documents[1:3])), "--enterprise", E
    )
    assert status == 0
    assert json.loads(run("ledger", "incidents", "--open", "--json")[1])[0]["kind"] == "bad_signature"

    status, out, _ = run(
        "ledger",
        "keys",
        "rotate",
        "--device",
        "gw-1",
        "--generate",
        str(tmp_path / "gw-1b.key"),
        "--at",
        "2024-06-02",
    )
    assert status == 0 and "now uses key" in out
    status, out, _ = run(
        "ledger", "keys", "revoke", "--device", "gw-1", "--at", "2024-06-03", "--reason", "lost"
    )
    assert status == 0 and "compromised from 2024-06-03 00:00:00 on (lost)" in out
    status, out, _ = run("ledger", "keys", "list", "--json")
    history = json.loads(out)["device_keys"]
    assert [k["reason"] for k in history] == [None, "lost"] and history[0]["valid_to"] is not None
    assert "Device keys" in run("ledger", "keys", "list")[1]

    status, out, _ = run("ledger", "meters", "--enterprise", E, "--allow-unsigned", "FT-101", "--json")
    rows = {m["meter"]: m for m in json.loads(out)}
    assert (rows["FT-101"]["unsigned_allowed"], rows["FT-001"]["notarised"], rows["FT-002"]["device"]) == (
        True,
        4,
        None,
    )
    status, out, _ = run("ledger", "meters", "--enterprise", E, "--require-signed", "FT-101")
    assert status == 0 and "Notarisation of the meters of xt-paper" in out and "no signing device" in out

    status, _, err = run(
        "ledger",
        "keys",
        "add",
        "--enterprise",
        E,
        "--device",
        "gw-2",
        "--meters",
        "FT-999",
        "--public-key",
        "00" * 32,
    )
    assert status == 1 and "has no meter FT-999" in err
    status, _, err = run(
        "ledger",
        "keys",
        "add",
        "--enterprise",
        E,
        "--device",
        "gw-2",
        "--meters",
        "FT-002",
        "--public-key",
        "abc",
    )
    assert status == 1 and "not a 32-byte Ed25519 public key" in err
    status, _, err = run(
        "ledger",
        "prove",
        "--meter",
        "FT-001",
        "--at",
        "2024-06-01T00:00:00+08:00",
        "--out",
        str(tmp_path / "x.json"),
    )
    assert status == 1 and "is in no published checkpoint yet; run `shuixiao ledger publish`" in err


def test_periodic_publishing_and_chinese_output(run: Any, tmp_path: Path) -> None:
    _registered(run, tmp_path)
    status, out, _ = run(
        "ledger", "publish", "--every", "0.1", "--rounds", "2", "--dir", str(tmp_path / "pub")
    )
    assert status == 0 and out.count("Checkpoint: size 0") == 2
    status, out, _ = run("--lang", "zh", "ledger", "keys", "list")
    assert "账本验证公钥" in out and "设备密钥" in out
    status, _, err = run("ledger", "publish", "--every", "0")
    assert status == 1 and "--every must be positive" in err
    status, _, err = run("ledger", "publish", "--collect", str(tmp_path))
    assert status == 1 and "--witness-key" in err
    status, out, _ = run("ledger", "incidents")
    assert "No ledger incidents." in out
