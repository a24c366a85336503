"""The plan page leads to the account's other pages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from plans.models import Plan

pytestmark = pytest.mark.django_db


def test_the_plan_page_links_to_its_account_people_and_scorecard(
    client: Client, rep: User, account: Account, plan: Plan
) -> None:
    client.force_login(rep)

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()

    for url in (
        reverse("accounts:detail", args=[account.pk]),
        reverse("stakeholders:account", args=[account.pk]),
        reverse("plans:scorecard", args=[account.pk]),
    ):
        assert f'<a href="{url}">' in page
