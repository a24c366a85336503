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
    assert rollup.describe() == "EUR at 1.085 from 30 Nov 2026."


def test_a_total_without_a_rate_says_so_instead_of_adding_raw_numbers() -> None:
    rollup = money_rollup(
        amounts=[
            (Decimal("100"), "USD"),
            (Decimal("200"), "EUR"),
            (Decimal("5"), "GBP"),
        ],
        rates={"EUR": EUR},
    )

    assert rollup.total == Decimal("317.00")
    assert not rollup.complete
    assert rollup.missing_rates == ["GBP"]
    assert rollup.notes() == [
        "EUR at 1.085 from 30 Nov 2026",
        "5 GBP not included: no GBP rate",
    ]


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


def test_it_names_the_amount_and_currency_it_leaves_out() -> None:
    # The tester's won deals: 10,000 EUR + 100,000 SEK + 5,000 CHF, no CHF
    rollup = money_rollup(
        amounts=[
            (Decimal("10000"), "EUR"),
            (Decimal("100000"), "SEK"),
            (Decimal("5000"), "CHF"),
        ],
        rates={
            "EUR": Rate(rate=Decimal("1.0800000000"), rate_date=date(2026, 3, 31)),
            "SEK": Rate(rate=Decimal("0.095"), rate_date=date(2025, 1, 1)),
        },
    )

    assert rollup.total == Decimal("20300.00")
    assert rollup.describe() == (
        "EUR at 1.08 from 31 Mar 2026; SEK at 0.095 from 1 Jan 2025; "
        "5,000 CHF not included: no CHF rate."
    )


def test_a_dated_roll_up_says_no_rate_on_or_before_the_date() -> None:
    # A rate dated after the invoice does not convert it.
    rollup = money_rollup(
        amounts=[(Decimal("1234.50"), "EUR")], rates={}, rates_on=date(2026, 2, 3)
    )

    assert rollup.total == Decimal("0.00")
    assert rollup.notes() == [
        "1,234.50 EUR not included: no EUR rate on or before 3 Feb 2026"
    ]


@pytest.mark.django_db
def test_a_rate_after_the_date_is_not_used_and_the_reason_names_the_date() -> None:
    # given
    account = AccountFactory()
    RevenueLineFactory(
        account=account,
        product=ProductFactory(name="Wartung"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("1234.50"),
        currency="EUR",
    )
    CurrencyRate.objects.create(
        currency="EUR", rate="1.08", rate_date=date(2026, 3, 31)
    )

    # when
    rollup = account_revenue_rollup(account=account, on=date(2026, 2, 3))

    # then
    assert rollup.total == Decimal("0.00")
    assert rollup.describe() == (
        "1,234.50 EUR not included: no EUR rate on or before 3 Feb 2026."
    )


@pytest.mark.django_db
def test_rates_into_another_reporting_currency_are_kept_apart() -> None:
    # given
    account = AccountFactory()
    RevenueLineFactory(
        account=account,
        product=ProductFactory(name="Lizenz"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("10000"),
        currency="SEK",
    )
    CurrencyRate.objects.create(
        currency="SEK",
        reporting_currency="USD",
        rate="0.095",
        rate_date=date(2026, 1, 1),
    )
    CurrencyRate.objects.create(
        currency="SEK",
        reporting_currency="EUR",
        rate="0.088",
        rate_date=date(2026, 1, 1),
    )

    # when
    rollup = account_revenue_rollup(account=account, reporting_currency="EUR")

    # then
    assert rollup.total == Decimal("880.00")
    assert rollup.describe() == "SEK at 0.088 from 1 Jan 2026."
