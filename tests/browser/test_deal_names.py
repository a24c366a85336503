"""A deal's CRM name on the pages that list it, as text over its CRM id.

The deal page shows it in the field that edits it.

In Chromium, at a laptop's and a tablet's width.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, Opportunity, User
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = "<b>Spares</b> & more for the Northwind press line, second phase"
SIZES = [(1366, 768), (820, 1180)]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_deal_name_shows_as_text_over_its_crm_id(
    page,
    live_server,
    rep: User,
    account: Account,
    deal: Opportunity,
    tmp_path: Path,
    width: int,
    height: int,
) -> None:
    # given
    Opportunity.objects.filter(pk=deal.pk).update(name=HOSTILE)
    page.set_viewport_size({"width": width, "height": height})
    browser_login(page, live_server, rep.username)
    shown: dict[str, list[str]] = {}

    # when: the account page, the list of deals and the deal page
    for name, pk, part in (
        ("accounts:detail", account.pk, "#deals"),
        ("accounts:deal_list", account.pk, "[data-testid=deal-list]"),
        ("accounts:deal_edit", deal.pk, "main"),
    ):
        page.goto(live_server.url + reverse(name, args=[pk]))
        shown[name] = page.locator(f"{part} .deal-name").all_inner_texts()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(tmp_path / f"{name[9:]}-{width}.png"), full_page=True)
    field = page.locator("input[name=name]")

    # then
    assert shown == {
        "accounts:detail": [HOSTILE],
        "accounts:deal_list": [HOSTILE],
        "accounts:deal_edit": [],
    }
    assert field.input_value() == HOSTILE
    # The whole name is in view: the field takes the form's whole row.
    assert field.evaluate("e => e.scrollWidth <= e.clientWidth") is True
    assert page.locator(".crumbs").inner_text().endswith(f"Deals › {HOSTILE}")
