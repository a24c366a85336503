"""Values the import wizard lost or guessed without a word, each now said."""

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.models import Account, ImportJob
from accounts.wizard import (
    mapped_import_create_from_paths,
    mapped_import_mapping_accept,
    mapped_import_run,
    mapped_import_start,
)

pytestmark = pytest.mark.django_db

ID_SCIENTIFIC = (
    "an ID in scientific notation: a spreadsheet has rounded it and its digits "
    "are lost; export the column as text"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def run(path: Path) -> ImportJob:
    mapped = mapped_import_create_from_paths(user=None, paths=[path])
    assert mapped_import_mapping_accept(mapped=mapped, user=None) == {}
    mapped_import_start(mapped=mapped, merges={}, keep_good_rows=True, enqueue=False)
    return mapped_import_run(mapped=mapped)


def said(job: ImportJob, action: str) -> list[tuple]:
    return [
        (issue["line"], issue["column"], issue["value"], issue["reason"])
        for issue in job.issues
        if issue["action"] == action
    ]


def workbook(path: Path, rows: list[list]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_small_revenue_is_stored_to_the_cent(tmp_path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        '"Account Name","Annual Revenue"\n'
        '"Acme","$1,234.50"\n'
        '"Beta","USD 1,000.00"\n'
        '"Gamma","$4,999.99"\n'
        '"Delta","$5,000.00"\n'
        '"Omega","$0.00"\n'
    )

    job = run(path)

    assert list(
        Account.objects.order_by("name").values_list(
            "name", "annual_revenue", "annual_revenue_currency"
        )
    ) == [
        ("Acme", Decimal("1234.50"), "USD"),
        ("Beta", Decimal("1000.00"), "USD"),
        ("Delta", Decimal("5000.00"), "USD"),
        ("Gamma", Decimal("4999.99"), "USD"),
        ("Omega", Decimal("0.00"), "USD"),
    ]
    assert said(job, "kept") == []


def test_a_hubspot_revenue_in_scientific_notation_is_read_as_its_number(
    tmp_path,
) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Record ID,Company name,Annual Revenue\n101,Acme,1.5E+07\n102,Beta,2.5E-1\n"
    )

    job = run(path)

    assert list(
        Account.objects.order_by("name").values_list("external_id", "annual_revenue")
    ) == [("101", Decimal("15000000.00")), ("102", Decimal("0.25"))]
    assert said(job, "repaired") == [
        (
            2,
            "Annual Revenue",
            "1.5E+07",
            "scientific notation read as 15000000",
        ),
        (
            3,
            "Annual Revenue",
            "2.5E-1",
            "scientific notation read as 0.25",
        ),
    ]
    assert said(job, "rejected") == []


def test_an_xlsx_formula_with_no_saved_value_is_refused(tmp_path) -> None:
    path = workbook(
        tmp_path / "accounts.xlsx",
        [
            ["Account Name", "Annual Revenue", "Employees"],
            ["Acme", "=1+2", 10],
            ["Beta", 2_000_000, "=SUM(1,2)"],
            ["Gamma", 3_000_000, 30],
        ],
    )

    job = run(path)

    assert list(Account.objects.values_list("name", "annual_revenue", "employees")) == [
        ("Gamma", Decimal("3000000.00"), 30)
    ]
    reason = (
        "a formula with no saved value: open and save the file in a spreadsheet, "
        "or export values"
    )
    assert said(job, "rejected") == [
        (2, "Annual Revenue", "=1+2", reason),
        (3, "Employees", "=SUM(1,2)", reason),
    ]


def test_an_xlsx_id_a_spreadsheet_shows_rounded_is_refused_as_in_csv(
    tmp_path,
) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Record ID", "Company name", "Number of Employees"])
    sheet.append([123457000000000, "Acme", 10])
    sheet.append([1234, "Beta", 20])
    sheet.append([12345678901, "Gamma", 30])
    sheet.append([123456789012, "Delta", 40])
    sheet.append([5678, "Epsilon", 50])
    sheet["A6"].number_format = "0.00E+00"
    book.save(tmp_path / "companies.xlsx")

    job = run(tmp_path / "companies.xlsx")

    assert list(
        Account.objects.order_by("name").values_list("name", "external_id")
    ) == [("Beta", "1234"), ("Gamma", "12345678901")]
    assert said(job, "rejected") == [
        (2, "Record ID", "123457000000000", ID_SCIENTIFIC),
        (5, "Record ID", "123456789012", ID_SCIENTIFIC),
        (6, "Record ID", "5678", ID_SCIENTIFIC),
    ]
