"""The review demo: manager reviews, a quadrant change, nothing in the future."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Account, User
from plans.calendar import local_date
from plans.dashboard import dashboard_for_user
from plans.models import (
    ExecutiveReview,
    ManagerReview,
    MeasureQuarter,
    PlanSnapshot,
    VoiceOfCustomer,
)
from plans.services import plan_create
from scoring.computation import window_label
from scoring.models import AccountScore, ScoreRun
from tests.accounts.factories import AccountFactory
from tests.plans.test_dashboard import _run, _score
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_accounts(rep: User, manager: User) -> list[Account]:
    accounts = [AccountFactory.create(name=name) for name in ("Alpha", "Beta", "Gamma")]
    current = _run(local_date(timezone.now()), current=True)
    for account, (performance, potential) in zip(
        accounts, [(72, 64), (40, 80), (30, 20)], strict=True
    ):
        account.team_members.add(rep)
        plan_create(user=rep, account=account)
        for number in range(3):
            StakeholderFactory.create(account=account, last_name=f"Person {number}")
        quadrant = (
            "grow"
            if performance >= 50 and potential >= 50
            else "expand"
            if potential >= 50
            else "monitor"
        )
        _score(current, account, quadrant, "B", potential, performance=performance)
    return accounts


def test_the_demo_records_manager_reviews_and_nothing_after_today(
    manager: User, demo_accounts: list[Account]
) -> None:
    call_command("reviews_demo", count=3)

    today = local_date(timezone.now())
    reviews = ManagerReview.objects.all()
    assert reviews.count() == 6
    assert {review.reviewer for review in reviews} == {manager}
    assert all(review.reviewed_on <= today for review in reviews)
    assert not VoiceOfCustomer.objects.filter(said_on__gt=today).exists()
    assert not ExecutiveReview.objects.filter(held_on__gt=today).exists()
    assert not PlanSnapshot.objects.filter(taken_at__gt=timezone.now()).exists()
    assert not ScoreRun.objects.filter(as_of__gt=today).exists()
    assert MeasureQuarter.objects.exists()

    dashboard = dashboard_for_user(user=manager)
    states = {}
    for row in dashboard.rows.values():
        assert row.completeness is not None, row.name
        sections = {s.name: s.state for s in row.completeness.sections}
        states[row.name] = sections["Manager review"]
    assert "missing" not in set(states.values())
    assert states["Alpha"] == "fresh"
    assert (today - timedelta(days=7)) < max(review.reviewed_on for review in reviews)


def test_the_first_demo_account_changes_quadrant(demo_accounts: list[Account]) -> None:
    call_command("reviews_demo", count=3)

    quadrants = list(
        AccountScore.objects.filter(account=demo_accounts[0])
        .order_by("run__as_of")
        .values_list("quadrant", flat=True)
    )
    assert len(quadrants) == 4
    assert len(set(quadrants)) >= 2


def test_the_demo_score_history_reads_as_finished_runs(
    client, ops: User, demo_accounts: list[Account]
) -> None:
    # given
    call_command("reviews_demo", count=3)
    client.force_login(ops)

    # when
    runs = ScoreRun.objects.filter(trigger="demo-history").order_by("as_of")
    pages = [client.get(f"/scoring/runs/{run.pk}/").content.decode() for run in runs]

    # then
    assert len(pages) == 3
    for run, page in zip(runs, pages, strict=True):
        assert run.as_of is not None
        assert "<dt>Progress</dt><dd>100 %</dd>" in page
        assert (
            f"<dt>Window</dt><dd>{window_label(run.as_of)} "
            f"(as of {run.as_of:%-d %b %Y})</dd>"
        ) in page
        assert "<dt>Reporting currency</dt><dd>USD</dd>" in page
        assert "<li>Synthetic demo: past scores for the review demo only.</li>" in page
