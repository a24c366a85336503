"""The manager dashboard in Chromium: from a figure to the accounts behind it."""

import pytest
from playwright.sync_api import Browser, Dialog, Page
from pytest_django.live_server_helper import LiveServer

from accounts.models import Account
from plans.calendar import fiscal_quarter_current
from tests.accounts.factories import UserFactory
from tests.conftest import browser_login
from tests.plans.test_dashboard import build_team

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_clicks_a_figure_and_lands_on_its_accounts(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    # given
    team = build_team()
    browser_login(page, live_server, team.manager.username)
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("heading", name="Manager dashboard").wait_for()
    # Acme, Bolt and Crane have kept scores; Dune has none, Edge is not Mark's.
    page.locator("#path-chart .legendtext").nth(2).wait_for()
    paths = page.evaluate(
        "document.getElementById('path-chart').data"
        ".filter((trace) => trace.showlegend === false).map((trace) => trace.name)"
    )
    assert paths == ["Acme", "Bolt", "Crane"]

    # when
    page.locator('a[data-figure="execution.no_plan"]').click()

    # then
    page.get_by_test_id("figure-title").wait_for()
    assert "/plans/dashboard/accounts/" in page.url
    assert page.get_by_test_id("figure-title").inner_text() == (
        "Accounts without an open plan"
    )
    names = page.locator("[data-testid=drill-accounts] tbody td:first-child a")
    assert names.all_inner_texts() == ["Bolt", "Dune"]


def test_the_path_chart_legend_names_the_latest_quarter_and_the_dots(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    # given
    team = build_team()
    latest = fiscal_quarter_current().short_label
    browser_login(page, live_server, team.manager.username)

    # when
    page.goto(f"{live_server.url}/plans/dashboard/")
    page.locator("#path-chart .legendtext").nth(2).wait_for()

    # then
    assert page.locator("#path-chart .legendtext").all_text_contents() == [
        "Earlier quarters (small dots)",
        f"Latest quarter, {latest} (large dot)",
        "Colour: quadrant in the latest quarter",
    ]
    chart = page.locator("#paths-title").locator("xpath=..")
    for width in (1366, 820):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)
        chart.screenshot(path=f"var/shots/dashboard-paths-{width}.png")


def test_a_filter_applies_on_change_and_the_quadrant_drills_down(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    # given
    team = build_team()
    browser_login(page, live_server, team.manager.username)
    page.goto(f"{live_server.url}/plans/dashboard/")

    # when: choosing a rep reloads the dashboard with only their accounts
    page.select_option("select[name=rep]", str(team.ray.pk))
    page.wait_for_url(f"**/plans/dashboard/?*rep={team.ray.pk}*")
    page.locator('a[data-figure="quadrant.expand"]').click()

    # then
    page.get_by_test_id("figure-title").wait_for()
    names = page.locator("[data-testid=drill-accounts] tbody td:first-child a")
    assert names.all_inner_texts() == ["Bolt"]
    assert f"rep={team.ray.pk}" in page.url


HOSTILE = '<a href="https://evil.example/">Acme</a> <img src=x onerror=alert(1)>'


def test_a_hostile_name_shows_as_typed_in_the_path_hover(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    # given: Acme's name is markup
    team = build_team()
    Account.objects.filter(pk=team.accounts["Acme"].pk).update(name=HOSTILE)
    dialogs: list[str] = []

    def note_and_dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note_and_dismiss)

    # when: the manager hovers over the end of Acme's path
    browser_login(page, live_server, team.manager.username)
    page.goto(f"{live_server.url}/plans/dashboard/")
    page.locator("#path-chart .scatterlayer .trace").nth(2).wait_for()
    page.evaluate(
        """(id) => {
            const holder = document.getElementById("path-chart");
            const curve = holder.data.findIndex((trace) => trace.customdata[0] === id);
            const last = holder.data[curve].x.length - 1;
            window.Plotly.Fx.hover(holder, [{curveNumber: curve, pointNumber: last}]);
        }""",
        team.accounts["Acme"].pk,
    )
    label = page.wait_for_selector("#path-chart .hoverlayer .hovertext")
    assert label is not None
    labels = [label.text_content() or ""]

    # then: the label reads the name as typed, and nothing ran or loaded
    assert any(HOSTILE in text for text in labels)
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#path-chart a[href*='evil.example']").count() == 0
    assert dialogs == []


@pytest.mark.parametrize("width", [820, 768])
def test_the_completeness_table_fits_a_tablet(
    browser: Browser, page: Page, live_server: LiveServer, width: int
) -> None:
    # given
    team = build_team()
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, team.manager.username)

    # when
    page.goto(f"{live_server.url}/plans/dashboard/")
    wrap = page.locator(".completeness-wrap")
    wrap.wait_for()

    # then: no sideways scrolling, the last change sits in the tooltip
    scroll, client = wrap.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client
    assert not page.locator(".completeness td.last-change").first.is_visible()
    assert page.locator(".completeness .percent[title^='Last change']").count() > 0


@pytest.mark.parametrize("width", [1366, 1024, 820])
def test_each_sentiment_tile_shows_its_label_whole(
    browser: Browser, page: Page, live_server: LiveServer, width: int
) -> None:
    # given
    team = build_team()
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, team.manager.username)

    # when
    page.goto(f"{live_server.url}/plans/dashboard/")
    page.locator(".sentiment").wait_for()

    # then: every label sits on one line inside its tile, none cut off
    tiles = page.locator(".sentiment a").evaluate_all(
        """links => links.map(link => ({
            label: link.querySelector(".sentiment-label").textContent,
            lines: link.querySelector(".sentiment-label").getClientRects().length,
            fits: link.scrollWidth <= link.clientWidth,
        }))"""
    )
    assert tiles == [
        {"label": label, "lines": 1, "fits": True}
        for label in ["Opponent", "Sceptics", "Neutral", "Supporter", "Ally"]
    ]


REP_LINES = """
() => Array.from(document.querySelectorAll("[data-testid=drill-accounts] .rep"))
  .map((rep) => ({
    text: rep.textContent,
    title: rep.title,
    lines: Math.round(rep.getBoundingClientRect().height
      / parseFloat(getComputedStyle(rep).lineHeight)),
    cut: rep.scrollWidth > rep.clientWidth,
  }))
"""


@pytest.mark.parametrize("width", [1366, 820])
def test_the_drill_down_keeps_each_rep_name_on_one_line(
    page: Page, live_server: LiveServer, width: int
) -> None:
    # given: Crane has four reps, one with a name longer than the column
    team = build_team()
    crane = Account.objects.get(name="Crane")
    for first_name, last_name in [
        ("Bartholomew", "Featherstonehaugh"),
        ("Maximiliane", "Oberhausen-Wittgenstein-Habsburg"),
    ]:
        crane.team_members.add(
            UserFactory.create(
                first_name=first_name, last_name=last_name, team=team.rita.team
            )
        )
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, live_server, team.manager.username)

    # when
    page.goto(f"{live_server.url}/plans/dashboard/accounts/?figure=accounts")
    page.get_by_test_id("drill-accounts").wait_for()

    # then: every name is on one line, the long one cut with its whole name
    # in the title, and the table fits its card
    reps = page.evaluate(REP_LINES)
    assert [(rep["text"], rep["lines"]) for rep in reps] == [
        ("Rita Reyes", 1),
        ("Ray Ortiz", 1),
        ("Bartholomew Featherstonehaugh", 1),
        ("Maximiliane Oberhausen-Wittgenstein-Habsburg", 1),
        ("Ray Ortiz", 1),
        ("+1 more", 1),
        ("Ray Ortiz", 1),
    ]
    # A laptop has room for all but the longest name; a tablet cuts both.
    assert [rep["text"] for rep in reps if rep["cut"]] == (
        ["Maximiliane Oberhausen-Wittgenstein-Habsburg"]
        if width == 1366
        else [
            "Bartholomew Featherstonehaugh",
            "Maximiliane Oberhausen-Wittgenstein-Habsburg",
        ]
    )
    assert [rep["title"] for rep in reps[2:4]] == [rep["text"] for rep in reps[2:4]]
    assert page.evaluate(
        "(() => { const wrap = document.querySelector('.table-wrap');"
        " return wrap.scrollWidth <= wrap.clientWidth; })()"
    )
