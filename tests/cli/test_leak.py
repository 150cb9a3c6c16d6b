"""``shuixiao leak simulate | detect | score`` on files, and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from shuixiao.demo import DemoConfig, build_park

    park = build_park(DemoConfig(enterprises=1, days=1))
    path = tmp_path_factory.mktemp("net") / "steel.inp"
    path.write_text(park.networks["ronghu-steel"], encoding="utf-8")
    return path


def test_simulate_detect_score(run, network: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, out, err = run(
        "--lang",
        "en",
        "leak",
        "simulate",
        "--network",
        str(network),
        "--out",
        "sc",
        "--days",
        "4",
        "--leaks",
        "2",
        "--seed",
        "7",
    )
    assert status == 0, err
    assert "2 leaks" in out
    for name in ("readings.csv", "sensors.yaml", "truth.yaml"):
        assert (tmp_path / "sc" / name).exists()
    status, out, err = run(
        "leak",
        "detect",
        "--network",
        str(network),
        "--sensors",
        "sc/sensors.yaml",
        "--readings",
        "sc/readings.csv",
        "--out",
        "events.json",
    )
    assert status == 0, err
    assert "漏损事件" in out
    events = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))
    assert events["format"] == "shuixiao-leak-events/1"
    for event in events["events"]:
        assert {"start", "detected", "end", "flow_m3h", "uncertainty_m", "candidates"} <= set(event)
        assert all("pipe" in c and "score" in c for c in event["candidates"])
    status, out, err = run(
        "leak",
        "score",
        "--truth",
        "sc/truth.yaml",
        "--events",
        "events.json",
        "--network",
        str(network),
        "--json",
    )
    assert status == 0, err
    report = json.loads(out)
    assert report["leaks"] == 2 and "score_eur" in report and "false_alarms_per_month" in report
    status, out, _ = run(
        "--lang",
        "en",
        "leak",
        "score",
        "--truth",
        "sc/truth.yaml",
        "--events",
        "events.json",
        "--network",
        str(network),
    )
    assert status == 0 and "BattLeDIM score" in out
    # the store was never opened
    assert not (tmp_path / "data" / "shuixiao.db").exists()


def test_detect_handles_sensors_without_readings(run, network: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        run("leak", "simulate", "--network", str(network), "--out", "sc", "--days", "3", "--leaks", "0")[0]
        == 0
    )
    lines = (tmp_path / "sc" / "readings.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if ",P-boiler," not in line]
    (tmp_path / "partial.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    status, out, err = run(
        "--lang",
        "en",
        "leak",
        "detect",
        "--network",
        str(network),
        "--sensors",
        "sc/sensors.yaml",
        "--readings",
        "partial.csv",
        "--out",
        "events.json",
        "--no-cache",
    )
    assert status == 0, err
    assert "no readings and were left out: P-boiler" in out


def _detect(run, network: Path, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """``leak detect`` on sensors.yaml and r.csv of the working directory."""
    args = ["--network", str(network), "--sensors", "sensors.yaml", "--readings", "r.csv", "--out", "e.json"]
    result: tuple[int, str, str] = run("leak", "detect", *args, *extra)
    return result


@pytest.mark.parametrize(
    ("readings", "message"),
    [
        ("timestamp;sensor;value\n", "the header must be timestamp,sensor,value"),
        ("timestamp,sensor,value\n2025-01-01T00:00:00+08:00,P-yard,abc\n", "line 2: 'abc' is not a number"),
        ("timestamp,sensor,value\n2025-13-01T00:00:00+08:00,P-yard,1\n", "line 2"),
        (
            "timestamp,sensor,value\n2025-01-01T00:00:00+08:00,NOPE,1\n",
            "sensors not in the sensor file: NOPE",
        ),
    ],
)
def test_bad_readings_exit_1(run, network: Path, tmp_path: Path, readings: str, message: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sensors.yaml").write_text("P-yard: {type: pressure, node: yard}\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text(readings, encoding="utf-8")
    status, _, err = _detect(run, network)
    assert status == 1
    assert err.startswith("shuixiao: error:") and message in err
    assert "Traceback" not in err


def test_missing_and_malformed_files_exit_1(run, network: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, _, err = run("leak", "simulate", "--network", "nope.inp", "--out", "x")
    assert status == 1 and "nope.inp" in err
    (tmp_path / "sensors.yaml").write_text("P-1: {type: pressure, node: nowhere}\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "timestamp,sensor,value\n2025-01-01T00:00:00+08:00,P-1,1\n", encoding="utf-8"
    )
    status, _, err = _detect(run, network)
    assert status == 1 and "no node 'nowhere'" in err
    status, _, err = run(
        "leak",
        "detect",
        "--network",
        str(network),
        "--sensors",
        "missing.yaml",
        "--readings",
        "r.csv",
        "--out",
        "e.json",
    )
    assert status == 1 and "missing.yaml: no such file" in err
    (tmp_path / "truth.yaml").write_text("leaks: 3\n", encoding="utf-8")
    (tmp_path / "events.json").write_text("[]", encoding="utf-8")
    status, _, err = run(
        "leak", "score", "--truth", "truth.yaml", "--events", "events.json", "--network", str(network)
    )
    assert status == 1 and "leaks" in err
    (tmp_path / "truth.yaml").write_text(
        "leaks:\n- {pipe: P-nowhere, start: '2025-01-01T00:00:00+08:00', peak_flow_m3h: 2}\n"
    )
    status, _, err = run(
        "leak", "score", "--truth", "truth.yaml", "--events", "events.json", "--network", str(network)
    )
    assert status == 1 and "P-nowhere" in err
    status, _, err = run(
        "leak", "simulate", "--network", str(network), "--out", "x", "--min-flow", "5", "--max-flow", "1"
    )
    assert status == 1 and "--min-flow" in err


@pytest.mark.parametrize(
    ("value", "message"),
    [("-1", "--adapt-days is a number of days ≥ 0"), ("nan", "--adapt-days"), ("0.5", "at least a day")],
)
def test_bad_adaptation_exits_1(run, network: Path, value: str, message: str) -> None:  # type: ignore[no-untyped-def]
    status, _, err = _detect(run, network, "--adapt-days", value)
    assert status == 1 and message in err and "Traceback" not in err


def test_wrong_usage_exits_2(run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as info:
        run("leak", "detect", "--network", "x.inp")
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        run("leak", "simulate", "--network", "x.inp", "--out", "d", "--days", "-1")
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        run("leak", "detect", "--network", "x.inp", "--sensors", "s.yaml", "--readings", "r.csv", "--out", "e.json",
            "--hydraulic-baseline", "never")  # fmt: skip
    assert info.value.code == 2


def _enterprise(tmp_path: Path) -> None:
    from shuixiao.model import Park, Region
    from shuixiao.storage import Store
    from tests.conftest import build_enterprise

    with Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db") as store:
        store.upgrade()
        store.save_model(
            [Region("cn-hn", "湖南省", "430000"), Region("cn-hn-xt", "湘潭市", "430300", parent="cn-hn")],
            [Park("xt-jiuhua", "湘潭九华经济技术开发区", "cn-hn-xt")],
            [build_enterprise()],
        )


def test_detect_store_and_the_event_workflow(run, network: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _enterprise(tmp_path)
    sim = (
        "leak",
        "simulate",
        "--network",
        str(network),
        "--out",
        "sc",
        "--days",
        "4",
        "--leaks",
        "2",
        "--seed",
        "7",
    )
    assert run(*sim)[0] == 0
    detect = ("leak", "detect", "--network", str(network), "--sensors", "sc/sensors.yaml", "--readings",
              "sc/readings.csv", "--out", "events.json")  # fmt: skip
    status, out, err = run("--lang", "en", *detect, "--store", "--enterprise", "xg-steel")
    assert status == 0, err
    found = len(json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))["events"])
    assert found >= 1 and f"Recorded for xg-steel: {found} new leak events, 0 updated" in out
    # the network is kept in the data directory, where the leak event pages draw it from
    kept = tmp_path / "data" / "networks" / "steel.inp"
    assert kept.read_text(encoding="utf-8") == network.read_text(encoding="utf-8")
    # detecting again over the same readings updates the same events
    status, out, _ = run(
        "--lang", "en", *detect, "--store", "--enterprise", "xg-steel", "--hydraulic-baseline", "off"
    )
    assert f"0 new leak events, {found} updated" in out
    status, out, _ = run("leak", "event", "list", "--json")
    events = json.loads(out)
    assert len(events) == found and all(e["state"] == "suspected" and e["alarm"] for e in events)
    assert events[0]["suspects"] and "pipe" in events[0]["suspects"][0]
    first = str(events[-1]["id"])
    status, out, _ = run("alarm", "list", "--kind", "leak_suspected", "--state", "all", "--json")
    assert {a["key"] for a in json.loads(out)} == {f"leak-event/{e['id']}" for e in events}
    for action in ("confirm", "repair", "verify"):
        status, out, err = run("leak", "event", action, first, "--by", "zhao", "--note", f"{action} done")
        assert status == 0, err
    assert run("leak", "event", "note", first, "管段已更换", "--by", "zhao")[0] == 0
    status, out, _ = run("leak", "event", "show", first, "--json")
    shown = json.loads(out)
    assert shown["state"] == "verified" and shown["loss_m3"] > 0
    assert [h["action"] for h in shown["history"]] == [
        "detect",
        "update",
        "confirm",
        "repair",
        "verify",
        "note",
    ]
    status, out, _ = run("alarm", "show", str(shown["alarm"]), "--json")
    assert json.loads(out)["state"] == "cleared"
    status, out, _ = run("--lang", "en", "leak", "event", "show", first)
    assert f"Leak event {first}" in out and "verified" in out
    status, _, err = run("leak", "event", "dismiss", first)
    assert status == 1 and "it is final" in err
    status, out, _ = run("leak", "event", "list", "--state", "verified")
    assert "已验证" in out
    assert run("leak", "event", "show", "999")[0] == 1


def test_detect_store_needs_an_enterprise(run, network: Path) -> None:  # type: ignore[no-untyped-def]
    status, _, err = run("leak", "detect", "--network", str(network), "--sensors", "s.yaml", "--readings", "r.csv",
                         "--out", "e.json", "--store")  # fmt: skip
    assert status == 1 and "--store needs --enterprise" in err
    status, _, err = run("leak", "detect", "--network", str(network), "--sensors", "s.yaml", "--readings", "r.csv",
                         "--out", "e.json", "--enterprise", "xg-steel")  # fmt: skip
    assert status == 1 and "--enterprise is used with --store only" in err
