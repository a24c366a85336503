"""Where invoices cover a quarter, its won deals count in no amount."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.currency import account_revenue_rollup
from accounts.models import Account, Product, RevenueLine
from accounts.revenue_keys import won_key
from accounts.selectors import revenue_set_aside_note
from tests.accounts.factories import ProductFactory

pytestmark = pytest.mark.django_db


def invoiced(account: Account, product: Product, day: date, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        booked_on=day,
        quarter_start=date(day.year, 3 * ((day.month - 1) // 3) + 1, 1),
        amount=Decimal(amount),
        source=RevenueLine.Source.INVOICE,
        import_key=f"invoice:{account.pk}-{day.isoformat()}-{amount}:1",
    )


def won(account: Account, product: Product, quarter: date, amount: str) -> None:
    RevenueLine.objects.create(
        account=account,
        product=product,
        quarter_start=quarter,
        amount=Decimal(amount),
        source=RevenueLine.Source.PIPELINE,
        import_key=won_key(
            account_id=account.pk, product_id=product.pk, quarter=quarter
        ),
    )


@pytest.fixture
def catalogue() -> tuple[Product, Product, Product]:
    return (
        ProductFactory.create(name="GTX Pro"),
        ProductFactory.create(name="MG Special"),
        ProductFactory.create(name="MG Advanced"),
    )


@pytest.fixture
def both_sources(account: Account, catalogue: tuple[Product, ...]) -> Account:
    """Invoices and won deals for Q1 2026, won deals only for Q2."""
    pro, special, _ = catalogue
    invoiced(account, pro, date(2026, 1, 10), "1000.00")
    invoiced(account, pro, date(2026, 2, 3), "500.00")
    won(account, pro, date(2026, 1, 1), "1500.00")
    won(account, special, date(2026, 1, 1), "700.00")
    won(account, pro, date(2026, 4, 1), "800.00")
    return account


def test_the_counted_lines_leave_out_won_deals_invoices_cover(
    both_sources: Account,
) -> None:
    counted = RevenueLine.objects.counted().filter(account=both_sources)
    set_aside = RevenueLine.objects.set_aside().filter(account=both_sources)

    assert sorted(
        (line.quarter_start, line.source, line.amount) for line in counted
    ) == [
        (date(2026, 1, 1), "invoice", Decimal("500.00")),
        (date(2026, 1, 1), "invoice", Decimal("1000.00")),
        (date(2026, 4, 1), "pipeline", Decimal("800.00")),
    ]
    assert sorted(line.amount for line in set_aside) == [
        Decimal("700.00"),
        Decimal("1500.00"),
    ]


def test_the_account_page_counts_the_invoices_and_says_why(
    client, rep, both_sources: Account
) -> None:
    # given
    client.force_login(rep)

    # when
    response = client.get(reverse("accounts:detail", args=[both_sources.pk]))

    # then
    assert response.status_code == 200
    overview = response.context["overview"]
    assert overview.revenue_by_quarter == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 1500.0},
        {"quarter": "2026-04-01", "product": "GTX Pro", "amount": 800.0},
    ]
    note = (
        "Won deals of Q1 2026 are set aside: invoices cover that quarter, so "
        "their sales count once."
    )
    assert overview.revenue_set_aside_note == note
    assert note in response.content.decode()
    # A product named only by a set-aside won deal was still bought.
    assert [p.name for p in overview.products_bought] == ["GTX Pro", "MG Special"]
    assert [p.name for p in overview.products_not_bought] == ["MG Advanced"]


def test_the_account_page_says_nothing_when_nothing_is_set_aside(
    client, rep, account: Account, catalogue: tuple[Product, ...]
) -> None:
    won(account, catalogue[0], date(2026, 1, 1), "300.00")
    client.force_login(rep)

    response = client.get(reverse("accounts:detail", args=[account.pk]))

    assert response.context["overview"].revenue_set_aside_note == ""
    assert 'data-testid="revenue-set-aside"' not in response.content.decode()


def test_the_revenue_api_counts_each_sale_once(rep, both_sources: Account) -> None:
    api = APIClient()
    api.force_authenticate(user=rep)

    response = api.get(f"/api/accounts/{both_sources.pk}/revenue/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "product": "GTX Pro",
            "quarter_start": "2026-01-01",
            "amount": "1500.00",
            "currency": "USD",
            "lines": 2,
        },
        {
            "product": "GTX Pro",
            "quarter_start": "2026-04-01",
            "amount": "800.00",
            "currency": "USD",
            "lines": 1,
        },
    ]


def test_whitespace_still_counts_a_set_aside_product_as_bought(
    rep, both_sources: Account
) -> None:
    api = APIClient()
    api.force_authenticate(user=rep)

    body = api.get(f"/api/accounts/{both_sources.pk}/whitespace/").json()

    assert [row["name"] for row in body["bought"]] == ["GTX Pro", "MG Special"]
    assert [row["name"] for row in body["not_bought"]] == ["MG Advanced"]


def test_the_revenue_rollup_counts_each_sale_once(both_sources: Account) -> None:
    rollup = account_revenue_rollup(account=both_sources)

    assert rollup.total == Decimal("2300.00")


@pytest.mark.parametrize(
    ("quarters", "text"),
    [
        ([], ""),
        (
            [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)],
            "Won deals of Q4 2025, Q1 2026 and Q2 2026 are set aside: invoices "
            "cover those quarters, so their sales count once.",
        ),
    ],
)
def test_the_set_aside_note(quarters: list[date], text: str) -> None:
    assert revenue_set_aside_note(quarters=quarters) == text
