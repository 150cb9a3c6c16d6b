"""Queueing notifications with alarm changes, and sending what is due with retries and backoff.

:func:`make_outbox` gives :class:`~shuixiao.storage.AlarmStore` the notifications of each
alarm change; they are written in the same transaction as the change (an outbox), so none is
lost when a receiver or this process fails.  :func:`deliver_due` sends the pending ones whose
time has come; a failure is recorded with its error and tried again after
``retry_base · 2^(attempts − 1)`` (at most ``retry_cap``), and after ``max_attempts`` the
delivery is kept as ``failed`` (``shuixiao alarm deliveries --retry`` queues it again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from shuixiao.alarms import Alarm, RuleSet
from shuixiao.notify.channels import NotificationError, send
from shuixiao.notify.config import Channel, NotifyConfig
from shuixiao.notify.messages import alarm_payload
from shuixiao.storage import AlarmStore, Delivery, DeliverySpec, Outbox

__all__ = ["DeliveryReport", "backoff", "deliver_due", "make_outbox"]

Sender = Callable[[Channel, dict[str, Any], int, float], None]


def make_outbox(config: NotifyConfig) -> Outbox:
    """The outbox of ``config``: a message to every channel that wants the change."""

    def outbox(alarm: Alarm, event: str) -> Sequence[DeliverySpec]:
        return [
            DeliverySpec(c.name, c.kind, c.target, alarm_payload(alarm, event, c.language, config.timezone))
            for c in config.channels
            if c.wants(alarm.enterprise, alarm.severity, event)
        ]

    return outbox


def backoff(attempts: int, base: float, cap: float) -> float:
    """Wait before the next attempt after ``attempts`` failed ones. [s]

    Examples
    --------
    >>> [backoff(n, 60.0, 3600.0) for n in (1, 2, 3, 7, 8)]
    [60.0, 120.0, 240.0, 3600.0, 3600.0]
    """
    return float(min(cap, base * 2 ** max(attempts - 1, 0)))


@dataclass(frozen=True)
class DeliveryReport:
    """What one round of sending did.

    Parameters
    ----------
    sent : list of Delivery
    retrying : list of Delivery
        Failed this time, tried again later.
    failed : list of Delivery
        Failed for the last time (kept as ``failed``).
    """

    sent: list[Delivery]
    retrying: list[Delivery]
    failed: list[Delivery]


def _send(channel: Channel, payload: dict[str, Any], delivery_id: int, timeout: float) -> None:
    send(channel, payload, delivery_id=delivery_id, timeout=timeout)


def deliver_due(
    alarms: AlarmStore,
    config: NotifyConfig,
    rules: RuleSet,
    *,
    now: dt.datetime | None = None,
    limit: int = 100,
    sender: Sender = _send,
) -> DeliveryReport:
    """Send the due notifications once each and record the outcome.

    Parameters
    ----------
    alarms : AlarmStore
    config : NotifyConfig
        The channels; a delivery whose channel is no longer configured fails (and is retried,
        in case the configuration comes back).
    rules : RuleSet
        Its ``delivery`` settings: retry_base, retry_cap, max_attempts, timeout.
    now : datetime.datetime, optional
    limit : int
        Most deliveries to try in this round.
    sender : callable, optional
        ``sender(channel, payload, delivery_id, timeout)``; the real channels by default.

    Returns
    -------
    DeliveryReport
    """
    settings = {k: float(p.value or 0.0) for k, p in rules.delivery.items()}
    when = now or dt.datetime.now(dt.UTC)
    sent: list[Delivery] = []
    retrying: list[Delivery] = []
    failed: list[Delivery] = []
    for delivery in alarms.due_deliveries(now=when, limit=limit):
        channel = config.channel(delivery.channel)
        error: str | None = None
        if channel is None:
            error = (
                f"channel {delivery.channel!r} is not in the notification config {config.source or '(none)'}"
            )
        else:
            try:
                sender(channel, delivery.payload, delivery.id, settings["timeout"])
            except NotificationError as err:
                error = str(err)
        if error is None:
            sent.append(alarms.record_attempt(delivery.id, error=None, at=when))
            continue
        attempts = delivery.attempts + 1
        later = None
        if attempts < settings["max_attempts"]:
            later = when + dt.timedelta(
                seconds=backoff(attempts, settings["retry_base"], settings["retry_cap"])
            )
        record = alarms.record_attempt(delivery.id, error=error, at=when, next_attempt=later)
        (retrying if later else failed).append(record)
    return DeliveryReport(sent, retrying, failed)
