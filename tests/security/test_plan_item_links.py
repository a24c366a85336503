"""Links and owners on plan items name nothing outside the user's reach.

A strategy or pursuit of a plan the user cannot see answers like a missing
id, and an owner must be on the account's team, whatever id is sent.
"""

import json

import pytest

from accounts.models import Account, User
from plans.models import Action, Plan
from plans.services import (
    action_create,
    plan_create,
    pursuit_create,
    strategy_create,
)
from tests.accounts.factories import AccountFactory, ProductFactory, UserFactory
from tests.plans.factories import gated_template

pytestmark = pytest.mark.django_db

MISSING = 999999


@pytest.fixture
def plan(rep: User, account: Account) -> Plan:
    return plan_create(user=rep, account=account, fiscal_year=2026)


@pytest.fixture
def hidden(outsider: User) -> dict:
    """A plan on an account only the outsider works, with a secret title."""
    account = AccountFactory.create(name="Hidden Ltd")
    account.team_members.add(outsider)
    plan = plan_create(user=outsider, account=account, fiscal_year=2026)
    strategy = strategy_create(
        user=outsider, plan=plan, values={"title": "Secret merger plan"}
    )
    pursuit = pursuit_create(
        user=outsider,
        plan=plan,
        template=gated_template(),
        values={"name": "Secret deal", "product": ProductFactory.create()},
    )
    return {"plan": plan, "strategy": strategy, "pursuit": pursuit}


def _post(client, plan: Plan, kind: str, data: dict):
    return client.post(
        f"/api/plans/{plan.pk}/items/{kind}/",
        data=json.dumps(data),
        content_type="application/json",
    )


def _patch(client, kind: str, item, data: dict):
    return client.patch(
        f"/api/plans/items/{kind}/{item.pk}/",
        data=json.dumps(data),
        content_type="application/json",
        headers={"If-Match": f'"{item.version}"'},
    )


@pytest.mark.parametrize(
    ("kind", "field", "body", "message"),
    [
        ("action", "strategy", {"title": "a"}, "No such strategy on this plan."),
        ("action", "pursuit", {"title": "a"}, "No such pursuit on this plan."),
        ("pursuit", "strategy", {"name": "a"}, "No such strategy on this plan."),
        ("alignment", "strategy", {}, "No such strategy on this plan."),
        ("force", "strategies", {"title": "a"}, "No such strategy on this plan."),
        ("force", "pursuits", {"title": "a"}, "No such pursuit on this plan."),
    ],
)
def test_a_hidden_link_reads_like_a_missing_one(
    client, rep, plan, hidden, kind, field, body, message
):
    # given
    client.force_login(rep)
    target = hidden["pursuit" if field.startswith("pursuit") else "strategy"]
    if kind in {"alignment", "pursuit"}:
        body = {**body, "product": ProductFactory.create().pk}
    many = field.endswith("s")

    # when
    foreign = _post(
        client, plan, kind, {**body, field: [target.pk] if many else target.pk}
    )
    missing = _post(client, plan, kind, {**body, field: [MISSING] if many else MISSING})

    # then
    assert foreign.status_code == missing.status_code == 400
    assert foreign.json() == missing.json() == {field: [message]}


def test_patching_an_action_to_a_hidden_pursuit_reads_like_a_missing_one(
    client, rep, plan, hidden
):
    client.force_login(rep)
    action = action_create(user=rep, plan=plan, values={"title": "Call"})

    foreign = _patch(client, "action", action, {"pursuit": hidden["pursuit"].pk})
    missing = _patch(client, "action", action, {"pursuit": MISSING})

    assert foreign.status_code == missing.status_code == 400
    assert (
        foreign.json()
        == missing.json()
        == {"pursuit": ["No such pursuit on this plan."]}
    )
    action.refresh_from_db()
    assert action.pursuit_id is None


def test_an_action_owner_off_the_team_is_refused_like_a_missing_one(
    client, rep, plan, outsider
):
    client.force_login(rep)
    admin = UserFactory.create(username="admin", is_superuser=True)

    off_team = _post(client, plan, "action", {"title": "a", "owner": admin.pk})
    missing = _post(client, plan, "action", {"title": "a", "owner": MISSING})

    assert off_team.status_code == missing.status_code == 400
    assert (
        off_team.json()
        == missing.json()
        == {"owner": ["That user is not on this account's team."]}
    )
    assert not Action.objects.filter(plan=plan).exists()


def test_a_plan_cannot_be_handed_to_someone_off_the_team(client, rep, plan, outsider):
    client.force_login(rep)

    response = _patch(client, "plan", plan, {"owner": outsider.pk})

    assert response.status_code == 400
    assert response.json() == {"owner": ["That user is not on this account's team."]}
    plan.refresh_from_db()
    assert plan.owner == rep


def test_a_team_member_can_own_an_action(client, rep, plan):
    colleague = UserFactory.create(username="cole", team=rep.team)
    plan.account.team_members.add(colleague)
    client.force_login(rep)

    response = _post(client, plan, "action", {"title": "a", "owner": colleague.pk})

    assert response.status_code == 201
    assert response.json()["fields"]["owner"] == colleague.pk
