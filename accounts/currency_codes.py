"""The ISO 4217 currency codes a stored amount may carry.

Kept here rather than taken from a library: none in our environment lists
them, and the list changes seldom (a new code every few years). ISO 4217
also lists codes that are not money: precious metals, funds and units of
account, and the test and no-currency codes (XTS, XXX, left out of the list
below). No deal is priced in them, so each is refused with what it is.
"""

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XAG",
        "XAU",
        "XBA",
        "XBB",
        "XBC",
        "XBD",
        "XCD",
        "XCG",
        "XDR",
        "XOF",
        "XPD",
        "XPF",
        "XPT",
        "XSU",
        "XUA",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)
_FUND = "a fund"
_BOND_UNIT = "a bond market unit"
# The codes ISO 4217 lists for something other than a currency, and what each
# stands for, for the message that refuses it.
NOT_MONEY = {
    "BOV": _FUND,
    "CHE": _FUND,
    "CHW": _FUND,
    "CLF": _FUND,
    "COU": _FUND,
    "MXV": _FUND,
    "USN": _FUND,
    "UYI": _FUND,
    "UYW": _FUND,
    "XAG": "silver",
    "XAU": "gold",
    "XBA": _BOND_UNIT,
    "XBB": _BOND_UNIT,
    "XBC": _BOND_UNIT,
    "XBD": _BOND_UNIT,
    "XDR": "the IMF's special drawing right",
    "XPD": "palladium",
    "XPT": "platinum",
    "XSU": "the SUCRE unit of account",
    "XTS": "testing",
    "XUA": "the African Development Bank's unit of account",
    "XXX": "no currency",
}
# Currencies ISO 4217 has withdrawn since the euro's start, with the year each
# left. Revenue and deals from before then were priced in them (Croatian
# invoices in HRK until 2023, say), so history in them is still money.
WITHDRAWN = {
    "ATS": 2002,
    "AZM": 2006,
    "BEF": 2002,
    "BYR": 2016,
    "CSD": 2006,
    "CUC": 2021,
    "CYP": 2008,
    "DEM": 2002,
    "EEK": 2011,
    "ESP": 2002,
    "FIM": 2002,
    "FRF": 2002,
    "GHC": 2007,
    "GRD": 2002,
    "HRK": 2023,
    "IEP": 2002,
    "ITL": 2002,
    "LTL": 2015,
    "LUF": 2002,
    "LVL": 2014,
    "MGF": 2005,
    "MRO": 2018,
    "MTL": 2008,
    "MZM": 2006,
    "NLG": 2002,
    "PTE": 2002,
    "ROL": 2005,
    "SDD": 2007,
    "SIT": 2007,
    "SKK": 2009,
    "SLL": 2024,
    "STD": 2018,
    "TMM": 2009,
    "TRL": 2005,
    "VEF": 2018,
    "YUM": 2003,
    "ZMK": 2013,
    "ZWD": 2009,
    "ZWL": 2024,
}
# The codes of money: what a deal, a revenue line or a rate may be in.
MONEY_CODES = (ISO_4217 - NOT_MONEY.keys()) | WITHDRAWN.keys()


# How many minor digits (decimals) each currency's amounts have, as ISO 4217
# gives them, for the currencies with other than 2: 1,000 fils to the
# dinar, no subunit of the yen. Every other code has 2. Amounts are stored
# to 3 decimals and refused with more than their currency's digits
# (amount_places_problem), so no amount is rounded unseen.
MINOR_DIGITS = {
    # No minor unit in use.
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # 1,000 to the unit.
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    # Withdrawn, with none; history in it may still be imported.
    "BYR": 0,
}
# The most minor digits any currency has: what money columns keep.
MOST_MINOR_DIGITS = 3


def minor_digits(currency: str | None) -> int:
    """Return how many decimals an amount in the currency has; 2 if unknown."""
    return MINOR_DIGITS.get(currency_code_normal(currency or ""), 2)


def minor_unit(currency: str | None) -> Decimal:
    """Return the smallest amount of a currency: 0.01 USD, 0.001 KWD, 1 JPY."""
    return Decimal(1).scaleb(-minor_digits(currency))


def amount_rounded(amount: Decimal | int, currency: str | None) -> Decimal:
    """Return an amount to its currency's minor digits, halves to even.

    The one rule for a figure that converting or summing made, never for
    an amount someone gave (amount_places_problem refuses those instead).
    Half to even is what the scores' save has always used, so a total and
    the scores it ranks round alike.
    """
    return Decimal(amount).quantize(minor_unit(currency), rounding=ROUND_HALF_EVEN)


def decimals_given(amount: Decimal) -> int:
    """Return how many decimals an amount uses: 2 for 1.50 and 12.5000 alike."""
    exponent = amount.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def amount_places_problem(
    amount: Decimal | int | None, currency: str | None
) -> str | None:
    """Return why an amount has more decimals than its currency, or None.

    "3 decimals, but USD has 2: ...". Rounding it would change the amount
    unseen, so it is refused and the user writes what they mean. A blank
    currency is the default, USD.
    """
    if amount is None or isinstance(amount, int):
        return None
    if not isinstance(amount, Decimal) or not amount.is_finite():
        # Not a number at all: the field's own check says so.
        return None
    code = currency_code_normal(currency or "") or "USD"
    given, allowed = decimals_given(amount), minor_digits(code)
    if given <= allowed:
        return None
    return (
        f"{given} decimal{'' if given == 1 else 's'}, but {code} has "
        f"{allowed or 'none'}: round the amount or check its currency"
    )


_CENT = Decimal("0.01")
_MILL = Decimal("0.001")


def amount_kept(amount: Decimal | int) -> Decimal:
    """Return an amount to the cent, or to 3 decimals when it uses the third.

    Money columns keep 3 decimals; read back, 1500 is 1500.00 as it always
    was, so texts, keys and the API say what they said before, and only an
    amount that uses its third decimal (12.345 KWD) shows it.
    """
    cents = Decimal(amount).quantize(_CENT)
    return cents if cents == amount else Decimal(amount).quantize(_MILL)


class MoneyAmountField(models.DecimalField):
    """An amount in its own currency, read back as amount_kept gives it."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            return amount_kept(value)
        return value


# The currency the scoring's company size is in: an annual revenue in any
# other currency keeps the rate it was converted into this one at.
ANNUAL_REVENUE_CURRENCY = "USD"


def currency_code_normal(value: str) -> str:
    """Return the code as stored: trimmed and in capitals."""
    return value.strip().upper()


def currency_code_problem(value: str) -> str | None:
    """Return why the value is not the code of a currency, naming it."""
    code = currency_code_normal(value)
    if code in MONEY_CODES:
        return None
    if code in NOT_MONEY:
        return (
            f"The currency {code} is ISO 4217's code for {NOT_MONEY[code]}, not "
            "money: enter the code of a currency, such as EUR."
        )
    return (
        f"The currency {code} is not an ISO 4217 currency code: enter one such as EUR."
    )


def currency_code_validate(value: str) -> None:
    """Refuse a code that is not a currency of money, whatever its case."""
    problem = currency_code_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="invalid")


class CurrencyCodeField(models.CharField):
    """A three-letter ISO 4217 code; lower-case input is stored in capitals."""

    default_validators = [currency_code_validate]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        return currency_code_normal(value) if isinstance(value, str) else value
