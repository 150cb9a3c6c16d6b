"""The block-wise pseudo-inverse and null spaces of the balance solver against dense linear algebra."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from shuixiao.balance._solve import pinv_null

pytestmark = pytest.mark.unit


def _incidence(rng: np.random.Generator, units: int, flows: int) -> np.ndarray:
    """A random incidence matrix: each flow leaves one unit (or a source) and enters another (or leaves)."""
    a = np.zeros((units, flows))
    for j in range(flows):
        ends = rng.choice(units + 1, size=2, replace=False)  # index `units` is the outside
        if ends[0] < units:
            a[ends[0], j] -= 1.0
        if ends[1] < units:
            a[ends[1], j] += 1.0
    return a


@pytest.mark.parametrize("seed", range(12))
def test_blocks_agree_with_the_dense_decomposition(seed: int) -> None:
    rng = np.random.default_rng(seed)
    units, flows = int(rng.integers(1, 25)), int(rng.integers(1, 40))
    a = _incidence(rng, units, flows)
    a[:, rng.random(flows) < 0.5] = 0.0  # sparse pieces, as the measured flows cut a real plant
    pinv, null, rank, left = pinv_null(a)
    np.testing.assert_allclose(pinv, np.linalg.pinv(a, rcond=1e-10), atol=1e-9)
    assert rank == np.linalg.matrix_rank(a)
    z = null
    assert z.shape == (flows, flows - rank)
    np.testing.assert_allclose(a @ z, 0.0, atol=1e-9)
    np.testing.assert_allclose(z.T @ z, np.eye(z.shape[1]), atol=1e-9)
    # the same subspace as SciPy's basis: projectors agree
    ref = scipy.linalg.null_space(a, rcond=1e-10)
    np.testing.assert_allclose(z @ z.T, ref @ ref.T, atol=1e-9)
    assert left.shape == (units - rank, units)
    np.testing.assert_allclose(left @ a, 0.0, atol=1e-9)
    np.testing.assert_allclose(left @ left.T, np.eye(units - rank), atol=1e-9)


def test_empty_and_disconnected_columns() -> None:
    a = np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]])  # flow 2 touches no balanced unit
    pinv, null, rank, left = pinv_null(a)
    assert rank == 1 and null.shape == (3, 2)
    np.testing.assert_allclose(np.abs(null[2]).sum(), 1.0)  # undetermined on its own
    np.testing.assert_allclose(left, [[0.0, 1.0]])  # only the unit without flows is unconstrained
    pinv0, null0, rank0, left0 = pinv_null(np.zeros((3, 0)))
    assert pinv0.shape == (0, 3) and null0.shape == (0, 0) and rank0 == 0 and left0.shape == (3, 3)
