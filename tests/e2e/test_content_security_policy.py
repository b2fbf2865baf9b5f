"""The Content-Security-Policy in a real browser (issue 11, finding 2).

A self-referral named `</textarea><img src=x onerror=alert(1)>` once ran script
on Llinos's prescription page. Now it shows as text, and the CSP stops inline
script even if an escape were missed. Every main page of each demo role loads
without the browser refusing anything: no inline script or style is left that
the policy would block, and the statistics charts still draw.
"""

import pytest
from playwright.sync_api import expect

from referrals.models import Referral, Status
from tests.e2e.conftest import sign_in_with_form

BREAK_OUT = "</textarea><img src=x onerror=alert(1)>"

# Collects the browser's own reports of what the policy refused, from the first script on.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _watch(page):
    """The page, and what went wrong on it: CSP reports, console errors, dialogs opened."""
    seen = {"errors": [], "dialogs": []}
    page.add_init_script(LISTEN)

    def on_console(message):
        # The admin's pages have no icon link, so the browser asks for /favicon.ico: no matter.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            seen["errors"].append(message.text)

    page.on("console", on_console)

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page, seen


@pytest.fixture
def watched(page):
    return _watch(page)


@pytest.fixture
def looking(looking_page):
    """`watched` for a test that only looks, on the demo the module's such tests share."""
    return _watch(looking_page)


def assert_nothing_refused(page, seen, path):
    response = page.goto(path)
    assert response.status == 200, path
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    violations = page.evaluate("() => window.__cspViolations")
    assert violations == [], f"{path}: {violations}"
    assert seen["errors"] == [], f"{path}: {seen['errors']}"
    assert seen["dialogs"] == [], f"{path}: {seen['dialogs']}"


def demo_case():
    return (
        Referral.objects.filter(
            link_worker__username="linkworker",
            referring_organisation__users__username="gp",
            status__in=[Status.ALLOCATED, Status.IN_PROGRESS],
        )
        .order_by("received_at", "pk")
        .first()
    )


def test_the_textarea_break_out_shows_as_text_and_runs_nothing(watched, demo_data):
    page, seen = watched
    case = demo_case()
    person = case.person
    person.given_name, person.preferred_name = BREAK_OUT, ""
    person.save()

    sign_in_with_form(page, "linkworker")
    assert_nothing_refused(page, seen, f"/cases/{case.uuid}/prescription/")
    text = page.get_by_test_id("prescription-text")
    assert text.input_value().startswith(f"Your social prescription, {BREAK_OUT}")
    assert page.locator("img[src=x]").count() == 0
    # The print button still works without its inline onclick.
    page.evaluate(
        "() => { window.__printed = false; window.print = () => { window.__printed = true; }; }"
    )
    page.get_by_role("button", name="Print").click()
    assert page.evaluate("() => window.__printed")


def _case_pages(case):
    base = f"/cases/{case.uuid}"
    return [
        f"{base}/",
        f"{base}/what-matters/",
        f"{base}/people/",
        f"{base}/connections/",
        f"{base}/connections/?q=&nearby=on",  # the cards, and the map from the tile server
        f"{base}/outcomes/",
        f"{base}/outcomes/ons4/baseline/",
        f"{base}/close/",
        f"{base}/prescription/",
        f"/referrals/{case.uuid}/",
    ]


def pages_for(username, case):
    return {
        "gp": ["/", "/referrals/", f"/referrals/{case.uuid}/", "/referrals/new/",
               "/notifications/"],
        "linkworker": ["/", "/cases/", "/cases/supervision/", "/referrals/", *_case_pages(case)],
        "coordinator": ["/", "/referrals/triage/", "/cases/team/", "/cases/waiting/", "/cases/",
                        f"/referrals/{case.uuid}/", f"/cases/{case.uuid}/", "/reporting/",
                        f"/people/{case.person.uuid}/"],
        "dpo": ["/", "/audit/", f"/audit/?find={case.reference}", "/audit/unusual/",
                f"/audit/people/{case.person.uuid}/", f"/people/{case.person.uuid}/"],
        "provider": ["/", "/directory/manage/", "/providers/referrals/",
                     "/notifications/"],
        "commissioner": ["/", "/reporting/"],
        "admin": ["/admin/", "/admin/referrals/referral/",
                  f"/admin/referrals/referral/{case.pk}/change/", "/admin/accounts/user/",
                  "/admin/accounts/user/add/"],
    }[username]  # fmt: skip


PUBLIC = ["/", "/accounts/login/", "/directory/", "/directory/?postcode=CF37+1AB",
          "/self-referral/", "/accounts/password/reset/", "/api/docs/", "/cy/"]  # fmt: skip


def test_public_pages_break_no_rule(looking):
    page, seen = looking
    for path in PUBLIC:
        assert_nothing_refused(page, seen, path)


@pytest.mark.parametrize(
    "username", ["gp", "linkworker", "coordinator", "provider", "commissioner", "admin", "dpo"]
)
def test_each_roles_main_pages_break_no_rule(looking, username):
    page, seen = looking
    case = demo_case()
    sign_in_with_form(page, username)
    for path in pages_for(username, case):
        assert_nothing_refused(page, seen, path)


def test_the_dashboard_charts_still_draw(watched, demo_data):
    page, seen = watched
    sign_in_with_form(page, "coordinator")
    page.goto("/reporting/")
    page.get_by_role("button", name="Refresh figures").click()
    expect(page.get_by_test_id("figures-as-at")).to_contain_text("Figures as at")
    assert_nothing_refused(page, seen, "/reporting/")
    charts = page.locator("canvas[data-chart]")
    assert charts.count() > 0
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".map(canvas => window.Chart.getChart(canvas) !== undefined && canvas.width > 0)"
    )
    assert all(drawn)


def test_the_api_docs_draw_under_the_policy(looking):
    page, seen = looking
    assert_nothing_refused(page, seen, "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Social prescribing")
    # Redoc needs inline style (styled-components); that exception is its page's alone.
    response = page.goto("/api/redoc/")
    policy = response.headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy + ";"
    assert "worker-src 'self' blob:" in policy
    expect(page.locator(".api-info h1")).to_contain_text("Social prescribing")
    expect(page.get_by_role("search").or_(page.locator("[role=search]")).first).to_be_visible()
    # Only the Redocly logo from its CDN is refused: no request leaves this site.
    refused = page.evaluate("() => window.__cspViolations")
    assert all(v.startswith("img-src https://cdn.redoc.ly/") for v in refused), refused
