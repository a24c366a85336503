"""The manager dashboard in Chromium: from a figure to the accounts behind it."""

import pytest

from tests.conftest import browser_login
from tests.plans.test_dashboard import build_team

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_clicks_a_figure_and_lands_on_its_accounts(
    browser: object, page: object, live_server: object
) -> None:
    # given
    team = build_team()
    browser_login(page, live_server, team.manager.username)
    page.get_by_role("link", name="Dashboard").click()  # type: ignore[attr-defined]
    page.get_by_role("heading", name="Manager dashboard").wait_for()  # type: ignore[attr-defined]
    # Acme, Bolt and Crane have kept scores; Dune has none, Edge is not Mark's.
    page.locator("#path-chart .scatterlayer .trace").nth(2).wait_for()  # type: ignore[attr-defined]
    assert page.locator("#path-chart .scatterlayer .trace").count() == 3  # type: ignore[attr-defined]

    # when
    page.locator('a[data-figure="execution.no_plan"]').click()  # type: ignore[attr-defined]

    # then
    page.get_by_test_id("figure-title").wait_for()  # type: ignore[attr-defined]
    assert "/plans/dashboard/accounts/" in page.url  # type: ignore[attr-defined]
    assert page.get_by_test_id("figure-title").inner_text() == (  # type: ignore[attr-defined]
        "Accounts without an open plan"
    )
    names = page.locator("[data-testid=drill-accounts] tbody td:first-child a")  # type: ignore[attr-defined]
    assert names.all_inner_texts() == ["Bolt", "Dune"]


def test_a_filter_applies_on_change_and_the_quadrant_drills_down(
    browser: object, page: object, live_server: object
) -> None:
    # given
    team = build_team()
    browser_login(page, live_server, team.manager.username)
    page.goto(f"{live_server.url}/plans/dashboard/")  # type: ignore[attr-defined]

    # when: choosing a rep reloads the dashboard with only their accounts
    page.select_option("select[name=rep]", str(team.ray.pk))  # type: ignore[attr-defined]
    page.wait_for_url(f"**/plans/dashboard/?*rep={team.ray.pk}*")  # type: ignore[attr-defined]
    page.locator('a[data-figure="quadrant.expand"]').click()  # type: ignore[attr-defined]

    # then
    page.get_by_test_id("figure-title").wait_for()  # type: ignore[attr-defined]
    names = page.locator("[data-testid=drill-accounts] tbody td:first-child a")  # type: ignore[attr-defined]
    assert names.all_inner_texts() == ["Bolt"]
    assert f"rep={team.ray.pk}" in page.url  # type: ignore[attr-defined]
