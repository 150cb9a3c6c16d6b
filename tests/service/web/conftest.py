"""Fixtures of the dashboard tests: a small demo park in SQLite, the service and a real browser.

Three enterprises and 40 days (two local months) keep the build at a few seconds
while every panel has data: trends over two months, communication gaps, the
analysers' weekly checks flagged bad, a totalizer rollover.

The browser tests serve ``create_app`` with uvicorn on a free port (a background thread)
and drive Debian's Chromium with Playwright through its executable path; no browser is
ever downloaded.  Without Chromium they are skipped with the reason shown, except under
``CI=true``, where they fail (as the PostgreSQL tests do).  Screenshots go to a temporary
directory, copied to ``var/test-artifacts/browser`` when ``SHUIXIAO_TEST_ARTIFACTS`` is set.

Test modules cannot import this file (pytest runs with ``--import-mode=importlib``),
so helpers are handed out as fixtures.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, Response, sync_playwright

from shuixiao.config import Settings
from shuixiao.demo import DemoConfig
from shuixiao.demo.build import build_demo
from shuixiao.service import create_app
from shuixiao.service.accounts import add_user, grant_provider
from shuixiao.storage import Store

DEMO = DemoConfig(enterprises=3, days=40, seed=2025, start=dt.date(2025, 3, 10))
"""Steel, refinery and dyeing, 10 March to 18 April 2025 (Asia/Shanghai)."""

ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the small demo park (``shuixiao.db`` and the demo files)."""
    directory = tmp_path_factory.mktemp("web-demo")
    with Store.open(f"sqlite:///{directory}/shuixiao.db") as store:
        store.upgrade()
        build_demo(store, DEMO, directory / "demo")
    return directory


@pytest.fixture(scope="session")
def demo_url(demo_dir: Path) -> str:
    """Database URL of the demo park."""
    return f"sqlite:///{demo_dir}/shuixiao.db"


@pytest.fixture
def demo_store(demo_url: str) -> Iterator[Store]:
    """A store open on the demo park (read it; tests that write use their own store)."""
    with Store.open(demo_url) as store:
        yield store


@pytest.fixture
def zone() -> ZoneInfo:
    """The instance's time zone."""
    return ZONE


# --- the service and the browser --------------------------------------------------------------------

CHROMIUM_VARIABLE = "SHUIXIAO_CHROMIUM"
ARTIFACTS_VARIABLE = "SHUIXIAO_TEST_ARTIFACTS"
PASSWORD = "demo-Passwort-2025"
# login -> (role, scope kind, scope id): one user per role over the demo park.
USERS: dict[str, tuple[str, str, str | None]] = {
    "wang.steel": ("enterprise_manager", "enterprise", "ronghu-steel"),
    "li.dyeing": ("enterprise_viewer", "enterprise", "jinlan-dyeing"),
    "zhao.park": ("park_operator", "park", "dongting-park"),
    "chen.hunan": ("regulator", "region", "hunan"),
    "sun.audit": ("auditor", "region", "yueyang"),
    "zhou.service": ("service_provider", "platform", None),
    "admin": ("admin", "platform", None),
}
GRANTED = "yungang-refinery"
"""The one enterprise that granted the service provider access."""


@dataclass(frozen=True)
class Server:
    """The service under test: its base URL, its settings and its users' password."""

    url: str
    settings: Settings
    password: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def settings(demo_dir: Path, demo_url: str) -> Settings:
    """Settings of the service on the demo park, with one user per role (password :data:`PASSWORD`)."""
    with Store.open(demo_url) as store:
        for login, (role, kind, scope) in USERS.items():
            add_user(store, login, f"演示 {login}", PASSWORD, role, kind, scope)
        grant_provider(store, GRANTED, "zhou.service", "admin")
    return Settings(data_dir=demo_dir, database_url=demo_url)


@pytest.fixture(scope="session")
def server(settings: Settings) -> Iterator[Server]:
    """``create_app`` on the demo park, served by uvicorn on a free port in a background thread."""
    app = create_app(settings)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the service did not start within 20 s")
        time.sleep(0.05)
    try:
        yield Server(f"http://127.0.0.1:{port}", settings, PASSWORD)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def password() -> str:
    """The password of every demo user of these tests."""
    return PASSWORD


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client of ``create_app`` on the demo park (no browser), anonymous at first."""
    with TestClient(
        create_app(settings), base_url="http://testserver", follow_redirects=False
    ) as test_client:
        yield test_client


@pytest.fixture
def log_in(client: TestClient) -> Callable[[str], str]:
    """``log_in(login)`` logs the test client in and returns the session's anti-forgery token."""

    def login(name: str) -> str:
        form = client.get("/login")
        token = _form_token(form.text)
        answer = client.post(
            "/login", data={"login": name, "password": PASSWORD, "csrf_token": token, "next": ""}
        )
        assert answer.status_code == 303, answer.text
        page = client.get(answer.headers["location"])
        return _form_token(page.text)

    return login


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has a form with its anti-forgery token"
    return found.group(1)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's Chromium (``SHUIXIAO_CHROMIUM``, default /usr/bin/chromium).

    Skips with the reason when it is missing, except under ``CI=true``, where it fails.
    """
    path = os.environ.get(CHROMIUM_VARIABLE, "/usr/bin/chromium")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        reason = (
            f"the browser tests need Chromium at {path}: install it (Debian: apt-get install chromium, "
            f"or source scripts/_chromium.sh) or set {CHROMIUM_VARIABLE}; no browser is downloaded"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
        pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    """Headless Chromium driven by Playwright through its executable path."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Directory of the screenshots; copied to ``var/test-artifacts/browser`` when SHUIXIAO_TEST_ARTIFACTS is set."""
    directory = tmp_path_factory.mktemp("browser-artifacts")
    yield directory
    if os.environ.get(ARTIFACTS_VARIABLE):
        target = Path(__file__).resolve().parents[3] / "var" / "test-artifacts" / "browser"
        target.mkdir(parents=True, exist_ok=True)
        for file in directory.iterdir():
            shutil.copy2(file, target / file.name)


class Session:
    """A logged-in browser page; collects console errors (CSP violations show there too)."""

    def __init__(self, page: Page, base: str, artifacts: Path) -> None:
        self.page = page
        self.base = base
        self.artifacts = artifacts
        self.errors: list[str] = []
        page.on("console", lambda message: self._console(message.type, message.text))
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def _console(self, kind: str, text: str) -> None:
        # A 404 page answers with status 404: Chromium logs the failed load, which is expected here.
        if kind == "error" and "status of 404" not in text and "status of 403" not in text:
            self.errors.append(text)

    def goto(self, path: str) -> Response | None:
        """Open a path of the service and wait until the page is loaded."""
        return self.page.goto(self.base + path, wait_until="networkidle")

    def shot(self, name: str) -> Path:
        """Save a full-page screenshot under the artifacts directory."""
        target = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target


@pytest.fixture
def login_as(server: Server, browser: Browser, artifacts: Path) -> Iterator[Callable[..., Session]]:
    """``login_as(login, viewport=(w, h))``: a fresh browser context logged in as ``login``."""
    contexts: list[BrowserContext] = []

    def login(name: str, viewport: tuple[int, int] = (1280, 900)) -> Session:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN", accept_downloads=True
        )
        contexts.append(context)
        session = Session(context.new_page(), server.url, artifacts)
        session.goto("/login")
        session.page.fill("#login", name)
        session.page.fill("#password", server.password)
        with session.page.expect_navigation(wait_until="networkidle"):
            session.page.click("form.form button[type=submit]")
        return session

    yield login
    for context in contexts:
        context.close()
