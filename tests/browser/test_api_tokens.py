"""The API tokens page in Chromium: a new secret is shown exactly once."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_back_to_the_tokens_page_never_shows_the_secret_again(page, live_server, rep):
    # given: a token has just been created and its secret shown
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/accounts/tokens/")
    page.get_by_label("Name").fill("CRM nightly sync")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token-secret").input_value()
    assert secret.startswith(ApiToken.objects.get(user=rep).prefix)

    # when: the user leaves for the plans and comes back with Back
    page.goto(f"{live_server.url}/plans/")
    page.go_back()
    page.wait_for_url(f"{live_server.url}/accounts/tokens/")

    # then: the list is there, the secret is not
    expect(page.get_by_role("cell", name="CRM nightly sync")).to_be_visible()
    expect(page.get_by_text("Copy your new token now")).to_have_count(0)
    assert secret not in page.content()


def test_the_copy_button_stays_on_one_line_on_a_tablet(page, live_server, rep):
    # given
    browser_login(page, live_server, rep.username)
    page.goto(f"{live_server.url}/accounts/tokens/")
    page.get_by_label("Name").fill("CRM nightly sync")
    page.get_by_role("button", name="Create token").click()
    copy = page.get_by_role("button", name="Copy")

    for width in (1366, 820):
        # when
        page.set_viewport_size({"width": width, "height": 900})

        # then: one line of text, as tall as the Create token button
        create = page.get_by_role("button", name="Create token")
        assert copy.bounding_box()["height"] == create.bounding_box()["height"]
        page.screenshot(path=f"var/shots/tokens-{width}.png", full_page=True)
