"""Defaults of the dashboards, read from the versioned data file ``dashboards.yaml`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from shuixiao.errors import ConfigurationError

__all__ = ["Defaults", "defaults", "read_defaults"]


@dataclass(frozen=True)
class Defaults:
    """How much data the dashboards read and show (``dashboards.yaml``).

    Parameters
    ----------
    version : int
        Version of the data file.
    trend_months : int
        Months of daily and monthly metered volumes in the enterprise trend. [months]
    latest_lookback : float
        Window before the enterprise's last reading searched for each meter's latest one. [h]
    stale_after : float
        Age beyond which a meter's latest reading marks it as not reporting. [h]
    meter_days : int
        Default raw window of the meter page. [d]
    meter_max_days : int
        Longest raw window the meter page draws. [d]
    gap_factor : float
        Spacing, in multiples of the usual interval, beyond which a chart shows a gap. [unitless]
    alarms_shown : int
        Alarms listed on the enterprise dashboard.
    hourly_max_days : int
        Longest window whose interval chart uses hourly aggregates. [d]
    assessment_ttl : float
        How long an assessment is kept and shared. [s]
    assessment_cache_size : int
        Most assessments kept at once.
    answer_cache_size : int
        Most answers of the read API kept at once.
    """

    version: int
    trend_months: int
    latest_lookback: float
    stale_after: float
    meter_days: int
    meter_max_days: int
    gap_factor: float
    alarms_shown: int
    hourly_max_days: int
    assessment_ttl: float
    assessment_cache_size: int
    answer_cache_size: int


_INTEGERS = frozenset(
    {
        "trend_months",
        "meter_days",
        "meter_max_days",
        "alarms_shown",
        "hourly_max_days",
        "assessment_cache_size",
        "answer_cache_size",
    }
)


@cache
def defaults() -> Defaults:
    """Return the dashboard defaults of the shipped data file (read once).

    Examples
    --------
    >>> defaults().meter_days
    7
    """
    return read_defaults(
        resources.files("shuixiao.service.web").joinpath("dashboards.yaml").read_text("utf-8")
    )


def read_defaults(text: str) -> Defaults:
    """Return the defaults of a document in the layout of ``dashboards.yaml``.

    Raises
    ------
    ConfigurationError
        If the document has no integer ``version``, lacks an entry, or an entry is not a positive number.
    """
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigurationError(f"dashboards.yaml is not valid YAML: {err}") from err
    if not isinstance(document, dict) or not isinstance(document.get("version"), int):
        raise ConfigurationError("dashboards.yaml: needs an integer `version` and a `defaults` mapping")
    entries: Any = document.get("defaults")
    if not isinstance(entries, dict):
        raise ConfigurationError("dashboards.yaml: needs an integer `version` and a `defaults` mapping")
    values: dict[str, Any] = {"version": document["version"]}
    for name in Defaults.__dataclass_fields__:
        if name == "version":
            continue
        entry = entries.get(name)
        value = entry.get("value") if isinstance(entry, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ConfigurationError(
                f"dashboards.yaml: defaults.{name}.value must be a positive number, not {value!r}"
            )
        if name in _INTEGERS and value != int(value):
            raise ConfigurationError(
                f"dashboards.yaml: defaults.{name}.value must be a whole number, not {value!r}"
            )
        values[name] = int(value) if name in _INTEGERS else float(value)
    return Defaults(**values)
