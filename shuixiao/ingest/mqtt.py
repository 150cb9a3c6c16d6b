"""The MQTT ingestion worker: readings from a broker into the store, acknowledged only after commit.

Topic scheme (see :mod:`shuixiao.ingest._messages` and ``docs/ingestion.md``)::

    shuixiao/v1/<enterprise>/<meter>/reading    {"ts": ..., "value": ..., "unit": ..., "quality": ...}
    shuixiao/v1/<enterprise>/batch              [{"meter": ..., "ts": ..., "value": ...}, ...]
    shuixiao/v1/<enterprise>/batch/signed/<device>   a device-signed batch, {"schema": "shuixiao.batch/2", ...}

Signed batches (the transport form of :mod:`shuixiao.notary.transport`) go to
the notarised ingestion (:func:`shuixiao.notary.ingest_signed_batches`): the
signature and the device's chain are checked, the readings committed and the
batch logged. A refused batch is quarantined whole (``malformed_payload``,
with the refusal in the message) and acknowledged; a fork, a changed past
batch or a bad signature also raises a ledger incident.

Delivery:

* The worker subscribes with QoS 1 through **shared subscriptions**
  (``$share/<group>/…``), so several workers of one group split the messages.
  Given ``enterprises``, it subscribes to those enterprises' topics only
  (:func:`~shuixiao.ingest._messages.subscriptions`): a static partition, so one gateway's
  messages always reach the same worker (or the same few, which share them).
* It uses MQTT 5 with a **persistent session** (``clean_start=False``, a
  session expiry, a fixed client id): messages that arrive while it is down
  wait in the broker, and messages it received but did not acknowledge are
  delivered again when it reconnects.
* Acknowledgement is **manual**: a message's PUBACK is sent only after its
  readings, their aggregates and its rejects (quarantine) were committed.  A
  crash before the commit leaves the message unacknowledged, so the broker
  delivers it again; a crash between commit and PUBACK makes the broker
  deliver it again too, and the readings then come back as duplicates.  Every
  acknowledged reading is therefore stored exactly once.
* Unreadable messages (not JSON, wrong shape, wrong topic) are quarantined
  whole with reason ``malformed_payload`` and acknowledged after that commit,
  so they are not delivered again forever.
* If the database fails, the batch is retried with exponential backoff and
  nothing is acknowledged meanwhile; lost connections to the broker are
  re-established with backoff by the client.

Coverage (:mod:`shuixiao.ingest._coverage`): each worker publishes a retained
claim of the enterprises it consumes on ``<prefix>/workers/<group>/<client
id>``, cleared by its last will if it dies and by itself when it stops, and
follows its group's claims.  Between commits it compares their union with the
store's enterprises and raises an ``ingest.uncovered`` alarm for each
enterprise no worker consumes (cleared when one does again).

Devices are authenticated by the broker (user names, client certificates,
ACLs restricting each device to its own topics); the worker checks that the
enterprise in the topic owns the meter.
"""

from __future__ import annotations

import datetime as dt
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from shuixiao.errors import InvalidInputError, ShuixiaoError
from shuixiao.ingest._coverage import Coverage, claim_payload, claim_topic, claims_filter
from shuixiao.ingest._messages import (
    DEFAULT_PREFIX,
    Malformed,
    _level,
    batch_topic,
    decode,
    reading_topic,
    subscriptions,
)
from shuixiao.ingest._records import ColumnBatch, Reason, Source, Status, zone
from shuixiao.ingest.pipeline import Pipeline
from shuixiao.model import Origin
from shuixiao.notary import SignedBatchResult, SignedStatus, ingest_signed_batches
from shuixiao.notary.transport import parse_payload
from shuixiao.storage import QuarantineEntry, Store

__all__ = [
    "DEFAULT_PREFIX",
    "CommitReport",
    "MqttWorker",
    "batch_topic",
    "default_client_id",
    "reading_topic",
    "signed_batch_topic",
]

_MAX_BACKOFF: Final = 60.0  # [s]
_POLL: Final = 0.2  # how often the worker looks at the stop flag while idle [s]
_GAP: Final = 0.002  # a batch ends when no message followed the last one for this long [s]


def signed_batch_topic(enterprise: str, device: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the topic a device publishes its signed batches to (QoS 1).

    Examples
    --------
    >>> signed_batch_topic("xg-steel", "gw-0001")
    'shuixiao/v1/xg-steel/batch/signed/gw-0001'
    """
    return f"{batch_topic(enterprise, prefix)}/signed/{_level(device, 'device')}"


def _signed_route(topic: str, prefix: str) -> tuple[str, str] | None:
    """Return (enterprise, device) of a signed-batch topic, or None for any other topic."""
    head = prefix.split("/")
    levels = topic.split("/")
    rest = levels[len(head) :] if levels[: len(head)] == head else []
    if len(rest) == 4 and rest[1:3] == ["batch", "signed"] and rest[0] and rest[3]:
        return rest[0], rest[3]
    return None


def default_client_id() -> str:
    """Return the default client id, ``shuixiao-ingest-<host name>``: stable across restarts of one host."""
    return f"shuixiao-ingest-{socket.gethostname()}"


@dataclass(frozen=True)
class CommitReport:
    """What one commit of the worker did.

    Parameters
    ----------
    messages : int
        Messages in the commit.
    accepted, duplicate, rejected : int
        Readings by outcome; rejected ones are in the quarantine.
    malformed : int
        Messages quarantined whole (``malformed_payload``), refused signed batches included.
    acknowledged : int
        Messages acknowledged to the broker after the commit (those received
        before a reconnect are left for the broker to deliver again).
    signed : int
        Signed batches logged now or found logged already.
    refused : int
        Signed batches refused (also counted in ``malformed``).
    """

    messages: int
    accepted: int
    duplicate: int
    rejected: int
    malformed: int
    acknowledged: int
    signed: int = 0
    refused: int = 0


class MqttWorker:
    """Consumes readings from an MQTT broker into the store (see the module documentation).

    Parameters
    ----------
    store : Store
        A migrated store.
    host, port : str, int
        The broker.
    group : str
        Shared-subscription group; workers of one group split the messages.
    enterprises : sequence of str
        Consume only these enterprises' messages (each must be in the store);
        empty: every enterprise's.  The broker drops messages that match no
        subscription, so the workers' sets together must cover every
        enterprise that sends.
    client_id : str, optional
        Fixed client id, which names the persistent session; each worker of
        a group needs its own.  :func:`default_client_id` when omitted.
    prefix : str
        Topic prefix of the scheme.
    username, password : str, optional
        The worker's own credentials at the broker.
    tls : bool
        Connect with TLS, verifying the broker against the system's CAs.
    keepalive : int
        MQTT keep-alive. [s]
    session_expiry : int
        How long the broker keeps the session (and queues messages) while the
        worker is away. [s]
    batch_size : int
        Most messages committed in one transaction.
    linger : float
        Longest time a batch gathers messages before it is committed; it is
        committed sooner when no message followed the last one for 2 ms. [s]
    timezone : str, optional
        Zone of timestamps without an offset; None rejects them (devices should send offsets).
    pipeline : Pipeline, optional
        The pipeline to use; a default one on ``store`` when omitted.
    on_commit : callable, optional
        Called with a :class:`CommitReport` after every commit.
    on_status : callable, optional
        Called with a line of text on connection events, retries and coverage changes.
    coverage_delay : float
        After (re)connecting, how long to wait for the group's retained claims before the first
        coverage check. [s]
    coverage_interval : float
        How often to read the store's enterprises again for the coverage check. [s]

    Raises
    ------
    InvalidInputError
        If an option cannot work, or an enterprise is not in the store.
    """

    def __init__(
        self,
        store: Store,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        group: str = "shuixiao",
        enterprises: Sequence[str] = (),
        client_id: str | None = None,
        prefix: str = DEFAULT_PREFIX,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        keepalive: int = 60,
        session_expiry: int = 7 * 86_400,
        batch_size: int = 100,
        linger: float = 0.05,
        timezone: str | None = None,
        pipeline: Pipeline | None = None,
        on_commit: Callable[[CommitReport], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        coverage_delay: float = 5.0,
        coverage_interval: float = 60.0,
    ) -> None:
        self._topics = subscriptions(group, prefix, enterprises)
        if not 0 < port < 65_536:
            raise InvalidInputError(f"port must be between 1 and 65535, not {port}")
        if batch_size < 1 or session_expiry < 0 or keepalive < 5 or linger < 0:
            raise InvalidInputError(
                "batch_size must be at least 1, keepalive at least 5 s, session_expiry and linger not negative"
            )
        if not (coverage_delay >= 0 and coverage_interval > 0):
            raise InvalidInputError(
                f"coverage_delay must not be negative and coverage_interval must be > 0 s, not "
                f"{coverage_delay} and {coverage_interval}"
            )
        if timezone is not None:
            zone(timezone)
        unknown = set(enterprises) - {e.id for e in store.list_enterprises()} if enterprises else set()
        if unknown:
            raise InvalidInputError(
                f"enterprise {', '.join(map(repr, sorted(unknown)))} is not in the store; check the ids "
                "(shuixiao model show lists the enterprises)"
            )
        self._store = store
        self._host, self._port = host, port
        self._client_id = client_id or default_client_id()
        self._claim_topic = claim_topic(group, self._client_id, prefix)
        self._claims_filter = claims_filter(group, prefix)
        self._claims_root = self._claims_filter[:-1]  # the filter without its final +
        self._data_filters = [topic.split("/", 2)[2] for topic in self._topics]  # without $share/<group>/
        if self._is_data(self._claim_topic):
            raise InvalidInputError(
                f"the claim topic {self._claim_topic} would match the reading topics; choose another client id"
            )
        self._enterprises = tuple(enterprises)
        self._started = dt.datetime.now(dt.UTC)
        self._prefix = prefix
        self._credentials = (username, password)
        self._tls = tls
        self._keepalive = keepalive
        self._session_expiry = session_expiry
        self._batch_size = batch_size
        self._linger = linger
        self._timezone = timezone
        self._pipeline = pipeline or Pipeline(store)
        self._on_commit = on_commit or (lambda _report: None)
        self._on_status = on_status or (lambda _line: None)
        self._coverage = Coverage(
            store, group, settle=coverage_delay, interval=coverage_interval, on_status=self._on_status
        )
        self._inbox: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self._generation = 0  # counts connections; a message is acknowledged on the connection it came on
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._retire = False
        self._group = group

    @property
    def client_id(self) -> str:
        """The client id (and so the session) the worker uses."""
        return self._client_id

    def stop(self, *, retire: bool = False) -> None:
        """Ask :meth:`run` to finish the batch in hand, disconnect and return (thread- and signal-safe).

        Parameters
        ----------
        retire : bool
            Leave the group for good: unsubscribe, commit what was already
            delivered, and end the session.  Without it the session stays, and
            the broker keeps queueing this worker's share of the group's
            messages until it returns (or the session expires).
        """
        self._retire = self._retire or retire
        self._stop.set()

    def run(self) -> None:
        """Consume until :meth:`stop` is called; messages not yet committed stay with the broker."""
        self._started = dt.datetime.now(dt.UTC)
        client = self._client()
        client.connect_async(
            self._host,
            self._port,
            self._keepalive,
            clean_start=False,
            properties=self._connect_properties(),
        )
        client.loop_start()
        try:
            while not self._stop.is_set():
                batch = self._collect()
                if batch:
                    self._commit(client, batch)
                self._coverage.tick()
            if self._retire:
                self._leave(client)
        finally:
            self._withdraw(client)
            if self._retire:
                properties = Properties(PacketTypes.DISCONNECT)  # type: ignore[no-untyped-call]
                properties.SessionExpiryInterval = 0  # the broker ends the session now
                client.disconnect(properties=properties)
            else:
                client.disconnect()
            client.loop_stop()
            self._on_status(f"disconnected from {self._host}:{self._port}")

    def _leave(self, client: mqtt.Client) -> None:
        """Unsubscribe, then commit and acknowledge what the broker had already sent."""
        done = threading.Event()
        client.on_unsubscribe = lambda *_args: done.set()
        client.unsubscribe(self._topics)
        done.wait(10)
        self._stop.clear()  # a second stop() during the drain abandons it; the rest stays unacknowledged
        idle = 0
        while idle < 5 and not self._stop.is_set():  # until nothing has arrived for five polls
            batch = self._collect()
            idle = 0 if batch else idle + 1
            if batch:
                self._commit(client, batch)
        self._stop.set()
        self._on_status(f"left group {self._group}; the session of {self._client_id} ends now")

    def _withdraw(self, client: mqtt.Client) -> None:
        """Clear the worker's claim before a clean disconnect (which does not send the last will)."""
        info = client.publish(self._claim_topic, b"", qos=1, retain=True)
        try:
            info.wait_for_publish(5)
        except (RuntimeError, ValueError):  # not connected: the broker sent the last will already
            pass

    def _is_data(self, topic: str) -> bool:
        return any(mqtt.topic_matches_sub(f, topic) for f in self._data_filters)

    # --- the client -----------------------------------------------------------------------------

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self._client_id,
            protocol=MQTTProtocolVersion.MQTTv5,
            manual_ack=True,
        )
        username, password = self._credentials
        if username is not None:
            client.username_pw_set(username, password)
        if self._tls:
            client.tls_set()
        client.reconnect_delay_set(1, int(_MAX_BACKOFF))
        client.will_set(self._claim_topic, None, qos=1, retain=True)  # dead: the claim is cleared
        client.on_connect = self._connected
        client.on_disconnect = self._disconnected
        client.on_subscribe = self._subscribed
        client.on_message = self._received
        return client

    def _connect_properties(self) -> Properties:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry
        properties.ReceiveMaximum = min(self._batch_size, 65_535)
        return properties

    def _connected(
        self, client: mqtt.Client, _userdata: Any, flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        if reason.is_failure:
            self._on_status(f"broker {self._host}:{self._port} refused the connection: {reason}")
            return
        with self._lock:
            self._generation += 1
        resumed = "resumed session" if getattr(flags, "session_present", False) else "new session"
        self._on_status(f"connected to {self._host}:{self._port} as {self._client_id} ({resumed})")
        self._coverage.connected()
        client.subscribe([*((topic, 1) for topic in self._topics), (self._claims_filter, 0)])
        client.publish(
            self._claim_topic, claim_payload(self._enterprises, self._started, socket.gethostname()), 1, True
        )

    def _subscribed(
        self, _client: mqtt.Client, _userdata: Any, _mid: int, reasons: list[ReasonCode], _properties: Any
    ) -> None:
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            self._on_status(f"the broker refused the subscriptions: {', '.join(refused)}")
        else:
            self._on_status(f"subscribed to {', '.join(self._topics)}; claims on {self._claims_filter}")

    def _disconnected(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: ReasonCode, _properties: Any
    ) -> None:
        self._coverage.disconnected()
        if not self._stop.is_set():
            self._on_status(f"lost the connection to {self._host}:{self._port} ({reason}); reconnecting")

    def _received(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        # claims come on a QoS 0 subscription, so at QoS 0: readings at QoS 1 pass on one comparison
        if (
            message.qos == 0
            and message.topic.startswith(self._claims_root)
            and not self._is_data(message.topic)
        ):
            self._coverage.receive(message.topic, bytes(message.payload))
            return
        with self._lock:
            generation = self._generation
        self._inbox.put((generation, message))

    # --- batches --------------------------------------------------------------------------------

    def _collect(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        """Wait for a message, then gather those that follow within ``_GAP`` of each other, for up to ``linger``.

        A pause of ``_GAP`` ends the batch at once: the broker sends no more
        than its in-flight limit before the batch is acknowledged, so waiting
        longer would only delay the commit.
        """
        try:
            first = self._inbox.get(timeout=_POLL)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._linger
        while len(batch) < self._batch_size:
            wait = min(_GAP, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=wait))
            except queue.Empty:
                break
        return batch

    def _commit(self, client: mqtt.Client, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        batches: list[ColumnBatch] = []
        rejects: list[QuarantineEntry] = []
        signed: dict[str, list[mqtt.MQTTMessage]] = {}
        for _generation, message in batch:
            route = _signed_route(message.topic, self._prefix)
            if route is not None:
                signed.setdefault(route[0], []).append(message)
                continue
            try:
                decoded = decode(message.topic, bytes(message.payload), self._prefix)
            except Malformed as err:
                rejects.append(
                    QuarantineEntry(
                        enterprise=err.enterprise,
                        meter=err.meter,
                        origin=Origin.MQTT,
                        source=message.topic,
                        payload=message.payload.decode("utf-8", errors="backslashreplace"),
                        reason=Reason.MALFORMED_PAYLOAD.value,
                        message=err.message,
                    )
                )
                continue
            source = Source(Origin.MQTT, message.topic, self._timezone)
            batches.append(ColumnBatch(decoded.enterprise, decoded.columns, source))
        delay = 1.0
        while True:
            try:
                notarised, refusals = self._notarise(signed)  # idempotent: a retry finds them logged
                results = self._pipeline.ingest_columns(batches, rejects=[*rejects, *refusals])
                break
            except ShuixiaoError as err:
                self._on_status(
                    f"could not commit {len(batch)} messages ({err}); nothing acknowledged, retrying in "
                    f"{delay:.0f} s"
                )
                if self._stop.wait(delay):
                    return  # unacknowledged: the broker delivers them again to the next session
                delay = min(delay * 2, _MAX_BACKOFF)
        with self._lock:
            current = self._generation
        acknowledged = 0
        for generation, message in batch:  # in the order received, as MQTT requires
            if generation == current and message.qos > 0:
                client.ack(message.mid, message.qos)
                acknowledged += 1
        outcomes = [r.status for result in results for r in result.results]
        self._on_commit(
            CommitReport(
                messages=len(batch),
                accepted=outcomes.count(Status.ACCEPTED),
                duplicate=outcomes.count(Status.DUPLICATE),
                rejected=outcomes.count(Status.REJECTED),
                malformed=len(rejects) + len(refusals),
                acknowledged=acknowledged,
                signed=sum(1 for r in notarised if r.status is not SignedStatus.REFUSED),
                refused=len(refusals),
            )
        )

    def _notarise(
        self, signed: dict[str, list[mqtt.MQTTMessage]]
    ) -> tuple[list[SignedBatchResult], list[QuarantineEntry]]:
        """Run signed batches through the notarised ingestion; quarantine entries for the refused ones."""
        results: list[SignedBatchResult] = []
        refusals: list[QuarantineEntry] = []
        for enterprise, messages in signed.items():
            payloads: list[Any] = []
            for message in messages:
                device = message.topic.rsplit("/", 1)[-1]
                try:
                    document = parse_payload(bytes(message.payload))
                except InvalidInputError as err:
                    document = {"schema": None, "error": str(err)}
                if document.get("device") != device:
                    document = {
                        "schema": None,
                        "error": f"the topic names device {device!r}, the batch another",
                    }
                payloads.append(document)
            outcomes = ingest_signed_batches(
                self._store,
                self._pipeline,
                enterprise,
                payloads,
                origin=Origin.MQTT,
                detail=f"{self._prefix}/{enterprise}/batch/signed",
            )
            results += outcomes
            for message, outcome, payload in zip(messages, outcomes, payloads, strict=True):
                if outcome.status is not SignedStatus.REFUSED:
                    continue
                reason = outcome.reason.value if outcome.reason is not None else "refused"
                text = payload.get("error") if isinstance(payload.get("error"), str) else outcome.message
                refusals.append(
                    QuarantineEntry(
                        enterprise=enterprise,
                        meter=None,
                        origin=Origin.MQTT,
                        source=message.topic,
                        payload=message.payload.decode("utf-8", errors="backslashreplace"),
                        reason=Reason.MALFORMED_PAYLOAD.value,
                        message=f"signed batch refused ({reason}): {text}",
                    )
                )
        return results, refusals
