"""The browser tests' accessibility check (`assert_accessible`, tests/e2e/conftest.py) fails on
a serious or critical fault and lets a moderate one pass, as it says."""

import re

import pytest

PAGE = '<!doctype html><html lang="en"><head><title>A page</title></head><body>{}</body></html>'
# A one-pixel transparent PNG.
PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR4nGNgYAAAAAMAAS"
    "sIKLEAAAAASUVORK5CYII="
)


@pytest.fixture
def blank(browser):
    page = browser.new_page()
    yield page
    page.close()


def test_a_moderate_fault_passes(blank, assert_accessible):
    # No main landmark, no level-one heading, text outside any region: each moderate.
    blank.set_content(PAGE.format("<p>Opening times: Tuesdays.</p>"))
    assert_accessible(blank)


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        (f'<main><h1>Groups</h1><img src="{PIXEL}"></main>', "image-alt"),  # critical
        ('<main><h1>Groups</h1><a href="/groups/"></a></main>', "link-name"),  # serious
        (
            '<main><h1>Groups</h1><p style="color: #ccc; background: #fff">Tuesdays</p></main>',
            "color-contrast",  # serious
        ),
    ],
)
def test_a_serious_or_critical_fault_fails(blank, assert_accessible, body, rule):
    blank.set_content(PAGE.format(body))
    with pytest.raises(AssertionError, match=rule) as failure:
        assert_accessible(blank)
    # Where: the check runs again with the elements' selectors once something fails.
    assert re.search(r"at \[\['[^']+'\]\]", str(failure.value)), failure.value
