"""Quarters outside the plausible years are refused, not a 500.

Year 1 has no quarter before it, and a review shows the quarters leading up
to the one asked for; the API names `quarter`, the pages answer 404.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Account, User
from plans.calendar import fiscal_quarter_current, fiscal_quarters_ending_with
from plans.errors import PlanError
from plans.review_selectors import quadrant_path
from plans.review_services import executive_review_save, voice_create
from scoring.models import AccountScore, ScoreRun, ScoringModel

pytestmark = pytest.mark.django_db

MESSAGE = {"quarter": ["Give a quarter from 1990 to 2099, by its first day."]}


@pytest.mark.parametrize("slug", ["0001-01-01", "9999-10-01", "1989-10-01"])
@pytest.mark.parametrize(
    "address",
    [
        "/api/plans/accounts/{pk}/scorecard/?quarter={slug}",
        "/api/plans/accounts/{pk}/reviews/{slug}/",
        "/api/plans/accounts/{pk}/reviews/{slug}/export.pdf",
        "/api/plans/accounts/{pk}/reviews/{slug}/export.csv",
    ],
)
def test_the_api_names_a_quarter_out_of_range(
    client: Client, rep: User, account: Account, address: str, slug: str
) -> None:
    client.force_login(rep)

    response = client.get(address.format(pk=account.pk, slug=slug))

    assert response.status_code == 400
    assert response.json() == MESSAGE


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_review_page_of_year_one_is_not_found(
    client: Client, rep: User, account: Account, method: str
) -> None:
    client.force_login(rep)

    response = getattr(client, method)(
        f"/plans/account/{account.pk}/review/0001-01-01/"
    )

    assert response.status_code == 404


def test_a_run_dated_far_ahead_leaves_the_review_path_alone(
    client: Client, rep: User, account: Account
) -> None:
    # given
    model = ScoringModel.objects.filter(is_active=True).first() or (
        ScoringModel.objects.create(name="Default", is_active=True)
    )
    quarters = fiscal_quarters_ending_with(fiscal_quarter_current().previous, 4)
    for as_of, potential in ((quarters[-1].start, 60.0), (date(9999, 12, 31), 10.0)):
        run = ScoreRun.objects.create(
            scoring_model=model,
            status=ScoreRun.Status.SUCCEEDED,
            as_of=as_of,
            finished_at=timezone.now(),
        )
        AccountScore.objects.create(
            run=run,
            account=account,
            performance=40.0,
            potential=potential,
            quadrant="expand",
            tier="B",
            ttm_revenue=Decimal(1000),
            stored_components={},
        )
    client.force_login(rep)

    # when
    path = quadrant_path(account=account, quarters=quarters)
    response = client.get(
        f"/api/plans/accounts/{account.pk}/reviews/{quarters[-1].slug}/"
    )

    # then
    assert path == [
        {
            "quarter": quarters[-1].short_label,
            "performance": 40.0,
            "potential": 60.0,
            "performance_text": "40.0",
            "potential_text": "60.0",
            "quadrant": "Expand",
        }
    ]
    assert response.status_code == 200


def test_a_review_held_before_its_quarter_or_in_the_future_is_refused(
    rep: User, account: Account
) -> None:
    quarter = fiscal_quarter_current()
    starts = f"{quarter.start.day} {quarter.start:%b %Y}"
    refused = {}

    for held_on in [date(2020, 1, 1), quarter.start - timedelta(days=1)]:
        with pytest.raises(PlanError) as error:
            executive_review_save(
                user=rep,
                account=account,
                quarter=quarter,
                values={"held_on": held_on},
                version=None,
            )
        refused[held_on] = error.value.errors
    with pytest.raises(PlanError) as future:
        executive_review_save(
            user=rep,
            account=account,
            quarter=quarter,
            values={"held_on": timezone.localdate() + timedelta(days=1)},
            version=None,
        )

    before = [f"Held on cannot be before the quarter starts ({starts})."]
    assert list(refused.values()) == [{"held_on": before}, {"held_on": before}]
    assert future.value.errors == {"held_on": ["Held on cannot be in the future."]}
    assert str(future.value) == "Held on cannot be in the future."
    saved = executive_review_save(
        user=rep,
        account=account,
        quarter=quarter,
        values={"held_on": quarter.start},
        version=None,
    )
    assert saved.held_on == quarter.start


def test_a_voice_said_in_the_future_or_before_1990_is_refused(
    rep: User, account: Account
) -> None:
    errors = []

    for said_on in [date(2099, 1, 1), date(1989, 12, 31)]:
        with pytest.raises(PlanError) as error:
            voice_create(
                user=rep,
                account=account,
                values={
                    "kind": "quote",
                    "speaker": "CFO",
                    "body": "Hi",
                    "said_on": said_on,
                },
            )
        errors.append(error.value.errors)

    assert errors == [
        {"said_on": ["Said on cannot be in the future."]},
        {"said_on": ["Said on cannot be before 1990."]},
    ]
    assert account.voice_entries.count() == 0


def test_only_the_next_quarters_review_page_opens_ahead_of_time(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    later = fiscal_quarter_current().next

    pages = {
        quarter.slug: client.get(
            f"/plans/account/{account.pk}/review/{quarter.slug}/"
        ).status_code
        for quarter in [later, later.next]
    }

    assert pages == {later.slug: 200, later.next.slug: 404}
