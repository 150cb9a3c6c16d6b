"""The leak-event workflow and the matching of repeated detections to open events."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shuixiao.alarms import LEAK_ACTIONS, AlarmStateError, LeakState, leak_transition, match_leak_event

pytestmark = pytest.mark.unit

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def test_the_normal_path_and_its_alternatives() -> None:
    state = LeakState.SUSPECTED
    for action, expected in (("confirm", "confirmed"), ("repair", "repaired"), ("verify", "verified")):
        state = leak_transition(1, state, action)
        assert state.value == expected
    assert state.final
    assert leak_transition(1, LeakState.REPAIRED, "reopen") is LeakState.CONFIRMED
    assert leak_transition(1, LeakState.SUSPECTED, "dismiss") is LeakState.DISMISSED
    assert (
        leak_transition(1, LeakState.SUSPECTED, "repair") is LeakState.REPAIRED
    )  # fixed before anyone confirmed


def test_wrong_steps_say_what_is_possible() -> None:
    with pytest.raises(
        AlarmStateError,
        match="is suspected since .*cannot be verified; from suspected you can: confirm, repair, dismiss",
    ):
        leak_transition(4, LeakState.SUSPECTED, "verify", T0)
    with pytest.raises(AlarmStateError, match="dismissed, so it cannot be confirmed; it is final"):
        leak_transition(4, LeakState.DISMISSED, "confirm")
    with pytest.raises(AlarmStateError, match="unknown leak-event action 'fix'"):
        leak_transition(4, LeakState.SUSPECTED, "fix")


@given(st.lists(st.sampled_from(sorted(LEAK_ACTIONS)), max_size=12))
def test_final_states_stay_final(actions: list[str]) -> None:
    state = LeakState.SUSPECTED
    for action in actions:
        was_final = state.final
        try:
            state = leak_transition(1, state, action)
        except AlarmStateError:
            continue
        assert not was_final


def test_matching_by_start_or_best_candidate() -> None:
    hour = dt.timedelta(hours=1)
    open_events = [(1, T0, "pipe P-1"), (2, T0 + 3 * hour, "pipe P-7")]
    assert match_leak_event(T0 + 2.5 * hour, None, open_events, 7200) == 2  # nearest start within 2 h
    assert match_leak_event(T0 + 30 * hour, "pipe P-1", open_events, 7200) == 1  # same best pipe
    assert match_leak_event(T0 + 30 * hour, "pipe P-9", open_events, 7200) is None
    assert match_leak_event(T0, None, [], 7200) is None
