"""The Store: opening, the model round trip, readings, aggregates and meter events."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import shuixiao.storage
from shuixiao.errors import (
    ConfigurationError,
    InvalidInputError,
    ModelValidationError,
    NotFoundError,
    StorageError,
)
from shuixiao.model import Enterprise, Meter, MeterKind, Origin, Park, Quality, Region
from shuixiao.storage import EnterpriseSummary, MeterEvent, Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = 1_704_038_400  # 2024-01-01T00:00:00+08:00 [s since epoch]

pytestmark = pytest.mark.integration

MakeEnterprise = Callable[..., Enterprise]


@pytest.fixture
def saved(store: Store, regions: list[Region], parks: list[Park], make_enterprise: MakeEnterprise) -> Store:
    """A store holding the regions, the park and the steel works ``xg-steel``."""
    store.save_model(regions, parks, [make_enterprise()])
    return store


def _minutes(n: int, start: int = T0, step: int = 60) -> np.ndarray:
    return start + step * np.arange(n, dtype=np.int64)


# --- opening -------------------------------------------------------------------------------------


@pytest.mark.unit
def test_public_names_are_sorted_and_complete() -> None:
    public = {name for name in vars(shuixiao.storage) if not name.startswith("_")}
    assert shuixiao.storage.__all__ == sorted(shuixiao.storage.__all__)
    modules = {"migrations", "schema", "store", "accounts", "alarms", "ledger", "plans"}
    assert set(shuixiao.storage.__all__) == public - modules


def test_sqlite_data_directory_is_created(tmp_path: Path) -> None:
    target = tmp_path / "var" / "lib" / "shuixiao" / "shuixiao.db"
    with Store.open(f"sqlite:///{target}") as store:
        store.upgrade()
        assert repr(store) == f"Store('sqlite:///{target}')"
    assert target.is_file()


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg", "postgres"])
def test_unreachable_postgresql_gives_an_actionable_error(scheme: str) -> None:
    with pytest.raises(StorageError) as caught:
        Store.open(f"{scheme}://postgres:s3cret@127.0.0.1:1/shuixiao?connect_timeout=2")
    message = str(caught.value)
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:1/shuixiao: is it running")
    assert "check SHUIXIAO_DATABASE_URL" in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "no database URL given"),
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/shuixiao", "'mysql' databases are not supported"),
        ("postgresql+psycopg2://u:pw@localhost/db", "driver 'psycopg2' is not supported"),
        ("sqlite+aiosqlite:///x.db", "driver 'aiosqlite' is not supported"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=expected):
        Store.open(url)


@pytest.mark.postgres
def test_missing_postgresql_database(postgres_database: str) -> None:
    url = postgres_database.rsplit("/", 1)[0] + "/shuixiao_no_such_database"
    with pytest.raises(
        StorageError, match=r"database does not exist: create it \(createdb shuixiao_no_such_database\)"
    ):
        Store.open(url)


def test_sqlite_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="cannot create the data directory"):
        Store.open(f"sqlite:///{blocker}/sub/shuixiao.db")


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StorageError, match="cannot open the SQLite database"):
        Store.open(f"sqlite:///{junk}")


def test_errors_raised_while_binding_keep_their_class(store: Store) -> None:
    naive = InvalidInputError("naive datetime")
    wrapped = sa.exc.StatementError("bind failed", "SELECT 1", {}, naive)
    assert store._error("reading", wrapped) is naive


def test_closed_store_refuses_work(store: Store) -> None:
    store.close()
    store.close()
    with pytest.raises(StorageError, match="is closed"):
        store.list_regions()
    with pytest.raises(StorageError, match="is closed"):
        store.upgrade()


# --- regions, parks, enterprises -----------------------------------------------------------------


def test_model_round_trip(
    saved: Store, regions: list[Region], parks: list[Park], make_enterprise: MakeEnterprise
) -> None:
    enterprise = make_enterprise()
    assert saved.load_enterprise("xg-steel") == enterprise
    assert saved.list_regions() == sorted(regions, key=lambda r: r.id)
    assert saved.list_parks() == parks
    assert saved.list_enterprises() == [
        EnterpriseSummary(
            id="xg-steel",
            name=enterprise.name,
            name_en=enterprise.name_en,
            park="xt-jiuhua",
            region="cn-hn-xt",
            industry_code="3120",
            credit_code=enterprise.credit_code,
            n_units=len(enterprise.units),
            n_flows=len(enterprise.flows),
            n_meters=len(enterprise.meters),
        )
    ]
    assert list(saved.meter_keys("xg-steel")) == [m.id for m in enterprise.meters]


def test_round_trip_of_a_minimal_enterprise(saved: Store, make_enterprise: MakeEnterprise) -> None:
    full = make_enterprise("tiny")
    tiny = dataclasses.replace(
        full,
        park=None,
        name_en=None,
        employees=None,
        sites=(),
        units=(full.units[1], full.units[-1]),
        flows=(),
        meters=(),
        products=(),
        production=(),
        value_added=(),
        energy=(),
    )
    saved.save_enterprise(tiny)
    assert saved.load_enterprise("tiny") == tiny


def test_regions_and_parks_are_upserted(saved: Store) -> None:
    saved.save_region(Region("cn-hn", "湖南省", "430000", name_en="Hunan Province"))
    saved.save_park(Park("xt-high-tech", "湘潭高新区", "cn-hn-xt"))
    assert saved.list_regions()[0].name_en == "Hunan Province"
    assert [p.id for p in saved.list_parks()] == ["xt-high-tech", "xt-jiuhua"]


def test_region_and_park_problems(store: Store) -> None:
    with pytest.raises(ModelValidationError) as caught:
        store.save_region(Region("x", "某地", "43", parent="nowhere"))
    assert [p.path for p in caught.value.problems] == ["admin_code", "parent"]
    with pytest.raises(ModelValidationError, match="park 'p'") as caught_park:
        store.save_park(Park("p", "园区", "nowhere"))
    assert "region 'nowhere' does not exist" in caught_park.value.diagnostics()
    assert store.list_regions() == [] and store.list_parks() == []


def test_empty_ids_and_self_parents_are_refused(store: Store, make_enterprise: MakeEnterprise) -> None:
    with pytest.raises(ModelValidationError) as caught:
        store.save_model(
            [Region(" ", "无名", "430000"), Region("loop", "环", "430100", parent="loop")], [], []
        )
    assert [p.path for p in caught.value.problems] == ["regions[0].id", "regions[1].parent"]
    store.save_region(Region("cn-hn", "湖南省", "430000"))
    with pytest.raises(ModelValidationError) as caught:
        store.save_model([], [Park("", "无名园区", "cn-hn")], [])
    assert [p.path for p in caught.value.problems] == ["parks[0].id"]
    with pytest.raises(ModelValidationError) as caught:
        store.save_enterprise(make_enterprise("", region="cn-hn", park=None))
    assert [p.path for p in caught.value.problems] == ["id"]


def test_invalid_enterprise_lists_every_problem_and_writes_nothing(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: MakeEnterprise
) -> None:
    good = make_enterprise()
    bad = dataclasses.replace(
        good,
        credit_code=good.credit_code[:17] + ("0" if good.credit_code[17] != "0" else "1"),
        meters=(*good.meters, Meter("FT-999", MeterKind.RATE, "flow_rate", "m3/h", 2, flow="no-such-flow")),
    )
    with pytest.raises(ModelValidationError) as caught:
        store.save_model(regions, parks, [good, dataclasses.replace(bad, id="bad")])
    paths = [p.path for p in caught.value.problems]
    assert paths == ["enterprises[1].credit_code", "enterprises[1].meters[8].flow"]
    assert store.list_regions() == [] and store.list_enterprises() == []


def test_enterprise_needs_its_region_and_park(store: Store, make_enterprise: MakeEnterprise) -> None:
    with pytest.raises(ModelValidationError) as caught:
        store.save_enterprise(make_enterprise())
    assert {p.path for p in caught.value.problems} == {"region", "park"}


def test_a_failing_save_leaves_nothing(
    store: Store, regions: list[Region], parks: list[Park], make_enterprise: MakeEnterprise
) -> None:
    # Valid by the model's rules, refused by the database (name is NOT NULL) after the
    # regions, the park and the first enterprise were written in the same transaction.
    nameless = make_enterprise("nameless", name=None)
    with pytest.raises(StorageError, match="saving the model failed"):
        store.save_model(regions, parks, [make_enterprise(), nameless])
    assert store.list_regions() == []
    assert store.list_parks() == []
    assert store.list_enterprises() == []


def test_save_model_refuses_existing_enterprise_without_replace(
    saved: Store, regions: list[Region], parks: list[Park], make_enterprise: MakeEnterprise
) -> None:
    new_region = Region("cn-hn-cs", "长沙市", "430100", parent="cn-hn")
    with pytest.raises(InvalidInputError, match="enterprise 'xg-steel' exists; use --replace"):
        saved.save_model([*regions, new_region], parks, [make_enterprise("other"), make_enterprise()])
    assert "cn-hn-cs" not in {r.id for r in saved.list_regions()}
    assert [s.id for s in saved.list_enterprises()] == ["xg-steel"]


def test_duplicate_enterprise(saved: Store, make_enterprise: MakeEnterprise) -> None:
    with pytest.raises(InvalidInputError, match=r"exists; use --replace \(replace=True\)"):
        saved.save_enterprise(make_enterprise())
    with pytest.raises(ModelValidationError) as caught:
        saved.save_model([], [], [make_enterprise("twin"), make_enterprise("twin")])
    assert caught.value.problems[0].path == "enterprises[1].id"


def test_replace_keeps_meter_keys_and_readings(saved: Store, make_enterprise: MakeEnterprise) -> None:
    before = saved.meter_keys("xg-steel")
    assert (
        saved.write_readings(before["FT-101"], _minutes(10), np.arange(10.0), Quality.GOOD, Origin.DEMO) == 10
    )
    original = make_enterprise()
    changed = dataclasses.replace(
        original,
        name="湘钢示范钢铁股份有限公司",
        meters=(
            Meter("FT-401", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-city"),
            *[m for m in original.meters if m.id != "LT-301"],
        ),
    )
    saved.save_enterprise(changed, replace=True)
    after = saved.meter_keys("xg-steel")
    assert saved.load_enterprise("xg-steel") == changed
    assert list(after) == [m.id for m in changed.meters]
    assert all(after[mid] == before[mid] for mid in after if mid != "FT-401")
    assert after["FT-401"] not in before.values()
    assert len(saved.read_readings("xg-steel", "FT-101")) == 10


def test_replace_refuses_to_drop_a_meter_with_readings(saved: Store, make_enterprise: MakeEnterprise) -> None:
    key = saved.meter_keys("xg-steel")["AT-201"]
    saved.write_readings(key, _minutes(5), np.full(5, 1450.0), Quality.GOOD, Origin.MQTT)
    original = make_enterprise()
    without = dataclasses.replace(original, meters=tuple(m for m in original.meters if m.id != "AT-201"))
    with pytest.raises(InvalidInputError, match=r"would drop meter 'AT-201' \(5 rows\).*drop_readings=True"):
        saved.save_enterprise(without, replace=True)
    assert saved.load_enterprise("xg-steel") == original
    saved.save_enterprise(without, replace=True, drop_readings=True)
    assert "AT-201" not in saved.meter_keys("xg-steel")
    assert saved.count_readings() == 0


def test_load_missing_enterprise_suggests_close_ids(saved: Store) -> None:
    with pytest.raises(NotFoundError, match=r"no enterprise 'xg-stel'; did you mean 'xg-steel'\?"):
        saved.load_enterprise("xg-stel")
    with pytest.raises(NotFoundError, match="there are 1: xg-steel"):
        saved.meter_keys("zzzzzz")


def test_delete_enterprise_takes_its_readings(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    saved.write_readings(key, _minutes(3), [1.0, 2.0, 3.0], Quality.GOOD, Origin.DEMO)
    saved.add_meter_event("xg-steel", "FT-101", dt.datetime(2024, 1, 2, tzinfo=SHANGHAI), "replacement", {})
    saved.delete_enterprise("xg-steel")
    assert saved.list_enterprises() == []
    assert saved.count_readings() == 0
    with pytest.raises(NotFoundError):
        saved.delete_enterprise("xg-steel")


# --- readings ------------------------------------------------------------------------------------


def test_write_readings_is_idempotent(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    ts = _minutes(1000)
    value = np.cumsum(np.full(1000, 0.5))
    assert saved.write_readings(key, ts, value, Quality.GOOD, Origin.HTTP) == 1000
    assert saved.write_readings(key, ts, value, Quality.GOOD, Origin.HTTP) == 0
    assert saved.write_readings(key, _minutes(1000, start=T0 + 500 * 60), value, 0, Origin.HTTP) == 500
    assert saved.count_readings() == 1500
    assert saved.count_readings("xg-steel") == 1500


def test_duplicates_within_one_call_keep_the_first(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["PT-201"]
    ts = np.array([T0 + 60, T0, T0 + 60, T0], dtype=np.int64)
    assert saved.write_readings(key, ts, [1.0, 2.0, 3.0, 4.0], [0, 1, 2, 3], Origin.MODBUS) == 2
    frame = saved.read_readings("xg-steel", "PT-201")
    assert frame["value"].tolist() == [2.0, 1.0]
    assert frame["quality"].tolist() == [Quality.ESTIMATED, Quality.GOOD]


def test_read_back_in_utc(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-103"]
    ts = _minutes(24 * 60 // 15, step=15 * 60)  # one Shanghai day at 15 min
    quality = np.where(np.arange(ts.size) % 10 == 0, Quality.SUSPECT, Quality.GOOD)
    saved.write_readings(key, ts, np.linspace(10, 20, ts.size), quality, Origin.FILE)
    start = dt.datetime(2024, 1, 1, 6, tzinfo=SHANGHAI)
    end = dt.datetime(2024, 1, 1, 7, tzinfo=SHANGHAI)
    frame = saved.read_readings("xg-steel", "FT-103", start, end)
    assert list(frame.columns) == ["ts", "value", "quality", "origin"]
    assert isinstance(frame["ts"].dtype, pd.DatetimeTZDtype)
    assert str(frame["ts"].dt.tz) == "UTC"
    assert frame["ts"].tolist() == [
        pd.Timestamp("2023-12-31T22:00Z") + pd.Timedelta(minutes=m) for m in (0, 15, 30, 45)
    ]
    assert frame["value"].tolist() == pytest.approx(np.linspace(10, 20, ts.size)[24:28])
    assert frame["quality"].tolist() == [Quality.GOOD, Quality.GOOD, Quality.GOOD, Quality.GOOD]
    assert set(frame["origin"]) == {Origin.FILE}
    assert saved.reading_span("xg-steel") == (
        dt.datetime(2023, 12, 31, 16, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, 15, 45, tzinfo=dt.UTC),
    )
    empty = saved.read_readings("xg-steel", "FT-103", end, end)
    assert empty.empty and list(empty.columns) == ["ts", "value", "quality", "origin"]


def test_reading_span_without_readings(saved: Store) -> None:
    assert saved.reading_span("xg-steel") is None


def test_datetime64_timestamps_are_accepted(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    ts = np.array(["2024-01-01T00:00:00", "2024-01-01T00:01:00"], dtype="datetime64[ns]")
    assert saved.write_readings(key, ts, [1.0, 2.0], Quality.GOOD, Origin.DEMO) == 2
    assert saved.reading_span("xg-steel") == (
        dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 1, 1, 0, 1, tzinfo=dt.UTC),
    )


def test_bulk_is_one_transaction(saved: Store) -> None:
    keys = saved.meter_keys("xg-steel")
    with saved.bulk() as writer:
        for n, key in enumerate(keys.values()):
            writer.write_readings(key, _minutes(100), np.full(100, float(n)), Quality.GOOD, Origin.DEMO)
        for value in (6.0, 7.0):  # the second call updates the first
            writer.write_aggregates(
                keys["FT-101"], "PT1H", _minutes(2, step=3600), [value] * 2, 0.1, 0.2, 60, 0
            )
    assert saved.count_readings() == 100 * len(keys)
    assert saved.read_aggregates("xg-steel", "FT-101", "PT1H")["value"].tolist() == [7.0, 7.0]
    with pytest.raises(RuntimeError, match="boom"), saved.bulk() as writer:
        writer.write_readings(keys["FT-101"], _minutes(10, start=T0 - 3600), np.ones(10), 0, Origin.DEMO)
        raise RuntimeError("boom")
    assert saved.count_readings() == 100 * len(keys)
    with pytest.raises(StorageError, match="block has ended"):
        writer.write_readings(keys["FT-101"], _minutes(1), [1.0], 0, Origin.DEMO)


def test_concurrent_writers_store_each_row_once(saved: Store, database_url: str) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    ts, value = _minutes(500), np.arange(500.0)
    outcome: dict[str, object] = {}

    def second_writer() -> None:
        try:
            with Store.open(database_url) as other:
                outcome["new"] = other.write_readings(key, ts, value, Quality.GOOD, Origin.HTTP)
        except Exception as err:  # handed to the test thread below
            outcome["error"] = err

    with saved.bulk() as writer:
        assert writer.write_readings(key, ts, value, Quality.GOOD, Origin.MQTT) == 500
        thread = threading.Thread(target=second_writer)
        thread.start()
        time.sleep(0.5)  # the second writer now waits for this transaction
    thread.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["new"] == 0
    frame = saved.read_readings("xg-steel", "FT-101")
    assert len(frame) == 500 and set(frame["origin"]) == {Origin.MQTT}


def test_in_memory_sqlite() -> None:
    with Store.open("sqlite://") as store:
        store.upgrade()
        store.save_region(Region("cn", "中国", "100000"))
        assert [r.id for r in store.list_regions()] == ["cn"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ts": _minutes(3) * 1000}, "looks like milliseconds: divide by 1000"),
        ({"ts": _minutes(3).astype(float)}, "must be integer seconds"),
        ({"ts": _minutes(3).reshape(3, 1)}, "must be a 1-D array"),
        ({"ts": np.array(["2024-01-01", "NaT", "2024-01-02"], dtype="datetime64[s]")}, "contains NaT"),
        ({"value": [1.0, np.nan, 2.0]}, r"value\[1\] is nan: only finite numbers are stored"),
        ({"value": [1.0, 2.0]}, r"value has shape \(2,\), expected \(3,\)"),
        ({"value": ["a", "b", "c"]}, "value must be numbers"),
        ({"quality": 7}, "quality must lie in 0..3"),
        ({"quality": [0.5, 1, 2]}, "quality must be integers"),
        ({"quality": [0, 1]}, "quality has shape"),
        ({"origin": 42}, "origin 42 is not one of"),
        ({"meter_key": "FT-101"}, "meter_key must be an integer"),
    ],
)
def test_bad_readings_are_refused(saved: Store, change: dict[str, object], expected: str) -> None:
    arguments: dict[str, object] = {
        "meter_key": saved.meter_keys("xg-steel")["FT-101"],
        "ts": _minutes(3),
        "value": [1.0, 2.0, 3.0],
        "quality": 0,
        "origin": Origin.DEMO,
    }
    arguments.update(change)
    with pytest.raises(InvalidInputError, match=expected):
        saved.write_readings(**arguments)  # type: ignore[arg-type]
    assert saved.count_readings() == 0


def test_unknown_meter(saved: Store) -> None:
    with pytest.raises(NotFoundError, match="no meter has key 987654"):
        saved.write_readings(987654, _minutes(1), [1.0], 0, Origin.DEMO)
    with pytest.raises(NotFoundError, match="enterprise 'xg-steel' has no meter 'FT-10'; did you mean"):
        saved.read_readings("xg-steel", "FT-10")


def test_empty_write_returns_zero(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    assert saved.write_readings(key, np.array([], dtype=np.int64), [], 0, Origin.DEMO) == 0
    assert saved.write_aggregates(key, "P1D", [], [], [], [], [], []) == 0


def test_naive_datetimes_are_rejected(saved: Store) -> None:
    naive = dt.datetime(2024, 1, 1, 8)
    with pytest.raises(InvalidInputError, match="naive datetime"):
        saved.read_readings("xg-steel", "FT-101", naive, dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    with pytest.raises(InvalidInputError, match="naive datetime"):
        saved.add_meter_event("xg-steel", "FT-101", naive, "rollover", {})
    with pytest.raises(InvalidInputError, match="end .* is before start"):
        saved.read_readings(
            "xg-steel",
            "FT-101",
            dt.datetime(2024, 1, 2, tzinfo=dt.UTC),
            dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        )


# --- aggregates ----------------------------------------------------------------------------------


def test_aggregates_are_upserted(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    hours = _minutes(4, step=3600)
    first = saved.write_aggregates(key, "PT1H", hours, [10.0, 11.0, 12.0, 13.0], 0.1, 0.3, 60, Quality.GOOD)
    assert first == 4
    again = saved.write_aggregates(
        key, "PT1H", hours[2:], [22.0, 23.0], [0.2, 0.2], [0.4, 0.4], [58, 60], [Quality.ESTIMATED, 0]
    )
    assert again == 2
    saved.write_aggregates(key, "P1D", hours[:1], [46.0], 0.1, 0.4, 238, Quality.ESTIMATED)
    frame = saved.read_aggregates("xg-steel", "FT-101", "PT1H")
    assert list(frame.columns) == ["start", "value", "minimum", "maximum", "count", "quality"]
    assert str(frame["start"].dt.tz) == "UTC"
    assert frame["value"].tolist() == [10.0, 11.0, 22.0, 23.0]
    assert frame["count"].tolist() == [60, 60, 58, 60]
    assert frame["quality"].tolist() == [0, 0, 1, 0]
    window = saved.read_aggregates(
        "xg-steel",
        "FT-101",
        "PT1H",
        dt.datetime(2024, 1, 1, 1, tzinfo=SHANGHAI),
        dt.datetime(2024, 1, 1, 3, tzinfo=SHANGHAI),
    )
    assert window["value"].tolist() == [11.0, 22.0]
    assert saved.read_aggregates("xg-steel", "FT-101", "P1D")["count"].tolist() == [238]


def test_duplicate_aggregates_within_one_call_keep_the_last(saved: Store) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    starts = np.array([T0, T0, T0 - 3600], dtype=np.int64)
    assert saved.write_aggregates(key, "PT1H", starts, [1.0, 2.0, 3.0], 0.0, 5.0, 4, 0) == 2
    assert saved.read_aggregates("xg-steel", "FT-101", "PT1H")["value"].tolist() == [3.0, 2.0]


@pytest.mark.parametrize(
    ("resolution", "minimum", "expected"),
    [
        ("1h", 0.0, "'1h' is not an ISO 8601 duration"),
        ("P", 0.0, "'P' is not an ISO 8601 duration"),
        ("PT", 0.0, "'PT' is not an ISO 8601 duration"),
        ("PT1H", 9.0, r"minimum\[0\] = 9.0 is above maximum\[0\] = 5.0"),
    ],
)
def test_bad_aggregates_are_refused(saved: Store, resolution: str, minimum: float, expected: str) -> None:
    key = saved.meter_keys("xg-steel")["FT-101"]
    with pytest.raises(InvalidInputError, match=expected):
        saved.write_aggregates(key, resolution, _minutes(1), [1.0], minimum, 5.0, 1, 0)


# --- meter events --------------------------------------------------------------------------------


def test_meter_events(saved: Store) -> None:
    replaced = dt.datetime(2024, 3, 1, 9, 30, tzinfo=SHANGHAI)
    rolled = dt.datetime(2024, 2, 1, 0, 0, tzinfo=SHANGHAI)
    saved.add_meter_event("xg-steel", "FT-101", replaced, "replacement", {"old": 123456.5, "new": 0.0})
    saved.add_meter_event("xg-steel", "FT-102", rolled, "rollover", {"register_max": 99999.0})
    saved.add_meter_event(
        "xg-steel", "FT-101", replaced, "replacement", {"old": 123456.7, "new": 0.0, "by": "张工"}
    )
    events = saved.list_meter_events("xg-steel")
    assert events == [
        MeterEvent(
            "xg-steel",
            "FT-102",
            dt.datetime(2024, 1, 31, 16, tzinfo=dt.UTC),
            "rollover",
            {"register_max": 99999.0},
        ),
        MeterEvent(
            "xg-steel",
            "FT-101",
            dt.datetime(2024, 3, 1, 1, 30, tzinfo=dt.UTC),
            "replacement",
            {"old": 123456.7, "new": 0.0, "by": "张工"},
        ),
    ]
    assert events[0].ts.tzinfo is dt.UTC
    assert [e.kind for e in saved.list_meter_events("xg-steel", "FT-101")] == ["replacement"]
    assert saved.list_meter_events("xg-steel", "LT-301") == []


def test_bad_meter_events_are_refused(saved: Store) -> None:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(InvalidInputError, match="needs a kind"):
        saved.add_meter_event("xg-steel", "FT-101", when, " ", {})
    with pytest.raises(InvalidInputError, match="JSON-compatible"):
        saved.add_meter_event("xg-steel", "FT-101", when, "rollover", {"at": when})
    with pytest.raises(InvalidInputError, match="JSON-compatible"):
        saved.add_meter_event("xg-steel", "FT-101", when, "rollover", {"value": float("nan")})
    with pytest.raises(NotFoundError, match="has no meter 'FT-999'"):
        saved.add_meter_event("xg-steel", "FT-999", when, "rollover", {})
