"""Browser tests: Playwright driving Debian's Chromium against a live server.

Where no Chromium is installed they skip, saying why; CI sets E2E_REQUIRED=1
so that a skip there is a failure instead.
"""

import os
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless, and quiet on this machine's closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"E2E_REQUIRED is set but {message}")
        pytest.skip(f"Skipping: {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _blank_tile() -> bytes:
    """A 256-pixel map tile, pale green with a darker edge, as a PNG."""
    row = b"\x00" + b"\xc8\xd2\xc8" + b"\xe8\xee\xe4" * 255
    edge = b"\x00" + b"\xc8\xd2\xc8" * 256
    pixels = zlib.compress(edge + row * 255)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def tile_requests():
    """The map tiles the browser asked for, answered here: no test reaches the tile server."""
    return []


@pytest.fixture
def page(browser, live_server, tile_requests):
    # A wide desktop, where the header menu is spread out (below 1400 px it folds behind a
    # button: tests/e2e/test_everyday.py tries 1366 and 390 px).
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1440, "height": 900}
    )
    tiles = urlsplit(settings.MAP_TILE_URL)
    if tiles.netloc:
        tile = _blank_tile()

        def answer(route):
            tile_requests.append(route.request)
            route.fulfill(body=tile, content_type="image/png")

        context.route(f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}/**", answer)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core on the page: no serious or critical violations."""

    def check(page):
        # Judge the page at rest: styles loaded, no pointer hovering a button mid-transition
        # (a busy machine otherwise catches colours half way and reports a false contrast).
        page.wait_for_load_state("load")
        page.mouse.move(0, 0)
        page.wait_for_timeout(200)
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in results.response["violations"]
            if v["impact"] in {"serious", "critical"}
        ]
        assert not bad, f"{page.url}: " + "; ".join(bad)

    return check


def sign_in(page, username, password="demo"):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").last.click()
