"""A short demo park shared by the demo tests (built and simulated once per session)."""

from __future__ import annotations

import datetime as dt

import pytest

from shuixiao.demo import DemoConfig, DemoPark, EnterpriseData, build_park, simulate

CONFIG = DemoConfig(enterprises=6, days=12, seed=7, start=dt.date(2025, 4, 20))
"""Twelve spring days: every injected event falls inside, runs take a fraction of a second."""


@pytest.fixture(scope="session")
def config() -> DemoConfig:
    return CONFIG


@pytest.fixture(scope="session")
def park() -> DemoPark:
    return build_park(CONFIG)


@pytest.fixture(scope="session")
def data(park: DemoPark) -> dict[str, EnterpriseData]:
    return {d.enterprise.id.split("-")[1]: d for d in simulate(park, CONFIG)}
