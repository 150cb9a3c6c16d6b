"""What every page handler needs: the language, the navigation, the scope, the 404 page."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse

from shuixiao.assess import EnterpriseAssessment, ParkAssessment, RegionProgress
from shuixiao.config import Settings
from shuixiao.model import Park, Region
from shuixiao.service._cache import AnswerCache, TimedCache
from shuixiao.service.auth import Principal, visible_enterprises
from shuixiao.service.web._config import defaults
from shuixiao.service.web._i18n import LANGUAGE_COOKIE, Translator, pick_language
from shuixiao.service.web._plans import PlanFacts
from shuixiao.service.web._render import NavItem, path, render
from shuixiao.service.web._scope import home_path, may_see_park, may_see_region
from shuixiao.storage import Store

__all__ = ["Caches", "Page", "caches", "data_version", "page_context"]


@dataclass(frozen=True)
class Caches:
    """The application's caches of assessments and plan progress (:class:`TimedCache`), one per kind."""

    enterprises: TimedCache[EnterpriseAssessment]
    parks: TimedCache[ParkAssessment]
    regions: TimedCache[RegionProgress]
    plans: TimedCache[PlanFacts]


def data_version(request: Request) -> Hashable | None:
    """Return the database's data version (:class:`~shuixiao.service._cache.DataVersion`), read now.

    Assessments are kept under it: any commit (readings, an import, an acknowledgement) starts a
    new version, so a page never shows an assessment of older data than it would compute.  None
    for an in-memory database, where the assessments' lifetime alone bounds their age.
    """
    answers: AnswerCache = request.app.state.answers
    return answers.version.current()


def caches(request: Request) -> Caches:
    """Return the caches of the request's application (created on first use)."""
    found: Caches | None = getattr(request.app.state, "web_caches", None)
    if found is None:
        limits = defaults()
        ttl, size = limits.assessment_ttl, limits.assessment_cache_size
        found = Caches(
            TimedCache(ttl, size), TimedCache(ttl, size), TimedCache(ttl, size), TimedCache(ttl, size)
        )
        request.app.state.web_caches = found
    return found


@dataclass
class Page:
    """The context of one page request of a logged-in principal.

    Parameters
    ----------
    request : Request
    store : Store
    principal : Principal
    t : Translator
        Texts in the page's language.
    visible : frozenset of str
        Enterprises the principal may read.
    regions, parks : list
        Every region and park (for scope checks and names).
    """

    request: Request
    store: Store
    principal: Principal
    t: Translator
    visible: frozenset[str]
    regions: list[Region]
    parks: list[Park]

    @property
    def settings(self) -> Settings:
        """The instance's settings."""
        settings: Settings = self.request.app.state.settings
        return settings

    @property
    def zone(self) -> ZoneInfo:
        """The instance's time zone."""
        return self.settings.zone

    def nav(self, current: str) -> list[NavItem]:
        """Return the main navigation with ``current`` (a path) marked."""
        t = self.t
        items: list[tuple[str, str]] = [(t("nav.home"), home_path(self.principal, self.visible))]
        for region in self.regions:
            if may_see_region(self.principal, region.id, self.regions) and (
                region.parent is None or not may_see_region(self.principal, region.parent, self.regions)
            ):
                items.append((t.pick(region.name, region.name_en), path("regions", region.id)))
        for park in self.parks:
            if may_see_park(self.principal, park, self.regions):
                items.append((t.pick(park.name, park.name_en), path("parks", park.id)))
        if len(self.visible) > 1:
            items.append((t("nav.enterprises"), "/enterprises"))
        seen: set[str] = set()
        nav: list[NavItem] = []
        for label, href in items:
            if href not in seen:
                seen.add(href)
                nav.append(NavItem(label, href, href == current))
        return nav

    def render(self, template: str, *, title: str, page: str, current: str, **context: Any) -> HTMLResponse:
        """Render a page of this principal."""
        return render(
            self.request,
            template,
            t=self.t,
            principal=self.principal,
            title=title,
            page=page,
            nav=self.nav(current),
            **context,
        )

    def not_found(self) -> HTMLResponse:
        """Return the 404 page (also for pages of other tenants: their existence is not revealed)."""
        return self.error(404, "error.title", "error.not_found")

    def forbidden(self) -> HTMLResponse:
        """Return the 403 page: the principal may read the enterprise but not change it."""
        return self.error(403, "error.forbidden_title", "error.forbidden")

    def error(self, status: int, title: str, message: str) -> HTMLResponse:
        """Return the error page with the texts ``title`` and ``message``."""
        t = self.t
        return render(
            self.request,
            "error.html",
            t=t,
            principal=self.principal,
            title=t(title),
            page="error",
            nav=self.nav(""),
            message=t(message),
            status_code=status,
        )


def page_context(request: Request, store: Store, principal: Principal) -> Page:
    """Build the :class:`Page` of a request: language, visible enterprises, regions and parks."""
    settings: Settings = request.app.state.settings
    language = pick_language(request.cookies.get(LANGUAGE_COOKIE), principal.language, settings.language)
    return Page(
        request=request,
        store=store,
        principal=principal,
        t=Translator(language),
        visible=visible_enterprises(store, principal),
        regions=store.list_regions(),
        parks=store.list_parks(),
    )
