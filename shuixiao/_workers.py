"""How many worker processes: the check of a requested number and the cores this process may use."""

from __future__ import annotations

import os

from shuixiao.errors import InvalidInputError

__all__ = ["usable_cores", "worker_count"]


def worker_count(workers: object) -> int:
    """Return ``workers`` if it is a whole number of processes ≥ 1.

    Raises
    ------
    InvalidInputError
        Otherwise, naming the value.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(f"workers must be a whole number of processes ≥ 1, not {workers!r}")
    return workers


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
