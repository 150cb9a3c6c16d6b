"""The default rules file, its sources, overrides and which meters each rule applies to."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shuixiao.alarms import (
    ENTERPRISE_KINDS,
    KIND_PARAMS,
    METER_KINDS,
    RuleOverride,
    Severity,
    format_duration,
    load_rules,
    override_params,
    parse_duration,
    resolve_rules,
)
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise, Flow, FlowCategory, Meter, MeterKind, UnitKind, WaterUnit

pytestmark = pytest.mark.unit

DEFAULTS = Path(__file__).resolve().parents[2] / "shuixiao" / "data" / "alarm_rules.yaml"


def test_every_default_has_a_source_and_a_confidence() -> None:
    rules = load_rules()
    assert rules.version >= 1 and rules.interval == 900.0 and rules.first_window == 86_400.0
    assert {r.kind for r in rules.rules.values()} == set(METER_KINDS) | set(ENTERPRISE_KINDS)
    for rule in rules.rules.values():
        assert rule.rationale and rule.name_zh and rule.name_en
        assert set(rule.params) <= KIND_PARAMS[rule.kind]
        for param in rule.params.values():
            assert len(param.source) > 20, (rule.id, param.name)
            assert param.confidence in {"C", "S", "U", "R"}
    for name in ("retry_base", "retry_cap", "max_attempts", "timeout"):
        assert rules.delivery[name].value and rules.delivery[name].source


def test_thresholds_from_standards_are_cited_with_their_values() -> None:
    rules = load_rules()
    discharge = rules.rule("quality.discharge.ph")
    assert (discharge.params["low"].value, discharge.params["high"].value) == (6.0, 9.0)
    assert "GB 8978-1996" in discharge.params["high"].source
    cooling = rules.rule("quality.cooling.ph")
    assert (cooling.params["low"].value, cooling.params["high"].value) == (6.8, 9.5)
    assert "GB/T 50050-2017" in cooling.params["low"].source and cooling.params["low"].confidence == "U"
    reclaimed = rules.rule("quality.reclaimed.turbidity")
    assert reclaimed.params["high"].value == 5.0 and "GB/T 19923-2005" in reclaimed.params["high"].source
    assert reclaimed.params["high"].confidence == "C"
    roc = rules.rule("rate_of_change")
    assert roc.params["history"].value == 25 * 3600 and "QARTOD" in roc.params["sigmas"].source
    assert "doi:10.7289/V5V40SD4" in rules.rule("stuck").params["intervals"].source
    threshold = rules.rule("threshold")
    assert threshold.params["deadband_fraction"].for_quantity("flow_rate") == 0.05
    assert threshold.params["deadband_fraction"].for_quantity("temperature") == 0.01
    assert threshold.params["deadband_fraction"].for_quantity("ph") == 0.02
    assert rules.rule("leak_suspected").params["critical_flow"].value == 20.0


def test_durations() -> None:
    assert parse_duration("pt15m") == 900.0 and parse_duration("P1DT2H") == 93_600.0
    assert parse_duration(1.5) == 1.5
    for bad in ("P", "PT", "15 min", -1, True, "PT-1H"):
        with pytest.raises(InvalidInputError):
            parse_duration(bad)
    assert format_duration(93_600) == "P1DT2H" and format_duration(61) == "PT1M1S"


def _plant() -> Enterprise:
    units = (
        WaterUnit("src", "水源", UnitKind.SOURCE, source_type=None),
        WaterUnit("tower", "冷却塔", UnitKind.COOLING_TOWER, level=3),
        WaterUnit("wwtp", "污水站", UnitKind.TREATMENT, level=3),
        WaterUnit("out", "总排口", UnitKind.DISCHARGE),
    )
    flows = (
        Flow("f-reuse", "wwtp", "tower", FlowCategory.RECLAIMED),
        Flow("f-out", "wwtp", "out", FlowCategory.DISCHARGE),
    )
    meters = (
        Meter("PH-TOWER", MeterKind.QUALITY, "ph", "pH", 3, water_unit="tower"),
        Meter("PH-OUT", MeterKind.QUALITY, "ph", "pH", 1, flow="f-out"),
        Meter("PH-REUSE", MeterKind.QUALITY, "ph", "pH", 3, flow="f-reuse"),
        Meter("FT-OUT", MeterKind.TOTALIZER, "volume", "m³", 1, flow="f-out"),
    )
    return Enterprise("e", "示例", "x", "3120", "r", units=units, flows=flows, meters=meters)


def test_quality_rules_select_meters_by_place() -> None:
    resolved = resolve_rules(load_rules(), _plant())
    quality = {(r.id, r.meter.id) for r in resolved if r.kind == "quality_excursion" and r.meter}
    assert quality == {
        ("quality.cooling.ph", "PH-TOWER"),
        ("quality.discharge.ph", "PH-OUT"),  # on the flow into the outfall
        ("quality.reclaimed.ph", "PH-REUSE"),  # on a reclaimed-water flow
    }
    # a totalizer is not checked for being stuck (a stopped flow is normal) but is for being offline
    on_ft = {r.id for r in resolved if r.meter and r.meter.id == "FT-OUT"}
    assert "offline" in on_ft and "stuck" not in on_ft and "threshold" in on_ft
    assert [r.id for r in resolved if r.meter is None] == [
        "balance_closure",
        "leak_suspected",
        "water_plan",
        "quota_pace",
    ]


def test_overrides_layer_enterprise_then_meter() -> None:
    overrides = [
        RuleOverride("offline", params={"intervals": 8.0}, severity=Severity.WARNING),
        RuleOverride(
            "offline", "PH-OUT", params={"intervals": 2.0}, escalate_after=None, escalate_after_set=True
        ),
        RuleOverride("stuck", enabled=False),
        RuleOverride("stuck", "PH-TOWER", enabled=True),
        RuleOverride(
            "rate_of_change", "FT-OUT", params={"max_rate": 50.0}
        ),  # extends the rule to a totalizer
    ]
    resolved = {
        (r.id, r.meter.id if r.meter else None): r for r in resolve_rules(load_rules(), _plant(), overrides)
    }
    tower, out = resolved[("offline", "PH-TOWER")], resolved[("offline", "PH-OUT")]
    assert (tower.params["intervals"], tower.severity, tower.escalate_after) == (
        8.0,
        Severity.WARNING,
        4 * 3600,
    )
    assert (out.params["intervals"], out.severity, out.escalate_after) == (2.0, Severity.WARNING, None)
    assert resolved[("stuck", "PH-TOWER")].enabled and not resolved[("stuck", "PH-OUT")].enabled
    assert resolved[("rate_of_change", "FT-OUT")].params["max_rate"] == 50.0


def test_bad_overrides_are_refused() -> None:
    plant = _plant()
    with pytest.raises(NotFoundError, match="no alarm rule 'ofline'"):
        resolve_rules(load_rules(), plant, [RuleOverride("ofline")])
    with pytest.raises(NotFoundError, match="no meter 'FT-9'"):
        resolve_rules(load_rules(), plant, [RuleOverride("offline", "FT-9")])
    with pytest.raises(InvalidInputError, match="no parameter high"):
        resolve_rules(load_rules(), plant, [RuleOverride("offline", params={"high": 1.0})])
    with pytest.raises(InvalidInputError, match="per enterprise"):
        resolve_rules(load_rules(), plant, [RuleOverride("balance_closure", "FT-OUT")])


def test_override_params_from_the_command_line() -> None:
    threshold = load_rules().rule("threshold")
    assert override_params(threshold, {"high": "14 L/s", "low": "10"}, "flow_rate") == {
        "high": 50.4,
        "low": 10.0,
    }
    assert override_params(load_rules().rule("offline"), {"interval": "PT5M"}, None) == {"interval": 300.0}
    with pytest.raises(InvalidInputError, match="no parameter 'hi'"):
        override_params(threshold, {"hi": "1"}, "flow_rate")
    with pytest.raises(InvalidInputError, match="not a number"):
        override_params(threshold, {"high": "lots"}, "flow_rate")
    with pytest.raises(InvalidInputError, match="unit"):
        override_params(threshold, {"high": "14 kPa"}, "flow_rate")
    with pytest.raises(InvalidInputError, match="plain number"):
        override_params(load_rules().rule("stuck"), {"intervals": "3 h"}, "ph")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][0].update(kind="spooky"), "kind 'spooky' is unknown"),
        (lambda d: d["rules"][0]["params"]["intervals"].pop("source"), "needs value, units, source"),
        (lambda d: d["rules"][0]["params"]["intervals"].update(confidence="X"), "confidence must be one of"),
        (lambda d: d["rules"][0].update(severity="loud"), "severity"),
        (lambda d: d["rules"][0]["params"].update(high={}), "high unknown for offline"),
        (lambda d: d["rules"][0].update(meters={"kinds": ["gauge"]}), "not known"),
        (lambda d: d["rules"].append(d["rules"][0]), "appears twice"),
        (lambda d: d.pop("delivery"), "delivery needs exactly"),
        (
            lambda d: d["rules"][-1].update(meters={"quantities": ["ph"]}),
            "must be empty for an enterprise rule",
        ),
        (lambda d: d["rules"][1]["params"]["intervals"].update(value="many"), "finite number"),
    ],
)
def test_malformed_rules_files_name_the_entry(tmp_path: Path, change: object, message: str) -> None:
    document = yaml.safe_load(DEFAULTS.read_text("utf-8"))
    change(document)  # type: ignore[operator]
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InvalidInputError, match=re.escape(message) if "(" in message else message):
        load_rules(path)
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
