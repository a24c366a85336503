"""Who may erase a person: their owner's side, not every rep on the account.

An account's team may hold reps of several sales teams (the bundled
Initech has seventeen from six). Each of them may change the account's
people, but erasure cannot be undone: only the person's owner, the
owner's sales team and its manager, and sales ops may erase them.
"""

import pytest
from django.urls import reverse

from accounts.models import User
from config.api import etag_for
from stakeholders.models import Stakeholder
from stakeholders.selectors import stakeholder_can_erase
from tests.accounts.factories import TeamFactory, UserFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_team_rep(account):
    """Sam, a rep of another sales team who is on Acme's team too."""
    west = TeamFactory.create(name="West coast")
    west.manager = UserFactory.create(
        username="wendy", role=User.Role.MANAGER, team=west
    )
    west.save()
    sam = UserFactory.create(
        username="sam",
        first_name="Sam",
        last_name="Reed",
        role=User.Role.REP,
        team=west,
    )
    account.team_members.add(sam)
    return sam


@pytest.fixture
def person(account, other_team_rep):
    """A person at Acme whom Sam of the West coast team owns."""
    return StakeholderFactory.create(
        account=account, first_name="Umar", last_name="Castell", owner=other_team_rep
    )


def test_a_rep_of_another_sales_team_may_not_erase_by_api(client, rep, person):
    # given: Rita is on Acme's team, and so may read and change Umar
    client.force_login(rep)
    read = client.get(f"/api/stakeholders/people/{person.pk}/")
    assert read.status_code == 200

    # when
    response = client.post(
        f"/api/stakeholders/people/{person.pk}/erase/",
        headers={"If-Match": read["ETag"]},
    )

    # then
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "Only Sam Reed, West coast and its manager, or sales ops may erase this person."
    )
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE
    assert person.first_name == "Umar"


def test_a_rep_of_another_sales_team_may_not_erase_by_page(client, rep, person):
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders:erase", args=[person.pk]),
        {"confirm": "on", "version": etag_for(instance=person)},
    )

    assert response.status_code == 403
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE


def test_the_page_offers_no_erasure_and_says_who_may(client, rep, person):
    client.force_login(rep)

    response = client.get(reverse("stakeholders:detail", args=[person.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("stakeholders:erase", args=[person.pk]) not in body
    assert "Erase personal data" not in body
    assert (
        "Only Sam Reed, West coast and its manager, or sales ops may erase this person."
        in body
    )
    # Leaving is a change, not an erasure: Rita may still mark Umar as left.
    assert reverse("stakeholders:leave", args=[person.pk]) in body


def test_the_owner_erases_by_api(client, other_team_rep, person):
    client.force_login(other_team_rep)
    etag = client.get(f"/api/stakeholders/people/{person.pk}/")["ETag"]

    response = client.post(
        f"/api/stakeholders/people/{person.pk}/erase/", headers={"If-Match": etag}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "erased"


@pytest.mark.parametrize("who", ["owner", "teammate", "manager", "ops", "nobody"])
def test_the_owners_side_and_sales_ops_may_erase(
    rep, manager, ops, other_team_rep, person, who
):
    west = other_team_rep.team
    teammate = UserFactory.create(username="tess", role=User.Role.REP, team=west)
    person.account.team_members.add(teammate)
    if who == "nobody":
        # Nobody owns the person: whoever may change them may erase them.
        person.owner = None
        person.save()
    user = {
        "owner": other_team_rep,
        "teammate": teammate,
        "manager": west.manager,
        "ops": ops,
        "nobody": rep,
    }[who]

    assert stakeholder_can_erase(user=user, stakeholder=person)


def test_no_one_outside_the_owners_side_may_erase(
    rep, manager, executive, outsider, person
):
    # Rita and her manager Mark work Acme but are not the owner's side;
    # Eve reads every account and changes none; Otto does not see Acme.
    for user in [rep, manager, executive, outsider]:
        assert not stakeholder_can_erase(user=user, stakeholder=person), user
