"""Sending to real local receivers: webhooks to an HTTP server, e-mail to an aiosmtpd server."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import socket
import threading
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from shuixiao.alarms import Alarm, AlarmState, Severity
from shuixiao.notify import Channel, NotificationError, alarm_payload, send, send_email, send_webhook
from tests.notify.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer, WebhookReceiver, free_port

pytestmark = pytest.mark.integration

T0 = dt.datetime(2025, 3, 1, 0, 30, tzinfo=dt.UTC)
ALARM = Alarm(
    17,
    "xg-steel",
    "threshold",
    "FT-201/high",
    Severity.MAJOR,
    AlarmState.RAISED,
    "FT-201 超上限：1100 m³/h（上限 1000）",
    "FT-201 above its high limit: 1100 m³/h (limit 1000)",
    {"limit": 1000.0},
    T0,
    meter="FT-201",
)


def _webhook(url: str, **changes: object) -> Channel:
    return Channel(name="ops", kind="webhook", url=url, **changes)  # type: ignore[arg-type]


def test_webhook_posts_signed_json(webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIXIAO_TEST_HOOK_SECRET", "hook-key")
    channel = _webhook(webhook.url, secret_env="SHUIXIAO_TEST_HOOK_SECRET", headers=(("X-Plant", "xg"),))
    payload = alarm_payload(ALARM, "raised", "zh+en")
    send_webhook(channel, payload, delivery_id=41, timeout=5)
    (got,) = webhook.received
    assert got.path == "/hooks/shuixiao" and got.json() == payload
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    assert got.headers["X-Shuixiao-Event"] == "raised" and got.headers["X-Shuixiao-Delivery"] == "41"
    assert got.headers["X-Plant"] == "xg"
    # the receiver recomputes the signature from the raw body and the timestamp (RFC 2104 HMAC-SHA256)
    stamp = got.headers["X-Shuixiao-Timestamp"]
    expected = hmac.new(b"hook-key", stamp.encode() + b"." + got.body, hashlib.sha256).hexdigest()
    assert got.headers["X-Shuixiao-Signature"] == f"sha256={expected}"
    assert got.json()["subject"]["zh"] == "[水效预警·重要] 报警：FT-201 超上限：1100 m³/h（上限 1000）"
    assert got.json()["text"]["en"].startswith("FT-201 above its high limit")


def test_webhook_without_secret_is_unsigned(webhook: WebhookReceiver) -> None:
    send(_webhook(webhook.url), alarm_payload(ALARM, "cleared"), delivery_id=1, timeout=5)
    assert "X-Shuixiao-Signature" not in webhook.received[0].headers


def test_webhook_failures_raise(webhook: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    webhook.fail = 1
    with pytest.raises(NotificationError, match="answered 500"):
        send_webhook(_webhook(webhook.url), {"event": "raised"}, delivery_id=1, timeout=5)
    with pytest.raises(NotificationError, match="ConnectError"):
        send_webhook(_webhook(f"http://127.0.0.1:{free_port()}/x"), {}, delivery_id=1, timeout=5)
    monkeypatch.delenv("SHUIXIAO_TEST_NO_SUCH", raising=False)
    with pytest.raises(NotificationError, match="SHUIXIAO_TEST_NO_SUCH is not set"):
        send_webhook(_webhook(webhook.url, secret_env="SHUIXIAO_TEST_NO_SUCH"), {}, delivery_id=1, timeout=5)


def test_webhook_times_out() -> None:
    # a receiver that accepts the connection and never answers
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        stop = threading.Event()
        accepted: list[socket.socket] = []

        def accept() -> None:
            conn, _ = listener.accept()
            accepted.append(conn)
            stop.wait(5)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        with pytest.raises(NotificationError, match="Timeout"):
            send_webhook(_webhook(f"http://127.0.0.1:{port}/x"), {}, delivery_id=1, timeout=0.5)
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()


def _subject(raw: bytes) -> str:
    return str(make_header(decode_header(message_from_bytes(raw)["Subject"])))


def test_email_in_chinese_and_english(smtp: SmtpServer) -> None:
    channel = Channel(
        name="mail",
        kind="email",
        host="127.0.0.1",
        port=smtp.port,
        sender="水效预警 <alarms@example.com>",
        to=("manager@example.com", "ops@example.com"),
        language="zh+en",
    )
    send_email(channel, alarm_payload(ALARM, "escalated"), timeout=5)
    (envelope,) = smtp.mailbox.envelopes
    assert envelope.rcpt_tos == ["manager@example.com", "ops@example.com"]
    raw = envelope.original_content or b""
    assert _subject(raw) == (
        "[水效预警·重要] 升级：FT-201 超上限：1100 m³/h（上限 1000） / "
        "[shuixiao alarm · major] Escalated: FT-201 above its high limit: 1100 m³/h (limit 1000)"
    )
    body = message_from_bytes(raw).get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert (
        "报警时间：2025-03-01 08:30（Asia/Shanghai）" in body
        and "Raised: 2025-03-01 08:30 (Asia/Shanghai)" in body
    )
    assert "shuixiao alarm ack 17" in body


def test_email_over_starttls_with_login(smtp_tls: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIXIAO_TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    channel = Channel(
        name="mail",
        kind="email",
        host="127.0.0.1",
        port=smtp_tls.port,
        security="starttls",
        username=SMTP_USER,
        password_env="SHUIXIAO_TEST_SMTP_PASSWORD",
        sender="alarms@example.com",
        to=("manager@example.com",),
        cafile=str(smtp_tls.cafile),
        language="en",
    )
    send(channel, alarm_payload(ALARM, "raised"), delivery_id=3, timeout=5)
    assert _subject(smtp_tls.mailbox.envelopes[0].original_content or b"").startswith(
        "[shuixiao alarm · major] Alarm:"
    )
    monkeypatch.setenv("SHUIXIAO_TEST_SMTP_PASSWORD", "wrong")
    with pytest.raises(NotificationError, match="SMTPAuthenticationError"):
        send_email(channel, alarm_payload(ALARM, "raised"), timeout=5)
    # without the CA the server's certificate is not trusted
    untrusted = Channel(**{**channel.__dict__, "cafile": None})
    with pytest.raises(NotificationError, match="CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError"):
        send_email(untrusted, alarm_payload(ALARM, "raised"), timeout=5)
    # a server that requires STARTTLS refuses a plain session
    plain = Channel(**{**channel.__dict__, "security": "none", "username": None})
    with pytest.raises(NotificationError, match="STARTTLS"):
        send_email(plain, alarm_payload(ALARM, "raised"), timeout=5)


def test_email_server_down() -> None:
    channel = Channel(
        name="mail",
        kind="email",
        host="127.0.0.1",
        port=free_port(),
        sender="a@example.com",
        to=("b@example.com",),
    )
    with pytest.raises(NotificationError, match="ConnectionRefusedError"):
        send_email(channel, alarm_payload(ALARM, "raised"), timeout=2)
