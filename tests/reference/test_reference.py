"""The reference tables load, validate and hold the seeds' targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.reference import (
    ReferenceDataError,
    load_table,
    parameter,
    product_target,
    product_targets,
    quota_variants,
    quotas,
    read_table,
    sectors_of,
    table_names,
    target_entries,
    tier_criteria,
    variant_rules,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", table_names())
def test_every_table_loads_with_provenance(name: str) -> None:
    table = load_table(name)
    assert table.version >= 1 and table.title and table.entries
    for entry in table.entries:
        assert entry.standard and entry.edition and entry.clause and entry.unit and entry.source
        assert entry.confidence in ("C", "S", "U")


def test_expected_tables_and_counts() -> None:
    assert set(table_names()) >= {
        "balance",
        "headline_targets",
        "metering_gbt24789",
        "product_targets_hunan",
        "product_targets_national",
        "quota_adjustments_gbt18916",
        "quota_variants",
        "quotas_gbt18916",
        "sectors",
        "tiers",
    }
    # seed 001: 32 product rows (2020 value and 2025 decline each); seed 003: 15 rows, ethylene with
    # only an expected 2025 value
    assert len(product_targets("national")) == 32
    assert len(load_table("product_targets_national").entries) == 64
    assert len(product_targets("430000")) == 15
    assert len(load_table("product_targets_hunan").entries) == 29


def test_crude_steel_2020_and_decline() -> None:
    steel = product_target("crude_steel")
    assert steel.baseline is not None and steel.decline is not None
    assert (steel.baseline.value, steel.baseline.unit) == (2.5, "m³/t")
    assert steel.decline.value == 10.0 and steel.decline.unit == "%"
    assert steel.expected == pytest.approx(2.25)
    assert steel.baseline.confidence == "C"
    assert "001_b3ac12baccf02776" in steel.baseline.source


@pytest.mark.parametrize(
    ("product", "region", "baseline", "decline"),
    [
        ("petroleum_refining", "national", 0.6, 5.0),
        ("titanium_dioxide", "national", 60.0, 5.0),
        ("woven_dyed_fabric", "national", 1.6, 15.0),
        ("yarn_knit_dyed_fabric", "national", 95.0, 10.0),
        ("containerboard", "national", 24.0, 10.0),
        ("beer", "national", 4.5, 15.0),
        ("cathode_copper_secondary", "national", 1.2, 15.0),
        ("crude_steel", "430000", 3.5, 10.0),
        ("petroleum_refining", "430000", 0.56, 5.0),
        ("uncoated_printing_writing_paper", "430000", 18.0, 10.0),
        ("zinc_hydrometallurgy", "430000", 10.0, 5.0),
    ],
)
def test_target_rows(product: str, region: str, baseline: float, decline: float) -> None:
    t = product_target(product, region)
    assert t.baseline is not None and t.baseline.value == baseline
    assert t.decline is not None and t.decline.value == decline


def test_hunan_ethylene_has_an_expected_value() -> None:
    t = product_target("ethylene", "430000")
    assert t.baseline is None and t.decline is None
    assert t.expected == 7.5
    assert t.expected_value is not None and "--" in (t.expected_value.note or "")


def test_headline_targets() -> None:
    by_id = {e.id: e for e in target_entries()}
    assert by_id["national.intake_per_value_added_decline"].value == 16
    assert by_id["hunan.intake_per_value_added_decline"].value == 12
    assert by_id["national.reuse_rate"].value == 94
    assert by_id["hunan.non_conventional_use"].value == 1.0e7
    assert by_id["national.new_non_conventional_use"].value == 5.0e8


def test_parameters_and_quotas() -> None:
    assert parameter("closure_tolerance", scope="enterprise").value == 0.10
    assert parameter("closure_tolerance", scope="unit").value == 0.05
    assert parameter("metering_rate", table="metering_gbt24789", level=2).value == 95
    with pytest.raises(NotFoundError):
        parameter("nothing")
    steel = quotas("crude_steel")
    assert len(steel) == 8 and {q.confidence for q in steel} == {"S"}
    assert quotas("containerboard") == []
    assert len(quotas("containerboard", include_superseded=True)) == 2
    assert quotas("methanol_coal", region="130000")[0].value == 15.0


def test_sectors_and_tiers() -> None:
    assert sectors_of("3120") == {"steel"}
    assert sectors_of("2511") == {"refining", "petrochemical"}
    assert sectors_of("1713") == {"textile", "textile_dyeing"}
    assert sectors_of("2221") == {"paper", "paper_board"}
    assert sectors_of("9999") == frozenset()
    assert {c.tier for c in tier_criteria("leader")} == {"leader"}
    assert any(c.sector == "steel" for c in tier_criteria("water_saving", ["steel"]))
    assert not any(c.sector == "steel" for c in tier_criteria("water_saving", ["paper"]))


def test_quota_variants_and_the_rules_that_read_them() -> None:
    # GB/T 18916.2-2022 crude steel: four columns, with or without coking and cold rolling (standards.md §4.2)
    assert quota_variants("crude_steel") == (
        "coking_cold_rolling",
        "coking_no_cold_rolling",
        "no_coking_cold_rolling",
        "no_coking_no_cold_rolling",
    )
    rules = variant_rules("crude_steel")
    assert [(r.dimension, r.present, r.absent) for r in rules] == [
        ("coking", "coking", "no_coking"),
        ("cold_rolling", "cold_rolling", "no_cold_rolling"),
    ]
    assert "焦化" in rules[0].value and "冷轧" in rules[1].value and {r.confidence for r in rules} == {"U"}
    # every combination of the rules' words names a quota variant
    assert {f"{a}_{b}" for a in ("coking", "no_coking") for b in ("cold_rolling", "no_cold_rolling")} == set(
        quota_variants("crude_steel")
    )
    assert variant_rules("coal_power") == [] and len(quota_variants("coal_power")) == 12
    assert quota_variants("beer") == ()


def test_bad_variant_rule(tmp_path: Path) -> None:
    bad = tmp_path / "variants.yaml"
    bad.write_text(
        "table: variants\nversion: 1\ntitle: bad\ndefaults:\n  standard: S\n  edition: E\n  clause: C\n"
        "  unit: word\n  confidence: U\n  source: seed\n  product: crude_steel\nentries:\n"
        "  - id: a\n    dimension: coking\n    position: 0\n    present: x\n    absent: x\n    value: [焦化]\n"
        "  - id: b\n    dimension: rolling\n    position: -1\n    present: y\n    absent: z\n    value: []\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as info:
        read_table(bad)
    paths = {p.path for p in info.value.problems}
    assert "entries[0]" in paths  # present == absent
    assert "entries[1].position" in paths and "entries[1].value" in paths


def test_unknown_table() -> None:
    with pytest.raises(NotFoundError, match="no reference table"):
        load_table("nope")


def test_bad_file_reports_file_line_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text(
        "table: targets\nversion: 1\ntitle: broken\ndefaults:\n  standard: S\n  edition: E\n  clause: C\n"
        "  confidence: C\n  source: seed\n  region: national\nentries:\n"
        "  - id: a\n    quantity: intake_per_product\n    year: 2020\n    value: 2.5\n    unit: m³/t\n"
        "  - id: b\n    quantity: reuse_rate\n    year: 2025\n    value: lots\n    unit: '%'\n    confdence: C\n"
        "  - id: b\n    quantity: reuse_rate\n    year: 2025\n    value: 1\n    unit: '%'\n    confidence: X\n",
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError) as info:
        read_table(bad)
    err = info.value
    assert isinstance(err, InvalidInputError)
    text = err.diagnostics()
    assert text.startswith("broken.yaml: ")
    paths = [p.path for p in err.problems]
    assert "entries[0]" in paths  # product fields missing for a per-product quantity
    assert "entries[1].value" in paths and "entries[1].confdence" in paths
    assert "entries[2].id" in paths and "entries[2].confidence" in paths
    lines = {p.path: p.line for p in err.problems}
    assert lines["entries[1].value"] == 20
    assert any("(first at entries[1])" in p.message for p in err.problems)


def test_bad_header(tmp_path: Path) -> None:
    bad = tmp_path / "header.yaml"
    bad.write_text("table: nonsense\nversion: 0\nentries: []\nextra: 1\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as info:
        read_table(bad)
    assert {p.path for p in info.value.problems} == {"table", "version", "title", "entries", "extra"}
    broken = tmp_path / "yaml.yaml"
    broken.write_text("table: [unclosed\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="not valid YAML"):
        read_table(broken)
