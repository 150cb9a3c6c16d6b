"""``shuixiao leak zones``: district-metered areas and their balances, as text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.leaks.test_zones import LEAK_INP

pytestmark = pytest.mark.integration

SENSORS = """\
Q-P1: {type: flow, link: P1, unit: m³/h}
Q-P3: {type: flow, link: P3}
D-J1: {type: demand, node: J1}
D-J4: {type: demand, node: J4}
D-J5: {type: demand, node: J5}
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    network = tmp_path / "tree.inp"
    network.write_text(LEAK_INP, encoding="utf-8")
    sensors = tmp_path / "sensors.yaml"
    sensors.write_text(SENSORS, encoding="utf-8")
    rows = ["timestamp,sensor,value"]
    for hour in range(24):
        t = f"2025-01-01T{hour:02d}:00:00+08:00"
        # branch P3 feeds J4 (6 m³/h) and loses 2 m³/h; the main zone passes it on and feeds J1 and J5
        rows += [f"{t},Q-P3,8", f"{t},D-J4,6", f"{t},Q-P1,15", f"{t},D-J1,4", f"{t},D-J5,3"]
    readings = tmp_path / "readings.csv"
    readings.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return network, sensors, readings


def test_zones_as_text(run, files: tuple[Path, Path, Path]) -> None:  # type: ignore[no-untyped-def]
    network, sensors, readings = files
    status, out, err = run(
        "--lang", "en", "leak", "zones", "--network", str(network), "--sensors", str(sensors)
    )
    assert status == 0, err
    assert "tree: 2 district-metered areas (zones), 2 closed" in out
    assert "DMA-Q-P1" in out and "+Q-P1, −Q-P3" in out
    status, out, err = run(
        "leak", "zones", "--network", str(network), "--sensors", str(sensors), "--readings", str(readings)
    )
    assert status == 0, err
    assert "分区水量平衡" in out and "DMA-Q-P3" in out


def test_zones_as_json(run, files: tuple[Path, Path, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network, sensors, readings = files
    names = tmp_path / "names.yaml"
    names.write_text("J4: 高炉支线\n", encoding="utf-8")
    status, out, err = run(
        "leak",
        "zones",
        "--network",
        str(network),
        "--sensors",
        str(sensors),
        "--readings",
        str(readings),
        "--names",
        str(names),
        "--json",
    )
    assert status == 0, err
    document = json.loads(out)
    assert [z["id"] for z in document["zones"]] == ["DMA-Q-P1", "高炉支线"]
    main = document["zones"][0]
    assert main["closed"] and [(m["sensor"], m["sign"]) for m in main["meters"]] == [
        ("Q-P1", 1),
        ("Q-P3", -1),
    ]
    balances = {b["zone"]: b for b in document["balances"]}
    assert balances["高炉支线"]["residual_m3"] == pytest.approx(2.0 * 24)
    assert balances["高炉支线"]["mean_residual_m3h"] == pytest.approx(2.0)
    assert balances["DMA-Q-P1"]["residual_m3"] == pytest.approx(0.0)
    assert balances["DMA-Q-P1"]["ili"] is None  # UARL is not valid for a plant-sized zone
    assert document["not_balanced"] == {}


def test_open_and_unread_zones_are_named(run, files: tuple[Path, Path, Path]) -> None:  # type: ignore[no-untyped-def]
    network, sensors, readings = files
    few = readings.with_name("few.csv")
    lines = readings.read_text(encoding="utf-8").splitlines()
    few.write_text(
        "\n".join(x for x in lines if ",Q-P3," in x or ",D-J4," in x or x.startswith("time")) + "\n"
    )
    sensors.write_text("Q-P3: {type: flow, link: P3}\nD-J4: {type: demand, node: J4}\n", encoding="utf-8")
    status, out, err = run(
        "--lang",
        "en",
        "leak",
        "zones",
        "--network",
        str(network),
        "--sensors",
        str(sensors),
        "--readings",
        str(few),
    )
    assert status == 0, err
    assert "DMA@J1 is open: reservoir R is linked by P1 without a meter" in out
    assert "DMA@J1 not balanced: open" in out and "DMA-Q-P3" in out
    # a customer meter without readings: the zone cannot be balanced, and the output says why
    sensors.write_text(SENSORS + "D-J3: {type: demand, node: J3}\n", encoding="utf-8")
    status, out, err = run(
        "--lang",
        "en",
        "leak",
        "zones",
        "--network",
        str(network),
        "--sensors",
        str(sensors),
        "--readings",
        str(readings),
    )
    assert status == 0, err
    assert "DMA-Q-P3 not balanced: zone DMA-Q-P3: no readings for D-J3" in out


def test_bad_input(run, files: tuple[Path, Path, Path], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    network, _, _ = files
    sensors = tmp_path / "bad.yaml"
    sensors.write_text("Q-P9: {type: flow, link: P9}\n", encoding="utf-8")
    status, _, err = run("leak", "zones", "--network", str(network), "--sensors", str(sensors))
    assert status == 1 and "no link 'P9'" in err
    good = tmp_path / "good.yaml"
    good.write_text("Q-P1: {type: flow, link: P1}\n", encoding="utf-8")
    names = tmp_path / "names.yaml"
    names.write_text("- a list\n", encoding="utf-8")
    status, _, err = run(
        "leak", "zones", "--network", str(network), "--sensors", str(good), "--names", str(names)
    )
    assert status == 1 and "mapping of zone id" in err
