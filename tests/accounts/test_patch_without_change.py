"""A PATCH that changes nothing leaves the row, its version and its ETag.

Bumping updated_at on a no-op would make every other reader's ETag stale
for no change, so their next edit would be refused with 412.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import Account, ChangeRecord, Opportunity, User
from config.api import etag_for
from tests.accounts.conftest import api_for
from tests.conftest import READ_AT

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_account(account: Account) -> Account:
    Account.objects.filter(pk=account.pk).update(
        sector="retail",
        employees=4200,
        annual_revenue=Decimal("1250500000.00"),
        annual_revenue_currency="USD",
    )
    Account.objects.filter(pk=account.pk).update(updated_at=READ_AT)
    account.refresh_from_db()
    return account


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"stage": "engaging", "close_value": "48000", "currency": "usd"},
        {"closed_on": "2026-03-31", "engaged_on": "2026-01-12"},
    ],
    ids=["empty", "same-values-other-spelling", "same-dates"],
)
def test_a_deal_patch_that_changes_nothing_keeps_the_etag(
    deal: Opportunity, rep: User, body: dict[str, str]
) -> None:
    # given
    client = api_for(rep)
    url = reverse("accounts_api:deal_detail", args=[deal.pk])
    etag = client.get(url)["ETag"]

    # when
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)

    # then
    assert response.status_code == 200, response.json()
    assert response["ETag"] == etag
    assert response.json()["updated_at"] == "2026-12-01T09:00:00Z"
    deal.refresh_from_db()
    assert deal.updated_at == READ_AT
    assert etag_for(instance=deal) == etag
    assert ChangeRecord.objects.count() == 0


def test_a_deal_patch_after_a_no_op_one_still_goes_through(
    deal: Opportunity, rep: User, manager: User
) -> None:
    # given: Rita and her manager read the deal; the manager sends nothing new
    url = reverse("accounts_api:deal_detail", args=[deal.pk])
    etag = api_for(rep).get(url)["ETag"]
    api_for(manager).patch(url, {}, format="json", HTTP_IF_MATCH=etag)

    # when: Rita sends her change with the ETag she read
    response = api_for(rep).patch(
        url, {"stage": "prospecting"}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    assert response.status_code == 200, response.json()
    assert response["ETag"] != etag
    deal.refresh_from_db()
    assert deal.stage == "prospecting"
    assert list(ChangeRecord.objects.values_list("field", "new_value")) == [
        ("stage", "prospecting")
    ]


@pytest.mark.parametrize(
    "body",
    [{}, {"sector": "retail", "employees": 4200, "annual_revenue": "1250500000.0"}],
    ids=["empty", "same-values"],
)
def test_an_account_patch_that_changes_nothing_keeps_the_etag(
    stored_account: Account, rep: User, body: dict[str, object]
) -> None:
    # given
    client = api_for(rep)
    url = reverse("accounts_api:detail", args=[stored_account.pk])
    etag = client.get(url)["ETag"]

    # when
    response = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)

    # then
    assert response.status_code == 200, response.json()
    assert response["ETag"] == etag
    stored_account.refresh_from_db()
    assert stored_account.updated_at == READ_AT
    assert ChangeRecord.objects.count() == 0
