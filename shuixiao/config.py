"""Settings of a shuixiao instance: where its data lives and how it presents itself.

Settings come, in order of precedence, from command-line options, the
environment (``SHUIXIAO_*``), a TOML config file, and the defaults below.  The
config file is the one named by ``--config`` or ``SHUIXIAO_CONFIG``, else
``./shuixiao.toml`` when it exists, else ``$XDG_CONFIG_HOME/shuixiao/config.toml``
when that exists.  Nothing is read at import time: :func:`load_settings`
builds a :class:`Settings` when asked, so several instances with different
data directories can run side by side.

==========================  ===============================================  ==================================
setting                     environment variable                             default
==========================  ===============================================  ==================================
``data_dir``                ``SHUIXIAO_DATA_DIR``                            ``$XDG_DATA_HOME/shuixiao``
``database_url``            ``SHUIXIAO_DATABASE_URL``                        ``sqlite:///<data_dir>/shuixiao.db``
``timezone``                ``SHUIXIAO_TIMEZONE``                            ``Asia/Shanghai``
``language``                ``SHUIXIAO_LANGUAGE``                            ``zh``
``host``                    ``SHUIXIAO_HOST``                                ``127.0.0.1``
``port``                    ``SHUIXIAO_PORT``                                ``8000``
``workers``                 ``SHUIXIAO_WORKERS``                             ``1``
``cookie_secure``           ``SHUIXIAO_COOKIE_SECURE``                       ``false``
``demo``                    ``SHUIXIAO_DEMO``                                ``false``
``session_lifetime``        ``SHUIXIAO_SESSION_LIFETIME``                    ``43200`` (12 h)
``session_idle``            ``SHUIXIAO_SESSION_IDLE``                        ``1800`` (30 min)
==========================  ===============================================  ==================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shuixiao.errors import ConfigurationError

__all__ = ["Settings", "config_file", "load_settings"]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "shuixiao"


class Settings(BaseSettings):
    """Settings of one shuixiao instance.

    Parameters
    ----------
    data_dir : pathlib.Path
        Directory for the embedded database, demo files and exports.
    database_url : str
        SQLAlchemy URL; ``sqlite:///…`` (embedded) or ``postgresql+psycopg://…``.
        Defaults to an SQLite file in ``data_dir``.
    timezone : str
        IANA time zone in which times are shown and local calendars (days,
        months) are cut.  Times are stored in UTC.
    language : {'zh', 'en'}
        Language of human-readable output.
    host : str
        Address ``shuixiao serve`` listens on; loopback by default, so that
        exposing the service is a decision.
    port : int
        TCP port of ``shuixiao serve``.
    workers : int
        Server processes of ``shuixiao serve``; one per core serves more requests at once.
    cookie_secure : bool
        Give the session cookie the ``Secure`` flag and send
        ``Strict-Transport-Security``: set it when the service is reached over
        HTTPS (directly or behind a TLS-terminating proxy).
    demo : bool
        Demo mode: ``shuixiao serve`` starts without an administrator account
        and ``shuixiao users demo`` may create the demo users.  Never set it on
        an instance holding real data.
    session_lifetime : int
        Absolute lifetime of a login session, after which the user logs in
        again (OWASP ASVS 4.0.3 V3.3.2, level 2: 12 h). [s]
    session_idle : int
        A session unused for this long ends (OWASP ASVS 4.0.3 V3.3.2, level 2:
        30 min of inactivity). [s]
    """

    model_config = SettingsConfigDict(env_prefix="SHUIXIAO_", extra="forbid")

    data_dir: Path = Path()
    database_url: str = ""
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    cookie_secure: bool = False
    demo: bool = False
    session_lifetime: int = Field(default=43_200, ge=60)
    session_idle: int = Field(default=1_800, ge=60)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: arguments, environment, then the TOML file."""
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if url and not url.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+")):
            raise ValueError(
                "use sqlite:///PATH for the embedded database or postgresql+psycopg://HOST/DB for PostgreSQL"
            )
        return url

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not an IANA time zone; use e.g. Asia/Shanghai") from None
        return name

    @model_validator(mode="after")
    def _derive_defaults(self) -> Settings:
        if self.data_dir == Path():
            self.data_dir = _default_data_dir()
        self.data_dir = self.data_dir.expanduser()
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'shuixiao.db').resolve()}"
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The :class:`zoneinfo.ZoneInfo` of :attr:`timezone`."""
        return ZoneInfo(self.timezone)


def config_file(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the config file to read, or None when there is none.

    Parameters
    ----------
    explicit : path-like, optional
        A file named on the command line; it must exist.

    Raises
    ------
    ConfigurationError
        If an explicitly named file (argument or ``SHUIXIAO_CONFIG``) does not exist.
    """
    named = explicit or os.environ.get("SHUIXIAO_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigurationError(f"config file {path} does not exist; fix --config or SHUIXIAO_CONFIG")
        return path
    local = Path("shuixiao.toml")
    if local.is_file():
        return local
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "shuixiao" / "config.toml"
    return xdg if xdg.is_file() else None


def load_settings(config: str | os.PathLike[str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the config file.

    Parameters
    ----------
    config : path-like, optional
        Config file named on the command line.
    **overrides
        Values that win over every other source (command-line options);
        ``None`` values are ignored.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigurationError
        With one line per wrong setting, naming where it came from.
    """
    path = config_file(config)
    # The file is part of the class's configuration in pydantic-settings; bind it to a subclass
    # so that nothing global changes and two instances can read two files.
    bound = cast(
        type[Settings],
        type("Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}}),
    )
    try:
        return bound(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        origin = f" (config file {path}, environment SHUIXIAO_*, or options)" if path else ""
        lines = [f"invalid settings{origin}:"]
        for e in err.errors():
            name = ".".join(str(p) for p in e["loc"]) or "settings"
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown setting; known settings are " + ", ".join(Settings.model_fields)
            lines.append(f"  - {name}: {msg}")
        raise ConfigurationError("\n".join(lines)) from None
    except (OSError, ValueError) as err:  # unreadable file or TOML syntax error
        raise ConfigurationError(f"cannot read config file {path}: {err}") from err
