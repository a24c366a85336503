"""A refused If-Match says why: a stale version, or a tag no read gave out.

Only a stale version means that someone else changed the record; `*`, a
weak tag and unquoted text are the client's mistakes and are named as such.
"""

import json

import pytest

from plans.services import plan_create, strategy_create

pytestmark = pytest.mark.django_db

STALE = (
    "Someone changed this since you read it. Here is the current version; "
    "apply your change to it and send its ETag."
)
STAR = (
    "If-Match: * is not accepted, as it would overwrite whatever is stored "
    "now. Here is the current version; apply your change to it and send its "
    "ETag."
)
UNKNOWN = (
    "If-Match holds no ETag that Lode gives out: send the ETag header of your "
    "last read as it came, quotes included. Here is the current version; "
    "apply your change to it and send its ETag."
)


def _patch(client, url, data, if_match):
    return client.patch(
        url,
        data=json.dumps(data),
        content_type="application/json",
        headers={"If-Match": if_match},
    )


@pytest.mark.parametrize(
    ("if_match", "detail"),
    [
        ("*", STAR),
        ('"stale", *', STAR),
        ("garbage", UNKNOWN),
        ("0123456789abcdef0123456789abcdef", UNKNOWN),
        ('"0123456789abcdef0123456789abcdef"', STALE),
    ],
)
def test_an_account_update_names_what_was_wrong_with_its_tag(
    client, rep, account, if_match, detail
):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = _patch(
        client, f"/api/accounts/{account.pk}/", {"employees": 10}, if_match
    )

    assert response.status_code == 412
    assert response.json()["detail"] == detail
    assert response.json()["current"]["employees"] == 1000
    assert response["ETag"] == etag
    account.refresh_from_db()
    assert account.employees == 1000


def test_a_plan_item_keeps_its_own_words_for_a_stale_version(client, rep, account):
    plan = plan_create(user=rep, account=account, fiscal_year=2026)
    strategy = strategy_create(
        user=rep, plan=plan, values={"title": "Grow", "kind": "strategy"}
    )
    client.force_login(rep)
    url = f"/api/plans/items/strategy/{strategy.pk}/"

    star = _patch(client, url, {"title": "Star"}, "*")
    stale = _patch(client, url, {"title": "Stale"}, '"7"')

    assert star.status_code == 412
    assert star.json()["detail"] == STAR
    assert stale.status_code == 412
    assert stale.json()["detail"] not in {STAR, UNKNOWN}
    assert stale.json()["detail"].startswith("Someone")
    assert star.json()["current"]["fields"]["title"] == "Grow"
