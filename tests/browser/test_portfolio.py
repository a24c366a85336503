from datetime import date, timedelta

import pytest

from accounts.revenue_keys import quarter_start
from scoring.services import score_run_request
from tests.accounts.factories import AccountFactory, RevenueLineFactory
from tests.conftest import browser_login

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_sees_one_marker_per_account_and_opens_one(
    page, live_server, manager, rep, outsider
):
    # given four accounts that bought alike in the last full quarter
    last_quarter = quarter_start(quarter_start(date.today()) - timedelta(days=1))
    for index in range(4):
        account = AccountFactory.create(name=f"Mine {index}")
        account.team_members.add(rep)
        RevenueLineFactory.create(account=account, quarter_start=last_quarter)
    AccountFactory.create(name="Not mine").team_members.add(outsider)
    score_run_request(trigger="test")

    # when
    browser_login(page, live_server, manager.username)
    page.wait_for_selector("#quadrant .main-svg")

    # then
    traces = page.evaluate(
        "document.getElementById('quadrant').data.map(trace => ("
        "{accounts: trace.customdata ? trace.x.length : 0, text: trace.text}))"
    )
    rows = page.locator("#account-table tbody tr").count()
    assert sum(trace["accounts"] for trace in traces) == rows == 4
    # The four score alike, so one marker shows them, with their count.
    assert traces[-1] == {"accounts": 0, "text": ["×4"]}

    page.locator("#quadrant .scatterlayer .point").first.click(force=True)
    page.wait_for_url("**/accounts/*/")
    assert page.locator("h1").inner_text().startswith("Mine")
