"""Assessing a park or region in worker processes gives what one process gives, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from shuixiao.assess import assess_park, assess_region, local_period
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.errors import ConfigurationError, InvalidInputError
from shuixiao.storage import Store
from tests.conftest import _empty_public_schema

pytestmark = pytest.mark.integration

SMALL = DemoConfig(enterprises=3, days=35, seed=7)
"""Three plants (steel, refinery, dyeing) for January 2025 and four days of February."""
VARIANTS = {"crude_steel": "no_coking_no_cold_rolling"}


def same(a: Any, b: Any, where: str = "result") -> None:
    """Assert that ``a`` and ``b`` are equal all the way down, NaN equal to NaN."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in dataclasses.fields(a):
            same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def small_demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The :data:`SMALL` demo in an SQLite file or in PostgreSQL, built once for the module."""
    directory = tmp_path_factory.mktemp("parallel")
    if request.param == "sqlite":
        url = f"sqlite:///{directory}/db.sqlite"
    else:
        url = request.getfixturevalue("postgres_database")
        _empty_public_schema(url)
    with Store.open(url) as store:
        store.upgrade()
        build_demo(store, SMALL, directory / "demo")
        yield store


def period() -> tuple[dt.datetime, dt.datetime]:
    start, _ = local_period(2025, 1)
    return start, start + dt.timedelta(days=SMALL.days)


def test_region_with_two_workers_is_the_region_with_one(small_demo: Store) -> None:
    store = small_demo
    province = next(r for r in store.list_regions() if r.parent is None)
    last = store.list_enterprises()[-1].id
    facts = {last: {"lawful_abstraction_permits": True}}
    kwargs: dict[str, Any] = {"period": period(), "variants": VARIANTS, "facts": facts}
    one = assess_region(store, province.id, 2025, **kwargs)
    two = assess_region(store, province.id, 2025, workers=2, **kwargs)
    assert len(one.enterprises) == SMALL.enterprises
    permits = {
        a.enterprise.id: next(
            c.status.value for c in a.tiers["water_saving"].criteria if c.id.endswith("permits")
        )
        for a in two.enterprises
    }
    assert permits[last] == "met" and all(v == "unknown" for k, v in permits.items() if k != last)
    assert [a.enterprise.id for a in two.enterprises] == [a.enterprise.id for a in one.enterprises]
    assert two.enterprises[0] is not one.enterprises[0]  # assessed elsewhere, not shared
    same(two, one)
    assert two.to_dict() == one.to_dict()


def test_park_with_three_workers_is_the_park_with_one(small_demo: Store) -> None:
    store = small_demo
    park = store.list_parks()[0].id
    one = assess_park(store, park, *period(), variants=VARIANTS)
    three = assess_park(store, park, *period(), variants=VARIANTS, workers=3)
    same(three, one)


@pytest.fixture(scope="module")
def in_memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """Two demo plants for three days in an in-memory SQLite database."""
    with Store.open("sqlite://") as store:
        store.upgrade()
        build_demo(store, DemoConfig(enterprises=2, days=3, seed=1), tmp_path_factory.mktemp("mem"))
        yield store


def three_days() -> tuple[dt.datetime, dt.datetime]:
    start, _ = local_period(2025, 1)
    return start, start + dt.timedelta(days=3)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_workers_must_be_a_whole_number_of_processes(in_memory: Store, workers: Any) -> None:
    park = in_memory.list_parks()[0].id
    with pytest.raises(InvalidInputError, match="workers must be a whole number"):
        assess_park(in_memory, park, *three_days(), workers=workers)


def test_an_in_memory_store_cannot_be_shared_with_workers(in_memory: Store) -> None:
    park = in_memory.list_parks()[0].id
    assert len(assess_park(in_memory, park, *three_days()).enterprises) == 2
    with pytest.raises(ConfigurationError, match="in memory"):
        assess_park(in_memory, park, *three_days(), workers=2)
