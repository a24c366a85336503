from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account, AccountAlias, Opportunity
from tests.accounts.factories import AccountFactory
from tests.browser.wizard_steps import (
    company_match_proposed_and_taken,
    proposal_ticked,
    refused_rows,
    shoot,
    wizard_checked,
)
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)

WIZARD = Path(__file__).parents[1] / "accounts" / "fixtures" / "wizard"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_ops_accept_a_proposed_company_match_for_deals_on_the_check_page(
    page, live_server, ops
) -> None:
    # given: a deals export whose account is spelt "BETATECH Inc."
    for name in ("Harbor Bank of the North", "Nordic Steel AB", "NORDIC STEEL Ltd"):
        AccountFactory.create(name=name, external_id="")
    betatech = AccountFactory.create(name="Betatech", external_id="")
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, WIZARD / "deals_company_names.csv")

    # when: the proposed match, its rows refused until it is ticked, is
    # ticked and the good rows are imported
    counts = company_match_proposed_and_taken(
        page,
        proposal=(
            "BETATECH Inc. is Betatech\n2 rows of deals\nsame name once case, "
            "spacing, punctuation and legal form are ignored ('betatech')"
        ),
        refused=(
            'Company "BETATECH Inc." matches no account exactly; accept the proposed '
            'match to "Betatech" or fix the name'
        ),
        shots="deals",
    )

    # then
    assert "Deals\t3\t0\t0\t2" in counts
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


def test_ops_merge_two_rows_of_a_companies_export_into_one_account(
    page, live_server, ops
) -> None:
    # given: a HubSpot export naming one company on lines 3 and 4, under two
    # record IDs
    browser_login(page, live_server, ops.username)
    wizard_checked(page, live_server, WIZARD / "hubspot_companies_merge.csv")
    assert page.locator(".proposals li").all_inner_texts() == [
        # The page keeps the double space of "Acme  Widgets Inc.".
        "Acme  Widgets Inc. is Acme Widgets, Inc\n1 row of accounts\nsame name in "
        "this upload once case, spacing, punctuation and legal form are ignored"
    ]
    shoot(page, "merge-in-file-proposal")

    # when: the proposal is ticked
    proposal_ticked(page)

    # then: nothing is rejected, and the merged row says what it changed
    assert "rows rejected" not in page.inner_text("main")
    assert refused_rows(page, "already used by Id") == 0
    assert page.locator("table.issues tbody tr").all_inner_texts() == [
        "hubspot_companies_merge.csv\t4\tCompany name\tAcme Widgets Inc.\tmerged "
        "into 'Acme Widgets, Inc', named on line 3; where the rows differ this "
        "later row wins: Number of Employees 130 (was 120); Id 9003 kept as "
        "another ID of the account\trepaired"
    ]
    shoot(page, "merge-in-file-ticked")

    # when: imported without skipping any row
    page.locator("#start-import").last.click()
    page.wait_for_url("**/import/wizard/*/")
    page.wait_for_selector("#report-counts")

    # then
    assert "Accounts\t2\t0\t0\t0" in page.inner_text("#report-counts")
    assert list(
        Account.objects.order_by("name").values_list("name", "external_id", "employees")
    ) == [("Acme Widgets, Inc", "9002", 130), ("Wayne Enterprises", "9001", 50)]
    assert list(
        AccountAlias.objects.values_list("name", "external_id", "account__name")
    ) == [("Acme  Widgets Inc.", "9003", "Acme Widgets, Inc")]
