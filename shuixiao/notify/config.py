"""Notification channels: read from a TOML or YAML file named by an option or ``SHUIXIAO_NOTIFY_CONFIG``.

::

    language = "zh"                 # default language of messages: zh, en or zh+en
    timezone = "Asia/Shanghai"      # times in messages

    [[channels]]
    name = "ops-webhook"
    kind = "webhook"
    url = "https://ops.example.com/hooks/shuixiao"
    secret_env = "SHUIXIAO_WEBHOOK_SECRET"   # HMAC-SHA256 key, read from this variable
    min_severity = "major"
    events = ["raised", "escalated", "cleared"]

    [[channels]]
    name = "water-manager"
    kind = "email"
    host = "smtp.example.com"
    port = 587
    security = "starttls"           # none, starttls or ssl
    username = "alarms@example.com"
    password_env = "SHUIXIAO_SMTP_PASSWORD"
    sender = "水效预警 <alarms@example.com>"
    to = ["manager@example.com"]
    enterprises = ["xg-steel"]

Secrets never sit in the file: it names the environment variables that hold them, read when a
message is sent.  See ``docs/alarms.md``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from shuixiao.alarms import Severity
from shuixiao.errors import ConfigurationError

__all__ = [
    "CONFIG_VARIABLE",
    "EVENTS",
    "LANGUAGES",
    "Channel",
    "NotifyConfig",
    "config_path",
    "load_notify_config",
]

CONFIG_VARIABLE: Final = "SHUIXIAO_NOTIFY_CONFIG"
"""Environment variable naming the notification config file."""
EVENTS: Final = ("raised", "escalated", "acknowledged", "cleared")
"""Alarm changes a channel can be told about."""
LANGUAGES: Final = ("zh", "en", "zh+en")
_KINDS: Final = ("webhook", "email")
_SECURITY: Final = ("none", "starttls", "ssl")
_COMMON: Final = {"name", "kind", "min_severity", "events", "enterprises", "language", "timeout"}
_FIELDS: Final = {
    "webhook": _COMMON | {"url", "secret_env", "headers"},
    "email": _COMMON | {"host", "port", "security", "username", "password_env", "sender", "to", "cafile"},
}


@dataclass(frozen=True)
class Channel:
    """A place notifications go: a webhook URL or e-mail recipients.

    Parameters
    ----------
    name : str
        Unique name, recorded with each delivery.
    kind : {"webhook", "email"}
    min_severity : Severity
        Only alarms at least this severe (after escalation).
    events : tuple of str
        Which changes (:data:`EVENTS`); default raised, escalated and cleared.
    enterprises : tuple of str or None
        Only these enterprises; all when None.
    language : {"zh", "en", "zh+en"}
    timeout : float or None
        Connect and read timeout [s]; the default of ``alarm_rules.yaml`` when None.
    url, secret_env, headers
        Webhook: the URL (http or https), the variable holding the HMAC key (optional) and
        extra headers.
    host, port, security, username, password_env, sender, to, cafile
        E-mail: the SMTP server, ``none``/``starttls``/``ssl``, the login and the variable
        holding its password (optional), the From address, the recipients and a CA file for a
        server with a private certificate.
    """

    name: str
    kind: str
    min_severity: Severity = Severity.WARNING
    events: tuple[str, ...] = ("raised", "escalated", "cleared")
    enterprises: tuple[str, ...] | None = None
    language: str = "zh"
    timeout: float | None = None
    url: str = ""
    secret_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    host: str = ""
    port: int = 25
    security: str = "none"
    username: str | None = None
    password_env: str | None = None
    sender: str = ""
    to: tuple[str, ...] = ()
    cafile: str | None = None

    @property
    def target(self) -> str:
        """Where messages go: the URL, or the recipients."""
        return self.url if self.kind == "webhook" else ", ".join(self.to)

    def wants(self, enterprise: str, severity: Severity, event: str) -> bool:
        """True when this channel is told about ``event`` of an alarm."""
        if event not in self.events or severity < self.min_severity:
            return False
        return self.enterprises is None or enterprise in self.enterprises

    def secret(self, variable: str | None) -> str | None:
        """The value of ``variable`` in the environment (None when not named).

        Raises
        ------
        ConfigurationError
            If the variable is named but not set.
        """
        if variable is None:
            return None
        value = os.environ.get(variable)
        if not value:
            raise ConfigurationError(f"channel {self.name}: environment variable {variable} is not set")
        return value


@dataclass(frozen=True)
class NotifyConfig:
    """The notification channels of an instance.

    Parameters
    ----------
    channels : tuple of Channel
    language : str
        Default language of channels that do not say.
    timezone : str
        IANA zone of the times in messages.
    source : str
        The file it came from.
    """

    channels: tuple[Channel, ...] = ()
    language: str = "zh"
    timezone: str = "Asia/Shanghai"
    source: str = ""

    def channel(self, name: str) -> Channel | None:
        """The channel called ``name``, if configured."""
        return next((c for c in self.channels if c.name == name), None)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The notification config file: ``explicit``, else ``SHUIXIAO_NOTIFY_CONFIG``, else none."""
    named = explicit or os.environ.get(CONFIG_VARIABLE)
    return Path(named).expanduser() if named else None


def load_notify_config(path: str | os.PathLike[str]) -> NotifyConfig:
    """Read the notification channels from a TOML (``.toml``) or YAML (``.yaml``, ``.yml``) file.

    Raises
    ------
    ConfigurationError
        If the file cannot be read or is not in the layout of this module's docstring; the
        message names the channel and the field.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = pathlib.Path(tmp) / "notify.toml"
    ...     _ = p.write_text('[[channels]]\\nname = "ops"\\nkind = "webhook"\\nurl = "http://127.0.0.1:8080/hook"\\n')
    ...     config = load_notify_config(p)
    >>> config.channels[0].target, config.channels[0].min_severity.value
    ('http://127.0.0.1:8080/hook', 'warning')
    """
    where = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as err:
        raise ConfigurationError(
            f"cannot read the notification config {where}: {err.strerror}; fix --notify-config or {CONFIG_VARIABLE}"
        ) from err
    try:
        if where.endswith((".yaml", ".yml")):
            document = yaml.safe_load(text) or {}
        else:
            document = tomllib.loads(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as err:
        raise ConfigurationError(f"{where} cannot be read: {err}") from err
    if not isinstance(document, dict) or not set(document) <= {"language", "timezone", "channels"}:
        raise ConfigurationError(f"{where} may have language, timezone and channels only")
    language = document.get("language", "zh")
    if language not in LANGUAGES:
        raise ConfigurationError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    timezone = document.get("timezone", "Asia/Shanghai")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"{where}: timezone {timezone!r} is not an IANA zone") from None
    raw = document.get("channels", [])
    if not isinstance(raw, list):
        raise ConfigurationError(f"{where}: channels must be a list ([[channels]] in TOML)")
    channels = tuple(_channel(entry, language, f"{where}: channels[{n}]") for n, entry in enumerate(raw))
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"{where}: channel names must be unique ({', '.join(names)})")
    return NotifyConfig(channels, language, str(timezone), where)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigurationError(f"{where} must be a list of strings")
    return tuple(v.strip() for v in value)


def _channel(entry: Any, language: str, where: str) -> Channel:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} must be a table")
    kind, name = entry.get("kind"), entry.get("name")
    if kind not in _KINDS:
        raise ConfigurationError(f"{where}.kind must be webhook or email, not {kind!r}")
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"{where}.name must be a non-empty string")
    where = f"{where} ({name})"
    unknown = set(entry) - _FIELDS[kind]
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown field {', '.join(sorted(unknown))}; a {kind} channel has {', '.join(sorted(_FIELDS[kind]))}"
        )
    fields: dict[str, Any] = {"name": name.strip(), "kind": kind, "language": entry.get("language", language)}
    if fields["language"] not in LANGUAGES:
        raise ConfigurationError(f"{where}.language must be one of {', '.join(LANGUAGES)}")
    if "min_severity" in entry:
        try:
            fields["min_severity"] = Severity(entry["min_severity"])
        except ValueError:
            raise ConfigurationError(
                f"{where}.min_severity must be one of {', '.join(s.value for s in Severity)}"
            ) from None
    if "events" in entry:
        events = _strings(entry["events"], f"{where}.events")
        if not set(events) <= set(EVENTS):
            raise ConfigurationError(f"{where}.events: use {', '.join(EVENTS)}")
        fields["events"] = events
    if "enterprises" in entry:
        fields["enterprises"] = _strings(entry["enterprises"], f"{where}.enterprises")
    if "timeout" in entry:
        timeout = entry["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
            raise ConfigurationError(f"{where}.timeout must be a number of seconds > 0")
        fields["timeout"] = float(timeout)
    for secret in ("secret_env", "password_env"):
        if secret in entry:
            if not isinstance(entry[secret], str) or not entry[secret].strip():
                raise ConfigurationError(f"{where}.{secret} must name an environment variable")
            fields[secret] = entry[secret].strip()
    if kind == "webhook":
        return _webhook(entry, fields, where)
    return _email(entry, fields, where)


def _webhook(entry: dict[str, Any], fields: dict[str, Any], where: str) -> Channel:
    url = entry.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{where}.url must be an http:// or https:// URL")
    headers = entry.get("headers", {})
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise ConfigurationError(f"{where}.headers must map header names to strings")
    return Channel(url=url, headers=tuple(sorted(headers.items())), **fields)


def _email(entry: dict[str, Any], fields: dict[str, Any], where: str) -> Channel:
    host, sender = entry.get("host"), entry.get("sender")
    if not isinstance(host, str) or not host.strip():
        raise ConfigurationError(f"{where}.host must name the SMTP server")
    if not isinstance(sender, str) or "@" not in sender:
        raise ConfigurationError(f"{where}.sender must be an e-mail address (the From line)")
    to = _strings(entry.get("to"), f"{where}.to")
    if not to or not all("@" in a for a in to):
        raise ConfigurationError(f"{where}.to must list e-mail addresses")
    security = entry.get("security", "none")
    if security not in _SECURITY:
        raise ConfigurationError(f"{where}.security must be one of {', '.join(_SECURITY)}")
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[security]
    port = entry.get("port", default_port)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigurationError(f"{where}.port must be a TCP port")
    username = entry.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ConfigurationError(f"{where}.username must be a string")
    cafile = entry.get("cafile")
    if cafile is not None and not Path(str(cafile)).expanduser().is_file():
        raise ConfigurationError(f"{where}.cafile {cafile} does not exist")
    return Channel(
        host=host.strip(),
        port=port,
        security=security,
        username=username,
        sender=sender,
        to=to,
        cafile=str(Path(str(cafile)).expanduser()) if cafile else None,
        **fields,
    )
