"""Health, and login sessions for API clients in a browser: login, logout, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from shuixiao import __version__
from shuixiao.errors import PermissionDeniedError
from shuixiao.service._cache import cached_answer
from shuixiao.service.auth import Principal, authenticate, close_session, open_session, visible_enterprises
from shuixiao.service.deps import SESSION_COOKIE, ApiPrincipal, SettingsDep, StoreDep, client_ip
from shuixiao.service.routes._common import audit, json_response
from shuixiao.service.schemas import Health, LoginRequest, MePublic, UserPublic
from shuixiao.storage import AccountStore

__all__ = ["router"]

router = APIRouter(tags=["session"])


@router.get("/health", response_model=Health)
def read_health(store: StoreDep) -> Health:
    """Answer when the service runs and its database can be read (no login needed)."""
    return Health(status="ok", version=__version__, schema_revision=store.schema_version())


def _me(store: StoreDep, principal: Principal, csrf: str | None) -> MePublic:
    user = AccountStore(store).get_user(principal.user_id)
    return MePublic(
        user=UserPublic.model_validate(user, from_attributes=True),
        csrf_token=csrf,
        enterprises=sorted(visible_enterprises(store, principal)),
    )


@router.post(
    "/session/login",
    response_model=MePublic,
    responses={401: {"description": "wrong credentials or too many attempts (one generic message)"}},
)
async def create_session(
    request: Request, response: Response, body: LoginRequest, store: StoreDep, settings: SettingsDep
) -> MePublic:
    """Log in with a login and password; sets the ``shuixiao_session`` cookie and returns the CSRF token.

    Requests that change something with this cookie must send the token in ``X-CSRF-Token``.
    Failed attempts are limited per login and per address (``shuixiao/data/service.yaml``).
    """
    ip = client_ip(request)
    principal = await run_in_threadpool(authenticate, store, body.login, body.password, ip)
    tokens = await run_in_threadpool(
        lambda: open_session(store, principal, client_ip=ip, lifetime=settings.session_lifetime)
    )
    secure = settings.cookie_secure or request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE, tokens.session, httponly=True, samesite="lax", secure=secure, path="/"
    )
    request.state.csrf_token = tokens.csrf
    return await run_in_threadpool(_me, store, principal, tokens.csrf)


@router.post("/session/logout", status_code=204)
def delete_session(request: Request, response: Response, store: StoreDep, principal: ApiPrincipal) -> None:
    """End the session of the cookie (with its CSRF token); a bearer token has no session to end."""
    token = request.cookies.get(SESSION_COOKIE)
    if request.headers.get("authorization") is not None or not token:
        raise PermissionDeniedError("only a cookie session can be logged out; revoke an API token instead")
    close_session(store, token)
    audit(request, principal.login, "logout", principal.login)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/session/me", response_model=MePublic)
async def read_me(request: Request, store: StoreDep, principal: ApiPrincipal) -> Response:
    """Return the principal of the request, the enterprises it may read and (cookie sessions) its CSRF token."""
    csrf: str | None = getattr(request.state, "csrf_token", None)

    def compute() -> Response:
        return json_response(_me(store, principal, csrf).model_dump(mode="json"))

    return await cached_answer(request, (principal, csrf, request.url.path), compute)
