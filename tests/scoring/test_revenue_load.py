"""The run reads each quarter as the sum of its invoice lines."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from accounts.models import RevenueLine
from scoring.loading import scoring_frames_load
from tests.accounts.factories import AccountFactory, ProductFactory

pytestmark = pytest.mark.django_db


def line(account, product, day: date, amount: str, currency: str = "USD") -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        booked_on=day,
        quarter_start=date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        amount=Decimal(amount),
        currency=currency,
    )


def test_it_sums_the_lines_of_each_quarter_product_and_currency() -> None:
    # given
    harbor = AccountFactory.create(name="Harbor Bank")
    pro = ProductFactory.create(name="GTX Pro")
    line(harbor, pro, date(2026, 1, 5), "1000.00")
    line(harbor, pro, date(2026, 1, 5), "1000.00")
    line(harbor, pro, date(2026, 3, 15), "400.25")
    line(harbor, pro, date(2026, 2, 1), "90.00", currency="EUR")
    line(harbor, pro, date(2026, 4, 1), "-50.00")

    # when
    revenue = scoring_frames_load().revenue

    # then
    rows = revenue.assign(currency=revenue["currency"].astype(str)).sort_values(
        ["quarter_start", "currency"]
    )
    assert rows.to_dict("records") == [
        {
            "account_id": harbor.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-01-01"),
            "amount": 90.0,
            "currency": "EUR",
        },
        {
            "account_id": harbor.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-01-01"),
            "amount": 2400.25,
            "currency": "USD",
        },
        {
            "account_id": harbor.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-04-01"),
            "amount": -50.0,
            "currency": "USD",
        },
    ]


def test_a_placeholder_product_is_not_in_the_catalogue() -> None:
    pro = ProductFactory.create(name="GTX Pro")
    ProductFactory.create(name="Unspecified", is_placeholder=True)

    products = scoring_frames_load().products

    assert list(products["product_id"]) == [pro.pk]
