"""Key files of a ledger node: the log's signing key and the witness keys, kept in the data directory.

Layout under ``<data_dir>/ledger/``::

    log.key                     the log's signer key (secret, mode 0600)
    log.vkey                    its verifier key (public)
    witness/<name>.key          a witness's cosigner key (secret, mode 0600)
    witness/<name>.vkey         its verifier key (public)

Key files hold one line in the text forms of Go's ``golang.org/x/mod/sumdb/note``
(c2sp.org/signed-note): a signer key ``PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>``
and a verifier key ``<name>+<key ID>+<base64(type || public key)>``, where the
key ID is the first four bytes of ``SHA-256(name || 0x0A || type || public
key)`` as 8 hex digits, and the type is 0x01 (Ed25519 note signature, the log)
or 0x04 (Ed25519 timestamped cosignature, a witness). A key is made on first
use and never replaced: a log keeps one key for life. A secret key file that
others can read is refused.
"""

from __future__ import annotations

import os
import re
import socket
import stat
from pathlib import Path
from typing import Final

from shuixiao.errors import ConfigurationError, InvalidInputError
from shuixiao.ledger import SIGNATURE_TYPE_COSIGNATURE, SIGNATURE_TYPE_ED25519, NoteSigner, VerifierKey

__all__ = ["default_origin", "key_directory", "log_signer", "read_verifier_key", "witness_signer"]

_SAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")


def key_directory(data_dir: Path) -> Path:
    """Return ``<data_dir>/ledger``, where the key files live."""
    return Path(data_dir) / "ledger"


def default_origin() -> str:
    """Return the default origin of a new log, ``<host name>/shuixiao``.

    Examples
    --------
    >>> default_origin().endswith("/shuixiao")
    True
    """
    host = _SAFE.sub("-", socket.gethostname()) or "localhost"
    return f"{host}/shuixiao"


def _read_secret(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"key file {path} can be read by others (mode {stat.S_IMODE(mode):o}); run `chmod 600 {path}`"
        )
    return path.read_text(encoding="ascii").strip()


def _create(path: Path, signer: NoteSigner) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # made meanwhile by another process; read it instead
    except OSError as err:
        raise ConfigurationError(f"cannot create key file {path}: {err.strerror}") from err
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(signer.to_skey() + "\n")
    path.with_suffix(".vkey").write_text(f"{signer.verifier_key}\n", encoding="ascii")


def _signer(path: Path, name: str | None, signature_type: int, what: str) -> NoteSigner:
    if not path.exists():
        if name is None:
            raise ConfigurationError(f"no {what} key at {path}")
        _create(path, NoteSigner.generate(name, signature_type))
    try:
        signer = NoteSigner.from_skey(_read_secret(path))
    except InvalidInputError as err:
        raise ConfigurationError(f"key file {path} is not a signer key: {err}") from err
    if signer.signature_type != signature_type:
        raise ConfigurationError(
            f"key file {path} holds a key of type 0x{signer.signature_type:02x}, not a {what} key"
        )
    if name is not None and signer.name != name:
        raise ConfigurationError(
            f"key file {path} is the key of {signer.name!r}, not {name!r}; a key keeps its name for life"
        )
    return signer


def log_signer(data_dir: Path, origin: str | None = None) -> NoteSigner:
    """Return the log's signing key, creating it on first use (mode 0600).

    Parameters
    ----------
    data_dir : pathlib.Path
        The node's data directory.
    origin : str, optional
        The log's origin (key name). On first use it names the new key
        (default :func:`default_origin`); later it must match.

    Raises
    ------
    ConfigurationError
        If the file cannot be made, is readable by others, is not a log key,
        or names another origin.
    """
    path = key_directory(data_dir) / "log.key"
    if not path.exists() and origin is None:
        origin = default_origin()
    return _signer(path, origin, SIGNATURE_TYPE_ED25519, "log")


def witness_signer(data_dir: Path, name: str) -> NoteSigner:
    """Return the cosigning key of witness ``name``, creating it on first use (mode 0600).

    Raises
    ------
    ConfigurationError
        If the file cannot be made, is readable by others or is not this witness's key.
    """
    slug = _SAFE.sub("_", name)
    return _signer(
        key_directory(data_dir) / "witness" / f"{slug}.key", name, SIGNATURE_TYPE_COSIGNATURE, "witness"
    )


def read_verifier_key(text_or_path: str) -> VerifierKey:
    """Parse a verifier key given as text, or as the path of a ``.vkey`` file.

    Raises
    ------
    InvalidInputError
        If neither parses.
    """
    candidate = Path(text_or_path)
    text = text_or_path
    if "+" not in text_or_path or candidate.is_file():
        try:
            text = candidate.read_text(encoding="ascii").strip()
        except OSError as err:
            raise InvalidInputError(
                f"{text_or_path!r} is neither a verifier key (<name>+<key ID>+<base64>) nor a readable file"
            ) from err
    return VerifierKey.parse(text.strip())
