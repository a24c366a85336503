"""A weak ETag in If-Match is refused with 412: If-Match compares strongly.

RFC 9110, 13.1.1: a weak tag never names one exact version, so an update
sent with `W/"..."` could overwrite a change its sender never saw.
"""

import json

import pytest

from plans.models import SellCycleTemplate, Strategy
from plans.services import plan_create, strategy_create

pytestmark = pytest.mark.django_db


def _patch(client, url, data, if_match):
    return client.patch(
        url,
        data=json.dumps(data),
        content_type="application/json",
        headers={"If-Match": if_match},
    )


def test_a_weak_etag_is_refused_on_an_account(client, rep, account):
    client.force_login(rep)
    etag = client.get(f"/api/accounts/{account.pk}/")["ETag"]

    response = _patch(
        client, f"/api/accounts/{account.pk}/", {"employees": 10}, f"W/{etag}"
    )

    assert response.status_code == 412
    assert response.json()["detail"] == (
        'A weak ETag (W/"...") cannot name one exact version. Here is the '
        "current version; send its ETag as given, without W/."
    )
    assert response.json()["current"]["employees"] == 1000
    assert response["ETag"] == etag
    account.refresh_from_db()
    assert account.employees == 1000


def test_a_weak_version_is_refused_on_a_plan_item(client, rep, account):
    plan = plan_create(user=rep, account=account, fiscal_year=2026)
    strategy = strategy_create(
        user=rep, plan=plan, values={"title": "Grow", "kind": "strategy"}
    )
    client.force_login(rep)
    url = f"/api/plans/items/strategy/{strategy.pk}/"

    weak = _patch(client, url, {"title": "Weak"}, 'W/"1"')
    strong = _patch(client, url, {"title": "Strong"}, '"1"')

    assert weak.status_code == 412
    assert weak.json()["current"]["version"] == 1
    assert weak["ETag"] == '"1"'
    assert strong.status_code == 200
    assert Strategy.objects.get(pk=strategy.pk).title == "Strong"


def test_a_weak_revision_is_refused_on_a_template(client, ops):
    template = SellCycleTemplate.objects.create(name="Weakly held", revision=3)
    client.force_login(ops)
    url = f"/api/plans/templates/{template.pk}/"

    weak = _patch(client, url, {"name": "Changed"}, 'W/"3"')

    assert weak.status_code == 412
    assert weak["ETag"] == '"3"'
    assert weak.json()["current"]["name"] == "Weakly held"
    template.refresh_from_db()
    assert template.name == "Weakly held"
