"""A plan's history names who made a change after their user is deleted."""

import pytest

from accounts.models import User
from plans.models import Plan, Strategy
from plans.services import plan_item_update
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def darcel(plan: Plan) -> User:
    """A member of the plan's account team, who will be deleted."""
    user = UserFactory.create(
        username="darcel.schlecht", first_name="Darcel", last_name="Schlecht"
    )
    plan.account.team_members.add(user)
    return user


def test_the_history_api_names_a_deleted_user(client, rep, darcel, strategy) -> None:
    # given: Darcel retitled Rita's strategy, then was deleted
    plan_item_update(
        user=darcel, item=strategy, version=strategy.version, values={"title": "Asia"}
    )
    darcel.delete()
    client.force_login(rep)

    # when
    history = client.get(f"/api/plans/{strategy.plan_id}/history/").json()["results"]

    # then
    assert [(entry["by"], entry["action"], entry["field"]) for entry in history] == [
        ("Darcel Schlecht (deleted)", "update", "title"),
        *[(rep.display_name, e["action"], e["field"]) for e in history[1:]],
    ]
    assert (history[0]["old"], history[0]["new"]) == ("Grow in Asia", "Asia")


def test_the_plan_page_names_a_deleted_user(client, rep, darcel, strategy) -> None:
    # given
    plan_item_update(
        user=darcel, item=strategy, version=strategy.version, values={"title": "Asia"}
    )
    darcel.delete()
    client.force_login(rep)

    # when
    body = client.get(f"/plans/{strategy.plan_id}/").content.decode()

    # then
    assert "<strong>Darcel Schlecht (deleted)</strong>" in body
    assert Strategy.objects.get(pk=strategy.pk).title == "Asia"
