"""``shuixiao plan set | list | history | import``: monthly water-use plans (计划用水) from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from shuixiao.model import Park, Region
from shuixiao.storage import Store
from tests.conftest import build_enterprise

pytestmark = pytest.mark.integration

HEADER = "enterprise,month,volume,source_type,authority,document,note\n"


@pytest.fixture
def works(tmp_path: Path, run) -> Path:  # type: ignore[no-untyped-def]
    """A data directory with the steel works."""
    assert run("db", "upgrade")[0] == 0
    with Store.open(f"sqlite:///{tmp_path}/data/shuixiao.db") as store:
        store.save_model(
            [Region("cn-hn", "湖南省", "430000"), Region("cn-hn-xt", "湘潭市", "430300", parent="cn-hn")],
            [Park("xt-jiuhua", "湘潭九华经济技术开发区", "cn-hn-xt")],
            [build_enterprise()],
        )
    return tmp_path


@pytest.mark.usefixtures("works")
def test_set_revise_list_and_history(run) -> None:  # type: ignore[no-untyped-def]
    status, out, err = run("plan", "set", "xg-steel", "2025-03", "31000", "--authority", "湘潭市水利局",
                           "--document", "潭水资〔2025〕3号", "--by", "wang")  # fmt: skip
    assert status == 0, err
    assert "已设置 xg-steel 2025-03（全部水源）计划用水 31,000 m³，第 1 版" in out
    status, out, err = run(
        "--lang", "en", "plan", "set", "xg-steel", "2025-03", "28500", "--note", "调减", "--by", "li"
    )
    assert status == 0, err
    assert "Plan of xg-steel for 2025-03 (all sources): 28,500 m³, revision 2" in out
    assert run("plan", "set", "xg-steel", "2025-03", "6000", "--source", "groundwater", "--by", "li")[0] == 0
    status, out, _ = run("plan", "list", "xg-steel", "--json")
    listed = json.loads(out)
    assert [(p["month"], p["source_type"], p["volume_m3"], p["revision"]) for p in listed] == [
        ("2025-03", None, 28500.0, 2),
        ("2025-03", "groundwater", 6000.0, 1),
    ]
    status, out, _ = run("plan", "list", "xg-steel")
    assert status == 0 and "28,500" in out and "地下水" in out
    status, out, _ = run("plan", "history", "xg-steel", "2025-03", "--json")
    assert [(p["revision"], p["volume_m3"], p["set_by"]) for p in json.loads(out)] == [
        (1, 31000.0, "wang"),
        (2, 28500.0, "li"),
    ]
    assert json.loads(run("plan", "list", "xg-steel", "--year", "2024", "--json")[1]) == []


@pytest.mark.usefixtures("works")
def test_bad_command_lines(run) -> None:  # type: ignore[no-untyped-def]
    status, _, err = run("plan", "set", "xg-steel", "2025-03", "-5", "--by", "wang")
    assert status == 1 and "planned volume must be a finite number of m³ > 0, not -5.0" in err
    status, _, err = run("plan", "set", "nope", "2025-03", "5", "--by", "wang")
    assert status == 1 and "no enterprise 'nope'" in err
    status, _, err = run("plan", "set", "xg-steel", "March", "5", "--by", "wang")
    assert status == 1 and "'March' is not a month; write it as YYYY-MM" in err
    status, _, err = run("plan", "history", "xg-steel", "2025-03")
    assert status == 1 and "never had a plan for 2025-03" in err


def test_import_a_year_from_csv_and_again(works: Path, run) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(
        f"xg-steel,2025-{m:02d},{30000 + m},,湘潭市水利局,潭水资〔2025〕3号,\n" for m in range(1, 13)
    )
    path = works / "plans.csv"
    path.write_text("\ufeff" + HEADER + rows + "xg-steel,2025-03,5000,groundwater,,,\n", encoding="utf-8")
    status, out, err = run("plan", "import", str(path), "--by", "wang")
    assert status == 0, err
    assert "读取 13 条计划：新增 13，调整 0，未变 0" in out
    path.write_text(HEADER + rows.replace("30003", "29000"), encoding="utf-8")
    status, out, err = run("--lang", "en", "plan", "import", str(path), "--by", "li")
    assert status == 0, err
    assert "12 plans read: 0 new, 1 revised, 11 unchanged" in out
    listed = json.loads(run("plan", "list", "xg-steel", "--year", "2025", "--json")[1])
    assert len(listed) == 13 and listed[2]["volume_m3"] == 29000.0 and listed[2]["set_by"] == "li"


def test_import_from_xlsx_with_chinese_headers(works: Path, run) -> None:  # type: ignore[no-untyped-def]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "计划"
    sheet.append(["月份", "计划水量", "水源类型", "文号"])
    sheet.append(["2025-01", 31000, None, "潭水资〔2025〕1号"])
    sheet.append(["2025年2月", "28,000", "municipal", None])
    path = works / "plans.xlsx"
    book.save(path)
    status, out, err = run(
        "plan", "import", str(path), "--enterprise", "xg-steel", "--sheet", "计划", "--by", "wang"
    )
    assert status == 0, err
    listed = json.loads(run("plan", "list", "xg-steel", "--json")[1])
    assert [(p["month"], p["source_type"], p["volume_m3"], p["document"]) for p in listed] == [
        ("2025-01", None, 31000.0, "潭水资〔2025〕1号"),
        ("2025-02", "municipal", 28000.0, None),
    ]
    status, _, err = run(
        "plan", "import", str(path), "--enterprise", "xg-steel", "--sheet", "nope", "--by", "wang"
    )
    assert status == 1 and "has no sheet 'nope'; its sheets are 计划" in err


def test_a_file_with_bad_rows_imports_nothing(works: Path, run) -> None:  # type: ignore[no-untyped-def]
    path = works / "bad.csv"
    path.write_text(
        HEADER
        + "xg-steel,2025-01,31000,,,,\n"  # row 2: fine
        + "xg-steel,2025-13,31000,,,,\n"  # row 3: no month
        + "xg-steel,2025-02,abc,,,,\n"  # row 4: no number
        + "xg-steel,2025-03,-1,,,,\n"  # row 5: not > 0
        + "xg-steel,2025-04,100,river,,,\n"  # row 6: unknown source
        + "nope,2025-05,100,,,,\n"  # row 7: unknown enterprise
        + "xg-steel,2025-01,32000,,,,\n"  # row 8: twice
        + "xg-steel,2025-06,,,,,\n",  # row 9: no volume
        encoding="utf-8",
    )
    status, _, err = run("plan", "import", str(path), "--by", "wang")
    assert status == 1
    assert "7 of the rows are wrong, nothing was imported" in err
    for expected in (
        "row 3: '2025-13' is not a month",
        "row 4: planned volume 'abc' is not a number of m³",
        "row 5: planned volume must be a finite number of m³ > 0, not -1.0",
        "row 6: source type 'river' is unknown",
        "row 7: no enterprise 'nope'",
        "row 8: xg-steel 2025-01 (total) is already planned in row 2",
        "row 9: planned volume is missing",
    ):
        assert expected in err
    assert json.loads(run("plan", "list", "xg-steel", "--json")[1]) == []


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        ("", "empty.csv", "is empty; it needs a header row"),
        ("month,volume,colour\n2025-01,1\n", "h.csv", "column 'colour' is unknown"),
        ("month,month\n", "d.csv", "two columns mean month"),
        ("enterprise,volume\nxg-steel,1\n", "m.csv", "the header lacks month"),
        ("month,volume\n2025-01,1\n", "e.csv", "has no enterprise column; add one or give --enterprise"),
        ("month,volume\n", "x.json", "unknown file type .json; use .csv or .xlsx"),
        ("not a workbook", "w.xlsx", "is not a readable .xlsx workbook"),
    ],
)
def test_unreadable_files(works: Path, run, content: str, name: str, message: str) -> None:  # type: ignore[no-untyped-def]
    path = works / name
    path.write_text(content, encoding="utf-8")
    status, _, err = run("plan", "import", str(path), "--by", "wang")
    assert status == 1 and message in err
    status, _, err = run("plan", "import", str(works / "missing.csv"), "--by", "wang")
    assert status == 1 and "no such file" in err
