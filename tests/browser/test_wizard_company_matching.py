import os
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import AccountAlias, Opportunity
from tests.accounts.factories import AccountFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"
# Set to a folder to keep screenshots of each wizard page.
SHOTS = os.environ.get("LODE_SCREENSHOTS", "")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def shoot(page, name: str) -> None:
    if not SHOTS:
        return
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def test_ops_accept_a_proposed_company_match_for_deals_on_the_check_page(
    page, live_server, ops
) -> None:
    # given: a deals export whose account is spelt "BETATECH Inc."
    for name in ("Harbor Bank of the North", "Nordic Steel AB", "NORDIC STEEL Ltd"):
        AccountFactory.create(name=name, external_id="")
    betatech = AccountFactory.create(name="Betatech", external_id="")
    browser_login(page, live_server, ops.username)
    page.goto(f"{live_server.url}/accounts/import/wizard/")
    page.set_input_files("#wizard-files", [str(WIZARD / "deals_company_names.csv")])
    page.click("text=Upload and preview")
    page.wait_for_url("**/mapping/")
    page.click("#confirm-mapping")
    page.wait_for_url("**/check/")

    # then: the match is proposed with its rows, and the rows are refused
    assert page.locator(".proposals li").all_inner_texts() == [
        "BETATECH Inc. is Betatech\n2 rows of opportunities\nsame name once case, "
        "spacing, punctuation and legal form are ignored ('betatech')"
    ]
    refused = (
        'Company "BETATECH Inc." matches no account exactly; accept the proposed '
        'match to "Betatech" or fix the name'
    )
    assert page.locator("table.issues td", has_text=refused).count() == 2
    assert "Problems: 4 rows rejected" in page.inner_text("main")
    shoot(page, "deals-proposal")

    # when: the proposal is ticked (the page checks again by itself)
    page.check(".proposals input[name=merge]")
    page.wait_for_load_state()
    page.wait_for_selector(".proposals input[name=merge]:checked")

    # then: only the account that matches nothing, or two, is refused
    assert page.locator("table.issues td", has_text=refused).count() == 0
    assert "Problems: 2 rows rejected" in page.inner_text("main")
    shoot(page, "deals-proposal-ticked")

    # when: the good rows are imported
    page.locator("input[name=keep_good_rows]").last.check()
    page.locator("#start-import").last.click()
    page.wait_for_url("**/import/wizard/*/")
    page.wait_for_selector("#report-counts")

    # then
    assert "Opportunities\t3\t0\t0\t2" in page.inner_text("#report-counts")
    assert list(
        Opportunity.objects.order_by("external_id").values_list(
            "external_id", "account__name", "close_value"
        )
    ) == [
        ("006B1", "Betatech", Decimal("100.00")),
        ("006B2", "Betatech", Decimal("250.00")),
        ("006B3", "Betatech", Decimal("400.00")),
    ]
    assert list(AccountAlias.objects.values_list("name", "account_id")) == [
        ("BETATECH Inc.", betatech.pk)
    ]
