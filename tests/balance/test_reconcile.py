"""Data reconciliation and gross-error detection.

References: Narasimhan & Jordache (2000); Crowe, Garcia Campos & Hrymak (1983), AIChE J 29(6):881;
Mah & Tamhane (1982), AIChE J 28(5):828.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shuixiao.balance import (
    Measurement,
    Provenance,
    reconcile,
    reconcile_linear,
    serial_elimination,
    water_balance,
)
from shuixiao.errors import InvalidInputError, NotFoundError
from shuixiao.model import Enterprise

pytestmark = pytest.mark.unit

# Heat exchanger with bypass (Narasimhan & Jordache 2000, ch. 1): splitter, exchanger, valve, mixer.
HX_BYPASS = np.array(
    [[1, -1, -1, 0, 0, 0], [0, 1, 0, -1, 0, 0], [0, 0, 1, 0, -1, 0], [0, 0, 0, 1, 1, -1]], dtype=float
)
HX_MEASURED = [101.91, 64.45, 34.65, 64.20, 36.44, 98.88]


def test_heat_exchanger_with_bypass() -> None:
    # Narasimhan & Jordache (2000): reconciled 100.22, 64.50, 35.72, 64.50, 35.72, 100.22 (σ = 1)
    r = reconcile_linear(HX_BYPASS, None, HX_MEASURED, np.ones(6))
    assert r.reconciled == pytest.approx([100.22, 64.50, 35.72, 64.50, 35.72, 100.22], abs=0.005)
    assert HX_BYPASS @ r.reconciled == pytest.approx(np.zeros(4), abs=1e-10)
    assert r.global_test.dof == 4
    assert r.global_test.statistic == pytest.approx(6.4075, abs=1e-4)
    assert r.global_test.critical == pytest.approx(scipy.stats.chi2.ppf(0.95, 4))
    assert r.global_test.passed


def test_closed_form_two_meters() -> None:
    # one unit, in = out: y1 = 100 (σ 3), y2 = 96 (σ 4). r = 4, V = 25,
    # x̂1 = 100 − 9·4/25 = 98.56, x̂2 = 96 + 16·4/25 = 98.56, γ = 16/25,
    # a1 = 1.44, W11 = 81/25 → z1 = 1.44/1.8 = 0.8 = z2
    r = reconcile_linear([[1.0, -1.0]], None, [100.0, 96.0], [3.0, 4.0])
    assert r.reconciled == pytest.approx([98.56, 98.56])
    assert r.global_test.statistic == pytest.approx(0.64)
    assert r.statistics == pytest.approx([0.8, 0.8])
    assert r.reconciled_uncertainty == pytest.approx([2.4, 2.4])  # σ² − W = 9 − 81/25 = 5.76
    # Šidák-adjusted critical value for two tests at α = 0.05
    beta = 1 - 0.95**0.5
    assert r.critical == pytest.approx(scipy.stats.norm.ppf(1 - beta / 2))


def test_unmeasured_flows_projection_equals_joint_solution() -> None:
    # Crowe projection with stream 2 unmeasured must equal the joint WLS with σ₂ → ∞
    measured = [0, 2, 3, 4, 5]
    proj = reconcile_linear(
        HX_BYPASS[:, measured], HX_BYPASS[:, [1]], [HX_MEASURED[i] for i in measured], np.ones(5)
    )
    sigma = np.ones(6)
    sigma[1] = 1e6  # σ → ∞: the difference shrinks as 1/σ²
    joint = reconcile_linear(HX_BYPASS, None, HX_MEASURED, sigma)
    assert proj.reconciled == pytest.approx(joint.reconciled[measured], abs=1e-3)
    assert proj.unmeasured[0] == pytest.approx(joint.reconciled[1], abs=1e-3)
    assert proj.global_test.dof == 3


def test_non_observable_and_non_redundant() -> None:
    # two parallel unmeasured streams between the same nodes cannot be told apart
    a = np.array([[1.0, -1.0, -1.0, 0.0], [0.0, 1.0, 1.0, -1.0]])
    r = reconcile_linear(a[:, [0, 3]], a[:, [1, 2]], [10.0, 10.5], [0.1, 0.1])
    assert np.all(np.isnan(r.unmeasured))
    assert r.reconciled == pytest.approx([10.25, 10.25])
    # a single measured stream into an otherwise unmeasured node is not redundant
    r2 = reconcile_linear([[1.0]], [[-1.0]], [5.0], [0.1])
    assert not r2.redundant[0] and math.isnan(r2.statistics[0])
    assert r2.global_test.dof == 0 and r2.global_test.passed
    assert r2.unmeasured == pytest.approx([5.0])


def test_input_errors() -> None:
    with pytest.raises(InvalidInputError, match="shapes"):
        reconcile_linear([[1.0, -1.0]], None, [1.0], [1.0, 1.0])
    with pytest.raises(InvalidInputError, match="> 0"):
        reconcile_linear([[1.0, -1.0]], None, [1.0, 1.0], [1.0, 0.0])
    with pytest.raises(InvalidInputError, match="significance"):
        reconcile_linear([[1.0, -1.0]], None, [1.0, 1.0], [1.0, 1.0], significance=1.5)


def test_serial_elimination_names_the_biased_stream() -> None:
    y = list(HX_MEASURED)
    truth = np.array([100.0, 64.0, 36.0, 64.0, 36.0, 100.0])
    y = list(truth)
    y[2] = 46.0  # bypass meter reads 10 units high, σ = 1
    result, steps, kept = serial_elimination(HX_BYPASS, None, y, np.ones(6))
    assert [s.index for s in steps] == [2]
    assert steps[0].equivalents == ()
    assert result.global_test.passed
    assert kept == [0, 1, 3, 4, 5]
    assert result.unmeasured == pytest.approx([36.0])


# --- on an enterprise model -------------------------------------------------------------------


def test_reconcile_enterprise_and_reuse_in_balance(
    worked_example: Enterprise, worked_values: dict[str, float]
) -> None:
    ms = [
        Measurement(f, v, accuracy_class=1.0, meter=f"M-{f}") for f, v in worked_values.items() if f != "evap"
    ]
    ms = [
        Measurement(
            m.flow, m.value * (1.004 if m.flow == "discharge" else 1.0), accuracy_class=1.0, meter=m.meter
        )
        for m in ms
    ]
    rec = reconcile(worked_example, ms)
    assert rec.initial_test.passed and rec.eliminations == () and rec.suspect is None
    b = water_balance(worked_example, rec.as_measurements())
    assert all(abs(u.closure) < 1e-9 for u in b.units.values() if math.isfinite(u.closure))
    assert b.flows["evap"].provenance is Provenance.INFERRED
    assert rec.flows["evap"] == pytest.approx(b.flows["evap"].value)


def test_reconcile_names_a_biased_meter(two_workshops: Enterprise) -> None:
    values = {
        "src-wtp": 1000.0,
        "wtp-A": 600.0,
        "wtp-B": 350.0,
        "wtp-out": 30.0,
        "wtp-leak": 20.0,
        "A-a1": 600.0,
        "a1-out": 500.0,
        "B-b1": 350.0,
        "b1-out": 300.0,
    }
    ms = [
        Measurement(f, v * (1.2 if f == "wtp-A" else 1.0), accuracy_class=0.5, meter=f"FT-{f}")
        for f, v in values.items()
    ]
    rec = reconcile(two_workshops, ms)
    assert not rec.initial_test.passed
    assert rec.suspect == "FT-wtp-A"
    assert rec.suspects == (("FT-wtp-A",),)
    eliminated = next(a for a in rec.measurements if a.eliminated)
    assert eliminated.reconciled == pytest.approx(600.0, rel=1e-3)  # what the rest says
    assert rec.global_test.passed


def test_equivalent_meters_are_named_together(two_workshops: Enterprise) -> None:
    # B's inlet and outlet meters are the only check on each other: no test can tell them apart
    values = {"wtp-B": 350.0, "B-b1": 400.0}
    ms = [Measurement(f, v, accuracy_class=0.5, meter=f"FT-{f}") for f, v in values.items()]
    rec = reconcile(two_workshops, ms)
    assert rec.suspect is None
    assert set(rec.suspects[0]) == {"FT-wtp-B", "FT-B-b1"}


def test_duplicate_meters_on_one_flow(worked_example: Enterprise) -> None:
    ms = [
        Measurement("intake", 1000.0, uncertainty=5.0, meter="A"),
        Measurement("intake", 1100.0, uncertainty=5.0, meter="B"),
    ]
    rec = reconcile(worked_example, ms, eliminate=False)
    assert [a.reconciled for a in rec.measurements] == pytest.approx([1050.0, 1050.0])
    assert not rec.initial_test.passed
    assert set(reconcile(worked_example, ms).suspects[0]) == {"A", "B"}


def test_reconcile_errors(worked_example: Enterprise) -> None:
    with pytest.raises(NotFoundError):
        reconcile(worked_example, [Measurement("nope", 1.0)])
    with pytest.raises(InvalidInputError, match="uncertainties > 0"):
        reconcile(worked_example, [Measurement("intake", 1.0, uncertainty=0.0)])
    with pytest.raises(NotFoundError):
        reconcile(worked_example, [Measurement("intake", 1.0)], storage={"nowhere": 1.0})


# --- properties ---------------------------------------------------------------------------------


@st.composite
def networks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """A random flow network with consistent true flows: paths from the environment through
    2–6 nodes back to the environment; returns the incidence matrix and the flows."""
    n_nodes = draw(st.integers(2, 6))
    edges: dict[tuple[int, int], float] = {}
    for _ in range(draw(st.integers(2, 6))):
        length = draw(st.integers(1, n_nodes))
        path = draw(st.lists(st.integers(0, n_nodes - 1), min_size=length, max_size=length, unique=True))
        volume = draw(st.floats(10.0, 1000.0))
        hops = [-1, *path, -1]
        for a, b in zip(hops, hops[1:], strict=False):
            edges[(a, b)] = edges.get((a, b), 0.0) + volume
    keys = sorted(edges)
    a_mat = np.zeros((n_nodes, len(keys)))
    for j, (src, dst) in enumerate(keys):
        if src >= 0:
            a_mat[src, j] -= 1.0
        if dst >= 0:
            a_mat[dst, j] += 1.0
    return a_mat, np.array([edges[k] for k in keys])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_exact_flows_are_not_adjusted(net: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    a, x = net
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)))
    if not mask.any():
        mask[0] = True
    sigma = 0.01 * x[mask] + 0.1
    r = reconcile_linear(a[:, mask], a[:, ~mask], x[mask], sigma)
    assert r.adjustments == pytest.approx(np.zeros(mask.sum()), abs=1e-6 * x.max())
    assert r.global_test.statistic == pytest.approx(0.0, abs=1e-9)
    observable = np.isfinite(r.unmeasured)
    assert r.unmeasured[observable] == pytest.approx(x[~mask][observable], rel=1e-8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_single_gross_error_is_named(net: tuple[np.ndarray, np.ndarray], data: st.DataObject) -> None:
    a, x = net
    sigma = 0.01 * x + 0.1
    probe = reconcile_linear(a, None, x, sigma)
    candidates = np.flatnonzero(probe.redundant)
    if candidates.size == 0:
        return
    j = int(data.draw(st.sampled_from(list(candidates))))
    y = x.copy()
    # bias of 30 standard deviations of its own test direction: δ = 30 / √(a_jᵀ V⁺ a_j)
    v_pinv = np.linalg.pinv(a @ np.diag(sigma**2) @ a.T)
    delta = 30.0 / math.sqrt(float(a[:, j] @ v_pinv @ a[:, j]))
    y[j] += data.draw(st.sampled_from([-1.0, 1.0])) * delta
    result, steps, _ = serial_elimination(a, None, y, sigma)
    assert steps, "a 30-sigma bias must fail the global test"
    named = {steps[0].index, *steps[0].equivalents}
    assert j in named
