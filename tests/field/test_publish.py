"""Publishers: MQTT against a real broker, HTTP response handling through an injected transport."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from shuixiao.errors import InvalidInputError
from shuixiao.field._records import FieldReading
from shuixiao.field.buffer import Pending, SealedBatch
from shuixiao.field.publish import MAX_BATCHES, HttpPublisher, MqttPublisher, TlsFiles, batch_topic
from shuixiao.ingest._messages import decode
from shuixiao.ingest.mqtt import batch_topic as worker_batch_topic

from ._servers import Mosquitto, free_port, make_certificates, wait_for

T0 = 1_735_689_600


def _pending(n: int, meter: str = "FT-101") -> list[Pending]:
    return [Pending(k + 1, FieldReading(meter, T0 + 900 * k, 10.0 + k / 3, "m³/h", "good")) for k in range(n)]


class Listener:
    """A subscriber on the test's own topic prefix, as an ingest worker would be."""

    def __init__(self, broker: tuple[str, int], prefix: str) -> None:
        self.messages: list[mqtt.MQTTMessage] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        subscribed = threading.Event()
        self.client.on_message = lambda _c, _u, message: self.messages.append(message)
        self.client.on_subscribe = lambda *_args: subscribed.set()
        self.client.connect(*broker)
        self.client.loop_start()
        self.client.subscribe(f"{prefix}/#", qos=1)
        assert subscribed.wait(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:10]}/shuixiao/v1"


@pytest.fixture
def listener(broker: tuple[str, int], prefix: str) -> Iterator[Listener]:
    listening = Listener(broker, prefix)
    yield listening
    listening.close()


@pytest.mark.integration
def test_mqtt_messages_are_what_the_ingest_worker_reads(
    broker: tuple[str, int], prefix: str, listener: Listener
) -> None:
    publisher = MqttPublisher(
        *broker, "xg-steel", prefix=prefix, client_id=f"agent-{uuid.uuid4().hex}", chunk=500
    )
    try:
        items = _pending(1_200)
        outcome = publisher.send(items)
    finally:
        publisher.close()
    assert outcome.error is None and outcome.rejected == []
    assert outcome.acknowledged == [p.id for p in items]
    wait_for(lambda: len(listener.messages) == 3, "three messages")
    assert publisher.topic == worker_batch_topic("xg-steel", prefix) == batch_topic("xg-steel", prefix)
    records = []
    for message in listener.messages:
        assert message.qos == 1
        decoded = decode(message.topic, bytes(message.payload), prefix)
        assert decoded.enterprise == "xg-steel"
        records += decoded.columns.records()
    assert [len(json.loads(m.payload)) for m in listener.messages] == [500, 500, 200]
    assert [(r.meter, r.ts, r.value, r.unit, r.quality) for r in records] == [
        (p.reading.meter, p.reading.ts, p.reading.value, p.reading.unit, p.reading.quality) for p in items
    ]


@pytest.mark.integration
def test_without_a_subscriber_nothing_counts_as_delivered(broker: tuple[str, int], prefix: str) -> None:
    publisher = MqttPublisher(*broker, "xg-steel", prefix=prefix, client_id=f"agent-{uuid.uuid4().hex}")
    try:
        outcome = publisher.send(_pending(3))
        assert outcome.acknowledged == []
        assert outcome.error is not None and "no subscriber" in outcome.error
        assert "start `shuixiao ingest mqtt`" in outcome.error
    finally:
        publisher.close()


@pytest.mark.integration
def test_an_unreachable_broker_is_reported() -> None:
    publisher = MqttPublisher("127.0.0.1", free_port(), "xg-steel", client_id="agent-nowhere", timeout=2)
    outcome = publisher.send(_pending(2))
    publisher.close()
    assert outcome.acknowledged == [] and outcome.error is not None
    assert outcome.error.startswith("cannot reach the MQTT broker 127.0.0.1:")


@pytest.mark.integration
def test_a_refused_connection_is_reported(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "broker", anonymous=False)
    broker.start()
    try:
        publisher = MqttPublisher(
            *broker.address, "xg-steel", client_id="agent-1", username="gw", password="x"
        )
        outcome = publisher.send(_pending(1))
        publisher.close()
    finally:
        broker.stop()
    assert outcome.acknowledged == [] and outcome.error is not None
    assert "did not accept the connection: Not authorized" in outcome.error


@pytest.mark.integration
# paho-mqtt 2.2 leaves the TLS socket of a failed handshake unclosed (client.py, _ssl_wrap_socket); the
# garbage collector closes it and warns.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_tls_to_the_broker(tmp_path: Path) -> None:
    ca, certificate, key = make_certificates(tmp_path / "tls")
    broker = Mosquitto(tmp_path / "broker", tls=(ca, certificate, key))
    broker.start()
    try:
        good = MqttPublisher(
            *broker.address, "xg-steel", client_id="agent-tls", tls=TlsFiles(ca_file=str(ca))
        )
        outcome = good.send(_pending(2))
        good.close()
        stranger = make_certificates(tmp_path / "other")[0]
        bad = MqttPublisher(
            *broker.address,
            "xg-steel",
            client_id="agent-tls-2",
            tls=TlsFiles(ca_file=str(stranger)),
            timeout=2,
        )
        refused = bad.send(_pending(1))
        bad.close()
        missing = MqttPublisher(
            *broker.address,
            "xg-steel",
            client_id="agent-tls-3",
            tls=TlsFiles(ca_file=str(tmp_path / "none.crt")),
        )
        unusable = missing.send(_pending(1))
        missing.close()
    finally:
        broker.stop()
    assert (
        outcome.error is not None and "no subscriber" in outcome.error
    )  # delivered over TLS, nobody listening
    assert refused.error is not None and "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert unusable.error is not None and unusable.error.startswith("cannot set up TLS")


def test_publisher_options_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="1 to 10000 readings"):
        MqttPublisher("127.0.0.1", 1883, "xg-steel", client_id="a", chunk=20_000)
    with pytest.raises(InvalidInputError, match="cannot be a topic level"):
        MqttPublisher("127.0.0.1", 1883, "xg/steel", client_id="a")
    with pytest.raises(InvalidInputError, match="must start with http"):
        HttpPublisher("ftp://platform", "xg-steel", "token")


# --- HTTP: the answers of the contract, through an injected transport -----------------------------------


def _http(handler: Any) -> HttpPublisher:
    return HttpPublisher(
        "https://platform.test/", "xg-steel", "device-token", transport=httpx.MockTransport(handler)
    )


@pytest.mark.unit
def test_http_results_are_matched_to_the_readings_sent() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        results = [
            {"status": "accepted"},
            {"status": "duplicate"},
            {
                "status": "rejected",
                "reason": "unknown_meter",
                "message": "no meter FT-101",
                "quarantine_id": 41,
            },
        ]
        assert body["enterprise"] == "xg-steel" and len(body["readings"]) == 3
        return httpx.Response(200, json={"accepted": 1, "duplicate": 1, "rejected": 1, "results": results})

    publisher = _http(handler)
    items = _pending(3)
    outcome = publisher.send(items)
    publisher.close()
    assert outcome.error is None
    assert outcome.acknowledged == [1, 2]
    assert outcome.rejected == [(3, "unknown_meter", "no meter FT-101", 41)]
    (request,) = seen
    assert request.url == "https://platform.test/api/v1/ingest/readings"
    assert request.headers["Authorization"] == "Bearer device-token"
    assert "Content-Encoding" not in request.headers


@pytest.mark.unit
def test_large_http_bodies_are_compressed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Content-Encoding"] == "gzip"
        count = len(json.loads(gzip.decompress(request.content))["readings"])
        return httpx.Response(200, json={"results": [{"status": "accepted"}] * count})

    publisher = _http(handler)
    assert len(publisher.send(_pending(500)).acknowledged) == 500
    publisher.close()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("response", "fragment", "retry_after", "too_large"),
    [
        (
            httpx.Response(401, json={"detail": "unknown device token"}),
            "refused the device token (HTTP 401",
            None,
            False,
        ),
        (httpx.Response(413, text="too big"), "too large", None, True),
        (httpx.Response(503, headers={"Retry-After": "120"}, text="maintenance"), "HTTP 503", 120.0, False),
        (
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            "HTTP 429",
            0.0,
            False,
        ),
        (httpx.Response(200, json={"results": []}), "no readable results", None, False),
        (httpx.Response(200, text="<html>proxy</html>"), "no readable results", None, False),
        (httpx.Response(200, json={"results": [{"status": "queued"}]}), "unknown status", None, False),
    ],
)
def test_http_failures_keep_the_readings(
    response: httpx.Response, fragment: str, retry_after: float | None, too_large: bool
) -> None:
    publisher = _http(lambda _request: response)
    outcome = publisher.send(_pending(1))
    publisher.close()
    assert outcome.acknowledged == [] and outcome.rejected == []
    assert outcome.error is not None and fragment in outcome.error
    assert outcome.retry_after == retry_after and outcome.too_large is too_large


@pytest.mark.unit
def test_http_network_errors_keep_the_readings() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    publisher = _http(handler)
    started = time.monotonic()
    outcome = publisher.send(_pending(2))
    publisher.close()
    assert (
        outcome.error
        == "cannot reach the platform at https://platform.test/api/v1/ingest/readings: connection refused"
    )
    assert time.monotonic() - started < 5


def _sealed(n: int) -> list[SealedBatch]:
    return [SealedBatch(i, {"device": "gw-1", "sequence": i, "readings": []}, 2) for i in range(n)]


def _batch_result(status: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "reason": None, "message": "", "readings": None} | extra


@pytest.mark.unit
def test_a_backlog_of_signed_batches_goes_in_one_request() -> None:
    seen: list[Any] = []
    rejected = {"status": "rejected", "reason": "wrong_unit", "message": "kg", "quarantine_id": 7}
    answers = [
        _batch_result("accepted", readings={"results": [{"status": "accepted"}, rejected]}),
        _batch_result("replay"),
        _batch_result("refused", reason="bad_signature", message="no key signed it"),
        _batch_result("accepted"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "batches" not in body:
            return httpx.Response(200, json=answers[0])
        return httpx.Response(200, json={"accepted": 2, "replay": 1, "refused": 1, "results": answers})

    publisher = _http(handler)
    batches = _sealed(4)
    outcomes = publisher.send_batches(batches)
    assert seen == [{"batches": [b.document for b in batches]}]
    assert [(o.acknowledged, o.refused, o.error) for o in outcomes] == [
        (True, None, None),
        (True, None, None),
        (False, ("bad_signature", "no key signed it"), None),
        (True, None, None),
    ]
    assert outcomes[0].rejected == [(1, "wrong_unit", "kg", 7)]
    seen.clear()
    answers[:] = [_batch_result("accepted")]
    assert [o.acknowledged for o in publisher.send_batches(batches[:1])] == [True]
    assert seen == [batches[0].document]  # one batch travels as itself
    publisher.close()


@pytest.mark.unit
def test_a_request_holds_at_most_max_batches() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        count = len(json.loads(gzip.decompress(request.content))["batches"])
        return httpx.Response(200, json={"results": [_batch_result("accepted")] * count})

    publisher = _http(handler)
    batches = [
        SealedBatch(i, {"sequence": i, "readings": [{"meter": "FT-101"}] * 10}, 10) for i in range(110)
    ]
    outcomes = publisher.send_batches(batches)  # over 16 KiB: gzip
    assert len(outcomes) == MAX_BATCHES and all(o.acknowledged for o in outcomes)
    large = [SealedBatch(i, {"sequence": i, "note": "x" * 1_500_000}, 1) for i in range(3)]
    assert len(publisher.send_batches(large)) == 2  # 4 MiB of JSON at most
    publisher.close()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("response", "fragment", "sent"),
    [
        (httpx.Response(200, json={"results": [_batch_result("accepted")]}), "no readable results", 1),
        (
            httpx.Response(
                200,
                json={"results": [_batch_result("accepted"), {"status": "queued"}, _batch_result("replay")]},
            ),
            "unknown status for batch 2",
            2,
        ),
        (httpx.Response(503, headers={"Retry-After": "60"}), "HTTP 503", 1),
        (httpx.Response(422, json={"detail": "not a signed batch"}), "not a signed batch", 1),
    ],
)
def test_a_backlog_without_a_usable_answer_stays(response: httpx.Response, fragment: str, sent: int) -> None:
    publisher = _http(lambda _request: response)
    outcomes = publisher.send_batches(_sealed(3))
    publisher.close()
    assert len(outcomes) == sent and all(o.acknowledged for o in outcomes[:-1])
    last = outcomes[-1]
    assert not last.acknowledged and last.refused is None
    assert last.error is not None and fragment in last.error
    assert last.retry_after == (60.0 if response.status_code == 503 else None)


@pytest.mark.unit
def test_a_backlog_too_large_for_the_platform_is_halved() -> None:
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        count = len(json.loads(request.content)["batches"])
        sizes.append(count)
        if count > 2:
            return httpx.Response(413, json={"detail": "3 signed batches in one request is over the limit"})
        return httpx.Response(200, json={"results": [_batch_result("accepted")] * count})

    publisher = _http(handler)
    batches = _sealed(4)
    refused = publisher.send_batches(batches)
    assert len(refused) == 1 and refused[0].error is not None and "too large" in refused[0].error
    assert [o.acknowledged for o in publisher.send_batches(batches)] == [True, True]
    publisher.close()
    assert sizes == [4, 2]


@pytest.mark.unit
def test_a_backlog_kept_by_a_network_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    publisher = _http(handler)
    (outcome,) = publisher.send_batches(_sealed(3))
    publisher.close()
    assert outcome.error is not None and "cannot reach the platform" in outcome.error
    assert publisher.send_batches([]) == []
