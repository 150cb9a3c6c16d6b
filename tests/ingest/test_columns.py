"""Records held as columns (``shuixiao.ingest.Columns``): made from records and back, joined, checked."""

from __future__ import annotations

import pytest

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import Columns, RawReading

pytestmark = pytest.mark.unit

RECORDS = [
    RawReading("FT-101", 1_735_689_600, 1.5, "m3", "good", 1),
    RawReading("FT-102", "2025-01-01 08:00", "2,5"),
    RawReading(None, 1_735_690_500, 3.0, None, 2, 7),
]


def test_records_to_columns_and_back() -> None:
    columns = Columns.of(RECORDS)
    assert len(columns) == 3
    assert list(columns.meters) == ["FT-101", "FT-102", None]
    assert list(columns.rows) == [1, None, 7]
    assert columns.records() == RECORDS
    assert [columns.record(i) for i in range(3)] == RECORDS


def test_no_records_are_empty_columns() -> None:
    columns = Columns.of([])
    assert len(columns) == 0 and columns.records() == []


def test_joined_columns_hold_the_records_in_order() -> None:
    joined = Columns.join([Columns.of(RECORDS[:1]), Columns.of([]), Columns.of(RECORDS[1:])])
    assert joined.records() == RECORDS
    alone = Columns.of(RECORDS)
    assert Columns.join([alone]) is alone


def test_columns_of_different_lengths_are_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"one entry per record each, not \[1, 2\]"):
        Columns(["FT-101", "FT-102"], [1, 2], [1.0, 2.0], [None, None], [None], [1, 2])
