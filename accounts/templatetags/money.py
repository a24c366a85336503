"""Amounts on the pages, written as money_text writes them everywhere else."""

from decimal import Decimal

from django import template

from accounts.currency import amount_text, money_text
from accounts.currency_codes import minor_digits as currency_minor_digits

register = template.Library()


@register.filter
def money(amount: Decimal | float | int | None, currency: str) -> str:
    """Return "1,200.00 USD", "1,200 JPY" or "1,200.000 KWD"; "—" for none."""
    if amount is None or amount == "":
        return "—"
    return money_text(amount, currency)


@register.filter
def amount(value: Decimal | float | int | None, currency: str) -> str:
    """Return the number alone, for a column that says its currency once."""
    if value is None or value == "":
        return "—"
    return amount_text(value, currency)


@register.filter
def minor_digits(currency: str) -> int:
    """Return how many decimals the currency's amounts have, for a script."""
    return currency_minor_digits(currency)
