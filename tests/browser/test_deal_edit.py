"""A rep edits a deal from the account page, in Chromium, at two widths."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Dialog

from accounts.models import Account, ChangeRecord, Opportunity, User
from tests.accounts.factories import ProductFactory
from tests.conftest import browser_login
from tests.security.test_escaping import HOSTILE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("width", [1366, 820])
def test_a_rep_edits_a_deal_from_the_account_page(
    page,
    live_server,
    rep: User,
    account: Account,
    deal: Opportunity,
    tmp_path: Path,
    width: int,
) -> None:
    # given
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))

    # when: Rita opens the deal, wins it without an amount, then fixes it
    page.get_by_role("link", name="Edit deal 0065g00000Q1w2eAAB").click()
    page.select_option("select[name=stage]", "won")
    page.fill("input[name=close_value]", "")
    page.get_by_role("button", name="Save deal").click()
    error = page.locator("#id_close_value_error")
    assert error.inner_text() == "A won deal needs an amount."
    described_by = page.get_attribute("input[name=close_value]", "aria-describedby")
    assert page.locator(f"#{described_by}").inner_text() == error.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"deal-refused-{width}.png"), full_page=True)
    page.fill("input[name=close_value]", "52000")
    page.get_by_role("button", name="Save deal").click()

    # then: back on the account page, saved and said so
    assert page.locator(".messages li").inner_text() == "Deal 0065g00000Q1w2eAAB saved."
    row = page.locator("[data-testid=deals] tbody tr").first
    assert row.locator("td").all_inner_texts()[:6] == [
        "0065g00000Q1w2eAAB",
        "GTX Pro",
        "Won",
        "52,000.00 USD",
        "31 Mar 2026",
        rep.display_name,
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(tmp_path / f"deal-saved-{width}.png"), full_page=True)
    deal.refresh_from_db()
    assert (deal.stage, deal.close_value) == ("won", Decimal("52000.00"))
    assert list(
        ChangeRecord.objects.order_by("pk").values_list("field", "new_value")
    ) == [("stage", "won"), ("close_value", "52000.00")]


@pytest.mark.parametrize("width", [1366, 820])
def test_a_long_deal_id_wraps_in_its_cell_on_the_account_page(
    page, live_server, rep: User, account: Account, tmp_path: Path, width: int
) -> None:
    # given a deal whose CRM ID is 100 characters with no break in it
    long_id = "L" + "W" * 99
    Opportunity.objects.create(
        external_id=long_id,
        account=account,
        product=ProductFactory.create(name="GTX Pro"),
        owner=rep,
        stage=Opportunity.Stage.ENGAGING,
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when Rita opens the account page
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))
    page.screenshot(path=str(tmp_path / f"long-deal-id-{width}.png"), full_page=True)

    # then the page, and the Deals table in its card, fit the window
    assert page.evaluate("document.documentElement.scrollWidth") == width
    wrap = page.locator("[data-testid=deals] .table-wrap")
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth") is True
    cell = page.locator("[data-testid=deals] tbody td").first
    assert cell.inner_text().replace("\n", "") == long_id
    edit = page.get_by_role("link", name=f"Edit deal {long_id}")
    box = edit.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [1366, 820])
def test_a_rep_renames_a_deal_and_sees_the_name_as_typed(
    page,
    live_server,
    rep: User,
    account: Account,
    deal: Opportunity,
    tmp_path: Path,
    width: int,
) -> None:
    # given: a deal named in the CRM, and a watch for any script's dialog
    Opportunity.objects.filter(pk=deal.pk).update(name="Acme renewal 2026")
    dialogs: list[str] = []

    def dismissed(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismissed)
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:detail", args=[account.pk]))

    # when: Rita gives it a name that is markup, and saves
    page.get_by_role("link", name="Edit deal 0065g00000Q1w2eAAB").click()
    assert page.get_by_label("Name", exact=True).input_value() == "Acme renewal 2026"
    page.get_by_label("Name", exact=True).fill(HOSTILE)
    page.get_by_role("button", name="Save deal").click()

    # then: the account page shows it as text, over the CRM id
    assert page.locator(".messages li").inner_text() == "Deal 0065g00000Q1w2eAAB saved."
    row = page.locator("[data-testid=deals] tbody tr").first
    assert row.locator(".deal-name").inner_text() == HOSTILE
    assert row.locator("img").count() == 0
    page.screenshot(path=str(tmp_path / f"deal-renamed-{width}.png"), full_page=True)
    # and the deal page has it in its field and its history
    page.get_by_role("link", name="Edit deal 0065g00000Q1w2eAAB").click()
    assert page.get_by_label("Name", exact=True).input_value() == HOSTILE
    history = page.locator("[data-testid=history] tbody tr").first
    assert history.locator("td").all_inner_texts()[2:] == [
        "Changed",
        "Name",
        "Acme renewal 2026",
        HOSTILE,
    ]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert dialogs == []
    deal.refresh_from_db()
    assert deal.name == HOSTILE
