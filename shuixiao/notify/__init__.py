"""Notifications and the alarm check (adapter, beside ingestion: it drives the store and the alarm engine).

* :mod:`~shuixiao.notify.config` — channels from a TOML or YAML file named by
  ``--notify-config`` or ``SHUIXIAO_NOTIFY_CONFIG`` (secrets from the environment);
* :mod:`~shuixiao.notify.channels` — a webhook POST of JSON (httpx, optional HMAC-SHA256
  signature, timeouts) or an e-mail (smtplib, STARTTLS or TLS);
* :mod:`~shuixiao.notify.messages` — what a message says, in Chinese and English;
* :mod:`~shuixiao.notify.dispatch` — notifications queued in the same transaction as the alarm
  change, sent with retries and exponential backoff, never lost;
* :mod:`~shuixiao.notify.check` — :class:`AlarmChecker`: the rules over stored readings,
  raising, clearing and escalating alarms, and :func:`run_every` to keep checking.

See ``docs/alarms.md``.
"""

from shuixiao.notify.channels import NotificationError, send, send_email, send_webhook, sign
from shuixiao.notify.check import AlarmChecker, CheckReport, run_every
from shuixiao.notify.config import (
    CONFIG_VARIABLE,
    EVENTS,
    LANGUAGES,
    Channel,
    NotifyConfig,
    config_path,
    load_notify_config,
)
from shuixiao.notify.dispatch import DeliveryReport, backoff, deliver_due, make_outbox
from shuixiao.notify.messages import SCHEMA, alarm_dict, alarm_payload, message_text

__all__ = [
    "CONFIG_VARIABLE",
    "EVENTS",
    "LANGUAGES",
    "SCHEMA",
    "AlarmChecker",
    "Channel",
    "CheckReport",
    "DeliveryReport",
    "NotificationError",
    "NotifyConfig",
    "alarm_dict",
    "alarm_payload",
    "backoff",
    "config_path",
    "deliver_due",
    "load_notify_config",
    "make_outbox",
    "message_text",
    "run_every",
    "send",
    "send_email",
    "send_webhook",
    "sign",
]
