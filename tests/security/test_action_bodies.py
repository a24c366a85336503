"""Action endpoints take no fields: a body they would ignore is refused."""

import json

import pytest

from plans.models import Plan
from plans.review_services import customer_link_create
from plans.services import plan_create
from scoring.models import ScoreRun
from stakeholders.models import Stakeholder
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(account):
    return StakeholderFactory.create(
        account=account, first_name="Greta", last_name="Holm"
    )


@pytest.fixture
def actions(rep, ops, account, person):
    plan = plan_create(user=rep, account=account, fiscal_year=2026)
    link, _ = customer_link_create(user=rep, account=account, stakeholder=person)
    return {
        "plan next": (rep, f"/api/plans/{plan.pk}/next/"),
        "scoring run": (ops, "/api/scoring/runs/start/"),
        "person leave": (rep, f"/api/stakeholders/people/{person.pk}/leave/"),
        "person erase": (rep, f"/api/stakeholders/people/{person.pk}/erase/"),
        "link revoke": (
            rep,
            f"/api/plans/accounts/{account.pk}/customer-links/{link.pk}/revoke/",
        ),
    }


NAMES = ["plan next", "scoring run", "person leave", "person erase", "link revoke"]


def nothing_happened(person) -> None:
    person.refresh_from_db()
    assert person.status == Stakeholder.Status.ACTIVE
    assert Plan.objects.count() == 1
    assert not ScoreRun.objects.exists()


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_are_refused_by_name(client, actions, person, name):
    user, url = actions[name]
    client.force_login(user)

    response = client.post(
        url, json.dumps({"force": True, "reason": "x"}), content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"force", "reason"}
    if name != "link revoke":
        nothing_happened(person)


@pytest.mark.parametrize("name", NAMES)
def test_malformed_json_is_refused(client, actions, person, name):
    user, url = actions[name]
    client.force_login(user)

    response = client.post(url, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("body", [None, "{}"])
def test_no_body_or_an_empty_object_still_works(client, actions, person, name, body):
    user, url = actions[name]
    client.force_login(user)
    # The person actions also need the person's ETag, as every write to them.
    headers = {}
    if name.startswith("person"):
        read = client.get(f"/api/stakeholders/people/{person.pk}/")
        headers["If-Match"] = read["ETag"]

    if body is None:
        response = client.post(url, headers=headers)
    else:
        response = client.post(
            url, body, content_type="application/json", headers=headers
        )

    assert response.status_code in (200, 201, 202), response.content
