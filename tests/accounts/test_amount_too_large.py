"""Too large an amount: one rule and one message on the page, API and import."""

import pytest
from django.urls import reverse

from accounts.wizard import mapped_import_check
from tests.accounts.conftest import api_for, detail_url, history, page_url
from tests.accounts.factories import AccountFactory
from tests.accounts.test_deal_page import form_data
from tests.accounts.test_wizard_tester_findings import opened

pytestmark = pytest.mark.django_db

TOO_LARGE = "Too large: at most 12 digits before the decimal point."
# Each too large in its own way: 13 whole digits, 15 digits in all, and far
# past what a decimal can be rounded to the cent in.
AMOUNTS = ["1234567890123", "1234567890123.45", "1e30"]


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_page_refuses_too_large_an_amount_with_the_one_message(
    client, deal, rep, amount
) -> None:
    client.force_login(rep)

    response = client.post(page_url(deal), form_data(deal, close_value=amount))

    assert response.status_code == 200
    assert response.context["form"].errors == {"close_value": [TOO_LARGE]}
    assert history() == []


@pytest.mark.parametrize("amount", AMOUNTS)
def test_the_api_refuses_too_large_an_amount_with_the_one_message(
    deal, rep, amount
) -> None:
    api = api_for(rep)
    etag = api.get(detail_url(deal))["ETag"]

    response = api.patch(
        detail_url(deal), {"close_value": amount}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"close_value": [TOO_LARGE]}
    assert history() == []


@pytest.mark.parametrize(
    ("amount", "said"),
    [
        *((amount, TOO_LARGE) for amount in AMOUNTS),
        ("-1e30", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_the_api_refuses_too_large_an_annual_revenue_with_the_one_message(
    account, rep, amount, said
) -> None:
    api = api_for(rep)
    url = reverse("accounts_api:detail", args=[account.pk])
    etag = api.get(url)["ETag"]

    response = api.patch(
        url, {"annual_revenue_musd": amount}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"annual_revenue_musd": [said]}
    assert history() == []


def test_the_largest_amount_is_taken_on_the_page(client, deal, rep) -> None:
    client.force_login(rep)

    page = client.post(page_url(deal), form_data(deal, close_value="999999999999.99"))

    assert page.status_code == 302
    deal.refresh_from_db()
    assert str(deal.close_value) == "999999999999.99"


def test_the_import_refuses_too_large_an_amount_with_the_one_message(
    tmp_path,
) -> None:
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate\n"
        "006A1,Alpha Co,Closed Won,1234567890123,2026-01-05\n"
        "006A2,Alpha Co,Closed Won,1234567890123.45,2026-01-05\n"
        "006A3,Alpha Co,Closed Won,999999999999.99,2026-01-05\n",
        encoding="utf-8",
    )

    outcome = mapped_import_check(mapped=opened(path))

    assert [(i.line, i.column, i.reason) for i in outcome.issues] == [
        (2, "Amount", TOO_LARGE),
        (3, "Amount", TOO_LARGE),
    ]
