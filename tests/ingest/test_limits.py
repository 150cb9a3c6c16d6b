"""Physical limits from the versioned data file shuixiao/data/plausibility.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shuixiao.errors import InvalidInputError
from shuixiao.ingest import load_limits
from shuixiao.units import QUANTITIES

pytestmark = pytest.mark.unit


def test_shipped_limits() -> None:
    limits = load_limits()
    assert limits.version >= 1
    assert (limits.minimum["ph"].value, limits.maximum["ph"].value) == (0.0, 14.0)
    assert limits.minimum["volume"].value == 0.0
    assert limits.maximum["conductivity"].value == 1_000_000.0  # 1000 mS/cm in µS/cm, the canonical unit
    assert limits.minimum["pressure"].value == pytest.approx(-101.325)
    assert "flow_rate" not in limits.minimum  # reverse flow is possible
    for bound in (*limits.minimum.values(), *limits.maximum.values()):
        assert bound.source and bound.confidence in {"definition", "high", "medium", "low"}
        assert set(limits.minimum) | set(limits.maximum) <= set(QUANTITIES)


@pytest.mark.parametrize(
    ("quantity", "value", "fragment"),
    [
        ("ph", 15.0, "pH 15 is above 14 pH"),
        ("ph", -0.5, "pH -0.5 is below 0 pH"),
        ("volume", -1.0, "volume -1 is below 0 m³"),
        ("temperature", -300.0, "Absolute zero"),
        ("conductivity", 2e6, "above 1e+06 µS/cm"),
    ],
)
def test_impossible_values_say_why(quantity: str, value: float, fragment: str) -> None:
    message = load_limits().problem(quantity, value)
    assert message is not None and fragment in message
    assert message.endswith("check the sensor, its unit and its scaling")


@pytest.mark.parametrize(
    ("quantity", "value"), [("ph", 0.0), ("ph", 14.0), ("flow_rate", -50.0), ("level", -1.0)]
)
def test_possible_values_pass(quantity: str, value: float) -> None:
    assert load_limits().problem(quantity, value) is None


def _write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "limits.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


GOOD = {"value": 0, "units": "m³", "source": "definition", "confidence": "definition"}


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"limits": {}}, "`version` must be a whole number"),
        ([1, 2], "needs a `version` and a `limits` mapping"),
        ({"version": 1, "limits": {"speed": {"minimum": GOOD}}}, "limits.speed: unknown quantity"),
        ({"version": 1, "limits": {"volume": {"lowest": GOOD}}}, "needs `minimum` and/or `maximum`"),
        (
            {"version": 1, "limits": {"volume": {"minimum": {"value": 0}}}},
            "needs value, units, source and confidence",
        ),
        ({"version": 1, "limits": {"volume": {"minimum": {**GOOD, "value": "0"}}}}, "must be a number"),
        ({"version": 1, "limits": {"volume": {"minimum": {**GOOD, "units": "kPa"}}}}, "minimum.units"),
        ({"version": 1, "limits": {"volume": {"minimum": {**GOOD, "source": " "}}}}, "must say why"),
        (
            {"version": 1, "limits": {"volume": {"minimum": {**GOOD, "confidence": "sure"}}}},
            "confidence must be",
        ),
    ],
)
def test_malformed_limit_files_name_the_entry(tmp_path: Path, document: object, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=None) as caught:
        load_limits(_write(tmp_path, document))
    assert fragment in str(caught.value)


def test_limit_files_are_converted_to_canonical_units(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"version": 2, "limits": {"pressure": {"maximum": {**GOOD, "value": 2.5, "units": "MPa"}}}},
    )
    limits = load_limits(path)
    assert (limits.version, limits.maximum["pressure"].value, limits.maximum["pressure"].units) == (
        2,
        2500.0,
        "kPa",
    )


def test_unreadable_limit_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read the limits file"):
        load_limits(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("a: [", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="is not YAML"):
        load_limits(tmp_path / "bad.yaml")
