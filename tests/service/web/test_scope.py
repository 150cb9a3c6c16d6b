"""Who may open which park and region dashboards, and where each role lands."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from shuixiao.model import Park, Region
from shuixiao.service.web._scope import home_path, may_see_park, may_see_region, regions_within

pytestmark = pytest.mark.unit

REGIONS = [
    Region("hunan", "湖南省", "430000"),
    Region("yueyang", "岳阳市", "430600", parent="hunan"),
    Region("changsha", "长沙市", "430100", parent="hunan"),
    Region("hubei", "湖北省", "420000"),
]
PARK = Park("dongting-park", "洞庭滨湖绿色工业园", "yueyang")


def who(role: str, kind: str, scope: str | None) -> SimpleNamespace:
    return SimpleNamespace(role=role, scope_kind=kind, scope_id=scope)


def test_regions_within() -> None:
    assert regions_within("hunan", REGIONS) == {"hunan", "yueyang", "changsha"}
    assert regions_within("hubei", REGIONS) == {"hubei"}
    assert regions_within("nowhere", REGIONS) == {"nowhere"}


@pytest.mark.parametrize(
    ("principal", "region", "park", "expected"),
    [
        (who("admin", "platform", None), True, True, True),
        (who("regulator", "region", "hunan"), True, True, True),
        (who("regulator", "region", "changsha"), False, False, False),
        (who("regulator", "region", "hubei"), False, False, False),
        (who("auditor", "region", "yueyang"), True, True, True),
        (who("park_operator", "park", "dongting-park"), False, True, False),
        (who("park_operator", "park", "other-park"), False, False, False),
        (who("enterprise_manager", "enterprise", "ronghu-steel"), False, False, False),
        (who("enterprise_viewer", "platform", None), False, False, False),
        (who("service_provider", "platform", None), False, False, False),
        (who("device", "enterprise", "ronghu-steel"), False, False, False),
    ],
)
def test_overview_pages_only_for_those_who_oversee(
    principal: SimpleNamespace, region: bool, park: bool, expected: bool
) -> None:
    assert may_see_region(principal, "yueyang", REGIONS) is region
    assert may_see_park(principal, PARK, REGIONS) is park
    # A province's regulator sees the province; a city's does not.
    assert may_see_region(principal, "hunan", REGIONS) is (expected and principal.scope_id in (None, "hunan"))


def test_home_paths() -> None:
    assert home_path(who("regulator", "region", "hunan"), frozenset({"a", "b"})) == "/regions/hunan"
    assert home_path(who("auditor", "park", "dongting-park"), frozenset({"a"})) == "/parks/dongting-park"
    assert home_path(who("park_operator", "park", "dongting-park"), frozenset()) == "/parks/dongting-park"
    assert (
        home_path(who("enterprise_viewer", "enterprise", "a b"), frozenset({"a b"})) == "/enterprises/a%20b"
    )
    assert home_path(who("service_provider", "platform", None), frozenset({"a", "b"})) == "/enterprises"
    assert home_path(who("admin", "platform", None), frozenset()) == "/enterprises"
