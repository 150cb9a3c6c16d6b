"""Ingestion (adapter layer): readings from files, MQTT and other sources into the store.

Every entry point hands raw records to :class:`Pipeline`, which checks them,
converts them to canonical units, commits what passes together with the
aggregates it changes, and quarantines what fails with a reason a person can
act on (:class:`Reason`).  :meth:`Pipeline.replay` runs quarantined records
again once the cause is fixed.  :func:`import_file` reads CSV and XLSX files;
:mod:`shuixiao.ingest.mqtt` is the MQTT worker (it needs ``paho-mqtt`` and is
not imported here).  Adapters read JSON messages with :func:`parse_json` and
quarantine whole records as :func:`payload_of` writes them, and answer with
:func:`results_json`.  See
``docs/ingestion.md``.
"""

from shuixiao.ingest._limits import Bound, PhysicalLimits, load_limits
from shuixiao.ingest._parse import first_not_object, json_kind, parse_json, payload_of
from shuixiao.ingest._records import (
    Batch,
    BatchResult,
    ColumnBatch,
    Columns,
    RawReading,
    Reason,
    RecordResult,
    ReplayResult,
    Source,
    Status,
    results_json,
)
from shuixiao.ingest.files import FileOptions, ImportReport, import_file, read_records
from shuixiao.ingest.pipeline import Pipeline
from shuixiao.series import resolutions

__all__ = [
    "Batch",
    "BatchResult",
    "Bound",
    "ColumnBatch",
    "Columns",
    "FileOptions",
    "ImportReport",
    "PhysicalLimits",
    "Pipeline",
    "RawReading",
    "Reason",
    "RecordResult",
    "ReplayResult",
    "Source",
    "Status",
    "first_not_object",
    "import_file",
    "json_kind",
    "load_limits",
    "parse_json",
    "payload_of",
    "read_records",
    "resolutions",
    "results_json",
]
