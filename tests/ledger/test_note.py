"""Tests of shuixiao.ledger.note: C2SP signed notes, verifier keys, signers and cosignatures.

Published examples used:

* c2sp.org/signed-note (C2SP/C2SP ``signed-note.md``): the ``example.com/foo`` vkey and signature;
* Go ``golang.org/x/mod/sumdb/note`` (``note.go`` example and ``note_test.go`` ``TestOpen``,
  ``TestNewVerifier``): the PeterNeumann signer key, vkey and signature, the EnochRoot vkey and
  signature, and the list of malformed notes;
* transparency-dev/formats ``note/note_cosigv1_test.go``: a type 0x01 vkey whose base64 contains
  ``+``, a type 0x04 cosignature vkey, malformed vkeys, and a cosignature whose timestamp is known;
* c2sp.org/tlog-cosignature: the example cosignature line and its timestamp.
"""

from __future__ import annotations

import base64
import struct

import pytest

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import (
    MAX_SIGNATURES,
    SIGNATURE_TYPE_COSIGNATURE,
    SIGNATURE_TYPE_ED25519,
    Note,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    cosignature_message,
    cosignature_timestamp,
    ed25519_public_key,
    generate_ed25519_key,
    key_id,
    open_note,
    sign_note,
)

pytestmark = pytest.mark.unit

# c2sp.org/signed-note
C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
C2SP_NOTE = (
    "This is an example message.\n\n— example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)

# golang.org/x/mod/sumdb/note
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# transparency-dev/formats note/note_cosigv1_test.go
PLUS_VKEY = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
COSIGNATURE_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
SIGSTORE_KEY_MATERIAL = "AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABNhtmPtrWm3U1eQXBogSMdGvXwBcK5AW5i0hrZLOC96l+smGNM7nwZ4QvFK/4sueRoVj//QP22Ni4Qt9DPfkWLc="


@pytest.fixture
def peter() -> VerifierKey:
    return VerifierKey.parse(PETER_VKEY)


@pytest.fixture
def enoch() -> VerifierKey:
    return VerifierKey.parse(ENOCH_VKEY)


# --------------------------------------------------------------- published examples


def test_the_c2sp_example_verifies() -> None:
    vkey = VerifierKey.parse(C2SP_VKEY)
    assert f"{vkey.key_id:08x}" == "530d903a"
    opened = open_note(C2SP_NOTE, [vkey])
    assert opened.text == "This is an example message.\n"
    assert opened.verified == opened.note.signatures


def test_the_go_signer_reproduces_the_published_note() -> None:
    signer = NoteSigner.from_skey(PETER_SKEY)
    assert str(signer.verifier_key) == PETER_VKEY
    assert signer.to_skey() == PETER_SKEY
    assert sign_note(TEXT, [signer]) == TEXT + "\n" + PETER_SIG
    assert repr(signer) == f"NoteSigner({PETER_VKEY})"


def test_open_reports_the_signatures_of_known_keys(peter: VerifierKey, enoch: VerifierKey) -> None:
    message = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    one = open_note(message, [peter])
    assert one.text == TEXT
    assert [(s.name, s.key_id) for s in one.verified] == [("PeterNeumann", 0xC74F20A3)]
    assert len(one.note.signatures) == 2
    both = open_note(message.encode("utf-8"), [peter, enoch])
    assert [(s.name, s.key_id) for s in both.verified] == [
        ("PeterNeumann", 0xC74F20A3),
        ("EnochRoot", 0xAF0CFE78),
    ]
    assert both.note.to_text() == message
    with pytest.raises(LedgerVerificationError, match="no signature from a known key"):
        open_note(message, [])


def test_repeated_and_unknown_signatures(peter: VerifierKey) -> None:
    tampered_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    message = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + tampered_enoch
    opened = open_note(message, [peter, peter])
    assert [s.name for s in opened.verified] == ["PeterNeumann"]


def test_a_bad_signature_from_a_known_key_refuses_the_note(peter: VerifierKey) -> None:
    message = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(LedgerVerificationError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        open_note(message, [peter])
    with pytest.raises(LedgerVerificationError, match="invalid signature"):
        open_note(TEXT.replace("cryptography", "cryptographY") + "\n" + PETER_SIG, [peter])


@pytest.mark.parametrize(
    "message",
    [
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        b"\xff" + (TEXT + "\n" + PETER_SIG).encode(),
        TEXT
        + "\n"
        + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1),
        TEXT + "\n" + PETER_SIG.replace("nAM=", "nAN="),
        TEXT + "\n" + "— PeterNeumann x08g\n",
        TEXT + "\n" + "— PeterNeumann\n",
        TEXT + "\n" + "— Peter+Neumann " + PETER_SIG.split(" ")[2],
        TEXT + "\n" + PETER_SIG.replace("x08go", "x08g*"),
        "\ud800" + TEXT + "\n" + PETER_SIG,
    ],
    ids=[
        "no-signatures",
        "blank-line-only",
        "no-final-newline",
        "control-character",
        "invalid-utf8",
        "space-in-name",
        "unexpected-line",
        "too-many-signatures",
        "non-canonical-base64",
        "short-signature",
        "no-signature-field",
        "plus-in-name",
        "bad-base64",
        "lone-surrogate",
    ],
)
def test_malformed_notes_are_refused(message: str | bytes, peter: VerifierKey) -> None:
    with pytest.raises(LedgerVerificationError, match="malformed note"):
        open_note(message, [peter])


def test_sixteen_signatures_are_accepted(peter: VerifierKey) -> None:
    signers = [NoteSigner.generate(f"w{i}.example") for i in range(15)]
    message = Note.from_text(sign_note(TEXT, signers)).with_signatures(
        Note.from_text(TEXT + "\n" + PETER_SIG).signatures
    )
    opened = open_note(message.to_text(), [peter, *(s.verifier_key for s in signers)])
    assert len(opened.verified) == 16


# --------------------------------------------------------------- verifier keys


def test_vkeys_of_other_implementations_round_trip() -> None:
    for text in [C2SP_VKEY, PETER_VKEY, ENOCH_VKEY, PLUS_VKEY, COSIGNATURE_VKEY]:
        assert str(VerifierKey.parse(text)) == text
    assert VerifierKey.parse(PLUS_VKEY).signature_type == SIGNATURE_TYPE_ED25519
    cosigner = VerifierKey.parse(COSIGNATURE_VKEY)
    assert cosigner.signature_type == SIGNATURE_TYPE_COSIGNATURE
    assert f"{key_id(cosigner.name, 0x04, cosigner.public_key):08x}" == "da77ade7"


def test_upper_case_key_ids_are_read() -> None:
    assert VerifierKey.parse(PETER_VKEY.replace("c74f20a3", "C74F20A3")).key_id == 0xC74F20A3


@pytest.mark.parametrize(
    "text",
    [
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
        "rekor.sigstore.dev+NOT_A_NUMBER+" + SIGSTORE_KEY_MATERIAL,
        "rekor.sigstore.dev+00000000+" + SIGSTORE_KEY_MATERIAL,
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_vkeys_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        VerifierKey.parse(text)


def test_every_mangling_of_a_vkey_is_refused() -> None:
    # after golang.org/x/mod/sumdb/note TestNewVerifier: every proper substring and every byte + 1
    raw = PETER_VKEY.encode()
    mangled = {raw[i:j] for i in range(len(raw)) for j in range(i + 1, len(raw) + 1)} - {raw}
    mangled |= {raw[:i] + bytes([raw[i] + 1]) + raw[i + 1 :] for i in range(len(raw))}
    for text in mangled:
        with pytest.raises(InvalidInputError):
            VerifierKey.parse(text.decode())


@pytest.mark.parametrize(
    ("name", "signature_type", "public_key"),
    [
        ("", 1, bytes(32)),
        ("a b", 1, bytes(32)),
        ("a+b", 1, bytes(32)),
        ("a\u00a0b", 1, bytes(32)),
        ("a", 2, bytes(32)),
        ("a", 1, bytes(31)),
    ],
)
def test_bad_verifier_keys_are_refused(name: str, signature_type: int, public_key: bytes) -> None:
    with pytest.raises(InvalidInputError):
        VerifierKey(name, signature_type, public_key)


def test_two_different_keys_with_one_name_and_id_are_ambiguous(peter: VerifierKey) -> None:
    class Colliding(VerifierKey):
        @property
        def key_id(self) -> int:
            return 0xC74F20A3

    impostor = Colliding("PeterNeumann", SIGNATURE_TYPE_ED25519, bytes(32))
    with pytest.raises(InvalidInputError, match="two different verifier keys"):
        open_note(TEXT + "\n" + PETER_SIG, [peter, impostor])


def test_a_signature_is_checked_only_by_its_own_key(peter: VerifierKey, enoch: VerifierKey) -> None:
    signature = Note.from_text(TEXT + "\n" + PETER_SIG).signatures[0]
    assert peter.verify(TEXT, signature)
    assert not enoch.verify(TEXT, signature)
    assert not peter.verify(TEXT, NoteSignature("PeterNeumann", 0xC74F20A3, signature.signature[:-1]))


# --------------------------------------------------------------- signer keys


@pytest.mark.parametrize(
    "text",
    [
        "PRIVATE+KEY+PeterNeumann+c74f20a3",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+!!!!",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+",
        "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+xyz+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AwEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKA=",
    ],
)
def test_malformed_signer_keys_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        NoteSigner.from_skey(text)


def test_generated_keys_sign_and_verify() -> None:
    private_key, public_key = generate_ed25519_key()
    assert ed25519_public_key(private_key) == public_key
    signer = NoteSigner("log.example/water", private_key)
    assert (signer.name, signer.signature_type) == ("log.example/water", SIGNATURE_TYPE_ED25519)
    assert signer.verifier_key == VerifierKey("log.example/water", SIGNATURE_TYPE_ED25519, public_key)
    message = sign_note("hello\n", [signer])
    assert open_note(message, [signer.verifier_key]).text == "hello\n"
    with pytest.raises(InvalidInputError):
        NoteSigner("log.example/water", private_key[:31])


def test_signing_refuses_bad_input() -> None:
    signer = NoteSigner.generate("log.example")
    cosigner = NoteSigner.generate("witness.example", SIGNATURE_TYPE_COSIGNATURE)
    for call in [
        lambda: sign_note("hello\n", []),
        lambda: signer.sign("no newline"),
        lambda: signer.sign("hello\n", timestamp=1),
        lambda: cosigner.sign("hello\n"),
        lambda: cosigner.sign("hello\n", timestamp=-1),
        lambda: cosigner.sign("hello\n", timestamp=2**63),
    ]:
        with pytest.raises(InvalidInputError):
            call()


# --------------------------------------------------------------- notes


def test_note_text_must_end_in_a_newline_without_control_characters() -> None:
    for text in ["no newline", "tab\there\n", ""]:
        with pytest.raises(InvalidInputError):
            Note(text)
    with pytest.raises(InvalidInputError):
        Note("ok\n", (NoteSignature("bad name", 1, b"x"),))


def test_with_signatures_replaces_the_same_key() -> None:
    first = NoteSignature("a.example", 1, b"one")
    other = NoteSignature("b.example", 2, b"two")
    note = Note("text\n", (first, other)).with_signatures([NoteSignature("a.example", 1, b"new")])
    assert [s.signature for s in note.signatures] == [b"two", b"new"]


def test_a_note_may_hold_blank_lines() -> None:
    signer = NoteSigner.generate("log.example")
    message = sign_note("first\n\nthird\n", [signer])
    assert open_note(message, [signer.verifier_key]).text == "first\n\nthird\n"


# --------------------------------------------------------------- cosignatures


def test_cosignatures_carry_their_time() -> None:
    cosigner = NoteSigner.generate("witness.example/w1", SIGNATURE_TYPE_COSIGNATURE)
    text = "example.com/log\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    signature = cosigner.sign(text, timestamp=1_700_000_000)
    assert len(signature.signature) == 72
    assert cosignature_timestamp(signature) == 1_700_000_000
    assert cosigner.verifier_key.verify(text, signature)
    # the time is signed: moving it breaks the signature
    moved = NoteSignature(
        signature.name, signature.key_id, struct.pack(">Q", 1_700_000_001) + signature.signature[8:]
    )
    assert not cosigner.verifier_key.verify(text, moved)
    too_late = NoteSignature(signature.name, signature.key_id, b"\xff" * 8 + signature.signature[8:])
    assert not cosigner.verifier_key.verify(text, too_late)
    assert not cosigner.verifier_key.verify(
        text, NoteSignature(signature.name, signature.key_id, signature.signature[:64])
    )
    # the same key as a plain Ed25519 key does not verify it: the key IDs differ
    plain = VerifierKey(cosigner.name, SIGNATURE_TYPE_ED25519, cosigner.verifier_key.public_key)
    assert not plain.verify(text, signature)


def test_the_cosigned_message_is_the_c2sp_example() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(text, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_published_cosignature_timestamps() -> None:
    # transparency-dev/formats TestCosignatureTimestamp
    blob = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    assert cosignature_timestamp(NoteSignature("w", int.from_bytes(blob[:4], "big"), blob[4:])) == 1727964367
    plain = base64.b64decode(
        "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
    )
    with pytest.raises(LedgerVerificationError):
        cosignature_timestamp(NoteSignature("w", 1, plain[4:]))


def test_sign_note_passes_the_time_to_cosigners_only() -> None:
    log = NoteSigner.generate("log.example")
    witness = NoteSigner.generate("witness.example", SIGNATURE_TYPE_COSIGNATURE)
    message = sign_note("body\n", [log, witness], timestamp=42)
    opened = open_note(message, [log.verifier_key, witness.verifier_key])
    assert cosignature_timestamp(opened.verified[1]) == 42
