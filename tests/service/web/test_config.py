"""The dashboards' defaults come from the versioned data file and are checked."""

from __future__ import annotations

import pytest

from shuixiao.errors import ConfigurationError
from shuixiao.service.web._config import Defaults, defaults, read_defaults

pytestmark = pytest.mark.unit


def test_shipped_defaults_are_complete() -> None:
    shipped = defaults()
    assert isinstance(shipped, Defaults)
    assert shipped.version >= 1
    assert shipped.meter_days <= shipped.meter_max_days
    assert shipped.hourly_max_days <= shipped.meter_max_days
    assert shipped.gap_factor > 1.0


def _document(**changes: object) -> str:
    values = {
        "trend_months": 12,
        "latest_lookback": 24,
        "stale_after": 2,
        "meter_days": 7,
        "meter_max_days": 92,
        "gap_factor": 1.5,
        "alarms_shown": 20,
        "hourly_max_days": 14,
        "assessment_ttl": 300,
        "assessment_cache_size": 64,
        "answer_cache_size": 512,
    }
    values.update(changes)
    lines = ["version: 3", "defaults:"]
    lines += [f"  {name}:\n    value: {value}" for name, value in values.items() if value is not None]
    return "\n".join(lines)


def test_read_defaults() -> None:
    read = read_defaults(_document(gap_factor=2))
    assert read.version == 3
    assert read.gap_factor == 2.0
    assert isinstance(read.trend_months, int)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_document(meter_days=0), "meter_days.value must be a positive number"),
        (_document(gap_factor="wide"), "gap_factor.value must be a positive number"),
        (_document(alarms_shown=None), "alarms_shown.value must be a positive number"),
        (_document(trend_months=1.5), "trend_months.value must be a whole number"),
        (_document(answer_cache_size=0.5), "answer_cache_size.value must be a whole number"),
        ("defaults: {}", "integer `version`"),
        ("version: 1\ndefaults: [1]", "`defaults` mapping"),
        ("version: [", "not valid YAML"),
    ],
)
def test_bad_defaults_are_refused_with_the_entry_named(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        read_defaults(text)
