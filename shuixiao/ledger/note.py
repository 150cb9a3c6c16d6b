"""C2SP signed notes: text signed by one or more named keys, and their verifier keys.

A signed note is UTF-8 text ending in a newline, a blank line, then one line
per signature::

    <text, ending in \\n>
    <blank line>
    — <key name> base64(4-byte key ID || signature)

The key ID is the first four bytes of ``SHA-256(name || 0x0A || type ||
public key)``. A verifier key ("vkey") is written ``<name>+<hex key
ID>+base64(type || public key)``. Two signature types are supported:

* ``0x01`` (:data:`SIGNATURE_TYPE_ED25519`): Ed25519 over the note text
  (c2sp.org/signed-note); what a log signs its checkpoints with.
* ``0x04`` (:data:`SIGNATURE_TYPE_COSIGNATURE`): a timestamped Ed25519
  witness cosignature, 8-byte big-endian POSIX time then the Ed25519
  signature of ``"cosignature/v1\\n" + "time <t>\\n" + text``
  (c2sp.org/tlog-cosignature).

Parsing is strict: anything outside the format (control characters, no blank
line before the signatures, a line that is not a signature, a bad key name,
non-canonical base64, more than :data:`MAX_SIGNATURES` signatures) raises
:class:`~shuixiao.errors.LedgerVerificationError`. Verification follows the
spec: signatures from unknown keys are ignored, a signature from a known key
must verify (else the whole note is refused), and at least one must.

Keys that a person configures (vkeys, signer keys, names) are checked with
:class:`~shuixiao.errors.InvalidInputError` instead.

References
----------
.. [1] C2SP, "Note" (signed-note), https://c2sp.org/signed-note
.. [2] C2SP, "Transparency Log Cosignatures", https://c2sp.org/tlog-cosignature
.. [3] S. Josefsson, I. Liusvaara, "Edwards-Curve Digital Signature Algorithm
   (EdDSA)", RFC 8032, Jan. 2017. :doi:`10.17487/RFC8032`
.. [4] Go module ``golang.org/x/mod/sumdb/note`` (the original implementation).
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from shuixiao.errors import InvalidInputError, LedgerVerificationError
from shuixiao.ledger import _ed25519

__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_COSIGNATURE",
    "SIGNATURE_TYPE_ED25519",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "VerifiedNote",
    "VerifierKey",
    "cosignature_message",
    "cosignature_timestamp",
    "key_id",
    "open_note",
    "sign_note",
]

SIGNATURE_TYPE_ED25519 = 0x01
"""Signature type of Ed25519 note signatures (c2sp.org/signed-note)."""

SIGNATURE_TYPE_COSIGNATURE = 0x04
"""Signature type of timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)."""

MAX_SIGNATURES = 100
"""Most signature lines a note may carry (the spec asks verifiers to accept at least 16)."""

_SUPPORTED_TYPES = (SIGNATURE_TYPE_ED25519, SIGNATURE_TYPE_COSIGNATURE)
_DASH = "\u2014 "
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_HEX8 = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)
_MAX_TIMESTAMP = 2**63 - 1
_COSIGNATURE_SIZE = 8 + _ed25519.SIGNATURE_SIZE


def _is_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name) and not _CONTROL.search(name)


def _require_key_name(name: str) -> None:
    if not _is_key_name(name):
        raise InvalidInputError(
            f"key name {name!r} must be non-empty, without spaces, '+' or control characters"
        )


def _b64decode(text: str) -> bytes:
    """Strict standard base64 (RFC 4648 §4): padded, canonical, nothing else."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise LedgerVerificationError("malformed note: invalid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise LedgerVerificationError("malformed note: non-canonical base64")
    return raw


def key_id(name: str, signature_type: int, public_key: bytes) -> int:
    """Return the key ID of a key: ``SHA-256(name || 0x0A || type || public key)[:4]`` as an int.

    Parameters
    ----------
    name : str
        Key name, e.g. ``"example.com/log"``.
    signature_type : int
        Signature type byte (:data:`SIGNATURE_TYPE_ED25519`, :data:`SIGNATURE_TYPE_COSIGNATURE`).
    public_key : bytes
        Encoded public key (32 bytes for Ed25519).

    Returns
    -------
    int
        The key ID, an unsigned 32-bit number (written as 8 hex digits).

    Examples
    --------
    The example key of c2sp.org/signed-note:

    >>> pk = base64.b64decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")[1:]
    >>> f"{key_id('example.com/foo', SIGNATURE_TYPE_ED25519, pk):08x}"
    '530d903a'
    """
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + bytes(public_key)
    ).digest()
    value: int = struct.unpack(">I", digest[:4])[0]
    return value


def cosignature_message(text: str, timestamp: int) -> bytes:
    """Return the message an Ed25519 cosignature signs (c2sp.org/tlog-cosignature).

    ``"cosignature/v1\\n" + "time <timestamp>\\n" + text``.

    Parameters
    ----------
    text : str
        The note text (a checkpoint body), ending in a newline.
    timestamp : int
        When the cosignature was made. [s since epoch, UTC]

    Returns
    -------
    bytes

    Examples
    --------
    >>> cosignature_message("example.com/log\\n1\\nAAAA\\n", 1679315147).decode()
    'cosignature/v1\\ntime 1679315147\\nexample.com/log\\n1\\nAAAA\\n'
    """
    return f"cosignature/v1\ntime {timestamp}\n".encode("ascii") + text.encode("utf-8")


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note.

    Parameters
    ----------
    name : str
        Key name.
    key_id : int
        Key ID (unsigned 32-bit).
    signature : bytes
        The signature after the key ID: 64 bytes for Ed25519, 72 for a
        cosignature (8-byte timestamp, then Ed25519).
    """

    name: str
    key_id: int
    signature: bytes

    def to_line(self) -> str:
        """Return the signature line, ``"— <name> <base64>\\n"``."""
        blob = struct.pack(">I", self.key_id) + self.signature
        return f"{_DASH}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """A note: its text and the signature lines that follow it.

    Parameters
    ----------
    text : str
        The signed text, ending in a newline.
    signatures : tuple of NoteSignature
        Signature lines in order.

    Raises
    ------
    InvalidInputError
        If the text does not end in a newline or holds control characters,
        or a signature has a bad key name.
    """

    text: str
    signatures: tuple[NoteSignature, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.text.endswith("\n") or _CONTROL.search(self.text):
            raise InvalidInputError("a note text ends in a newline and holds no other control characters")
        for signature in self.signatures:
            _require_key_name(signature.name)

    def to_text(self) -> str:
        """Return the signed note: text, blank line, signature lines."""
        return self.text + "\n" + "".join(s.to_line() for s in self.signatures)

    def with_signatures(self, signatures: Iterable[NoteSignature]) -> Note:
        """Return this note with ``signatures`` added, replacing earlier ones by the same key (name and ID)."""
        new = tuple(signatures)
        replaced = {(s.name, s.key_id) for s in new}
        kept = tuple(s for s in self.signatures if (s.name, s.key_id) not in replaced)
        return Note(self.text, kept + new)

    @classmethod
    def from_text(cls, message: str | bytes) -> Note:
        """Parse a signed note strictly; no signature is checked.

        Parameters
        ----------
        message : str or bytes
            The signed note (bytes must be UTF-8).

        Returns
        -------
        Note

        Raises
        ------
        LedgerVerificationError
            If ``message`` is not a well-formed signed note.
        """
        if isinstance(message, bytes | bytearray):
            try:
                message = bytes(message).decode("utf-8")
            except UnicodeDecodeError:
                raise LedgerVerificationError("malformed note: not UTF-8") from None
        try:
            message.encode("utf-8")
        except UnicodeEncodeError:
            raise LedgerVerificationError("malformed note: not UTF-8") from None
        if _CONTROL.search(message):
            raise LedgerVerificationError("malformed note: control character")
        split = message.rfind("\n\n")
        if split < 0:
            raise LedgerVerificationError("malformed note: no blank line before the signatures")
        text, block = message[: split + 1], message[split + 2 :]
        if not block.endswith("\n"):
            raise LedgerVerificationError("malformed note: the signatures must end in a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise LedgerVerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
        signatures = []
        for line in lines:
            if not line.startswith(_DASH):
                raise LedgerVerificationError("malformed note: a signature line must start with an em dash")
            name, _, blob_text = line[len(_DASH) :].partition(" ")
            if not _is_key_name(name):
                raise LedgerVerificationError(f"malformed note: bad key name {name!r}")
            blob = _b64decode(blob_text)
            if len(blob) < 5:
                raise LedgerVerificationError("malformed note: a signature is a key ID and at least one byte")
            signatures.append(NoteSignature(name, struct.unpack(">I", blob[:4])[0], blob[4:]))
        return cls(text, tuple(signatures))


@dataclass(frozen=True)
class VerifierKey:
    """A public key that verifies note signatures, with its name and type.

    Parameters
    ----------
    name : str
        Key name, e.g. ``"log.example.org/water"``; no spaces or ``+``.
    signature_type : int
        :data:`SIGNATURE_TYPE_ED25519` or :data:`SIGNATURE_TYPE_COSIGNATURE`.
    public_key : bytes
        The 32-byte Ed25519 public key.

    Raises
    ------
    InvalidInputError
        If the name, type or key is not acceptable.

    Examples
    --------
    >>> vkey = VerifierKey.parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    >>> vkey.name, f"{vkey.key_id:08x}", vkey.signature_type
    ('example.com/foo', '530d903a', 1)
    >>> str(vkey)
    'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'
    """

    name: str
    signature_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        _require_key_name(self.name)
        if self.signature_type not in _SUPPORTED_TYPES:
            raise InvalidInputError(
                f"signature type 0x{self.signature_type:02x} is not supported (0x01 Ed25519, 0x04 cosignature)"
            )
        if len(self.public_key) != _ed25519.KEY_SIZE:
            raise InvalidInputError(
                f"an Ed25519 public key is {_ed25519.KEY_SIZE} bytes, got {len(self.public_key)}"
            )
        object.__setattr__(self, "public_key", bytes(self.public_key))

    @property
    def key_id(self) -> int:
        """The key ID (see :func:`key_id`)."""
        return key_id(self.name, self.signature_type, self.public_key)

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """Parse a verifier key ``<name>+<hex key ID>+base64(type || public key)``.

        Raises
        ------
        InvalidInputError
            If the text is malformed, the type unsupported, or the key ID
            does not match the name and key.
        """
        name, _, rest = vkey.partition("+")
        hex_id, _, key_text = rest.partition("+")
        try:
            raw = base64.b64decode(key_text, validate=True)
        except ValueError:
            raw = b""
        if not _HEX8.fullmatch(hex_id) or not raw:
            raise InvalidInputError(
                f"malformed verifier key {vkey!r}: expected <name>+<8 hex digits>+<base64>"
            )
        key = cls(name, raw[0], raw[1:])
        if key.key_id != int(hex_id, 16):
            raise InvalidInputError(f"verifier key {vkey!r}: the key ID does not match the name and key")
        return key

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id:08x}+{blob}"

    def matches(self, signature: NoteSignature) -> bool:
        """Return whether ``signature`` claims to be from this key (same name and key ID)."""
        return signature.name == self.name and signature.key_id == self.key_id

    def verify(self, text: str, signature: NoteSignature) -> bool:
        """Return whether ``signature`` is this key's valid signature of the note ``text``.

        A signature that names another key, or has the wrong length, or (for
        a cosignature) a timestamp above 2⁶³ − 1, is not valid.
        """
        if not self.matches(signature):
            return False
        if self.signature_type == SIGNATURE_TYPE_ED25519:
            return _ed25519.verify(self.public_key, text.encode("utf-8"), signature.signature)
        if len(signature.signature) != _COSIGNATURE_SIZE:
            return False
        timestamp = struct.unpack(">Q", signature.signature[:8])[0]
        if timestamp > _MAX_TIMESTAMP:
            return False
        message = cosignature_message(text, timestamp)
        return _ed25519.verify(self.public_key, message, signature.signature[8:])


class NoteSigner:
    """A named Ed25519 private key that signs notes (type 0x01) or cosigns checkpoints (type 0x04).

    Parameters
    ----------
    name : str
        Key name; no spaces or ``+``.
    private_key : bytes
        The 32-byte Ed25519 private key (seed).
    signature_type : int, default :data:`SIGNATURE_TYPE_ED25519`
        :data:`SIGNATURE_TYPE_COSIGNATURE` for a witness.

    Raises
    ------
    InvalidInputError
        If the name, key or type is not acceptable.
    """

    __slots__ = ("_private_key", "_verifier_key")

    def __init__(self, name: str, private_key: bytes, signature_type: int = SIGNATURE_TYPE_ED25519) -> None:
        public_key = _ed25519.ed25519_public_key(private_key)
        self._verifier_key = VerifierKey(name, signature_type, public_key)
        self._private_key = bytes(private_key)

    @classmethod
    def generate(cls, name: str, signature_type: int = SIGNATURE_TYPE_ED25519) -> NoteSigner:
        """Return a signer with a new random key."""
        private_key, _ = _ed25519.generate_ed25519_key()
        return cls(name, private_key, signature_type)

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse a signer key ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || seed)``.

        This is the private-key text of Go's ``golang.org/x/mod/sumdb/note``.

        Raises
        ------
        InvalidInputError
            If the text is malformed or the key ID does not match.
        """
        parts = skey.split("+", 4)
        raw = b""
        if len(parts) == 5:
            try:
                raw = base64.b64decode(parts[4], validate=True)
            except ValueError:
                raw = b""
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX8.fullmatch(parts[3]) or not raw:
            raise InvalidInputError(
                "malformed signer key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64>"
            )
        signer = cls(parts[2], raw[1:], raw[0])
        if signer.key_id != int(parts[3], 16):
            raise InvalidInputError("signer key: the key ID does not match the name and key")
        return signer

    def to_skey(self) -> str:
        """Return the signer key text (see :meth:`from_skey`); it is a secret."""
        blob = base64.b64encode(bytes([self.signature_type]) + self._private_key).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{blob}"

    @property
    def name(self) -> str:
        """Key name."""
        return self._verifier_key.name

    @property
    def signature_type(self) -> int:
        """Signature type byte."""
        return self._verifier_key.signature_type

    @property
    def key_id(self) -> int:
        """Key ID."""
        return self._verifier_key.key_id

    @property
    def verifier_key(self) -> VerifierKey:
        """The matching public verifier key."""
        return self._verifier_key

    def sign(self, text: str, *, timestamp: int | None = None) -> NoteSignature:
        """Return the signature of the note ``text``.

        Parameters
        ----------
        text : str
            The note text, ending in a newline.
        timestamp : int, optional
            Required for a cosigner (type 0x04), refused otherwise: when the
            cosignature is made. [s since epoch, UTC, 0 ≤ t ≤ 2⁶³ − 1]

        Raises
        ------
        InvalidInputError
            If the text or the timestamp is not acceptable.
        """
        Note(text)  # validates the text
        if self.signature_type == SIGNATURE_TYPE_ED25519:
            if timestamp is not None:
                raise InvalidInputError("an Ed25519 note signature carries no timestamp; use a cosigner")
            return NoteSignature(
                self.name, self.key_id, _ed25519.sign(self._private_key, text.encode("utf-8"))
            )
        if timestamp is None or not 0 <= timestamp <= _MAX_TIMESTAMP:
            raise InvalidInputError("a cosignature needs a timestamp between 0 and 2**63 - 1")
        signature = _ed25519.sign(self._private_key, cosignature_message(text, timestamp))
        return NoteSignature(self.name, self.key_id, struct.pack(">Q", timestamp) + signature)

    def __repr__(self) -> str:
        return f"NoteSigner({self._verifier_key})"


def cosignature_timestamp(signature: NoteSignature) -> int:
    """Return the timestamp of a cosignature (type 0x04), in s since epoch.

    Does not verify the signature.

    Raises
    ------
    LedgerVerificationError
        If the signature is not 72 bytes long.

    Examples
    --------
    The cosignature in the example of c2sp.org/tlog-cosignature:

    >>> line = ("— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZ"
    ...         "CB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\\n")
    >>> note = Note.from_text("example.com/behind-the-sofa\\n1\\nAAAA\\n\\n" + line)
    >>> cosignature_timestamp(note.signatures[0])
    1679315147
    """
    if len(signature.signature) != _COSIGNATURE_SIZE:
        raise LedgerVerificationError(
            f"signature by {signature.name} is {len(signature.signature)} bytes, a cosignature is {_COSIGNATURE_SIZE}"
        )
    value: int = struct.unpack(">Q", signature.signature[:8])[0]
    return value


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose known signatures all verified.

    Parameters
    ----------
    note : Note
        The parsed note, with every signature line (known or not).
    verified : tuple of NoteSignature
        The signatures that verified, one per known key, in note order.
    """

    note: Note
    verified: tuple[NoteSignature, ...]

    @property
    def text(self) -> str:
        """The note text (only meaningful because it verified)."""
        return self.note.text


def _key_map(verifiers: Iterable[VerifierKey]) -> dict[tuple[str, int], VerifierKey]:
    known: dict[tuple[str, int], VerifierKey] = {}
    for key in verifiers:
        ident = (key.name, key.key_id)
        if ident in known and known[ident] != key:
            raise InvalidInputError(f"two different verifier keys are both named {key.name}+{key.key_id:08x}")
        known[ident] = key
    return known


def _verify_known(note: Note, verifiers: Iterable[VerifierKey]) -> tuple[NoteSignature, ...]:
    """Verify every signature of a known key; return one verified signature per key."""
    known = _key_map(verifiers)
    verified: dict[tuple[str, int], NoteSignature] = {}
    for signature in note.signatures:
        ident = (signature.name, signature.key_id)
        key = known.get(ident)
        if key is None or ident in verified:
            continue
        if not key.verify(note.text, signature):
            raise LedgerVerificationError(
                f"invalid signature for key {signature.name}+{signature.key_id:08x}"
            )
        verified[ident] = signature
    return tuple(verified.values())


def open_note(message: str | bytes, verifiers: Sequence[VerifierKey]) -> VerifiedNote:
    """Parse a signed note and verify it with the known keys.

    Signatures from unknown keys are ignored (c2sp.org/signed-note); every
    signature from a known key must verify, and at least one must be there.
    Repeated signature lines from one key count once.

    Parameters
    ----------
    message : str or bytes
        The signed note.
    verifiers : sequence of VerifierKey
        The trusted keys.

    Returns
    -------
    VerifiedNote

    Raises
    ------
    LedgerVerificationError
        If the note is malformed, a known key's signature does not verify, or
        no known key signed it.
    InvalidInputError
        If two different keys in ``verifiers`` share a name and key ID.

    Examples
    --------
    The example of c2sp.org/signed-note:

    >>> vkey = VerifierKey.parse("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
    >>> message = ("This is an example message.\\n\\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXp"
    ...            "pzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\\n")
    >>> open_note(message, [vkey]).text
    'This is an example message.\\n'
    """
    note = Note.from_text(message)
    verified = _verify_known(note, verifiers)
    if not verified:
        raise LedgerVerificationError("the note has no signature from a known key")
    return VerifiedNote(note, verified)


def sign_note(text: str, signers: Sequence[NoteSigner], *, timestamp: int | None = None) -> str:
    """Return the signed note of ``text`` by ``signers``, in order.

    Parameters
    ----------
    text : str
        The note text, ending in a newline.
    signers : sequence of NoteSigner
        At least one signer.
    timestamp : int, optional
        Passed to cosigners (type 0x04). [s since epoch, UTC]

    Raises
    ------
    InvalidInputError
        If there is no signer, or the text or timestamp is not acceptable.

    Examples
    --------
    Go's ``golang.org/x/mod/sumdb/note`` example, reproduced byte for byte
    (Ed25519 signatures are deterministic):

    >>> signer = NoteSigner.from_skey("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
    >>> print(sign_note("If you think cryptography is the answer to your problem,\\n"
    ...                 "then you don't know what your problem is.\\n", [signer]), end="")
    If you think cryptography is the answer to your problem,
    then you don't know what your problem is.
    <BLANKLINE>
    — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=
    """
    if not signers:
        raise InvalidInputError("a signed note needs at least one signer")
    signatures = []
    for signer in signers:
        stamp = timestamp if signer.signature_type == SIGNATURE_TYPE_COSIGNATURE else None
        signatures.append(signer.sign(text, timestamp=stamp))
    return Note(text, tuple(signatures)).to_text()
