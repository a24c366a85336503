from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from accounts.currency import (
    DatedAmount,
    account_revenue_rollup,
    money_rollup,
    rates_on_or_before,
)
from accounts.models import CurrencyRate
from tests.accounts.factories import AccountFactory, ProductFactory, RevenueLineFactory

DAY = date(2026, 12, 1)


def rates(*rows: tuple[str, date, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [(currency, day, Decimal(rate)) for currency, day, rate in rows],
        columns=["currency", "rate_date", "rate"],
    )


def test_each_amount_takes_the_latest_rate_on_or_before_its_own_date() -> None:
    # given EUR rates on 1 Jan and 1 Jun, and amounts around them
    table = rates(
        ("EUR", date(2026, 6, 1), "1.10"),
        ("EUR", date(2026, 1, 1), "1.05"),
        ("SEK", date(2026, 1, 1), "0.095"),
    )

    # when
    match = rates_on_or_before(
        currencies=pd.Series(["EUR", "EUR", "EUR", "EUR", "", "USD", "SEK"]),
        days=pd.Series(
            pd.to_datetime(
                [
                    "2025-12-31",
                    "2026-01-01",
                    "2026-05-31",
                    "2026-06-01",
                    "2020-01-01",
                    "2020-01-01",
                    None,
                ]
            )
        ),
        rates=table,
        reporting_currency="USD",
    )

    # then: rows of the rates frame by position; -1 for none
    assert match.position.tolist() == [-1, 1, 1, 0, -1, -1, -1]
    assert match.foreign.tolist() == [True, True, True, True, False, False, True]
    assert match.missing.tolist() == [True, False, False, False, False, False, True]


def test_it_converts_each_currency_with_its_rate_and_names_the_date() -> None:
    rollup = money_rollup(
        amounts=[
            DatedAmount(amount=Decimal("100"), currency="USD", day=DAY),
            DatedAmount(amount=Decimal("200"), currency="EUR", day=DAY),
        ],
        rates=rates(("EUR", date(2026, 11, 30), "1.085")),
    )

    assert rollup.total == Decimal("317.00")
    assert rollup.by_currency == {"EUR": Decimal("200"), "USD": Decimal("100")}
    assert rollup.converted == [Decimal("100"), Decimal("217.000")]
    assert rollup.describe() == "EUR at 1.085 from 30 Nov 2026."


def test_a_total_without_a_rate_counts_and_names_what_it_leaves_out() -> None:
    rollup = money_rollup(
        amounts=[
            DatedAmount(amount=Decimal("100"), currency="USD", day=DAY),
            DatedAmount(amount=Decimal("200"), currency="EUR", day=DAY),
            DatedAmount(amount=Decimal("5"), currency="GBP", day=DAY, count=2),
        ],
        rates=rates(("EUR", date(2026, 11, 30), "1.085")),
        noun="line",
    )

    assert rollup.total == Decimal("317.00")
    assert not rollup.complete
    assert rollup.missing_rates == ["GBP"]
    assert rollup.notes() == [
        "EUR at 1.085 from 30 Nov 2026",
        "5.00 GBP not included (2 lines): no GBP rate on or before 1 Dec 2026",
    ]


def test_amounts_in_the_reporting_currency_need_no_rate() -> None:
    rollup = money_rollup(
        amounts=[DatedAmount(amount=Decimal("1.5"), currency="USD", day=None)],
        rates=None,
    )

    assert (rollup.total, rollup.describe()) == (
        Decimal("1.50"),
        "All amounts are in USD.",
    )


def test_several_rates_are_named_as_a_range_of_dates() -> None:
    # given EUR invoices in two quarters, each with its own rate
    rollup = money_rollup(
        amounts=[
            DatedAmount(amount=Decimal("1000"), currency="EUR", day=date(2026, 1, 1)),
            DatedAmount(amount=Decimal("1000"), currency="EUR", day=date(2026, 7, 1)),
            DatedAmount(amount=Decimal("50"), currency="SEK", day=date(2025, 1, 1)),
            DatedAmount(amount=Decimal("70"), currency="SEK", day=date(2025, 4, 1)),
        ],
        rates=rates(
            ("EUR", date(2026, 1, 1), "1.05"),
            ("EUR", date(2026, 6, 1), "1.10"),
            ("SEK", date(2026, 1, 1), "0.095"),
        ),
        noun="line",
    )

    assert rollup.total == Decimal("2150.00")
    assert rollup.describe() == (
        "EUR at 1.05 to 1.1, rates from 1 Jan 2026 to 1 Jun 2026; "
        "120.00 SEK not included (2 lines): no SEK rate on or before their dates "
        "(1 Jan 2025 to 1 Apr 2025)."
    )


def test_an_undated_amount_is_left_out_and_says_why() -> None:
    rollup = money_rollup(
        amounts=[DatedAmount(amount=Decimal("5000"), currency="CHF", day=None)],
        rates=rates(("CHF", date(2026, 1, 1), "1.12")),
        noun="deal",
    )

    assert rollup.total == Decimal("0.00")
    assert rollup.notes() == [
        "5,000.00 CHF not included (1 deal): no CHF rate, and no date to choose one by"
    ]


def test_it_names_the_amount_and_currency_it_leaves_out() -> None:
    # The tester's won deals: 10,000 EUR + 100,000 SEK + 5,000 CHF, no CHF
    rollup = money_rollup(
        amounts=[
            DatedAmount(amount=Decimal("10000"), currency="EUR", day=DAY),
            DatedAmount(amount=Decimal("100000"), currency="SEK", day=DAY),
            DatedAmount(amount=Decimal("5000"), currency="CHF", day=DAY),
        ],
        rates=rates(
            ("EUR", date(2026, 3, 31), "1.0800000000"),
            ("SEK", date(2025, 1, 1), "0.095"),
        ),
        noun="deal",
    )

    assert rollup.total == Decimal("20300.00")
    assert rollup.describe() == (
        "EUR at 1.08 from 31 Mar 2026; SEK at 0.095 from 1 Jan 2025; "
        "5,000.00 CHF not included (1 deal): no CHF rate on or before 1 Dec 2026."
    )


@pytest.mark.django_db
def test_an_account_rolls_up_each_quarter_at_its_own_rate() -> None:
    # given
    account = AccountFactory.create()
    RevenueLineFactory.create(
        account=account,
        product=ProductFactory.create(name="A"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("1000"),
        currency="EUR",
    )
    RevenueLineFactory.create(
        account=account,
        product=ProductFactory.create(name="B"),
        quarter_start=date(2026, 7, 1),
        amount=Decimal("1000"),
        currency="EUR",
    )
    RevenueLineFactory.create(
        account=account,
        product=ProductFactory.create(name="C"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("500"),
        currency="USD",
    )
    CurrencyRate.objects.create(currency="EUR", rate="1.05", rate_date=date(2026, 1, 1))
    CurrencyRate.objects.create(currency="EUR", rate="1.10", rate_date=date(2026, 6, 1))

    # when
    rollup = account_revenue_rollup(account=account)

    # then
    assert rollup.total == Decimal("2650.00")
    assert [rate.rate_date for rate in rollup.rates_used["EUR"]] == [
        date(2026, 1, 1),
        date(2026, 6, 1),
    ]


@pytest.mark.django_db
def test_a_rate_after_the_quarter_is_not_used_and_the_reason_names_it() -> None:
    # given
    account = AccountFactory.create()
    RevenueLineFactory.create(
        account=account,
        product=ProductFactory.create(name="Wartung"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("1234.50"),
        currency="EUR",
    )
    CurrencyRate.objects.create(
        currency="EUR", rate="1.08", rate_date=date(2026, 3, 31)
    )

    # when
    rollup = account_revenue_rollup(account=account)

    # then
    assert rollup.total == Decimal("0.00")
    assert rollup.describe() == (
        "1,234.50 EUR not included (1 line): no EUR rate on or before 1 Jan 2026."
    )


@pytest.mark.django_db
def test_rates_into_another_reporting_currency_are_kept_apart() -> None:
    # given
    account = AccountFactory.create()
    RevenueLineFactory.create(
        account=account,
        product=ProductFactory.create(name="Lizenz"),
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


def test_the_engine_and_the_page_pick_the_same_rate_for_each_line() -> None:
    # The engine passes float rates and categorical codes; same positions.
    table = rates(("EUR", date(2026, 1, 1), "1.05"), ("EUR", date(2026, 6, 1), "1.1"))
    floats = table.assign(rate=table["rate"].astype(float))
    days = pd.Series(pd.to_datetime(["2025-10-01", "2026-04-01", "2026-07-01"]))

    engine = rates_on_or_before(
        currencies=pd.Series(pd.Categorical(["EUR", "EUR", "EUR"])),
        days=days,
        rates=floats,
        reporting_currency="USD",
    )
    page = rates_on_or_before(
        currencies=pd.Series(["EUR", "EUR", "EUR"], dtype=object),
        days=pd.Series(list(days.dt.date), dtype=object),
        rates=table,
        reporting_currency="USD",
    )

    assert np.array_equal(engine.position, page.position)
    assert page.position.tolist() == [-1, 0, 1]
