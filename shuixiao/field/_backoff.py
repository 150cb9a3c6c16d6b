"""Exponential backoff with jitter: how long the agent waits before trying the platform again."""

from __future__ import annotations

import random
from typing import Final

__all__ = ["RETRY_AFTER_CAP", "Backoff"]

RETRY_AFTER_CAP: Final = 3600.0
"""Longest wait a platform's ``Retry-After`` can impose. [s]"""


class Backoff:
    """Delays that double after every failure, with "equal jitter", up to a cap.

    After ``n`` failures in a row the delay is drawn uniformly from
    ``[c/2, c]`` with ``c = min(maximum, initial · factorⁿ)``: never less than
    half the ceiling (so a struggling platform is not hammered) and spread out
    (so gateways cut off together do not return together) [1]_.  A server's
    ``Retry-After`` is honoured when longer, up to :data:`RETRY_AFTER_CAP`.

    Parameters
    ----------
    initial : float
        Ceiling of the first delay. [s]
    maximum : float
        Largest ceiling. [s]
    factor : float
        Growth of the ceiling per failure. [unitless]
    rng : random.Random, optional
        Source of the jitter.

    References
    ----------
    .. [1] M. Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015.

    Examples
    --------
    >>> backoff = Backoff(initial=1.0, maximum=8.0, rng=random.Random(1))
    >>> [round(backoff.next(), 2) for _ in range(5)]
    [0.57, 1.85, 3.53, 5.02, 5.98]
    """

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 300.0,
        factor: float = 2.0,
        *,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial <= maximum or factor < 1:
            raise ValueError("backoff needs 0 < initial <= maximum and factor >= 1")
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self, hint: float | None = None) -> float:
        """Return the delay after one more failure. [s]

        Parameters
        ----------
        hint : float, optional
            The server's ``Retry-After``. [s]
        """
        ceiling = min(self.maximum, self.initial * self.factor ** min(self.failures, 64))
        self.failures += 1
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if hint is not None:
            delay = max(delay, min(hint, RETRY_AFTER_CAP))
        return delay

    def reset(self) -> None:
        """Forget the failures (after a success)."""
        self.failures = 0
