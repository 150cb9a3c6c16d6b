"""Claims and the partition-coverage check of the MQTT workers, without a broker."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest

from shuixiao.alarms import AlarmState, Severity
from shuixiao.errors import InvalidInputError, StorageError
from shuixiao.ingest._coverage import (
    ALARM_KIND,
    Claim,
    Coverage,
    claim_payload,
    claim_topic,
    claims_filter,
    parse_claim,
    uncovered,
    uncovered_alarm,
)
from shuixiao.model import Enterprise, Park, Region
from shuixiao.storage import AlarmStore, Store

E, OTHER = "xg-steel", "xt-paper"
START = dt.datetime(2026, 11, 24, 4, 30, tzinfo=dt.UTC)


def test_claim_topics_follow_the_scheme() -> None:
    assert claim_topic("g1", "ingest-1", "site-a/shuixiao/v1") == "site-a/shuixiao/v1/workers/g1/ingest-1"
    assert claims_filter("g1", "shuixiao/v1") == "shuixiao/v1/workers/g1/+"
    for group, client in [("g/1", "ingest-1"), ("g1", "ingest+1"), ("g1", ""), ("", "ingest-1")]:
        with pytest.raises(InvalidInputError, match="cannot be a topic level"):
            claim_topic(group, client, "shuixiao/v1")


def test_a_claim_round_trips() -> None:
    listed = parse_claim("ingest-1", claim_payload([OTHER, E, E], START, "host-1"))
    assert listed == Claim("ingest-1", frozenset({E, OTHER}), "2026-11-24T04:30:00+00:00", "host-1")
    assert json.loads(claim_payload([], START, "host-1"))["enterprises"] == "*"
    assert parse_claim("ingest-1", claim_payload([], START, "host-1")) == Claim(
        "ingest-1", None, START.isoformat(), "host-1"
    )
    assert parse_claim("ingest-1", b"") is None  # a cleared claim


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"{enterprises: *}", "not UTF-8 JSON"),
        (b'["xg-steel"]', "not a JSON object"),
        (b"{}", '"enterprises" must be'),
        (b'{"enterprises": []}', '"enterprises" must be'),
        (b'{"enterprises": "xg-steel"}', '"enterprises" must be'),
        (b'{"enterprises": ["xg-steel", 3]}', '"enterprises" must be'),
        (b'{"enterprises": [""]}', '"enterprises" must be'),
        (b" " * (1 << 20) + b"{}", "more than"),
    ],
)
def test_a_malformed_claim_is_refused(payload: bytes, fragment: str) -> None:
    with pytest.raises(InvalidInputError, match=fragment):
        parse_claim("ingest-1", payload)


def test_uncovered_enterprises_are_those_no_claim_names() -> None:
    steel, paper = Claim("a", frozenset({E})), Claim("b", frozenset({OTHER}))
    assert uncovered([E, OTHER], [steel, paper]) == []
    assert uncovered([OTHER, E, "zz"], [steel]) == [OTHER, "zz"]
    assert uncovered([E, OTHER], [steel, Claim("c", None)]) == []
    assert uncovered([E], []) == [E]
    assert uncovered([], [steel]) == []  # a claim of an enterprise not (or no longer) in the store


def test_the_alarm_names_the_enterprise_the_group_and_the_fix() -> None:
    spec = uncovered_alarm(OTHER, "g1", [Claim("a", frozenset({E})), Claim("c", None)])
    assert (spec.enterprise, spec.kind, spec.key, spec.severity) == (
        OTHER,
        ALARM_KIND,
        "group:g1",
        Severity.WARNING,
    )
    assert "group g1" in spec.title_en and OTHER in spec.title_en
    assert f"--enterprise {OTHER} or one without --enterprise" in spec.title_en
    assert "g1" in spec.title_zh and OTHER in spec.title_zh
    assert spec.detail["workers"] == {"a": [E], "c": "*"}


class Clock:
    """A monotonic clock moved by hand. [s]"""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def two(
    saved: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> Store:
    """The store of ``saved`` with a second enterprise, ``xt-paper``."""
    saved.save_model(regions, parks, [make_enterprise(OTHER)])
    return saved


def _open(store: Store) -> list[tuple[str, str]]:
    found = AlarmStore(store).list_alarms(states=["raised", "acknowledged"], kinds=[ALARM_KIND], limit=None)
    return sorted((a.enterprise, a.key) for a in found)


def _claim(client: str, *enterprises: str) -> bytes:
    return claim_payload(enterprises, START, client)


def test_the_check_waits_for_the_claims_then_raises_and_clears(two: Store) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=5.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.tick()  # not connected: nothing is known
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E))
    coverage.tick()  # still settling: the other claims may be on their way
    assert _open(two) == [] and lines == []
    clock.now += 5.0
    coverage.tick()
    assert _open(two) == [(OTHER, "group:g1")]
    assert lines == [
        f"no running worker of group g1 consumes {OTHER}: their readings are not stored; start a worker with "
        f"--enterprise {OTHER} or one without --enterprise"
    ]
    coverage.tick()  # nothing changed, the store is not due: no second line, no second alarm
    assert len(lines) == 1 and len(AlarmStore(two).list_alarms(kinds=[ALARM_KIND])) == 1
    coverage.receive("p/workers/g1/b", _claim("b", OTHER))
    coverage.tick()
    assert _open(two) == []
    cleared = AlarmStore(two).list_alarms(kinds=[ALARM_KIND])
    assert [(a.state, a.cleared_by) for a in cleared] == [(AlarmState.CLEARED, "system")]
    assert lines[-1] == "the 2 worker(s) of group g1 consume all 2 enterprises of the store"
    coverage.receive("p/workers/g1/b", b"")  # b died: its last will cleared the claim
    coverage.tick()
    assert _open(two) == [(OTHER, "group:g1")]
    assert set(coverage.claims) == {"a"}


def test_a_malformed_claim_is_logged_and_changes_nothing(two: Store) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E, OTHER))
    coverage.receive("p/workers/g1/a", b"not json")
    coverage.receive("p/workers/g1/x", b'{"enterprises": 7}')
    coverage.tick()
    assert lines[0].startswith("ignored a malformed claim on p/workers/g1/a: the claim is not UTF-8 JSON")
    assert lines[1].startswith('ignored a malformed claim on p/workers/g1/x: "enterprises" must be')
    assert set(coverage.claims) == {"a"} and _open(two) == []


def test_enterprises_added_to_the_store_are_found_at_the_next_reading(
    two: Store, regions: list[Region], parks: list[Park], make_enterprise: Callable[..., Enterprise]
) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E, OTHER))
    coverage.tick()
    two.save_model(regions, parks, [make_enterprise("hx-dye")])
    clock.now += 59.0
    coverage.tick()
    assert _open(two) == []
    clock.now += 1.0
    coverage.tick()
    assert _open(two) == [("hx-dye", "group:g1")]


def test_a_worker_without_enterprises_covers_all_and_mixing_is_reported(two: Store) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E))
    coverage.receive("p/workers/g1/c", _claim("c"))
    coverage.tick()
    assert _open(two) == []
    assert lines[-1].startswith("group g1 mixes workers with and without --enterprise")


def test_workers_sharing_an_enterprise_are_reported_with_the_fix(two: Store) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E, OTHER))
    coverage.receive("p/workers/g1/b", _claim("b", OTHER))
    coverage.tick()
    assert lines[-1] == (
        f"workers a, b of group g1 share {OTHER}: the broker deals each gateway's messages to them in turn, "
        "which is slower than one worker when a few gateways send many messages each (a backlog); if so, give "
        "each worker its own enterprises with --enterprise"
    )
    coverage.receive("p/workers/g1/b", _claim("b"))  # b now consumes every enterprise, as a does not
    coverage.receive("p/workers/g1/c", _claim("c"))
    coverage.tick()
    assert lines[-1].startswith("workers b, c of group g1 share every enterprise: ")
    reported = len(lines)
    coverage.receive("p/workers/g1/c", b"")  # c stopped: nothing is shared any more
    coverage.receive("p/workers/g1/a", _claim("a", E))
    coverage.receive("p/workers/g1/b", _claim("b", OTHER))
    coverage.tick()
    assert lines[reported:] == ["the 2 worker(s) of group g1 consume all 2 enterprises of the store"]


def test_the_groups_keep_their_own_alarms(two: Store) -> None:
    clock = Clock()
    first = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lambda _line: None, clock=clock)
    second = Coverage(two, "g2", settle=0.0, interval=60.0, on_status=lambda _line: None, clock=clock)
    for coverage, claim in ((first, _claim("a", E)), (second, _claim("b", E, OTHER))):
        coverage.connected()
        coverage.receive("p/workers/g/a", claim)
        coverage.tick()
    assert _open(two) == [(OTHER, "group:g1")]


def test_no_check_while_disconnected(two: Store) -> None:
    clock = Clock()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lambda _line: None, clock=clock)
    coverage.connected()
    coverage.disconnected()
    coverage.receive("p/workers/g1/a", _claim("a", E))
    clock.now += 120.0
    coverage.tick()
    assert _open(two) == []


def test_a_failing_store_is_reported_and_the_check_retried(
    two: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, lines = Clock(), list[str]()
    coverage = Coverage(two, "g1", settle=0.0, interval=60.0, on_status=lines.append, clock=clock)
    coverage.connected()
    coverage.receive("p/workers/g1/a", _claim("a", E))

    def failing() -> list[object]:
        raise StorageError("database is locked")

    monkeypatch.setattr(two, "list_enterprises", failing)
    coverage.tick()
    assert lines == ["could not check the partition coverage of group g1 (database is locked); retrying"]
    monkeypatch.undo()
    clock.now += 5.0
    coverage.tick()  # retried before the minute is over
    assert lines == ["could not check the partition coverage of group g1 (database is locked); retrying"]
    clock.now += 5.0
    coverage.tick()
    assert _open(two) == [(OTHER, "group:g1")]
