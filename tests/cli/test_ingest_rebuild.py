"""``shuixiao ingest rebuild``: aggregates recomputed from the stored readings, called as ``main(argv)``.

Reference: ``Pipeline.rebuild`` (docs/ingestion.md, "Aggregates"); the aggregates a pipeline keeps
while ingesting are the reference the rebuilt ones must equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shuixiao.ingest import Pipeline, RawReading, Source
from shuixiao.model import Origin
from shuixiao.storage import Store

pytestmark = pytest.mark.integration

MODELS = Path(__file__).parents[1] / "data" / "models"
E = "xt-paper"
T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
RESOLUTIONS = ("PT15M", "PT1H", "P1D", "P1M")


@pytest.fixture
def run(run):  # type: ignore[no-untyped-def]
    """The shared ``run`` in English, against a data directory holding the paper mill."""

    def _run(*argv: str) -> tuple[int, str, str]:
        return run("--lang", "en", *argv)  # type: ignore[no-any-return]

    assert _run("db", "upgrade")[0] == 0
    assert _run("model", "import", str(MODELS / "paper_mill.yaml"))[0] == 0
    return _run


def _records() -> list[RawReading]:
    """Two days of two totalizers at 15 min."""
    return [
        RawReading(meter, T0 + 900 * i, 1000.0 + 2.5 * i + (7 if meter == "FT-101" else 0))
        for i in range(192)
        for meter in ("FT-001", "FT-101")
    ]


def _aggregates(store: Store, meter: str) -> list[Any]:
    return [store.read_aggregates(E, meter, r).to_dict("list") for r in RESOLUTIONS]


def test_rebuild_recomputes_what_ingestion_keeps(run: Any, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/shuixiao.db"
    reference = tmp_path / "reference.db"
    with Store.open(f"sqlite:///{reference}") as kept:  # the same readings, aggregates kept on ingestion
        kept.upgrade()
        kept.save_model(*_model(url))
        Pipeline(kept).ingest(E, _records(), Source(Origin.FILE, "r.csv"))
        want = {m: _aggregates(kept, m) for m in ("FT-001", "FT-101")}
    with Store.open(url) as store:
        Pipeline(store, aggregates=False).ingest(E, _records(), Source(Origin.FILE, "r.csv"))
        assert store.read_aggregates(E, "FT-001", "PT1H").empty

    status, out, _ = run("ingest", "rebuild", "--enterprise", E, "--meter", "FT-001", "--json")
    assert status == 0
    document = json.loads(out)
    assert document["meters"] == ["FT-001"] and document["rows"] > 0
    with Store.open(url) as store:
        assert _aggregates(store, "FT-001") == want["FT-001"]
        assert store.read_aggregates(E, "FT-101", "PT1H").empty  # not named: left alone

    status, out, _ = run(
        "ingest", "rebuild", "--enterprise", E, "--from", "2024-06-01", "--to", "2024-06-02T23:59", "--json"
    )
    assert status == 0 and json.loads(out)["rows"] > 0
    with Store.open(url) as store:
        assert {m: _aggregates(store, m) for m in ("FT-001", "FT-101")} == want

    status, out, _ = run("ingest", "rebuild", "--enterprise", E)  # the plain-text answer
    assert status == 0
    assert f"Rebuilt the aggregates of {E} from the stored readings:" in out and "rows written" in out


def _model(url: str) -> tuple[Any, Any, Any]:
    with Store.open(url) as store:
        return store.list_regions(), store.list_parks(), [store.load_enterprise(E)]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--enterprise", "no-such"], "no enterprise 'no-such'"),
        (["--enterprise", E, "--meter", "FT-01"], "has no meter 'FT-01'"),
        (["--enterprise", E, "--from", "2024-06-03", "--to", "2024-06-01"], "is after --to"),
        (["--enterprise", E, "--from", "yesterday"], "is not an ISO date"),
    ],
    ids=["unknown enterprise", "unknown meter", "reversed period", "unreadable time"],
)
def test_rebuild_refuses_bad_arguments(run: Any, argv: list[str], fragment: str) -> None:
    status, out, err = run("ingest", "rebuild", *argv)
    assert status != 0
    assert fragment in out + err


def test_rebuild_help(run: Any) -> None:
    with pytest.raises(SystemExit) as done:
        run("ingest", "rebuild", "--help")
    assert done.value.code == 0
