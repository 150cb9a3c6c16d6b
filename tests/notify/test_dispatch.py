"""Notifications queued with alarm changes and sent with retries: nothing is lost when a receiver is down."""

from __future__ import annotations

import datetime as dt

import pytest

from shuixiao.alarms import AlarmSpec, Severity, load_rules
from shuixiao.notify import Channel, NotifyConfig, backoff, deliver_due, make_outbox
from shuixiao.storage import AlarmStore, Store
from tests.notify.conftest import SmtpServer, WebhookReceiver, free_port, start_smtp

pytestmark = pytest.mark.integration

T0 = dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC)
SPEC = AlarmSpec(
    "xg-steel", "offline", "FT-101", Severity.MAJOR, "FT-101 离线", "FT-101 offline", raised_at=T0
)


def test_channels_get_what_they_asked_for(store: Store, webhook: WebhookReceiver) -> None:
    config = NotifyConfig(
        (
            Channel(
                "all", "webhook", url=webhook.url, min_severity=Severity.INFO, events=("raised", "cleared")
            ),
            Channel("critical", "webhook", url=webhook.url, min_severity=Severity.CRITICAL),
            Channel("other-plant", "webhook", url=webhook.url, enterprises=("zz-paper",)),
        )
    )
    alarms = AlarmStore(store, outbox=make_outbox(config), clock=lambda: T0)
    alarm = alarms.raise_alarm(SPEC)
    alarms.acknowledge(alarm.id, "wang")
    alarms.clear(alarm.id, "wang")
    queued = alarms.list_deliveries(alarm_id=alarm.id)
    assert sorted((d.channel, d.event) for d in queued) == [("all", "cleared"), ("all", "raised")]
    report = deliver_due(alarms, config, load_rules(), now=T0)
    assert len(report.sent) == 2 and {r.json()["event"] for r in webhook.received} == {"raised", "cleared"}
    assert {r.headers["X-Shuixiao-Delivery"] for r in webhook.received} == {str(d.id) for d in queued}


def test_a_receiver_down_gets_the_message_when_it_is_back(store: Store) -> None:
    receiver = WebhookReceiver(free_port())  # not started: the port refuses connections
    config = NotifyConfig((Channel("ops", "webhook", url=receiver.url),))
    alarms = AlarmStore(store, outbox=make_outbox(config), clock=lambda: T0)
    alarms.raise_alarm(SPEC)
    rules = load_rules()
    report = deliver_due(alarms, config, rules, now=T0)
    (waiting,) = report.retrying
    assert waiting.attempts == 1 and "ConnectError" in (waiting.last_error or "")
    assert waiting.next_attempt_at == T0 + dt.timedelta(seconds=60)
    # a new process (new store objects) finds the queued message: nothing lives only in memory
    later = AlarmStore(store)
    assert deliver_due(later, config, rules, now=T0 + dt.timedelta(seconds=30)).sent == []
    receiver.start()
    try:
        report = deliver_due(later, config, rules, now=T0 + dt.timedelta(seconds=61))
    finally:
        receiver.stop()
    (sent,) = report.sent
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert receiver.received[0].json()["alarm"]["key"] == "FT-101"


def test_retries_back_off_then_keep_the_failure(store: Store) -> None:
    config = NotifyConfig((Channel("ops", "webhook", url=f"http://127.0.0.1:{free_port()}/hook"),))
    alarms = AlarmStore(store, outbox=make_outbox(config), clock=lambda: T0)
    alarms.raise_alarm(SPEC)
    rules = load_rules()
    now, waits = T0, []
    for _ in range(40):
        report = deliver_due(alarms, config, rules, now=now)
        if report.failed:
            break
        (waiting,) = report.retrying
        assert waiting.next_attempt_at is not None
        waits.append((waiting.next_attempt_at - now).total_seconds())
        now = waiting.next_attempt_at
    (failed,) = report.failed
    assert failed.status == "failed" and failed.attempts == rules.delivery["max_attempts"].value
    assert waits[:7] == [60, 120, 240, 480, 960, 1920, 3600] and set(waits[6:]) == {3600}
    assert deliver_due(alarms, config, rules, now=now + dt.timedelta(days=1)).sent == []
    assert alarms.retry_failed() == 1 and len(alarms.due_deliveries(now=now + dt.timedelta(days=1))) == 1


def test_a_channel_removed_from_the_config_is_reported(store: Store) -> None:
    config = NotifyConfig((Channel("ops", "webhook", url="http://127.0.0.1:1/x"),), source="notify.toml")
    alarms = AlarmStore(store, outbox=make_outbox(config), clock=lambda: T0)
    alarms.raise_alarm(SPEC)
    report = deliver_due(alarms, NotifyConfig(source="notify.toml"), load_rules(), now=T0)
    assert "channel 'ops' is not in the notification config notify.toml" in (
        report.retrying[0].last_error or ""
    )


def test_email_when_the_smtp_server_comes_back(store: Store) -> None:
    port = free_port()
    config = NotifyConfig(
        (
            Channel(
                "mail", "email", host="127.0.0.1", port=port, sender="a@example.com", to=("b@example.com",)
            ),
        )
    )
    alarms = AlarmStore(store, outbox=make_outbox(config), clock=lambda: T0)
    alarms.raise_alarm(SPEC)
    assert len(deliver_due(alarms, config, load_rules(), now=T0).retrying) == 1
    server: SmtpServer = start_smtp(port)
    try:
        report = deliver_due(alarms, config, load_rules(), now=T0 + dt.timedelta(minutes=2))
    finally:
        server.controller.stop()
    assert len(report.sent) == 1 and server.mailbox.envelopes[0].rcpt_tos == ["b@example.com"]


@pytest.mark.unit
def test_backoff() -> None:
    assert [backoff(n, 60, 3600) for n in range(0, 4)] == [60, 60, 120, 240]
