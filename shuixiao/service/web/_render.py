"""Rendering of the server-side pages: one Jinja2 environment (autoescaping on) and the page frame."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import quote

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from shuixiao import __version__
from shuixiao.service.web._i18n import Translator

__all__ = ["NavItem", "PagePrincipal", "environment", "local_path", "path", "render"]


class PagePrincipal(Protocol):
    """What the page frame needs of a logged-in principal (``shuixiao.service.auth.Principal``)."""

    @property
    def login(self) -> str:
        """Login name."""

    @property
    def name(self) -> str:
        """Display name."""

    @property
    def role(self) -> str:
        """Role (a ``Role`` value)."""


@dataclass(frozen=True)
class NavItem:
    """An entry of the main navigation.

    Parameters
    ----------
    label, href : str
    current : bool
        True for the entry of the page shown.
    """

    label: str
    href: str
    current: bool = False


@cache
def environment() -> jinja2.Environment:
    """Return the Jinja2 environment of the dashboards' templates (autoescaping on, strict undefined)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("shuixiao.service.web", "templates"),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def local_path(target: str | None, default: str = "/") -> str:
    """Return ``target`` when it is a path on this site, else ``default`` (no open redirects).

    Examples
    --------
    >>> local_path("/enterprises/x?month=2025-03")
    '/enterprises/x?month=2025-03'
    >>> local_path("https://example.com/"), local_path("//example.com"), local_path("/\\\\example.com")
    ('/', '/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 for c in target):
        return default
    return target


def path(*parts: str) -> str:
    """Return a site path from its segments, each percent-encoded.

    Examples
    --------
    >>> path("enterprises", "a b", "meters", "FT/1")
    '/enterprises/a%20b/meters/FT%2F1'
    """
    return "/" + "/".join(quote(p, safe="") for p in parts)


def render(
    request: Request,
    template: str,
    *,
    t: Translator,
    principal: PagePrincipal | None,
    title: str,
    page: str,
    nav: list[NavItem] | None = None,
    charts: bool = False,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` inside the page frame (header, language switch, footer).

    Parameters
    ----------
    request : Request
        The request; its ``state.csrf_token`` (set by the service for a session) goes into forms.
    template : str
        Template name under ``templates/``.
    t : Translator
        Texts in the page language.
    principal : PagePrincipal or None
        The logged-in user, None on the login page.
    title : str
        Page title.
    page : str
        Short page name, used as the body class.
    nav : list of NavItem, optional
        Main navigation.
    charts : bool
        Load the chart library and the chart script.
    status_code : int
    **context
        Template variables of the page.
    """
    root = request.scope.get("root_path", "").rstrip("/")
    settings = request.app.state.settings

    def url(path: str) -> str:
        return f"{root}{path}"

    def static(path: str) -> str:
        return f"{root}/static/{path}?v={__version__}"

    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = (
        environment()
        .get_template(template)
        .render(
            t=t,
            lang=t.language,
            principal=principal,
            csrf_token=getattr(request.state, "csrf_token", None),
            title=title,
            page=page,
            nav=nav or [],
            charts=charts,
            url=url,
            static=static,
            here=here,
            timezone=settings.timezone,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)
