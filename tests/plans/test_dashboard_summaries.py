"""The stored dashboard: the same figures as building it, read in few queries.

The page reads a summary built once per viewer and filters; these tests
hold it to plans.dashboard.dashboard_for_user, the straightforward build, on
the hand-counted team of test_dashboard.py.
"""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from accounts.models import User
from plans.dashboard import (
    Dashboard,
    DashboardFilters,
    dashboard_account_rows,
    dashboard_for_user,
)
from plans.dashboard_summaries import (
    dashboard_data_version,
    dashboard_summary_figure_ids,
    dashboard_summary_for_user,
)
from plans.models import DashboardSummary
from plans.services import action_create
from plans.tasks import on_score_run_finished
from scoring.services import score_run_request
from scoring.tasks import scoring_run_task
from tests.accounts.factories import UserFactory
from tests.plans.test_dashboard import Team, _grow, build_team


@pytest.fixture
def team_data(db: None) -> Team:
    return build_team()


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
    team_data: Team, who: str, filters: dict[str, Any]
) -> None:
    # given
    viewer = (
        UserFactory.create(role=User.Role.EXECUTIVE)
        if who == "executive"
        else getattr(team_data, who)
    )
    asked = DashboardFilters(**{"stale_days": 30, **filters})
    built = dashboard_for_user(user=viewer, filters=asked)

    # when: the first read builds and stores it, the second reads it back
    dashboard_summary_for_user(user=viewer, filters=asked)
    stored = dashboard_summary_for_user(user=viewer, filters=asked)

    # then
    assert stored.built_at is not None and not stored.outdated
    assert stored.rows == {}
    assert _shown(stored) == _shown(built)
    assert stored.body_html == _body(built)
    assert 'data-figure="execution.overdue"' in stored.body_html
    for key in built.figures:
        ids = dashboard_summary_figure_ids(
            user=viewer, filters=asked, dashboard=stored, key=key
        )
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
    before = dashboard_summary_for_user(user=manager)
    assert before.figures["execution.overdue"].count == 1

    # when: Acme gets an overdue action through the plan's service
    action_create(
        user=team_data.rita,
        plan=team_data.plans["Acme"],
        values={"title": "Late", "due_on": timezone.localdate() - timedelta(3)},
    )
    after = dashboard_summary_for_user(user=manager)

    # then
    assert after.figures["execution.overdue"].count == 2
    assert not after.outdated
    assert DashboardSummary.objects.get().version == dashboard_data_version()


def test_a_large_dashboard_is_shown_as_of_its_time_while_it_is_rebuilt(
    client: Client,
    team_data: Team,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: every dashboard counts as too large to build in a request
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    client.force_login(team_data.manager)
    client.get(reverse("plans:dashboard"))
    action_create(
        user=team_data.rita,
        plan=team_data.plans["Acme"],
        values={"title": "Late", "due_on": timezone.localdate() - timedelta(3)},
    )

    # when: the page is asked after the change; its refresh runs on commit
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        stale = client.get(reverse("plans:dashboard"))
    fresh = client.get(reverse("plans:dashboard"))

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
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    dashboard_summary_for_user(user=team_data.manager)
    action_create(
        user=team_data.rita,
        plan=team_data.plans["Acme"],
        values={"title": "Late", "due_on": timezone.localdate() - timedelta(3)},
    )
    assert DashboardSummary.objects.get().version != dashboard_data_version()

    # when: the run task's success signal arrives (another task's is ignored)
    on_score_run_finished(sender=object())
    assert DashboardSummary.objects.get().version != dashboard_data_version()
    on_score_run_finished(sender=scoring_run_task)

    # then
    assert DashboardSummary.objects.get().version == dashboard_data_version()
    shown = dashboard_summary_for_user(user=team_data.manager)
    assert not shown.outdated
    assert shown.figures["execution.overdue"].count == 2


def test_the_drill_down_pages_the_accounts_by_name(
    client: Client, team_data: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: three accounts a page
    monkeypatch.setattr("plans.views.ROWS_SHOWN", 3)
    client.force_login(team_data.manager)
    url = reverse("plans:dashboard_accounts")

    # when
    first = client.get(url, {"figure": "accounts"})
    second = client.get(url, {"figure": "accounts", "page": "2"})
    beyond = client.get(url, {"figure": "accounts", "page": "nine"})

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
    client: Client, team_data: Team, who: str
) -> None:
    # given
    viewer = team_data.manager
    if who == "executive":
        viewer = UserFactory.create(role=User.Role.EXECUTIVE)
    client.force_login(viewer)

    def stored_page_queries() -> int:
        client.get(reverse("plans:dashboard"))  # builds it after the change
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("plans:dashboard"))
        assert response.status_code == 200
        assert response.context["dashboard"].built_at is not None
        return len(captured.captured_queries)

    _grow(2, team_data.manager, team_data.rita, "Small")
    small = stored_page_queries()

    # when
    _grow(12, team_data.manager, team_data.ray, "Large")
    large = stored_page_queries()

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
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    dashboard_summary_for_user(user=team_data.manager)
    before = DashboardSummary.objects.get()

    # when: a run is requested and its task runs, in process
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")

    # then: the run is current and the dashboard was built on it
    run.refresh_from_db()
    assert run.is_current
    after = DashboardSummary.objects.get()
    assert after.version == dashboard_data_version() != before.version
    assert after.built_at > before.built_at
    assert not dashboard_summary_for_user(user=team_data.manager).outdated
