"""``shuixiao agent``: example configuration, status, rejected list, configuration errors."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from shuixiao.field import Buffer, FieldReading, read_agent_config
from shuixiao.field.sources import DeviceStatus

Run = Callable[..., tuple[int, str, str]]

pytestmark = pytest.mark.integration

T0 = 1_735_689_600  # 2025-01-01 08:00 in Shanghai


@pytest.fixture
def config(run: Run, tmp_path: Path) -> Path:
    """The example configuration, written by `shuixiao agent example-config`."""
    status, out, _ = run("--lang", "en", "agent", "example-config")
    assert status == 0
    path = tmp_path / "agent.yaml"
    path.write_text(out, encoding="utf-8")
    return path


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_example_configuration_reads(run: Run, tmp_path: Path, language: str) -> None:
    status, out, err = run("--lang", language, "agent", "example-config")
    assert status == 0 and err == ""
    assert ("网关编号" in out) is (language == "zh")
    path = tmp_path / f"agent-{language}.yaml"
    path.write_text(out, encoding="utf-8")
    parsed, _ = read_agent_config(path)
    assert parsed.enterprise == "ronghu-steel" and parsed.publisher.mqtt is not None


def test_status_before_the_first_run(run: Run, config: Path) -> None:
    status, _, err = run("--lang", "en", "agent", "status", "--config", str(config))
    assert status == 1
    assert "no agent buffer in" in err and "run `shuixiao agent run` first" in err


def _filled(directory: Path) -> None:
    buffer = Buffer(directory, clock=lambda: 1_735_690_000.0)
    buffer.append([FieldReading("FT-1001", T0 + 900 * k, 1000.0 + k, "m³") for k in range(5)])
    buffer.append([FieldReading("FT-1001", T0 + 9000, math.nan, "m³")])
    first = buffer.pending(1)[0]
    buffer.acknowledge([first.id])
    second = buffer.pending(1)[0]
    buffer.reject([(second.id, "unknown_meter", "enterprise ronghu-steel has no meter FT-1001", 12)])
    failing = DeviceStatus(
        ok=False, error="cannot connect to 10.0.0.9:502", since=T0, failures=3, last_ok=None
    )
    buffer.set_state({"device.rs485": failing.to_json()})
    buffer.close()


def test_status_shows_the_buffer_and_the_devices(run: Run, config: Path) -> None:
    _filled(config.parent / "agent-buffer")
    status, out, _ = run("--lang", "en", "agent", "status", "--config", str(config))
    assert status == 0
    assert "Gateway agent gw-ronghu-01" in out and "not running" in out
    assert "3 / 2,000,000" in out  # readings waiting / capacity
    assert "2025-01-01 08:30:00" in out  # the oldest waiting reading, local time
    assert "cannot connect to 10.0.0.9:502" in out and "failing" in out
    assert "shuixiao agent rejected --config" in out
    status, out, _ = run("agent", "status", "--config", str(config), "--json")
    document = json.loads(out)
    assert (document["depth"], document["acknowledged"], document["rejected"], document["running"]) == (
        3,
        1,
        2,
        False,
    )
    assert document["oldest_ts"] == T0 + 1800 and document["devices"]["rs485"]["failures"] == 3
    status, out, _ = run("agent", "status", "--config", str(config))
    assert "待发送读数 / 容量" in out and "未运行" in out


def test_the_rejected_list_can_be_read_and_cleared(run: Run, config: Path) -> None:
    status, out, _ = run("--lang", "en", "agent", "rejected", "--config", str(config))
    assert (status, out.strip()) == (0, "No rejected readings.")
    _filled(config.parent / "agent-buffer")
    status, out, _ = run("--lang", "en", "agent", "rejected", "--config", str(config))
    assert status == 0
    assert "unknown_meter" in out and "not_finite" in out and "Showing 2 of 2." in out
    status, out, _ = run("agent", "rejected", "--config", str(config), "--json", "--limit", "1")
    (entry,) = json.loads(out)  # oldest first: the NaN, refused by the agent itself
    assert (entry["meter"], entry["reason"], entry["quarantine_id"], entry["value"]) == (
        "FT-1001",
        "not_finite",
        None,
        None,
    )
    entry = json.loads(run("agent", "rejected", "--config", str(config), "--json")[1])[1]
    assert (entry["reason"], entry["quarantine_id"], entry["value"], entry["ts"]) == (
        "unknown_meter",
        12,
        1001.0,
        T0 + 900,
    )
    status, out, _ = run("--lang", "en", "agent", "rejected", "--config", str(config), "--clear")
    assert (status, out.strip()) == (0, "Rejected list cleared (2 readings).")
    assert json.loads(run("agent", "rejected", "--config", str(config), "--json")[1]) == []


def test_configuration_problems_are_listed_with_lines(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(
        "gateway: gw-1\nenterprise: e\ninterval: soon\nbuffer: {directory: b}\nmeters: []\n", encoding="utf-8"
    )
    status, out, err = run("--lang", "en", "agent", "run", "--config", str(path))
    assert status == 1 and out == ""
    assert "problems" in err and "line 3, interval: 'soon' is not a duration" in err
    assert "publisher: Field required" in err and "meters: List should have at least 1 item" in err
    status, _, err = run("agent", "run", "--config", str(tmp_path / "missing.yaml"))
    assert status == 1 and "cannot read the agent configuration" in err
