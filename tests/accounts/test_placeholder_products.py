"""A placeholder product holds revenue but is never whitespace."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import RevenueLine
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_account_page_says_how_much_revenue_names_no_product(
    client, rep, account
) -> None:
    # given
    ProductFactory.create(name="MG Special", list_price=Decimal("1200.00"))
    unspecified = ProductFactory.create(name="Unspecified", is_placeholder=True)
    for day, amount in ((date(2026, 2, 10), "700.00"), (date(2026, 4, 2), "45.50")):
        RevenueLine.objects.create(
            account=account,
            product=unspecified,
            booked_on=day,
            quarter_start=date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
            amount=Decimal(amount),
        )
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[account.pk]))

    # then
    overview = response.context["overview"]
    assert overview.revenue_without_product == Decimal("745.50")
    assert [product.name for product in overview.products_bought] == []
    assert [product.name for product in overview.products_not_bought] == ["MG Special"]
    assert (
        "745.50 USD of revenue names no product: it counts in the account's "
        "revenue, in no product here." in response.content.decode()
    )


def test_the_page_says_nothing_when_every_line_names_a_product(
    client, rep, account
) -> None:
    RevenueLine.objects.create(
        account=account,
        product=ProductFactory.create(name="GTX Pro"),
        quarter_start=date(2026, 1, 1),
        amount=Decimal("100.00"),
    )
    client.force_login(rep)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.context["overview"].revenue_without_product == Decimal("0.00")
    assert 'data-testid="revenue-without-product"' not in response.content.decode()
