"""Sending one message: a webhook POST (httpx) or an e-mail (smtplib).

Both raise :class:`NotificationError` with what went wrong; the dispatcher records it and
tries again later.  Webhook bodies can be signed with HMAC-SHA256 (RFC 2104): the header
``X-Shuixiao-Signature: sha256=<hex>`` is the HMAC of ``<timestamp>.<body>`` under the secret,
with ``<timestamp>`` (Unix seconds) in ``X-Shuixiao-Timestamp``; the receiver recomputes it and
rejects old timestamps, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import httpx

from shuixiao import __version__
from shuixiao.errors import ConfigurationError, ShuixiaoError
from shuixiao.notify.config import Channel

__all__ = ["NotificationError", "send", "send_email", "send_webhook", "sign"]


class NotificationError(ShuixiaoError):
    """A message could not be delivered (it stays queued and is tried again)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Shuixiao-Signature`` value of a webhook body.

    Examples
    --------
    >>> sign("s3cret", 1740787200, b'{"a":1}')
    'sha256=a990aae6a0ff2ceda3c398ed453ff3658c3e0bcb0f3458f1d9d5cdf6e27d234c'
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def send_webhook(
    channel: Channel,
    payload: dict[str, Any],
    *,
    delivery_id: int,
    timeout: float,
    client: httpx.Client | None = None,
) -> None:
    """POST ``payload`` as JSON to the channel's URL; a 2xx answer is success.

    Headers: ``X-Shuixiao-Event``, ``X-Shuixiao-Delivery`` (the delivery id, the same on every
    retry, so a receiver can drop duplicates), ``X-Shuixiao-Timestamp`` and, with a secret,
    ``X-Shuixiao-Signature``.

    Raises
    ------
    NotificationError
        On a connection error, a timeout or a non-2xx answer.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    timestamp = int(time.time())
    headers = {
        **dict(channel.headers),
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": f"shuixiao/{__version__}",
        "X-Shuixiao-Event": str(payload.get("event", "")),
        "X-Shuixiao-Delivery": str(delivery_id),
        "X-Shuixiao-Timestamp": str(timestamp),
    }
    try:
        secret = channel.secret(channel.secret_env)
    except ConfigurationError as err:
        raise NotificationError(str(err)) from None
    if secret is not None:
        headers["X-Shuixiao-Signature"] = sign(secret, timestamp, body)
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        response = http.post(channel.url, content=body, headers=headers)
    except httpx.HTTPError as err:
        raise NotificationError(f"POST {channel.url} failed: {type(err).__name__}: {err}") from err
    finally:
        if own:
            http.close()
    if not response.is_success:
        raise NotificationError(f"POST {channel.url} answered {response.status_code}: {response.text[:200]}")


def _email_message(channel: Channel, payload: dict[str, Any]) -> EmailMessage:
    languages = ["zh", "en"] if channel.language == "zh+en" else [channel.language]
    subject = " / ".join(payload["subject"][lang] for lang in languages)
    text = "\n----------------------------------------\n\n".join(payload["text"][lang] for lang in languages)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=channel.sender.rpartition("@")[2].strip(">") or None)
    message.set_content(text, charset="utf-8")
    return message


def send_email(channel: Channel, payload: dict[str, Any], *, timeout: float) -> None:
    """Send ``payload`` as a plain-text e-mail over SMTP (STARTTLS or implicit TLS as configured).

    Raises
    ------
    NotificationError
        If the server cannot be reached, refuses the login or a recipient, or TLS fails.
    """
    message = _email_message(channel, payload)
    context = ssl.create_default_context(cafile=channel.cafile) if channel.security != "none" else None
    try:
        password = channel.secret(channel.password_env)
    except ConfigurationError as err:
        raise NotificationError(str(err)) from None
    try:
        smtp: smtplib.SMTP
        if channel.security == "ssl":
            smtp = smtplib.SMTP_SSL(channel.host, channel.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(channel.host, channel.port, timeout=timeout)
        with smtp:
            if channel.security == "starttls":
                smtp.starttls(context=context)
            if channel.username:
                smtp.login(channel.username, password or "")
            refused = smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as err:  # timeouts and TLS errors are OSErrors
        raise NotificationError(
            f"SMTP {channel.host}:{channel.port} failed: {type(err).__name__}: {err}"
        ) from err
    if refused:
        raise NotificationError(f"SMTP {channel.host}:{channel.port} refused {', '.join(refused)}")


def send(channel: Channel, payload: dict[str, Any], *, delivery_id: int, timeout: float) -> None:
    """Send by the channel's kind (see :func:`send_webhook`, :func:`send_email`)."""
    if channel.kind == "webhook":
        send_webhook(channel, payload, delivery_id=delivery_id, timeout=channel.timeout or timeout)
    else:
        send_email(channel, payload, timeout=channel.timeout or timeout)
