"""Logging in and out, and the language switch.

The login form is protected against cross-site request forgery by a
double-submit token: ``GET /login`` sets a random token in a strict,
HTTP-only cookie and in the form; ``POST /login`` accepts only when both
agree.  Failed logins get one generic message, whatever failed (unknown
login, wrong password, rate limit), so the page reveals nothing.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from shuixiao.config import Settings
from shuixiao.errors import AuthenticationError
from shuixiao.service.auth import (
    Principal,
    Role,
    authenticate,
    close_session,
    open_session,
    visible_enterprises,
)
from shuixiao.service.deps import SESSION_COOKIE, client_ip, get_store, page_principal
from shuixiao.service.problems import LoginRequired
from shuixiao.service.web._i18n import LANGUAGE_COOKIE, LANGUAGES, Translator, pick_language
from shuixiao.service.web._render import local_path, render
from shuixiao.service.web._scope import home_path
from shuixiao.storage import Store
from shuixiao.storage.accounts import AccountStore

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

StoreDep = Annotated[Store, Depends(get_store)]

LOGIN_CSRF_COOKIE = "shuixiao_login_csrf"
_YEAR = 365 * 24 * 3600


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _secure(request: Request) -> bool:
    """Whether cookies get the Secure flag: the settings say so, or the request came over HTTPS."""
    return _settings(request).cookie_secure or request.url.scheme == "https"


def _anonymous_translator(request: Request) -> Translator:
    return Translator(pick_language(request.cookies.get(LANGUAGE_COOKIE), None, _settings(request).language))


def _login_page(
    request: Request, *, next_path: str, login: str = "", error: str | None = None, status: int = 200
) -> Response:
    t = _anonymous_translator(request)
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        t=t,
        principal=None,
        title=t("login.title"),
        page="login",
        login_csrf=token,
        next=next_path,
        login=login,
        error=error,
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request), path="/login"
    )
    return response


@router.get("/login")
def read_login(request: Request, target: Annotated[str, Query(alias="next")] = "") -> Response:
    """The login form; ``next`` is where to go after logging in."""
    return _login_page(request, next_path=local_path(target, ""))


@router.post("/login")
def create_session(
    request: Request,
    store: StoreDep,
    login: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    target: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the credentials, open a session and go to ``next`` or the principal's home."""
    t = _anonymous_translator(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not csrf_token or not secrets.compare_digest(cookie, csrf_token):
        return _login_page(
            request, next_path=local_path(target, ""), login=login, error=t("login.expired"), status=400
        )
    client = client_ip(request)
    try:
        principal = authenticate(store, login, password, client)
    except AuthenticationError:
        return _login_page(
            request, next_path=local_path(target, ""), login=login, error=t("login.failed"), status=401
        )
    if principal.role is Role.DEVICE:
        return _login_page(request, next_path="", error=t("login.no_pages"), status=403)
    tokens = open_session(store, principal, client_ip=client, lifetime=_settings(request).session_lifetime)
    goto = local_path(target, "") or home_path(principal, visible_enterprises(store, principal))
    response = RedirectResponse(goto, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, tokens.session, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def delete_session(
    request: Request, store: StoreDep, principal: Annotated[Principal, Depends(page_principal)]
) -> Response:
    """Close the session (the form carries its anti-forgery token) and go back to the login form."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(store, token)
    AccountStore(store).audit(principal, "logout", principal.login, None, client_ip(request), "success")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
async def update_language(
    request: Request,
    store: StoreDep,
    lang: Annotated[str, Form()] = "",
    target: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Switch the language of the pages and go back to ``next``.

    The choice is kept in a cookie for a year and, for a logged-in user (whose form
    carries the session's anti-forgery token), as the user's preference.
    """
    response = RedirectResponse(local_path(target, "/"), status_code=303)
    if lang not in LANGUAGES:
        return response
    try:
        principal: Principal | None = await page_principal(request)
    except LoginRequired:
        principal = None
    if principal is not None and principal.language != lang:
        await run_in_threadpool(_save_language, store, principal, lang, client_ip(request))
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=_YEAR, samesite="lax", secure=_secure(request), path="/"
    )
    return response


def _save_language(store: Store, principal: Principal, language: str, client: str | None) -> None:
    accounts = AccountStore(store)
    accounts.update_user(principal.user_id, language=language)
    accounts.audit(principal, "user.language", principal.login, {"language": language}, client, "success")
