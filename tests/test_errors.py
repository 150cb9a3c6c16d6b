"""The exception tree: builtin parents, diagnostics, messages."""

import pytest

from shuixiao.errors import (
    ConfigurationError,
    InvalidInputError,
    LedgerVerificationError,
    ModelValidationError,
    NotFoundError,
    Problem,
    ReferenceDataError,
    SchemaVersionError,
    ShuixiaoError,
    StorageError,
    UnitError,
)

pytestmark = pytest.mark.unit


def test_tree_and_builtins() -> None:
    assert issubclass(UnitError, InvalidInputError) and issubclass(InvalidInputError, ValueError)
    assert issubclass(ModelValidationError, ValueError)
    assert issubclass(NotFoundError, LookupError)
    assert issubclass(SchemaVersionError, StorageError) and issubclass(StorageError, RuntimeError)
    for cls in (ConfigurationError, LedgerVerificationError, StorageError, NotFoundError, InvalidInputError):
        assert issubclass(cls, ShuixiaoError)


def test_model_validation_error_lists_every_problem() -> None:
    err = ModelValidationError(
        [Problem("meters[1].unit", "bad unit", line=12), Problem("", "empty")], "plant.yaml"
    )
    assert str(err) == "plant.yaml: 2 problems found; line 12, meters[1].unit: bad unit; (document): empty"
    assert err.diagnostics().splitlines() == [
        "plant.yaml: 2 problems found",
        "  - line 12, meters[1].unit: bad unit",
        "  - (document): empty",
    ]
    assert str(ModelValidationError([Problem("a", "b")])) == "1 problem found; a: b"
    many = ModelValidationError([Problem(str(i), "x") for i in range(5)])
    assert str(many).endswith("; 2: x; …") and many.diagnostics().count("\n") == 5
    assert str(ReferenceDataError([Problem("x", "y")], "t.yaml")).startswith(
        "t.yaml: 1 problem in reference data"
    )


def test_ledger_error_shows_both_roots() -> None:
    err = LedgerVerificationError("root mismatch", expected=b"\x0a", calculated=b"\x0b")
    assert str(err) == "root mismatch (expected 0a, calculated 0b)"
    assert err.expected == b"\x0a" and err.calculated == b"\x0b"
    assert str(LedgerVerificationError("bad signature")) == "bad signature"
    assert ShuixiaoError("plain").diagnostics() == "plain"
