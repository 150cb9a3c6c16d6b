"""The exception tree of shuixiao.

Every error a user can cause carries a message that says what is wrong and
what to change.  Each class also inherits the builtin it refines, so callers
that only know Python's exceptions still catch it::

    ShuixiaoError                       base of everything raised on purpose
    ├── InvalidInputError (ValueError)  a value that cannot be right
    │   ├── UnitError                   unknown unit, or a unit of the wrong quantity
    │   └── ModelValidationError        a water-system model with problems (lists them all)
    │       └── ReferenceDataError      a reference-data file (quotas, targets, tiers) with problems
    ├── NotFoundError (LookupError)     a named thing that does not exist
    ├── AuthenticationError             wrong or missing credentials (generic message on purpose)
    ├── PermissionDeniedError           authenticated, but the role or scope does not allow it
    ├── ConfigurationError              settings that cannot work (bad URL, bad data dir)
    ├── StorageError (RuntimeError)     the database refused or failed
    │   └── SchemaVersionError          the database is not at the code's schema version
    └── LedgerVerificationError         a proof, signature or checkpoint that does not verify

Developer mistakes (calling an engine with the wrong types) are left to raise
the ordinary builtins; only input a person supplies gets these classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "InvalidInputError",
    "LedgerVerificationError",
    "ModelValidationError",
    "NotFoundError",
    "PermissionDeniedError",
    "Problem",
    "ReferenceDataError",
    "SchemaVersionError",
    "ShuixiaoError",
    "StorageError",
    "UnitError",
]


class ShuixiaoError(Exception):
    """Base class of every error shuixiao raises on purpose."""

    def diagnostics(self) -> str:
        """Return the text to show a person: what went wrong and what to do.

        Returns
        -------
        str
            A message fit for a terminal, without a traceback.
        """
        return str(self)


class InvalidInputError(ShuixiaoError, ValueError):
    """A value supplied by a person or a device that cannot be right."""


class UnitError(InvalidInputError):
    """A unit that is unknown, or that does not measure the expected quantity."""


@dataclass(frozen=True)
class Problem:
    """One problem found while validating a document or a model.

    Parameters
    ----------
    path : str
        Where the problem is, as a dotted path into the document,
        e.g. ``meters[3].unit``.
    message : str
        What is wrong and what to change.
    line : int or None
        1-based line in the source file, when the document came from a file.
    """

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f"{where}{self.path or '(document)'}: {self.message}"


class ModelValidationError(InvalidInputError):
    """A water-system model (or model file) with one or more problems.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found; validation never stops at the first one.
    source : str, optional
        The file or object the problems were found in.
    """

    _WHAT = "found"

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        n = len(self.problems)
        self.summary = f"{source + ': ' if source else ''}{n} problem{'s' if n != 1 else ''} {self._WHAT}"
        shown = "".join(f"; {p}" for p in self.problems[:3]) + ("; …" if n > 3 else "")
        super().__init__(self.summary + shown)

    def diagnostics(self) -> str:
        """Return the summary, then every problem on its own line."""
        return "\n".join([self.summary, *(f"  - {p}" for p in self.problems)])


class ReferenceDataError(ModelValidationError):
    """A reference-data file (quotas, targets, tiers) with problems; lists every one with its line."""

    _WHAT = "in reference data"


class NotFoundError(ShuixiaoError, LookupError):
    """A named object (enterprise, meter, unit, ...) that does not exist."""


class AuthenticationError(ShuixiaoError):
    """Credentials that are missing, wrong, expired or revoked, or a login refused by rate limiting.

    The message is the same whatever failed (unknown login, wrong password,
    disabled account, too many attempts), so that it reveals nothing to a
    guesser; the audit log records the precise cause.
    """


class PermissionDeniedError(ShuixiaoError):
    """An authenticated principal whose role or scope does not allow the action."""


class ConfigurationError(ShuixiaoError):
    """Settings or environment that cannot work as given."""


class StorageError(ShuixiaoError, RuntimeError):
    """The database refused an operation or could not be reached."""


class SchemaVersionError(StorageError):
    """The database schema is not at the version this code expects."""


class LedgerVerificationError(ShuixiaoError):
    """A proof, signature, checkpoint or hash chain that does not verify.

    Parameters
    ----------
    message : str
        What failed, naming the item (leaf index, batch, checkpoint, key).
    expected : bytes, optional
        The value that should have been reached (e.g. the checkpoint's root hash).
    calculated : bytes, optional
        The value that was computed from the evidence.
    """

    def __init__(
        self, message: str, *, expected: bytes | None = None, calculated: bytes | None = None
    ) -> None:
        self.expected = expected
        self.calculated = calculated
        if expected is not None and calculated is not None:
            message = f"{message} (expected {expected.hex()}, calculated {calculated.hex()})"
        super().__init__(message)
