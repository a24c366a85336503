"""Amounts keep their own currency's decimals: 3 for KWD, none for JPY.

An amount is stored exactly when its currency has that many decimals, and
refused, never rounded, when it has more: by the import (naming the line,
the column and why), by the API (naming the field) and by the pages.
"""

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from accounts.currency import (
    DatedAmount,
    amount_text,
    money_rollup,
    money_text,
)
from accounts.currency_codes import (
    amount_kept,
    amount_places_problem,
    minor_digits,
)
from accounts.models import (
    Account,
    ImportJob,
    Opportunity,
    Product,
    RevenueLine,
    RevenueQuarter,
    User,
)
from tests.accounts.conftest import api_for, detail_url
from tests.accounts.factories import AccountFactory, ProductFactory
from tests.accounts.wizard_runs import imported

FIXTURES = Path(__file__).parent / "fixtures" / "minor_digits"
USD_THIRD = "3 decimals, but USD has 2: round the amount or check its currency"
JPY_FIRST = "1 decimal, but JPY has none: round the amount or check its currency"


def rejected(job: ImportJob) -> list[tuple]:
    return [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ]


def lines() -> list[tuple[date | None, Decimal, str]]:
    return list(
        RevenueLine.objects.order_by("booked_on").values_list(
            "booked_on", "amount", "currency"
        )
    )


# The table and the texts


def test_each_currency_has_its_iso_minor_digits() -> None:
    assert [minor_digits(code) for code in ("KWD", "BHD", "OMR", "TND")] == [3] * 4
    assert [minor_digits(code) for code in ("JPY", "KRW", "VND", "CLP")] == [0] * 4
    assert [minor_digits(code) for code in ("ISK", "UGX", "XAF", "XOF")] == [0] * 4
    assert [minor_digits(code) for code in ("USD", "EUR", "chf", "")] == [2] * 4


def test_an_amount_with_more_decimals_than_its_currency_is_a_problem() -> None:
    assert amount_places_problem(Decimal("12.345"), "KWD") is None
    assert amount_places_problem(Decimal("12.3400"), "USD") is None
    assert amount_places_problem(Decimal("5000.00"), "JPY") is None
    assert amount_places_problem(5000, "JPY") is None
    assert amount_places_problem(Decimal("12.345"), "USD") == USD_THIRD
    assert amount_places_problem(Decimal("12.345"), "") == USD_THIRD
    assert amount_places_problem(Decimal("100.5"), "JPY") == JPY_FIRST
    assert amount_places_problem(Decimal("1.2345"), "KWD") == (
        "4 decimals, but KWD has 3: round the amount or check its currency"
    )


def test_money_text_shows_every_decimal_of_the_currency() -> None:
    assert money_text(Decimal("5000"), "USD") == "5,000.00 USD"
    assert money_text(Decimal("12.345"), "KWD") == "12.345 KWD"
    assert money_text(Decimal("5000"), "KWD") == "5,000.000 KWD"
    assert money_text(Decimal("250000.00"), "JPY") == "250,000 JPY"
    assert money_text(Decimal("1234.5"), "KWD") == "1,234.500 KWD"
    assert money_text(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
    assert money_text(Decimal("1200"), "CHF") == "1,200.00 CHF"


def test_amount_text_rounds_a_converted_figure_to_the_currencys_digits() -> None:
    assert amount_text(Decimal("407.4048"), "KWD") == "407.405"
    assert amount_text(Decimal("160.5"), "JPY") == "160"
    assert amount_text(161.5, "JPY") == "162"
    assert amount_text(0, "USD") == "0.00"
    assert amount_text(Decimal("1200"), "KWD") == "1,200.000"


def test_an_amount_reads_back_to_the_cent_unless_it_uses_its_third() -> None:
    assert str(amount_kept(Decimal("1500.000"))) == "1500.00"
    assert str(amount_kept(Decimal("12.345"))) == "12.345"
    assert str(amount_kept(Decimal("12.340"))) == "12.34"


def test_a_rollup_converts_three_decimal_amounts_exactly() -> None:
    rollup = money_rollup(
        amounts=[
            DatedAmount(Decimal("1234.567"), "KWD", date(2026, 2, 1)),
            DatedAmount(Decimal("0.005"), "KWD", date(2026, 2, 1)),
            DatedAmount(Decimal("10.50"), "USD", date(2026, 2, 1)),
        ],
        rates=None,
        reporting_currency="USD",
    )

    assert rollup.by_currency == {"KWD": Decimal("1234.572"), "USD": Decimal("10.50")}
    assert rollup.total == Decimal("10.50")
    assert rollup.notes() == [
        "1,234.572 KWD not included (2 amounts): no KWD rate on or before 1 Feb 2026"
    ]


# Import


@pytest.mark.django_db
def test_an_import_keeps_three_decimal_amounts_exactly() -> None:
    AccountFactory.create(name="Souq Traders")

    job = imported(FIXTURES / "invoices_kwd.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert rejected(job) == []
    assert [(str(amount), currency) for _, amount, currency in lines()] == [
        ("1234.567", "KWD"),
        ("0.005", "KWD"),
        ("10.125", "BHD"),
        ("5000.00", "JPY"),
        ("1500.50", "USD"),
    ]
    quarters = RevenueQuarter.objects.order_by("currency").values_list(
        "currency", "amount", "lines"
    )
    assert [(code, str(amount), count) for code, amount, count in quarters] == [
        ("BHD", "10.125", 1),
        ("JPY", "5000.00", 1),
        ("KWD", "1234.572", 2),
        ("USD", "1500.50", 1),
    ]


@pytest.mark.django_db
def test_an_import_refuses_yen_with_decimals_naming_line_and_column() -> None:
    AccountFactory.create(name="Souq Traders")

    job = imported(FIXTURES / "invoices_jpy_decimals.csv")

    assert rejected(job) == [(3, "Net Amount", "100.5", JPY_FIRST)]
    assert lines() == []


@pytest.mark.django_db
def test_an_import_refuses_dollars_with_three_decimals() -> None:
    AccountFactory.create(name="Souq Traders")

    job = imported(FIXTURES / "invoices_usd_three_decimals.csv", keep_good_rows=True)

    assert rejected(job) == [(3, "Net Amount", "12.345", USD_THIRD)]
    assert [(str(amount), currency) for _, amount, currency in lines()] == [
        ("12.34", "USD")
    ]


@pytest.mark.django_db
def test_an_import_keeps_a_deal_in_dinars_to_the_fils() -> None:
    AccountFactory.create(name="Souq Traders")

    job = imported(FIXTURES / "deals_kwd.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    deals = Opportunity.objects.order_by("name").values_list(
        "name", "close_value", "currency"
    )
    assert [(name, str(value), code) for name, value, code in deals] == [
        ("Souq renewal", "48250.125", "KWD"),
        ("Souq yen", "250000.00", "JPY"),
    ]


@pytest.mark.django_db
def test_an_accounts_import_reads_revenue_decimals_in_the_rows_currency() -> None:
    job = imported(FIXTURES / "accounts_kwd.csv", keep_good_rows=True)

    assert rejected(job) == [(4, "Annual Revenue", "12.345", USD_THIRD)]
    revenues = Account.objects.order_by("name").values_list(
        "name", "annual_revenue", "annual_revenue_currency"
    )
    assert [(name, str(amount), code) for name, amount, code in revenues] == [
        ("Kuwait Trading Co", "12.345", "KWD"),
        ("Kuwait Two Co", "1.50", "KWD"),
    ]


# API


def create_deal(user: User, account: Account, product: Product, **body: str):  # type: ignore[no-untyped-def]
    return api_for(user).post(
        reverse("accounts_api:deal_create", args=[account.pk]),
        {"product_id": product.pk, "stage": "engaging", **body},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


@pytest.mark.django_db
def test_the_api_keeps_a_deal_in_dinars_and_sends_it_back(
    rep: User, account: Account
) -> None:
    product = ProductFactory.create(name="GTX Pro")

    created = create_deal(rep, account, product, close_value="12.345", currency="KWD")

    assert created.status_code == 201, created.json()
    deal = Opportunity.objects.get()
    assert deal.close_value == Decimal("12.345")
    read = api_for(rep).get(detail_url(deal))
    assert (read.json()["close_value"], read.json()["currency"]) == ("12.345", "KWD")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [("12.345", "USD", USD_THIRD), ("100.5", "JPY", JPY_FIRST)],
)
def test_the_api_refuses_more_decimals_than_the_currency_has(
    rep: User, account: Account, amount: str, currency: str, message: str
) -> None:
    product = ProductFactory.create(name="GTX Pro")

    refused = create_deal(rep, account, product, close_value=amount, currency=currency)

    assert refused.status_code == 400
    assert refused.json() == {"close_value": [message]}
    assert not Opportunity.objects.exists()


@pytest.mark.django_db
def test_the_api_still_sends_dollars_to_the_cent(deal: Opportunity, rep: User) -> None:
    response = api_for(rep).get(detail_url(deal))

    assert response.json()["close_value"] == "48000.00"


# Pages


@pytest.mark.django_db
def test_the_deal_list_shows_dinars_to_the_fils_and_yen_whole(
    client: Client, rep: User, account: Account
) -> None:
    product = ProductFactory.create(name="GTX Pro")
    for key, value, currency in (("D-1", "12.345", "KWD"), ("D-2", "250000", "JPY")):
        Opportunity.objects.create(
            external_id=key,
            account=account,
            product=product,
            stage=Opportunity.Stage.ENGAGING,
            close_value=Decimal(value),
            currency=currency,
        )
    client.force_login(rep)

    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()

    assert "12.345 KWD" in html
    assert "250,000 JPY" in html


@pytest.mark.django_db
def test_the_account_page_shows_a_revenue_in_dinars_exactly(
    client: Client, rep: User, account: Account
) -> None:
    Account.objects.filter(pk=account.pk).update(
        annual_revenue=Decimal("1234567.891"), annual_revenue_currency="KWD"
    )
    client.force_login(rep)

    html = client.get(reverse("accounts:detail", args=[account.pk])).content.decode()

    assert '<span data-testid="company-revenue">1,234,567.891 KWD</span>' in html
