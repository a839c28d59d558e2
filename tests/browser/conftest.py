"""Browser tests: a real web server and worker, driven through Debian's Chromium by Playwright.

Fixtures:
- `server`: `mediaparser serve` + `mediaparser worker` on a temp data dir, one for all of tests/browser;
  see `Server`. Tests share it, so each imports its own tree into `server.new_folder()`.
- `browser`: headless Chromium from /usr/bin/chromium (never a downloaded browser), also shared.
- `page`: a fresh context and page per test, run once per viewport ("desktop", "phone"), with the
  server as base URL (`page.goto("/imports")`). Any console error or uncaught page error fails the test.
- `shot`: `shot(page, "name")` saves test-artifacts/screenshots/name-<viewport>.png.

The whole folder is skipped only when /usr/bin/chromium is missing (`scripts/setup test` installs it).
Every test here is marked `browser`, so `pytest -m "not browser"` leaves them out.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.e2e.conftest import REPO, App
from tests.polling import wait_for

CHROMIUM = Path("/usr/bin/chromium")
# The sandbox needs user namespaces a CI container rarely has; GPU and /dev/shm are absent or tiny there;
# and a test run should make no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
HERE = Path(__file__).parent


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    mobile: bool = False

    def context_options(self) -> dict:
        options: dict = {"viewport": {"width": self.width, "height": self.height}}
        if self.mobile:
            options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
        return options


VIEWPORTS = [Viewport("desktop", 1280, 800), Viewport("phone", 390, 844, mobile=True)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real browser against a real server (tests/browser)")
    config.addinivalue_line("markers", "signed_out: the `page` fixture starts without the signed-in cookies")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item, not only this folder's.
    mine = [item for item in items if HERE in item.path.parents]
    for item in mine:
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is missing: run `scripts/setup test`"))


# The server -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server(App):
    """A running app: `base_url`, `photos` (the one import root), `data`, `query(sql, *params)`,
    `cli(*args)`, `new_folder(prefix)` and `import_folder(path)`. Sign-in is on, with `password`."""

    password = "family photos at home"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.photos = root / "photos"
        self.photos.mkdir()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env.update(
            MEDIAPARSER_IMPORT_ROOTS=str(self.photos),
            MEDIAPARSER_HOST="127.0.0.1",
            MEDIAPARSER_PORT=str(self.port),
            MEDIAPARSER_PASSWORD=self.password,
        )

    def start_web(self) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "mediaparser", "serve"], cwd=REPO, env=self.env)
        self.procs.append(proc)

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"`mediaparser serve` exited with code {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/login", timeout=2) as response:
                    return response.status == 200
            except (urllib.error.URLError, ConnectionError):
                return False

        wait_for(healthy, timeout=30)
        return proc

    def new_folder(self, prefix: str = "tree") -> Path:
        """A fresh, empty folder inside the import root, so each test imports its own tree."""
        return Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=self.photos))

    def import_folder(self, folder: Path, timeout: float = 120) -> int:
        """Import through the CLI and wait until it ends; returns the import id (for arranging data)."""
        result = self.cli("import", str(folder), "--wait", timeout=timeout)
        assert result.returncode == 0, result.stdout + result.stderr
        return int(re.search(r"Import #(\d+)", result.stdout).group(1))


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    app = Server(tmp_path_factory.mktemp("browser"))
    try:
        # The worker creates and migrates the database, then the web app opens it.
        app.start_worker(processes=1, threads=2)
        app.start_web()
        yield app
    finally:
        app.stop()


# The browser ------------------------------------------------------------------------------------


# Package scope, not session: Playwright's sync API marks its event loop as running in this thread while
# it lives, so asyncio.run() in any later test would fail; it must end when this folder's tests do.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def signed_in_state(browser: Browser, server: Server) -> dict:
    """The cookies of a browser that signed in through the real sign-in page, for every test's context."""
    context = browser.new_context(base_url=server.base_url)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.base_url}/")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(params=VIEWPORTS, ids=[v.name for v in VIEWPORTS])
def viewport(request: pytest.FixtureRequest) -> Viewport:
    return request.param


PAGE_ERRORS = pytest.StashKey[list[str]]()


@pytest.fixture
def page(
    browser: Browser,
    server: Server,
    viewport: Viewport,
    signed_in_state: dict,
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """Signed in already; tests/browser/test_access.py starts from a signed-out browser instead."""
    state = None if request.node.get_closest_marker("signed_out") else signed_in_state
    context = browser.new_context(base_url=server.base_url, storage_state=state, **viewport.context_options())
    context.set_default_timeout(10_000)
    errors: list[str] = []
    request.node.stash[PAGE_ERRORS] = errors

    def on_console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # Chromium asks for /favicon.ico by itself when a page names no icon; that 404 is no page's fault.
        if message.type == "error" and not url.endswith("/favicon.ico"):
            errors.append(f"console error: {message.text}" + (f" ({url})" if url else ""))

    def watch(new_page: Page) -> None:
        new_page.on("console", on_console)
        new_page.on("pageerror", lambda error: errors.append(f"page error: {error}"))

    # Pages the test opens itself (popups, new tabs) are watched too.
    context.on("page", watch)
    tab = context.new_page()
    yield tab
    context.close()
    # Errors raised after the test body ran (the call phase checks the rest, see below).
    assert not errors, "the browser reported errors:\n" + "\n".join(errors)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    # Checked here rather than only at fixture teardown so the test itself fails (not "error at teardown").
    result = yield
    errors = item.stash.get(PAGE_ERRORS, None)
    if errors:
        reported = list(errors)
        errors.clear()
        pytest.fail("the browser reported errors:\n" + "\n".join(reported), pytrace=False)
    return result


@pytest.fixture
def shot(viewport: Viewport):
    """`shot(page, name)`: a full-page screenshot in test-artifacts/screenshots/{name}-{viewport}.png."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{viewport.name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
