"""The unit tree: every meter once, at the right unit, with its latest reading, flag and staleness."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shuixiao.model import Quality, UnitKind
from shuixiao.service.web._tree import Latest, UnitNode, latest_readings, unit_tree
from shuixiao.storage import Store

pytestmark = pytest.mark.integration


def _meters(nodes: list[UnitNode]) -> list[str]:
    return [m.id for n in nodes for m in n.meters] + [m for n in nodes for m in _meters(n.children)]


def test_every_meter_appears_once(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    last = demo_store.reading_span(steel.id)
    assert last is not None
    latest = latest_readings(demo_store, steel, last[1], dt.timedelta(hours=24))
    inside, boundary = unit_tree(
        steel, latest, last[1], dt.timedelta(hours=2), "zh", zone, lambda m: f"/m/{m}"
    )
    shown = _meters(inside) + _meters(boundary)
    assert sorted(shown) == sorted(m.id for m in steel.meters)
    kinds = {u.id: u.kind for u in steel.units}
    assert {kinds[n.id] for n in boundary} <= {UnitKind.SOURCE, UnitKind.DISCHARGE, UnitKind.EXTERNAL_SUPPLY}
    # Intake meters sit at their source; level-3 units hang under their level-2 unit.
    sources = {n.id: [m.id for m in n.meters] for n in boundary if kinds[n.id] is UnitKind.SOURCE}
    assert sorted(m for ms in sources.values() for m in ms) == ["FT-1001", "FT-1002"]
    assert all(n.level in (2, None) for n in inside)
    assert all(c.level == 3 for n in inside for c in n.children)
    assert sum(n.meter_count for n in inside + boundary) == len(steel.meters)
    row = next(m for n in boundary for m in n.meters if m.id == "FT-1001")
    assert row.unit == "m³" and row.quality == "good" and not row.stale and row.href == "/m/FT-1001"
    assert row.value != "–" and row.time.startswith("2025-04-")


def test_flags_staleness_and_language(demo_store: Store, zone: ZoneInfo) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    last = dt.datetime(2025, 4, 18, 16, 0, tzinfo=dt.UTC)
    latest = {
        "AT-3201": Latest(last, 7.0, Quality.BAD),
        "FT-1001": Latest(last - dt.timedelta(hours=5), 1.0, Quality.GOOD),
    }
    inside, boundary = unit_tree(steel, latest, last, dt.timedelta(hours=2), "en", zone, str)
    rows = {m.id: m for n in inside + boundary for m in n.meters} | {
        m.id: m for n in inside for c in n.children for m in c.meters
    }
    assert rows["AT-3201"].quality == "bad" and not rows["AT-3201"].stale
    assert rows["FT-1001"].stale and rows["FT-1001"].time == "2025-04-18 19:00"
    assert rows["FT-1002"].quality == "none" and rows["FT-1002"].stale and rows["FT-1002"].value == "–"
    assert rows["AT-3201"].quantity == "pH" and rows["AT-3201"].kind == "water quality"
    names = {n.name for n in inside}
    assert all(name.isascii() for name in names if name)  # English names from name_en


def test_no_readings_gives_no_latest(demo_store: Store) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    assert latest_readings(demo_store, steel, None, dt.timedelta(hours=1)) == {}
    future = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert latest_readings(demo_store, steel, future, dt.timedelta(hours=1)) == {}


def test_zone_is_applied(demo_store: Store) -> None:
    steel = demo_store.load_enterprise("ronghu-steel")
    last = dt.datetime(2025, 4, 18, 16, 0, tzinfo=dt.UTC)
    latest = {"FT-1001": Latest(last, 1.0, Quality.GOOD)}
    _, boundary = unit_tree(steel, latest, last, dt.timedelta(hours=2), "zh", ZoneInfo("UTC"), str)
    assert next(m for n in boundary for m in n.meters if m.id == "FT-1001").time == "2025-04-18 16:00"
