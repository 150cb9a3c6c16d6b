"""Which readings are notarised, and up to which checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from shuixiao.model import Origin
from shuixiao.notary import notarisation_summary, reading_status

from ._helpers import T0, Device, E, LogNode, Node

pytestmark = pytest.mark.integration


def test_readings_say_whether_they_are_notarised_and_checkpointed(
    node: Node, device: Device, tmp_path: Path
) -> None:
    log = LogNode(node, device, tmp_path / "log-data", tmp_path / "published")
    log.grow(3)
    node.ingest(device.next(3))  # logged, not yet in a checkpoint
    keys = node.store.meter_keys(E)
    node.store.write_readings(keys["FT-101"], [T0 + 450], [18_005.0], [0], int(Origin.MANUAL))  # unsigned
    frame = reading_status(node.store, E, "FT-101")
    assert frame["notarised"].tolist() == [True, False, True, True, True]
    assert frame["leaf_index"].tolist() == [0, -1, 1, 2, 3]
    assert frame["checkpoint"].tolist() == [3, -1, 3, 3, -1]
    summary = {m.meter: m for m in notarisation_summary(node.store, E)}
    ft, pt, other = summary["FT-101"], summary["PT-201"], summary["FT-103"]
    assert (ft.readings, ft.notarised, ft.not_notarised, ft.checkpoint, ft.device) == (5, 4, 1, None, "gw-01")
    assert not ft.fully_notarised
    assert (pt.readings, pt.notarised, pt.checkpoint) == (4, 4, None)  # reading 3 awaits a checkpoint
    log.grow(0)
    pt = {m.meter: m for m in notarisation_summary(node.store, E)}["PT-201"]
    assert (pt.checkpoint, pt.fully_notarised) == (4, True)
    assert (other.readings, other.device, other.fully_notarised) == (0, None, True)
