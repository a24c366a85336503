"""The scorecard, review and snapshot API enforces what the pages enforce."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Account, User
from plans.models import ExecutiveReview, Plan, Pursuit, ValueMeasure
from plans.review_services import plan_snapshot_take, value_measure_create
from plans.services import plan_item_update
from tests.responses import ClientResponse

pytestmark = pytest.mark.django_db

QUARTER = "2026-04-01"


def _put(client: Client, url: str, body: dict, **headers: str) -> ClientResponse:
    return client.put(
        url, json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.fixture
def measure(rep: User, account: Account) -> ValueMeasure:
    return value_measure_create(
        user=rep,
        account=account,
        values={"name": "Hours saved", "direction": "up", "baseline": Decimal(400)},
    )


def test_a_rep_sets_a_quarter_and_reads_it_back(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    client.force_login(rep)
    base = f"/api/plans/accounts/{account.pk}/scorecard/"

    etag = client.get(base, {"quarter": QUARTER})["ETag"]
    put = _put(
        client,
        f"{base}{QUARTER}/",
        {"measure": measure.pk, "target": "1000", "actual": "-12.50"},
        if_match=etag,
    )
    read = client.get(base, {"quarter": QUARTER})

    assert put.status_code == 200
    cells = read.json()["measures"][0]["quarters"]
    assert cells[-1] == {
        "quarter_start": QUARTER,
        "target": 1000.0,
        "actual": -12.5,
        "note": "",
    }


def test_a_review_update_needs_the_current_version(
    client: Client, rep: User, account: Account
) -> None:
    # given
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/reviews/{QUARTER}/"

    # when
    created = _put(client, url, {"decisions": "Go to Lyon"}, if_match='"0"')
    missing = _put(client, url, {"decisions": "Go to Lille"})
    stale = _put(client, url, {"decisions": "Go to Lille"}, if_match='"0"')
    current = _put(client, url, {"decisions": "Go to Lille"}, if_match=created["ETag"])

    # then
    assert created.status_code == 200
    assert missing.status_code == 428
    assert stale.status_code == 412
    assert current.status_code == 200
    assert ExecutiveReview.objects.get().decisions == "Go to Lille"


def test_an_executive_reads_the_review_but_may_not_write(
    client: Client, executive: User, account: Account, measure: ValueMeasure
) -> None:
    client.force_login(executive)
    url = f"/api/plans/accounts/{account.pk}/reviews/{QUARTER}/"

    read = client.get(url)
    write = _put(client, url, {"decisions": "Cancel everything"})
    measure_write = client.post(
        f"/api/plans/accounts/{account.pk}/scorecard/measures/",
        {"name": "NPS", "direction": "up", "baseline": "1"},
    )

    assert read.status_code == 200
    assert read.json()["scorecard"]["measures"][0]["name"] == "Hours saved"
    assert write.status_code == measure_write.status_code == 403
    assert not ExecutiveReview.objects.exists()


def test_an_outsider_gets_404_everywhere(
    client: Client, outsider: User, account: Account, plan: Plan
) -> None:
    client.force_login(outsider)

    urls = [
        f"/api/plans/accounts/{account.pk}/scorecard/",
        f"/api/plans/accounts/{account.pk}/reviews/{QUARTER}/",
        f"/api/plans/{plan.pk}/snapshots/",
    ]

    assert [client.get(url).status_code for url in urls] == [404, 404, 404]


def test_the_snapshot_compare_api_lists_the_changes(
    client: Client, rep: User, plan: Plan, pursuit: Pursuit
) -> None:
    snapshot = plan_snapshot_take(plan=plan, user=rep)
    plan_item_update(
        user=rep, item=pursuit, version=pursuit.version, values={"amount": 75000}
    )
    client.force_login(rep)

    response = client.get(
        f"/api/plans/{plan.pk}/snapshots/compare/", {"from": snapshot.pk}
    )

    assert response.status_code == 200
    assert [c["text"] for c in response.json()["changes"]] == [
        "Asia rollout: amount 50,000.00 USD → 75,000.00 USD"
    ]


def test_a_quarter_that_is_not_a_quarter_start_is_not_found(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)

    response = client.get(f"/api/plans/accounts/{account.pk}/reviews/2026-04-15/")

    assert response.status_code == 404


def test_a_scorecard_write_needs_the_quarters_etag(
    client: Client, rep: User, account: Account, measure: ValueMeasure
) -> None:
    # given
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/scorecard/{QUARTER}/"
    body = {"measure": measure.pk, "target": "1000", "actual": "10"}
    etag = client.get(url)["ETag"]

    # when
    missing = _put(client, url, body)
    garbage = _put(client, url, body, if_match='"garbage"')
    star = _put(client, url, body, if_match="*")
    first = _put(client, url, body, if_match=etag)
    stale = _put(client, url, {**body, "actual": "99"}, if_match=etag)
    second = _put(client, url, {**body, "actual": "99"}, if_match=first["ETag"])

    # then
    assert missing.status_code == 428
    assert garbage.status_code == star.status_code == 412
    assert garbage.json()["current"]["figures"] == []
    assert first.status_code == 200
    assert first["ETag"] != etag
    assert stale.status_code == 412
    assert stale["ETag"] == first["ETag"]
    assert stale.json()["current"]["figures"][0]["actual"] == "10.00"
    assert second.status_code == 200
    assert client.get(url).json()["figures"][0]["actual"] == "99.00"


def test_a_stale_review_write_carries_the_current_review(
    client: Client, rep: User, account: Account
) -> None:
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/reviews/{QUARTER}/"
    _put(client, url, {"decisions": "Go to Lyon"}, if_match='"0"')

    stale = _put(client, url, {"decisions": "Go to Lille"}, if_match='"0"')

    assert stale.status_code == 412
    assert stale.json()["current"]["decisions"] == "Go to Lyon"
    assert stale.json()["current"]["version"] == stale.json()["version"]
    assert stale["ETag"] == f'"{stale.json()["version"]}"'


def test_creating_a_review_needs_the_empty_states_etag(
    client: Client, rep: User, account: Account
) -> None:
    # given
    client.force_login(rep)
    url = f"/api/plans/accounts/{account.pk}/reviews/{QUARTER}/"

    # when
    read = client.get(url)
    missing = _put(client, url, {"decisions": "Go to Lyon"})
    wrong = _put(client, url, {"decisions": "Go to Lyon"}, if_match='"7"')
    created = _put(client, url, {"decisions": "Go to Lyon"}, if_match=read["ETag"])

    # then
    assert read["ETag"] == '"0"'
    assert read.json()["version"] is None
    assert missing.status_code == 428
    assert missing.json() == {
        "detail": "Send the review's ETag in If-Match to change it."
    }
    assert wrong.status_code == 412
    assert wrong.json()["version"] == 0
    assert wrong["ETag"] == '"0"'
    assert created.status_code == 200
    assert created["ETag"] == '"2"'
    assert ExecutiveReview.objects.get().decisions == "Go to Lyon"


def test_bad_query_values_are_refused_as_lists_under_their_names(
    client: Client, rep: User, account: Account, plan: Plan, measure: ValueMeasure
) -> None:
    client.force_login(rep)
    compare = f"/api/plans/{plan.pk}/snapshots/compare/"

    quarter = client.get(
        f"/api/plans/accounts/{account.pk}/scorecard/", {"quarter": "bogus"}
    )
    unnamed = client.get(compare)
    unknown = client.get(compare, {"from": "999999"})
    no_measure = _put(
        client,
        f"/api/plans/accounts/{account.pk}/scorecard/{QUARTER}/",
        {"measure": 999999, "target": "1", "actual": "1"},
        if_match='"x"',
    )

    assert quarter.status_code == 400
    assert quarter.json() == {
        "quarter": ["No such quarter: use the first day of a fiscal quarter."]
    }
    assert unnamed.json() == {"from": ["No such snapshot of this plan."]}
    assert unknown.json() == {"from": ["No such snapshot of this plan."]}
    assert no_measure.json() == {"measure": ["No such measure on this account."]}
