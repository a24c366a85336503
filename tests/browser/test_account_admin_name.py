"""The admin's account form shows a taken name's message on the name field.

In Chromium, at a laptop's and a tablet's width.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, User
from accounts.services import ACCOUNT_NAME_TAKEN
from tests.accounts.factories import AccountFactory, UserFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [(1366, 768), (820, 1180)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_name_taken_in_other_capitals_is_refused_on_the_name_field(
    page, live_server, tmp_path: Path, width: int, height: int
) -> None:
    # given
    AccountFactory.create(name="Acme Widgets")
    UserFactory.create(
        username="ada", role=User.Role.OPS, is_staff=True, is_superuser=True
    )
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, live_server, "ada")

    # when
    page.goto(live_server.url + reverse("admin:accounts_account_add"))
    page.fill("input[name=name]", "ACME widgets")
    page.click("input[name=_save]")

    # then: the message sits in the name's row, wholly in view
    page.screenshot(path=str(tmp_path / f"account-add-{width}.png"), full_page=True)
    error = page.locator(".field-name .errorlist")
    assert error.inner_text() == ACCOUNT_NAME_TAKEN
    assert error.evaluate("e => e.getBoundingClientRect().right") <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert list(Account.objects.values_list("name", flat=True)) == ["Acme Widgets"]
