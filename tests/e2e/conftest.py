"""Browser tests: Playwright driving Debian's Chromium against a live server.

Where no Chromium is installed they skip, saying why; CI sets E2E_REQUIRED=1
so that a skip there is a failure instead.
"""

import os
import re
import struct
import tempfile
import threading
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection, connections

from tests import snapshot

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# the tests make around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Debian's Chromium: its headless shell where installed (the same Blink, without the
# desktop browser around it: the browser tests take a third less time), else the browser.
HEADLESS_SHELL, BROWSER = "/usr/bin/chromium-headless-shell", "/usr/bin/chromium"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or (
    HEADLESS_SHELL if Path(HEADLESS_SHELL).exists() else BROWSER
)
# The live servers' host: pytest-django's `live_server` and `demo_site` both serve on it.
LIVE_SERVER_HOST = "localhost"
# The backend that signs in a demo login through the form (the first, axes's, only counts).
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
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
        # `demo_shown` opens the database for its test itself, once the demo is written, so
        # pytest-django cannot tell from the test's fixtures that it needs the test database:
        # a module of such tests run alone would otherwise get none made.
        if "demo_shown" in item.fixturenames and "db" not in item.fixturenames:
            item.fixturenames.append("db")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = (
            f"browser tests need Chromium at {CHROMIUM} "
            "(apt-get install chromium-headless-shell, or chromium)"
        )
        if os.environ.get("E2E_REQUIRED"):
            pytest.fail(f"E2E_REQUIRED is set but {message}")
        pytest.skip(f"Skipping: {message}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def demo_site(django_db_blocker, demo_seeded_once):
    """A live server of the module's own, for browser tests that only look (`demo_shown`).

    Each test asking for `live_server` is transactional: the demo is written for it and
    every table emptied after it, some seconds each on a busy machine. Tests that only
    read (sign in, look, check) share one copy of the demo instead; what they write in
    passing (a session, a sign-in time, the audit of what they read) changes nothing
    another reads. The tables are emptied when the module ends.
    """
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        server = LiveServer(LIVE_SERVER_HOST)
        server._live_server_modified_settings.enable()
        try:
            yield server
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            snapshot.empty_but_reference_data()


@pytest.fixture
def demo_shown(request, demo_site, demo_seeded_once, django_db_blocker):
    """The module's live server with the demo in the database, written (and committed) only
    when it is not there already: for the module's first such test, or after a
    transactional test emptied the tables. The test may read with the ORM (`db`)."""
    from accounts.models import User

    with django_db_blocker.unblock():
        assert not connection.in_atomic_block, "ask for demo_shown before db"
        if not User.objects.filter(username="linkworker").exists():
            snapshot.restore(demo_seeded_once.rows)
    request.getfixturevalue("db")
    return demo_site


@pytest.fixture
def looking_page(browser, demo_shown, tile_requests):
    """`page` for a test that only looks: on the demo the module shares (`demo_shown`)."""
    context, page = _desktop_page(browser, demo_shown.url, tile_requests)
    yield page
    context.close()


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
    context, page = _desktop_page(browser, live_server.url, tile_requests)
    yield page
    context.close()


def _desktop_page(browser, base_url, tile_requests):
    # A wide desktop, where the header menu is spread out (below 1400 px it folds behind a
    # button: tests/e2e/test_everyday_pages.py tries 1366 and 390 px).
    context, page = _new_page(browser, base_url, 1440, 900)
    tiles = urlsplit(settings.MAP_TILE_URL)
    if tiles.netloc:
        tile = _blank_tile()

        def answer(route):
            tile_requests.append(route.request)
            route.fulfill(body=tile, content_type="image/png")

        context.route(f"{tiles.scheme}://{tiles.netloc.replace('{s}', '*')}/**", answer)
    return context, page


def _new_page(browser, base_url, width, height):
    """A new browser context of this size, in British English, and its page."""
    context = browser.new_context(
        base_url=base_url, locale="en-GB", viewport={"width": width, "height": height}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


# axe-core gives each rule one impact, which every violation of the rule carries (where a rule
# has one, axe sets its checks' impacts to it). The check below fails on serious and critical
# violations only, so the rules whose impact is moderate or minor are not run: the same verdict
# for less work. Rules without an impact, and every other rule, run as axe-core's defaults say.
# Without the failing elements' selectors (a tenth of a check's time); asked again with them
# only when something fails, to say where.
RUN_AXE = """
(selectors) => {
  const rules = Object.fromEntries((axe._audit?.rules ?? [])
    .filter(rule => ["moderate", "minor"].includes(rule.impact))
    .map(rule => [rule.id, {enabled: false}]));
  return axe.run(document, {resultTypes: ["violations"], rules, selectors});
}
"""


def _serious(response):
    return [v for v in response["violations"] if v["impact"] in {"serious", "critical"}]


@pytest.fixture
def assert_accessible(axe):
    """Run axe-core on the page: no serious or critical violations."""

    def check(page):
        # Judge the page at rest: styles loaded, no pointer hovering a button, and no colour
        # half way through a transition (a busy machine otherwise catches one and reports a
        # false contrast). With reduced motion asked for, Bootstrap's transitions (the only
        # ones: the site's own CSS has none) end at once, so nothing need be waited out.
        page.wait_for_load_state("load")
        page.emulate_media(reduced_motion="reduce")
        page.mouse.move(0, 0)
        if not page.evaluate("typeof window.axe === 'object'"):
            # Once per document: axe-core is over half a megabyte of script to compile.
            page.evaluate(axe.axe_script)
        if not _serious(page.evaluate(RUN_AXE, False)):
            return
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in _serious(page.evaluate(RUN_AXE, True))
        ]
        assert not bad, f"{page.url}: " + "; ".join(bad)

    return check


def sign_in(page, username, *, go_home=True):
    """Signed in as `username`, without the round trip through the form; then on the home
    page, as the form leaves a person, unless the test goes on elsewhere (`go_home=False`).

    The browser gets the session Django's own sign-in makes (`login`, through the test
    client's `force_login`: the same signal, so the same note of a second factor to ask for),
    as its cookie. The form costs a third of a second a time, and stories sign in some ninety
    times a run. Those where the sign-in itself matters drive the form (`sign_in_with_form`:
    the two-factor story, the DPO reading his own sign-in in the audit trail, the content
    security policy's pages); tests/accounts tests it request by request.
    """
    if connection.vendor == "sqlite":
        # The in-memory test database is one connection, which the live server shares.
        session = _session_of(username)
    else:
        # The live server reads only what is committed, and a test that only looks holds a
        # transaction open: the sign-in is written on a connection of its own, as the
        # server's own sign-in would be.
        session = _in_a_thread_of_its_own(_session_of, username)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": session, "domain": LIVE_SERVER_HOST,
        "path": "/", "httpOnly": True, "sameSite": "Lax",
    }])  # fmt: skip
    if go_home:
        page.goto("/")


def _session_of(username):
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username), backend=SIGN_IN_BACKEND)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _in_a_thread_of_its_own(function, *args):
    """`function(*args)` in another thread, so on a database connection of its own, which is
    closed when it returns; its answer, or its exception raised here."""
    outcome = {}

    def run():
        try:
            outcome["answer"] = function(*args)
        except BaseException as error:  # raised again in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"]


def sign_in_with_form(page, username, password="demo"):
    """Signed in as `username` the way a person does: the sign-in page, its form, its button."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").last.click()


def sign_out(page):
    """The header's Sign out, waiting for the sign-in page it leads to: the answer that
    ends the session has arrived before the next sign-in's cookie is set."""
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))


# A laptop's 1366x900 and a phone's 390x844 (tests/e2e/test_everyday*.py).
SIZES = {"laptop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="session")
def screenshots():
    """Screenshots for review go to $E2E_SCREENSHOTS when set, else to a temporary folder
    (printed: pytest -s shows it)."""
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tempfile.mkdtemp(prefix="sp-e2e-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nScreenshots for review: {folder}")
    return folder


def sized_page(browser, base_url, size):
    """A new browser context at one of SIZES, and its page (`page.size` is its name)."""
    context, page = _new_page(browser, base_url, *SIZES[size])
    page.size = size
    return context, page


def no_sideways_scroll(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"
