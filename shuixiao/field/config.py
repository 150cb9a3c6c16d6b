"""The agent's configuration file (YAML): what to read, where to send it, where to buffer it.

:func:`read_agent_config` reads and checks a file; every problem is reported
at once with its line.  Relative paths in the file are taken relative to the
file's directory.  Secrets are not written in the file: the MQTT password and
the HTTP device token are read from the environment variable (or file) the
configuration names.  ``docs/agent.md`` has the full reference;
:func:`example_config` prints a commented example.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from shuixiao.errors import ConfigurationError, Problem, UnitError
from shuixiao.field._yaml import FieldConfigError, line_of, read_document, validate
from shuixiao.field.buffer import DEFAULT_CAPACITY
from shuixiao.field.maps import RegisterMap, load_register_maps
from shuixiao.field.publish import DEFAULT_PREFIX, MAX_READINGS
from shuixiao.units import lookup_unit

__all__ = [
    "AgentConfig",
    "BackoffConfig",
    "BufferConfig",
    "DemoPointRef",
    "DemoSettings",
    "DeviceConfig",
    "HttpConfig",
    "MeterConfig",
    "ModbusPointRef",
    "MqttConfig",
    "PublisherConfig",
    "SigningConfig",
    "TlsConfig",
    "parse_interval",
    "read_agent_config",
]

_ID = r"^[^\s/+#]{1,255}$"


def _short(value: str) -> str:
    """Identifiers go into signed batches and topics: at most 255 bytes of UTF-8."""
    if len(value.encode("utf-8")) > 255:
        raise ValueError("an identifier is at most 255 bytes of UTF-8")
    return value


Identifier = Annotated[str, Field(pattern=_ID), AfterValidator(_short)]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h)?\s*$")
_SECONDS = {None: 1.0, "s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


def parse_interval(value: Any) -> float:
    """Return a duration given as seconds or as text (``30s``, ``15min``, ``1h``). [s]

    Examples
    --------
    >>> parse_interval("15min"), parse_interval(2.5), parse_interval("1h")
    (900.0, 2.5, 3600.0)
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text such as 15min")
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration: write seconds, or e.g. 30s, 15min, 1h")
    return float(match.group(1)) * _SECONDS[match.group(2)]


Duration = Annotated[float, BeforeValidator(parse_interval)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(_Section):
    """TLS files; the system's CA certificates when ``ca_file`` is omitted."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None


class MqttConfig(_Section):
    """Publishing to the platform's MQTT broker (``shuixiao ingest mqtt`` workers read it)."""

    host: str = "127.0.0.1"
    port: int = Field(default=1883, ge=1, le=65_535)
    prefix: str = DEFAULT_PREFIX
    client_id: str | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    tls: TlsConfig | None = None
    keepalive: int = Field(default=60, ge=5)
    timeout: Duration = Field(default=10.0, gt=0)


class HttpConfig(_Section):
    """Posting to the platform's HTTP ingestion endpoint with a device token."""

    url: str = Field(pattern=r"^https?://")
    token_env: str | None = None
    token_file: Path | None = None
    timeout: Duration = Field(default=30.0, gt=0)
    ca_file: Path | None = None

    @model_validator(mode="after")
    def _token(self) -> HttpConfig:
        if (self.token_env is None) == (self.token_file is None):
            raise ValueError("give the device token's source: token_env (a variable name) or token_file")
        return self


class PublisherConfig(_Section):
    """Where readings go: exactly one of ``mqtt`` and ``http``."""

    mqtt: MqttConfig | None = None
    http: HttpConfig | None = None
    batch_size: int = Field(default=500, ge=1, le=MAX_READINGS)

    @model_validator(mode="after")
    def _one(self) -> PublisherConfig:
        if (self.mqtt is None) == (self.http is None):
            raise ValueError("configure exactly one publisher: mqtt or http")
        return self


class BufferConfig(_Section):
    """The durable outbox."""

    directory: Path
    capacity: int = Field(default=DEFAULT_CAPACITY, ge=1)


class BackoffConfig(_Section):
    """Waiting after a failed send: exponential, with jitter, capped."""

    initial: Duration = Field(default=1.0, gt=0)
    maximum: Duration = Field(default=300.0, gt=0)
    factor: float = Field(default=2.0, ge=1.0)

    @model_validator(mode="after")
    def _order(self) -> BackoffConfig:
        if self.initial > self.maximum:
            raise ValueError("backoff initial must not exceed maximum")
        return self


class SigningConfig(_Section):
    """The device key that signs batches (Ed25519; 32-byte seed, raw or as 64 hex digits)."""

    key_file: Path
    batch_size: int = Field(default=500, ge=1, le=MAX_READINGS)


class DeviceConfig(_Section):
    """A Modbus TCP server: a meter, or an RTU-to-TCP gateway (then ``unit`` picks the meter)."""

    host: str
    port: int = Field(default=502, ge=1, le=65_535)
    unit: int = Field(default=1, ge=0, le=255)
    timeout: Duration = Field(default=3.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)


class DemoSettings(_Section):
    """The simulated demo park the ``demo`` meters replay (as ``shuixiao demo build`` makes it)."""

    seed: int = Field(default=2025, ge=0)
    enterprises: int = Field(default=6, ge=1, le=200)
    start: dt.date = dt.date(2025, 1, 1)
    days: int = Field(default=365, ge=1, le=3660)
    interval: int = Field(default=900, ge=60)
    speed: float = Field(default=1.0, ge=0)


class ModbusPointRef(_Section):
    """A point of a device's register map."""

    device: str
    model: str
    point: str


class DemoPointRef(_Section):
    """A meter of the demo enterprise (the platform meter's own id when ``meter`` is omitted)."""

    meter: str | None = None


class MeterConfig(_Section):
    """A platform meter and where its readings come from (exactly one of ``modbus`` and ``demo``)."""

    id: Identifier
    unit: str | None = None
    modbus: ModbusPointRef | None = None
    demo: DemoPointRef | None = None

    @model_validator(mode="after")
    def _one(self) -> MeterConfig:
        if (self.modbus is None) == (self.demo is None):
            raise ValueError("give the meter exactly one source: modbus or demo")
        return self


class AgentConfig(_Section):
    """The whole configuration file (see ``docs/agent.md``)."""

    gateway: Identifier
    enterprise: Identifier
    interval: Duration = Field(default=900.0, ge=1.0, le=86_400.0)
    meters: list[MeterConfig] = Field(min_length=1)
    publisher: PublisherConfig
    buffer: BufferConfig
    backoff: BackoffConfig = BackoffConfig()
    signing: SigningConfig | None = None
    devices: dict[str, DeviceConfig] = Field(default_factory=dict)
    maps: list[Path] = Field(default_factory=list)
    demo: DemoSettings = DemoSettings()

    @property
    def client_id(self) -> str:
        """The agent's MQTT client id."""
        mqtt = self.publisher.mqtt
        return (mqtt.client_id if mqtt is not None else None) or f"shuixiao-agent-{self.gateway}"

    def secret(self, variable: str | None, path: Path | None, what: str) -> str | None:
        """Read a secret from the environment variable or file the configuration names.

        Raises
        ------
        ConfigurationError
            If the variable is unset or the file unreadable.
        """
        if variable is not None:
            value = os.environ.get(variable)
            if not value:
                raise ConfigurationError(f"{what}: the environment variable {variable} is not set")
            return value
        if path is not None:
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as err:
                raise ConfigurationError(f"{what}: cannot read {path}: {err.strerror or err}") from err
        return None


def _resolve(data: Any, base: Path) -> Any:
    """Make the file's relative paths relative to its directory."""
    if not isinstance(data, dict):
        return data

    def fix(section: Any, *keys: str) -> None:
        if isinstance(section, dict):
            for key in keys:
                if isinstance(section.get(key), str):
                    section[key] = str(base / Path(section[key]).expanduser())

    fix(data.get("buffer"), "directory")
    fix(data.get("signing"), "key_file")
    publisher = data.get("publisher")
    if isinstance(publisher, dict):
        fix(publisher.get("mqtt"), "password_file")
        mqtt = publisher.get("mqtt")
        if isinstance(mqtt, dict):
            fix(mqtt.get("tls"), "ca_file", "cert_file", "key_file")
        fix(publisher.get("http"), "token_file", "ca_file")
    if isinstance(data.get("maps"), list):
        data["maps"] = [str(base / Path(p).expanduser()) if isinstance(p, str) else p for p in data["maps"]]
    return data


def read_agent_config(path: str | Path) -> tuple[AgentConfig, dict[str, RegisterMap]]:
    """Read and check an agent configuration file, with the register maps it uses.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    config : AgentConfig
    maps : dict of RegisterMap
        The shipped register maps and those of the files the configuration names.

    Raises
    ------
    ConfigurationError
        If the file cannot be read, or has problems (all listed, with lines).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigurationError(
            f"cannot read the agent configuration {path}: {err.strerror or err}"
        ) from err
    data, root = read_document(text, str(path))
    config = validate(AgentConfig, _resolve(data, path.resolve().parent), root, str(path))
    maps = load_register_maps(*config.maps)
    problems = _references(config, maps)
    if problems:
        located = [Problem(p, m, line_of(root, _location(p))) for p, m in problems]
        raise FieldConfigError(located, str(path))
    return config, maps


def _location(path: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.findall(r"[^.\[\]]+", path)]


def _references(config: AgentConfig, maps: dict[str, RegisterMap]) -> list[tuple[str, str]]:
    """Problems between sections: unknown devices, models, points, units; repeated meter ids."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for n, meter in enumerate(config.meters):
        where = f"meters[{n}]"
        if meter.id in seen:
            problems.append((f"{where}.id", f"meter {meter.id} is configured twice"))
        seen.add(meter.id)
        ref = meter.modbus
        if ref is None:
            continue
        if ref.device not in config.devices:
            known = ", ".join(config.devices) or "none: add a devices section"
            problems.append((f"{where}.modbus.device", f"no device {ref.device!r} (devices: {known})"))
        model = maps.get(ref.model)
        if model is None:
            problems.append(
                (f"{where}.modbus.model", f"no register map {ref.model!r} (maps: {', '.join(maps)})")
            )
            continue
        point = model.points.get(ref.point)
        if point is None:
            known = ", ".join(model.points)
            problems.append(
                (f"{where}.modbus.point", f"map {ref.model} has no point {ref.point!r} ({known})")
            )
            continue
        if meter.unit is not None:
            try:
                lookup_unit(meter.unit, point.quantity)
            except UnitError as err:
                problems.append((f"{where}.unit", str(err)))
    return problems
