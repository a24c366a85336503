import pytest

from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, RevenueLineFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_sees_one_marker_per_account_and_opens_one(
    page, live_server, manager, rep, outsider
):
    # given
    for index in range(4):
        account = AccountFactory.create(name=f"Mine {index}")
        account.team_members.add(rep)
        RevenueLineFactory.create(account=account)
    AccountFactory.create(name="Not mine").team_members.add(outsider)
    score_run_request(trigger="test")

    # when
    browser_login(page, live_server, manager.username)
    page.wait_for_selector("#quadrant .main-svg")

    # then
    markers = page.evaluate(
        "document.getElementById('quadrant').data"
        ".reduce((total, trace) => total + trace.x.length, 0)"
    )
    rows = page.locator("#account-table tbody tr").count()
    assert markers == rows == 4

    page.locator("#quadrant .scatterlayer .point").first.click(force=True)
    page.wait_for_url("**/accounts/*/")
    assert page.locator("h1").inner_text().startswith("Mine")
