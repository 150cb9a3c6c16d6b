"""Fixtures of the ledger-node tests: a store holding the steel works with a registered gateway."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shuixiao.model import Enterprise, Park, Region
from shuixiao.storage import Store

from ._helpers import Device, Node


@pytest.fixture
def node(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Node:
    """A migrated store (SQLite and PostgreSQL) holding the steel works ``xg-steel``."""
    store.save_model(regions, parks, [make_enterprise()])
    return Node(store)


@pytest.fixture
def device(node: Node) -> Device:
    """Gateway ``gw-01``, registered for FT-101 and PT-201 from a day before T0."""
    gateway = Device.new()
    node.register(gateway)
    return gateway
