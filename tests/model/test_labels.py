"""Every vocabulary member and quantity has a Chinese and an English name."""

import pytest

from shuixiao.model import FlowCategory, MeterKind, SourceType, TreatmentType, UnitKind, label, quantity_label
from shuixiao.units import QUANTITIES

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("vocabulary", [UnitKind, SourceType, TreatmentType, FlowCategory, MeterKind])
def test_every_member_has_both_names(vocabulary: type) -> None:
    for member in vocabulary:
        zh, en = label(member, "zh"), label(member, "en")
        assert zh and en and zh != en


def test_every_quantity_has_both_names() -> None:
    for quantity in QUANTITIES:
        assert quantity_label(quantity, "zh") and quantity_label(quantity, "en")
    assert quantity_label("flow_rate", "en") == "flow rate"


def test_members_with_the_same_value_keep_their_own_names() -> None:
    # StrEnum members of different vocabularies can share a value ("discharge", "reclaimed").
    assert label(UnitKind.DISCHARGE) == "排放口"
    assert label(FlowCategory.DISCHARGE) == "排水"
    assert label(SourceType.RECLAIMED) == "再生水"
    vocabularies = [UnitKind, SourceType, TreatmentType, FlowCategory, MeterKind]
    names = {(type(m), m.value): label(m, "en") for v in vocabularies for m in v}
    assert len(names) == sum(len(v) for v in vocabularies)
