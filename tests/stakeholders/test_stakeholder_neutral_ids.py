"""A person id from another account, or none at all, reveals nobody's name."""

import json

import pytest
from django.urls import reverse

from config.api import etag_for
from stakeholders.services import StakeholderError, stakeholder_update
from tests.accounts.factories import AccountFactory
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

NEUTRAL = "No such person on this account."


@pytest.fixture
def hidden():
    return StakeholderFactory.create(
        account=AccountFactory.create(name="Hidden Ltd"),
        first_name="Kenji",
        last_name="Fontaine",
    )


def _assert_neutral(response):
    body = response.content.decode()
    assert response.status_code == 400, body
    assert NEUTRAL in body
    for secret in ("Kenji", "Fontaine", "Hidden"):
        assert secret not in body


def _requests(account, person, person_id):
    return [
        (
            "post",
            reverse("stakeholders_api:link_create", args=[account.pk]),
            {"source": person.pk, "target": person_id, "kind": "influences"},
        ),
        (
            "post",
            reverse("stakeholders_api:activity_create", args=[account.pk]),
            {"stakeholders": [person.pk, person_id], "kind": "meeting"},
        ),
        (
            "patch",
            reverse("stakeholders_api:detail", args=[person.pk]),
            {"reports_to": person_id},
        ),
    ]


@pytest.mark.parametrize("which", ["elsewhere", "unknown"])
def test_ids_outside_the_account_get_one_neutral_answer(
    client, rep, account, hidden, which
):
    person = StakeholderFactory.create(account=account, first_name="Ada")
    person_id = hidden.pk if which == "elsewhere" else 999999
    client.force_login(rep)
    detail = client.get(reverse("stakeholders_api:detail", args=[person.pk]))

    for method, url, data in _requests(account, person, person_id):
        response = getattr(client, method)(
            url,
            data=json.dumps(data),
            content_type="application/json",
            headers={"If-Match": detail.headers.get("ETag", "")},
        )
        _assert_neutral(response)


def test_an_owner_id_outside_the_team_names_nobody(client, rep, account, outsider):
    person = StakeholderFactory.create(account=account)
    client.force_login(rep)

    for owner in (outsider.pk, 999999):
        response = client.put(
            reverse("stakeholders_api:owner", args=[person.pk]),
            data=json.dumps({"owner": owner}),
            content_type="application/json",
            headers={"If-Match": etag_for(instance=person)},
        )
        body = response.content.decode()
        assert response.status_code == 400
        assert "That user is not on this account's team." in body
        assert outsider.username not in body
        assert outsider.display_name not in body


def test_a_field_refusal_names_the_field_as_people_read_it(rep, account):
    person = StakeholderFactory.create(account=account)

    with pytest.raises(StakeholderError) as error:
        stakeholder_update(
            user=rep, stakeholder=person, data={"email": "not an address"}
        )

    assert error.value.message.startswith("Email: ")
    assert "_" not in error.value.message
