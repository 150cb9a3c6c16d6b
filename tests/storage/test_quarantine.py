"""The quarantine table (migration 0002) and the reads and locks ingestion uses inside a bulk transaction."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
import sqlalchemy as sa
from alembic import command

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, Origin, Park, Region
from shuixiao.storage import QuarantineEntry, QuarantineRecord, Store
from shuixiao.storage.store import _alembic_config

pytestmark = pytest.mark.integration

T0 = 1_704_038_400  # 2024-01-01T00:00:00+08:00 [s since epoch]


def _entry(
    enterprise: str | None = "xg-steel", reason: str = "unknown_meter", **changes: object
) -> QuarantineEntry:
    fields: dict[str, object] = {
        "enterprise": enterprise,
        "meter": "FT-999",
        "origin": Origin.FILE,
        "source": "readings.csv",
        "payload": '{"meter": "FT-999", "ts": 1, "value": 2}',
        "reason": reason,
        "message": "enterprise 'xg-steel' has no meter 'FT-999'",
    }
    fields.update(changes)
    return QuarantineEntry(**fields)  # type: ignore[arg-type]


@pytest.fixture
def saved(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    store.save_model(regions, parks, [make_enterprise()])
    return store


def test_add_list_and_count(store: Store) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ids = store.add_quarantine(
        [_entry(), _entry(reason="wrong_unit"), _entry("other", origin=Origin.MQTT), _entry(None, meter=None)]
    )
    assert ids == sorted(ids) and len(set(ids)) == 4
    records = store.list_quarantine()
    assert [r.id for r in records] == ids
    first = records[0]
    assert isinstance(first, QuarantineRecord)
    assert (first.enterprise, first.meter, first.origin, first.source, first.reason) == (
        "xg-steel",
        "FT-999",
        Origin.FILE,
        "readings.csv",
        "unknown_meter",
    )
    assert first.received.tzinfo is not None and first.received >= before and first.replayed_at is None
    assert [r.id for r in store.list_quarantine("xg-steel")] == ids[:2]
    assert [r.id for r in store.list_quarantine(reason="wrong_unit")] == [ids[1]]
    assert [r.id for r in store.list_quarantine(ids=[ids[3], ids[0]])] == [ids[0], ids[3]]
    assert [r.id for r in store.list_quarantine(after_id=ids[1], limit=1)] == [ids[2]]
    assert store.list_quarantine(start=before + dt.timedelta(hours=1)) == []
    assert len(store.list_quarantine(start=before, end=before + dt.timedelta(hours=1))) == 4
    assert store.count_quarantine() == {"unknown_meter": 3, "wrong_unit": 1}
    assert store.count_quarantine("xg-steel", reason="wrong_unit") == {"wrong_unit": 1}


def test_mark_replayed_once(store: Store) -> None:
    ids = store.add_quarantine([_entry(), _entry(), _entry()])
    at = dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC)
    assert store.mark_replayed([ids[0], ids[2], 999_999], at) == 2
    assert store.mark_replayed([ids[0]]) == 0  # already replayed
    assert [r.id for r in store.list_quarantine()] == [ids[1]]
    replayed = store.list_quarantine(replayed=True)
    assert [(r.id, r.replayed_at) for r in replayed] == [(ids[0], at), (ids[2], at)]
    assert len(store.list_quarantine(replayed=None)) == 3
    assert store.count_quarantine(replayed=True) == {"unknown_meter": 2}
    with pytest.raises(InvalidInputError, match="naive"):
        store.mark_replayed(ids, dt.datetime(2025, 1, 1))


def test_update_in_a_bulk_transaction(store: Store) -> None:
    (qid,) = store.add_quarantine([_entry()])
    with store.bulk() as writer:
        writer.update_quarantine(qid, "implausible_value", "pH 15 is above 14 pH")
        assert writer.mark_replayed([]) == 0
    (record,) = store.list_quarantine()
    assert (record.reason, record.message) == ("implausible_value", "pH 15 is above 14 pH")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"reason": " "}, "needs a reason code"),
        ({"payload": b"raw"}, "payload must be text"),
        ({"origin": 42}, "origin 42 is not one of"),
    ],
)
def test_bad_entries_are_refused(store: Store, change: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        store.add_quarantine([_entry(**change)])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="expected a QuarantineEntry"):
        store.add_quarantine(["not an entry"])  # type: ignore[list-item]
    assert store.count_quarantine() == {}


def test_any_text_can_be_quarantined(store: Store) -> None:
    store.add_quarantine([_entry(meter="FT\x00-1", payload="raw \x00 bytes \ud800", message="ü ✓ 水")])
    (record,) = store.list_quarantine()
    assert (record.meter, record.payload, record.message) == (
        "FT\\x00-1",
        "raw \\x00 bytes \\ud800",
        "ü ✓ 水",
    )


def test_quarantine_survives_its_enterprise(saved: Store) -> None:
    saved.add_quarantine([_entry()])
    saved.delete_enterprise("xg-steel")
    assert saved.count_quarantine("xg-steel") == {"unknown_meter": 1}


def test_read_window_with_neighbours(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    ts = T0 + 900 * np.arange(6)
    saved.write_readings(key, ts, np.arange(6, dtype=float), [0, 0, 3, 0, 0, 0], Origin.FILE)
    with saved.bulk() as writer:
        inside = writer.read_window(key, int(ts[2]), int(ts[3]))
        around = writer.read_window(key, int(ts[2]) + 1, int(ts[3]) + 1, before=True, after=True)
        empty = writer.read_window(key, 0, 10, before=True, after=False)
    assert inside.ts.tolist() == ts[2:4].tolist() and inside.quality.tolist() == [3, 0]
    assert around.ts.tolist() == ts[2:5].tolist() and around.value.tolist() == [2.0, 3.0, 4.0]
    assert (empty.ts.dtype, empty.value.dtype, empty.quality.dtype, empty.ts.size) == (
        np.int64,
        np.float64,
        np.int8,
        0,
    )


def test_lock_meters_serialises_writers_of_a_meter(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    order: list[str] = []
    holding = threading.Event()

    def first() -> None:
        with saved.bulk() as writer:
            writer.lock_meters([key, key])
            order.append("first locked")
            holding.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    assert holding.wait(10)
    with saved.bulk() as writer:
        writer.lock_meters([key])
        order.append("second locked")
    thread.join()
    assert order == ["first locked", "first done", "second locked"]
    with saved.bulk() as writer, pytest.raises(InvalidInputError, match="meter_key must be an integer"):
        writer.lock_meters(["FT-101"])  # type: ignore[list-item]


def test_a_closed_bulk_writer_refuses_reads(saved: Store) -> None:
    with saved.bulk() as writer:
        pass
    with pytest.raises(Exception, match="block has ended"):
        writer.read_window(1, 0, 1)


def test_migration_0002_up_and_down_keeps_the_data(empty_store: Store) -> None:
    with empty_store._engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
    assert empty_store.schema_version() == "0001"
    with empty_store._engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO regions (id, name, admin_code) VALUES ('cn-hn', '湖南省', '430000')")
        )
    with empty_store._engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0002")
    assert empty_store.schema_version() == "0002"
    empty_store.add_quarantine([_entry()])
    with empty_store._engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0001")
    with empty_store._engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
    assert "quarantine" not in tables and "readings" in tables
    assert [r.id for r in empty_store.list_regions()] == ["cn-hn"]


def test_quarantine_before_the_upgrade_says_upgrade(empty_store: Store) -> None:
    with empty_store._engine.begin() as connection:
        command.upgrade(_alembic_config(connection), "0001")
    with pytest.raises(Exception, match="run `shuixiao db upgrade`"):
        empty_store.list_quarantine()


def test_unknown_meter_keys_are_refused_by_the_window(saved: Store) -> None:
    with saved.bulk() as writer, pytest.raises(InvalidInputError, match="meter_key must be an integer"):
        writer.read_window(True, 0, 1)  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        saved.meter_keys("nobody")
