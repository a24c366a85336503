"""An amount written -0 is zero: stored and shown as 0.00, never -0.00."""

import pytest

from accounts.models import Opportunity
from tests.accounts.conftest import api_for, detail_url, history, page_url
from tests.accounts.factories import AccountFactory
from tests.accounts.test_deal_page import form_data
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db


def stored_amount(deal: Opportunity) -> str:
    deal.refresh_from_db()
    return str(deal.close_value)


@pytest.mark.parametrize("sent", ["-0", "-0.00"])
def test_the_page_stores_minus_zero_as_zero(client, deal, rep, sent) -> None:
    client.force_login(rep)

    response = client.post(page_url(deal), form_data(deal, close_value=sent))

    assert response.status_code == 302
    assert stored_amount(deal) == "0.00"
    assert history() == [("update", "close_value", "48000.00", "0.00", "rita")]


def test_the_api_stores_and_answers_minus_zero_as_zero(deal, rep) -> None:
    api = api_for(rep)
    etag = api.get(detail_url(deal))["ETag"]

    response = api.patch(
        detail_url(deal), {"close_value": "-0"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 200
    assert response.json()["close_value"] == "0.00"
    assert stored_amount(deal) == "0.00"


def test_a_new_deal_of_minus_zero_answers_zero(account, rep, deal) -> None:
    response = api_for(rep).post(
        f"/api/accounts/{account.pk}/deals/create/",
        {"product_id": deal.product_id, "stage": "engaging", "close_value": "-0.00"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["close_value"] == "0.00"
    created = Opportunity.objects.get(pk=response.json()["id"])
    assert str(created.close_value) == "0.00"


def test_the_import_stores_minus_zero_as_zero(tmp_path) -> None:
    # given: a CRM export with a zero amount written with its sign
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate\n"
        "006A1,Alpha Co,Closed Won,-0,2026-01-05\n"
        "006A2,Alpha Co,Closed Won,-0.00,2026-01-05\n"
        "006A3,Alpha Co,Closed Won,(0.00),2026-01-05\n",
        encoding="utf-8",
    )

    # when
    job = imported(path)

    # then
    assert job.issues == []
    assert [
        (external_id, str(amount))
        for external_id, amount in Opportunity.objects.order_by(
            "external_id"
        ).values_list("external_id", "close_value")
    ] == [("006A1", "0.00"), ("006A2", "0.00"), ("006A3", "0.00")]
    assert [
        str(deal.close_value) for deal in Opportunity.objects.order_by("external_id")
    ] == ["0.00", "0.00", "0.00"]
