"""What an import's invoices replace: the won deals counted before them.

Invoices are the ledger of record (RevenueLineQuerySet): the first invoice
of an account-quarter that a stored rate converts sets aside every won deal
counted there. The import check says so before anything is written, per
account and quarter, with the deals' count and amount. Invoices that no
stored rate converts are left out of totals, which say they lack a rate;
unless the import was told to let them replace the won deals anyway
(ImportJob.invoices_without_rate), those deals keep counting until a rate
is stored, and the check names them (revenue_waiting) so the user can
decide. Won deals an import brings into a quarter invoices cover are said
the same way: they will not count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Sum

from accounts.currency import (
    Rate,
    day_text,
    missing_rate_reason,
    money_text,
    rate_table_load,
    rate_text,
    reporting_currency_active,
)
from accounts.currency_codes import amount_kept, amount_rounded
from accounts.import_checks import ImportCheckWarning
from accounts.matching import account_name_caseless
from accounts.models import (
    Account,
    ImportRowChange,
    Opportunity,
    RevenueLine,
    RevenueLineQuerySet,
)
from accounts.revenue_keys import quarter_label, quarter_start

# How many account-quarters the check names one by one; the rest are
# summed in one closing line.
REPLACED_SHOWN = 20
WAITING_REASON = (
    "no stored rate converts the invoices that would replace them, and the "
    "import keeps won deals until one does"
)


@dataclass
class Replaced:
    """The won deals one account-quarter counts now, that invoices replace."""

    account: str
    quarter: date
    deals: int = 0
    # Per currency, the won-deal lines' sum.
    amounts: dict[str, Decimal] = field(default_factory=dict)
    # Per currency, the sum of the invoices that replace them, and how each
    # converts: "1,000.00 EUR = 1,100.00 USD at 1 EUR = 1.1 USD (rate of
    # 1 Jan 2017)".
    invoiced: dict[str, str] = field(default_factory=dict)
    # Per currency, the invoices' sum, what it comes to in the reporting
    # currency (None without a rate), and that currency: for a summary.
    invoice_sums: dict[str, tuple[Decimal, Decimal | None, str]] = field(
        default_factory=dict
    )

    def invoice_add(
        self, *, amount: Decimal, currency: str, rate: Rate | None, reporting: str
    ) -> None:
        """Keep an invoice sum of this quarter, in words and in figures."""
        self.invoiced[currency] = conversion_text(
            amount=amount, currency=currency, rate=rate, reporting_currency=reporting
        )
        converted: Decimal | None = amount
        if currency != reporting:
            converted = (
                None if rate is None else amount_rounded(amount * rate.rate, reporting)
            )
        self.invoice_sums[currency] = (amount, converted, reporting)

    @property
    def text(self) -> str:
        invoices = "invoices"
        if self.invoiced:
            invoices = "invoices of " + "; ".join(
                self.invoiced[code] for code in sorted(self.invoiced)
            )
        return (
            f"{self.account} {quarter_label(self.quarter)}: {invoices} will "
            f"replace {deals_text(self.deals)} ({amounts_text(self.amounts)}) "
            "counted now"
        )

    @property
    def waiting_text(self) -> str:
        return (
            f"{self.account} {quarter_label(self.quarter)}: "
            f"{deals_text(self.deals)} ({amounts_text(self.amounts)}) still "
            f"counted: {WAITING_REASON}"
        )

    @property
    def uncounted_text(self) -> str:
        return (
            f"{self.account} {quarter_label(self.quarter)}: "
            f"{deals_text(self.deals)} ({amounts_text(self.amounts)}) will not "
            "count: invoices cover the quarter"
        )


def invoices_summed_text(items: list[Replaced]) -> str:
    """Return "invoices of 2,000.00 EUR = 2,200.00 USD at the rates of their
    quarters", summed over account-quarters, or "" when none were kept."""
    given: dict[str, Decimal] = defaultdict(Decimal)
    converted: dict[str, Decimal | None] = {}
    rated: set[str] = set()
    reporting = ""
    for item in items:
        for code, (amount, result, into) in item.invoice_sums.items():
            given[code] += amount
            before = converted.get(code, Decimal(0))
            converted[code] = (
                None if before is None or result is None else before + result
            )
            if result is not None:
                rated.add(code)
            reporting = into
    if not given:
        return ""

    parts = []
    for code in sorted(given):
        said = money_text(given[code], code)
        result = converted[code]
        if code == reporting:
            parts.append(said)
        elif code not in rated:
            parts.append(f"{said}, no rate into {reporting}")
        elif result is None:
            parts.append(f"{said}, not all with a rate into {reporting}")
        else:
            parts.append(
                f"{said} = {money_text(result, reporting)} at the rates "
                "of their quarters"
            )
    return "invoices of " + "; ".join(parts)


def deals_text(count: int) -> str:
    return f"{count:,} won deal{'' if count == 1 else 's'}"


def amounts_text(amounts: dict[str, Decimal]) -> str:
    """Return "17,878.00 USD", or several currencies' sums apart."""
    return ", ".join(
        money_text(amount, currency) for currency, amount in sorted(amounts.items())
    )


def revenue_replaced_check() -> Callable[[], list[ImportCheckWarning]]:
    """Return an import check: which counted won deals do its invoices replace?

    Before the dry run writes: the last revenue line and row change
    stored. After: the account-quarters that had won deals counted and no
    invoice, and now have one of the import's; those whose won deals the
    import wrote and invoices cover; and the import's invoices no rate
    converts.
    """
    last, last_change = _last_written()

    def after() -> list[ImportCheckWarning]:
        return [
            ImportCheckWarning(text)
            for text in revenue_replaced_texts(last=last, last_change=last_change)
        ]

    return after


def revenue_replaced_start() -> Callable[[], list[str]]:
    """Return what revenue_replaced_texts says of the lines written from now."""
    last, last_change = _last_written()
    return lambda: revenue_replaced_texts(last=last, last_change=last_change)


def revenue_waiting_start() -> Callable[[], list[Waiting]]:
    """Return what revenue_waiting says of the lines written from now."""
    last, _ = _last_written()
    return lambda: revenue_waiting(
        last=last, reporting_currency=reporting_currency_active()
    )


def _last_written() -> tuple[int, int]:
    """Return the last revenue line and the last import row change stored."""
    line = RevenueLine.objects.aggregate(last=Max("pk"))["last"]
    change = ImportRowChange.objects.aggregate(last=Max("pk"))["last"]
    return line or 0, change or 0


def revenue_replaced_texts(*, last: int, last_change: int) -> list[str]:
    """Return, in words, what the revenue lines written after `last` change.

    The won deals the invoice lines replace, one account-quarter a line up
    to REPLACED_SHOWN and then a total; the won deals that keep counting
    because the import's invoices lack a rate and it was not told to let
    them replace the deals, likewise; the won deals the won-deal lines
    created or updated after `last_change` add to quarters invoices cover;
    and then the invoices left out of totals for want of a rate.
    """
    reporting_currency = reporting_currency_active()
    replaced = _replaced(last=last, reporting_currency=reporting_currency)
    waiting = {
        (item.account_id, item.quarter): Replaced(
            account=item.account,
            quarter=item.quarter,
            amounts=dict(item.amounts),
            invoice_sums={
                code: (Decimal(total), None, reporting_currency)
                for code, total in item.invoiced.items()
            },
        )
        for item in revenue_waiting(last=last, reporting_currency=reporting_currency)
        if (item.account_id, item.quarter) not in replaced
    }
    uncounted = _uncounted(
        last_change=last_change,
        replaced=replaced.keys(),
        reporting_currency=reporting_currency,
    )
    return (
        _replaced_texts(replaced)
        + _waiting_texts(waiting)
        + _uncounted_texts(uncounted)
        + _rateless_texts(
            revenue_rateless(last=last, reporting_currency=reporting_currency)
        )
    )


def revenue_rateless_start() -> Callable[[], list[Invoiced]]:
    """Return what revenue_rateless says of the lines written from now."""
    last, _ = _last_written()
    return lambda: revenue_rateless(
        last=last, reporting_currency=reporting_currency_active()
    )


def revenue_rateless(*, last: int, reporting_currency: str) -> list[Invoiced]:
    """Return the invoices written after `last` that no stored rate converts.

    By account, quarter and currency, in the order the check's warnings
    name them.
    """
    rateless = (
        _fresh_invoices(last=last)
        .exclude(
            pk__in=_fresh_invoices(last=last).converted(
                reporting_currency=reporting_currency
            )
        )
        .values("account__name", "account_id", "quarter_start", "currency")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("account__name", "account_id", "quarter_start", "currency")
    )
    return [
        Invoiced(
            account=row["account__name"],
            quarter=row["quarter_start"],
            currency=row["currency"],
            total=row["total"],
            count=row["count"],
        )
        for row in rateless
    ]


def _fresh_invoices(*, last: int) -> RevenueLineQuerySet:
    return RevenueLine.objects.filter(pk__gt=last, source=RevenueLine.Source.INVOICE)


def _same_quarter() -> dict[str, OuterRef]:
    return {
        "account_id": OuterRef("account_id"),
        "quarter_start": OuterRef("quarter_start"),
    }


def _won_before(*, last: int, reporting_currency: str) -> RevenueLineQuerySet:
    """Return the won-deal lines stored before `last` and counted then.

    Counted then: no invoice stored before `last` covered their quarter.
    """
    return RevenueLine.objects.filter(
        pk__lte=last, source=RevenueLine.Source.PIPELINE
    ).exclude(
        Exists(
            RevenueLine.objects.covering(reporting_currency=reporting_currency).filter(
                pk__lte=last, **_same_quarter()
            )
        )
    )


def _replaced(
    *, last: int, reporting_currency: str
) -> dict[tuple[int, date], Replaced]:
    """Return the counted won deals that invoices written after `last` replace."""
    covering = _fresh_invoices(last=last).covering(
        reporting_currency=reporting_currency
    )
    won = (
        _won_before(last=last, reporting_currency=reporting_currency)
        .filter(account_id__in=covering.values("account_id"))
        .filter(Exists(covering.filter(**_same_quarter())))
        .values("account_id", "account__name", "quarter_start", "currency")
        .annotate(total=Sum("amount"))
        .order_by("account__name", "account_id", "quarter_start", "currency")
    )
    replaced: dict[tuple[int, date], Replaced] = {}
    for row in won:
        key = (row["account_id"], row["quarter_start"])
        item = replaced.setdefault(
            key, Replaced(account=row["account__name"], quarter=row["quarter_start"])
        )
        item.amounts[row["currency"]] = row["total"]
    if not replaced:
        return replaced

    rates = rate_table_load(reporting_currency=reporting_currency)
    invoiced = (
        covering.filter(account_id__in={account for account, _ in replaced})
        .values("account_id", "quarter_start", "currency")
        .annotate(total=Sum("amount"))
        .order_by("account_id", "quarter_start", "currency")
    )
    for row in invoiced:
        found = replaced.get((row["account_id"], row["quarter_start"]))
        if found is not None:
            currency = row["currency"] or reporting_currency
            found.invoice_add(
                amount=Decimal(row["total"]),
                currency=currency,
                rate=rates.rate_on_or_before(
                    currency=currency, day=row["quarter_start"]
                ),
                reporting=reporting_currency,
            )
    return replaced


def conversion_text(
    *, amount: Decimal, currency: str, rate: Rate | None, reporting_currency: str
) -> str:
    """Say an amount, and what a rate makes of it, its direction and date.

    "1,000.00 EUR = 1,100.00 USD at 1 EUR = 1.1 USD (rate of 1 Jan 2017)";
    an amount in the reporting currency, or one no rate converts, alone.
    """
    said = money_text(amount, currency)
    if currency == reporting_currency:
        return said
    if rate is None:
        return f"{said}, no rate into {reporting_currency}"
    converted = amount_rounded(amount * rate.rate, reporting_currency)
    return (
        f"{said} = {money_text(converted, reporting_currency)} at 1 {currency} = "
        f"{rate_text(rate.rate)} {reporting_currency} (rate of "
        f"{day_text(rate.rate_date)})"
    )


@dataclass
class Waiting:
    """An account-quarter whose won deals an import's invoices would replace,
    but no stored rate converts those invoices."""

    account_id: int
    account: str
    quarter: date
    deals: int = 0
    # Per currency, the won-deal lines' sum, and the invoices' sum.
    amounts: dict[str, Decimal] = field(default_factory=dict)
    invoices: int = 0
    invoiced: dict[str, Decimal] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return (
            f"{self.account} {quarter_label(self.quarter)}: "
            f"{deals_text(self.deals)} ({amounts_text(self.amounts)}), or "
            f"{_invoices_text(self.invoices)} ({amounts_text(self.invoiced)}) "
            "that no stored rate converts"
        )

    @property
    def quarter_text(self) -> str:
        return quarter_label(self.quarter)

    @property
    def amounts_text(self) -> str:
        return amounts_text(self.amounts)

    @property
    def invoiced_text(self) -> str:
        return amounts_text(self.invoiced)

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "quarter": quarter_label(self.quarter),
            "quarter_start": self.quarter.isoformat(),
            "won_deals": self.deals,
            "won_amounts": _cents(self.amounts),
            "invoice_lines": self.invoices,
            "invoice_amounts": _cents(self.invoiced),
        }


def _cents(amounts: Mapping[str, Decimal]) -> dict[str, str]:
    # SQLite sums come back without their trailing zeros; a sum in KWD
    # keeps its third decimal.
    return {
        code: str(amount_kept(Decimal(total)))
        for code, total in sorted(amounts.items())
    }


def revenue_waiting(*, last: int, reporting_currency: str) -> list[Waiting]:
    """Return the quarters whose counted won deals wait on a rate.

    Per account-quarter with won deals counted before `last` and invoices
    written after it, none of which a stored rate converts: by default the
    won deals keep counting there until a rate is stored; an import told
    otherwise lets its invoices replace them at once. The choice itself
    does not change the answer, so the check can name what it decides.
    """
    fresh = _fresh_invoices(last=last)
    converted = fresh.converted(reporting_currency=reporting_currency)
    waiting_invoices = fresh.exclude(
        Exists(converted.filter(**_same_quarter()))
    ).filter(
        Exists(
            _won_before(last=last, reporting_currency=reporting_currency).filter(
                **_same_quarter()
            )
        )
    )
    found: dict[tuple[int, date], Waiting] = {}
    for row in (
        waiting_invoices.values(
            "account_id", "account__name", "quarter_start", "currency"
        )
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("account__name", "account_id", "quarter_start", "currency")
    ):
        key = (row["account_id"], row["quarter_start"])
        item = found.setdefault(
            key,
            Waiting(
                account_id=row["account_id"],
                account=row["account__name"],
                quarter=row["quarter_start"],
            ),
        )
        item.invoices += row["count"]
        item.invoiced[row["currency"]] = row["total"]
    if not found:
        return []

    won = (
        _won_before(last=last, reporting_currency=reporting_currency)
        .filter(
            account_id__in={pk for pk, _ in found},
            quarter_start__in={quarter for _, quarter in found},
        )
        .values("account_id", "quarter_start", "currency")
        .annotate(total=Sum("amount"))
        .order_by("currency")
    )
    for row in won:
        key = (row["account_id"], row["quarter_start"])
        if key in found:
            found[key].amounts[row["currency"]] = row["total"]
    for key, deals in _won_deal_counts(found).items():
        found[key].deals = deals
    return list(found.values())


def _uncounted(
    *,
    last_change: int,
    replaced: Collection[tuple[int, date]],
    reporting_currency: str,
) -> dict[tuple[int, date], Replaced]:
    """Return the won deals the import wrote into quarters invoices cover.

    Per account-quarter with a won-deal line the import created or updated,
    every won-deal line set aside there; a quarter whose invoices are the
    import's own and replace deals counted before is said by `replaced`.
    """
    written = ImportRowChange.objects.filter(
        pk__gt=last_change,
        content_type__app_label=RevenueLine._meta.app_label,
        content_type__model=RevenueLine._meta.model_name,
    ).values("object_id")
    touched = RevenueLine.objects.filter(
        pk__in=written,
        source=RevenueLine.Source.PIPELINE,
        account_id=OuterRef("account_id"),
        quarter_start=OuterRef("quarter_start"),
    )
    lines = (
        RevenueLine.objects.set_aside(reporting_currency=reporting_currency)
        .filter(Exists(touched))
        .values("account_id", "account__name", "quarter_start", "currency")
        .annotate(total=Sum("amount"))
        .order_by("account__name", "account_id", "quarter_start", "currency")
    )
    uncounted: dict[tuple[int, date], Replaced] = {}
    for row in lines:
        key = (row["account_id"], row["quarter_start"])
        if key in replaced:
            continue
        item = uncounted.setdefault(
            key, Replaced(account=row["account__name"], quarter=row["quarter_start"])
        )
        item.amounts[row["currency"]] = row["total"]
    return uncounted


def revenue_replaced_forecast(
    *,
    invoiced: Mapping[tuple[str, date, str], tuple[Decimal, int]],
    won: Mapping[tuple[str, date, str], tuple[Decimal, int]],
) -> Forecast:
    """Return what the check would say of invoices and won deals not yet written.

    For an upload too large for a dry run. `invoiced` holds its invoices'
    sum and count by account key (revenue_account_key), quarter start and
    currency; `won` its won deals' likewise. An account is found by its
    external id as written, or by its stored name key, capitals aside in
    every alphabet; one the import would match only once its legal suffix
    is dropped is not forecast. A won deal is named even if it is stored
    already, as the upload has it.
    """
    accounts = _accounts_by_key({key for key, _, _ in (*invoiced, *won)})
    sums = _sums_by_account(invoiced, accounts)
    won_sums = _sums_by_account(won, accounts)
    if not sums and not won_sums:
        return Forecast(texts=[], rateless=[])

    names = dict(
        Account.objects.filter(
            pk__in={pk for pk, _, _ in (*sums, *won_sums)}
        ).values_list("pk", "name")
    )
    quarters = {(pk, quarter) for pk, quarter, _ in (*sums, *won_sums)}
    rates = rate_table_load()

    def converts(currency: str, quarter: date) -> bool:
        return (
            currency in ("", rates.reporting_currency)
            or rates.rate_on_or_before(currency=currency, day=quarter) is not None
        )

    stored = (
        RevenueLine.objects.filter(
            account_id__in={pk for pk, _ in quarters},
            quarter_start__in={quarter for _, quarter in quarters},
        )
        .values(
            "account_id", "quarter_start", "source", "currency", "covers_without_rate"
        )
        .annotate(total=Sum("amount"))
        .order_by()
    )
    covered = set()
    replaced: dict[tuple[int, date], Replaced] = {}
    waiting: dict[tuple[int, date], Replaced] = {}
    # As the import's default has it: only invoices a rate converts replace
    # the won deals; the others leave them counted until a rate is stored.
    invoiced_now = {
        (pk, quarter) for pk, quarter, code in sums if converts(code, quarter)
    }
    rateless_now = {(pk, quarter) for pk, quarter, _ in sums} - invoiced_now
    for row in stored:
        key = (row["account_id"], row["quarter_start"])
        if key not in quarters:
            continue
        if row["source"] == RevenueLine.Source.INVOICE:
            if row["covers_without_rate"] or converts(row["currency"], key[1]):
                covered.add(key)
            continue
        if key in invoiced_now:
            found = replaced
        elif key in rateless_now:
            found = waiting
        else:
            continue
        item = found.setdefault(key, Replaced(account=names[key[0]], quarter=key[1]))
        item.amounts[row["currency"]] = row["total"]
    for key in covered:
        replaced.pop(key, None)
        waiting.pop(key, None)
    # The invoices' side, converted, as the check after a dry run says it.
    for (pk, quarter, currency), (total, _) in sums.items():
        found_item = replaced.get((pk, quarter))
        if found_item is not None and converts(currency, quarter):
            code = currency or rates.reporting_currency
            found_item.invoice_add(
                amount=Decimal(total),
                currency=code,
                rate=rates.rate_on_or_before(currency=code, day=quarter),
                reporting=rates.reporting_currency,
            )
        waiting_item = waiting.get((pk, quarter))
        if waiting_item is not None and not converts(currency, quarter):
            waiting_item.invoice_sums[currency] = (
                Decimal(total),
                None,
                rates.reporting_currency,
            )
    replaced = dict(
        sorted(replaced.items(), key=lambda pair: (pair[1].account, *pair[0]))
    )
    waiting = dict(
        sorted(waiting.items(), key=lambda pair: (pair[1].account, *pair[0]))
    )

    uncounted: dict[tuple[int, date], Replaced] = {}
    for (pk, quarter, currency), (total, count) in sorted(
        won_sums.items(), key=lambda pair: (names[pair[0][0]], *pair[0])
    ):
        key = (pk, quarter)
        if key in replaced or (key not in covered and key not in invoiced_now):
            continue
        item = uncounted.setdefault(key, Replaced(account=names[pk], quarter=quarter))
        item.deals += count
        item.amounts[currency] = total

    rateless = [
        Invoiced(
            account=names[pk],
            quarter=quarter,
            currency=currency,
            total=total,
            count=count,
        )
        for (pk, quarter, currency), (total, count) in sorted(
            sums.items(), key=lambda pair: (names[pair[0][0]], *pair[0])
        )
        if not converts(currency, quarter)
    ]
    return Forecast(
        texts=(
            _replaced_texts(replaced)
            + _waiting_texts(waiting)
            + _uncounted_texts(uncounted, counted=True)
            + _rateless_texts(rateless)
        ),
        rateless=rateless,
    )


def _sums_by_account(
    by_key: Mapping[tuple[str, date, str], tuple[Decimal, int]],
    accounts: Mapping[str, int],
) -> dict[tuple[int, date, str], tuple[Decimal, int]]:
    """Add up an upload's sums by the account each key finds, if any."""
    sums: dict[tuple[int, date, str], tuple[Decimal, int]] = {}
    for (account_key, day, code), (total, count) in by_key.items():
        if account_key not in accounts:
            continue
        place = (accounts[account_key], day, code)
        summed, counted = sums.get(place, (Decimal(0), 0))
        sums[place] = (summed + total, counted + count)
    return sums


# How many account keys one lookup names.
KEYS_PER_QUERY = 1000
# An upload's account key says which column found it: an external ID is
# matched as written ("001Ab00000XyZ12" and "001AB00000XYZ12" are two
# Salesforce records), a name by its stored key, folded as
# account_name_caseless folds it, which neither database's LOWER does for
# every alphabet.
KEY_BY_ID = "id:"
KEY_BY_NAME = "name:"


def revenue_account_key(*, external_id: str = "", name: str = "") -> str:
    """Return the key an upload's row finds its account by: its ID as
    written, else its name as account_name_caseless folds it."""
    if external_id:
        return KEY_BY_ID + external_id
    return KEY_BY_NAME + account_name_caseless(name)


def _accounts_by_key(keys: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for prefix, column in ((KEY_BY_ID, "external_id"), (KEY_BY_NAME, "name_key")):
        ordered = sorted(key for key in keys if key.startswith(prefix))
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = [
                key.removeprefix(prefix)
                for key in ordered[start : start + KEYS_PER_QUERY]
            ]
            rows = Account.objects.filter(**{f"{column}__in": chunk}).values_list(
                column, "pk"
            )
            for value, pk in rows.order_by("pk"):
                found.setdefault(prefix + value, pk)
    return found


def _replaced_texts(replaced: dict[tuple[int, date], Replaced]) -> list[str]:
    return _quarters_said(
        replaced,
        lambda item: item.text,
        lambda deals, amounts, invoices: (
            f"{invoices or 'invoices'} will replace {deals} ({amounts}) counted now"
        ),
    )


def _waiting_texts(waiting: dict[tuple[int, date], Replaced]) -> list[str]:
    """Name each account-quarter's won deals that count until a rate is stored."""
    return _quarters_said(
        waiting,
        lambda item: item.waiting_text,
        lambda deals, amounts, invoices: (
            f"{deals} ({amounts}) still counted"
            + (f", not replaced by {invoices}" if invoices else "")
            + f": {WAITING_REASON}"
        ),
    )


def _uncounted_texts(
    uncounted: dict[tuple[int, date], Replaced], *, counted: bool = False
) -> list[str]:
    """Name each account-quarter's won deals that will not count.

    Their number is read from the stored deals unless `counted` says the
    caller counted them.
    """
    return _quarters_said(
        uncounted,
        lambda item: item.uncounted_text,
        lambda deals, amounts, _: (
            f"{deals} ({amounts}) will not count: invoices cover those quarters"
        ),
        counted=counted,
    )


def _quarters_said(
    quarters: dict[tuple[int, date], Replaced],
    text: Callable[[Replaced], str],
    rest_text: Callable[[str, str, str], str],
    *,
    counted: bool = False,
) -> list[str]:
    """Say the first REPLACED_SHOWN account-quarters one by one, the rest summed.

    Their won deals are counted from the stored deals unless `counted`.
    """
    if not counted:
        for key, deals in _won_deal_counts(quarters).items():
            quarters[key].deals = deals

    found = list(quarters.values())
    texts = [text(item) for item in found[:REPLACED_SHOWN]]
    rest = found[REPLACED_SHOWN:]
    if rest:
        said = rest_text(
            deals_text(sum(item.deals for item in rest)),
            amounts_text(_amounts_summed(rest)),
            invoices_summed_text(rest),
        )
        more = (
            "1 more account-quarter"
            if len(rest) == 1
            else f"{len(rest):,} more account-quarters"
        )
        texts.append(f"and {more}: {said}")
    return texts


def _amounts_summed(items: list[Replaced]) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for item in items:
        for currency, amount in item.amounts.items():
            amounts[currency] += amount
    return amounts


def _won_deal_counts(
    replaced: Mapping[tuple[int, date], object],
) -> dict[tuple[int, date], int]:
    """Count the won deals behind each account-quarter's won-deal lines."""
    if not replaced:
        return {}
    quarters = [quarter for _, quarter in replaced]
    deals = Opportunity.objects.filter(
        stage=Opportunity.Stage.WON,
        account_id__in={account_id for account_id, _ in replaced},
        closed_on__gte=min(quarters),
    ).values_list("account_id", "closed_on")
    counts: dict[tuple[int, date], int] = defaultdict(int)
    for account_id, closed_on in deals.iterator():
        if closed_on is None:
            continue
        key = (account_id, quarter_start(closed_on))
        if key in replaced:
            counts[key] += 1
    return counts


@dataclass(frozen=True)
class Invoiced:
    """An import's invoices of one account, quarter and currency."""

    account: str
    quarter: date
    currency: str
    total: Decimal
    count: int

    def as_dict(self) -> dict[str, object]:
        return {
            "account": self.account,
            "quarter": quarter_label(self.quarter),
            "quarter_start": self.quarter.isoformat(),
            "currency": self.currency,
            "invoice_lines": self.count,
            "amount": _cents({self.currency: self.total})[self.currency],
            "reason": missing_rate_reason(currency=self.currency, days=[self.quarter]),
        }


@dataclass(frozen=True)
class Forecast:
    """What the check would say of an upload's revenue, before it is written.

    `texts` are its warnings; `rateless` the upload's invoices no stored
    rate converts, by account, quarter and currency, that those name.
    """

    texts: list[str]
    rateless: list[Invoiced]


def _rateless_texts(invoiced: list[Invoiced]) -> list[str]:
    """Name the invoices of each account-quarter that no rate converts."""
    texts = [
        f"{item.account} {quarter_label(item.quarter)}: "
        f"{_invoices_text(item.count)} ({money_text(item.total, item.currency)}) "
        "will be left out of totals, which will say they lack a rate: "
        + missing_rate_reason(currency=item.currency, days=[item.quarter])
        for item in invoiced[:REPLACED_SHOWN]
    ]
    rest = invoiced[REPLACED_SHOWN:]
    if rest:
        amounts: dict[str, Decimal] = defaultdict(Decimal)
        for item in rest:
            amounts[item.currency] += item.total
        texts.append(
            f"and {len(rest):,} more: "
            f"{_invoices_text(sum(item.count for item in rest))} "
            f"({amounts_text(amounts)}) will be left out of totals, which will "
            "say they lack a rate"
        )
    return texts


def _invoices_text(count: int) -> str:
    return f"{count:,} invoice line{'' if count == 1 else 's'}"
