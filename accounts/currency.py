"""Add money in several currencies: convert with stored rates, or say why not.

One rule everywhere: an amount converts at the latest stored rate dated on
or before the amount's own date (a quarterly line's quarter start, a deal's
close date). An amount with no such rate, or with no date, is left out of
the total, counted and named, so no page ever adds euros to dollars as if
they were one number, and the account page and scoring always agree.

`rates_on_or_before` is that rule, set-based for any number of amounts, for
the scoring engine; `RateTable.rate_on_or_before` is the same rule for one
amount at a time, for `money_rollup` (the account and plan pages), whose
few amounts cost less to look up one by one than to put in frames. Neither
needs a database: the models are imported only where rows are read.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.apps import apps
from django.db.models import Count, Sum

from accounts.currency_codes import (
    ANNUAL_REVENUE_CURRENCY,
    amount_rounded,
    minor_digits,
)

if TYPE_CHECKING:
    from accounts.models import Account

REPORTING_CURRENCY = "USD"
CENT = Decimal("0.01")
RATE_COLUMNS = ["currency", "rate_date", "rate"]


@dataclass(frozen=True)
class Rate:
    rate: Decimal
    rate_date: date


@dataclass(frozen=True)
class RateTable:
    """The stored rates into one reporting currency, in plain Python.

    Per currency, the rate days oldest first and the rates in the same
    order. Read once per page and shared by the sections that convert.
    """

    reporting_currency: str
    days: dict[str, list[date]] = field(default_factory=dict)
    rates: dict[str, list[Decimal]] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, *, reporting_currency: str, rows: Sequence[tuple[str, object, object]]
    ) -> RateTable:
        """Return the table of (currency, rate_date, rate) rows in any order.

        Rates become Decimals as money_rollup has always made them, and
        rows of one currency keep their order among equal days.
        """
        by_currency: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for currency, day, rate in rows:
            by_currency[str(currency)].append((_day(day), Decimal(rate)))  # type: ignore[arg-type]
        table = cls(reporting_currency=reporting_currency)
        for currency, pairs in by_currency.items():
            pairs.sort(key=lambda pair: pair[0])
            table.days[currency] = [day for day, _ in pairs]
            table.rates[currency] = [rate for _, rate in pairs]
        return table

    @classmethod
    def from_frame(
        cls, *, rates: pd.DataFrame | None, reporting_currency: str
    ) -> RateTable:
        if rates is None or rates.empty:
            return cls(reporting_currency=reporting_currency)
        return cls.from_rows(
            reporting_currency=reporting_currency,
            rows=list(
                zip(
                    rates["currency"].tolist(),
                    pd.to_datetime(rates["rate_date"]).tolist(),
                    rates["rate"].tolist(),
                    strict=True,
                )
            ),
        )

    def rate_on_or_before(self, *, currency: str, day: date | None) -> Rate | None:
        """Return the latest rate of the currency dated on or before the day."""
        days = self.days.get(currency)
        if day is None or not days:
            return None
        if isinstance(day, datetime):
            day = day.date()
        index = bisect_right(days, day) - 1
        if index < 0:
            return None
        return Rate(rate=self.rates[currency][index], rate_date=days[index])


@dataclass(frozen=True)
class RateMatch:
    """Which stored rate converts each amount, from rates_on_or_before."""

    # Whether the amount is in a currency other than the reporting one.
    foreign: np.ndarray
    # The row (by position) of the rates frame that converts it; -1 for an
    # amount in the reporting currency or with no rate on or before its date.
    position: np.ndarray

    @property
    def missing(self) -> np.ndarray:
        """Return, per amount, whether it needs a rate and has none."""
        return self.foreign & (self.position < 0)


def rates_on_or_before(
    *,
    currencies: pd.Series,
    days: pd.Series,
    rates: pd.DataFrame | None,
    reporting_currency: str,
) -> RateMatch:
    """Return, per amount, the latest rate dated on or before its day.

    `currencies` are upper-case codes, blank for the reporting currency;
    `days` the amounts' dates (NaT: undated, so never converted); `rates`
    has currency, rate_date and rate rows into the reporting currency, in
    any order. One binary search per currency, not per amount.
    """
    count = len(currencies)
    position = np.full(count, -1, dtype="int64")
    foreign = ((currencies != "") & (currencies != reporting_currency)).to_numpy(
        dtype=bool
    )
    if not foreign.any():
        return RateMatch(foreign=foreign, position=position)

    table = rates if rates is not None else pd.DataFrame(columns=RATE_COLUMNS)
    rate_days = pd.to_datetime(table["rate_date"]).to_numpy(dtype="datetime64[ns]")
    rate_currencies = table["currency"].astype(str).to_numpy()
    lines = pd.to_datetime(days).to_numpy(dtype="datetime64[ns]")
    for code in pd.unique(currencies[foreign]):
        rows = (currencies == code).to_numpy(dtype=bool)
        own = np.flatnonzero(rate_currencies == str(code))
        if not len(own):
            continue
        own = own[np.argsort(rate_days[own], kind="stable")]
        found = np.searchsorted(rate_days[own], lines[rows], side="right") - 1
        picked = np.where(found >= 0, own[np.clip(found, 0, None)], -1)
        # NaT sorts after every date; an undated amount has no rate.
        position[rows] = np.where(np.isnat(lines[rows]), -1, picked)
    return RateMatch(foreign=foreign, position=position)


def day_text(day: date) -> str:
    """Return a date as people write it on the page: "31 Mar 2026"."""
    return f"{day.day} {day:%b %Y}"


def days_text(days: Sequence[date]) -> str:
    """Return one date, or the range "1 Jan 2026 to 31 Mar 2026"."""
    first, last = min(days), max(days)
    if first == last:
        return day_text(first)
    return f"{day_text(first)} to {day_text(last)}"


def rate_text(rate: Decimal) -> str:
    """Return a stored rate without its padding zeros: "1.08"."""
    return format(rate.normalize(), "f")


def money_text(amount: Decimal | float | int, currency: str) -> str:
    """Return "1,200.00 USD", "1,200 JPY" or "1,200.000 KWD".

    The one way Lode writes an amount with its currency, on pages, notes,
    totals, exports and chart hover text alike: every decimal its currency
    has (ISO 4217's minor digits), no more and no fewer, so a whole amount
    reads as the currency writes it too.
    """
    return f"{amount_text(amount, currency)} {currency}".strip()


def amount_text(amount: Decimal | float | int, currency: str) -> str:
    """Return the number of money_text alone: "1,200.000" for KWD.

    For a table column or a field whose currency is said beside it. An
    amount with more decimals (a converted total) is rounded to the
    currency's, half to even.
    """
    if not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    return f"{amount_rounded(amount, currency):,.{minor_digits(currency)}f}"


def rate_note(*, currency: str, rate: Rate) -> str:
    """Return which rate converted a currency: "EUR at 1.08 from 31 Mar 2026"."""
    return f"{currency} at {rate_text(rate.rate)} from {day_text(rate.rate_date)}"


def rates_note(*, currency: str, rates: Sequence[Rate]) -> str:
    """Return the rates that converted a currency, one or a range of dates.

    "EUR at 1.08 from 31 Mar 2026", or with several "EUR at 1.05 to 1.1,
    rates from 1 Jan 2026 to 1 Jun 2026".
    """
    if len(rates) == 1:
        return rate_note(currency=currency, rate=rates[0])
    values = [rate.rate for rate in rates]
    dates = days_text([rate.rate_date for rate in rates])
    return (
        f"{currency} at {rate_text(min(values))} to {rate_text(max(values))}, "
        f"rates from {dates}"
    )


def missing_rate_reason(*, currency: str, days: Sequence[date] = ()) -> str:
    """Return why a currency was not converted, naming the amounts' dates."""
    if not days:
        return f"no {currency} rate, and no date to choose one by"
    if min(days) == max(days):
        return f"no {currency} rate on or before {days_text(days)}"
    # A bare range after "on or before" reads as one bound; each has its day.
    return f"no {currency} rate on or before their dates ({days_text(days)})"


@dataclass(frozen=True)
class DatedAmount:
    """An amount in its own currency on its own date, of `count` items."""

    amount: Decimal
    currency: str
    day: date | None
    count: int = 1


@dataclass(frozen=True)
class LeftOut:
    """The amounts of one currency that no rate converts."""

    amount: Decimal
    count: int
    days: tuple[date, ...]


@dataclass
class Rollup:
    """Amounts per currency and the total of those a rate converts."""

    reporting_currency: str
    by_currency: dict[str, Decimal]
    # The converted amounts only; see left_out for the rest.
    total: Decimal
    # Per currency, the distinct rates used, oldest first.
    rates_used: dict[str, list[Rate]] = field(default_factory=dict)
    left_out: dict[str, LeftOut] = field(default_factory=dict)
    # Each amount given, in the reporting currency, or None when left out.
    converted: list[Decimal | None] = field(default_factory=list)
    # What one counted item is called in the notes: "line", "deal".
    noun: str = "amount"

    @property
    def missing_rates(self) -> list[str]:
        return sorted(self.left_out)

    @property
    def complete(self) -> bool:
        return not self.left_out

    @property
    def left_out_count(self) -> int:
        return sum(lost.count for lost in self.left_out.values())

    def left_out_said(self) -> str:
        """Return how many items no rate converts: "2 deals in CHF and SEK"."""
        count = self.left_out_count
        if not count:
            return ""
        items = f"{self.noun}{'' if count == 1 else 's'}"
        codes = sorted(self.left_out)
        if len(codes) == 1:
            return f"{count:,} {codes[0]} {items}"
        return f"{count:,} {items} in {', '.join(codes[:-1])} and {codes[-1]}"

    def notes(self) -> list[str]:
        """Return the rates used, then each amount left out and why."""
        used = [
            rates_note(currency=currency, rates=rates)
            for currency, rates in sorted(self.rates_used.items())
        ]
        left_out = []
        for currency, lost in sorted(self.left_out.items()):
            items = f"{lost.count:,} {self.noun}{'' if lost.count == 1 else 's'}"
            left_out.append(
                f"{money_text(lost.amount, currency)} not included ({items}): "
                + missing_rate_reason(currency=currency, days=lost.days)
            )
        return used + left_out

    def describe(self) -> str:
        """Return one sentence saying how the total was reached."""
        notes = self.notes()
        if not notes:
            return f"All amounts are in {self.reporting_currency}."
        return "; ".join(notes) + "."


def money_rollup(
    *,
    amounts: Sequence[DatedAmount],
    rates: RateTable | pd.DataFrame | None,
    reporting_currency: str = REPORTING_CURRENCY,
    noun: str = "amount",
) -> Rollup:
    """Return the sum of dated amounts in the reporting currency.

    `rates` is a RateTable, or a frame of currency, rate_date and rate
    (Decimal) rows into the reporting currency; each amount takes the
    latest rate of its currency dated on or before its own date.
    """
    table = (
        rates
        if isinstance(rates, RateTable)
        else RateTable.from_frame(rates=rates, reporting_currency=reporting_currency)
    )
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    used: dict[str, set[Rate]] = defaultdict(set)
    lost: dict[str, list[DatedAmount]] = defaultdict(list)
    converted: list[Decimal | None] = []
    total = Decimal(0)
    for item in amounts:
        code = (item.currency or "").strip().upper()
        currency = code or reporting_currency
        by_currency[currency] += item.amount
        if currency == reporting_currency:
            converted.append(item.amount)
        elif (rate := table.rate_on_or_before(currency=code, day=item.day)) is None:
            converted.append(None)
            lost[currency].append(item)
        else:
            used[currency].add(rate)
            converted.append(item.amount * rate.rate)
        if converted[-1] is not None:
            total += converted[-1]
    return Rollup(
        reporting_currency=reporting_currency,
        by_currency=dict(sorted(by_currency.items())),
        total=amount_rounded(total, reporting_currency),
        rates_used={
            currency: sorted(rates_of, key=lambda rate: rate.rate_date)
            for currency, rates_of in sorted(used.items())
        },
        left_out={
            currency: LeftOut(
                amount=sum((item.amount for item in items), Decimal(0)),
                count=sum(item.count for item in items),
                days=tuple(sorted({item.day for item in items if item.day})),
            )
            for currency, items in sorted(lost.items())
        },
        converted=converted,
        noun=noun,
    )


def _day(value: object) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]


def rate_table_load(*, reporting_currency: str | None = None) -> RateTable:
    """Return every stored rate into the reporting currency, by default the
    active one, in two queries (one when the currency is given)."""
    currency = reporting_currency or reporting_currency_active()
    rows = (
        apps.get_model("accounts", "CurrencyRate")
        .objects.filter(reporting_currency=currency)
        .order_by("currency", "rate_date")
        .values_list(*RATE_COLUMNS)
    )
    return RateTable.from_rows(reporting_currency=currency, rows=list(rows))


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


def currency_rates_frame(
    *, reporting_currency: str = REPORTING_CURRENCY
) -> pd.DataFrame:
    """Return every stored rate into the reporting currency, as Decimals."""
    rates = apps.get_model("accounts", "CurrencyRate").objects.filter(
        reporting_currency=reporting_currency
    )
    return pd.DataFrame.from_records(
        list(rates.order_by("currency", "rate_date").values_list(*RATE_COLUMNS)),
        columns=RATE_COLUMNS,
    )


def account_revenue_rollup(
    *,
    account: Account,
    since: date | None = None,
    reporting_currency: str = REPORTING_CURRENCY,
) -> Rollup:
    """Return an account's realised revenue in the reporting currency."""
    lines = (
        apps.get_model("accounts", "RevenueLine")
        .objects.counted(reporting_currency=reporting_currency)
        .filter(account=account)
    )
    if since is not None:
        lines = lines.filter(quarter_start__gte=since)
    rows = (
        lines.values("quarter_start", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("quarter_start", "currency")
    )
    return money_rollup(
        amounts=[
            DatedAmount(
                amount=row["total"],
                currency=row["currency"],
                day=row["quarter_start"],
                count=row["count"],
            )
            for row in rows
        ],
        rates=currency_rates_frame(reporting_currency=reporting_currency),
        reporting_currency=reporting_currency,
        noun="line",
    )


def annual_revenue_values(
    *,
    amount: Decimal | None = None,
    currency: str = "",
    rate: Rate | None = None,
) -> dict[str, object]:
    """Return the account fields of an annual revenue, exactly as given.

    A revenue in USD keeps no rate; in another currency, the rate into USD
    it was converted at and that rate's date. Without an amount, all clear.
    """
    if amount is None:
        return {
            "annual_revenue": None,
            "annual_revenue_currency": "",
            "annual_revenue_rate": None,
            "annual_revenue_rate_date": None,
        }
    converted = currency != ANNUAL_REVENUE_CURRENCY and rate is not None
    return {
        "annual_revenue": amount,
        "annual_revenue_currency": currency,
        "annual_revenue_rate": rate.rate if converted and rate else None,
        "annual_revenue_rate_date": rate.rate_date if converted and rate else None,
    }


def annual_revenue_note(*, account: Account) -> str:
    """Return "about 13.50 M USD; EUR at 1.08 from 31 Mar 2026", or "".

    Only for a revenue in another currency than USD: the figure the
    scoring reads and the rate that gave it, or that it has no rate.
    """
    rate = account.annual_revenue_rate
    day = account.annual_revenue_rate_date
    millions = account.annual_revenue_musd
    currency = account.annual_revenue_currency
    if account.annual_revenue is None or currency in ("", ANNUAL_REVENUE_CURRENCY):
        return ""
    if rate is None or day is None or millions is None:
        return (
            f"{annual_revenue_no_rate(currency=currency)}; storing a {currency} "
            "rate converts it"
        )
    shown = millions.quantize(CENT, rounding=ROUND_HALF_UP)
    used = rate_note(currency=currency, rate=Rate(rate=rate, rate_date=day))
    return f"about {shown:,} M {ANNUAL_REVENUE_CURRENCY}; {used}"


def annual_revenue_no_rate(*, currency: str) -> str:
    """Return why a revenue in this currency is not in USD, and the remedy."""
    return (
        f"not converted: no {currency} to {ANNUAL_REVENUE_CURRENCY} rate was "
        "stored when it was given, so the scoring leaves it out"
    )
