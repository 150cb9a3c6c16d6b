"""Caches of the service: computed once per key, bounded, thread-safe; answers kept per data version.

SQLite documents that ``PRAGMA data_version`` changes when another connection commits
(https://www.sqlite.org/pragma.html#pragma_data_version); PostgreSQL's snapshot changes when a
transaction that wrote commits (PostgreSQL 15 documentation, §9.27.4).  The API tests run on both
backends.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import Pipeline, RawReading, Source
from shuixiao.model import Origin
from shuixiao.service._cache import DataVersion, TimedCache
from shuixiao.service._secrets import new_token
from shuixiao.storage import AccountStore, Store
from shuixiao.storage import schema as t


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


def test_peek_never_computes_and_bad_limits_are_refused() -> None:
    cache = TimedCache[int](ttl=math.inf, size=1)
    assert cache.peek("k") is None
    assert cache.get("k", lambda: 1) == 1 and cache.peek("k") == 1
    for ttl, size in ((0, 1), (-1, 1), (10, 0)):
        with pytest.raises(InvalidInputError, match="positive lifetime and size"):
            TimedCache[int](ttl=ttl, size=size)


@pytest.mark.integration
def test_data_version_changes_with_every_commit(store: Store) -> None:
    version = DataVersion(store)
    try:
        before = version.current()
        assert before is not None
        if store.url.startswith("sqlite"):  # a PostgreSQL server may be written to by others meanwhile
            store.list_regions()
            assert version.current() == before  # reading changes nothing
        with store.transaction("writing", write=True) as connection:
            connection.execute(sa.insert(t.regions).values(id="r-version", name="区", admin_code="430100"))
        after = version.current()
        assert after != before
        with Store.open(store.url) as other:
            with other.transaction("writing from another store", write=True) as connection:
                connection.execute(sa.delete(t.regions).where(t.regions.c.id == "r-version"))
        assert version.current() not in (before, after)
    finally:
        version.close()


@pytest.mark.unit
def test_an_in_memory_database_has_no_version() -> None:
    with Store.open("sqlite://") as store:
        assert DataVersion(store).current() is None


@pytest.mark.integration
def test_answers_are_kept_until_the_data_changes(world: Any) -> None:
    """A kept answer is served until a write; new readings and a renamed enterprise show at once."""
    client = world.client("enterprise_viewer")
    path = "/api/v1/enterprises/xg-steel"
    first = client.get(path)
    assert first.status_code == 200
    assert client.get(path).content == first.content
    answers = world.app.state.answers
    version = answers.version.current()
    kept = [key for key in answers._answers._values if key[0] == version and key[1][1] == path]
    assert len(kept) == 1  # one answer, kept for this principal at this version

    Pipeline(world.store).ingest(
        "xg-steel", [RawReading("FT-101", 1735776000, 1000.0 + 10.25 * 96)], Source(Origin.HTTP, "test")
    )
    meters = {m["id"]: m for m in client.get(path).json()["meters"]}
    assert meters["FT-101"]["latest"]["ts"] == "2025-01-02T08:00:00+08:00"
    listed = client.get(f"{path}/meters").json()["items"]
    assert listed[0]["latest"]["value"] == pytest.approx(1984.0)

    model = world.store.load_enterprise("xg-steel")
    world.store.save_enterprise(_renamed(model, "湘钢（改名）"), replace=True)
    assert client.get(path).json()["name"] == "湘钢（改名）"  # the model cache follows the version too


def _renamed(model: Any, name: str) -> Any:
    return dataclasses.replace(model, name=name)


@pytest.mark.integration
def test_a_kept_answer_goes_only_to_its_principal(world: Any) -> None:
    path = "/api/v1/enterprises/xg-steel/meters"
    kept = world.client("enterprise_manager").get(path)
    assert kept.status_code == 200 and "FT-101" in kept.text
    other = world.client("b_manager").get(path)  # same path, same data version, another tenant
    assert other.status_code == 404 and "FT-101" not in other.text


@pytest.mark.integration
def test_kept_credentials_follow_revocation_and_expiry(world: Any) -> None:
    """A token revoked by another process stops at once; one that expires stops without any write."""
    client = world.client("enterprise_viewer")
    assert client.get("/api/v1/session/me").status_code == 200
    assert client.get("/api/v1/session/me").status_code == 200  # its lookup is kept now
    with Store.open(world.store.url) as other:  # e.g. `shuixiao users token revoke` on the same database
        AccountStore(other).revoke_api_token(world.ids["enterprise_viewer_token"])
    assert client.get("/api/v1/session/me").status_code == 401

    secret, digest = new_token("sxa_")
    user = AccountStore(world.store).get_user("auditor")
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)
    AccountStore(world.store).add_api_token(digest, user.id, "short", "test", expires)
    short = world.client()
    short.headers["Authorization"] = f"Bearer {secret}"
    assert short.get("/api/v1/session/me").status_code == 200  # notes its first use: a write
    assert short.get("/api/v1/session/me").status_code == 200  # kept at this version
    version = world.app.state.answers.version.current()
    time.sleep(max(0.0, (expires - dt.datetime.now(dt.UTC)).total_seconds()) + 0.1)
    assert short.get("/api/v1/session/me").status_code == 401
    if world.store.url.startswith("sqlite"):  # a PostgreSQL server may be written to by others meanwhile
        assert world.app.state.answers.version.current() == version  # the kept lookup, against the clock
