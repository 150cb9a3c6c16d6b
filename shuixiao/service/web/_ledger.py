"""Notarisation status of an enterprise, from the ledger tables (:mod:`shuixiao.storage.ledger`).

An enterprise is *notarised* when at least one signed batch of one of its
devices is in this store's local log.  The panel then shows the latest signed
checkpoint of the log (size, root hash, time) with the witnesses that
cosigned it, the enterprise's signing devices and the meters bound to them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from shuixiao.service.web._format import format_time
from shuixiao.service.web._i18n import Translator
from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore

__all__ = ["Notarisation", "notarisation"]


@dataclass(frozen=True)
class Notarisation:
    """What the notarisation panel shows.

    Parameters
    ----------
    notarised : bool
        True when batches of the enterprise's devices are in the local log.
    origin : str
        The log's checkpoint origin (en dash before it has one).
    size : int
        Leaves in the latest checkpoint (0 without one).
    root : str
        Root hash of the latest checkpoint, hexadecimal (en dash without one).
    time : str
        Local time of the latest checkpoint (en dash without one).
    entries : str
        Signing devices and notarised meters of the enterprise, formatted.
    witnesses : list of str
        Witnesses that cosigned the latest checkpoint, with the local time of their cosignature.
    """

    notarised: bool
    origin: str = "–"
    size: int = 0
    root: str = "–"
    time: str = "–"
    entries: str = ""
    witnesses: list[str] = field(default_factory=list)


def notarisation(store: Store, enterprise_id: str, t: Translator, zone: ZoneInfo) -> Notarisation:
    """Return the notarisation status of ``enterprise_id`` (read-only: creates no log).

    Parameters
    ----------
    store : Store
        A migrated store.
    enterprise_id : str
    t : Translator
    zone : zoneinfo.ZoneInfo
        The zone of the shown times.
    """
    ledger = LedgerStore(store)
    local = next((log for log in ledger.logs() if log.kind == "local"), None)
    devices = sorted({key.device for key in ledger.device_keys(enterprise=enterprise_id)})
    meters = [p for p in ledger.meter_policies(enterprise_id) if p.device is not None]
    if local is None or not any(ledger.batches(local.id, device=d, limit=1) for d in devices):
        return Notarisation(notarised=False)
    entries = t("ledger.entries_value", devices=len(devices), meters=len(meters))
    checkpoint = ledger.latest_checkpoint(local.id)
    if checkpoint is None:
        return Notarisation(notarised=True, origin=local.origin or "–", size=local.size, entries=entries)
    return Notarisation(
        notarised=True,
        origin=local.origin or "–",
        size=checkpoint.size,
        root=checkpoint.root.hex(),
        time=format_time(checkpoint.created, zone),
        entries=entries,
        witnesses=[
            f"{c.witness} · {format_time(dt.datetime.fromtimestamp(c.timestamp, dt.UTC), zone)}"
            for c in checkpoint.cosignatures
        ],
    )
