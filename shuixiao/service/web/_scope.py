"""Which dashboards a principal may open, and which one is its home.

Enterprises: exactly those of ``shuixiao.service.auth.visible_enterprises``.
Parks and regions (whose pages show several tenants side by side) only for
the roles that oversee them: administrators (platform scope), regulators and
auditors of the region or an enclosing one, operators and auditors of the
park.  Enterprise roles and service providers never see park or region pages,
whatever their scope says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from urllib.parse import quote

from shuixiao.model import Park, Region

__all__ = ["ScopedPrincipal", "home_path", "may_see_park", "may_see_region", "regions_within"]

_OVERSEERS = frozenset({"admin", "regulator", "park_operator", "auditor"})


class ScopedPrincipal(Protocol):
    """What scope checks need of a principal (``shuixiao.service.auth.Principal``)."""

    @property
    def role(self) -> str:
        """Role value."""

    @property
    def scope_kind(self) -> str:
        """``platform``, ``region``, ``park`` or ``enterprise``."""

    @property
    def scope_id(self) -> str | None:
        """Identifier of the scope (None for the platform)."""


def regions_within(region_id: str, regions: Iterable[Region]) -> frozenset[str]:
    """Return ``region_id`` and every region below it.

    Examples
    --------
    >>> rs = [Region("hn", "湖南省", "430000"), Region("yy", "岳阳市", "430600", parent="hn")]
    >>> sorted(regions_within("hn", rs)), sorted(regions_within("yy", rs))
    (['hn', 'yy'], ['yy'])
    """
    children: dict[str, list[str]] = {}
    for region in regions:
        if region.parent is not None:
            children.setdefault(region.parent, []).append(region.id)
    found = {region_id}
    stack = [region_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def may_see_region(principal: ScopedPrincipal, region_id: str, regions: Iterable[Region]) -> bool:
    """Return True when ``principal`` may open the dashboard of ``region_id``."""
    if principal.role not in _OVERSEERS or principal.role == "park_operator":
        return False
    if principal.scope_kind == "platform":
        return True
    return (
        principal.scope_kind == "region"
        and principal.scope_id is not None
        and region_id in regions_within(principal.scope_id, regions)
    )


def may_see_park(principal: ScopedPrincipal, park: Park, regions: Iterable[Region]) -> bool:
    """Return True when ``principal`` may open the dashboard of ``park``."""
    if principal.role not in _OVERSEERS:
        return False
    if principal.scope_kind == "platform":
        return True
    if principal.scope_kind == "park":
        return principal.scope_id == park.id
    return may_see_region(principal, park.region, regions)


def home_path(principal: ScopedPrincipal, visible: frozenset[str]) -> str:
    """Return the path of a principal's home dashboard.

    Regulators (and auditors) of a region go to the region, park operators
    (and auditors) of a park to the park, everyone with exactly one visible
    enterprise to that enterprise, the others to the list of enterprises.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> home_path(P(role="regulator", scope_kind="region", scope_id="hn"), frozenset())
    '/regions/hn'
    >>> home_path(P(role="enterprise_manager", scope_kind="enterprise", scope_id="a"), frozenset({"a"}))
    '/enterprises/a'
    >>> home_path(P(role="service_provider", scope_kind="platform", scope_id=None), frozenset({"a", "b"}))
    '/enterprises'
    """
    if principal.role in _OVERSEERS and principal.scope_id is not None:
        if principal.scope_kind == "region" and principal.role != "park_operator":
            return f"/regions/{quote(principal.scope_id)}"
        if principal.scope_kind == "park":
            return f"/parks/{quote(principal.scope_id)}"
    if len(visible) == 1:
        return f"/enterprises/{quote(next(iter(visible)))}"
    return "/enterprises"
