"""Import readings from CSV and XLSX files (backfill with original timestamps).

Two layouts are read:

* **long**: one reading per row, with columns for the meter, the timestamp and
  the value, and optionally the unit and the quality flag::

      meter,ts,value,unit
      FT-101,2025-03-01 08:00,18564404.0,m³
      FT-101,2025-03-01 08:15,18564588.6,m³

* **wide**: one row per time, one column per meter (the header is the meter
  id); an empty cell is no reading::

      ts,FT-101,FT-102,AT-201
      2025-03-01 08:00,18564404.0,9578.4,1523
      2025-03-01 08:15,18564588.6,,1519

Column names are found by their usual names (``meter``/``meter_id``/``tag``,
``ts``/``timestamp``/``time``/``datetime``, ``value``, ``unit``, ``quality``,
case-insensitive) or named in :class:`FileOptions`.  Timestamps without an
offset are in ``FileOptions.timezone`` (Asia/Shanghai by default); values
without a unit are in ``FileOptions.unit``, else in the meter's own unit.

Files are read and committed in chunks of ``chunk_size`` records, so memory
stays bounded whatever the file size.  Each chunk is one transaction of the
:class:`~shuixiao.ingest.Pipeline`; importing a file again stores nothing
twice (every reading comes back as a duplicate), so an interrupted import is
finished by running it again.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from shuixiao.errors import InvalidInputError
from shuixiao.ingest._records import RawReading, Reason, Source, Status, zone
from shuixiao.ingest.pipeline import Pipeline
from shuixiao.model import Origin
from shuixiao.storage import Store
from shuixiao.units import quantity_of

__all__ = ["FileOptions", "ImportReport", "import_file", "read_records"]

_ALIASES: Final = {
    "meter": ("meter", "meter_id", "tag"),
    "timestamp": ("ts", "timestamp", "time", "datetime"),
    "value": ("value",),
    "unit": ("unit",),
    "quality": ("quality",),
}
_OPTION: Final = {
    "meter": "meter_column (--meter-column)",
    "timestamp": "timestamp_column (--timestamp-column)",
    "value": "value_column (--value-column)",
    "unit": "unit_column (--unit-column)",
    "quality": "quality_column (--quality-column)",
}
_CSV: Final = frozenset({".csv", ".txt", ".tsv"})
_XLSX: Final = frozenset({".xlsx", ".xlsm"})
_EXAMPLES: Final = 3


@dataclass(frozen=True)
class FileOptions:
    """How to read a readings file.

    Parameters
    ----------
    layout : {"long", "wide"}
        One reading per row, or one column per meter.
    meter_column, timestamp_column, value_column, unit_column, quality_column : str, optional
        Header names of the columns; found by their usual names when omitted
        (unit and quality are optional).  Wide files use only the timestamp column.
    meters : tuple of str
        Wide files: the meter columns; every other column when empty.
    timezone : str or None
        IANA zone of timestamps without an offset; None rejects them.
    unit : str, optional
        Unit of values that have none; the meter's own unit when None.
    delimiter : str, optional
        CSV delimiter; ``,`` (tab for ``.tsv``) when None.
    encoding : str
        CSV text encoding, e.g. ``gbk`` for files saved by Chinese Excel.
    sheet : str, optional
        XLSX sheet; the first when None.
    chunk_size : int
        Records per transaction.

    Raises
    ------
    InvalidInputError
        If an option cannot work (unknown zone or unit, chunk size below 1, ...).
    """

    layout: Literal["long", "wide"] = "long"
    meter_column: str | None = None
    timestamp_column: str | None = None
    value_column: str | None = None
    unit_column: str | None = None
    quality_column: str | None = None
    meters: tuple[str, ...] = ()
    timezone: str | None = "Asia/Shanghai"
    unit: str | None = None
    delimiter: str | None = None
    encoding: str = "utf-8-sig"
    sheet: str | None = None
    chunk_size: int = 50_000

    def __post_init__(self) -> None:
        """Check the options that can be checked without the file."""
        if self.layout not in ("long", "wide"):
            raise InvalidInputError(f"layout must be 'long' or 'wide', not {self.layout!r}")
        if self.timezone is not None:
            zone(self.timezone)
        if self.unit is not None and not quantity_of(self.unit):
            raise InvalidInputError(f"unknown unit {self.unit!r}; see docs/units.md for the accepted units")
        if isinstance(self.chunk_size, bool) or not isinstance(self.chunk_size, int) or self.chunk_size < 1:
            raise InvalidInputError(
                f"chunk_size must be a whole number of at least 1, not {self.chunk_size!r}"
            )
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise InvalidInputError(f"the delimiter must be one character, not {self.delimiter!r}")


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_file` did.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    enterprise : str
    rows : int
        Data rows read (header and blank lines not counted).
    records : int
        Readings found (a wide row holds several; empty cells are not readings).
    accepted, duplicate, rejected : int
        Outcome of the records; rejected ones are in the quarantine.
    empty : int
        Empty cells of wide files (no reading; not an error).
    reasons : collections.Counter
        Rejected records per reason.
    examples : dict
        Up to three messages per reason, each with its row.
    seconds : float
        Duration of the import. [s]
    """

    path: Path
    enterprise: str
    rows: int
    records: int
    accepted: int
    duplicate: int
    rejected: int
    empty: int
    reasons: Counter[Reason] = field(default_factory=Counter)
    examples: dict[Reason, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Chunk:
    records: list[RawReading]
    rows: int
    empty: int


def read_records(path: str | Path, options: FileOptions | None = None) -> Iterator[list[RawReading]]:
    """Yield the readings of a CSV or XLSX file in chunks of ``options.chunk_size``, unchecked.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.csv``, ``.tsv``, ``.txt`` or ``.xlsx``.
    options : FileOptions, optional

    Yields
    ------
    list of RawReading
        Records with their row number; fields as they are in the file.

    Raises
    ------
    InvalidInputError
        If the file cannot be read, or a needed column is not found (the
        message lists the columns there are).
    """
    for chunk in _chunks(Path(path), options or FileOptions()):
        yield chunk.records


def import_file(
    store: Store,
    path: str | Path,
    enterprise: str,
    options: FileOptions | None = None,
    *,
    pipeline: Pipeline | None = None,
) -> ImportReport:
    """Import a readings file into ``enterprise``: check, commit, quarantine, keep aggregates current.

    Parameters
    ----------
    store : Store
        A migrated store.
    path : str or pathlib.Path
        A CSV or XLSX file (see the module documentation for the layouts).
    enterprise : str
        The enterprise whose meters the file reads.
    options : FileOptions, optional
        Layout, columns, time zone, default unit, ...
    pipeline : Pipeline, optional
        The pipeline to use (its calendar, tolerance and limits); a default one when omitted.

    Returns
    -------
    ImportReport

    Raises
    ------
    NotFoundError
        If the enterprise does not exist (checked before anything is read).
    InvalidInputError
        If the file cannot be read or a needed column is missing; chunks
        committed before a read error stay committed, and importing again
        completes the file without storing anything twice.
    """
    started = time.perf_counter()
    file = Path(path)
    options = options or FileOptions()
    store.meter_keys(enterprise)  # NotFoundError before a typo fills the quarantine
    pipeline = pipeline or Pipeline(store)
    source = Source(Origin.FILE, str(file), options.timezone, options.unit)
    rows = records = accepted = duplicate = rejected = empty = 0
    reasons: Counter[Reason] = Counter()
    examples: dict[Reason, list[str]] = {}
    for chunk in _chunks(file, options):
        rows += chunk.rows
        empty += chunk.empty
        if not chunk.records:
            continue
        records += len(chunk.records)
        result = pipeline.ingest(enterprise, chunk.records, source)
        for record, outcome in zip(chunk.records, result.results, strict=True):
            if outcome.status is Status.ACCEPTED:
                accepted += 1
            elif outcome.status is Status.DUPLICATE:
                duplicate += 1
            else:
                rejected += 1
                assert outcome.reason is not None
                reasons[outcome.reason] += 1
                seen = examples.setdefault(outcome.reason, [])
                if len(seen) < _EXAMPLES:
                    seen.append(f"row {record.row}: {outcome.message}")
    return ImportReport(
        path=file,
        enterprise=enterprise,
        rows=rows,
        records=records,
        accepted=accepted,
        duplicate=duplicate,
        rejected=rejected,
        empty=empty,
        reasons=reasons,
        examples=examples,
        seconds=time.perf_counter() - started,
    )


# --- reading ------------------------------------------------------------------------------------


def _chunks(path: Path, options: FileOptions) -> Iterator[_Chunk]:
    suffix = path.suffix.lower()
    if suffix in _XLSX:
        rows = _xlsx_rows(path, options)
    elif suffix in _CSV:
        rows = _csv_rows(path, options, "\t" if suffix == ".tsv" else ",")
    elif suffix == ".xls":
        raise InvalidInputError(f"{path}: old Excel .xls files are not read; save it as .xlsx or CSV")
    else:
        raise InvalidInputError(f"{path}: unknown file type {suffix or '(none)'}; use .csv, .tsv or .xlsx")
    header: list[str] | None = None
    layout: _Layout | None = None
    chunk = _Chunk([], 0, 0)
    for number, row in rows:
        if header is None:
            header = [_header(cell) for cell in row]
            layout = _layout(path, header, options)
            continue
        assert layout is not None
        chunk.rows += 1
        chunk.empty += layout.add(row, number, chunk.records)
        if len(chunk.records) >= options.chunk_size:
            yield chunk
            chunk = _Chunk([], 0, 0)
    if header is None:
        raise InvalidInputError(f"{path} is empty: it needs a header row and data rows")
    if chunk.rows:
        yield chunk


def _header(cell: Any) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return "" if cell is None else str(cell).strip()


def _csv_rows(path: Path, options: FileOptions, default: str) -> Iterator[tuple[int, list[Any]]]:
    delimiter = options.delimiter or default
    try:
        with path.open("r", encoding=options.encoding, newline="") as handle:
            handle.read(65_536)  # an encoding error in the head is reported before anything is written
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter)
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield reader.line_num, row
    except FileNotFoundError as err:
        raise InvalidInputError(f"no such file: {path}") from err
    except OSError as err:
        raise InvalidInputError(f"cannot read {path}: {err.strerror}") from err
    except LookupError as err:
        raise InvalidInputError(f"unknown encoding {options.encoding!r}; use e.g. utf-8 or gbk") from err
    except UnicodeDecodeError as err:
        raise InvalidInputError(
            f"{path} is not {options.encoding} text ({err.reason} at byte {err.start} of a block); files "
            "saved by Chinese Excel are often gbk: use --encoding gbk. Chunks read before the error were "
            "imported; importing the file again is safe, nothing is stored twice"
        ) from err
    except csv.Error as err:
        raise InvalidInputError(
            f"{path}: not a readable CSV file ({err}); chunks read before the error were imported; importing "
            "the file again is safe, nothing is stored twice"
        ) from err


def _xlsx_rows(path: Path, options: FileOptions) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as err:
        raise InvalidInputError(f"no such file: {path}") from err
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as err:
        raise InvalidInputError(f"{path} is not a readable .xlsx workbook: {err}") from err
    try:
        if options.sheet is None:
            sheet = workbook.worksheets[0]
        elif options.sheet in workbook.sheetnames:
            sheet = workbook[options.sheet]
        else:
            raise InvalidInputError(
                f"{path} has no sheet {options.sheet!r}; its sheets are {', '.join(workbook.sheetnames)}"
            )
        sheet.reset_dimensions()  # read to the end without first scanning the sheet for its size
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = list(row)
            if any(c is not None and (not isinstance(c, str) or c.strip()) for c in cells):
                yield number, cells
    finally:
        workbook.close()


class _Layout:
    """Turns the rows of one file into records."""

    def __init__(self, columns: dict[str, int], meters: list[tuple[int, str]], wide: bool) -> None:
        self.meter = columns.get("meter")
        self.timestamp = columns["timestamp"]
        self.value = columns.get("value")
        self.unit = columns.get("unit")
        self.quality = columns.get("quality")
        self.meters = meters
        self.wide = wide

    def add(self, row: list[Any], number: int, out: list[RawReading]) -> int:
        """Append the records of ``row`` to ``out``; return the number of empty wide cells."""
        size = len(row)

        def cell(i: int | None) -> Any:
            return row[i] if i is not None and i < size else None

        ts = cell(self.timestamp)
        if not self.wide:
            unit = cell(self.unit)
            quality = cell(self.quality)
            out.append(
                RawReading(
                    cell(self.meter),
                    ts,
                    cell(self.value),
                    unit if unit != "" else None,
                    quality if quality != "" else None,
                    number,
                )
            )
            return 0
        empty = 0
        for i, meter in self.meters:
            value = cell(i)
            if value is None or (isinstance(value, str) and not value.strip()):
                empty += 1
                continue
            out.append(RawReading(meter, ts, value, None, None, number))
        return empty


def _layout(path: Path, header: list[str], options: FileOptions) -> _Layout:
    lowered: dict[str, int] = {}
    for i, name in enumerate(header):
        if name:
            lowered.setdefault(name.lower(), i)
    given = {
        "meter": options.meter_column,
        "timestamp": options.timestamp_column,
        "value": options.value_column,
        "unit": options.unit_column,
        "quality": options.quality_column,
    }
    wanted = (
        ("timestamp",) if options.layout == "wide" else ("meter", "timestamp", "value", "unit", "quality")
    )
    columns: dict[str, int] = {}
    shown = ", ".join(repr(h) for h in header if h) or "(none)"
    for role in wanted:
        named = given[role]
        if named is not None:
            index = header.index(named) if named in header else lowered.get(named.strip().lower())
            if index is None:
                raise InvalidInputError(f"{path} has no column {named!r} ({role}); its columns are {shown}")
            columns[role] = index
            continue
        found = next((lowered[a] for a in _ALIASES[role] if a in lowered), None)
        if found is not None:
            columns[role] = found
        elif role in ("meter", "timestamp", "value"):
            raise InvalidInputError(
                f"{path}: no {role} column found (looked for {', '.join(_ALIASES[role])}); its columns are "
                f"{shown}: name the column with {_OPTION[role]}"
            )
    meters: list[tuple[int, str]] = []
    if options.layout == "wide":
        if options.meters:
            for meter in options.meters:
                if meter not in header:
                    raise InvalidInputError(
                        f"{path} has no column for meter {meter!r}; its columns are {shown}"
                    )
                meters.append((header.index(meter), meter))
        else:
            meters = [(i, name) for i, name in enumerate(header) if name and i != columns["timestamp"]]
        repeated = [m for m, n in Counter(name for _, name in meters).items() if n > 1]
        if repeated:
            raise InvalidInputError(f"{path}: meter column {repeated[0]!r} appears twice in the header")
        if not meters:
            raise InvalidInputError(f"{path}: a wide file needs a column per meter besides the timestamp")
    return _Layout(columns, meters, options.layout == "wide")
