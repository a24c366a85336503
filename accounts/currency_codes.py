"""The ISO 4217 currency codes a stored amount may carry.

Kept here rather than taken from a library: none in our environment lists
them, and the list changes seldom (a new code every few years). ISO 4217
also lists codes that are not money: precious metals, funds and units of
account, and the test and no-currency codes (XTS, XXX, left out of the list
below). No deal is priced in them, so each is refused with what it is.
"""

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


# The currencies ISO 4217 writes to 3 decimals (1,000 fils to the dinar,
# say). Every money column keeps 2, so an amount using the third is
# refused with words of its own; see three_decimals_reason().
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


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
