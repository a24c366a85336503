"""`If-Match: *` is refused everywhere: a write needs the version it read."""

import pytest

from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db


def test_star_is_refused_on_an_account_with_the_current_state(client, rep, account):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 10},
        content_type="application/json",
        HTTP_IF_MATCH="*",
    )

    assert response.status_code == 412
    assert response.json()["current"]["employees"] == 1000
    assert response["ETag"] == etag
    account.refresh_from_db()
    assert account.employees == 1000


def test_star_is_refused_on_a_person(client, rep, account):
    person = StakeholderFactory.create(account=account, title="CFO")
    client.force_login(rep)

    response = client.patch(
        f"/api/stakeholders/people/{person.pk}/",
        {"title": "CEO"},
        content_type="application/json",
        HTTP_IF_MATCH="*",
    )

    assert response.status_code == 412
    assert response.json()["current"]["title"] == "CFO"
    person.refresh_from_db()
    assert person.title == "CFO"


def test_star_among_others_does_not_pass_either(client, rep, account):
    client.force_login(rep)

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 10},
        content_type="application/json",
        HTTP_IF_MATCH='"stale", *',
    )

    assert response.status_code == 412


def test_the_read_etag_still_works(client, rep, account):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = client.patch(
        f"/api/accounts/{account.pk}/",
        {"employees": 10},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200
    assert response.json()["employees"] == 10
