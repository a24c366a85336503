"""An API address without its trailing slash keeps the method on redirect."""

import json

import pytest
from django.test import Client
from pytest_django import Settings

from accounts.models import Account, User
from plans.models import Comment, Plan
from plans.services import plan_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(rep: User, account: Account) -> Plan:
    return plan_create(user=rep, account=account, fiscal_year=2026)


@pytest.mark.parametrize("debug", [False, True])
def test_a_post_without_the_slash_is_redirected_with_its_method(
    client: Client, settings: Settings, rep: User, plan: Plan, debug: bool
) -> None:
    settings.DEBUG = debug
    client.force_login(rep)

    response = client.post(
        f"/api/plans/{plan.pk}/comments?x=1",
        data=json.dumps({"body": "Hello"}),
        content_type="application/json",
    )

    assert response.status_code == 308
    assert response["Location"] == f"/api/plans/{plan.pk}/comments/?x=1"
    assert not Comment.objects.exists()


def test_a_get_without_the_slash_is_still_redirected_permanently(
    client: Client, rep: User, plan: Plan
) -> None:
    client.force_login(rep)

    response = client.get(f"/api/plans/{plan.pk}/history")

    assert response.status_code == 301
    assert response["Location"] == f"/api/plans/{plan.pk}/history/"


def test_following_the_redirect_posts_the_comment(
    client: Client, rep: User, plan: Plan
) -> None:
    client.force_login(rep)

    response = client.post(
        f"/api/plans/{plan.pk}/comments",
        data=json.dumps({"body": "Hello"}),
        content_type="application/json",
        follow=True,
    )

    assert response.status_code == 201
    assert list(Comment.objects.values_list("body", flat=True)) == ["Hello"]
