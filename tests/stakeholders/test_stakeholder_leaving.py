"""Marking a person as left asks first, and can be undone."""

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Account, User
from config.api import etag_for
from stakeholders.models import Stakeholder
from tests.accounts.factories import UserFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def version(person: Stakeholder) -> dict[str, str]:
    """The form field a page showing the person as stored would send."""
    person.refresh_from_db()
    return {"version": etag_for(instance=person)}


def shown_version(client: Client, person: Stakeholder) -> str:
    page = client.get(reverse("stakeholders:detail", args=[person.pk]))
    versions = set(re.findall(r'name="version" value="([^"]+)"', page.content.decode()))
    assert len(versions) == 1
    return html.unescape(versions.pop())


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
    client.post(reverse("stakeholders:leave", args=[person.pk]), version(person))
    page = client.get(reverse("stakeholders:detail", args=[person.pk]))
    assert b"Mark as back at the account" in page.content

    # when
    response = client.post(
        reverse("stakeholders:rejoin", args=[person.pk]), version(person), follow=True
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
        reverse("stakeholders:rejoin", args=[person.pk]), version(person), follow=True
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


@pytest.fixture
def colleague(account: Account, team) -> User:
    user = UserFactory.create(
        username="cole", first_name="Cole", last_name="Marsh", role="rep", team=team
    )
    account.team_members.add(user)
    return user


def stale_message(person: Stakeholder, status: str, by: str) -> str:
    person.refresh_from_db()
    when = date_format(timezone.localtime(person.updated_at), "j M Y H:i")
    return (
        f"Nora Quist was changed since you opened this page: now {status}, last "
        f"changed {when} by {by}. Nothing was done; check the page as it is now "
        "and try again if it is still needed."
    )


def test_an_erasure_from_a_page_opened_before_a_leaving_is_refused(
    rep: User, colleague: User, person: Stakeholder
) -> None:
    # given: two people have the page open
    first, second = Client(), Client()
    first.force_login(rep)
    second.force_login(colleague)
    first_version = shown_version(first, person)
    second_version = shown_version(second, person)
    assert first_version == second_version

    # when the first marks her as left, then the second asks to erase her
    left = first.post(
        reverse("stakeholders:leave", args=[person.pk]), {"version": first_version}
    )
    response = second.post(
        reverse("stakeholders:erase", args=[person.pk]),
        {"version": second_version, "confirm": "on"},
        follow=True,
    )

    # then the erasure is refused, saying what the person is now
    assert left.status_code == 302
    assert response.status_code == 200
    assert response.redirect_chain == [
        (reverse("stakeholders:detail", args=[person.pk]), 302)
    ]
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [stale_message(person, "left the account", rep.display_name)]
    person.refresh_from_db()
    assert (person.status, person.first_name) == (Stakeholder.Status.LEFT, "Nora")
    # and the page shown with it carries the new version
    assert shown_version(second, person) == etag_for(instance=person)


def test_a_leaving_form_from_before_a_rejoin_is_refused(
    rep: User, colleague: User, person: Stakeholder
) -> None:
    # given: Nora left; both people open the page showing "back"
    first, second = Client(), Client()
    first.force_login(rep)
    second.force_login(colleague)
    first.post(reverse("stakeholders:leave", args=[person.pk]), version(person))
    stale = shown_version(second, person)

    # when the first marks her back, the second's "back" is out of date
    first.post(reverse("stakeholders:rejoin", args=[person.pk]), version(person))
    response = second.post(
        reverse("stakeholders:rejoin", args=[person.pk]),
        {"version": stale},
        follow=True,
    )

    # then
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [stale_message(person, "active", rep.display_name)]
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE


def test_a_leaving_form_without_its_version_changes_nothing(
    client: Client, rep: User, person: Stakeholder
) -> None:
    client.force_login(rep)

    response = client.post(reverse("stakeholders:leave", args=[person.pk]), follow=True)

    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "The form was sent without the page's version, so nothing was done; "
        "reload the page and try again."
    ]
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE
