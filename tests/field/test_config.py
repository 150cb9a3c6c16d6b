"""The agent's configuration file: the example, every kind of problem with its line, paths and secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuixiao.errors import ConfigurationError
from shuixiao.field import example_config, read_agent_config
from shuixiao.field._example import EXAMPLE_METERS
from shuixiao.field.config import parse_interval

pytestmark = pytest.mark.unit

MINIMAL = """\
gateway: gw-01
enterprise: xg-steel
interval: 15min
buffer: {directory: buf}
publisher:
  mqtt: {host: broker.plant, port: 8883, username: gw-01, password_env: GW_PASSWORD, tls: {ca_file: ca.crt}}
devices:
  rs485: {host: 192.168.10.20, unit: 3, timeout: 2s}
meters:
  - id: FT-101
    unit: m³/h
    modbus: {device: rs485, model: siemens-sitrans-fm-mag6000, point: flow}
  - {id: FT-102, demo: {meter: FT-1001}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        read_agent_config(_write(tmp_path, text))
    return str(caught.value)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_example_configuration_is_valid(tmp_path: Path, language: str) -> None:
    config, maps = read_agent_config(_write(tmp_path, example_config(language)))
    assert (config.gateway, config.enterprise, config.interval) == ("gw-ronghu-01", "ronghu-steel", 10.0)
    assert [m.id for m in config.meters] == list(EXAMPLE_METERS)
    assert config.publisher.mqtt is not None and config.publisher.http is None
    assert config.buffer.directory == tmp_path / "agent-buffer"
    assert (config.backoff.initial, config.backoff.maximum) == (1.0, 300.0)
    assert config.demo.speed == 90 and "siemens-sitrans-fm-mag6000" in maps


def test_a_full_configuration_reads_with_paths_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = read_agent_config(_write(tmp_path, MINIMAL))
    mqtt = config.publisher.mqtt
    assert mqtt is not None and mqtt.tls is not None
    assert mqtt.tls.ca_file == tmp_path / "ca.crt" and config.buffer.directory == tmp_path / "buf"
    assert config.devices["rs485"].timeout == 2.0 and config.devices["rs485"].port == 502
    assert config.client_id == "shuixiao-agent-gw-01"
    with pytest.raises(ConfigurationError, match="the environment variable GW_PASSWORD is not set"):
        config.secret(mqtt.password_env, mqtt.password_file, "publisher.mqtt password")
    monkeypatch.setenv("GW_PASSWORD", "s3cret")
    assert config.secret(mqtt.password_env, None, "x") == "s3cret"
    (tmp_path / "token").write_text("abc\n", encoding="utf-8")
    assert config.secret(None, tmp_path / "token", "x") == "abc"
    with pytest.raises(ConfigurationError, match="cannot read"):
        config.secret(None, tmp_path / "missing", "x")


def test_problems_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    text = MINIMAL.replace("interval: 15min", "interval: soon").replace("unit: 3", "unit: 300")
    text = text.replace("buffer: {directory: buf}", "buffer: {directory: buf, size: 10}")
    message = _problems(tmp_path, text)
    assert "3 problems" in message
    assert (
        "line 3, interval: Value error, 'soon' is not a duration" in message or "line 3, interval:" in message
    )
    assert "line 4, buffer.size: unknown key" in message
    assert "line 8, devices.rs485.unit: Input should be less than or equal to 255" in message


def test_references_between_sections_are_checked(tmp_path: Path) -> None:
    text = MINIMAL.replace("device: rs485", "device: rs-485").replace("point: flow", "point: flux")
    text = text.replace("{id: FT-102, demo: {meter: FT-1001}}", "{id: FT-101, demo: {}}")
    message = _problems(tmp_path, text)
    assert "line 12, meters[0].modbus.device: no device 'rs-485' (devices: rs485)" in message
    assert (
        "meters[0].modbus.point: map siemens-sitrans-fm-mag6000 has no point 'flux' (flow, totalizer)"
        in message
    )
    assert "line 13, meters[1].id: meter FT-101 is configured twice" in message
    message = _problems(tmp_path, MINIMAL.replace("model: siemens-sitrans-fm-mag6000", "model: mag9000"))
    assert "no register map 'mag9000'" in message
    message = _problems(tmp_path, MINIMAL.replace("unit: m³/h", "unit: m³"))
    assert "line 11, meters[0].unit: 'm³' is not a unit of flow_rate" in message


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("  mqtt: {", "  http: {url: https://p.example, token_env: T}\n  mqtt: {"), "exactly one publisher"),
        (("    modbus: {", "    demo: {}\n    modbus: {"), "exactly one source: modbus or demo"),
        (
            ("  mqtt: {host", "  http: {url: https://p.example}\n  xmqtt: {host"),
            "token_env (a variable name) or token_file",
        ),
        (("enterprise: xg-steel", "enterprise: xg/steel"), "enterprise: String should match pattern"),
        (("meters:", "backoff: {initial: 10min, maximum: 1min}\nmeters:"), "initial must not exceed maximum"),
    ],
)
def test_section_rules(tmp_path: Path, change: tuple[str, str], fragment: str) -> None:
    assert fragment in _problems(tmp_path, MINIMAL.replace(*change, 1))


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the agent configuration"):
        read_agent_config(tmp_path / "missing.yaml")
    assert "not valid YAML" in _problems(tmp_path, "gateway: [\n")
    assert "Input should be a valid dictionary" in _problems(tmp_path, "- just\n- a list\n")


def test_durations() -> None:
    assert [parse_interval(v) for v in (900, "900", "30s", "15 min", "1.5h")] == [
        900.0,
        900.0,
        30.0,
        900.0,
        5400.0,
    ]
    for bad in ("soon", True, "15 days"):
        with pytest.raises(ValueError, match="duration"):
            parse_interval(bad)
