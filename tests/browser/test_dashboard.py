"""The manager dashboard in Chromium: from a figure to the accounts behind it."""

import pytest

from accounts.models import Account
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


HOSTILE = '<a href="https://evil.example/">Acme</a> <img src=x onerror=alert(1)>'


def test_a_hostile_name_shows_as_typed_in_the_path_hover(
    browser: object, page: object, live_server: object
) -> None:
    # given: Acme's name is markup
    team = build_team()
    Account.objects.filter(pk=team.accounts["Acme"].pk).update(name=HOSTILE)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]

    # when: the manager hovers over the end of Acme's path
    browser_login(page, live_server, team.manager.username)
    page.goto(f"{live_server.url}/plans/dashboard/")  # type: ignore[attr-defined]
    page.locator("#path-chart .scatterlayer .trace").nth(2).wait_for()  # type: ignore[attr-defined]
    page.evaluate(  # type: ignore[attr-defined]
        """(id) => {
            const holder = document.getElementById("path-chart");
            const curve = holder.data.findIndex((trace) => trace.customdata[0] === id);
            const last = holder.data[curve].x.length - 1;
            window.Plotly.Fx.hover(holder, [{curveNumber: curve, pointNumber: last}]);
        }""",
        team.accounts["Acme"].pk,
    )
    label = page.wait_for_selector("#path-chart .hoverlayer .hovertext")  # type: ignore[attr-defined]
    labels = [label.text_content()]

    # then: the label reads the name as typed, and nothing ran or loaded
    assert any(HOSTILE in text for text in labels)
    assert page.locator("img[src='x']").count() == 0  # type: ignore[attr-defined]
    assert page.locator("#path-chart a[href*='evil.example']").count() == 0  # type: ignore[attr-defined]
    assert dialogs == []


def test_the_completeness_table_fits_a_tablet(
    browser: object, page: object, live_server: object
) -> None:
    # given
    team = build_team()
    page.set_viewport_size({"width": 820, "height": 900})  # type: ignore[attr-defined]
    browser_login(page, live_server, team.manager.username)

    # when
    page.goto(f"{live_server.url}/plans/dashboard/")  # type: ignore[attr-defined]
    wrap = page.locator(".completeness-wrap")  # type: ignore[attr-defined]
    wrap.wait_for()

    # then: no sideways scrolling, the last change sits in the tooltip
    scroll, client = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client
    assert not page.locator(".completeness td.last-change").first.is_visible()  # type: ignore[attr-defined]
    assert page.locator(".completeness .percent[title^='Last change']").count() > 0  # type: ignore[attr-defined]
