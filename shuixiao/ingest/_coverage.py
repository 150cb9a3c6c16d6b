"""Partition coverage of the MQTT workers: claims, the coverage check and its alarm.

The broker drops a message that no subscription matches, so the workers of a
group must together consume every enterprise of the store.  Each worker
announces what it consumes with a **claim**, a retained message on::

    <prefix>/workers/<group>/<client id>    {"enterprises": ["xg-steel", ...] or "*",
                                             "started": "2026-11-24T04:30:00+00:00", "host": "ingest-1"}

Its MQTT last will is an empty retained message on the same topic, so the
broker clears the claim when the worker dies; a worker that stops cleanly
clears it itself.  Every worker follows the claims of its group
(``<prefix>/workers/<group>/+``) and compares their union with the store's
enterprises (:func:`uncovered`).  An enterprise no claim covers raises an
alarm of kind :data:`ALARM_KIND` (key ``group:<group>``, severity warning),
one per enterprise and group whichever worker finds it first; the alarm is
cleared when a claim covers the enterprise again.  Workers that share an
enterprise (:func:`shared`) are reported too: a shared subscription deals a
gateway's messages to them in turn, which is slower than one worker when a few gateways send many
messages each (a backlog).  A worker that stopped (or
died) without ``--retire`` keeps its session, so the broker queues its share
for a while instead of dropping it; its enterprises count as uncovered all the
same, as nothing stores their readings until a worker consumes them again.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from shuixiao.alarms import SYSTEM, AlarmSpec, AlarmState, AlarmStateError, Severity
from shuixiao.errors import InvalidInputError, NotFoundError, ShuixiaoError
from shuixiao.ingest._messages import _level
from shuixiao.storage import AlarmStore, Store

__all__ = [
    "ALARM_KIND",
    "Claim",
    "Coverage",
    "claim_payload",
    "claim_topic",
    "claims_filter",
    "parse_claim",
    "shared",
    "uncovered",
    "uncovered_alarm",
]

ALARM_KIND: Final = "ingest.uncovered"
"""Alarm kind of an enterprise that no worker of a group consumes."""

_OPEN: Final = (AlarmState.RAISED, AlarmState.ACKNOWLEDGED)
_RETRY: Final = 10.0  # longest wait before a failed check is tried again [s]
_MAX_CLAIM: Final = 1 << 20  # largest claim payload read [bytes]


def claims_filter(group: str, prefix: str) -> str:
    """Return the topic filter of a group's claims.

    Examples
    --------
    >>> claims_filter("shuixiao", "shuixiao/v1")
    'shuixiao/v1/workers/shuixiao/+'
    """
    return f"{prefix}/workers/{_level(group, 'group')}/+"


def claim_topic(group: str, client_id: str, prefix: str) -> str:
    """Return the topic of one worker's claim.

    Raises
    ------
    InvalidInputError
        If the group or the client id cannot be a topic level (empty, or contains ``/ + #`` or NUL).

    Examples
    --------
    >>> claim_topic("shuixiao", "ingest-1", "shuixiao/v1")
    'shuixiao/v1/workers/shuixiao/ingest-1'
    """
    return f"{prefix}/workers/{_level(group, 'group')}/{_level(client_id, 'client id')}"


@dataclass(frozen=True)
class Claim:
    """What one worker of a group consumes.

    Parameters
    ----------
    client_id : str
        The worker's client id (the last level of the claim topic).
    enterprises : frozenset of str or None
        The enterprises it consumes; None: every enterprise (a worker without ``--enterprise``).
    started : str
        When the worker started, as it wrote it (ISO 8601).
    host : str
        The host it runs on.
    """

    client_id: str
    enterprises: frozenset[str] | None
    started: str = ""
    host: str = ""


def claim_payload(enterprises: Iterable[str], started: dt.datetime, host: str) -> bytes:
    """Return the claim of a worker consuming ``enterprises`` (none: every enterprise), as JSON bytes.

    Examples
    --------
    >>> claim_payload(["b", "a"], dt.datetime(2026, 11, 24, tzinfo=dt.timezone.utc), "ingest-1")
    b'{"enterprises": ["a", "b"], "started": "2026-11-24T00:00:00+00:00", "host": "ingest-1"}'
    """
    listed = sorted(set(enterprises))
    document = {"enterprises": listed or "*", "started": started.isoformat(), "host": host}
    return json.dumps(document).encode()


def parse_claim(client_id: str, payload: bytes) -> Claim | None:
    """Read a claim message; None for an empty payload (a cleared claim).

    Raises
    ------
    InvalidInputError
        If the payload is not a claim: not UTF-8 JSON, not an object, or ``enterprises`` neither
        ``"*"`` nor a list of non-empty strings.

    Examples
    --------
    >>> parse_claim("ingest-1", b'{"enterprises": "*", "started": "", "host": "h"}').enterprises is None
    True
    >>> parse_claim("ingest-1", b"") is None
    True
    """
    if not payload:
        return None
    if len(payload) > _MAX_CLAIM:
        raise InvalidInputError(f"the claim is {len(payload)} bytes, more than {_MAX_CLAIM}")
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InvalidInputError(f"the claim is not UTF-8 JSON ({err})") from None
    if not isinstance(document, dict):
        raise InvalidInputError("the claim is not a JSON object")
    listed = document.get("enterprises")
    if listed == "*":
        enterprises = None
    elif isinstance(listed, list) and listed and all(isinstance(e, str) and e for e in listed):
        enterprises = frozenset(listed)
    else:
        raise InvalidInputError(f'"enterprises" must be "*" or a list of enterprise ids, not {listed!r}')
    started, host = document.get("started", ""), document.get("host", "")
    return Claim(client_id, enterprises, started if isinstance(started, str) else "", str(host))


def uncovered(enterprises: Iterable[str], claims: Iterable[Claim]) -> list[str]:
    """Return the enterprises no claim covers, sorted.

    Examples
    --------
    >>> uncovered(["a", "b", "c"], [Claim("w1", frozenset({"a"})), Claim("w2", frozenset({"c"}))])
    ['b']
    >>> uncovered(["a", "b"], [Claim("w1", None)])
    []
    >>> uncovered(["a"], [])
    ['a']
    """
    covered: set[str] = set()
    for claim in claims:
        if claim.enterprises is None:
            return []
        covered |= claim.enterprises
    return sorted(set(enterprises) - covered)


def shared(claims: Iterable[Claim]) -> dict[str, list[str]]:
    """Return the client ids of the workers that share an enterprise, by enterprise (``*``: every one).

    Workers that claim the same enterprise (or every one) subscribe to the same topics in the
    group's shared subscription, so the broker deals each gateway's messages to them in turn.
    When a few gateways send many messages each (a backlog), every commit of one then brings
    readings earlier than the other has just stored, which makes their buckets be recomputed, and
    it is slower than one worker; many senders that send seldom (meters on their own topics) gain
    from it (``docs/ingestion.md``, "Static partitions").

    Examples
    --------
    >>> shared([Claim("w1", None), Claim("w2", None), Claim("w3", frozenset({"a"}))])
    {'*': ['w1', 'w2']}
    >>> shared([Claim("w1", frozenset({"a", "b"})), Claim("w2", frozenset({"b"}))])
    {'b': ['w1', 'w2']}
    >>> shared([Claim("w1", frozenset({"a"})), Claim("w2", frozenset({"b"}))])
    {}
    """
    workers: dict[str, list[str]] = {}
    for claim in sorted(claims, key=lambda c: c.client_id):
        for name in ("*",) if claim.enterprises is None else sorted(claim.enterprises):
            workers.setdefault(name, []).append(claim.client_id)
    return {name: ids for name, ids in sorted(workers.items()) if len(ids) > 1}


def uncovered_alarm(enterprise: str, group: str, claims: Iterable[Claim]) -> AlarmSpec:
    """Return the alarm of an enterprise that no worker of ``group`` consumes."""
    fix = f"start a worker with --enterprise {enterprise} or one without --enterprise"
    return AlarmSpec(
        enterprise=enterprise,
        kind=ALARM_KIND,
        key=f"group:{group}",
        severity=Severity.WARNING,
        title_zh=(
            f"MQTT 接入组 {group} 中没有运行的工作进程接收 {enterprise} 的消息，其读数未入库"
            f"（代理丢弃，或仅在已停止进程的会话有效期内暂存）；"
            f"请启动带 --enterprise {enterprise} 的工作进程，或不带 --enterprise 的工作进程"
        ),
        title_en=(
            f"No running MQTT ingest worker of group {group} consumes {enterprise}: its readings are not "
            f"stored (the broker drops them, or queues them only while a stopped worker's session lasts); {fix}"
        ),
        detail={"group": group, "workers": _json_claims(claims), "fix": fix},
    )


class Coverage:
    """The claims of one group as a worker sees them, and the check of their coverage.

    Claims arrive on the MQTT client's thread (:meth:`receive`); the check
    runs on the worker's thread (:meth:`tick`), between commits, so it needs
    no thread of its own and uses the store from the thread that owns it.

    Parameters
    ----------
    store : Store
        The store whose enterprises must be covered, and where the alarms go.
    group : str
        The shared-subscription group.
    settle : float
        After (re)connecting, how long to wait for the retained claims before the first check. [s]
    interval : float
        How often to read the store's enterprises again (and re-check). [s]
    on_status : callable
        Called with a line of text when coverage changes, or a claim is malformed.
    clock : callable, optional
        Monotonic clock. [s]
    """

    def __init__(
        self,
        store: Store,
        group: str,
        *,
        settle: float,
        interval: float,
        on_status: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._alarms = AlarmStore(store)
        self._group = group
        self._settle = settle
        self._interval = interval
        self._on_status = on_status
        self._clock = clock
        self._lock = threading.Lock()
        self._claims: dict[str, Claim] = {}
        self._changed = False
        self._from: float | None = None  # monotonic time from which checks may run; None while disconnected
        self._next_read = 0.0
        self._retry_at = 0.0
        self._enterprises: list[str] | None = None
        self._reported: tuple[list[str], bool, dict[str, list[str]]] | None = None  # what the last lines said

    @property
    def claims(self) -> Mapping[str, Claim]:
        """The group's current claims, by client id (a copy)."""
        with self._lock:
            return dict(self._claims)

    def connected(self) -> None:
        """Forget the claims (the broker sends the retained ones again) and wait ``settle`` before checking."""
        with self._lock:
            self._claims.clear()
            self._from = self._clock() + self._settle
            self._changed = True

    def disconnected(self) -> None:
        """Stop checking until the next connection: the claims may be out of date."""
        with self._lock:
            self._from = None

    def receive(self, topic: str, payload: bytes) -> None:
        """Take a message of the claims topic; a malformed one is reported and ignored."""
        client_id = topic.rsplit("/", 1)[-1]
        try:
            claim = parse_claim(client_id, payload)
        except InvalidInputError as err:
            self._on_status(f"ignored a malformed claim on {topic}: {err}")
            return
        with self._lock:
            if claim is None:
                changed = self._claims.pop(client_id, None) is not None
            else:
                changed = self._claims.get(client_id) != claim
                self._claims[client_id] = claim
            self._changed = self._changed or changed

    def tick(self) -> None:
        """Check coverage if it is due: claims changed, or the store's enterprises are to be read again."""
        now = self._clock()
        with self._lock:
            if self._from is None or now < max(self._from, self._retry_at):
                return
            if not (self._changed or self._enterprises is None or now >= self._next_read):
                return
            self._changed = False
            claims = list(self._claims.values())
        try:
            if self._enterprises is None or now >= self._next_read:
                self._enterprises = [e.id for e in self._store.list_enterprises()]
                self._next_read = now + self._interval
            self._check(claims, self._enterprises)
        except ShuixiaoError as err:
            self._on_status(
                f"could not check the partition coverage of group {self._group} ({err}); retrying"
            )
            with self._lock:
                self._changed = True
            self._retry_at = now + min(self._interval, _RETRY)

    def _check(self, claims: list[Claim], enterprises: list[str]) -> None:
        missing = uncovered(enterprises, claims)
        mixed = any(c.enterprises is None for c in claims) and any(c.enterprises is not None for c in claims)
        for enterprise in missing:
            self._alarms.raise_alarm(uncovered_alarm(enterprise, self._group, claims))
        key = f"group:{self._group}"
        open_alarms = self._alarms.list_alarms(states=_OPEN, limit=None, kinds=[ALARM_KIND])
        for alarm in open_alarms:
            if alarm.key == key and alarm.enterprise not in missing:
                try:
                    self._alarms.clear(
                        alarm.id, SYSTEM, "a worker of the group consumes the enterprise again"
                    )
                except (AlarmStateError, NotFoundError):
                    pass  # cleared meanwhile by another worker of the group
        sharing = shared(claims)
        if self._reported == (missing, mixed, sharing):
            return
        self._reported = (missing, mixed, sharing)
        if missing:
            names = ", ".join(missing)
            self._on_status(
                f"no running worker of group {self._group} consumes {names}: their readings are not stored; "
                f"start a worker with --enterprise {' --enterprise '.join(missing)} or one without --enterprise"
            )
        else:
            self._on_status(
                f"the {len(claims)} worker(s) of group {self._group} consume all {len(enterprises)} "
                "enterprises of the store"
            )
        if mixed:
            self._on_status(
                f"group {self._group} mixes workers with and without --enterprise: the listed enterprises' "
                "messages are committed twice"
            )
        for name, workers in sharing.items():
            what = "every enterprise" if name == "*" else name
            self._on_status(
                f"workers {', '.join(workers)} of group {self._group} share {what}: the broker deals each "
                "gateway's messages to them in turn, which is slower than one worker when a few gateways send "
                "many messages each (a backlog); if so, give each worker its own enterprises with --enterprise"
            )


def _json_claims(claims: Iterable[Claim]) -> dict[str, Any]:
    return {c.client_id: sorted(c.enterprises) if c.enterprises is not None else "*" for c in claims}
