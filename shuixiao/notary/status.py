"""Whether stored readings are notarised, and up to which checkpoint (for every place that shows them).

A stored reading is *notarised* when a logged batch carries it; it is
*checkpointed* once a signed checkpoint covers that batch's leaf. A figure
computed from readings (a balance, an indicator) is notarised when all its
inputs are, up to the smallest checkpoint that covers them all.
:func:`reading_status` answers per reading, :func:`notarisation_summary` per
meter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from shuixiao.storage import Store
from shuixiao.storage.ledger import LedgerStore, StoredCheckpoint
from shuixiao.storage.schema import utc_seconds

__all__ = ["MeterNotarisation", "notarisation_summary", "reading_status"]


def _checkpoint_sizes(checkpoints: Sequence[StoredCheckpoint]) -> np.ndarray:
    return np.array(sorted({c.size for c in checkpoints}), dtype=np.int64)


def _covering(sizes: np.ndarray, leaf: int) -> int | None:
    """Size of the smallest checkpoint holding leaf ``leaf``, or None."""
    position = int(np.searchsorted(sizes, leaf + 1))
    return int(sizes[position]) if position < len(sizes) else None


def reading_status(
    store: Store,
    enterprise: str,
    meter: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> pd.DataFrame:
    """Return a meter's stored readings in ``[start, end)`` with their notarisation.

    Returns
    -------
    pandas.DataFrame
        Columns ``ts`` (UTC), ``value`` [canonical unit], ``notarised``
        (bool), ``leaf_index`` (of the batch carrying it, -1 if none) and
        ``checkpoint`` (size of the smallest checkpoint covering that leaf,
        -1 if none yet).

    Raises
    ------
    NotFoundError
        If the enterprise or the meter does not exist.
    """
    ledger = LedgerStore(store)
    frame = store.read_readings(enterprise, meter, start, end)
    key = store.meter_keys(enterprise)[meter]
    low = None if start is None else utc_seconds(start)
    high = None if end is None else utc_seconds(end)
    leaves = ledger.notarised_times(key, low, high)
    seconds = frame["ts"].dt.as_unit("s").astype("int64").to_numpy()
    leaf = np.array([leaves.get(int(t), -1) for t in seconds], dtype=np.int64)
    sizes = _checkpoint_sizes(ledger.checkpoints(ledger.local_log().id))
    covered = np.array([(_covering(sizes, int(i)) or -1) if i >= 0 else -1 for i in leaf], dtype=np.int64)
    return pd.DataFrame(
        {
            "ts": frame["ts"],
            "value": frame["value"],
            "notarised": leaf >= 0,
            "leaf_index": leaf,
            "checkpoint": covered,
        }
    )


@dataclass(frozen=True)
class MeterNotarisation:
    """How one meter's readings are notarised.

    Parameters
    ----------
    meter : str
    device : str or None
        The device bound to it.
    unsigned_allowed : bool
        Whether the enterprise accepts its readings without a batch.
    readings : int
        Stored readings in the period.
    notarised : int
        Of those, carried by a logged batch.
    checkpoint : int or None
        Size of the smallest checkpoint covering every notarised one; None if
        some are not in a checkpoint yet (or none is notarised).
    """

    meter: str
    device: str | None
    unsigned_allowed: bool
    readings: int
    notarised: int
    checkpoint: int | None

    @property
    def not_notarised(self) -> int:
        """Stored readings no batch carries."""
        return self.readings - self.notarised

    @property
    def fully_notarised(self) -> bool:
        """Every reading notarised and checkpointed."""
        return self.readings == self.notarised and (self.readings == 0 or self.checkpoint is not None)


def notarisation_summary(
    store: Store, enterprise: str, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[MeterNotarisation]:
    """Return the notarisation of every meter of an enterprise in ``[start, end)``, in model order.

    Raises
    ------
    NotFoundError
        If there is no such enterprise.
    """
    ledger = LedgerStore(store)
    policies = {p.meter: p for p in ledger.meter_policies(enterprise)}
    sizes = _checkpoint_sizes(ledger.checkpoints(ledger.local_log().id))
    low = None if start is None else utc_seconds(start)
    high = None if end is None else utc_seconds(end)
    summary = []
    for meter, key in store.meter_keys(enterprise).items():
        frame = store.read_readings(enterprise, meter, start, end)
        stored = set(frame["ts"].dt.as_unit("s").astype("int64").tolist())
        leaves = ledger.notarised_times(key, low, high)
        carried = [leaves[t] for t in stored if t in leaves]
        checkpoint = _covering(sizes, max(carried)) if carried else None
        policy = policies.get(meter)
        summary.append(
            MeterNotarisation(
                meter,
                None if policy is None else policy.device,
                False if policy is None else policy.unsigned_allowed,
                len(stored),
                len(carried),
                checkpoint,
            )
        )
    return summary
