"""Tests of model files (shuixiao.io.model_file): format, round trips, problem reports with lines."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import shuixiao.io
from shuixiao.errors import InvalidInputError, ModelValidationError, NotFoundError, Problem
from shuixiao.io import (
    MODEL_SCHEMA,
    ModelDocument,
    format_model_text,
    from_document,
    parse_model_text,
    read_model_file,
    to_document,
    write_model_file,
)
from shuixiao.model import (
    METER_KIND_QUANTITIES,
    NON_CONVENTIONAL_SOURCES,
    PRODUCT_UNITS,
    EnergyRecord,
    Enterprise,
    Flow,
    FlowCategory,
    Meter,
    MeterKind,
    Park,
    Product,
    ProductionRecord,
    Region,
    Site,
    SourceType,
    TreatmentType,
    UnitKind,
    ValueAddedRecord,
    WaterUnit,
    credit_code_check_character,
    enterprise_problems,
)
from shuixiao.units import units_for

MODELS = Path(__file__).parent.parent / "data" / "models"
PLANT = MODELS / "paper_mill.yaml"
FIVE_MISTAKES = MODELS / "five_mistakes.yaml"

# A minimal valid enterprise, as YAML, to which single tests add one mistake.
HEADER = """\
schema: shuixiao.model/1
enterprises:
  - id: e1
    name: 示例企业
    credit_code: "91430300MA4T5Q3X72"
    industry_code: "2614"
    region: xiangtan
"""
UNITS = """\
    units:
      - {id: src, name: 水源, kind: source, source_type: municipal}
      - {id: shop, name: 车间, kind: workshop, level: 2}
      - {id: out, name: 排口, kind: discharge}
    flows:
      - {id: f-in, from_unit: src, to_unit: shop, category: fresh}
      - {id: f-out, from_unit: shop, to_unit: out, category: discharge}
"""


def problems_of(text: str, file_format: shuixiao.io.FileFormat = "yaml") -> list[Problem]:
    with pytest.raises(ModelValidationError) as info:
        parse_model_text(text, file_format)
    return info.value.problems


def only_problem(text: str, file_format: shuixiao.io.FileFormat = "yaml") -> Problem:
    problems = problems_of(text, file_format)
    assert len(problems) == 1, problems
    return problems[0]


# --- the example plant ---------------------------------------------------------------------------


@pytest.mark.integration
def test_example_plant_is_valid_and_complete() -> None:
    doc = read_model_file(PLANT)
    assert [r.id for r in doc.regions] == ["hunan", "xiangtan"]
    assert [p.id for p in doc.parks] == ["xiangtan-edz"]
    (plant,) = doc.enterprises
    assert enterprise_problems(plant, regions=["hunan", "xiangtan"], parks=["xiangtan-edz"]) == []
    kinds = {u.kind for u in plant.units}
    assert {UnitKind.SOURCE, UnitKind.COOLING_TOWER, UnitKind.BOILER, UnitKind.DISCHARGE} <= kinds
    assert {u.source_type for u in plant.units if u.kind is UnitKind.SOURCE} == {
        SourceType.GROUNDWATER,
        SourceType.MUNICIPAL,
    }
    assert {u.treatment_type for u in plant.units} >= {
        TreatmentType.ULTRAFILTRATION,
        TreatmentType.REVERSE_OSMOSIS,
    }
    categories = {f.category for f in plant.flows}
    assert {
        FlowCategory.RECIRCULATED,
        FlowCategory.CONSUMPTION,
        FlowCategory.CONDENSATE,
        FlowCategory.RECLAIMED,
        FlowCategory.DISCHARGE,
    } <= categories
    assert {m.level for m in plant.meters} == {1, 2, 3}
    assert any(m.register_max for m in plant.meters)
    assert plant.meter("AT-201").quantity == "ph"
    assert plant.unit("pm1-tower").parent == "pm1"
    assert plant.flow("f-evaporation").to_unit is None
    assert plant.meter("FT-001").installed == dt.date(2021, 6, 1)


@pytest.mark.integration
def test_value_added_in_wan_yuan_and_electricity_in_mwh_are_converted() -> None:
    (plant,) = read_model_file(PLANT).enterprises
    assert plant.value_added[0].value == 148_500_000.0  # given in CNY
    assert plant.value_added[1].value == pytest.approx(38_600_000.0)  # 3860 万元
    assert plant.energy[1].electricity == pytest.approx(96_500.0)  # 96.5 MWh


@pytest.mark.unit
def test_unit_keys_convert_and_are_checked() -> None:
    text = (
        HEADER
        + UNITS
        + """\
    value_added:
      - {start: 2024-01-01, end: 2025-01-01, value: 1.5, unit: 亿元}
    energy:
      - {water_unit: shop, start: 2024-01-01, end: 2025-01-01, electricity: 2, electricity_unit: GJ}
"""
    )
    (e,) = parse_model_text(text).enterprises
    assert e.value_added[0].value == pytest.approx(1.5e8)
    assert e.energy[0].electricity == pytest.approx(2e3 / 3.6)
    written = format_model_text(ModelDocument(enterprises=(e,)))
    assert " unit:" not in written and "electricity_unit" not in written

    bad = text.replace("unit: 亿元", "unit: kg")
    problem = only_problem(bad)
    assert problem.path == "enterprises[0].value_added[0].unit"
    assert "'kg' is not a unit of money" in problem.message
    assert problem.line == 16


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_plant_round_trips_through_files(tmp_path: Path, suffix: str) -> None:
    doc = read_model_file(PLANT)
    path = tmp_path / f"plant{suffix}"
    write_model_file(doc, path)
    assert read_model_file(path) == doc


@pytest.mark.integration
def test_plant_round_trips_through_plain_data() -> None:
    doc = read_model_file(PLANT)
    assert from_document(to_document(doc)) == doc
    assert from_document(json.loads(format_model_text(doc, "json"))) == doc


@pytest.mark.integration
def test_written_files_are_short_and_readable() -> None:
    doc = read_model_file(PLANT)
    text = format_model_text(doc)
    assert text.startswith("schema: shuixiao.model/1\n")
    assert "湘潭示例纸业有限公司" in text and "\\u" not in text
    assert "null" in text  # to_unit has no default and is written even when empty
    assert "parent: null" not in text and "steam: 0.0" not in text  # defaults are left out
    assert "installed: 2021-06-01\n" in text  # dates unquoted
    unit = text.index("  - id: src-gw")
    assert text[unit : text.index("\n      - id:", unit)].splitlines()[1:4] == [
        "        name: 深井水源",
        "        kind: source",
        "        site: main",
    ]  # keys in dataclass field order
    json_text = format_model_text(doc, "json")
    assert "湘潭示例纸业有限公司" in json_text
    assert json_text.startswith('{\n  "schema": "shuixiao.model/1",\n  "regions": [\n    {\n')
    assert '"installed": "2021-06-01"' in json_text


@pytest.mark.unit
def test_empty_document_round_trips() -> None:
    assert to_document(ModelDocument()) == {"schema": MODEL_SCHEMA}
    assert from_document(to_document(ModelDocument())) == ModelDocument()
    assert parse_model_text(format_model_text(ModelDocument(), "json"), "json") == ModelDocument()


# Hypothesis: small valid models survive YAML and JSON unchanged.

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_names = st.text(max_size=10)
_maybe_names = st.none() | _names
_flows = st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False)
_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2080, 1, 1))
_inner_kinds = [
    k for k in UnitKind if k not in (UnitKind.SOURCE, UnitKind.DISCHARGE, UnitKind.EXTERNAL_SUPPLY)
]


@st.composite
def _period(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start = draw(_dates)
    return start, start + dt.timedelta(days=draw(st.integers(1, 400)))


@st.composite
def _inner_unit(draw: st.DrawFn, uid: str, level: int, parent: str | None, sites: list[str]) -> WaterUnit:
    kind = draw(st.sampled_from(_inner_kinds))
    return WaterUnit(
        uid,
        draw(_names),
        kind,
        level=level,
        parent=parent,
        site=draw(st.none() | st.sampled_from(sites)) if sites else None,
        treatment_type=draw(st.sampled_from(TreatmentType)) if kind is UnitKind.TREATMENT else None,
        design_flow=draw(_flows),
        name_en=draw(_maybe_names),
    )


@st.composite
def documents(draw: st.DrawFn) -> ModelDocument:
    sites = [
        Site(f"s{i}", draw(_names), draw(_maybe_names), draw(st.none() | st.floats(-90, 90)))
        for i in range(draw(st.integers(0, 2)))
    ]
    site_ids = [s.id for s in sites]
    source_type = draw(st.sampled_from(SourceType))
    intake = FlowCategory.NON_CONVENTIONAL if source_type in NON_CONVENTIONAL_SOURCES else FlowCategory.FRESH
    units = [
        WaterUnit("src", draw(_names), UnitKind.SOURCE, source_type=source_type, design_flow=draw(_flows)),
        WaterUnit("out", draw(_names), UnitKind.DISCHARGE),
    ]
    flows: list[Flow] = []
    meters: list[Meter] = []
    for i in range(draw(st.integers(1, 3))):
        shop = draw(_inner_unit(f"w{i}", 2, None, site_ids))
        units.append(shop)
        flows += [
            Flow(f"in{i}", "src", shop.id, intake, draw(_flows), draw(_maybe_names)),
            Flow(f"out{i}", shop.id, "out", FlowCategory.DISCHARGE),
        ]
        installed = draw(st.none() | _dates)
        meters.append(
            Meter(
                f"FT-{i}",
                MeterKind.TOTALIZER,
                "volume",
                draw(st.sampled_from(units_for("volume"))),
                1,
                flow=f"in{i}",
                accuracy_class=draw(st.none() | st.sampled_from([0.5, 1.0, 2.0, 2.5])),
                installed=installed,
                calibrated=installed + dt.timedelta(days=draw(st.integers(0, 900))) if installed else None,
                device=draw(_maybe_names),
                register_max=draw(st.none() | st.floats(1, 1e12)),
            )
        )
        for j in range(draw(st.integers(0, 2))):
            equipment = draw(_inner_unit(f"e{i}{j}", 3, shop.id, site_ids))
            units.append(equipment)
            sink = draw(st.sampled_from([FlowCategory.CONSUMPTION, FlowCategory.LEAKAGE]))
            flows += [
                Flow(f"to{i}{j}", shop.id, equipment.id, FlowCategory.CASCADED),
                Flow(f"loss{i}{j}", equipment.id, None, sink, draw(_flows)),
            ]
            quantity = draw(st.sampled_from(sorted(METER_KIND_QUANTITIES[MeterKind.QUALITY])))
            unit = draw(st.sampled_from(units_for(quantity)))
            meters.append(Meter(f"AT-{i}{j}", MeterKind.QUALITY, quantity, unit, 3, water_unit=equipment.id))
    products = [
        Product(f"p{i}", draw(_names), draw(st.sampled_from(list(PRODUCT_UNITS))), name_en=draw(_maybe_names))
        for i in range(draw(st.integers(0, 2)))
    ]
    production = [
        ProductionRecord(p.id, *draw(_period()), draw(st.floats(0, 1e9)))
        for p in products
        for _ in range(draw(st.integers(0, 2)))
    ]
    money = st.floats(-1e12, 1e12, allow_nan=False)
    value_added = [ValueAddedRecord(*draw(_period()), draw(money)) for _ in range(draw(st.integers(0, 2)))]
    energy = [
        EnergyRecord(draw(st.sampled_from(units)).id, *draw(_period()), draw(st.floats(0, 1e9)))
        for _ in range(draw(st.integers(0, 2)))
    ]
    first17 = draw(st.text(_ALPHABET, min_size=17, max_size=17))
    with_region = draw(st.booleans())
    enterprise = Enterprise(
        id=draw(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)),
        name=draw(_names),
        credit_code=first17 + credit_code_check_character(first17),
        industry_code=draw(st.sampled_from(["2221", "2614", "3120", "31", "261"])),
        region="r1",
        park="p1" if with_region else None,
        name_en=draw(_maybe_names),
        employees=draw(st.none() | st.integers(0, 10**6)),
        sites=tuple(sites),
        units=tuple(units),
        flows=tuple(flows),
        meters=tuple(meters),
        products=tuple(products),
        production=tuple(production),
        value_added=tuple(value_added),
        energy=tuple(energy),
    )
    if not with_region:
        return ModelDocument(enterprises=(enterprise,))
    region = Region(
        "r1", draw(_names), draw(st.from_regex(r"[0-9]{6}", fullmatch=True)), name_en=draw(_maybe_names)
    )
    return ModelDocument((region,), (Park("p1", draw(_names), "r1"),), (enterprise,))


@pytest.mark.unit
@settings(max_examples=40, deadline=None)
@given(documents())
def test_generated_models_round_trip(doc: ModelDocument) -> None:
    (enterprise,) = doc.enterprises
    assert enterprise_problems(enterprise) == []  # the strategy makes valid models only
    assert from_document(to_document(doc)) == doc
    assert parse_model_text(format_model_text(doc, "yaml"), "yaml") == doc
    assert parse_model_text(format_model_text(doc, "json"), "json") == doc


# --- problem reports -----------------------------------------------------------------------------


def _marked_lines(path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text("utf-8").splitlines(), 1) if "# mistake" in line]


FIVE = [
    (
        "enterprises[0].units[2].kind",
        "unknown kind 'cooling_towr'; did you mean 'cooling_tower'?",
        '"cooling_towr"',
    ),
    ("enterprises[0].flows[3].to_unit", "no unit 'wwtp': the flow dangles", '"to_unit": "wwtp"'),
    ("enterprises[0].meters[1].flow", "no flow 'f-shop': the meter is on nothing", '"flow": "f-shop"'),
    ("enterprises[0].meters[2].unit", "'m³/h' is not a unit of volume", '"unit": "m³/h"'),
    ("enterprises[0].meters[3].id", "duplicate id 'FT-1'", '"id": "FT-1"'),
]


@pytest.mark.integration
def test_five_mistakes_are_all_reported_with_their_lines() -> None:
    with pytest.raises(ModelValidationError) as info:
        read_model_file(FIVE_MISTAKES)
    err = info.value
    assert err.source == str(FIVE_MISTAKES)
    assert [p.path for p in err.problems] == [path for path, _, _ in FIVE]
    assert [p.line for p in err.problems] == _marked_lines(FIVE_MISTAKES)
    for problem, (_, message, _) in zip(err.problems, FIVE, strict=True):
        assert message in problem.message
    report = err.diagnostics().splitlines()
    assert report[0] == f"{FIVE_MISTAKES}: 5 problems found"
    assert report[1] == (
        "  - line 13, enterprises[0].units[2].kind: "
        "unknown kind 'cooling_towr'; did you mean 'cooling_tower'?"
    )


@pytest.mark.integration
def test_five_mistakes_in_json_are_reported_with_their_lines(tmp_path: Path) -> None:
    data = yaml.safe_load(FIVE_MISTAKES.read_text("utf-8"))
    path = tmp_path / "five.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = path.read_text("utf-8").splitlines()
    with pytest.raises(ModelValidationError) as info:
        read_model_file(path)
    problems = info.value.problems
    assert [p.path for p in problems] == [path for path, _, _ in FIVE]
    for problem, (_, _, needle) in zip(problems[:4], FIVE, strict=False):
        assert problem.line is not None and needle in lines[problem.line - 1]
    duplicate = problems[4].line
    assert duplicate is not None
    assert lines[duplicate - 1].strip() == '"id": "FT-1",'
    assert '"flow": "f-out"' in "".join(lines[duplicate : duplicate + 6])  # the second FT-1


@pytest.mark.unit
def test_failed_items_cause_no_follow_up_problems() -> None:
    # The source's type is misspelled: its flows must not dangle, and the level-1 meter on its
    # flow must not be told that the flow has no boundary end; no "no source" either.
    text = (
        HEADER
        + UNITS.replace("source_type: municipal", "source_type: municiple")
        + """\
    meters:
      - {id: FT-1, kind: totalizer, quantity: volume, unit: m³, level: 1, flow: f-in}
"""
    )
    problem = only_problem(text)
    assert problem.path == "enterprises[0].units[0].source_type"
    assert problem.message.startswith("unknown source_type 'municiple'; did you mean 'municipal'?")

    unknown_kind = HEADER + UNITS.replace("kind: source", "kind: sauce")
    problem = only_problem(unknown_kind)
    assert problem.path == "enterprises[0].units[0].kind"


@pytest.mark.unit
def test_problems_of_the_parsed_items_still_point_at_the_file_indices() -> None:
    text = (
        HEADER
        + UNITS
        + """\
    meters:
      - {id: M0, kind: totalizer, quantity: volume, unit: m³, level: true, flow: f-in}
      - {id: M1, kind: totalizer, quantity: volume, unit: m³, level: 4, flow: f-in}
"""
    )
    first, second = problems_of(text)
    assert (first.path, first.message, first.line) == (
        "enterprises[0].meters[0].level",
        "expected a whole number, not true",
        16,
    )
    assert (second.path, second.line) == ("enterprises[0].meters[1].level", 17)
    assert "metering level is 1, 2 or 3, not 4" in second.message


@pytest.mark.unit
def test_unknown_field_gets_a_suggestion() -> None:
    text = (
        HEADER
        + UNITS
        + """\
    meters:
      - id: FT-1
        kind: totalizer
        quantity: volume
        unit: m³
        level: 1
        flwo: f-in
"""
    )
    problems = problems_of(text)
    assert problems[0] == Problem(
        "enterprises[0].meters[0].flwo", "unknown field 'flwo'; did you mean 'flow'?", 21
    )
    assert len(problems) == 1  # the meter is not checked further while it has an unknown field
    problem = only_problem(HEADER + UNITS + "    unitz: []\n")
    assert problem.message == "unknown field 'unitz'; did you mean 'units'?"
    assert problem.line == 15
    problem = only_problem(HEADER + UNITS + "    colour: red\n")
    assert problem.message.startswith("unknown field 'colour'; use one of: id, name, credit_code")


def _unit_with(line: str) -> tuple[str, int]:
    """Return a model whose second unit has ``line`` in place of its field, and that line's number."""
    key, _, value = line.partition(":")
    fields = {"id": "shop", "name": "车间", "kind": "workshop", "level": "2", key: value.strip()}
    body = [f"        {k}: {v}".rstrip() for k, v in fields.items()]
    body[0] = "      - " + body[0].lstrip()
    lines = [
        *HEADER.splitlines(),
        "    units:",
        "      - {id: src, name: 水源, kind: source, source_type: municipal}",
    ]
    return "\n".join([*lines, *body]) + "\n", len(lines) + list(fields).index(key) + 1


@pytest.mark.unit
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("level: true", "expected a whole number, not true"),
        ("level: 2.0", "expected a whole number, not 2.0"),
        ("design_flow: yes", "expected a number, not true"),
        ("design_flow: '3'", "expected a number, not '3'"),
        ("name: 404", "expected text, not the number 404; put it in quotes, e.g. '404'"),
        (
            "name: no",
            "expected text, not false (YAML reads yes/no/on/off/true/false as booleans); "
            "put the value in quotes",
        ),
        ("name: [a]", "expected text, not a list"),
        ("name:", "expected text, not an empty value"),
        ("kind: 3", "kind must be one of source, workshop, process"),
    ],
)
def test_type_problems_speak_plainly(line: str, message: str) -> None:
    text, number = _unit_with(line)
    problem = only_problem(text)
    assert problem.path == f"enterprises[0].units[1].{line.partition(':')[0]}"
    assert problem.message.startswith(message)
    assert problem.line == number


@pytest.mark.unit
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("20230101", "expected a date written YYYY-MM-DD, not 20230101"),
        ("2023-13-01", "expected a date written YYYY-MM-DD, not '2023-13-01'"),
        ("2023-01-01 08:00:00", "expected a date written YYYY-MM-DD, not 2023-01-01T08:00:00"),
    ],
)
def test_dates_must_be_iso_days(value: str, message: str) -> None:
    text = HEADER + UNITS + f"    value_added:\n      - {{start: {value}, end: 2024-01-01, value: 1.0}}\n"
    problem = only_problem(text)
    assert (problem.path, problem.message, problem.line) == (
        "enterprises[0].value_added[0].start",
        message,
        16,
    )


@pytest.mark.unit
def test_missing_fields_and_wrong_shapes() -> None:
    text = (
        HEADER
        + UNITS
        + """\
      - {id: f-loss, from_unit: shop, category: consumption}
    meters: {}
    products:
      - just a name
"""
    )
    loss, meters, product = problems_of(text)
    assert loss.path == "enterprises[0].flows[2].to_unit"
    assert loss.message.startswith("missing required field 'to_unit'; write 'to_unit: null'")
    assert loss.line == 15
    assert (meters.path, meters.line) == ("enterprises[0].meters", 16)
    assert meters.message == "expected a list of meters, not a mapping; write [] for none"
    assert (product.path, product.line) == ("enterprises[0].products[0]", 18)
    assert product.message == "expected a mapping of Product fields, not 'just a name'"


@pytest.mark.unit
def test_duplicate_yaml_keys_are_reported() -> None:
    problem = only_problem(HEADER + UNITS + "    name: 又一个名字\n")
    assert problem == Problem("enterprises[0].name", "key 'name' appears twice in this mapping; keep one", 15)


@pytest.mark.unit
def test_references_to_regions_and_parks_are_checked_within_the_document() -> None:
    assert parse_model_text(HEADER + UNITS).enterprises[0].region == "xiangtan"  # no regions: not checked
    regions = """\
regions:
  - {id: hunan, name: 湖南省, admin_code: "430000"}
  - {id: hunan, name: 湖南, admin_code: "4300"}
parks:
  - {id: park, name: 园区, region: xiangtan}
"""
    problems = problems_of(
        regions + HEADER.replace("    region: xiangtan\n", "    region: xiangtan\n    park: p\n") + UNITS
    )
    assert [(p.path, p.line) for p in problems] == [
        ("regions[1].id", 3),
        ("regions[1].admin_code", 3),
        ("parks[0].region", 5),
        ("enterprises[0].region", 12),
        ("enterprises[0].park", 13),
    ]
    assert problems[0].message == "duplicate id 'hunan'; every id in regions must be unique"
    assert problems[3].message == "region 'xiangtan' does not exist; create it first or fix the id"


@pytest.mark.unit
def test_rules_that_need_a_failed_units_kind_are_skipped() -> None:
    # The outlet's kind is misspelled, so whether 'discharge' flows may end there is unknown.
    problem = only_problem(HEADER + UNITS.replace("kind: discharge", "kind: dischage"))
    assert problem.path == "enterprises[0].units[2].kind"
    # A flow category that is wrong whatever the failed unit is still gets reported.
    text = HEADER + UNITS.replace("kind: discharge", "kind: dischage").replace(
        "to_unit: shop, category: fresh", "to_unit: shop, category: discharge"
    )
    kind, source, sink = problems_of(text)
    assert kind.path == "enterprises[0].units[2].kind"
    assert (source.path, source.message) == (
        "enterprises[0].flows[0].category",
        "water from a municipal source is fresh, not discharge",
    )
    assert sink.message == "a 'discharge' flow must end at a discharge unit"


@pytest.mark.unit
def test_enterprise_fields_with_type_problems_are_not_checked_again() -> None:
    problem = only_problem(HEADER.replace('"91430300MA4T5Q3X72"', "914303") + UNITS)
    assert problem.message == "expected text, not the number 914303; put it in quotes, e.g. '914303'"
    problem = only_problem(HEADER.replace('credit_code: "91430300MA4T5Q3X72"', "credit_code: '1'") + UNITS)
    assert problem.message.startswith("'1' is not a unified social credit code")
    problem = only_problem("schema: shuixiao.model/1\nenterprises:\n  - xt-paper\n")
    assert (problem.path, problem.line) == ("enterprises[0]", 3)
    assert problem.message == "expected a mapping of Enterprise fields, not 'xt-paper'"


@pytest.mark.unit
def test_odd_values() -> None:
    problems = problems_of(
        "schema: shuixiao.model/1\n"
        "regions:\n"
        "  - {id: 5, name: a, admin_code: '430000'}\n"
        "  - {id: 5, name: !!binary aGVsbG8=, admin_code: '430000'}\n"
    )
    assert [p.message for p in problems] == [
        "expected text, not the number 5; put it in quotes, e.g. '5'",
        "expected text, not the number 5; put it in quotes, e.g. '5'",
        "expected text, not a value of type bytes",
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("record", "path", "message"),
    [
        ("{start: 2024-01-01, end: 2025-01-01, value: 3, unit: 10000}", "unit", "expected a unit as text"),
        ("{start: 2024-01-01, end: 2025-01-01, value: x, unit: 万元}", "value", "expected a number, not 'x'"),
        ("{start: 2024-01-01, end: 2025-01-01, value: x, unit: 万}", "unit", "'万' is not a unit of money"),
    ],
)
def test_unit_key_problems(record: str, path: str, message: str) -> None:
    problem = problems_of(HEADER + UNITS + f"    value_added:\n      - {record}\n")[0]
    assert problem.path == f"enterprises[0].value_added[0].{path}"
    assert problem.message.startswith(message)


@pytest.mark.unit
def test_json_that_yaml_cannot_compose_is_reported_without_lines() -> None:
    # JSON allows a raw DEL character in strings; YAML does not, so no line can be found.
    text = '{"schema": "shuixiao.model/1", "regions": [{"id": "r", "name": "\x7f", "admin_code": 1}]}'
    problem = only_problem(text, "json")
    assert (problem.path, problem.line) == ("regions[0].admin_code", None)


# --- document level ------------------------------------------------------------------------------


@pytest.mark.unit
def test_schema_is_required_and_checked() -> None:
    body = (HEADER + UNITS).replace("schema: shuixiao.model/1\n", "")
    problem = only_problem(body)
    assert (problem.path, problem.line) == ("schema", 1)
    assert problem.message == "missing 'schema: shuixiao.model/1' at the top of the file"

    problem = only_problem("# a comment\nschema: shuixiao.model/9\nenterprises: 7\n")
    assert (problem.path, problem.line) == ("schema", 2)
    assert (
        problem.message
        == "unknown schema 'shuixiao.model/9'; this version of shuixiao reads shuixiao.model/1"
    )


@pytest.mark.unit
def test_top_level_shape() -> None:
    problem = only_problem(HEADER.replace("enterprises:", "enterprise:") + UNITS)
    assert problem.message == "unknown top-level key 'enterprise'; did you mean 'enterprises'?"
    assert problem.line == 2
    problem = only_problem("- schema: shuixiao.model/1\n")
    assert problem.message == "a model file is a mapping starting with 'schema: shuixiao.model/1', not a list"
    problem = only_problem("# nothing yet\n")
    assert problem.message == "the file is empty; a model file starts with 'schema: shuixiao.model/1'"
    problem = only_problem("schema: shuixiao.model/1\nparks: {id: p}\n")
    assert (problem.path, problem.line) == ("parks", 2)


@pytest.mark.unit
def test_yaml_syntax_error_has_its_line() -> None:
    text = HEADER + "    units:\n      - id: src\n     name: 水源\n"
    problem = only_problem(text)
    assert problem.line == 10
    assert problem.message.startswith("not valid YAML: this line is out of line with the ones above it")
    problem = only_problem(HEADER.replace("    name: 示例企业", "\tname: 示例企业"))
    assert problem.line == 4
    assert "YAML is indented with spaces, not tabs" in problem.message
    problem = only_problem(HEADER + "    name_en: 'unclosed\n")
    assert "a quoted text is not closed" in problem.message
    problem = only_problem("schema: shuixiao.model/1\nname: \x07\n")
    assert (problem.line, problem.message) == (
        2,
        "not valid YAML: character U+0007 is not allowed in a YAML file",
    )


@pytest.mark.unit
def test_json_syntax_error_has_its_line() -> None:
    problem = only_problem('{\n  "schema": "shuixiao.model/1",\n  "regions": [,]\n}\n', "json")
    assert problem.line == 3
    assert problem.message.startswith("not valid JSON: Expecting value")


@pytest.mark.unit
def test_json_problems_have_lines_also_with_tabs() -> None:
    text = (
        '{\n\t"schema": "shuixiao.model/1",\n\t"regions": [\n'
        '\t\t{"id": "r", "name": 5, "admin_code": "430000"}\n\t]\n}'
    )
    problem = only_problem(text, "json")
    assert (problem.path, problem.line) == ("regions[0].name", 4)


@pytest.mark.integration
def test_from_document_accepts_iso_text_dates_and_reports_without_lines() -> None:
    doc = read_model_file(PLANT)
    data = json.loads(format_model_text(doc, "json"))
    assert from_document(data) == doc
    data["enterprises"][0]["meters"][0]["level"] = "1"
    with pytest.raises(ModelValidationError) as info:
        from_document(data, source="api")
    assert info.value.problems == [
        Problem("enterprises[0].meters[0].level", "expected a whole number, not '1'", None)
    ]
    assert info.value.summary == "api: 1 problem found"


# --- files ---------------------------------------------------------------------------------------


@pytest.mark.integration
def test_wrong_suffix_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plant.txt"
    path.write_text("schema: shuixiao.model/1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"a model file ends in \.yaml, \.yml or \.json, not '\.txt'"):
        read_model_file(path)
    with pytest.raises(InvalidInputError, match="not 'no suffix'"):
        write_model_file(ModelDocument(), tmp_path / "plant")


@pytest.mark.integration
def test_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(NotFoundError, match="nowhere.yaml"):
        read_model_file(path)
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(InvalidInputError, match="is a directory"):
        read_model_file(folder)


@pytest.mark.integration
def test_encoding(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("schema: shuixiao.model/1\n# 湘潭\n".encode("gbk"))
    with pytest.raises(InvalidInputError, match="line 2 is not UTF-8 text"):
        read_model_file(gbk)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffschema: shuixiao.model/1\n# 湘潭\n".encode())
    assert read_model_file(bom) == ModelDocument()


@pytest.mark.unit
def test_format_names_are_checked() -> None:
    with pytest.raises(ValueError, match="file_format must be 'yaml' or 'json'"):
        parse_model_text("", "toml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="file_format must be 'yaml' or 'json'"):
        format_model_text(ModelDocument(), "xml")  # type: ignore[arg-type]


@pytest.mark.unit
def test_public_names_are_exported_sorted() -> None:
    public = {name for name in vars(shuixiao.io) if not name.startswith("_")} - {"model_file"}
    assert shuixiao.io.__all__ == sorted(shuixiao.io.__all__)
    assert set(shuixiao.io.__all__) == public


@pytest.mark.unit
def test_model_document_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ModelDocument().regions = ()  # type: ignore[misc]


# --- the documentation ---------------------------------------------------------------------------

DOCS = Path(__file__).parent.parent.parent / "docs" / "model-files.md"


def _fenced(text: str, language: str) -> list[str]:
    blocks = text.split(f"```{language}\n")[1:]
    return [block.split("```", 1)[0] for block in blocks]


@pytest.mark.integration
def test_documented_example_is_valid() -> None:
    example = _fenced(DOCS.read_text("utf-8"), "yaml")[-1]
    (plant,) = parse_model_text(example, source="docs/model-files.md").enterprises
    assert plant.value_added[0].value == pytest.approx(38_600_000.0)


@pytest.mark.integration
def test_documented_report_is_what_reading_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    (report,) = _fenced(DOCS.read_text("utf-8"), "text")
    root = DOCS.parent.parent
    monkeypatch.chdir(root)  # the report names the file as it is given, relative to the repository
    with pytest.raises(ModelValidationError) as info:
        read_model_file(FIVE_MISTAKES.relative_to(root))
    assert info.value.diagnostics() + "\n" == report
