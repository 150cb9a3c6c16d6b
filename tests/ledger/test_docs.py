"""docs/ledger.md shows examples that the code produces today (Ed25519 is deterministic)."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from shuixiao.errors import LedgerVerificationError
from shuixiao.ledger import (
    SIGNATURE_TYPE_COSIGNATURE,
    Batch,
    Checkpoint,
    MemoryTree,
    Note,
    NoteSigner,
    Reading,
    cosign_checkpoint,
    leaf_hash,
    open_checkpoint,
    sign_batch,
    sign_checkpoint,
    verify_inclusion,
)
from tests.ledger.worked_example import DEVICE_KEY, example_batches, seed

pytestmark = pytest.mark.unit

PAGE = (Path(__file__).parents[2] / "docs" / "ledger.md").read_text(encoding="utf-8")


def test_the_batch_example_is_current() -> None:
    batches = example_batches()
    first = batches[0]
    listed = re.search(r"encodes to (\d+) bytes:\n\n```text\n(.*?)```", PAGE, re.S)
    assert listed is not None
    hex_text = "".join(line.split("  ")[0].replace(" ", "") for line in listed.group(2).splitlines())
    assert bytes.fromhex(hex_text) == first.encode()
    assert int(listed.group(1)) == len(first.encode())
    assert f"`{first.hash().hex()}`" in PAGE
    assert f"`{sign_batch(first, DEVICE_KEY).hex()}`" in PAGE
    assert f"`{leaf_hash(first.hash()).hex()}`" in PAGE
    for batch in batches[1:]:
        assert f"`{batch.hash().hex()}`" in PAGE


def test_the_checkpoint_example_is_current() -> None:
    tree = MemoryTree()
    tree.extend(b.hash() for b in example_batches())
    log = NoteSigner("ledger.example.org/xiangtan-jiuhua", seed("example log key"))
    witnesses = [
        NoteSigner(
            f"witness.example.org/{who}", seed(f"example witness key {who}"), SIGNATURE_TYPE_COSIGNATURE
        )
        for who in ("enterprise", "park", "regulator")
    ]
    checkpoint = Checkpoint(log.name, tree.size, tree.root())
    note = Note.from_text(sign_checkpoint(checkpoint, log)).with_signatures(
        [cosign_checkpoint(checkpoint, w, 1717203000 + i) for i, w in enumerate(witnesses[:2])]
    )
    text = note.to_text()
    assert f"```text\n{text}```" in PAGE
    for signer in [log, *witnesses]:
        assert f"`{signer.verifier_key}`" in PAGE
    assert base64.b64encode(tree.root()).decode() in PAGE and tree.root().hex() in PAGE
    keys = [w.verifier_key for w in witnesses]
    verified = open_checkpoint(text, log.verifier_key, witnesses=keys, quorum=2)
    assert [c.timestamp for c in verified.cosignatures] == [1717203000, 1717203001]
    with pytest.raises(LedgerVerificationError):
        open_checkpoint(text, log.verifier_key, witnesses=keys, quorum=3)
    proof = tree.inclusion_proof(1)
    assert "```text\n" + "".join(h.hex() + "\n" for h in proof) + "```" in PAGE
    verify_inclusion(1, 3, leaf_hash(example_batches()[1].hash()), proof, verified.checkpoint.root_hash)


def test_the_version_2_example_is_current() -> None:
    first = example_batches()[0]
    flagged = Batch(
        first.device,
        first.sequence,
        first.previous_hash,
        first.readings[:2] + (Reading("PT-201", 1717200000, 0.42, "MPa", quality=2),),
        first.created,
    )
    listed = re.search(r"version 2 encoding of (\d+)\nbytes:.*?```text\n(.*?)```", PAGE, re.S)
    assert listed is not None
    hex_text = "".join(
        line.split("  ")[0].replace(" ", "").replace("(previous_hash:32zerobytes)", "00" * 32)
        for line in listed.group(2).splitlines()
    )
    assert bytes.fromhex(hex_text) == flagged.encode()
    assert int(listed.group(1)) == len(flagged.encode())
    assert f"`{flagged.hash().hex()}`" in PAGE
    assert f"`{sign_batch(flagged, DEVICE_KEY).hex()}`" in PAGE
    assert f"`{leaf_hash(flagged.hash()).hex()}`" in PAGE
