"""FastAPI dependencies: the store, the settings and the principal of a request.

* :func:`api_principal` — the session cookie or ``Authorization: Bearer <API token>``;
  401 (problem) otherwise.  Device tokens get 403: they only ingest.
* :func:`page_principal` — the session cookie only; without one, a 303 redirect to
  ``/login?next=<path>``.
* :func:`device_principal` — ``Authorization: Bearer <device token>``, for ingestion.

The credential lookups are single indexed queries and run on the event loop (a
thread hop costs more than the query); their results are kept under the database's
data version (:class:`~shuixiao.service._cache.AnswerCache`), so a revocation, a
disabled user or a logout (each a write) takes effect on the next request.  A request authenticated by the cookie that is not safe (anything but GET, HEAD,
OPTIONS) must carry the session's anti-forgery token in the ``X-CSRF-Token``
header or the ``csrf_token`` form field, else 403.  Bearer requests are exempt
(a browser never adds that header by itself).  ``request.state.csrf_token``
holds the token for templates and ``request.state.principal`` the principal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated, Final
from urllib.parse import quote

from fastapi import Depends, Request

from shuixiao.config import Settings
from shuixiao.errors import AuthenticationError, PermissionDeniedError
from shuixiao.service._cache import AnswerCache
from shuixiao.service._policy import load_policy
from shuixiao.service._queries import ModelCache
from shuixiao.service._secrets import token_hash
from shuixiao.service.auth import Principal, principal_of
from shuixiao.service.problems import LoginRequired
from shuixiao.storage import AccountStore, DeviceToken, Store

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "ApiPrincipal",
    "DevicePrincipal",
    "ModelsDep",
    "PagePrincipal",
    "SettingsDep",
    "StoreDep",
    "api_principal",
    "client_ip",
    "device_principal",
    "get_models",
    "get_settings",
    "get_store",
    "page_principal",
]

SESSION_COOKIE: Final = "shuixiao_session"
CSRF_HEADER: Final = "X-CSRF-Token"
CSRF_FIELD: Final = "csrf_token"
_SAFE: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_FORMS: Final = ("application/x-www-form-urlencoded", "multipart/form-data")
_NO_CREDENTIALS: Final = (
    "this endpoint needs a login: send the session cookie (POST /api/v1/session/login) or "
    "`Authorization: Bearer <API token>` (an administrator issues one with `shuixiao users token`)"
)
_BAD_TOKEN: Final = "the bearer token is unknown, expired or revoked; ask an administrator for a new one"


def get_store(request: Request) -> Store:
    """Return the store of the application (``app.state.store``)."""
    store: Store = request.app.state.store
    return store


def get_models(request: Request) -> ModelCache:
    """Return the application's cache of enterprise models (``app.state.models``)."""
    models: ModelCache = request.app.state.models
    return models


def get_settings(request: Request) -> Settings:
    """Return the settings of the application (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


# FastAPI runs a plain function dependency in a worker thread; these wrappers do no I/O, so they
# are coroutines and run on the event loop.
async def _store_dep(request: Request) -> Store:
    return get_store(request)


async def _models_dep(request: Request) -> ModelCache:
    return get_models(request)


async def _settings_dep(request: Request) -> Settings:
    return get_settings(request)


def _answers(request: Request) -> AnswerCache:
    answers: AnswerCache = request.app.state.answers
    return answers


def client_ip(request: Request) -> str | None:
    """Return the client's address (uvicorn applies ``X-Forwarded-For`` from trusted proxies)."""
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be `Bearer <token>`")
    return token.strip()


def _stale(last: dt.datetime | None, now: dt.datetime) -> bool:
    return last is None or (now - last).total_seconds() >= load_policy().session_touch_interval


def _session(
    store: Store, settings: Settings, token: str, answers: AnswerCache
) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a valid session, or None."""
    accounts = AccountStore(store)
    digest = token_hash(token)
    record = answers.credential(("session", digest), lambda: accounts.session(digest))
    if record is None:
        return None
    now = dt.datetime.now(dt.UTC)
    ends = min(record.expires, record.created + dt.timedelta(seconds=settings.session_lifetime))
    idle = (now - record.last_seen).total_seconds() > settings.session_idle
    if now >= ends or idle or not record.user.active:
        accounts.delete_session(digest)
        return None
    if _stale(record.last_seen, now):
        accounts.touch_session(digest, now=now)
    return principal_of(record.user), record.csrf_token


def _api_token(store: Store, token: str, answers: AnswerCache) -> Principal:
    accounts = AccountStore(store)
    digest = token_hash(token)
    found = answers.credential(("api", digest), lambda: accounts.api_token(digest))
    if found is None:
        if accounts.device_token(token_hash(token)) is not None:
            raise PermissionDeniedError(
                "a device token may only send readings (POST /api/v1/ingest/readings); use an API token"
            )
        raise AuthenticationError(_BAD_TOKEN)
    api, user = found
    now = dt.datetime.now(dt.UTC)
    if api.revoked_at is not None or (api.expires is not None and api.expires <= now) or not user.active:
        raise AuthenticationError(_BAD_TOKEN)
    if _stale(api.last_used, now):
        accounts.touch_token("api", api.id, now=now)
    return principal_of(user)


def _device_token(store: Store, token: str) -> DeviceToken:
    accounts = AccountStore(store)
    device = accounts.device_token(token_hash(token))
    if device is None:
        if accounts.api_token(token_hash(token)) is not None:
            raise PermissionDeniedError(
                "ingestion takes a device token (`shuixiao users device-token`), not a user's API token"
            )
        raise AuthenticationError(_BAD_TOKEN)
    now = dt.datetime.now(dt.UTC)
    if device.revoked_at is not None or (device.expires is not None and device.expires <= now):
        raise AuthenticationError(_BAD_TOKEN)
    if _stale(device.last_used, now):
        accounts.touch_token("device", device.id, now=now)
    return device


async def _check_csrf(request: Request, expected: str) -> None:
    if request.method in _SAFE:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDeniedError(
            f"missing or wrong anti-forgery token: a request with the session cookie that changes something "
            f"must send the session's token in the {CSRF_HEADER} header or the {CSRF_FIELD} form field "
            "(GET /api/v1/session/me returns it)"
        )


async def api_principal(request: Request) -> Principal:
    """Return the principal of an API request (session cookie or bearer API token).

    Raises
    ------
    AuthenticationError
        Without valid credentials (401).
    PermissionDeniedError
        For a device token, or a cookie request without its anti-forgery token (403).
    """
    store, settings = get_store(request), get_settings(request)
    token = _bearer(request)
    if token is not None:
        principal = _api_token(store, token, _answers(request))
        request.state.principal = principal
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    found = _session(store, settings, cookie, _answers(request)) if cookie else None
    if found is None:
        raise AuthenticationError(_NO_CREDENTIALS)
    principal, csrf = found
    request.state.csrf_token = csrf
    request.state.principal = principal
    await _check_csrf(request, csrf)
    return principal


async def page_principal(request: Request) -> Principal:
    """Return the principal of a page request (session cookie only), or redirect to the login form.

    Raises
    ------
    LoginRequired
        Without a valid session: answered with ``303 /login?next=<path>``.
    PermissionDeniedError
        For an unsafe request without the session's anti-forgery token (403).
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    found = _session(get_store(request), get_settings(request), cookie, _answers(request)) if cookie else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(f"/login?next={quote(target, safe='')}")
    principal, csrf = found
    request.state.csrf_token = csrf
    request.state.principal = principal
    await _check_csrf(request, csrf)
    return principal


async def device_principal(request: Request) -> DeviceToken:
    """Return the device token of an ingestion request.

    Raises
    ------
    AuthenticationError
        Without a valid device token (401).
    PermissionDeniedError
        For a user's API token (403).
    """
    token = _bearer(request)
    if token is None:
        raise AuthenticationError(
            "ingestion needs `Authorization: Bearer <device token>`; an administrator or the enterprise's "
            "manager issues one with `shuixiao users device-token`"
        )
    device = _device_token(get_store(request), token)
    request.state.device = device
    return device


StoreDep = Annotated[Store, Depends(_store_dep)]
ModelsDep = Annotated[ModelCache, Depends(_models_dep)]
SettingsDep = Annotated[Settings, Depends(_settings_dep)]
ApiPrincipal = Annotated[Principal, Depends(api_principal)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
DevicePrincipal = Annotated[DeviceToken, Depends(device_principal)]
