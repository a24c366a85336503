"""Each export quirk of issue #6, through the wizard into stored accounts."""

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_check,
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)
from tests.accounts.factories import AccountFactory

BYOD = Path(__file__).parent / "fixtures" / "byod"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run(name: str, *, keep_good_rows: bool = False) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[BYOD / name])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(
        mapped=mapped, merges={}, keep_good_rows=keep_good_rows, enqueue=False
    )
    return mapped_import_run(mapped=mapped)


def stored(*fields: str) -> list[tuple]:
    return list(Account.objects.order_by("name").values_list("name", *fields))


def rejected(job: ImportJob) -> list[tuple]:
    return [
        (issue["line"], issue["column"], issue["reason"])
        for issue in job.issues
        if issue["action"] == "rejected"
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("utf8_bom.csv", [("Café Müller", "Deutschland"), ("Åkesson AB", "Sverige")]),
        ("windows1252.csv", [("Café Zürich", ""), ("L’Oréal", "")]),
        ("utf8_plain.csv", [("São Paulo Têxtil", "")]),
    ],
)
def test_encodings_store_the_names_as_written(name: str, expected: list) -> None:
    job = run(name)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored("country") == expected


@pytest.mark.parametrize(
    "name", ["cr_only.csv", "quoted_newlines.csv", "trailing_blank.csv"]
)
def test_line_endings_quotes_and_blank_rows_store_two_accounts(name: str) -> None:
    job = run(name)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored("employees") == [("Acme", 10), ("Beta", 20)]


def test_a_tab_separated_hubspot_export_keeps_leading_zeros_and_groups() -> None:
    run("tab.tsv")

    assert stored("external_id", "employees") == [("Acme Widgets, Inc", "00123", 1200)]


def test_an_excel_sep_line_names_the_delimiter() -> None:
    run("sep_hint.csv")

    assert stored("employees") == [("Acme, Inc", 10)]


def test_decimal_commas_are_read_and_zero_is_kept_apart_from_blank() -> None:
    job = run("decimal_comma.csv")

    # Every amount is kept as written, however small; zero is not blank.
    assert stored("annual_revenue", "annual_revenue_currency") == [
        ("Acme GmbH", Decimal("1234567.89"), "USD"),
        ("Beta AG", Decimal("12.50"), "USD"),
        ("Delta BV", None, ""),
        ("Gamma SA", Decimal("0.00"), "USD"),
    ]
    assert [issue for issue in job.issues if issue["action"] == "kept"] == []


def test_an_id_a_spreadsheet_rounded_is_refused_and_the_others_kept() -> None:
    job = run("ids_scientific.csv", keep_good_rows=True)

    assert rejected(job) == [
        (
            3,
            "Account ID",
            "an ID in scientific notation: a spreadsheet has rounded it and its "
            "digits are lost; export the column as text",
        )
    ]
    assert stored("external_id") == [("Acme", "000123"), ("Gamma", "00000000042")]


def test_an_overlong_name_is_refused_not_cut() -> None:
    job = run("overlong.csv")

    assert job.status == ImportJob.Status.REJECTED
    [(line, column, reason)] = rejected(job)
    assert (line, column) == (2, "Account Name")
    assert reason.endswith("characters, over the limit of 200")
    assert not Account.objects.exists()


def test_a_row_with_more_values_than_the_header_is_refused() -> None:
    job = run("ragged.csv", keep_good_rows=True)

    assert rejected(job) == [(3, "", "4 values but the header has 3 columns")]
    assert stored("employees", "sector") == [("Acme", 10, ""), ("Gamma", 30, "Banking")]


def test_a_column_of_only_thousands_like_values_asks_for_its_separator() -> None:
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BYOD / "thousands_ambiguous.csv"]
    )
    mapped_import_mapping_accept(mapped=mapped, user=None)

    outcome = mapped_import_check(mapped=mapped)

    [(_, question)] = outcome.questions
    assert question.message == (
        "In 'Annual Revenue', '1,234' (line 2) could be a thousands separator or "
        "a decimal separator; which does this column use as the decimal separator?"
    )


def test_an_xlsx_workbook_imports_like_a_csv(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Record ID", "Company name", "Number of Employees", "Annual Revenue"])
    sheet.append(["00917", "Nordlicht GmbH", 340, 1250000.5])
    path = tmp_path / "companies.xlsx"
    workbook.save(path)
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    mapped_import_mapping_accept(mapped=mapped, user=None)
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=False, enqueue=False)

    job = mapped_import_run(mapped=mapped)

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert stored("external_id", "employees", "annual_revenue") == [
        ("Nordlicht GmbH", "00917", 340, Decimal("1250000.50"))
    ]


def test_a_report_total_row_is_not_an_account() -> None:
    job = run("salesforce_report_totals.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert [name for (name,) in stored()] == [
        "Harbor Bank of the North",
        "Total Logistics",
        "Zephyr Analytics",
    ]
    assert [
        (issue["line"], issue["action"], issue["value"])
        for issue in job.issues
        if issue["reason"].startswith("the report's summary row")
    ] == [
        (3, "dropped", "Subtotal $1,250,000.00 120"),
        (7, "dropped", "Total $13,650,000.00 1,370"),
    ]


def test_a_name_with_a_line_break_is_read_on_one_line_with_a_note() -> None:
    job = run("name_line_break.csv")

    assert job.status == ImportJob.Status.SUCCEEDED, job.issues
    assert [name for (name,) in stored()] == ["Multi Line Corp", "Plain Co"]
    assert [
        (issue["line"], issue["column"], issue["action"], issue["reason"])
        for issue in job.issues
        if issue["column"] == "Account Name"
    ] == [
        (
            2,
            "Account Name",
            "repaired",
            "the name spans 2 lines, read as 'Multi Line Corp'",
        )
    ]


def checked_rejections(name: str) -> list[tuple]:
    mapped = mapped_import_create_from_paths(user=None, paths=[BYOD / name])
    mapped_import_mapping_accept(mapped=mapped, user=None)

    outcome = mapped_import_check(mapped=mapped)

    return [
        (issue.line, issue.column, issue.value, issue.reason)
        for issue in outcome.issues
        if issue.action == "rejected"
    ]


def test_an_amount_with_more_than_two_decimals_is_refused_not_rounded() -> None:
    AccountFactory(name="Acme")

    assert checked_rejections("amounts_over_cents.csv") == [
        (
            2,
            "Amount",
            "0.004",
            "3 decimals, but USD has 2: round the amount or check its currency",
        ),
        (
            3,
            "Amount",
            "1234.567",
            "3 decimals, but USD has 2: round the amount or check its currency",
        ),
    ]


def test_a_decimal_comma_amount_with_three_decimals_is_refused() -> None:
    AccountFactory(name="Acme")

    assert checked_rejections("amounts_comma_over_cents.csv") == [
        (
            2,
            "Amount",
            "1,234",
            "3 decimals, but USD has 2: round the amount or check its currency",
        )
    ]


def test_a_negative_annual_revenue_is_refused() -> None:
    job = run("revenue_negative.csv", keep_good_rows=True)

    assert rejected(job) == [(2, "Annual Revenue", "must not be negative")]
    assert stored("annual_revenue") == [("Beta AG", Decimal("12.50"))]


def test_a_won_deal_without_a_close_date_or_amount_is_named_in_the_check() -> None:
    AccountFactory(name="Acme")
    mapped = mapped_import_create_from_paths(
        user=None, paths=[BYOD / "won_uncounted.csv"]
    )
    mapped_import_mapping_accept(mapped=mapped, user=None)

    outcome = mapped_import_check(mapped=mapped)

    assert [
        (issue.line, issue.column, issue.reason, issue.action)
        for issue in outcome.issues
        if "won deal" in issue.reason
    ] == [
        (
            2,
            "Close Date",
            "won deal without a close date: not counted as revenue",
            "kept",
        ),
        (3, "Amount", "won deal without an amount: not counted as revenue", "kept"),
    ]
