"""``shuixiao targets --workers``: the same progress in worker processes, and a refused count."""

from __future__ import annotations

import json

import pytest

from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.storage import Store
from tests.cli.conftest import Run

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=2, days=35, seed=2025)  # steel and refinery, 1 January – 4 February 2025


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("cli-workers")
    database = f"sqlite:///{directory}/db.sqlite"
    with Store.open(database) as store:
        store.upgrade()
        build_demo(store, CONFIG, directory)
    return database


def test_targets_with_two_workers_print_what_one_prints(run: Run, url: str) -> None:
    args = ("--database-url", url, "targets", "--region", "hunan", "--period", "2025-01", "--json")
    status, one, _ = run(*args)
    assert status == 0
    status, two, _ = run(*args, "--workers", "2")
    assert status == 0
    assert json.loads(two) == json.loads(one) and len(json.loads(one)["enterprises"]) == 2
    status, _, _ = run(
        "--database-url", url, "targets", "--park", "dongting-park", "--period", "2025-01", "--workers", "2"
    )
    assert status == 0


def test_targets_refuse_zero_workers(run: Run, url: str) -> None:
    status, _, err = run(
        "--database-url", url, "targets", "--region", "hunan", "--period", "2025-01", "--workers", "0"
    )
    assert status != 0 and "workers must be a whole number of processes ≥ 1" in err
