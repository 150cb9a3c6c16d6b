"""Tests of shuixiao.series.accumulate and accumulate_groups: sums and running means taken in order, continued exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuixiao.errors import InvalidInputError
from shuixiao.series import accumulate, accumulate_groups, aggregate_by_bucket

pytestmark = pytest.mark.unit


def naive(values: list[float], how: str, value: float = 0.0, count: int = 0) -> float:
    """The definition, one value at a time: S_k = S_{k-1} + v_k; M_k = M_{k-1} + (v_k - M_{k-1}) / k."""
    for v in values:
        if count == 0:
            value, count = v, 1
            continue
        count += 1
        value = value + v if how == "sum" else value + (v - value) / count
    return value


_VALUES = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_SEGMENTS = st.lists(st.lists(_VALUES, min_size=1, max_size=150), min_size=1, max_size=12)


def _flat(segments: list[list[float]]) -> tuple[np.ndarray, np.ndarray]:
    first = np.cumsum([0] + [len(s) for s in segments[:-1]])
    return np.array([v for s in segments for v in s]), first


@settings(max_examples=200, deadline=None)
@given(segments=_SEGMENTS, how=st.sampled_from(["sum", "mean"]))
def test_each_segment_follows_the_definition_bit_for_bit(segments: list[list[float]], how: str) -> None:
    values, first = _flat(segments)
    got = accumulate(values, first, how)  # type: ignore[arg-type]
    assert got.tolist() == [naive(s, how) for s in segments]


@settings(max_examples=200, deadline=None)
@given(segments=_SEGMENTS, how=st.sampled_from(["sum", "mean"]), data=st.data())
def test_continuing_a_prior_gives_what_the_whole_gives(
    segments: list[list[float]], how: str, data: st.DataObject
) -> None:
    cuts = [data.draw(st.integers(0, len(s) - 1)) for s in segments]  # each keeps at least one value
    heads = [s[:c] for s, c in zip(segments, cuts, strict=True)]
    tails = [s[c:] for s, c in zip(segments, cuts, strict=True)]
    prior = [naive(h, how) if h else 0.0 for h in heads]
    values, first = _flat(tails)
    got = accumulate(values, first, how, prior_value=prior, prior_count=[len(h) for h in heads])  # type: ignore[arg-type]
    whole, whole_first = _flat(segments)
    assert got.tolist() == accumulate(whole, whole_first, how).tolist()  # type: ignore[arg-type]


def test_long_segments_take_the_same_steps() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=3 * 2976) * 1e3  # a month of quarter hours, three times
    first = np.array([0, 2976, 5952])
    for how in ("sum", "mean"):
        got = accumulate(values, first, how)  # type: ignore[arg-type]
        expected = [naive(values[a : a + 2976].tolist(), how) for a in first.tolist()]
        assert got.tolist() == expected


def test_aggregate_by_bucket_uses_the_same_steps() -> None:
    values = [0.1, 0.2, 0.3, 0.7, 1e16, 1.0, -1e16]
    a = aggregate_by_bucket([0, 0, 0, 900, 900, 900, 900], values, "sum")
    assert a.value.tolist() == [naive(values[:3], "sum"), naive(values[3:], "sum")]
    m = aggregate_by_bucket([0, 0, 0], [1.0, 5.0, 3.0], "mean")
    assert m.value.tolist() == [3.0]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="how"):
        accumulate([1.0], [0], "median")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="segments"):
        accumulate([1.0, 2.0], [0, 2], "sum")
    with pytest.raises(InvalidInputError, match="both"):
        accumulate([1.0], [0], "sum", prior_value=[1.0])
    with pytest.raises(InvalidInputError, match="one entry per segment"):
        accumulate([1.0], [0], "sum", prior_value=[1.0, 2.0], prior_count=[1, 1])
    assert accumulate([], np.zeros(0, dtype=np.int64), "mean").size == 0


@settings(max_examples=200, deadline=None)
@given(
    groups=st.lists(_SEGMENTS, min_size=1, max_size=5),
    how=st.sampled_from(["sum", "mean"]),
    data=st.data(),
)
def test_group_statistics_before_each_segment_follow_the_definition(
    groups: list[list[list[float]]], how: str, data: st.DataObject
) -> None:
    """Days (segments) of months (groups), some months continuing values stored before: the definition, bit for bit."""
    priors = [data.draw(st.lists(_VALUES, max_size=20)) for _ in groups]
    segments = [s for g in groups for s in g]
    owner = [n for n, g in enumerate(groups) for _ in g]
    values, first = _flat(segments)
    before, before_count, total, total_count = accumulate_groups(
        values,
        first,
        owner,
        how,  # type: ignore[arg-type]
        prior_value=[naive(p, how) if p else 0.0 for p in priors],
        prior_count=[len(p) for p in priors],
    )
    k = 0
    for g, prior in zip(groups, priors, strict=True):
        earlier = list(prior)
        for segment in g:
            assert before_count[k] == len(earlier)
            assert before[k] == (naive(earlier, how) if earlier else 0.0)
            earlier += segment
            k += 1
    assert total.tolist() == [
        naive(p + [v for s in g for v in s], how) for g, p in zip(groups, priors, strict=True)
    ]
    assert total_count.tolist() == [len(p) + sum(map(len, g)) for g, p in zip(groups, priors, strict=True)]


def test_group_statistics_refuse_groups_out_of_order() -> None:
    with pytest.raises(InvalidInputError, match="group needs"):
        accumulate_groups([1.0, 2.0], [0, 1], [0], "sum")
    with pytest.raises(InvalidInputError, match="consecutive"):
        accumulate_groups([1.0, 2.0], [0, 1], [1, 0], "sum")
    with pytest.raises(InvalidInputError, match="consecutive"):
        accumulate_groups([1.0, 2.0], [0, 1], [0, 2], "sum")
    with pytest.raises(InvalidInputError, match="both"):
        accumulate_groups([1.0], [0], [0], "sum", prior_count=[1])
    with pytest.raises(InvalidInputError, match="one entry per group"):
        accumulate_groups([1.0], [0], [0], "sum", prior_value=[1.0, 2.0], prior_count=[1, 1])
    with pytest.raises(InvalidInputError, match="segments"):
        accumulate_groups([1.0], [0, 1], [0, 0], "mean")
    before, count, total, total_count = accumulate_groups([], np.zeros(0, dtype=np.int64), [], "mean")
    assert before.size == count.size == total.size == total_count.size == 0
