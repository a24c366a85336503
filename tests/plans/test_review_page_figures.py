"""The review page: its date input, where its error shows, its figures."""

from datetime import date

import pytest
from django.test import Client

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_current
from plans.models import CustomerRating, ExecutiveReview
from plans.review_selectors import (
    quadrant_point,
    score_text,
    scorecard_for_account,
)
from scoring.models import AccountScore, ScoreRun
from scoring.services import scoring_model_active
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def _url(account: Account) -> str:
    return f"/plans/account/{account.pk}/review/{fiscal_quarter_current().slug}/"


def test_held_on_is_a_date_input_holding_the_stored_day(
    client: Client, rep: User, account: Account
) -> None:
    quarter = fiscal_quarter_current()
    ExecutiveReview.objects.create(
        account=account, quarter_start=quarter.start, held_on=quarter.start
    )
    client.force_login(rep)

    page = client.get(_url(account)).content.decode()

    assert (
        f'<input type="date" name="held_on" value="{quarter.start.isoformat()}" '
        'id="id_held_on">'
    ) in page


def test_a_refused_review_says_why_beside_the_form_not_at_the_top(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    response = client.post(_url(account), {"held_on": "31/02/2026"})

    page = response.content.decode()
    assert response.status_code == 400
    error = (
        '<p class="error form-error" role="alert" id="review-error" '
        'data-testid="review-error">Held on: enter a date like 2026-11-30</p>'
    )
    assert page.count("Held on: enter a date like 2026-11-30") == 1
    assert page.index('id="decisions-title"') < page.index(error)
    assert page.index(error) < page.index('<form method="post" class="review-form"')
    assert '<ul class="messages">' not in page


def test_a_stale_save_says_why_beside_the_form(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    client.post(_url(account), {"version": "", "decisions": "First"})
    version = account.executive_reviews.get().version
    client.post(_url(account), {"version": version, "decisions": "Second"})

    response = client.post(_url(account), {"version": version, "decisions": "Third"})

    page = response.content.decode()
    assert response.status_code == 400
    assert page.index('id="decisions-title"') < page.index('id="review-error"')
    assert "saved this review first" in page
    assert '<li class="error">' not in page


@pytest.mark.parametrize(
    ("value", "above", "text"),
    [
        (49.96, False, "49.9"),
        (49.94, False, "49.9"),
        (50.04, True, "50.0"),
        (62.35, True, "62.4"),
        (7.25, False, "7.2"),
    ],
)
def test_a_score_never_reads_across_its_threshold(
    value: float, above: bool, text: str
) -> None:
    assert score_text(value, above_threshold=above) == text


def test_a_path_point_keeps_the_exact_score_and_reads_on_its_side(
    account: Account,
) -> None:
    run = ScoreRun.objects.create(
        scoring_model=scoring_model_active(), status=ScoreRun.Status.SUCCEEDED
    )
    score = AccountScore.objects.create(
        run=run,
        account=account,
        performance=49.96,
        potential=50.04,
        quadrant=AccountScore.Quadrant.EXPAND,
        tier=AccountScore.Tier.B,
        ttm_revenue=0,
    )

    point = quadrant_point(quarter=fiscal_quarter_current(), score=score)

    assert point["performance"] == 49.96
    assert point["potential"] == 50.04
    assert point["performance_text"] == "49.9"
    assert point["potential_text"] == "50.0"
    assert point["quadrant"] == "Expand"


def test_the_customer_rating_rounds_half_up(account: Account) -> None:
    quarter = fiscal_quarter_current()
    for score in (6, 6, 6, 7):
        CustomerRating.objects.create(
            account=account,
            quarter_start=quarter.start,
            stakeholder=StakeholderFactory.create(account=account),
            score=score,
        )

    scorecard = scorecard_for_account(account=account, quarters=[quarter])

    assert str(scorecard.average_rating[quarter.start]) == "6.3"


def test_held_on_from_the_date_input_is_stored(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    client.post(_url(account), {"version": "", "held_on": "2026-11-30"})

    assert account.executive_reviews.get().held_on == date(2026, 11, 30)


def test_the_scorecard_link_is_labelled_by_permission(
    client: Client, rep: User, executive: User, account: Account
) -> None:
    scorecard = f"/plans/account/{account.pk}/scorecard/"
    labels = {}

    for user in [rep, executive]:
        client.force_login(user)
        page = client.get(_url(account)).content.decode()
        labels[user.username] = [
            label
            for label in ("Edit the scorecard", "Scorecard")
            if f'<a href="{scorecard}">{label}</a>' in page
        ]

    assert labels == {
        rep.username: ["Edit the scorecard"],
        executive.username: ["Scorecard"],
    }
