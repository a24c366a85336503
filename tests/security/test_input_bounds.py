"""Implausible dates and huge texts are refused, naming the field."""

import pytest

from plans.models import Strategy
from tests.plans.factories import PlanFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

DATE_MESSAGE = "Give a date from 1 January 1990 to 31 December 2099."
TEXT_MESSAGE = "Keep this under 10,000 characters."
HUGE = "x" * 100_000


@pytest.mark.parametrize("said_on", ["9999-01-01", "1989-12-31"])
def test_a_voice_entry_said_in_an_implausible_year_is_refused(
    client, rep, account, said_on
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/accounts/{account.pk}/voice/",
        {"kind": "quote", "body": "Saved us a week.", "said_on": said_on},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"said_on": [DATE_MESSAGE]}


def test_a_100000_character_text_is_refused_on_a_person(client, rep, account) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/stakeholders/accounts/{account.pk}/people/create/",
        {"first_name": "Dana", "last_name": "Whitfield", "goals": HUGE},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"goals": [TEXT_MESSAGE]}


def test_a_100000_character_description_is_refused_on_a_plan_item(
    client, rep, account
) -> None:
    strategy = Strategy.objects.create(
        plan=PlanFactory.create(account=account), title="Grow"
    )
    client.force_login(rep)
    url = f"/api/plans/items/strategy/{strategy.pk}/"
    etag = client.get(url)["ETag"]

    response = client.patch(
        url, {"description": HUGE}, content_type="application/json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"description": [TEXT_MESSAGE]}
    strategy.refresh_from_db()
    assert strategy.description == ""


def test_a_plan_for_the_year_9999_is_refused(client, rep, account) -> None:
    client.force_login(rep)

    response = client.post(
        "/api/plans/",
        {"account": account.pk, "fiscal_year": 9999},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "fiscal_year": ["Ensure this value is less than or equal to 2099."]
    }


@pytest.mark.parametrize(
    "occurred_at", ["9999-12-31T23:59:59Z", "1989-12-31T12:00:00Z"]
)
def test_a_touch_at_an_implausible_moment_is_refused(
    client, rep, account, occurred_at
) -> None:
    client.force_login(rep)
    person = StakeholderFactory.create(account=account)

    response = client.post(
        f"/api/stakeholders/accounts/{account.pk}/activities/create/",
        {"stakeholders": [person.pk], "occurred_at": occurred_at},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"occurred_at": [DATE_MESSAGE]}
    assert not account.stakeholder_activities.exists()
