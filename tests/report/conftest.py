"""One demo steel works (20 days) in an SQLite store, assessed once for the report tests."""

from __future__ import annotations

import datetime as dt

import pytest

from shuixiao.assess import EnterpriseAssessment, assess_enterprise, local_period
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.storage import Store

CONFIG = DemoConfig(enterprises=1, days=20, seed=2025)


@pytest.fixture(scope="session")
def assessment(tmp_path_factory: pytest.TempPathFactory) -> EnterpriseAssessment:
    directory = tmp_path_factory.mktemp("report-demo")
    with Store.open(f"sqlite:///{directory}/db.sqlite") as store:
        store.upgrade()
        build_demo(store, CONFIG, directory)
        start, _ = local_period(2025, 1)
        return assess_enterprise(
            store,
            "ronghu-steel",
            start,
            start + dt.timedelta(days=CONFIG.days),
            variants={"crude_steel": "no_coking_no_cold_rolling"},
        )
