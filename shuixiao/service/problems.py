"""Errors as RFC 9457 problem details (``application/problem+json``), one schema for every API error.

A problem has ``type`` (a URN naming the kind of problem), ``title`` (the same for
every problem of the type), ``status``, ``detail`` (what happened here and what to
do) and ``instance`` (the request path); some add members, such as ``errors``
for request validation or ``quarantine_id`` for a quarantined payload.

Exceptions map to statuses: :class:`~shuixiao.errors.AuthenticationError` 401,
:class:`~shuixiao.errors.PermissionDeniedError` 403,
:class:`~shuixiao.errors.NotFoundError` 404 (also for another tenant's resource),
:class:`~shuixiao.errors.InvalidInputError` 422,
:class:`~shuixiao.errors.StorageError` 503; anything else is a 500 whose detail
reveals nothing.
"""

from __future__ import annotations

import html
import logging
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from shuixiao.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    SchemaVersionError,
    ShuixiaoError,
    StorageError,
)

__all__ = [
    "PROBLEM_JSON",
    "LoginRequired",
    "ProblemDetail",
    "ProblemError",
    "install_handlers",
    "problem_response",
]

PROBLEM_JSON: Final = "application/problem+json"
_LOG = logging.getLogger("shuixiao.service")


class ProblemDetail(BaseModel):
    """An RFC 9457 problem (the body of every API error)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None


class ProblemError(Exception):
    """Raise in a handler to answer with a problem of a given status and kind.

    Parameters
    ----------
    status : int
    code : str
        Kind of problem, e.g. ``payload_too_large``; the ``type`` becomes ``urn:shuixiao:problem:<code>``.
    detail : str
        What happened and what to do.
    **extensions
        Further members of the problem (JSON-compatible).
    """

    def __init__(self, status: int, code: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extensions = extensions


class LoginRequired(Exception):
    """A page needs a logged-in user: answered with a redirect to the login form."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def problem_response(
    request: Request, status: int, code: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """Return a problem response (JSON under ``/api``, a small HTML page elsewhere for browsers)."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", ""):
        page = getattr(request.app.state, "error_page", None)
        if page is not None:
            response: Response = page(request, status, detail)
            return response
        body = (
            f'<!doctype html><html lang="zh"><meta charset="utf-8"><title>{status} {html.escape(title)}</title>'
            f"<h1>{status} {html.escape(title)}</h1><p>{html.escape(detail)}</p></html>"
        )
        return HTMLResponse(body, status_code=status, headers=headers)
    document = {
        "type": f"urn:shuixiao:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **jsonable_encoder(extra),
    }
    return JSONResponse(document, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_CODES: Final = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    503: "unavailable",
}


def _status_of(err: ShuixiaoError) -> tuple[int, str]:
    if isinstance(err, AuthenticationError):
        return 401, "unauthenticated"
    if isinstance(err, PermissionDeniedError):
        return 403, "forbidden"
    if isinstance(err, NotFoundError):
        return 404, "not_found"
    if isinstance(err, InvalidInputError):
        return 422, "invalid_input"
    if isinstance(err, SchemaVersionError | StorageError):
        return 503, "unavailable"
    if isinstance(err, ConfigurationError):
        return 500, "configuration"
    return 422, "invalid_input"


def install_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` as a problem (and a missing page login with a redirect)."""

    async def shuixiao_error(request: Request, err: Exception) -> Response:
        assert isinstance(err, ShuixiaoError)
        status, code = _status_of(err)
        headers = {"WWW-Authenticate": 'Bearer realm="shuixiao"'} if status == 401 else None
        if status >= 500:
            _LOG.error("%s %s: %s", request.method, request.url.path, err)
        return problem_response(request, status, code, err.diagnostics(), headers)

    async def problem_error(request: Request, err: Exception) -> Response:
        assert isinstance(err, ProblemError)
        return problem_response(request, err.status, err.code, err.detail, **err.extensions)

    async def http_error(request: Request, err: Exception) -> Response:
        assert isinstance(err, HTTPException)
        detail = err.detail if isinstance(err.detail, str) else HTTPStatus(err.status_code).description
        code = _CODES.get(err.status_code, "http_error")
        return problem_response(request, err.status_code, code, detail, dict(err.headers or {}) or None)

    async def validation_error(request: Request, err: Exception) -> Response:
        assert isinstance(err, RequestValidationError)
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in err.errors()
        ]
        shown = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:3])
        detail = f"the request is not valid: {shown}; see /api/v1/docs for the expected parameters"
        return problem_response(request, 422, "invalid_request", detail, errors=errors)

    async def login_required(_request: Request, err: Exception) -> Response:
        assert isinstance(err, LoginRequired)
        return RedirectResponse(err.location, status_code=303)

    async def unexpected(request: Request, err: Exception) -> Response:
        _LOG.exception("unexpected error in %s %s", request.method, request.url.path, exc_info=err)
        detail = "the service failed to answer this request; the error was logged for the administrator"
        return problem_response(request, 500, "internal_error", detail)

    app.add_exception_handler(ShuixiaoError, shuixiao_error)
    app.add_exception_handler(ProblemError, problem_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Exception, unexpected)
