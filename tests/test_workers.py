"""The shared check of a requested number of worker processes, and the usable cores."""

from __future__ import annotations

import pytest

from shuixiao._workers import usable_cores, worker_count
from shuixiao.errors import InvalidInputError

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("workers", [1, 2, 16])
def test_a_whole_number_of_processes_passes(workers: int) -> None:
    assert worker_count(workers) == workers


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2", True, None])
def test_anything_else_is_refused_by_name(workers: object) -> None:
    with pytest.raises(InvalidInputError, match=f"whole number of processes ≥ 1, not {workers!r}"):
        worker_count(workers)


def test_usable_cores_is_at_least_one() -> None:
    assert usable_cores() >= 1
