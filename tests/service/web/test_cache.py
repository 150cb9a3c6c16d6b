"""The assessment cache: computed once per key, kept for its lifetime, bounded, thread-safe."""

from __future__ import annotations

import threading
import time

import pytest

from shuixiao.service.web._cache import TimedCache

pytestmark = pytest.mark.unit


def test_expiry_and_size() -> None:
    now = [0.0]
    cache = TimedCache[int](ttl=10, size=2, clock=lambda: now[0])
    calls: list[str] = []

    def value(key: str, result: int) -> int:
        return cache.get(key, lambda: calls.append(key) or result)

    assert value("a", 1) == 1 and value("a", 2) == 1
    now[0] = 10.0
    assert value("a", 3) == 3  # expired
    assert value("b", 4) == 4 and value("c", 5) == 5  # "a" is dropped (least recently used)
    assert value("a", 6) == 6
    assert calls == ["a", "a", "b", "c", "a"]
    cache.clear()
    assert value("b", 7) == 7


def test_failures_are_not_kept() -> None:
    cache = TimedCache[int](ttl=10, size=2)

    def fail() -> int:
        raise RuntimeError("no data")

    with pytest.raises(RuntimeError):
        cache.get("k", fail)
    assert cache.get("k", lambda: 1) == 1


def test_one_computation_for_concurrent_requests() -> None:
    cache = TimedCache[int](ttl=10, size=2)
    count = [0]

    def slow() -> int:
        count[0] += 1
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 5 and count[0] == 1
