"""Security and capacity limits of the service, read from ``shuixiao/data/service.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from shuixiao.errors import InvalidInputError

__all__ = ["Policy", "load_policy"]


@dataclass(frozen=True)
class Policy:
    """The limits the service enforces; every value comes from the data file with its source.

    Parameters
    ----------
    version : int
        Version of the data file.
    argon2_time_cost : int
        Argon2id iterations.
    argon2_memory_cost : int
        Argon2id memory. [KiB]
    argon2_parallelism : int
        Argon2id lanes.
    password_min_length, password_max_length : int
        Length bounds of a password. [characters]
    login_failures_per_login, login_failures_per_ip : int
        Failed logins allowed in one window, per login name and per client address.
    login_window : int
        Sliding window of the login rate limit. [s]
    session_touch_interval : int
        How often a session's last use is written at most. [s]
    worker_threads : int
        Threads that run request handlers.
    model_cache : int
        How long an enterprise's model is reused on a database without a data version (in-memory
        SQLite); otherwise it is reused while the data version is unchanged. [s]
    token_entropy : int
        Randomness of a session, API or device token. [bytes]
    default_limit, max_limit : int
        Page size of a list or series: default and largest. [rows]
    max_export_rows : int
        Largest export. [rows]
    ingest_max_body, ingest_max_decompressed : int
        Largest ingestion body, as sent and after decompression. [bytes]
    ingest_max_records : int
        Most readings in one ingestion request.
    ingest_max_batches : int
        Most signed batches in one request to ``/api/v1/ingest/batches``.
    """

    version: int
    argon2_time_cost: int
    argon2_memory_cost: int
    argon2_parallelism: int
    password_min_length: int
    password_max_length: int
    login_failures_per_login: int
    login_failures_per_ip: int
    login_window: int
    session_touch_interval: int
    worker_threads: int
    model_cache: int
    token_entropy: int
    default_limit: int
    max_limit: int
    max_export_rows: int
    ingest_max_body: int
    ingest_max_decompressed: int
    ingest_max_records: int
    ingest_max_batches: int


# Policy field -> (section, entry, expected units) in the data file.
_FIELDS: dict[str, tuple[str, str, str]] = {
    "argon2_time_cost": ("password_hashing", "time_cost", "iterations"),
    "argon2_memory_cost": ("password_hashing", "memory_cost", "KiB"),
    "argon2_parallelism": ("password_hashing", "parallelism", "lanes"),
    "password_min_length": ("password", "min_length", "characters"),
    "password_max_length": ("password", "max_length", "characters"),
    "login_failures_per_login": ("login_rate_limit", "per_login_failures", "attempts"),
    "login_failures_per_ip": ("login_rate_limit", "per_ip_failures", "attempts"),
    "login_window": ("login_rate_limit", "window", "s"),
    "session_touch_interval": ("session", "touch_interval", "s"),
    "worker_threads": ("server", "worker_threads", "threads"),
    "model_cache": ("server", "model_cache", "s"),
    "token_entropy": ("tokens", "entropy", "bytes"),
    "default_limit": ("pagination", "default_limit", "rows"),
    "max_limit": ("pagination", "max_limit", "rows"),
    "max_export_rows": ("pagination", "max_export_rows", "rows"),
    "ingest_max_body": ("ingest_http", "max_body", "bytes"),
    "ingest_max_decompressed": ("ingest_http", "max_decompressed", "bytes"),
    "ingest_max_records": ("ingest_http", "max_records", "records"),
    "ingest_max_batches": ("ingest_http", "max_batches", "batches"),
}


def _entry(document: dict[str, Any], section: str, name: str, units: str, where: str) -> int:
    entry = (document.get(section) or {}).get(name) if isinstance(document.get(section), dict) else None
    at = f"{where}: {section}.{name}"
    if not isinstance(entry, dict) or not {"value", "units", "source"} <= entry.keys():
        raise InvalidInputError(f"{at} needs value, units and source")
    value = entry["value"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(f"{at}.value must be a whole number above zero, not {value!r}")
    if entry["units"] != units:
        raise InvalidInputError(f"{at}.units must be {units!r}, not {entry['units']!r}")
    if not isinstance(entry["source"], str) or not entry["source"].strip():
        raise InvalidInputError(f"{at}.source must say where the value comes from")
    return value


def load_policy(path: str | Path | None = None) -> Policy:
    """Read the service's limits from ``path``, or from the file shipped with shuixiao.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A YAML file in the layout of ``shuixiao/data/service.yaml``.

    Returns
    -------
    Policy

    Raises
    ------
    InvalidInputError
        If the file is unreadable or an entry lacks its value, units or source.

    Examples
    --------
    >>> policy = load_policy()
    >>> policy.login_failures_per_login, policy.login_window
    (5, 900)
    """
    if path is None:
        return _shipped()
    where = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as err:
        raise InvalidInputError(f"cannot read the service limits {where}: {err.strerror}") from err
    return _parse(text, where)


@cache
def _shipped() -> Policy:
    text = resources.files("shuixiao.data").joinpath("service.yaml").read_text("utf-8")
    return _parse(text, "shuixiao/data/service.yaml")


def _parse(text: str, where: str) -> Policy:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise InvalidInputError(f"{where} is not YAML: {err}") from err
    if not isinstance(document, dict):
        raise InvalidInputError(f"{where} needs a `version` and the sections of shuixiao/data/service.yaml")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InvalidInputError(f"{where}: `version` must be a whole number")
    values = {field: _entry(document, *spec, where) for field, spec in _FIELDS.items()}
    if values["password_min_length"] > values["password_max_length"]:
        raise InvalidInputError(f"{where}: password.min_length is above password.max_length")
    return Policy(version=version, **values)
