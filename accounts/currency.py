"""Add money in several currencies: convert with stored rates, or say why not.

`money_rollup` is plain: amounts per currency and rates in, a `Rollup` out.
A total is only given when every currency has a rate; otherwise the roll-up
names the currencies that lack one and keeps the per-currency sums, so no
page ever adds euros to dollars as if they were one number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from accounts.models import Account, CurrencyRate, RevenueLine

REPORTING_CURRENCY = "USD"


@dataclass(frozen=True)
class Rate:
    rate: Decimal
    rate_date: date


@dataclass
class Rollup:
    """Amounts per currency and, when every rate is known, their total."""

    reporting_currency: str
    by_currency: dict[str, Decimal]
    total: Decimal | None
    rates_used: dict[str, Rate] = field(default_factory=dict)
    missing_rates: list[str] = field(default_factory=list)

    @property
    def oldest_rate_date(self) -> date | None:
        dates = [rate.rate_date for rate in self.rates_used.values()]
        return min(dates) if dates else None

    def describe(self) -> str:
        """Return one sentence saying how the total was reached, or why not."""
        if self.missing_rates:
            return (
                "No total: no rate to "
                f"{self.reporting_currency} is stored for "
                + ", ".join(self.missing_rates)
            )
        if not self.rates_used:
            return f"All amounts are in {self.reporting_currency}."
        return "Converted to {} at {}.".format(
            self.reporting_currency,
            "; ".join(
                f"{currency} {rate.rate} of {rate.rate_date.isoformat()}"
                for currency, rate in sorted(self.rates_used.items())
            ),
        )


def money_rollup(
    *,
    amounts: Iterable[tuple[Decimal, str]],
    rates: Mapping[str, Rate],
    reporting_currency: str = REPORTING_CURRENCY,
) -> Rollup:
    """Return the sum of (amount, currency) pairs in the reporting currency."""
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    for amount, currency in amounts:
        by_currency[currency or reporting_currency] += amount

    used: dict[str, Rate] = {}
    missing: list[str] = []
    total = Decimal(0)
    for currency, amount in sorted(by_currency.items()):
        if currency == reporting_currency:
            total += amount
            continue
        rate = rates.get(currency)
        if rate is None:
            missing.append(currency)
            continue
        used[currency] = rate
        total += amount * rate.rate
    return Rollup(
        reporting_currency=reporting_currency,
        by_currency=dict(sorted(by_currency.items())),
        total=None if missing else total.quantize(Decimal("0.01")),
        rates_used=used,
        missing_rates=missing,
    )


def currency_rates_latest(
    *, reporting_currency: str = REPORTING_CURRENCY, on: date | None = None
) -> dict[str, Rate]:
    """Return the latest stored rate per currency, as of `on` if given."""
    rates = CurrencyRate.objects.filter(reporting_currency=reporting_currency)
    if on is not None:
        rates = rates.filter(rate_date__lte=on)
    latest: dict[str, Rate] = {}
    for currency, rate, rate_date in rates.order_by(
        "currency", "-rate_date"
    ).values_list("currency", "rate", "rate_date"):
        latest.setdefault(currency, Rate(rate=rate, rate_date=rate_date))
    return latest


def account_revenue_rollup(*, account: Account, since: date | None = None) -> Rollup:
    """Return an account's realised revenue in the reporting currency."""
    lines = RevenueLine.objects.filter(account=account)
    if since is not None:
        lines = lines.filter(quarter_start__gte=since)
    amounts = [
        (row["total"], row["currency"])
        for row in lines.values("currency").annotate(total=Sum("amount"))
    ]
    return money_rollup(amounts=amounts, rates=currency_rates_latest())
