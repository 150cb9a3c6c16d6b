"""The HTML error page of the service (for browsers asking a page that fails)."""

from __future__ import annotations

from http import HTTPStatus

from starlette.requests import Request
from starlette.responses import Response

from shuixiao.config import Settings
from shuixiao.service.web._i18n import LANGUAGE_COOKIE, Translator, pick_language
from shuixiao.service.web._render import render
from shuixiao.service.web._texts import TEXTS

__all__ = ["error_page"]


def error_page(request: Request, status: int, detail: str) -> Response:
    """Return the error page of ``status`` with ``detail``, in the page language.

    The service answers browsers (``Accept: text/html``, outside ``/api``) with it when it
    sets ``app.state.error_page`` to this function; ``detail`` is the error's message.
    """
    settings: Settings = request.app.state.settings
    principal = getattr(request.state, "principal", None)
    preference = getattr(principal, "language", None)
    t = Translator(pick_language(request.cookies.get(LANGUAGE_COOKIE), preference, settings.language))
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else str(status)
    key = f"error.status.{status}"
    return render(
        request,
        "error.html",
        t=t,
        principal=principal,
        title=f"{status} {title}",
        page="error",
        message=t(key) if key in TEXTS else detail,
        detail=detail if key in TEXTS else None,
        status_code=status,
    )
