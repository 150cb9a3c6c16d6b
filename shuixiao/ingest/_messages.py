"""The MQTT topic scheme and payloads, without the MQTT client (so they are testable alone).

Topics, under a prefix (``shuixiao/v1`` by default)::

    <prefix>/<enterprise>/<meter>/reading    one meter: a JSON object, or a list of them
    <prefix>/<enterprise>/batch              a gateway: a JSON list of objects, each with "meter"

Each object has ``ts`` (ISO 8601 with an offset, or epoch seconds), ``value``
(a number in ``unit``) and optionally ``unit`` and ``quality``::

    {"ts": "2025-03-01T08:15:00+08:00", "value": 18564588.61, "unit": "m³"}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from shuixiao.errors import InvalidInputError
from shuixiao.ingest._parse import first_not_object, json_kind, parse_json
from shuixiao.ingest._records import Columns

__all__ = [
    "DEFAULT_PREFIX",
    "MAX_PAYLOAD",
    "MAX_READINGS",
    "Malformed",
    "Message",
    "batch_topic",
    "decode",
    "reading_topic",
    "subscriptions",
]

DEFAULT_PREFIX: Final = "shuixiao/v1"
"""Topic prefix of the scheme (version 1)."""
MAX_PAYLOAD: Final = 1_048_576
"""Largest payload read. [bytes]"""
MAX_READINGS: Final = 10_000
"""Most readings in one message."""


@dataclass(frozen=True)
class Message:
    """The readings of one MQTT message.

    Parameters
    ----------
    enterprise : str
        From the topic.
    columns : Columns
        The records in payload order, as columns; ``rows`` is the position in the payload list
        (1-based).
    """

    enterprise: str
    columns: Columns


class Malformed(Exception):
    """A message that cannot be read as readings (internal; it is quarantined whole).

    Parameters
    ----------
    message : str
        What is wrong, for a person.
    enterprise, meter : str or None
        What the topic says, when it says it.
    """

    def __init__(self, message: str, enterprise: str | None = None, meter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.enterprise = enterprise
        self.meter = meter


def _level(name: str, what: str) -> str:
    if not isinstance(name, str) or not name or any(c in name for c in "/+#\x00"):
        raise InvalidInputError(f"{what} {name!r} cannot be a topic level (empty, or contains / + # or NUL)")
    return name


def reading_topic(enterprise: str, meter: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the topic one meter publishes its readings to.

    Examples
    --------
    >>> reading_topic("xg-steel", "FT-101")
    'shuixiao/v1/xg-steel/FT-101/reading'
    """
    return f"{prefix}/{_level(enterprise, 'enterprise')}/{_level(meter, 'meter')}/reading"


def batch_topic(enterprise: str, prefix: str = DEFAULT_PREFIX) -> str:
    """Return the topic a gateway publishes batches of readings to.

    Examples
    --------
    >>> batch_topic("xg-steel")
    'shuixiao/v1/xg-steel/batch'
    """
    return f"{prefix}/{_level(enterprise, 'enterprise')}/batch"


def subscriptions(group: str, prefix: str = DEFAULT_PREFIX, enterprises: Sequence[str] = ()) -> list[str]:
    """Return the shared subscriptions of a worker (the broker splits messages among a group's members).

    Each enterprise gets its readings, batch and signed-batch topics; with no
    enterprise, the worker takes every enterprise's (``+``).  A worker given
    some enterprises consumes a static partition: one gateway's messages
    always reach the same worker, or the same few, which share them.

    Parameters
    ----------
    group : str
        Shared-subscription group.
    prefix : str
        Topic prefix of the scheme.
    enterprises : sequence of str
        Enterprise ids, each a topic level; repeats are dropped.

    Raises
    ------
    InvalidInputError
        If the group or an enterprise id cannot be a topic level (empty, or contains ``/ + #`` or NUL).

    Examples
    --------
    >>> subscriptions("shuixiao")  # doctest: +NORMALIZE_WHITESPACE
    ['$share/shuixiao/shuixiao/v1/+/+/reading', '$share/shuixiao/shuixiao/v1/+/batch',
     '$share/shuixiao/shuixiao/v1/+/batch/signed/+']
    >>> subscriptions("shuixiao", enterprises=["xg-steel"])[0]
    '$share/shuixiao/shuixiao/v1/xg-steel/+/reading'
    """
    _level(group, "group")
    levels = [_level(e, "enterprise") for e in dict.fromkeys(enterprises)] or ["+"]
    return [
        f"$share/{group}/{prefix}/{level}/{topic}"
        for level in levels
        for topic in ("+/reading", "batch", "batch/signed/+")
    ]


def decode(topic: str, payload: bytes, prefix: str = DEFAULT_PREFIX) -> Message:
    """Read an MQTT message of the scheme into records, or raise :class:`Malformed`.

    Parameters
    ----------
    topic : str
        The topic it was published to.
    payload : bytes
        UTF-8 JSON.
    prefix : str
        The scheme's topic prefix.

    Returns
    -------
    Message

    Examples
    --------
    >>> m = decode("shuixiao/v1/xg-steel/FT-101/reading", b'{"ts": 1735689600, "value": 12.5}')
    >>> m.enterprise, m.columns.meters[0], m.columns.values[0]
    ('xg-steel', 'FT-101', 12.5)
    """
    head = prefix.split("/")
    levels = topic.split("/")
    rest = levels[len(head) :] if levels[: len(head)] == head else []
    enterprise = rest[0] if rest and rest[0] else None
    if len(rest) == 3 and rest[2] == "reading" and rest[0] and rest[1]:
        meter: str | None = rest[1]
    elif len(rest) == 2 and rest[1] == "batch" and rest[0]:
        meter = None
    else:
        raise Malformed(
            f"topic {topic!r} is not {prefix}/<enterprise>/<meter>/reading or {prefix}/<enterprise>/batch",
            enterprise,
        )
    assert enterprise is not None
    if len(payload) > MAX_PAYLOAD:
        raise Malformed(
            f"payload of {len(payload):,} bytes is over the limit of {MAX_PAYLOAD:,}; split the batch",
            enterprise,
            meter,
        )
    try:
        document = parse_json(payload)
    except UnicodeDecodeError as err:
        raise Malformed(
            f"payload is not UTF-8 text ({err.reason} at byte {err.start})", enterprise, meter
        ) from err
    except ValueError as err:
        raise Malformed(f"payload is not JSON: {err}", enterprise, meter) from err
    if meter is not None:
        items = document if isinstance(document, list) else [document]
        shape = "a JSON object with ts and value, or a list of them"
    else:
        if not isinstance(document, list):
            raise Malformed(
                f"a batch is a JSON array of objects with meter, ts and value, not {json_kind(document)}",
                enterprise,
            )
        items = document
        shape = "a JSON object with meter, ts and value"
    if len(items) > MAX_READINGS:
        raise Malformed(
            f"{len(items):,} readings in one message, over the limit of {MAX_READINGS:,}; split the batch",
            enterprise,
            meter,
        )
    odd = first_not_object(items)
    if odd is not None:
        raise Malformed(f"item {odd[0]} is {json_kind(odd[1])}; each item must be {shape}", enterprise, meter)
    if meter is not None:
        for n, item in enumerate(items, start=1):
            if "meter" in item and item["meter"] != meter:
                raise Malformed(
                    f"item {n} names meter {item['meter']!r}, but the topic names {meter!r}",
                    enterprise,
                    meter,
                )
    return Message(enterprise, Columns.of_objects(items, meter))
