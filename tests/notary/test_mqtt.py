"""Signed batches over MQTT (shuixiao/v1/<enterprise>/batch/signed/<device>) against a real broker."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shuixiao.ingest.mqtt import CommitReport, MqttWorker, signed_batch_topic
from shuixiao.notary import audit_store

from ._helpers import Device, E, Node

pytestmark = pytest.mark.integration


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_signed_batches_over_mqtt_are_logged_and_refusals_quarantined(
    node: Node, device: Device, broker: tuple[str, int]
) -> None:
    tag = uuid.uuid4().hex[:10]
    prefix = f"test-{tag}/shuixiao/v1"
    commits: list[CommitReport] = []
    lines: list[str] = []
    worker = MqttWorker(
        node.store,
        host=broker[0],
        port=broker[1],
        prefix=prefix,
        group=f"g{tag}",
        client_id=f"signed-{tag}",
        session_expiry=0,
        pipeline=node.pipeline,
        on_commit=commits.append,
        on_status=lines.append,
    )
    thread = threading.Thread(target=worker.run)
    thread.start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    publisher.connect(*broker)
    publisher.loop_start()
    try:
        _wait(lambda: any(line.startswith("subscribed") for line in lines), "the worker to subscribe")
        assert any("batch/signed/+" in line for line in lines)
        topic = signed_batch_topic(E, device.name, prefix)
        payloads = [device.next(i) for i in range(3)]
        for payload in [*payloads, payloads[1]]:  # the gateway re-sends one after a lost PUBACK
            publisher.publish(topic, json.dumps(payload).encode(), qos=1).wait_for_publish(10)
        publisher.publish(
            signed_batch_topic(E, "gw-other", prefix), json.dumps(payloads[0]), qos=1
        ).wait_for_publish(10)
        publisher.publish(topic, b"{not json", qos=1).wait_for_publish(10)
        _wait(lambda: sum(c.messages for c in commits) == 6, "six messages")
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        worker.stop(retire=True)
        thread.join(20)
    assert (sum(c.signed for c in commits), sum(c.refused for c in commits)) == (4, 2)
    assert sum(c.accepted for c in commits) == 0  # readings of signed batches are counted by the ledger
    assert node.ledger.local_log().size == 3 and node.store.count_readings(E) == 6
    quarantined = node.store.list_quarantine(E)
    assert sorted(q.message.split(":")[0] for q in quarantined) == [
        "signed batch refused (malformed)",
        "signed batch refused (malformed)",
    ]
    assert audit_store(node.store).ok
