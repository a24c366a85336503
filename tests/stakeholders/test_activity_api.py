"""Touches with an account's people, and bringing back who left, by API."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import Account, User
from stakeholders.models import Activity, Stakeholder
from tests.stakeholders.factories import ActivityFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(account: Account) -> dict[str, Stakeholder]:
    return {
        "cfo": StakeholderFactory.create(account=account, last_name="Whitfield"),
        "cio": StakeholderFactory.create(account=account, last_name="Okafor"),
    }


@pytest.fixture
def touches(
    rep: User, account: Account, people: dict[str, Stakeholder]
) -> dict[str, Activity]:
    return {
        "call": ActivityFactory.create(
            account=account,
            user=rep,
            kind=Activity.Kind.CALL,
            note="Budget set.",
            occurred_at=datetime(2026, 11, 30, 15, tzinfo=UTC),
            stakeholders=[people["cfo"]],
        ),
        "meeting": ActivityFactory.create(
            account=account,
            user=rep,
            kind=Activity.Kind.MEETING,
            occurred_at=datetime(2026, 10, 2, 9, tzinfo=UTC),
            stakeholders=[people["cfo"], people["cio"]],
        ),
    }


def test_the_team_reads_the_touches_newest_first(
    client: Client,
    manager: User,
    rep: User,
    account: Account,
    people: dict[str, Stakeholder],
    touches: dict[str, Activity],
) -> None:
    client.force_login(manager)

    response = client.get(f"/api/stakeholders/accounts/{account.pk}/activities/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == [touches["call"].pk, touches["meeting"].pk]
    assert results[0] == {
        "id": touches["call"].pk,
        "account": account.pk,
        "user": rep.pk,
        "user_name": rep.display_name,
        "stakeholders": [people["cfo"].pk],
        "kind": "call",
        "occurred_at": "2026-11-30T15:00:00Z",
        "note": "Budget set.",
        "created_at": results[0]["created_at"],
    }


def test_it_filters_by_person_and_kind_and_orders(
    client: Client,
    rep: User,
    account: Account,
    people: dict[str, Stakeholder],
    touches: dict[str, Activity],
) -> None:
    client.force_login(rep)
    url = f"/api/stakeholders/accounts/{account.pk}/activities/"

    cio = client.get(f"{url}?stakeholder={people['cio'].pk}").json()
    calls = client.get(f"{url}?kind=call").json()
    oldest = client.get(f"{url}?ordering=occurred_at").json()

    assert [r["id"] for r in cio["results"]] == [touches["meeting"].pk]
    assert [r["id"] for r in calls["results"]] == [touches["call"].pk]
    assert [r["id"] for r in oldest["results"]] == [
        touches["meeting"].pk,
        touches["call"].pk,
    ]


def test_bad_filters_are_refused_by_name(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/api/stakeholders/accounts/{account.pk}/activities/"

    kind = client.get(f"{url}?kind=lunch")
    person = client.get(f"{url}?stakeholder=abc")
    unknown = client.get(f"{url}?since=2026-01-01")

    assert kind.json() == {"kind": ['"lunch" is not a valid choice.']}
    assert person.json() == {"stakeholder": ["A valid integer is required."]}
    assert unknown.json() == {
        "since": [
            "Unknown query parameter; this list takes: cursor, kind, limit, offset, "
            "ordering, stakeholder."
        ]
    }


def test_an_outsider_gets_404(
    client: Client, outsider: User, account: Account, touches: dict[str, Activity]
) -> None:
    client.force_login(outsider)

    response = client.get(f"/api/stakeholders/accounts/{account.pk}/activities/")

    assert response.status_code == 404


def _etag(client: Client, person: Stakeholder) -> str:
    return client.get(f"/api/stakeholders/people/{person.pk}/")["ETag"]


def test_a_person_who_left_comes_back(
    client: Client, rep: User, people: dict[str, Stakeholder]
) -> None:
    cfo = people["cfo"]
    client.force_login(rep)

    left = client.post(
        f"/api/stakeholders/people/{cfo.pk}/leave/",
        headers={"If-Match": _etag(client, cfo)},
    )
    back = client.post(
        f"/api/stakeholders/people/{cfo.pk}/rejoin/",
        headers={"If-Match": left["ETag"]},
    )
    again = client.post(
        f"/api/stakeholders/people/{cfo.pk}/rejoin/",
        headers={"If-Match": back["ETag"]},
    )

    assert left.json()["status"] == "left"
    assert back.status_code == 200
    assert (back.json()["status"], back.json()["left_at"]) == ("active", None)
    assert again.status_code == 400
    assert again.json() == {
        "non_field_errors": [f"{cfo.name} has not left the account."]
    }


def test_only_the_team_brings_someone_back(
    client: Client,
    executive: User,
    outsider: User,
    people: dict[str, Stakeholder],
) -> None:
    cfo = people["cfo"]
    cfo.status = Stakeholder.Status.LEFT
    cfo.save()

    client.force_login(outsider)
    hidden = client.post(
        f"/api/stakeholders/people/{cfo.pk}/rejoin/", headers={"If-Match": '"x"'}
    )
    client.force_login(executive)
    read_only = client.post(
        f"/api/stakeholders/people/{cfo.pk}/rejoin/", headers={"If-Match": '"x"'}
    )

    assert (hidden.status_code, read_only.status_code) == (404, 403)
    cfo.refresh_from_db()
    assert cfo.status == Stakeholder.Status.LEFT


@pytest.mark.parametrize("action", ["leave", "rejoin", "erase"])
def test_a_person_action_needs_the_etag_of_the_last_read(
    client: Client, rep: User, people: dict[str, Stakeholder], action: str
) -> None:
    # given: a read, then someone else's change
    cfo = people["cfo"]
    if action == "rejoin":
        cfo.status = Stakeholder.Status.LEFT
        cfo.save()
    client.force_login(rep)
    url = f"/api/stakeholders/people/{cfo.pk}/{action}/"
    read = _etag(client, cfo)
    changed = client.patch(
        f"/api/stakeholders/people/{cfo.pk}/",
        {"goals": "Fewer vendors."},
        content_type="application/json",
        headers={"If-Match": read},
    )

    # when
    missing = client.post(url)
    stale = client.post(url, headers={"If-Match": read})
    current = client.post(url, headers={"If-Match": changed["ETag"]})

    # then
    assert missing.status_code == 428
    assert missing.json() == {
        "detail": "Send the ETag from your last read in an If-Match header to "
        "change this."
    }
    assert stale.status_code == 412
    assert stale.json()["detail"] == (
        "Someone changed this since you read it. Here is the current version; "
        "apply your change to it and send its ETag."
    )
    assert stale.json()["current"]["goals"] == "Fewer vendors."
    assert stale["ETag"] == changed["ETag"]
    assert current.status_code == 200
    assert (
        current.json()["status"]
        == {
            "leave": "left",
            "rejoin": "active",
            "erase": "erased",
        }[action]
    )
    assert current["ETag"] == _etag(client, cfo)
    assert current["ETag"] != changed["ETag"]
