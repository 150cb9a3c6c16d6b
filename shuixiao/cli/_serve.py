"""``shuixiao serve``: run the web service (REST API and dashboards) with uvicorn."""

from __future__ import annotations

import argparse
import ipaddress
import os
from typing import Any

from shuixiao.cli._context import Context
from shuixiao.errors import ConfigurationError
from shuixiao.storage import AccountStore

_WORKER_HEALTHCHECK = 60
"""Seconds a server process may take to start (import the scientific stack, open the store) or to
answer the supervisor's health check before it is replaced. [s]  Uvicorn's default of 5 s is too
short on a busy 2-core machine: every process was killed while starting, and the service never
answered (seen with six processes competing for the cores)."""


def register(nouns: Any) -> None:
    """Add the ``serve`` command to ``nouns``."""
    serve = nouns.add_parser(
        "serve",
        help="run the web service: REST API and dashboards",
        description=(
            "Serve the REST API (/api/v1, reference at /api/v1/docs) and the dashboards over HTTP. "
            "Outside demo mode it needs an administrator account (shuixiao users add LOGIN --role admin)."
        ),
    )
    serve.add_argument("--host", help="address to listen on (setting host, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (setting port, default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="server processes, e.g. one per core (setting workers, default 1)",
    )
    serve.add_argument(
        "--no-access-log",
        action="store_true",
        help=(
            "do not log every request (the audit log still keeps logins and every write; a reverse proxy "
            "in front usually logs the requests)"
        ),
    )
    serve.set_defaults(handler=serve_cmd)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_cmd(ctx: Context, args: argparse.Namespace) -> int:
    """Check that someone can log in, then run the service until interrupted."""
    import uvicorn

    from shuixiao.service import create_app

    settings = ctx.settings
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    if not 0 < port < 65536:
        raise ConfigurationError(f"port {port} is not a TCP port; use 1–65535")
    store = ctx.store()
    admins = [u for u in AccountStore(store).list_users(role="admin") if u.active]
    if not admins and not settings.demo:
        raise ConfigurationError(
            "there is no active administrator, so nobody could manage this instance: create one with "
            "`shuixiao users add LOGIN --role admin` (or, for a demonstration, `shuixiao users demo` after "
            "`shuixiao demo build`), then start the service again"
        )
    if not _loopback(host) and not settings.cookie_secure:
        ctx.out.print(ctx.t("serve.insecure", host=host))
    workers = args.workers if args.workers is not None else settings.workers
    if workers < 1:
        raise ConfigurationError(f"--workers {workers}: give one or more server processes")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": True,
        "server_header": False,
        "access_log": not args.no_access_log,
    }
    if workers == 1:
        app = create_app(settings, store=store)
        ctx.out.print(ctx.t("serve.started", host=host, port=port))
        uvicorn.run(app, **options)
        return 0
    # Each server process builds its own application from the same settings, passed on in the environment.
    for name, value in settings.model_dump().items():
        os.environ[f"SHUIXIAO_{name.upper()}"] = str(value)
    ctx.close()
    ctx.out.print(ctx.t("serve.started", host=host, port=port))
    uvicorn.run(
        "shuixiao.service.app:app_from_environment",
        factory=True,
        workers=workers,
        timeout_worker_healthcheck=_WORKER_HEALTHCHECK,
        **options,
    )
    return 0
