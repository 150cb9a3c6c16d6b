"""Storage adapter: the water-system model and its time series in SQLite or PostgreSQL.

:class:`Store` is the whole interface; :mod:`shuixiao.storage.schema` holds the
tables and :mod:`shuixiao.storage.migrations` the Alembic revisions that build
them (run by :meth:`Store.upgrade`, i.e. ``shuixiao db upgrade``).
"""

from shuixiao.storage.store import (
    BulkWriter,
    EnterpriseSummary,
    MeterEvent,
    QuarantineEntry,
    QuarantineRecord,
    ReadingWindow,
    Store,
)

__all__ = [
    "BulkWriter",
    "EnterpriseSummary",
    "MeterEvent",
    "QuarantineEntry",
    "QuarantineRecord",
    "ReadingWindow",
    "Store",
]
