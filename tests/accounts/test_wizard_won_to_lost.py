"""An import that changes a won deal takes its revenue out of the old quarter."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import Account, RevenueLine
from accounts.selectors import account_revenue_by_quarter
from accounts.wizard import mapped_import_undo
from tests.accounts.factories import AccountFactory
from tests.accounts.wizard_runs import imported

pytestmark = pytest.mark.django_db

HEADER = (
    "Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Close Date,"
    "Product Name\n"
)


def deals_file(tmp_path, name: str, *rows: str):
    path = tmp_path / name
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def revenue(account: Account) -> list[dict[str, object]]:
    return account_revenue_by_quarter(account=account, reporting_currency="USD")


def amounts(account: Account) -> list[tuple[date, Decimal]]:
    return list(
        RevenueLine.objects.filter(account=account)
        .order_by("quarter_start")
        .values_list("quarter_start", "amount")
    )


@pytest.fixture
def account() -> Account:
    return AccountFactory.create(name="Alpha Co")


@pytest.fixture
def won_twice(tmp_path, account):
    """Two deals of one quarter, both won, imported."""
    imported(
        deals_file(
            tmp_path,
            "won.csv",
            "006A1,Deal 006A1,Alpha Co,Closed Won,100,2026-01-05,GTX Pro",
            "006A2,Deal 006A2,Alpha Co,Closed Won,40,2026-02-10,GTX Pro",
        )
    )
    assert revenue(account) == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 140.0}
    ]


def test_a_deal_the_next_import_says_is_lost_leaves_its_quarter(
    tmp_path, account, won_twice
) -> None:
    # when
    imported(
        deals_file(
            tmp_path,
            "lost.csv",
            "006A1,Deal 006A1,Alpha Co,Closed Lost,100,2026-01-05,GTX Pro",
        )
    )

    # then
    assert revenue(account) == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 40.0}
    ]


def test_a_deal_won_in_another_quarter_moves_its_revenue(
    tmp_path, account, won_twice
) -> None:
    # when
    imported(
        deals_file(
            tmp_path,
            "moved.csv",
            "006A2,Deal 006A2,Alpha Co,Closed Won,40,2026-04-20,GTX Pro",
        )
    )

    # then
    assert amounts(account) == [
        (date(2026, 1, 1), Decimal("100.00")),
        (date(2026, 4, 1), Decimal("40.00")),
    ]


def test_undoing_the_import_that_lost_it_brings_its_revenue_back(
    tmp_path, account, won_twice
) -> None:
    # given
    job = imported(
        deals_file(
            tmp_path,
            "lost.csv",
            "006A1,Deal 006A1,Alpha Co,Closed Lost,100,2026-01-05,GTX Pro",
        )
    )

    # when
    mapped_import_undo(mapped=job.mapped, user=None)

    # then
    assert revenue(account) == [
        {"quarter": "2026-01-01", "product": "GTX Pro", "amount": 140.0}
    ]
