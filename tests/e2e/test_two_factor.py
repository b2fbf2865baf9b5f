"""Two-factor sign-in in a real browser: Rhian sets up her authenticator app at her first
sign-in, then signs in again with a code from it, and once with a recovery code."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from accounts.models import Role
from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in_with_form
from tests.factories import UserFactory


def authenticator_code(secret: str, drift: int = 0) -> str:
    """What an authenticator app that scanned the QR code (or typed the key) shows."""
    return f"{totp(b32decode(secret.replace(' ', '')), drift=drift):06d}"


@pytest.fixture
def rhian(transactional_db, settings):
    settings.OTP_REQUIRED = True
    return UserFactory(username="rhian", first_name="Rhian", role=Role.REFERRER)


def test_rhian_sets_up_two_factor_sign_in_and_signs_in_with_a_code(page, rhian, assert_accessible):
    sign_in_with_form(page, "rhian", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    qr = page.get_by_test_id("totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert_accessible(page)
    secret = page.get_by_test_id("totp-secret").inner_text()

    page.get_by_label("Code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert_accessible(page)
    codes = page.get_by_test_id("recovery-codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_form(page, "rhian", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    assert_accessible(page)
    # The next 30-second step: the code used to set it up cannot be used twice.
    page.get_by_label("Code").fill(authenticator_code(secret, drift=1))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    page.get_by_role("button", name="Sign out").click()

    sign_in_with_form(page, "rhian", PASSWORD)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your referrals")
    # From her account page, which holds her password and two-factor settings.
    page.get_by_role("link", name="Your account").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_text("You have 9 recovery codes left.")).to_be_visible()
    assert_accessible(page)
