"""A small thread-safe cache of computed assessments, kept for a limited time."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["TimedCache"]

_Value = TypeVar("_Value")


class TimedCache(Generic[_Value]):
    """Values computed once per key and kept for ``ttl`` seconds, at most ``size`` of them.

    Two requests for the same missing key compute it once: the second waits
    for the first (one lock per key), so a dashboard opened by many users at
    once does not run the same assessment many times.

    Parameters
    ----------
    ttl : float
        Lifetime of a value. [s]
    size : int
        Most values kept; the least recently used goes first.
    clock : callable, optional
        Monotonic time source. [s]

    Examples
    --------
    >>> cache = TimedCache[int](ttl=60, size=2)
    >>> cache.get("a", lambda: 1), cache.get("a", lambda: 2)
    (1, 1)
    """

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._size = size
        self._clock = clock
        self._values: OrderedDict[Hashable, tuple[float, _Value]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], _Value]) -> _Value:
        """Return the value of ``key``, computing it with ``compute()`` when absent or expired.

        An exception of ``compute`` propagates and nothing is kept.
        """
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                found = self._fresh(key)
                if found is not None:
                    return found[1]
            value = compute()
            with self._lock:
                self._values[key] = (self._clock() + self._ttl, value)
                self._values.move_to_end(key)
                while len(self._values) > self._size:
                    old, _ = self._values.popitem(last=False)
                    self._key_locks.pop(old, None)
            return value

    def _fresh(self, key: Hashable) -> tuple[float, _Value] | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._values[key]
            return None
        self._values.move_to_end(key)
        return entry

    def clear(self) -> None:
        """Forget every value."""
        with self._lock:
            self._values.clear()
            self._key_locks.clear()
