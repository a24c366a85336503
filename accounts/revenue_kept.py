"""Convert the annual revenues kept without a rate once their rate is stored.

An account's annual revenue in a currency no stored rate converted is kept
as given, with no rate (accounts.currency.annual_revenue_values). Storing a
rate of that currency later converts every such revenue at once, at the
latest rate of the currency, as giving the revenue again would; those
already converted keep the rate they were given with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from accounts.currency import Rate
from accounts.currency_codes import ANNUAL_REVENUE_CURRENCY
from accounts.models import Account

# How many accounts one UPDATE converts.
CONVERT_BATCH = 2000


@dataclass(frozen=True)
class KeptRevenue:
    """An account whose annual revenue a stored rate has just converted."""

    account_id: int
    name: str
    amount: Decimal


def annual_revenue_kept(*, currency: str) -> QuerySet[Account]:
    """Return the accounts whose revenue in this currency has no rate."""
    return Account.objects.filter(
        annual_revenue__isnull=False,
        annual_revenue_currency=currency,
        annual_revenue_rate__isnull=True,
    ).exclude(annual_revenue_currency=ANNUAL_REVENUE_CURRENCY)


def annual_revenue_kept_convert(
    *, currency: str, rate: Rate
) -> Iterator[list[KeptRevenue]]:
    """Convert the revenues kept without a rate in `currency`, batch by batch.

    Yields each batch once its UPDATE is done, so the caller records what
    changed as it goes. Runs inside the caller's transaction: the rows are
    locked first, so a hand edit in between waits instead of being recorded
    as converted here, and undone with it.
    """
    if currency == ANNUAL_REVENUE_CURRENCY:
        return

    kept = list(
        annual_revenue_kept(currency=currency)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", "name", "annual_revenue")
    )
    for start in range(0, len(kept), CONVERT_BATCH):
        batch = [
            # annual_revenue_kept holds no blank revenue.
            KeptRevenue(account_id=pk, name=name, amount=amount or Decimal(0))
            for pk, name, amount in kept[start : start + CONVERT_BATCH]
        ]
        # A versioned update: each account's ETag moves with it.
        Account.objects.filter(pk__in=[item.account_id for item in batch]).update(
            annual_revenue_rate=rate.rate, annual_revenue_rate_date=rate.rate_date
        )
        yield batch
