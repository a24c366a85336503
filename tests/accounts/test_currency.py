from datetime import date
from decimal import Decimal

import pytest

from accounts.currency import (
    Rate,
    account_revenue_rollup,
    currency_rates_latest,
    money_rollup,
)
from accounts.models import CurrencyRate
from tests.accounts.factories import AccountFactory, ProductFactory, RevenueLineFactory

EUR = Rate(rate=Decimal("1.085"), rate_date=date(2026, 11, 30))


def test_it_converts_each_currency_with_its_rate_and_names_the_date() -> None:
    rollup = money_rollup(
        amounts=[(Decimal("100"), "USD"), (Decimal("200"), "EUR")],
        rates={"EUR": EUR},
    )

    assert rollup.total == Decimal("317.00")
    assert rollup.by_currency == {"EUR": Decimal("200"), "USD": Decimal("100")}
    assert rollup.oldest_rate_date == date(2026, 11, 30)
    assert rollup.describe() == "Converted to USD at EUR 1.085 of 2026-11-30."


def test_a_total_without_a_rate_says_so_instead_of_adding_raw_numbers() -> None:
    rollup = money_rollup(
        amounts=[
            (Decimal("100"), "USD"),
            (Decimal("200"), "EUR"),
            (Decimal("5"), "GBP"),
        ],
        rates={"EUR": EUR},
    )

    assert rollup.total is None
    assert rollup.missing_rates == ["GBP"]
    assert rollup.describe() == "No total: no rate to USD is stored for GBP"


def test_amounts_in_the_reporting_currency_need_no_rate() -> None:
    rollup = money_rollup(amounts=[(Decimal("1.5"), "USD")], rates={})

    assert (rollup.total, rollup.describe()) == (
        Decimal("1.50"),
        "All amounts are in USD.",
    )


@pytest.mark.django_db
def test_an_account_rolls_up_its_revenue_lines_with_the_latest_rate() -> None:
    # given
    account = AccountFactory()
    RevenueLineFactory(
        account=account,
        product=ProductFactory(name="A"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("1000"),
        currency="EUR",
    )
    RevenueLineFactory(
        account=account,
        product=ProductFactory(name="B"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("500"),
        currency="USD",
    )
    CurrencyRate.objects.create(currency="EUR", rate="1.05", rate_date=date(2026, 1, 1))
    CurrencyRate.objects.create(currency="EUR", rate="1.10", rate_date=date(2026, 6, 1))

    # when
    rollup = account_revenue_rollup(account=account)

    # then
    assert rollup.total == Decimal("1600.00")
    assert rollup.rates_used["EUR"].rate_date == date(2026, 6, 1)
    assert currency_rates_latest(on=date(2026, 3, 1))["EUR"].rate == Decimal("1.05")
