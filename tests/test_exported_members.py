"""Each public package's ``__all__`` is sorted and names exactly its public members (as httpx does)."""

import importlib

import pytest

pytestmark = pytest.mark.unit

PACKAGES = [
    "shuixiao.errors",
    "shuixiao.units",
    "shuixiao.model",
    "shuixiao.io",
    "shuixiao.storage",
    "shuixiao.ingest",
    "shuixiao.series",
    "shuixiao.ledger",
    "shuixiao.reference",
    "shuixiao.balance",
    "shuixiao.leaks",
    "shuixiao.demo",
    "shuixiao.config",
    "shuixiao.alarms",
    "shuixiao.notify",
    "shuixiao.notary",
    "shuixiao.field",
    "shuixiao.assess",
    "shuixiao.report",
    "shuixiao.service",
    "shuixiao.service.web",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s)) or exported == sorted(exported)
    public = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_")
        and getattr(v, "__module__", name).startswith(name)
        and not isinstance(v, type(module))
    }
    assert set(exported) >= {n for n in public if callable(vars(module)[n])}
    for n in exported:
        assert hasattr(module, n), f"{name}.__all__ names {n}, which does not exist"
