"""What moves through the gateway agent: readings, and what became of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["QUALITIES", "FieldReading", "Rejected"]

QUALITIES = ("good", "estimated", "suspect", "bad")
"""Quality flags a reading may carry (as :class:`shuixiao.model.Quality`, by name)."""


@dataclass(frozen=True)
class FieldReading:
    """One reading taken by the agent.

    Parameters
    ----------
    meter : str
        Meter id in the platform's model of the enterprise.
    ts : int
        Time of the reading. [s since epoch, UTC]
    value : float
        The reading. [unit]
    unit : str
        Unit of ``value``, a unit of the meter's quantity (``shuixiao.units``).
    quality : str
        One of :data:`QUALITIES`.
    """

    meter: str
    ts: int
    value: float
    unit: str
    quality: str = "good"

    def to_json(self) -> dict[str, Any]:
        """Return the reading as one item of the platform's batch payloads (MQTT and HTTP).

        Examples
        --------
        >>> FieldReading("FT-101", 1735689600, 12.5, "m³").to_json()
        {'meter': 'FT-101', 'ts': 1735689600, 'value': 12.5, 'unit': 'm³', 'quality': 'good'}
        """
        return {
            "meter": self.meter,
            "ts": self.ts,
            "value": self.value,
            "unit": self.unit,
            "quality": self.quality,
        }


@dataclass(frozen=True)
class Rejected:
    """A reading that will not be sent again, with the reason.

    Parameters
    ----------
    reading : FieldReading
    reason : str
        A reason code of the platform's pipeline (``docs/ingestion.md``), e.g.
        ``unknown_meter``; ``not_finite`` for values the agent refused itself.
    message : str
        What is wrong and what to do, as the platform (or the agent) said it.
    rejected_at : float
        When it was rejected. [s since epoch]
    quarantine_id : int or None
        Where the platform keeps it in its quarantine, when it said so.
    id : int
        Position in the agent's rejected list.
    """

    reading: FieldReading
    reason: str
    message: str
    rejected_at: float
    quarantine_id: int | None = None
    id: int = 0
