"""Publishers: send the agent's readings to the platform and report exactly what it acknowledged.

Both publishers take a list of waiting readings (:class:`~shuixiao.field.buffer.Pending`)
and return an :class:`Outcome`: which readings the platform acknowledged (they
leave the buffer), which it rejected (they go to the rejected list), and, if
not everything went through, why (the agent backs off and tries again).

:class:`MqttPublisher`
    publishes gateway batches (``<prefix>/<enterprise>/batch``, a JSON list of
    ``{"meter", "ts", "value", "unit", "quality"}``, the payload ``shuixiao
    ingest mqtt`` reads) with QoS 1.  A message counts as acknowledged when
    the broker's PUBACK reports success.  A PUBACK with *no matching
    subscribers* (MQTT 5) means no ingest worker and no worker session would
    take the message: the readings stay buffered.  The ingest worker
    quarantines what it rejects; MQTT carries no per-reading answer back, so
    those readings leave the agent's buffer and are found in the platform's
    quarantine (``shuixiao ingest quarantine list``).
:class:`HttpPublisher`
    posts ``{"enterprise", "readings"}`` to ``<url>/api/v1/ingest/readings``
    with the device token and reads the per-reading results: accepted and
    duplicate readings are acknowledged, rejected ones go to the agent's
    rejected list with the platform's reason and quarantine id.

Signed batches (:meth:`MqttPublisher.send_batch`, :meth:`HttpPublisher.send_batch`)
travel in the JSON transport form of :mod:`shuixiao.notary.transport`: over MQTT
to ``<prefix>/<enterprise>/batch/signed/<device>`` (acknowledged by the PUBACK;
a refused batch is quarantined by the worker), over HTTP to
``<url>/api/v1/ingest/batches``, whose answer says whether the batch was logged
(``accepted``, ``replay``) or ``refused``, and which of its readings were rejected.
:meth:`HttpPublisher.send_batches` posts a backlog of up to :data:`MAX_BATCHES`
batches in one request (``{"batches": [...]}``) and reads the same answer per batch.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode

from shuixiao.errors import InvalidInputError
from shuixiao.field.buffer import Pending, SealedBatch

__all__ = [
    "DEFAULT_PREFIX",
    "MAX_BATCHES",
    "MAX_PAYLOAD",
    "MAX_READINGS",
    "BatchOutcome",
    "HttpPublisher",
    "MqttPublisher",
    "Outcome",
    "Publisher",
    "TlsFiles",
    "batch_topic",
]

DEFAULT_PREFIX: Final = "shuixiao/v1"
"""Topic prefix of the platform's MQTT scheme (``docs/ingestion.md``)."""
MAX_PAYLOAD: Final = 1_048_576
"""Largest message the ingest worker reads. [bytes]"""
MAX_READINGS: Final = 10_000
"""Most readings the ingest worker reads in one message."""
MAX_BATCHES: Final = 100
"""Most signed batches :meth:`HttpPublisher.send_batches` posts in one request."""
_NO_SUBSCRIBERS: Final = 16  # MQTT 5 PUBACK reason "No matching subscribers"
_GZIP_ABOVE: Final = 16_384  # HTTP bodies larger than this are sent gzip-compressed [bytes]
_BATCHES_BODY: Final = 4_194_304  # JSON of several signed batches in one request, before gzip [bytes]


def batch_topic(enterprise: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the topic a gateway publishes batches of readings to.

    Examples
    --------
    >>> batch_topic("ronghu-steel")
    'shuixiao/v1/ronghu-steel/batch'
    """
    if not enterprise or any(c in enterprise for c in "/+#\x00"):
        raise InvalidInputError(
            f"enterprise {enterprise!r} cannot be a topic level (empty, or contains / + #)"
        )
    return f"{prefix}/{enterprise}/batch"


@dataclass(frozen=True)
class Outcome:
    """What the platform did with a send.

    Parameters
    ----------
    acknowledged : list of int
        Outbox ids the platform has (accepted now, or already stored).
    rejected : list of (int, str, str, int or None)
        Outbox id, reason code, message and quarantine id of readings it refused.
    error : str or None
        Why the other readings were not delivered (they stay buffered).
    retry_after : float or None
        How long the platform asked the agent to wait. [s]
    too_large : bool
        The platform refused the request as too large: send fewer readings at once.
    """

    acknowledged: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str, str, int | None]] = field(default_factory=list)
    error: str | None = None
    retry_after: float | None = None
    too_large: bool = False


@dataclass(frozen=True)
class BatchOutcome:
    """What the platform did with a signed batch.

    Parameters
    ----------
    acknowledged : bool
        The platform logged the batch (or had it logged already): it leaves the buffer.
    refused : tuple of (str, str), optional
        The platform refused the batch: reason code and message (its readings go to the rejected list).
    rejected : list of (int, str, str, int or None)
        Readings of an acknowledged batch the pipeline rejected: position in the batch,
        reason, message, quarantine id.
    error : str or None
        Why the batch was not delivered (it stays buffered and is sent again).
    retry_after : float or None
        How long the platform asked the agent to wait. [s]
    """

    acknowledged: bool = False
    refused: tuple[str, str] | None = None
    rejected: list[tuple[int, str, str, int | None]] = field(default_factory=list)
    error: str | None = None
    retry_after: float | None = None


class Publisher(Protocol):
    """Sends readings and signed batches to the platform."""

    def send(self, items: Sequence[Pending]) -> Outcome:
        """Send ``items``; report what the platform acknowledged or rejected."""

    def send_batch(self, batch: SealedBatch) -> BatchOutcome:
        """Send one signed batch; report what the platform did with it."""

    def send_batches(self, batches: Sequence[SealedBatch]) -> list[BatchOutcome]:
        """Send signed batches in order; one outcome per batch sent, the last one's error ending the send.

        The outcomes cover a leading part of ``batches`` (all of them, or fewer when the
        publisher sends fewer at once); the batches after it were not sent.
        """

    def close(self) -> None:
        """Disconnect."""


def _chunks(items: Sequence[Pending], size: int) -> Iterator[tuple[list[Pending], bytes]]:
    """Split ``items`` into JSON list payloads of at most ``size`` readings and :data:`MAX_PAYLOAD` bytes."""
    chunk: list[Pending] = []
    parts: list[bytes] = []
    length = 2
    for item in items:
        part = json.dumps(item.reading.to_json(), ensure_ascii=False).encode()
        if chunk and (len(chunk) >= size or length + len(part) + 1 > MAX_PAYLOAD):
            yield chunk, b"[" + b",".join(parts) + b"]"
            chunk, parts, length = [], [], 2
        chunk.append(item)
        parts.append(part)
        length += len(part) + 1
    if chunk:
        yield chunk, b"[" + b",".join(parts) + b"]"


@dataclass(frozen=True)
class TlsFiles:
    """TLS settings of a connection.

    Parameters
    ----------
    ca_file : str, optional
        CA certificates to verify the server with; the system's when None.
    cert_file, key_file : str, optional
        The agent's client certificate and key (brokers that authenticate devices by certificate).
    """

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


class MqttPublisher:
    """Publishes readings to the platform's MQTT broker, QoS 1 (see the module documentation).

    Parameters
    ----------
    host, port : str, int
        The broker.
    enterprise : str
        Enterprise whose meters the agent reads (a level of the topic).
    prefix : str
        Topic prefix.
    client_id : str
        The agent's client id at the broker.
    username, password : str, optional
        The agent's credentials.
    tls : TlsFiles, optional
        Connect with TLS.
    keepalive : int
        MQTT keep-alive. [s]
    timeout : float
        How long to wait for the connection and for each PUBACK. [s]
    chunk : int
        Most readings in one message (at most :data:`MAX_READINGS`).
    """

    def __init__(
        self,
        host: str,
        port: int,
        enterprise: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        tls: TlsFiles | None = None,
        keepalive: int = 60,
        timeout: float = 10.0,
        chunk: int = 500,
    ) -> None:
        if not 1 <= chunk <= MAX_READINGS:
            raise InvalidInputError(f"an MQTT message holds 1 to {MAX_READINGS} readings, not {chunk}")
        self.topic = batch_topic(enterprise, prefix)
        self._address = (host, port)
        self._client_id = client_id
        self._credentials = (username, password)
        self._tls = tls
        self._keepalive = keepalive
        self._timeout = timeout
        self._chunk = chunk
        self._client: mqtt.Client | None = None
        self._ready = threading.Event()
        self._refusal: str | None = None
        self._acks: dict[int, ReasonCode] = {}
        self._arrived = threading.Condition()

    # --- connection -----------------------------------------------------------------------------

    def _connect(self) -> str | None:
        """Connect; return None, or why it failed."""
        self._teardown()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            reconnect_on_failure=False,
        )
        username, password = self._credentials
        if username is not None:
            client.username_pw_set(username, password)
        if self._tls is not None:
            try:
                client.tls_set(
                    ca_certs=self._tls.ca_file, certfile=self._tls.cert_file, keyfile=self._tls.key_file
                )
            except (OSError, ValueError) as err:
                return f"cannot set up TLS with {self._tls}: {err}"
        client.connect_timeout = self._timeout
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_publish = self._published
        self._ready.clear()
        self._refusal = None
        host, port = self._address
        try:
            client.connect(host, port, self._keepalive, clean_start=True)
        except (OSError, ValueError) as err:
            return f"cannot reach the MQTT broker {host}:{port}: {err}"
        client.loop_start()
        self._client = client
        if not self._ready.wait(self._timeout) or self._refusal is not None:
            why = self._refusal or f"no answer within {self._timeout:g} s"
            self._teardown()
            return f"the MQTT broker {host}:{port} did not accept the connection: {why}"
        return None

    def _connected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _p: Any
    ) -> None:
        if reason.is_failure:
            self._refusal = str(reason)
        self._ready.set()

    def _disconnected(self, _client: mqtt.Client, _userdata: Any, _flags: Any, _reason: Any, _p: Any) -> None:
        self._ready.clear()
        with self._arrived:
            self._arrived.notify_all()

    def _published(self, _client: mqtt.Client, _userdata: Any, mid: int, reason: ReasonCode, _p: Any) -> None:
        with self._arrived:
            self._acks[mid] = reason
            self._arrived.notify_all()

    def _teardown(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()
        with self._arrived:
            self._acks.clear()

    # --- sending ------------------------------------------------------------------------------

    def _publish(self, messages: Sequence[tuple[str, bytes]]) -> tuple[list[int], str | None]:
        """Publish QoS 1 messages and wait for their PUBACKs; return the indices acknowledged, and the error."""
        if self._client is None or not self._client.is_connected():
            failure = self._connect()
            if failure is not None:
                return [], failure
        client = self._client
        assert client is not None
        sent: list[tuple[int, int, str]] = []
        error = None
        for index, (topic, payload) in enumerate(messages):
            info = client.publish(topic, payload, qos=1)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                error = f"could not publish to {topic}: {mqtt.error_string(info.rc)}"
                break
            sent.append((index, info.mid, topic))
        acknowledged: list[int] = []
        deadline = time.monotonic() + self._timeout
        with self._arrived:
            for index, mid, topic in sent:
                while mid not in self._acks and client.is_connected():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._arrived.wait(left)
                reason = self._acks.pop(mid, None)
                if reason is None:
                    error = error or (
                        f"no PUBACK from the broker within {self._timeout:g} s"
                        if client.is_connected()
                        else "the connection to the broker was lost before its PUBACK"
                    )
                elif reason.value == _NO_SUBSCRIBERS:
                    error = error or (
                        f"the broker has no subscriber for {topic} (no ingest worker and no worker "
                        "session): the readings stay buffered; start `shuixiao ingest mqtt`"
                    )
                elif reason.is_failure:
                    error = error or f"the broker refused the message on {topic}: {reason}"
                else:
                    acknowledged.append(index)
        if error is not None and (not client.is_connected() or "PUBACK" in error):
            self._teardown()  # start afresh: nothing half-sent lingers in the client
        return acknowledged, error

    def send(self, items: Sequence[Pending]) -> Outcome:
        """Publish ``items`` in messages of at most ``chunk`` readings and wait for every PUBACK."""
        chunks = list(_chunks(items, self._chunk))
        acknowledged, error = self._publish([(self.topic, payload) for _, payload in chunks])
        return Outcome(acknowledged=[p.id for i in acknowledged for p in chunks[i][0]], error=error)

    def send_batch(self, batch: SealedBatch) -> BatchOutcome:
        """Publish a signed batch to ``<prefix>/<enterprise>/batch/signed/<device>`` and wait for its PUBACK."""
        device = str(batch.document.get("device", ""))
        if not device or any(c in device for c in "/+#\x00"):
            raise InvalidInputError(f"device {device!r} cannot be a topic level")
        topic = f"{self.topic}/signed/{device}"
        payload = json.dumps(batch.document, ensure_ascii=False).encode()
        acknowledged, error = self._publish([(topic, payload)])
        return BatchOutcome(acknowledged=bool(acknowledged), error=error)

    def send_batches(self, batches: Sequence[SealedBatch]) -> list[BatchOutcome]:
        """Publish signed batches one at a time, each after the previous one's PUBACK; stop at a failure."""
        outcomes = []
        for batch in batches:
            outcomes.append(self.send_batch(batch))
            if not outcomes[-1].acknowledged:
                break
        return outcomes

    def close(self) -> None:
        """Disconnect from the broker."""
        self._teardown()


def _retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (RFC 9110 §10.2.3: seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(moment.timestamp() - time.time(), 0.0)


def _batch_outcome(answer: Any) -> BatchOutcome | None:
    """What a signed batch's result (the notary's answer) reports; None when it reports no known status."""
    status = answer.get("status") if isinstance(answer, dict) else None
    if status in ("accepted", "replay"):
        rejected = []
        results = ((answer.get("readings") or {}).get("results")) or []
        for position, result in enumerate(results):
            if isinstance(result, dict) and result.get("status") == "rejected":
                quarantine = result.get("quarantine_id")
                rejected.append(
                    (
                        position,
                        str(result.get("reason") or "rejected"),
                        str(result.get("message") or ""),
                        quarantine if isinstance(quarantine, int) else None,
                    )
                )
        return BatchOutcome(acknowledged=True, rejected=rejected)
    if status == "refused":
        return BatchOutcome(
            refused=(str(answer.get("reason") or "refused"), str(answer.get("message") or ""))
        )
    return None


def _detail(response: httpx.Response) -> str:
    """The platform's explanation of an error answer (a JSON problem's detail, or the start of the body)."""
    try:
        document = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(document, dict):
        for key in ("detail", "message", "title"):
            if isinstance(document.get(key), str):
                return str(document[key])
    return response.text[:200]


class HttpPublisher:
    """Posts readings to the platform's HTTP ingestion endpoint (see the module documentation).

    Parameters
    ----------
    url : str
        The platform's base URL, e.g. ``https://water.example.cn``.
    enterprise : str
        Enterprise whose meters the agent reads.
    token : str
        The device token (sent as ``Authorization: Bearer``).
    timeout : float
        Connect and read timeout of each request. [s]
    verify : bool or str
        Verify the server's certificate (a CA bundle path, or False for none).
    transport : httpx.BaseTransport, optional
        The transport to use (tests inject one); a network transport when None.
    """

    PATH: Final = "/api/v1/ingest/readings"
    BATCH_PATH: Final = "/api/v1/ingest/batches"

    def __init__(
        self,
        url: str,
        enterprise: str,
        token: str,
        *,
        timeout: float = 30.0,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInputError(f"the platform URL must start with http:// or https://, not {url!r}")
        self.base = url.rstrip("/")
        self.endpoint = self.base + self.PATH
        self._enterprise = enterprise
        self._most_batches = MAX_BATCHES
        self._client = httpx.Client(
            timeout=timeout,
            verify=verify,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "User-Agent": "shuixiao-agent"},
        )

    def _post(self, path: str, document: dict[str, Any]) -> httpx.Response | str:
        """Post ``document`` as JSON (gzip when large); return the response, or why there is none."""
        return self._post_json(path, json.dumps(document, ensure_ascii=False).encode())

    def _post_json(self, path: str, body: bytes) -> httpx.Response | str:
        """Post a JSON body (gzip when large); return the response, or why there is none."""
        headers = {"Content-Type": "application/json"}
        if len(body) > _GZIP_ABOVE:
            body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
        try:
            return self._client.post(self.base + path, content=body, headers=headers)
        except httpx.HTTPError as err:
            return f"cannot reach the platform at {self.base + path}: {err}"

    def _failure(self, response: httpx.Response) -> Outcome:
        status, detail = response.status_code, _detail(response)
        if status in (401, 403):
            return Outcome(
                error=f"the platform refused the device token (HTTP {status}: {detail}); "
                "check the token and that the device belongs to the enterprise"
            )
        if status == 413:
            return Outcome(
                error=f"the platform found the request too large (HTTP 413: {detail})", too_large=True
            )
        return Outcome(
            error=f"the platform answered HTTP {status} at {response.request.url}: {detail}",
            retry_after=_retry_after(response),
        )

    def send(self, items: Sequence[Pending]) -> Outcome:
        """Post ``items`` in one request and read the per-reading results."""
        document = {"enterprise": self._enterprise, "readings": [p.reading.to_json() for p in items]}
        response = self._post(self.PATH, document)
        if isinstance(response, str):
            return Outcome(error=response)
        if response.status_code == 200:
            return self._results(items, response)
        return self._failure(response)

    def send_batch(self, batch: SealedBatch) -> BatchOutcome:
        """Post a signed batch to ``<url>/api/v1/ingest/batches`` and read the notarised ingestion's answer."""
        response = self._post(self.BATCH_PATH, batch.document)
        if isinstance(response, str):
            return BatchOutcome(error=response)
        try:
            outcome = _batch_outcome(response.json())
        except ValueError:
            outcome = None
        if outcome is not None and (
            response.status_code == 200 if outcome.acknowledged else response.status_code < 500
        ):
            return outcome
        failure = self._failure(response)
        return BatchOutcome(error=failure.error, retry_after=failure.retry_after)

    def send_batches(self, batches: Sequence[SealedBatch]) -> list[BatchOutcome]:
        """Post the leading signed batches of ``batches`` in one request and read one result per batch.

        A request holds at most :data:`MAX_BATCHES` batches and 4 MiB of JSON (before gzip), as
        ``{"batches": [...]}``; a single batch goes as itself (:meth:`send_batch`).  The outcomes
        follow the batches sent, in order, up to the first one without a usable result.  When the
        platform finds the request too large (413) the next requests hold half as many batches.
        """
        parts: list[bytes] = []
        size = 2
        for batch in batches[: self._most_batches]:
            part = json.dumps(batch.document, ensure_ascii=False).encode()
            if parts and size + len(part) + 1 > _BATCHES_BODY:
                break
            parts.append(part)
            size += len(part) + 1
        if len(parts) <= 1:
            return [self.send_batch(batch) for batch in batches[:1]]
        response = self._post_json(self.BATCH_PATH, b'{"batches":[' + b",".join(parts) + b"]}")
        if isinstance(response, str):
            return [BatchOutcome(error=response)]
        if response.status_code != 200:
            failure = self._failure(response)
            if failure.too_large:
                self._most_batches = max(len(parts) // 2, 1)
            return [BatchOutcome(error=failure.error, retry_after=failure.retry_after)]
        try:
            results = response.json()["results"]
            if not isinstance(results, list) or len(results) != len(parts):
                raise ValueError(f"{len(results)} results for {len(parts)} batches")
        except (ValueError, KeyError, TypeError) as err:
            where = self.base + self.BATCH_PATH
            return [BatchOutcome(error=f"the platform's answer at {where} has no readable results: {err}")]
        outcomes = []
        for n, result in enumerate(results, start=1):
            outcome = _batch_outcome(result)
            if outcome is None:
                outcome = BatchOutcome(
                    error=f"the platform gave an unknown status for batch {n} of the request"
                )
            outcomes.append(outcome)
            if outcome.error is not None:
                break
        return outcomes

    def _results(self, items: Sequence[Pending], response: httpx.Response) -> Outcome:
        try:
            results = response.json()["results"]
            if not isinstance(results, list) or len(results) != len(items):
                raise ValueError(f"{len(results)} results for {len(items)} readings")
        except (ValueError, KeyError, TypeError) as err:
            return Outcome(error=f"the platform's answer at {self.endpoint} has no readable results: {err}")
        acknowledged: list[int] = []
        rejected: list[tuple[int, str, str, int | None]] = []
        for item, result in zip(items, results, strict=True):
            outcome = result.get("status") if isinstance(result, dict) else None
            if outcome in ("accepted", "duplicate"):
                acknowledged.append(item.id)
            elif outcome == "rejected":
                quarantine = result.get("quarantine_id")
                rejected.append(
                    (
                        item.id,
                        str(result.get("reason") or "rejected"),
                        str(result.get("message") or ""),
                        quarantine if isinstance(quarantine, int) else None,
                    )
                )
        if len(acknowledged) + len(rejected) < len(items):
            return Outcome(
                acknowledged, rejected, error="the platform gave an unknown status for some readings"
            )
        return Outcome(acknowledged, rejected)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
