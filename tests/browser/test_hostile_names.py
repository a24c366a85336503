"""Hostile names in Chromium: shown as typed in the quadrant, never run."""

import pytest
from django.urls import reverse

from accounts.models import Account
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, RevenueLineFactory
from tests.conftest import PROJECT_DIR, browser_login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# plotly.js reads a few tags in labels (<a>, <b>, <br>...) and drops others,
# so the name carries one of each kind.
HOSTILE = '<a href="https://evil.example/">Acme</a> <img src=x onerror=alert(1)>'


def test_a_hostile_name_shows_as_typed_in_the_quadrant_hover(
    page, live_server, manager, rep
):
    # given one account whose name is markup, scored on its own
    account = AccountFactory.create(name=HOSTILE)
    account.team_members.add(rep)
    RevenueLineFactory.create(account=account)
    score_run_request(trigger="test")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # when the manager hovers over its marker
    browser_login(page, live_server, manager.username)
    page.wait_for_selector("#quadrant .scatterlayer .point")
    page.locator("#quadrant .scatterlayer .point").first.hover(force=True)
    label = page.wait_for_selector("#quadrant .hoverlayer .hovertext")
    page.screenshot(path=str(PROJECT_DIR / "var" / "shots" / "hostile-hover.png"))

    # then the label reads the name as typed, and nothing ran or loaded
    assert HOSTILE in label.text_content()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#quadrant a[href*='evil.example']").count() == 0
    assert dialogs == []
    assert HOSTILE in page.locator("#account-table tbody").inner_text()


def test_a_hostile_name_typed_in_the_account_form_stays_text(
    page, live_server, ops, account
):
    # given: an account scored once under its old name
    RevenueLineFactory.create(account=account)
    score_run_request(trigger="test")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    browser_login(page, live_server, ops.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))

    # when: sales ops renames it to markup in the account's form
    page.get_by_role("link", name="Edit account").click()
    page.fill("input[name=name]", HOSTILE)
    page.get_by_role("button", name="Save account").click()

    # then: the account page shows the name as typed, and nothing ran
    assert page.locator(".messages li").inner_text() == f"{HOSTILE} saved."
    assert page.locator("h1").inner_text() == HOSTILE
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href*='evil.example']").count() == 0
    assert Account.objects.get(pk=account.pk).name == HOSTILE

    # and the quadrant's hover reads it as typed
    page.goto(live_server.url + reverse("scoring:portfolio"))
    page.wait_for_selector("#quadrant .scatterlayer .point")
    page.locator("#quadrant .scatterlayer .point").first.hover(force=True)
    label = page.wait_for_selector("#quadrant .hoverlayer .hovertext")
    page.screenshot(path=str(PROJECT_DIR / "var" / "shots" / "renamed-hover.png"))
    assert HOSTILE in label.text_content()
    assert "Acme Corporation" not in label.text_content()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#quadrant a[href*='evil.example']").count() == 0
    assert HOSTILE in page.locator("#account-table tbody").inner_text()
    assert dialogs == []
