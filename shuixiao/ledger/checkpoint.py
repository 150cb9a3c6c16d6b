"""C2SP tlog checkpoints: the signed tree head of the log, and witness cosignatures.

A checkpoint is a signed note whose text is::

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, base64>
    [extension lines]

signed by the log's key (here an Ed25519 note signature, type 0x01) and
cosigned by witnesses (Ed25519 cosignatures, type 0x04, each saying "as of
time t, this is the largest consistent tree I have seen for this origin").
A reader trusts a checkpoint when the log's signature and at least
``quorum`` cosignatures from distinct trusted witnesses verify
(:func:`open_checkpoint`).

References
----------
.. [1] C2SP, "Transparency Log Checkpoints", https://c2sp.org/tlog-checkpoint
.. [2] C2SP, "Transparency Log Cosignatures", https://c2sp.org/tlog-cosignature
.. [3] C2SP, "Transparency Log Witness Protocol", https://c2sp.org/tlog-witness
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger.merkle import HASH_SIZE
from shuixiao.ledger.note import (
    SIGNATURE_TYPE_COSIGNATURE,
    Note,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    _verify_known,
    cosignature_timestamp,
)

__all__ = [
    "Checkpoint",
    "Cosignature",
    "VerifiedCheckpoint",
    "cosign_checkpoint",
    "open_checkpoint",
    "sign_checkpoint",
]

_SIZE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_MAX_SIZE = 2**64 - 1


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint: origin, tree size and root hash.

    Parameters
    ----------
    origin : str
        Unique identifier of the log, e.g. ``"ledger.park.example/water"``;
        non-empty, one line.
    size : int
        Number of leaves in the tree.
    root_hash : bytes
        RFC 9162 root hash of the tree of ``size`` leaves. [32 bytes]
    extensions : tuple of str, default ()
        Opaque extension lines, each non-empty (NOT RECOMMENDED by the spec).

    Raises
    ------
    InvalidInputError
        If a field is out of range.

    Examples
    --------
    The example of c2sp.org/tlog-checkpoint:

    >>> cp = Checkpoint.from_text("example.com/behind-the-sofa\\n20852163\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n")
    >>> cp.origin, cp.size, cp.root_hash.hex()[:8]
    ('example.com/behind-the-sofa', 20852163, '0ac5186a')
    >>> cp.to_text() == "example.com/behind-the-sofa\\n20852163\\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\\n"
    True
    """

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for what, line in [("origin", self.origin), *(("extension line", e) for e in self.extensions)]:
            if not line or "\n" in line or any(ord(c) < 0x20 for c in line):
                raise InvalidInputError(f"checkpoint {what} {line!r} must be one non-empty line")
        if not 0 <= self.size <= _MAX_SIZE:
            raise InvalidInputError(f"checkpoint size {self.size} is outside 0..2**64 - 1")
        if len(self.root_hash) != HASH_SIZE:
            raise InvalidInputError(f"checkpoint root hash is {HASH_SIZE} bytes, got {len(self.root_hash)}")
        object.__setattr__(self, "root_hash", bytes(self.root_hash))
        object.__setattr__(self, "extensions", tuple(self.extensions))

    def to_text(self) -> str:
        """Return the note text of the checkpoint."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse the note text of a checkpoint strictly.

        Raises
        ------
        LedgerVerificationError
            If the text is not a well-formed checkpoint body: fewer than three
            lines, an empty line, a size with a sign, leading zeros or non-ASCII
            digits, a root hash that is not canonical base64 of 32 bytes, or no
            final newline.
        """
        if not text.endswith("\n"):
            raise LedgerVerificationError("malformed checkpoint: the text must end in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):
            raise LedgerVerificationError(
                "malformed checkpoint: it needs origin, size and root hash lines, none empty"
            )
        origin, size_text, root_text, *extensions = lines
        if not _SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
            raise LedgerVerificationError(f"malformed checkpoint: bad tree size {size_text!r}")
        try:
            root = base64.b64decode(root_text, validate=True)
        except ValueError:
            root = b""
        if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != root_text:
            raise LedgerVerificationError(f"malformed checkpoint: bad root hash {root_text!r}")
        try:
            return cls(origin, int(size_text), root, tuple(extensions))
        except InvalidInputError as err:
            raise LedgerVerificationError(f"malformed checkpoint: {err}") from None


@dataclass(frozen=True)
class Cosignature:
    """A witness cosignature that verified.

    Parameters
    ----------
    name : str
        The witness key name.
    key_id : int
        The witness key ID.
    timestamp : int or None
        When the witness cosigned [s since epoch, UTC]; ``None`` for a
        witness that signs with a plain Ed25519 note signature.
    """

    name: str
    key_id: int
    timestamp: int | None


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose log signature and witness quorum verified.

    Parameters
    ----------
    checkpoint : Checkpoint
        The tree head.
    note : Note
        The signed note, with every signature line (known or not).
    cosignatures : tuple of Cosignature
        The trusted witnesses' cosignatures that verified.
    """

    checkpoint: Checkpoint
    note: Note
    cosignatures: tuple[Cosignature, ...]


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """Return the checkpoint as a signed note, signed by the log's key.

    Parameters
    ----------
    checkpoint : Checkpoint
        The tree head.
    signer : NoteSigner
        The log's key; its name should be the checkpoint's origin.

    Returns
    -------
    str
        The signed note.

    Raises
    ------
    InvalidInputError
        If ``signer`` is a cosigner (type 0x04): a log signs with a note signature.
    """
    if signer.signature_type == SIGNATURE_TYPE_COSIGNATURE:
        raise InvalidInputError("a log signs its checkpoints with an Ed25519 note key, not a cosigner key")
    text = checkpoint.to_text()
    return Note(text, (signer.sign(text),)).to_text()


def cosign_checkpoint(checkpoint: Checkpoint, cosigner: NoteSigner, timestamp: int) -> NoteSignature:
    """Return a witness's cosignature of ``checkpoint`` at ``timestamp`` (c2sp.org/tlog-cosignature).

    The witness must have verified the log's signature and the consistency
    with the last checkpoint it cosigned before calling this.

    Parameters
    ----------
    checkpoint : Checkpoint
        The tree head being cosigned.
    cosigner : NoteSigner
        The witness key, of type 0x04 (:data:`~shuixiao.ledger.SIGNATURE_TYPE_COSIGNATURE`).
    timestamp : int
        Time of cosigning. [s since epoch, UTC]

    Returns
    -------
    NoteSignature
        The signature line to add to the checkpoint note
        (:meth:`Note.with_signatures`).

    Raises
    ------
    InvalidInputError
        If ``cosigner`` is not a cosignature key or ``timestamp`` is out of range.
    """
    if cosigner.signature_type != SIGNATURE_TYPE_COSIGNATURE:
        raise InvalidInputError("a witness cosigns with a cosignature key (type 0x04)")
    return cosigner.sign(checkpoint.to_text(), timestamp=timestamp)


def open_checkpoint(
    message: str | bytes,
    log_key: VerifierKey,
    *,
    origin: str | None = None,
    witnesses: Sequence[VerifierKey] = (),
    quorum: int = 0,
) -> VerifiedCheckpoint:
    """Parse a signed checkpoint and verify the log's signature and a quorum of witness cosignatures.

    Parameters
    ----------
    message : str or bytes
        The signed checkpoint note.
    log_key : VerifierKey
        The log's public key.
    origin : str, optional
        The expected origin line; default the log key's name.
    witnesses : sequence of VerifierKey, default ()
        Trusted witness keys, each with its own public key.
    quorum : int, default 0
        How many distinct witnesses must have cosigned (k of n).

    Returns
    -------
    VerifiedCheckpoint

    Raises
    ------
    LedgerVerificationError
        If the note or checkpoint is malformed, the origin differs, the log's
        signature is missing or invalid, a trusted witness's cosignature is
        invalid, or fewer than ``quorum`` witnesses cosigned.
    InvalidInputError
        If ``quorum`` is not in ``0..len(witnesses)``, or two trusted keys
        (log or witnesses) share a public key.
    """
    if not 0 <= quorum <= len(witnesses):
        raise InvalidInputError(
            f"quorum {quorum} must be between 0 and the number of witnesses ({len(witnesses)})"
        )
    public_keys = [log_key.public_key, *(w.public_key for w in witnesses)]
    if len(set(public_keys)) != len(public_keys):
        raise InvalidInputError("the log and every witness need distinct public keys")
    note = Note.from_text(message)
    checkpoint = Checkpoint.from_text(note.text)
    expected_origin = log_key.name if origin is None else origin
    if checkpoint.origin != expected_origin:
        raise LedgerVerificationError(f"checkpoint origin {checkpoint.origin!r} is not {expected_origin!r}")
    verified = _verify_known(note, [log_key, *witnesses])
    if not any(log_key.matches(s) for s in verified):
        raise LedgerVerificationError(f"the checkpoint is not signed by the log key {log_key.name}")
    cosignatures = tuple(
        Cosignature(
            s.name,
            s.key_id,
            cosignature_timestamp(s)
            if _witness(witnesses, s).signature_type == SIGNATURE_TYPE_COSIGNATURE
            else None,
        )
        for s in verified
        if not log_key.matches(s)
    )
    if len(cosignatures) < quorum:
        names = ", ".join(c.name for c in cosignatures) or "none"
        raise LedgerVerificationError(
            f"checkpoint of {checkpoint.origin} at size {checkpoint.size} has {len(cosignatures)} valid witness "
            f"cosignatures ({names}), {quorum} required"
        )
    return VerifiedCheckpoint(checkpoint, note, cosignatures)


def _witness(witnesses: Sequence[VerifierKey], signature: NoteSignature) -> VerifierKey:
    return next(w for w in witnesses if w.matches(signature))
