"""The stakeholder API refuses fields it does not take, naming each one."""

import pytest
from django.urls import reverse

from config.api import etag_for
from stakeholders.models import InfluenceLink, Stakeholder
from tests.stakeholders.factories import (
    BuyingRoleFactory,
    InfluenceLinkFactory,
    StakeholderFactory,
)

pytestmark = pytest.mark.django_db

REFUSED = ["This field cannot be set here; it is read-only or unknown."]


@pytest.fixture
def person(account):
    return StakeholderFactory.create(
        account=account, first_name="Ada", last_name="Lind"
    )


def test_a_patch_naming_id_or_an_unknown_key_is_refused_field_by_field(
    client, rep, person
):
    # given
    client.force_login(rep)
    url = reverse("stakeholders_api:detail", args=[person.pk])
    etag = client.get(url)["ETag"]

    # when
    response = client.patch(
        url,
        {"id": 999, "name": "Someone else", "nickname": "Ace", "title": "CFO"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    # then
    assert response.status_code == 400
    assert response.json() == {"id": REFUSED, "name": REFUSED, "nickname": REFUSED}
    person.refresh_from_db()
    assert person.title == "Analyst"


def test_read_only_dates_cannot_be_set_when_creating_a_person(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders_api:create", args=[account.pk]),
        {"last_name": "Lind", "erased_at": "2026-01-01T00:00:00Z", "status": "left"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {"erased_at": REFUSED, "status": REFUSED}
    assert not account.stakeholders.exists()


def test_a_link_patch_cannot_move_the_link_to_other_people(client, rep, account):
    client.force_login(rep)
    link = InfluenceLinkFactory.create(
        source=StakeholderFactory.create(account=account)
    )
    other = StakeholderFactory.create(account=account)

    response = client.patch(
        reverse("stakeholders_api:link_detail", args=[link.pk]),
        {"target": other.pk, "strength": 3},
        content_type="application/json",
        headers={"If-Match": etag_for(instance=link)},
    )

    assert response.status_code == 400
    assert response.json() == {"target": REFUSED}
    link.refresh_from_db()
    assert link.strength == InfluenceLink.Strength.MEDIUM


def test_the_owner_endpoint_refuses_fields_of_the_person(client, rep, person):
    client.force_login(rep)

    response = client.put(
        reverse("stakeholders_api:owner", args=[person.pk]),
        {"owner": rep.pk, "sentiment": 2},
        content_type="application/json",
        headers={"If-Match": etag_for(instance=person)},
    )

    assert response.status_code == 400
    assert response.json() == {"sentiment": REFUSED}
    person.refresh_from_db()
    assert person.owner is None
    assert person.sentiment == Stakeholder.Sentiment.NEUTRAL


def test_expected_roles_and_activities_refuse_unknown_keys(
    client, rep, account, person
):
    client.force_login(rep)

    roles_url = reverse("stakeholders_api:expected_roles", args=[account.pk])
    roles = client.put(
        roles_url,
        {"roles": [], "account": account.pk},
        content_type="application/json",
        headers={"If-Match": client.get(roles_url)["ETag"]},
    )
    activity = client.post(
        reverse("stakeholders_api:activity_create", args=[account.pk]),
        {"stakeholders": [person.pk], "user": rep.pk},
        content_type="application/json",
    )

    assert roles.status_code == 400
    assert roles.json() == {"account": REFUSED}
    assert activity.status_code == 400
    assert activity.json() == {"user": REFUSED}
    assert not account.stakeholder_activities.exists()


def test_a_touch_with_nobody_says_to_choose_someone(client, rep, account):
    client.force_login(rep)

    response = client.post(
        reverse("stakeholders_api:activity_create", args=[account.pk]),
        {"stakeholders": [], "kind": "call"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "stakeholders": ["Choose at least one person you were in touch with."]
    }


def test_owner_and_link_changes_need_a_current_etag(client, rep, account, person):
    # given
    client.force_login(rep)
    link = InfluenceLinkFactory.create(source=person)
    owner_url = reverse("stakeholders_api:owner", args=[person.pk])
    link_url = reverse("stakeholders_api:link_detail", args=[link.pk])
    person_etag = client.get(reverse("stakeholders_api:detail", args=[person.pk]))[
        "ETag"
    ]
    link_etag = client.get(link_url)["ETag"]

    # when: without If-Match, then with the ETag read, then with it again
    missing = [
        client.put(owner_url, {"owner": rep.pk}, content_type="application/json"),
        client.patch(link_url, {"strength": 3}, content_type="application/json"),
    ]
    fresh = [
        client.put(
            owner_url,
            {"owner": rep.pk},
            content_type="application/json",
            headers={"If-Match": person_etag},
        ),
        client.patch(
            link_url,
            {"strength": 3},
            content_type="application/json",
            headers={"If-Match": link_etag},
        ),
    ]
    stale = [
        client.put(
            owner_url,
            {"owner": None},
            content_type="application/json",
            headers={"If-Match": person_etag},
        ),
        client.patch(
            link_url,
            {"strength": 1},
            content_type="application/json",
            headers={"If-Match": link_etag},
        ),
    ]

    # then
    assert [response.status_code for response in missing] == [428, 428]
    assert [response.status_code for response in fresh] == [200, 200]
    assert [response.status_code for response in stale] == [412, 412]
    assert stale[0].json()["current"]["owner"] == rep.pk
    assert stale[1].json()["current"]["strength"] == 3
    assert stale[1]["ETag"] == fresh[1]["ETag"]
    person.refresh_from_db()
    link.refresh_from_db()
    assert person.owner == rep
    assert link.strength == InfluenceLink.Strength.STRONG


def test_expected_roles_change_only_from_the_version_read(client, rep, account):
    # given: two people read the sector's default
    client.force_login(rep)
    BuyingRoleFactory.create(key="champion", name="Coach / champion")
    BuyingRoleFactory.create(key="finance", name="Finance")
    url = reverse("stakeholders_api:expected_roles", args=[account.pk])
    read = client.get(url)

    # when: one saves, then the other saves from the same read
    missing = client.put(url, {"roles": ["finance"]}, content_type="application/json")
    first = client.put(
        url,
        {"roles": ["champion"]},
        content_type="application/json",
        headers={"If-Match": read["ETag"]},
    )
    second = client.put(
        url,
        {"roles": ["finance"]},
        content_type="application/json",
        headers={"If-Match": read["ETag"]},
    )

    # then
    assert missing.status_code == 428
    assert first.status_code == 200
    assert first.json() == {"roles": ["champion"]}
    assert first["ETag"] != read["ETag"]
    assert second.status_code == 412
    assert second.json()["current"] == {"roles": ["champion"]}
    assert second["ETag"] == first["ETag"]
    assert client.get(url).json() == {"roles": ["champion"]}


def test_removing_a_link_needs_its_current_etag(client, rep, account, person):
    # given
    client.force_login(rep)
    link = InfluenceLinkFactory.create(
        source=person, target=StakeholderFactory.create(account=account)
    )
    url = reverse("stakeholders_api:link_detail", args=[link.pk])
    etag = client.get(url)["ETag"]
    client.patch(
        url,
        {"strength": 2},
        content_type="application/json",
        headers={"If-Match": etag},
    )

    # when
    missing = client.delete(url)
    stale = client.delete(url, headers={"If-Match": etag})
    current_etag = etag_for(instance=InfluenceLink.objects.get(pk=link.pk))
    fresh = client.delete(url, headers={"If-Match": current_etag})

    # then
    assert missing.status_code == 428
    assert missing.json() == {
        "detail": (
            "Send the ETag from your last read in an If-Match header to change this."
        )
    }
    assert stale.status_code == 412
    assert stale.json()["current"]["strength"] == 2
    assert stale["ETag"] == current_etag
    assert fresh.status_code == 204
    assert not InfluenceLink.objects.filter(pk=link.pk).exists()
