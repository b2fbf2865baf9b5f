"""Working with a provider and a case's documents, in a real browser at a desk and on a phone.

Llinos (demo "linkworker") writes to Prys (demo "provider") about a person attending his
"Grow and cook" group; Prys answers and records a session; Llinos sees both. Llinos then
attaches a signed consent form, downloads it, is refused a disguised program, and Prys,
who may not see the case, is answered 404 for the document's address.
"""

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from linkworkers.models import CaseDocument, Connection, ConnectionStatus
from tests.e2e.conftest import sign_in

VIEWPORTS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SHOTS = Path("test-results/screenshots")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def new_page(browser, live_server, viewport):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport,
                                  accept_downloads=True)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_a_message_exchange_and_the_register(
    browser, live_server, demo_data, assert_accessible, size
):
    connection = Connection.objects.select_related("referral").get(
        created_by__username="linkworker",
        status=ConnectionStatus.ATTENDING,
        service__name__startswith="Grow and cook",
    )
    case_page = reverse(
        "linkworkers:connections", kwargs={"referral_uuid": connection.referral.uuid}
    )
    llinos = new_page(browser, live_server, VIEWPORTS[size])
    sign_in(llinos, "linkworker", go_home=False)
    llinos.goto(case_page)
    llinos.get_by_test_id("open-connection").first.click()
    expect(llinos.get_by_role("heading", name="Messages")).to_be_visible()
    llinos.get_by_role("textbox", name="Message").fill("Could she bring her grandson next week?")
    llinos.get_by_role("button", name="Send message").click()
    expect(llinos.get_by_role("status").first).to_contain_text("Message sent.")
    expect(llinos.get_by_test_id("thread")).to_contain_text("bring her grandson")
    assert_accessible(llinos)

    prys = new_page(browser, live_server, VIEWPORTS[size])
    sign_in(prys, "provider", go_home=False)
    prys.goto(reverse("providers:connections"))
    card = prys.get_by_test_id("provider-connection").filter(has_text=connection.referral.reference)
    card.get_by_test_id("open-connection").click()
    expect(prys.get_by_test_id("thread")).to_contain_text("bring her grandson")
    prys.get_by_role("textbox", name="Message").fill("Yes, of course: under-16s come free.")
    prys.get_by_role("button", name="Send message").click()
    expect(prys.get_by_role("status").first).to_contain_text("Message sent.")
    prys.get_by_label("Session date").fill(timezone.localdate().isoformat())
    prys.get_by_label("Missed").check()
    prys.get_by_label("Note (optional)").fill("Rang to say she was unwell")
    prys.get_by_role("button", name="Record session").click()
    expect(prys.get_by_role("status").first).to_contain_text("Session recorded.")
    expect(prys.get_by_test_id("register-counts")).to_have_text("0 sessions attended, 1 missed.")
    assert_accessible(prys)
    shot(prys, f"provider-connection-{size}")

    llinos.reload()
    expect(llinos.get_by_test_id("thread")).to_contain_text("under-16s come free")
    expect(llinos.get_by_test_id("register")).to_contain_text("Rang to say she was unwell")
    assert_accessible(llinos)
    shot(llinos, f"link-worker-connection-{size}")
    llinos.context.close()
    prys.context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
def test_an_upload_its_download_and_another_roles_refusal(
    browser, live_server, demo_data, assert_accessible, size
):
    connection = Connection.objects.select_related("referral").get(
        created_by__username="linkworker",
        status=ConnectionStatus.ATTENDING,
        service__name__startswith="Grow and cook",
    )
    referral = connection.referral
    llinos = new_page(browser, live_server, VIEWPORTS[size])
    sign_in(llinos, "linkworker", go_home=False)
    llinos.goto(reverse("linkworkers:case", kwargs={"referral_uuid": referral.uuid}))
    llinos.get_by_role("link", name="Documents", exact=True).click()
    expect(llinos.get_by_test_id("documents-empty")).to_be_visible()
    assert_accessible(llinos)

    llinos.locator("#id_file").set_input_files(
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00\x03"}
    )
    llinos.get_by_role("button", name="Upload").click()
    expect(llinos.locator("#id_file")).to_have_attribute("aria-invalid", "true")
    expect(llinos.get_by_test_id("upload-form")).to_contain_text("its content says otherwise")
    assert_accessible(llinos)

    llinos.locator("#id_file").set_input_files(
        {"name": "Ffurflen gydsynio ✓.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    llinos.get_by_label("What it is (optional)").fill("Signed consent")
    llinos.get_by_role("button", name="Upload").click()
    expect(llinos.get_by_role("status").first).to_contain_text("Document added.")
    row = llinos.get_by_test_id("document")
    expect(row).to_contain_text("Ffurflen gydsynio ✓.pdf")
    assert_accessible(llinos)
    shot(llinos, f"documents-{size}")
    with llinos.expect_download() as downloading:
        row.get_by_test_id("download").click()
    download = downloading.value
    assert download.suggested_filename == "Ffurflen gydsynio ✓.pdf"
    assert Path(download.path()).read_bytes() == PDF

    document = CaseDocument.objects.get(referral=referral)
    address = reverse(
        "linkworkers:document",
        kwargs={"referral_uuid": referral.uuid, "document_uuid": document.uuid},
    )
    prys = new_page(browser, live_server, VIEWPORTS[size])
    sign_in(prys, "provider", go_home=False)
    answer = prys.goto(address)
    assert answer is not None and answer.status == 404
    answer = prys.goto(reverse("linkworkers:documents", kwargs={"referral_uuid": referral.uuid}))
    assert answer is not None and answer.status == 404
    llinos.context.close()
    prys.context.close()
