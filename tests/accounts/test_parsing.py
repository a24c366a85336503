from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.importing import Issue
from accounts.parsing import (
    DAY_FIRST,
    MONTH_FIRST,
    Money,
    ParsedColumn,
    boolean_column_parse,
    date_column_parse,
    id_column_parse,
    money_column_parse,
    number_column_parse,
    text_column_parse,
)
from accounts.tabular import table_read

FIXTURES = Path(__file__).parent / "fixtures" / "byod"


def column(name: str, header: str) -> dict:
    table = table_read(content=(FIXTURES / name).read_bytes(), file=name)
    return {
        "values": table.frame[header].to_list(),
        "lines": table.lines,
        "file": name,
        "column": header,
    }


def cells(*values: str) -> dict:
    return {
        "values": list(values),
        "lines": list(range(2, 2 + len(values))),
        "file": "f.csv",
        "column": "Amount",
    }


def reasons(result: ParsedColumn) -> list[tuple[int, str, str]]:
    return [(issue.line, issue.value, issue.reason) for issue in result.issues]


# Numbers


def test_it_detects_a_decimal_comma_and_keeps_zero_apart_from_blank() -> None:
    result = number_column_parse(**column("decimal_comma.csv", "Annual Revenue"))

    assert result.decision == "decimal comma"
    assert result.values == [Decimal("1234567.89"), Decimal("12.5"), Decimal("0"), None]
    assert result.issues == []


def test_it_asks_when_only_thousands_like_values_are_present() -> None:
    result = number_column_parse(**column("thousands_ambiguous.csv", "Annual Revenue"))

    assert result.needs_answer
    assert result.question is not None
    assert result.question.kind == "decimal"
    assert result.question.options == [".", ","]
    assert result.question.message == (
        "In 'Annual Revenue', '1,234' (line 2) could be a thousands separator "
        "or a decimal separator; which does this column use as the decimal "
        "separator?"
    )
    assert result.values == [None, None]


def test_it_reads_the_answered_decimal_separator() -> None:
    given = column("thousands_ambiguous.csv", "Annual Revenue")

    as_point = number_column_parse(**given, decimal=".")
    as_comma = number_column_parse(**given, decimal=",")

    assert as_point.values == [Decimal("1234"), Decimal("2500")]
    assert as_comma.values == [Decimal("1.234"), Decimal("2.5")]
    assert as_comma.decision == "decimal comma"


def test_one_telling_value_decides_the_whole_column() -> None:
    result = number_column_parse(**cells("1,234", "2,500", "0.5"))

    assert result.decision == "decimal point"
    assert result.values == [Decimal("1234"), Decimal("2500"), Decimal("0.5")]


def test_a_whole_number_column_reads_groups_without_asking() -> None:
    result = number_column_parse(**cells("1,234", "2,500"), whole=True)

    assert result.question is None
    assert result.values == [Decimal("1234"), Decimal("2500")]


def test_it_asks_when_the_column_mixes_both_separators() -> None:
    result = number_column_parse(**cells("1,234.50", "1.234,50"))

    assert result.question is not None
    assert result.question.message == (
        "'Amount' mixes a decimal point (e.g. '1,234.50' on line 2) and a "
        "decimal comma (e.g. '1.234,50' on line 3); which does this column use?"
    )


def test_it_refuses_what_is_not_a_number_in_the_chosen_format() -> None:
    result = number_column_parse(
        **cells("12%", "abc", "1,23,456", "1.234,5", "3.5", "-2"),
        decimal=".",
    )

    assert reasons(result) == [
        (2, "12%", "a per cent value where a plain number belongs"),
        (3, "abc", "not a number"),
        (4, "1,23,456", "not a number with '.' as the decimal separator"),
        (5, "1.234,5", "not a number with '.' as the decimal separator"),
    ]
    assert result.values[4:] == [Decimal("3.5"), Decimal("-2")]


def test_it_applies_whole_and_negative_rules() -> None:
    result = number_column_parse(
        **cells("3.5", "-2", "(4)", "1 200"), whole=True, negative=False
    )

    assert reasons(result) == [
        (2, "3.5", "not a whole number"),
        (3, "-2", "must not be negative"),
        (4, "(4)", "must not be negative"),
    ]
    assert result.values == [None, None, None, Decimal("1200")]


def test_it_refuses_a_currency_in_a_plain_number_column() -> None:
    result = number_column_parse(**cells("EUR 12"))

    assert reasons(result) == [
        (2, "EUR 12", "a currency (EUR) where a plain number belongs")
    ]


# Money


def test_it_keeps_each_amounts_currency_and_reads_accounting_negatives() -> None:
    result = money_column_parse(**column("money_mixed.csv", "Amount"))

    assert result.decision == "decimal point, '$' read as USD"
    assert result.values == [
        Money(Decimal("12500.00"), "USD"),
        Money(Decimal("-1234.00"), None),
        Money(Decimal("980.50"), "EUR"),
        Money(Decimal("0"), "USD"),
        Money(Decimal("1000"), "GBP"),
        Money(Decimal("0"), None),
        None,
    ]
    assert result.issues == [
        Issue(
            "money_mixed.csv",
            5,
            "Amount",
            "$ -",
            "accounting dash read as 0",
            "repaired",
        )
    ]


def test_it_reads_european_and_swiss_amount_styles() -> None:
    result = money_column_parse(
        **cells("1 234,56 €", "€1.234,56", "5-", "−7", "(3,00)")
    )

    assert result.decision == "decimal comma"
    assert result.values == [
        Money(Decimal("1234.56"), "EUR"),
        Money(Decimal("1234.56"), "EUR"),
        Money(Decimal("-5"), None),
        Money(Decimal("-7"), None),
        Money(Decimal("-3.00"), None),
    ]
    swiss = money_column_parse(**cells("1'234.50 CHF", "C$ 3.20"))
    assert swiss.values == [
        Money(Decimal("1234.50"), "CHF"),
        Money(Decimal("3.20"), "CAD"),
    ]


def test_a_dollar_sign_reads_as_the_currency_given() -> None:
    result = money_column_parse(**cells("$1,200.00"), dollar="AUD")

    assert result.values == [Money(Decimal("1200.00"), "AUD")]
    assert result.decision == "decimal point, '$' read as AUD"


def test_a_yen_sign_is_refused_naming_both_currencies_it_may_be() -> None:
    result = money_column_parse(**cells("¥5000", "₿12", "JPY 5000"))

    assert [issue.reason for issue in result.issues] == [
        "unsupported currency symbol ¥: it stands for JPY and CNY; write the "
        "code instead, e.g. JPY 5000 or CNY 5000",
        "unsupported currency symbol ₿; write the amount with its three-letter "
        "currency code instead",
    ]
    assert result.values[2] == Money(Decimal("5000"), "JPY")


# Dates


def test_it_decides_day_first_from_one_telling_date() -> None:
    result = date_column_parse(**column("dates_day_first.csv", "Close Date"))

    assert result.decision == "day-first, as '13/02/2024' on line 3 shows"
    assert result.values == [date(2024, 3, 1), date(2024, 2, 13), None]


def test_it_decides_month_first_and_ignores_a_time() -> None:
    result = date_column_parse(**column("dates_month_first.csv", "Close Date"))

    assert result.decision == "month-first, as '2/13/2024 10:15 AM' on line 3 shows"
    assert result.values == [date(2024, 1, 3), date(2024, 2, 13)]


def test_it_asks_when_no_date_decides_the_order() -> None:
    given = column("dates_ambiguous.csv", "Close Date")

    result = date_column_parse(**given)

    assert result.question is not None
    assert result.question.kind == "date-order"
    assert result.question.options == [DAY_FIRST, MONTH_FIRST]
    assert result.question.message == (
        "No date in 'Close Date' says whether it is day-first or month-first: "
        "is '01/03/2024' (line 2) day/month/year or month/day/year?"
    )
    assert result.values == [None, None]
    assert date_column_parse(**given, order=DAY_FIRST).values == [
        date(2024, 3, 1),
        date(2024, 6, 5),
    ]
    assert date_column_parse(**given, order=MONTH_FIRST).values == [
        date(2024, 1, 3),
        date(2024, 5, 6),
    ]


def test_it_asks_when_both_orders_are_proven() -> None:
    result = date_column_parse(**cells("13/02/2024", "02/13/2024"))

    assert result.question is not None
    assert result.question.message == (
        "'Amount' has day-first dates (e.g. '13/02/2024' on line 2) and "
        "month-first dates (e.g. '02/13/2024' on line 3); which order does "
        "this column use?"
    )


def test_it_reads_iso_and_month_name_dates_and_refuses_serials() -> None:
    result = date_column_parse(
        **cells("2024-02-13", "5 Mar 2024", "March 5, 2024", "45321", "31/02/2024"),
        order=DAY_FIRST,
    )

    assert result.values == [
        date(2024, 2, 13),
        date(2024, 3, 5),
        date(2024, 3, 5),
        None,
        None,
    ]
    assert reasons(result) == [
        (5, "45321", "a bare number, not a date (a spreadsheet serial day count?)"),
        (6, "31/02/2024", "no such date when read day-first"),
    ]


def test_an_impossible_date_proves_no_order() -> None:
    result = date_column_parse(**cells("31/02/2024", "01/03/2024"))

    assert result.question is not None


def test_it_rejects_an_unknown_order() -> None:
    with pytest.raises(ValueError, match="unknown date order 'sideways'"):
        date_column_parse(**cells("01/02/2024"), order="sideways")


# IDs, text and flags


def test_it_keeps_leading_zeros_and_flags_scientific_notation() -> None:
    result = id_column_parse(**column("ids_scientific.csv", "Account ID"))

    assert result.values == ["000123", None, "00000000042"]
    assert reasons(result) == [
        (
            3,
            "1.23457E+11",
            "an ID in scientific notation: a spreadsheet has rounded it and its "
            "digits are lost; export the column as text",
        )
    ]


def test_it_refuses_an_over_long_value_naming_the_limit() -> None:
    result = text_column_parse(**column("overlong.csv", "Account Name"), max_length=200)

    assert result.values == [None, "Acme"]
    assert reasons(result) == [
        (2, "A" * 60 + "…", "201 characters, over the limit of 200")
    ]


def test_it_reads_yes_no_flags() -> None:
    result = boolean_column_parse(**cells("TRUE", "false", "1", "No", "", "maybe"))

    assert result.values == [True, False, True, False, None, None]
    assert reasons(result) == [
        (7, "maybe", "not a yes/no value (expected true or false)")
    ]
