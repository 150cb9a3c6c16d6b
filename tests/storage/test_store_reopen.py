"""``Store.url_to_reopen`` (a URL for another process) and the per-class row converters of the store."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa

from shuixiao.errors import ConfigurationError
from shuixiao.storage import Store
from shuixiao.storage.store import _COLLECTIONS, _COLUMN_OF, _ENUM_OF, _columns, _entity, _row
from tests.conftest import build_enterprise


def test_relative_sqlite_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///data/here.db") as store:
        store.upgrade()
        url = store.url_to_reopen()
    assert url == f"sqlite:///{tmp_path}/data/here.db"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with Store.open(url) as again:
        again.check_schema()  # the same, migrated database: not a new file under elsewhere/
    assert not (elsewhere / "data").exists()


def test_sqlite_uri_filename_keeps_its_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///here.db") as store:
        store.upgrade()
    with Store.open("sqlite:///file:here.db?mode=ro&uri=true") as store:
        url = store.url_to_reopen()
    assert sa.make_url(url).database == f"file:{tmp_path}/here.db"
    assert sa.make_url(url).query == {"mode": "ro", "uri": "true"}
    monkeypatch.chdir("/")
    with Store.open(url) as again:
        again.check_schema()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        pytest.param(
            "sqlite:///file:db?mode=memory&uri=true",
            marks=pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SADeprecationWarning"),
        ),
    ],
)
def test_in_memory_sqlite_cannot_be_reopened(url: str) -> None:
    with Store.open(url) as store, pytest.raises(ConfigurationError, match="in memory.*sqlite:///path"):
        store.url_to_reopen()


@pytest.mark.integration
@pytest.mark.postgres
def test_postgres_url_keeps_the_password(postgres_database: str) -> None:
    with_password = sa.make_url(postgres_database).set(password="s3cret:@/x")  # trust auth ignores it
    rendered = with_password.render_as_string(hide_password=False)
    with Store.open(rendered) as store:
        assert "s3cret" not in store.url
        url = store.url_to_reopen()
    assert sa.make_url(url).password == "s3cret:@/x"
    assert sa.make_url(url).database == with_password.database
    with Store.open(url) as again:
        assert again.url == store.url


def test_cached_columns_are_the_dataclass_fields() -> None:
    for _, _, cls in _COLLECTIONS:
        assert _columns(cls) is _columns(cls)
        assert _columns(cls) == tuple(
            (f.name, _COLUMN_OF.get(f.name, f.name), _ENUM_OF.get((cls, f.name)))
            for f in dataclasses.fields(cls)
        )


def test_rows_and_entities_round_trip_every_collection() -> None:
    enterprise = build_enterprise()
    for attr, table, cls in _COLLECTIONS:
        items = getattr(enterprise, attr)
        assert items, attr
        for item in items:
            row = _row(item, enterprise_key=1, position=0)
            assert set(row) <= {c.name for c in table.columns}, attr
            again = _entity(cls, row)
            assert again == item and type(again) is cls
            assert [type(getattr(again, f.name)) for f in dataclasses.fields(cls)] == [
                type(getattr(item, f.name)) for f in dataclasses.fields(cls)
            ]  # enums come back as enums, not their values
