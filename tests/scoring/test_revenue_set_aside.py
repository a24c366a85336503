"""Invoices are the ledger: won deals of a quarter they cover count once."""

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import Account, Product, RevenueLine
from accounts.revenue_keys import won_key
from scoring.loading import scoring_frames_load
from scoring.models import AccountScore
from scoring.services import score_run_request, set_aside_description
from tests.accounts.factories import AccountFactory, ProductFactory

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


def both_sources() -> tuple[Account, Account, Product, Product]:
    """Harbor has invoices and won deals for Q1 2026, won deals only for
    Q2; Delta has won deals only."""
    harbor = AccountFactory.create(name="Harbor Bank", sector="retail")
    delta = AccountFactory.create(name="Delta Freight", sector="retail")
    pro = ProductFactory.create(name="GTX Pro")
    special = ProductFactory.create(name="MG Special")
    invoiced(harbor, pro, date(2026, 1, 10), "1000.00")
    invoiced(harbor, pro, date(2026, 2, 3), "500.00")
    won(harbor, pro, date(2026, 1, 1), "1500.00")
    won(harbor, special, date(2026, 1, 1), "700.00")
    won(harbor, pro, date(2026, 4, 1), "800.00")
    won(delta, pro, date(2026, 1, 1), "300.00")
    return harbor, delta, pro, special


def test_the_load_counts_invoices_and_sets_covered_won_deals_aside() -> None:
    # given
    harbor, delta, pro, _ = both_sources()

    # when
    frames = scoring_frames_load()

    # then
    rows = frames.revenue.assign(
        currency=frames.revenue["currency"].astype(str)
    ).sort_values(["account_id", "quarter_start"])
    assert rows.to_dict("records") == [
        {
            "account_id": harbor.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-01-01"),
            "amount": 1500.0,
            "currency": "USD",
        },
        {
            "account_id": harbor.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-04-01"),
            "amount": 800.0,
            "currency": "USD",
        },
        {
            "account_id": delta.pk,
            "product_id": pro.pk,
            "quarter_start": pd.Timestamp("2026-01-01"),
            "amount": 300.0,
            "currency": "USD",
        },
    ]
    assert frames.revenue_set_aside == 1


def test_a_quarter_of_won_deals_only_is_counted_in_full() -> None:
    # given
    delta = AccountFactory.create(name="Delta Freight")
    pro = ProductFactory.create(name="GTX Pro")
    special = ProductFactory.create(name="MG Special")
    won(delta, pro, date(2026, 1, 1), "300.00")
    won(delta, special, date(2026, 1, 1), "200.00")

    # when
    frames = scoring_frames_load()

    # then
    assert sorted(frames.revenue["amount"]) == [200.0, 300.0]
    assert frames.revenue_set_aside == 0


def test_a_run_counts_each_sale_once_and_says_what_it_set_aside(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    harbor, delta, _, _ = both_sources()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()

    # then
    assert run.status == run.Status.SUCCEEDED
    assert run.message == (
        "won-deal revenue of 1 account-quarter set aside: invoices cover them"
    )
    assert run.summary["revenue_set_aside"] == 1
    assert run.revenue_lines_read == 3
    ttm = dict(
        AccountScore.objects.filter(run=run).values_list("account_id", "ttm_revenue")
    )
    assert ttm == {harbor.pk: Decimal("2300.00"), delta.pk: Decimal("300.00")}


def test_a_run_with_nothing_set_aside_says_nothing_of_it(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # given
    delta = AccountFactory.create(name="Delta Freight")
    won(delta, ProductFactory.create(name="GTX Pro"), date(2026, 1, 1), "300.00")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        run = score_run_request(trigger="manual")
    run.refresh_from_db()

    # then
    assert run.message == ""
    assert run.summary["revenue_set_aside"] == 0


@pytest.mark.parametrize(
    ("quarters", "text"),
    [
        (0, ""),
        (1, "won-deal revenue of 1 account-quarter set aside: invoices cover them"),
        (
            2345,
            "won-deal revenue of 2,345 account-quarters set aside: invoices cover them",
        ),
    ],
)
def test_the_set_aside_description(quarters: int, text: str) -> None:
    assert set_aside_description(quarters=quarters) == text
