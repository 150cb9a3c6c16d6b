"""``shuixiao balance show``, ``benchmark``, ``targets``, ``savings`` and ``report balance`` on a small demo park."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.storage import Store
from tests.cli.conftest import Run

pytestmark = pytest.mark.integration

CONFIG = DemoConfig(enterprises=2, days=35, seed=2025)  # steel and refinery, 1 January – 4 February 2025


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    directory = tmp_path_factory.mktemp("cli-demo")
    database = f"sqlite:///{directory}/db.sqlite"
    with Store.open(database) as store:
        store.upgrade()
        build_demo(store, CONFIG, directory)
    return database


def test_balance_show_enterprise(run: Run, url: str) -> None:
    status, out, err = run(
        "--database-url", url, "balance", "show", "--enterprise", "ronghu-steel", "--period", "2025-01"
    )
    assert status == 0, err
    assert "岳阳荣湖钢铁有限公司" in out and "2025-01-01 – 2025-01-31" in out
    assert "全厂水量平衡" in out and "重复利用率" in out and "数据协调" in out


def test_balance_show_json_and_default_period(run: Run, url: str) -> None:
    status, out, _ = run(
        "--database-url", url, "balance", "show", "--enterprise", "yungang-refinery", "--json"
    )
    assert status == 0
    data = json.loads(out)
    assert data["enterprise"]["id"] == "yungang-refinery"
    assert data["period"]["days"] == CONFIG.days  # the days the stored readings cover
    assert data["indicators"]["rates"]["reuse_rate"]["value"] > 90


def test_balance_show_park_in_english(run: Run, url: str) -> None:
    status, out, _ = run(
        "--database-url",
        url,
        "--lang",
        "en",
        "balance",
        "show",
        "--park",
        "dongting-park",
        "--from",
        "2025-01-01",
        "--to",
        "2025-01-31",
    )
    assert status == 0
    assert "Water balance and indicators (2025-01-01 – 2025-01-31)" in out and "Park: intake" in out


def test_benchmark(run: Run, url: str) -> None:
    status, out, _ = run(
        "--database-url",
        url,
        "benchmark",
        "--region",
        "yueyang",
        "--year",
        "2025",
        "--month",
        "1",
        "--variant",
        "crude_steel=no_coking_no_cold_rolling",
    )
    assert status == 0
    assert "crude_steel" in out and "通用值" in out and "节水型企业" in out and "排名" in out
    status, out, _ = run(
        "--database-url", url, "benchmark", "--enterprise", "ronghu-steel", "--period", "2025-01", "--json"
    )
    data = json.loads(out)
    assert {b["region"] for b in data["enterprises"][0]["benchmarks"]} == {"national", "430000"}
    # without --variant the steel works' units settle GB/T 18916.2's column: no coking, no cold rolling
    assert {b["variant"] for b in data["enterprises"][0]["benchmarks"]} == {"no_coking_no_cold_rolling"}
    status, out, _ = run(
        "--database-url", url, "benchmark", "--enterprise", "ronghu-steel", "--period", "2025-01"
    )
    assert status == 0 and "variant no_coking_no_cold_rolling from the model" in out


def test_targets(run: Run, url: str) -> None:
    status, out, _ = run("--database-url", url, "targets", "--region", "hunan", "--period", "2025-01")
    assert status == 0
    assert "万元工业增加值用水量较2020年下降16%（全国）" in out and "目标路径" in out
    assert "已达标" in out or "滞后" in out
    status, out, _ = run(
        "--database-url", url, "targets", "--region", "hunan", "--period", "2025-01", "--json"
    )
    data = json.loads(out)
    statuses = {t["status"] for t in data["targets"]}
    assert statuses <= {"met", "on_track", "behind", "unknown"}
    intensity = next(
        t for t in data["targets"] if t["quantity"] == "intake_per_value_added" and t["scope"] == "national"
    )
    assert intensity["baseline"] == 32.9 and intensity["trajectory"][0] == [2020, 32.9]
    hunan = next(
        t for t in data["targets"] if t["quantity"] == "intake_per_value_added" and t["scope"] == "430000"
    )
    assert hunan["status"] == "unknown" and "--baseline 430000=" in hunan["reason"]
    status, out, _ = run(
        "--database-url", url, "targets", "--region", "hunan", "--period", "2025-01", "--json",
        "--baseline", "430000=80",
    )  # fmt: skip
    hunan = next(
        t
        for t in json.loads(out)["targets"]
        if t["quantity"] == "intake_per_value_added" and t["scope"] == "430000"
    )
    assert (
        hunan["baseline"] == 80
        and hunan["baseline_source"] == "given"
        and hunan["target"] == pytest.approx(80 * 0.88)
    )
    status, out, _ = run(
        "--database-url", url, "targets", "--enterprise", "ronghu-steel", "--period", "2025-01", "--json"
    )
    assert status == 0 and json.loads(out)["year"] == 2025


def test_savings(run: Run, url: str) -> None:
    args = (
        "--baseline",
        "2025-01-01..2025-01-20",
        "--reporting",
        "2025-01-21..2025-02-03",
        "--granularity",
        "day",
    )
    status, out, err = run("--database-url", url, "savings", "--enterprise", "yungang-refinery", *args)
    assert status == 0, err
    assert "基准模型" in out and "模型质量" in out and "90 % 置信区间" in out and "元" in out
    status, out, _ = run(
        "--database-url",
        url,
        "savings",
        "--enterprise",
        "yungang-refinery",
        *args,
        "--json",
        "--tariff",
        "3.2",
    )
    data = json.loads(out)
    assert data["savings"]["confidence"] == 0.9 and data["money"]["tariff_cny_per_m3"] == 3.2
    assert data["savings"]["low_m3"] <= data["savings"]["savings_m3"] <= data["savings"]["high_m3"]


def test_report_balance_three_formats(run: Run, url: str, tmp_path: Path) -> None:
    for fmt in ("html", "xlsx", "pdf"):
        out_file = tmp_path / f"report.{fmt}"
        status, out, err = run(
            "--database-url",
            url,
            "report",
            "balance",
            "--enterprise",
            "ronghu-steel",
            "--period",
            "2025-01",
            "--format",
            fmt,
            "--out",
            str(out_file),
        )
        assert status == 0, err
        assert out_file.stat().st_size > 10_000 and str(out_file) in out.replace("\n", "")
    assert load_workbook(tmp_path / "report.xlsx").sheetnames[0] == "概况"
    status, _, _ = run(
        "--database-url",
        url,
        "--lang",
        "en",
        "report",
        "balance",
        "--park",
        "dongting-park",
        "--period",
        "2025-01",
        "--format",
        "html",
        "--out",
        str(tmp_path / "park"),
    )
    assert status == 0
    assert sorted(p.name for p in (tmp_path / "park").iterdir()) == [
        "ronghu-steel.html",
        "yungang-refinery.html",
    ]
    assert "Water-balance test report" in (tmp_path / "park" / "ronghu-steel.html").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("balance", "show", "--enterprise", "nowhere", "--period", "2025"), "nowhere"),
        (("balance", "show", "--park", "nowhere", "--period", "2025"), "no park"),
        (("balance", "show", "--enterprise", "ronghu-steel", "--period", "2025-13"), "not 1–12"),
        (("balance", "show", "--enterprise", "ronghu-steel", "--month", "3"), "--month needs --year"),
        (("balance", "show", "--enterprise", "ronghu-steel", "--from", "2025-01"), "both --from and --to"),
        (
            ("savings", "--enterprise", "ronghu-steel", "--baseline", "2025-01", "--reporting", "2025-01"),
            "overlap",
        ),
        (
            (
                "benchmark",
                "--enterprise",
                "ronghu-steel",
                "--period",
                "2025-01",
                "--variant",
                "crude_steel=eaf",
            ),
            "its variants: coking_cold_rolling, coking_no_cold_rolling, no_coking_cold_rolling",
        ),
    ],
)
def test_mistakes_exit_1_with_a_message(run: Run, url: str, argv: tuple[str, ...], message: str) -> None:
    status, _, err = run("--database-url", url, *argv)
    assert status == 1 and message in err
