"""Too large an amount: one rule and one message on the page, API and import."""

from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import Opportunity
from accounts.wizard import mapped_import_check
from tests.accounts.conftest import api_for, detail_url, history, page_url
from tests.accounts.factories import AccountFactory
from tests.accounts.test_deal_page import form_data
from tests.accounts.test_wizard_tester_findings import opened
from tests.accounts.wizard_runs import imported

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
        ("1e18", "Too large: at most 18 digits before the decimal point."),
        ("1e30", "Too large: at most 18 digits before the decimal point."),
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
        url, {"annual_revenue": amount}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 400
    assert response.json() == {"annual_revenue": [said]}
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


def _deals_workbook(path, amounts) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Id", "Account Name", "StageName", "Amount", "CloseDate"])
    for number, amount in enumerate(amounts, start=1):
        sheet.append([f"006X{number}", "Alpha Co", "Closed Won", amount, "2026-01-05"])
    workbook.save(path)


def test_a_workbook_number_past_the_limit_is_too_large_not_unreadable(
    tmp_path,
) -> None:
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.xlsx"
    _deals_workbook(path, [1e20, -1e20, 1234567890123.0, 999999999999.99])

    outcome = mapped_import_check(mapped=opened(path))

    assert [(i.line, i.column, i.value, i.reason) for i in outcome.issues] == [
        (2, "Amount", "1e+20", TOO_LARGE),
        (3, "Amount", "-1e+20", "must not be negative"),
        (4, "Amount", "1234567890123", TOO_LARGE),
    ]


def test_a_csv_amount_in_scientific_notation_is_read_and_said(tmp_path) -> None:
    AccountFactory.create(name="Alpha Co")
    path = tmp_path / "deals.csv"
    path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate\n"
        "006A1,Alpha Co,Closed Won,1e+20,2026-01-05\n"
        "006A2,Alpha Co,Closed Won,1.5E+3,2026-01-05\n",
        encoding="utf-8",
    )

    outcome = mapped_import_check(mapped=opened(path))

    assert [(i.line, i.value, i.reason, i.action) for i in outcome.issues] == [
        (2, "1e+20", TOO_LARGE, "rejected"),
        (3, "1.5E+3", "scientific notation read as 1500", "repaired"),
    ]


def test_an_amount_in_scientific_notation_is_stored_as_its_number(
    tmp_path,
) -> None:
    AccountFactory.create(name="Alpha Co")
    csv_path = tmp_path / "deals.csv"
    csv_path.write_text(
        "Id,Account Name,StageName,Amount,CloseDate\n"
        "006A1,Alpha Co,Closed Won,2.5e4,2026-01-05\n",
        encoding="utf-8",
    )

    job = imported(csv_path)

    assert job.status == "succeeded"
    assert list(
        Opportunity.objects.values_list("external_id", "close_value", "currency")
    ) == [("006A1", Decimal("25000.00"), "USD")]
