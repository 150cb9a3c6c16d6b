"""Storage adapter: the water-system model and its time series in SQLite or PostgreSQL.

:class:`Store` is the whole interface; :mod:`shuixiao.storage.schema` holds the
tables and :mod:`shuixiao.storage.migrations` the Alembic revisions that build
them (run by :meth:`Store.upgrade`, i.e. ``shuixiao db upgrade``).
:mod:`shuixiao.storage.accounts` keeps users, sessions, tokens, grants and the audit
log (:class:`AccountStore`).
:mod:`shuixiao.storage.alarms` keeps alarms and leak events (:class:`AlarmStore`,
:class:`LeakEventStore`).
:mod:`shuixiao.storage.ledger` keeps device keys, signed batches, the log as tiles, checkpoints,
cosignatures and incidents (:class:`LedgerStore`).
:mod:`shuixiao.storage.plans` keeps the monthly water-use plans (计划用水) and their revisions
(:class:`PlanStore`).
"""

from shuixiao.storage.accounts import (
    AccountStore,
    ApiToken,
    AuditEntry,
    DeviceToken,
    Grant,
    SessionRecord,
    User,
)
from shuixiao.storage.alarms import (
    AlarmStore,
    Delivery,
    DeliverySpec,
    LeakEventRecord,
    LeakEventStore,
    Outbox,
    Suspect,
)
from shuixiao.storage.ledger import (
    DeviceKeyRecord,
    LedgerStore,
    LogInfo,
    MeterPolicy,
    StoredBatch,
    StoredCheckpoint,
    StoredCosignature,
)
from shuixiao.storage.plans import PlanInput, PlanStore, WaterPlan
from shuixiao.storage.store import (
    AggregateRow,
    BulkWriter,
    DayRows,
    EnterpriseSummary,
    MeterEvent,
    QuarantineEntry,
    QuarantineRecord,
    ReadingWindow,
    Store,
)

__all__ = [
    "AccountStore",
    "AggregateRow",
    "AlarmStore",
    "ApiToken",
    "AuditEntry",
    "BulkWriter",
    "DayRows",
    "Delivery",
    "DeliverySpec",
    "DeviceKeyRecord",
    "DeviceToken",
    "EnterpriseSummary",
    "Grant",
    "LeakEventRecord",
    "LeakEventStore",
    "LedgerStore",
    "LogInfo",
    "MeterEvent",
    "MeterPolicy",
    "Outbox",
    "PlanInput",
    "PlanStore",
    "QuarantineEntry",
    "QuarantineRecord",
    "ReadingWindow",
    "SessionRecord",
    "Store",
    "StoredBatch",
    "StoredCheckpoint",
    "StoredCosignature",
    "Suspect",
    "User",
    "WaterPlan",
]
