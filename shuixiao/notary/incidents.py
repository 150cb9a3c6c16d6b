"""Recording ledger incidents: kept in the ledger tables, raised as alarms where the alarm store exists.

Incident kinds (``ledger_incidents.kind``; as alarms ``ledger.<kind>``):

=================  ==========================================================================
kind               what happened
=================  ==========================================================================
missing_batch      a device's batch arrived with earlier sequence numbers still missing
fork               a device's next batch does not link to the batch accepted before it
tamper             a different batch for a sequence already accepted (a changed past batch)
bad_signature      a batch whose signature does not verify with any key valid at its time,
                   or signed with a revoked key
split_view         two different checkpoints of the same size, signed by the same log
inconsistent       a checkpoint that is not an extension of one seen before
bad_checkpoint     a checkpoint that does not parse or whose log signature does not verify
mirror_mismatch    a log's tiles or entries that do not add up to its signed root
=================  ==========================================================================

Every incident is also raised as an alarm of kind ``ledger.<kind>``
(:class:`shuixiao.storage.AlarmStore`) with the severity and title of
``shuixiao/data/ledger.yaml``:

* an incident of one enterprise's device (a gap, a fork, a changed batch, a
  bad signature) raises one alarm per incident, key ``incident-<id>``, for
  that enterprise; resolving the incident (the missing batches arrived)
  clears its alarm;
* an incident of a log as a whole (a split view, a checkpoint inconsistent
  with one seen before, a checkpoint that does not verify, a mirror that does
  not add up) concerns every enterprise whose batches the log carries: it
  raises an alarm for each of them, key ``log:<origin>``, so the same log
  keeps one open alarm of a kind however often a witness sees the problem
  again (the alarm's ``last_seen`` moves on). The enterprises are the ones
  named by the caller (a witness is told whose log it follows,
  ``shuixiao ledger witness --enterprise``) and those with batches in the log
  in this store (the log's own node). With neither, the incident stays in the
  ledger's incident list (``shuixiao ledger incidents``) only.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Final

import yaml

from shuixiao.alarms import AlarmSpec
from shuixiao.storage import AlarmStore
from shuixiao.storage.ledger import Incident, LedgerStore

__all__ = ["KINDS", "alarm_key", "record_incident", "resolve_incident"]

KINDS: Final = (
    "missing_batch",
    "fork",
    "tamper",
    "bad_signature",
    "split_view",
    "inconsistent",
    "bad_checkpoint",
    "mirror_mismatch",
)
"""Every incident kind."""


def record_incident(
    ledger: LedgerStore,
    kind: str,
    message: str,
    detail: Mapping[str, Any],
    *,
    log_id: int | None = None,
    enterprise: str | None = None,
    device: str | None = None,
    enterprises: Sequence[str] = (),
) -> Incident:
    """Record an incident (an identical open one is not repeated), raise its alarms, and return it.

    Parameters
    ----------
    ledger : LedgerStore
        Where to keep it.
    kind : str
        One of :data:`KINDS`.
    message : str
        What was found, for a person.
    detail : mapping
        Evidence, JSON-serialisable.
    log_id : int, optional
        The log concerned.
    enterprise, device : str, optional
        The enterprise and device concerned, for an incident of one device.
    enterprises : sequence of str, optional
        For an incident of a log as a whole (no ``enterprise``): enterprises to
        alarm besides those with batches in the log ``log_id``.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS` (a programming error).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown incident kind {kind!r}")
    incident = ledger.add_incident(kind, message, detail, log_id=log_id, enterprise=enterprise, device=device)
    alarms = AlarmStore(ledger.store)
    if enterprise is not None:
        alarms.raise_alarm(_alarm(incident, enterprise, alarm_key(incident)))
    elif log_id is not None:
        log = ledger.log(log_id)
        key = f"log:{log.origin or log.id}"
        for name in sorted({*enterprises, *ledger.log_enterprises(log_id)}):
            alarms.raise_alarm(_alarm(incident, name, key, log=log.origin or str(log.id)))
    return incident


@functools.cache
def _settings() -> dict[str, dict[str, str]]:
    text = resources.files("shuixiao.data").joinpath("ledger.yaml").read_text("utf-8")
    loaded: dict[str, dict[str, str]] = yaml.safe_load(text)
    return loaded


def alarm_key(incident: Incident) -> str:
    """Return the key of an incident's alarm, ``incident-<id>`` (one alarm per incident)."""
    return f"incident-{incident.id}"


def _alarm(incident: Incident, enterprise: str, key: str, *, log: str | None = None) -> AlarmSpec:
    settings = _settings()[incident.kind]
    detail = incident.detail
    where = (
        f"{detail['first']}..{detail['last']}"
        if "first" in detail
        else f"#{detail['sequence']}"
        if "sequence" in detail
        else ""
    )
    values = {"device": incident.device or "", "detail": where}
    return AlarmSpec(
        enterprise=enterprise,
        kind=f"ledger.{incident.kind}",
        key=key,
        severity=settings["severity"],  # type: ignore[arg-type]
        title_zh=settings["title_zh"].format(**values),
        title_en=settings["title_en"].format(**values),
        detail={"incident": incident.id, "message": incident.message}
        if log is None
        else {"incident": incident.id, "message": incident.message, "log": log},
        raised_at=incident.created,
    )


def resolve_incident(ledger: LedgerStore, incident: Incident, note: str) -> None:
    """Resolve an incident and clear its alarm (``system``: its condition ended)."""
    ledger.resolve_incident(incident.id)
    if incident.enterprise is None:
        return
    alarms = AlarmStore(ledger.store)
    for alarm in alarms.open_alarms(incident.enterprise, [f"ledger.{incident.kind}"]):
        if alarm.key == alarm_key(incident):
            alarms.clear(alarm.id, "system", note)
