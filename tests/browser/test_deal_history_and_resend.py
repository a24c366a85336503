"""A deal's history and a New deal form sent twice, in Chromium, at two widths."""

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Account, AccountTeamMember, Opportunity, User
from accounts.services import deal_update
from tests.accounts.factories import ProductFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

DAY_HELP = (
    "The box shows the day your browser's way (10/20/2016 in US English). "
    "Typed as text, or in the API, a date is YYYY-MM-DD; one with slashes is "
    "refused, not guessed."
)


def shots(tmp_path: Path) -> Path:
    # DEAL_SHOTS keeps the screenshots somewhere a person can look at them.
    return Path(os.environ.get("DEAL_SHOTS", str(tmp_path)))


@pytest.mark.parametrize("width", [1366, 820])
def test_the_deal_history_reads_as_names_and_money(
    page,
    live_server,
    rep: User,
    manager: User,
    account: Account,
    deal: Opportunity,
    tmp_path: Path,
    width: int,
) -> None:
    # given: Rita handed the deal to Mark and won it in euros
    AccountTeamMember.objects.create(account=account, user=manager)
    deal_update(
        deal=deal,
        user=rep,
        data={
            "owner": manager,
            "stage": "won",
            "close_value": Decimal("50000.00"),
            "currency": "EUR",
        },
        expected_version=deal.updated_at,
    )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, rep.username)

    # when
    page.goto(live_server.url + reverse("accounts:deal_edit", args=[deal.pk]))

    # then
    rows = page.locator("[data-testid=history] tbody tr")
    assert [rows.nth(n).locator("td").all_inner_texts()[2:] for n in range(4)] == [
        ["Changed", "Currency", "USD", "EUR"],
        ["Changed", "Amount", "48,000.00 USD", "50,000.00 EUR"],
        ["Changed", "Stage", "Engaging", "Won"],
        ["Changed", "Owner", rep.display_name, manager.display_name],
    ]
    assert page.locator("#id_closed_on_helptext").inner_text() == DAY_HELP
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(shots(tmp_path) / f"deal-{width}.png"), full_page=True)


def test_a_day_typed_in_the_browsers_own_way_is_saved(
    page, live_server, rep: User, deal: Opportunity
) -> None:
    # given: Chromium in US English shows the close date as 03/31/2026
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:deal_edit", args=[deal.pk]))
    closed_on = page.locator("input[name=closed_on]")
    assert closed_on.get_attribute("type") == "date"
    assert closed_on.input_value() == "2026-03-31"

    # when: Rita types 04/30/2026 into the box, month first as it shows
    closed_on.click()
    page.keyboard.press("Home")
    page.keyboard.type("04302026")
    page.get_by_role("button", name="Save deal").click()
    page.wait_for_load_state("networkidle")

    # then
    deal.refresh_from_db()
    assert deal.closed_on == date(2026, 4, 30)


def test_a_double_click_on_add_deal_adds_one_deal(
    page, live_server, rep: User, account: Account
) -> None:
    # given
    ProductFactory.create(name="GTX Pro")
    browser_login(page, live_server, rep.username)
    page.goto(live_server.url + reverse("accounts:deal_create", args=[account.pk]))
    page.select_option("select[name=product]", label="GTX Pro")
    page.fill("input[name=close_value]", "52000")

    # when
    page.get_by_role("button", name="Add deal").dblclick()
    page.wait_for_load_state("networkidle")

    # then
    assert Opportunity.objects.filter(account=account).count() == 1
