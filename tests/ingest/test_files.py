"""File import: CSV and XLSX, long and wide, column mapping, time zones, units, chunks, errors."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.ingest import FileOptions, Reason, import_file, read_records
from shuixiao.storage import LedgerStore, Store

pytestmark = pytest.mark.integration

T0 = 1_717_171_200  # 2024-06-01T00:00:00+08:00 [s since epoch]
E = "xg-steel"


def _csv(tmp_path: Path, text: str, name: str = "readings.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _xlsx(tmp_path: Path, rows: list[list[Any]], sheet: str = "读数") -> Path:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "说明"
    first.append(["exported from the plant historian"])
    data = workbook.create_sheet(sheet)
    for row in rows:
        data.append(row)
    path = tmp_path / "readings.xlsx"
    workbook.save(path)
    return path


def test_long_csv_with_units_and_quality(
    saved: Store, readings_of: Callable[..., Any], tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "Meter,Timestamp,Value,Unit,Quality\n"
        "FT-201,2024-06-01 00:00,2,,\n"
        "FT-201,2024-06-01 00:15,120,L/min,suspect\n"
        "\n"
        "FT-201,2024-06-01T00:30:00+08:00,7.2,m3/h,0\n",
    )
    report = import_file(saved, path, E)
    assert (report.rows, report.records, report.accepted, report.rejected) == (3, 3, 3, 0)
    ts, value = readings_of(saved, "FT-201")
    assert ts.tolist() == [T0, T0 + 900, T0 + 1800]
    assert value.tolist() == pytest.approx([7.2, 7.2, 7.2])
    assert saved.read_readings(E, "FT-201")["quality"].tolist() == [0, 2, 0]
    assert len(saved.read_aggregates(E, "FT-201", "PT15M")) == 3


def test_wide_csv_with_a_default_unit_and_empty_cells(
    saved: Store, readings_of: Callable[..., Any], tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "time,FT-103,FT-201,AT-201\n2024-06-01 00:00,1.0,1.0,1500\n2024-06-01 00:15,,2.0,\n",
    )
    report = import_file(saved, path, E, FileOptions(layout="wide", meters=("FT-103", "FT-201"), unit="m³/h"))
    assert (report.rows, report.records, report.accepted, report.empty) == (2, 3, 3, 1)
    assert readings_of(saved, "FT-201")[1].tolist() == [1.0, 2.0]  # m³/h given, not the meter's L/s
    assert saved.count_readings(E) == 3  # AT-201 was not selected


def test_every_other_column_is_a_meter_in_a_wide_file(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "ts;FT-103;AT-201\n2024-06-01 00:00;1,5;1500\n", name="semicolon.txt")
    report = import_file(saved, path, E, FileOptions(layout="wide", delimiter=";"))
    assert (report.accepted, report.rejected, report.reasons) == (1, 1, {Reason.NOT_A_NUMBER: 1})
    assert report.examples[Reason.NOT_A_NUMBER][0].startswith("row 2: value '1,5' is not a number")


def test_tab_separated_files_in_another_zone(
    saved: Store, readings_of: Callable[..., Any], tmp_path: Path
) -> None:
    path = _csv(tmp_path, "meter\tts\tvalue\nFT-103\t2024-05-31 16:00:00\t4\n", name="utc.tsv")
    assert import_file(saved, path, E, FileOptions(timezone="UTC")).accepted == 1
    assert readings_of(saved, "FT-103")[0].tolist() == [T0]


def test_files_without_a_zone_reject_local_times(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "meter,ts,value\nFT-103,2024-06-01 00:00,1\nFT-103,2024-06-01T00:15+08:00,1\n")
    report = import_file(saved, path, E, FileOptions(timezone=None))
    assert (report.accepted, report.reasons) == (1, {Reason.NAIVE_TIMESTAMP: 1})


def test_gbk_files_from_chinese_excel(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "表号,时间,读数\nFT-103,2024-06-01 00:00,1\n", encoding="gbk")
    with pytest.raises(InvalidInputError, match="use --encoding gbk"):
        import_file(saved, path, E)
    options = FileOptions(encoding="gbk", meter_column="表号", timestamp_column="时间", value_column="读数")
    assert import_file(saved, path, E, options).accepted == 1


def test_xlsx_long_and_wide(saved: Store, readings_of: Callable[..., Any], tmp_path: Path) -> None:
    long = _xlsx(
        tmp_path,
        [
            ["meter", "ts", "value", "unit"],
            ["FT-201", dt.datetime(2024, 6, 1, 0, 0), 2, None],
            ["FT-201", "2024-06-01 00:15", 7.2, "m³/h"],
            [None, None, None, None],
            ["FT-201", dt.datetime(2024, 6, 1, 0, 30), "x", None],
        ],
    )
    report = import_file(saved, long, E, FileOptions(sheet="读数"))
    assert (report.rows, report.accepted, report.rejected) == (3, 2, 1)
    assert report.examples[Reason.NOT_A_NUMBER] == [
        "row 5: value 'x' is not a number; write digits with a decimal point and no thousands separators or "
        "units, e.g. 1234.5"
    ]
    assert readings_of(saved, "FT-201")[1].tolist() == pytest.approx([7.2, 7.2])
    wide = _xlsx(tmp_path, [["ts", "PT-201", "LT-301"], [dt.datetime(2024, 6, 1, 1), 0.45, 3.25]])
    assert import_file(saved, wide, E, FileOptions(layout="wide", sheet="读数")).accepted == 2
    assert readings_of(saved, "PT-201")[1].tolist() == [450.0]
    with pytest.raises(InvalidInputError, match="has no sheet 'Sheet9'; its sheets are 说明, 读数"):
        import_file(saved, wide, E, FileOptions(sheet="Sheet9"))


def test_importing_again_stores_nothing_twice(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "meter,ts,value\n" + "".join(f"FT-103,{T0 + 900 * i},{i}\n" for i in range(10)))
    first = import_file(saved, path, E, FileOptions(chunk_size=3))
    again = import_file(saved, path, E, FileOptions(chunk_size=4))
    assert (first.accepted, again.accepted, again.duplicate) == (10, 0, 10)
    assert saved.count_readings(E) == 10


def test_rejects_are_quarantined_with_their_row(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "meter,ts,value\nFT-103,2024-06-01 00:00,1\nFT-999,2024-06-01 00:00,1\n")
    report = import_file(saved, path, E)
    assert report.reasons == {Reason.UNKNOWN_METER: 1}
    (row,) = saved.list_quarantine(E)
    assert (
        row.source == str(path) and '"row": 3' in row.payload and '"timezone": "Asia/Shanghai"' in row.payload
    )


def test_control_characters_are_quarantined_not_fatal(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "meter,ts,value\nFT-103\x00,2024-06-01 00:00,1\nFT-103,2024-06-01 00:00,\x00\n")
    report = import_file(saved, path, E)
    assert report.reasons == {Reason.UNKNOWN_METER: 1, Reason.NOT_A_NUMBER: 1}
    meters = [q.meter for q in saved.list_quarantine(E)]
    assert meters == ["FT-103\\x00", "FT-103"]


def test_unknown_enterprise_is_refused_before_reading(saved: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, "meter,ts,value\nFT-103,2024-06-01 00:00,1\n")
    with pytest.raises(NotFoundError, match="no enterprise 'xg-stel'; did you mean 'xg-steel'"):
        import_file(saved, path, "xg-stel")
    assert saved.count_quarantine() == {}


@pytest.mark.parametrize(
    ("content", "options", "fragment"),
    [
        (
            "meter,time\nFT-103,1\n",
            FileOptions(),
            "no value column found (looked for value); its columns are 'meter', 'time'",
        ),
        ("id,ts,value\n", FileOptions(), "name the column with meter_column (--meter-column)"),
        ("meter,ts,value\n", FileOptions(quality_column="flag"), "has no column 'flag' (quality)"),
        ("", FileOptions(), "is empty: it needs a header row"),
        ("ts,FT-103,FT-103\n", FileOptions(layout="wide"), "meter column 'FT-103' appears twice"),
        ("ts\n", FileOptions(layout="wide"), "a wide file needs a column per meter"),
        ("ts,FT-103\n", FileOptions(layout="wide", meters=("FT-201",)), "has no column for meter 'FT-201'"),
        ("meter,ts,value\n", FileOptions(encoding="klingon"), "unknown encoding 'klingon'"),
        ("meter,ts,value\nFT-103,1," + "9" * 200_000 + "\n", FileOptions(), "not a readable CSV file"),
    ],
)
def test_files_that_cannot_be_read(
    saved: Store, tmp_path: Path, content: str, options: FileOptions, fragment: str
) -> None:
    path = _csv(tmp_path, content)
    with pytest.raises(InvalidInputError) as caught:
        import_file(saved, path, E, options)
    assert fragment in str(caught.value)


def test_paths_that_cannot_be_read(saved: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no such file"):
        import_file(saved, tmp_path / "missing.csv", E)
    with pytest.raises(InvalidInputError, match="save it as .xlsx or CSV"):
        import_file(saved, _csv(tmp_path, "", name="old.xls"), E)
    with pytest.raises(InvalidInputError, match="unknown file type .json"):
        import_file(saved, _csv(tmp_path, "[]", name="r.json"), E)
    with pytest.raises(InvalidInputError, match="is not a readable .xlsx workbook"):
        import_file(saved, _csv(tmp_path, "meter,ts", name="fake.xlsx"), E)
    with pytest.raises(InvalidInputError, match="no such file"):
        import_file(saved, tmp_path / "missing.xlsx", E)


def test_a_decoding_error_late_in_the_file_says_what_was_imported(saved: Store, tmp_path: Path) -> None:
    body = "meter,ts,value\n" + "".join(f"FT-103,{T0 + 900 * i},{i}\n" for i in range(7000))
    path = tmp_path / "late.csv"
    path.write_bytes(body.encode() + b"FT-103,\xff\xff,1\n")
    with pytest.raises(
        InvalidInputError, match="Chunks read before the error were imported; importing the file"
    ):
        import_file(saved, path, E, FileOptions(chunk_size=1000))
    committed = saved.count_readings(E)
    assert committed >= 5000 and committed % 1000 == 0  # whole chunks, up to the block holding the bad bytes


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"layout": "tall"}, "layout must be 'long' or 'wide'"),
        ({"timezone": "Asia/Peking"}, "unknown time zone"),
        ({"unit": "furlong"}, "unknown unit 'furlong'"),
        ({"chunk_size": 0}, "chunk_size must be a whole number of at least 1"),
        ({"delimiter": "::"}, "one character"),
    ],
)
def test_options_are_checked(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        FileOptions(**options)


@pytest.mark.slow
def test_large_files_are_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("meter,ts,value\n")
        for i in range(100_000):
            handle.write(
                f"FT-{i % 50:03d},2024-06-{1 + i // 50 // 96 % 28:02d} {i // 50 % 96 // 4:02d}:{i // 50 % 4 * 15:02d},{i}.5\n"
            )
    tracemalloc.start()
    sizes = [len(chunk) for chunk in read_records(path, FileOptions(chunk_size=5_000))]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert sizes == [5_000] * 20
    assert peak < 8 * 2**20  # the 100 000 records at once take several times this


def test_unsigned_readings_of_a_notarised_meter_are_refused(saved: Store, tmp_path: Path) -> None:
    LedgerStore(saved).set_meters(E, ["FT-201"], device="gw-3")  # signed batches only
    path = _csv(tmp_path, "meter,ts,value\nFT-201,2024-06-01 00:00,2\nFT-103,2024-06-01 00:00,2\n")
    report = import_file(saved, path, E)
    assert (report.accepted, report.rejected) == (1, 1)
    assert report.reasons == {Reason.UNSIGNED: 1}
    assert "takes device-signed batches only" in report.examples[Reason.UNSIGNED][0]
    assert saved.count_quarantine(E) == {"unsigned": 1}
