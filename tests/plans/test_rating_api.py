"""Customer ratings of a quarter through the API: the team reads and enters."""

import pytest
from django.test import Client

from accounts.models import Account, User
from plans.models import CustomerRating
from stakeholders.models import Stakeholder
from tests.stakeholders.factories import StakeholderFactory

pytestmark = pytest.mark.django_db

Q4 = "2026-10-01"


@pytest.fixture
def cfo(account: Account) -> Stakeholder:
    return StakeholderFactory.create(
        account=account, first_name="Dana", last_name="Whitfield"
    )


def _rating(
    account: Account, person: Stakeholder, quarter: str, score: int, own: bool
) -> CustomerRating:
    return CustomerRating.objects.create(
        account=account,
        stakeholder=person,
        quarter_start=quarter,
        score=score,
        comment="Costs are down",
        by_customer=own,
    )


def test_the_team_reads_the_ratings_of_a_quarter(
    client: Client, manager: User, account: Account, cfo: Stakeholder
) -> None:
    own = _rating(account, cfo, Q4, 8, own=True)
    _rating(account, cfo, "2026-07-01", 6, own=True)
    client.force_login(manager)

    response = client.get(f"/api/plans/accounts/{account.pk}/ratings/?quarter={Q4}")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"][0] == {
        "id": own.pk,
        "quarter": Q4,
        "stakeholder": cfo.pk,
        "stakeholder_name": "Dana Whitfield",
        "score": 8,
        "comment": "Costs are down",
        "by_customer": True,
        "entered_by": "the customer (own link)",
        "link": None,
        "created_at": response.json()["results"][0]["created_at"],
        "updated_at": response.json()["results"][0]["updated_at"],
    }


def test_it_filters_by_source_and_orders_by_score(
    client: Client, rep: User, account: Account, cfo: Stakeholder
) -> None:
    own = _rating(account, cfo, Q4, 8, own=True)
    team = _rating(account, cfo, Q4, 5, own=False)
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/ratings/"

    entered = client.get(f"{url}?by_customer=false").json()
    by_score = client.get(f"{url}?ordering=score").json()

    assert [r["id"] for r in entered["results"]] == [team.pk]
    assert [r["id"] for r in by_score["results"]] == [team.pk, own.pk]


def test_bad_filters_are_refused_by_name(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/ratings/"

    not_a_quarter = client.get(f"{url}?quarter=2026-10-02")
    junk = client.get(f"{url}?quarter=soon")
    far = client.get(f"{url}?quarter=0001-01-01")
    unknown = client.get(f"{url}?score=3")

    assert not_a_quarter.json() == {
        "quarter": ["Give the first day of a fiscal quarter, as 2026-10-01."]
    }
    assert junk.status_code == 400
    assert far.json() == {
        "quarter": ["Give a quarter from 1990 to 2099, by its first day."]
    }
    assert unknown.json() == {
        "score": [
            "Unknown query parameter; this list takes: by_customer, cursor, "
            "limit, offset, ordering, quarter, stakeholder."
        ]
    }


def test_an_outsider_gets_404(
    client: Client, outsider: User, account: Account, cfo: Stakeholder
) -> None:
    _rating(account, cfo, Q4, 8, own=True)
    client.force_login(outsider)

    read = client.get(f"/api/plans/accounts/{account.pk}/ratings/")
    write = client.post(
        f"/api/plans/accounts/{account.pk}/ratings/",
        {"quarter": Q4, "stakeholder": cfo.pk, "score": 2},
        content_type="application/json",
    )

    assert (read.status_code, write.status_code) == (404, 404)


def test_the_team_enters_a_rating_and_replaces_it_under_its_etag(
    client: Client, rep: User, account: Account, cfo: Stakeholder
) -> None:
    own = _rating(account, cfo, Q4, 9, own=True)
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/ratings/"
    body = {"quarter": Q4, "stakeholder": cfo.pk, "score": 7, "comment": "At QBR"}

    created = client.post(url, body, content_type="application/json")
    again = client.post(url, body | {"score": 6}, content_type="application/json")
    stale = client.post(
        url,
        body | {"score": 6},
        content_type="application/json",
        HTTP_IF_MATCH='"stale"',
    )
    replaced = client.post(
        url,
        body | {"score": 6},
        content_type="application/json",
        HTTP_IF_MATCH=created["ETag"],
    )

    assert created.status_code == 201
    assert created.json()["entered_by"] == rep.display_name
    assert again.status_code == 428
    assert stale.status_code == 412
    assert stale.json()["current"]["score"] == 7
    assert replaced.status_code == 200
    assert replaced.json()["score"] == 6
    # The contact's own rating is never touched by the team's entry.
    own.refresh_from_db()
    assert own.score == 9


def test_a_bad_rating_is_refused_by_field(
    client: Client, rep: User, account: Account, outsider: User
) -> None:
    elsewhere = StakeholderFactory.create()
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/ratings/"

    other_person = client.post(
        url,
        {"quarter": Q4, "stakeholder": elsewhere.pk, "score": 5},
        content_type="application/json",
    )
    score = client.post(
        url,
        {"quarter": Q4, "stakeholder": elsewhere.pk, "score": 11},
        content_type="application/json",
    )
    quarter = client.post(
        url,
        {"quarter": "2026-10-05", "stakeholder": elsewhere.pk, "score": 5},
        content_type="application/json",
    )

    assert other_person.json() == {"stakeholder": ["No such person on this account."]}
    assert score.json() == {"score": ["Ensure this value is less than or equal to 10."]}
    assert quarter.json() == {
        "quarter": ["Give the first day of a fiscal quarter, as 2026-10-01."]
    }
    assert CustomerRating.objects.count() == 0


def test_an_executive_reads_but_does_not_enter(
    client: Client, executive: User, account: Account, cfo: Stakeholder
) -> None:
    _rating(account, cfo, Q4, 8, own=True)
    client.force_login(executive)
    url = f"/api/plans/accounts/{account.pk}/ratings/"

    read = client.get(url)
    write = client.post(
        url,
        {"quarter": Q4, "stakeholder": cfo.pk, "score": 2},
        content_type="application/json",
    )

    assert read.json()["count"] == 1
    assert write.status_code == 403
