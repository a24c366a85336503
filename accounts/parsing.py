"""Type one column of text cells: numbers, money, dates, IDs, flags, text.

Each `*_column_parse` takes the column's cells and their spreadsheet lines and
returns a `ParsedColumn`: one value per cell (None for a blank cell or a
rejected one), an Issue for every cell rejected or repaired, what was decided
for the whole column (decimal separator, date order) and, when the column
cannot decide on its own, a `Question` for the user. A column with a question
has no values yet: ask, then parse again with `decimal=` or `order=` given.
Nothing is guessed from a single cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from accounts.currency_codes import currency_code_problem
from accounts.importing import REJECTED, REPAIRED, Issue
from accounts.numbers import zero_unsigned

DAY_FIRST = "day-first"
MONTH_FIRST = "month-first"
DECIMAL_POINT = "."
DECIMAL_COMMA = ","
# The whole-file number formats a user may choose, named by example as a
# user writes them: each is its decimal mark and its thousands separator.
NUMBER_FORMATS = {
    "1,234.56": (DECIMAL_POINT, ","),
    "1.234,56": (DECIMAL_COMMA, "."),
    "1 234,56": (DECIMAL_COMMA, " "),
}

# Unambiguous currency signs. "$" is shared by many currencies: it reads as
# the `dollar` argument (USD unless told) and the column says so.
CURRENCY_SIGNS = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "₩": "KRW",
    "₪": "ILS",
    "₺": "TRY",
    "₽": "RUB",
    "zł": "PLN",
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "R$": "BRL",
}
_CODE = r"[A-Z]{3}"
_SIGN = "|".join(
    re.escape(sign) for sign in sorted([*CURRENCY_SIGNS, "$"], key=len, reverse=True)
)
_MONEY = re.compile(
    rf"^(?P<open>\()?\s*(?P<lead_minus>[-−])?\s*"
    rf"(?P<lead>{_SIGN}|{_CODE})?\s*(?P<minus>[-−])?\s*"
    r"(?P<number>[\d.,'\s\u00a0\u202f]*\d|-)\s*"
    rf"(?P<trail>{_SIGN}|{_CODE})?\s*(?P<trail_minus>[-−])?\s*(?P<close>\))?$"
)
_SCIENTIFIC = re.compile(r"^[-+]?\d(?:[.,]\d+)?[eE][-+]?\d+$")
# A number in scientific notation with a decimal point, as Python, XLSX and
# the deal page write it; the exponent is bounded so no huge power is built.
_POINT_SCIENTIFIC = re.compile(r"^[-+]?\d+(?:\.\d+)?[eE][-+]?\d{1,3}$")
# The same with a decimal comma, as a comma-decimal spreadsheet writes it:
# read only in a file given a number format, whose decimal mark decides it.
_COMMA_SCIENTIFIC = re.compile(r"^[-+]?\d+(?:,\d+)?[eE][-+]?\d{1,3}$")
SCIENTIFIC_NOTE = "scientific notation read as"
# What an ID a spreadsheet showed in scientific notation is refused with.
ID_SCIENTIFIC = (
    "an ID in scientific notation: a spreadsheet has rounded it and its digits "
    "are lost; export the column as text"
)
# What a per cent sign in a column of plain numbers is refused with.
PERCENT_NOT_ALLOWED = "a per cent value where a plain number belongs"
_GROUP_SPACES = re.compile(r"[\s\u00a0\u202f']")

TRUE_WORDS = {"true", "yes", "y", "1", "won", "x"}
FALSE_WORDS = {"false", "no", "n", "0", "lost"}

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_TIME = (
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"\s*(?:[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_ISO_DATE = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_NUMERIC_DATE = re.compile(
    rf"^(\d{{1,2}})([-/.])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}$"
)
# A month with no day: 2026-09, 2026/9, 2026-M09, Sep 2026, September 2026.
_ISO_MONTH = re.compile(r"^(\d{4})[-/.]M?(\d{1,2})$", re.IGNORECASE)
_NAMED_MONTH = re.compile(r"^([A-Za-z]{3,9})\.?[-\s]+(\d{4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})[-\s.]([A-Za-z]{3,9})\.?[-\s,]+(\d{4})$")
_MONTH_NAME_DAY = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
# A date with no separators, as ERP extracts write it: 20260105, perhaps
# with a time. A day-first or month-first date written so (19052026 for
# 19 May 2026) has 19 or 20 for a month when read year first, so it is
# never read as one; a year from 1900 to 2099 is taken, as nothing older
# or later is a date in a CRM export.
_COMPACT_DATE = re.compile(
    r"^(\d{4})(\d{2})(\d{2})"
    r"(?:[T ]\d{2}:?\d{2}(?::?\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
COMPACT = "YYYYMMDD"


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None


@dataclass(frozen=True)
class Question:
    """A choice only the user can make for a whole column."""

    column: str
    kind: str
    message: str
    options: list[str]
    examples: list[tuple[int, str]]


@dataclass
class ParsedColumn:
    values: list[Any]
    issues: list[Issue] = field(default_factory=list)
    decision: str = ""
    question: Question | None = None

    @property
    def needs_answer(self) -> bool:
        return self.question is not None


# Text and IDs


# An over-long value is quoted by its start; the file holds the rest.
QUOTED_START = 60


def value_start(value: str) -> str:
    """Return a value as a message quotes it: its start, cut with an ellipsis."""
    return value if len(value) <= QUOTED_START else value[:QUOTED_START] + "…"


def too_long_reason(value: str, limit: int) -> str:
    return f"{len(value):,} characters, over the limit of {limit:,}"


def text_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    max_length: int,
) -> ParsedColumn:
    """Keep text as it is; refuse values longer than the field holds."""
    parsed: list[str | None] = []
    issues: list[Issue] = []
    for value, line in zip(values, lines, strict=True):
        if value == "":
            parsed.append(None)
            continue
        if len(value) > max_length:
            issues.append(
                Issue(
                    file,
                    line,
                    column,
                    value_start(value),
                    too_long_reason(value, max_length),
                    REJECTED,
                )
            )
            parsed.append(None)
            continue
        parsed.append(value)
    return ParsedColumn(values=parsed, issues=issues)


def id_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    max_length: int = 100,
) -> ParsedColumn:
    """Keep IDs as text, leading zeros and all; flag spreadsheet damage.

    A spreadsheet that opened the export turned long numeric IDs into
    scientific notation ("1.23457E+11") and lost their last digits; such an
    ID cannot be matched to anything, so the row is refused with the reason.
    """
    result = text_column_parse(
        values=values, lines=lines, file=file, column=column, max_length=max_length
    )
    for index, (value, line) in enumerate(zip(values, lines, strict=True)):
        if result.values[index] is not None and _SCIENTIFIC.match(value):
            result.issues.append(
                Issue(
                    file,
                    line,
                    column,
                    value,
                    ID_SCIENTIFIC,
                    REJECTED,
                )
            )
            result.values[index] = None
    result.issues.sort(key=lambda issue: issue.line)
    return result


def boolean_column_parse(
    *, values: Sequence[str], lines: Sequence[int], file: str, column: str
) -> ParsedColumn:
    """Read true/false, yes/no, 1/0 (and Won/Lost) in any case."""
    parsed: list[bool | None] = []
    issues: list[Issue] = []
    for value, line in zip(values, lines, strict=True):
        word = value.strip().casefold()
        if word == "":
            parsed.append(None)
        elif word in TRUE_WORDS:
            parsed.append(True)
        elif word in FALSE_WORDS:
            parsed.append(False)
        else:
            parsed.append(None)
            issues.append(
                Issue(
                    file,
                    line,
                    column,
                    value,
                    "not a yes/no value (expected true or false)",
                    REJECTED,
                )
            )
    return ParsedColumn(values=parsed, issues=issues)


# Numbers and money


@dataclass(frozen=True)
class _Amount:
    digits: str
    negative: bool
    currency: str | None
    dash: bool
    # A plain number in scientific notation ("1e+20"), as an XLSX cell
    # holding a very large or very small number reads: its value, unsigned.
    scientific: Decimal | None = None
    # Held by the file as a number, not text (an XLSX number cell): its
    # digits are its exact value with a point, whatever the file's format.
    typed: bool = False


def _amount_split(value: str, *, dollar: str) -> _Amount | None:
    match = _MONEY.match(value.strip())
    if match is None:
        return None
    lead, trail = match["lead"], match["trail"]
    if lead and trail:
        return None
    if bool(match["open"]) != bool(match["close"]):
        return None
    minuses = [match["lead_minus"], match["minus"], match["trail_minus"]]
    signs = sum(1 for sign in minuses if sign) + bool(match["open"])
    if signs > 1:
        return None
    sign = lead or trail
    currency = None
    if sign:
        currency = dollar if sign == "$" else CURRENCY_SIGNS.get(sign, sign)
    digits = match["number"]
    dash = digits == "-"
    return _Amount(digits=digits, negative=signs == 1, currency=currency, dash=dash)


def _scientific_split(value: str, *, comma: bool = False) -> _Amount | None:
    """Read "1e+20", "-1.5E3" or, with `comma`, "1,5E3" as its number."""
    text = value.strip()
    if _POINT_SCIENTIFIC.match(text):
        number = Decimal(text)
    elif comma and _COMMA_SCIENTIFIC.match(text):
        number = Decimal(text.replace(",", "."))
    else:
        return None
    return _Amount(
        digits=text,
        negative=number < 0,
        currency=None,
        dash=False,
        scientific=abs(number),
    )


def _typed_split(value: str) -> _Amount | None:
    """Read the text of a cell held as a number: "-1234.5", "1.5e+20"."""
    amount = _scientific_split(value) or _amount_split(value, dollar="USD")
    if amount is None or amount.currency is not None or amount.dash:
        return None
    return replace(amount, typed=True)


def amount_split(value: str, *, dollar: str = "USD") -> _Amount | None:
    """Split a money cell into its digits, sign and currency, if it is one."""
    return _amount_split(value, dollar=dollar)


# Signs that stand for more than one currency, with the codes to choose from.
AMBIGUOUS_SIGNS = {"¥": ("JPY", "CNY"), "￥": ("JPY", "CNY")}


def _unknown_sign_reason(value: str) -> str | None:
    """Name the currency sign a value carries that is not read, if any."""
    for sign, codes in AMBIGUOUS_SIGNS.items():
        if sign in value:
            amount = value.replace(sign, "").strip()
            return (
                f"unsupported currency symbol {sign}: it stands for "
                + " and ".join(codes)
                + "; write the code instead, e.g. "
                + " or ".join(f"{code} {amount}" for code in codes)
            )
    for char in value:
        if unicodedata.category(char) == "Sc" and char not in {"$", *CURRENCY_SIGNS}:
            return (
                f"unsupported currency symbol {char}; write the amount with "
                "its three-letter currency code instead"
            )
    return None


def _decimal_vote(digits: str, *, whole: bool) -> str | None:
    """Return the decimal separator this one value proves, if any."""
    core = _GROUP_SPACES.sub("", digits)
    dots, commas = core.count("."), core.count(",")
    if dots and commas:
        return DECIMAL_POINT if core.rfind(".") > core.rfind(",") else DECIMAL_COMMA
    if dots + commas == 0:
        return None
    separator = "." if dots else ","
    other = DECIMAL_COMMA if separator == "." else DECIMAL_POINT
    own = DECIMAL_POINT if separator == "." else DECIMAL_COMMA
    if dots + commas > 1:
        # Repeated, so it groups thousands; the other one is the decimal.
        return other
    head, tail = core.split(separator)
    if len(tail) != 3 or head in ("", "0") or len(head) > 3:
        return own
    # "1,234": a thousands group or three decimals. In a whole-number column
    # only the grouping makes sense.
    return other if whole else None


def _number_read(digits: str, *, decimal: str) -> Decimal | None:
    core = _GROUP_SPACES.sub("", digits)
    group = "," if decimal == DECIMAL_POINT else "."
    pattern = (
        rf"^(\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d+)"
        rf"(?:{re.escape(decimal)}(\d+))?$"
    )
    if _GROUP_SPACES.search(digits):
        # Spaces or apostrophes group thousands; they must sit every 3 digits.
        spaced = re.sub(r"[\u00a0\u202f']", " ", digits)
        whole, _, fraction = spaced.partition(decimal)
        if not re.fullmatch(r"\d{1,3}(?: \d{3})+", whole.strip()) or (
            fraction and not fraction.isdigit()
        ):
            return None
    match = re.match(pattern, core)
    if match is None:
        return None
    text = match[1].replace(group, "")
    if match[2] is not None:
        text += "." + match[2]
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _format_read(digits: str, *, number_format: str) -> Decimal | None:
    """Read `digits` written exactly in `number_format`, or return None.

    The thousands separator is optional but, when written, groups every 3
    digits; no other separator is taken. A space format takes the
    no-break spaces spreadsheets write as well.
    """
    mark, group = NUMBER_FORMATS[number_format]
    text = re.sub(r"[\u00a0\u202f]", " ", digits) if group == " " else digits
    match = re.fullmatch(
        rf"(\d{{1,3}}(?:{re.escape(group)}\d{{3}})+|\d+)(?:{re.escape(mark)}(\d+))?",
        text,
    )
    if match is None:
        return None
    number = match[1].replace(group, "")
    if match[2] is not None:
        number += "." + match[2]
    return Decimal(number)


def _scientific_fits(digits: str, *, number_format: str | None) -> bool:
    """Say if scientific notation writes the chosen format's decimal mark."""
    if number_format is None:
        return True
    mark = NUMBER_FORMATS[number_format][0]
    written = [sign for sign in (DECIMAL_POINT, DECIMAL_COMMA) if sign in digits]
    return written in ([], [mark])


def scientific_refusal(number_format: str) -> str:
    """Return why scientific notation with the other decimal mark is refused."""
    point = NUMBER_FORMATS[number_format][0] == DECIMAL_POINT
    written, wanted = ("comma", "point") if point else ("point", "comma")
    return (
        f"scientific notation with a decimal {written}, where {number_format!r}, "
        f"the number format chosen for this file, has a decimal {wanted}: it is "
        "not guessed; correct the value or choose another format"
    )


def number_format_refusal(number_format: str) -> str:
    """Return why a value not written in the file's chosen format is refused."""
    return (
        f"not written as {number_format!r}, the number format chosen for this "
        "file: it is not guessed; correct the value or choose another format"
    )


def number_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    decimal: str | None = None,
    whole: bool = False,
    negative: bool = True,
    dollar: str = "USD",
    with_currency: bool = False,
    percent: bool = False,
    typed: Collection[int] = (),
) -> ParsedColumn:
    """Read numbers with the column's decimal separator, given or detected.

    The separator is decided from every value: "1.234,50" or "12,5" prove a
    decimal comma, "1,234.50" or "0.75" a decimal point. When only values
    like "1,234" are present the column asks. Accounting negatives
    "(1,234.00)", trailing minus signs, currency signs and ISO codes are
    read; a lone accounting dash reads as zero and says so; zero is 0 and
    blank is None. With `with_currency` the values are Money, keeping the
    currency of each cell (None where the cell names none). With `percent`
    a trailing per cent sign is allowed and dropped: "92%" reads as 92.
    With `decimal` one of NUMBER_FORMATS, the file's chosen format, every
    value is read in it and one written otherwise is refused, not guessed;
    so is scientific notation ("1,23E+05") written with the other mark.
    The cells on the `typed` lines were numbers in the file, not text (an
    XLSX number cell reads "1234.5"): each is read as exactly its value,
    whatever the separator or format, and none of them decides it.
    """
    number_format = decimal if decimal in NUMBER_FORMATS else None
    if number_format is not None:
        decimal = NUMBER_FORMATS[number_format][0]
    amounts: list[_Amount | None] = []
    issues: list[Issue] = []
    for value, line in zip(values, lines, strict=True):
        text = value.strip()
        if text == "":
            amounts.append(None)
            continue
        if text.endswith("%") and not percent:
            issues.append(
                Issue(file, line, column, value, PERCENT_NOT_ALLOWED, REJECTED)
            )
            amounts.append(None)
            continue
        if text.endswith("%"):
            text = text[:-1].rstrip()
        if line in typed:
            amount = _typed_split(text)
        else:
            amount = _amount_split(text, dollar=dollar) or _scientific_split(
                text, comma=number_format is not None
            )
        if amount is None:
            reason = _unknown_sign_reason(value) or "not a number"
            issues.append(Issue(file, line, column, value, reason, REJECTED))
        amounts.append(amount)

    decision = ""
    if decimal is None:
        votes: dict[str, list[tuple[int, str]]] = {DECIMAL_POINT: [], DECIMAL_COMMA: []}
        undecided: list[tuple[int, str]] = []
        for value, line, amount in zip(values, lines, amounts, strict=True):
            if amount is None or amount.dash or amount.scientific is not None:
                continue
            if amount.typed:
                # A number cell's point says nothing of how the file writes.
                continue
            vote = _decimal_vote(amount.digits, whole=whole)
            if vote is not None:
                votes[vote].append((line, value))
            elif re.search(r"[.,]", amount.digits):
                undecided.append((line, value))
        if votes[DECIMAL_POINT] and votes[DECIMAL_COMMA]:
            return _asked(
                values,
                issues,
                Question(
                    column=column,
                    kind="decimal",
                    message=(
                        f"{column!r} mixes a decimal point (e.g. "
                        f"{votes[DECIMAL_POINT][0][1]!r} on line "
                        f"{votes[DECIMAL_POINT][0][0]}) and a decimal comma (e.g. "
                        f"{votes[DECIMAL_COMMA][0][1]!r} on line "
                        f"{votes[DECIMAL_COMMA][0][0]}); which does this column use?"
                    ),
                    options=[DECIMAL_POINT, DECIMAL_COMMA],
                    examples=[votes[DECIMAL_POINT][0], votes[DECIMAL_COMMA][0]],
                ),
            )
        if votes[DECIMAL_POINT] or votes[DECIMAL_COMMA]:
            decimal = DECIMAL_POINT if votes[DECIMAL_POINT] else DECIMAL_COMMA
            decision = "decimal point" if decimal == "." else "decimal comma"
        elif undecided:
            line, value = undecided[0]
            return _asked(
                values,
                issues,
                Question(
                    column=column,
                    kind="decimal",
                    message=(
                        f"In {column!r}, {value!r} (line {line}) could be a "
                        "thousands separator or a decimal separator; which "
                        "does this column use as the decimal separator?"
                    ),
                    options=[DECIMAL_POINT, DECIMAL_COMMA],
                    examples=undecided[:3],
                ),
            )
        else:
            decimal = DECIMAL_POINT
    elif number_format is not None:
        decision = f"number format {number_format!r} chosen for the file"
    else:
        decision = "decimal point" if decimal == "." else "decimal comma"

    parsed: list[Any] = []
    dollar_seen = False
    # The first cell read without its per cent sign, said once per column.
    percent_seen: tuple[str, Decimal] | None = None
    # The codes cells name, each judged once: XAU 100 is gold, not money.
    code_problems: dict[str, str | None] = {}
    for value, line, amount in zip(values, lines, amounts, strict=True):
        if amount is None:
            parsed.append(None)
            continue
        if amount.dash:
            number: Decimal | None = Decimal("0")
            issues.append(
                Issue(file, line, column, value, "accounting dash read as 0", REPAIRED)
            )
        elif amount.scientific is not None:
            if not amount.typed and not _scientific_fits(
                amount.digits, number_format=number_format
            ):
                assert number_format is not None
                reason = scientific_refusal(number_format)
                issues.append(Issue(file, line, column, value, reason, REJECTED))
                parsed.append(None)
                continue
            number = amount.scientific
            issues.append(
                Issue(
                    file,
                    line,
                    column,
                    value,
                    f"{SCIENTIFIC_NOTE} {number:f}",
                    REPAIRED,
                )
            )
        elif amount.typed:
            number = _number_read(amount.digits, decimal=DECIMAL_POINT)
        elif number_format is not None:
            number = _format_read(amount.digits, number_format=number_format)
        else:
            number = _number_read(amount.digits, decimal=decimal)
        reason = ""
        if number is None and number_format is not None:
            reason = number_format_refusal(number_format)
        elif number is None:
            other = "," if decimal == "." else "."
            reason = (
                f"not a number with {decimal!r} as the decimal separator"
                if other in amount.digits or decimal in amount.digits
                else "not a number"
            )
        elif amount.negative and number != 0 and not negative:
            reason = "must not be negative"
        elif whole and number != number.to_integral_value():
            reason = "not a whole number"
        elif amount.currency and not with_currency:
            reason = f"a currency ({amount.currency}) where a plain number belongs"
        elif amount.currency:
            if amount.currency not in code_problems:
                code_problems[amount.currency] = currency_code_problem(amount.currency)
            reason = code_problems[amount.currency] or ""
        if reason:
            issues.append(Issue(file, line, column, value, reason, REJECTED))
            parsed.append(None)
            continue

        assert number is not None
        if amount.negative:
            number = -number
        number = zero_unsigned(number)
        if whole:
            number = Decimal(int(number))
        if with_currency:
            dollar_seen = dollar_seen or "$" in value and amount.currency == dollar
            parsed.append(Money(amount=number, currency=amount.currency))
        else:
            parsed.append(number)
        if percent_seen is None and value.strip().endswith("%"):
            percent_seen = (value.strip(), number)

    if dollar_seen:
        decision = ", ".join(filter(None, [decision, f"'$' read as {dollar}"]))
    if percent_seen is not None:
        shown, number = percent_seen
        decision = ", ".join(
            filter(None, [decision, f"per cent: {shown!r} is kept as {number:f}"])
        )
    issues.sort(key=lambda issue: issue.line)
    return ParsedColumn(values=parsed, issues=issues, decision=decision)


# A date in a column of years: "01.04.1998", "4/1/1998", "1998-04-01".
_DATE_LIKE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}")


def year_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    decimal: str | None = None,
    typed: Collection[int] = (),
) -> ParsedColumn:
    """Read whole years; refuse a date where the year alone belongs.

    Read as a number, "01.04.1998" would take its points for thousands
    separators, and decide the column's decimal separator with them.
    """
    dated = [_DATE_LIKE.fullmatch(value.strip()) is not None for value in values]
    parsed = number_column_parse(
        values=["" if is_date else v for v, is_date in zip(values, dated, strict=True)],
        lines=lines,
        file=file,
        column=column,
        decimal=decimal,
        whole=True,
        negative=False,
        typed=typed,
    )
    for value, line, is_date in zip(values, lines, dated, strict=True):
        if is_date:
            year = re.search(r"\d{4}", value)
            shown = f"e.g. {year.group()}" if year else "in four digits"
            parsed.issues.append(
                Issue(
                    file,
                    line,
                    column,
                    value,
                    f"a date where a year is expected; give the year alone, {shown}",
                    REJECTED,
                )
            )
    parsed.issues.sort(key=lambda issue: issue.line)
    return parsed


def money_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    decimal: str | None = None,
    dollar: str = "USD",
    typed: Collection[int] = (),
) -> ParsedColumn:
    """Read amounts as Money, each keeping the currency its cell names."""
    return number_column_parse(
        values=values,
        lines=lines,
        file=file,
        column=column,
        decimal=decimal,
        dollar=dollar,
        with_currency=True,
        typed=typed,
    )


# Dates


def _two_digit_year(year: str) -> int:
    number = int(year)
    if len(year) == 4:
        return number
    # Spreadsheets write short years for recent dates: 00-69 is 2000-2069.
    return 2000 + number if number < 70 else 1900 + number


def _date_or_none(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_column_parse(
    *,
    values: Sequence[str],
    lines: Sequence[int],
    file: str,
    column: str,
    order: str | None = None,
    months: bool = False,
) -> ParsedColumn:
    """Read dates; decide day-first or month-first from the whole column.

    ISO dates (2024-02-13) and dates with a month name are read as they are.
    For 13/02/2024-style dates any value whose first part is over 12 proves
    day-first, any whose second part is over 12 proves month-first; when no
    value decides (or both orders are proven) the column asks. A time after
    the date is ignored. A bare number is refused: it is a spreadsheet's
    serial day count, not a date anyone typed, but for a compact date
    (20260105): read as YYYYMMDD, which no other order can be mistaken for,
    and said once for the column. With `months` a month alone (2026-09,
    2026-M09, Sep 2026) reads as its first day, as a period.
    """
    if order not in (None, DAY_FIRST, MONTH_FIRST):
        raise ValueError(f"unknown date order {order!r}")

    decision = order or ""
    if order is None:
        day_first: list[tuple[int, str]] = []
        month_first: list[tuple[int, str]] = []
        undecided: list[tuple[int, str]] = []
        for value, line in zip(values, lines, strict=True):
            match = _NUMERIC_DATE.match(value.strip())
            if match is None:
                continue
            first, second = int(match[1]), int(match[3])
            year = _two_digit_year(match[4])
            # Only a real date can prove an order: 31/02 proves nothing.
            if first > 12 and _date_or_none(year, second, first):
                day_first.append((line, value))
            elif second > 12 and _date_or_none(year, first, second):
                month_first.append((line, value))
            elif first != second and first <= 12 and second <= 12:
                undecided.append((line, value))
        if day_first and month_first:
            return _asked(
                values,
                [],
                Question(
                    column=column,
                    kind="date-order",
                    message=(
                        f"{column!r} has day-first dates (e.g. "
                        f"{day_first[0][1]!r} on line {day_first[0][0]}) and "
                        f"month-first dates (e.g. {month_first[0][1]!r} on line "
                        f"{month_first[0][0]}); which order does this column use?"
                    ),
                    options=[DAY_FIRST, MONTH_FIRST],
                    examples=[day_first[0], month_first[0]],
                ),
            )
        if day_first or month_first:
            order = DAY_FIRST if day_first else MONTH_FIRST
            proof = (day_first or month_first)[0]
            decision = f"{order}, as {proof[1]!r} on line {proof[0]} shows"
        elif undecided:
            line, value = undecided[0]
            return _asked(
                values,
                [],
                Question(
                    column=column,
                    kind="date-order",
                    message=(
                        f"No date in {column!r} says whether it is day-first or "
                        f"month-first: is {value!r} (line {line}) "
                        "day/month/year or month/day/year?"
                    ),
                    options=[DAY_FIRST, MONTH_FIRST],
                    examples=undecided[:3],
                ),
            )

    parsed: list[date | None] = []
    issues: list[Issue] = []
    compact: tuple[int, str] | None = None
    for value, line in zip(values, lines, strict=True):
        text = value.strip()
        if text == "":
            parsed.append(None)
            continue
        day, reason = _date_read(text, order=order)
        if reason and months:
            day, reason = _month_read(text) or (day, reason)
        if reason:
            issues.append(Issue(file, line, column, value, reason, REJECTED))
        elif compact is None and _COMPACT_DATE.match(text):
            compact = (line, text)
        parsed.append(day)
    if compact is not None:
        said = f"compact dates read as {COMPACT}, as {compact[1]!r} on line "
        decision = "; ".join(filter(None, [decision, f"{said}{compact[0]} shows"]))
    return ParsedColumn(values=parsed, issues=issues, decision=decision)


def _date_read(text: str, *, order: str | None) -> tuple[date | None, str]:
    match = _COMPACT_DATE.match(text)
    if match:
        year = int(match[1])
        day = _date_or_none(year, int(match[2]), int(match[3]))
        if day is None or not 1900 <= year <= 2099:
            return None, (
                f"no such date when read as {COMPACT} (year 1900-2099, month, "
                "day); write it as YYYY-MM-DD"
            )
        return day, ""

    if re.fullmatch(r"\d+(\.\d+)?", text):
        return None, "a bare number, not a date (a spreadsheet serial day count?)"

    match = _ISO_DATE.match(text)
    if match:
        day = _date_or_none(int(match[1]), int(match[2]), int(match[3]))
        return (day, "") if day else (None, "no such date")

    match = _NUMERIC_DATE.match(text)
    if match:
        first, second = int(match[1]), int(match[3])
        year = _two_digit_year(match[4])
        if first == second or order is None:
            # Only reachable when the day and month are the same number or
            # the column never needed to decide.
            order = order or DAY_FIRST
        day_number, month = (first, second) if order == DAY_FIRST else (second, first)
        day = _date_or_none(year, month, day_number)
        return (day, "") if day else (None, f"no such date when read {order}")

    for pattern, parts in ((_DAY_MONTH_NAME, (1, 2, 3)), (_MONTH_NAME_DAY, (2, 1, 3))):
        match = pattern.match(text)
        if match:
            named = _MONTHS.get(match[parts[1]].casefold())
            if named is None:
                return None, "not a date (unknown month name)"
            day = _date_or_none(int(match[parts[2]]), named, int(match[parts[0]]))
            return (day, "") if day else (None, "no such date")

    try:
        return datetime.fromisoformat(text).date(), ""
    except ValueError:
        return None, "not a date"


def _month_read(text: str) -> tuple[date | None, str] | None:
    """Read a month with no day as its first day, or None if it is none."""
    match = _ISO_MONTH.match(text)
    if match:
        year, month = int(match[1]), int(match[2])
    else:
        match = _NAMED_MONTH.match(text)
        if match is None:
            return None
        named = _MONTHS.get(match[1].casefold())
        if named is None:
            return None
        year, month = int(match[2]), named
    day = _date_or_none(year, month, 1)
    return (day, "") if day else (None, "no such month")


def _asked(
    values: Sequence[str], issues: list[Issue], question: Question
) -> ParsedColumn:
    return ParsedColumn(values=[None] * len(values), issues=issues, question=question)
