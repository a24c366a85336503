"""The stored dashboard: the same figures as building it, read in few queries.

The page reads a summary built once per viewer and filters; these tests
hold it to plans.dashboard.dashboard_for_user, the straightforward build, on
the hand-counted team of test_dashboard.py.
"""

import io
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from openpyxl import load_workbook
from pytest_django import Settings

from accounts.models import User
from plans.dashboard import (
    FIGURE_SINGULARS,
    Dashboard,
    DashboardFilters,
    dashboard_account_rows,
    dashboard_figure_rows,
    dashboard_for_user,
    dashboard_tables,
)
from plans.dashboard_summaries import (
    dashboard_body_version,
    dashboard_data_version,
    dashboard_summary_figure_ids,
    dashboard_summary_for_user,
    dashboard_summary_rows,
)
from plans.exports import table_csv, tables_xlsx
from plans.models import DashboardSummary
from plans.services import action_create
from plans.tasks import on_score_run_finished
from scoring.services import score_run_request
from scoring.tasks import scoring_run_task
from tests.accounts.factories import UserFactory
from tests.plans.test_dashboard import Team, _grow, build_team


def _stored(**kwargs: Any) -> Dashboard:
    """Return the viewer's dashboard, which these tests expect to be ready."""
    dashboard = dashboard_summary_for_user(**kwargs)
    assert isinstance(dashboard, Dashboard), "the dashboard is being prepared"
    return dashboard


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


@pytest.fixture
def viewer(team_data: Team, who: str) -> User:
    """Return the team's `who`, or an executive, who sees every account."""
    if who == "executive":
        return UserFactory.create(role=User.Role.EXECUTIVE)
    return getattr(team_data, who)


@pytest.fixture
def manager_client(client: Client, team_data: Team) -> Client:
    client.force_login(team_data.manager)
    return client


T = TypeVar("T")
TwoSizes = Callable[..., tuple[Any, Any]]


@pytest.fixture
def at_two_sizes(team_data: Team) -> TwoSizes:
    """Return a taker of one measure after 2 accounts are added, then `more`.

    The first accounts go to Rita, the later ones to Ray, both under Mark.
    """

    def take(measure: Callable[[], T], *, more: int = 12) -> tuple[T, T]:
        _grow(2, team_data.manager, team_data.rita, "Small")
        small = measure()
        _grow(more, team_data.manager, team_data.ray, "Large")
        return small, measure()

    return take


def _overdue_action_add(team_data: Team) -> None:
    """Give Acme an overdue action through the plan's service, as Rita."""
    action_create(
        user=team_data.rita,
        plan=team_data.plans["Acme"],
        values={"title": "Late", "due_on": timezone.localdate() - timedelta(3)},
    )


def _shown(dashboard: Dashboard) -> dict[str, Any]:
    """Return what the dashboard page reads besides its rendered body."""
    return {
        "figures": {
            key: (figure.title, figure.count, figure.account_count)
            for key, figure in dashboard.figures.items()
        },
        "filters": dashboard.filters,
        "quarters": dashboard.quarters,
        "regions": dashboard.regions,
        "run": dashboard.run.pk if dashboard.run else None,
        "thresholds": (dashboard.performance_threshold, dashboard.potential_threshold),
        "effort": (dashboard.effort_median, dashboard.effort_days),
        "fresh_days": dashboard.fresh_days,
        "viewer_is_rep": dashboard.viewer_is_rep,
        "counts": (dashboard.row_count, dashboard.effort_count, dashboard.ranked_count),
    }


def _body(dashboard: Dashboard) -> str:
    """Render the filters and the figures' sections as the page does."""
    return render_to_string(
        "plans/_dashboard_body.html",
        {"dashboard": dashboard, "query": urlencode(dashboard.filters.as_query())},
    )


def _ids_by_name(dashboard: Dashboard, key: str) -> list[int]:
    return [pk for pk in dashboard.rows if pk in dashboard.figures[key].account_ids]


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("manager", {}),
        ("manager", {"region": "North", "stale_days": 90}),
        ("manager", {"quadrant": "grow"}),
        ("rita", {}),
        ("executive", {}),
        ("executive", {"tier": "A"}),
    ],
)
def test_the_stored_figures_equal_building_them(
    viewer: User, filters: dict[str, Any]
) -> None:
    # given
    asked = DashboardFilters(**{"stale_days": 30, **filters})
    built = dashboard_for_user(user=viewer, filters=asked)

    # when: the first read builds and stores it, the second reads it back
    dashboard_summary_for_user(user=viewer, filters=asked)
    stored = _stored(user=viewer, filters=asked)

    # then
    assert stored.built_at is not None and not stored.outdated
    assert stored.rows == {}
    assert _shown(stored) == _shown(built)
    assert stored.body_html == _body(built)
    assert 'data-figure="execution.overdue"' in stored.body_html
    for key in built.figures:
        ids = dashboard_summary_figure_ids(dashboard=stored, key=key)
        assert ids[:] == _ids_by_name(built, key), key
        assert ids[1:3] == _ids_by_name(built, key)[1:3], key


def test_the_drill_down_rows_equal_the_built_rows(team_data: Team) -> None:
    built = dashboard_for_user(user=team_data.manager)
    ids = list(built.rows)

    rows = dashboard_account_rows(user=team_data.manager, account_ids=ids)

    assert rows == list(built.rows.values())
    edge = team_data.accounts["Edge"].pk
    assert dashboard_account_rows(user=team_data.manager, account_ids=[edge]) == []


def test_a_recorded_plan_change_rebuilds_a_small_dashboard(team_data: Team) -> None:
    # given
    manager = team_data.manager
    before = _stored(user=manager)
    assert before.figures["execution.overdue"].count == 1

    # when: Acme gets an overdue action through the plan's service
    _overdue_action_add(team_data)
    after = _stored(user=manager)

    # then
    assert after.figures["execution.overdue"].count == 2
    assert not after.outdated
    assert DashboardSummary.objects.get().version == dashboard_data_version()


def test_a_large_dashboard_is_shown_as_of_its_time_while_it_is_rebuilt(
    manager_client: Client,
    team_data: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a stored dashboard, then every one counts as too large to build
    # in a request
    manager_client.get(reverse("plans:dashboard"))
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    _overdue_action_add(team_data)

    # when: the page is asked after the change; its refresh runs on commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stale = manager_client.get(reverse("plans:dashboard"))
    fresh = manager_client.get(reverse("plans:dashboard"))

    # then: the old figure, said to be old; then the new one
    assert len(callbacks) == 1
    body = stale.content.decode()
    assert stale.context["dashboard"].figures["execution.overdue"].count == 1
    assert "The data has changed since these figures were counted" in body
    assert "Figures as of" in body
    assert fresh.context["dashboard"].figures["execution.overdue"].count == 2
    assert "The data has changed since" not in fresh.content.decode()


def test_a_finished_score_run_task_rebuilds_the_large_dashboards(
    team_data: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: a large stored dashboard, then a change it has not seen
    dashboard_summary_for_user(user=team_data.manager)
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    _overdue_action_add(team_data)
    assert DashboardSummary.objects.get().version != dashboard_data_version()

    # when: the run task's success signal arrives (another task's is ignored)
    on_score_run_finished(sender=object())
    assert DashboardSummary.objects.get().version != dashboard_data_version()
    on_score_run_finished(sender=scoring_run_task)

    # then
    assert DashboardSummary.objects.get().version == dashboard_data_version()
    shown = _stored(user=team_data.manager)
    assert not shown.outdated
    assert shown.figures["execution.overdue"].count == 2


@pytest.mark.parametrize("block", [1_000, 2])
def test_the_drill_down_pages_the_accounts_by_name(
    manager_client: Client, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # given: three accounts a page, stored in blocks of two (a page then
    # reads across two blocks) or of a thousand
    monkeypatch.setattr("plans.views.ROWS_SHOWN", 3)
    monkeypatch.setattr("plans.dashboard_summaries.FIGURE_BLOCK", block)
    url = reverse("plans:dashboard_accounts")

    # when
    first = manager_client.get(url, {"figure": "accounts"})
    second = manager_client.get(url, {"figure": "accounts", "page": "2"})
    beyond = manager_client.get(url, {"figure": "accounts", "page": "nine"})

    # then
    assert [row.name for row in first.context["rows"]] == ["Acme", "Bolt", "Crane"]
    assert [row.name for row in second.context["rows"]] == ["Dune"]
    assert "Showing 1 to 3, by name." in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert 'href="?figure=accounts&amp;page=1" rel="prev"' in second.content.decode()
    assert beyond.status_code == 200
    assert [row.name for row in beyond.context["rows"]] == ["Acme", "Bolt", "Crane"]


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_a_stored_dashboard_is_read_in_the_same_queries_at_two_sizes(
    client: Client, viewer: User, at_two_sizes: TwoSizes, who: str
) -> None:
    # given
    client.force_login(viewer)

    def stored_page_queries() -> int:
        client.get(reverse("plans:dashboard"))  # builds it after the change
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("plans:dashboard"))
        assert response.status_code == 200
        assert response.context["dashboard"].built_at is not None
        return len(captured.captured_queries)

    # when
    small, large = at_two_sizes(stored_page_queries)

    # then: session, user, the data version, the visible set, the summary
    assert small == large
    assert large == (5 if who == "manager" else 4)


def test_a_summary_not_built_for_a_month_is_dropped_after_a_run(
    team_data: Team,
) -> None:
    # given: Rita's dashboard was last built 31 days ago, Mark's today
    dashboard_summary_for_user(user=team_data.rita)
    dashboard_summary_for_user(user=team_data.manager)
    DashboardSummary.objects.filter(user=team_data.rita).update(
        built_at=timezone.now() - timedelta(days=31)
    )

    # when
    on_score_run_finished(sender=scoring_run_task)

    # then
    assert list(DashboardSummary.objects.values_list("user", flat=True)) == [
        team_data.manager.pk
    ]


def test_a_requested_score_run_rebuilds_the_large_dashboards(
    team_data: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: a large stored dashboard of the current run
    dashboard_summary_for_user(user=team_data.manager)
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    before = DashboardSummary.objects.get()

    # when: a run is requested and its task runs, in process
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")

    # then: the run is current and the dashboard was built on it
    run.refresh_from_db()
    assert run.is_current
    after = DashboardSummary.objects.get()
    assert after.version == dashboard_data_version() != before.version
    assert before.built_at is not None and after.built_at is not None
    assert after.built_at > before.built_at
    assert not _stored(user=team_data.manager).outdated


# -- A large dashboard's first build, its drill-down and its exports ---------


def test_a_large_first_dashboard_is_prepared_by_a_task_not_the_request(
    manager_client: Client,
    team_data: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: every dashboard counts as too large to build in a request
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    url = reverse("plans:dashboard")

    # when: the page is asked; the task it sends is held back
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        asked = manager_client.get(url)
        again = manager_client.get(url)

    # then: no figures were built; the page says so and offers to reload
    assert asked.status_code == 200
    body = asked.content.decode()
    assert "These figures are being prepared." in body
    assert "Counting 4 accounts (untouched after 30 days)" in body
    assert 'data-testid="dashboard-reload"' in body
    assert 'data-testid="dashboard-nearest"' not in body
    pending = DashboardSummary.objects.get()
    assert (pending.built_at, pending.version, pending.accounts) == (None, "", 4)
    assert not pending.rows.exists()
    # asked twice, sent once
    assert len(callbacks) == 1
    assert "These figures are being prepared." in again.content.decode()

    # when: the task runs, in process
    callbacks[0]()
    shown = manager_client.get(url)

    # then
    built = dashboard_for_user(user=team_data.manager)
    dashboard = shown.context["dashboard"]
    assert _shown(dashboard) == _shown(built)
    assert dashboard.body_html == _body(built)
    assert "being prepared" not in shown.content.decode()


def test_figures_being_prepared_show_the_newest_stored_ones_meanwhile(
    manager_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: Mark's unfiltered dashboard is stored; then every one is large
    manager_client.get(reverse("plans:dashboard"))
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)

    # when: he asks for the North region
    with django_capture_on_commit_callbacks(execute=False):
        response = manager_client.get(reverse("plans:dashboard"), {"region": "North"})

    # then
    body = response.content.decode()
    nearest = response.context["nearest"]
    stamp = timezone.localtime(nearest.built_at).strftime("%-d %b %Y, %H:%M")
    assert "Counting 3 accounts (region North, untouched after 30 days)" in body
    assert (
        f"Meanwhile, your figures as of {stamp} with other filters: "
        "untouched after 30 days." in body
    )
    assert nearest.body_html in body
    assert nearest.filters.region == ""


def test_the_drill_down_and_exports_wait_for_figures_being_prepared(
    manager_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)

    # when
    with django_capture_on_commit_callbacks(execute=False):
        drill = manager_client.get(
            reverse("plans:dashboard_accounts"), {"figure": "accounts"}
        )
        export = manager_client.get(
            reverse("plans:dashboard_export", args=["csv"]), {"table": "accounts"}
        )

    # then
    assert drill.status_code == 200
    assert "These figures are being prepared." in drill.content.decode()
    assert export.status_code == 202
    assert export["Retry-After"] == "60"
    assert export.content.decode() == (
        "These figures are being prepared. Ask for the export again in a minute or two."
    )


@pytest.mark.parametrize(
    ("who", "filters"),
    [
        ("manager", {}),
        ("manager", {"region": "North"}),
        ("rita", {}),
        ("executive", {"tier": "A"}),
    ],
)
def test_the_stored_drill_down_rows_equal_a_fresh_build(
    viewer: User, filters: dict[str, Any]
) -> None:
    # given
    asked = DashboardFilters(**{"stale_days": 30, **filters})
    stored = _stored(user=viewer, filters=asked)
    built = dashboard_for_user(user=viewer, filters=asked)

    # when: every figure's accounts are read back as the drill-down does
    for key in built.figures:
        ids = dashboard_summary_figure_ids(dashboard=stored, key=key)
        rows = dashboard_summary_rows(dashboard=stored, account_ids=ids[:])

        # then
        assert rows == dashboard_figure_rows(dashboard=built, key=key), key
        assert rows == dashboard_account_rows(user=viewer, account_ids=ids[:]), key


def test_the_stored_rows_hold_only_the_viewers_accounts(team_data: Team) -> None:
    stored = _stored(user=team_data.manager)
    edge = team_data.accounts["Edge"].pk
    acme = team_data.accounts["Acme"].pk

    rows = dashboard_summary_rows(dashboard=stored, account_ids=[edge, acme])

    assert [row.name for row in rows] == ["Acme"]


@pytest.mark.parametrize("filters", [{}, {"region": "North"}, {"tier": "A"}])
def test_the_exports_of_the_stored_dashboard_equal_a_fresh_build(
    manager_client: Client, team_data: Team, filters: dict[str, str]
) -> None:
    # given
    built = dashboard_for_user(
        user=team_data.manager, filters=DashboardFilters.from_query(filters)
    )
    expected = dashboard_tables(dashboard=built)
    url = reverse("plans:dashboard_export", args=["csv"])

    # when
    manager_client.get(reverse("plans:dashboard"), filters)
    files = {
        table.name: manager_client.get(url, {"table": slugify(table.name), **filters})
        for table in expected
    }
    workbook = manager_client.get(
        reverse("plans:dashboard_export", args=["xlsx"]), filters
    )

    # then
    for table in expected:
        assert files[table.name].getvalue() == table_csv(table=table), table.name
    sheets = load_workbook(io.BytesIO(workbook.getvalue()))
    fresh = load_workbook(io.BytesIO(tables_xlsx(tables=expected)))
    assert [
        [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in sheets.worksheets
    ] == [
        [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in fresh.worksheets
    ]


def test_an_export_reads_the_stored_dashboard_in_the_same_queries_at_two_sizes(
    manager_client: Client, at_two_sizes: TwoSizes
) -> None:
    # given
    url = reverse("plans:dashboard_export", args=["xlsx"])

    def export_queries() -> int:
        manager_client.get(reverse("plans:dashboard"))  # builds it after the change
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get(url)
            response.getvalue()
        assert response.status_code == 200
        assert response.streaming
        return len(captured.captured_queries)

    # when
    small, large = at_two_sizes(export_queries)

    # then: session, user, the data version, the visible set, the summary,
    # the audit record's insert, then as the workbook streams its rows by
    # name and by plan rank, each read as it is written; no build
    assert small == large
    assert large == 8


def test_the_accounts_csv_streams_in_the_same_queries_at_two_sizes(
    manager_client: Client, at_two_sizes: TwoSizes
) -> None:
    # given
    url = reverse("plans:dashboard_export", args=["csv"])

    def export_queries() -> tuple[int, int]:
        manager_client.get(reverse("plans:dashboard"))  # builds it after the change
        with CaptureQueriesContext(connection) as captured:
            response = manager_client.get(url, {"table": "accounts"})
            lines = response.getvalue().decode("utf-8-sig").splitlines()
        assert response.status_code == 200
        assert response.streaming
        return len(captured.captured_queries), len(lines) - 1

    # when
    small, large = at_two_sizes(export_queries)

    # then: session, user, the data version, the visible set, the summary,
    # the audit record's insert, and the rows, read as they are sent; one
    # more account on the team's four for each one grown
    assert (small, large) == ((7, 6), (7, 18))


@pytest.mark.parametrize("who", ["manager", "executive"])
def test_a_drill_down_page_is_read_in_the_same_queries_at_two_sizes(
    client: Client, viewer: User, at_two_sizes: TwoSizes, who: str
) -> None:
    # given
    client.force_login(viewer)
    url = reverse("plans:dashboard_accounts")

    def drill_down_queries() -> int:
        client.get(url, {"figure": "accounts"})  # builds it after the change
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"figure": "accounts"})
        assert response.status_code == 200
        assert len(response.context["rows"]) == min(
            response.context["page"].paginator.count, 50
        )
        return len(captured.captured_queries)

    # when: past the page of 50
    small, large = at_two_sizes(drill_down_queries, more=60)

    # then: session, user, the data version, the visible set, the summary,
    # the page's ids, the page's rows and the current run's currency
    assert small == large
    assert large == (8 if who == "manager" else 7)


@pytest.fixture
def body_version_cleared() -> Iterator[None]:
    dashboard_body_version.cache_clear()
    yield
    dashboard_body_version.cache_clear()


def test_a_release_that_changes_the_body_markup_rebuilds_a_stored_dashboard(
    team_data: Team,
    settings: Settings,
    tmp_path: Path,
    body_version_cleared: None,
) -> None:
    # given: a stored dashboard
    manager = team_data.manager
    _stored(user=manager)
    before = DashboardSummary.objects.get().version

    # when: the body's template changes, and nothing in the data does
    templates = settings.TEMPLATES[0]["DIRS"][0]
    body = tmp_path / "plans" / "_dashboard_body.html"
    body.parent.mkdir()
    source = (templates / "plans" / "_dashboard_body.html").read_text()
    body.write_text(source + "<p>New markup</p>\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, templates]}]
    dashboard_body_version.cache_clear()
    after = _stored(user=manager)

    # then: it is built again, in the new markup
    stored = DashboardSummary.objects.get()
    assert not after.outdated
    assert stored.version != before
    assert stored.version.split(".")[:-1] == before.split(".")[:-1]
    assert stored.body_html.endswith("<p>New markup</p>\n")


def test_a_release_that_rewords_a_figure_rebuilds_a_stored_dashboard(
    team_data: Team, monkeypatch: pytest.MonkeyPatch, body_version_cleared: None
) -> None:
    # given: a stored dashboard, where one gate is overridden
    manager = team_data.manager
    _stored(user=manager)
    before = DashboardSummary.objects.get().version

    # when: the figure's words change in the code, and no template does
    monkeypatch.setitem(FIGURE_SINGULARS, "execution.overridden", "Gate let through")
    dashboard_body_version.cache_clear()
    after = _stored(user=manager)

    # then: it is built again, in the new words
    stored = DashboardSummary.objects.get()
    assert not after.outdated
    assert stored.version != before
    assert '<span class="figure-title">Gate let through</span>' in stored.body_html
