"""Marking a person as left asks first, and can be undone."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Account, User
from stakeholders.models import Stakeholder
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(account: Account) -> Stakeholder:
    return StakeholderFactory.create(
        account=account, first_name="Nora", last_name="Quist"
    )


def test_the_leave_button_asks_before_it_acts(
    client: Client, rep: User, person: Stakeholder
) -> None:
    client.force_login(rep)

    page = client.get(reverse("stakeholders:detail", args=[person.pk]))

    assert (
        'data-confirm="Mark Nora Quist as left Acme Corporation? They go off the '
        'maps; their history stays, and you can mark them back."'
    ) in page.content.decode()
    assert b"js/confirm.js" in page.content
    assert b"Mark as back at the account" not in page.content


def test_a_person_who_left_is_marked_back_at_the_account(
    client: Client, rep: User, person: Stakeholder
) -> None:
    # given
    client.force_login(rep)
    client.post(reverse("stakeholders:leave", args=[person.pk]))
    page = client.get(reverse("stakeholders:detail", args=[person.pk]))
    assert b"Mark as back at the account" in page.content

    # when
    response = client.post(
        reverse("stakeholders:rejoin", args=[person.pk]), follow=True
    )

    # then
    person.refresh_from_db()
    assert (person.status, person.left_at) == (Stakeholder.Status.ACTIVE, None)
    assert b"Nora Quist is back at the account." in response.content
    assert b"Mark as left the account" in response.content


def test_marking_back_a_person_still_there_says_so(
    client: Client, rep: User, person: Stakeholder
) -> None:
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders:rejoin", args=[person.pk]), follow=True
    )

    assert b"Nora Quist has not left the account." in response.content
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE


def test_an_executive_cannot_mark_a_person_back(
    client: Client, executive: User, person: Stakeholder
) -> None:
    Stakeholder.objects.filter(pk=person.pk).update(status=Stakeholder.Status.LEFT)
    client.force_login(executive)

    response = client.post(reverse("stakeholders:rejoin", args=[person.pk]))

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.LEFT
