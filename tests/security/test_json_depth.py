"""A deeply nested JSON body answers 400, not a 500 from the recursion limit."""

import json

import pytest
from django.test import Client

from accounts.models import Account, User
from config.parsers import json_depth
from plans.models import Action, Comment, Plan
from plans.services import plan_create

pytestmark = pytest.mark.django_db

# 2.2 KB: a thousand and a hundred nested lists.
DEEP = "[" * 1100 + "]" * 1100


@pytest.fixture
def plan(rep: User, account: Account) -> Plan:
    return plan_create(user=rep, account=account, fiscal_year=2026)


@pytest.mark.parametrize(
    "address", ["/api/plans/{pk}/comments/", "/api/plans/{pk}/items/action/"]
)
def test_a_deeply_nested_body_is_refused(
    client: Client, rep: User, plan: Plan, address: str
) -> None:
    client.force_login(rep)

    response = client.post(
        address.format(pk=plan.pk), data=DEEP, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is nested too deeply."}
    assert not Comment.objects.exists()
    assert not Action.objects.exists()


def test_a_body_just_past_the_limit_is_refused_in_a_field(
    client: Client, rep: User, plan: Plan
) -> None:
    client.force_login(rep)
    nested: object = "deep"
    for _ in range(32):
        nested = [nested]

    response = client.post(
        f"/api/plans/{plan.pk}/items/action/",
        data=json.dumps({"title": nested}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The JSON body is nested too deeply."}


def test_the_depth_counts_lists_and_objects() -> None:
    assert json_depth("flat") == 0
    assert json_depth({"a": [1, {"b": []}]}) == 4
