"""A large dashboard's first figures, built by a real Celery worker on Redis."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from plans.dashboard import dashboard_for_user
from plans.models import DashboardSummary
from tests.plans.test_dashboard import build_team

pytestmark = pytest.mark.worker


def summary_built(timeout: float = 60) -> DashboardSummary:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = DashboardSummary.objects.get()
        if summary.built_at is not None:
            return summary
        time.sleep(0.2)
    pytest.fail(f"the dashboard was still being prepared after {timeout}s")


def test_the_worker_prepares_a_large_dashboard_the_page_asked_for(
    celery_worker: None, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given: every dashboard counts as too large to build in a request
    team = build_team()
    monkeypatch.setattr("plans.dashboard_summaries.REBUILD_IN_REQUEST_MAX", 0)
    client.force_login(team.manager)

    # when: the page is asked, and its task sent to Redis on commit
    asked = client.get(reverse("plans:dashboard"))
    summary = summary_built()
    shown = client.get(reverse("plans:dashboard"))

    # then
    assert "These figures are being prepared." in asked.content.decode()
    built = dashboard_for_user(user=team.manager)
    dashboard = shown.context["dashboard"]
    assert summary.accounts == 4
    assert {key: figure.count for key, figure in dashboard.figures.items()} == {
        key: figure.count for key, figure in built.figures.items()
    }
    assert not dashboard.outdated
    assert summary.rows.count() == 4
