"""Tests of shuixiao.ledger.checkpoint: C2SP checkpoints, log signatures and k-of-n witness cosignatures.

The example checkpoint and cosignature line are those of c2sp.org/tlog-checkpoint and
c2sp.org/tlog-cosignature (C2SP/C2SP ``tlog-checkpoint.md``, ``tlog-cosignature.md``).
"""

from __future__ import annotations

import base64

import pytest

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import (
    SIGNATURE_TYPE_COSIGNATURE,
    Checkpoint,
    Cosignature,
    MemoryTree,
    Note,
    NoteSigner,
    cosign_checkpoint,
    leaf_hash,
    open_checkpoint,
    sign_checkpoint,
    verify_consistency,
    verify_inclusion,
)

pytestmark = pytest.mark.unit

C2SP_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
C2SP_CHECKPOINT = (
    C2SP_BODY
    + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    + "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
ROOT = base64.b64encode(bytes(range(32))).decode()
ORIGIN = "ledger.park.example/water"


@pytest.fixture
def log() -> NoteSigner:
    return NoteSigner.generate(ORIGIN)


@pytest.fixture
def witnesses() -> list[NoteSigner]:
    return [
        NoteSigner.generate(f"witness.example/{who}", SIGNATURE_TYPE_COSIGNATURE)
        for who in ("enterprise", "park", "regulator")
    ]


# --------------------------------------------------------------- the body


def test_the_c2sp_example_parses() -> None:
    note = Note.from_text(C2SP_CHECKPOINT)
    checkpoint = Checkpoint.from_text(note.text)
    assert (checkpoint.origin, checkpoint.size, checkpoint.extensions) == (
        "example.com/behind-the-sofa",
        20852163,
        (),
    )
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.to_text() == C2SP_BODY
    assert [s.name for s in note.signatures] == ["example.com/behind-the-sofa", "witness.example.com/w1"]


def test_extension_lines_round_trip() -> None:
    text = f"{ORIGIN}\n0\n{ROOT}\nfirst extension\nsecond\n"
    checkpoint = Checkpoint.from_text(text)
    assert checkpoint.size == 0
    assert checkpoint.extensions == ("first extension", "second")
    assert checkpoint.to_text() == text


@pytest.mark.parametrize(
    "text",
    [
        f"{ORIGIN}\n5\n{ROOT}",
        f"{ORIGIN}\n5\n",
        f"\n5\n{ROOT}\n",
        f"{ORIGIN}\n\n{ROOT}\n",
        f"{ORIGIN}\n5\n{ROOT}\n\n",
        f"{ORIGIN}\n05\n{ROOT}\n",
        f"{ORIGIN}\n+5\n{ROOT}\n",
        f"{ORIGIN}\n-5\n{ROOT}\n",
        f"{ORIGIN}\n 5\n{ROOT}\n",
        f"{ORIGIN}\n1_000\n{ROOT}\n",
        f"{ORIGIN}\n٥\n{ROOT}\n",
        f"{ORIGIN}\n0x10\n{ROOT}\n",
        f"{ORIGIN}\n18446744073709551616\n{ROOT}\n",
        f"{ORIGIN}\n5\n{ROOT[:-4]}\n",
        f"{ORIGIN}\n5\n{base64.b64encode(bytes(33)).decode()}\n",
        f"{ORIGIN}\n5\n{ROOT.replace('=', '')}\n",
        f"{ORIGIN}\n5\n{ROOT[:-2]}9=\n",
        f"{ORIGIN}\n5\nnot base64!\n",
        f"{ORIGIN}\x01\n5\n{ROOT}\n",
    ],
)
def test_malformed_bodies_are_refused(text: str) -> None:
    with pytest.raises(LedgerVerificationError, match="malformed checkpoint"):
        Checkpoint.from_text(text)


def test_the_largest_size_is_accepted() -> None:
    assert Checkpoint.from_text(f"{ORIGIN}\n18446744073709551615\n{ROOT}\n").size == 2**64 - 1


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, bytes(32), ()),
        ("two\nlines", 1, bytes(32), ()),
        (ORIGIN, -1, bytes(32), ()),
        (ORIGIN, 2**64, bytes(32), ()),
        (ORIGIN, 1, bytes(31), ()),
        (ORIGIN, 1, bytes(32), ("",)),
    ],
)
def test_bad_fields_are_refused(origin: str, size: int, root: bytes, extensions: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInputError):
        Checkpoint(origin, size, root, extensions)


# --------------------------------------------------------------- signatures


def test_a_signed_checkpoint_opens(log: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 3, bytes(32))
    message = sign_checkpoint(checkpoint, log)
    assert message.startswith(checkpoint.to_text() + "\n— " + ORIGIN + " ")
    verified = open_checkpoint(message, log.verifier_key)
    assert verified.checkpoint == checkpoint
    assert verified.cosignatures == ()
    assert open_checkpoint(message.encode(), log.verifier_key, origin=ORIGIN).checkpoint == checkpoint


def test_k_of_n_witnesses(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    checkpoint = Checkpoint(ORIGIN, 10, bytes(32))
    note = Note.from_text(sign_checkpoint(checkpoint, log))
    keys = [w.verifier_key for w in witnesses]
    two = note.with_signatures(
        [cosign_checkpoint(checkpoint, w, 1_717_200_000 + i) for i, w in enumerate(witnesses[:2])]
    )
    verified = open_checkpoint(two.to_text(), log.verifier_key, witnesses=keys, quorum=2)
    assert verified.cosignatures == (
        Cosignature(witnesses[0].name, witnesses[0].key_id, 1_717_200_000),
        Cosignature(witnesses[1].name, witnesses[1].key_id, 1_717_200_001),
    )
    with pytest.raises(LedgerVerificationError, match="2 valid witness cosignatures .* 3 required"):
        open_checkpoint(two.to_text(), log.verifier_key, witnesses=keys, quorum=3)
    with pytest.raises(LedgerVerificationError, match=r"\(none\), 1 required"):
        open_checkpoint(note.to_text(), log.verifier_key, witnesses=keys, quorum=1)


def test_a_witness_may_sign_with_a_plain_note_key(log: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 10, bytes(32))
    legacy = NoteSigner.generate("witness.example/legacy")
    message = Note.from_text(sign_checkpoint(checkpoint, log)).with_signatures(
        [legacy.sign(checkpoint.to_text())]
    )
    verified = open_checkpoint(message.to_text(), log.verifier_key, witnesses=[legacy.verifier_key], quorum=1)
    assert verified.cosignatures == (Cosignature(legacy.name, legacy.key_id, None),)


def test_a_cosignature_on_another_checkpoint_is_refused(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    checkpoint = Checkpoint(ORIGIN, 10, bytes(32))
    other = Checkpoint(ORIGIN, 11, bytes(32))
    note = Note.from_text(sign_checkpoint(checkpoint, log)).with_signatures(
        [cosign_checkpoint(other, witnesses[0], 1_717_200_000)]
    )
    with pytest.raises(LedgerVerificationError, match="invalid signature"):
        open_checkpoint(note.to_text(), log.verifier_key, witnesses=[witnesses[0].verifier_key], quorum=1)


def test_unknown_witnesses_do_not_count(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    checkpoint = Checkpoint(ORIGIN, 10, bytes(32))
    note = Note.from_text(sign_checkpoint(checkpoint, log)).with_signatures(
        [cosign_checkpoint(checkpoint, w, 1) for w in witnesses]
    )
    verified = open_checkpoint(
        note.to_text(), log.verifier_key, witnesses=[witnesses[2].verifier_key], quorum=1
    )
    assert [c.name for c in verified.cosignatures] == [witnesses[2].name]


def test_the_log_signature_is_required(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    checkpoint = Checkpoint(ORIGIN, 10, bytes(32))
    witness_only = Note(checkpoint.to_text(), (cosign_checkpoint(checkpoint, witnesses[0], 5),)).to_text()
    with pytest.raises(LedgerVerificationError, match="not signed by the log key"):
        open_checkpoint(witness_only, log.verifier_key, witnesses=[witnesses[0].verifier_key])
    forged = sign_checkpoint(checkpoint, NoteSigner.generate(ORIGIN))
    with pytest.raises(LedgerVerificationError, match="not signed by the log key"):
        open_checkpoint(forged, log.verifier_key)


def test_the_origin_must_match(log: NoteSigner) -> None:
    message = sign_checkpoint(Checkpoint("other.example/log", 1, bytes(32)), log)
    with pytest.raises(LedgerVerificationError, match="origin"):
        open_checkpoint(message, log.verifier_key)
    assert open_checkpoint(message, log.verifier_key, origin="other.example/log").checkpoint.size == 1


def test_a_tampered_checkpoint_is_refused(log: NoteSigner) -> None:
    message = sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), log)
    with pytest.raises(LedgerVerificationError, match="invalid signature"):
        open_checkpoint(message.replace("\n10\n", "\n11\n"), log.verifier_key)
    with pytest.raises(LedgerVerificationError, match="malformed"):
        open_checkpoint(message.replace("\n10\n", "\n010\n"), log.verifier_key)


def test_bad_trust_configuration_is_refused(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    message = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), log)
    keys = [w.verifier_key for w in witnesses]
    same_key = NoteSigner(witnesses[0].name + "-again", b"\x01" * 32, SIGNATURE_TYPE_COSIGNATURE)
    other_name = NoteSigner("witness.example/other", b"\x01" * 32, SIGNATURE_TYPE_COSIGNATURE)
    for call in [
        lambda: open_checkpoint(message, log.verifier_key, witnesses=keys, quorum=4),
        lambda: open_checkpoint(message, log.verifier_key, witnesses=keys, quorum=-1),
        lambda: open_checkpoint(
            message, log.verifier_key, witnesses=[same_key.verifier_key, other_name.verifier_key]
        ),
        lambda: open_checkpoint(message, log.verifier_key, witnesses=[log.verifier_key]),
    ]:
        with pytest.raises(InvalidInputError):
            call()


def test_keys_of_the_wrong_kind_are_refused(log: NoteSigner, witnesses: list[NoteSigner]) -> None:
    checkpoint = Checkpoint(ORIGIN, 1, bytes(32))
    with pytest.raises(InvalidInputError):
        sign_checkpoint(checkpoint, witnesses[0])
    with pytest.raises(InvalidInputError):
        cosign_checkpoint(checkpoint, log, 1)


# --------------------------------------------------------------- end to end


def test_a_reader_checks_a_leaf_against_a_witnessed_checkpoint(
    log: NoteSigner, witnesses: list[NoteSigner]
) -> None:
    tree = MemoryTree()
    tree.extend(f"batch {i}".encode() for i in range(1000))
    old = Checkpoint(ORIGIN, 600, tree.root(600))
    new = Checkpoint(ORIGIN, tree.size, tree.root())
    note = Note.from_text(sign_checkpoint(new, log)).with_signatures(
        [cosign_checkpoint(new, w, 1_717_200_000) for w in witnesses]
    )
    verified = open_checkpoint(
        note.to_text(), log.verifier_key, witnesses=[w.verifier_key for w in witnesses], quorum=2
    )
    head = verified.checkpoint
    verify_inclusion(123, head.size, leaf_hash(b"batch 123"), tree.inclusion_proof(123), head.root_hash)
    verify_consistency(old.size, head.size, tree.consistency_proof(old.size), old.root_hash, head.root_hash)
