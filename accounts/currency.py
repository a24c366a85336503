"""Add money in several currencies: convert with stored rates, or say why not.

`money_rollup` is plain: amounts per currency and rates in, a `Rollup` out.
Every currency with a rate is converted into the reporting currency; one
without a rate is left out of the total and named, with its amount, so no
page ever adds euros to dollars as if they were one number.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.apps import apps
from django.db.models import Sum

from accounts.models import Account, CurrencyRate, RevenueLine

REPORTING_CURRENCY = "USD"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    rate: Decimal
    rate_date: date


def day_text(day: date) -> str:
    """Return a date as people write it on the page: "31 Mar 2026"."""
    return f"{day.day} {day:%b %Y}"


def rate_text(rate: Decimal) -> str:
    """Return a stored rate without its padding zeros: "1.08"."""
    return format(rate.normalize(), "f")


def money_text(amount: Decimal, currency: str) -> str:
    """Return "1,234.50 EUR", or "5,000 CHF" when there are no cents."""
    if amount == amount.to_integral_value():
        return f"{amount:,.0f} {currency}"
    return f"{amount:,.2f} {currency}"


def rate_note(*, currency: str, rate: Rate) -> str:
    """Return which rate converted a currency: "EUR at 1.08 from 31 Mar 2026"."""
    return f"{currency} at {rate_text(rate.rate)} from {day_text(rate.rate_date)}"


def missing_rate_reason(*, currency: str, on: date | None = None) -> str:
    """Return why a currency was not converted: "no EUR rate on or before …"."""
    if on is None:
        return f"no {currency} rate"
    return f"no {currency} rate on or before {day_text(on)}"


@dataclass
class Rollup:
    """Amounts per currency and the total of those a rate converts."""

    reporting_currency: str
    by_currency: dict[str, Decimal]
    # The converted currencies only; see missing_rates for the rest.
    total: Decimal
    rates_used: dict[str, Rate] = field(default_factory=dict)
    missing_rates: list[str] = field(default_factory=list)
    # The date rates had to be on or before, when the roll-up asked for one.
    rates_on: date | None = None

    @property
    def complete(self) -> bool:
        return not self.missing_rates

    @property
    def oldest_rate_date(self) -> date | None:
        dates = [rate.rate_date for rate in self.rates_used.values()]
        return min(dates) if dates else None

    def notes(self) -> list[str]:
        """Return the rates used, then each amount left out and why."""
        used = [
            rate_note(currency=currency, rate=rate)
            for currency, rate in sorted(self.rates_used.items())
        ]
        left_out = [
            f"{money_text(self.by_currency[currency], currency)} not included: "
            + missing_rate_reason(currency=currency, on=self.rates_on)
            for currency in self.missing_rates
        ]
        return used + left_out

    def describe(self) -> str:
        """Return one sentence saying how the total was reached."""
        notes = self.notes()
        if not notes:
            return f"All amounts are in {self.reporting_currency}."
        return "; ".join(notes) + "."


def money_rollup(
    *,
    amounts: Iterable[tuple[Decimal, str]],
    rates: Mapping[str, Rate],
    reporting_currency: str = REPORTING_CURRENCY,
    rates_on: date | None = None,
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
        total=total.quantize(CENT),
        rates_used=used,
        missing_rates=missing,
        rates_on=rates_on,
    )


def convert(
    *, amount: Decimal, currency: str, rates: Mapping[str, Rate], reporting: str
) -> Decimal | None:
    """Return one amount in the reporting currency, or None without a rate."""
    if not currency or currency == reporting:
        return amount
    rate = rates.get(currency)
    return None if rate is None else amount * rate.rate


def reporting_currency_active() -> str:
    """Return the active scoring model's reporting currency, or USD.

    Looked up by label: accounts imports no other app of ours, and the
    account page must work before any scoring model exists.
    """
    if not apps.is_installed("scoring"):
        return REPORTING_CURRENCY
    model = apps.get_model("scoring", "ScoringModel")
    currency = (
        model.objects.filter(is_active=True)
        .values_list("reporting_currency", flat=True)
        .first()
    )
    return currency or REPORTING_CURRENCY


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


def account_revenue_rollup(
    *,
    account: Account,
    since: date | None = None,
    reporting_currency: str = REPORTING_CURRENCY,
    on: date | None = None,
) -> Rollup:
    """Return an account's realised revenue in the reporting currency."""
    lines = RevenueLine.objects.filter(account=account)
    if since is not None:
        lines = lines.filter(quarter_start__gte=since)
    amounts = [
        (row["total"], row["currency"])
        for row in lines.values("currency").annotate(total=Sum("amount"))
    ]
    return money_rollup(
        amounts=amounts,
        rates=currency_rates_latest(reporting_currency=reporting_currency, on=on),
        reporting_currency=reporting_currency,
        rates_on=on,
    )


def annual_revenue_source_values(
    *,
    amount: Decimal | None = None,
    currency: str = "",
    rate: Rate | None = None,
    reporting_currency: str = REPORTING_CURRENCY,
) -> dict[str, object]:
    """Return the account fields that record where annual revenue came from.

    Without a rate, or in the reporting currency, they are cleared.
    """
    if amount is None or rate is None or currency in ("", reporting_currency):
        return {
            "annual_revenue_source": None,
            "annual_revenue_currency": "",
            "annual_revenue_rate": None,
            "annual_revenue_rate_date": None,
        }
    return {
        "annual_revenue_source": amount,
        "annual_revenue_currency": currency,
        "annual_revenue_rate": rate.rate,
        "annual_revenue_rate_date": rate.rate_date,
    }


def annual_revenue_source_note(*, account: Account) -> str:
    """Return "entered as 12,500,000 EUR; EUR at 1.08 from 31 Mar 2026", or "".

    Only while the stored source still gives the stored millions: an edit
    that bypassed the conversion makes the note false, so it is dropped.
    """
    source = account.annual_revenue_source
    rate = account.annual_revenue_rate
    day = account.annual_revenue_rate_date
    if (
        source is None
        or rate is None
        or day is None
        or not account.annual_revenue_currency
        or account.annual_revenue_musd is None
    ):
        return ""
    millions = (source * rate / Decimal(1_000_000)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    if millions != account.annual_revenue_musd:
        return ""
    currency = account.annual_revenue_currency
    entered = money_text(source, currency)
    used = rate_note(currency=currency, rate=Rate(rate=rate, rate_date=day))
    return f"entered as {entered}; {used}"
