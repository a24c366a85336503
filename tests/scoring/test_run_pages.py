"""The score runs page and each run's page, for sales ops and managers."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from scoring.models import ScoreRun
from scoring.services import scoring_model_active

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(ops: User) -> list[ScoreRun]:
    model = scoring_model_active()
    good = ScoreRun.objects.create(
        scoring_model=model,
        status=ScoreRun.Status.SUCCEEDED,
        is_current=True,
        trigger="manual",
        requested_by=ops,
        accounts_scored=1500,
        revenue_lines_read=96000,
        message=(
            "3 lines in SEK left out: no SEK rate to USD on or before each "
            "line's quarter start; 12 accounts have no revenue in the window "
            "Q4 2025\u2013Q3 2026"
        ),
        started_at=datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC),
        finished_at=datetime(2026, 11, 2, 9, 0, 9, tzinfo=UTC),
        summary={"reporting_currency": "USD", "left_out_lines": {"SEK": 3}},
        timings={"load_seconds": 0.41, "total_seconds": 1.2},
    )
    failed = ScoreRun.objects.create(
        scoring_model=model,
        status=ScoreRun.Status.FAILED,
        trigger="nightly",
        message="Weights of the performance axis add up to 0.",
        started_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 3, 2, 0, 1, tzinfo=UTC),
    )
    waiting = ScoreRun.objects.create(scoring_model=model, trigger="import")
    return [good, failed, waiting]


def test_ops_see_every_run_with_status_times_who_and_warnings(
    client: Client, ops: User, runs: list[ScoreRun]
) -> None:
    client.force_login(ops)

    response = client.get("/scoring/runs/all/")

    assert response.status_code == 200
    page = response.content.decode()
    good, failed, waiting = runs
    assert [run.pk for run in response.context["page"]] == [
        waiting.pk,
        failed.pk,
        good.pk,
    ]
    assert f'<a href="/scoring/runs/{good.pk}/">Run {good.pk}</a>' in page
    assert "2 Nov 2026, 09:00" in page
    assert f'{ops.display_name}<span class="muted"> · Recompute button' in page
    assert "1,500" in page
    assert "2 warnings: 3 lines in SEK left out" in page
    assert "Failed: Weights of the performance axis add up to 0." in page
    assert "Nightly schedule" in page
    assert "Not started" in page


def test_a_run_page_lists_its_warnings_and_figures(
    client: Client, manager: User, runs: list[ScoreRun]
) -> None:
    client.force_login(manager)

    response = client.get(f"/scoring/runs/{runs[0].pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "<li>3 lines in SEK left out: no SEK rate to USD on or before each "
        "line&#x27;s quarter start.</li>"
    ) in page
    assert (
        "<li>12 accounts have no revenue in the window Q4 2025\u2013Q3 2026.</li>"
    ) in page
    assert "<li>SEK: 3</li>" in page
    assert "96,000" in page


def test_a_failed_run_page_says_why(
    client: Client, ops: User, runs: list[ScoreRun]
) -> None:
    client.force_login(ops)

    page = client.get(f"/scoring/runs/{runs[1].pk}/").content.decode()

    assert "Why it failed" in page
    assert "Weights of the performance axis add up to 0." in page


def test_a_finished_run_without_a_start_time_says_it_was_not_recorded(
    client: Client, ops: User
) -> None:
    run = ScoreRun.objects.create(
        scoring_model=scoring_model_active(),
        status=ScoreRun.Status.SUCCEEDED,
        trigger="manual",
        finished_at=datetime(2026, 11, 4, 8, 0, tzinfo=UTC),
    )
    client.force_login(ops)

    listed = client.get("/scoring/runs/all/").content.decode()
    shown = client.get(f"/scoring/runs/{run.pk}/").content.decode()

    assert '<span class="muted">Not recorded</span>' in listed
    assert "<dt>Started</dt><dd>Not recorded</dd>" in shown


@pytest.mark.parametrize("who", ["rep", "executive"])
def test_reps_and_executives_do_not_find_the_run_pages(
    client: Client, request: pytest.FixtureRequest, who: str, runs: list[ScoreRun]
) -> None:
    client.force_login(request.getfixturevalue(who))

    listed = client.get("/scoring/runs/all/")
    shown = client.get(f"/scoring/runs/{runs[0].pk}/")
    model = client.get("/scoring/model/").content.decode()

    assert listed.status_code == shown.status_code == 404
    assert "/scoring/runs/all/" not in model


@pytest.mark.parametrize("who", ["ops", "manager"])
def test_the_scoring_model_page_links_to_the_runs(
    client: Client, request: pytest.FixtureRequest, who: str, runs: list[ScoreRun]
) -> None:
    client.force_login(request.getfixturevalue(who))

    page = client.get("/scoring/model/").content.decode()

    assert (
        '<a href="/scoring/runs/all/" data-testid="run-list-link">Score runs</a>'
        in page
    )


def test_the_list_reads_a_fixed_number_of_queries(
    client: Client, ops: User, runs: list[ScoreRun]
) -> None:
    client.force_login(ops)
    client.get("/scoring/runs/all/")
    with CaptureQueriesContext(connection) as few:
        client.get("/scoring/runs/all/")
    model = runs[0].scoring_model
    for _ in range(5):
        ScoreRun.objects.create(scoring_model=model, trigger="api", requested_by=ops)

    with CaptureQueriesContext(connection) as more:
        client.get("/scoring/runs/all/")

    assert len(more) == len(few)


def test_a_warning_that_ends_in_a_full_stop_gets_only_one() -> None:
    run = ScoreRun(
        status=ScoreRun.Status.SUCCEEDED,
        message="Scores for the demo only.; 2 accounts have no revenue.",
    )

    assert run.warnings == [
        "Scores for the demo only",
        "2 accounts have no revenue",
    ]
